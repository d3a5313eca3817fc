"""The Summary tab: sections a manager reads, numbers as numbers, the chart on the funnel."""

from __future__ import annotations

from sheetfunnel.errors import Problem
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import render_problems_only, render_summary
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row

DEALS = (row(), row(ID="OPP-2", Stage="Proposal", Amount=2000, Proposal_Sent="2026-11-20"),
         row(ID="OPP-3", Stage="Won", Amount=500),
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
    assert chart.values.first_col == 2


def test_the_same_summary_gives_the_same_grid_in_either_language():
    assert summary_grid() == summary_grid()
    grid, _ = summary_grid("zh")
    assert grid[0] == ["销售漏斗汇总"] and value_of(grid, "在途商机数") == 2


def test_a_broken_config_shows_only_the_header_and_each_problem():
    header = RunHeader(AS_OF, {}, "broken", (Problem("Stages!B3", "Probability “high” is not "
                                                     "a number"),))
    grid, looks = render_problems_only(header, tab="Summary", words=words_for("en"))
    assert grid[-1] == ["Problem (error)", "Stages!B3", "Probability “high” is not a number"]
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
