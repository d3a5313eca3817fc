"""Results into the cells the worker owns: its Opportunities columns, Attention and History
(render.py and the tabs/ modules)."""

from __future__ import annotations

import datetime as dt

from sheetfunnel.engine.funnel import funnel
from sheetfunnel.render import opportunity_cells, owned_column_protections
from sheetfunnel.tabs.attention import attention_grid
from sheetfunnel.tabs.history import history_cells
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, HEADER, judge, row
from tests.support.tables import role_table_from_grid

OVERDUE = row(ID="OPP-2", Title="Late deal", Expected_Close="2026-11-23")


def test_owned_columns_are_appended_with_headers_and_hold_the_judgement():
    evaluation = judge(row(), OVERDUE)
    opportunities = role_table_from_grid("opportunities", "Opportunities",
                                         [HEADER, row(), OVERDUE])
    cells, looks = opportunity_cells(evaluation, opportunities, CONFIG, words_for("en"))
    first = len(HEADER) + 1
    assert [cells[(1, c)] for c in range(first, first + 7)] == [
        "Score", "Grade", "Win %", "Weighted Amount", "Stage Entered", "Days in Stage", "Flags"]
    assert cells[(2, first + 2)] == 0.1 and cells[(2, first + 3)] == 100.0
    assert cells[(2, first + 6)] is None
    assert cells[(3, first + 6)] == "📅 Expected close 2026-11-23 has passed"
    assert {n.col for n in looks.notes} == set(range(first, first + 7))
    assert all(isinstance(cells[(r, first)], float) for r in (2, 3))


def test_protection_covers_runs_of_owned_columns_never_a_persons_column_between():
    ranges = [(p.range.first_col, p.range.last_col)
              for p in owned_column_protections("Opportunities", 2, [6, 3, 4, 9])]
    assert ranges == [(3, 4), (6, 6), (9, 9)]


def test_attention_lists_each_flag_with_its_deal_in_the_workbook_language():
    evaluation = judge(row(), OVERDUE)
    grid, _ = attention_grid(evaluation, "Attention", words_for("en"), CONFIG)
    assert grid == [["ID", "Title", "Owner", "Stage", "Amount", "Score", "Grade", "Flag",
                     "Detail", "Next Step", "Since"],
                    ["OPP-2", "Late deal", "Ann", "Lead", 1000.0, 41.7, "C",
                     "📅 Close date passed", "Expected close 2026-11-23 has passed", None, AS_OF]]
    grid, _ = attention_grid(evaluation, "待处理", words_for("zh"), CONFIG)
    assert grid[0] == ["编号", "商机名称", "负责人", "阶段", "金额", "评分", "等级", "提醒", "说明",
                       "下一步", "起始日期"]
    assert grid[1][7] == "📅 已过预计成交日期"


def test_history_writes_one_snapshot_a_day_in_place_on_reruns():
    evaluation = judge(row(), OVERDUE)
    stages = funnel(evaluation.deals, CONFIG)
    first = history_cells(None, evaluation, stages, words_for("en"))
    assert first[(1, 1)] == "At" and first[(2, 2)] == "snapshot"
    assert [first[(r, 6)] for r in range(2, 2 + len(stages))] == [s.name for s in CONFIG.stages]
    assert first[(2, 7)] == 2  # both deals reached Lead

    written = [[first.get((r, c)) for c in range(1, 10)] for r in range(1, 2 + len(stages))]
    again = history_cells(written, evaluation, stages, words_for("en"))
    assert {r for r, _ in again} == set(range(2, 2 + len(stages)))  # same rows, nothing added

    tomorrow = judge(row(), OVERDUE, as_of=AS_OF + dt.timedelta(days=1))
    later = history_cells(written, tomorrow, stages, words_for("en"))
    assert min(r for r, _ in later) == 2 + len(stages)  # appended below
