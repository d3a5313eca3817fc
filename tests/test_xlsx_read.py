"""Reading with python-calamine gives the grids that reading with openpyxl gave: dates as
dates, numbers as numbers, formulas as their last values, errors as their text, blanks as
None, hidden tabs and tab order as they are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sheetfunnel import init
from sheetfunnel.grid import Grid, trim
from sheetfunnel.workbook import xlsx_read
from sheetfunnel.workbook.base import only
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from sheetfunnel.workbook.xlsx_read import error_cells
from tests.support.xlsx_parts import read_parts, write_parts


def _as_openpyxl_reads(path: Path) -> dict[str, Grid]:
    """The grids as the openpyxl reader made them (times and durations as text)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {sheet.title: trim([[str(v) if isinstance(v, dt.time | dt.timedelta) else v
                                    for v in row] for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets}
    finally:
        book.close()


@pytest.fixture
def typed(tmp_path: Path) -> Path:
    """Every kind of value a person types, and a formula whose value Excel left behind."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Typed"
    sheet.append(["Text", "Whole", "Fraction", "Date", "Moment", "Yes", "Time", "Big"])
    sheet.append(["  spaced  ", 42, 0.1 + 0.2, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30),
                  True, dt.time(10, 30), 2 ** 60])
    sheet.append([None, -7, 1e-300, dt.date(1900, 3, 1), None, False, None, -(2 ** 53) + 1])
    sheet["D5"] = "=1/0"
    sheet["B7"] = "你好 ⏰"
    sheet["H9"] = 3
    book.create_sheet("Later").sheet_state = "hidden"
    book.create_sheet("Empty")
    path = tmp_path / "typed.xlsx"
    book.save(path)
    parts = read_parts(path)  # as Excel saves: the error value cached, every digit kept
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b'<c r="D5"><f>1/0</f><v /></c>', b'<c r="D5" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    ).replace(b"<v>0.3</v>", b"<v>0.30000000000000004</v>")
    write_parts(path, parts)
    return path


def test_calamine_reads_what_openpyxl_read(typed: Path) -> None:
    snapshot = XlsxWorkbook(typed).read()
    assert snapshot.tabs == _as_openpyxl_reads(typed)
    assert snapshot.tabs["Typed"][4][3] == "#DIV/0!"
    assert snapshot.tabs["Typed"][1][:3] == ["  spaced  ", 42, 0.30000000000000004]
    assert type(snapshot.tabs["Typed"][1][1]) is int
    assert snapshot.tabs["Typed"][1][3] == dt.datetime(2026, 3, 1)
    assert snapshot.titles == ("Typed", "Later", "Empty")
    assert snapshot.hidden == frozenset({"Later"})
    assert snapshot.tabs["Empty"] == []


def test_the_demo_workbook_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    init(path, lang="zh", demo=True, as_of=dt.date(2026, 11, 24))
    assert XlsxWorkbook(path).read().tabs == _as_openpyxl_reads(path)


def test_only_the_selected_tabs_are_read(typed: Path) -> None:
    snapshot = XlsxWorkbook(typed).read(only("Later"))
    assert list(snapshot.tabs) == ["Later"]
    assert snapshot.titles == ("Typed", "Later", "Empty")


def test_error_cells_with_and_without_their_place() -> None:
    part = (b'<worksheet xmlns="x"><sheetData><row r="2"><c r="B2" t="e"><v>#N/A</v></c></row>'
            b'<row><c t="n"><v>1</v></c><c t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
            b'<x:row r="9"><x:c r="C9" t="e"><x:v>#REF!</x:v></x:c></x:row></sheetData>'
            b'</worksheet>')
    pieces = iter([part[:70], part[70:140], part[140:]])
    assert error_cells(pieces) == {(2, 2): "#N/A", (3, 2): "#DIV/0!", (9, 3): "#REF!"}


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """Tabs with no error and no boolean cell (the usual ones): numbers that equal 0 and 1,
    whole and not, dates, times, texts repeated across tabs, blanks at the ends of rows."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Deals"
    first.append(["ID", "Amount", "Share", "Created", "At", "Took", "Note", "Big"])
    first.append(["OPP-1", 1.0, 0.0, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30),
                  dt.time(10, 30), "  ", 2.0 ** 53])
    first.append(["OPP-2", -0.0, 0.5, dt.date(2026, 3, 1), None, dt.timedelta(hours=30),
                  "Lead", 2 ** 60])
    first.append(["OPP-3", 1e-300, 0.1 + 0.2, None, None, None, " ", None])
    first.append([None, None, "", None])
    second = book.create_sheet("Activities")
    second.append(["Lead", 1, 0, dt.date(2026, 3, 1), "OPP-1"])
    second.append(["Lead", 1.0, None, None, "  "])
    path = tmp_path / "plain.xlsx"
    book.save(path)
    return path


def test_plain_parts_convert_as_every_cell_did_one_by_one(plain: Path) -> None:
    """The lookup per value (parts with no error or boolean) gives the grids, and the types,
    that the step per cell gives."""
    snapshot = XlsxWorkbook(plain).read()
    book = CalamineWorkbook.from_path(str(plain))
    for title, grid in snapshot.tabs.items():
        typed = xlsx_read._grid(book.get_sheet_by_name(title).to_python(
            skip_empty_area=False), {})
        assert [[(type(v), v) for v in row] for row in grid] == \
            [[(type(v), v) for v in row] for row in typed]
    deals = snapshot.tabs["Deals"]
    assert deals[1][1:3] == [1, 0] and type(deals[1][1]) is int and type(deals[2][1]) is int
    assert type(deals[1][7]) is float and deals[2][7] == 2 ** 60
    assert deals[1][3] == dt.datetime(2026, 3, 1) and deals[1][5] == "10:30:00"
    assert len(deals[3]) == 3 and len(deals) == 4  # blanks at the ends dropped


def test_booleans_beside_equal_numbers_keep_their_type(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append([1.0, True, 0, False, 1])
    book.active.append([True, 1.0, False, 0.0])
    path = tmp_path / "yes.xlsx"
    book.save(path)
    grid = XlsxWorkbook(path).read().tabs["Sheet"]
    assert [[(type(v), v) for v in row] for row in grid] == [
        [(int, 1), (bool, True), (int, 0), (bool, False), (int, 1)],
        [(bool, True), (int, 1), (bool, False), (int, 0)]]
    # a boolean the search of the bytes missed, met first: the rows convert one cell at a time
    converted = xlsx_read._plain_grid([["a", 2.0, ""], [True, 1.0, ""]], xlsx_read._Seen())
    assert [[(type(v), v) for v in row] for row in converted] == [
        [(str, "a"), (int, 2)], [(bool, True), (int, 1)]]


def test_data_away_from_a1_keeps_its_place(tmp_path: Path) -> None:
    """calamine hands rows over from the first column holding a value; the grid still starts
    at A1, both for the plain parts and for those with a boolean or an error."""
    book = openpyxl.Workbook()
    book.active.title = "Plain"
    book.active["B3"] = "Deal"
    book.active["D3"] = 2.5
    book.active["C4"] = 7
    marked = book.create_sheet("Marked")
    marked["C2"] = True
    marked["D5"] = "=1/0"
    book.create_sheet("Empty")
    path = tmp_path / "away.xlsx"
    book.save(path)
    parts = read_parts(path)
    parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"].replace(
        b'<c r="D5"><f>1/0</f><v /></c>', b'<c r="D5" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    write_parts(path, parts)
    tabs = XlsxWorkbook(path).read().tabs
    assert [[(type(v), v) for v in row] for row in tabs["Plain"]] == [
        [], [], [(type(None), None), (str, "Deal"), (type(None), None), (float, 2.5)],
        [(type(None), None), (type(None), None), (int, 7)]]
    assert tabs["Marked"] == [[], [None, None, True], [], [], [None, None, None, "#DIV/0!"]]
    assert tabs["Empty"] == []
    assert tabs == _as_openpyxl_reads(path)


@pytest.mark.parametrize("mark", [b't="e"', b"t='b'", b't="b"'])
def test_a_part_with_an_error_or_a_boolean_is_found_even_across_chunks(mark: bytes) -> None:
    part = b'<sheetData><row r="1"><c r="A1" ' + mark + b"><v>1</v></c></row></sheetData>"
    cut = part.index(mark) + 3
    assert not xlsx_read._plain(iter([part[:cut], part[cut:]]))
    assert xlsx_read._plain(iter([part.replace(mark, b't="n"')]))
