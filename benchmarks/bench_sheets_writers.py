"""Writing one owned column of N rows to a Google Sheet, three ways, on the Sheets emulator;
and a whole sheetfunnel run for scale.

    python -m benchmarks.bench_sheets_writers [--rows 100 1000 5000]   # from the repository root

Compared: sheetfunnel's ``apply`` (one batched write of changed cells, rows followed by ID),
a cell-by-cell ``update_cell`` loop, and a whole-sheet rewrite with gspread-dataframe's
``set_with_dataframe``. Each starts from opening the spreadsheet and reads what it needs.
Between the read and the write a person types into 5 cells of their own columns; the
"overwritten" column counts how many of those the method overwrote. The last row of each size
is a whole ``run_once`` (read, judge, write all seven owned columns, Attention, Summary,
History and the looks) on the same sheet, with the same person typing meanwhile. Latency is
simulated at 100 ms per request (counted, never slept); "wall s" is this machine's own time
for the whole thing, emulator included. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable

import gspread
from gspread_dataframe import get_as_dataframe, set_with_dataframe

from sheetfunnel.plan import CellWrite, RowKeys, WritePlan
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV, GoogleSheetsWorkbook
from tests.support.emulator import SheetsEmulator

KEY = "bench-spreadsheet-key"
TAB = "Opportunities"
SCORE_COL = 6
GOOGLE = "https://sheets.googleapis.com"


def seeded(rows: int) -> SheetsEmulator:
    emulator = SheetsEmulator(KEY, base_url=GOOGLE)
    grid: list[list[object]] = [["ID", "Title", "Owner", "Amount", "Stage", "Score"]]
    grid += [[f"OPP-{n:05d}", f"Deal {n}", "Ana", n * 100, "Lead"] for n in range(1, rows + 1)]
    emulator.add_sheet(TAB, grid)
    emulator.latency = 0.1
    return emulator


def score(row: int) -> float:
    return float(row % 100)


def person_types(emulator: SheetsEmulator) -> dict[tuple[int, int], object]:
    """Five cells a person changes while the writer is between its read and its write."""
    typed = {(row, 4): 999_000 + row for row in (2, 3, 4, 5, 6)}
    for (row, col), value in typed.items():
        emulator.set_cell(TAB, row, col, value)
    return typed


def with_sheetfunnel(emulator: SheetsEmulator, rows: int) -> None:
    book = GoogleSheetsWorkbook.open(KEY, session=emulator.session())
    book.read()
    person_types(emulator)
    ids = {r: f"OPP-{r - 1:05d}" for r in range(2, rows + 2)}
    book.apply(WritePlan(cells=tuple(CellWrite(TAB, r, SCORE_COL, score(r))
                                     for r in range(2, rows + 2)),
                         row_keys=(RowKeys(TAB, 1, ids),)))


def with_update_cell(emulator: SheetsEmulator, rows: int) -> None:
    sheet = gspread.Client(auth=None, session=emulator.session()).open_by_key(KEY).worksheet(TAB)
    sheet.get_all_values()
    person_types(emulator)
    for row in range(2, rows + 2):
        sheet.update_cell(row, SCORE_COL, score(row))


def with_dataframe(emulator: SheetsEmulator, rows: int) -> None:
    sheet = gspread.Client(auth=None, session=emulator.session()).open_by_key(KEY).worksheet(TAB)
    frame = get_as_dataframe(sheet)
    person_types(emulator)
    frame["Score"] = [score(r) for r in range(2, rows + 2)]
    set_with_dataframe(sheet, frame)


def with_a_whole_run(emulator: SheetsEmulator, rows: int) -> None:
    """Every owned column, not just Score: the person types after the first values read."""
    def after_read(call: object) -> None:
        if getattr(call, "kind", "") == "values.batchGet":
            emulator.hooks.remove(after_read)
            person_types(emulator)
    emulator.hooks.append(after_read)
    run_once(GoogleSheetsWorkbook.open(KEY, session=emulator.session()),
             as_of=dt.date(2026, 11, 24))


def measure(writer: Callable[[SheetsEmulator, int], None], rows: int) -> dict[str, float]:
    emulator = seeded(rows)
    started = time.perf_counter()
    writer(emulator, rows)
    wall = time.perf_counter() - started
    grid = emulator.grid(TAB)
    typed = {(row, 4): 999_000 + row for row in (2, 3, 4, 5, 6)}
    lost = sum(1 for (row, col), value in typed.items() if grid[row - 1][col - 1] != value)
    if writer is with_a_whole_run:
        scores_ok = all(isinstance(grid[r - 1][SCORE_COL - 1], int | float)
                        for r in range(2, rows + 2))
    else:
        scores_ok = all(grid[r - 1][SCORE_COL - 1] == score(r) for r in range(2, rows + 2))
    return {"requests": emulator.count(), "bytes": emulator.bytes_sent,
            "seconds": emulator.simulated_seconds, "wall": wall, "lost": lost, "ok": scores_ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()
    os.environ.pop(ENDPOINT_ENV, None)  # the emulator answers at Google's own address
    writers = {"sheetfunnel apply": with_sheetfunnel, "update_cell loop": with_update_cell,
               "set_with_dataframe": with_dataframe, "whole sheetfunnel run": with_a_whole_run}
    print("| rows | writer | requests | bytes sent | simulated s (100 ms/request) | wall s | "
          "person-typed cells overwritten (of 5) | scores right |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for rows in args.rows:
        for name, writer in writers.items():
            result = measure(writer, rows)
            print(f"| {rows:,} | {name} | {result['requests']:,} | {result['bytes']:,} | "
                  f"{result['seconds']:,.1f} | {result['wall']:,.2f} | {result['lost']} | "
                  f"{'yes' if result['ok'] else 'no'} |")


if __name__ == "__main__":
    main()
