"""Generated whole sheets through whole runs on both backends (issue 11, items 2, 7 and 8).

Each example is a starter workbook (its Config tabs in English or Chinese) whose people tabs
hold generated rows: dates, amounts, unicode, formula-like text, error values, huge and tiny
numbers, true/false, blanks, duplicated IDs and unknown stages. It is built twice — an .xlsx
file and an emulated Google Sheet — and run twice on each. Every run must finish (no
traceback), change no cell a person owns, build a strict-JSON report, and the second run must
write nothing (for the file: not even save it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetfunnel.init_plan import build_starter, init_plan
from sheetfunnel.plan import WritePlan
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.emulator import SheetsEmulator
from tests.support.gsheets import open_book

AS_OF = dt.date(2026, 11, 24)
SHEETS_PER_LANGUAGE = 15  # two languages: 30 whole sheets per test run
ROWS = {"opportunities": 14, "customers": 5, "activities": 8}
MIN_CELLS = 10_000  # per test run, both languages together

FORMULA_LIKE = ["=1+1", '=IMPORTXML("http://example.com","//a")', '=HYPERLINK("x","y")',
                "=SUM(A:A)", "+1", "-", "@mention", "=", "'quoted"]
ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
BLANKS = [None, "", "   "]
UNICODE = ["Ünïcödé", "商机 甲", "😀 emoji", "نص عربي", "\u200bzero width", "ｆｕｌｌ", "a\nb",
           "tab\there", "x" * 300, "NULL", "None", "nan", "inf", "0", "00123", "TRUE", "是"]
NUMBERS = [0, 1, -1, 0.5, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, 2**53 + 1, 2**70,
           -1e15, 1200, 1200.5, "¥1,200", "$1,200.50", "1.2k", "50万", "1.5亿", "40%",
           "１，０００", "--5", "+-5", "9" * 400, "1e400", "lots", True, False, "TRUE", "FALSE"]
DATES = [dt.date(2026, 11, 24), dt.date(2026, 1, 1), dt.datetime(2026, 3, 1, 17, 30),
         dt.date(1900, 3, 1), dt.date(2199, 12, 31), dt.datetime(9999, 12, 31),
         45000, 45000.75, 0, -5, 1e10, "2025-03-01", "2025/3/1", "1/3/2025", "13/3/2025",
         "2025年3月1日", "1899-12-30", "1800-01-01", "9999-12-31", "2262-04-12", "soon",
         "2025-02-30", True]
IDS = ["OPP-1", "OPP-2", "OPP-3", "OPP-4", " OPP-1 ", "opp-1", 12, 12.0, "=1+1", True,
       "OPP-000001"]
OTHERS = FORMULA_LIKE + ERRORS + BLANKS + UNICODE


def pool(*kinds: list) -> st.SearchStrategy:
    return st.sampled_from([v for kind in kinds for v in kind])


def starter(lang: str) -> WritePlan:
    return build_starter(lang, demo=False, as_of=AS_OF)


def people_tabs(lang: str) -> dict[str, tuple[str, list]]:
    """role -> (tab title, header) of the starter's people tabs."""
    plan = starter(lang)
    titles = [t.title for t in plan.tabs][:3]
    by_tab = plan.cells_by_tab()
    return {role: (title, [c.value for c in by_tab[title] if c.row == 1])
            for role, title in zip(ROWS, titles, strict=True)}


def stage_names(lang: str) -> list[str]:
    stages = [t.title for t in starter(lang).tabs][3]
    return [c.value for c in starter(lang).cells_by_tab()[stages] if c.col == 1 and c.row > 1]


def column_kinds(lang: str) -> dict[str, list[st.SearchStrategy]]:
    """One strategy per column of each people tab, by what the column holds."""
    text = pool(OTHERS, ["Software", "Finance", "Approved", "Planned", "Yes", "Ann", "李雷"])
    free = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
    number, date = pool(NUMBERS, BLANKS, ERRORS), pool(DATES, BLANKS, ERRORS)
    stage = pool(stage_names(lang), ["Leed", "WON", " lead ", 45000, "=1+1", "#N/A", True],
                 BLANKS)
    ids = pool(IDS, BLANKS)
    customer = pool(["C-1", "C-2", "C-3", 1, "c-1"], BLANKS)
    sentiment = pool(["positive", "negative", "neutral", "负面", "Negative", "meh"], BLANKS)
    opportunity = [ids, customer, st.one_of(text, free), text, stage, number, text, date, date,
                   date, text, date, text, text, text, st.one_of(text, free), number, number,
                   date]
    return {"opportunities": opportunity,
            "customers": [customer, text, text, number, text, text, text],
            "activities": [date, ids, text, text, st.one_of(text, free), sentiment]}


