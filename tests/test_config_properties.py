"""Whatever an admin types into a Config cell (or a TOML file), a Config or located problems."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetfunnel.config import (
    config_from_json,
    config_to_json,
    parse_config,
    sections_from_grids,
    sections_from_toml,
)
from sheetfunnel.load import load_workbook_model
from sheetfunnel.run import default_sections

DEFAULTS = default_sections()
HEADERS = {"stages": ["Stage", "Probability", "Kind", "Stall Days", "Follow-up Days",
                      "Entered Date Field"],
           "scoring": ["Dimension", "Field", "Weight", "Match", "Points"],
           "criteria": ["Stage", "Field", "Check", "Value", "Message"],
           "settings": ["Key", "Value", "Note"]}
DEALS = [["ID", "Stage", "Amount", "Industry", "Budget"], ["OPP-1", "Lead", 5, "x", "yes"]]

WORDS = ["＞＝ 1，000", "in a,b", "属于 甲，乙", "value", "*", "..", "40%", "150", "是", "open",
         "won", "lost", "赢单", "filled", "not in", "不晚于今天", "=", "1..", "Lead", "Won",
         "Industry", "Amount", "column.amount", "tab.stages", "tab.opportunities", "grade_A",
         "date_order", "score_scale", "follow_up_days", "dmy", "raw", "Stage", "Weight",
         "__import__('os').system('true')", "=HYPERLINK(\"x\")", "{{x}}", "nan", "inf", "1e309"]
cells = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(WORDS),
                  st.integers(-10**12, 10**12), st.floats(), st.booleans(),
                  st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
                  st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)))
rows = st.lists(st.lists(cells, max_size=7), max_size=6)


def with_header(role: str, header: bool, body: list) -> list:
    """A tab whose header row is either right or as random as its body."""
    return [HEADERS[role], *body] if header else body


def located(problems) -> bool:
    return all(p.where and p.message == p.message.strip() and p.message.endswith((".", ")"))
               for p in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stages=rows, scoring=rows, criteria=rows, config_settings=rows,
       headers=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()))
def test_any_cells_give_a_config_or_located_problems_never_a_crash(
        stages, scoring, criteria, config_settings, headers):
    bodies = (stages, scoring, criteria, config_settings)
    grids = {role: (role.capitalize(), with_header(role, keep, body))
             for role, keep, body in zip(HEADERS, headers, bodies, strict=True)}
    result = parse_config(sections_from_grids(grids),
                          headers={"opportunities": DEALS[0], "customers": []})
    errors = [p for p in result.problems if p.severity == "error"]
    assert (result.config is None) == bool(errors)
    assert located(result.problems)
    if result.config is not None:
        assert config_from_json(config_to_json(result.config)) == result.config
        assert all(0 <= s.probability <= 1 for s in result.config.stages)


@settings(max_examples=100, deadline=None)
@given(stages=rows, config_settings=rows)
def test_a_whole_workbook_loads_or_reports_never_a_crash(stages, config_settings):
    tabs = {"Opportunities": DEALS, "Stages": [HEADERS["stages"], *stages],
            "Settings": [HEADERS["settings"], *config_settings]}
    loaded = load_workbook_model(tabs, defaults=DEFAULTS)
    assert loaded.config_status in ("ok", "broken, no good config")
    assert (loaded.config is None) == (loaded.config_status != "ok")
    assert located(loaded.problems)


toml_values = st.one_of(st.text(max_size=8).map(lambda t: '"' + t.replace("\\", "\\\\")
                                                .replace('"', '\\"') + '"'),
                        st.integers(-1000, 1000).map(str), st.sampled_from(
                            ["true", "1979-05-27", "[1, 2]", '"40%"', "{ a = 1 }", "nan"]))
toml_keys = st.sampled_from(["stage", "probability", "kind", "dimension", "field", "weight",
                             "match", "points", "check", "value", "key", "colour", "Stall Days"])
toml_lines = st.one_of(st.sampled_from(["[[stages]]", "[[scoring]]", "[[criteria]]",
                                        "[[settings]]", "[settings]", "[other]", "[[stages]"]),
                       st.tuples(toml_keys, toml_values).map(lambda kv: f'"{kv[0]}" = {kv[1]}'),
                       st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(st.lists(toml_lines, max_size=12))
def test_any_toml_text_gives_a_config_or_located_problems(lines):
    result = parse_config(sections_from_toml("\n".join(lines), "team.toml"))
    assert (result.config is None) == any(p.severity == "error" for p in result.problems)
    assert all(p.where.startswith(("team.toml", "Stages")) for p in result.problems)
    assert located(result.problems)
