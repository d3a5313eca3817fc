"""Formula cells people own keep their computed values after sheetfunnel saves the workbook."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula

from sheetfunnel.plan import CellWrite, WritePlan
from sheetfunnel.workbook import xlsx_package
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.xlsx_parts import read_parts, write_parts

SCORE_COL, FLAGS_COL = 6, 7
CLOSE_DAY = dt.datetime(2026, 3, 1)

# What Excel leaves in the file: cell -> (t attribute, formula element, cached value)
OPPORTUNITIES = {
    "E2": ("n", '<f t="shared" ref="E2:E4" si="0">C2*D2</f>', "42"),
    "E3": ("n", '<f t="shared" si="0"/>', "3001"),
    "E4": ("n", '<f t="shared" si="0"/>', "0"),
    "G3": ("str", "<f>B3</f>", "Proposal"),  # typed into the worker's Flags column
    "H2": ("str", '<f>B2&amp;" deal"</f>', "Lead deal"),
    "H3": ("str", '<f>B3&amp;" deal"</f>', "Proposal &amp; co&#13;\n"),
    "H4": ("s", '<f>B4&amp;" deal"</f>', "0"),  # index into the shared text table
    "I2": ("b", "<f>E2&gt;1000</f>", "0"),
    "I3": ("b", "<f>E3&gt;1000</f>", "1"),
    "J4": ("e", "<f>E4/C4</f>", "#DIV/0!"),
    "K2": ("n", "<f>DATE(2026,3,1)+C2</f>", str(to_excel(CLOSE_DAY + dt.timedelta(6)))),
    "L2": ("n", '<f t="array" ref="L2">SUM(C2:C4*D2:D4)</f>', "3043"),
}
NOTES = {"B2": ("n", "<f>Opportunities!E2+1</f>", "43")}
SHARED_TEXT = "Won deal"

# What a person sees in those cells (read() after the worker's save)
SEEN = {
    ("Opportunities", "E2"): 42, ("Opportunities", "E3"): 3001, ("Opportunities", "E4"): 0,
    ("Opportunities", "H2"): "Lead deal", ("Opportunities", "H3"): "Proposal & co\r\n",
    ("Opportunities", "H4"): SHARED_TEXT, ("Opportunities", "I2"): False,
    ("Opportunities", "I3"): True, ("Opportunities", "J4"): "#DIV/0!",
    ("Opportunities", "K2"): CLOSE_DAY + dt.timedelta(6), ("Opportunities", "L2"): 3043,
    ("Notes", "B2"): 43, ("Notes", "B3"): None,  # B3 never had a value: still none
}


def _cells_as_excel_leaves_them(xml: bytes, cells: dict[str, tuple[str, str, str]]) -> bytes:
    for place, (kind, formula, value) in cells.items():
        xml, found = re.subn(rf'<c r="{place}"( s="\d+")?[^>]*>.*?</c>'.encode(),
                             rf'<c r="{place}"\1 t="{kind}">{formula}<v>{value}</v></c>'
                             .encode(), xml)
        assert found == 1, place
    return xml


def _as_excel_saves_it(path: Path) -> None:
    """Cached values, shared and array formulas, a shared text table, cells without ``r``,
    and worksheet parts not in tab order (Opportunities lives in sheet2.xml)."""
    parts = read_parts(path)
    first, second = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"
    deals = _cells_as_excel_leaves_them(parts[first], OPPORTUNITIES)
    deals = re.sub(rb'<c r="([A-D]|[IJ])4"', b"<c", deals)  # positions implied by order
    parts[first], parts[second] = _cells_as_excel_leaves_them(parts[second], NOTES), deals
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"sheet1.xml", b"sheetX").replace(
        b"sheet2.xml", b"sheet1.xml").replace(b"sheetX", b"sheet2.xml")
    parts[rels] = parts[rels].replace(b"</Relationships>", (
        b'<Relationship Id="rIdText" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
        b"</Relationships>"))
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>' + SHARED_TEXT.encode() + b"</t></si></sst>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    write_parts(path, parts)


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    """Deals with formula columns a person keeps: amounts, labels, checks, dates, a total."""
    book = openpyxl.Workbook()
    deals = book.active
    deals.title = "Opportunities"
    deals.append(["ID", "Stage", "Qty", "Price", "Amount", "Score", "Flags", "Label",
                  "Big deal", "Per unit", "Close", "Pipeline"])
    for number, (stage, qty, price) in enumerate(
            [("Lead", 6, 7), ("Proposal", 2, 1500.5), ("Won", 0, 9)], start=2):
        deals.append([f"OPP-{number - 1}", stage, qty, price, f"=C{number}*D{number}", None,
                      None, f'=B{number}&" deal"', f"=E{number}>1000", f"=E{number}/C{number}"])
    deals["G3"] = "=B3"
    deals["K2"] = "=DATE(2026,3,1)+C2"
    deals["K2"].number_format = "yyyy-mm-dd"
    deals["L2"] = ArrayFormula("L2", "=SUM(C2:C4*D2:D4)")
    notes = book.create_sheet("Notes")
    notes["A1"] = "Check the big ones"
    notes["B2"] = "=Opportunities!E2+1"
    notes["B3"] = "=Opportunities!E3+1"
    path = tmp_path / "pipeline.xlsx"
    book.save(path)
    _as_excel_saves_it(path)
    return path


def _seen(path: Path) -> dict[tuple[str, str], object]:
    tabs = XlsxWorkbook(path).read().tabs
    return {(tab, place): _at(tabs[tab], place) for tab, place in SEEN}


def _at(grid: list[list[object]], place: str) -> object:
    column, row = openpyxl.utils.cell.coordinate_from_string(place)
    cells = grid[row - 1] if row <= len(grid) else []
    index = openpyxl.utils.column_index_from_string(column) - 1
    return cells[index] if index < len(cells) else None


def _formulas(path: Path) -> dict[tuple[str, str], object]:
    book = openpyxl.load_workbook(path)
    return {(sheet.title, cell.coordinate): (cell.value.text, cell.value.ref)
            if isinstance(cell.value, ArrayFormula) else cell.value
            for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"}


def _scores(points: int) -> WritePlan:
    cells = [CellWrite("Opportunities", row, SCORE_COL, points + row) for row in (2, 3, 4)]
    cells.append(CellWrite("Opportunities", 3, FLAGS_COL, "⏰ Follow-up overdue"))
    return WritePlan(cells=tuple(cells))


def _run(path: Path, plan: WritePlan) -> None:
    workbook = XlsxWorkbook(path)
    workbook.read()
    workbook.apply(plan)


def test_the_fixture_reads_as_excel_left_it(book_path: Path) -> None:
    assert _seen(book_path) == SEEN
    assert _at(XlsxWorkbook(book_path).read().tabs["Opportunities"], "G3") == "Proposal"


def test_formula_cells_keep_their_values_and_formulas(book_path: Path) -> None:
    formulas = _formulas(book_path)
    del formulas[("Opportunities", "G3")]  # the worker's cell: its value replaces the formula
    _run(book_path, _scores(50))

    assert _seen(book_path) == SEEN
    assert _formulas(book_path) == formulas
    assert formulas[("Opportunities", "E4")] == "=C4*D4"  # a shared formula, unshared
    assert formulas[("Opportunities", "L2")] == ("=SUM(C2:C4*D2:D4)", "L2")
    deals = XlsxWorkbook(book_path).read().tabs["Opportunities"]
    assert [_at(deals, f"F{row}") for row in (2, 3, 4)] == [52, 53, 54]
    assert _at(deals, "G3") == "⏰ Follow-up overdue"


def test_values_survive_run_after_run(book_path: Path) -> None:
    for points in (50, 60, 70):
        _run(book_path, _scores(points))
    assert _seen(book_path) == SEEN
    assert _at(XlsxWorkbook(book_path).read().tabs["Opportunities"], "F4") == 74


@pytest.mark.parametrize("settings", [b'<calcPr calcId="191029" fullCalcOnLoad="0"/>', b""])
def test_excel_recalculates_when_it_opens_the_file(book_path: Path, settings: bytes) -> None:
    """Settings that say not to recalculate on open, or none at all."""
    parts = read_parts(book_path)
    parts["xl/workbook.xml"], found = re.subn(rb"<calcPr[^>]*/>", settings,
                                              parts["xl/workbook.xml"])
    assert found == 1
    write_parts(book_path, parts)

    _run(book_path, _scores(50))
    saved = re.findall(rb"<calcPr[^>]*>", read_parts(book_path)["xl/workbook.xml"])
    assert len(saved) == 1 and b'fullCalcOnLoad="1"' in saved[0]
    assert _seen(book_path) == SEEN


def test_values_found_across_piece_boundaries(book_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A big sheet is filled piece by piece; tiny pieces put every cell near a boundary."""
    monkeypatch.setattr(xlsx_package, "_CHUNK", 37)
    _run(book_path, _scores(50))
    assert _seen(book_path) == SEEN


