"""Both backends end with the same cells: the xlsx workbooks, loaded into the Sheets emulator
and run there with real gspread, hold what the xlsx backend writes, run after run."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetfunnel.errors import WorkbookUnreachable
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.base import Snapshot
from tests.support.gsheets import open_book
from tests.support.maven_crm import maven_tabs
from tests.support.parity import AS_OF, Pair, assert_same_cells, differences


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_demo_workbook_ends_with_the_same_cells_run_after_run(emulator, tmp_path, lang):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang=lang, demo=True)
    assert_same_cells(pair)
    xlsx, sheets = pair.run(AS_OF)
    assert xlsx["io"]["cells_written"] == sheets["io"]["cells_written"] > 3000
    assert_same_cells(pair)

    opportunities = next(iter(pair.snapshots()[0].tabs))
    pair.type(opportunities, 5, 4, "Closed Won" if lang == "en" else "赢单")  # a stage change
    pair.type(opportunities, 9, 1, None)  # an ID cleared: the worker assigns a new one
    pair.type(opportunities, 2, 2, '=IMPORTXML("http://x","//a")')  # a title Attention copies
    xlsx, sheets = pair.run(AS_OF + dt.timedelta(days=9))
    assert_same_cells(pair)
    assert {k: v for k, v in xlsx.items() if k != "io"} == \
        {k: v for k, v in sheets.items() if k != "io"}
    assert xlsx["io"]["cells_written"] == sheets["io"]["cells_written"] > 0

    xlsx, sheets = pair.run(AS_OF + dt.timedelta(days=9))
    assert xlsx["io"]["cells_written"] == sheets["io"]["cells_written"] == 0
    assert sheets["io"]["write_requests"] == 0


def test_a_blank_starter_ends_with_the_same_cells(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "blank.xlsx", emulator, lang="en", demo=False)
    pair.run(AS_OF)
    assert_same_cells(pair)


def test_a_broken_config_writes_the_same_problems(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "broken.xlsx", emulator, lang="en", demo=True)
    pair.type("Scoring", 2, 3, "abc")
    xlsx, sheets = pair.run(AS_OF)
    assert xlsx["problems"] == sheets["problems"]
    assert [p for p in sheets["problems"] if p["severity"] == "error"][0]["where"] == "Scoring!C2"
    assert_same_cells(pair)


def test_the_maven_crm_sheet_ends_with_the_same_cells(emulator, tmp_path, datasets):
    pair = Pair.from_grids(tmp_path / "maven.xlsx", emulator,
                           maven_tabs(datasets, typed_amounts=True))
    xlsx, sheets = pair.run(dt.date(2018, 1, 1))
    assert xlsx["counts"]["opportunities"] == sheets["counts"]["opportunities"] == 8800
    assert_same_cells(pair)


def owned_by_id(grid: list[list], owned: int = 7) -> dict[str, list]:
    """ID -> the worker's columns (the last ``owned`` of the header) of each row."""
    width = len(grid[0])
    return {row[0]: (row + [None] * width)[width - owned:width] for row in grid[1:] if row}


def test_a_row_inserted_during_a_run_leaves_every_row_its_own_values(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)
    typed = ["OPP-TYPED", "CUST-0001", "Typed meanwhile", "Ana", "Lead", 5000]

    def person_inserts(call) -> None:
        if call.kind == "values.batchGet":  # the run has read; it has not written yet
            emulator.hooks.remove(person_inserts)
            emulator.insert_rows("Opportunities", 4, 1, [typed])
    emulator.hooks.append(person_inserts)
    pair.run(AS_OF)

    xlsx, sheets = pair.snapshots()
    inserted = sheets.tabs["Opportunities"][3]
    assert inserted[:6] == typed and all(v in (None, "") for v in inserted[6:])
    expected = owned_by_id(xlsx.tabs["Opportunities"])
    got = owned_by_id(sheets.tabs["Opportunities"])
    del got["OPP-TYPED"]
    assert [key for key in expected if differences(
        Snapshot({"row": [expected[key]]}), Snapshot({"row": [got[key]]}))] == []


def test_customers_sorted_during_a_run_keep_their_own_tier_and_totals(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)

    def person_sorts(call) -> None:
        if call.kind == "values.batchGet":  # the run has read; it has not written yet
            emulator.hooks.remove(person_sorts)
            emulator.sort_rows("Customers", 2, 2)  # by Name
    emulator.hooks.append(person_sorts)
    pair.run(AS_OF)

    xlsx, sheets = pair.snapshots()
    expected = owned_by_id(xlsx.tabs["Customers"], owned=3)
    got = owned_by_id(sheets.tabs["Customers"], owned=3)
    assert [row[0] for row in sheets.tabs["Customers"][1:]] != sorted(expected)  # it moved
    assert [key for key in expected if differences(
        Snapshot({"row": [expected[key]]}), Snapshot({"row": [got[key]]}))] == []


def test_a_run_cut_short_by_google_is_repaired_by_the_next(emulator, tmp_path):
    pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)
    emulator.fail(503, times=100, kind="values.batchUpdate")  # the looks land, values do not
    with pytest.raises(WorkbookUnreachable, match="the next run finishes any change"):
        run_once(open_book(emulator), as_of=AS_OF)
    emulator.faults.clear()
    pair.run(AS_OF)
    assert_same_cells(pair)
