"""A workbook's tabs -> Config and bound tables: precedence, aliases, Chinese twin, mapping."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sheetfunnel.config import Criterion, sections_from_toml
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.errors import MissingColumnError, Problem
from sheetfunnel.load import load_workbook_model, tabs_needed
from sheetfunnel.runner import default_sections
from sheetfunnel.schema import field_column
from tests.support.maven_crm import maven_tabs

DEFAULTS = default_sections()
STAGES = [["Stage", "Probability", "Kind", "Stall Days", "Follow-up Days", "Entered Date Field"],
          ["Lead", 10, "open"], ["Demo", "40%", "open", 10, 3, "Demo Date"],
          ["Won", 100, "won"], ["Lost", 0, "lost"]]
SCORING = [["Dimension", "Field", "Weight", "Match", "Points"],
           ["Fit", "Industry", 3, "in Software, Finance", 10], ["Fit", "Industry", 3, "*", 2],
           ["Size", "Employees", 2, ">= 1000", 10], ["Size", "Employees", 2, "50..999", 5],
           ["Intent", "Intent", 1, "value", 10]]
CRITERIA = [["Stage", "Field", "Check", "Value", "Message"],
            ["Demo", "Budget", "filled", None, "Budget known"],
            ["Demo", "Amount", ">", "1,000", "Amount over 1,000"]]
SETTINGS = [["Key", "Value", "Note"], ["follow_up_days", 5, ""], ["date_order", "dmy", ""]]
DEALS = [["ID", "Stage", "Amount", "Industry", "Employees", "Intent", "Budget", "Demo Date"],
         ["OPP-1", "Lead", 1000, "Software", 10, 5, "yes", None]]


def workbook(**replace):
    tabs = {"Opportunities": DEALS, "Stages": STAGES, "Scoring": SCORING,
            "Criteria": CRITERIA, "Settings": SETTINGS}
    tabs.update(replace)
    return {title: grid for title, grid in tabs.items() if grid is not None}


def load(tabs, **kwargs):
    return load_workbook_model(tabs, defaults=DEFAULTS, **kwargs)


def test_workbook_tabs_replace_the_defaults_and_tables_are_bound():
    loaded = load(workbook(Customers=[["Customer ID", "Name"], ["C1", "Acme"]]))
    assert (loaded.config_status, loaded.problems) == ("ok", ())
    config = loaded.config
    assert [s.name for s in config.stages] == ["Lead", "Demo", "Won", "Lost"]
    assert config.settings.follow_up_days == 5 and config.criteria[1].value == 1000.0
    assert loaded.opportunities.roles == {"id": "ID", "stage": "Stage", "amount": "Amount"}
    assert loaded.customers.roles == {"customer_id": "Customer ID", "name": "Name"}
    assert loaded.activities is None
    assert loaded.titles["stages"] == "Stages" and loaded.titles["history"] is None


def test_missing_config_tabs_fall_back_to_the_defaults():
    deals = [["ID", "Stage", "Owner", "Amount", "Industry", "Size", "Purchase Intent", "Budget",
              "Decision Cycle Days", "Decision Maker", "Pain Points", "Expected Close",
              "Proposal Sent", "Lost Reason"], ["OPP-1", "Lead"]]
    loaded = load({"opportunities": deals})
    assert (loaded.config_status, loaded.problems) == ("ok", ())
    assert loaded.config.stage("Negotiation").stall_days == 21
    assert len(loaded.config.dimensions) == 5


def test_tabs_and_headers_are_found_case_space_and_full_width_insensitively():
    deals = [["ｉｄ", " STAGE ", "amount"], ["OPP-1", "Lead", 5]]
    loaded = load({"OPPORTUNITIES ": deals, "stages": [r[:3] for r in STAGES],
                   "SCORING": [SCORING[0]], "Entry Criteria": [CRITERIA[0]]})
    assert loaded.config_status == "ok", loaded.problems
    assert loaded.opportunities.roles == {"id": "ｉｄ", "stage": "STAGE", "amount": "amount"}
    assert loaded.titles["criteria"] == "Entry Criteria"


def test_a_toml_section_replaces_the_matching_tab_only():
    toml = '[[stages]]\nstage = "Open"\nprobability = 50\nkind = "open"\n\n' \
           '[[stages]]\nstage = "Won"\nprobability = 100\nkind = "won"\n'
    loaded = load(workbook(Criteria=[CRITERIA[0]]),
                  overrides=sections_from_toml(toml, "team.toml"))
    assert [s.name for s in loaded.config.stages] == ["Open", "Won"]
    assert loaded.config.settings.follow_up_days == 5  # the Settings tab still counts
    assert [d.name for d in loaded.config.dimensions] == ["Fit", "Size", "Intent"]


def test_a_toml_settings_section_can_point_at_the_tabs():
    toml = '[settings]\n"tab.stages" = "Funnel"\n"tab.settings" = "Knobs"\n'
    loaded = load(workbook(Stages=None, Funnel=STAGES),
                  overrides=sections_from_toml(toml, "team.toml"))
    assert loaded.titles["stages"] == "Funnel"
    assert loaded.config.stage("Demo").stall_days == 10
    assert loaded.problems == (Problem("team.toml: settings[2].value",
                                       'There is no tab named "Knobs", so tab.settings is not '
                                       "used. Fix the name.", "warning"),)


def test_broken_toml_breaks_the_config_and_keeps_the_last_good_one():
    good = load(workbook()).config
    loaded = load(workbook(), overrides=sections_from_toml("[[stages]\nx=", "bad.toml"),
                  last_good=good)
    assert (loaded.config, loaded.config_status) == (good, "broken, using last good")
    assert loaded.problems[0].where == "bad.toml: line 1"


def test_a_broken_tab_keeps_the_last_good_config_or_gives_none():
    good = load(workbook()).config
    scoring = SCORING + [["Fit", "Industry", "x", "*", 1]]
    broken = load(workbook(Scoring=scoring), last_good=good)
    assert (broken.config, broken.config_status) == (good, "broken, using last good")
    assert [str(p) for p in broken.problems] == [
        'Scoring!C7: The weight "x" is not a number. Type a number such as 2 or 0.5.']
    first = load(workbook(Scoring=scoring))
    assert (first.config, first.config_status) == (None, "broken, no good config")


def test_a_field_that_is_no_column_is_located():
    criteria = CRITERIA + [["Demo", "Unknown Column", "filled", None, "m"]]
    loaded = load(workbook(Criteria=criteria))
    assert [str(p) for p in loaded.problems] == [
        'Criteria!B4: There is no column "Unknown Column" in the Opportunities or Customers '
        "tab. Add that column or fix the name."]


def test_a_customers_column_is_a_field_too():
    deals = [["ID", "Stage", "Customer ID", "Amount", "Intent", "Budget", "Demo Date"]]
    customers = [["Customer ID", "Industry", "Employees"]]
    loaded = load(workbook(Opportunities=deals, Customers=customers))
    assert loaded.config_status == "ok", loaded.problems


def test_a_missing_stage_column_is_one_sentence_with_the_closest_header():
    deals = [["ID", "Stag", "Amount"], ["OPP-1", "Lead", 5]]
    with pytest.raises(MissingColumnError) as caught:
        load(workbook(Opportunities=deals))
    assert str(caught.value) == (
        "The Opportunities tab has no Stage column (headers found: ID, Stag, Amount; the "
        "closest is 'Stag'): rename that header to Stage, or add the Settings row "
        "column.stage = <your header>.")


def test_a_missing_opportunities_tab_names_the_tabs_found():
    with pytest.raises(MissingColumnError) as caught:
        load(workbook(Opportunities=None, Opportunity=DEALS))
    assert str(caught.value) == (
        "There is no Opportunities tab (tabs found: Stages, Scoring, Criteria, Settings, "
        "Opportunity; the closest is 'Opportunity'): name the tab of your deals Opportunities "
        "(or 商机), or add the Settings row tab.opportunities = <its name>.")


ZH = {
    "商机": [["商机编号", "阶段", "金额", "行业", "员工数", "意向", "预算", "演示日期"],
           ["OPP-1", "线索", 1000, "软件", 10, 5, "是", None]],
    "阶段": [["阶段", "赢率", "类型", "停滞天数", "跟进天数", "进入日期字段"],
           ["线索", "１０", "进行中"], ["演示", "40％", "进行中", 10, 3, "演示日期"],
           ["赢单", 100, "赢单"], ["输单", 0, "输单"]],
    "评分卡": [["维度", "字段", "权重", "匹配", "分值"],
            ["匹配度", "行业", 3, "属于 软件，金融", 10], ["匹配度", "行业", 3, "*", 2],
            ["规模", "员工数", 2, "＞＝ 1，000", 10], ["规模", "员工数", 2, "50..999", 5],
            ["意向", "意向", 1, "数值", 10]],
    "准入标准": [["阶段", "字段", "检查", "值", "说明"], ["演示", "预算", "已填写", None, "预算"],
             ["演示", "金额", "＞", "1，000", "金额"]],
    "设置": [["参数", "值", "说明"], ["follow_up_days", "５", ""], ["date_order", "dmy", ""]],
}
NAMES = {"线索": "Lead", "演示": "Demo", "赢单": "Won", "输单": "Lost", "行业": "Industry",
         "员工数": "Employees", "意向": "Intent", "预算": "Budget", "金额": "Amount",
         "演示日期": "Demo Date", "软件": "Software", "金融": "Finance", "匹配度": "Fit",
         "规模": "Size"}


def english(text):
    return NAMES.get(text, text)


def test_a_chinese_workbook_gives_the_same_config_as_its_english_twin():
    chinese = load(ZH)
    assert (chinese.config_status, chinese.problems) == ("ok", ())
    zh, en = chinese.config, load(workbook()).config
    assert [(english(s.name), s.probability, s.kind, s.stall_days, s.follow_up_days,
             english(s.entered_date_field)) for s in zh.stages] == [
        (s.name, s.probability, s.kind, s.stall_days, s.follow_up_days, s.entered_date_field)
        for s in en.stages]
    assert [(english(d.name), english(d.field), d.weight,
             [(r.match.kind, tuple(map(english, r.match.options)), r.match.number, r.points)
              for r in d.rules]) for d in zh.dimensions] == [
        (d.name, d.field, d.weight,
         [(r.match.kind, r.match.options, r.match.number, r.points) for r in d.rules])
        for d in en.dimensions if d.name != "Intent"] + [
        ("Intent", "Intent", 1, [("value", (), None, 10)])]
    assert [(english(c.stage), english(c.field), c.check, c.value) for c in zh.criteria] == [
        (c.stage, c.field, c.check, c.value) for c in en.criteria]
    assert zh.settings == en.settings
    assert chinese.opportunities.roles == {"id": "商机编号", "stage": "阶段", "amount": "金额"}
    assert chinese.titles["scoring"] == "评分卡"


def test_field_column_finds_a_header_or_a_role_alias():
    settings = SETTINGS + [["column.amount", "close_value"]]
    deals = [["ID", "Stage", "close_value", "Budget"], ["OPP-1", "Lead", 5, "yes"]]
    criteria = [CRITERIA[0], ["Demo", "Amount", ">", 0, "m"], ["Demo", "金额", ">", 0, "m"]]
    loaded = load(workbook(Opportunities=deals, Settings=settings, Criteria=criteria,
                           Scoring=[SCORING[0]], Stages=[r[:3] for r in STAGES]))
    assert loaded.config_status == "ok", loaded.problems
    table = loaded.opportunities
    assert [field_column(name, table.table.headers, table.roles)
            for name in ("budget", "Amount", "金额", "close_value", "Pain Points")] == [
        "Budget", "close_value", "close_value", "close_value", None]


def test_the_maven_crm_sheet_maps_through_settings_alone(datasets):
    loaded = load(maven_tabs(datasets))
    assert loaded.config_status == "ok"
    assert loaded.titles["opportunities"] == "sales_pipeline"
    assert loaded.opportunities.roles == {
        "id": "opportunity_id", "owner": "sales_agent", "title": "product",
        "customer_id": "account", "stage": "deal_stage", "amount": "close_value",
        "closed_on": "close_date"}
    assert loaded.config.stage("Engaging").entered_date_field == "engage_date"
    assert [s.name for s in loaded.config.open_stages] == ["Prospecting", "Engaging"]
    # close_date is the Close Date, not Expected Close, and there is no Lost Reason: the
    # default criteria on them are skipped (they would flag every closed deal)
    assert loaded.config.criteria == ()
    assert all(p.severity == "warning" for p in loaded.problems)
    assert "2 default criteria name columns this sheet lacks: Expected Close, Lost Reason — " \
           "they are skipped. Add the columns, or a Criteria tab of your own." in \
           [p.message for p in loaded.problems]
    assert len(loaded.opportunities.table.frame) == 8800
    assert set(loaded.opportunities.table.frame["deal_stage"]) == {
        "Prospecting", "Engaging", "Won", "Lost"}


def test_an_admins_criterion_on_a_missing_column_is_kept_and_flags(datasets):
    tabs = maven_tabs(datasets)
    tabs["Criteria"] = [["Stage", "Field", "Check"], ["Won", "Expected Close", "filled"]]
    loaded = load(tabs)  # a typed Field that names no column is the admin's to fix
    assert [(p.where, p.severity) for p in loaded.problems if "Expected Close" in p.message
            ] == [("Criteria!B2", "error")]
    admins = dataclasses.replace(load(maven_tabs(datasets)).config, criteria=(
        Criterion("Won", "Expected Close", "filled", None, ""),))
    kept = load(tabs, last_good=admins)  # the last good config runs: it still flags
    result = evaluate(kept.opportunities, None, None, kept.config, as_of=dt.date(2018, 1, 1),
                      memory=StageMemory())
    won = result.deals["stage"] == "Won"
    assert (result.flags["code"] == "MISSING_CRITERIA").sum() == won.sum() == 4238


def test_only_the_tabs_serving_a_role_are_read():
    titles = ["Deals 2026", "Settings", "阶段", "Commissions", "_sheetfunnel"]
    first = tabs_needed(titles, {}, defaults=DEFAULTS)
    assert first == {"Settings", "阶段", "_sheetfunnel"}
    settings = [["Key", "Value"], ["tab.opportunities", "Deals 2026"]]
    assert tabs_needed(titles, {"Settings": settings}, defaults=DEFAULTS) == first | {"Deals 2026"}


def test_a_chinese_workbook_is_told_of_a_missing_stage_column_and_tab_in_chinese():
    deals = [["商机编号", "阶段名", "金额"], ["OPP-1", "线索", 5]]
    with pytest.raises(MissingColumnError) as caught:
        load({**ZH, "商机": deals})
    assert str(caught.value) == (
        "商机表没有“阶段”列（找到的表头：商机编号, 阶段名, 金额；最接近的是“阶段名”）："
        "请把那一列的表头改为 阶段，或在设置表中添加一行 column.stage = <你的表头>。")
    settings = ZH["设置"] + [["tab.activities", "跟进", ""]]
    loaded = load({**ZH, "设置": settings, "跟进记录": [["商机编号", "日期"]]})
    assert [str(p) for p in loaded.problems] == [
        "'设置'!B4: 没有名为“跟进”的表（最接近的是 跟进记录），因此 tab.activities 未被使用。"
        "请改正表名。"]
