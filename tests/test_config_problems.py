"""Issue #14 items 7 and 17: numbers typed with what they count, and config problems a person
reads once, grouped, and (on the Summary) only the first few."""

from __future__ import annotations

import dataclasses

import pytest

from sheetfunnel.config import Criterion, Dimension, Match, Rule, parse_match
from sheetfunnel.errors import Problem
from sheetfunnel.summary import RunHeader
from sheetfunnel.tabs.summary import render_problems_only
from sheetfunnel.values import read_quantity
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row


@pytest.mark.parametrize(("typed", "number"), [
    ("600人", 600), ("50家", 50), ("3个月", 3), ("12 months", 12), ("1 Month", 1),
    ("500+ employees", 500), ("5万人", 50000), ("１２个月", 12), (" 30 天 ", 30), (42, 42),
    ("1,200", 1200)])
def test_a_number_typed_with_what_it_counts_reads_as_that_number(typed, number):
    assert read_quantity(typed) == number


@pytest.mark.parametrize("typed", ["人", "abc人", "40%人", "months", "3 apples"])
def test_a_count_word_alone_or_after_no_number_is_not_a_number(typed):
    with pytest.raises(ValueError):
        read_quantity(typed)


def test_scoring_and_criteria_read_numbers_typed_with_units():
    config = dataclasses.replace(
        CONFIG,
        dimensions=(Dimension("Size", "Size", 1, (Rule(Match("ge", number=500), 10),
                                                  Rule(Match("lt", number=500), 4))),),
        criteria=(Criterion("Qualified", "Cycle", "le", 6.0, "Cycle within 6 months"),))
    customers = [["Customer ID", "Size", "Cycle"], ["C1", "600人", "3个月"],
                 ["C2", "50家", "12 months"]]
    evaluation = judge(row(Stage="Qualified"), row(ID="OPP-2", Stage="Qualified",
                                                   Customer_ID="C2"),
                       customers=customers, config=config)
    assert evaluation.deals["score"].tolist() == [100.0, 40.0]
    flagged = evaluation.flags[evaluation.flags["code"] == "MISSING_CRITERIA"]
    assert flagged["id"].tolist() == ["OPP-2"]
    assert flagged["code"].size == 1 and "INVALID_VALUE" not in evaluation.flags["code"].tolist()


def test_a_match_may_name_its_number_with_what_it_counts():
    assert parse_match(">= 500人") == Match("ge", number=500)
    assert parse_match("3..12 个月") == Match("range", low=3, high=12)


PROBLEMS = tuple(Problem(f"Scoring!B{n}", f"problem {n}", "warning") for n in range(2, 6)) + (
    Problem("Stages!B3", "Probability “high” is not a number"),)


@pytest.mark.parametrize(("lang", "label", "more"), [
    ("en", "Problem", "2 more — run `sheetfunnel check`"),
    ("zh", "问题", "还有 2 条 — 运行 `sheetfunnel check` 查看")])
def test_the_summary_header_shows_three_problems_errors_first_and_counts_the_rest(lang, label,
                                                                                  more):
    header = RunHeader(AS_OF, {}, "broken", PROBLEMS)
    grid, _ = render_problems_only(header, tab="Summary", words=words_for(lang))
    listed = [r for r in grid if r and str(r[0]).startswith(label)]
    assert [r[1] for r in listed[:3]] == ["Stages!B3", "Scoring!B2", "Scoring!B3"]
    assert listed[3] == [label, more]
    assert len(listed) == 4


def test_three_problems_or_fewer_are_all_shown_without_a_count():
    header = RunHeader(AS_OF, {}, "ok", PROBLEMS[:3])
    grid, _ = render_problems_only(header, tab="Summary", words=words_for("en"))
    assert [r[1] for r in grid if r and str(r[0]).startswith("Problem")] == [
        "Scoring!B2", "Scoring!B3", "Scoring!B4"]
