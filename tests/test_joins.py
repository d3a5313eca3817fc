"""Opportunities joined to Customers, checked (issue #14 item 6): per-tab column mappings, and a
join check that `check` and `run` give when the join finds nothing, on both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetfunnel import api, schema
from sheetfunnel.config import sections_from_grids
from sheetfunnel.config.parse import Collector, parse_settings
from sheetfunnel.engine.joins import check_joins
from sheetfunnel.errors import Problem
from sheetfunnel.load import WorkbookModel, load_workbook_model
from sheetfunnel.runner import check, default_sections, run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import Pair

AS_OF = dt.date(2026, 11, 24)
DEALS = [["商机编号", "客户名称", "商机名称", "负责人", "阶段", "金额", "创建日期"],
         ["D-1", "华东机械", "产线改造", "王芳", "方案", "¥120,000", "2026-10-01"],
         ["D-2", "远航物流", "仓储系统", "李雷", "赢单", "5万", "2026-09-01"],
         ["D-3", "华东机械", "年度维保", "王芳", "线索", 30000, "2026-11-01"]]
CUSTOMERS = [["客户", "行业", "规模"], ["华东机械", "制造", "600人"], ["远航物流", "物流", "50人"]]
STAGES = [["阶段", "赢率", "类型"], ["线索", 10, "进行中"], ["方案", 60, "进行中"],
          ["赢单", 100, "赢单"], ["输单", 0, "输单"]]
SCORING = [["维度", "字段", "权重", "条件", "分值"], ["行业匹配", "行业", 3, "in 制造, 金融", 10],
           ["行业匹配", None, None, "*", 3], ["公司规模", "规模", 2, ">= 500", 10],
           ["公司规模", None, None, "*", 2]]
MAPPED = [["参数", "值"], ["column.商机.customer_id", "客户名称"],
          ["column.customers.客户编号", "客户"]]


def judged(grids: dict[str, list[list]]) -> WorkbookModel:
    """The model ``check`` gives: loaded, then the join checked."""
    model = load_workbook_model(grids, defaults=default_sections())
    assert model.config is not None
    return model.with_joins(check_joins(model.opportunities, model.customers, model.config))


def tabs(settings: list[list] | None = None) -> dict[str, list[list]]:
    return {"商机": DEALS, "客户": CUSTOMERS, "阶段": STAGES, "评分": SCORING,
            "准入标准": [["阶段", "字段", "检查", "值", "说明"]],
            "设置": settings or [["参数", "值"]]}


UNJOINED = (  # a Chinese workbook: the sentence is Chinese, the cells as they are
    "'商机'!1:1: 商机表没有客户编号列（表头：商机编号、客户名称、商机名称、负责人、阶段、金额、"
    "创建日期），因此没有商机能关联到客户：客户等级、成交总额和在途金额保持为空；评分维度 "
    "行业匹配、公司规模（'评分'!A2:E3、'评分'!A4:E5）读取客户表的字段，因此对所有商机都计 0 "
    "分。请在设置表中添加一行 column.opportunities.customer_id = <客户表所用编号所在列的表头>。")
NONE_NAMED = "没有商机填写客户，因此没有商机关联到客户表。"


def test_differently_named_keys_join_nothing_and_check_says_so_on_both_backends(
        tmp_path: Path, emulator):
    pair = Pair.from_grids(tmp_path / "team.xlsx", emulator, tabs())
    for book in (XlsxWorkbook(pair.path), open_book(emulator)):
        found = api.check(book)
        assert found.ok  # a warning, not a broken config
        assert [str(p) for p in found.problems] == [UNJOINED]
        assert found.joins == NONE_NAMED
    for result in (run_once(XlsxWorkbook(pair.path), as_of=AS_OF),
                   run_once(open_book(emulator), as_of=AS_OF)):
        assert [str(p) for p in result.problems] == [UNJOINED]
        assert result.evaluation.deals["score"].tolist() == [0.0, 0.0, 0.0]
    for book in (XlsxWorkbook(pair.path), open_book(emulator)):  # told again without judging
        again = run_once(book, as_of=AS_OF)
        assert again.quiet and [str(p) for p in again.problems] == [UNJOINED]
    for snapshot in pair.snapshots():
        summary = snapshot.tabs["汇总"]
        assert [row[:2] for row in summary if row and row[0] == "问题 (提醒)"] == [
            ["问题 (提醒)", "'商机'!1:1"]]


def test_per_tab_mappings_make_the_join_and_the_scores_on_both_backends(tmp_path: Path,
                                                                         emulator):
    pair = Pair.from_grids(tmp_path / "team.xlsx", emulator, tabs(MAPPED))
    for book in (XlsxWorkbook(pair.path), open_book(emulator)):
        found = api.check(book)
        assert found.problems == ()
        assert found.joins == "填写了客户的 3 个商机中，3 个在客户表中找到了该客户。"
    xlsx, sheets = (run_once(XlsxWorkbook(pair.path), as_of=AS_OF),
                    run_once(open_book(emulator), as_of=AS_OF))
    for result in (xlsx, sheets):
        assert result.problems == ()
        # 制造 600人: 3×10 + 2×10 of 50; 物流 50人: 3×3 + 2×2
        assert result.evaluation.deals["score"].tolist() == [100.0, 26.0, 100.0]
        customers = result.evaluation.customers
        assert customers["won_total"].tolist() == [0.0, 50000.0]
        assert customers["open_pipeline"].tolist() == [150000.0, 0.0]
    xlsx_snap, sheets_snap = pair.snapshots()
    assert xlsx_snap.tabs["客户"][1:] == sheets_snap.tabs["客户"][1:]


def test_a_per_tab_mapping_wins_over_the_all_tabs_one_for_its_tab():
    rows = [["Key", "Value"], ["column.customer_id", "Account"],
            ["column.customers.ID", "Company"], ["column.deals.amount", "Value (USD)"],
            ["column.shops.customer_id", "x"], ["column.customers.budget", "y"]]
    found = Collector()
    settings = parse_settings(sections_from_grids({"settings": ("Settings", rows)})["settings"],
                              found)
    assert dict(settings.columns) == {"customer_id": "Account",
                                      "customers.customer_id": "Company",
                                      "opportunities.amount": "Value (USD)"}
    assert schema.bind_roles("opportunities", ["Account", "Company", "Value (USD)"],
                             settings.columns) == {"customer_id": "Account",
                                                   "amount": "Value (USD)"}
    assert schema.bind_roles("customers", ["Account", "Company"], settings.columns) == {
        "customer_id": "Company"}
    assert [str(p) for p in found.problems] == [
        "Settings!A5: There is no input tab role called shops, so column.shops.customer_id is "
        "ignored. Use column.<tab>.<column> with the tab one of: opportunities, customers, "
        "activities.",
        "Settings!A6: The customers tab has no column role called budget, so "
        "column.customers.budget is ignored. Use one of: customer_id, name, industry, size, "
        "region, source, owner, tier, won_total, open_pipeline."]


def test_a_per_tab_mapping_that_names_no_header_is_a_warning_at_its_cell():
    model = load_workbook_model(
        {**tabs([["参数", "值"], ["column.商机.customer_id", "客户名称"],
                 ["column.客户.客户编号", "客户 ID"]])}, defaults=default_sections())
    assert "'设置'!B3: 客户表中没有名为“客户 ID”的表头（最接近的是 客户），因此这条列映射未被" \
           "使用。请改正名称。" in [str(p) for p in model.problems]  # a Chinese workbook


def test_keys_that_match_no_customer_are_a_warning_with_examples():
    deals = [DEALS[0], *([*row[:1], f"{row[1]}集团", *row[2:]] for row in DEALS[1:])]
    model = judged({**tabs(MAPPED), "商机": deals})
    assert [str(p) for p in model.problems] == [
        "'商机'!B1: 在这一列填写了客户的 3 个商机，没有一个能在客户表的编号列 '客户'!A1 中找到"
        "（最先缺少的：“华东机械集团”、“远航物流集团”）：客户等级、成交总额和在途金额保持为空；"
        "评分维度 行业匹配、公司规模（'评分'!A2:E3、'评分'!A4:E5）读取客户表的字段，因此对所有"
        "商机都计 0 分。请让两列填写相同的编号，或在设置表中把 column.customers.customer_id"
        "（或 column.opportunities.customer_id）指向填写相同编号的列。"]
    some = [*deals[:2], *DEALS[2:]]
    model = judged({**tabs(MAPPED), "商机": some})
    assert model.problems == ()
    assert model.join_sentence == "填写了客户的 3 个商机中，2 个在客户表中找到了该客户" \
                                  "（未找到：“华东机械集团”）。"


@pytest.mark.parametrize(("column", "message"), [
    ("规模", "评分维度 公司规模 对所有商机都给 0 分：没有一条规则匹配商机中的值。请对照字段列中的"
            "值检查它的匹配单元格。"),
    (None, "评分维度 公司规模 对所有商机都给 0 分：它的字段列在所有商机中都是空的。请填写该列，"
           "或把字段指向存放该信息的列。"),
])
def test_a_dimension_that_scores_0_for_every_deal_is_a_warning_naming_its_cells(column,
                                                                                message):
    scoring = [*SCORING[:3], ["公司规模", "规模", 2, ">= 5000", 10]]
    customers = [CUSTOMERS[0], *([name, trade, size if column else None]
                                 for name, trade, size in CUSTOMERS[1:])]
    model = judged({**tabs(MAPPED), "评分": scoring, "客户": customers})
    assert model.problems == (Problem("'评分'!A4:E4", message, "warning"),)


def test_check_and_run_print_the_count_and_each_problem_once(tmp_path: Path, capsys):
    from tests.support.parity import save_grids
    from tests.test_cli import sheetfunnel

    path = tmp_path / "team.xlsx"
    save_grids(path, tabs())
    code, out = sheetfunnel("check", path)
    assert code == 0
    assert out.count("没有客户编号列") == 1
    assert out.splitlines()[0] == NONE_NAMED
    assert out.rstrip().endswith("The configuration is valid.")
    assert check(XlsxWorkbook(path)).join_sentence is not None


def test_an_english_workbook_keeps_the_english_join_sentences():
    english = {"Opportunities": [["ID", "Account", "Title", "Owner", "Stage", "Amount"],
                                 ["D-1", "Acme", "Mill", "Ann", "Lead", 100]],
               "Customers": [["Customer", "Industry"], ["Acme", "Software"]]}
    model = judged(english)
    assert model.join_sentence == "No deal names a customer, so none is joined to the " \
                                  "Customers tab."
    assert [p.message for p in model.problems if p.where == "Opportunities!1:1"] == [
        "The Opportunities tab has no Customer ID column (headers: ID, Account, Title, Owner, "
        "Stage, Amount), so no deal is joined to its customer: Tier, Won Total and Open "
        "Pipeline stay empty; the Scoring dimensions Industry Fit (default.toml: scoring[1] to "
        "scoring[3]) read Customers fields, so they score 0 for every deal. Add the Settings "
        "row column.opportunities.customer_id = <the header that holds the key the Customers "
        "tab uses>."]
