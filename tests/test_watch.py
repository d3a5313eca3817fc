"""The watcher on a fake clock: ticks, failures and backoff, one writer, signals, log lines.

schedule reads ``datetime.now()`` itself, so the ``clock`` fixture freezes time with
time-machine and the watcher's ``sleep`` moves it: nothing here waits for real.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import threading
from pathlib import Path

import pytest
import time_machine

from sheetfunnel import init
from sheetfunnel.errors import ConfigError, Problem, UsageError, WorkbookLocked
from sheetfunnel.init_plan import init_plan
from sheetfunnel.lease import check_lease, iso_utc, read_lease
from sheetfunnel.locks import SheetLease, XlsxLock
from sheetfunnel.logs import configure_logging
from sheetfunnel.plan import CellWrite, WritePlan
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.watch import (
    RunOutcome,
    Watcher,
    make_job,
    parse_at,
    parse_interval,
    serve,
    stop_on_signals,
)
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.memory import MemoryWorkbook

START = dt.datetime(2026, 11, 24, 8, 0, 0)  # local time, as schedule sees it
TEN = dt.timedelta(minutes=10)


@pytest.fixture
def clock():
    with time_machine.travel(START.astimezone(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def lock(tmp_path: Path) -> XlsxLock:
    return XlsxLock(tmp_path / "pipeline.xlsx")


@pytest.fixture
def restore_logging():
    package = logging.getLogger("sheetfunnel")
    saved = package.handlers[:], package.level, package.propagate
    yield
    package.handlers[:], package.level, package.propagate = saved[0], saved[1], saved[2]


def watcher_for(job, clock, lock, **options) -> Watcher:
    options.setdefault("every", TEN)
    return Watcher(job, lock=lock, sleep=clock.shift, name="pipeline.xlsx", **options)


def since_start(moments: list[dt.datetime]) -> list[float]:
    return [(moment - START).total_seconds() / 60 for moment in moments]


def test_the_first_run_starts_at_once_then_one_per_interval(clock, lock, tmp_path):
    runs: list[dt.datetime] = []
    stop = threading.Event()

    def job():
        runs.append(dt.datetime.now())
        if len(runs) == 4:
            stop.set()
        return RunOutcome(rows=10, cells_written=0)

    assert watcher_for(job, clock, lock).run_forever(stop) == 0
    assert since_start(runs) == [0, 10, 20, 30]
    other = XlsxLock(tmp_path / "pipeline.xlsx")
    other.acquire()  # the watcher let go of the workbook on its way out
    other.release()


def test_a_failed_run_is_logged_and_retried_with_growing_delay(clock, lock, caplog):
    broken = ConfigError([Problem("Scoring!C4", "Weight must be a number, not 'high'.")])
    outcomes = iter([broken, broken, RuntimeError("disk on fire"), None, broken, None])
    runs: list[dt.datetime] = []
    stop = threading.Event()

    def job():
        runs.append(dt.datetime.now())
        outcome = next(outcomes)
        if len(runs) == 6:
            stop.set()
        if outcome is not None:
            raise outcome
        return RunOutcome(rows=3, cells_written=2)

    watcher = watcher_for(job, clock, lock)
    with caplog.at_level(logging.INFO, logger="sheetfunnel"):
        watcher.run_forever(stop)
    # failures 1, 2, 3 wait 1, 2, 4 intervals; a good run resets the count
    assert since_start(runs) == [0, 10, 30, 70, 80, 90]
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed][1] == (
        "Run failed after 0.0 s (2 in a row): The configuration has 1 problem(s): "
        "Scoring!C4: Weight must be a number, not 'high'. Next try in 20 min.")
    assert "Unexpected error: RuntimeError('disk on fire')" in failed[2].getMessage()
    assert [r.outcome for r in caplog.records if getattr(r, "event", "") == "run"] == [
        "failed", "failed", "skipped", "failed", "skipped", "skipped", "skipped", "ok",
        "failed", "ok"]
    assert watcher.failures == 0


def test_backoff_is_capped(clock, lock):
    runs: list[dt.datetime] = []

    def job():
        runs.append(dt.datetime.now())
        raise ConfigError([])

    watcher = watcher_for(job, clock, lock, max_backoff=2)
    watcher.run_now()
    while len(runs) < 5:
        watcher.run_pending_once()
        clock.shift(60)
    assert since_start(runs) == [0, 10, 30, 50, 70]


def test_a_daily_time_runs_as_well_and_a_tick_on_the_same_minute_runs_once(clock, lock):
    runs: list[dt.datetime] = []

    def job():
        runs.append(dt.datetime.now())
        return RunOutcome()

    watcher = watcher_for(job, clock, lock, every=dt.timedelta(hours=1), at="9:30")
    watcher.run_now()
    for _ in range(4 * 60):
        watcher.run_pending_once()
        clock.shift(60)
    assert [r.strftime("%H:%M") for r in runs] == ["08:00", "09:00", "09:30", "10:00", "11:00"]

    runs.clear()
    watcher = watcher_for(job, clock, lock, every=dt.timedelta(hours=1), at="13:00")
    for _ in range(61):
        watcher.run_pending_once()
        clock.shift(60)
    assert [r.strftime("%H:%M") for r in runs] == ["13:00"]


def test_a_run_takes_its_duration_from_the_clock(clock, lock):
    def job():
        clock.shift(90)
        return RunOutcome(rows=200, cells_written=4001)

    assert watcher_for(job, clock, lock).run_now() == RunOutcome(200, 4001, 90.0)


def test_a_second_watcher_is_refused_while_the_first_holds_the_file(clock, lock, tmp_path,
                                                                     caplog):
    ran: list[str] = []
    first = watcher_for(lambda: ran.append("first") or RunOutcome(), clock, lock)
    second = watcher_for(lambda: ran.append("second") or RunOutcome(), clock,
                         XlsxLock(tmp_path / "pipeline.xlsx"))
    first.run_now()
    with caplog.at_level(logging.WARNING, logger="sheetfunnel"):
        refused = second.run_now()
    assert not refused.ok
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings[0].getMessage().startswith("Run refused: Another sheetfunnel (")
    assert warnings[0].getMessage().endswith(" Asking again at the next run.")
    assert second.failures == 0  # a refusal is not a failure: the next tick asks again

    stop = threading.Event()
    stop.set()
    first.run_forever(stop)  # runs once more, then stops and lets go
    assert second.run_now().ok
    assert ran == ["first", "first", "second"]


def test_a_watcher_that_finds_the_file_held_as_it_starts_exits_3_and_never_runs(
        clock, lock, tmp_path, caplog):
    lock.acquire()  # another watcher, working on the file
    ran: list[str] = []
    second = watcher_for(lambda: ran.append("second") or RunOutcome(), clock,
                         XlsxLock(tmp_path / "pipeline.xlsx"))
    with caplog.at_level(logging.INFO, logger="sheetfunnel"):
        assert second.run_forever(threading.Event()) == 3
    assert ran == []
    refusal = caplog.records[-1]
    assert refusal.levelno == logging.ERROR and refusal.outcome == "refused"
    assert refusal.getMessage().startswith("Refused to start: Another sheetfunnel (")
    assert refusal.getMessage().endswith(
        "Exiting with code 3; started again (systemd's Restart=on-failure), the watcher "
        "takes the workbook once it is free.")
    lock.release()
    stop = threading.Event()
    stop.set()
    assert second.run_forever(stop) == 0  # started again once the other let go: it works
    assert ran == ["second"]


def sheet_watcher(workbook, holder, clock, job):
    lease = SheetLease(workbook, holder=holder, duration=dt.timedelta(minutes=30),
                       sleep=lambda _: None)
    return watcher_for(job, clock, lease)


def test_a_sheet_lease_is_taken_over_once_a_crashed_holder_s_lease_runs_out(clock):
    workbook, ran = MemoryWorkbook(), []
    first = sheet_watcher(workbook, "hq:41:aaa", clock, lambda: ran.append("hq") or RunOutcome())
    second = sheet_watcher(workbook, "branch:7:bbb", clock,
                           lambda: ran.append("branch") or RunOutcome())
    first.run_now()  # then the first machine dies without releasing

    clock.shift(10 * 60)
    refused = second.run_now()
    expiry = iso_utc(START.astimezone() + dt.timedelta(minutes=30))
    assert refused.message.startswith(f"Another sheetfunnel (hq:41:aaa) holds this workbook "
                                      f"until {expiry}")
    clock.shift(21 * 60)
    assert second.run_now().ok
    assert read_lease(workbook.tabs[STATE_TAB]).holder == "branch:7:bbb"
    assert not first.run_now().ok  # back from the dead, it finds the workbook taken
    assert ran == ["hq", "branch"]


def test_a_watcher_that_finds_a_live_lease_as_it_starts_exits_3_and_takes_it_once_run_out(
        emulator, clock, caplog):
    emulator.add_sheet("Sheet1")
    SheetLease(open_book(emulator), holder="hq:41:aaa", duration=dt.timedelta(minutes=30),
               sleep=lambda _: None).acquire()  # then hq dies without releasing
    ran: list[str] = []
    stop = threading.Event()
    branch = sheet_watcher(open_book(emulator), "branch:7:bbb", clock,
                           lambda: ran.append("branch") or stop.set() or RunOutcome())
    with caplog.at_level(logging.ERROR, logger="sheetfunnel"):
        assert branch.run_forever(stop) == 3
    assert ran == []
    (refusal,) = caplog.records
    assert refusal.getMessage().startswith(
        "Refused to start: Another sheetfunnel (hq:41:aaa) holds this workbook until ")
    assert read_lease(emulator.grid(STATE_TAB)).holder == "hq:41:aaa"

    clock.shift(31 * 60)  # systemd started it again, after hq's lease ran out
    assert branch.run_forever(stop) == 0
    assert ran == ["branch"]
    assert read_lease(emulator.grid(STATE_TAB)).holder is None  # released on the way out


def test_a_lease_lost_while_running_is_a_warning_and_asked_for_at_each_tick(clock, caplog):
    workbook, ran = MemoryWorkbook(), []
    stop = threading.Event()
    other = SheetLease(workbook, holder="branch:7:bbb", duration=dt.timedelta(minutes=25),
                       sleep=lambda _: None)

    def job():  # checks the lease as run_once does
        check_lease(workbook.tabs.get(STATE_TAB), "hq:41:aaa", dt.datetime.now(dt.UTC))
        ran.append(dt.datetime.now())
        if len(ran) == 1:  # hq's lease is cleared by hand; branch takes the free workbook
            workbook.tabs[STATE_TAB][1] = ["lease"]
            other.acquire()
        if len(ran) == 2:
            stop.set()
        return RunOutcome(rows=1)

    watcher = sheet_watcher(workbook, "hq:41:aaa", clock, job)
    with caplog.at_level(logging.WARNING, logger="sheetfunnel"):
        assert watcher.run_forever(stop) == 0
    # 8:10 the run finds branch's lease; 8:20 so does taking it again; 8:30 it has run out
    assert since_start(ran) == [0, 30]
    assert [r.getMessage()[:55] for r in caplog.records] == [
        "Run refused: Another sheetfunnel (branch:7:bbb) holds t"] * 2
    assert all(r.levelno == logging.WARNING and r.outcome == "locked" for r in caplog.records)
    assert watcher.failures == 0


def test_the_watcher_that_loses_the_race_for_a_new_sheet_logs_a_refusal(emulator, clock,
                                                                        caplog):
    """Both see a sheet without the state tab; the other creates it first, so Google refuses
    this one's own "add the tab": that is a lost race, a warning naming the winner."""
    emulator.add_sheet("Sheet1")
    winner = SheetLease(open_book(emulator), holder="branch:7:bbb", sleep=lambda _: None)
    raced: list[str] = []

    def other_machine_first(call) -> None:
        if call.kind == "get" and not raced:
            raced.append(call.kind)
            winner.acquire()
    emulator.hooks.append(other_machine_first)
    loser = sheet_watcher(open_book(emulator), "hq:41:aaa", clock, lambda: RunOutcome())
    with caplog.at_level(logging.INFO, logger="sheetfunnel"):
        outcome = loser.run_now()
    assert not outcome.ok and loser.failures == 0
    (record,) = [r for r in caplog.records if r.name == "sheetfunnel.watch"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("Run refused: Another sheetfunnel (branch:7:bbb) "
                                          "holds this workbook until ")
    assert read_lease(emulator.grid(STATE_TAB)).holder == "branch:7:bbb"
    assert [c.status for c in emulator.calls if c.kind == "batchUpdate"] == [200, 400]


def test_on_a_quiet_pipeline_only_the_lease_row_changes(clock):
    workbook, ran = MemoryWorkbook(), []
    stop = threading.Event()

    def job():
        ran.append(dt.datetime.now())
        if len(ran) == 7:
            stop.set()
        return RunOutcome(rows=200)

    sheet_watcher(workbook, "hq:41:aaa", clock, job).run_forever(stop)
    assert since_start(ran) == [0, 10, 20, 30, 40, 50, 60]
    assert workbook.writes[:5] == [(STATE_TAB, 1, col) for col in range(1, 6)]  # the header
    lease_writes = [w for w in workbook.writes if w[1] == 2]
    assert len(lease_writes) == len(workbook.writes) - 5
    # taken at 8:00, renewed when under half of 30 min was left (8:20, 8:40, 9:00), released
    assert [w[2] for w in lease_writes] == [1, 2, 3, 3, 3, 3, 2, 3]
    assert workbook.tabs[STATE_TAB][1] == ["lease"]


def test_a_signal_mid_run_lets_the_run_finish_then_the_watcher_exits_0(clock, lock, caplog):
    workbook, runs = MemoryWorkbook(), []

    def job():
        runs.append(dt.datetime.now())
        os.kill(os.getpid(), signal.SIGTERM)
        workbook.apply(WritePlan(cells=(CellWrite("Summary", 1, 1, "written after"),)))
        return RunOutcome(rows=1, cells_written=1)

    workbook.tabs["Summary"] = []
    before = signal.getsignal(signal.SIGTERM)
    with caplog.at_level(logging.INFO, logger="sheetfunnel"), \
            stop_on_signals(threading.Event()) as stop:
        code = watcher_for(job, clock, lock).run_forever(stop)
    assert code == 0
    assert since_start(runs) == [0]
    assert workbook.tabs["Summary"] == [["written after"]]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[1:] == ["Received SIGTERM: finishing the current run, then stopping.",
                            "Run ok: 1 rows, 1 cells written in 0.0 s.",
                            "Stopped watching pipeline.xlsx."]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_signal_stops_at_once():
    with pytest.raises(KeyboardInterrupt), stop_on_signals(threading.Event()) as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.is_set()
        os.kill(os.getpid(), signal.SIGINT)


def test_a_double_sigterm_mid_run_exits_143_and_lets_go_of_the_file(tmp_path, monkeypatch,
                                                                     caplog):
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="en", demo=False, force=True, as_of=START.date())

    def job():
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("a second SIGTERM stops the run at once")

    monkeypatch.setattr("sheetfunnel.watch.make_job", lambda *_, **__: job)
    monkeypatch.setattr("sheetfunnel.logs.configure_logging", lambda *_: None)
    before = signal.getsignal(signal.SIGTERM)
    with caplog.at_level(logging.INFO, logger="sheetfunnel"):
        code = serve(path, sheet=None, config_file=None, every="10m", at=None,
                     log_format="text", log_level="INFO",
                     open_workbook=lambda: XlsxWorkbook(path))
    assert code == 143
    assert caplog.records[-1].getMessage() == (
        "Received SIGTERM again: stopped at once, the run under way cut short (the next run "
        "writes what it left). Exit code 143.")
    assert signal.getsignal(signal.SIGTERM) is before
    other = XlsxLock(path)
    other.acquire()  # let go on the way out
    other.release()


