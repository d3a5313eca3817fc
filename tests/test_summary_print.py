"""The worker's own tabs print well from .xlsx (landscape, one page wide, the title row on every
page; the demo's and the Maven sheet's Summary on at most two pages) and no rendered cell of
the Summary, Attention or Opportunities shows ``###`` in either language (LibreOffice prints;
the tests skip without it). A person's tab keeps the print settings its people gave it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import schema
from sheetfunnel.api import init
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.maven_crm import maven_tabs
from tests.support.parity import AS_OF, save_grids
from tests.support.printing import need_tools, page_count, print_tabs, shown_text


@pytest.fixture(scope="module", params=["en", "zh"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[str, Path]:
    lang = request.param
    path = tmp_path_factory.mktemp("print") / f"{lang}.xlsx"
    init(path, lang=lang, demo=True, as_of=AS_OF)
    book = openpyxl.load_workbook(path)
    book[schema.display_name(lang, "opportunities")].page_setup.orientation = "portrait"
    book.save(path)
    run_once(XlsxWorkbook(path), as_of=AS_OF)
    return lang, path


def test_the_workers_tabs_print_landscape_one_page_wide_a_persons_tab_as_it_was(demo):
    lang, path = demo
    book = openpyxl.load_workbook(path)
    for role in ("summary", "attention"):
        sheet = book[schema.display_name(lang, role)]
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
    person = book[schema.display_name(lang, "opportunities")]
    assert person.page_setup.orientation == "portrait" and person.print_title_rows is None
    assert not person.sheet_properties.pageSetUpPr or \
        not person.sheet_properties.pageSetUpPr.fitToPage


def test_the_demo_summary_prints_on_two_pages_and_no_cell_shows_hashes(demo, tmp_path):
    need_tools()
    lang, path = demo
    titles = [schema.display_name(lang, role) for role in ("summary", "attention",
                                                           "opportunities")]
    pdfs = print_tabs(path, titles, tmp_path)
    for title, pdf in pdfs.items():
        assert "###" not in shown_text(pdf), title
    summary = pdfs[titles[0]]
    assert page_count(summary) <= 2
    assert ("平均成交周期（天）" if lang == "zh" else "Average cycle (days)") in shown_text(summary)


def test_the_maven_sheets_summary_prints_on_two_pages(datasets, tmp_path):
    need_tools()
    path = tmp_path / "maven.xlsx"
    save_grids(path, maven_tabs(datasets, typed_amounts=True))
    run_once(XlsxWorkbook(path), as_of=dt.date(2017, 12, 15))
    pdf = print_tabs(path, ["Summary"], tmp_path)["Summary"]
    assert page_count(pdf) <= 2
    assert "###" not in shown_text(pdf)
