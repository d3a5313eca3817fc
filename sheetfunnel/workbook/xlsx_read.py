"""Reading an .xlsx file's tabs with python-calamine, a native reader, into grids.

A run reads every cell of the tabs it needs; calamine does that some 20-30 times faster than
loading the workbook into openpyxl objects. The grids hold what a person sees, in the types
the rest of sheetfunnel expects (see ``grid.py``): a formula cell's last computed value, a date
cell as a ``datetime`` (its style says it is a date), whole numbers as ``int``, a time of day
or a duration as its text, an error as its text (``#DIV/0!``) and ``None`` for an empty cell.

python-calamine hands error cells back empty, so the sheet parts that hold any (a quick
search of the bytes, in a thread beside calamine) are scanned for them. The same search tells
the parts with no error and no boolean cell, the usual ones: their values then convert through
one dictionary lookup each (``_Seen``), which a boolean would confuse (``True == 1.0``).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from sheetfunnel.grid import Cell, Grid
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.base import Selector, Snapshot, read_selected
from sheetfunnel.workbook.xlsx_names import tab_ids
from sheetfunnel.workbook.xlsx_package import Package
from sheetfunnel.workbook.xlsx_rows import (
    last_row_number,
    row_cells,
    row_number,
    rows,
    whole_rows,
)

_EXACT_INTEGERS = 2 ** 53  # larger whole numbers stay floats, as Excel holds them


def read_snapshot(path: Path, select: Selector,
                  unreadable: Callable[[Exception], Exception]) -> Snapshot:
    """The tabs ``select`` asks for; ``unreadable`` turns a reader's failure into the error
    to raise (the file is not a workbook, or a part of it is damaged)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, zipfile.BadZipFile, ValueError) as exc:
        raise unreadable(exc) from exc
    try:
        sheets = [s for s in book.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
        titles = [s.name for s in sheets]
        hidden = frozenset(s.name for s in sheets if s.visible != SheetVisibleEnum.Visible)
        with Package.open(path) as package, ThreadPoolExecutor(max_workers=1) as scanner:
            parts = {tab.title: tab.part for tab in package.tabs()}
            ids = {title: tab_id for title, tab_id in tab_ids(package.read(package.workbook))
                   .items() if title in titles}
            seen = _Seen()

            def read(todo: list[str]) -> dict[str, Grid]:
                # the search for error cells runs beside calamine, which lets go of the GIL
                scans = {title: scanner.submit(_scan, path, parts[title])
                         for title in todo if title in parts}
                grids = {}
                for title in todo:
                    rows = _rows(book.get_sheet_by_name(title))
                    errors, plain = scans[title].result() if title in scans else ({}, False)
                    grids[title] = _plain_grid(rows, seen) if plain else _grid(rows, seen)
                    _put_errors(grids[title], errors)
                return grids
            tabs = read_selected(titles, select, read, ids)
    except (CalamineError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # damaged parts
        raise unreadable(exc) from exc
    finally:
        book.close()
    return Snapshot(tabs, hidden, tuple(titles), ids)


def _rows(sheet: CalamineSheet) -> Iterator[list[Any]]:
    """The sheet's rows from row 1 and column A, one at a time as calamine makes them (no
    list of them all first). calamine starts each row at the first column holding a value,
    though it starts the rows at row 1: empty columns to the left are put back."""
    start = sheet.start
    if start is None or start[1] == 0:
        return sheet.iter_rows()
    left = [""] * start[1]
    return (left + row for row in sheet.iter_rows())


def _grid(rows: Iterable[list[Any]], seen: dict[Any, Cell]) -> Grid:
    """The rows in the types a Grid holds (changed in place: calamine made them for us),
    trailing blanks dropped as ``trim`` does. Equal texts and dates become one object
    (``seen``): a column of stages or days then costs one object per value, not per row."""
    grid = []
    for row in rows:
        for index, value in enumerate(row):
            kind = value.__class__
            if kind is str:
                row[index] = seen.setdefault(value, value) if value != "" else None
            elif kind is float:
                if value.is_integer() and -_EXACT_INTEGERS < value < _EXACT_INTEGERS:
                    row[index] = int(value)
            elif kind is not bool:
                found = seen.get(value)
                row[index] = found if found is not None else seen.setdefault(
                    value, _value(value))
        while row and (row[-1] is None or row[-1].__class__ is str and not row[-1].strip()):
            row.pop()
        grid.append(row)
    while grid and not grid[-1]:
        grid.pop()
    return grid


class _Seen(dict[Any, Cell]):
    """Each value calamine gave, in the type a Grid holds, made on its first lookup: equal
    texts and dates then share one object. Its keys are texts, numbers and dates; a boolean
    among them would be taken for the number equal to it."""

    def __missing__(self, value: Any) -> Cell:
        kind = value.__class__
        if kind is str:
            shown: Cell = value if value != "" else None
        elif kind is float:
            shown = int(value) if value.is_integer() and -_EXACT_INTEGERS < value < \
                _EXACT_INTEGERS else value
        elif kind in _DATES:
            shown = _value(value)
        else:  # a boolean where the search of the bytes found none: a writer's odd spelling
            raise _NotPlain(value)
        self[value] = shown
        return shown


class _NotPlain(Exception):
    """A value ``_Seen`` cannot convert alone."""


_DATES = frozenset((dt.date, dt.datetime, dt.time, dt.timedelta))


def _plain_grid(rows: Iterable[list[Any]], seen: _Seen) -> Grid:
    """``_grid`` for a part with no error or boolean cell: each row converted in one pass
    of lookups, without a Python step per cell."""
    get = seen.__getitem__
    grid = []
    row: list[Any] = []
    rest = iter(rows)
    try:
        for row in rest:
            row[:] = map(get, row)  # all or nothing: map runs out before the row changes
            while row and (row[-1] is None or row[-1].__class__ is str and not row[-1].strip()):
                row.pop()
            grid.append(row)
    except _NotPlain:  # the rows converted so far convert again to themselves
        return _grid(chain(grid, [row], rest), seen)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _scan(path: Path, part: str) -> tuple[dict[tuple[int, int], str], bool]:
    """The error cells of a sheet part, and whether it holds neither errors nor booleans."""
    with Package.open(path) as package:
        if _plain(package.chunks(part)):
            return {}, True
        return error_cells(package.chunks(part)), False


_MARK = re.compile(rb"""t=["'][eb]["']""")  # t="e", t="b" as writers spell them


def _plain(chunks: Iterator[bytes]) -> bool:
    """No error cell (``t="e"``) and no boolean (``t="b"``) in these bytes of a sheet part."""
    tail = b""
    for chunk in chunks:
        if _MARK.search(tail + chunk[:8]) or _MARK.search(chunk):
            return False
        tail = chunk[-8:]
    return True


def _put_errors(grid: Grid, errors: dict[tuple[int, int], str]) -> None:
    """``grid`` with the text of its error cells put back."""
    for (row, col), shown in errors.items():
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        cells.extend([None] * (col - len(cells)))
        cells[col - 1] = shown


_ERROR_MARKS = (b't="e"', b"t='e'")


def error_cells(chunks: Iterator[bytes]) -> dict[tuple[int, int], str]:
    """(row, column) -> error text (``#N/A``) of the cells whose value is an error."""
    seen: list[bytes] = []
    tail = b""
    for chunk in chunks:  # most parts hold no error: a search of the bytes says so
        seen.append(chunk)
        if any(mark in tail + chunk[:8] or mark in chunk for mark in _ERROR_MARKS):
            return _error_cells(iter([*seen, *chunks]))
        tail = chunk[-8:]
    return {}


def _error_cells(chunks: Iterator[bytes]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    number = 0
    for piece in whole_rows(chunks):
        if not any(mark in piece for mark in _ERROR_MARKS):
            number = last_row_number(piece, number)
            continue
        for row in rows(piece):
            number = row_number(row[0], number)
            if not any(mark in row[0] for mark in _ERROR_MARKS):
                continue
            for cell in row_cells(row[0]):
                shown = cell.raw_value() if cell.kind == "e" else None
                if shown:
                    found[(number, cell.col)] = shown
    return found


_FORMULA_TEXT = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?>([^<]*)</", re.S)


def formula_cells(chunks: Iterator[bytes]) -> dict[tuple[int, int], str]:
    """(row, column) -> the text of each formula with one of its own (``=`` first); a shared
    formula's followers, which hold none, are left out."""
    found: dict[tuple[int, int], str] = {}
    number = 0
    for piece in whole_rows(chunks):
        for row in rows(piece):
            number = row_number(row[0], number)
            for cell in row_cells(row[0]):
                text = _FORMULA_TEXT.search(cell.inner) if cell.inner and cell.has_formula \
                    else None
                if text is not None and text[1].strip():
                    found[(number, cell.col)] = "=" + ooxml.unescape_text(text[1])
    return found


def read_formulas(path: Path, titles: Sequence[str]) -> dict[str, dict[tuple[int, int], str]]:
    """The formula text of the tabs ``titles`` (small Config tabs: each part read whole)."""
    with Package.open(path) as package:
        parts = {tab.title: tab.part for tab in package.tabs()}
        return {title: found for title in titles if title in parts
                and (found := formula_cells(package.chunks(parts[title])))}


def _value(value: Any) -> Cell:
    """A date, time or duration cell in the types a Grid holds."""
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value