def test_json_logs_carry_one_object_per_run(clock, lock, capsys, restore_logging):
    configure_logging("json", "info")
    watcher_for(lambda: RunOutcome(rows=200, cells_written=14), clock, lock).run_now()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert {k: entry[k] for k in ("level", "logger", "message", "event", "outcome", "started",
                                  "seconds", "rows", "cells_written", "workbook")} == {
        "level": "INFO", "logger": "sheetfunnel.watch",
        "message": "Run ok: 200 rows, 14 cells written in 0.0 s.", "event": "run",
        "outcome": "ok", "started": "2026-11-24T08:00:00", "seconds": 0.0, "rows": 200,
        "cells_written": 14, "workbook": "pipeline.xlsx"}


def test_text_logs_are_one_line_per_run_with_level(clock, lock, capsys, restore_logging):
    configure_logging("text", "WARNING")
    watcher = watcher_for(lambda: RunOutcome(rows=5), clock, lock)
    watcher.run_now()
    watcher.job = lambda: (_ for _ in ()).throw(ConfigError([Problem("Stages!B3", "bad")]))
    watcher.run_now()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert " ERROR   Run failed after 0.0 s (1 in a row): The configuration has 1 problem(s): " \
           "Stages!B3: bad Next try in 10 min." in lines[0]


