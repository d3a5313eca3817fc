"""The Summary tab a manager reads: a grid of sections, number formats and a funnel chart.

Deterministic: the same Summary gives the same grid (no clock time, no durations), so a run
with nothing new writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sheetfunnel.config import Config
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.money import money_format
from sheetfunnel.plan import Bold, CellRange, Chart, Looks, NumberFormat
from sheetfunnel.render import FLAG_LABELS, tab_protection
from sheetfunnel.report import plain
from sheetfunnel.summary import RunHeader, Summary

PERCENT, INTEGER, DAYS, DATE = "0.0%", "#,##0", "0.0", "yyyy-mm-dd"

LABELS: dict[str, dict[str, Any]] = {  # texts, and tuples of column heads
    "en": {
        "title": "Pipeline summary", "as_of": "As of", "rows": "Rows read",
        "rows_text": "{opportunities} opportunities · {customers} customers · {activities} "
                     "activities",
        "config": "Config", "changed": "Sheet last changed", "problem": "Problem",
        "kpis": "Headline", "open_count": "Open deals", "open_amount": "Open amount",
        "weighted_pipeline": "Weighted pipeline", "won_this_month": "Won this month",
        "won_amount_this_month": "Won amount this month", "lost_this_month": "Lost this month",
        "win_rate": "Win rate", "avg_cycle_days": "Average cycle (days)",
        "funnel": "Funnel",
        "funnel_head": ("Stage", "Reached", "Now in stage", "Conversion from previous",
                        "Conversion from first", "Open amount", "Weighted", "Avg days in stage"),
        "forecast": "Forecast by expected close month",
        "forecast_head": ("Month", "Deals", "Amount", "Weighted"),
        "owners": "By owner",
        "owners_head": ("Owner", "Open", "Won", "Lost", "Win rate", "Won amount",
                        "Weighted open", "Follow-ups on time"),
        "sources": "By source", "sources_head": ("Source", "Deals", "Won", "Conversion"),
        "lost": "Lost reasons", "lost_head": ("Reason", "Deals", "Share", "Amount"),
        "flags": "Flags by owner", "flags_owner": "Owner", "flags_total": "Total",
        "chart": "Funnel: deals that reached each stage",
    },
    "zh": {
        "title": "销售漏斗汇总", "as_of": "统计日期", "rows": "读取行数",
        "rows_text": "商机 {opportunities} · 客户 {customers} · 跟进 {activities}",
        "config": "配置", "changed": "表格最近变更", "problem": "问题",
        "kpis": "核心指标", "open_count": "在途商机数", "open_amount": "在途金额",
        "weighted_pipeline": "加权管道", "won_this_month": "本月赢单",
        "won_amount_this_month": "本月赢单金额", "lost_this_month": "本月输单",
        "win_rate": "赢单率", "avg_cycle_days": "平均成交周期（天）",
        "funnel": "销售漏斗",
        "funnel_head": ("阶段", "到达", "当前", "上一阶段转化率", "首阶段转化率", "在途金额",
                        "加权金额", "平均停留天数"),
        "forecast": "按预计成交月份预测", "forecast_head": ("月份", "商机数", "金额", "加权金额"),
        "owners": "按负责人",
        "owners_head": ("负责人", "在途", "赢单", "输单", "赢单率", "赢单金额", "加权在途",
                        "按时跟进率"),
        "sources": "按来源", "sources_head": ("来源", "商机数", "赢单", "转化率"),
        "lost": "输单原因", "lost_head": ("原因", "商机数", "占比", "金额"),
        "flags": "各负责人提醒数", "flags_owner": "负责人", "flags_total": "合计",
        "chart": "销售漏斗：到达各阶段的商机数",
    },
}


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
        self.grid.append([plain(v) for v in values])
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


def _header(sheet: _Sheet, header: RunHeader, words: dict) -> None:
    sheet.add([words["title"]], bold=True)
    row = sheet.add([words["as_of"], header.as_of])
    sheet.fmt(row, row, 2, DATE)
    counts = {k: header.rows.get(k, 0) for k in ("opportunities", "customers", "activities")}
    sheet.add([words["rows"], words["rows_text"].format(**counts)])
    sheet.add([words["config"], header.config_status])
    row = sheet.add([words["changed"], header.last_changed])
    sheet.fmt(row, row, 2, DATE)
    for problem in header.problems:
        sheet.add([f"{words['problem']} ({problem.severity})", problem.where, problem.message])


def render_problems_only(header: RunHeader, *, tab: str, lang: str = "en"
                         ) -> tuple[Grid, Looks]:
    sheet = _Sheet(tab)
    _header(sheet, header, LABELS[lang])
    return sheet.grid, Looks(tuple(sheet.formats), tuple(sheet.bold),
                             protections=tab_protection(tab, _width(sheet.grid)))


def render_summary(summary: Summary, config: Config, *, tab: str, lang: str = "en"
                   ) -> tuple[Grid, Looks]:
    words = LABELS[lang]
    money = money_format(config)
    sheet = _Sheet(tab)
    _header(sheet, summary.header, words)

    sheet.add([])
    sheet.add([words["kpis"]], bold=True)
    kpi_formats = {"open_count": INTEGER, "open_amount": money, "weighted_pipeline": money,
                   "won_this_month": INTEGER, "won_amount_this_month": money,
                   "lost_this_month": INTEGER, "win_rate": PERCENT, "avg_cycle_days": DAYS}
    for key, pattern in kpi_formats.items():
        row = sheet.add([words[key], summary.kpis[key]])
        sheet.fmt(row, row, 2, pattern)

    funnel = summary.funnel
    first, last = sheet.table(words["funnel"], words["funnel_head"], funnel,
                              ["stage", "reached", "current", "conversion_from_previous",
                               "conversion_from_first", "open_amount", "weighted_amount",
                               "avg_days_in_stage"],
                              {2: INTEGER, 3: INTEGER, 4: PERCENT, 5: PERCENT, 6: money,
                               7: money, 8: DAYS})
    charted = first + int((funnel["kind"] != "lost").sum()) - 1
    chart = Chart(tab, words["chart"], first - 2, 10,
                  CellRange(tab, first, 1, charted), CellRange(tab, first, 2, charted))

    sheet.table(words["forecast"], words["forecast_head"], summary.forecast,
                ["period", "count", "amount", "weighted"], {2: INTEGER, 3: money, 4: money})
    sheet.table(words["owners"], words["owners_head"], summary.owners,
                ["owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open",
                 "follow_ups_on_time"],
                {2: INTEGER, 3: INTEGER, 4: INTEGER, 5: PERCENT, 6: money, 7: money,
                 8: PERCENT})
    sheet.table(words["sources"], words["sources_head"], summary.sources,
                ["source", "total", "won", "conversion"], {2: INTEGER, 3: INTEGER, 4: PERCENT})
    sheet.table(words["lost"], words["lost_head"], summary.lost_reasons,
                ["reason", "count", "share", "amount"], {2: INTEGER, 3: PERCENT, 4: money})
    flags = summary.flag_counts
    codes = [c for c in flags.columns if c not in ("owner", "total")]
    labels = tuple(FLAG_LABELS[lang].get(code, code) for code in codes)
    sheet.table(words["flags"], (words["flags_owner"], *labels, words["flags_total"]), flags,
                ["owner", *codes, "total"], {})
    return sheet.grid, Looks(tuple(sheet.formats), tuple(sheet.bold),
                             charts=(chart,) if last >= first else (),
                             protections=tab_protection(tab, _width(sheet.grid)))


def _width(grid: Grid) -> int:
    return max((len(row) for row in grid), default=1)
