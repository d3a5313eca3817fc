"""Columns the worker writes are readable on both backends: widths fitted to the header and to
what the cells show (CJK characters as two), set only where the worker adds a column or owns
the tab, never on a person's column; no ``###`` for a date or an amount."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import schema
from sheetfunnel.grid import column_letter
from sheetfunnel.plan import (
    MOST_WIDTH,
    CellRange,
    NumberFormat,
    fitted_width,
    grid_widths,
    shown_text,
    text_width,
)
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import AS_OF, Pair

PIXELS_PER_CHARACTER, PIXEL_PADDING = 7, 5  # the Google backend's conversion


def test_a_cjk_or_full_width_character_counts_two_a_combining_mark_none():
    assert text_width("平均成交周期（天）") == 18
    assert text_width("Average cycle (days)") == 20
    assert text_width("ｆｕｌｌ") == 8 and text_width("e\u0301") == 1
    assert text_width("⛔ 未满足") == 2 + 1 + 6
    assert text_width("two\nlines here") == 10


def test_a_value_is_measured_as_its_format_shows_it():
    assert shown_text(6_807_200.0, '"$"#,##0') == "$6,807,200"
    assert shown_text(0.6617, "0.0%") == "66.2%"
    assert shown_text(76.83, "0.0") == "76.8"
    assert shown_text(dt.date(2026, 11, 24), "yyyy-mm-dd") == "2026-11-24"
    assert shown_text(12.3, '"¥"#,##0.0"万"') == "¥万12.3"  # same width as ¥12.3万
    assert fitted_width(["平均成交周期（天）"]) == 20.0
    assert fitted_width([]) == 6.0 and fitted_width(["x" * 500]) == 60.0


def test_a_table_cell_widens_its_column_but_a_title_runs_on():
    grid = [["A long title that runs on into the empty cells"],
            ["平均成交周期（天）", 76.8],
            ["Stage", "Reached", "Conversion from previous", "Open amount"],
            ["Lead", 200, 1.0, 123_456_789.0]]
    formats = [NumberFormat(CellRange("S", 4, 4, 4), '"¥"#,##0')]
    widths = dict(grid_widths(grid, formats))
    assert widths[1] == text_width("平均成交周期（天）") + 2
    assert widths[3] == text_width("Conversion from previous") + 2
    assert widths[4] == text_width("¥123,456,789") + 2


def _xlsx_widths(path: Path, title: str) -> dict[int, float]:
    """Column -> width of the columns the file gives a width (its ``<col>`` entries)."""
    sheet = openpyxl.load_workbook(path)[title]
    return {col: dim.width for dim in list(sheet.column_dimensions.values())
            if dim.customWidth and dim.min for col in range(dim.min, dim.max + 1)}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_label_number_and_date_of_the_workers_tabs_fits_its_column(tmp_path, lang):
    from sheetfunnel.api import init
    path = tmp_path / f"{lang}.xlsx"
    init(path, lang=lang, demo=True, as_of=AS_OF)
    run_once(XlsxWorkbook(path), as_of=AS_OF)
    book = openpyxl.load_workbook(path)
    for role in ("summary", "attention"):
        title = schema.display_name(lang, role)
        widths = _xlsx_widths(path, title)
        rows = [list(r) for r in book[title].iter_rows()]
        for row in rows:
            filled = [c for c in row if c.value is not None]
            for cell in filled:
                last_text = cell is filled[-1] and isinstance(cell.value, str) and len(filled) <= 3
                if last_text:
                    continue  # a title or a problem: runs on into the empty cells
                value = cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value
                shown = shown_text(value, cell.number_format)
                if isinstance(value, str):  # a long Detail is as wide as a column may be
                    assert min(text_width(shown), MOST_WIDTH) <= widths[cell.column], (
                        title, cell.coordinate, shown)
                else:
                    assert text_width(shown) <= widths[cell.column], (title, cell.coordinate, shown)
    if lang == "zh":
        summary = book["汇总"]
        label = next(c for c in summary["A"] if c.value == "平均成交周期（天）")
        assert _xlsx_widths(path, "汇总")[1] >= text_width(label.value) == 18


def _team_sheet() -> dict[str, list[list]]:
    """A team's own sheet: no owned column yet, one column a person made wider."""
    rows = [["ID", "Title", "Owner", "Stage", "Amount", "Created", "Expected Close"]]
    rows += [[f"OPP-{n}", f"项目 {n}", "张伟", "Proposal" if n % 2 else "Lead", 1_250_000 * n,
              dt.date(2026, 10, n), dt.date(2026, 12, n)] for n in range(1, 9)]
    return {"Opportunities": rows}


