"""The local workbook: an .xlsx file read and written with openpyxl.

``read`` streams every tab's values as a person sees them (a formula cell's last computed
value). ``apply`` loads the whole workbook (formulas, formats, validation, charts), changes only
what the plan names, and saves through the save step of ``xlsx_save.py`` (atomic, the previous
file kept as ``NAME.xlsx.bak``, a full disk or a kill costing nothing). Nothing is saved when the
plan changes nothing, and nothing is saved over a file someone saved while the run was under way.
Formula cells keep the values they had (openpyxl alone would save them empty, see
``xlsx_values.py``), and Excel recomputes them when it opens the file.

Tab settings of a TabSpec (hidden, frozen rows, widths) are desired state like looks: applied to
a tab whenever they differ. A tab is only ever hidden, never unhidden, so people may hide what
they like.

A tab's id (``TabSpec.tab_id``) is a name scoped to the tab, ``sheetfunnel_<id>``, referring to
its A1. openpyxl renumbers the file's sheetIds by position on every save; a tab's own names
stay with it when people rename, move or insert tabs (Excel and openpyxl keep them).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from copy import copy
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import Rule
from openpyxl.styles import PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.workbook.workbook import Workbook as Book
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetfunnel.diff import same_value, storable
from sheetfunnel.errors import WorkbookError, WorkbookNotFound, WorkbookUnreadable
from sheetfunnel.grid import Cell, column_letter, quote_tab, trim
from sheetfunnel.plan import (
    Bold,
    CellRange,
    CellWrite,
    Chart,
    Dropdown,
    Highlight,
    IOStats,
    Looks,
    Note,
    NumberFormat,
    TabSpec,
    WritePlan,
)
from sheetfunnel.workbook.base import Selector, Snapshot, every_tab, read_selected
from sheetfunnel.workbook.xlsx_save import (
    Stamp,
    changed_meanwhile,
    not_writable,
    save_file,
    stamp,
)
from sheetfunnel.workbook.xlsx_values import Cached, formula_values, save_with_values

log = logging.getLogger(__name__)

MAX_ROW = 1_048_576  # the last row of an Excel sheet: "to the end" for rules and dropdowns
NOTE_AUTHOR = "sheetfunnel"
ID_NAME = "sheetfunnel_"  # + the tab's id: the name that marks a tab (see TabSpec.tab_id)


class XlsxWorkbook:
    """A local .xlsx file as a Workbook (see ``workbook/base.py``)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.name = str(self.path)
        self.io = IOStats()
        self._seen: Stamp | None = None  # the file as it was when read
        self._fresh = False  # made by create(): start from an empty workbook

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, overwrite: bool = False) -> XlsxWorkbook:
        """A new workbook at ``path``, written by the first ``apply``."""
        workbook = cls(path)
        target = workbook.path
        if target.suffix.lower() != ".xlsx":
            raise WorkbookError(f"{target} does not end in .xlsx. Give the new workbook a name "
                                "like pipeline.xlsx.")
        if target.exists() and not overwrite:
            raise WorkbookError(f"{target} already exists. Choose another file name, or use "
                                f"--force to replace it (the old file is kept as {target.name}"
                                ".bak).")
        if not target.parent.is_dir():
            raise WorkbookNotFound(f"The folder {target.parent} does not exist. Create it "
                                   "first, or choose another place for the workbook.")
        workbook._fresh = True
        return workbook

    def read(self, select: Selector = every_tab) -> Snapshot:
        """The selected tabs' values, formulas shown as their last computed values."""
        seen = self._stamp()
        book = self._load(read_only=True, data_only=True)
        try:
            titles = [ws.title for ws in book.worksheets]
            ids = {ws.title: tab_id for ws in book.worksheets
                   if (tab_id := _tab_id(ws)) is not None}
            tabs = read_selected(titles, select, lambda todo: {
                title: trim(map(_grid_row, book[title].iter_rows(values_only=True)))
                for title in todo}, ids)
            hidden = frozenset(ws.title for ws in book.worksheets if ws.sheet_state != "visible")
        except Exception as exc:  # a damaged sheet inside a readable zip
            raise self._unreadable(exc) from exc
        finally:
            book.close()
        self._seen = seen
        return Snapshot(tabs, hidden, tuple(titles), ids)

    def apply(self, plan: WritePlan) -> None:
        """Carry out ``plan``; save (atomically, with a .bak) only when something changed."""
        book = self._book_for_writing()
        cells, changed = carry_out(book, plan)
        if not changed:
            return
        self._save(book)
        self.io.cells_written += cells

    # -- files ------------------------------------------------------------------------------

    def _stamp(self) -> Stamp:
        return stamp(self.path)

    def _load(self, **options: bool) -> Book:
        try:
            return openpyxl.load_workbook(self.path, **options)
        except FileNotFoundError:
            raise WorkbookNotFound(f"There is no workbook at {self.path}. Check the path, or "
                                   f"create one with: sheetfunnel init {self.path}") from None
        except OSError as exc:
            raise not_writable(self.path, exc) from exc
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a non-workbook
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc: Exception) -> WorkbookUnreadable:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        return WorkbookUnreadable(f"{self.path} is not an Excel workbook sheetfunnel can read "
                                  f"({reason}). Open it in Excel or LibreOffice and save it as "
                                  "an .xlsx workbook.")

    def _book_for_writing(self) -> Book:
        if self._fresh:
            return openpyxl.Workbook()
        self._check_unchanged()
        if self._seen is None:  # written without a read: nobody may save from here on
            self._seen = self._stamp()
        return self._load(rich_text=True)

    def _check_unchanged(self) -> None:
        """Refuse to write over a file someone saved since it was read."""
        if self._seen is not None and self._stamp() != self._seen:
            raise changed_meanwhile(self.path)

    def _formula_values(self) -> dict[str, Cached]:
        """The values of the file's formula cells, to keep across the save."""
        try:
            return formula_values(self.path)
        except OSError as exc:
            raise not_writable(self.path, exc) from None
        except Exception as exc:  # a part openpyxl did not need to read is damaged
            raise self._unreadable(exc) from exc

    def _save(self, book: Book) -> None:
        """Save through the save step (``xlsx_save.py``): atomic, with a backup."""
        seen = None if self._fresh else self._seen
        keep = self._formula_values() if seen is not None else {}
        _recalculate_on_open(book)
        self._seen = save_file(self.path, lambda out: save_with_values(book, out, keep),
                               seen=seen)
        self._fresh = False


