"""Config sections -> Config: every Match form and Check, Settings, located problems, TOML."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sheetfunnel import schema
from sheetfunnel.config import (
    FILE_SECTION,
    Match,
    config_from_json,
    config_to_json,
    parse_config,
    parse_match,
    sections_from_grids,
    sections_from_toml,
)
from sheetfunnel.runner import default_sections

DEFAULTS = default_sections()
STAGES = [["Stage", "Probability", "Kind", "Stall Days", "Follow-up Days", "Entered Date Field"],
          ["Lead", 10, "open"], ["Demo", "40%", "open", 10, 3, "Demo Date"],
          ["Won", 100, "won"], ["Lost", 0, "lost"]]
SCORING = [["Dimension", "Field", "Weight", "Match", "Points"],
           ["Fit", "Industry", 3, "in Software, Finance", 10], ["Fit", "Industry", 3, "*", 2],
           ["Size", "Employees", 2, ">= 1000", 10], ["Size", None, None, "50..999", 5]]
CRITERIA = [["Stage", "Field", "Check", "Value", "Message"],
            ["Demo", "Budget", "filled", None, "Budget known"]]
SETTINGS = [["Key", "Value", "Note"], ["follow_up_days", 5, ""]]


def parse(headers=None, **tabs):
    """Parse the four tabs above, each replaceable, as grids."""
    grids = {"stages": STAGES, "scoring": SCORING, "criteria": CRITERIA, "settings": SETTINGS}
    grids.update(tabs)
    sections = sections_from_grids({role: (role.capitalize(), grid)
                                    for role, grid in grids.items()})
    return parse_config(sections, headers=headers)


def problems(result):
    return [str(p) for p in result.problems if p.severity == "error"]


def test_the_defaults_parse_into_the_documented_scorecard_and_stages():
    config = parse_config(DEFAULTS).config
    assert [(s.name, round(s.probability * 100), s.kind) for s in config.stages] == [
        ("Lead", 10, "open"), ("Qualified", 20, "open"), ("Needs Analysis", 40, "open"),
        ("Proposal", 60, "open"), ("Negotiation", 80, "open"), ("Won", 100, "won"),
        ("Lost", 0, "lost")]
    assert [(d.name, d.weight, len(d.rules)) for d in config.dimensions] == [
        ("Industry Fit", 3, 3), ("Company Size", 2, 4), ("Purchase Intent", 2, 1),
        ("Budget", 2, 3), ("Decision Cycle", 1, 3)]
    s = config.settings
    assert (s.follow_up_days, s.stall_days, s.response_hours) == (7, 14, 2)
    assert (s.grade_a, s.grade_b, s.grade_c, s.criteria_cumulative) == (80, 60, 40, True)
    assert {c.stage for c in config.criteria} == {
        "Lead", "Qualified", "Needs Analysis", "Proposal", "Negotiation", "Won", "Lost"}


def test_a_stages_tab_gives_kinds_probabilities_and_per_stage_thresholds():
    config = parse().config
    demo = config.stage("demo")
    assert (demo.probability, demo.stall_days, demo.follow_up_days, demo.entered_date_field) \
        == (0.4, 10, 3, "Demo Date")
    assert config.stage("Lead").stall_days is None
    assert [s.name for s in config.open_stages] == ["Lead", "Demo"]
    assert config.settings.follow_up_days == 5 and config.settings.stall_days == 14


@pytest.mark.parametrize(("typed", "expected"), [
    (40, 0.4), ("40", 0.4), ("40%", 0.4), ("４０％", 0.4), (0.4, 0.4), (1, 1.0), ("1%", 0.01),
    (100, 1.0), (0, 0.0), ("0.5%", 0.005)])
def test_probability_reads_percent_numbers_and_percent_formatted_cells(typed, expected):
    stages = [STAGES[0], ["Lead", typed, "open"], ["Won", 100, "won"]]
    assert parse(stages=stages, criteria=[CRITERIA[0]]).config.stages[0].probability \
        == pytest.approx(expected)


def test_later_rows_of_a_dimension_inherit_field_and_weight():
    size = parse().config.dimensions[1]
    assert (size.field, size.weight) == ("Employees", 2)
    assert [r.match for r in size.rules] == [Match("ge", number=1000),
                                             Match("range", low=50, high=999)]


@pytest.mark.parametrize(("text", "match"), [
    ("= Approved", Match("eq", text="Approved")), ("＝ 已批准", Match("eq", text="已批准")),
    ("in a, b，c", Match("in", options=("a", "b", "c"))),
    ("IN Software,Finance", Match("in", options=("Software", "Finance"))),
    ("属于 软件、金融", Match("in", options=("软件", "金融"))),
    ("> 5", Match("gt", number=5)), (">= 1,000", Match("ge", number=1000)),
    ("＞＝ 1，000", Match("ge", number=1000)), ("< 0.5", Match("lt", number=0.5)),
    ("＜ 10", Match("lt", number=10)), ("<= 40%", Match("le", number=0.4)),
    (">50万", Match("gt", number=500_000)),
    ("31..90", Match("range", low=31, high=90)), ("-5..5", Match("range", low=-5, high=5)),
    ("50～199", Match("range", low=50, high=199)),
    ("*", Match("any")), ("其他", Match("any")), ("value", Match("value")),
    ("数值", Match("value")),
    ("fuzzy", None), ("> lots", None), ("9..1", None), ("=", None), ("in ", None),
    ("1..", None), ("__import__('os')", None),
])
def test_every_match_form(text, match):
    assert parse_match(text) == match


@pytest.mark.parametrize(("check", "value", "expected"), [
    ("filled", None, ("filled", None)), ("=", "Yes", ("eq", "Yes")), ("=", 3, ("eq", 3.0)),
    ("!=", "No", ("ne", "No")), ("≠", "No", ("ne", "No")),
    (">", "1,000", ("gt", 1000.0)), (">=", 5, ("ge", 5.0)), ("<", "40%", ("lt", 0.4)),
    ("<", "2026-01-31", ("lt", "2026-01-31")), ("<=", "2026年1月31日", ("le", "2026-01-31")),
    ("<", dt.date(2026, 1, 31), ("lt", "2026-01-31")),
    ("<=", 3, ("le", 3.0)), ("in", "a, b", ("in", ("a", "b"))),
    ("not in", "x，y", ("not_in", ("x", "y"))), ("NOT_IN", "x", ("not_in", ("x",))),
    ("on or before today", None, ("on_or_before_today", None)),
    ("已填写", None, ("filled", None)), ("不晚于今天", None, ("on_or_before_today", None)),
    ("属于", "甲，乙", ("in", ("甲", "乙"))), ("不属于", "丙", ("not_in", ("丙",))),
    ("＞＝", "１０", ("ge", 10.0)), ("＜", "５", ("lt", 5.0)), ("＝", "是", ("eq", "是")),
])
def test_every_check(check, value, expected):
    config = parse(criteria=[CRITERIA[0], ["Demo", "Budget", check, value, "m"]]).config
    got = config.criteria[0]
    assert (got.check, got.value) == expected


def test_date_values_follow_date_order():
    settings = [SETTINGS[0], ["date_order", "dmy"]]
    config = parse(settings=settings,
                   criteria=[CRITERIA[0], ["Demo", "Close", "<", "1/3/2026", "m"]]).config
    assert config.criteria[0].value == "2026-03-01"


def test_a_blank_message_stays_blank_so_the_check_is_worded_by_its_kind():
    config = parse(criteria=[CRITERIA[0], ["Demo", "Budget", "filled"]]).config
    assert config.criteria[0].message == ""


@pytest.mark.parametrize(("tab", "cell", "value", "message"), [
    ("scoring", "C2", "abc", 'The weight "abc" is not a number. Type a number such as 2 or 0.5.'),
    ("scoring", "C2", -1, 'The weight "-1" is outside 0 to 1000. Type a weight from 0 to 1000, '
                          "such as 2 or 0.5."),
    ("scoring", "C3", 4, "The dimension Fit has two weights (3 and 4). Give every row of a "
                         "dimension the same weight, or leave the later ones blank."),
    ("scoring", "D3", "maybe", 'The match "maybe" is not understood. Use = text, in a, b, c, '
                               "> n, >= n, < n, <= n, n..m, * or value."),
    ("scoring", "E2", None, "The rule for Fit has no points. Type the points it gives, such as "
                            "10."),
    ("scoring", "B3", "Sector", "The dimension Fit uses two fields (Industry and Sector). Give "
                                "one dimension one field."),
    ("criteria", "C2", "roughly", 'The check "roughly" is not known. Use filled, =, !=, >, >=, '
                                  "<, <=, in, not in or on or before today."),
    ("criteria", "A2", "Nowhere", 'The stage "Nowhere" is not in the Stages tab. Use one of its '
                                  "stage names."),
    ("stages", "C3", "maybe", 'The kind "maybe" of stage Demo is not known. Use open, won or '
                              "lost."),
    ("stages", "B2", "lots", 'The probability "lots" is not a number. Type a number such as 40 '
                             "or 40%."),
    ("stages", "B2", 150, 'The probability of Lead must be between 0 and 100, not "150".'),
    ("stages", "B2", None, "The stage Lead has no probability. Type one from 0 to 100, such as "
                           "40 or 40%."),
    ("stages", "D3", "2.5", "The stall days must be a whole number from 0 to 3650 (ten years), "
                            'such as 14, not "2.5".'),
    ("stages", "A3", "lead", 'The stage "lead" is named twice (also at Stages!A2). Give each '
                             "stage one row."),
    ("settings", "B2", "soon", "The setting follow_up_days must be a whole number from 0 to 3650 "
                               '(ten years), such as 7, not "soon".'),
])
def test_problems_name_the_cell_and_say_how_to_fix_it(tab, cell, value, message):
    grids = {"stages": STAGES, "scoring": SCORING, "criteria": CRITERIA, "settings": SETTINGS}
    grid = [list(r) for r in grids[tab]]
    column, row = ord(cell[0]) - 64, int(cell[1:])
    grid[row - 1] += [None] * (column - len(grid[row - 1]))
    grid[row - 1][column - 1] = value
    result = parse(**{tab: grid})
    assert result.config is None
    assert f"{tab.capitalize()}!{cell}: {message}" in problems(result)


@pytest.mark.parametrize(("rows", "message"), [
    ([["date_order", "ydm"]], 'Settings!B2: date_order must be ymd, dmy or mdy, not "ydm".'),
    ([["score_scale", "stars"]], 'Settings!B2: score_scale must be percent or raw, not "stars".'),
    ([["assign_ids", "maybe"]], 'Settings!B2: The setting assign_ids must be yes or no, not '
                                '"maybe".'),
    ([["win_probability", "guess"]], 'Settings!B2: win_probability must be stage, model or '
                                     'blend, not "guess".'),
    ([["blend_weight", 2]], 'Settings!B2: The setting blend_weight must be a number from 0 to 1, '
                            'such as 0.5, not "2".'),
    ([["model_min_won", "many"]], "Settings!B2: The setting model_min_won must be a whole number "
                                  'from 0 to 1,000,000, such as 100, not "many".'),
    ([["grade_A", 50]], "Settings!B2: The grade thresholds must fall from A to C (now A 50, B 60,"
                        " C 40). Make grade_A larger than grade_B and grade_B larger than "
                        "grade_C."),
    ([["money_unit", "k"]], 'Settings!B2: The setting money_unit must be 万 (amounts on the '
                            'Summary in 万, ten thousands) or blank, not "k".'),
])
def test_settings_problems(rows, message):
    result = parse(settings=[SETTINGS[0], *rows])
    assert result.config is None and problems(result) == [message]


def test_settings_of_the_win_model():
    result = parse(settings=[SETTINGS[0], ["model_fields", "Source，Owner, Size"],
                             ["model_min_won", 50], ["win_probability", "Blend"],
                             ["blend_weight", "0.3"], ["ab_field", "话术"]])
    settings = result.config.settings
    assert settings.model_fields == ("Source", "Owner", "Size")
    assert (settings.model_min_won, settings.model_min_lost) == (50, 100)
    assert (settings.win_probability, settings.blend_weight, settings.ab_field) == (
        "blend", 0.3, "话术")


def test_settings_read_numbers_booleans_and_mappings_in_both_languages():
    rows = [["Follow-up Days", "１０"], ["response_hours", "1.5"], ["criteria_cumulative", "否"],
            ["assign_ids", "✓"], ["score_scale", "RAW"], ["grade_A", "９０"],
            ["column.Amount", "close_value"], ["column.负责人", "sales_agent"],
            ["tab.商机", "sales_pipeline"], ["colour", "blue"], ["column.shoe_size", "x"]]
    raw_scale = [SCORING[0], ["Fit", "Industry", 10, "*", 10]]  # scores up to 100
    result = parse(settings=[SETTINGS[0], *rows], scoring=raw_scale)
    s = result.config.settings
    assert (s.follow_up_days, s.response_hours, s.criteria_cumulative, s.assign_ids) == (
        10, 1.5, False, True)
    assert (s.score_scale, s.grade_a) == ("raw", 90)
    assert s.columns == {"amount": "close_value", "owner": "sales_agent"}
    assert s.tabs == {"opportunities": "sales_pipeline"}
    warnings = {p.where: p.message for p in result.problems if p.severity == "warning"}
    assert warnings["Settings!A11"] == ("sheetfunnel does not know the setting colour; it is "
                                        "ignored. Check the spelling.")
    assert warnings["Settings!A12"].startswith("There is no column role called shoe_size")


def test_money_unit_wan_and_the_chinese_words_of_the_zh_template_parse():
    stages = [STAGES[0], ["甲", 10, "进行中"], ["乙", 100, "赢单"], ["丙", 0, "输单"]]
    criteria = [CRITERIA[0], ["甲", "Budget", "已填写", None, "预算"],
                ["乙", "Expected Close", "不晚于今天", None, "预计成交日期"]]
    result = parse(stages=stages, criteria=criteria,
                   settings=[SETTINGS[0], ["money_unit", "万"], ["criteria_cumulative", "是"]])
    assert problems(result) == []
    config = result.config
    assert [s.kind for s in config.stages] == ["open", "won", "lost"]
    assert [c.check for c in config.criteria] == ["filled", "on_or_before_today"]
    assert (config.settings.money_unit, config.settings.criteria_cumulative) == ("万", True)


def test_all_problems_are_reported_at_once():
    stages = STAGES + [["Lead", 10, "open"]]
    scoring = SCORING + [["Fit", "Industry", "x", "*", 1]]
    criteria = CRITERIA + [["Nowhere", "Budget", "filled", None, "m"],
                           ["Demo", "Budget", "about", None, "m"]]
    result = parse(stages=stages, scoring=scoring, criteria=criteria)
    assert {p.where for p in result.problems} == {
        "Stages!A6", "Scoring!C6", "Criteria!A3", "Criteria!C4"}


def test_a_missing_column_of_a_config_tab_is_one_sentence_with_the_closest_header():
    scoring = [["Dimension", "Field", "Wieght", "Match", "Points"], ["Fit", "Industry", 1, "*", 1]]
    result = parse(scoring=scoring)
    assert problems(result) == [
        "Scoring!1:1: The Scoring tab has no Weight column (headers found: Dimension, Field, "
        "Wieght, Match, Points; the closest is 'Wieght'): rename that header to Weight (or 权重)."]


def test_no_open_stage_is_an_error():
    result = parse(stages=[STAGES[0], ["Won", 100, "won"]], criteria=[CRITERIA[0]])
    assert problems(result) == [
        "Stages: There is no open stage. Give at least one stage the Kind open."]


def test_fields_must_name_a_header_or_a_mapped_role_when_headers_are_given():
    headers = {"opportunities": ["ID", "Stage", "close_value", "Budget", "Demo Date"],
               "customers": ["Customer ID", "Industry", "Employees"]}
    settings = [SETTINGS[0], ["column.amount", "close_value"]]
    criteria = [*CRITERIA, ["Demo", "Amount", ">", 0, "m"], ["Demo", "Budgt", "filled"]]
    result = parse(headers, settings=settings, criteria=criteria)
    assert problems(result) == [
        'Criteria!B4: There is no column "Budgt" in the Opportunities or Customers tab (the '
        "closest is Budget). Add that column or fix the name."]
    assert parse(headers, settings=settings, criteria=criteria[:-1]).config is not None


def test_a_field_passes_the_check_when_the_engine_reads_its_column():
    # column.stage takes the Amount header, so the alias Value names no column the engine reads
    headers = {"opportunities": ["Stage", "Amount", "Budget", "Demo Date"],
               "customers": ["Customer ID", "Industry", "Employees"]}
    settings = [SETTINGS[0], ["column.stage", "Amount"]]
    criteria = [*CRITERIA, ["Demo", "Value", ">", 0, "m"]]
    assert problems(parse(headers, settings=settings, criteria=criteria)) == [
        'Criteria!B3: There is no column "Value" in the Opportunities or Customers tab. Add '
        "that column or fix the name."]
    deals = headers["opportunities"]
    roles = schema.bind_roles("opportunities", deals, {"stage": "Amount"})
    assert roles == {"stage": "Amount"}
    assert schema.field_column("Value", deals, roles) is None  # the engine reads blanks
    assert schema.field_column("Budget", deals, roles) == "Budget"


def test_a_mapping_to_no_header_is_a_warning_at_its_cell():
    headers = {"opportunities": ["Stage", "close_value"], "customers": ["Industry", "Employees"]}
    result = parse(headers, settings=[SETTINGS[0], ["column.amount", "close_valu"]],
                   stages=[r[:3] for r in STAGES], criteria=[CRITERIA[0]])
    assert result.config is not None
    assert [str(p) for p in result.problems] == [
        'Settings!B2: No Opportunities header is called "close_valu" (the closest is '
        "close_value), so this column mapping is not used. Fix the name."]


def test_builtin_defaults_only_warn_about_columns_and_stages_the_workbook_lacks():
    sections = {**DEFAULTS, **sections_from_grids({"stages": ("Stages", STAGES[:2] + STAGES[3:])})}
    sections = {k: v if k == "stages" else dataclasses.replace(v, builtin=True)
                for k, v in sections.items()}
    result = parse_config(sections, headers={"opportunities": ["Stage", "Amount"]})
    assert result.config is not None
    # the defaults on columns the sheet lacks are skipped (the rest are on stages it lacks)
    assert result.config.criteria == ()
    assert all(p.severity == "warning" for p in result.problems)
    problems = [str(p) for p in result.problems]
    assert len(problems) == len(set(problems))  # each once
    # many alike rows are one sentence each
    assert problems[0] == (
        "default.toml: [[criteria]]: 6 default entry criteria are skipped: your Stages tab has "
        "no stage Qualified, Needs Analysis, Proposal, Negotiation. Add a Criteria tab for your "
        "stages.")
    assert "default.toml: [[criteria]]: 3 default criteria name columns this sheet lacks: " \
           "Owner, Expected Close, Lost Reason — they are skipped. Add the columns, " \
           "or a Criteria tab of your own." in problems
    assert "default.toml: [[scoring]]: 14 default scoring rules name columns this sheet lacks: " \
           "Industry, Size, Purchase Intent, Budget, Decision Cycle Days — they score 0. Add " \
           "the columns, or a Scoring tab of your own." in problems


def test_the_published_scorecard_examples_hold():
    def score_raw(config, ratings):
        """Σ weight × points; a 'value' rule's points are the rating itself."""
        return round(sum(d.weight * r for d, r in zip(config.dimensions, ratings, strict=True)), 2)

    def scorecard(weights, cap):
        rows = [SCORING[0], *([f"D{i}", "Rating", w, "value", cap] for i, w in enumerate(weights))]
        config = parse(scoring=rows).config
        assert all(d.rules[0].match.kind == "value" and d.max_points == cap
                   for d in config.dimensions)
        return config

    weighted = scorecard(["30%", 0.2, "0.3", "２０％"], 10)
    assert [d.weight for d in weighted.dimensions] == [0.3, 0.2, 0.3, 0.2]
    assert [score_raw(weighted, r) for r in ((8, 7, 6, 5), (5, 6, 7, 8), (7, 8, 5, 6))] == [
        6.6, 6.4, 6.4]
    equal = scorecard([1, 1, 1], 5)
    assert [score_raw(equal, r) for r in ((4, 5, 3), (3, 4, 4), (5, 3, 5))] == [12, 11, 13]


