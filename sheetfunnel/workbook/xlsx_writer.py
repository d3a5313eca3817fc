"""Carrying out a WritePlan on an .xlsx file by editing its package, part by part.

Only the parts that must change are written anew: the sheet parts of tabs with new cells or
looks (streamed, see ``xlsx_sheet.py``), the style table (appended to), the worker's notes,
chart and drawing parts, and ``workbook.xml`` with its relationships and content types when a
tab is added or hidden. Every other part goes into the new file as the very bytes it had.

Looks are desired state, compared with what the parts hold: frozen rows, widths, conditional
colours, dropdowns, notes and charts are read from the sheet's head and tail and drawing
parts. Number formats and bold type live on every cell of a column; the worker applies them to
each cell it writes and records a digest of them per tab in the file's custom properties: when
the digest differs (the plan's looks changed) it applies them to every cell in their ranges.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from sheetfunnel.diff import storable
from sheetfunnel.grid import Cell, quote_tab
from sheetfunnel.plan import Chart, Dropdown, Highlight, Note, PrintSetup, TabSpec, WritePlan
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_chart import put_charts
from sheetfunnel.workbook.xlsx_looks import (
    column_widths,
    dropdown,
    frozen_rows,
    highlights,
    merged_ranges,
    print_setup,
    used_area,
)
from sheetfunnel.workbook.xlsx_names import WORKBOOK_ORDER, mark_tabs, print_titles
from sheetfunnel.workbook.xlsx_notes import put_notes
from sheetfunnel.workbook.xlsx_package import (
    CALC_CHAIN,
    CUSTOM_PROPERTIES,
    EXTENDED_PROPERTIES,
    SHARED_STRINGS,
    SHEET_TYPE,
    STYLES,
    WORKSHEET,
    Package,
    PackageWriter,
)
from sheetfunnel.workbook.xlsx_sheet import (
    CellLooks,
    EditResult,
    Known,
    SheetEdit,
    edit_sheet,
    fresh_sheet,
    scan_sheet,
)
from sheetfunnel.workbook.xlsx_styles import MINIMAL, StyleSheet

log = logging.getLogger(__name__)

LOOKS_PROPERTY = "sheetfunnel looks"
CUSTOM_PART = "docProps/custom.xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_PROPERTY_ID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: The share of a whole tab's cells that, changed, has it written afresh (measured: streaming a
#: cell anew costs about a fifth of editing one in place).
AFRESH_SHARE = 0.2
_EXACT = 2 ** 53
_LPSTR = re.compile(rb"<vt:lpstr>([^<]*)</vt:lpstr>")

EMPTY_SHEET = (_DECLARATION + f'<worksheet xmlns="{ooxml.MAIN}" xmlns:r="{ooxml.REL}">'
               '<dimension ref="A1"/><sheetData/></worksheet>'.encode())

NEW_PACKAGE = {
    "[Content_Types].xml": _DECLARATION + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>').encode(),
    "_rels/.rels": _DECLARATION + (
        f'<Relationships xmlns="{ooxml.PACKAGE_REL}">'
        f'<Relationship Id="rId1" Type="{ooxml.REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{EXTENDED_PROPERTIES}" Target="docProps/app.xml"/>'
        "</Relationships>").encode(),
    "docProps/app.xml": _DECLARATION + (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
        f'properties" xmlns:vt="{_VT_NS}"><Application>sheetfunnel</Application>'
        "</Properties>").encode(),
    "docProps/core.xml": _DECLARATION + (
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms='
        b'"http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b"<dc:creator>sheetfunnel</dc:creator></cp:coreProperties>"),
    "xl/workbook.xml": _DECLARATION + (
        f'<workbook xmlns="{ooxml.MAIN}" xmlns:r="{ooxml.REL}"><bookViews><workbookView '
        'activeTab="0"/></bookViews><sheets/><calcPr calcId="191029"/></workbook>').encode(),
    "xl/_rels/workbook.xml.rels": _DECLARATION + (
        f'<Relationships xmlns="{ooxml.PACKAGE_REL}"><Relationship Id="rId1" Type="{STYLES}" '
        'Target="styles.xml"/></Relationships>').encode(),
    "xl/styles.xml": MINIMAL,
}


@dataclass
class _TabWork:
    """Everything the plan wants of one tab."""

    title: str
    spec: TabSpec | None = None
    #: the plan's writes (row -> column -> value), and how many (the writes of a tab written
    #: afresh are only counted)
    writes: dict[int, dict[int, Cell]] = field(default_factory=dict)
    changed: int = 0
    last: tuple[int, int] = (0, 0)  # the last row and column the writes fill
    cell_looks: CellLooks = field(default_factory=CellLooks)
    looks_key: list[str] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    dropdowns: list[Dropdown] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    printing: PrintSetup | None = None
    whole: list[list[Cell]] | None = None  # the grid of a tab the worker owns whole

    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.looks_key).encode()).hexdigest()[:16]


@dataclass
class Outcome:
    writer: PackageWriter
    cells_written: int = 0
    tabs_added: int = 0

    @property
    def changed(self) -> bool:
        return self.writer.changed


@dataclass
class _Tab:
    part: str
    state: str
    new: bool = False


def carry_out(source: Package | None, plan: WritePlan, *, folder: Path,
              known: Callable[[str], Known | None]) -> Outcome:
    """The package ``plan`` makes of ``source`` (a new workbook when None), not yet written:
    ``outcome.changed`` says whether there is anything to save."""
    writer = PackageWriter(source, spill_folder=folder)
    if source is None:
        for part, data in NEW_PACKAGE.items():
            writer.put(part, data)
    try:
        return _Carrier(writer, known).run(plan)
    except BaseException:
        writer.close()
        raise


class _Carrier:
    def __init__(self, writer: PackageWriter, known: Callable[[str], Known | None]):
        self.writer = writer
        self.known = known
        self.workbook = writer.source.workbook if writer.source is not None else \
            "xl/workbook.xml"
        styles_part = next((r.target for r in writer.relationships(self.workbook)
                            if r.type == STYLES), None)
        if styles_part is None:
            styles_part = "xl/styles.xml"
            writer.relate(self.workbook, STYLES, styles_part)
            writer.declare(styles_part, STYLES_TYPE)
        self.styles_part: str = styles_part
        self.styles = StyleSheet(writer.read(self.styles_part))
        self.tabs = self._tabs()
        workbook = writer.read(self.workbook) or b""
        self.date1904 = bool(re.search(rb"date1904\s*=\s*[\"'](1|true)[\"']", workbook))
        self._shared: list[str] | None = None
        self._work_by_tab: dict[str, _TabWork] = {}
        self.outcome = Outcome(writer)

    def _tabs(self) -> dict[str, _Tab]:
        if self.writer.source is None:
            return {}
        return {tab.title: _Tab(tab.part, tab.state) for tab in self.writer.source.tabs()}

    # -- the plan, tab by tab

    def run(self, plan: WritePlan) -> Outcome:
        work = self._work_by_tab = self._work(plan)
        for spec in plan.tabs:
            self._add_tab(spec.title, spec)
        for title, item in work.items():
            if item.changed:
                self._add_tab(title, None)
        stored = self._stored_digests()
        digests = dict(stored)
        restyled = False
        for title, item in work.items():
            if title not in self.tabs:
                log.warning("the plan formats tab %r, which the workbook does not have", title)
                continue
            digest = item.digest() if item.looks_key else None
            restyle = digest is not None and stored.get(title) != digest and \
                not self.tabs[title].new
            if digest is not None:
                digests[title] = digest
            self._edit_tab(item, restyle)
            restyled |= restyle
        self._workbook(plan)
        if self.styles.changed:
            self.writer.put(self.styles_part, self.styles.to_bytes())
        if (self.writer.changed or restyled) and digests != stored:
            self._store_digests(digests)  # recorded even alone: the next run need not look again
        return self.outcome

    def _work(self, plan: WritePlan) -> dict[str, _TabWork]:
        work: dict[str, _TabWork] = {}

        def tab(title: str) -> _TabWork:
            return work.setdefault(title, _TabWork(title))
        for spec in plan.tabs:
            tab(spec.title).spec = spec
        for title, grid in plan.whole_tabs:
            tab(title).whole = grid
        for title, cells in plan.cells_by_tab().items():
            target = tab(title)
            target.changed = len(cells)
            if _afresh(target):  # written from its grid: the writes are only counted
                target.last = _last_filled([(w.row, w.col) for w in cells if w.value is not None])
                continue
            writes = target.writes
            for _, number, col, value in cells:  # a diffed plan's values are storable already
                row = writes.get(number)
                if row is None:
                    row = writes[number] = {}
                row[col] = value if plan.diffed else storable(value)
            target.changed = sum(map(len, writes.values()))
            target.last = _last_filled([(r, c) for r, row in writes.items()
                                        for c, v in row.items() if v is not None])
        looks = plan.looks
        for item in looks.number_formats:
            area = item.range
            tab(area.tab).cell_looks.add(area.first_row, area.last_row, area.first_col,
                                         area.last_col or area.first_col, item.pattern)
            tab(area.tab).looks_key.append(f"{area}|{item.pattern}")
        for bold in looks.bold:
            area = bold.range
            tab(area.tab).cell_looks.add(area.first_row, area.last_row, area.first_col,
                                         area.last_col or area.first_col, "bold")
            tab(area.tab).looks_key.append(f"{area}|bold")
        for highlight in looks.highlights:
            tab(highlight.range.tab).highlights.append(highlight)
        for choice in looks.dropdowns:
            tab(choice.range.tab).dropdowns.append(choice)
        for note in looks.notes:
            tab(note.tab).notes.append(note)
        for chart in looks.charts:
            tab(chart.tab).charts.append(chart)
        for width in looks.widths:
            tab(width.tab).widths[width.col] = width.width
        own = {spec.title for spec in plan.tabs}
        for setup in looks.prints:
            if setup.tab in own:  # a person's tab prints as its people set it
                tab(setup.tab).printing = setup
        return work

    def _chunks(self, part: str) -> Iterator[bytes]:
        data = self.writer.texts.get(self.writer.key(part))
        if data is not None:
            return iter([data])
        assert self.writer.source is not None
        return self.writer.source.chunks(part)

    def _edit_tab(self, work: _TabWork, restyle: bool) -> None:
        tab = self.tabs[work.title]
        if work.changed and work.printing is None and not tab.new and not _afresh(work):
            self._edit_in_one_pass(work, restyle, tab)
            return
        scan = scan_sheet(self._chunks(tab.part))
        prefix = scan.prefix.decode()
        head = self._new_head(work, scan.head, prefix)
        tail = scan.tail
        if work.printing is not None:
            head, tail = print_setup(head, tail, work.printing, prefix)
        tail = self._new_tail(work, tab, scan.head, tail, prefix)
        looks_changed = head != scan.head or tail != scan.tail
        if not work.changed and not restyle and not looks_changed and not tab.new:
            return
        head = used_area(head, *work.last)
        merged = merged_ranges(tail)
        edit = SheetEdit(work.writes, work.cell_looks, restyle, head, tail,
                         self.known(work.title) or _unknown, self.date1904)
        if _afresh(work):
            grid = work.whole or []
            self.writer.stream_part(tab.part, lambda out: fresh_sheet(
                out, scan.open_tag, grid, edit, self.styles,
                _merged_test(merged) if merged else None))
            self.outcome.cells_written += work.changed
            if not tab.new:
                self._forget_formulas(work.title, None)
            return
        results: list[EditResult] = []
        chunks = self._chunks(tab.part)
        self.writer.stream_part(tab.part, lambda out: results.append(edit_sheet(
            chunks, out, edit, self.styles, self._shared_text, _merged_test(merged))))
        self._edited(work, tab, results[0], looks_changed)

    def _edit_in_one_pass(self, work: _TabWork, restyle: bool, tab: _Tab) -> None:
        """Edit a tab that has writes in one pass over its part, its head and tail made as
        the pass reaches them; a second pass when some write falls in merged cells (known
        only from the tail), with the head and tail the first one made."""
        frame = _Frame(self, work, tab)
        edit = SheetEdit(work.writes, work.cell_looks, restyle, b"", b"",
                         self.known(work.title) or _unknown, self.date1904)
        results: list[EditResult] = []
        chunks = self._chunks(tab.part)
        try:
            self.writer.stream_part(tab.part, lambda out: results.append(edit_sheet(
                chunks, out, edit, self.styles, self._shared_text, _merged_test([]), frame)))
        except _InMergedCells:
            edit = dataclasses.replace(edit, head=frame.made[0], tail=frame.made[1])
            merged = _merged_test(merged_ranges(frame.made[1]))
            chunks = self._chunks(tab.part)
            self.writer.stream_part(tab.part, lambda out: results.append(edit_sheet(
                chunks, out, edit, self.styles, self._shared_text, merged)))
        self._edited(work, tab, results[-1], frame.looks_changed)

    def _new_head(self, work: _TabWork, head: bytes, prefix: str) -> bytes:
        """The head with the plan's frozen rows and column widths."""
        if work.spec is not None:
            head = frozen_rows(head, work.spec.frozen_rows, prefix)
            head = column_widths(head, work.spec.column_widths, prefix)
        return column_widths(head, work.widths.items(), prefix)

    def _new_tail(self, work: _TabWork, tab: _Tab, head: bytes, tail: bytes, prefix: str
                  ) -> bytes:
        """The tail with the plan's dropdowns, conditional colours, notes and charts (the
        notes' and charts' own parts written)."""
        for item in work.dropdowns:
            tail = dropdown(tail, item, prefix)
        if work.highlights:
            tail = highlights(tail, work.highlights, self.styles, prefix)
        root = next(ooxml.tokens(head))[0]
        tail = put_notes(self.writer, tab.part, root, tail, work.notes)
        return put_charts(self.writer, tab.part, root, tail, work.charts, self._last_row)

    def _edited(self, work: _TabWork, tab: _Tab, result: EditResult, looks_changed: bool
                ) -> None:
        for place in result.skipped:
            log.warning("%s!%s is part of merged cells; sheetfunnel left it alone",
                        quote_tab(work.title), place)
        if not (result.cells_written or result.restyled or looks_changed or tab.new):
            self.writer.spilled.discard(self.writer.key(tab.part))  # nothing changed after all
            return
        self.outcome.cells_written += result.cells_written
        if result.formulas_replaced:
            self._forget_formulas(work.title, result.formulas_replaced)

    def _last_row(self, title: str) -> int:
        """The last row the plan fills on ``title`` (where an open-ended chart range ends)."""
        work = self._work_by_tab.get(title)
        return work.last[0] if work is not None else 1

    def _shared_text(self, index: int) -> str:
        """A text of the shared text table (read only when a cell that is not known from the
        read points into it)."""
        if self._shared is None:
            part = next((r.target for r in self.writer.relationships(self.workbook)
                         if r.type == SHARED_STRINGS), None)
            data = self.writer.read(part) if part else None
            self._shared = _shared_texts(data) if data else []
        return self._shared[index] if index < len(self._shared) else ""

    # -- workbook.xml: new tabs, hidden tabs, the worker's marks, recalculation

    def _add_tab(self, title: str, spec: TabSpec | None) -> None:
        if title in self.tabs:
            return
        part = self.writer.free_name("xl/worksheets/sheet{}.xml")
        self.writer.put(part, EMPTY_SHEET)
        self.writer.declare(part, SHEET_TYPE)
        rid = self.writer.relate(self.workbook, WORKSHEET, part)
        data = self.writer.read(self.workbook) or b""
        top = ooxml.root(data)
        prefix = ooxml.prefix_of(top.tag(data)).decode()
        sheets = ooxml.first(ooxml.child_spans(data, top), "sheets")
        used = [int(v) for v in re.findall(rb"\ssheetId\s*=\s*[\"'](\d+)[\"']", data)]
        state = ' state="hidden"' if spec is not None and spec.hidden else ""
        element = (f"<{prefix}sheet name={ooxml.attr(title)} sheetId=\"{max([0, *used]) + 1}\""
                   f"{state} {ooxml.relationship_id(top.tag(data), rid)}/>").encode()
        if sheets is None:
            data = ooxml.insert_in_order(data, top, f"<{prefix}sheets>".encode() + element +
                                         f"</{prefix}sheets>".encode(), "sheets",
                                         WORKBOOK_ORDER)
        elif sheets.open_end == sheets.end:
            data = ooxml.replace_span(data, sheets, f"<{prefix}sheets>".encode() + element +
                                      f"</{prefix}sheets>".encode())
        else:
            end = sheets.inner(data)[1]
            data = data[:end] + element + data[end:]
        self.writer.put(self.workbook, data)
        self.tabs[title] = _Tab(part, "hidden" if state else "visible", new=True)
        self.outcome.tabs_added += 1
        self._list_in_properties(title)

    def _workbook(self, plan: WritePlan) -> None:
        data = self.writer.read(self.workbook) or b""
        hide = {spec.title for spec in plan.tabs if spec.hidden}
        for match in list(ooxml.tokens(data))[::-1]:
            if ooxml.local(match[2]) != "sheet" or match[1]:
                continue
            values = ooxml.attributes(match[0])
            if values.get("name") in hide and values.get("state", "visible") == "visible":
                data = data[:match.start()] + ooxml.with_attributes(
                    match[0], {"state": "hidden"}) + data[match.end():]
        data = mark_tabs(data, {spec.title: spec.tab_id for spec in plan.tabs
                                if spec.tab_id is not None})
        own = {spec.title for spec in plan.tabs}
        data = print_titles(data, {setup.tab: setup.title_rows for setup in plan.looks.prints
                                   if setup.tab in own})
        data = _active_tab_visible(data)
        if self.outcome.cells_written:
            data = _recalculate_on_open(data)
        self.writer.put(self.workbook, data)

    def _forget_formulas(self, title: str, places: list[str] | None) -> None:
        """Drop the replaced formula cells (None: all of the tab's) from the calculation
        chain (Excel would call a chain naming a cell without a formula damaged)."""
        part = next((r for r in self.writer.relationships(self.workbook)
                     if r.type == CALC_CHAIN), None)
        data = self.writer.read(part.target) if part else None
        if part is None or data is None:
            return
        sheet_id = _sheet_id(self.writer.read(self.workbook) or b"", title)
        gone = set(places or ())
        kept, sheet = [], ""
        for span in ooxml.child_spans(data, ooxml.root(data)):
            values = ooxml.attributes(span.tag(data))
            sheet = values.get("i", sheet)
            if sheet == sheet_id and (places is None or values.get("r", "").upper() in gone):
                continue
            kept.append(ooxml.with_attributes(span.tag(data), {"i": sheet}) if "i" not in
                        values and sheet else data[span.start:span.end])
        if kept:
            top = ooxml.root(data)
            start, end = top.inner(data)
            self.writer.put(part.target, data[:start] + b"".join(kept) + data[end:])
            return
        self.writer.remove(part.target)
        self.writer.undeclare(part.target)
        self.writer.unrelate(self.workbook, part.id)

    # -- docProps: the tab list of app.xml, the looks digests in custom.xml

    def _list_in_properties(self, title: str) -> None:
        part = next((r.target for r in self.writer.relationships("")
                     if r.type == EXTENDED_PROPERTIES), None)
        data = self.writer.read(part) if part else None
        if part and data:
            self.writer.put(part, _with_tab_title(data, title))

    def _stored_digests(self) -> dict[str, str]:
        data = self.writer.read(self._custom_part() or CUSTOM_PART)
        if not data:
            return {}
        found = re.search(rb"<property\b[^>]*\sname=\"" + LOOKS_PROPERTY.encode() +
                          rb"\"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>", data)
        try:
            stored = json.loads(ooxml.unescape_text(found[1])) if found else {}
        except ValueError:
            return {}
        return stored if isinstance(stored, dict) else {}

    def _custom_part(self) -> str | None:
        return next((r.target for r in self.writer.relationships("")
                     if r.type == CUSTOM_PROPERTIES), None)

    def _store_digests(self, digests: dict[str, str]) -> None:
        text = ooxml.text(json.dumps(digests, ensure_ascii=False, sort_keys=True))
        part = self._custom_part()
        data = self.writer.read(part) if part else None
        if part is None or data is None:
            part = CUSTOM_PART
            data = _DECLARATION + (f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}">'
                                   "</Properties>").encode()
            self.writer.relate("", CUSTOM_PROPERTIES, part)
            self.writer.declare(part, CUSTOM_TYPE)
        top = ooxml.root(data)
        properties = ooxml.child_spans(data, top)
        ids = [int(v) for p in properties
               if (v := ooxml.attributes(p.tag(data)).get("pid", "")).isdigit()]
        ours = next((p for p in properties
                     if ooxml.attributes(p.tag(data)).get("name") == LOOKS_PROPERTY), None)
        pid = ooxml.attributes(ours.tag(data)).get("pid") if ours else str(max([1, *ids]) + 1)
        element = (f'<property fmtid="{_PROPERTY_ID}" pid="{pid}" name="{LOOKS_PROPERTY}">'
                   f"<vt:lpwstr>{text}</vt:lpwstr></property>").encode()
        if ours is not None:
            data = ooxml.replace_span(data, ours, element)
        elif top.open_end == top.end:
            data = data[:top.start] + top.tag(data)[:-2].rstrip() + b">" + element + \
                b"</Properties>" + data[top.end:]
        else:
            end = top.inner(data)[1]
            data = data[:end] + element + data[end:]
        self.writer.put(part, data)


