"""One writer per workbook: a lock file beside an .xlsx, a lease inside a Google Sheet.

Two watchers on one workbook would overwrite each other's writes. Beside a local file an OS
lock on ``NAME.xlsx.lock`` is enough, and the OS drops it when its holder dies. A Google Sheet
holds its own lease (the record is in ``lease.py``).

Both locks keep the same three-step life: ``acquire()`` before the first run, ``renew()``
before each later run, ``release()`` on the way out. Each raises WorkbookLocked, a sentence
naming who holds the workbook, when another writer has it. A write that fails because another
writer got in first (on a new sheet both create the state tab; Google refuses the second) is
the same refusal, never a failure: ``lost_race`` looks at the lease again to tell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import filelock

from sheetfunnel.diff import diff_cells
from sheetfunnel.errors import SheetfunnelError, WorkbookError, WorkbookLocked, WorkbookNotWritable
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.lease import (
    LEASE_RECORD,
    MIN_LEASE,
    Lease,
    iso_utc,
    read_lease,
    refusal,
)
from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.tabs.state import HEADER, LEASE_ROW, STATE_TAB
from sheetfunnel.workbook.base import Workbook, only

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def holder_name() -> str:
    """``host:pid:random``: the random part tells apart two watchers in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class WriterLock(Protocol):
    """What the watcher holds while it works on one workbook."""

    def acquire(self) -> None:
        """Take the workbook, or raise WorkbookLocked naming who has it."""

    def renew(self) -> None:
        """Keep the workbook before another run; raises WorkbookLocked when it was lost."""

    def release(self) -> None:
        """Give the workbook up; harmless when not held."""


class XlsxLock:
    """An OS lock on ``NAME.xlsx.lock`` beside the workbook; the file names its holder."""

    def __init__(self, path: Path | str):
        self.path = Path(f"{path}.lock")
        self._lock = filelock.FileLock(self.path, timeout=0)

    def acquire(self) -> None:
        if self._lock.is_locked:
            return
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise WorkbookLocked(
                f"Another sheetfunnel ({self._holder()}) is working on this workbook: it holds "
                f"{self.path}. Only one writer per workbook is allowed; stop the other one, or "
                "this one takes over once it has stopped.") from exc
        except OSError as exc:
            raise WorkbookNotWritable(
                f"Cannot create the lock file {self.path} ({exc.strerror}). sheetfunnel "
                "needs to write beside the workbook; check the folder's permissions.") from exc
        self.path.write_text(f"{socket.gethostname()}:{os.getpid()}\n", encoding="utf-8")

    def renew(self) -> None:
        self.acquire()

    def release(self) -> None:
        self._lock.release(force=True)

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

@contextlib.contextmanager
def lost_race(workbook: Workbook, writer: str | None, clock: Clock) -> Iterator[None]:
    """Turn a failed write into WorkbookLocked when, read again, the lease shows that another
    writer took the workbook meanwhile; any other failure stays what it was."""
    try:
        yield
    except WorkbookLocked:
        raise
    except WorkbookError as failure:
        try:
            lease = read_lease(workbook.read(only(STATE_TAB)).find(STATE_TAB))
        except SheetfunnelError:
            raise failure from None
        if lease.blocks(writer or "", clock()):
            raise refusal(lease) from None
        raise

class SheetLease:
    """A lease recorded in the workbook itself: taken, renewed at half time, released on exit.

    Taking it is read, check, write, wait ``settle`` seconds, read again: when two watchers
    write at the same moment the last writer wins, and the other sees a holder that is not
    itself and backs off. The settle pause gives a slower rival's write time to land first.
    """

    def __init__(self, workbook: Workbook, *, holder: str | None = None, clock: Clock = utc_now,
                 duration: dt.timedelta = MIN_LEASE, settle: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.workbook = workbook
        self.holder = holder or holder_name()
        self.clock = clock
        self.duration = duration
        self.settle = settle
        self.sleep = sleep
        self.expires: dt.datetime | None = None

    def current(self) -> Lease:
        """The lease as the workbook shows it now."""
        return read_lease(self.workbook.read(only(STATE_TAB)).find(STATE_TAB))

    def acquire(self) -> None:
        now = self.clock()
        grid = self.workbook.read(only(STATE_TAB)).find(STATE_TAB)
        lease = read_lease(grid)
        if lease.blocks(self.holder, now):
            raise refusal(lease)
        expires = now + self.duration
        with lost_race(self.workbook, self.holder, self.clock):
            self._write(grid, self.holder, iso_utc(expires))
        self.sleep(self.settle)
        lease = self.current()
        if lease.holder != self.holder:
            self.expires = None
            raise refusal(lease)
        self.expires = expires

    def renew(self) -> None:
        """Write a new expiry once less than half the lease is left; until then, no I/O."""
        if self.expires is not None and self.expires - self.clock() > self.duration / 2:
            return
        self.expires = None
        self.acquire()

    def release(self) -> None:
        """Clear holder and expiry, unless someone else holds the lease by now."""
        if self.expires is None:
            return
        self.expires = None
        grid = self.workbook.read(only(STATE_TAB)).find(STATE_TAB)
        if read_lease(grid).holder == self.holder:
            self._write(grid, None, None)

    def _write(self, grid: Grid | None, holder: str | None, expiry: str | None) -> None:
        desired: dict[tuple[int, int], Cell] = {(1, col): text
                                                for col, text in enumerate(HEADER, start=1)}
        desired |= {(LEASE_ROW, 1): LEASE_RECORD, (LEASE_ROW, 2): holder, (LEASE_ROW, 3): expiry}
        cells: list[CellWrite] = diff_cells(STATE_TAB, grid, desired)
        self.workbook.apply(WritePlan(tabs=(TabSpec(STATE_TAB, hidden=True),),
                                      cells=tuple(cells)))


@contextlib.contextmanager
def held_for_one_run(workbook: Workbook, *, dry_run: bool) -> Iterator[None]:
    """A run on a local file holds the watcher's lock file meanwhile, so a cron run and a
    watcher never write at once. A Google Sheet's lease is checked by the run itself, from the
    state tab it reads anyway; a dry run writes nothing and takes nothing."""
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    if dry_run or not isinstance(workbook, XlsxWorkbook) or not workbook.path.exists():
        yield  # a missing file is reported by the run, with no lock file left behind
        return
    lock = XlsxLock(workbook.path)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
