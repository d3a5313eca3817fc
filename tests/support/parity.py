"""One workbook kept twice, as an .xlsx file and as an emulated Google Sheet, and the check that
both hold the same cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from sheetfunnel.diff import same_value
from sheetfunnel.grid import Cell
from sheetfunnel.init_plan import init_plan
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.base import Snapshot
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.emulator import SheetsEmulator
from tests.support.gsheets import open_book

AS_OF = dt.date(2026, 11, 24)


def save_grids(path: Path, tabs: dict[str, list[list]]) -> None:
    """An .xlsx file holding ``tabs`` as a person typed them (openpyxl, one tab per grid)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in tabs.items():
        sheet = book.create_sheet(title)
        for row in grid:
            sheet.append(row)
    book.save(path)


class Pair:
    """One workbook kept twice: as an .xlsx file and as an emulated Google Sheet."""

    def __init__(self, path: Path, emulator: SheetsEmulator):
        self.path = path
        self.emulator = emulator

    @classmethod
    def from_init(cls, path: Path, emulator: SheetsEmulator, *, lang: str, demo: bool
                  ) -> Pair:
        """``init`` on both: a new file, and the tabs added to a new spreadsheet's Sheet1."""
        book = XlsxWorkbook.create(path)
        book.apply(init_plan(lang, demo=demo, as_of=AS_OF))
        emulator.add_sheet("Sheet1")
        sheets = open_book(emulator)
        sheets.apply(init_plan(lang, demo=demo, as_of=AS_OF, existing=sheets.read()))
        return cls(path, emulator)

    @classmethod
    def from_grids(cls, path: Path, emulator: SheetsEmulator, tabs: dict[str, list[list]]
                   ) -> Pair:
        """A workbook people typed elsewhere, in both backends."""
        save_grids(path, tabs)
        for title, grid in tabs.items():
            emulator.add_sheet(title, grid)
        return cls(path, emulator)

    def run(self, as_of: dt.date) -> tuple[dict, dict]:
        xlsx = run_once(XlsxWorkbook(self.path), as_of=as_of)
        sheets = run_once(open_book(self.emulator), as_of=as_of)
        return xlsx.report, sheets.report

    def type(self, tab: str, row: int, col: int, value: Cell) -> None:
        """A person types into both (text starting with = as text, as '=... does)."""
        book = openpyxl.load_workbook(self.path)
        cell = book[tab].cell(row, col)
        cell.value = value  # cell(row, col, None) would leave the old value
        as_text = isinstance(value, str) and value.startswith("=")
        if as_text:
            cell.data_type = "s"
        book.save(self.path)
        self.emulator.set_cell(tab, row, col, f"'{value}" if as_text else value)

    def snapshots(self) -> tuple[Snapshot, Snapshot]:
        return XlsxWorkbook(self.path).read(), open_book(self.emulator).read()


def differences(xlsx: Snapshot, sheets: Snapshot) -> list[str]:
    """Cells that differ in what a person sees (a date cell here is a serial number there)."""
    found = []
    for title, grid in xlsx.tabs.items():
        other = sheets.tabs.get(title)
        if other is None:
            found.append(f"{title}: missing in the Google Sheet")
            continue
        for r in range(max(len(grid), len(other))):
            mine = grid[r] if r < len(grid) else []
            theirs = other[r] if r < len(other) else []
            for c in range(max(len(mine), len(theirs))):
                a = mine[c] if c < len(mine) else None
                b = theirs[c] if c < len(theirs) else None
                if not (same_value(b, a) or same_value(a, b)):
                    found.append(f"{title}!R{r + 1}C{c + 1}: xlsx {a!r}, sheets {b!r}")
    return found


def assert_same_cells(pair: Pair) -> None:
    xlsx, sheets = pair.snapshots()
    assert differences(xlsx, sheets) == []
    assert [t for t in sheets.tabs if t != "Sheet1"] == list(xlsx.tabs)
    assert sheets.hidden == xlsx.hidden
