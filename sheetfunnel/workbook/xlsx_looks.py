"""The worker's looks in a sheet part's head and tail, found and replaced as elements.

Head (before the cells): the frozen header row (``<pane>``), column widths (``<cols>``), the
used area (``<dimension>``), fit to page (``<sheetPr><pageSetUpPr>``). Tail (after the cells):
conditional colours (``<conditionalFormatting>``), dropdowns (``<dataValidations>``) and how
the tab prints (``<printOptions>``, ``<pageSetup>``). Each function returns the
part's head or tail with the worker's elements brought to what the plan wants, and every
element of a person's kept byte for byte; unchanged input comes back as the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sheetfunnel.grid import column_letter, quote_tab
from sheetfunnel.plan import CellRange, Dropdown, Highlight, PrintSetup
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_rows import cell_position
from sheetfunnel.workbook.xlsx_styles import StyleSheet

MAX_ROW = 1_048_576  # the last row of a sheet: "to the end" for rules and dropdowns
#: CT_Worksheet: the order the schema gives a worksheet's elements.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst")
NUMBER_RULES = ("below", "at_least")  # Highlight rules on numbers: formulas (expression)
_PRIORITY = re.compile(rb"\spriority\s*=\s*[\"'](\d+)[\"']")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?formula\b[^>]*>([^<]*)</", re.S)
_SQREF_END = f"{MAX_ROW}"
_SHEET_DATA_END = re.compile(rb"\s*</(?:[\w.-]+:)?sheetData\s*>")


def reference(area: CellRange, *, absolute: bool = False) -> str:
    """``E2:E1048576`` (``$E$2:$E$8`` when absolute) for a range, to the sheet's end if open."""
    mark = "$" if absolute else ""
    last_row = area.last_row or MAX_ROW
    last_col = area.last_col or area.first_col
    return (f"{mark}{column_letter(area.first_col)}{mark}{area.first_row}:"
            f"{mark}{column_letter(last_col)}{mark}{last_row}")


# -- regions of a head and a tail --------------------------------------------------------------

def head_region(head: bytes) -> tuple[int, int]:
    """Where the elements before ``<sheetData>`` sit in ``head``."""
    for match in ooxml.tokens(head):
        return match.end(), len(head)  # the first tag is the worksheet's start tag
    raise ValueError("a worksheet part without a start tag")


def tail_region(tail: bytes) -> tuple[int, int]:
    """Where the elements after ``</sheetData>`` sit in ``tail``."""
    close = _SHEET_DATA_END.match(tail)
    start = close.end() if close else 0
    end = tail.rfind(b"</")
    return start, max(end, start)


def _element(data: bytes, region: tuple[int, int], name: str) -> list[ooxml.Span]:
    return [s for s in ooxml.children(data, *region) if s.name == name]


def _insert(data: bytes, region: tuple[int, int], element: bytes, name: str) -> bytes:
    place = ooxml.place_in_order(data, *region, name, WORKSHEET_ORDER)
    return data[:place] + element + data[place:]


# -- head -------------------------------------------------------------------------------------

def frozen_rows(head: bytes, rows: int, prefix: str) -> bytes:
    """The first ``rows`` rows frozen in the tab's first view."""
    if not rows:
        return head
    region = head_region(head)
    corner = f"A{rows + 1}"
    p = prefix
    pane = (f'<{p}pane ySplit="{rows}" topLeftCell="{corner}" activePane="bottomLeft" '
            f'state="frozen"/><{p}selection pane="bottomLeft" activeCell="{corner}" '
            f'sqref="{corner}"/>').encode()
    views = _element(head, region, "sheetViews")
    if not views:
        element = (f'<{p}sheetViews><{p}sheetView workbookViewId="0">'.encode() + pane
                   + f"</{p}sheetView></{p}sheetViews>".encode())
        return _insert(head, region, element, "sheetViews")
    view = ooxml.first(ooxml.child_spans(head, views[0]), "sheetView")
    if view is None:
        return head
    inside = ooxml.child_spans(head, view)
    old = ooxml.first(inside, "pane")
    if old is not None:
        values = ooxml.attributes(old.tag(head))
        if values.get("state") == "frozen" and values.get("topLeftCell") == corner and \
                values.get("ySplit") == str(rows) and "xSplit" not in values:
            return head
    kept = b"".join(head[s.start:s.end] for s in inside if s.name not in ("pane", "selection"))
    tag = view.tag(head)
    name = ooxml.TAG.match(tag)[2]  # type: ignore[index]
    if view.open_end == view.end:
        tag = tag[:-2].rstrip() + b">"
    return ooxml.replace_span(head, view, tag + pane + kept + b"</" + name + b">")


