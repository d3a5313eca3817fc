"""Faults of the network and of Google's sign-in service, on the Google Sheets path.

Over real HTTP on 127.0.0.1 (``SheetsEmulator.serve``) an answer's body is cut by a connection
reset or trickled a byte at a time; the command runs with a one-second deadline per answer and
a budget of a few seconds for all tries (``SHEETFUNNEL_RESPONSE_DEADLINE``,
``SHEETFUNNEL_RETRY_BUDGET``), so no test waits more than a few seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.errors import UsageError, WorkbookUnreachable
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV, GoogleSheetsWorkbook
from sheetfunnel.workbook.retry import (
    BUDGET_ENV,
    DEADLINE_ENV,
    ResponseDeadline,
    RetryPolicy,
    within,
)
from tests.support.emulator import SheetsEmulator, rate_limited, service_account_file
from tests.support.gsheets import FakeTime, open_book, pipeline

KEY = "emulated-key"
AS_OF = "2026-11-24"


DEALS = 20


@pytest.fixture
def served(emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[SheetsEmulator]:
    """A small pipeline, answering over loopback HTTP with short deadlines."""
    emulator.add_sheet("Opportunities", [["ID", "Title", "Stage", "Amount"]] + [
        [f"OPP-{n}", f"Deal {n}", "Lead", 100 * n] for n in range(1, DEALS + 1)])
    monkeypatch.setenv(DEADLINE_ENV, "1")
    monkeypatch.setenv(BUDGET_ENV, "5")  # room for a retry on a busy machine
    with emulator.serve() as base_url:
        monkeypatch.setenv(ENDPOINT_ENV, base_url)
        yield emulator


@pytest.fixture
def key_file(served: SheetsEmulator, tmp_path: Path) -> Path:
    return service_account_file(tmp_path, served)


def run(key_file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", "--sheet", KEY, "--credentials", str(key_file),
                                      "--as-of", AS_OF])
    return result.exit_code, result.output


def scored(emulator: SheetsEmulator) -> int:
    """How many deals have a Score in the sheet."""
    deals = emulator.grid("Opportunities")
    score = deals[0].index("Score") if "Score" in deals[0] else None
    return 0 if score is None else sum(
        1 for row in deals[1:] if len(row) > score and isinstance(row[score], int | float))


def one_sentence(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "Traceback" not in out and lines[0].startswith("Error: ")
    return lines[0]


# -- retried, then the run completes ---------------------------------------------------------

def test_a_connection_reset_in_the_middle_of_an_answer_is_retried(served, key_file):
    served.reset_mid_body(1, kind="get")
    served.reset_mid_body(1, kind="values.batchGet")
    code, out = run(key_file)
    assert code == 0, out
    kinds = [c.kind for c in served.calls]
    assert kinds[:2] == ["get", "get"] and kinds.count("values.batchGet") >= 3
    assert scored(served) == DEALS and "Traceback" not in out


def test_an_answer_trickled_slower_than_the_deadline_is_abandoned_and_asked_again(served,
                                                                                  key_file):
    served.slow_drip(1, kind="values.batchGet", seconds=10)
    started = time.monotonic()
    code, out = run(key_file)
    assert code == 0, out
    assert 1 <= time.monotonic() - started < 9  # one deadline, not the ten-second drip
    assert [c.kind for c in served.calls][:3] == ["get", "values.batchGet", "values.batchGet"]
    assert scored(served) == DEALS


# -- retries exhausted: one sentence, exit 3, no false claim ---------------------------------

@pytest.mark.parametrize(("fault", "kind", "says"), [
    ("drip", "values.batchGet", "no complete answer"),
    ("reset", "values.batchUpdate", "the connection broke in the middle of an answer"),
    ("drip", "values.batchUpdate", "no complete answer within 1 second"),
])
def test_faults_that_outlast_the_budget_end_in_one_sentence_and_exit_3(served, key_file,
                                                                       monkeypatch, fault,
                                                                       kind, says):
    monkeypatch.setenv(BUDGET_ENV, "2")
    if fault == "reset":
        served.reset_mid_body(100, kind=kind)
    else:
        served.slow_drip(100, kind=kind, seconds=3)
    started = time.monotonic()
    code, out = run(key_file)
    assert code == 3
    assert time.monotonic() - started < 5  # the budget (2 s) and one deadline at most
    line = one_sentence(out)
    assert f"could not be reached: {says}" in line or "for all tries ran out" in line  # busy CI
    assert "the next run finishes any change this one left half-written" in line
    assert "nothing" not in line.lower()  # Google carried the write out: never deny it
    if kind == "values.batchUpdate":
        assert scored(served) == DEALS  # the write landed although its answer never arrived
    served.network_faults.clear()
    assert run(key_file)[0] == 0 and scored(served) == DEALS


def test_in_its_own_process_a_fault_is_a_sentence_on_stderr_and_exit_3(served, key_file):
    served.slow_drip(100, kind="get", seconds=3)
    done = subprocess.run(
        [sys.executable, "-m", "sheetfunnel.cli", "run", "--sheet", KEY, "--credentials",
         str(key_file)], capture_output=True, text=True, timeout=60,
        env={**os.environ, ENDPOINT_ENV: served.base_url, DEADLINE_ENV: "0.5",
             BUDGET_ENV: "1"})
    assert done.returncode == 3
    assert done.stderr.strip().startswith("Error: Google Sheets at ")
    assert "could not be reached: no complete answer" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# -- Google's sign-in service ----------------------------------------------------------------

@pytest.mark.parametrize("status", [503, 429])
def test_a_sign_in_service_that_stays_down_is_an_outage_not_refused_credentials(
        served, key_file, monkeypatch, status):
    monkeypatch.setenv(BUDGET_ENV, "2")
    served.fail_token(status, times=1000)
    code, out = run(key_file)
    assert code == 3
    line = one_sentence(out)
    assert f"Google's sign-in service answered {status}" in line
    assert "refused" not in line
    assert served.count() == 0  # no Sheets request went out without a token


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_outage_of_the_sign_in_service_is_retried_with_the_same_backoff(emulator,
                                                                           tmp_path, status):
    emulator.add_sheet("Opportunities", pipeline(1))
    key_file = service_account_file(tmp_path, emulator)
    emulator.fail_token(status, times=2)
    fake = FakeTime()
    book = GoogleSheetsWorkbook.open(KEY, session=emulator.session(), sleep=fake.sleep,
                                     clock=fake.clock, credentials_file=str(key_file))
    assert book.read().tabs["Opportunities"][1][0] == "OPP-00001"
    assert len(fake.sleeps) == 2  # our backoff, on the injected clock
    assert len(emulator.token_calls) == 3  # google-auth retried (and slept through) none


# -- messages ----------------------------------------------------------------------------

def test_a_429_shows_google_s_whole_sentence(emulator):
    emulator.add_sheet("Opportunities", pipeline(1))
    emulator.fail(429, times=1000)
    with pytest.raises(WorkbookUnreachable) as failure:
        open_book(emulator).read()
    quota = rate_limited({}).message  # "... service 'sheets.googleapis.com' for consumer ..."
    assert f"it answered 429 ({quota})" in str(failure.value)


# -- the deadline and the budget -------------------------------------------------------------

def test_deadline_and_budget_come_from_the_environment():
    assert (RetryPolicy().deadline, RetryPolicy().budget) == (60.0, 120.0)
    assert RetryPolicy().timeout == (10.0, 60.0)
    policy = RetryPolicy.from_environment({DEADLINE_ENV: "1.5", BUDGET_ENV: " 3 "})
    assert (policy.deadline, policy.budget, policy.timeout) == (1.5, 3.0, (1.5, 1.5))
    assert RetryPolicy.from_environment({DEADLINE_ENV: ""}) == RetryPolicy()
    for value in ("soon", "0", "-5", "nan", "inf"):
        with pytest.raises(UsageError, match=f"{BUDGET_ENV} must be a number of seconds"):
            RetryPolicy.from_environment({BUDGET_ENV: value})


def test_a_bad_deadline_variable_is_a_sentence_and_exit_2(served, key_file, monkeypatch):
    monkeypatch.setenv(DEADLINE_ENV, "a minute")
    code, out = run(key_file)
    assert code == 2 and f"{DEADLINE_ENV} must be a number of seconds" in out
    assert served.count() == 0


def test_no_single_wait_takes_more_than_a_quarter_of_the_budget():
    assert RetryPolicy().backoff(6, 0.5) == 30.0  # 32 s capped at 120 / 4
    assert RetryPolicy(budget=2).backoff(1, 1.0) == 0.75


def test_the_deadline_holds_the_whole_answer_not_the_silence_between_bytes():
    release = threading.Event()

    def trickle() -> object:
        release.wait(5)  # bounded: set right after the deadline passes
        return "late"
    started = time.monotonic()
    with pytest.raises(ResponseDeadline):
        within(0.2, trickle)
    assert time.monotonic() - started < 1
    release.set()
    assert within(1, lambda: "answer") == "answer"
    with pytest.raises(KeyError):
        within(1, lambda: {}["missing"])
