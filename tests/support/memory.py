"""A workbook held in memory, for tests of what the worker reads and writes without a file."""

from __future__ import annotations

from collections.abc import Sequence

from sheetfunnel.grid import Grid, trim
from sheetfunnel.plan import IOStats, WritePlan
from sheetfunnel.workbook.base import Selector, Snapshot, every_tab, read_selected


class MemoryWorkbook:
    """The Workbook protocol over dict grids, trimmed as Google trims them."""

    def __init__(self, tabs: dict[str, Grid] | None = None) -> None:
        self.name = "memory"
        self.io = IOStats()
        self.tabs: dict[str, Grid] = tabs or {}
        self.hidden: set[str] = set()
        self.writes: list[tuple[str, int, int]] = []

    def read(self, select: Selector = every_tab) -> Snapshot:
        self.io.read_requests += 1
        titles = list(self.tabs)
        grids = read_selected(titles, select, lambda todo: {
            title: [list(row) for row in self.tabs[title]] for title in todo})
        return Snapshot(grids, frozenset(self.hidden), tuple(titles))

    def formulas(self, titles: Sequence[str]) -> dict[str, dict[tuple[int, int], str]]:
        """Grids in memory hold what was typed: no formula to read apart."""
        return {}

    def apply(self, plan: WritePlan) -> None:
        for spec in plan.tabs:
            self.tabs.setdefault(spec.title, [])
            if spec.hidden:
                self.hidden.add(spec.title)
        for write in plan.cells:
            grid = self.tabs[write.tab]
            grid.extend([] for _ in range(write.row - len(grid)))
            row = grid[write.row - 1]
            row.extend([None] * (write.col - len(row)))
            row[write.col - 1] = write.value
            self.tabs[write.tab] = grid = trim(grid)
            self.writes.append((write.tab, write.row, write.col))
        self.io.cells_written += len(plan.cells)
        self.io.write_requests += bool(plan.cells)
