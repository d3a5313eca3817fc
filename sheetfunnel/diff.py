"""Compare what a run wants in a cell with what is there, so that only real changes are written.

Backends hand values back in their own types (an xlsx date cell is a ``datetime``, a Google
date is a serial number, a whole number may come back as ``int`` or ``float``): equality here
is by what a person would see, so a rerun on unchanged data plans no writes at all.

What a run wants is first made ``storable``: the value as both backends give it back after
writing it. A value a spreadsheet cannot hold (NaT, NaN, infinity, text too long for a cell,
a date before 1900) would otherwise be written again on every run, since the cell never reads
back as what was wanted.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, compress, repeat
from operator import add, and_, eq, is_, is_not, itemgetter, not_
from typing import cast

import numpy as np

from sheetfunnel.grid import Cell, Grid, is_blank
from sheetfunnel.plan import CellWrite, cell_writes
from sheetfunnel.values import FIRST_DATE, serial_number

#: Excel keeps at most 32,767 characters in a cell, counted as UTF-16 units (an emoji is two);
#: Google Sheets 50,000. Longer text is cut to this length in both.
MAX_TEXT = 32_767
#: Characters an .xlsx file (XML 1.0) cannot hold; the Google Sheet gets the same text.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: About a millisecond, in days: how close two date-times read back (xlsx keeps milliseconds).
_SAME_MOMENT = 1e-8
#: Whole numbers a float holds exactly (any larger one takes the long way in ``diff_cells``).
_EXACT = 2 ** 53


def storable(value: object) -> Cell:
    """``value`` as a spreadsheet gives it back after it is written: the one form a run writes
    and compares, on both backends.

    Missing values (None, NaN, NaT, blank text) and infinities are blank (None); numpy and
    pandas scalars are plain Python; text loses the characters a file cannot hold, ends lines
    with ``\\n`` and is cut to ``MAX_TEXT``; a date before 1900 (Excel has no day 0 and no
    negative days) is its ISO text.
    """
    if isinstance(value, np.generic):
        value = value.item()  # np.datetime64("NaT") becomes None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dt.date):
        return _moment(value)
    if isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            return None
        if not math.isfinite(number):
            return None
        return value if isinstance(value, int | float) else number
    if is_blank(value):  # pd.NA
        return None
    return _text(str(value))  # a time of day, a duration: shown as a person reads it


def _text(text: str) -> str | None:
    text = _UNSTORABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > MAX_TEXT // 2 and len(text.encode("utf-16-le")) > 2 * MAX_TEXT:
        text = text.encode("utf-16-le")[:2 * MAX_TEXT].decode("utf-16-le", "ignore")
    return text if text.strip() else None


def stored_as_is(text: str) -> bool:
    """``storable(text) == text``: the text reads back as itself (printable ASCII of a
    cell's length always does, so the usual ID or label skips the search)."""
    if text.isascii() and text.isprintable() and len(text) <= MAX_TEXT:
        return bool(text.strip())
    return _text(text) == text


def _moment(value: dt.date) -> Cell:
    """A date or date-time (pd.Timestamp included; NaT is blank); before 1900 as ISO text."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        moment = dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                             value.second, value.microsecond)  # plain: no zone, no Timestamp
        if moment.date() < FIRST_DATE:
            return moment.isoformat(" ") if moment.time() != dt.time() else \
                moment.date().isoformat()
        return moment
    return value.isoformat() if value < FIRST_DATE else value


def _serial(value: Cell) -> float | None:
    """A cell read back as a date's serial number: a date cell, or a number (Google)."""
    if isinstance(value, dt.date):
        return float(serial_number(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def same_value(current: Cell, desired: Cell) -> bool:
    """True when writing ``desired`` (as ``storable`` gives it) over ``current`` would change
    nothing a person sees."""
    if is_blank(desired) or is_blank(current):
        return is_blank(desired) and is_blank(current)
    if isinstance(desired, dt.date):
        have = _serial(current)
        return have is not None and math.isclose(have, serial_number(desired), rel_tol=0,
                                                 abs_tol=_SAME_MOMENT)
    if isinstance(desired, bool) or isinstance(current, bool):
        return type(desired) is type(current) and desired == current
    if isinstance(desired, int | float) and isinstance(current, int | float):
        return math.isclose(float(desired), float(current), rel_tol=1e-12, abs_tol=1e-9)
    return type(desired) is type(current) and desired == current


def diff_cells(tab: str, current: Grid | None, desired: Mapping[tuple[int, int], object]
               ) -> list[CellWrite]:
    """Writes that bring the given cells of ``tab`` to ``desired`` (row, col -> value)."""
    if not current:  # a tab the run makes (or an empty one): every cell is new
        return _fresh(tab, map(itemgetter(0), desired), map(itemgetter(1), desired),
                      list(desired.values()))
    return cell_writes(_changed(tab, _looked_up(current, desired.items())))


def diff_columns(tab: str, current: Grid | None, rows: Sequence[int],
                 columns: Iterable[tuple[int, Sequence[object]]]) -> list[CellWrite]:
    """Writes that bring whole columns of ``tab`` to ``columns`` (col, its values at ``rows``):
    the writes ``diff_cells`` makes of those cells, column after column, each down ``rows``.
    A column is compared with the one read as a list, without a (row, col) key each: a first
    run at 100,000 deals writes 900,000 such cells."""
    lines = _lines(current or [], rows)
    widths = list(map(len, lines))
    narrowest, widest = min(widths, default=0), max(widths, default=0)
    writes: list[CellWrite] = []
    for col, values in columns:
        if col > widest:  # a column the sheet does not have yet
            have = None
        elif col <= narrowest:
            have = list(map(itemgetter(col - 1), lines))
        else:
            have = [line[col - 1] if col <= len(line) else None for line in lines]
        if have is None:
            writes += _fresh(tab, rows, repeat(col), values)
        else:
            writes += _differing(tab, rows, repeat(col), have, values)
    return writes


def diff_whole_tab(tab: str, current: Grid | None, desired: Grid) -> list[CellWrite]:
    """Writes that make ``tab`` hold exactly ``desired``: changed cells, and leftovers cleared
    (after them, in sheet order)."""
    current = current or []
    both = min(len(current), len(desired))  # rows past the current ones are all new

    def leftovers() -> Iterator[tuple[tuple[int, int], object]]:
        for number, line in enumerate(current, start=1):  # the cells past what is wanted
            wanted = len(desired[number - 1]) if number <= len(desired) else 0
            if len(line) > wanted:
                yield from zip(zip(repeat(number), range(wanted + 1, len(line) + 1)),
                               repeat(None), strict=False)
    rows, cols, values = _flat(1, desired[:both])
    have = list(chain.from_iterable(map(_fitted, current, map(len, desired[:both]))))
    return (_differing(tab, rows, cols, have, values)
            + _fresh(tab, *_flat(both + 1, desired[both:]))
            + cell_writes(_changed(tab, _looked_up(current, leftovers()))))


def _flat(first: int, lines: Grid) -> tuple[Iterator[int], Iterator[int], list[Cell]]:
    """The row, the column and the value of each cell of ``lines`` (the first at row
    ``first``), row after row."""
    widths = list(map(len, lines))
    return (chain.from_iterable(map(repeat, range(first, first + len(lines)), widths)),
            chain.from_iterable(map(range, repeat(1), map(add, widths, repeat(1)))),
            list(chain.from_iterable(lines)))


def _fitted(line: list[Cell], width: int) -> Sequence[Cell]:
    """``line`` cut or filled with blanks to ``width`` cells."""
    return line if len(line) == width else [*line[:width], *repeat(None, width - len(line))]


def _lines(current: Grid, rows: Sequence[int]) -> Sequence[Sequence[Cell]]:
    """The line read at each of ``rows`` (empty past the end)."""
    if rows and rows[0] >= 1 and rows[-1] <= len(current) \
            and list(rows) == list(range(rows[0], rows[-1] + 1)):
        return current[rows[0] - 1:rows[-1]]  # consecutive rows, as deals usually are
    return [current[row - 1] if row <= len(current) else () for row in rows]


def _looked_up(current: Grid, desired: Iterable[tuple[tuple[int, int], object]]
               ) -> Iterator[tuple[int, int, Cell, object]]:
    """(row, col, the cell read there, the value wanted) of each desired cell."""
    rows = len(current)
    for (row, col), wanted in desired:
        line = current[row - 1] if row <= rows else ()
        yield row, col, line[col - 1] if col <= len(line) else None, wanted


#: The types of the values ``_plain`` checks one by one.
_PLAIN_TYPES = frozenset({str, float, int, bool, dt.date, type(None)})


def _plain(values: Sequence[object]) -> bool:
    """Every value is already its ``storable`` form and every blank is None: a text that
    reads back as itself, a number a float holds exactly, a date from 1900, a bool. Checked
    once per distinct value (a column's texts and numbers repeat)."""
    if not set(map(type, values)) <= _PLAIN_TYPES:
        return False
    for value in set(values):  # 1, 1.0 and True are one key: each is plain, or none is
        kind = type(value)
        if kind is str:
            if not stored_as_is(value):  # type: ignore[arg-type]
                return False
        elif kind is float or kind is int:
            if not -_EXACT < value < _EXACT:  # type: ignore[operator]
                return False
        elif kind is dt.date and value < FIRST_DATE:  # type: ignore[operator]
            return False
    return True


def _fresh(tab: str, rows: Iterable[int], cols: Iterable[int], values: Sequence[object]
           ) -> list[CellWrite]:
    """The writes of ``values`` (at ``rows`` and ``cols``, in that order) over blank cells:
    each value not blank, as ``_changed`` decides against a blank cell. When every value is
    ``_plain`` that is each one not None, as it is."""
    if _plain(values):
        cells = cast(Sequence[Cell], values)
        return cell_writes(compress(zip(repeat(tab), rows, cols, cells),
                                    map(is_not, cells, repeat(None))))
    return cell_writes(_changed(tab, zip(rows, cols, repeat(None), values)))


#: A whole number reads back as an int (.xlsx) or a float: both are numbers to compare.
_KIND: dict[type, type] = {int: float}


def _differing(tab: str, rows: Iterable[int], cols: Iterable[int], have: list[Cell],
               values: Sequence[object]) -> list[CellWrite]:
    """The writes of ``values`` over ``have`` (the cells read there), as ``_changed`` decides.
    When every value is ``_plain``, a cell read that equals its value and is of its kind (a
    text, a number, a bool, a date) is the same (``same_value``) and is passed over unlooked
    at: a rerun's cells mostly are."""
    if have.count(None) == len(have):
        return _fresh(tab, rows, cols, values)
    cells = zip(rows, cols, have, values, strict=False)  # rows or cols may repeat on
    if _plain(values):
        kinds = map(is_, map(_KIND.get, map(type, have), map(type, have)),
                    map(_KIND.get, map(type, values), map(type, values)))
        kept = map(and_, kinds, map(eq, have, values))
        return cell_writes(_changed(tab, compress(cells, map(not_, kept))))
    return cell_writes(_changed(tab, cells))


def _changed(tab: str, cells: Iterable[tuple[int, int, Cell, object]]
             ) -> Iterator[tuple[str, int, int, Cell]]:
    """(tab, row, col, value) of each cell (row, col, the cell read, the value wanted) to
    write: those whose value, made ``storable``, is not the ``same_value`` as the cell read.
    The usual cells (a plain text, a finite number, a date, a blank) are decided here in
    short, the same way; any other takes the long way."""
    stored: dict[str, bool] = {}  # text -> it reads back as itself (most texts repeat)
    serials: dict[dt.date, int | float] = {}  # a date's serial number (dates repeat)
    for row, col, have, wanted in cells:
        if type(wanted) is str:
            same = stored.get(wanted)
            if same is None:
                same = stored[wanted] = stored_as_is(wanted)
            if same:  # storable(wanted) is wanted
                if type(have) is not str or have != wanted:
                    yield tab, row, col, wanted
                continue
        elif type(wanted) is float or type(wanted) is int:
            if -_EXACT < wanted < _EXACT:  # finite, and storable(wanted) is wanted
                if have is None:
                    yield tab, row, col, wanted
                    continue
                if type(have) is float or type(have) is int:
                    if wanted != have and not math.isclose(
                            wanted, have, rel_tol=1e-12, abs_tol=1e-9):
                        yield tab, row, col, wanted
                    continue
        elif wanted is None:
            if have is not None and not is_blank(have):
                yield tab, row, col, None
            continue
        elif type(wanted) is dt.date and wanted >= FIRST_DATE:  # storable: itself
            if have is None:
                yield tab, row, col, wanted
                continue
            if type(have) is float or type(have) is int:  # a serial number (Google)
                serial = serials.get(wanted)
                if serial is None:
                    serial = serials[wanted] = serial_number(wanted)
                same = math.isclose(have, serial, rel_tol=0,
                                    abs_tol=_SAME_MOMENT)
            else:
                same = type(have) is dt.datetime and have.date() == wanted and not (
                    have.hour or have.minute or have.second or have.microsecond) \
                    or same_value(have, wanted)
            if not same:
                yield tab, row, col, wanted
            continue
        value = storable(wanted)
        if not same_value(have, value):
            yield tab, row, col, value