class _InMergedCells(Exception):
    """A write of a tab edited in one pass falls in merged cells: a second pass is needed."""


class _Frame:
    """The head and tail of a tab edited in one pass (see ``Frame``); what they were made
    to be is kept for a second pass."""

    def __init__(self, carrier: _Carrier, work: _TabWork, tab: _Tab):
        self.carrier, self.work, self.tab = carrier, work, tab
        self.given = b""
        self.prefix = ""
        self.made = (b"", b"")
        self.looks_changed = False

    def head(self, head: bytes, open_tag: bytes) -> bytes:
        self.given = head
        self.prefix = ooxml.prefix_of(open_tag).decode()
        new = self.carrier._new_head(self.work, head, self.prefix)
        self.looks_changed = new != head
        self.made = (used_area(new, *self.work.last), b"")
        return self.made[0]

    def tail(self, tail: bytes) -> bytes:
        new = self.carrier._new_tail(self.work, self.tab, self.given, tail, self.prefix)
        self.looks_changed |= new != tail
        self.made = (self.made[0], new)
        merged = merged_ranges(new)
        inside = _merged_test(merged)
        if merged and any(inside(row, col) for row, cells in self.work.writes.items()
                          for col in cells):
            raise _InMergedCells
        return new


def _afresh(work: _TabWork) -> bool:
    """Whether a tab the worker owns whole is written as a new sheet part, every row streamed
    in one pass, rather than edited cell by cell: when at least ``AFRESH_SHARE`` of its cells
    change (a list whose rows shifted). Both give the same cells and looks."""
    if work.whole is None or not work.changed:
        return False
    return work.changed >= AFRESH_SHARE * sum(len(row) for row in work.whole)


