"""The Summary tab: sections a manager reads, numbers as numbers, the chart on the funnel."""

from __future__ import annotations

import dataclasses

import pandas as pd

from sheetfunnel.errors import Problem
from sheetfunnel.plan import PrintSetup, shown_text
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import (
    BOTTLENECK_COLOR,
    HIGH_COLOR,
    LOW_COLOR,
    bottleneck,
    render_problems_only,
    render_summary,
)
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row

DEALS = (row(), row(ID="OPP-2", Stage="Proposal", Amount=2000, Proposal_Sent="2026-11-20"),
         row(ID="OPP-3", Stage="Won", Amount=500, Expected_Close="2026-11-20"),
         row(ID="OPP-4", Stage="Lost", Lost_Reason="Price"))


def summary_grid(lang: str = "en"):
    evaluation = judge(*DEALS)
    summary = summarize(evaluation, CONFIG, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    return render_summary(summary, CONFIG, tab="Summary", words=words_for(lang))


def value_of(grid, label):
    return next(r[1] for r in grid if r and r[0] == label)


def test_the_summary_heads_with_the_run_and_its_headline_numbers():
    grid, _ = summary_grid()
    assert grid[0] == ["Pipeline summary"]
    assert value_of(grid, "As of") == AS_OF
    assert value_of(grid, "Rows read") == "4 opportunities · 0 customers · 0 activities"
    assert value_of(grid, "Open deals") == 2
    assert value_of(grid, "Open amount") == 3000
    assert value_of(grid, "Win rate") == 0.5


def test_the_chart_covers_the_funnel_rows_up_to_won():
    grid, looks = summary_grid()
    (chart,) = looks.charts
    rows = grid[chart.categories.first_row - 1:chart.categories.last_row]
    assert [r[0] for r in rows] == ["Lead", "Qualified", "Proposal", "Won"]
    # reached: every deal Lead; the Proposal and the Won deal the next two; a deal lost from
    # Lead reached nothing more
    assert [r[1] for r in rows] == [4, 2, 2, 1]
    assert [s.values.first_col for s in chart.series] == [2]


def test_the_same_summary_gives_the_same_grid_in_either_language():
    assert summary_grid() == summary_grid()
    grid, _ = summary_grid("zh")
    assert grid[0] == ["销售漏斗汇总"] and value_of(grid, "在途商机数") == 2


def test_a_broken_config_shows_only_the_header_and_each_problem():
    header = RunHeader(AS_OF, {}, "broken", (Problem("Stages!B3", "Probability “high” is not "
                                                     "a number"),))
    grid, looks = render_problems_only(header, tab="Summary", words=words_for("en"))
    assert grid[3] == ["Problem (error)", "Stages!B3", "Probability “high” is not a number"]
    assert not looks.charts
    assert looks.protections[0].range.last_col == 3


def test_a_chinese_summary_says_its_config_status_in_chinese():
    grid, _ = summary_grid("zh")
    assert value_of(grid, "配置") == "正常"
    header = RunHeader(AS_OF, {}, "broken, no good config",
                       (Problem("Stages!B3", "Probability “high” is not a number"),))
    grid, _ = render_problems_only(header, tab="汇总", words=words_for("zh"))
    assert value_of(grid, "配置") == "有误，没有可用的配置"
    assert any(r and r[0] == "问题 (错误)" for r in grid)


# -- at a glance (#14) ---------------------------------------------------------------------

def _row_of(grid, label):
    return next(i for i, r in enumerate(grid, start=1) if r and r[0] == label)


def test_the_config_status_then_the_headline_numbers_come_first_and_the_runs_details_last():
    grid, _ = summary_grid()
    assert grid[1][0] == "As of" and grid[2][0] == "Config" and grid[4] == ["Headline"]
    assert _row_of(grid, "Open deals") < _row_of(grid, "Funnel") < _row_of(grid, "By owner")
    assert _row_of(grid, "Flags by owner") < _row_of(grid, "This run") < _row_of(grid, "Rows read")


def test_the_bottleneck_is_the_step_with_the_lowest_conversion_and_is_marked():
    funnel = pd.DataFrame({"stage": ["Lead", "Qualified", "Proposal", "Won", "Lost"],
                           "kind": ["open", "open", "open", "won", "lost"],
                           "conversion_from_previous": [1.0, 0.5, 0.8, 0.25, 0.0]})
    assert bottleneck(funnel) == 3  # Proposal -> Won; the Lost row is no step
    assert bottleneck(funnel.iloc[:1]) is None
    grid, looks = summary_grid()
    row = _row_of(grid, "Bottleneck (lowest conversion)")
    assert grid[row - 1][1] == "Lead → Qualified" and grid[row - 1][2] == 0.5
    marked = [h for h in looks.highlights if h.color == BOTTLENECK_COLOR]
    assert {(h.range.first_row, h.range.first_col, h.text) for h in marked} == {
        (row, 2, "Lead → Qualified"), (_row_of(grid, "Qualified"), 1, "Qualified")}


def test_conversion_and_win_rates_are_coloured_red_when_low_and_green_when_high():
    grid, looks = summary_grid()
    rules = {(h.range.first_row, h.range.first_col, h.rule, h.text, h.color)
             for h in looks.highlights if h.rule in ("below", "at_least")}
    funnel, win_rate = _row_of(grid, "Lead"), _row_of(grid, "Win rate")
    owners = _row_of(grid, "Owner") + 1
    assert {(funnel, 4, "below", "0.3", LOW_COLOR), (funnel, 4, "at_least", "0.6", HIGH_COLOR),
            (win_rate, 2, "below", "0.2", LOW_COLOR), (owners, 5, "at_least", "0.4", HIGH_COLOR)
            } <= rules
    conversion = next(h for h in looks.highlights if h.range.first_row == funnel)
    assert conversion.range.last_row == _row_of(grid, "Won")  # the Lost row stays white
    assert conversion.number_formula() == f"AND(ISNUMBER(D{funnel}),D{funnel}<0.3)"


def test_the_chart_sits_beside_the_headline_numbers_right_above_the_funnel():
    grid, looks = summary_grid()
    (chart,) = looks.charts
    assert (chart.anchor_row, chart.anchor_col) == (_row_of(grid, "Headline"), 4)
    assert all(len(r) <= 3 for r in grid[chart.anchor_row - 1:_row_of(grid, "Funnel") - 1])
    bottom = chart.anchor_row + chart.height / 17  # rows of LibreOffice, the shortest
    assert bottom <= _row_of(grid, "Funnel")


def test_the_summary_prints_landscape_one_page_wide_with_its_title_row_repeated():
    _, looks = summary_grid()
    assert looks.prints == (PrintSetup("Summary", landscape=True, fit_to_width=True,
                                       title_rows=1),)


def test_money_unit_wan_shows_the_summarys_amounts_in_ten_thousands():
    evaluation = judge(*DEALS)
    config = dataclasses.replace(CONFIG, settings=dataclasses.replace(
        CONFIG.settings, currency="¥", money_unit="万"))
    summary = summarize(evaluation, config, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    grid, looks = render_summary(summary, config, tab="汇总", words=words_for("zh"))
    assert value_of(grid, "在途金额") == 0.3 and value_of(grid, "本月赢单金额") == 0.05
    assert value_of(grid, "本月赢单") == 1  # a count, not an amount
    row = _row_of(grid, "在途金额")
    (pattern,) = [f.pattern for f in looks.number_formats if f.range.first_row == row]
    assert pattern == '"¥"#,##0.0"万"'
    assert shown_text(value_of(grid, "在途金额"), pattern) == "¥万0.3"  # shown: ¥0.3万


def test_a_chinese_summary_says_everything_in_chinese():
    evaluation = judge(*DEALS, row(ID="OPP-9", Owner=None, Stage="Lost", Lost_Reason=None))
    summary = summarize(evaluation, CONFIG, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    grid, _ = render_summary(summary, CONFIG, tab="汇总", words=words_for("zh"))
    assert value_of(grid, "配置") == "正常"
    texts = {v for r in grid for v in r if isinstance(v, str)}
    assert "(未填写)" in texts and "(none)" not in texts
    assert {"核心指标", "瓶颈（转化率最低）", "本次运行"} <= texts
