"""The JSON report (``--report``): what it says about a run, as strict JSON."""

from __future__ import annotations

import json
import math

import pytest

from sheetfunnel.errors import Problem
from sheetfunnel.plan import IOStats
from sheetfunnel.report import SCHEMA, build_report, problems_only_report, report_json
from sheetfunnel.summary import RunHeader, summarize
from tests.support.engine import AS_OF, CONFIG, judge, row


def report_of(*rows: list[object]) -> dict:
    evaluation = judge(*rows)
    header = RunHeader(AS_OF, dict(evaluation.counts), "ok")
    io = IOStats(read_requests=1, write_requests=2, cells_written=30)
    return build_report(summarize(evaluation, CONFIG, header), evaluation, io=io,
                        seconds=0.12345)


def test_the_report_lists_every_deal_with_its_judgement_and_the_run():
    report = json.loads(report_json(report_of(
        row(), row(ID="OPP-2", Stage="Won", Amount=500, Expected_Close="2026-11-23"))))
    assert report["schema"] == SCHEMA and report["as_of"] == "2026-11-24"
    assert report["counts"] == {"opportunities": 2, "customers": 0, "activities": 0}
    lead, won = report["opportunities"]
    assert (lead["id"], lead["row"], lead["stage"], lead["flags"]) == ("OPP-000001", 2, "Lead", [])
    assert (won["row"], won["win_probability"], won["weighted_amount"]) == (3, 1.0, 500.0)
    assert [s["stage"] for s in report["stages"]] == [s.name for s in CONFIG.stages]
    assert report["win_rate"] == 1.0
    assert report["io"] == {"read_requests": 1, "write_requests": 2, "cells_written": 30,
                            "bytes_sent": 0, "bytes_received": 0, "seconds": 0.123}


def test_an_unknown_amount_is_null_never_nan():
    report = report_of(row(Amount="lots"))
    assert report["opportunities"][0]["weighted_amount"] is None
    assert report["opportunities"][0]["flags"] == ["INVALID_VALUE"]
    assert "NaN" not in report_json(report)


def test_a_broken_config_reports_its_problems_and_nothing_else():
    header = RunHeader(AS_OF, {}, "broken",
                       (Problem("Scoring!C4", "Weight “heavy” is not a number"),))
    report = problems_only_report(header, IOStats(read_requests=1), 0.5)
    assert report["problems"] == [{"where": "Scoring!C4", "severity": "error",
                                   "message": "Weight “heavy” is not a number"}]
    assert report["opportunities"] == [] and report["win_rate"] is None
    assert json.loads(report_json(report))["counts"]["opportunities"] == 0


def test_a_nan_that_slipped_through_is_refused_not_written():
    with pytest.raises(ValueError):
        report_json({"win_rate": math.nan})


def test_the_report_carries_everything_the_summary_shows_under_the_spec_names():
    report = json.loads(report_json(report_of(
        row(ID="A", Owner="Ann", Customer_ID="C9", Title="Big one", Amount=1000,
            Last_Activity="2026-11-01"),
        row(ID="B", Owner="Ann", Stage="Won", Amount=400, Expected_Close="2026-11-20"),
        row(ID="C", Owner="Bob", Stage="Lost", Amount=300, Lost_Reason="Price",
            Expected_Close="2026-11-03"),
        row(ID="D", Owner="Bob", Stage="Lost", Amount=200, Lost_Reason=None,
            Expected_Close="2026-10-03"),
        row(ID="E", Owner="Bob", Stage="Qualified", Amount=100, Last_Activity=None))))
    assert report["schema"] == "sheetfunnel.report/1"
    assert report["headline"] == {
        "open_deals": 2, "open_amount": 1100.0, "weighted_pipeline": pytest.approx(120.0),
        "won_this_month": 1, "won_amount_this_month": 400.0, "lost_this_month": 1,
        "lost_amount_this_month": 300.0, "win_rate": pytest.approx(1 / 3),
        "avg_cycle_days": 0.0, "undated_deals": 1}
    ann, bob = report["owners"]
    assert (ann["owner"], ann["follow_ups_on_time"], ann["flags"]) == (
        "Ann", 0.0, {"FOLLOW_UP_OVERDUE": 1})
    assert (bob["follow_ups_on_time"], bob["flags"]) == (
        None, {"MISSING_CRITERIA": 1, "NO_FIRST_RESPONSE": 1})
    assert [(r["reason"], r["count"], r["share"]) for r in report["lost_reasons"]] == [
        ("(none)", 1, 0.5), ("Price", 1, 0.5)]
    first = report["opportunities"][0]
    assert {k: first[k] for k in ("owner", "title", "amount", "customer_id",
                                  "model_win_probability", "model_factors")} == {
        "owner": "Ann", "title": "Big one", "amount": 1000.0, "customer_id": "C9",
        "model_win_probability": None, "model_factors": []}
    assert all({"days_in_stage_mean", "days_in_stage_median"} <= set(s)
               for s in report["stages"])
