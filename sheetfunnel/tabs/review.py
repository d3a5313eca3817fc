"""The Review tab (复盘): the weekly review a manager looks at — this week against last week
and the 4-week average, eight weeks with a chart, conversion on exits, stage velocity with a
chart, the bottleneck, cohorts by created month and the targets with their pace.

Rewritten whole each run and deterministic (dates are the run's as-of date), so a rerun with
nothing new writes nothing. The charts are placed beside their tables; the backends replace
the worker's own charts and leave a person's alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.config.model import Config
from sheetfunnel.engine.review import Review, Week
from sheetfunnel.engine.targets import Attainment
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import CellRange, Chart, Looks
from sheetfunnel.render import tab_protection
from sheetfunnel.tabs.rows import Rows
from sheetfunnel.words.review import metric_text, pace_sentence, texts

PERCENT, INTEGER, MONEY, DAYS, DATE = "0%", "#,##0", "#,##0", "0.0", "yyyy-mm-dd"
CHART_COL = 10  # charts sit right of the widest table (the targets have 11 columns, below)
ROW_PIXELS = 21


def render_review(review: Review, targets: tuple[Attainment, ...], config: Config, *,
                  tab: str, lang: str, as_of: dt.date) -> tuple[Grid, Looks]:
    words = texts(lang)
    rows = Rows(tab)
    rows.add([words["title"].format(week=review.weeks[-1].start.isoformat())], bold=True)
    rows.add([words["as_of"], as_of], formats={2: DATE})
    if review.history_since is None:
        rows.add([words["estimated_all"]])
    elif any(w.estimated for w in review.weeks):
        rows.add([words["estimated"].format(day=review.history_since.isoformat())])
    else:
        rows.add([])  # the same rows every run: the charts keep their place
    _compare(rows, review.weeks, words)
    charts = [_weeks(rows, review.weeks, words)]
    _steps(rows, review, words)
    charts.append(_velocity(rows, review, words))
    _cohorts(rows, review, config, words)
    _step_cohorts(rows, review, words)
    if review.strict is not None:
        _strict(rows, review, words)
    if targets:
        _targets(rows, targets, words, lang, config.settings.currency)
    width = max(len(r) for r in rows.grid)
    return rows.grid, Looks(tuple(rows.formats), tuple(rows.bold),
                            charts=tuple(c for c in charts if c is not None),
                            protections=tab_protection(tab, width))


_MEASURES = ("new", "advanced", "won", "won_amount", "lost", "lost_amount", "stalled",
             "weighted")
_WORSE_UP = ("lost", "lost_amount", "stalled")  # fewer is better


def _compare(rows: Rows, weeks: tuple[Week, ...], words: dict[str, Any]) -> None:
    rows.section(words["compare"], words["compare_head"])
    for name in _MEASURES:
        now, last = getattr(weeks[-1], name), getattr(weeks[-2], name)
        average = sum(getattr(w, name) for w in weeks[-5:-1]) / 4
        better_up = name not in _WORSE_UP
        shape = MONEY if name.endswith("amount") or name == "weighted" else INTEGER
        if now == average:
            change = "="
        else:
            arrow = "▲" if now > average else "▼"
            change = f"{arrow} {'✓' if (now > average) == better_up else '✗'}"
        rows.add([words["measures"][name], now, last, average, change],
                 formats={2: shape, 3: shape, 4: "#,##0.0"})


def _weeks(rows: Rows, weeks: tuple[Week, ...], words: dict[str, Any]) -> Chart | None:
    rows.section(words["weeks"], words["weeks_head"])
    first = len(rows.grid) + 1
    for w in weeks:
        rows.add([w.start, w.new, w.advanced, w.won, w.won_amount, w.lost, w.lost_amount,
                  words["from_dates" if w.estimated else "from_history"]],
                 formats={1: DATE, 2: INTEGER, 3: INTEGER, 4: INTEGER, 5: MONEY, 6: INTEGER,
                          7: MONEY})
    last = len(rows.grid)
    tab = rows.tab
    return Chart(tab, words["chart_won"], first - 2, CHART_COL, CellRange(tab, first, 1, last),
                 CellRange(tab, first, 5, last), width=480, height=(last - first + 3) * ROW_PIXELS)


def _steps(rows: Rows, review: Review, words: dict[str, Any]) -> None:
    rows.section(words["steps"], words["steps_head"])
    for step in review.steps:
        rows.add([step.source, step.target, step.rate(-1), step.rate(-2), step.norm(),
                  step.exits[-1]], formats={3: PERCENT, 4: PERCENT, 5: PERCENT, 6: INTEGER})
    found = review.bottleneck
    if found is None:
        rows.add([words["no_bottleneck"]])
        rows.add([])
        return
    rows.add([words["bottleneck"].format(source=found.step.source, target=found.step.target,
                                         rate=found.rate, norm=found.norm)], bold=True)
    rows.add([words["stopped"].format(ids=", ".join(found.stopped))] if found.stopped else [])


def _velocity(rows: Rows, review: Review, words: dict[str, Any]) -> Chart | None:
    rows.section(words["velocity"], words["velocity_head"])
    first = len(rows.grid) + 1
    for pace in review.velocity:
        rows.add([pace.stage, pace.left, pace.median, pace.p80, pace.stall_days],
                 formats={2: INTEGER, 3: DAYS, 4: DAYS, 5: INTEGER})
    last = len(rows.grid)
    if review.slowest:
        rows.add([words["slowest"].format(stage=review.slowest)])
    if last < first:
        return None
    tab = rows.tab
    return Chart(tab, words["chart_velocity"], first - 2, CHART_COL,
                 CellRange(tab, first, 1, last), CellRange(tab, first, 3, last), width=480,
                 height=max(last - first + 3, 6) * ROW_PIXELS)


def _cohorts(rows: Rows, review: Review, config: Config, words: dict[str, Any]) -> None:
    names = tuple(s.name for s in config.open_stages)
    rows.section(words["cohorts"], (words["cohorts_month"], words["cohorts_deals"], *names,
                                    words["cohorts_won"]))
    for cohort in review.cohorts:
        values: list[Cell] = [cohort.month, cohort.deals, *cohort.reached, cohort.won]
        rows.add(values, formats={c: INTEGER for c in range(2, len(values) + 1)})


def _step_cohorts(rows: Rows, review: Review, words: dict[str, Any]) -> None:
    """Per step and week at least COHORT_DAYS old: deals that entered the step's first stage
    that week and how many reached the next within the days."""
    rows.section(words["step_cohorts"], words["step_cohorts_head"])
    for step in review.steps:
        for week, entered, reached in zip(review.weeks, step.entered, step.reached,
                                          strict=True):
            if entered is None or reached is None:
                continue
            rows.add([step.source, step.target, week.start, entered, reached,
                      reached / entered if entered else None],
                     formats={3: DATE, 4: INTEGER, 5: INTEGER, 6: PERCENT})


def _strict(rows: Rows, review: Review, words: dict[str, Any]) -> None:
    strict = review.strict
    assert strict is not None
    rows.section(words["strict"], words["strict_head"])
    first = strict.reached[0] if strict.reached else 0
    for stage, reached in zip(strict.stages, strict.reached, strict=True):
        rows.add([stage, reached, reached / first if first else None],
                 formats={2: INTEGER, 3: PERCENT})
    rows.add([words["path_unknown"].format(count=strict.path_unknown)])


def _targets(rows: Rows, targets: tuple[Attainment, ...], words: dict[str, Any],
             lang: str, currency: str) -> None:
    rows.section(words["targets"], words["targets_head"])
    for a in targets:
        t = a.target
        conversion = t.metric == "conversion"
        shape = PERCENT if conversion else (MONEY if t.metric == "won_amount" else INTEGER)
        rows.add([t.owner or words["team"], t.period,
                  metric_text(t.metric, t.from_stage, t.to_stage, lang), t.value, a.actual,
                  a.attainment, a.remaining, a.days_left, a.per_day, a.projection,
                  a.week_target],
                 formats={4: shape, 5: shape, 6: PERCENT, 7: shape, 8: INTEGER, 9: "#,##0.0",
                          10: shape, 11: "#,##0.0"})
        rows.grid[-1].append(pace_sentence(a, currency, lang))
