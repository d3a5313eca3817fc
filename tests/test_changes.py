"""What ``--dry-run`` tells: per tab and column, how many cells change and the first few as
``ID · column: old → new``, built from the plan and the grids the run read."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel import init
from sheetfunnel.changes import Change, ColumnChanges, planned_changes, show, show_pair
from sheetfunnel.cli import cli
from sheetfunnel.plan import CellWrite, RowKeys, TabSpec, WritePlan
from sheetfunnel.values import serial_number

BEFORE = {
    "Opportunities": [[], [], ["ID", "Stage", "Score", "Flags"],
                      ["OPP-1", "Lead", 40, None], ["OPP-2", "Won", 55, "⚠ Stalled"],
                      [None, "Lead", None, None], ["OPP-4", "Lead", 10, None]],
    "Summary": [["Pipeline summary"], ["As of", serial_number(dt.date(2026, 11, 24))]],
}
PLAN = WritePlan(
    tabs=(TabSpec("Summary"), TabSpec("_sheetfunnel", hidden=True)),
    cells=(CellWrite("Opportunities", 3, 5, "Grade"),
           CellWrite("Opportunities", 4, 3, 45), CellWrite("Opportunities", 5, 4, None),
           CellWrite("Opportunities", 6, 1, "OPP-3"), CellWrite("Opportunities", 6, 3, 20),
           CellWrite("Opportunities", 7, 3, 12.5), CellWrite("Opportunities", 4, 5, "B"),
           CellWrite("Summary", 2, 2, dt.date(2026, 11, 25)),
           CellWrite("_sheetfunnel", 1, 1, "Record")),
    row_keys=(RowKeys("Opportunities", 1, {4: "OPP-1", 5: "OPP-2", 7: "OPP-4"}),))


def test_changes_are_counted_per_tab_and_column_and_named_by_id():
    changes = planned_changes(PLAN, BEFORE, first=2)
    assert [(t.tab, t.count, t.hidden) for t in changes.tabs] == [
        ("Opportunities", 7, False), ("Summary", 1, False), ("_sheetfunnel", 1, True)]
    assert changes.total == 9
    columns = {c.column: c for c in changes.tabs[0].columns}
    assert list(columns) == ["ID", "Score", "Flags", "Grade"]  # sheet order
    assert columns["Score"] == ColumnChanges("Opportunities", "Score", 3, (
        Change("OPP-1", 40, 45, by_id=True), Change("OPP-3", None, 20, by_id=True)))
    assert columns["Score"].lines() == ["OPP-1 · Score: 40 → 45", "OPP-3 · Score: (blank) → 20",
                                        "… and 1 more"]
    assert columns["Flags"].lines() == ["OPP-2 · Flags: ⚠ Stalled → (blank)"]
    # a column the plan adds takes its header from the plan; its header cell has no ID
    assert columns["Grade"].lines() == ["Opportunities!E3: (blank) → Grade",
                                        "OPP-1 · Grade: (blank) → B"]
    # a title row is no header: the Summary's columns go by letter, its cells by address;
    # a date Google gave back as a serial number is shown as the date
    (summary,) = changes.tabs[1].columns
    assert summary.column == "column B"
    assert summary.lines() == ["Summary!B2: 2026-11-24 → 2026-11-25"]
    assert changes.tabs[2].columns[0].lines() == ["_sheetfunnel!A1: (blank) → Record"]


def test_a_plan_that_changes_nothing_has_no_tabs():
    assert planned_changes(WritePlan(), BEFORE).tabs == ()
    assert planned_changes(WritePlan(), BEFORE).total == 0


@pytest.mark.parametrize(("value", "shown"), [
    (None, "(blank)"), ("  ", "(blank)"), (55.0, "55"), (0.835, "0.835"), (1 / 3, "0.333333"),
    (dt.date(2026, 11, 24), "2026-11-24"), (dt.datetime(2026, 11, 24, 9, 30), "2026-11-24 09:30"),
    (dt.datetime(2026, 11, 24), "2026-11-24"), ("two\nlines", "two lines"),
    ("x" * 60, "x" * 39 + "…"), (True, "True")])
def test_values_are_shown_on_one_line(value, shown):
    assert show(value) == shown


def test_two_long_texts_that_differ_late_are_shown_where_they_differ():
    old = "⛔ Missing: Budget status · ⏰ No follow-up for 8 days · 🐢 69 days in Negotiation"
    new = old.replace("8 days", "9 days").replace("69 days", "70 days")
    assert show_pair(old, new) == ("…ow-up for 8 days · 🐢 69 days in Negoti…",
                                   "…ow-up for 9 days · 🐢 70 days in Negoti…")
    assert show_pair("short", "shirt") == ("short", "shirt")
    assert show_pair(3, "3") == ("3", "3")


def test_the_command_prints_ids_old_and_new_values_and_totals(tmp_path: Path):
    path = tmp_path / "pipeline.xlsx"
    init(path, demo=True, as_of=dt.date(2026, 11, 24))
    assert CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-24"]).exit_code == 0
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-25", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert_told_by_id(result.output)
    assert path.read_bytes() == before


def assert_told_by_id(out: str) -> None:
    """A day later: each open deal's Days in Stage goes up by one, told by its ID."""
    days = re.findall(r"^      (OPP-\d+) · Days in Stage: (\d+) → (\d+)$", out, re.M)
    assert len(days) == 3 and all(int(new) == int(old) + 1 for _, old, new in days)
    assert re.search(r"^    Days in Stage: \d+ cells$", out, re.M)
    assert "2026-11-24 → 2026-11-25" in out  # the Summary's date, a date on both backends
    total = int(re.search(r"^Dry run: ([\d,]+) cells would change; nothing was written\.$",
                          out, re.M)[1].replace(",", ""))
    tabs = re.findall(r"^  \S.*: ([\d,]+) cells?", out, re.M)
    assert sum(int(n.replace(",", "")) for n in tabs) == total
    assert re.search(rf"^Total: {total:,} cells? in {len(tabs)} tab\(s\)\.$", out, re.M)
    assert " = " not in out  # no raw cell writes