def test_config_survives_its_json_round_trip():
    config = parse(criteria=[CRITERIA[0], ["Demo", "Tags", "in", "a, b", "m"],
                             ["Demo", "Amount", ">", "1,000", "m"]]).config
    assert config_from_json(config_to_json(config)) == config
    defaults = parse_config(DEFAULTS).config
    assert config_from_json(config_to_json(defaults)) == defaults


def test_a_toml_file_gives_the_same_config_as_the_tabs():
    toml = """
[[stages]]
stage = "Lead"
probability = 10
[[stages]]
Stage = "Demo"
probability = "40%"
"Stall Days" = 10
follow_up_days = 3
entered_date_field = "Demo Date"
[[stages]]
stage = "Won"
probability = 100
kind = "won"
[[stages]]
stage = "Lost"
probability = 0
kind = "lost"

[[criteria]]
stage = "Demo"
field = "Budget"
check = "filled"
message = "Budget known"

[settings]
follow_up_days = 5
column.amount = "close_value"
"tab.opportunities" = "Deals"
"""
    sections = sections_from_toml(toml, "team.toml")
    scoring = sections_from_grids({"scoring": ("Scoring", SCORING)})
    config = parse_config({**sections, **scoring}).config
    tabs = parse(settings=SETTINGS + [["column.amount", "close_value"],
                                      ["tab.opportunities", "Deals"]]).config
    assert config == tabs