def column_widths(head: bytes, widths: Iterable[tuple[int, float]], prefix: str) -> bytes:
    """Each column given its width; other columns' ``<col>`` entries keep theirs."""
    wanted = dict(widths)
    if not wanted:
        return head
    region = head_region(head)
    found = _element(head, region, "cols")
    entries: list[tuple[int, int, bytes]] = []  # (min, max, element)
    if found:
        for span in ooxml.child_spans(head, found[0]):
            values = ooxml.attributes(span.tag(head))
            entries.append((int(values.get("min", "1")), int(values.get("max", "1")),
                            head[span.start:span.end]))
    if all(_has_width(entries, col, width) for col, width in wanted.items()):
        return head
    for col, width in sorted(wanted.items()):
        entries = _without_column(entries, col)
        entries.append((col, col, f'<{prefix}col min="{col}" max="{col}" width="{width!r}" '
                                  f'customWidth="1"/>'.encode()))
    entries.sort(key=lambda entry: entry[0])
    element = (f"<{prefix}cols>".encode() + b"".join(e for _, _, e in entries)
               + f"</{prefix}cols>".encode())
    if found:
        return ooxml.replace_span(head, found[0], element)
    return _insert(head, region, element, "cols")


def print_setup(head: bytes, tail: bytes, setup: PrintSetup, prefix: str
                ) -> tuple[bytes, bytes]:
    """How one of the worker's own tabs prints: orientation, one page wide, centred. Its
    ``<pageSetup>`` and ``<printOptions>`` are the worker's, so they are replaced whole."""
    p = prefix
    orientation = "landscape" if setup.landscape else "portrait"
    fit = ' fitToWidth="1" fitToHeight="0"' if setup.fit_to_width else ""
    wanted = {"printOptions": f'<{p}printOptions horizontalCentered="1"/>'.encode(),
              "pageSetup": f'<{p}pageSetup orientation="{orientation}"{fit}/>'.encode()}
    for name, element in wanted.items():
        region = tail_region(tail)
        found = _element(tail, region, name)
        if found and tail[found[0].start:found[0].end] == element:
            continue
        tail = ooxml.replace_span(tail, found[0], element) if found else \
            _insert(tail, region, element, name)
    return _fit_to_page(head, setup.fit_to_width, prefix), tail


def _fit_to_page(head: bytes, fit: bool, prefix: str) -> bytes:
    """``<sheetPr><pageSetUpPr fitToPage="1"/>``: Excel scales to the page only with it."""
    region = head_region(head)
    found = _element(head, region, "sheetPr")
    value = "1" if fit else "0"
    inner = f'<{prefix}pageSetUpPr fitToPage="{value}"/>'.encode()
    if not found:
        return _insert(head, region, f"<{prefix}sheetPr>".encode() + inner
                       + f"</{prefix}sheetPr>".encode(), "sheetPr")
    sheet_pr = found[0]
    children = ooxml.child_spans(head, sheet_pr)
    old = ooxml.first(children, "pageSetUpPr")
    if old is not None:
        if ooxml.attributes(old.tag(head)).get("fitToPage") == value:
            return head
        tag = ooxml.with_attributes(old.tag(head), {"fitToPage": value})
        return head[:old.start] + tag + head[old.open_end:]
    return ooxml.insert_in_order(head, sheet_pr, inner, "pageSetUpPr",
                                 ("tabColor", "outlinePr", "pageSetUpPr"))


def _has_width(entries: list[tuple[int, int, bytes]], col: int, width: float) -> bool:
    for low, high, element in entries:
        if low <= col <= high:
            values = ooxml.attributes(element)
            return low == high and _float(values.get("width")) == width
    return False


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _without_column(entries: list[tuple[int, int, bytes]], col: int
                    ) -> list[tuple[int, int, bytes]]:
    """The entries with ``col`` taken out of the range that holds it (split in two)."""
    kept = []
    for low, high, element in entries:
        if not low <= col <= high:
            kept.append((low, high, element))
            continue
        tag_end = ooxml.TAG.match(element).end()  # type: ignore[union-attr]
        for new_low, new_high in ((low, col - 1), (col + 1, high)):
            if new_low <= new_high:
                tag = ooxml.with_attributes(element[:tag_end], {"min": str(new_low),
                                                                "max": str(new_high)})
                kept.append((new_low, new_high, tag + element[tag_end:]))
    return kept


