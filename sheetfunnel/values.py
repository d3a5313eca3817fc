"""Reading what people type: numbers, amounts, dates and yes/no, per spec §3.3.

Scalar readers serve the Config tabs; the Series readers serve the engine. Each scalar reader
returns None for a blank cell and raises ValueError (with a sentence a person understands) for a
filled cell it cannot read. The Series readers return the parsed values and a mask of cells that
were filled but could not be read, so the engine can raise INVALID_VALUE naming each cell —
never a silent zero. They parse each distinct value once: pipelines repeat values a lot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Literal, TypeGuard

import numpy as np
import pandas as pd

from sheetfunnel.grid import Cell
from sheetfunnel.words.problems import say

DateOrder = Literal["ymd", "dmy", "mdy"]

#: Google Sheets and Excel count days from 1899-12-30.
SERIAL_EPOCH = dt.date(1899, 12, 30)
#: The days a date can be: Excel shows none before 1900, and the engine counts in nanoseconds
#: (pandas), which end in April 2262 — with room left to add ten years of thresholds.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
#: Longest piece of a person's cell quoted in a message.
_SHOWN = 60

_CURRENCY = r"(?:[¥$€£]|US\$|HK\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|元|块)"
_NUMBER = re.compile(
    rf"""^(?P<sign1>[-+])?\s*{_CURRENCY}?\s*(?P<sign2>[-+])?\s*
    (?P<digits>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)\s*
    (?P<unit>[kKmM]|万|亿|千|百万|%)?\s*{_CURRENCY}?$""",
    re.VERBOSE,
)
_UNITS = {None: 1.0, "k": 1e3, "K": 1e3, "千": 1e3, "m": 1e6, "M": 1e6, "百万": 1e6,
          "万": 1e4, "亿": 1e8, "%": 0.01}

#: Words that say what a number counts (``600人``, ``3个月``, ``12 months``): read past, the
#: number kept as typed (3个月 is 3, not 90 days). Only Scoring and Criteria Fields read them.
_COUNT_UNIT = re.compile(
    r"\s*\+?\s*(?:个月|个|人|名|位|家|月|天|日|年|周|星期|次|台|套|件|小时|"
    r"(?:months?|days?|years?|yrs?|weeks?|hours?|hrs?|people|persons?|employees?|staff|"
    r"companies|company|times|units?|pcs|seats?)\.?)$", re.IGNORECASE)

_TIME = r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_YEAR_FIRST = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_YEAR_LAST = re.compile(rf"^(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")

_TRUE = frozenset({"yes", "y", "true", "t", "1", "✓", "✔", "☑", "是", "对", "有", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "✗", "✘", "☐", "否", "不是", "错", "无",
                    "没有"})


class Unreadable(ValueError):
    """A cell a reader cannot read, and why: said in English here, in a workbook's language by
    ``told``."""

    def __init__(self, reason: str, typed: object) -> None:
        self.reason, self.typed = reason, typed
        super().__init__(self.told("en"))

    def told(self, lang: str) -> str:
        return say(lang, f"reason.{self.reason}", value=_show(self.typed),
                   first=FIRST_DATE.year, last=LAST_DATE.year)


def fold(text: str) -> str:
    """Full-width digits, commas and signs to ASCII (``１，０００`` -> ``1,000``), stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _is_plain_number(value: object) -> TypeGuard[int | float | np.integer | np.floating]:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def read_number(value: Cell) -> float | None:
    """A number or amount as typed: ``1,000``, ``¥1,200``, ``$1,200.50``, ``1.2k``, ``50万``,
    ``1.5亿``, ``40%`` (-> 0.4), full-width ``１，０００``. None when blank.

    Never infinite (``'9' * 400`` is no amount) and never from true/false; one sign at most
    (``--5`` is a typo, not -5)."""
    if _is_blank(value):
        return None
    if _is_plain_number(value):
        return _finite(_as_float(value), value)
    if not isinstance(value, str):
        raise Unreadable("not_number", value)
    text = fold(value)
    found = _NUMBER.match(text)
    if found is None or (found["sign1"] and found["sign2"]):
        raise Unreadable("not_amount", value)
    number = float(found["digits"].replace(",", "")) * _UNITS[found["unit"]]
    return _finite(-number if "-" in (found["sign1"] or found["sign2"] or "") else number, value)


