"""Summary and report numbers, checked against an independent pandas computation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sheetfunnel import init
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.load import load_workbook_model
from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report
from sheetfunnel.runner import default_sections, run_once
from sheetfunnel.summary import RunHeader, summarize
from sheetfunnel.tabs.summary import render_summary
from sheetfunnel.words import words_for
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.maven_crm import maven_tabs

AS_OF = dt.date(2026, 11, 24)
DEFAULTS = default_sections()


def report_for(tabs: dict, as_of: dt.date = AS_OF):
    loaded = load_workbook_model(tabs, defaults=DEFAULTS)
    assert loaded.config is not None, loaded.problems
    evaluation = evaluate(loaded.opportunities, loaded.customers, loaded.activities,
                          loaded.config, as_of=as_of, memory=StageMemory())
    header = RunHeader(as_of, dict(evaluation.counts), loaded.config_status)
    summary = summarize(evaluation, loaded.config, header)
    return summary, build_report(summary, evaluation, io=IOStats(), seconds=0.0), loaded


def test_five_stages_of_twenty_deals_give_the_textbook_funnel():
    stages = [["Stage", "Probability", "Kind"], ["S1", 10, "open"], ["S2", 30, "open"],
              ["S3", 50, "open"], ["S4", 70, "open"], ["Won", 100, "won"], ["Lost", 0, "lost"]]
    deals = [["ID", "Stage", "Amount"]] + [
        [f"D{i}", name, 100] for i, name in enumerate(
            [s for s in ("S1", "S2", "S3", "S4", "Won") for _ in range(20)])]
    tabs = {"Opportunities": deals, "Stages": stages,
            "Scoring": [["Dimension", "Field", "Weight", "Match", "Points"]],
            "Criteria": [["Stage", "Field", "Check", "Value", "Message"]]}
    _, report, _ = report_for(tabs)
    funnel = {s["stage"]: s for s in report["stages"]}
    assert [funnel[s]["reached"] for s in ("S1", "S2", "S3", "S4", "Won")] == [100, 80, 60, 40,
                                                                             20]
    assert [round(funnel[s]["conversion_from_previous"], 3)
            for s in ("S1", "S2", "S3", "S4", "Won")] == [1.0, 0.8, 0.75, 0.667, 0.5]
    assert funnel["Won"]["conversion_from_first"] == 0.2
    assert funnel["Lost"]["conversion_from_previous"] is None
    assert funnel["S3"]["open_amount"] == 2000 and funnel["S3"]["weighted_amount"] == 1000


def independent(deals: pd.DataFrame, order: list[str], open_stages: list[str],
                proven: pd.Series | None = None) -> dict:
    """The spec's numbers straight from the raw stage/owner/amount columns."""
    rank = {s: i for i, s in enumerate(order)}
    index = deals["stage"].map(rank)
    won, lost = deals["stage"] == order[-2], deals["stage"] == order[-1]
    proven = proven if proven is not None else pd.Series(-1, index=deals.index)
    reached = {}
    for i, stage in enumerate(open_stages):
        mask = (index >= i) & ~lost | won | (proven >= i)
        reached[stage] = len(deals) if i == 0 else int(mask.sum())
    reached[order[-2]], reached[order[-1]] = int(won.sum()), int(lost.sum())
    owners = deals.assign(w=won, l=lost).groupby("owner").agg(won=("w", "sum"), lost=("l", "sum"))
    return {"reached": reached, "win_rate": won.sum() / (won.sum() + lost.sum()),
            "won_amount": deals.loc[won, "amount"].sum(),
            "owner_won": owners["won"].to_dict(), "owner_lost": owners["lost"].to_dict()}