def _recalculate_on_open(book: Book) -> None:
    """Excel recomputes every formula when it opens the file (values kept may be stale)."""
    if book.calculation is None:  # a workbook saved without calculation settings
        book.calculation = CalcProperties()
    book.calculation.fullCalcOnLoad = True


def _grid_row(row: tuple[object, ...]) -> list[Cell]:
    """Values in the types a Grid holds: times of day and durations become text."""
    return [str(v) if isinstance(v, dt.time | dt.timedelta) else v  # type: ignore[misc]
            for v in row]


# -- applying a plan to a loaded workbook (no files here) ----------------------------------

def carry_out(book: Book, plan: WritePlan) -> tuple[int, bool]:
    """Bring ``book`` to what ``plan`` wants; (cells changed, anything changed)."""
    fresh_sheets = list(book.worksheets) if _is_blank_new(book) else []
    changed = False
    for spec in plan.tabs:
        if spec.title not in book.sheetnames:
            book.create_sheet(spec.title)
            changed = True
        changed |= _shape_tab(book[spec.title], spec)
    cells = 0
    for tab, writes in plan.cells_by_tab().items():
        if tab not in book.sheetnames:
            book.create_sheet(tab)
        sheet = book[tab]
        cells += sum(_write(sheet, write) for write in writes)
    changed |= cells > 0
    changed |= _apply_looks(book, plan.looks)
    if changed and len(book.worksheets) > len(fresh_sheets):
        for sheet in fresh_sheets:  # openpyxl's placeholder "Sheet" of a new workbook
            book.remove(sheet)
    _keep_active_visible(book)
    return cells, changed


