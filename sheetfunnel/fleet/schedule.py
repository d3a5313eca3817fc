"""When a workbook of the fleet is due: pure, from its cadence, its timezone and the clock
reading passed in.

``every`` slots are aligned to the epoch, ``at`` slots to the local day in the workbook's
timezone; both move by a jitter seeded by the workbook's name, so a thousand workbooks every
15 minutes spread over the minute instead of all landing at :00, and each keeps its offset
from run to run. A workbook never run is due at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

from sheetfunnel.fleet.registry import Entry

#: Runs spread over at most this much; less for cadences shorter than it.
SPREAD = dt.timedelta(seconds=60)
#: After failures in a row the next try waits 1, 2, 4 … up to this many intervals.
MAX_BACKOFF = 8


def jitter(name: str, cadence: dt.timedelta | None = None) -> dt.timedelta:
    """A fixed offset in [0, min(SPREAD, cadence)) for ``name``: stable across processes."""
    spread = min(SPREAD, cadence) if cadence else SPREAD
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return dt.timedelta(milliseconds=digest % max(int(spread.total_seconds() * 1000), 1))


def next_due(entry: Entry, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The first slot after ``last`` (the slot last run), or ``now`` when never run. A slot
    missed while the fleet was down is run once, not once per missed slot."""
    if last is None:
        return now
    candidates = []
    if entry.every is not None:
        offset = jitter(entry.name, entry.every)
        step = entry.every.total_seconds()
        since = (last - offset).timestamp()
        candidates.append(dt.datetime.fromtimestamp((since // step + 1) * step, dt.UTC)
                          + offset)
    if entry.at is not None:
        zone = zoneinfo.ZoneInfo(entry.timezone)
        local = last.astimezone(zone)
        offset = jitter(entry.name)
        slot = dt.datetime.combine(local.date(), entry.at, zone) + offset
        if slot <= local:
            slot = dt.datetime.combine(local.date() + dt.timedelta(days=1), entry.at,
                                       zone) + offset
        candidates.append(slot.astimezone(dt.UTC))
    return min(candidates)


def retry_due(entry: Entry, failures: int, now: dt.datetime) -> dt.datetime:
    """After ``failures`` failed runs in a row: wait 1, 2, 4 … MAX_BACKOFF cadences (a daily
    ``at`` counts as an hour), as a watcher does."""
    cadence = entry.every or dt.timedelta(hours=1)
    return now + cadence * min(2 ** max(failures - 1, 0), MAX_BACKOFF)
