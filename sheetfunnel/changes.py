"""What a write plan would change, told the way a person checks it: per tab and column, how many
cells, and the first few as ``ID · column: old → new``.

``--dry-run`` prints this instead of raw cell addresses. A row is named by the opportunity or
customer ID it was computed for (the plan's ``RowKeys``, or the ID the plan fills in), else by
its cell address; a column by its header. Pure: the plan and the grids the run read go in, the
summary comes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sheetfunnel.grid import Cell, Grid, a1, cell_at, column_letter, header_row_index, is_blank
from sheetfunnel.plan import CellWrite, WritePlan
from sheetfunnel.values import date_from_serial

#: How many changes of a column are shown; the rest are counted.
FIRST = 3
#: Text longer than this is cut with an ellipsis when shown.
LONGEST = 40


@dataclass(frozen=True)
class Change:
    """One cell: the row's ID (``by_id``) or else the cell's address, the value there now and
    the new one."""

    where: str
    old: Cell
    new: Cell
    by_id: bool = False


@dataclass(frozen=True)
class ColumnChanges:
    """The changes to one column of one tab: how many, and the first few in sheet order."""

    tab: str
    column: str
    count: int
    first: tuple[Change, ...]

    def lines(self) -> list[str]:
        """``OPP-7 · Score: 40 → 55`` (``Summary!B4: 3 → 4`` for a row without an ID) for each
        change shown, then ``… and N more``."""
        shown = [f"{c.where}{f' · {self.column}' if c.by_id else ''}: "
                 + " → ".join(show_pair(c.old, c.new)) for c in self.first]
        more = self.count - len(self.first)
        return shown + ([f"… and {more:,} more"] if more else [])


@dataclass(frozen=True)
class TabChanges:
    """One tab's changes; ``hidden`` for the worker's own hidden tab (its memory)."""

    tab: str
    count: int
    columns: tuple[ColumnChanges, ...]
    hidden: bool = False


@dataclass(frozen=True)
class PlannedChanges:
    """Every tab the plan changes, in plan order, with its columns in sheet order."""

    tabs: tuple[TabChanges, ...]

    @property
    def total(self) -> int:
        return sum(tab.count for tab in self.tabs)


def planned_changes(plan: WritePlan, before: Mapping[str, Grid],
                    first: int = FIRST) -> PlannedChanges:
    """The cells ``plan`` changes, grouped by tab and column; ``before`` holds the grids the
    run read (a tab missing from it is new, every cell blank)."""
    tabs = []
    hidden = {spec.title for spec in plan.tabs if spec.hidden}
    for tab, writes in plan.cells_by_tab().items():
        grid = before.get(tab) or []
        header_row, headers = _headers(grid, writes)
        names = _row_names(plan, tab, writes, header_row)
        by_column: dict[int, list[CellWrite]] = {}
        for write in writes:
            by_column.setdefault(write.col, []).append(write)
        columns = []
        for col in sorted(by_column):
            cells = sorted(by_column[col], key=lambda w: w.row)
            label = headers.get(col) or f"column {column_letter(col)}"
            shown = tuple(Change(names.get(w.row) or a1(tab, w.row, w.col),
                                 _as_seen(cell_at(grid, w.row, w.col), w.value), w.value,
                                 w.row in names) for w in cells[:first])
            columns.append(ColumnChanges(tab, label, len(cells), shown))
        tabs.append(TabChanges(tab, len(writes), tuple(columns), tab in hidden))
    return PlannedChanges(tuple(tabs))


def show(value: Cell) -> str:
    """A value as a person reads it in one line: ``(blank)``, ``2026-11-24``, ``55``, text cut
    to ``LONGEST`` characters."""
    if is_blank(value):
        return "(blank)"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "minutes") if value.time() != dt.time() else \
            value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return _cut(" ".join(str(value).split()))


def show_pair(old: Cell, new: Cell) -> tuple[str, str]:
    """Old and new value shown; two long texts that read alike when cut are shown from a
    little before where they differ (``…for 8 days`` → ``…for 9 days``)."""
    shown = show(old), show(new)
    if shown[0] != shown[1] or not (isinstance(old, str) and isinstance(new, str)):
        return shown
    texts = " ".join(old.split()), " ".join(new.split())
    same = next((i for i, (a, b) in enumerate(zip(*texts, strict=False)) if a != b),
                min(map(len, texts)))
    begin = max(0, same - 10)
    return _cut("…" + texts[0][begin:]), _cut("…" + texts[1][begin:])


def _cut(text: str) -> str:
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"


def _row_names(plan: WritePlan, tab: str, writes: list[CellWrite],
               header_row: int) -> dict[int, str]:
    """Row -> the ID the row was computed for, or the ID the plan fills into it."""
    names: dict[int, str] = {}
    for keys in plan.row_keys:
        if keys.tab != tab:
            continue
        names |= {w.row: str(w.value) for w in writes
                  if w.col == keys.id_col and w.row > header_row and not is_blank(w.value)}
        names |= keys.ids
    return names


def _headers(grid: Grid, writes: list[CellWrite]) -> tuple[int, dict[int, str]]:
    """The header row, and column -> its header text after the plan: the tab's first
    non-empty row (the plan's first row on a new or empty tab), with what the plan writes
    there. A row with a single text in it is a title, not a header: no column is named."""
    found = header_row_index(grid)
    row = found + 1 if found is not None else min((w.row for w in writes), default=1)
    headers = {col: str(value).strip() for col, value in enumerate(
        grid[row - 1] if row - 1 < len(grid) else [], start=1) if not is_blank(value)}
    for write in writes:
        if write.row == row:
            if is_blank(write.value):
                headers.pop(write.col, None)
            else:
                headers[write.col] = str(write.value).strip()
    return row, headers if len(headers) > 1 else {}


def _as_seen(old: Cell, new: Cell) -> Cell:
    """The old value as a person saw it: a date Google Sheets gave back as a serial number is
    shown as the date when a date is written over it."""
    if isinstance(new, dt.date) and isinstance(old, int | float) and not isinstance(old, bool):
        try:
            return date_from_serial(old)
        except ValueError:
            return old
    return old
