"""A Google Sheet at scale: every request within 2 MB as sent, the worker's tabs no larger than
what they hold, a warning near Google's cell limit, and the bytes of a run in its report."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetfunnel.errors import WorkbookError
from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.base import CELL_LIMIT
from sheetfunnel.workbook.gsheets import MAX_PAYLOAD
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.big_sheet import AS_OF, big_demo
from tests.support.emulator import SheetsEmulator
from tests.support.gsheets import open_book
from tests.support.parity import Pair

WORKER_TABS = {"en": ("Summary", "Attention", "History", "Insights", "_sheetfunnel"),
               "zh": ("汇总", "待处理", "历史", "洞察", "_sheetfunnel")}


def grid_fits(emulator: SheetsEmulator, title: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """A tab's grid (rows, columns) and the smallest grid holding its values and frozen row."""
    sheet = emulator.sheet(title)
    values = emulator.grid(title)
    held = (max(len(values), sheet.frozen_rows + 1), max((len(r) for r in values), default=1))
    return (sheet.rows, sheet.cols), held


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_request_body_passes_two_megabytes_at_thirteen_thousand_rows(emulator, lang):
    big_demo(emulator, 13_000, lang, session_book=open_book(emulator))
    before = len(emulator.calls)
    report = run_once(open_book(emulator), as_of=AS_OF).report
    calls = emulator.calls[before:]
    sizes = [c.body_size for c in calls]
    assert max(sizes) <= MAX_PAYLOAD
    assert sum(1 for c in calls if c.kind == "values.batchUpdate") >= 2  # the write was split
    assert report["io"]["bytes_sent"] == sum(sizes)
    assert report["io"]["bytes_received"] > sum(sizes)  # the read, and the read-back
    for title in WORKER_TABS[lang]:  # every tab the worker made holds no spare cells
        grid, held = grid_fits(emulator, title)
        assert grid == held, title


def test_worker_tabs_shrink_and_grow_to_what_they_hold(emulator):
    big_demo(emulator, 400, "en", session_book=open_book(emulator))
    state = emulator.sheet("_sheetfunnel")
    state.rows, state.cols = 100_003, 26  # as an earlier version left it
    for day in range(3):
        run_once(open_book(emulator), as_of=AS_OF + dt.timedelta(days=7 * day))
        for title in WORKER_TABS["en"][:3] + WORKER_TABS["en"][4:]:  # Insights comes later
            grid, held = grid_fits(emulator, title)
            assert grid == held, (day, title)
    assert emulator.sheet("_sheetfunnel").cols < 26
    quiet = run_once(open_book(emulator), as_of=AS_OF + dt.timedelta(days=14)).report["io"]
    assert (quiet["write_requests"], quiet["bytes_sent"]) == (0, 0)


def _warnings(report: dict) -> list[dict]:
    return [p for p in report["problems"] if p["where"] == "spreadsheet"]


def _growth(emulator: SheetsEmulator) -> int:
    """The cells a first run adds to the spreadsheet (planned, nothing written)."""
    book = open_book(emulator)
    plan = run_once(book, as_of=AS_OF, dry_run=True).plan
    return book.cells_after(plan) - sum(s.rows * s.cols for s in emulator.sheets)


def test_a_sheet_past_eighty_percent_of_the_cell_limit_after_the_run_is_warned_of(emulator):
    big_demo(emulator, 200, "en", session_book=open_book(emulator))
    used, growth = sum(s.rows * s.cols for s in emulator.sheets), _growth(emulator)
    emulator.add_sheet("Archive", rows=(int(CELL_LIMIT * 0.85) - growth - used) // 10, cols=10)
    report = run_once(open_book(emulator), as_of=AS_OF).report
    warnings = _warnings(report)
    assert len(warnings) == 1 and warnings[0]["severity"] == "warning"
    assert "85%" in warnings[0]["message"] and "10,000,000" in warnings[0]["message"]
    after = sum(s.rows * s.cols for s in emulator.sheets)
    said = int(warnings[0]["message"].split(" has ")[1].split(" cells")[0].replace(",", ""))
    assert abs(said - after) <= 50  # the run's growth counted (less the warning's own line)
    summary = [v for row in emulator.grid("Summary") for v in row]
    assert warnings[0]["message"] in " ".join(str(v) for v in summary)


def test_the_warning_counts_the_cells_as_the_run_leaves_them(emulator):
    big_demo(emulator, 200, "en", session_book=open_book(emulator))
    used, growth = sum(s.rows * s.cols for s in emulator.sheets), _growth(emulator)
    assert abs(growth) > 1000  # the worker's tabs are made or fitted to what they hold
    archive = (int(CELL_LIMIT * 0.8) - growth // 2 - used) // 10
    emulator.add_sheet("Archive", rows=archive, cols=10)
    as_read, after = used + archive * 10, used + archive * 10 + growth
    assert (as_read > CELL_LIMIT * 0.8) != (after > CELL_LIMIT * 0.8)  # 80 % lies between
    warned = _warnings(run_once(open_book(emulator), as_of=AS_OF).report)
    assert len(warned) == (after > CELL_LIMIT * 0.8)


def test_a_sheet_below_eighty_percent_and_an_xlsx_file_get_no_warning(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "book.xlsx", emulator, lang="en", demo=True)
    xlsx, sheets = pair.run(AS_OF)
    for report in (xlsx, sheets):
        assert not [p for p in report["problems"] if p["where"] == "spreadsheet"]
    assert (xlsx["io"]["bytes_sent"], xlsx["io"]["bytes_received"]) == (0, 0)
    assert XlsxWorkbook(tmp_path / "book.xlsx").read().cells == 0
    assert sheets["io"]["bytes_sent"] > 0 and sheets["io"]["bytes_received"] > 0


def test_a_write_that_would_pass_the_cell_limit_sends_nothing(emulator):
    emulator.add_sheet("Archive", rows=CELL_LIMIT // 10 - 100, cols=10)
    book = open_book(emulator)
    book.read()
    before = len(emulator.calls)
    with pytest.raises(WorkbookError, match="over Google's limit of 10,000,000") as refused:
        book.apply(WritePlan(tabs=(TabSpec("Big"),), cells=(CellWrite("Big", 200, 10, "x"),)))
    assert refused.value.exit_code == 2
    assert emulator.calls[before:] == [] and [s.title for s in emulator.sheets] == ["Archive"]
