"""The Summary tab a manager reads: a grid of sections, number formats and a funnel chart.

Read at a glance: the headline numbers first with the funnel chart beside them, then the
funnel table right under the chart, its bottleneck (the stage with the lowest conversion)
marked, conversion and win rates coloured, and the run's details last. It prints landscape,
one page wide (.xlsx). Amounts are in 万 when Settings ``money_unit = 万``.

Deterministic: the same Summary gives the same grid (no clock time, no durations), so a run
with nothing new writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sheetfunnel.config import Config
from sheetfunnel.engine.targets import Attainment
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.money import money_format
from sheetfunnel.plan import (
    Bold,
    CellRange,
    Chart,
    Highlight,
    Looks,
    NumberFormat,
    PrintSetup,
    Series,
)
from sheetfunnel.render import tab_protection
from sheetfunnel.report import builtin_value
from sheetfunnel.summary import RunHeader, Summary
from sheetfunnel.words import Words
from sheetfunnel.words.review import metric_text, pace_sentence
from sheetfunnel.words.review import texts as review_texts

PERCENT, INTEGER, DAYS, DATE = "0.0%", "#,##0", "0.0", "yyyy-mm-dd"
MONEY = "money"  # stands for the Settings' money format; its amounts are scaled by _Sheet
#: Conditional colours: a conversion from the previous stage, and a win rate, below the first
#: number is red, at least the second green.
CONVERSION_BANDS, WIN_RATE_BANDS = (0.3, 0.6), (0.2, 0.4)
LOW_COLOR, HIGH_COLOR, BOTTLENECK_COLOR = "#FFC7CE", "#C6EFCE", "#F8CBAD"
#: The funnel chart sits right of the headline numbers (columns A-C), just above the funnel
#: table it draws: on the first screen, inside the printed page's width. Its height is the
#: headline block's (17 to 21 pixels a row: LibreOffice, Excel, Sheets).
CHART_COL, CHART_WIDTH, ROW_PIXELS = 4, 640, 18

#: Config problems the Summary's header lists; the rest are counted.
SHOWN_PROBLEMS = 3

@dataclass
class _Sheet:
    """Rows appended top to bottom, with the looks that go with them."""

    tab: str
    money: str = "#,##0"
    scale: float = 1.0  # amounts are divided by it (10,000 for 万)
    placeholders: Mapping[str, str] = field(default_factory=dict)  # "(none)" -> its words
    grid: Grid = field(default_factory=list)
    formats: list[NumberFormat] = field(default_factory=list)
    bold: list[Bold] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)

    @property
    def next_row(self) -> int:
        return len(self.grid) + 1

    def add(self, values: list[Cell], *, bold: bool = False, amounts: tuple[int, ...] = ()
            ) -> int:
        """One row; the cells of the columns ``amounts`` are money, shown in the sheet's
        unit."""
        row = self.next_row
        cells = [builtin_value(v) for v in values]
        for col, value in enumerate(cells, start=1):
            if isinstance(value, str):
                cells[col - 1] = self.placeholders.get(value, value)
            elif col in amounts and isinstance(value, int | float) and self.scale != 1:
                cells[col - 1] = round(value / self.scale, 2)
        self.grid.append(cells)
        if bold:
            self.bold.append(Bold(CellRange(self.tab, row, 1, row, max(len(values), 1))))
        return row

    def fmt(self, first_row: int, last_row: int, col: int, pattern: str) -> None:
        if last_row >= first_row:
            self.formats.append(NumberFormat(CellRange(self.tab, first_row, col, last_row),
                                             self.money if pattern == MONEY else pattern))

    def colour(self, first_row: int, last_row: int, col: int, bands: tuple[float, float]
               ) -> None:
        """Red below the first band, green from the second on (blank cells stay white)."""
        if last_row >= first_row:
            area = CellRange(self.tab, first_row, col, last_row)
            self.highlights += [Highlight(area, "below", f"{bands[0]:g}", LOW_COLOR),
                                Highlight(area, "at_least", f"{bands[1]:g}", HIGH_COLOR)]

    def table(self, title: str, head: tuple[str, ...], frame: pd.DataFrame,
              columns: list[str], formats: dict[int, str]) -> tuple[int, int]:
        """A titled table; returns its first and last data rows."""
        self.add([])
        self.add([title], bold=True)
        self.add(list(head), bold=True)
        first = self.next_row
        amounts = tuple(col for col, pattern in formats.items() if pattern == MONEY)
        for record in frame[columns].itertuples(index=False):
            self.add(list(record), amounts=amounts)
        for col, pattern in formats.items():
            self.fmt(first, self.next_row - 1, col, pattern)
        return first, self.next_row - 1

    def looks(self, charts: tuple[Chart, ...] = ()) -> Looks:
        return Looks(tuple(self.formats), tuple(self.bold), tuple(self.highlights),
                     charts=charts, protections=tab_protection(self.tab, _width(self.grid)),
                     prints=(PrintSetup(self.tab, title_rows=1),))


def _sheet(tab: str, words: Words, config: Config | None = None) -> _Sheet:
    placeholders = words.summary["placeholders"]
    if config is None:
        return _Sheet(tab, placeholders=placeholders)
    in_wan = config.settings.money_unit == "万"
    return _Sheet(tab, money_format(config, in_wan=in_wan), 10_000.0 if in_wan else 1.0,
                  placeholders)


def _title(sheet: _Sheet, header: RunHeader, texts: Mapping[str, Any]) -> None:
    sheet.add([texts["title"]], bold=True)
    row = sheet.add([texts["as_of"], header.as_of])
    sheet.fmt(row, row, 2, DATE)


def _config_lines(sheet: _Sheet, header: RunHeader, texts: Mapping[str, Any]) -> None:
    """The config's status and its first problems, right under the date: every number below
    rests on the config, so a broken one is seen first."""
    sheet.add([texts["config"], texts["status"].get(header.config_status, header.config_status)])
    # errors first; a long list stays in `sheetfunnel check`, the Summary shows the first few
    ranked = sorted(header.problems, key=lambda p: p.severity != "error")
    for problem in ranked[:SHOWN_PROBLEMS]:
        severity = texts["severity"].get(problem.severity, problem.severity)
        sheet.add([f"{texts['problem']} ({severity})", problem.where, problem.message])
    if len(ranked) > SHOWN_PROBLEMS:
        sheet.add([texts["problem"], texts["more_problems"].format(
            count=len(ranked) - SHOWN_PROBLEMS)])


def _run_lines(sheet: _Sheet, header: RunHeader, texts: Mapping[str, Any]) -> None:
    counts = {k: header.rows.get(k, 0) for k in ("opportunities", "customers", "activities")}
    sheet.add([texts["rows"], texts["rows_text"].format(**counts)])
    row = sheet.add([texts["changed"], header.last_changed])
    sheet.fmt(row, row, 2, DATE)


def render_problems_only(header: RunHeader, *, tab: str, words: Words) -> tuple[Grid, Looks]:
    """Only the run's header and its problems: the config is broken with no good one to use."""
    sheet = _sheet(tab, words)
    _title(sheet, header, words.summary)
    _config_lines(sheet, header, words.summary)
    _run_lines(sheet, header, words.summary)
    return sheet.grid, sheet.looks()