def _last_filled(filled: list[tuple[int, int]]) -> tuple[int, int]:
    """The last row and the last column that cells (row, column) not blank take (0 for none)."""
    return (max(map(itemgetter(0), filled), default=0),
            max(map(itemgetter(1), filled), default=0))


def _unknown(row: int, col: int) -> tuple[bool, Cell]:
    return False, None


def _merged_test(ranges: list[tuple[int, int, int, int]]) -> Callable[[int, int], bool]:
    """True for a cell inside a merged area other than its top-left cell."""
    if not ranges:
        return lambda row, col: False

    def merged(row: int, col: int) -> bool:
        return any(top <= row <= bottom and left <= col <= right and (row, col) != (top, left)
                   for top, left, bottom, right in ranges)
    return merged


def _shared_texts(data: bytes) -> list[str]:
    texts = []
    for item in ooxml.child_spans(data, ooxml.root(data)):
        found = re.findall(rb"<(?:[\w.-]+:)?t\b[^>]*?(?:/>|>([^<]*)</)",
                           data[item.start:item.end])
        if not re.search(rb"<(?:[\w.-]+:)?r\b", data[item.start:item.end]):
            found = found[:1]
        texts.append("".join(ooxml.unescape_text(t) for t in found))
    return texts


def _sheet_id(workbook: bytes, title: str) -> str:
    for match in ooxml.tokens(workbook):
        values = ooxml.attributes(match[0])
        if ooxml.local(match[2]) == "sheet" and values.get("name") == title:
            return values.get("sheetId", "")
    return ""


