"""The Settings keys of notifications (spec §6): quiet_hours, quiet_weekends, renotify_days,
escalate_after_days — read from the Settings section with located problems."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sheetfunnel.config.sections import ConfigSection
from sheetfunnel.config.vocabulary import setting_key, shown
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, is_blank
from sheetfunnel.values import read_bool
from sheetfunnel.words.problems import say

#: A span of local time in minutes after midnight, [start, end); it wraps when start > end.
Span = tuple[int, int]

_TIME = r"(\d{1,2})[:：](\d{2})"
_SPAN = re.compile(rf"^\s*{_TIME}\s*[-–~—到至]\s*{_TIME}\s*$")


@dataclass(frozen=True)
class NotifySettings:
    timezone: str = "UTC"
    quiet_hours: Span | None = (21 * 60, 8 * 60)
    quiet_weekends: bool = True
    renotify_days: tuple[int, ...] = (1, 3, 7)
    escalate_after_days: int = 7


def parse_span(text: str) -> Span | None:
    """``21:00-08:00`` -> (1260, 480); None when the text is no span."""
    match = _SPAN.match(text)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    return (h1 * 60 + m1) % 1440, (h2 * 60 + m2) % 1440


def parse_time(text: str) -> int | None:
    """``08:30`` -> 510 minutes; None when the text is no time of day."""
    match = re.fullmatch(rf"\s*{_TIME}\s*", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def notify_settings(section: ConfigSection | None, timezone: str, lang: str = "en"
                    ) -> tuple[NotifySettings, tuple[Problem, ...]]:
    """The four keys from the Settings rows (defaults where blank), and a located problem
    (said in ``lang``) for each value that cannot be read (its default is used)."""
    values: dict[str, object] = {"timezone": timezone}
    problems: list[Problem] = []
    for index, row in enumerate(section.rows if section else ()):
        name = setting_key(shown(row.get("key")) or "")
        raw = row.get("value")
        if is_blank(raw) or name not in ("quiet_hours", "quiet_weekends", "renotify_days",
                                         "escalate_after_days"):
            continue
        where = section.where(index, "value") if section else "Settings"
        value, unread = _read(name, raw)
        if unread:
            problems.append(Problem(where, say(lang, f"notify.{name}", value=shown(raw)),
                                    "warning"))
        else:
            values[name] = value
    return NotifySettings(**values), tuple(problems)  # type: ignore[arg-type]


def _read(name: str, raw: Cell) -> tuple[object, bool]:
    """The value of the setting ``name``, and whether it could not be read."""
    text = shown(raw) or ""
    if name == "quiet_hours":
        if text.lower() in ("none", "no", "off", "无", "否"):
            return None, False
        span = parse_span(text)
        return span, span is None
    if name == "quiet_weekends":
        try:
            return read_bool(raw), False
        except ValueError:
            return None, True
    if name == "renotify_days":
        days = [p.strip() for p in re.split(r"[,，;、\s]+", text) if p.strip()]
        if days and all(d.isdigit() and 0 < int(d) <= 3650 for d in days):
            return tuple(int(d) for d in days), False
        return None, True
    if text.isdigit() and int(text) <= 3650:
        return int(text), False
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if number.is_integer() and 0 <= number <= 3650:
        return int(number), False
    return None, True
