"""One writer per workbook: the lock file beside an .xlsx and the lease inside a sheet."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sheetfunnel.errors import WorkbookLocked
from sheetfunnel.lease import lease_duration, read_lease
from sheetfunnel.locks import SheetLease, XlsxLock
from sheetfunnel.plan import WritePlan
from sheetfunnel.tabs.state import HEADER, STATE_TAB
from tests.support.memory import MemoryWorkbook

EIGHT = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


class Now:
    """A fake UTC clock that tests move by hand."""

    def __init__(self, moment: dt.datetime = EIGHT) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)


def lease_for(workbook, holder: str, now: Now, minutes: int = 30) -> SheetLease:
    return SheetLease(workbook, holder=holder, clock=now,
                      duration=dt.timedelta(minutes=minutes), sleep=now.sleep)


def test_a_free_workbook_is_taken_with_the_lease_row_in_the_hidden_state_tab():
    workbook, now = MemoryWorkbook(), Now()
    lease = lease_for(workbook, "hq:41:a1b2c3", now)
    lease.acquire()
    assert workbook.tabs[STATE_TAB] == [list(HEADER),
                                        ["lease", "hq:41:a1b2c3", "2026-11-24T08:30:00Z"]]
    assert STATE_TAB in workbook.hidden
    assert lease.expires == EIGHT + dt.timedelta(minutes=30)
    assert read_lease(workbook.tabs[STATE_TAB]).holder == "hq:41:a1b2c3"


def test_a_second_holder_is_refused_until_the_lease_runs_out():
    workbook, now = MemoryWorkbook(), Now()
    first, second = lease_for(workbook, "hq:41:aaa", now), lease_for(workbook, "branch:7:bbb", now)
    first.acquire()
    with pytest.raises(WorkbookLocked) as refused:
        second.acquire()
    assert str(refused.value).startswith(
        "Another sheetfunnel (hq:41:aaa) holds this workbook until 2026-11-24T08:30:00Z")
    assert workbook.tabs[STATE_TAB][1][1] == "hq:41:aaa"

    now.moment = EIGHT + dt.timedelta(minutes=31)  # the first holder crashed: its lease ran out
    second.acquire()
    assert workbook.tabs[STATE_TAB][1] == ["lease", "branch:7:bbb", "2026-11-24T09:01:00Z"]
    with pytest.raises(WorkbookLocked, match=r"\(branch:7:bbb\) holds this workbook"):
        first.renew()  # it comes back and finds it lost the workbook
    assert first.expires is None


def test_renewal_waits_for_half_time_and_changes_only_the_lease_row():
    memory_rows = [["changed", "f00d", "2026-11-20"], ["stage", "OPP-1", "Proposal"]]
    workbook = MemoryWorkbook({STATE_TAB: [list(HEADER), [], *memory_rows]})
    now = Now()
    lease = lease_for(workbook, "hq:41:aaa", now)
    lease.acquire()
    assert workbook.writes == [(STATE_TAB, 2, 1), (STATE_TAB, 2, 2), (STATE_TAB, 2, 3)]

    now.moment = EIGHT + dt.timedelta(minutes=14)  # 16 of 30 minutes left: nothing to do
    reads = workbook.io.read_requests
    lease.renew()
    assert (len(workbook.writes), workbook.io.read_requests) == (3, reads)

    now.moment = EIGHT + dt.timedelta(minutes=16)  # 14 left: write the new expiry, only that
    lease.renew()
    assert workbook.writes[3:] == [(STATE_TAB, 2, 3)]
    assert workbook.tabs[STATE_TAB][1][2] == "2026-11-24T08:46:00Z"
    assert workbook.tabs[STATE_TAB][2:] == memory_rows


def test_release_clears_holder_and_expiry_but_never_someone_elses_lease():
    workbook, now = MemoryWorkbook(), Now()
    first, second = lease_for(workbook, "hq:41:aaa", now), lease_for(workbook, "branch:7:bbb", now)
    first.acquire()
    first.release()
    assert workbook.tabs[STATE_TAB] == [list(HEADER), ["lease"]]
    assert read_lease(workbook.tabs[STATE_TAB]).holder is None

    second.acquire()
    first.expires = EIGHT + dt.timedelta(hours=1)  # it wrongly believes it still holds it
    first.release()
    assert workbook.tabs[STATE_TAB][1][1] == "branch:7:bbb"


class RacingWorkbook(MemoryWorkbook):
    """Another machine's lease write lands right after each of ours: it is the last writer."""

    def apply(self, plan: WritePlan) -> None:
        super().apply(plan)
        if any(w.row == 2 and w.col == 2 and w.value for w in plan.cells):
            self.tabs[STATE_TAB][1][1:3] = ["branch:7:bbb", "2026-11-24T08:30:00Z"]