def used_area(head: bytes, last_row: int, last_col: int) -> bytes:
    """``<dimension>`` grown to take in cells written up to ``last_row``, ``last_col``."""
    region = head_region(head)
    found = _element(head, region, "dimension")
    if not found or not last_row:
        return head
    ref = ooxml.attributes(found[0].tag(head)).get("ref", "A1")
    first, _, last = ref.partition(":")
    try:
        top, left = cell_position(first)
        bottom, right = cell_position(last or first)
    except ValueError:
        return head
    bottom, right = max(bottom, last_row), max(right, last_col)
    top, left = min(top, last_row), min(left, last_col)
    new = f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"
    if new == ref:
        return head
    return ooxml.replace_span(head, found[0], ooxml.with_attributes(found[0].tag(head),
                                                                    {"ref": new}))


# -- tail -------------------------------------------------------------------------------------

def merged_ranges(tail: bytes) -> list[tuple[int, int, int, int]]:
    """Merged areas as (first row, first column, last row, last column)."""
    region = tail_region(tail)
    found = []
    for block in _element(tail, region, "mergeCells"):
        for span in ooxml.child_spans(tail, block):
            ref = ooxml.attributes(span.tag(tail)).get("ref", "")
            first, _, last = ref.partition(":")
            try:
                (top, left), (bottom, right) = cell_position(first), cell_position(last or first)
            except ValueError:
                continue
            found.append((top, left, bottom, right))
    return found


def _rule_xml(highlight: Highlight, dxf: int, priority: int, p: str) -> bytes:
    text = highlight.text.replace('"', '""')
    corner = f"{column_letter(highlight.range.first_col)}{highlight.range.first_row}"
    if highlight.rule == "equals":
        kind, operator, formula, with_text = "cellIs", "equal", f'"{text}"', False
    elif highlight.rule == "contains":
        kind, operator, formula, with_text = (
            "containsText", "containsText", f'NOT(ISERROR(SEARCH("{text}",{corner})))', True)
    elif highlight.rule == "begins":
        kind, operator, formula, with_text = (
            "beginsWith", "beginsWith", f'LEFT({corner},LEN("{text}"))="{text}"', True)
    elif highlight.rule in NUMBER_RULES:
        kind, operator, formula, with_text = "expression", "", highlight.number_formula(), False
    else:
        raise ValueError(f"unknown highlight rule {highlight.rule!r}")
    text_attr = f" text={ooxml.attr(highlight.text)}" if with_text else ""
    operator_attr = f'operator="{operator}"' if operator else ""
    return (f'<{p}cfRule type="{kind}" dxfId="{dxf}" priority="{priority}" '
            f'{operator_attr}{text_attr}><{p}formula>{ooxml.text(formula)}</{p}formula>'
            f"</{p}cfRule>").encode()


def _mark(kind: str, operator: str, text: str, formulas: tuple[str, ...], colour: str
          ) -> tuple:
    """What makes a rule one of the worker's, wherever it sits."""
    return kind, operator, (text if kind not in ("cellIs", "expression") else formulas), colour


def _wanted_mark(highlight: Highlight) -> tuple:
    colour = highlight.color.lstrip("#").upper()
    if highlight.rule in NUMBER_RULES:
        return _mark("expression", "", "", (highlight.number_formula(),), colour)
    text = highlight.text.replace('"', '""')
    kind = {"equals": "cellIs", "contains": "containsText", "begins": "beginsWith"}[
        highlight.rule]
    operator = {"cellIs": "equal"}.get(kind, kind)
    return _mark(kind, operator, highlight.text, (f'"{text}"',) if kind == "cellIs" else (),
                 colour)


