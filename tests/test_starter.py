"""`sheetfunnel init`: the starter workbook's tabs, headers, Config tabs and looks, in en and zh."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import schema
from sheetfunnel.demo_data import make_demo
from sheetfunnel.errors import UsageError
from sheetfunnel.grid import normalise_name
from sheetfunnel.plan import WritePlan
from sheetfunnel.resources import data_path
from sheetfunnel.starter import starter_plan
from sheetfunnel.words import words_for
from sheetfunnel.workbook.xlsx import XlsxWorkbook

DEFAULTS = data_path("config", "default.toml").read_text(encoding="utf-8")
TEMPLATE = data_path("templates", "workbook.toml").read_text(encoding="utf-8")
TAB_ROLES = ("opportunities", "customers", "activities", "stages", "scoring", "criteria",
             "settings", "summary", "attention", "history")
ZH_STAGES = ["线索", "已确认", "需求分析", "方案报价", "商务谈判", "赢单", "输单"]
EXTRA = {"en": ["Budget", "Decision Maker", "Pain Points", "Purchase Intent",
                "Decision Cycle Days", "Proposal Sent"],
         "zh": ["预算", "决策人", "痛点", "购买意向", "决策周期天数", "方案发送日期"]}


def _init(tmp_path: Path, lang: str, demo: bool = False) -> dict[str, list[list]]:
    data = make_demo(dt.date(2026, 11, 24), lang=lang) if demo else None
    path = tmp_path / f"{lang}.xlsx"
    XlsxWorkbook.create(path).apply(starter_plan(lang, DEFAULTS, TEMPLATE, demo=data))
    return XlsxWorkbook(path).read().tabs


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_with_its_headers(tmp_path: Path, lang: str) -> None:
    tabs = _init(tmp_path, lang)
    assert list(tabs) == [schema.display_name(lang, role) for role in TAB_ROLES]
    deals = tabs[schema.display_name(lang, "opportunities")][0]
    for role in ("id", "customer_id", "title", "owner", "stage", "amount", "source", "created",
                 "expected_close", "last_activity", "next_step", "next_step_due", "lost_reason"):
        assert schema.display_name(lang, "opportunities", role) in deals
    assert deals[-6:] == EXTRA[lang]
    words = words_for(lang)
    assert tabs[schema.display_name(lang, "history")][0] == list(words.history_headers)
    assert tabs[schema.display_name(lang, "attention")][0] == list(words.attention_headers)
    for role in ("customers", "activities", "stages", "scoring", "criteria", "settings"):
        header = tabs[schema.display_name(lang, role)][0]
        assert header == [schema.display_name(lang, role, c) for c in schema.COLUMNS[role]
                          if c not in schema.OWNED_COLUMNS.get(role, ())]
    assert len(tabs[schema.display_name(lang, "summary")]) == 1


def test_english_config_tabs_hold_the_defaults(tmp_path: Path) -> None:
    tabs = _init(tmp_path, "en")
    defaults = tomllib.loads(DEFAULTS)
    for section in ("stages", "scoring", "criteria", "settings"):
        grid = tabs[section.capitalize()]
        keys = list(schema.COLUMNS[section])
        rows = [{k: v for k, v in zip(keys, row, strict=False) if v is not None}
                for row in grid[1:]]
        assert rows == defaults[section]


def test_chinese_config_names_stages_fields_and_currency(tmp_path: Path) -> None:
    tabs = _init(tmp_path, "zh")
    assert [row[0] for row in tabs["阶段"][1:]] == ZH_STAGES
    assert [row[2] for row in tabs["阶段"][1:]] == ["进行中"] * 5 + ["赢单", "输单"]
    checks = {row[2] for row in tabs["准入标准"][1:]}
    assert {"已填写", "不晚于今天"} <= checks and not checks & {"filled", "on or before today"}
    settings = {row[0]: row[1] for row in tabs["设置"][1:]}
    assert settings["currency"] == "¥" and settings["criteria_cumulative"] == "是"
    assert settings["grade_A"] == "80"
    assert tabs["评分卡"][1] == ["行业匹配", "行业", 3, "in 软件, 金融, 制造", 10]
    assert {row[0] for row in tabs["准入标准"][1:]} <= set(ZH_STAGES)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_config_field_names_a_column(tmp_path: Path, lang: str) -> None:
    tabs = _init(tmp_path, lang)
    headers = {normalise_name(h) for role in ("opportunities", "customers")
               for h in tabs[schema.display_name(lang, role)][0]}
    fields = [row[1] for row in tabs[schema.display_name(lang, "scoring")][1:]]
    fields += [row[1] for row in tabs[schema.display_name(lang, "criteria")][1:]]
    fields += [row[5] for row in tabs[schema.display_name(lang, "stages")][1:] if len(row) > 5]
    assert fields and all(normalise_name(f) in headers for f in fields)


def test_looks_of_the_starter(tmp_path: Path) -> None:
    _init(tmp_path, "en")
    book = openpyxl.load_workbook(tmp_path / "en.xlsx")
    deals = book["Opportunities"]
    [dropdown] = deals.data_validations.dataValidation
    assert (str(dropdown.sqref), dropdown.formula1) == ("E2:E1048576", "Stages!$A$2:$A$8")
    assert all(book[t].freeze_panes == "A2" for t in book.sheetnames)
    assert deals.column_dimensions["C"].width == 30
    assert deals["A1"].font.b and book["Settings"]["C1"].font.b
    assert "Stages tab" in deals["E1"].comment.text


def test_demo_rows_land_under_their_headers(tmp_path: Path) -> None:
    tabs = _init(tmp_path, "en", demo=True)
    deals, customers = tabs["Opportunities"], tabs["Customers"]
    assert (len(deals), len(customers), len(tabs["Activities"])) == (721, 151, 1936)
    header = deals[0]
    first = dict(zip(header, deals[1], strict=False))
    assert first["ID"] == "OPP-000001" and first["Customer ID"].startswith("C-")
    assert first["Stage"] in {row[0] for row in tabs["Stages"][1:]}
    assert isinstance(first["Created"], dt.datetime)
    assert tabs["History"][1][1] == "stage change"
    assert sum(row[1] == "daily snapshot" for row in tabs["History"]) == 56
    assert tabs["Targets"][0] == ["Owner", "Period", "Metric", "Target"]
    assert tabs["Targets"][1][:3] == ["Team", "2026-11", "won amount"]


def test_unknown_language() -> None:
    with pytest.raises(UsageError, match="--lang"):
        starter_plan("fr", DEFAULTS, TEMPLATE)


def test_plan_uses_only_plan_primitives() -> None:
    plan = starter_plan("zh", DEFAULTS, TEMPLATE)
    assert isinstance(plan, WritePlan) and not plan.looks.charts and not plan.looks.protections
    assert {spec.title for spec in plan.tabs} == {c.tab for c in plan.cells}
