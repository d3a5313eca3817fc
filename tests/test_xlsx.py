"""The .xlsx backend: people's work survives, only planned cells change, failures touch nothing."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from sheetfunnel.errors import (
    WorkbookError,
    WorkbookLocked,
    WorkbookNotFound,
    WorkbookNotWritable,
    WorkbookUnreadable,
)
from sheetfunnel.plan import (
    Bold,
    CellRange,
    CellWrite,
    Chart,
    Dropdown,
    Highlight,
    Looks,
    Note,
    NumberFormat,
    Protection,
    Series,
    TabSpec,
    WritePlan,
)
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.xlsx_parts import read_parts, write_parts

SCORE_COL, FLAGS_COL = 6, 7  # the worker-owned columns of the test workbook
CACHED_TOTAL = 42


def _cache_formula_values(path: Path) -> None:
    """Give E2's formula a cached value, as Excel leaves one (openpyxl writes none)."""
    parts = read_parts(path)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<f>C2*D2</f><v />",
                                        f"<f>C2*D2</f><v>{CACHED_TOTAL}</v>".encode())
    write_parts(path, parts)


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    """A workbook a sales team made: formulas, formats, widths, validation, colours, a notes tab."""
    book = openpyxl.Workbook()
    deals = book.active
    deals.title = "Opportunities"
    deals.append(["ID", "Stage", "Qty", "Price", "Total", "Score", "Flags"])
    deals.append(["OPP-1", "Lead", 6, 7, "=C2*D2"])
    deals.append(["OPP-2", "Proposal", 2, 1500.5, "=C3*D3"])
    deals.append(["OPP-3", "=HYPERLINK(\"x\")", None, dt.date(2026, 3, 1), None])
    deals["D3"].number_format = '"$"#,##0.00'
    deals.column_dimensions["B"].width = 21
    mine = DataValidation(type="whole", operator="between", formula1="0", formula2="100")
    mine.add("C2:C100")
    deals.add_data_validation(mine)
    deals.conditional_formatting.add("D2:D100", CellIsRule(operator="greaterThan",
                                                           formula=["1000"],
                                                           fill=PatternFill("solid", "FF0000",
                                                                            "FF0000")))
    notes = book.create_sheet("Notes")
    notes["A1"] = "Call Bob on Friday"
    notes["B2"] = "=Opportunities!C2+1"
    stages = book.create_sheet("Stages")
    for row in (["Stage"], ["Lead"], ["Proposal"], ["Won"]):
        stages.append(row)
    path = tmp_path / "pipeline.xlsx"
    book.save(path)
    _cache_formula_values(path)
    return path


def _owned_plan(rows: int = 4) -> WritePlan:
    """What a run writes: owned cells, a Summary tab, and every kind of look."""
    cells = [CellWrite("Opportunities", r, SCORE_COL, 50 + r) for r in range(2, rows + 1)]
    cells += [CellWrite("Opportunities", 2, FLAGS_COL, "⏰ Follow-up overdue"),
              CellWrite("Summary", 1, 1, "Stage"), CellWrite("Summary", 1, 2, "Reached"),
              CellWrite("Summary", 2, 1, "Lead"), CellWrite("Summary", 2, 2, 3),
              CellWrite("Summary", 3, 1, "Won"), CellWrite("Summary", 3, 2, 1),
              CellWrite("Summary", 4, 1, "=SUM(B2:B3)"), CellWrite("Summary", 5, 1,
                                                                   dt.date(2026, 11, 24))]
    flags = CellRange("Opportunities", 2, FLAGS_COL)
    looks = Looks(
        number_formats=(NumberFormat(CellRange("Opportunities", 2, SCORE_COL), "0.0"),),
        bold=(Bold(CellRange("Summary", 1, 1, 1, 2)),),
        highlights=(Highlight(flags, "begins", "⏰", "#FFEB9C"),
                    Highlight(flags, "contains", "Stalled", "#FFC7CE"),
                    Highlight(CellRange("Opportunities", 2, SCORE_COL), "equals", "A",
                              "#C6EFCE")),
        notes=(Note("Opportunities", 1, SCORE_COL, "Maintained by sheetfunnel."),),
        dropdowns=(Dropdown(CellRange("Opportunities", 2, 2), CellRange("Stages", 2, 1, 4)),),
        charts=(Chart("Summary", "Funnel", 1, 4, CellRange("Summary", 2, 1, 3),
                      (Series(CellRange("Summary", 2, 2, 3)),)),),
        protections=(Protection(CellRange("Summary", 1, 1), "worker"),),
    )
    return WritePlan((TabSpec("Summary", frozen_rows=1, column_widths=((1, 30.0),)),
                      TabSpec("_sheetfunnel", hidden=True)), tuple(cells), looks)


