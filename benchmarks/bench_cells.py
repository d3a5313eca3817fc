"""The cells the worker keeps in a spreadsheet in a year, against Google's 10,000,000-cell limit.

    python -m benchmarks.bench_cells [--deals 100000]   # from the repo root

A workbook of ``--deals`` deals (``bench_xlsx.generate``: the demo repeated) is run once; the
grid of each tab is then measured as Google would hold it (the worker gives its own tabs
exactly the rows and columns their values take: rows x widest row). A year adds to it what
the worker appends: History's stage changes (the demo's closed deals give the changes of one
whole life, counted for every deal of the year) and one snapshot row a day; the state tab
holds every deal's memory after the run (compact: 200 deals a cell). With notifications on,
the delivery ledger (notify/ledger.py, compact: 100 entries a cell in M:N) holds one entry
per open flag — 2.07 a deal, as ``bench_notify`` measures, the worst case of every flag
told — plus one per audience's digest (300 reps, 3 managers): it is built here and measured
as written; the older forms of the state (a row per deal) and of the ledger (T:Z, a row per
entry) and History's before #17 (nine columns, one snapshot row per stage a day) are shown
beside them. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.bench_xlsx import AS_OF, generate
from sheetfunnel.demo_data import make_demo
from sheetfunnel.notify.ledger import (
    ENTRIES_COL,
    OLD_FIRST_COL,
    OLD_WIDTH,
    Digest,
    Ledger,
    ledger_cells,
)
from sheetfunnel.runner import run_once
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.words import words_for
from sheetfunnel.workbook.xlsx import XlsxWorkbook

LIMIT = 10_000_000
DAYS = 365
FLAGS_PER_DEAL = 2.07  # bench_notify: 207,000 open flags at 100,000 deals
AUDIENCES = 303  # 300 reps and 3 managers, one digest each
OLD_LEDGER_WIDTH = OLD_FIRST_COL - 1 + OLD_WIDTH  # the older form ended in column Z


def ledger_rows(deals: int) -> tuple[int, int]:
    """Rows the compact ledger takes, and its entries: a ledger of that size, written."""
    count = round(deals * FLAGS_PER_DEAL)
    codes = ("STALLED", "OVERDUE_FOLLOWUP", "MISSING_NEXT_STEP")
    moment = pd.Timestamp("2026-11-24T02:00:00Z")
    index = pd.MultiIndex.from_arrays(
        [[f"OPP-{k // 3 + 1:06d}" for k in range(count)], [codes[k % 3] for k in range(count)]],
        names=["deal", "code"])
    seen = pd.DataFrame({"owner": [f"Rep {k % 300:03d}" for k in range(count)],
                         "first": moment, "last": moment, "tier": 1,
                         "resolved": pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")},
                        index=index)
    when = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
    ledger = Ledger(seen, {(f"Rep {k:03d}", "rep"): Digest("2026-11-24", when)
                           for k in range(AUDIENCES)})
    return max(row for row, _ in ledger_cells(None, ledger)), count + AUDIENCES


def grid_cells(grid: list[list[object]]) -> tuple[int, int]:
    """Rows and columns a grid takes once trailing blanks are trimmed."""
    used = [row for row in grid if any(v not in (None, "") for v in row)]
    width = max((max((c for c, v in enumerate(row, 1) if v not in (None, "")), default=0)
                 for row in used), default=0)
    return len(grid), width


def changes_per_life() -> float:
    """Stage changes of one deal's whole life: the mean over the demo's won and lost deals."""
    demo = make_demo(AS_OF)
    keys = demo.opportunities[0]
    stage_at, id_at = keys.index("stage"), keys.index("id")
    closed = {row[id_at] for row in demo.opportunities[1:] if row[stage_at] in ("Won", "Lost")}
    counts = {deal: 0 for deal in closed}
    for row in demo.history[1:]:
        if row[2] in counts:
            counts[row[2]] += 1
    return statistics.mean(counts.values())


def measure(deals: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cells.xlsx"
        generate(deals, path)
        run_once(XlsxWorkbook(path), as_of=AS_OF)
        tabs = XlsxWorkbook(path).read().tabs
    sizes = {title: grid_cells(grid) for title, grid in tabs.items()}
    stages = sum(1 for row in tabs["Stages"][1:] if row and row[0] not in (None, ""))
    per_life = changes_per_life()
    new_width = len(words_for("en").history_headers)
    changes = round(deals * per_life)
    print(f"{deals:,} deals; {per_life:.2f} stage changes in a deal's life (demo's closed deals)")
    print()
    print("| tab | after the first run | a year of the worker's growth |")
    print("|---|---:|---:|")
    history_year = (1 + changes + DAYS) * new_width
    old_history_year = (1 + changes + DAYS * stages) * 9
    state_rows, state_cols = sizes[STATE_TAB]
    state_year = state_rows * state_cols
    rows_of_ledger, entries = ledger_rows(deals)
    with_ledger = max(state_rows, rows_of_ledger) * ENTRIES_COL
    ledger_year = with_ledger - state_year
    old_state = (deals + 3) * state_cols
    old_ledger = (max(deals + 3, entries + 1)) * OLD_LEDGER_WIDTH - state_year
    for title, (rows, cols) in sizes.items():
        grown = {"History": f"{history_year:,} ({changes:,} changes + {DAYS} snapshot rows, "
                            f"{new_width} columns)",
                 STATE_TAB: f"{state_year:,} (compact memory, {state_rows:,} rows x "
                            f"{state_cols} columns)"}
        print(f"| {title} | {rows:,} x {cols} = {rows * cols:,} | {grown.get(title, '')} |")
    people = sum(r * c for t, (r, c) in sizes.items() if t not in ("History", STATE_TAB))
    kept = history_year + state_year
    print(f"| delivery ledger, {entries:,} entries (notifications on: `_sheetfunnel` "
          f"{max(state_rows, rows_of_ledger):,} rows x {ENTRIES_COL} columns) | | "
          f"+{ledger_year:,} |")
    print(f"| **worker's own, a year** | | **{kept:,}** ({kept + ledger_year:,} with the "
          f"ledger) |")
    print(f"| state before the compact form (a row of {state_cols} columns per deal) | | "
          f"{old_state:,} |")
    print(f"| ledger before the compact form (T:Z, a row per entry) | | +{old_ledger:,} |")
    print(f"| History before #17 (9 columns, a snapshot row per stage a day) | | "
          f"{old_history_year:,} |")
    print(f"| every tab as measured + a year of History and state | | "
          f"{people + kept:,} of {LIMIT:,} |")
    print(f"| the same with the ledger | | {people + kept + ledger_year:,} of {LIMIT:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    measure(parser.parse_args().deals)


if __name__ == "__main__":
    main()