def _is_blank_new(book: Book) -> bool:
    only = book.worksheets
    return len(only) == 1 and only[0].title == "Sheet" and only[0].max_row == 1 and \
        only[0]["A1"].value is None


def _keep_active_visible(book: Book) -> None:
    if book.active is not None and book.active.sheet_state == "visible":
        return
    for index, sheet in enumerate(book.worksheets):
        if sheet.sheet_state == "visible":
            book.active = index
            return


def _tab_id(sheet: Worksheet) -> str | None:
    """The id the worker marked ``sheet`` with, if any."""
    return next((name[len(ID_NAME):] for name in sheet.defined_names
                 if name.startswith(ID_NAME) and name[len(ID_NAME):].isdigit()), None)


def _mark_tab(sheet: Worksheet, tab_id: str | None) -> bool:
    """Give ``sheet`` the id ``tab_id`` (replacing another mark of the worker's), its name
    referring to the tab's A1 under the tab's present title."""
    if tab_id is None:
        return False
    marks = [n for n in sheet.defined_names if n.startswith(ID_NAME)]
    if marks == [ID_NAME + tab_id]:
        refers_to = str(sheet.defined_names[marks[0]].attr_text).rpartition("!")[0]
        if refers_to.strip("'").replace("''", "'") == sheet.title:
            return False
    for name in marks:
        del sheet.defined_names[name]
    target = "'" + sheet.title.replace("'", "''") + "'!$A$1"
    sheet.defined_names[ID_NAME + tab_id] = DefinedName(ID_NAME + tab_id, attr_text=target)
    return True


def _shape_tab(sheet: Worksheet, spec: TabSpec) -> bool:
    changed = _mark_tab(sheet, spec.tab_id)
    if spec.hidden and sheet.sheet_state == "visible":
        sheet.sheet_state = "hidden"
        changed = True
    if spec.frozen_rows and sheet.freeze_panes != f"A{spec.frozen_rows + 1}":
        sheet.freeze_panes = f"A{spec.frozen_rows + 1}"
        changed = True
    for col, width in spec.column_widths:
        dimension = sheet.column_dimensions[column_letter(col)]
        if dimension.width != width:
            dimension.width = width
            changed = True
    return changed


def _write(sheet: Worksheet, write: CellWrite) -> int:
    """Set one cell; 1 when its value actually changed. Text is stored as text, never a formula."""
    cell = sheet.cell(row=write.row, column=write.col)
    if isinstance(cell, MergedCell):
        log.warning("%s is part of merged cells; sheetfunnel left it alone", write)
        return 0
    value = storable(write.value)
    if cell.data_type != "f" and same_value(cell.value, value):
        return 0
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value  # a date also gets a date format (openpyxl does that)
    return 1


def _apply_looks(book: Book, looks: Looks) -> bool:
    changed = False
    for item in looks.number_formats:
        changed |= _number_format(book, item)
    for bold in looks.bold:
        changed |= _bold(book, bold)
    changed |= _highlights(book, looks.highlights)
    for note in looks.notes:
        changed |= _note(book, note)
    for dropdown in looks.dropdowns:
        changed |= _dropdown(book, dropdown)
    for chart in looks.charts:
        changed |= _chart(book, chart)
    return changed  # Protection is a Google Sheets look; an .xlsx file has no warning-only kind


def _sheet(book: Book, tab: str) -> Worksheet | None:
    if tab in book.sheetnames:
        return book[tab]
    log.warning("the plan formats tab %r, which the workbook does not have", tab)
    return None


def _cells(sheet: Worksheet, area: CellRange) -> Iterator[openpyxl.cell.cell.Cell]:
    """The cells of ``area``, to the last used row when it runs to the end."""
    last_row = area.last_row or sheet.max_row
    last_col = area.last_col or area.first_col
    if last_row < area.first_row:
        return
    for row in sheet.iter_rows(min_row=area.first_row, max_row=last_row,
                               min_col=area.first_col, max_col=last_col):
        yield from (cell for cell in row if not isinstance(cell, MergedCell))


