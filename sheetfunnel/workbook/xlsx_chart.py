"""The worker's charts on its own tabs: found by name in the tab's drawing, replaced, never a
person's.

Each chart the worker draws is a graphic frame named ``sheetfunnel: TITLE`` whose description
holds a digest of what it shows, so an unchanged chart is recognised without opening it and a
changed one is replaced. Other anchors of the drawing (a person's pictures and charts) keep
their bytes. A chart drawn before charts were named (saved through openpyxl) is taken over
when both its title and its place are the worker's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from sheetfunnel.grid import column_letter, quote_tab
from sheetfunnel.plan import CellRange, Chart
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_looks import add_element, element_attributes
from sheetfunnel.workbook.xlsx_package import CHART, DRAWING, PackageWriter

NAME_PREFIX = "sheetfunnel: "
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_ANCHORS = ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")
EMU_PER_PIXEL = 9525  # at 96 dpi
BAR_COLOR = "4472C4"  # the bars' fill: without one LibreOffice draws none
_C_NV_PR = re.compile(rb"<(?:[\w.-]+:)?cNvPr\b[^>]*>")
_CHART_REF = re.compile(rb"<(?:[\w.-]+:)?chart\b[^>]*?\s[\w.-]*:?id\s*=\s*[\"']([^\"']+)[\"']")
_FROM = re.compile(rb"<(?:[\w.-]+:)?from>\s*<(?:[\w.-]+:)?col>(\d+)</(?:[\w.-]+:)?col>.*?"
                   rb"<(?:[\w.-]+:)?row>(\d+)</(?:[\w.-]+:)?row>", re.S)
_TITLE_TEXT = re.compile(rb"<(?:[\w.-]+:)?title>.*?</(?:[\w.-]+:)?title>", re.S)
_A_T = re.compile(rb"<a:t>([^<]*)</a:t>")

_EMPTY_DRAWING = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  b'<xdr:wsDr xmlns:xdr="' + ooxml.DRAWING.encode() + b'" xmlns:a="'
                  + ooxml.DRAWING_MAIN.encode() + b'"></xdr:wsDr>')


def put_charts(package: PackageWriter, sheet: str, root: bytes, tail: bytes,
               charts: list[Chart], last_row: Callable[[str], int]) -> bytes:
    """Bring the worker's charts on the tab in part ``sheet`` (whose start tag is ``root``) to
    ``charts``; the new tail of the sheet part (a ``<drawing>`` added when the tab had
    none)."""
    if not charts:
        return tail
    rels = package.relationships(sheet)
    found = element_attributes(tail, "drawing")
    rid = next((v for k, v in (found or {}).items() if ooxml.local(k) == "id"), None)
    drawing = next((r.target for r in rels if r.id == rid and r.type == DRAWING), None)
    data = package.read(drawing) if drawing else None
    wanted = {chart.title: (chart, _digest(chart, last_row)) for chart in charts}
    current = data or _EMPTY_DRAWING
    anchors = _anchors(package, drawing, current)
    ours = [a for a in anchors if a.ours or (a.title in wanted and a.place == _place(
        wanted[a.title][0]))]
    if data is not None and sorted((a.title, a.digest) for a in ours if a.ours) == sorted(
            (title, digest) for title, (_, digest) in wanted.items()) and \
            len(ours) == len(wanted):
        return tail
    if drawing is None:
        drawing = package.free_name("xl/drawings/drawing{}.xml")
        rid = package.relate(sheet, DRAWING, drawing)
        package.declare(drawing, DRAWING_TYPE)
        prefix = ooxml.prefix_of(root).decode()
        tail = add_element(tail, f"<{prefix}drawing {ooxml.relationship_id(root, rid)}/>"
                           .encode(), "drawing")
    for anchor in sorted(ours, key=lambda a: a.span.start, reverse=True):
        current = ooxml.replace_span(current, anchor.span, b"")
        if anchor.chart is not None:
            package.remove(anchor.chart)
            package.undeclare(anchor.chart)
            package.remove(f"{anchor.chart.rsplit('/', 1)[0]}/_rels/"
                           f"{anchor.chart.rsplit('/', 1)[1]}.rels")
        if anchor.rid:
            package.unrelate(drawing, anchor.rid)
    ids = [int(m) for m in re.findall(rb'\sid="(\d+)"', current)]
    top = ooxml.root(current).tag(current)
    declared = ooxml.declared_prefix(top, ooxml.DRAWING) == "xdr" and \
        ooxml.declared_prefix(top, ooxml.DRAWING_MAIN) == "a"
    for number, (chart, digest) in enumerate(wanted.values(), start=max([0, *ids]) + 1):
        part = package.free_name("xl/charts/chart{}.xml")
        package.put(part, chart_part(chart, last_row))
        package.declare(part, CHART_TYPE)
        chart_rid = package.relate(drawing, CHART, part)
        current = _append_anchor(current, _anchor(chart, digest, number, chart_rid, declared))
    package.put(drawing, current)
    return tail


class _Anchor:
    def __init__(self, span: ooxml.Span, data: bytes, package: PackageWriter,
                 drawing: str | None):
        self.span = span
        element = data[span.start:span.end]
        frame = _C_NV_PR.search(element)
        values = ooxml.attributes(frame[0]) if frame else {}
        name = values.get("name", "")
        self.ours = name.startswith(NAME_PREFIX)
        self.digest = values.get("descr", "")
        ref = _CHART_REF.search(element)
        self.rid = ref[1].decode() if ref else None
        rels = {r.id: r.target for r in package.relationships(drawing)} if drawing else {}
        self.chart = rels.get(self.rid or "")
        start = _FROM.search(element)
        self.place = (int(start[2]) + 1, int(start[1]) + 1) if start else None
        self.title = name[len(NAME_PREFIX):] if self.ours else self._chart_title(package)

    def _chart_title(self, package: PackageWriter) -> str:
        data = package.read(self.chart) if self.chart else None
        title = _TITLE_TEXT.search(data) if data else None
        return "".join(ooxml.unescape_text(t) for t in _A_T.findall(title[0])) if title else ""


def _anchors(package: PackageWriter, drawing: str | None, data: bytes) -> list[_Anchor]:
    top = ooxml.root(data)
    return [_Anchor(span, data, package, drawing) for span in ooxml.child_spans(data, top)
            if span.name in _ANCHORS and _CHART_REF.search(data, span.start, span.end)]


def _place(chart: Chart) -> tuple[int, int]:
    return chart.anchor_row, chart.anchor_col


def _append_anchor(data: bytes, anchor: bytes) -> bytes:
    top = ooxml.root(data)
    if top.open_end == top.end:
        tag = top.tag(data)
        name = ooxml.TAG.match(tag)[2]  # type: ignore[index]
        return data[:top.start] + tag[:-2].rstrip() + b">" + anchor + b"</" + name + b">"
    end = top.inner(data)[1]
    return data[:end] + anchor + data[end:]


def _reference(area: CellRange, last_row: Callable[[str], int]) -> str:
    last = area.last_row or max(last_row(area.tab), area.first_row)
    col = column_letter(area.first_col)
    return f"{quote_tab(area.tab)}!${col}${area.first_row}:${col}${last}"


def _digest(chart: Chart, last_row: Callable[[str], int]) -> str:
    shown = "|".join([chart.title, str(_place(chart)), f"{chart.width}x{chart.height}",
                      _reference(chart.categories, last_row),
                      _reference(chart.values, last_row), "bar/2"])
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def _anchor(chart: Chart, digest: str, number: int, rid: str, declared: bool) -> bytes:
    """The chart's frame, anchored at its cell (namespaces declared on it unless the drawing
    declares them as ``xdr`` and ``a``)."""
    name = ooxml.attr(NAME_PREFIX + chart.title)
    spaces = "" if declared else f' xmlns:xdr="{ooxml.DRAWING}" xmlns:a="{ooxml.DRAWING_MAIN}"'
    return (f"<xdr:oneCellAnchor{spaces}>"
            f"<xdr:from><xdr:col>{chart.anchor_col - 1}</xdr:col>"
            f"<xdr:colOff>0</xdr:colOff><xdr:row>{chart.anchor_row - 1}</xdr:row>"
            f'<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="{chart.width * EMU_PER_PIXEL}" '
            f'cy="{chart.height * EMU_PER_PIXEL}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{number}" '
            f'name={name} descr="{digest}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            f'<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
            f'<a:graphicData uri="{ooxml.CHART}"><c:chart xmlns:c="{ooxml.CHART}" '
            f'xmlns:r="{ooxml.REL}" r:id="{rid}"/></a:graphicData></a:graphic>'
            f"</xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>").encode()


def chart_part(chart: Chart, last_row: Callable[[str], int]) -> bytes:
    """A horizontal bar chart, first category on top, no legend."""
    title = ooxml.text(chart.title)
    categories = ooxml.text(_reference(chart.categories, last_row))
    values = ooxml.text(_reference(chart.values, last_row))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{ooxml.CHART}" xmlns:a="{ooxml.DRAWING_MAIN}" '
        f'xmlns:r="{ooxml.REL}"><c:roundedCorners val="0"/><c:chart><c:title><c:tx><c:rich>'
        f"<a:bodyPr/><a:p><a:pPr><a:defRPr sz=\"1100\" b=\"1\"/></a:pPr><a:r>"
        f"<a:rPr sz=\"1100\" b=\"1\"/><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/>'
        '<c:varyColors val="0"/><c:ser><c:idx val="0"/><c:order val="0"/>'
        f'<c:spPr><a:solidFill><a:srgbClr val="{BAR_COLOR}"/></a:solidFill></c:spPr>'
        f"<c:cat><c:strRef><c:f>{categories}</c:f></c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{values}</c:f></c:numRef></c:val></c:ser>"
        '<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
        '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="maxMin"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:numFmt formatCode="General" '
        'sourceLinked="1"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        '<c:noMultiLvlLbl val="0"/></c:catAx><c:valAx><c:axId val="100"/><c:scaling>'
        '<c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/>'
        '<c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
        '</c:valAx></c:plotArea><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>'
        "</c:chart></c:chartSpace>").encode()
