"""Stage Entered of a deal the worker has never seen (spec §6): its own dates, never the day of
the first run; and "this month" figures that are true on a team's first run and the next."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.engine import AS_OF, CONFIG, HEADER, judge, row
from tests.support.maven_crm import maven_tabs
from tests.support.parity import save_grids
from tests.support.tables import role_table_from_grid

D = dt.date


def with_close_dates(*deals: tuple[list[object], str | None]) -> Evaluation:
    """The deals of ``judge`` with a Close Date column."""
    grid = [[*HEADER, "Close Date"], *([*deal, close] for deal, close in deals)]
    return evaluate(role_table_from_grid("opportunities", "Opportunities", grid), None, None,
                    CONFIG, as_of=AS_OF, memory=StageMemory())


def entered(evaluation, at: int) -> tuple[pd.Timestamp, float]:
    deal = evaluation.deals.loc[at]
    return deal["stage_entered"], deal["days_in_stage"]


def test_a_first_seen_deal_is_dated_by_its_own_cells_in_order():
    result = with_close_dates(
        (row(ID="F", Stage="Proposal", Proposal_Sent="2026-11-10", Created="2026-11-01"), None),
        (row(ID="W", Stage="Won", Expected_Close="2026-11-20"), "2026-11-05"),
        (row(ID="X", Stage="Won", Expected_Close="2026-11-20"), None),
        (row(ID="L", Stage="Lost", Lost_Reason="Price", Expected_Close="2026-11-02"),
         "2026-12-01"),
        (row(ID="P", Stage="Lost", Lost_Reason="Price", Expected_Close="2026-12-02"), None),
        (row(ID="C", Stage="Lead", Created="2026-11-04"), None),
        (row(ID="Q", Stage="Qualified", Created="2026-11-04"), None),
        (row(ID="N", Stage="Lead", Created="2026-11-30"), None))
    assert [entered(result, at)[0] for at in range(2, 10)] == [
        pd.Timestamp("2026-11-10"),  # the stage's Entered Date Field
        pd.Timestamp("2026-11-05"),  # won: its Close Date
        pd.Timestamp("2026-11-20"),  # won without one: Expected Close, on or before today
        pd.Timestamp("2026-11-02"),  # a Close Date after today is a plan: Expected Close
        pd.NaT,                      # nothing on or before today: unknown
        pd.Timestamp("2026-11-04"),  # the first stage: Created
        pd.NaT,                      # a later open stage with no date of its own: unknown
        pd.NaT]                      # created after today
    assert entered(result, 3)[1] == 19.0 and pd.isna(entered(result, 8)[1])
    assert result.memory.entries["entered"].isna().all()  # memory keeps only changes


def test_close_date_headers_are_the_closed_on_role_in_both_languages():
    for header in ("Close Date", "成交日期", "关闭日期", "Closed On"):
        table = role_table_from_grid("opportunities", "Opportunities",
                                     [["ID", "Stage", "Expected Close", header]])
        assert table.roles["closed_on"] == header
        assert table.roles["expected_close"] == "Expected Close"


def test_undated_deals_stay_out_of_this_month_and_the_summary_counts_them():
    evaluation = judge(
        row(ID="W1", Stage="Won", Amount=100, Created="2026-10-01",
            Expected_Close="2026-11-11"),
        row(ID="W2", Stage="Won", Amount=200, Expected_Close="2026-12-20"),
        row(ID="W3", Stage="Won", Amount=400, Created="2026-09-01",
            Expected_Close="2026-10-30"),
        row(ID="L1", Stage="Lost", Amount=50, Lost_Reason="Price", Expected_Close="2026-11-01"),
        row(ID="Q1", Stage="Qualified"))
    header = RunHeader(AS_OF, dict(evaluation.counts), "ok")
    report = build_report(summarize(evaluation, CONFIG, header), evaluation, io=IOStats(),
                          seconds=0.0)
    headline = report["headline"]
    assert (headline["won_this_month"], headline["won_amount_this_month"]) == (1, 100.0)
    assert (headline["lost_this_month"], headline["lost_amount_this_month"]) == (1, 50.0)
    assert headline["undated_deals"] == 2  # W2 (closes after today) and Q1
    assert headline["avg_cycle_days"] == pytest.approx((41 + 59) / 2)  # W2 has none
    assert headline["win_rate"] == pytest.approx(3 / 4)


def test_a_later_run_keeps_the_dates_and_a_change_is_dated_today_by_history():
    deals = (row(ID="A", Stage="Lead", Created="2026-11-01"), row(ID="B", Stage="Qualified"))
    first = judge(*deals)
    second = judge(*deals, as_of=D(2026, 11, 25), memory=first.memory)
    assert [entered(second, at) for at in (2, 3)] == [(pd.Timestamp("2026-11-01"), 24.0),
                                                      (pd.NaT, pytest.approx(float("nan"),
                                                                             nan_ok=True))]
    moved = judge(row(ID="A", Stage="Qualified"), row(ID="B", Stage="Proposal",
                                                      Proposal_Sent=None),
                  as_of=D(2026, 11, 26), memory=second.memory)
    assert moved.transitions["id"].tolist() == ["A", "B"]
    assert [entered(moved, at) for at in (2, 3)] == [(pd.Timestamp("2026-11-26"), 0.0)] * 2
    later = judge(row(ID="A", Stage="Qualified"), as_of=D(2026, 11, 30), memory=moved.memory)
    assert entered(later, 2) == (pd.Timestamp("2026-11-26"), 4.0)


def test_a_first_run_day_an_older_version_remembered_dates_nothing():
    """Versions before ``closed_on`` dated every deal they first saw to that day: the day memory
    holds as both entered and first seen is no stage change, so the deal's own dates win."""
    memory = StageMemory(pd.DataFrame(
        {"stage": ["Won", "Qualified"], "entered": [D(2026, 11, 20), D(2026, 11, 20)],
         "first_seen": [D(2026, 11, 20), D(2026, 11, 1)]},
        index=pd.Index(["W", "Q"], name="id"), dtype=object))
    result = judge(row(ID="W", Stage="Won", Expected_Close="2026-06-30"),
                   row(ID="Q", Stage="Qualified"), memory=memory)
    assert entered(result, 2) == (pd.Timestamp("2026-06-30"), 147.0)
    assert entered(result, 3) == (pd.Timestamp("2026-11-20"), 4.0)  # a change it saw


