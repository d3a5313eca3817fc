"""The ``sheetfunnel`` command on a Google Sheet, as a user runs it: real HTTP to the Sheets
API emulator on 127.0.0.1, a real service-account key file, the real token exchange."""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.lease import read_lease
from sheetfunnel.locks import SheetLease
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV
from tests.support import robots
from tests.support.emulator import SheetsEmulator, service_account_file
from tests.support.gsheets import open_book
from tests.test_changes import assert_told_by_id

KEY = "emulated-key"
URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"


@pytest.fixture
def served(emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[SheetsEmulator]:
    """A new spreadsheet (one empty Sheet1) answering over loopback HTTP."""
    emulator.add_sheet("Sheet1")
    with emulator.serve() as base_url:
        monkeypatch.setenv(ENDPOINT_ENV, base_url)
        yield emulator


@pytest.fixture
def package_logging() -> Iterator[None]:
    """``watch`` configures the package logger; put it back for the tests that follow."""
    package = logging.getLogger("sheetfunnel")
    saved = list(package.handlers), package.level, package.propagate
    yield
    package.handlers[:], level, package.propagate = saved
    package.setLevel(level)


@pytest.fixture
def key_file(served: SheetsEmulator, tmp_path: Path) -> Path:
    return service_account_file(tmp_path, served)


def sheetfunnel(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_init_run_and_check_on_a_google_sheet(served, key_file, tmp_path):
    code, out = sheetfunnel("init", "--sheet", URL, "--credentials", key_file, "--demo",
                            "--as-of", "2026-11-24")
    assert code == 0, out
    assert "Pipeline (Google Sheet emulated-key)" in out
    titles = [s.title for s in served.sheets]
    assert titles[:4] == ["Sheet1", "Opportunities", "Customers", "Activities"]
    assert len(served.grid("Opportunities")) == 721

    report = tmp_path / "report.json"
    code, out = sheetfunnel("run", "--sheet", URL, "--credentials", key_file,
                            "--as-of", "2026-11-24", "--report", report)
    assert code == 0, out
    io = json.loads(report.read_text())["io"]
    # get, batchGet, ID re-read, read-back; structure, values
    assert (io["read_requests"], io["write_requests"]) == (4, 2)
    assert io["cells_written"] > 3000 and f"{io['cells_written']} cells written" in out
    header = served.grid("Opportunities")[0]
    assert header[-9:] == ["Score", "Grade", "Win %", "Weighted Amount", "Stage Entered",
                           "Days in Stage", "Flags", "Model Win %", "Why"]  # the demo's
    # closed deals train the win model
    assert served.sheet("_sheetfunnel").hidden

    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file,
                            "--as-of", "2026-11-24", "--report", report)
    assert code == 0, out
    again = json.loads(report.read_text())["io"]
    assert (again["read_requests"], again["write_requests"], again["cells_written"]) == (2, 0, 0)
    for tab in ("Summary", "Attention", "History"):  # the worker's tabs warn before an edit
        (protected,) = served.sheet(tab).protected
        assert protected["warningOnly"] and protected["range"].get("startRowIndex", 0) == 0

    code, out = sheetfunnel("check", "--sheet", KEY, "--credentials", key_file)
    assert (code, out.strip()) == (0, "720 of 720 deals that name a customer find it in the "
                                      "Customers tab.\nThe configuration is valid.")
    assert {c["grant_type"] for c in served.token_calls} == {
        "urn:ietf:params:oauth:grant-type:jwt-bearer"}


def test_a_dry_run_tells_each_change_by_id_with_old_and_new_value(served, key_file):
    sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo", "--as-of",
                "2026-11-24")
    assert sheetfunnel("run", "--sheet", KEY, "--credentials", key_file, "--as-of",
                       "2026-11-24")[0] == 0
    kinds = ("batchUpdate", "values.batchUpdate", "values.batchClear", "values.update")
    writes = served.count(*kinds)
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file, "--as-of",
                            "2026-11-25", "--dry-run")
    assert code == 0, out
    assert_told_by_id(out)
    assert writes > 0 and served.count(*kinds) == writes


def test_init_on_a_sheet_that_has_the_tabs_adds_nothing(served, key_file):
    assert sheetfunnel("init", "--sheet", KEY, "--credentials", key_file)[0] == 0
    before = served.count()
    code, out = sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")
    assert code == 0, out
    assert [c.kind for c in served.calls[before:]] == ["get"]  # titles only: no values read
    assert len(served.grid("Opportunities")) == 1  # the demo rows were not poured in