def test_bad_logging_options_are_a_sentence():
    with pytest.raises(UsageError, match="--log-format text or json"):
        configure_logging("xml", "INFO")


def test_a_real_workbook_is_judged_each_run_and_a_quiet_rerun_writes_nothing(tmp_path, as_of):
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="en", demo=True, force=True, as_of=as_of)
    job = make_job(lambda: XlsxWorkbook(path), today=lambda: as_of)
    watcher = Watcher(job, every=TEN, lock=XlsxLock(path), sleep=lambda _: None)
    first, second = watcher.run_now(), watcher.run_now()
    assert (first.ok, first.rows, second.rows, second.cells_written) == (True, 720, 720, 0)
    assert first.cells_written > 1000
    assert (tmp_path / "pipeline.xlsx.lock").exists()


def test_on_a_google_sheet_the_watcher_s_own_lease_does_not_stop_its_runs(emulator, as_of):
    starter = init_plan("en", demo=True, as_of=as_of)
    open_book(emulator).apply(starter)
    lease = SheetLease(open_book(emulator), holder="hq:41:aaa", sleep=lambda _: None)
    job = make_job(lambda: open_book(emulator), today=lambda: as_of, writer=lease.holder)
    watcher = Watcher(job, every=TEN, lock=lease, sleep=lambda _: None)
    first, second = watcher.run_now(), watcher.run_now()
    assert (first.ok, first.rows, second.ok, second.cells_written) == (True, 720, True, 0)
    assert read_lease(emulator.grid(STATE_TAB)).holder == "hq:41:aaa"
    lease_reads = [c.params["ranges"] for c in emulator.calls if c.kind == "values.batchGet"
                   and c.params["ranges"] == [f"'{STATE_TAB}'"]]
    assert lease_reads  # taking the lease reads the state tab alone, not the pipeline
    stranger = make_job(lambda: open_book(emulator), today=lambda: as_of, writer="x:1:bbb")
    with pytest.raises(WorkbookLocked, match=r"Another sheetfunnel \(hq:41:aaa\)"):
        stranger()


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200),
                                               ("1d", 86400), (" 15M ", 900), ("10 m", 600)])
def test_intervals(text, seconds):
    assert parse_interval(text).total_seconds() == seconds


@pytest.mark.parametrize(("text", "says"), [
    ("10", "is not an interval"), ("ten minutes", "is not an interval"),
    ("0m", "is not an interval"), ("1w", "is not an interval"), ("5s", "too often")])
def test_bad_intervals_are_sentences(text, says):
    with pytest.raises(UsageError, match=says):
        parse_interval(text)


def test_times_of_day():
    assert [parse_at(t) for t in ("8:00", "08:00", "23:59", None)] == [
        "08:00", "08:00", "23:59", None]
    with pytest.raises(UsageError, match="HH:MM on a 24-hour clock"):
        parse_at("8am")