def _active_tab_visible(data: bytes) -> bytes:
    """The tab a workbook opens on is one people can see."""
    states = [ooxml.attributes(m[0]).get("state", "visible") for m in ooxml.tokens(data)
              if ooxml.local(m[2]) == "sheet" and not m[1]]
    for match in ooxml.tokens(data):
        if ooxml.local(match[2]) != "workbookView" or match[1]:
            continue
        active = ooxml.attributes(match[0]).get("activeTab", "0")
        index = int(active) if active.isdigit() else 0
        if index < len(states) and states[index] == "visible":
            return data
        visible = next((n for n, state in enumerate(states) if state == "visible"), None)
        if visible is None:
            return data
        tag = ooxml.with_attributes(match[0], {"activeTab": str(visible)})
        return data[:match.start()] + tag + data[match.end():]
    return data


def _recalculate_on_open(data: bytes) -> bytes:
    """Excel recomputes every formula when it opens the file (values kept may be stale)."""
    top = ooxml.root(data)
    found = ooxml.first(ooxml.child_spans(data, top), "calcPr")
    prefix = ooxml.prefix_of(top.tag(data)).decode()
    if found is None:
        return ooxml.insert_in_order(data, top, f'<{prefix}calcPr fullCalcOnLoad="1"/>'.encode(),
                                     "calcPr", WORKBOOK_ORDER)
    values = ooxml.attributes(found.tag(data))
    if values.get("fullCalcOnLoad") in ("1", "true"):
        return data
    return data[:found.start] + ooxml.with_attributes(found.tag(data), {
        "fullCalcOnLoad": "1"}) + data[found.open_end:]


