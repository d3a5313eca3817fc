"""The watcher, driven by a fake clock: ticks, failures and backoff, locks, leases, signals."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
from pathlib import Path

import pytest
import time_machine

from sheetfunnel.errors import ConfigError, Problem, UsageError, WorkbookLocked
from sheetfunnel.grid import Grid
from sheetfunnel.lease import SheetLease, XlsxLock
from sheetfunnel.plan import IOStats, WritePlan
from sheetfunnel.state import LEASE_ROW, STATE_TAB
from sheetfunnel.watch import RunOutcome, Watcher, parse_interval
from sheetfunnel.workbook.base import Snapshot

START = dt.datetime(2026, 11, 24, 8, 0, 0)


class MemoryWorkbook:
    """The Workbook protocol over dict grids: what the lease needs, nothing more."""

    def __init__(self) -> None:
        self.name = "memory"
        self.io = IOStats()
        self.tabs: dict[str, Grid] = {}

    def read(self) -> Snapshot:
        return Snapshot({k: [list(r) for r in v] for k, v in self.tabs.items()})

    def apply(self, plan: WritePlan) -> None:
        for spec in plan.tabs:
            self.tabs.setdefault(spec.title, [])
        for write in plan.cells:
            grid = self.tabs[write.tab]
            while len(grid) < write.row:
                grid.append([])
            row = grid[write.row - 1]
            row.extend([None] * (write.col - len(row)))
            row[write.col - 1] = write.value
            self.io.cells_written += 1


class NoLock:
    def __init__(self) -> None:
        self.released = False

    def hold(self) -> None:
        pass

    def release(self) -> None:
        self.released = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def watcher_for(job, clock, *, every=dt.timedelta(minutes=10), lock=None, **kwargs):
    return Watcher(job, every=every, lock=lock or NoLock(),
                   sleep=lambda seconds: clock.shift(seconds), monotonic=lambda: 0.0, **kwargs)


def test_the_first_run_starts_at_once_then_one_per_interval(clock):
    runs: list[dt.datetime] = []

    def job():
        runs.append(dt.datetime.now())
        if len(runs) == 4:
            watcher.stop.set()
        return RunOutcome(rows=10, cells_written=0)

    watcher = watcher_for(job, clock)
    assert watcher.run() == 0
    assert [r - START for r in runs] == [dt.timedelta(minutes=m) for m in (0, 10, 20, 30)]
    assert watcher.lock.released


def test_a_failed_run_is_logged_and_the_next_tick_tries_again_with_growing_delay(clock, caplog):
    outcomes = iter([ConfigError([Problem("Scoring!C4", "bad weight")]), ConfigError([]),
                     RuntimeError("disk on fire"), None, None])
    runs: list[dt.timedelta] = []

    def job():
        runs.append(dt.datetime.now() - START)
        outcome = next(outcomes)
        if len(runs) == 5:
            watcher.stop.set()
        if outcome is not None:
            raise outcome
        return RunOutcome(rows=1, cells_written=1)

    watcher = watcher_for(job, clock)
    with caplog.at_level(logging.INFO, logger="sheetfunnel"):
        watcher.run()
    # failures 1, 2, 3 skip 0, 1, 3 ticks; after the good run it is every tick again
    assert runs == [dt.timedelta(minutes=m) for m in (0, 10, 30, 70, 80)]
    assert "Scoring!C4: bad weight" in caplog.text
    assert "disk on fire" in caplog.text
    assert "Run ok: 1 rows, 1 cells written" in caplog.text
    assert watcher.failures == 0


def test_a_daily_time_runs_as_well(clock):
    runs: list[dt.datetime] = []

    def job():
        runs.append(dt.datetime.now())
        if len(runs) == 3:
            watcher.stop.set()
        return RunOutcome(0, 0)

    watcher = watcher_for(job, clock, every=dt.timedelta(hours=6), at="09:30")
    watcher.run()
    assert [r.strftime("%H:%M") for r in runs] == ["08:00", "09:30", "14:00"]


def test_a_signal_mid_run_lets_the_run_finish_then_exits_cleanly(clock):
    finished: list[bool] = []

    def job():
        os.kill(os.getpid(), signal.SIGTERM)
        finished.append(True)
        return RunOutcome(5, 5)

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    watcher = watcher_for(job, clock)
    try:
        watcher.handle_signals()
        assert watcher.run() == 0
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert finished == [True]
    assert watcher.lock.released


def test_a_second_watcher_on_the_same_file_is_refused(tmp_path: Path):
    book = tmp_path / "pipeline.xlsx"
    first, second = XlsxLock(book), XlsxLock(book)
    first.hold()
    try:
        with pytest.raises(WorkbookLocked, match="Another sheetfunnel is already working"):
            second.hold()
    finally:
        first.release()
    second.hold()
    second.release()


def test_a_sheet_lease_refuses_a_second_holder_until_it_expires():
    workbook = MemoryWorkbook()
    now = [dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)]
    first = SheetLease(workbook, duration=dt.timedelta(minutes=30), holder="a:1",
                       clock=lambda: now[0])
    second = SheetLease(workbook, duration=dt.timedelta(minutes=30), holder="b:2",
                        clock=lambda: now[0])
    first.hold()
    assert workbook.tabs[STATE_TAB][LEASE_ROW - 1][:2] == ["lease", "a:1"]
    with pytest.raises(WorkbookLocked, match=r"Another sheetfunnel \(a:1\) holds this workbook"):
        second.hold()
    now[0] += dt.timedelta(minutes=31)  # the first holder crashed: its lease runs out
    second.hold()
    assert second.current()[0] == "b:2"
    with pytest.raises(WorkbookLocked):
        first.hold()


def test_a_lease_is_renewed_only_when_half_spent_and_released_on_exit():
    workbook = MemoryWorkbook()
    now = [dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)]
    lease = SheetLease(workbook, duration=dt.timedelta(minutes=30), holder="a:1",
                       clock=lambda: now[0])
    lease.hold()
    written = workbook.io.cells_written
    now[0] += dt.timedelta(minutes=10)
    lease.hold()
    assert workbook.io.cells_written == written  # a quiet tick writes nothing
    now[0] += dt.timedelta(minutes=10)
    lease.hold()
    assert workbook.io.cells_written > written
    lease.release()
    assert lease.current() == (None, None)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200),
                                               ("1d", 86400), (" 15M ", 900)])
def test_intervals(text, seconds):
    assert parse_interval(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["10", "ten minutes", "0m", "5s", "1w"])
def test_bad_intervals_are_sentences(text):
    with pytest.raises(UsageError):
        parse_interval(text)
