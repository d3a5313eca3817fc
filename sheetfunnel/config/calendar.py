"""The review's Settings (#17): ``week_start``, ``funnel_mode``, ``working_days``, ``holidays``
and ``extra_working_days`` (调休: a weekend day worked), read into plain values the engine
counts weeks and working days with."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from sheetfunnel.grid import Cell
from sheetfunnel.values import written_date
from sheetfunnel.words.problems import say

REVIEW_SETTING_KEYS = ("week_start", "funnel_mode", "working_days", "holidays",
                       "extra_working_days")

#: weekday names (English, short English, Chinese) -> Monday 0 … Sunday 6
WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate((
        ("monday", "mon", "周一", "星期一"), ("tuesday", "tue", "周二", "星期二"),
        ("wednesday", "wed", "周三", "星期三"), ("thursday", "thu", "周四", "星期四"),
        ("friday", "fri", "周五", "星期五"), ("saturday", "sat", "周六", "星期六"),
        ("sunday", "sun", "周日", "星期日", "周天", "星期天"))):
    for _name in _names:
        WEEKDAYS[_name] = _number

Error = Callable[[str], None]


def read_review_setting(name: str, raw: Cell, error: Error, lang: str = "en") -> object:
    """The value of one review setting, or None after ``error`` was told what to type (in
    ``lang``)."""
    text = str(raw).strip() if raw is not None else ""
    if name == "week_start":
        day = WEEKDAYS.get(text.lower())
        if day is None:
            error(say(lang, "week_start", value=text))
            return None
        return day
    if name == "funnel_mode":
        if text.lower() in ("cumulative", "strict"):
            return text.lower()
        error(say(lang, "funnel_mode", value=text))
        return None
    if name == "working_days":
        return _weekdays(text, error, lang)
    return _dates(name, raw, text, error, lang)


def _weekdays(text: str, error: Error, lang: str) -> tuple[int, ...] | None:
    """``mon-fri``, ``mon, tue, thu`` or ``周一-周五``."""
    days: set[int] = set()
    for part in _parts(text):
        ends = [WEEKDAYS.get(end.strip().lower()) for end in re.split(r"\s*[-–~至到]\s*", part)]
        if not ends or None in ends or len(ends) > 2:
            error(say(lang, "working_days", value=text))
            return None
        first, last = ends[0], ends[-1]
        assert first is not None and last is not None
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        days.update(span)
    return tuple(sorted(days)) if days else None


def _dates(name: str, raw: Cell, text: str, error: Error, lang: str
           ) -> tuple[str, ...] | None:
    """Dates separated by commas (a single date cell too), as ISO text."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return (written_date(raw).isoformat(),)  # type: ignore[union-attr]
    found = []
    for part in _parts(text):
        day = _iso(part)
        if day is None:
            error(say(lang, "setting_dates", name=name, value=part))
            return None
        found.append(day.isoformat())
    return tuple(sorted(set(found)))


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def _parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，;；、\n]", text) if p.strip()]


def is_working_day(day: dt.date, working_days: tuple[int, ...], holidays: frozenset[str],
                   extra: frozenset[str]) -> bool:
    """A working day: a listed weekday that is no holiday, or an extra working day (调休)."""
    iso = day.isoformat()
    if iso in extra:
        return True
    return day.weekday() in working_days and iso not in holidays
