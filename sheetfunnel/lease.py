"""The lease a Google Sheet's writer records in it: the record, how it is read, who it blocks.

Two machines sharing a Google Sheet share only the sheet, so the lease lives in it: row 2 of
the hidden ``_sheetfunnel`` tab reads ``lease | holder | expiry`` (expiry as ISO-8601 UTC
text). A crashed holder's lease simply runs out. Pure: no workbook, no clock (``now`` is an
argument); the locks that take and keep a workbook are in ``locks.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sheetfunnel.errors import WorkbookLocked
from sheetfunnel.grid import Cell, Grid, cell_at
from sheetfunnel.tabs.state import LEASE_ROW, STATE_TAB

LEASE_RECORD = "lease"
#: A lease never lasts less than this, however often the watcher runs.
MIN_LEASE = dt.timedelta(minutes=5)


def lease_duration(every: dt.timedelta) -> dt.timedelta:
    """Three intervals, at least five minutes: renewed every other run, it outlives one miss."""
    return max(3 * every, MIN_LEASE)


def iso_utc(moment: dt.datetime) -> str:
    """``2026-11-24T08:30:00Z``: how an expiry is written in the sheet and in messages."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"

@dataclass(frozen=True)
class Lease:
    """Row 2 of the state tab as read: who holds the workbook and until when (UTC)."""

    holder: str | None
    expires: dt.datetime | None

    def blocks(self, holder: str, now: dt.datetime) -> bool:
        """Held by someone else and not yet run out. A row nobody can read blocks nobody."""
        return (self.holder not in (None, holder) and self.expires is not None
                and self.expires > now)


def read_lease(grid: Grid | None) -> Lease:
    """The lease recorded in the state tab's grid; ``Lease(None, None)`` when there is none."""
    grid = grid or []
    if str(cell_at(grid, LEASE_ROW, 1) or "").strip() != LEASE_RECORD:
        return Lease(None, None)
    holder = str(cell_at(grid, LEASE_ROW, 2) or "").strip() or None
    return Lease(holder, _moment(cell_at(grid, LEASE_ROW, 3)))


def check_lease(grid: Grid | None, writer: str | None, now: dt.datetime) -> None:
    """Raise WorkbookLocked when someone other than ``writer`` holds a live lease."""
    lease = read_lease(grid)
    if lease.blocks(writer or "", now):
        raise refusal(lease)


def refusal(lease: Lease) -> WorkbookLocked:
    until = f" until {iso_utc(lease.expires)}" if lease.expires else ""
    holder = lease.holder or "unknown"
    return WorkbookLocked(
        f"Another sheetfunnel ({holder}) holds this workbook{until}, by the lease in "
        f"{STATE_TAB}!A{LEASE_ROW}:C{LEASE_ROW}. Only one writer per workbook is allowed; "
        "it is free again when that watcher stops or its lease runs out.")

def _moment(value: Cell) -> dt.datetime | None:
    if isinstance(value, str) and value.strip():
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