def test_columns_the_worker_adds_are_fitted_and_a_persons_columns_keep_theirs(
        tmp_path, emulator):
    pair = Pair.from_grids(tmp_path / "team.xlsx", emulator, _team_sheet())
    book = openpyxl.load_workbook(pair.path)
    book["Opportunities"].column_dimensions["B"].width = 13
    book.save(pair.path)
    emulator.sheet("Opportunities").widths[1] = 120  # column B, as a person left it
    pair.run(AS_OF)

    header = [c.value for c in openpyxl.load_workbook(pair.path)["Opportunities"][1]]
    added = {col: name for col, name in enumerate(header, start=1) if col > 7}
    assert set(added.values()) == {schema.display_name("en", "opportunities", role)
                                   for role in schema.OWNED_COLUMNS["opportunities"]}
    widths = _xlsx_widths(pair.path, "Opportunities")
    assert widths[2] == 13 and not {1, 3, 4, 5, 6, 7} & set(widths)
    sheet = openpyxl.load_workbook(pair.path)["Opportunities"]
    for col, name in added.items():
        shown = [text_width(name)] + [
            text_width(shown_text(c.value.date() if isinstance(c.value, dt.datetime)
                                  else c.value, c.number_format))
            for c in sheet[column_letter(col)][1:] if c.value is not None]
        assert widths[col] == min(max(max(shown) + 2, 8), 60), name  # long Flags run on
    google = emulator.sheet("Opportunities").widths
    assert google[1] == 120 and not {0, 2, 3, 4, 5, 6} & set(google)
    assert {col - 1: round(w * PIXELS_PER_CHARACTER + PIXEL_PADDING)
            for col, w in widths.items() if col > 7} == {c: p for c, p in google.items() if c > 6}

    emulator.sheet("Opportunities").widths[7] = 300  # a person widens the worker's Score column
    again = run_once(open_book(emulator), as_of=AS_OF)
    assert again.report["io"]["write_requests"] == 0  # nothing new: widths are not sent again
    assert emulator.sheet("Opportunities").widths[7] == 300


def test_both_backends_colour_rates_only_where_they_are_numbers_and_size_the_chart(
        tmp_path, emulator):
    pair = Pair.from_grids(tmp_path / "team.xlsx", emulator, _team_sheet())
    pair.run(AS_OF)
    summary = emulator.sheet("Summary")
    formulas = [rule["booleanRule"]["condition"] for rule in summary.conditional_formats
                if rule["booleanRule"]["condition"]["type"] == "CUSTOM_FORMULA"]
    assert formulas and all(c["values"][0]["userEnteredValue"].startswith("=AND(ISNUMBER(")
                            for c in formulas)
    (chart,) = summary.charts
    overlay = chart["position"]["overlayPosition"]
    assert (overlay["anchorCell"]["columnIndex"], overlay["widthPixels"]) == (3, 640)
    sheet = openpyxl.load_workbook(pair.path)["Summary"]
    rules = [rule for block in sheet.conditional_formatting for rule in block.rules
             if rule.type == "expression"]
    assert {rule.formula[0] for rule in rules} == {
        c["values"][0]["userEnteredValue"][1:] for c in formulas}
