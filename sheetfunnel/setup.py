"""``init``: a starter workbook, or the missing tabs added to an existing Google Sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sheetfunnel.demo_data import make_demo
from sheetfunnel.plan import WritePlan
from sheetfunnel.resources import data_path
from sheetfunnel.starter import starter_plan
from sheetfunnel.workbook.base import only


def build_starter(lang: str, *, demo: bool, as_of: dt.date) -> WritePlan:
    defaults = data_path("config", "default.toml").read_text(encoding="utf-8")
    template = data_path("templates", "workbook.toml").read_text(encoding="utf-8")
    data = make_demo(as_of, lang=lang) if demo else None
    return starter_plan(lang, defaults, template, demo=data)


def only_missing_tabs(plan: WritePlan, existing: set[str]) -> WritePlan:
    """The part of a starter plan that touches tabs the spreadsheet does not have yet."""
    keep = {t.title for t in plan.tabs} - existing
    return WritePlan(
        tabs=tuple(t for t in plan.tabs if t.title in keep),
        cells=tuple(c for c in plan.cells if c.tab in keep),
        looks=plan.looks.on_tabs(keep),
    )


def init_workbook(path: Path | None, *, sheet: str | None = None,
                  credentials: Path | None = None, lang: str = "en", demo: bool = False,
                  force: bool = False, as_of: dt.date) -> str:
    """Create the starter workbook; returns the name to show."""
    plan = build_starter(lang, demo=demo, as_of=as_of)
    if sheet is not None:
        from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook

        spreadsheet = GoogleSheetsWorkbook.open(sheet, credentials_file=str(credentials)
                                                if credentials else None)
        existing = set(spreadsheet.read(only()).titles)
        spreadsheet.apply(only_missing_tabs(plan, existing))
        return spreadsheet.name
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    assert path is not None
    workbook = XlsxWorkbook.create(path, overwrite=force)
    workbook.apply(plan)
    return workbook.name