def test_toml_problems_are_located_by_section_row_and_key():
    toml = ('[[stages]]\nstage = "A"\nprobability = "lots"\ncolour = "red"\n'
            "[[stages]]\nstage = 'B'\n[pricing]\nx = 1\n")
    sections = sections_from_toml(toml, "team.toml")
    result = parse_config(sections)
    assert [str(p) for p in result.problems] == [
        "team.toml: stages[1].colour: sheetfunnel does not know the key colour in [[stages]]; it "
        "is ignored. Use stage, probability, kind, stall_days, follow_up_days, "
        "entered_date_field.",
        "team.toml: pricing: sheetfunnel does not know the section [pricing]; it is ignored. "
        "Use [[stages]], [[scoring]], [[criteria]] or [[settings]].",
        'team.toml: stages[1].probability: The probability "lots" is not a number. Type a '
        "number such as 40 or 40%.",
        "team.toml: stages[2]: The stage B has no probability. Type one from 0 to 100, such as "
        "40 or 40%."]


def test_toml_syntax_errors_are_problems_with_their_line():
    sections = sections_from_toml('[[stages]]\nstage = "A"\n[[criteria]\n', "bad.toml")
    assert list(sections) == [FILE_SECTION]
    result = parse_config(sections)
    assert result.config is None
    assert str(result.problems[0]) == (
        "bad.toml: line 3: The file cannot be read as TOML (Expected ']]' at the end of an array "
        "declaration at column 11). Fix that line.")
