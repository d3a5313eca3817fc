"""The Review tab (复盘): the weekly review a manager looks at — this week against last week
and the 4-week average, eight weeks with their won amount against the target (columns and a
line), conversion on exits with its 8-week lines and the bottleneck, the weighted pipeline
per day from History's snapshots (a line), stage velocity (bars), cohorts by created month
and the targets with their pace.

Rewritten whole each run and deterministic (dates are the run's as-of date), so a rerun with
nothing new writes nothing. The charts are placed beside their tables; the backends replace
the worker's own charts and leave a person's alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sheetfunnel.config.model import Config
from sheetfunnel.engine.review import Review, Week
from sheetfunnel.engine.targets import Attainment, weekly_won_targets
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import CellRange, Chart, Looks, Series
from sheetfunnel.render import tab_protection
from sheetfunnel.tabs.rows import Rows
from sheetfunnel.words.review import metric_text, pace_sentence, texts

PERCENT, INTEGER, MONEY, DAYS, DATE = "0%", "#,##0", "#,##0", "0.0", "yyyy-mm-dd"
CHART_COL = 10  # charts sit right of the widest table (the targets have 11 columns, below)
ROW_PIXELS = 21
PIPELINE_DOWN = 8  # rows into its table: the conversion lines above get room for their legend
LEAST_ROW_PIXELS = 17  # LibreOffice's default row, the shortest: a chart never reaches the next


def render_review(review: Review, targets: tuple[Attainment, ...], config: Config, *,
                  tab: str, lang: str, as_of: dt.date,
                  pipeline: tuple[tuple[dt.date, float | None], ...] = ()
                  ) -> tuple[Grid, Looks]:
    """The tab's cells and looks; ``pipeline``: the weighted pipeline per day (see
    ``engine.pipeline.daily_weighted``)."""
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
    won_targets = weekly_won_targets(tuple(a.target for a in targets),
                                     tuple(w.start for w in review.weeks), config)
    charts: list[Chart | None] = [_weeks(rows, review.weeks, won_targets, words)]
    _steps(rows, review, words)
    charts.append(_step_weeks(rows, review, words))
    if pipeline:
        charts.append(_pipeline(rows, pipeline, words))
    charts.append(_velocity(rows, review, words))
    _cohorts(rows, review, config, words)
    _step_cohorts(rows, review, words)
    if review.strict is not None:
        _strict(rows, review, words)
    if targets:
        _targets(rows, targets, words, lang, config.settings.currency)
    width = max(len(r) for r in rows.grid)
    return rows.grid, Looks(tuple(rows.formats), tuple(rows.bold),
                            charts=_fitted([c for c in charts if c is not None]),
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


def _weeks(rows: Rows, weeks: tuple[Week, ...], won_targets: tuple[float | None, ...],
           words: dict[str, Any]) -> Chart:
    """The weeks table and its chart: won amount in columns, the team's won-amount target (a
    column of its own when Targets set one) as a line over them."""
    aimed = any(t is not None for t in won_targets)
    head = words["weeks_head"] + ((words["weeks_target"],) if aimed else ())
    rows.section(words["weeks"], head)
    first = len(rows.grid) + 1
    for w, target in zip(weeks, won_targets, strict=True):
        rows.add([w.start, w.new, w.advanced, w.won, w.won_amount, w.lost, w.lost_amount,
                  words["from_dates" if w.estimated else "from_history"],
                  *([target] if aimed else [])],
                 formats={1: DATE, 2: INTEGER, 3: INTEGER, 4: INTEGER, 5: MONEY, 6: INTEGER,
                          7: MONEY, **({9: MONEY} if aimed else {})})
    last = len(rows.grid)
    tab = rows.tab
    series: tuple[Series, ...] = (Series(CellRange(tab, first, 5, last), head[4]),)
    if aimed:
        series += (Series(CellRange(tab, first, 9, last), head[8], line=True),)
    return Chart(tab, words["chart_won"], first - 2, CHART_COL, CellRange(tab, first, 1, last),
                 series, width=480, height=(last - first + 3) * ROW_PIXELS, kind="combo",
                 category_format=DATE, value_format=MONEY)


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
                 CellRange(tab, first, 1, last), (Series(CellRange(tab, first, 3, last)),),
                 width=480,
                 height=max(last - first + 3, 6) * ROW_PIXELS)


def _step_weeks(rows: Rows, review: Review, words: dict[str, Any]) -> Chart | None:
    """Each transition's conversion on exits in each of the eight weeks (blank where no deal
    left the stage), one line per transition."""
    if not review.steps:
        return None
    names = tuple(f"{step.source} → {step.target}" for step in review.steps)
    rows.section(words["step_weeks"], (words["step_weeks_head"], *names))
    first = len(rows.grid) + 1
    for index, week in enumerate(review.weeks):
        rows.add([week.start, *(step.rate(index) for step in review.steps)],
                 formats={1: DATE, **{c: PERCENT for c in range(2, len(names) + 2)}})
    last = len(rows.grid)
    tab = rows.tab
    return Chart(tab, words["chart_steps"], first - 2, max(CHART_COL, len(names) + 3),
                 CellRange(tab, first, 1, last),
                 tuple(Series(CellRange(tab, first, col, last), name)
                       for col, name in enumerate(names, start=2)),
                 width=480, height=15 * ROW_PIXELS, kind="line", category_format=DATE,
                 value_format=PERCENT)


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


def _pipeline(rows: Rows, pipeline: tuple[tuple[dt.date, float | None], ...],
              words: dict[str, Any]) -> Chart:
    """The weighted pipeline of each day of the eight weeks (blank without a snapshot: the
    same rows every run), and its line beside the table, a little down it."""
    head = words["pipeline_head"]
    rows.section(words["pipeline"], head)
    first = len(rows.grid) + 1
    for day, weighted in pipeline:
        rows.add([day, weighted], formats={1: DATE, 2: MONEY})
    last = len(rows.grid)
    tab = rows.tab
    return Chart(tab, words["chart_pipeline"], first + PIPELINE_DOWN, CHART_COL,
                 CellRange(tab, first, 1, last), (Series(CellRange(tab, first, 2, last),
                                                         head[1]),),
                 width=480, height=11 * ROW_PIXELS, kind="line", category_format=DATE,
                 value_format=MONEY)


def _fitted(charts: list[Chart]) -> tuple[Chart, ...]:
    """The charts, each no taller than the rows down to the next one even where rows are
    shortest, so no chart covers another."""
    fitted = []
    for chart in charts:
        below = [c.anchor_row for c in charts if c.anchor_row > chart.anchor_row]
        room = (min(below) - chart.anchor_row) * LEAST_ROW_PIXELS if below else chart.height
        fitted.append(dataclasses.replace(chart, height=min(chart.height, room)))
    return tuple(fitted)
