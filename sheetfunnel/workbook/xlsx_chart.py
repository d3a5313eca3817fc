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
from sheetfunnel.plan import CellRange, Chart, Series
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_looks import add_element, element_attributes
from sheetfunnel.workbook.xlsx_package import CHART, DRAWING, PackageWriter

NAME_PREFIX = "sheetfunnel: "
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_ANCHORS = ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")
EMU_PER_PIXEL = 9525  # at 96 dpi
#: Each series' colour, in order (without one LibreOffice draws none); the first is the
#: bars' of a one-series bar chart.
COLOURS = ("4472C4", "ED7D31", "70AD47", "7030A0", "FFC000", "5B9BD5", "A5A5A5", "264478")
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
    if chart.kind == "bar" and len(chart.series) == 1:  # as drawn before charts had kinds
        shown = [chart.title, str(_place(chart)), f"{chart.width}x{chart.height}",
                 _reference(chart.categories, last_row),
                 _reference(chart.series[0].values, last_row), "bar/2"]
    else:
        shown = [chart.title, str(_place(chart)), f"{chart.width}x{chart.height}",
                 _reference(chart.categories, last_row), f"{chart.kind}/1",
                 f"{chart.category_format}/{chart.value_format}",
                 *(f"{s.name}={_reference(s.values, last_row)}:{s.line}" for s in chart.series)]
    return hashlib.sha256("|".join(shown).encode()).hexdigest()[:16]


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
    """The chart part: horizontal bars (first category on top), lines, or columns with lines
    over them sharing both axes; a legend below when there are several series."""
    title = ooxml.text(chart.title)
    named = len(chart.series) > 1
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{ooxml.CHART}" xmlns:a="{ooxml.DRAWING_MAIN}" '
        f'xmlns:r="{ooxml.REL}"><c:roundedCorners val="0"/><c:chart><c:title><c:tx><c:rich>'
        f"<a:bodyPr/><a:p><a:pPr><a:defRPr sz=\"1100\" b=\"1\"/></a:pPr><a:r>"
        f"<a:rPr sz=\"1100\" b=\"1\"/><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>')
    numbered = list(enumerate(chart.series))
    bars = [(i, s) for i, s in numbered if chart.kind == "bar"
            or (chart.kind == "combo" and not s.line)]
    lines = [(i, s) for i, s in numbered if (i, s) not in bars]
    plots = ""
    if bars:
        across = chart.kind == "bar"
        plots += (f'<c:barChart><c:barDir val="{"bar" if across else "col"}"/>'
                  '<c:grouping val="clustered"/><c:varyColors val="0"/>'
                  + "".join(_bar_series(i, s, chart, named, last_row)
                            for i, s in bars)
                  + '<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>')
    if lines:
        plots += ('<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>'
                  + "".join(_line_series(i, s, chart, named, last_row)
                            for i, s in lines)
                  + '<c:marker val="1"/><c:axId val="10"/><c:axId val="100"/></c:lineChart>')
    across = chart.kind == "bar"
    axes = (
        '<c:catAx><c:axId val="10"/><c:scaling>'
        f'<c:orientation val="{"maxMin" if across else "minMax"}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"l" if across else "b"}"/><c:numFmt '
        f'formatCode={ooxml.attr(chart.category_format or "General")} '
        f'sourceLinked="{0 if chart.category_format else 1}"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/>'
        f'<c:auto val="{0 if chart.category_format else 1}"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/>'
        '<c:noMultiLvlLbl val="0"/></c:catAx><c:valAx><c:axId val="100"/><c:scaling>'
        '<c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{"b" if across else "l"}"/>'
        f'<c:majorGridlines/><c:numFmt formatCode={ooxml.attr(chart.value_format or "General")} '
        f'sourceLinked="{0 if chart.value_format else 1}"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
        '</c:valAx></c:plotArea>')
    legend = '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>' if named else ""
    return (head + plots + axes + legend + '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>'
            "</c:chart></c:chartSpace>").encode()


def _series_head(index: int, series: Series, named: bool) -> str:
    name = f"<c:tx><c:v>{ooxml.text(series.name)}</c:v></c:tx>" if named else ""
    return f'<c:idx val="{index}"/><c:order val="{index}"/>{name}'


def _series_data(series: Series, chart: Chart, last_row: Callable[[str], int]) -> str:
    """Categories as text, or as numbers where they are dates (shown in the axis' format)."""
    kind = "numRef" if chart.category_format else "strRef"
    return (f"<c:cat><c:{kind}><c:f>{ooxml.text(_reference(chart.categories, last_row))}"
            f"</c:f></c:{kind}></c:cat><c:val><c:numRef><c:f>"
            f"{ooxml.text(_reference(series.values, last_row))}</c:f></c:numRef></c:val>")


def _bar_series(index: int, series: Series, chart: Chart, named: bool,
                last_row: Callable[[str], int]) -> str:
    colour = COLOURS[index % len(COLOURS)]
    return (f"<c:ser>{_series_head(index, series, named)}"
            f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></c:spPr>'
            f"{_series_data(series, chart, last_row)}</c:ser>")


def _line_series(index: int, series: Series, chart: Chart, named: bool,
                 last_row: Callable[[str], int]) -> str:
    colour = COLOURS[index % len(COLOURS)]
    return (f"<c:ser>{_series_head(index, series, named)}"
            f'<c:spPr><a:ln w="28575" cap="rnd"><a:solidFill><a:srgbClr val="{colour}"/>'
            '</a:solidFill><a:round/></a:ln></c:spPr><c:marker><c:symbol val="circle"/>'
            f'<c:size val="5"/><c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
            f"</c:spPr></c:marker>{_series_data(series, chart, last_row)}"
            '<c:smooth val="0"/></c:ser>')