def _reference(area: CellRange, *, absolute: bool = False) -> str:
    """``E2:E1048576`` (``$E$2:$E$8`` when absolute) for a range, to the sheet's end if open."""
    mark = "$" if absolute else ""
    last_row = area.last_row or MAX_ROW
    last_col = area.last_col or area.first_col
    return (f"{mark}{column_letter(area.first_col)}{mark}{area.first_row}:"
            f"{mark}{column_letter(last_col)}{mark}{last_row}")


def _number_format(book: Book, item: NumberFormat) -> bool:
    sheet = _sheet(book, item.range.tab)
    changed = False
    for cell in _cells(sheet, item.range) if sheet else ():
        if cell.number_format != item.pattern:
            cell.number_format = item.pattern
            changed = True
    return changed


def _bold(book: Book, bold: Bold) -> bool:
    sheet = _sheet(book, bold.range.tab)
    changed = False
    for cell in _cells(sheet, bold.range) if sheet else ():
        if not cell.font.b:
            font = copy(cell.font)
            font.b = True
            cell.font = font
            changed = True
    return changed


def _note(book: Book, note: Note) -> bool:
    sheet = _sheet(book, note.tab)
    if sheet is None:
        return False
    cell = sheet.cell(row=note.row, column=note.col)
    if cell.comment is not None and cell.comment.text == note.text:
        return False
    cell.comment = Comment(note.text, NOTE_AUTHOR, width=240, height=80)
    return True


# -- conditional formats: the worker's own rules are replaced, never added twice ----------

def _rule(highlight: Highlight) -> Rule:
    colour = highlight.color.lstrip("#").upper()
    style = DifferentialStyle(fill=PatternFill(fill_type="solid", start_color=colour,
                                               end_color=colour))
    text = highlight.text.replace('"', '""')
    corner = f"{column_letter(highlight.range.first_col)}{highlight.range.first_row}"
    if highlight.rule == "equals":
        return Rule(type="cellIs", operator="equal", formula=[f'"{text}"'], dxf=style)
    if highlight.rule == "contains":
        return Rule(type="containsText", operator="containsText", text=highlight.text,
                    formula=[f'NOT(ISERROR(SEARCH("{text}",{corner})))'], dxf=style)
    if highlight.rule == "begins":
        return Rule(type="beginsWith", operator="beginsWith", text=highlight.text,
                    formula=[f'LEFT({corner},LEN("{text}"))="{text}"'], dxf=style)
    raise ValueError(f"unknown highlight rule {highlight.rule!r}")


def _colour(rule: Rule) -> str:
    fill = rule.dxf.fill if rule.dxf is not None else None
    rgb = getattr(getattr(fill, "fgColor", None), "rgb", None)
    return rgb[-6:].upper() if isinstance(rgb, str) else ""


def _mark(rule: Rule) -> tuple:
    """What makes a rule one of the worker's, wherever it sits."""
    what = rule.text if rule.type != "cellIs" else tuple(rule.formula or ())
    return rule.type, rule.operator, what, _colour(rule)


def _highlights(book: Book, highlights: tuple[Highlight, ...]) -> bool:
    by_tab: dict[str, list[Highlight]] = {}
    for item in highlights:
        by_tab.setdefault(item.range.tab, []).append(item)
    changed = False
    for tab, items in by_tab.items():
        sheet = _sheet(book, tab)
        if sheet is not None:
            changed |= _sheet_highlights(sheet, items)
    return changed


