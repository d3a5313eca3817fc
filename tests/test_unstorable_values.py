"""Missing dates and values no spreadsheet can hold: blank everywhere, and a rerun writes nothing.

Both backends, through whole runs: the demo workbook as an .xlsx file and in the Sheets
emulator (see test_backend_parity.py for the pair).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.config import Config, Settings, Stage
from sheetfunnel.diff import MAX_TEXT, diff_cells, storable
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.plan import TabSpec, WritePlan
from sheetfunnel.runner import run_once
from sheetfunnel.tabs.state import State, read_state, state_cells, stored_memory
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import Pair, assert_same_cells

AS_OF = dt.date(2026, 11, 24)
STAGE, ENTERED, FLAGS = 5, 24, 26  # demo Opportunities: Stage, Stage Entered, Flags


def deal_row(report: dict, row: int) -> dict:
    return next(d for d in report["opportunities"] if d["row"] == row)


TYPED = {5: None, 6: "Leed", 7: "=1+1", 8: 45000}  # row -> the Stage a person leaves there


def test_a_blanked_or_mistyped_stage_of_a_deal_seen_before_is_an_unknown_stage(
        emulator, tmp_path: Path):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)
    pair.run(AS_OF)
    for row, typed in TYPED.items():
        pair.type("Opportunities", row, STAGE, typed)
    later = AS_OF + dt.timedelta(days=2)
    for report in pair.run(later):
        for row in TYPED:
            assert "UNKNOWN_STAGE" in deal_row(report, row)["flags"]
            assert deal_row(report, row)["days_in_stage"] is None
        json.dumps(report, allow_nan=False)
    assert_same_cells(pair)
    for snapshot in pair.snapshots():
        for row in TYPED:
            cells = snapshot.tabs["Opportunities"][row - 1]
            assert cells[ENTERED - 1] in (None, "")  # Stage Entered: blank, not NaT
            assert "❓" in cells[FLAGS - 1]
    stamp = pair.path.stat().st_mtime_ns
    assert [r["io"]["cells_written"] for r in pair.run(later)] == [0, 0]
    assert pair.path.stat().st_mtime_ns == stamp


#: What a run may want in a cell that no spreadsheet holds as it is.
UNSTORABLE = [pd.NaT, np.datetime64("NaT"), float("nan"), float("inf"), -np.inf, np.float64(2.5),
              np.int64(7), 10**400, "x" * 40_000, "😀" * 20_000, "one\r\ntwo\rthree",
              "bell\x07 and \x00nul\ufffe", dt.date(1899, 12, 30), dt.date(1899, 12, 31),
              dt.date(1800, 1, 1), dt.datetime(1899, 12, 30, 6),
              pd.Timestamp("2026-01-02 03:04:05.678901"), dt.datetime(2026, 1, 2, 3, 4, 5, 678901),
              "   ", pd.NA]


def test_values_no_spreadsheet_holds_are_written_once_and_read_back_as_written(
        emulator, tmp_path: Path):
    desired = {(row, 1): value for row, value in enumerate(UNSTORABLE, start=1)}
    path = tmp_path / "cells.xlsx"
    openpyxl.Workbook().save(path)
    emulator.add_sheet("Cells")
    for book in (XlsxWorkbook(path), open_book(emulator)):
        writes = diff_cells("Cells", book.read().find("Cells"), desired)
        book.apply(WritePlan((TabSpec("Cells"),), tuple(writes)))
        grid = book.read().find("Cells")
        assert diff_cells("Cells", grid, desired) == [], book.name
        texts = [v for row in grid for v in row if isinstance(v, str)]
        assert max(len(t.encode("utf-16-le")) // 2 for t in texts) == MAX_TEXT
        assert "1899-12-30" in texts and "1800-01-01" in texts
    stamp = path.stat().st_mtime_ns
    XlsxWorkbook(path).apply(WritePlan((TabSpec("Cells"),), tuple(diff_cells(
        "Cells", XlsxWorkbook(path).read().find("Cells"), desired))))
    assert path.stat().st_mtime_ns == stamp


def test_a_title_too_long_for_a_cell_settles_after_one_run(emulator, tmp_path: Path):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)
    pair.type("Opportunities", 6, 3, "Long " + "x" * 40_000 + "😀")  # a deal in Attention
    pair.type("Opportunities", 11, 3, "Line one\r\nline two\rthree")
    pair.type("Opportunities", 11, 6, "y" * MAX_TEXT)  # an Amount no one can read
    pair.run(AS_OF)
    stamp = pair.path.stat().st_mtime_ns
    assert [r["io"]["cells_written"] for r in pair.run(AS_OF)] == [0, 0]
    assert pair.path.stat().st_mtime_ns == stamp
    wanted = {"Line one\nline two\nthree", ("Long " + "x" * 40_000)[:MAX_TEXT]}
    for snapshot in pair.snapshots():
        assert wanted <= {row[1] for row in snapshot.tabs["Attention"]}


def test_a_large_last_good_config_fits_the_cells_it_is_kept_in():
    stages = tuple(Stage(f"阶段 {i} 😀" * 40, 0.5, "open") for i in range(200))
    config = Config(stages, (), (), Settings())
    cells = state_cells(None, State(StageMemory(), last_good=config))
    assert all(storable(v) == v for v in cells.values() if isinstance(v, str))
    grid = [[None] * max(c for _, c in cells) for _ in range(max(r for r, _ in cells))]
    for (row, col), value in cells.items():
        grid[row - 1][col - 1] = value
    assert read_state(grid).last_good == config


def test_ids_no_cell_holds_as_they_are_are_not_remembered_and_a_rerun_writes_nothing(emulator):
    ids = ["OPP\r1", "OPP\x0b2", "x" * 40_000, "OPP-4"]
    emulator.add_sheet("Opportunities", [["ID", "Stage"], *([i, "Lead"] for i in ids)])
    first = run_once(open_book(emulator), as_of=AS_OF)
    assert list(first.evaluation.memory.entries.index) == ids
    assert run_once(open_book(emulator), as_of=AS_OF).cells_written == 0
    remembered = [key for key, *_ in stored_memory(emulator.grid("_sheetfunnel"))]
    assert remembered == ["OPP-4"]


@pytest.mark.parametrize("day", ["2300-01-01", "1850-06-01"])
def test_an_as_of_outside_the_dates_read_is_a_usage_error_not_a_traceback(tmp_path: Path, day):
    path = tmp_path / "pipeline.xlsx"
    openpyxl.Workbook().save(path)
    result = CliRunner().invoke(cli, ["run", str(path), "--as-of", day, "--dry-run"])
    assert result.exit_code == 2 and f"--as-of {day} is outside" in result.output