def read_quantity(value: Cell) -> float | None:
    """A number as ``read_number`` reads it, or one followed by what it counts: ``600人``,
    ``50家``, ``3个月``, ``12 months``, ``500+ employees``. None when blank."""
    try:
        return read_number(value)
    except ValueError:
        if not isinstance(value, str):
            raise
        text = _COUNT_UNIT.sub("", fold(value))
        if text == fold(value) or not text or text.endswith("%"):
            raise
        return read_number(text)


def _as_float(value: int | float | np.integer | np.floating) -> float:
    """A number cell as a float; an int beyond any float is infinite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _finite(number: float, typed: object) -> float:
    if not math.isfinite(number):
        raise Unreadable("too_big", typed)
    return number


def _valid_date(year: int, month: int, day: int, raw: object) -> dt.date:
    try:
        return _in_range(dt.date(year, month, day), raw)
    except Unreadable:
        raise
    except ValueError:
        raise Unreadable("not_real_date", raw) from None


def _in_range(day: dt.date, raw: object) -> dt.date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise Unreadable("date_range", raw)
    return day


def _year_last(first: int, second: int, year: int, order: DateOrder, raw: object) -> dt.date:
    """``1/3/2025``: day-month or month-day per ``date_order``; with ``ymd`` only when a part
    over 12 makes it unambiguous."""
    if order == "dmy":
        return _valid_date(year, second, first, raw)
    if order == "mdy":
        return _valid_date(year, first, second, raw)
    if first > 12 >= second:
        return _valid_date(year, second, first, raw)
    if second > 12 >= first:
        return _valid_date(year, first, second, raw)
    raise Unreadable("ambiguous_date", raw)


def _date_from_text(value: str, order: DateOrder) -> dt.date:
    text = fold(value)
    found = _YEAR_FIRST.match(text) or _CHINESE.match(text)
    if found:
        return _valid_date(int(found[1]), int(found[2]), int(found[3]), value)
    found = _YEAR_LAST.match(text)
    if found:
        year = int(found[3])
        year += 2000 if year < 100 else 0
        return _year_last(int(found[1]), int(found[2]), year, order, value)
    raise Unreadable("not_date_try", value)


def serial_number(value: dt.date) -> int | float:
    """A date (or date and time) as the serial number both Excel and Google Sheets store."""
    if isinstance(value, dt.datetime):
        days = (value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return int(days) if days.is_integer() else days
    return (value - SERIAL_EPOCH).days


def date_from_serial(serial: float) -> dt.date:
    """A spreadsheet serial number (days since 1899-12-30; a fraction is the time of day)."""
    first, last = serial_number(FIRST_DATE), serial_number(LAST_DATE) + 1
    if not first <= serial < last:  # also refuses NaN and infinity
        raise Unreadable("date_range", serial)
    return SERIAL_EPOCH + dt.timedelta(days=math.floor(serial))


def read_date(value: Cell, date_order: DateOrder = "ymd") -> dt.date | None:
    """A date cell, a serial number, ISO text, ``2025/3/1``, ``1/3/2025`` (per ``date_order``)
    or ``2025年3月1日``. None when blank."""
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date(), value)
    if isinstance(value, dt.date):
        return _in_range(value, value)
    if _is_plain_number(value):
        return date_from_serial(_as_float(value))
    if isinstance(value, str):
        return _date_from_text(value, date_order)
    raise Unreadable("not_date", value)


_CLOCK = re.compile(r"[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?")


def read_moment(value: Cell, date_order: DateOrder = "ymd") -> dt.datetime | None:
    """Like ``read_date``, keeping the time of day a cell carries (a date-time cell, a serial
    number's fraction, ``2026-11-24 09:30``); a date alone is 00:00. Wall-clock time as typed."""
    day = read_date(value, date_order)
    if day is None:
        return None
    start = dt.datetime.combine(day, dt.time())
    if isinstance(value, dt.datetime):
        return start + (value.replace(tzinfo=None) - dt.datetime.combine(value.date(), dt.time()))
    if _is_plain_number(value):
        return start + dt.timedelta(seconds=round(_as_float(value) % 1 * 86400))
    clock = _CLOCK.search(fold(value)) if isinstance(value, str) else None
    if clock is None:
        return start
    hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{_show(value)} has no such time of day")
    return start.replace(hour=hours, minute=minutes, second=seconds)


def written_date(value: Cell) -> dt.date | None:
    """A date the worker wrote earlier (History, its state), as either backend gives it back;
    one a person mangled is forgotten (None), never fatal."""
    try:
        return read_date(value)
    except ValueError:
        return None


def read_bool(value: Cell) -> bool | None:
    """yes/no, true/false, ✓, 是/否, 1/0 and checkbox cells. None when blank."""
    if _is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _is_plain_number(value):
        value = read_text(value)
    key = fold(value).casefold() if isinstance(value, str) else None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{_show(value)} is not yes or no")


def read_text(value: object) -> str | None:
    """The cell (or a numpy scalar from a column) as a person reads it: stripped; ``12.0``
    shows as ``12``; None when blank."""
    if _is_blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _show(value: object) -> str:
    """A cell quoted in a message; a long one shortened."""
    text = (value if isinstance(value, str) else read_text(value)) or ""
    return f"“{text[:_SHOWN - 1]}…”" if len(text) > _SHOWN else f"“{text}”"


# ---------------------------------------------------------------- Series readers (the engine)


def distinct_cells(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code of each cell, -1 when blank; the distinct cells as object).

    pandas counts True and 1 (False and 0) as one value; here a true/false cell is never the
    same as a number, whichever comes first. Only the cells of a 0/1 or true/false code are
    looked at to tell."""
    cells = series.astype(object)
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    kinds = set(map(type, uniques))  # a column of IDs or names: only str, nothing to look at
    if kinds == {str}:
        return codes, uniques
    suspects = [i for i, v in enumerate(uniques) if type(v) is not str and (
        isinstance(v, bool | np.bool_) or _is_plain_number(v) and v in (0, 1))]
    if not suspects:
        return codes, uniques
    values = cells.to_numpy()
    shared = values[np.isin(codes, suspects)]
    boolean = sum(isinstance(v, bool | np.bool_) for v in shared)
    if 0 < boolean < len(shared):
        return _apart(values)
    return codes, uniques


def _apart(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``distinct_cells`` of cells that may hold both true/false and 0/1: factorised separately."""
    boolean = np.fromiter((isinstance(v, bool | np.bool_) for v in cells), dtype=bool,
                          count=len(cells))
    others, other_uniques = pd.factorize(cells[~boolean], use_na_sentinel=True)
    flags, flag_uniques = pd.factorize(cells[boolean], use_na_sentinel=True)
    codes = np.empty(len(cells), dtype=np.intp)
    codes[~boolean] = others
    codes[boolean] = flags + len(other_uniques)
    return codes, np.concatenate([np.asarray(other_uniques, dtype=object),
                                  np.asarray(flag_uniques, dtype=object)])


def _taken(codes: np.ndarray, values: np.ndarray, fill: object) -> np.ndarray:
    """``values[codes]`` with ``fill`` where the code is -1."""
    return np.append(values, np.array([fill], dtype=values.dtype))[codes]


def _indexed(series: pd.Series, codes: np.ndarray, values: np.ndarray, bad: np.ndarray,
             fill: object) -> tuple[pd.Series, pd.Series]:
    out = _taken(codes, values, fill)
    return (pd.Series(out, index=series.index, dtype=out.dtype),
            pd.Series(_taken(codes, bad, False), index=series.index))


def _parse_distinct(series: pd.Series, reader: Callable[[Any], object], empty: object
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse each distinct value once: (codes, parsed uniques as object, unreadable uniques)."""
    codes, uniques = distinct_cells(series)
    parsed = np.empty(len(uniques), dtype=object)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        try:
            result = reader(value)
        except ValueError:
            result, bad[i] = empty, True
        parsed[i] = empty if result is None else result
    return codes, parsed, bad


def parse_amounts(series: pd.Series, *, counts: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers and amounts -> (float values, NaN when blank or unreadable; unreadable mask);
    ``counts`` also reads numbers typed with what they count (``read_quantity``)."""
    reader = read_quantity if counts else read_number
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        numbers = series.astype(float)
        infinite = pd.Series(np.isinf(numbers.to_numpy()), index=series.index)
        return numbers.mask(infinite), infinite
    codes, uniques = distinct_cells(series)
    values = np.full(len(uniques), np.nan)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        if type(value) is float and math.isfinite(value):
            values[i] = value
            continue
        try:
            number = reader(value)
        except ValueError:
            bad[i] = True
            continue
        values[i] = np.nan if number is None else number
    return _indexed(series, codes, values, bad, np.nan)



def parse_dates(series: pd.Series, date_order: DateOrder = "ymd") -> tuple[pd.Series, pd.Series]:
    """Dates as typed -> (datetime64[ns] values, NaT when blank or unreadable; unreadable mask)."""
    return _parse_moments(series, lambda value: read_date(value, date_order), day=True)


def parse_moments(series: pd.Series, date_order: DateOrder = "ymd"
                  ) -> tuple[pd.Series, pd.Series]:
    """Like ``parse_dates``, keeping each cell's time of day (``read_moment``)."""
    return _parse_moments(series, lambda value: read_moment(value, date_order), day=False)


def _parse_moments(series: pd.Series, read: Callable[[Any], dt.date | None], *, day: bool
                   ) -> tuple[pd.Series, pd.Series]:
    """Each distinct cell read once by ``read`` (ValueError: unreadable); ``day``: a date, else
    a date-time to the nanosecond."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.astype("datetime64[ns]"), pd.Series(False, index=series.index)
    codes, uniques = distinct_cells(series)
    values = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        try:
            moment = read(value)
        except ValueError:
            bad[i] = True
            continue
        if moment is not None:
            values[i] = np.datetime64(moment, "D") if day else np.datetime64(moment, "ns")
    return _indexed(series, codes, values, bad, np.datetime64("NaT"))


def parse_bools(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """yes/no cells -> (nullable boolean values, NA when blank or unreadable; unreadable mask)."""
    codes, parsed, bad = _parse_distinct(series, read_bool, None)
    values, invalid = _indexed(series, codes, parsed, bad, None)
    return values.astype("boolean"), invalid


def text_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cells as text, factorised: (code of each cell, -1 when blank; the distinct texts).
    Cells that read the same (``" a"``, ``"a"``) share a code, so callers can group on codes."""
    codes, uniques = distinct_cells(series)
    texts = [v.strip() if isinstance(v, str) else read_text(v) for v in uniques]
    if all(text is value and text for text, value in zip(texts, uniques, strict=True)):
        return codes, uniques  # already trimmed, filled and distinct
    same, distinct = pd.factorize(np.array([t or None for t in texts], dtype=object),
                                  use_na_sentinel=True)
    return _taken(codes, same, -1), np.asarray(distinct, dtype=object)


_SAMPLE = 1000  # first cells that tell a column of distinct texts


def mostly_distinct(series: pd.Series) -> bool:
    """Whether a column's first cells hardly repeat (IDs, titles): factorising it would cost
    more than reading each cell."""
    return len(series) > _SAMPLE and len(pd.unique(series.iloc[:_SAMPLE])) > _SAMPLE // 2


def parse_texts(series: pd.Series) -> pd.Series:
    """Cells as text (object dtype, None when blank); every cell can be read as text. A
    column of only text whose first cells hardly repeat (IDs, titles) is stripped cell by
    cell: factorising 100,000 distinct IDs costs several times more."""
    if mostly_distinct(series) and pd.api.types.infer_dtype(series, skipna=True) == "string":
        cells = series.to_numpy(dtype=object)
        filled = ~pd.isna(cells)
        texts = np.full(len(cells), None, dtype=object)
        texts[filled] = np.array([v.strip() or None for v in cells[filled]] + [None],
                                 dtype=object)[:-1]
        return pd.Series(texts, index=series.index, dtype=object)
    codes, texts = text_codes(series)
    return pd.Series(_taken(codes, texts, None), index=series.index, dtype=object)


def as_datetimes(days: pd.Series) -> pd.Series:
    """``datetime.date`` cells (None when unknown) -> datetime64[ns]; each distinct day is
    converted once."""
    codes, uniques = pd.factorize(days.astype(object), use_na_sentinel=True)
    converted = pd.to_datetime(uniques).to_numpy("datetime64[ns]")
    return pd.Series(_taken(codes, converted, np.datetime64("NaT", "ns")), index=days.index)


def as_dates(moments: pd.Series) -> np.ndarray:
    """datetime64 -> ``datetime.date`` objects (None for NaT); each distinct day is converted
    once, which beats ``.dt.date`` on long columns of few days."""
    codes, uniques = pd.factorize(moments, use_na_sentinel=True)
    return _taken(codes, np.asarray(pd.DatetimeIndex(uniques).date, dtype=object), None)