def _person_cells(path: Path) -> dict[tuple[str, str], tuple]:
    """Value (formula text), number format and font of every cell a person owns."""
    book = openpyxl.load_workbook(path)
    cells = {}
    for sheet in book.worksheets:
        if sheet.title in ("Summary", "_sheetfunnel"):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                if sheet.title == "Opportunities" and cell.column >= SCORE_COL and cell.row > 1:
                    continue
                cells[(sheet.title, cell.coordinate)] = (cell.value, cell.number_format,
                                                         cell.font.b)
    return cells


def _apply(path: Path, plan: WritePlan) -> XlsxWorkbook:
    workbook = XlsxWorkbook(path)
    workbook.read()
    workbook.apply(plan)
    return workbook


def test_read_shows_values_as_a_person_sees_them(book_path: Path) -> None:
    snapshot = XlsxWorkbook(book_path).read()
    deals = snapshot.tabs["Opportunities"]
    assert list(snapshot.tabs) == ["Opportunities", "Notes", "Stages"]
    assert deals[0] == ["ID", "Stage", "Qty", "Price", "Total", "Score", "Flags"]
    assert deals[1] == ["OPP-1", "Lead", 6, 7, CACHED_TOTAL]
    assert deals[3][3] == dt.datetime(2026, 3, 1)
    # openpyxl saves formulas without a computed value: B2 reads as empty until Excel saves
    assert snapshot.tabs["Notes"] == [["Call Bob on Friday"]]
    assert snapshot.hidden == frozenset()


def test_person_cells_formats_and_rules_survive(book_path: Path) -> None:
    before = _person_cells(book_path)
    workbook = _apply(book_path, _owned_plan())

    assert _person_cells(book_path) == before
    book = openpyxl.load_workbook(book_path)
    deals = book["Opportunities"]
    assert deals["E2"].value == "=C2*D2"
    assert XlsxWorkbook(book_path).read().tabs["Opportunities"][1][4] == CACHED_TOTAL
    assert deals.column_dimensions["B"].width == 21
    assert [(str(dv.sqref), dv.type) for dv in deals.data_validations.dataValidation] == [
        ("C2:C100", "whole"), ("B2:B1048576", "list")]
    assert "D2:D100" in [str(cf.sqref) for cf in deals.conditional_formatting]
    assert book["Notes"]["B2"].value == "=Opportunities!C2+1"
    assert [deals.cell(r, SCORE_COL).value for r in (2, 3, 4)] == [52, 53, 54]
    assert deals.cell(2, SCORE_COL).number_format == "0.0"
    assert deals.cell(1, SCORE_COL).comment.text == "Maintained by sheetfunnel."
    assert workbook.io.cells_written == 3 + 1 + 8


def test_worker_tabs_get_their_settings(book_path: Path) -> None:
    _apply(book_path, _owned_plan())
    book = openpyxl.load_workbook(book_path)
    summary = book["Summary"]
    assert book.sheetnames == ["Opportunities", "Notes", "Stages", "Summary", "_sheetfunnel"]
    assert book["_sheetfunnel"].sheet_state == "hidden"
    assert summary.freeze_panes == "A2"
    assert summary.column_dimensions["A"].width == 30
    assert summary["A1"].font.b and summary["B1"].font.b
    assert XlsxWorkbook(book_path).read().hidden == frozenset({"_sheetfunnel"})


def test_text_is_never_a_formula_and_dates_are_date_cells(book_path: Path) -> None:
    _apply(book_path, _owned_plan())
    summary = openpyxl.load_workbook(book_path)["Summary"]
    assert summary["A4"].value == "=SUM(B2:B3)" and summary["A4"].data_type == "s"
    assert XlsxWorkbook(book_path).read().tabs["Summary"][3] == ["=SUM(B2:B3)"]
    assert summary["A5"].is_date and summary["A5"].number_format == "yyyy-mm-dd"
    assert summary["A5"].value == dt.datetime(2026, 11, 24)


def test_a_plan_that_changes_nothing_saves_nothing(book_path: Path) -> None:
    _apply(book_path, _owned_plan())
    content, stamp = book_path.read_bytes(), book_path.stat().st_mtime_ns
    again = _apply(book_path, _owned_plan())
    assert again.io.cells_written == 0
    assert book_path.read_bytes() == content
    assert book_path.stat().st_mtime_ns == stamp


def test_ten_runs_leave_one_rule_dropdown_and_chart_of_each(book_path: Path) -> None:
    for _ in range(10):
        _apply(book_path, _owned_plan())
    book = openpyxl.load_workbook(book_path)
    deals = book["Opportunities"]
    rules = [(str(cf.sqref), rule.type) for cf in deals.conditional_formatting
             for rule in cf.rules]
    assert sorted(rules) == sorted([("D2:D100", "cellIs"), ("G2:G1048576", "beginsWith"),
                                    ("G2:G1048576", "containsText"),
                                    ("F2:F1048576", "cellIs")])
    assert len(deals.data_validations.dataValidation) == 2
    assert len(book["Summary"]._charts) == 1


