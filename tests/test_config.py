"""Config tabs: every Match form and Check, located problems, Chinese twin, column mapping."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.config import (
    Match,
    config_from_json,
    config_to_json,
    parse_config,
    parse_match,
    sections_from_grids,
    sections_from_toml,
)
from sheetfunnel.errors import MissingColumnError
from sheetfunnel.load import load_workbook_model
from sheetfunnel.resources import data_path

DEFAULTS = sections_from_toml(data_path("config", "default.toml").read_text("utf-8"),
                              "default.toml")

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
    return tabs


def load(tabs, **kwargs):
    return load_workbook_model(tabs, defaults=DEFAULTS, **kwargs)


def test_the_defaults_parse_into_the_documented_scorecard_and_stages():
    config = parse_config(DEFAULTS).config
    assert [(s.name, round(s.probability * 100)) for s in config.stages] == [
        ("Lead", 10), ("Qualified", 20), ("Needs Analysis", 40), ("Proposal", 60),
        ("Negotiation", 80), ("Won", 100), ("Lost", 0)]
    assert [(d.name, d.weight) for d in config.dimensions] == [
        ("Industry Fit", 3), ("Company Size", 2), ("Purchase Intent", 2), ("Budget", 2),
        ("Decision Cycle", 1)]
    s = config.settings
    assert (s.follow_up_days, s.stall_days, s.response_hours) == (7, 14, 2)
    assert {c.stage for c in config.criteria} >= {"Qualified", "Needs Analysis", "Proposal",
                                                   "Negotiation", "Lost"}


def test_workbook_tabs_replace_the_defaults():
    loaded = load(workbook())
    assert loaded.config_status == "ok", loaded.problems
    config = loaded.config
    demo = config.stage("demo")
    assert (demo.probability, demo.stall_days, demo.follow_up_days, demo.entered_date_field) \
        == (0.4, 10, 3, "Demo Date")
    assert config.settings.follow_up_days == 5 and config.settings.date_order == "dmy"
    assert config.criteria[1].value == 1000.0


@pytest.mark.parametrize(("text", "match"), [
    ("= Approved", Match("eq", text="Approved")),
    ("in a, b，c", Match("in", options=("a", "b", "c"))),
    ("> 5", Match("gt", number=5)), (">= 1,000", Match("ge", number=1000)),
    ("＞＝ 1，000", Match("ge", number=1000)), ("< 0.5", Match("lt", number=0.5)),
    ("<= 40%", Match("le", number=0.4)), ("31..90", Match("range", low=31, high=90)),
    ("*", Match("any")), ("value", Match("value")),
    ("属于 软件、金融", Match("in", options=("软件", "金融"))),
    ("fuzzy", None), ("> lots", None), ("9..1", None),
])
def test_every_match_form(text, match):
    assert parse_match(text) == match


@pytest.mark.parametrize(("check", "value", "expected"), [
    ("filled", None, ("filled", None)), ("=", "Yes", ("eq", "Yes")), ("!=", "No", ("ne", "No")),
    (">", "1,000", ("gt", 1000.0)), (">=", 5, ("ge", 5.0)),
    ("<", "2026-01-31", ("lt", "2026-01-31")),
    ("<=", 3, ("le", 3.0)), ("in", "a, b", ("in", ("a", "b"))),
    ("not in", "x，y", ("not_in", ("x", "y"))),
    ("on or before today", None, ("on_or_before_today", None)),
    ("已填写", None, ("filled", None)), ("不晚于今天", None, ("on_or_before_today", None)),
    ("＞＝", "１０", ("ge", 10.0)),
])
def test_every_check(check, value, expected):
    criteria = [CRITERIA[0], ["Demo", "Budget", check, value, "m"]]
    config = load(workbook(Criteria=criteria)).config
    got = config.criteria[0]
    assert (got.check, got.value) == expected


@pytest.mark.parametrize(("tab", "cell", "value", "message"), [
    ("Scoring", "C2", "abc", 'The weight "abc" is not a number. Type a number such as 2 or 0.5.'),
    ("Scoring", "D3", "maybe", 'The match "maybe" is not understood. Use = text, in a, b, c, '
                               "> n, >= n, < n, <= n, n..m, * or value."),
    ("Criteria", "C2", "roughly", 'The check "roughly" is not known. Use filled, =, !=, >, >=, '
                                  "<, <=, in, not in or on or before today."),
    ("Stages", "C3", "maybe", "The kind \"maybe\" of stage Demo is not known. Use open, won or "
                              "lost."),
    ("Stages", "B2", "lots", 'The probability "lots" is not a number. Type a number such as 40 '
                             "or 40%."),
    ("Settings", "B3", "ydm", 'date_order must be ymd, dmy or mdy, not "ydm".'),
])
def test_problems_name_the_cell_and_say_how_to_fix_it(tab, cell, value, message):
    grid = [list(r) for r in workbook()[tab]]
    column, row = ord(cell[0]) - 64, int(cell[1:])
    grid[row - 1] += [None] * (column - len(grid[row - 1]))
    grid[row - 1][column - 1] = value
    loaded = load(workbook(**{tab: grid}))
    assert loaded.config is None and loaded.config_status == "broken, no good config yet"
    assert f"{tab}!{cell}: {message}" in [str(p) for p in loaded.problems]


def test_all_problems_are_reported_at_once_and_the_last_good_config_is_kept():
    good = load(workbook()).config
    stages = STAGES + [["Lead", 10, "open"]]
    scoring = SCORING + [["Fit", "Industry", "x", "*", 1]]
    criteria = CRITERIA + [["Nowhere", "Budget", "filled", None, "m"],
                           ["Demo", "Unknown Column", "filled", None, "m"]]
    loaded = load(workbook(Stages=stages, Scoring=scoring, Criteria=criteria), last_good=good)
    wheres = {p.where for p in loaded.problems if p.severity == "error"}
    assert wheres == {"Stages!A6", "Scoring!C7", "Criteria!A4", "Criteria!B5"}
    assert loaded.config == good
    assert loaded.config_status == "broken, using the last good config"


def test_a_missing_stage_column_is_one_sentence_with_the_closest_header():
    deals = [["ID", "Stag", "Amount"], ["OPP-1", "Lead", 5]]
    with pytest.raises(MissingColumnError) as caught:
        load(workbook(Opportunities=deals))
    message = str(caught.value)
    assert "Opportunities" in message and "headers found: ID, Stag, Amount" in message
    assert "The closest is 'Stag'" in message and "column.stage" in message


def test_config_survives_its_json_round_trip():
    config = load(workbook()).config
    assert config_from_json(config_to_json(config)) == config


def test_a_toml_section_replaces_the_matching_tab():
    toml = '[[stages]]\nstage = "Open"\nprobability = 50\nkind = "open"\n\n' \
           '[[stages]]\nstage = "Won"\nprobability = 100\nkind = "won"\n'
    overrides = sections_from_toml(toml, "team.toml")
    loaded = load(workbook(Criteria=[CRITERIA[0]]), overrides=overrides)
    assert [s.name for s in loaded.config.stages] == ["Open", "Won"]
    broken = sections_from_toml('[[stages]]\nstage = "A"\nprobability = "lots"\n', "team.toml")
    problems = load(workbook(Criteria=[CRITERIA[0]]), overrides=broken).problems
    assert "team.toml: stages[1].probability" in [p.where for p in problems]


def test_toml_syntax_errors_are_problems_not_crashes():
    loaded = load(workbook(), overrides=sections_from_toml("[[stages]\nx=", "bad.toml"))
    assert loaded.config is None
    assert loaded.problems[0].where == "bad.toml"


ZH = {
    "商机": [["商机编号", "阶段", "金额", "行业", "员工数", "意向", "预算", "演示日期"],
           ["OPP-1", "线索", 1000, "软件", 10, 5, "是", None]],
    "阶段": [["阶段", "赢率", "类型", "停滞天数", "跟进天数", "进入日期字段"],
           ["线索", 10, "进行中"], ["演示", "40%", "进行中", 10, 3, "演示日期"],
           ["赢单", 100, "赢单"], ["输单", 0, "输单"]],
    "评分卡": [["维度", "字段", "权重", "匹配", "分值"],
            ["匹配度", "行业", 3, "属于 软件，金融", 10], ["匹配度", "行业", 3, "*", 2],
            ["规模", "员工数", 2, "＞＝ 1，000", 10], ["规模", "员工数", 2, "50..999", 5],
            ["意向", "意向", 1, "数值", 10]],
    "准入标准": [["阶段", "字段", "检查", "值", "说明"], ["演示", "预算", "已填写", None, "预算"],
             ["演示", "金额", "＞", "1，000", "金额"]],
    "设置": [["参数", "值", "说明"], ["follow_up_days", 5, ""], ["date_order", "dmy", ""]],
}


def test_a_chinese_workbook_gives_the_same_config_as_its_english_twin():
    english = load(workbook()).config
    chinese = load(ZH)
    assert chinese.config_status == "ok", chinese.problems
    config = chinese.config
    assert [(s.probability, s.kind, s.stall_days) for s in config.stages] == [
        (s.probability, s.kind, s.stall_days) for s in english.stages]
    assert [(d.weight, [r.match.kind for r in d.rules], [r.points for r in d.rules])
            for d in config.dimensions] == [
        (d.weight, [r.match.kind for r in d.rules], [r.points for r in d.rules])
        for d in english.dimensions]
    assert [(c.check, c.value) for c in config.criteria] == [("filled", None), ("gt", 1000.0)]
    assert config.settings == english.settings
    assert chinese.opportunities.roles["stage"] == "阶段"


def score_raw(config, ratings):
    """Σ weight × points for 'value' dimensions: the method's own arithmetic."""
    return round(sum(d.weight * r for d, r in zip(config.dimensions, ratings, strict=True)), 2)


