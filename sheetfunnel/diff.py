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
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat

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
    return _diff(tab, current or [], desired.items())


def diff_whole_tab(tab: str, current: Grid | None, desired: Grid) -> list[CellWrite]:
    """Writes that make ``tab`` hold exactly ``desired``: changed cells, and leftovers cleared
    (after them, in sheet order)."""
    current = current or []

    def cells() -> Iterator[tuple[tuple[int, int], object]]:
        for number, line in enumerate(desired, start=1):
            yield from zip(zip(repeat(number), range(1, len(line) + 1)), line, strict=True)
        for number, line in enumerate(current, start=1):  # the cells past what is wanted
            wanted = len(desired[number - 1]) if number <= len(desired) else 0
            if len(line) > wanted:
                yield from zip(zip(repeat(number), range(wanted + 1, len(line) + 1)),
                               repeat(None), strict=False)
    return _diff(tab, current, cells())


def _diff(tab: str, current: Grid, desired: Iterable[tuple[tuple[int, int], object]]
          ) -> list[CellWrite]:
    """The writes of ``desired`` cells whose value, made ``storable``, is not the
    ``same_value`` as in ``current``. The usual cells (a plain text, a finite number, a date,
    a blank) are decided here in short, the same way; any other takes the long way."""
    return cell_writes(_changed(tab, current, desired))


def _changed(tab: str, current: Grid, desired: Iterable[tuple[tuple[int, int], object]]
             ) -> Iterator[tuple[str, int, int, Cell]]:
    """(tab, row, col, value) of each desired cell to write."""
    rows = len(current)
    stored: dict[str, bool] = {}  # text -> it reads back as itself (most texts repeat)
    serials: dict[dt.date, int | float] = {}  # a date's serial number (dates repeat)
    for (row, col), wanted in desired:
        line = current[row - 1] if row <= rows else ()
        have = line[col - 1] if col <= len(line) else None
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
