"""The cells the worker keeps in a spreadsheet in a year, against Google's 10,000,000-cell limit.

    python -m benchmarks.bench_cells [--deals 100000]   # from the repo root

A workbook of ``--deals`` deals (``bench_xlsx.generate``: the demo repeated) is run once; the
grid of each tab is then measured as Google would hold it (the worker gives its own tabs
exactly the rows and columns their values take: rows x widest row). A year adds to it what
the worker appends: History's stage changes (the demo's closed deals give the changes of one
whole life, counted for every deal of the year) and one snapshot row a day; the state tab's
rows grow with the deals (one memory row each) and, with notifications on, the delivery
ledger widens it to column Z. The same year in the History form before #17 (nine columns,
one snapshot row per stage a day) is shown beside it. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks.bench_xlsx import AS_OF, generate
from sheetfunnel.demo_data import make_demo
from sheetfunnel.runner import run_once
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.words import words_for
from sheetfunnel.workbook.xlsx import XlsxWorkbook

LIMIT = 10_000_000
LEDGER_WIDTH = 26  # the delivery ledger's region ends in column Z (notify/ledger.py)
DAYS = 365


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
    state_year = (deals + 3) * state_cols
    ledger_year = (deals + 3) * LEDGER_WIDTH - state_year
    for title, (rows, cols) in sizes.items():
        grown = {"History": f"{history_year:,} ({changes:,} changes + {DAYS} snapshot rows, "
                            f"{new_width} columns)",
                 STATE_TAB: f"{state_year:,} ({deals:,} memory rows, {state_cols} columns)"}
        print(f"| {title} | {rows:,} x {cols} = {rows * cols:,} | {grown.get(title, '')} |")
    people = sum(r * c for t, (r, c) in sizes.items() if t not in ("History", STATE_TAB))
    kept = history_year + state_year
    print(f"| delivery ledger (notifications on: `_sheetfunnel` to column Z) | | "
          f"{ledger_year:,} |")
    print(f"| **worker's own, a year** | | **{kept:,}** ({kept + ledger_year:,} with the "
          f"ledger) |")
    print(f"| History before #17 (9 columns, a snapshot row per stage a day) | | "
          f"{old_history_year:,} |")
    print(f"| every tab as measured + a year of History, state and ledger | | "
          f"{people + kept + ledger_year:,} of {LIMIT:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    measure(parser.parse_args().deals)


if __name__ == "__main__":
    main()
