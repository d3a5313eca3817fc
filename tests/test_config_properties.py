"""Whatever an admin types into a Config cell (or a TOML file), a Config or located problems."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetfunnel.config import (
    config_from_json,
    config_to_json,
    parse_config,
    sections_from_grids,
    sections_from_toml,
)
from sheetfunnel.demo_data import make_demo
from sheetfunnel.init_plan import build_starter
from sheetfunnel.load import load_workbook_model
from sheetfunnel.runner import check, default_sections, run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.memory import MemoryWorkbook

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


# -- generated configs through check and the run (issue 11, item 9) --------------------------

AS_OF = dt.date(2026, 11, 24)


def demo_tabs(count: int) -> dict[str, list[list]]:
    """The English demo's people tabs, cut to ``count`` deals (and two no one can read)."""
    plan = build_starter("en", demo=False, as_of=AS_OF)
    headers = {c.tab: [] for c in plan.cells}
    for cell in plan.cells:
        if cell.row == 1:
            headers[cell.tab].append(cell.value)
    demo = make_demo(AS_OF).by_role()
    deals = demo["opportunities"][1:count + 1] + [
        ["OPP-X1", "C-0001", "=1+1", "Ann", "Leed", "9" * 400, None, "1899-12-30"],
        ["OPP-X1", None, "#N/A", None, None, True, None, 0, "9999-12-31"]]
    ids, customers = {row[0] for row in deals}, {row[1] for row in deals}
    return {"Opportunities": [headers["Opportunities"], *deals],
            "Customers": [headers["Customers"],
                          *(row for row in demo["customers"][1:] if row[0] in customers)],
            "Activities": [headers["Activities"],
                           *(row for row in demo["activities"][1:] if row[1] in ids)]}


PEOPLE, FEW_PEOPLE = demo_tabs(20), demo_tabs(8)  # the pure runs, the runs on a file
STAGE_NAMES = ["Lead", "Qualified", "Needs Analysis", "Proposal", "Won", "Lost", "线索", "赢单"]
FIELDS = {"Fit": "Industry", "Size": "Size", "Intent": "Purchase Intent", "Budget": "Budget",
          "Cycle": "Decision Cycle Days", "Amount": "Amount"}
MATCHES = ["*", "= Software", "in Software, Finance", "> 5", ">= 1000", "< 3", "1..10", "value",
           "= Approved", "属于 甲，乙"]
CHECK_VALUES = [("filled", None), ("=", "Approved"), ("!=", "Unknown"), (">", 5),
                (">=", "2026-01-01"), ("in", "Approved, Planned"), ("not in", "No"),
                ("on or before today", None), ("<", 1e6)]
SETTING_VALUES = {"follow_up_days": [0, 7, 3650], "stall_days": [0, 14, 3650],
                  "response_hours": [0, 0.5, 2, 8760], "grade_A": [80, 100],
                  "grade_B": [60, 50], "grade_C": [0, 40],
                  "criteria_cumulative": ["yes", "否"], "date_order": ["ymd", "dmy"],
                  "assign_ids": ["yes", "no"]}
#: What an admin may type into any config cell: the bounds themselves and just past them.
EDGES = [None, "", 0, -1, 3650, 3651, 8760, 8761, 1000, 1001, 100, 101, 99999999999, 1e300,
         1e-300, "1e400", "9" * 400, "abc", True, "=1+1", "#N/A", dt.date(2026, 1, 1), "40%",
         "..", "*", "value", "> 1e300", "5..1", "filled", "not in", "Lead", "Nope", 2.5]


@st.composite
def config_grids(draw, scale: str = "percent") -> dict[str, list[list]]:
    """Config tabs that are mostly sound, on the given score scale, then a few cells retyped
    with edge values."""
    names = draw(st.lists(st.sampled_from(STAGE_NAMES), min_size=2, max_size=6, unique=True))
    kinds = ["open", *draw(st.lists(st.sampled_from(["open", "won", "lost", "赢单"]),
                                    min_size=len(names) - 1, max_size=len(names) - 1))]
    stages = [[name, draw(st.sampled_from([0, 10, 50, "40%", 0.4, 100])), kind,
               draw(st.sampled_from([None, 0, 7, 14, 3650])),
               draw(st.sampled_from([None, 0, 3, 3650])),
               draw(st.sampled_from([None, "Proposal Sent", "Created"]))]
              for name, kind in zip(names, kinds, strict=True)]
    scoring = []
    for dimension in draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=4,
                                   unique=True)):
        weight = draw(st.sampled_from([0.5, 1, 2, 1000]))
        for index in range(draw(st.integers(1, 3))):
            scoring.append([dimension, FIELDS[dimension] if not index else None,
                            weight if not index else None, draw(st.sampled_from(MATCHES)),
                            draw(st.sampled_from([0, 3, 10, 1000]))])
    criteria = [[draw(st.sampled_from(names)), draw(st.sampled_from(sorted(FIELDS.values()))),
                 *draw(st.sampled_from(CHECK_VALUES)), "Needed"]
                for _ in range(draw(st.integers(0, 3)))]
    keys = draw(st.lists(st.sampled_from(sorted(SETTING_VALUES)), max_size=5, unique=True))
    settings_rows = [["score_scale", scale],
                     *([key, draw(st.sampled_from(SETTING_VALUES[key]))] for key in keys)]
    grids = {"stages": stages, "scoring": scoring, "criteria": criteria,
             "settings": settings_rows}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 4]))):
        grid = grids[draw(st.sampled_from([r for r in grids if grids[r]]))]
        row = grid[draw(st.integers(0, len(grid) - 1))]
        row[draw(st.integers(0, len(row) - 1))] = draw(st.sampled_from(EDGES))
    return {role.capitalize(): [HEADERS[role], *grid] for role, grid in grids.items()}


def check_and_run(book) -> tuple:
    """``check`` and a run on the same workbook: they must agree, and neither may raise."""
    checked = check(book)
    result = run_once(book, as_of=AS_OF, dry_run=not isinstance(book, XlsxWorkbook))
    assert (result.config_status, result.problems) == (checked.config_status, checked.problems)
    assert located(result.problems)
    scores = [d["score"] for d in result.report["opportunities"]]
    assert all(s is None or 0 <= s <= 100 for s in scores)
    return checked, result


@pytest.mark.parametrize("scale", ["percent", "raw"])  # 250 configs each, 500 in all
@settings(max_examples=250, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_configs_check_and_run_alike_and_judge_every_deal(scale, data):
    grids = data.draw(config_grids(scale))
    checked, result = check_and_run(MemoryWorkbook({**PEOPLE, **grids}))
    errors = [p for p in checked.problems if p.severity == "error"]
    assert (checked.config is None) == bool(errors)
    if checked.config is not None:
        assert result.rows == len(PEOPLE["Opportunities"]) - 1


@settings(max_examples=50, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(config_grids())
def test_generated_configs_through_whole_runs_on_a_real_file(tmp_path_factory, grids):
    path = tmp_path_factory.mktemp("configs") / "pipeline.xlsx"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in {**FEW_PEOPLE, **grids}.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                sheet.cell(r, c).value = value
                if isinstance(value, str) and value.startswith("="):
                    sheet.cell(r, c).data_type = "s"  # typed as text, as '=… does
    book.save(path)
    check_and_run(XlsxWorkbook(path))
    stamp = path.stat().st_mtime_ns
    again = run_once(XlsxWorkbook(path), as_of=AS_OF)
    assert again.cells_written == 0 and path.stat().st_mtime_ns == stamp
