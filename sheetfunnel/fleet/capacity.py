"""How many service accounts and projects a fleet needs: the README's capacity table, computed.

Google allows each service account 60 reads and 60 writes a minute, each project 300 of each;
the busier of reads and writes decides. Pure arithmetic on spec §7's costs per run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Spec §7: an unchanged workbook costs 2 reads; a run that writes, 4 reads and 2 writes.
QUIET = (2.0, 0.0)
CHANGED = (4.0, 2.0)
#: The lease renewed every other run: 4 reads and 1 write each time.
LEASE = (2.0, 0.5)
ACCOUNT_PER_MINUTE = 60
PROJECT_PER_MINUTE = 300


@dataclass(frozen=True)
class Capacity:
    runs_per_minute: float
    reads_per_minute: float
    writes_per_minute: float
    accounts: int
    projects: int


def capacity(workbooks: int, cadence_minutes: float, *, changed: bool) -> Capacity:
    """What ``workbooks`` each run every ``cadence_minutes`` ask of Google, all of them quiet
    or all of them changed each run."""
    runs = workbooks / cadence_minutes
    reads, writes = ((CHANGED if changed else QUIET)[i] + LEASE[i] for i in (0, 1))
    busiest = max(runs * reads, runs * writes)
    return Capacity(runs, runs * reads, runs * writes,
                    math.ceil(busiest / ACCOUNT_PER_MINUTE - 1e-9),
                    math.ceil(busiest / PROJECT_PER_MINUTE - 1e-9))