def _with_tab_title(data: bytes, title: str) -> bytes:
    """app.xml listing one more worksheet, when it lists them (else as it is)."""
    pairs = re.search(rb"<HeadingPairs>\s*<vt:vector\b[^>]*>(.*?)</vt:vector>", data, re.S)
    titles = re.search(rb"<TitlesOfParts>\s*(<vt:vector\b[^>]*>)(.*?)</vt:vector>", data, re.S)
    if not pairs or not titles:
        return data
    names = _LPSTR.findall(pairs[1])
    counts = [int(c) for c in re.findall(rb"<vt:i4>(\d+)</vt:i4>", pairs[1])]
    labels = [ooxml.unescape_text(n) for n in names]
    if len(labels) != len(counts) or not any(label in ("Worksheets", "工作表")
                                             for label in labels):
        return data
    index = next(n for n, label in enumerate(labels) if label in ("Worksheets", "工作表"))
    position = sum(counts[:index + 1])
    entries = re.findall(rb"<vt:lpstr>.*?</vt:lpstr>|<vt:lpstr\s*/>", titles[2], re.S)
    if len(entries) != sum(counts):
        return data
    entries.insert(position, f"<vt:lpstr>{ooxml.text(title)}</vt:lpstr>".encode())
    vector = ooxml.with_attributes(titles[1], {"size": str(len(entries))})
    data = data[:titles.start(1)] + vector + b"".join(entries) + data[titles.end(2):]
    pairs = re.search(rb"<HeadingPairs>\s*<vt:vector\b[^>]*>(.*?)</vt:vector>", data, re.S)
    assert pairs is not None
    numbers = list(re.finditer(rb"<vt:i4>(\d+)</vt:i4>", pairs[1]))
    target = numbers[index]
    start, end = pairs.start(1) + target.start(1), pairs.start(1) + target.end(1)
    return data[:start] + str(counts[index] + 1).encode() + data[end:]