def test_credentials_can_come_from_the_environment(served, key_file, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    assert sheetfunnel("init", "--sheet", KEY)[0] == 0
    code, out = sheetfunnel("check", "--sheet", KEY)
    assert (code, out.strip()) == (0, "The configuration is valid.")
    assert served.token_calls and served.grid("Stages")[0][0] == "Stage"  # signed in, written


def test_a_rate_limit_is_waited_out(served, key_file):
    sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")
    served.fail(429, times=2, retry_after="0")
    before = served.count()
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 0, out
    statuses = [(c.kind, c.status) for c in served.calls[before:]]
    assert statuses[:3] == [("get", 429), ("get", 429), ("get", 200)]  # the same read, again
    assert statuses.count(("values.batchUpdate", 200)) == 1
    deals = served.grid("Opportunities")
    score = deals[0].index("Score")
    assert all(isinstance(row[score], int | float) for row in deals[1:])  # every deal scored


def test_a_sheet_not_shared_with_the_worker_says_whom_to_share_it_with(served, key_file):
    served.access = "none"
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 3
    assert "Share the spreadsheet with worker@emulated-project.iam.gserviceaccount.com as an " \
           "Editor" in " ".join(out.split())
    assert "Traceback" not in out


def test_a_wrong_key_is_a_sentence_and_watch_stops_at_once(served, key_file, package_logging):
    for command in ("run", "check", "watch"):
        code, out = sheetfunnel(command, "--sheet", "1NoSuchSheet0123456789", "--credentials",
                                key_file)
        assert code == 2, (command, out)
        assert "No Google Sheet with the key 1NoSuchSheet0123456789 was found" in out
    assert served.count("missing") == 3


def test_without_credentials_the_command_says_how_to_give_them(served):
    code, out = sheetfunnel("run", "--sheet", KEY)
    assert code == 2
    assert "--credentials FILE" in out and "GOOGLE_APPLICATION_CREDENTIALS" in out
    assert served.count() == 0


def test_a_run_waits_its_turn_while_a_watcher_holds_the_lease(served, key_file):
    sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")
    for col, value in enumerate(["lease", "hq:41:aaa", "2999-01-01T00:00:00Z"], start=1):
        served.set_cell("_sheetfunnel", 2, col, value)  # init made the tab; a watcher holds it
    before = served.count()
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 3
    assert "Another sheetfunnel (hq:41:aaa) holds this workbook until 2999-01-01T00:00:00Z" \
        in " ".join(out.split())
    assert [c.kind for c in served.calls[before:]] == ["get", "values.batchGet"]
    assert sheetfunnel("run", "--sheet", KEY, "--credentials", key_file, "--dry-run")[0] == 0

    served.set_cell("_sheetfunnel", 2, 3, "2020-01-01T00:00:00Z")  # the watcher died long ago
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 0, out


def test_a_watcher_that_finds_the_lease_held_as_it_starts_exits_3(served, key_file,
                                                                    package_logging):
    sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")
    for col, value in enumerate(["lease", "hq:41:aaa", "2999-01-01T00:00:00Z"], start=1):
        served.set_cell("_sheetfunnel", 2, col, value)  # another watcher holds it
    code, out = sheetfunnel("watch", "--sheet", KEY, "--credentials", key_file)
    assert code == 3
    assert "Refused to start: Another sheetfunnel (hq:41:aaa) holds this workbook until " \
           "2999-01-01T00:00:00Z" in out and "Exiting with code 3" in out
    assert "Traceback" not in out
    assert "Score" not in served.grid("Opportunities")[0]  # it never ran
    assert read_lease(served.grid(STATE_TAB)).holder == "hq:41:aaa"


def test_a_run_that_loses_a_new_sheet_to_a_starting_watcher_is_refused(served, key_file):
    """The run read a sheet without the state tab; a watcher took the lease (creating the
    tab) before the run wrote: a refusal naming the watcher, exit 3, never an error."""
    served.add_sheet("Opportunities", [["ID", "Stage", "Amount"], ["OPP-1", "Lead", 1000]])
    watcher = SheetLease(open_book(served, credentials_file=str(key_file)), holder="hq:41:aaa",
                         sleep=lambda _: None)
    raced: list[str] = []

    def watcher_starts(call) -> None:
        if call.kind == "values.batchGet" and not raced:
            raced.append(call.kind)
            watcher.acquire()
    served.hooks.append(watcher_starts)
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 3
    assert out.startswith("Refused: Another sheetfunnel (hq:41:aaa) holds this workbook until ")
    assert "Error" not in out and "report this" not in out
    assert "Score" not in served.grid("Opportunities")[0]  # nothing of the run was written


def test_protection_warns_on_owned_columns_and_never_on_a_person_s_column_between(served,
                                                                                   key_file):
    served.add_sheet("Opportunities", [
        ["ID", "Stage", "Amount", "Score", "My notes", "Grade", "Win %", "Weighted Amount",
         "Stage Entered", "Days in Stage", "Flags"],
        ["OPP-1", "Lead", 1000, None, "call Tue"]])
    assert sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)[0] == 0
    spans = sorted((p["range"].get("startColumnIndex"), p["range"].get("endColumnIndex"))
                   for p in served.sheet("Opportunities").protected)
    assert spans == [(3, 4), (5, 11)]  # Score; Grade..Flags; "My notes" (index 4) is free
    assert all(p["warningOnly"] for p in served.sheet("Opportunities").protected)
    assert served.grid("Opportunities")[1][4] == "call Tue"


