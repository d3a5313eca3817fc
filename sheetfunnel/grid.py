"""Grids (what backends move) and Tables (what the core computes on), and A1 addressing.

A *grid* is a list of rows of cell values exactly as a backend read them: ``str``, ``int``,
``float``, ``bool``, ``datetime.datetime`` / ``datetime.date`` (xlsx date cells) or ``None``
for an empty cell. Rows may be ragged; row 0 of a grid is sheet row 1.

A *Table* is one tab turned into a DataFrame whose index is the 1-based sheet row and whose
columns are the header texts, so that every value can still be traced to its cell.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas._libs import lib  # to_object_array: what DataFrame(rows) makes first

Cell = str | int | float | bool | dt.datetime | dt.date | None
Grid = list[list[Cell]]
_NAT, _NA = pd.NaT, pd.NA


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    if col < 1:
        raise ValueError(f"column numbers start at 1, got {col}")
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27 (the .xlsx backend reads cell places like ``AA7``)."""
    number = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column name: {letters!r}")
        number = number * 26 + ord(ch) - 64
    return number


def quote_tab(tab: str) -> str:
    """Quote a tab title the way spreadsheets do inside a reference, when it needs it."""
    plain = tab.replace("_", "").isalnum() and tab.isascii() and not tab[:1].isdigit()
    return tab if plain else "'" + tab.replace("'", "''") + "'"


def a1(tab: str, row: int, col: int) -> str:
    """``Scoring!C4`` for tab Scoring, row 4, column 3 (both 1-based)."""
    return f"{quote_tab(tab)}!{column_letter(col)}{row}"


def normalise_name(text: object) -> str:
    """The key names are compared by: case-, space- and full-width-insensitive.

    NFKC folds full-width letters and digits (``ＩＤ`` -> ``ID``) and ideographic spaces;
    casefold ignores case; dropping whitespace, ``_`` and ``-`` makes ``Win %``, ``win%`` and
    ``WIN_%`` one name.
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-")


def is_blank(value: object) -> bool:
    """Empty as a person sees it: None, blank text, and pandas' missing values (NaN, NaT, NA),
    which reach cells from computed columns."""
    if value is None or value is _NAT or value is _NA:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def header_row_index(grid: Grid) -> int | None:
    """0-based index of the first row with a non-empty cell, or None for an empty tab."""
    for index, row in enumerate(grid):
        if any(not is_blank(v) for v in row):
            return index
    return None


@dataclass(frozen=True)
class Table:
    """One tab as a DataFrame that remembers where each value came from.

    ``frame`` has one column per non-empty header (the header text, stripped), object dtype,
    values as read; its index is the 1-based sheet row. ``columns`` maps each header text to
    its 1-based sheet column. Data rows that are entirely empty are dropped.
    """

    tab: str
    header_row: int
    columns: dict[str, int]
    frame: pd.DataFrame
    width: int = 0
    duplicates: tuple[str, ...] = field(default=())

    @property
    def headers(self) -> list[str]:
        return list(self.columns)


@dataclass(frozen=True)
class RoleTable:
    """A tab with its roles resolved: ``roles`` maps a role key (``amount``) to the header text
    present in ``table`` (``close_value``). Roles whose column is absent are not in ``roles``.
    """

    table: Table
    roles: dict[str, str]

    def column(self, role: str) -> pd.Series | None:
        header = self.roles.get(role)
        return None if header is None else self.table.frame[header]


def table_from_grid(tab: str, grid: Grid) -> Table:
    """Turn a grid into a Table; the header is the first non-empty row."""
    start = header_row_index(grid)
    if start is None:
        return Table(tab, 1, {}, pd.DataFrame(index=pd.Index([], dtype="int64")), 0)
    header = grid[start]
    columns: dict[str, int] = {}
    duplicates: list[str] = []
    for index, name in enumerate(header):
        if is_blank(name):
            continue
        text = str(name).strip()
        if text in columns:
            duplicates.append(text)
            continue
        columns[text] = index + 1
    width = max(map(len, grid), default=0)
    body = grid[start + 1 :]
    # a backend's rows mostly end in a filled cell; the others are looked at whole
    kept = [offset for offset, row in enumerate(body)
            if row and ((last := row[-1]).__class__ is str and last.strip()
                        or last.__class__ is int) or _has_value(row)]
    if not kept:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in columns},
                             index=pd.Index([], dtype="int64"))
        return Table(tab, start + 1, columns, frame, width, tuple(duplicates))
    picks = [c - 1 for c in columns.values()]
    # one array of the rows, short ones filled with None, then the header's columns of it
    # (a slice for the usual header, with no gaps): no copy per row nor per column
    values = lib.to_object_array(body if len(kept) == len(body) else [body[i] for i in kept],
                                 min_width=max(picks, default=-1) + 1)
    picked = values[:, : len(picks)] if picks == list(range(len(picks))) else values[:, picks]
    frame = pd.DataFrame(picked, columns=list(columns), dtype=object, copy=False,
                         index=pd.Index(np.add(kept, start + 2), dtype="int64"))
    return Table(tab, start + 1, columns, frame, width, tuple(duplicates))


def _has_value(row: Sequence[Cell]) -> bool:
    """Any cell of ``row`` not blank (``is_blank``, with its commonest cases first)."""
    for value in row:
        if value is None:
            continue
        if type(value) is str:
            if value.strip():
                return True
        elif not is_blank(value):
            return True
    return False


def cell_at(grid: Sequence[Sequence[Cell]], row: int, col: int) -> Cell:
    """Value at 1-based (row, col), None outside the grid."""
    if row - 1 < len(grid):
        line = grid[row - 1]
        if col - 1 < len(line):
            return line[col - 1]
    return None


def trim(grid: Iterable[Sequence[Cell]]) -> Grid:
    """Drop trailing empty cells of each row and trailing empty rows, as Google does."""
    rows = []
    for row in grid:
        cells = list(row)
        while cells and is_blank(cells[-1]):
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def with_formulas(tabs: Mapping[str, Grid], formulas: Mapping[str, Mapping[tuple[int, int], str]]
                  ) -> dict[str, Grid]:
    """``tabs`` with each formula cell holding its text (``= 完全匹配``) instead of what it
    computed: how the Config tabs are read (parsed, never evaluated)."""
    out = dict(tabs)
    for title, cells in formulas.items():
        if title not in out:
            continue
        grid = [list(row) for row in out[title]]
        for (row, col), text in cells.items():
            grid.extend([] for _ in range(row - len(grid)))
            line = grid[row - 1]
            line.extend([None] * (col - len(line)))
            line[col - 1] = text
        out[title] = grid
    return out
