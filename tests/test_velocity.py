"""Time in stage: days deals spent in each stage before they moved on, from History and the
Entered Date Fields, in the Summary funnel and the report."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sheetfunnel.config import Settings, Stage
from sheetfunnel.config.model import Config
from sheetfunnel.engine.velocity import time_in_stage
from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import render_summary
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, judge, row

D = dt.date
STAGES = Config(stages=(Stage("Lead", 0.1, "open"), Stage("Demo", 0.3, "open"),
                        Stage("Offer", 0.6, "open"), Stage("Won", 1.0, "won"),
                        Stage("Lost", 0.0, "lost")), dimensions=(), criteria=(),
                settings=Settings())


def entries(*rows: tuple[int, int, str]) -> pd.DataFrame:
    return pd.DataFrame({"deal": [r[0] for r in rows], "stage_index": [r[1] for r in rows],
                         "entered": pd.to_datetime([r[2] for r in rows])})


def by_stage(table: pd.DataFrame) -> dict[str, dict]:
    return {r.pop("stage"): r for r in table.to_dict("records")}


def test_stays_count_only_moves_straight_on():
    table = by_stage(time_in_stage(entries(
        (1, 0, "2026-01-01"), (1, 1, "2026-01-11"), (1, 2, "2026-01-15"), (1, 3, "2026-02-14"),
        (2, 0, "2026-01-01"), (2, 1, "2026-01-31"), (2, 4, "2026-02-10"),  # lost from Demo
        (3, 0, "2026-01-01"), (3, 3, "2026-03-01"),  # Lead -> Won: days shared with Demo, Offer
        (4, 1, "2026-01-01"), (4, 2, "2026-01-01"),  # moved on the same day: 0 days
        (5, 0, "2026-03-01")), STAGES))  # still in Lead: no stay ended
    assert table["Lead"] == {"left": 2, "mean": 20.0, "median": 20.0}
    assert table["Demo"] == {"left": 3, "mean": pytest.approx(14 / 3), "median": 4.0}
    assert table["Offer"] == {"left": 1, "mean": 30.0, "median": 30.0}
    assert table["Won"] == table["Lost"] == {"left": 0, "mean": None, "median": None}


def test_percentiles_and_a_period_for_the_weekly_review():
    stays = entries(*((d, 0, "2026-01-01") for d in range(10)),
                    *((d, 1, f"2026-01-{2 + d:02d}") for d in range(10)))
    table = time_in_stage(stays, STAGES, percentiles=(0.25, 0.9))
    lead = by_stage(table)["Lead"]
    assert list(table.columns) == ["stage", "left", "mean", "median", "p25", "p90"]
    assert (lead["left"], lead["median"], lead["p25"]) == (10, 5.5, 3.25)
    assert lead["p90"] == pytest.approx(9.1)
    week = by_stage(time_in_stage(stays, STAGES, period=(D(2026, 1, 5), D(2026, 1, 11))))
    assert (week["Lead"]["left"], week["Lead"]["mean"]) == (7, 7.0)  # left on Jan 5 .. 11


def test_the_engine_reads_stays_from_history_and_entered_date_fields():
    history = pd.DataFrame({"id": ["A", "A", "B"], "from_stage": ["Lead", "Qualified", "Lead"],
                            "to_stage": ["Qualified", "Proposal", "Qualified"],
                            "at": [D(2026, 10, 6), D(2026, 10, 16), D(2026, 11, 2)]},
                           dtype=object)
    evaluation = judge(
        row(ID="A", Stage="Proposal", Created="2026-10-01", Proposal_Sent="2026-10-20"),
        row(ID="B", Stage="Lost", Created="2026-10-30", Lost_Reason="Price",
            Expected_Close="2026-11-12"),
        row(ID="C", Stage="Won", Created="2026-09-01", Proposal_Sent="2026-10-01",
            Expected_Close="2026-10-31"),
        history=history)
    table = by_stage(time_in_stage(evaluation.stage_entries, CONFIG))
    # A: Lead 5 days (Created -> History), Qualified 14 (History -> its Proposal Sent, which
    # wins over History's date for Proposal); B: Lead 3, Qualified 10 (-> Lost);
    # C: Proposal 30 (-> Won from the last open stage); Lead -> Proposal skips Qualified
    assert table["Lead"] == {"left": 2, "mean": 4.0, "median": 4.0}
    assert table["Qualified"] == {"left": 2, "mean": 12.0, "median": 12.0}
    assert table["Proposal"] == {"left": 1, "mean": 30.0, "median": 30.0}


def test_the_summary_funnel_and_the_report_carry_the_days_before_moving_on():
    evaluation = judge(
        row(ID="C", Stage="Won", Created="2026-09-01", Proposal_Sent="2026-10-01",
            Expected_Close="2026-10-31"),
        row(ID="D", Stage="Won", Created="2026-09-01", Proposal_Sent="2026-10-11",
            Expected_Close="2026-10-31"),
        row(ID="E", Stage="Won", Created="2026-09-01", Proposal_Sent="2026-10-30",
            Expected_Close="2026-10-31"))
    summary = summarize(evaluation, CONFIG, RunHeader(AS_OF, dict(evaluation.counts), "ok"))
    report = build_report(summary, evaluation, io=IOStats(), seconds=0.0)
    proposal = next(s for s in report["stages"] if s["stage"] == "Proposal")
    assert (proposal["days_in_stage_mean"], proposal["days_in_stage_median"]) == (
        17.0, 20.0)
    assert next(s for s in report["stages"] if s["stage"] == "Won")["days_in_stage_mean"] is None
    grid, _ = render_summary(summary, CONFIG, tab="Summary", words=words_for("en"))
    head = next(r for r in grid if r and r[0] == "Stage")
    assert head[-2:] == ["Days before moving on (mean)", "Days before moving on (median)"]
    assert next(r for r in grid if r and r[0] == "Proposal")[-2:] == [17.0,
                                                                      20.0]