def bottleneck(funnel: pd.DataFrame) -> int | None:
    """Position (in ``funnel``) of the stage deals least often reach from the stage before
    it (the lowest conversion from the previous stage; lost stages left out): the step from
    the stage before is where deals get stuck. None without one."""
    rates = [(rate, i) for i, (kind, rate) in enumerate(zip(
        funnel["kind"], funnel["conversion_from_previous"], strict=True))
        if kind != "lost" and i > 0 and isinstance(rate, int | float) and not math.isnan(rate)]
    return min(rates)[1] if rates else None


def _strict_title(summary: Summary, lang: str) -> str:
    review = review_texts(lang)
    return f'{review["strict"]} · {review["path_unknown"].format(count=summary.path_unknown)}'


def render_summary(summary: Summary, config: Config, *, tab: str, words: Words,
                   targets: tuple[Attainment, ...] = ()) -> tuple[Grid, Looks]:
    """The whole Summary tab: headline numbers, the funnel and its chart, one titled table
    per section (the Targets tab's attainment among them), then the run's details; the
    config's status and problems come first."""
    texts = words.summary
    sheet = _sheet(tab, words, config)
    _title(sheet, summary.header, texts)
    _config_lines(sheet, summary.header, texts)

    strict = summary.strict_funnel  # Settings funnel_mode = strict: the strict counts shown
    funnel = strict if strict is not None else summary.funnel
    worst = bottleneck(funnel)
    sheet.add([])
    chart_row = sheet.add([texts["kpis"]], bold=True)
    kpi_formats = {"open_count": INTEGER, "open_amount": MONEY, "weighted_pipeline": MONEY,
                   "won_this_month": INTEGER, "won_amount_this_month": MONEY,
                   "lost_this_month": INTEGER, "lost_amount_this_month": MONEY,
                   "win_rate": PERCENT, "avg_cycle_days": DAYS, "undated_deals": INTEGER}
    for key, pattern in kpi_formats.items():
        row = sheet.add([texts[key], summary.kpis[key]], amounts=(2,) * (pattern == MONEY))
        sheet.fmt(row, row, 2, pattern)
        if key == "win_rate":
            sheet.colour(row, row, 2, WIN_RATE_BANDS)
    if worst is not None:
        step = f'{funnel["stage"].iloc[worst - 1]} → {funnel["stage"].iloc[worst]}'
        row = sheet.add([texts["bottleneck"], step,
                         funnel["conversion_from_previous"].iloc[worst]])
        sheet.fmt(row, row, 3, PERCENT)
        sheet.highlights.append(Highlight(CellRange(tab, row, 2, row), "equals", step,
                                          BOTTLENECK_COLOR))

    first, last = sheet.table(texts["funnel"] if strict is None else _strict_title(
                                  summary, words.lang), texts["funnel_head"], funnel,
                              ["stage", "reached", "current", "conversion_from_previous",
                               "conversion_from_first", "open_amount", "weighted_amount",
                               "avg_days_in_stage", "days_in_stage_mean",
                               "days_in_stage_median"],
                              {2: INTEGER, 3: INTEGER, 4: PERCENT, 5: PERCENT, 6: MONEY,
                               7: MONEY, 8: DAYS, 9: DAYS, 10: DAYS})
    charted = first + int((funnel["kind"] != "lost").sum()) - 1
    sheet.colour(first, charted, 4, CONVERSION_BANDS)
    if worst is not None:
        row = first + worst
        sheet.bold.append(Bold(CellRange(tab, row, 1, row, 10)))
        sheet.highlights.append(Highlight(CellRange(tab, row, 1, row), "equals",
                                          str(funnel["stage"].iloc[worst]), BOTTLENECK_COLOR))
    chart = Chart(tab, texts["chart"], chart_row, CHART_COL,
                  CellRange(tab, first, 1, charted), (Series(CellRange(tab, first, 2, charted)),),
                  width=CHART_WIDTH, height=(first - 3 - chart_row) * ROW_PIXELS)

    dated = summary.forecast.assign(period=summary.forecast["period"].fillna(texts["no_date"]))
    sheet.table(texts["forecast"], texts["forecast_head"], dated,
                ["period", "count", "amount", "weighted"], {2: INTEGER, 3: MONEY, 4: MONEY})
    owners_first, owners_last = sheet.table(
        texts["owners"], texts["owners_head"], summary.owners,
        ["owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open",
         "follow_ups_on_time"],
        {2: INTEGER, 3: INTEGER, 4: INTEGER, 5: PERCENT, 6: MONEY, 7: MONEY, 8: PERCENT})
    sheet.colour(owners_first, owners_last, 5, WIN_RATE_BANDS)
    sources_first, sources_last = sheet.table(
        texts["sources"], texts["sources_head"], summary.sources,
        ["source", "total", "won", "conversion"], {2: INTEGER, 3: INTEGER, 4: PERCENT})
    sheet.colour(sources_first, sources_last, 4, WIN_RATE_BANDS)
    sheet.table(texts["lost"], texts["lost_head"], summary.lost_reasons,
                ["reason", "count", "share", "amount"], {2: INTEGER, 3: PERCENT, 4: MONEY})
    flags = summary.flag_counts
    codes = [c for c in flags.columns if c not in ("owner", "total")]
    labels = tuple(words.flag_labels.get(code, code) for code in codes)
    sheet.table(texts["flags"], (texts["flags_owner"], *labels, texts["flags_total"]), flags,
                ["owner", *codes, "total"], {})

    if targets:
        _targets(sheet, targets, config, words.lang)

    sheet.add([])
    sheet.add([texts["run"]], bold=True)
    _run_lines(sheet, summary.header, texts)
    return sheet.grid, sheet.looks((chart,) if last >= first else ())


def _targets(sheet: _Sheet, targets: tuple[Attainment, ...], config: Config, lang: str) -> None:
    """Each target's attainment and the pace still needed (the Review tab has the rest)."""
    words = review_texts(lang)
    sheet.add([])
    sheet.add([words["targets"]], bold=True)
    sheet.add(list(words["summary_head"]), bold=True)
    for a in targets:
        t = a.target
        money = t.metric == "won_amount"
        row = sheet.add([t.owner or words["team"], t.period,
                         metric_text(t.metric, t.from_stage, t.to_stage, lang), t.value,
                         a.actual, a.attainment,
                         pace_sentence(a, config.settings.currency, lang)],
                        amounts=(4, 5) if money else ())
        shape = MONEY if money else PERCENT if t.metric == "conversion" else INTEGER
        sheet.fmt(row, row, 4, shape)
        sheet.fmt(row, row, 5, shape)
        sheet.fmt(row, row, 6, PERCENT)


def _width(grid: Grid) -> int:
    return max((len(row) for row in grid), default=1)