def key_chunks(key: str, size: int = 24) -> set[str]:
    """Every ``size``-character stretch of the key: as in the file, on one line, JSON-escaped
    and as Python would quote it."""
    forms = {key, "".join(key.split()), json.dumps(key)[1:-1], repr(key)[1:-1]}
    return {form[i:i + size] for form in forms for i in range(len(form) - size + 1)}


def leaked(texts: list[str], chunks: set[str], size: int = 24) -> list[str]:
    return [text[i:i + size] for text in texts for i in range(len(text) - size + 1)
            if text[i:i + size] in chunks]


def notify_through_fakes(emulator: SheetsEmulator, tmp_path: Path, key_file: Path) -> list[str]:
    """``notify --send`` on the Google Sheet to the local fake robots: the row links carry the
    tab's gid and the row's range; a refused secret is exit code 4. Returns the outputs."""
    fake = robots.Robots()
    server = robots.start(fake)
    try:
        emulator.add_sheet("Notify", [
            ["Name", "Role", "Covers", "Channel", "Mention", "Email", "Digest At"],
            ["Alice Chen", "rep", "", "sales-dingtalk", "13800000001", "", "08:30"],
            ["Grace Wu", "manager", "", "sales-slack", "U0GRACE", "", "08:30"]])
        good, bad = tmp_path / "notify.toml", tmp_path / "notify-bad.toml"
        good.write_text(robots.notify_toml(fake.url), encoding="utf-8")
        bad.write_text(robots.notify_toml(fake.url, dingtalk_secret="SECrefused-9999"),
                       encoding="utf-8")
        moment = ("--as-of", "2026-11-24T10:00")
        refused = sheetfunnel("notify", "--sheet", KEY, "--credentials", key_file,
                              "--notify-config", bad, *moment, "--send")
        assert refused[0] == 4 and "channel 'sales-dingtalk' was refused" in refused[1]
        sent = sheetfunnel("notify", "--sheet", KEY, "--credentials", key_file,
                           "--notify-config", good, *moment, "--send")
        assert sent[0] == 0, sent[1]
        text = fake.received["dingtalk"][0]["markdown"]["text"]
        gid = next(s.sheet_id for s in emulator.sheets if s.title == "Opportunities")
        assert f"/d/{KEY}/edit#gid={gid}&range=A" in text
        return [refused[1], sent[1], bad.name]
    finally:
        server.shutdown()
        server.server_close()


#: Credentials files that cannot work, each holding the private key somewhere it should not be.
BROKEN_FILES: dict[str, Callable[[dict, str], object]] = {
    "private_key is a list": lambda info, key: {**info, "private_key": key.splitlines()},
    "private_key is an object": lambda info, key: {**info, "private_key": {"pem": key}},
    "private_key is a list in a list": lambda info, key: {**info, "private_key": [[key]]},
    "private_key is cut short": lambda info, key: {**info, "private_key": key[:900]},
    "private_key without its PEM lines": lambda info, key: {
        **info, "private_key": "".join(key.splitlines()[1:-1])},
    "the key as the type": lambda info, key: {**info, "type": key},
    "the key in a list as the type": lambda info, key: {**info, "type": [key]},
    "the key as the e-mail": lambda info, key: {**info, "client_email": key},
    "the key as the token_uri": lambda info, key: {**info, "token_uri": key},
    "client_email missing": lambda info, key: {k: v for k, v in info.items()
                                               if k != "client_email"},
    "token_uri missing": lambda info, key: {k: v for k, v in info.items() if k != "token_uri"},
    "a list around the file": lambda info, key: [info],
    "only the key, as a JSON string": lambda info, key: key,
    "an authorized user whose secrets are the key": lambda info, key: {
        "type": "authorized_user", "client_id": "c.apps", "client_secret": key,
        "refresh_token": key, "token_uri": info["token_uri"]},
    "an authorized user with the key as its client_id": lambda info, key: {
        "type": "authorized_user", "client_id": [key], "client_secret": "s",
        "refresh_token": "r"},
}


