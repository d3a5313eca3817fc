"""The emulator answers as Google does: replayed real exchanges, discovery-document checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.support.emulator import BASE_URL, SheetsEmulator

#: ../shared/reference beside the clone: Google's discovery document and recorded exchanges.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
CASSETTES = ["ClientTest.test_access_non_existing_spreadsheet",
             "ClientTest.test_open_by_key_has_metadata", "SpreadsheetTest.test_values_batch_get",
             "WorksheetTest.test_add_protected_range_warning", "WorksheetTest.test_batch_update",
             "WorksheetTest.test_format", "WorksheetTest.test_freeze",
             "WorksheetTest.test_get_all_values_date_time_render_options"]
GOOGLE = "https://sheets.googleapis.com"


@pytest.fixture
def sheets_reference() -> Path:
    """The Sheets reference folder; tests that need it skip with the reason when absent."""
    if not (REFERENCE / "sheets.v4.json").is_file():
        pytest.skip(f"Sheets API reference not found at {REFERENCE} "
                    "(it sits in ../shared beside the clone)")
    return REFERENCE


@pytest.fixture
def emulator(sheets_reference: Path) -> SheetsEmulator:
    emulator = SheetsEmulator("key-1", discovery=sheets_reference / "sheets.v4.json")
    emulator.add_sheet("Sheet1", rows=10, cols=4)
    return emulator


def shape(value: object) -> object:
    """The structure of a JSON answer: keys, list lengths and value types, not the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) \
        else type(value).__name__


def paired_ids(recorded: object, answered: object) -> dict[str, str]:
    """Ids Google generated and the ones the emulator generated in their place."""
    if isinstance(recorded, dict) and isinstance(answered, dict):
        pairs = {str(recorded[k]): str(answered[k]) for k in recorded
                 if k.endswith("Id") and k in answered and isinstance(recorded[k], int)}
        for key in recorded.keys() & answered.keys():
            pairs |= paired_ids(recorded[key], answered[key])
        return pairs
    if isinstance(recorded, list) and isinstance(answered, list):
        return {k: v for a, b in zip(recorded, answered, strict=False)
                for k, v in paired_ids(a, b).items()}
    return {}


@pytest.mark.parametrize("name", CASSETTES)
def test_replayed_exchanges_get_answers_shaped_like_googles(sheets_reference, name):
    recorded = json.loads((sheets_reference / "gspread-cassettes" / f"{name}.json").read_text())
    current: SheetsEmulator | None = None
    replayed = 0
    ids: dict[str, str] = {}
    for interaction in recorded["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if not request["uri"].startswith(GOOGLE):
            continue  # Drive: creating and deleting the test spreadsheet
        key = re.match(rf"{GOOGLE}/v4/spreadsheets/([^/:?]+)", request["uri"]).group(1)
        if key != "test" and (current is None or current.spreadsheet_id != key):
            current = SheetsEmulator(key, base_url=GOOGLE,
                                     discovery=sheets_reference / "sheets.v4.json")
            current.add_sheet("Sheet1")
        body = re.sub(r"(?<=\"sheetId\": )\d+", lambda m, known=ids: known.get(m.group(),
                                                                               m.group()),
                      request["body"] or "")
        answer = current.session().request(
            request["method"], request["uri"], data=body.encode() or None,
            headers={"Content-Type": "application/json"})
        expected = json.loads(response["body"]["string"])
        ids |= paired_ids(expected, answer.json())
        assert (answer.status_code, shape(answer.json())) == \
            (response["status"]["code"], shape(expected)), request["uri"]
        replayed += 1
    assert replayed >= 4


def call(emulator: SheetsEmulator, method: str, path: str, **options: object
         ) -> requests.Response:
    return emulator.session().request(method, f"{BASE_URL}/v4/spreadsheets/key-1{path}",
                                      **options)


def test_an_unknown_field_is_googles_invalid_payload(emulator):
    answer = call(emulator, "POST", ":batchUpdate", json={"requests": [{"repeatCell": {
        "range": {"sheetId": 0}, "cell": {"userEnteredFormat": {"bold": True}},
        "fields": "userEnteredFormat.bold"}}]})
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": 400, "status": "INVALID_ARGUMENT",
        "message": 'Invalid JSON payload received. Unknown name "bold" at '
                   "'requests[0].repeat_cell.cell.user_entered_format': Cannot find field."}


def test_a_bad_fields_mask_and_an_unknown_enum_are_refused(emulator):
    assert call(emulator, "GET", "", params={"fields": "sheets.nope"}).json()["error"][
        "message"] == ("Error expanding 'fields' parameter. Cannot find matching fields for "
                       "path 'sheets.nope'.")
    answer = call(emulator, "POST", "/values:batchUpdate",
                  json={"valueInputOption": "TYPED", "data": []})
    assert answer.status_code == 400


