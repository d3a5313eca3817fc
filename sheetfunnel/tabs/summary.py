"""The Summary tab a manager reads: a grid of sections, number formats and a funnel chart.

Deterministic: the same Summary gives the same grid (no clock time, no durations), so a run
with nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sheetfunnel.config import Config
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.money import money_format
from sheetfunnel.plan import Bold, CellRange, Chart, Looks, NumberFormat
from sheetfunnel.render import tab_protection
from sheetfunnel.report import builtin_value
from sheetfunnel.summary import RunHeader, Summary
from sheetfunnel.words import Words

PERCENT, INTEGER, DAYS, DATE = "0.0%", "#,##0", "0.0", "yyyy-mm-dd"

@dataclass
class _Sheet:
    """Rows appended top to bottom, with the looks that go with them."""

    tab: str
    grid: Grid = field(default_factory=list)
    formats: list[NumberFormat] = field(default_factory=list)
    bold: list[Bold] = field(default_factory=list)

    @property
    def next_row(self) -> int:
        return len(self.grid) + 1

    def add(self, values: list[Cell], *, bold: bool = False) -> int:
        row = self.next_row
        self.grid.append([builtin_value(v) for v in values])
        if bold:
            self.bold.append(Bold(CellRange(self.tab, row, 1, row, max(len(values), 1))))
        return row

    def fmt(self, first_row: int, last_row: int, col: int, pattern: str) -> None:
        if last_row >= first_row:
            self.formats.append(NumberFormat(CellRange(self.tab, first_row, col, last_row),
                                             pattern))

    def table(self, title: str, head: tuple[str, ...], frame: pd.DataFrame,
              columns: list[str], formats: dict[int, str]) -> tuple[int, int]:
        """A titled table; returns its first and last data rows."""
        self.add([])
        self.add([title], bold=True)
        self.add(list(head), bold=True)
        first = self.next_row
        for record in frame[columns].itertuples(index=False):
            self.add(list(record))
        for col, pattern in formats.items():
            self.fmt(first, self.next_row - 1, col, pattern)
        return first, self.next_row - 1


def _header(sheet: _Sheet, header: RunHeader, texts: Mapping[str, Any]) -> None:
    sheet.add([texts["title"]], bold=True)
    row = sheet.add([texts["as_of"], header.as_of])
    sheet.fmt(row, row, 2, DATE)
    counts = {k: header.rows.get(k, 0) for k in ("opportunities", "customers", "activities")}
    sheet.add([texts["rows"], texts["rows_text"].format(**counts)])
    sheet.add([texts["config"], texts["status"].get(header.config_status, header.config_status)])
    row = sheet.add([texts["changed"], header.last_changed])
    sheet.fmt(row, row, 2, DATE)
    for problem in header.problems:
        severity = texts["severity"].get(problem.severity, problem.severity)
        sheet.add([f"{texts['problem']} ({severity})", problem.where, problem.message])


def render_problems_only(header: RunHeader, *, tab: str, words: Words) -> tuple[Grid, Looks]:
    """Only the run's header and its problems: the config is broken with no good one to use."""
    sheet = _Sheet(tab)
    _header(sheet, header, words.summary)
    return sheet.grid, Looks(tuple(sheet.formats), tuple(sheet.bold),
                             protections=tab_protection(tab, _width(sheet.grid)))


def render_summary(summary: Summary, config: Config, *, tab: str, words: Words
                   ) -> tuple[Grid, Looks]:
    """The whole Summary tab: header, headline numbers, then one titled table per section."""
    texts = words.summary
    money = money_format(config)
    sheet = _Sheet(tab)
    _header(sheet, summary.header, texts)

    sheet.add([])
    sheet.add([texts["kpis"]], bold=True)
    kpi_formats = {"open_count": INTEGER, "open_amount": money, "weighted_pipeline": money,
                   "won_this_month": INTEGER, "won_amount_this_month": money,
                   "lost_this_month": INTEGER, "lost_amount_this_month": money,
                   "win_rate": PERCENT, "avg_cycle_days": DAYS, "undated_deals": INTEGER}
    for key, pattern in kpi_formats.items():
        row = sheet.add([texts[key], summary.kpis[key]])
        sheet.fmt(row, row, 2, pattern)

    funnel = summary.funnel
    first, last = sheet.table(texts["funnel"], texts["funnel_head"], funnel,
                              ["stage", "reached", "current", "conversion_from_previous",
                               "conversion_from_first", "open_amount", "weighted_amount",
                               "avg_days_in_stage", "days_in_stage_mean",
                               "days_in_stage_median"],
                              {2: INTEGER, 3: INTEGER, 4: PERCENT, 5: PERCENT, 6: money,
                               7: money, 8: DAYS, 9: DAYS, 10: DAYS})
    charted = first + int((funnel["kind"] != "lost").sum()) - 1
    chart = Chart(tab, texts["chart"], first - 2, 12,
                  CellRange(tab, first, 1, charted), CellRange(tab, first, 2, charted))

    dated = summary.forecast.assign(period=summary.forecast["period"].fillna(texts["no_date"]))
    sheet.table(texts["forecast"], texts["forecast_head"], dated,
                ["period", "count", "amount", "weighted"], {2: INTEGER, 3: money, 4: money})
    sheet.table(texts["owners"], texts["owners_head"], summary.owners,
                ["owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open",
                 "follow_ups_on_time"],
                {2: INTEGER, 3: INTEGER, 4: INTEGER, 5: PERCENT, 6: money, 7: money,
                 8: PERCENT})
    sheet.table(texts["sources"], texts["sources_head"], summary.sources,
                ["source", "total", "won", "conversion"], {2: INTEGER, 3: INTEGER, 4: PERCENT})
    sheet.table(texts["lost"], texts["lost_head"], summary.lost_reasons,
                ["reason", "count", "share", "amount"], {2: INTEGER, 3: PERCENT, 4: money})
    flags = summary.flag_counts
    codes = [c for c in flags.columns if c not in ("owner", "total")]
    labels = tuple(words.flag_labels.get(code, code) for code in codes)
    sheet.table(texts["flags"], (texts["flags_owner"], *labels, texts["flags_total"]), flags,
                ["owner", *codes, "total"], {})
    return sheet.grid, Looks(tuple(sheet.formats), tuple(sheet.bold),
                             charts=(chart,) if last >= first else (),
                             protections=tab_protection(tab, _width(sheet.grid)))


def _width(grid: Grid) -> int:
    return max((len(row) for row in grid), default=1)