def scorecard(weights, cap):
    rows = [["Dimension", "Field", "Weight", "Match", "Points"]]
    rows += [[f"D{i}", "Intent", w, "value", cap] for i, w in enumerate(weights)]
    return load(workbook(Scoring=rows)).config


def test_the_published_scorecard_examples_hold():
    weighted = scorecard(["30%", 0.2, "0.3", "20%"], 10)
    assert [score_raw(weighted, r) for r in ((8, 7, 6, 5), (5, 6, 7, 8), (7, 8, 5, 6))] == [
        6.6, 6.4, 6.4]
    equal = scorecard([1, 1, 1], 5)
    assert [score_raw(equal, r) for r in ((4, 5, 3), (3, 4, 4), (5, 3, 5))] == [12, 11, 13]


def test_the_maven_crm_sheet_maps_through_settings_alone(datasets):
    with open(datasets / "maven-crm" / "sales_pipeline.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    settings = [["Key", "Value"], ["tab.opportunities", "sales_pipeline"],
                ["column.id", "opportunity_id"], ["column.owner", "sales_agent"],
                ["column.title", "product"], ["column.customer_id", "account"],
                ["column.stage", "deal_stage"], ["column.amount", "close_value"],
                ["column.expected_close", "close_date"]]
    stages = [["Stage", "Probability", "Kind", "Entered Date Field"],
              ["Prospecting", 10, "open"], ["Engaging", 50, "open", "engage_date"],
              ["Won", 100, "won"], ["Lost", 0, "lost"]]
    loaded = load({"sales_pipeline": rows, "Settings": settings, "Stages": stages,
                   "Scoring": [SCORING[0]], "Criteria": [CRITERIA[0]]})
    assert loaded.config_status == "ok", loaded.problems
    assert loaded.opportunities.roles == {
        "id": "opportunity_id", "owner": "sales_agent", "title": "product",
        "customer_id": "account", "stage": "deal_stage", "amount": "close_value",
        "expected_close": "close_date"}
    assert loaded.config.stage("Engaging").entered_date_field == "engage_date"
    assert len(loaded.opportunities.table.frame) == 8800


cells = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
                  st.sampled_from(["＞＝ 1，000", "in a,b", "value", "*", "..", "40%", "是",
                                   "column.amount", "tab.stages", "=", "1..", "open", "won"]))
grids = st.lists(st.lists(cells, max_size=7), max_size=6)


@settings(max_examples=150, deadline=None)
@given(stages=grids, scoring=grids, criteria=grids, config_settings=grids)
def test_any_cells_give_a_config_or_located_problems_never_a_crash(stages, scoring, criteria,
                                                                   config_settings):
    tabs = workbook(Stages=[STAGES[0], *stages], Scoring=[SCORING[0], *scoring],
                    Criteria=[CRITERIA[0], *criteria], Settings=[SETTINGS[0], *config_settings])
    loaded = load(tabs)
    errors = [p for p in loaded.problems if p.severity == "error"]
    assert (loaded.config is None) == bool(errors)
    assert all(p.where and p.message.endswith((".", ")")) for p in loaded.problems)


def test_config_sections_remember_their_cells():
    section = sections_from_grids({"scoring": ("Scoring", SCORING)})["scoring"]
    assert section.where(2, "weight") == "Scoring!C4"
    assert isinstance(pd.DataFrame(section.rows), pd.DataFrame)