def test_changed_looks_replace_the_workers_own(book_path: Path) -> None:
    _apply(book_path, _owned_plan())
    plan = _owned_plan()
    looks = Looks(highlights=(Highlight(CellRange("Opportunities", 2, FLAGS_COL), "begins",
                                        "⏰", "#FFEB9C"),),
                  dropdowns=(Dropdown(CellRange("Opportunities", 2, 2),
                                      CellRange("Stages", 2, 1, 3)),),
                  charts=(Chart("Summary", "Funnel", 1, 4, CellRange("Summary", 2, 1, 2),
                                (Series(CellRange("Summary", 2, 2, 2)),)),))
    _apply(book_path, WritePlan(plan.tabs, plan.cells, looks))
    deals = openpyxl.load_workbook(book_path)["Opportunities"]
    lists = [dv.formula1 for dv in deals.data_validations.dataValidation if dv.type == "list"]
    assert lists == ["Stages!$A$2:$A$3"]
    flag_rules = [r.type for cf in deals.conditional_formatting if "G2" in str(cf.sqref)
                  for r in cf.rules]
    assert flag_rules == ["beginsWith"]
    assert "D2:D100" in [str(cf.sqref) for cf in deals.conditional_formatting]


def test_backup_holds_the_previous_bytes(book_path: Path) -> None:
    previous = book_path.read_bytes()
    _apply(book_path, _owned_plan())
    backup = book_path.with_name("pipeline.xlsx.bak")
    assert backup.read_bytes() == previous
    assert book_path.read_bytes() != previous
    assert not [p for p in book_path.parent.iterdir() if p.name.endswith(".tmp")]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.xlsx"
    with pytest.raises(WorkbookNotFound, match=r"There is no workbook at .*nowhere\.xlsx.*init"):
        XlsxWorkbook(path).read()
    assert not path.exists()


@pytest.mark.parametrize("name, content", [
    ("random.xlsx", bytes(range(256)) * 40),
    ("notes.xlsx", b"Stage,Amount\nLead,100\n"),
    ("notes.txt", b"just text"),
])
def test_not_a_workbook(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WorkbookUnreadable, match=rf"{re.escape(name)} is not an Excel workbook"
                                                 r".*save it as an \.xlsx"):
        XlsxWorkbook(path).read()
    with pytest.raises(WorkbookUnreadable):
        XlsxWorkbook(path).apply(_owned_plan())
    assert path.read_bytes() == content


def test_read_only_file(book_path: Path) -> None:
    book_path.chmod(0o444)  # no write bit for anyone: read-only for root too
    content = book_path.read_bytes()
    with pytest.raises(WorkbookNotWritable, match=r"pipeline\.xlsx cannot be written"):
        _apply(book_path, _owned_plan())
    assert book_path.read_bytes() == content


def test_a_failed_save_leaves_the_file_alone(book_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    content = book_path.read_bytes()

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WorkbookNotWritable, match=r"cannot be written \(Permission denied\)"):
        _apply(book_path, _owned_plan())
    assert book_path.read_bytes() == content
    assert not [p for p in book_path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("owner", ["~$pipeline.xlsx", ".~lock.pipeline.xlsx#"])
def test_open_in_excel_or_libreoffice(book_path: Path, owner: str) -> None:
    (book_path.parent / owner).write_bytes(b"someone")
    content = book_path.read_bytes()
    with pytest.raises(WorkbookLocked, match=r"open in Excel or LibreOffice.*Close it there"):
        _apply(book_path, _owned_plan())
    assert book_path.read_bytes() == content


def test_saved_by_someone_during_the_run(book_path: Path) -> None:
    workbook = XlsxWorkbook(book_path)
    workbook.read()
    book = openpyxl.load_workbook(book_path)
    book["Notes"]["A2"] = "typed while the worker ran"
    book.save(book_path)
    content = book_path.read_bytes()
    with pytest.raises(WorkbookLocked, match="changed while sheetfunnel was running.*run again"):
        workbook.apply(_owned_plan())
    assert book_path.read_bytes() == content


def test_create_refuses_to_overwrite(book_path: Path) -> None:
    with pytest.raises(WorkbookError, match=r"already exists.*--force"):
        XlsxWorkbook.create(book_path)
    previous = book_path.read_bytes()
    fresh = XlsxWorkbook.create(book_path, overwrite=True)
    fresh.apply(WritePlan((TabSpec("Summary"),), (CellWrite("Summary", 1, 1, "new"),)))
    assert openpyxl.load_workbook(book_path).sheetnames == ["Summary"]
    assert book_path.with_name("pipeline.xlsx.bak").read_bytes() == previous


def test_create_writes_nothing_for_an_empty_plan(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    XlsxWorkbook.create(path).apply(WritePlan())
    assert not path.exists()
