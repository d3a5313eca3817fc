"""The Targets tab (目标): ``Owner | Period | Metric | Target`` (负责人 | 周期 | 指标 | 目标).

Owner is a name or ``Team`` (团队); Period a month (``2026-11``) or a quarter (``2026-Q4``);
Metric ``won amount``, ``won deals``, ``new deals`` or ``conversion A → B`` (赢单金额 / 赢单数 /
新增商机 / 转化率 A → B; the arrow may be typed ``->`` or 到). A conversion target is a percent
(30 or 30 %). Every row that cannot be read is a Problem naming its cell and what to type; the
other rows still count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from sheetfunnel import schema
from sheetfunnel.config.model import Config
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, Grid, a1, is_blank, normalise_name
from sheetfunnel.values import read_number
from sheetfunnel.words.problems import joined, say

TEAM_NAMES = ("team", "团队", "全部", "all")
METRICS = {"won amount": "won_amount", "赢单金额": "won_amount", "won deals": "won_deals",
           "赢单数": "won_deals", "new deals": "new_deals", "新增商机": "new_deals"}
_CONVERSION = re.compile(r"^(?:conversion|转化率)\s*[:：]?\s*(.+?)\s*(?:→|->|到|=>)\s*(.+)$",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """One target: ``owner`` None for the team; the period's first and last day."""

    owner: str | None
    period: str  # as shown: 2026-11 or 2026-Q4
    start: dt.date
    end: dt.date
    metric: str  # won_amount | won_deals | new_deals | conversion
    value: float  # a fraction for conversions
    where: str  # the row's Metric cell
    from_stage: str | None = None
    to_stage: str | None = None


def parse_targets(tab: str, grid: Grid | None, config: Config, lang: str = "en"
                  ) -> tuple[tuple[Target, ...], tuple[Problem, ...]]:
    """The targets the tab holds and the problems of the rows that could not be read (said in
    ``lang``, the workbook's language)."""
    if not grid:
        return (), ()
    names = {normalise_name(n): role for role, ns in schema.COLUMNS["targets"].items()
             for n in ns}
    columns = {names[normalise_name(v)]: c for c, v in enumerate(grid[0])
               if not is_blank(v) and normalise_name(v) in names}
    missing = [schema.display_name(lang, "targets", r) for r in schema.COLUMNS["targets"]
               if r not in columns]
    if missing:
        return (), (Problem(tab, say(lang, "targets_header", tab=tab,
                                     missing=say(lang, "list_sep").join(missing))),)
    found: list[Target] = []
    problems: list[Problem] = []
    for number, row in enumerate(grid[1:], start=2):
        def get(role: str, row: list[Cell] = row) -> Cell:
            col = columns[role]
            return row[col] if col < len(row) else None

        if all(is_blank(get(r)) for r in columns):
            continue
        target = _row(tab, number, get, columns, config, problems, lang)
        if target is not None:
            found.append(target)
    return tuple(found), tuple(problems)


def _row(tab: str, number: int, get: Callable[[str], Cell], columns: dict[str, int],
         config: Config, problems: list[Problem], lang: str) -> Target | None:
    def where(role: str) -> str:
        return a1(tab, number, columns[role] + 1)

    owner_text = "" if is_blank(get("owner")) else str(get("owner")).strip()
    if not owner_text:
        problems.append(Problem(where("owner"), say(lang, "target_owner")))
        return None
    owner = None if owner_text.lower() in TEAM_NAMES else owner_text
    period = read_period(get("period"))
    if period is None:
        problems.append(Problem(where("period"), say(lang, "target_period",
                                                     value=_shown(get("period")))))
        return None
    metric_text = _shown(get("metric"))
    metric, stages = _metric(metric_text, config)
    if metric is None:
        if stages:
            message = say(lang, "target_stages", value=metric_text,
                          stages=joined(lang, stages))
        else:
            message = say(lang, "target_metric", value=metric_text)
        problems.append(Problem(where("metric"), message))
        return None
    value = _target(get("target"), metric == "conversion")
    if value is None:
        key = "target_percent" if metric == "conversion" else "target_number"
        problems.append(Problem(where("target"), say(lang, key, value=_shown(get("target")))))
        return None
    label, start, end = period
    ends = stages if metric == "conversion" else [None, None]
    return Target(owner, label, start, end, metric, value, where("metric"), ends[0], ends[1])


def read_period(raw: Cell) -> tuple[str, dt.date, dt.date] | None:
    """``2026-11`` / ``2026/11`` / a date cell (its month) / ``2026-Q4`` / ``2026Q4``."""
    if isinstance(raw, (dt.date, dt.datetime)):
        year, month = raw.year, raw.month
    else:
        text = _shown(raw).upper().replace("年", "-").replace("月", "").replace("/", "-")
        quarter = re.fullmatch(r"(\d{4})\s*-?\s*Q([1-4])", text)
        if quarter:
            year, q = int(quarter[1]), int(quarter[2])
            start = dt.date(year, 3 * q - 2, 1)
            return f"{year}-Q{q}", start, _month_end(year, 3 * q)
        month_match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not month_match or not 1 <= int(month_match[2]) <= 12:
            return None
        year, month = int(month_match[1]), int(month_match[2])
    return f"{year}-{month:02d}", dt.date(year, month, 1), _month_end(year, month)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _metric(text: str, config: Config) -> tuple[str | None, list[str]]:
    """The metric and, for a conversion, its two stage names as configured (or the names that
    are no stage, with no metric)."""
    plain = METRICS.get(" ".join(text.lower().split()))
    if plain:
        return plain, []
    match = _CONVERSION.match(text.strip())
    if not match:
        return None, []
    stages = [config.stage(match[1]), config.stage(match[2])]
    unknown = [name for name, s in zip((match[1], match[2]), stages, strict=True) if s is None]
    if unknown:
        return None, unknown
    return "conversion", [s.name for s in stages if s is not None]


def _target(raw: Cell, percent: bool) -> float | None:
    try:
        number = read_number(raw)
    except ValueError:
        return None
    if number is None or number < 0:
        return None
    if not percent:
        return number
    typed_percent = isinstance(raw, str) and "%" in raw
    fraction = number if typed_percent or number <= 1 else number / 100
    return fraction if 0 <= fraction <= 1 else None


def _shown(value: Cell) -> str:
    return "" if is_blank(value) else str(value).strip()
