"""The workbook's style table (``xl/styles.xml``), grown only by appending.

A cell's ``s`` attribute points into ``<cellXfs>``; an ``<xf>`` points at a number format and
a font. To give a cell a number format or bold type, the worker takes the cell's own ``<xf>``,
changes that one thing and appends the result (or finds it already there), so people's styles
keep their numbers and nothing of theirs changes. Conditional colours are ``<dxf>`` entries,
appended the same way.
"""

from __future__ import annotations

import re

from sheetfunnel.workbook import ooxml

#: Number formats every spreadsheet knows by id (ECMA-376 18.8.30), those with fixed text.
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
_BUILTIN_BY_CODE = {code: number for number, code in BUILTIN_FORMATS.items()}
_DATE_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57}
_FIRST_CUSTOM = 164
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
          "dxfs", "tableStyles", "colors", "extLst")
_LITERALS = re.compile(r'"[^"]*"|\\.|\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]')
_DATE_LETTERS = re.compile(r"[dmyhsDMYHS]")
_BOLD = re.compile(rb"<(?:[\w.-]+:)?b\b([^>]*)/?>(?:</(?:[\w.-]+:)?b>)?")
_RGB = re.compile(rb"<(?:[\w.-]+:)?(?:fgColor|bgColor)\b[^>]*?\srgb=[\"']([0-9A-Fa-f]{6,8})[\"']")

MINIMAL = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    b'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    b'builtinId="0"/></cellStyles><dxfs count="0"/></styleSheet>')


def is_date_code(code: str) -> bool:
    """A number format that shows a date or time (text in quotes and colours do not count)."""
    bare = _LITERALS.sub("", code.split(";")[0])
    return bool(_DATE_LETTERS.search(bare)) and "General" not in bare