def test_demo_report_matches_an_independent_computation(tmp_path: Path):
    path = tmp_path / "demo.xlsx"
    init(path, lang="en", demo=True, as_of=AS_OF)
    rows = XlsxWorkbook(path).read().tabs["Opportunities"][1:]
    raw = pd.DataFrame([row[3:6] for row in rows])
    raw.columns = ["owner", "stage", "amount"]
    raw["amount"] = pd.to_numeric(raw["amount"])
    result = run_once(XlsxWorkbook(path), as_of=AS_OF)
    report = result.report
    order = ["Lead", "Qualified", "Needs Analysis", "Proposal", "Negotiation", "Won", "Lost"]
    proven = result.evaluation.deals["proven_index"].reset_index(drop=True)
    expected = independent(raw.reset_index(drop=True), order, order[:5], proven)
    assert {s["stage"]: s["reached"] for s in report["stages"]} == expected["reached"]
    assert report["win_rate"] == pytest.approx(expected["win_rate"])
    owners = {o["owner"]: o for o in report["owners"]}
    assert {k: owners[k]["won"] for k in owners} == expected["owner_won"]
    assert {k: owners[k]["lost"] for k in owners} == expected["owner_lost"]
    assert sum(o["won_amount"] for o in report["owners"]) == pytest.approx(
        expected["won_amount"])
    flags = pd.Series([c for o in report["opportunities"] for c in o["flags"]]).value_counts()
    assert report["flags"] == {k: int(v) for k, v in flags.items()} | report["flags"]
    assert sum(report["flags"].values()) == int(flags.sum())


def test_maven_crm_report_matches_an_independent_computation(datasets):
    folder = datasets / "maven-crm"
    tabs = {**maven_tabs(datasets),
            "Scoring": [["Dimension", "Field", "Weight", "Match", "Points"]],
            "Criteria": [["Stage", "Field", "Check", "Value", "Message"]]}
    summary, report, _ = report_for(tabs, as_of=dt.date(2018, 1, 1))
    raw = pd.read_csv(folder / "sales_pipeline.csv")
    won = raw["deal_stage"] == "Won"
    engaged = raw["engage_date"].notna() | raw["deal_stage"].isin(["Engaging", "Won"])
    stages_out = {s["stage"]: s for s in report["stages"]}
    assert stages_out["Prospecting"]["reached"] == 8800
    assert stages_out["Engaging"]["reached"] == int(engaged.sum()) == 8300
    assert stages_out["Won"]["reached"] == 4238 and stages_out["Lost"]["reached"] == 2473
    assert report["win_rate"] == pytest.approx(4238 / 6711)
    assert sum(o["won_amount"] for o in report["owners"]) == pytest.approx(10_005_534)
    by_agent = raw[won].groupby("sales_agent")["close_value"].sum()
    assert {o["owner"]: o["won_amount"] for o in report["owners"] if o["won"]} == pytest.approx(
        by_agent.to_dict())
    assert stages_out["Engaging"]["conversion_from_previous"] == pytest.approx(8300 / 8800)
    assert stages_out["Won"]["conversion_from_previous"] == pytest.approx(4238 / 8300)
    grid, looks = render_summary(summary, _config(tabs), tab="Summary", words=words_for("en"))
    (chart,) = looks.charts
    assert chart.categories.first_row == chart.series[0].values.first_row


def _config(tabs):
    return load_workbook_model(tabs, defaults=DEFAULTS).config


def test_summary_grid_holds_numbers_and_the_chart_points_at_the_funnel(tmp_path: Path):
    path = tmp_path / "demo.xlsx"
    init(path, lang="en", demo=True, as_of=AS_OF)
    result = run_once(XlsxWorkbook(path), as_of=AS_OF)
    grid, looks = render_summary(result.summary, _config(XlsxWorkbook(path).read().tabs),
                                 tab="Summary", words=words_for("en"))
    chart = looks.charts[0]
    rows = grid[chart.categories.first_row - 1: chart.categories.last_row]
    assert [r[0] for r in rows] == ["Lead", "Qualified", "Needs Analysis", "Proposal",
                                    "Negotiation", "Won"]
    assert all(isinstance(r[1], int) for r in rows)
    percent_cols = {f.range.first_col for f in looks.number_formats if f.pattern == "0.0%"}
    assert 4 in percent_cols
    assert any(f.pattern == '"$"#,##0' for f in looks.number_formats)


def test_a_longer_earlier_summary_leaves_no_rows_behind(tmp_path: Path):
    import openpyxl

    path = tmp_path / "demo.xlsx"
    init(path, lang="en", demo=True, as_of=AS_OF)
    run_once(XlsxWorkbook(path), as_of=AS_OF)
    book = openpyxl.load_workbook(path)
    book["Summary"]["A300"] = "left from a longer summary"
    book["Summary"]["C301"] = 42
    book.save(path)
    result = run_once(XlsxWorkbook(path), as_of=AS_OF)
    assert result.report["io"]["cells_written"] == 2
    summary = XlsxWorkbook(path).read().tabs["Summary"]
    assert len(summary) < 300
