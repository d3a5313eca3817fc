"""Follow-ups on time per owner: a share of the open deals someone followed up, and no data
(blank, null) for an owner nobody logged a follow-up for, never a perfect score."""

from __future__ import annotations

from sheetfunnel.engine.breakdowns import owners
from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import render_summary
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row


def test_an_owner_without_any_activity_has_no_score_and_others_a_true_share():
    evaluation = judge(
        row(ID="A1", Owner="Ann", Last_Activity="2026-11-23"),
        row(ID="A2", Owner="Ann", Last_Activity="2026-11-01"),  # overdue
        row(ID="A3", Owner="Ann", Last_Activity=None),  # never followed up
        row(ID="B1", Owner="Bob", Last_Activity=None),
        row(ID="B2", Owner="Bob", Last_Activity=None),
        row(ID="C1", Owner="Cy", Last_Activity=None),
        activities=[["2026-11-22", "C1", "neutral"]])
    table = owners(evaluation.deals).set_index("owner")["follow_ups_on_time"]
    assert table.isna().tolist() == [False, True, False]
    summary = summarize(evaluation, CONFIG, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    report = build_report(summary, evaluation, io=IOStats(), seconds=0.0)
    assert {o["owner"]: o["follow_ups_on_time"] for o in report["owners"]} == {
        "Ann": 1 / 3, "Bob": None, "Cy": 1.0}
    grid, _ = render_summary(summary, CONFIG, tab="Summary", words=words_for("en"))
    bob = next(r for r in grid if r and r[0] == "Bob")
    assert bob[1] == 2 and (bob + [None] * 8)[7] is None  # open 2, on time: blank
