"""The words and numbers a Config cell may hold: bounds, setting keys, role names, stage kinds,
checks, and the helpers that fold typed text and name near misses in sentences."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sheetfunnel import schema
from sheetfunnel.config.model import CheckKind, StageKind
from sheetfunnel.grid import Cell, normalise_name
from sheetfunnel.values import fold, read_text
from sheetfunnel.words.problems import say


@dataclass(frozen=True)
class Bound:
    """The numbers a config cell may hold (spec §3.2), inclusive: the same for check and run,
    and small enough that every date sum the engine makes stays a date."""

    low: float
    high: float
    whole: bool = False

    def holds(self, number: float) -> bool:
        return self.low <= number <= self.high and (not self.whole or float(number).is_integer())


DAYS = Bound(0, 3650, whole=True)  # ten years
RESPONSE_HOURS = Bound(0, 8760)  # a year
WEIGHT = Bound(0, 1000)
POINTS = Bound(0, 1000)
PERCENT_GRADE = Bound(0, 100)

#: Settings keys with a fixed meaning; ``column.*`` and ``tab.*`` are open-ended.
SETTING_KEYS = ("timezone", "date_order", "currency", "score_scale", "grade_a", "grade_b",
                "grade_c", "follow_up_days", "stall_days", "response_hours",
                "criteria_cumulative", "assign_ids", "money_unit", "model_fields",
                "model_min_won", "model_min_lost", "win_probability", "blend_weight", "ab_field")
#: Settings keys of notifications (spec §6): read and checked by sheetfunnel.notify.settings.
NOTIFY_SETTING_KEYS = ("quiet_hours", "quiet_weekends", "renotify_days", "escalate_after_days")



def _role_lookup() -> dict[str, str]:
    """``column.customer_id``, ``column.Customer ID`` and ``column.客户编号`` name one role."""
    lookup = {normalise_name(role): role for tab in schema.INPUT_TABS
              for role in schema.COLUMNS[tab]}
    for tab in schema.INPUT_TABS:
        for role, names in schema.COLUMNS[tab].items():
            for name in names:
                lookup.setdefault(normalise_name(name), role)
    return lookup


COLUMN_ROLES = _role_lookup()


def tab_column_role(tab: str, name: str) -> str | None:
    """The column role of one input tab that ``name`` names (``ID`` in Customers is
    customer_id), or None."""
    key = normalise_name(name)
    return next((role for role, names in schema.COLUMNS[tab].items()
                 if key in {normalise_name(n) for n in (role, *names)}), None)
TAB_ROLES = {normalise_name(name): role for role, names in schema.TABS.items()
             for name in (role, *names)}

KINDS: dict[str, StageKind] = {
    "open": "open", "won": "won", "lost": "lost", "进行中": "open", "跟进中": "open",
    "赢单": "won", "成交": "won", "输单": "lost", "丢单": "lost"}
CHECKS: dict[str, CheckKind] = {
    "filled": "filled", "notempty": "filled", "notblank": "filled", "required": "filled",
    "已填写": "filled", "必填": "filled", "非空": "filled", "不为空": "filled",
    "=": "eq", "==": "eq", "等于": "eq", "!=": "ne", "<>": "ne", "≠": "ne", "不等于": "ne",
    ">": "gt", "大于": "gt", ">=": "ge", "≥": "ge", "大于等于": "ge", "<": "lt", "小于": "lt",
    "<=": "le", "≤": "le", "小于等于": "le", "in": "in", "属于": "in", "notin": "not_in",
    "不属于": "not_in", "onorbeforetoday": "on_or_before_today",
    "不晚于今天": "on_or_before_today"}

#: Columns a Config tab cannot do without.
NEEDED = {"stages": ("stage", "probability"), "scoring": ("dimension", "field", "weight", "match"),
          "criteria": ("stage", "field", "check"), "settings": ("key", "value"),
          "notify": ("name", "channel")}


def closest(wanted: Sequence[str], found: Sequence[str]) -> str | None:
    """The name in ``found`` most like any of ``wanted`` (normalised), when one is close."""
    keys = {normalise_name(name): name for name in found}
    best, score = None, 0.6
    for name in wanted:
        for key, original in keys.items():
            ratio = difflib.SequenceMatcher(None, normalise_name(name), key).ratio()
            if ratio > score:
                best, score = original, ratio
    return best


def missing_column_sentence(tab: str, column: str, headers: Sequence[str],
                            wanted: Sequence[str], fix: str, lang: str = "en") -> str:
    """One sentence: the tab, the column, the headers found and the closest one, and the fix."""
    near = closest(wanted, headers)
    near_text = say(lang, "closest_quoted", name=near) if near else say(lang, "none_close")
    return say(lang, "missing_column", tab=tab, column=column, near=near_text, fix=fix,
               headers=", ".join(headers) or say(lang, "none"))


def shown(value: Cell) -> str:
    """A cell as a person reads it, for messages."""
    try:
        return (read_text(value) or "").strip()
    except (TypeError, ValueError):
        return str(value)

def fold_list(text: str) -> str:
    """Full-width operators and commas as their ASCII twins (``＞＝`` -> ``>=``, ``、``
    -> ``,``)."""
    return fold(text).replace("、", ",")


def setting_key(key: str) -> str:
    """``Follow-up Days``, ``follow_up_days`` -> ``follow_up_days``; ``column.X`` keeps X."""
    head, dot, tail = fold_list(key).partition(".")
    head = re.sub(r"[\s\-]+", "_", head.strip().lower())
    return f"{head}.{tail.strip()}" if dot else head