def sheets(lang: str) -> st.SearchStrategy:
    kinds = column_kinds(lang)
    return st.fixed_dictionaries({
        role: st.lists(st.tuples(*columns), min_size=ROWS[role], max_size=ROWS[role])
        for role, columns in kinds.items()})


# -- the two backends --------------------------------------------------------------------------

def xlsx_workbook(path: Path, lang: str, grids: dict[str, list[list]]) -> None:
    """People tabs typed cell by cell (text starting with = stays text), then what ``init``
    adds to a workbook that has them (Config and worker tabs)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in grids.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(r, c)
                cell.value = value
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    workbook = XlsxWorkbook(path)
    workbook.apply(init_plan(lang, demo=False, as_of=AS_OF, existing=workbook.read()))


def google_sheet(emulator: SheetsEmulator, lang: str, grids: dict[str, list[list]]) -> None:
    """People tabs as typed, then what ``init --sheet`` adds."""
    for title, grid in grids.items():
        emulator.add_sheet(title, grid)
    sheet = open_book(emulator)
    sheet.apply(init_plan(lang, demo=False, as_of=AS_OF, existing=sheet.read()))


def xlsx_person_cells(path: Path, widths: dict[str, int]) -> dict:
    book = openpyxl.load_workbook(path)
    return {(title, cell.row, cell.column): (cell.value, cell.data_type, cell.number_format)
            for title, width in widths.items()
            for row in book[title].iter_rows(max_col=width) for cell in row
            if cell.value is not None}


def google_person_cells(emulator: SheetsEmulator, widths: dict[str, int]) -> dict:
    cells = {}
    for title, width in widths.items():
        sheet = emulator.sheet(title)
        for (r, c), value in sheet.values.items():
            if c < width:
                cells[(title, r + 1, c + 1)] = (value, repr(sheet.extras.get((r, c))))
    return cells


def changed_person_cells(before: dict, after: dict, id_tab: str) -> list[str]:
    """Cells a person owns that a run changed; an ID filled into a blank ID cell is allowed."""
    changed = []
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        blank_id = key[0] == id_tab and key[2] == 1 and (
            old is None or (isinstance(old[0], str) and not old[0].strip()))
        if blank_id and new is not None and re.fullmatch(r"OPP-\d{6}", str(new[0])):
            continue
        changed.append(f"{key}: {old!r} -> {new!r}"[:200])
    return changed


def check_run(report: dict) -> None:
    json.dumps(report, allow_nan=False)  # strict JSON, as --report writes it


# -- the test -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_generated_sheets_settle_on_both_backends_and_leave_people_cells_alone(
        emulator, tmp_path: Path, lang: str):
    tabs = people_tabs(lang)
    opportunities = tabs["opportunities"][0]
    widths = {title: len(header) for title, header in tabs.values()}
    counter = itertools.count()
    cells_run: list[int] = []

    @settings(max_examples=SHEETS_PER_LANGUAGE, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(sheets(lang))
    def one_sheet(rows: dict[str, list[tuple]]) -> None:
        grids = {title: [header, *map(list, rows[role])] for role, (title, header) in
                 tabs.items()}
        cells_run.append(sum(len(row) for grid in grids.values() for row in grid))
        path = tmp_path / f"sheet-{next(counter)}.xlsx"
        google = SheetsEmulator("emulated-key")  # a fresh sheet at the fixture's endpoint
        xlsx_workbook(path, lang, grids)
        google_sheet(google, lang, grids)

        before = xlsx_person_cells(path, widths), google_person_cells(google, widths)
        first = run_once(XlsxWorkbook(path), as_of=AS_OF), run_once(open_book(google),
                                                                     as_of=AS_OF)
        after = xlsx_person_cells(path, widths), google_person_cells(google, widths)
        for old, new in zip(before, after, strict=True):
            assert changed_person_cells(old, new, opportunities) == []

        stamp = path.stat().st_mtime_ns
        again = run_once(XlsxWorkbook(path), as_of=AS_OF), run_once(open_book(google),
                                                                     as_of=AS_OF)
        for result in (*first, *again):
            check_run(result.report)
        assert [r.cells_written for r in again] == [0, 0], [
            str(w)[:120] for r in again for w in r.plan.cells][:10]
        assert path.stat().st_mtime_ns == stamp
        assert again[1].report["io"]["write_requests"] == 0

    one_sheet()
    assert len(cells_run) == SHEETS_PER_LANGUAGE
    assert sum(cells_run) * 2 >= MIN_CELLS  # the other language runs as many