def test_when_two_take_it_at_once_the_last_writer_wins_and_the_other_backs_off():
    workbook, now = RacingWorkbook(), Now()
    lease = lease_for(workbook, "hq:41:aaa", now)
    with pytest.raises(WorkbookLocked, match=r"\(branch:7:bbb\) holds this workbook until "
                                             r"2026-11-24T08:30:00Z"):
        lease.acquire()
    assert lease.expires is None
    assert now.moment == EIGHT + dt.timedelta(seconds=2)  # it let the other write settle


@pytest.mark.parametrize("expiry", ["soon", "", None, 45000.5])
def test_a_lease_row_nobody_can_read_blocks_nobody(expiry):
    workbook = MemoryWorkbook({STATE_TAB: [list(HEADER), ["lease", "ghost:1:zzz", expiry]]})
    lease = lease_for(workbook, "hq:41:aaa", Now())
    lease.acquire()
    assert read_lease(workbook.tabs[STATE_TAB]).holder == "hq:41:aaa"


def test_an_expiry_typed_without_a_zone_is_read_as_utc():
    grid = [list(HEADER), ["lease", "hq:41:aaa", "2026-11-24T08:30:00"]]
    assert read_lease(grid).expires == EIGHT + dt.timedelta(minutes=30)


@pytest.mark.parametrize(("every", "lease"), [(1, 5), (2, 6), (10, 30), (60, 180)])
def test_a_lease_lasts_three_intervals_and_at_least_five_minutes(every, lease):
    assert lease_duration(dt.timedelta(minutes=every)) == dt.timedelta(minutes=lease)


def test_a_second_lock_on_the_same_xlsx_is_refused_and_names_the_holder(tmp_path: Path):
    book = tmp_path / "pipeline.xlsx"
    first, second = XlsxLock(book), XlsxLock(book)
    first.acquire()
    first.renew()
    assert first.path == tmp_path / "pipeline.xlsx.lock"
    with pytest.raises(WorkbookLocked) as refused:
        second.acquire()
    assert f"({socket.gethostname()}:{os.getpid()})" in str(refused.value)
    assert "pipeline.xlsx.lock" in str(refused.value)
    first.release()
    second.acquire()
    second.release()


HOLD_IN_ANOTHER_PROCESS = """
import sys
from sheetfunnel.locks import XlsxLock
lock = XlsxLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_held_by_another_process_is_refused_and_freed_when_it_dies(tmp_path: Path):
    book = tmp_path / "pipeline.xlsx"
    other = subprocess.Popen([sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS, str(book)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline() == "held\n"
        with pytest.raises(WorkbookLocked, match=rf":{other.pid}\) is working on this workbook"):
            XlsxLock(book).acquire()
    finally:
        other.kill()  # a crash: it never releases
        other.communicate()
    mine = XlsxLock(book)
    mine.acquire()
    assert mine.path.read_text(encoding="utf-8") == f"{socket.gethostname()}:{os.getpid()}\n"
    mine.release()
