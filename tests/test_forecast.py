"""The forecast by expected-close month adds up to the weighted pipeline: open deals without an
Expected Close have a "(no date)" row of their own."""

from __future__ import annotations

import pytest

from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import render_summary
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row


def test_open_deals_without_a_date_get_the_last_row_and_the_total_is_the_pipeline():
    evaluation = judge(
        row(ID="D1", Stage="Proposal", Amount=1000, Expected_Close="2027-01-15"),
        row(ID="D2", Stage="Lead", Amount=500, Expected_Close=None),
        row(ID="D3", Stage="Qualified", Amount=300, Expected_Close="2026-12-01"),
        row(ID="D4", Stage="Qualified", Amount=200, Expected_Close=None),
        row(ID="D5", Stage="Won", Amount=900, Expected_Close=None))
    summary = summarize(evaluation, CONFIG, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    report = build_report(summary, evaluation, io=IOStats(), seconds=0.0)
    assert [(f["period"], f["count"], f["amount"]) for f in report["forecast"]] == [
        ("2026-12", 1, 300.0), ("2027-01", 1, 1000.0), (None, 2, 700.0)]
    assert report["forecast"][-1]["weighted"] == pytest.approx(500 * 0.1 + 200 * 0.2)
    assert sum(f["weighted"] for f in report["forecast"]) == pytest.approx(
        report["headline"]["weighted_pipeline"])
    assert sum(f["amount"] for f in report["forecast"]) == report["headline"]["open_amount"]
    for lang, label in (("en", "(no date)"), ("zh", "(未填日期)")):
        grid, _ = render_summary(summary, CONFIG, tab="Summary", words=words_for(lang))
        assert [label, 2, 700.0] == next(r for r in grid if r and r[0] == label)[:3]
