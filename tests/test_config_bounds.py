"""Config bounds (spec §3.2): outside them is a located problem, the same for check and run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetfunnel import init
from sheetfunnel.cli import cli
from sheetfunnel.config import config_from_json, config_to_json, parse_config, sections_from_grids

STAGES = [["Stage", "Probability", "Kind", "Stall Days", "Follow-up Days"],
          ["Lead", 10, "open", 3650, 0], ["Demo", 40, "open", 0, 3650], ["Won", 100, "won"]]
SCORING = [["Dimension", "Field", "Weight", "Match", "Points"],
           ["Fit", "Industry", 1000, "*", 1000], ["Size", "Employees", 0, "value", 0]]
SETTINGS = [["Key", "Value"], ["follow_up_days", 3650], ["stall_days", 0],
            ["response_hours", 8760], ["grade_A", 100], ["grade_B", 50], ["grade_C", 0]]
HEADERS = {"opportunities": ["ID", "Stage", "Industry", "Employees"], "customers": []}


def parse(stages=STAGES, scoring=SCORING, settings=SETTINGS):
    sections = sections_from_grids({"stages": ("Stages", stages), "scoring": ("Scoring", scoring),
                                    "settings": ("Settings", settings)})
    return parse_config(sections, headers=HEADERS)


def typed(grid: list[list], cell: str, value: object) -> list[list]:
    grid = [list(r) for r in grid]
    column, row = ord(cell[0]) - 64, int(cell[1:])
    grid[row - 1] += [None] * (column - len(grid[row - 1]))
    grid[row - 1][column - 1] = value
    return grid


def test_every_bound_itself_is_allowed():
    config = parse().config
    assert config is not None
    assert [(s.stall_days, s.follow_up_days) for s in config.stages[:2]] == [(3650, 0), (0, 3650)]
    assert (config.settings.follow_up_days, config.settings.response_hours) == (3650, 8760)


DAYS = "must be a whole number from 0 to 3650 (ten years), such as 14"


@pytest.mark.parametrize(("tab", "cell", "value", "message"), [
    ("stages", "D2", 99999999999, f'The stall days {DAYS}, not "99999999999".'),
    ("stages", "E3", 3651, f'The follow-up days {DAYS}, not "3651".'),
    ("stages", "D3", -1, f'The stall days {DAYS}, not "-1".'),
    ("stages", "B2", 101, 'The probability of Lead must be between 0 and 100, not "101".'),
    ("scoring", "C2", 1001, 'The weight "1001" is outside 0 to 1000. Type a weight from 0 to '
                            "1000, such as 2 or 0.5."),
    ("scoring", "C2", -1, 'The weight "-1" is outside 0 to 1000. Type a weight from 0 to 1000, '
                          "such as 2 or 0.5."),
    ("scoring", "E2", 1e6, 'The points "1000000" are outside 0 to 1000. Type points from 0 to '
                           "1000, such as 10."),
    ("scoring", "E3", -5, 'The points "-5" are outside 0 to 1000. Type points from 0 to 1000, '
                          "such as 10."),
    ("settings", "B2", 3651, "The setting follow_up_days must be a whole number from 0 to 3650 "
                             '(ten years), such as 7, not "3651".'),
    ("settings", "B3", 1e11, "The setting stall_days must be a whole number from 0 to 3650 (ten "
                             'years), such as 7, not "100000000000".'),
    ("settings", "B4", 8761, "The setting response_hours must be a number from 0 to 8760 (a "
                             'year), such as 2, not "8761".'),
    ("settings", "B5", 101, "The setting grade_A must be a number from 0 to 100 (the percent "
                            'scale), not "101".'),
    ("settings", "B7", -1, "The setting grade_C must be a number from 0 to 100 (the percent "
                           'scale), not "-1".'),
])
def test_a_value_outside_its_bounds_is_a_problem_at_its_cell_with_the_fix(tab, cell, value,
                                                                         message):
    grids = {"stages": STAGES, "scoring": SCORING, "settings": SETTINGS}
    result = parse(**{**grids, tab: typed(grids[tab], cell, value)})
    assert result.config is None
    assert f"{tab.capitalize()}!{cell}: {message}" in [str(p) for p in result.problems]


def test_raw_grades_above_the_largest_score_are_one_warning_naming_the_cells_and_maximum():
    raw = [*SETTINGS, ["score_scale", "raw"]]
    assert not parse(settings=typed(raw, "B5", 1_000_000)).problems  # 1000 × 1000
    result = parse(settings=typed(raw, "B5", 1_000_001))
    assert result.config is not None  # the rest of the config applies
    assert [(str(p), p.severity) for p in result.problems] == [(
        "Settings!B5: score_scale is raw and the largest score the Scoring tab can give is "
        "1000000, but grade_A 1000001 (Settings!B5) is above it, so no deal is graded A. Set "
        "grade_A, grade_B and grade_C in Settings to scores from 0 to 1000000.", "warning")]
    small = [SCORING[0], ["Fit", "Industry", 2, "*", 10]]
    defaults = [SETTINGS[0], ["score_scale", "raw"]]
    assert [str(p) for p in parse(scoring=small, settings=defaults).problems] == [
        "Settings!B2: score_scale is raw and the largest score the Scoring tab can give is 20, "
        "but grade_A 80 (the default), grade_B 60 (the default) and grade_C 40 (the default) "
        "are above it, so every deal is graded D. Set grade_A, grade_B and grade_C in Settings "
        "to scores from 0 to 20."]
    typed_grades = [SETTINGS[0], ["score_scale", "raw"], ["grade_A", 90], ["grade_B", 30],
                    ["grade_C", 10]]
    assert [str(p) for p in parse(scoring=small, settings=typed_grades).problems] == [
        "Settings!B3: score_scale is raw and the largest score the Scoring tab can give is 20, "
        "but grade_A 90 (Settings!B3) and grade_B 30 (Settings!B4) are above it, so no deal "
        "is graded A or B. Set grade_A, grade_B and grade_C in Settings to scores from 0 to 20."]
    negative = typed(raw, "B7", -1)
    assert [p.severity for p in parse(settings=negative).problems] == ["error"]


def test_a_last_good_config_outside_the_bounds_is_not_trusted():
    text = config_to_json(parse().config)
    assert config_from_json(text) == parse().config
    with pytest.raises(ValueError, match="bounds"):
        config_from_json(text.replace('"stall_days":3650', '"stall_days":99999999999'))


@pytest.mark.parametrize(("cell", "value"), [("D2", 99999999999), ("E3", 1e300),
                                             ("B2", 1e300)])
def test_check_and_run_agree_and_neither_crashes(tmp_path: Path, cell: str, value: object):
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="en", demo=True, as_of=dt.date(2026, 11, 24))
    book = openpyxl.load_workbook(path)
    book["Stages"][cell] = value
    book.save(path)
    checked = CliRunner().invoke(cli, ["check", str(path)])
    ran = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-24"])
    assert checked.exit_code == ran.exit_code == 2, (checked.output, ran.output)
    assert f"Stages!{cell}" in checked.output and f"Stages!{cell}" in ran.output
    assert ran.exception is None or isinstance(ran.exception, SystemExit)
