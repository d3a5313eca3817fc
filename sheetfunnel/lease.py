"""One writer per workbook: a lock file beside an .xlsx, a lease inside a Google Sheet.

Two watchers on one workbook would overwrite each other's writes. Beside a local file an OS
lock (``NAME.xlsx.lock``, released by the OS when its holder dies) is enough; two machines
sharing a Google Sheet only share the sheet, so the lease lives in it: row 2 of the hidden
``_sheetfunnel`` tab holds ``lease | holder | expiry``. A crashed holder's lease simply expires.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import filelock

from sheetfunnel.errors import WorkbookLocked
from sheetfunnel.grid import cell_at
from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.state import LEASE_ROW, STATE_TAB
from sheetfunnel.workbook.base import Workbook

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def holder_name() -> str:
    """Who holds a lease: host, process and a random tag (two watchers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class WriterLock(Protocol):
    def hold(self) -> None:
        """Take the lock, or keep it; raises WorkbookLocked when another writer has it."""

    def release(self) -> None: ...


class XlsxLock:
    """An OS file lock beside the workbook."""

    def __init__(self, path: Path):
        self.path = Path(f"{path}.lock")
        self._lock = filelock.FileLock(self.path, timeout=0)

    def hold(self) -> None:
        if self._lock.is_locked:
            return
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise WorkbookLocked(
                f"Another sheetfunnel is already working on this workbook (it holds {self.path}). "
                "Stop that one first; only one writer per workbook is allowed.") from exc

    def release(self) -> None:
        self._lock.release()


class SheetLease:
    """A lease recorded in the workbook itself, renewed while held, expiring when abandoned."""

    def __init__(self, workbook: Workbook, *, duration: dt.timedelta, holder: str | None = None,
                 clock: Clock = utc_now):
        self.workbook = workbook
        self.duration = duration
        self.holder = holder or holder_name()
        self.clock = clock
        self.expires: dt.datetime | None = None

    def current(self) -> tuple[str | None, dt.datetime | None]:
        """(holder, expiry) as the workbook shows them now."""
        grid = self.workbook.read().find(STATE_TAB) or []
        if cell_at(grid, LEASE_ROW, 1) != "lease":
            return None, None
        holder = cell_at(grid, LEASE_ROW, 2)
        expiry = cell_at(grid, LEASE_ROW, 3)
        try:
            when = dt.datetime.fromisoformat(str(expiry)) if expiry else None
        except ValueError:
            when = None
        return (str(holder) if holder else None), when

    def hold(self) -> None:
        now = self.clock()
        if self.expires is not None and self.expires - now > self.duration / 2:
            return
        holder, expiry = self.current()
        if holder and holder != self.holder and expiry is not None and expiry > now:
            raise WorkbookLocked(
                f"Another sheetfunnel ({holder}) holds this workbook until "
                f"{expiry.isoformat(timespec='seconds')}. Only one writer per workbook is "
                "allowed; this one tries again at its next run.")
        expires = now + self.duration
        self._write("lease", self.holder, expires.isoformat(timespec="seconds"))
        holder, _ = self.current()
        if holder != self.holder:
            raise WorkbookLocked(f"Another sheetfunnel ({holder}) took this workbook at the same "
                                 "moment. This one tries again at its next run.")
        self.expires = expires

    def release(self) -> None:
        if self.expires is None:
            return
        holder, _ = self.current()
        if holder == self.holder:
            self._write("lease", None, None)
        self.expires = None

    def _write(self, record: str, holder: str | None, expiry: str | None) -> None:
        cells = tuple(CellWrite(STATE_TAB, LEASE_ROW, col, value)
                      for col, value in enumerate((record, holder, expiry), start=1))
        self.workbook.apply(WritePlan(tabs=(TabSpec(STATE_TAB, hidden=True),), cells=cells))