def test_writes_past_the_grid_fail_and_change_nothing(emulator):
    answer = call(emulator, "POST", "/values:batchUpdate", json={
        "valueInputOption": "RAW", "data": [{"range": "Sheet1!A1", "values": [["kept?"]]},
                                            {"range": "Sheet1!A11", "values": [["x"]]}]})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "Invalid data[1]: Range (Sheet1!A11) exceeds grid limits. Max rows: 10, max columns: 4")
    assert emulator.grid("Sheet1") == []


def test_ranges_are_echoed_clipped_and_values_trimmed(emulator):
    emulator.add_sheet("My tab", [["a", None, None], [None], ["b", 2, None]], rows=5, cols=3)
    answer = call(emulator, "GET", "/values:batchGet", params={
        "ranges": ["'My tab'!A:A", "'My tab'!B1:C", "Sheet1"],
        "valueRenderOption": "UNFORMATTED_VALUE"}).json()
    assert answer["valueRanges"] == [
        {"range": "'My tab'!A1:A5", "majorDimension": "ROWS", "values": [["a"], [], ["b"]]},
        {"range": "'My tab'!B1:C5", "majorDimension": "ROWS", "values": [[], [], [2]]},
        {"range": "Sheet1!A1:D10", "majorDimension": "ROWS"}]


def test_raw_keeps_text_and_user_entered_parses_it(emulator):
    for option, row in (("RAW", 1), ("USER_ENTERED", 2)):
        call(emulator, "PUT", f"/values/Sheet1!A{row}", params={"valueInputOption": option},
             json={"values": [["=1+1", "2026-01-01", "TRUE", "12%"]]})
    assert emulator.grid("Sheet1") == [["=1+1", "2026-01-01", "TRUE", "12%"],
                                       [2, 46023, True, 0.12]]


def test_requests_to_other_hosts_never_reach_a_network(emulator):
    answer = emulator.session().get("https://www.googleapis.com/drive/v3/files")
    assert answer.status_code == 400 and "no service" in answer.json()["error"]["message"]


def test_a_hook_acts_before_or_after_a_given_request(emulator):
    def types(value: str):
        return lambda e: e.set_cell("Sheet1", 1, 1, value)
    emulator.at_request(2, types("before"))
    emulator.at_request(3, types("after"), after=True)
    read = [call(emulator, "GET", "/values/Sheet1!A1", params={"valueRenderOption":
                                                               "UNFORMATTED_VALUE"})
            .json().get("values") for _ in range(4)]
    assert read == [None, [["before"]], [["before"]], [["after"]]]

    emulator.at_request(1, lambda e: e.fail(503))  # a fault for exactly that request
    assert [call(emulator, "GET", "").status_code for _ in range(2)] == [503, 200]

    def lost(e: SheetsEmulator) -> None:
        raise requests.ConnectionError("answer lost (emulated)")
    emulator.at_request(1, lost, after=True)
    with pytest.raises(requests.ConnectionError):
        call(emulator, "POST", "/values:batchUpdate", json={
            "valueInputOption": "RAW", "data": [{"range": "Sheet1!B1", "values": [["kept"]]}]})
    assert emulator.grid("Sheet1") == [["after", "kept"]]  # it took effect all the same


def test_a_developer_metadata_id_is_taken_once(emulator):
    def create() -> requests.Response:
        return call(emulator, "POST", ":batchUpdate", json={"requests": [
            {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0}}}},
            {"createDeveloperMetadata": {"developerMetadata": {
                "metadataId": 77, "metadataKey": "k", "visibility": "DOCUMENT",
                "location": {"spreadsheet": True}}}}]})
    assert create().status_code == 200
    again = create()
    assert again.status_code == 400 and "77" in again.json()["error"]["message"]
    assert len(emulator.sheet("Sheet1").protected) == 1  # the batch is refused whole

def test_network_faults_cut_or_trickle_the_body_after_carrying_the_request_out():
    emulator = SheetsEmulator("emulated-key")
    emulator.add_sheet("Sheet1", [["a", "b"]])
    with emulator.serve() as base_url:
        url = f"{base_url}/v4/spreadsheets/emulated-key/values:batchGet"
        emulator.reset_mid_body(1, kind="values.batchGet")
        emulator.slow_drip(1, kind="values.batchGet", seconds=0.3)
        for _cut_then_trickled in range(2):
            answer = requests.get(url, params={"ranges": "Sheet1"}, stream=True, timeout=5)
            assert answer.status_code == 200  # the headers came whole
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                answer.content  # noqa: B018 - reading the body is the point
            assert emulator.calls[-1].status == 200  # carried out all the same
        assert requests.get(url, params={"ranges": "Sheet1"}, timeout=5).json()[
            "valueRanges"][0]["values"] == [["a", "b"]]  # used up: the next answer is whole
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # through the adapter too
        emulator.reset_mid_body(1)
        emulator.session().get(f"{BASE_URL}/v4/spreadsheets/emulated-key")
