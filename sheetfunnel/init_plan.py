"""What ``init`` writes: a starter workbook, or the tabs an existing Google Sheet lacks, with
the worker's own tabs among them recorded as the worker's (opening and writing: ``api.init``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from sheetfunnel import schema
from sheetfunnel.demo_data import make_demo
from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.resources import data_path
from sheetfunnel.starter import starter_plan
from sheetfunnel.tabs.state import STATE_TAB, TabRecord, tab_cells
from sheetfunnel.workbook.base import Snapshot, new_tab_id


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


def record_owned_tabs(plan: WritePlan, lang: str, *, titles: Sequence[str] = (),
                      ids: Mapping[str, str] | None = None) -> WritePlan:
    """``plan`` with the worker's own tabs it makes given ids and recorded in ``_sheetfunnel``,
    so that the first run knows them as the worker's. ``titles`` and ``ids`` describe the
    workbook the plan is applied to (nothing, for a new file)."""
    ids = ids or {}
    made = {t.title for t in plan.tabs}
    taken = set(ids.values())
    records: dict[str, TabRecord] = {}
    for role in schema.OWNED_TABS:
        title = schema.display_name(lang, role)
        made_with_them = role == "state" and STATE_TAB not in titles and records
        if title in made or made_with_them:  # the state tab is made to hold the records
            records[role] = TabRecord(new_tab_id(title, taken), title)
            taken.add(records[role].tab_id)
    if not records:
        return plan
    ids_by_title = {record.title: record.tab_id for record in records.values()}
    tabs = tuple(dataclasses.replace(t, tab_id=ids_by_title.get(t.title)) for t in plan.tabs)
    if "state" in records:
        tabs += (TabSpec(STATE_TAB, hidden=True, tab_id=records["state"].tab_id),)
    cells = tuple(CellWrite(STATE_TAB, row, col, value)
                  for (row, col), value in tab_cells(records).items())
    return dataclasses.replace(plan, tabs=tabs, cells=plan.cells + cells)


def init_plan(lang: str, *, demo: bool, as_of: dt.date,
              existing: Snapshot | None = None) -> WritePlan:
    """What ``init`` writes: the starter workbook, or the tabs ``existing`` (a spreadsheet's
    titles and ids) lacks; the worker's own tabs among them recorded as the worker's."""
    plan = build_starter(lang, demo=demo, as_of=as_of)
    if existing is None:
        return record_owned_tabs(plan, lang)
    kept = set(existing.titles)
    if schema.display_name(lang, "opportunities") in kept:  # a sheet with deals of its own:
        kept.add(schema.display_name(lang, "targets"))  # no demo targets naming other reps
    return record_owned_tabs(only_missing_tabs(plan, kept), lang, titles=existing.titles,
                             ids=existing.ids)
