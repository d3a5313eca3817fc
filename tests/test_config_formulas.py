"""A Config cell typed as ``= Approved`` is a formula to a spreadsheet: sheetfunnel reads its text
(config is parsed, never evaluated) on both backends; the starter writes such cells as text.

What the backends give for the formula cell itself: python-calamine returns "" for a formula
without a computed value (as openpyxl saves it) and for an error (``#NAME?``, as Excel or
LibreOffice save ``= 完全匹配``; the reader puts the error text back); the Google read
(UNFORMATTED_VALUE) gives the error Google computed (the emulator says ``#N/A``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from sheetfunnel import api
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from sheetfunnel.workbook.xlsx_read import read_formulas
from tests.support.gsheets import open_book
from tests.support.parity import Pair

AS_OF = dt.date(2026, 11, 24)
DEALS = [["ID", "Stage", "Amount", "Budget", "Industry"],
         ["OPP-1", "Lead", 1000, "完全匹配", "Software"],
         ["OPP-2", "Lead", 900, "Planned", "Retail"]]
STAGES = [["Stage", "Probability", "Kind"], ["Lead", 10, "open"], ["Won", 100, "won"],
          ["Lost", 0, "lost"]]
SCORING = [["Dimension", "Field", "Weight", "Match", "Points"],
           ["Budget", "Budget", 1, "= 完全匹配", 10], ["Budget", "Budget", 1, "=Planned", 4]]
CRITERIA = [["Stage", "Field", "Check", "Value", "Message"],
            ["Lead", "Industry", "=", "=Software", "Software only"]]


def test_formula_cells_of_the_config_tabs_are_read_as_their_text_on_both_backends(
        tmp_path: Path, emulator):
    pair = Pair.from_grids(tmp_path / "f.xlsx", emulator,
                           {"Opportunities": DEALS, "Stages": STAGES, "Scoring": SCORING,
                            "Criteria": CRITERIA, "Settings": [["Key", "Value"]]})
    for tab, row, col, typed in (("Scoring", 2, 4, "= 完全匹配"), ("Scoring", 3, 4, "=Planned"),
                                 ("Criteria", 2, 4, "=Software")):
        emulator.set_cell(tab, row, col, typed)  # as typed into the Sheets UI: a formula
    assert read_formulas(pair.path, ["Scoring", "Criteria"]) == {
        "Scoring": {(2, 4): "= 完全匹配", (3, 4): "=Planned"}, "Criteria": {(2, 4): "=Software"}}
    xlsx_values, sheets_values = (s.tabs["Scoring"][1][3] for s in pair.snapshots())
    assert (xlsx_values, sheets_values) == (None, "#N/A")  # what each backend computed
    for book in (XlsxWorkbook(pair.path), open_book(emulator)):
        assert api.check(book).problems == ()
        result = run_once(book, as_of=AS_OF)
        assert result.problems == ()
        assert result.evaluation.deals["score"].tolist() == [100.0, 40.0]
        assert result.evaluation.deals["flag_codes"].tolist()[1] == ("MISSING_CRITERIA",)


def test_a_google_run_whose_config_shows_no_error_asks_nothing_more(emulator):
    emulator.add_sheet("Opportunities", DEALS)
    emulator.add_sheet("Scoring", [SCORING[0], ["Budget", "Budget", 1, "'= 完全匹配", 10]])
    book = open_book(emulator)
    book.read()
    before = book.io.read_requests
    assert book.formulas(["Scoring"]) == {}
    assert book.io.read_requests == before


def test_the_starter_writes_match_cells_as_text(tmp_path: Path, emulator):
    pair = Pair.from_init(tmp_path / "s.xlsx", emulator, lang="en", demo=False)
    sheet = openpyxl.load_workbook(pair.path)["Scoring"]
    matches = [c for c in sheet["D"] if isinstance(c.value, str) and c.value.startswith("=")]
    assert matches and all(c.data_type == "s" for c in matches)  # text, not a formula
    assert not emulator.sheet("Scoring").formulas
    assert read_formulas(pair.path, ["Scoring"]) == {}
