"""A worker tab built top to bottom: rows with their number formats and bold rows."""

from __future__ import annotations

from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import Bold, CellRange, NumberFormat


class Rows:
    """The grid of a tab the worker rewrites whole (Insights, Review), and its looks so far."""

    def __init__(self, tab: str) -> None:
        self.tab = tab
        self.grid: Grid = []
        self.formats: list[NumberFormat] = []
        self.bold: list[Bold] = []

    def add(self, values: list[Cell], *, bold: bool = False,
            formats: dict[int, str] | None = None) -> int:
        """One row; returns its sheet row number."""
        self.grid.append(values)
        row = len(self.grid)
        if bold:
            self.bold.append(Bold(CellRange(self.tab, row, 1, row, max(len(values), 1))))
        for col, pattern in (formats or {}).items():
            self.formats.append(NumberFormat(CellRange(self.tab, row, col, row), pattern))
        return row

    def section(self, title: str, head: tuple[str, ...] | None = None) -> None:
        """A blank row, the section's bold title and, when given, its bold header row."""
        self.add([])
        self.add([title], bold=True)
        if head:
            self.add(list(head), bold=True)
