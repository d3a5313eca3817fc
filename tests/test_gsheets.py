"""The Google Sheets backend against the Sheets API emulator: real gspread, real google-auth."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.errors import (
    UsageError,
    WorkbookNotFound,
    WorkbookNotWritable,
    WorkbookUnreachable,
)
from sheetfunnel.follow import follow_ids
from sheetfunnel.plan import (
    Bold,
    CellRange,
    CellWrite,
    Chart,
    Dropdown,
    Highlight,
    Looks,
    Note,
    NumberFormat,
    Protection,
    RowKeys,
    Series,
    TabSpec,
    WritePlan,
)
from sheetfunnel.workbook.gsheets import (
    ENDPOINT_ENV,
    GoogleSheetsWorkbook,
    chunks,
    spreadsheet_key,
    value_bodies,
    value_ranges,
)
from sheetfunnel.workbook.retry import body_bytes
from tests.support.emulator import SheetsEmulator, authorized_user_file, service_account_file
from tests.support.gsheets import KEY, open_book, pipeline

WRITES = ("batchUpdate", "values.batchUpdate")


def scoring_plan(rows: int, *, score: float = 50.0, flag: str = "⏰ follow up") -> WritePlan:
    """What a run wants: Score and Flags of every row, and the looks of those columns."""
    tab = "Opportunities"
    cells = [CellWrite(tab, r, 5, score + r % 7) for r in range(2, rows + 2)]
    cells += [CellWrite(tab, r, 6, flag if r % 3 == 0 else None) for r in range(2, rows + 2)]
    cells += [CellWrite("Summary", 1, 1, "Stage"), CellWrite("Summary", 1, 2, "Deals"),
              CellWrite("Summary", 2, 1, "Lead"), CellWrite("Summary", 2, 2, rows)]
    looks = Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 5), "0.0"),),
        bold=(Bold(CellRange(tab, 1, 5, 1, 6)), Bold(CellRange("Summary", 1, 1, 1, 2))),
        highlights=(Highlight(CellRange(tab, 2, 6), "contains", "⏰", "#FFF2CC"),
                    Highlight(CellRange(tab, 2, 6), "contains", "⛔", "#F4CCCC")),
        notes=(Note(tab, 1, 5, "Written by sheetfunnel"),),
        dropdowns=(Dropdown(CellRange(tab, 2, 3), CellRange("Summary", 2, 1, 2)),),
        charts=(Chart("Summary", "Funnel", 1, 4, CellRange("Summary", 2, 1, 2),
                      (Series(CellRange("Summary", 2, 2, 2)),)),),
        protections=(Protection(CellRange(tab, 2, 5, None, 6), "sheetfunnel: owned columns"),),
    )
    ids = {r: f"OPP-{r - 1:05d}" for r in range(2, rows + 2)}
    return WritePlan((TabSpec("Summary", frozen_rows=1, column_widths=((1, 20.0),)),),
                     tuple(cells), looks, (RowKeys(tab, 1, ids),))


def run_cycle(emulator: SheetsEmulator, plan: WritePlan) -> list[str]:
    """One read and one apply by a freshly opened workbook; the request kinds it sent."""
    first = len(emulator.calls)
    book = open_book(emulator)
    book.read()
    book.apply(plan)
    return [c.kind for c in emulator.calls[first:]]


# -- a constant number of requests ----------------------------------------------------------

@pytest.mark.parametrize("rows", [10, 10_000])
def test_a_read_and_apply_costs_six_requests_whatever_the_row_count(emulator, rows):
    emulator.add_sheet("Opportunities", pipeline(rows))
    book = open_book(emulator)
    book.read()
    book.apply(scoring_plan(rows))
    # metadata, read, structure, ID re-read right before the values write, values, read-back
    assert [c.kind for c in emulator.calls] == [
        "get", "values.batchGet", "batchUpdate", "values.batchGet", "values.batchUpdate",
        "values.batchGet"]
    assert (book.io.read_requests, book.io.write_requests) == (4, 2)
    for check in (emulator.calls[3], emulator.calls[5]):  # the IDs only, each as one list
        assert check.params["ranges"] == ["'Opportunities'!A:A"]
        assert check.params["majorDimension"] == ["COLUMNS"]
    flagged = sum(1 for r in range(2, rows + 2) if r % 3 == 0)
    assert book.io.cells_written == rows + flagged + 4  # blank Flags are already blank
    grid = emulator.grid("Opportunities")
    assert grid[1][4] == 52 and grid[rows][4] == 50.0 + (rows + 1) % 7
    assert emulator.grid("Summary") == [["Stage", "Deals"], ["Lead", rows]]


def test_a_second_identical_apply_sends_no_write(emulator):
    emulator.add_sheet("Opportunities", pipeline(20))
    run_cycle(emulator, scoring_plan(20))
    book = open_book(emulator)
    book.read()
    book.apply(scoring_plan(20))
    assert [c.kind for c in emulator.calls[-2:]] == ["get", "values.batchGet"]
    assert (book.io.read_requests, book.io.write_requests, book.io.cells_written) == (2, 0, 0)


def test_ten_runs_leave_exactly_one_of_each_look(emulator):
    emulator.add_sheet("Opportunities", pipeline(5))
    for run in range(10):
        kinds = run_cycle(emulator, scoring_plan(5, score=float(run)))
        assert kinds.count("batchUpdate") == (1 if run == 0 else 0)
    opportunities, summary = emulator.sheet("Opportunities"), emulator.sheet("Summary")
    assert len(opportunities.conditional_formats) == 2
    assert len(opportunities.protected) == 1 and opportunities.protected[0]["warningOnly"]
    assert len(summary.charts) == 1 and summary.frozen_rows == 1
    assert len([m for m in opportunities.metadata if m["metadataKey"] == "sheetfunnel.looks"]) == 1
    assert opportunities.extras[(0, 4)]["note"] == "Written by sheetfunnel"
    assert opportunities.extras[(500, 4)]["userEnteredFormat"]["numberFormat"]["pattern"] == "0.0"


def test_a_changed_look_replaces_only_its_own_kind(emulator):
    emulator.add_sheet("Opportunities", pipeline(5))
    run_cycle(emulator, scoring_plan(5))
    person_rule = {"ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 1,
                               "endColumnIndex": 2}],
                   "booleanRule": {"condition": {"type": "NOT_BLANK"},
                                   "format": {"backgroundColor": {"green": 1}}}}
    emulator.sheet("Opportunities").conditional_formats.insert(0, person_rule)
    emulator.sheet("Opportunities").protected.clear()  # someone removed the protection
    first = len(emulator.calls)
    run_cycle(emulator, scoring_plan(5))
    sent = [c.body for c in emulator.calls[first:] if c.kind == "batchUpdate"]
    assert [list(r) for r in sent[0]["requests"]] == [  # between the batch's own tokens
        ["deleteDeveloperMetadata"], ["addProtectedRange"], ["createDeveloperMetadata"]]
    rules = emulator.sheet("Opportunities").conditional_formats
    assert rules[0] == person_rule and len(rules) == 3


def chart_plan(*, target_line: bool = True) -> WritePlan:
    """A small table (weeks, won, target) and a chart of each kind beside it."""
    tab = "Summary"
    rows = [["Week", "Won", "Target"], ["W1", 5, 4], ["W2", 3, 4], ["W3", 6, 4]]
    cells = tuple(CellWrite(tab, r, c, v) for r, row in enumerate(rows, start=1)
                  for c, v in enumerate(row, start=1))
    weeks, won, target = (CellRange(tab, 2, c, 4) for c in (1, 2, 3))
    combo = (Series(won, "Won"), *((Series(target, "Target", line=True),) if target_line
                                   else ()))
    charts = (Chart(tab, "Won against target", 1, 5, weeks, combo, kind="combo"),
              Chart(tab, "Both as lines", 20, 5, weeks,
                    (Series(won, "Won"), Series(target, "Target")), kind="line"),
              Chart(tab, "Won as bars", 40, 5, weeks, (Series(won),)))
    return WritePlan((TabSpec(tab),), cells, Looks(charts=charts))


def test_ten_runs_keep_one_chart_of_each_kind_and_never_touch_a_persons(emulator):
    emulator.add_sheet("Opportunities", pipeline(3))
    run_cycle(emulator, chart_plan())
    person = {"chartId": 4242, "spec": {"title": "My own", "basicChart": {
        "chartType": "LINE", "domains": [], "series": []}}, "position": {"overlayPosition": {
            "anchorCell": {"sheetId": emulator.sheet("Summary").sheet_id}}}}
    emulator.sheet("Summary").charts.append(person)
    for _ in range(9):
        assert "batchUpdate" not in run_cycle(emulator, chart_plan())
    charts = emulator.sheet("Summary").charts
    assert [c["spec"]["title"] for c in charts] == [
        "Won against target", "Both as lines", "Won as bars", "My own"]
    assert charts[-1] == person
    combo = charts[0]["spec"]["basicChart"]
    # Google names a series from its header row: the ranges start on the table's head
    assert (combo["chartType"], combo["headerCount"], combo["legendPosition"]) == (
        "COMBO", 1, "BOTTOM_LEGEND")
    assert [(s["type"], s["series"]["sourceRange"]["sources"][0]["startRowIndex"])
            for s in combo["series"]] == [("COLUMN", 0), ("LINE", 0)]
    line = charts[1]["spec"]["basicChart"]
    assert line["chartType"] == "LINE" and all("type" not in s for s in line["series"])
    assert charts[2]["spec"]["basicChart"]["chartType"] == "BAR"

    # the target line dropped: only that chart is replaced (deleted and added again)
    first = len(emulator.calls)
    run_cycle(emulator, chart_plan(target_line=False))
    sent = [r for c in emulator.calls[first:] if c.kind == "batchUpdate"
            for r in c.body["requests"]]
    assert [next(iter(r)) for r in sent if "Metadata" not in next(iter(r))] == [
        "deleteEmbeddedObject", "addChart"]
    titles = [c["spec"]["title"] for c in emulator.sheet("Summary").charts]
    assert sorted(titles) == sorted(["Won against target", "Both as lines", "Won as bars",
                                     "My own"])


def test_the_emulator_refuses_a_chart_google_would(emulator):
    """The checks beyond the discovery document bite: a series type outside a combo chart."""
    emulator.add_sheet("Opportunities", pipeline(3))
    sheet_id = emulator.sheet("Opportunities").sheet_id
    source = {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": 0,
                                           "endRowIndex": 3, "startColumnIndex": 0,
                                           "endColumnIndex": 1}]}}
    request = {"addChart": {"chart": {"spec": {"basicChart": {
        "chartType": "LINE", "domains": [{"domain": source}],
        "series": [{"series": source, "type": "COLUMN"}]}}, "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id}}}}}}
    answer = emulator.session().post(f"{emulator.base_url}/v4/spreadsheets/{KEY}:batchUpdate",
                                     json={"requests": [request]}, timeout=5)
    assert answer.status_code == 400 and "only valid for COMBO" in answer.text
    assert emulator.sheet("Opportunities").charts == []


# -- safe writes while people edit ----------------------------------------------------------

def test_a_row_inserted_mid_run_still_gets_its_own_values(emulator):
    emulator.add_sheet("Opportunities", pipeline(6))
    book = open_book(emulator)
    book.read()
    emulator.insert_rows("Opportunities", 3, 1, [["OPP-NEW", "Typed meanwhile", "Lead", 7]])
    book.apply(scoring_plan(6))
    grid = emulator.grid("Opportunities")
    by_id = {row[0]: row for row in grid[1:]}
    assert by_id["OPP-NEW"] == ["OPP-NEW", "Typed meanwhile", "Lead", 7]
    for n in range(1, 7):
        assert by_id[f"OPP-{n:05d}"][4] == 50.0 + (n + 1) % 7
    assert by_id["OPP-00002"][5] == "⏰ follow up"  # sheet row 3 when computed, row 4 now


def test_sorted_and_deleted_rows_are_followed_by_id(emulator):
    emulator.add_sheet("Opportunities", pipeline(6))
    book = open_book(emulator)
    book.read()
    emulator.sort_rows("Opportunities", 2, 1, reverse=True)
    emulator.delete_rows("Opportunities", 2)  # OPP-00006, now on top, is deleted
    book.apply(scoring_plan(6))
    grid = emulator.grid("Opportunities")
    assert [row[0] for row in grid[1:]] == [f"OPP-{n:05d}" for n in range(5, 0, -1)]
    assert all(row[4] == 50.0 + (int(row[0][4:]) + 1) % 7 for row in grid[1:])
    assert all(row[3] == int(row[0][4:]) * 10 for row in grid[1:])  # people's cells stay


def test_a_row_without_an_id_is_followed_only_where_it_can_be_told_apart():
    keys = RowKeys("Opportunities", 1, {2: "OPP-1", 4: "OPP-3"})
    before = ["ID", "OPP-1", None, "OPP-3"]
    writes = [CellWrite("Opportunities", 1, 5, "Score"), CellWrite("Opportunities", 2, 5, 1),
              CellWrite("Opportunities", 3, 1, "OPP-2"), CellWrite("Opportunities", 4, 5, 3),
              CellWrite("Summary", 3, 1, "x")]

    def moved(now: list) -> list[tuple]:
        return [(w.tab, w.row, w.col, w.value) for w in follow_ids(keys, before, now, writes)]

    # a row typed above: the blank-ID row moved down with its neighbours, its new ID follows
    assert moved(["ID", "OPP-0", "OPP-1", None, "OPP-3"]) == [
        ("Opportunities", 1, 5, "Score"), ("Opportunities", 3, 5, 1),
        ("Opportunities", 4, 1, "OPP-2"), ("Opportunities", 5, 5, 3), ("Summary", 3, 1, "x")]
    # a blank row inserted beside it: either could be the one computed, so neither is written
    assert moved(["ID", "OPP-1", None, None, "OPP-3"]) == [
        ("Opportunities", 1, 5, "Score"), ("Opportunities", 2, 5, 1),
        ("Opportunities", 5, 5, 3), ("Summary", 3, 1, "x")]
    # sorted to the end, away from its neighbours: nothing tells it from a new blank row
    assert [w for w in moved(["ID", "OPP-1", "OPP-3", None]) if w[3] == "OPP-2"] == []


def test_a_blank_id_is_filled_only_where_the_latest_read_shows_it_blank():
    keys = RowKeys("Opportunities", 1, {2: "OPP-1", 4: "OPP-3"})
    writes = [CellWrite("Opportunities", 3, 1, "OPP-2"), CellWrite("Opportunities", 3, 5, 2)]
    followed = follow_ids(keys, ["ID", "OPP-1", None, "OPP-3"],
                          ["ID", "OPP-1", "typed meanwhile", "OPP-3"], writes)
    assert followed == [CellWrite("Opportunities", 3, 5, 2)]  # the score, not the ID


def test_ids_people_typed_survive_a_sort_while_the_values_write_is_on_its_way(emulator):
    grid = pipeline(6) + [[None, "Deal 7", "Lead", 70]]  # row 8: its ID is to be filled
    emulator.add_sheet("Opportunities", grid)
    tab = "Opportunities"
    plan = scoring_plan(7)
    plan = WritePlan(plan.tabs, (*plan.cells, CellWrite(tab, 8, 1, "OPP-00007")), plan.looks,
                     (RowKeys(tab, 1, {r: f"OPP-{r - 1:05d}" for r in range(2, 8)}),))
    book = open_book(emulator)
    book.read()
    first = len(emulator.calls)
    # structure, ID re-read, then the values write: the person sorts just before it lands
    emulator.at_request(3, lambda e: e.sort_rows(tab, 2, 2, reverse=True))
    book.apply(plan)
    rows = emulator.grid(tab)[1:]
    assert [r[1] for r in rows] == [f"Deal {n}" for n in range(7, 0, -1)]
    typed = {r[1]: r[0] for r in rows if r[1] != "Deal 7"}
    assert typed == {f"Deal {n}": f"OPP-{n:05d}" for n in range(1, 7)}  # none overwritten
    assert all(r[4] == 50.0 + (int(r[1][5:]) + 1) % 7 for r in rows if r[0])  # own scores
    assert rows[0][0] in ("", "OPP-00007") and rows[0][4:] in ([], [57.0])  # its own or none
    assert [c.kind for c in emulator.calls[first:]] == [
        "batchUpdate", "values.batchGet", "values.batchUpdate", "values.batchGet",
        "values.batchGet", "values.batchUpdate"]  # ... the IDs read back show rows moved: the
    # written columns are read and one repair write puts them right


def test_no_id_check_when_no_row_is_written(emulator):
    emulator.add_sheet("Opportunities", pipeline(3))
    plan = scoring_plan(3)
    run_cycle(emulator, plan)
    summary_only = WritePlan(plan.tabs, (CellWrite("Summary", 2, 2, 99),), plan.looks,
                             plan.row_keys)
    assert run_cycle(emulator, summary_only) == ["get", "values.batchGet", "values.batchUpdate"]


# -- values ---------------------------------------------------------------------------------

def test_text_that_looks_like_a_formula_stays_text(emulator):
    emulator.add_sheet("Customers", [["Name"]])
    formula = '=IMPORTXML("http://x","//a")'
    book = open_book(emulator)
    book.apply(WritePlan(cells=(CellWrite("Customers", 2, 1, formula),
                                CellWrite("Customers", 3, 1, "=HYPERLINK(\"http://x\")"))))
    assert emulator.grid("Customers")[1] == [formula]
    assert emulator.sheet("Customers").formulas == {}
    assert emulator.calls[-1].body["valueInputOption"] == "RAW"


def test_dates_numpy_scalars_and_missing_values_are_sent_as_json(emulator):
    emulator.add_sheet("Data", [["a", "b", "c", "d", "e", "f"], [1, 2, 3, 4, 5, 6]])
    book = open_book(emulator)
    values = [np.int64(7), np.float64("nan"), np.bool_(True), pd.NaT, dt.date(2025, 3, 1),
              dt.datetime(2025, 3, 1, 12)]
    book.apply(WritePlan(cells=tuple(CellWrite("Data", 2, c, v)
                                     for c, v in enumerate(values, start=1))))
    assert emulator.grid("Data")[1] == [7, "", True, "", 45717, 45717.5]


def test_read_gives_grids_with_serial_dates_and_no_trailing_empties(emulator):
    emulator.add_sheet("Opportunities", [["ID", "Created", None], ["A", dt.date(2026, 1, 1)],
                                         [], [None, None, "x"], [None]])
    emulator.add_sheet("_sheetfunnel", [["state"]])
    emulator.sheets[-1].hidden = True
    snapshot = open_book(emulator).read()
    assert snapshot.tabs["Opportunities"] == [["ID", "Created"], ["A", 46023], [],
                                              [None, None, "x"]]
    assert snapshot.hidden == frozenset({"_sheetfunnel"})
    assert list(emulator.calls[1].params["ranges"]) == ["'Opportunities'", "'_sheetfunnel'"]


def test_writes_past_the_grid_grow_it_first_in_the_same_batch(emulator):
    emulator.add_sheet("Log", [["When"]], rows=10, cols=2)
    book = open_book(emulator)
    book.apply(WritePlan(cells=(CellWrite("Log", 25, 4, "late"),)))
    assert emulator.sheet("Log").rows == 25 and emulator.sheet("Log").cols == 4
    assert emulator.grid("Log")[24] == [None, None, None, "late"] or \
        emulator.grid("Log")[24] == ["", "", "", "late"]
    assert [c.kind for c in emulator.calls] == ["get", "values.batchGet", "batchUpdate",
                                                "values.batchUpdate"]


def test_contiguous_cells_are_merged_into_column_ranges():
    writes = [CellWrite("My tab", r, 3, r) for r in (2, 3, 4, 7)] + [CellWrite("T", 1, 1, "x")]
    assert [(d["range"], d["values"]) for d in value_ranges(writes)] == [
        ("'My tab'!C2:C4", [[2, 3, 4]]), ("'My tab'!C7", [[7]]), ("'T'!A1", [["x"]])]
    again = [CellWrite("T", 2, 1, "b"), CellWrite("T", 1, 1, "a"), CellWrite("T", 2, 1, "c")]
    assert [(d["range"], d["values"]) for d in value_ranges(again)] == [
        ("'T'!A1:A2", [["a", "c"]])]  # rows in order; a later write of a cell wins


def test_runs_carry_dates_as_serial_numbers_and_blanks_as_empty_text():
    dates = [CellWrite("T", r, 1, dt.date(2026, 1, r)) for r in (1, 2, 3)]
    mixed = [CellWrite("T", 1, 2, dt.date(1899, 12, 1)), CellWrite("T", 2, 2, None),
             CellWrite("T", 3, 2, dt.datetime(2026, 1, 1, 12)), CellWrite("T", 4, 2, "x")]
    assert [(d["range"], d["values"]) for d in value_ranges(dates + mixed)] == [
        ("'T'!A1:A3", [[46023, 46024, 46025]]),
        ("'T'!B1:B4", [["1899-12-01", "", 46023.5, "x"]])]


def test_a_column_too_long_for_one_body_is_sent_in_runs_that_fit():
    writes = [CellWrite("T", r, 2, f"流程{r:03d}" * 5) for r in range(1, 201)]
    bodies = list(value_bodies(writes, limit=1000))
    assert len(bodies) > 5 and all(len(body) <= 1000 for body in bodies)
    ranges = [d for body in bodies for d in json.loads(body)["data"]]
    row = 1
    for d in ranges:  # each run starts where the one before ended
        span = f"B{row}:B{row + len(d['values'][0]) - 1}"
        assert d["range"] == f"'T'!{span}", d["range"]
        row += len(d["values"][0])
    assert [v for d in ranges for v in d["values"][0]] == [w.value for w in writes]


#: Texts with the very bytes a range's JSON begins with, quotes and backslashes: a column's
#: ranges, encoded in one go, must still be cut between ranges.
_TEXTS = st.lists(st.sampled_from(["a", "流程", '"', "\\", '},{"range":"', "]"]),
                  max_size=3).map("".join)
_VALUES = st.one_of(_TEXTS, st.integers(-10**6, 10**6), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.dates(dt.date(1890, 1, 1), dt.date(2100, 1, 1)), st.none())


def _cells(ranges):
    for d in ranges:
        start = d["range"].split("!")[1].split(":")[0]
        for offset, value in enumerate(d["values"][0]):
            yield start[0], int(start[1:]) + offset, value


@settings(max_examples=100, derandomize=True, deadline=None)
@given(cells=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 4), _VALUES), min_size=20,
                      max_size=150),
       limit=st.integers(600, 3_000))
def test_bodies_carry_every_cell_in_order_each_body_as_full_as_it_can_be(cells, limit):
    writes = [CellWrite("T", row, col, value) for row, col, value in cells]
    bodies = list(value_bodies(writes, limit=limit))
    sent = [json.loads(body)["data"] for body in bodies]
    ranges = [d for data in sent for d in data]
    assert list(_cells(ranges)) == list(_cells(value_ranges(writes)))
    assert all(len(body) <= limit for body in bodies)
    for body, following in zip(bodies, sent[1:], strict=False):  # the next range did not fit
        assert len(body) + 1 + len(body_bytes(following[0])) > limit


def test_payloads_over_two_megabytes_are_split(emulator):
    emulator.add_sheet("Notes", [["Text"]], rows=2000)
    text = "x" * 1000
    book = open_book(emulator)
    book.apply(WritePlan(cells=tuple(CellWrite("Notes", r, c, text)
                                     for r in range(2, 1502) for c in (1, 3))))
    sent = [c for c in emulator.calls if c.kind == "values.batchUpdate"]
    assert len(sent) == 2 and all(c.size < 2_100_000 for c in sent)
    assert len(emulator.grid("Notes")) == 1501
    assert [len(p) for p in chunks([{"v": "x" * 10}] * 5, limit=40)] == [2, 2, 1]


# -- faults ---------------------------------------------------------------------------------

def test_a_429_waits_as_long_as_retry_after_says(emulator, fake_time):
    emulator.add_sheet("Opportunities", pipeline(2))
    emulator.fail(429, times=2, retry_after="7")
    book = open_book(emulator, fake_time)
    assert book.read().tabs["Opportunities"][1][0] == "OPP-00001"
    assert fake_time.sleeps == [7.0, 7.0]
    assert book.io.read_requests == 4  # what Google's quota counts


def test_503_and_dropped_connections_back_off_with_jitter(emulator, fake_time):
    emulator.add_sheet("Opportunities", pipeline(2))
    emulator.fail(503, times=2)
    emulator.drop_connections(1)
    book = open_book(emulator, fake_time)
    book.read()
    assert len(fake_time.sleeps) == 3
    assert [0.5 <= s / 2 ** i <= 1.5 for i, s in enumerate(fake_time.sleeps)] == [True] * 3


def test_a_service_that_keeps_failing_gives_up_in_bounded_time(emulator, fake_time):
    emulator.add_sheet("Opportunities", pipeline(2))
    emulator.fail(503, times=1000)
    with pytest.raises(WorkbookUnreachable) as failure:
        open_book(emulator, fake_time).read()
    assert failure.value.exit_code == 3
    assert "503" in str(failure.value) and "run again" in str(failure.value)
    assert sum(fake_time.sleeps) <= 120 and len(emulator.calls) <= 6


def test_a_missing_spreadsheet_and_a_refused_one_say_what_to_do(emulator, tmp_path):
    with pytest.raises(WorkbookNotFound, match="No Google Sheet with the key"):
        GoogleSheetsWorkbook.open("some-other-key-123", session=emulator.session()).read()
    emulator.add_sheet("Opportunities", pipeline(1))
    key_file = service_account_file(tmp_path, emulator)
    emulator.access = "read"
    book = GoogleSheetsWorkbook.open(KEY, session=emulator.session(),
                                     credentials_file=str(key_file))
    book.read()
    with pytest.raises(WorkbookNotWritable) as refused:
        book.apply(WritePlan(cells=(CellWrite("Opportunities", 2, 5, 1),)))
    assert "worker@emulated-project.iam.gserviceaccount.com" in str(refused.value)
    assert refused.value.exit_code == 3


# -- credentials and endpoint ---------------------------------------------------------------

def test_a_service_account_key_runs_the_real_token_exchange(emulator, tmp_path, monkeypatch):
    emulator.add_sheet("Opportunities", pipeline(1))
    key_file = service_account_file(tmp_path, emulator)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    session = emulator.session()
    book = GoogleSheetsWorkbook.open(f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
                                     session=session)
    assert book.read().tabs["Opportunities"][1][0] == "OPP-00001"
    (exchange,) = emulator.token_calls
    assert exchange["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert list(emulator.tokens.values()) == ["https://www.googleapis.com/auth/spreadsheets"]
    assert all(t == (10.0, 60.0) for t in session.adapters["https://"].timeouts
               if t is not None)  # connect, then silence: each answer also has a 60 s deadline
    assert "Google Sheet" in book.name and book.name.startswith("Pipeline")


def test_an_authorized_user_file_works_too(emulator, tmp_path):
    emulator.add_sheet("Opportunities", pipeline(1))
    user_file = authorized_user_file(tmp_path, emulator)
    book = GoogleSheetsWorkbook.open(KEY, session=emulator.session(),
                                     credentials_file=str(user_file))
    assert "Opportunities" in book.read().tabs
    assert emulator.token_calls[0]["grant_type"] == "refresh_token"


def test_credentials_are_required_and_checked(emulator, tmp_path):
    with pytest.raises(UsageError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        GoogleSheetsWorkbook.open(KEY)
    (tmp_path / "bad.json").write_text(json.dumps({"type": "service_account"}))
    with pytest.raises(UsageError, match="incomplete or damaged"):
        GoogleSheetsWorkbook.open(KEY, credentials_file=str(tmp_path / "bad.json"))
    with pytest.raises(UsageError, match="does not exist"):
        GoogleSheetsWorkbook.open(KEY, credentials_file=str(tmp_path / "none.json"))


def test_without_the_endpoint_variable_requests_go_to_google(monkeypatch):
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    google = SheetsEmulator(KEY, base_url="https://sheets.googleapis.com")
    google.add_sheet("Opportunities", pipeline(1))
    assert "Opportunities" in open_book(google).read().tabs


def test_keys_come_from_urls():
    url = "https://docs.google.com/spreadsheets/d/1AbC-dEf_0123456789/edit#gid=0"
    assert spreadsheet_key(url) == "1AbC-dEf_0123456789"
    with pytest.raises(UsageError, match="not a Google Sheets address"):
        spreadsheet_key("https://example.com/nothing")