# ------------------------------------------------------------------ the Maven CRM sheet


def this_month(raw: pd.DataFrame, stage: str, as_of: dt.date) -> tuple[int, float]:
    """Deals closed in the month of ``as_of`` up to that day, straight from the CSV."""
    closed = pd.to_datetime(raw["close_date"])
    mask = ((raw["deal_stage"] == stage) & (closed >= pd.Timestamp(as_of).replace(day=1))
            & (closed <= pd.Timestamp(as_of)))
    return int(mask.sum()), float(raw.loc[mask, "close_value"].sum())


def run(path: Path, as_of: str, report: Path) -> dict:
    result = CliRunner().invoke(cli, ["run", str(path), "--as-of", as_of, "--report",
                                      str(report)], prog_name="sheetfunnel")
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text())


def test_maven_crm_this_month_is_true_on_the_first_run_and_the_next_day(datasets, tmp_path):
    """The README's recipe (Settings rows, close_date as column.closed_on, a Stages tab),
    run as a team would, against an independent pandas computation."""
    path = tmp_path / "maven.xlsx"
    save_grids(path, maven_tabs(datasets, typed_amounts=True))
    raw = pd.read_csv(datasets / "maven-crm" / "sales_pipeline.csv")
    for as_of in (D(2017, 12, 15), D(2017, 12, 16)):
        report = run(path, as_of.isoformat(), tmp_path / f"{as_of}.json")
        headline = report["headline"]
        # the default Won/Lost criteria name Expected Close and Lost Reason, which this sheet
        # lacks: skipped, not "Expected Close is empty" on every won deal
        assert "MISSING_CRITERIA" not in report["flags"]
        won, won_amount = this_month(raw, "Won", as_of)
        lost, lost_amount = this_month(raw, "Lost", as_of)
        assert (headline["won_this_month"], headline["lost_this_month"]) == (won, lost)
        assert headline["won_amount_this_month"] == pytest.approx(won_amount)
        assert headline["lost_amount_this_month"] == pytest.approx(lost_amount)
        later = (pd.to_datetime(raw["close_date"]) > pd.Timestamp(as_of)).sum()
        prospecting = (raw["deal_stage"] == "Prospecting").sum()
        assert headline["undated_deals"] == later + prospecting
    assert 0 < won < 4238 and won_amount < 10_005_534
    sheet = XlsxWorkbook(path).read().tabs["sales_pipeline"]
    column = sheet[0].index("Stage Entered")
    written = {pd.Timestamp(r[column]).date() for r in sheet[1:]
               if len(r) > column and r[column] is not None}
    assert written <= {*pd.to_datetime(raw["engage_date"]).dropna().dt.date,
                       *pd.to_datetime(raw["close_date"]).dropna().dt.date}