def _sheet_highlights(sheet: Worksheet, items: list[Highlight]) -> bool:
    """Rules on the ranges the plan colours are the worker's; so are rules like its own on a
    range running to the sheet's end (left behind when an owned column moved)."""
    wanted = {(_reference(h.range), _mark(rule), tuple(rule.formula)): rule
              for h in items for rule in [_rule(h)]}
    ours = {mark for _, mark, _ in wanted}
    places = {place for place, _, _ in wanted}
    found: set[tuple] = set()
    changed = False
    formatting = sheet.conditional_formatting
    for block in list(formatting):
        place = str(block.sqref)
        rules = formatting[place]
        for rule in list(rules):
            key = (place, _mark(rule), tuple(rule.formula or ()))
            if key in wanted and key not in found:
                found.add(key)
            elif place in places or (_mark(rule) in ours and place.endswith(str(MAX_ROW))):
                rules.remove(rule)
                changed = True
        if not rules:
            del formatting[place]
    top = max((r.priority or 0 for block in formatting for r in block.rules), default=0)
    for key, rule in wanted.items():
        if key not in found:
            top += 1
            rule.priority = top
            formatting.add(key[0], rule)
            changed = True
    return changed


# -- dropdowns and charts: one of each, replaced when it differs --------------------------

def _dropdown(book: Book, dropdown: Dropdown) -> bool:
    sheet = _sheet(book, dropdown.range.tab)
    if sheet is None:
        return False
    place = _reference(dropdown.range)
    source = f"{quote_tab(dropdown.source.tab)}!{_reference(dropdown.source, absolute=True)}"
    rules = sheet.data_validations.dataValidation
    ours = [dv for dv in rules if dv.type == "list" and (str(dv.sqref) == place
                                                        or dv.formula1 == source)]
    if len(ours) == 1 and str(ours[0].sqref) == place and ours[0].formula1 == source:
        return False
    for old in ours:
        rules.remove(old)
    validation = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorStyle="warning")  # warn, allow
    validation.add(place)
    sheet.add_data_validation(validation)
    return True


def _bar_chart(book: Book, chart: Chart) -> BarChart | None:
    references = []
    for area in (chart.categories, chart.values):
        sheet = _sheet(book, area.tab)
        if sheet is None:
            return None
        references.append(Reference(sheet, min_col=area.first_col, min_row=area.first_row,
                                    max_row=area.last_row or sheet.max_row))
    categories, values = references
    bar = BarChart()
    bar.type = "bar"  # horizontal: a funnel reads top to bottom
    bar.title = chart.title
    bar.add_data(values, titles_from_data=False)
    bar.set_categories(categories)
    bar.x_axis.scaling.orientation = "maxMin"  # first stage on top
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    bar.legend = None
    bar.width, bar.height = 18, 9
    return bar


def _chart_title(chart: BarChart) -> str:
    rich = getattr(getattr(chart.title, "tx", None), "rich", None)
    if rich is None:
        return ""
    return "".join(run.t or "" for paragraph in rich.p for run in (paragraph.r or ()))


def _chart_anchor(chart: BarChart) -> str:
    anchor = chart.anchor
    if isinstance(anchor, str):
        return anchor
    start = anchor._from
    return f"{column_letter(start.col + 1)}{start.row + 1}"


def _series_refs(chart: BarChart) -> tuple[str, ...]:
    refs = []
    for series in chart.series:
        for data in (series.val, series.cat):
            ref = (data.numRef or data.strRef) if data is not None else None
            refs.append(ref.f if ref is not None else "")
    return tuple(refs)


def _chart(book: Book, chart: Chart) -> bool:
    sheet = _sheet(book, chart.tab)
    wanted = _bar_chart(book, chart)
    if sheet is None or wanted is None:
        return False
    anchor = f"{column_letter(chart.anchor_col)}{chart.anchor_row}"
    charts = sheet._charts  # openpyxl keeps a sheet's charts here and offers no remover
    ours = [c for c in charts if _chart_anchor(c) == anchor or _chart_title(c) == chart.title]
    if len(ours) == 1 and _chart_anchor(ours[0]) == anchor and \
            _chart_title(ours[0]) == chart.title and \
            _series_refs(ours[0]) == _series_refs(wanted):
        return False
    for old in ours:
        charts.remove(old)
    sheet.add_chart(wanted, anchor)
    return True