def highlights(tail: bytes, items: list[Highlight], styles: StyleSheet, prefix: str) -> bytes:
    """The worker's conditional colours on this tab, as ``items`` want them.

    Rules on the ranges the plan colours are the worker's; so are rules like its own on a
    range running to the sheet's end (left behind when an owned column moved). Every other
    rule, and every rule of a person's block, keeps its bytes.
    """
    region = tail_region(tail)
    places = {reference(h.range) for h in items}
    marks = {_wanted_mark(h) for h in items}
    wanted = sorted((reference(h.range), _wanted_mark(h)) for h in items)
    blocks = _element(tail, region, "conditionalFormatting")
    found: list[tuple[str, tuple]] = []
    edits: list[tuple[ooxml.Span, bytes]] = []
    for block in blocks:
        place = ooxml.attributes(block.tag(tail)).get("sqref", "")
        rules = ooxml.child_spans(tail, block)
        ours = []
        for rule in rules:
            if rule.name != "cfRule":
                continue
            mark = _rule_mark(tail, rule, styles)
            if place in places or (mark in marks and place.endswith(_SQREF_END)):
                ours.append(rule)
                found.append((place, mark))
        if ours and len(ours) == len(rules):
            edits.append((block, b""))
        elif ours:
            kept = b"".join(tail[r.start:r.end] for r in rules if r not in ours)
            edits.append((block, block.tag(tail) + kept + tail[block.inner(tail)[1]:block.end]))
    if sorted(found) == wanted and len(found) == len(items):
        return tail
    top = max((int(m[1]) for m in _PRIORITY.finditer(tail)), default=0)
    for block, replacement in sorted(edits, key=lambda e: e[0].start, reverse=True):
        tail = tail[:block.start] + replacement + tail[block.end:]
    by_place: dict[str, list[bytes]] = {}
    for item in items:
        top += 1
        by_place.setdefault(reference(item.range), []).append(
            _rule_xml(item, styles.fill(item.color), top, prefix))
    element = b"".join(f"<{prefix}conditionalFormatting sqref={ooxml.attr(place)}>".encode()
                       + b"".join(rules) + f"</{prefix}conditionalFormatting>".encode()
                       for place, rules in by_place.items())
    if not element:
        return tail
    region = tail_region(tail)
    existing = _element(tail, region, "conditionalFormatting")
    place_at = existing[-1].end if existing else ooxml.place_in_order(
        tail, *region, "conditionalFormatting", WORKSHEET_ORDER)
    return tail[:place_at] + element + tail[place_at:]


def _rule_mark(tail: bytes, rule: ooxml.Span, styles: StyleSheet) -> tuple:
    values = ooxml.attributes(rule.tag(tail))
    formulas = tuple(ooxml.unescape_text(f) for f in _FORMULA.findall(tail, rule.start,
                                                                      rule.end))
    dxf = values.get("dxfId", "")
    colour = styles.fill_colour(int(dxf)) if dxf.isdigit() else ""
    return _mark(values.get("type", ""), values.get("operator", ""), values.get("text", ""),
                 formulas, colour)


def dropdown(tail: bytes, item: Dropdown, prefix: str) -> bytes:
    """One list dropdown on ``item``'s range; the worker's earlier ones (same range or same
    source) replaced, a person's kept."""
    region = tail_region(tail)
    place = reference(item.range)
    source = f"{quote_tab(item.source.tab)}!{reference(item.source, absolute=True)}"
    blocks = _element(tail, region, "dataValidations")
    rules = ooxml.child_spans(tail, blocks[0]) if blocks else []
    ours = []
    for rule in rules:
        values = ooxml.attributes(rule.tag(tail))
        formula = _formula1(tail, rule)
        if values.get("type") == "list" and (values.get("sqref") == place or formula == source):
            ours.append((rule, values.get("sqref"), formula))
    if len(ours) == 1 and ours[0][1:] == (place, source):
        return tail
    p = prefix
    new = (f'<{p}dataValidation type="list" errorStyle="warning" allowBlank="1" '
           f'showErrorMessage="1" sqref={ooxml.attr(place)}><{p}formula1>{ooxml.text(source)}'
           f"</{p}formula1></{p}dataValidation>").encode()
    kept = [tail[r.start:r.end] for r in rules if r not in [o[0] for o in ours]]
    items = [*kept, new]
    element = (f'<{p}dataValidations count="{len(items)}">'.encode() + b"".join(items)
               + f"</{p}dataValidations>".encode())
    if blocks:
        return ooxml.replace_span(tail, blocks[0], element)
    return _insert(tail, region, element, "dataValidations")


def _formula1(tail: bytes, rule: ooxml.Span) -> str:
    for span in ooxml.child_spans(tail, rule):
        if span.name == "formula1":
            start, end = span.inner(tail)
            return ooxml.unescape_text(tail[start:end])
    return ""


def add_element(tail: bytes, element: bytes, name: str) -> bytes:
    """``element`` (``drawing``, ``legacyDrawing``) put where the schema wants it."""
    return _insert(tail, tail_region(tail), element, name)


def element_attributes(tail: bytes, name: str) -> dict[str, str] | None:
    found = _element(tail, tail_region(tail), name)
    return ooxml.attributes(found[0].tag(tail)) if found else None
