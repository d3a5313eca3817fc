"""The starter workbook of ``sheetfunnel init``, as a WritePlan any backend can apply.

Pure: it takes the text of ``config/default.toml`` and ``templates/workbook.toml`` (the caller
reads the files) and returns the tabs, cells and looks of a new workbook. Only plan primitives
are used, so the same plan builds an .xlsx file or fills a Google Sheet.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sheetfunnel import schema
from sheetfunnel.demo_data import DemoData
from sheetfunnel.errors import UsageError
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import (
    Bold,
    CellRange,
    CellWrite,
    Dropdown,
    Looks,
    Note,
    NumberFormat,
    TabSpec,
    WritePlan,
)

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Column:
    """One column of a template tab; ``key`` is its role or its own key."""

    key: str
    header: str
    width: float | None = None
    number_format: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class StarterTab:
    role: str
    title: str
    frozen_rows: int
    columns: tuple[Column, ...]
    config: str | None = None
    text: str | None = None

    def column_of(self, key: str) -> int:
        """1-based column of ``key``; a key the template lacks is a programming error."""
        for number, column in enumerate(self.columns, start=1):
            if column.key == key:
                return number
        raise ValueError(f"the {self.role} template has no column {key!r}")


def starter_plan(lang: str, defaults_toml: str, template_toml: str, *,
                 demo: DemoData | None = None) -> WritePlan:
    """Every tab of the workbook with headers, Config tabs from the defaults, optional demo data."""
    if lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}.")
    template = tomllib.loads(template_toml)
    defaults = tomllib.loads(defaults_toml)
    words: Mapping[str, str] = template.get("translations", {}).get(lang, {})
    tabs = [starter_tab(entry, lang) for entry in template["tabs"]
            if demo is not None or not entry.get("demo_only", False)]
    demo_grids = demo.by_role() if demo is not None else {}
    cells: list[CellWrite] = []
    looks = Looks()
    for tab in tabs:
        rows = _config_rows(tab, defaults, words) if tab.config else \
            _demo_rows(tab, demo_grids.get(tab.role))
        cells += _tab_cells(tab, rows)
        looks += _tab_looks(tab)
    looks += _stage_dropdown(tabs, defaults)
    specs = tuple(TabSpec(t.title, frozen_rows=t.frozen_rows, column_widths=tuple(
        (n, float(c.width)) for n, c in enumerate(t.columns, start=1) if c.width),
        fitted=False) for t in tabs)
    return WritePlan(specs, tuple(cells), looks)


def starter_tab(entry: Mapping[str, Any], lang: str) -> StarterTab:
    """One ``[[tabs]]`` entry of the template, with names in ``lang``."""
    role = entry["role"]
    columns = tuple(_column(role, spec, lang) for spec in entry.get("columns", ()))
    text = entry.get("text", {}).get(lang)
    return StarterTab(role, schema.display_name(lang, role), int(entry.get("frozen_rows", 0)),
                      columns, entry.get("config"), text)


def _column(tab_role: str, spec: Mapping[str, Any], lang: str) -> Column:
    if "role" in spec:
        key = spec["role"]
        header = schema.display_name(lang, tab_role, key)
    else:
        key, header = spec["key"], spec[lang]
    note = spec.get("note", {}).get(lang)
    return Column(key, header, spec.get("width"), spec.get("format"), note)


def _config_rows(tab: StarterTab, defaults: Mapping[str, Any], words: Mapping[str, str]
                 ) -> Grid:
    """The rows of a Config tab: its section of the defaults, text translated."""
    def shown(value: Any) -> Cell:
        return words.get(value, value) if isinstance(value, str) else value

    assert tab.config is not None, "only Config tabs have rows from the defaults"
    return [[shown(row.get(c.key)) for c in tab.columns] for row in defaults[tab.config]]


def _demo_rows(tab: StarterTab, grid: Grid | None) -> Grid:
    """Demo rows rearranged from the demo's own column order to the template's."""
    if tab.text is not None:
        return [[tab.text]]
    if not grid:
        return []
    where = [tab.column_of(str(key)) for key in grid[0]]
    rows: Grid = []
    for source in grid[1:]:
        row: list[Cell] = [None] * len(tab.columns)
        for column, value in zip(where, source, strict=True):
            row[column - 1] = value
        rows.append(row)
    return rows


def _tab_cells(tab: StarterTab, rows: Grid) -> list[CellWrite]:
    header_row = 1 if tab.columns else 0
    cells = [CellWrite(tab.title, 1, n, c.header)
             for n, c in enumerate(tab.columns, start=1) if c.header]
    for r, row in enumerate(rows, start=header_row + 1):
        cells += [CellWrite(tab.title, r, n, v) for n, v in enumerate(row, start=1)
                  if v is not None]
    return cells


def _tab_looks(tab: StarterTab) -> Looks:
    if not tab.columns:
        return Looks()
    formats = tuple(NumberFormat(CellRange(tab.title, 2, n), c.number_format)
                    for n, c in enumerate(tab.columns, start=1) if c.number_format)
    notes = tuple(Note(tab.title, 1, n, c.note)
                  for n, c in enumerate(tab.columns, start=1) if c.note)
    bold = (Bold(CellRange(tab.title, 1, 1, 1, len(tab.columns))),)
    return Looks(number_formats=formats, bold=bold, notes=notes)


def _stage_dropdown(tabs: list[StarterTab], defaults: Mapping[str, Any]) -> Looks:
    """Stage cells of Opportunities pick from the stage names of the Stages tab."""
    by_role = {t.role: t for t in tabs}
    opportunities, stages = by_role["opportunities"], by_role["stages"]
    target = opportunities.column_of("stage")
    source = stages.column_of("stage")
    count = len(defaults["stages"])
    return Looks(dropdowns=(Dropdown(CellRange(opportunities.title, 2, target),
                                     CellRange(stages.title, 2, source, 1 + count)),))
