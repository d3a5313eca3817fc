"""Workbooks saved by other programs round-trip through a run: openpyxl, python-calamine and
LibreOffice all read the worker's cells back as written, and a second run writes nothing.

LibreOffice (``soffice``, package ``libreoffice-calc``) saves one of the workbooks and converts
the result back; the tests that need it skip with the reason where it is not installed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import init
from sheetfunnel.diff import same_value
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook

AS_OF = dt.date(2026, 11, 24)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not "
                                       "installed; .ci/run installs libreoffice-calc")


def _libreoffice_saves(path: Path, folder: Path) -> Path:
    """``path`` opened and saved as .xlsx by LibreOffice; the new file."""
    assert SOFFICE is not None
    out = folder / "libreoffice"
    subprocess.run([SOFFICE, "--headless", "--norestore",
                    f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    return out / path.name


def _at(grid: Grid, row: int, col: int) -> Cell:
    cells = grid[row - 1] if row <= len(grid) else []
    return cells[col - 1] if col <= len(cells) else None


def _demo(tmp_path: Path, lang: str) -> Path:
    path = tmp_path / "made" / "pipeline.xlsx"
    path.parent.mkdir()
    init(path, lang=lang, demo=True, as_of=AS_OF)
    return path


@pytest.fixture(params=["openpyxl", pytest.param("libreoffice", marks=needs_libreoffice)])
def saved_elsewhere(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The demo workbook as another program saves it (shared strings, its own styles)."""
    made = _demo(tmp_path, "zh" if request.param == "libreoffice" else "en")
    path = tmp_path / "pipeline.xlsx"
    if request.param == "openpyxl":
        book = openpyxl.load_workbook(made)
        book.save(path)
    else:
        shutil.copy(_libreoffice_saves(made, tmp_path), path)
    return path


def _written(result) -> dict[tuple[str, int, int], Cell]:
    return {(w.tab, w.row, w.col): w.value for w in result.plan.cells}


def test_the_workers_cells_read_back_as_written(saved_elsewhere: Path) -> None:
    written = _written(run_once(XlsxWorkbook(saved_elsewhere), as_of=AS_OF))
    assert len(written) > 1000
    book = openpyxl.load_workbook(saved_elsewhere, data_only=True)
    grids = XlsxWorkbook(saved_elsewhere).read().tabs
    wrong_openpyxl = {key: (value, book[key[0]].cell(key[1], key[2]).value)
                      for key, value in written.items()
                      if not same_value(book[key[0]].cell(key[1], key[2]).value, value)}
    wrong_calamine = {key: (value, _at(grids[key[0]], key[1], key[2]))
                      for key, value in written.items()
                      if not same_value(_at(grids[key[0]], key[1], key[2]), value)}
    assert wrong_openpyxl == {}
    assert wrong_calamine == {}
    content = saved_elsewhere.read_bytes()
    assert run_once(XlsxWorkbook(saved_elsewhere), as_of=AS_OF).cells_written == 0
    assert saved_elsewhere.read_bytes() == content


@needs_libreoffice
def test_libreoffice_reads_the_result_with_the_same_values(tmp_path: Path) -> None:
    path = _demo(tmp_path, "en")
    written = _written(run_once(XlsxWorkbook(path), as_of=AS_OF))
    converted = _libreoffice_saves(path, tmp_path)
    grids = XlsxWorkbook(converted).read().tabs
    wrong = {key: (value, _at(grids[key[0]], key[1], key[2])) for key, value in written.items()
             if not same_value(_at(grids[key[0]], key[1], key[2]), value)}
    assert wrong == {}
    assert XlsxWorkbook(converted).read().hidden == frozenset({"_sheetfunnel"})