def test_a_shared_formula_started_in_a_workers_cell_lives_on_in_a_persons_cells(
        tmp_path: Path) -> None:
    """A person filled a formula down the Score column past the deals: the worker's cells
    take values, the cells below keep the formula, written out for each."""
    book = openpyxl.Workbook()
    deals = book.active
    deals.title = "Opportunities"
    deals.append(["ID", "Stage", "Qty", "Price", "Amount", "Score"])
    for number in range(2, 7):
        deals.append([f"OPP-{number}", "Lead", number, 10, None, f"=C{number}*D{number}"])
    path = tmp_path / "pipeline.xlsx"
    book.save(path)
    parts = read_parts(path)
    sheet = "xl/worksheets/sheet1.xml"
    shared = {2: b'<f t="shared" ref="F2:F6" si="0">C2*D2</f><v>20</v>'}
    shared.update({row: f'<f t="shared" si="0"/><v>{row * 10}</v>'.encode()
                   for row in range(3, 7)})
    for row, inner in shared.items():
        parts[sheet], found = re.subn(rf'<c r="F{row}"><f>C{row}\*D{row}</f><v\s*/></c>'
                                      .encode(), b'<c r="F%d">' % row + inner + b"</c>",
                                      parts[sheet])
        assert found == 1, row
    write_parts(path, parts)

    _run(path, WritePlan(cells=tuple(CellWrite("Opportunities", row, 6, 50 + row)
                                     for row in (2, 3, 4))))
    formulas = {cell.coordinate: cell.value for cell in openpyxl.load_workbook(path)
                ["Opportunities"]["F"]}
    assert formulas == {"F1": "Score", "F2": 52, "F3": 53, "F4": 54, "F5": "=C5*D5",
                        "F6": "=C6*D6"}
    assert b'<c r="F6"><f>C6*D6</f><v>60</v></c>' in read_parts(path)[sheet]
    assert [_at(XlsxWorkbook(path).read().tabs["Opportunities"], f"F{r}") for r in (5, 6)] == \
        [50, 60]


def test_the_calculation_chain_forgets_the_formulas_the_worker_replaced(book_path: Path) -> None:
    """Excel calls a file damaged when its calculation chain names a cell without a formula."""
    parts = read_parts(book_path)
    parts["xl/calcChain.xml"] = (
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="G3" i="1"/><c r="E3"/><c r="B2" i="2"/></calcChain>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdChain" Type="http://schemas.openxmlformats.'
        b'org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
        b"</Relationships>")
    write_parts(book_path, parts)
    _run(book_path, _scores(50))  # G3 (a formula in the worker's Flags column) gets text
    chain = read_parts(book_path)["xl/calcChain.xml"]
    assert re.findall(rb'<c r="(\w+)" i="(\d)"/>', chain) == [(b"E3", b"1"), (b"B2", b"2")]