def test_no_secret_reaches_the_output_the_report_or_the_sheet(served, key_file, tmp_path,
                                                              monkeypatch, package_logging):
    """Every way a credentials file can fail, and the runs that work: no output, log line,
    report or cell holds any 24 characters of the private key, nor a token."""
    info = json.loads(key_file.read_text())
    key = info["private_key"]
    report = tmp_path / "report.json"
    outputs = [sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")[1],
               sheetfunnel("run", "--sheet", KEY, "--credentials", key_file,
                           "--report", report)[1]]
    for name, damage in BROKEN_FILES.items():
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps(damage(info, key)), encoding="utf-8")
        for command in ("run", "check"):
            code, out = sheetfunnel(command, "--sheet", KEY, "--credentials", broken)
            assert code == 2 and out.startswith("Error: The credentials file") or \
                "Google refused the credentials" in out, (name, out)
            outputs.append(out)
    notified = notify_through_fakes(served, tmp_path, key_file)
    outputs += notified
    (tmp_path / "broken.json").write_text(key, encoding="utf-8")  # not JSON at all
    outputs.append(sheetfunnel("run", "--sheet", KEY, "--credentials", tmp_path / "broken.json")[1])
    assert "cannot be read as JSON" in outputs[-1]

    monkeypatch.setenv("SHEETFUNNEL_RETRY_BUDGET", "1")
    served.fail_token(503, times=1000)  # Google's sign-in service is down
    code, down = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)
    assert code == 3 and "Google's sign-in service answered 503" in down
    served.token_outages.clear()
    del served.service_accounts["worker@emulated-project.iam.gserviceaccount.com"]  # revoked
    for command in ("run", "watch"):
        code, refused = sheetfunnel(command, "--sheet", KEY, "--credentials", key_file)
        assert code == 2 and "Google refused the credentials" in refused
        outputs += [down, refused]
    everything = [*outputs, report.read_text()] + [
        json.dumps(served.grid(sheet.title), default=str, ensure_ascii=False)
        for sheet in served.sheets]
    assert served.tokens and not leaked(everything, key_chunks(key))
    assert not [secret for secret in robots.SECRETS if secret in "\n".join(everything)]
    assert not [token for token in served.tokens if token in "\n".join(everything)]


def test_a_person_s_other_tabs_are_never_read(served, key_file):
    sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")
    served.add_sheet("Commissions", [["Owner", "Salary"], ["Ana", 98000]])
    before = served.count()
    assert sheetfunnel("run", "--sheet", KEY, "--credentials", key_file)[0] == 0
    reads = [c for c in served.calls[before:] if c.kind == "values.batchGet"]
    read_tabs = {r.split("!")[0].strip("'") for c in reads for r in c.params["ranges"]}
    assert "Commissions" not in read_tabs and "Sheet1" not in read_tabs
    assert {"Opportunities", "Customers", "Activities", "Settings", "Stages"} <= read_tabs


def test_a_tab_named_in_settings_is_read_in_a_second_pass(served, key_file, tmp_path):
    served.add_sheet("Deals 2026", [["ID", "Stage", "Amount"], ["D-1", "Lead", 500]])
    served.add_sheet("Settings", [["Key", "Value"], ["tab.opportunities", "Deals 2026"]])
    report = tmp_path / "report.json"
    code, out = sheetfunnel("run", "--sheet", KEY, "--credentials", key_file,
                            "--report", report)
    assert code == 0, out
    assert [c.kind for c in served.calls[:3]] == ["get", "values.batchGet", "values.batchGet"]
    assert served.calls[2].params["ranges"] == ["'Deals 2026'"]
    assert json.loads(report.read_text())["counts"]["opportunities"] == 1
    assert "Score" in served.grid("Deals 2026")[0]


def test_watch_on_a_google_sheet_runs_holds_the_lease_and_stops_on_sigterm(served, key_file):
    """The real command in its own process, over HTTP, stopped the way systemd stops it."""
    assert sheetfunnel("init", "--sheet", KEY, "--credentials", key_file, "--demo")[0] == 0
    watcher = subprocess.Popen(
        [sys.executable, "-m", "sheetfunnel.cli", "watch", "--sheet", KEY, "--credentials",
         str(key_file), "--every", "10m", "--log-format", "json"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, ENDPOINT_ENV: served.base_url})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in watcher.stderr],
                     daemon=True).start()

    def next_event(deadline: float = 60) -> dict:
        while not (line := lines.get(timeout=deadline)).startswith("{"):
            pass  # not a log record (a library's own warning)
        return json.loads(line)

    try:
        events = [next_event(), next_event()]
        assert events[0]["message"].startswith("Watching Pipeline (Google Sheet emulated-key)")
        assert events[1]["outcome"] == "ok" and events[1]["cells_written"] > 3000
        assert read_lease(served.grid(STATE_TAB)).holder is not None  # held while it works
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=30) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert [e["message"] for e in (next_event(5) for _ in range(2))][-1].startswith(
        "Stopped watching")
    assert read_lease(served.grid(STATE_TAB)).holder is None  # released on the way out
    assert "Score" in served.grid("Opportunities")[0]