class StyleSheet:
    """``styles.xml`` read once; new entries appended; ``to_bytes`` when anything was added."""

    def __init__(self, data: bytes | None):
        self.data = data or MINIMAL
        sheet = ooxml.root(self.data)
        self._prefix = ooxml.prefix_of(sheet.tag(self.data))
        self._sections = {s.name: s for s in ooxml.child_spans(self.data, sheet)}
        self.formats = dict(BUILTIN_FORMATS)
        for span in self._children("numFmts"):
            values = ooxml.attributes(span.tag(self.data))
            self.formats[int(values.get("numFmtId", "0"))] = values.get("formatCode", "")
        self.fonts = [self.data[s.start:s.end] for s in self._children("fonts")]
        self.xfs = [self.data[s.start:s.end] for s in self._children("cellXfs")] or [
            b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        self.dxfs = [self.data[s.start:s.end] for s in self._children("dxfs")]
        self._added: dict[str, list[bytes]] = {"numFmts": [], "fonts": [], "cellXfs": [],
                                               "dxfs": []}
        self._xf_index = {xf: n for n, xf in reversed(list(enumerate(self.xfs)))}
        self._font_index = {font: n for n, font in reversed(list(enumerate(self.fonts)))}
        self._dxf_index = {dxf: n for n, dxf in reversed(list(enumerate(self.dxfs)))}
        self._cache: dict[tuple[int, str, str], int] = {}
        self._numbers: dict[tuple[int, str], int] = {}
        self._dates: dict[int, bool] = {}

    def _children(self, section: str) -> list[ooxml.Span]:
        span = self._sections.get(section)
        return ooxml.child_spans(self.data, span) if span is not None else []

    @property
    def changed(self) -> bool:
        return any(self._added.values())

    # -- what a style shows

    def format_code(self, style: int) -> str:
        return self.formats.get(self._xf_number(style, "numFmtId"), "General")

    def is_date(self, style: int) -> bool:
        if style not in self._dates:
            number = self._xf_number(style, "numFmtId")
            self._dates[style] = number in _DATE_IDS or (
                number >= _FIRST_CUSTOM and is_date_code(self.formats.get(number, "")))
        return self._dates[style]

    def is_bold(self, style: int) -> bool:
        font = self._xf_number(style, "fontId")
        return font < len(self.fonts) and _is_bold(self.fonts[font])

    def _xf(self, style: int) -> bytes:
        return self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0]

    def _xf_number(self, style: int, name: str) -> int:
        key = (style, name)
        if key not in self._numbers:
            value = ooxml.attributes(self._xf(style)).get(name, "0")
            self._numbers[key] = int(value) if value.isdigit() else 0
        return self._numbers[key]

    # -- styles derived from a cell's own

    def with_format(self, style: int, code: str) -> int:
        """``style`` showing numbers as ``code``."""
        key = (style, "format", code)
        if key not in self._cache:
            self._cache[key] = style if self.format_code(style) == code else \
                self._derived(style, {"numFmtId": str(self._format_id(code)),
                                      "applyNumberFormat": "1"})
        return self._cache[key]

    def with_bold(self, style: int) -> int:
        key = (style, "bold", "")
        if key not in self._cache:
            if self.is_bold(style):
                self._cache[key] = style
            else:
                font = self._xf_number(style, "fontId")
                bold = _bold_font(self.fonts[font] if font < len(self.fonts) else self.fonts[0])
                self._cache[key] = self._derived(style, {"fontId": str(self._font_id(bold)),
                                                         "applyFont": "1"})
        return self._cache[key]

    def fill(self, colour: str) -> int:
        """The ``<dxf>`` (conditional format) that fills a cell with ``#RRGGBB``."""
        rgb = "FF" + colour.lstrip("#").upper()
        p = self._prefix.decode()
        dxf = (f'<{p}dxf><{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
               f'<{p}bgColor rgb="{rgb}"/></{p}patternFill></{p}fill></{p}dxf>').encode()
        return self._add("dxfs", dxf, self.dxfs, self._dxf_index)

    def fill_colour(self, dxf: int) -> str:
        """``RRGGBB`` of the fill a ``<dxf>`` gives (empty when none)."""
        if not 0 <= dxf < len(self.dxfs):
            return ""
        found = _RGB.search(self.dxfs[dxf])
        return found[1].decode()[-6:].upper() if found else ""

    def _derived(self, style: int, changes: dict[str, str]) -> int:
        xf = self._xf(style)
        tag_end = ooxml.TAG.match(xf).end()  # type: ignore[union-attr]
        new = ooxml.with_attributes(xf[:tag_end], changes) + xf[tag_end:]
        return self._add("cellXfs", new, self.xfs, self._xf_index)

    def _format_id(self, code: str) -> int:
        if code in _BUILTIN_BY_CODE:
            return _BUILTIN_BY_CODE[code]
        for number, known in self.formats.items():
            if known == code and number >= _FIRST_CUSTOM:
                return number
        number = max([_FIRST_CUSTOM - 1, *self.formats]) + 1
        self.formats[number] = code
        p = self._prefix.decode()
        self._added["numFmts"].append(
            f'<{p}numFmt numFmtId="{number}" formatCode={ooxml.attr(code)}/>'.encode())
        return number

    def _font_id(self, font: bytes) -> int:
        return self._add("fonts", font, self.fonts, self._font_index)

    def _add(self, section: str, element: bytes, items: list[bytes],
             index: dict[bytes, int]) -> int:
        if element not in index:
            index[element] = len(items)
            items.append(element)
            self._added[section].append(element)
        return index[element]

    # -- the part

    def to_bytes(self) -> bytes:
        """``styles.xml`` with what was added: each section's new entries at its end and its
        ``count`` brought up to date."""
        data = self.data
        for section in ("dxfs", "cellXfs", "fonts", "numFmts"):  # back to front
            added = self._added[section]
            if not added:
                continue
            sheet = ooxml.root(data)
            spans = {s.name: s for s in ooxml.child_spans(data, sheet)}
            span = spans.get(section)
            if span is None:
                element = (f"<{self._prefix.decode()}{section} count=\"{len(added)}\">".encode()
                           + b"".join(added) + f"</{self._prefix.decode()}{section}>".encode())
                data = ooxml.insert_in_order(data, sheet, element, section, _ORDER)
                continue
            count = len(ooxml.child_spans(data, span)) + len(added)
            start, end = span.inner(data)
            if span.open_end == span.end:  # <dxfs count="0"/>
                tag = ooxml.with_attributes(span.tag(data)[:-2].rstrip() + b">",
                                            {"count": str(count)})
                element = tag + b"".join(added) + f"</{self._prefix.decode()}{section}>".encode()
                data = ooxml.replace_span(data, span, element)
                continue
            tag = ooxml.with_attributes(span.tag(data), {"count": str(count)})
            data = data[:span.start] + tag + data[span.open_end:end] + b"".join(added) + \
                data[end:]
        return data


def _is_bold(font: bytes) -> bool:
    found = _BOLD.search(font)
    if not found:
        return False
    value = ooxml.attributes(b"<b" + found[1] + b">").get("val", "1")
    return value.lower() not in ("0", "false")


def _bold_font(font: bytes) -> bytes:
    found = _BOLD.search(font)
    prefix = ooxml.prefix_of(font)
    if found:
        return font[:found.start()] + b"<" + prefix + b"b/>" + font[found.end():]
    tag = ooxml.TAG.match(font)
    assert tag is not None
    if tag[4]:  # <font/>
        return font[:-2].rstrip() + b"><" + prefix + b"b/></" + prefix + b"font>"
    return font[:tag.end()] + b"<" + prefix + b"b/>" + font[tag.end():]
