"""Compare what a run wants in a cell with what is there, so that only real changes are written.

Backends hand values back in their own types (an xlsx date cell is a ``datetime``, a Google
date is a serial number, a whole number may come back as ``int`` or ``float``): equality here
is by what a person would see, so a rerun on unchanged data plans no writes at all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from sheetfunnel.grid import Cell, Grid, is_blank
from sheetfunnel.plan import CellWrite
from sheetfunnel.values import serial_number


def _as_date(value: Cell) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else None
    if isinstance(value, dt.date):
        return value
    return None


def same_value(current: Cell, desired: Cell) -> bool:
    """True when writing ``desired`` over ``current`` would change nothing a person sees."""
    if is_blank(desired) or is_blank(current):
        return is_blank(desired) and is_blank(current)
    wanted_date = _as_date(desired)
    if wanted_date is not None:
        have = _as_date(current)
        if have is None and isinstance(current, int | float) and not isinstance(current, bool):
            return float(current) == serial_number(wanted_date)
        return have == wanted_date
    if isinstance(desired, bool) or isinstance(current, bool):
        return type(desired) is type(current) and desired == current
    if isinstance(desired, int | float) and isinstance(current, int | float):
        return math.isclose(float(desired), float(current), rel_tol=1e-12, abs_tol=1e-9)
    return type(desired) is type(current) and desired == current


def diff_cells(tab: str, current: Grid | None, desired: Mapping[tuple[int, int], Cell]
               ) -> list[CellWrite]:
    """Writes that bring the given cells of ``tab`` to ``desired`` (row, col -> value)."""
    current = current or []
    writes = []
    for (row, col), value in desired.items():
        have = current[row - 1][col - 1] if row - 1 < len(current) and col - 1 < len(
            current[row - 1]) else None
        if not same_value(have, value):
            writes.append(CellWrite(tab, row, col, None if is_blank(value) else value))
    return writes


def diff_whole_tab(tab: str, current: Grid | None, desired: Grid) -> list[CellWrite]:
    """Writes that make ``tab`` hold exactly ``desired``: changed cells, and leftovers cleared."""
    cells: dict[tuple[int, int], Cell] = {}
    for r, row in enumerate(desired, start=1):
        for c, value in enumerate(row, start=1):
            cells[(r, c)] = value
    for r, row in enumerate(current or [], start=1):
        for c, value in enumerate(row, start=1):
            if (r, c) not in cells and not is_blank(value):
                cells[(r, c)] = None
    return diff_cells(tab, current, cells)
