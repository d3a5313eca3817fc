"""The rows and cells of a sheet part, found in its bytes.

A sheet part is ``<worksheet>``: a head (views, column widths), ``<sheetData>`` with one
``<row>`` per row holding ``<c>`` cells, and a tail (conditional formats, validation,
drawings). Rows and cells may carry their place (``r="5"``, ``r="E5"``) or leave it implied
by their order; both are read here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from sheetfunnel.grid import column_number
from sheetfunnel.workbook import ooxml

_NAME = rb"(?:[\w.-]+:)?"
ROW = re.compile(rb"<" + _NAME + rb"row\b(?:\s[^<>]*?)?(?:/>|>.*?</" + _NAME + rb"row>)", re.S)
CELL = re.compile(rb"<(" + _NAME + rb")c\b((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*"
                  rb"(?:/>|>(.*?)</" + _NAME + rb"c>)", re.S)
_ROW_NUMBER = re.compile(rb"\sr\s*=\s*[\"'](\d+)[\"']")
_CELL_PLACE = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]+)\$?(\d+)[\"']")
_ATTR_T = re.compile(rb"\st\s*=\s*[\"'](\w+)[\"']")
_ATTR_S = re.compile(rb"\ss\s*=\s*[\"'](\d+)[\"']")
_VALUE = re.compile(rb"<" + _NAME + rb"v>([^<]*)</", re.S)
_FORMULA = re.compile(rb"<" + _NAME + rb"f\b")
_INLINE_TEXT = re.compile(rb"<" + _NAME + rb"t\b[^>]*?(?:/>|>([^<]*)</)", re.S)


def cell_position(place: str) -> tuple[int, int]:
    """``AB12`` -> (12, 28)."""
    letters = place.lstrip("$").rstrip("0123456789").rstrip("$")
    return int(place[place.rfind(letters) + len(letters):].lstrip("$")), column_number(letters)


class CellXml:
    """One ``<c>`` element: its column, where it sits in the row's bytes, and its parts."""

    __slots__ = ("col", "start", "end", "attrs", "inner")

    def __init__(self, col: int, start: int, end: int, attrs: bytes, inner: bytes | None):
        self.col, self.start, self.end = col, start, end
        self.attrs = attrs  # the attribute text of its tag
        self.inner = inner  # its content (None for an empty element)

    @property
    def kind(self) -> str:
        found = _ATTR_T.search(self.attrs)
        return found[1].decode() if found else "n"

    @property
    def style(self) -> int:
        found = _ATTR_S.search(self.attrs)
        return int(found[1]) if found else 0

    @property
    def has_formula(self) -> bool:
        return self.inner is not None and _FORMULA.search(self.inner) is not None

    def raw_value(self) -> str | None:
        """The text of ``<v>`` (or of an inline string), unescaped."""
        if self.inner is None:
            return None
        if self.kind == "inlineStr":
            return "".join(ooxml.unescape_text(t or b"") for t in
                           _INLINE_TEXT.findall(self.inner))
        found = _VALUE.search(self.inner)
        return ooxml.unescape_text(found[1]) if found else None


def row_number(row: bytes, previous: int) -> int:
    """The row's number: its ``r``, else the one after ``previous``."""
    tag_end = row.find(b">")
    found = _ROW_NUMBER.search(row, 0, tag_end)
    return int(found[1]) if found else previous + 1


def last_row_number(piece: bytes, previous: int) -> int:
    """The number of the last row that starts in ``piece`` (``previous`` when none does),
    without reading the rows before it when that row says its number."""
    at = len(piece)
    while (at := piece.rfind(b"row", 0, at)) >= 0:
        lt = piece.rfind(b"<", 0, at)
        tag = ooxml.TAG.match(piece, lt) if lt >= 0 else None
        if tag is not None and not tag[1] and ooxml.local(tag[2]) == "row":
            found = _ROW_NUMBER.search(tag[0])
            if found:
                return int(found[1])
            break
    number = previous
    for row in rows(piece):
        number = row_number(row[0], number)
    return number


def row_cells(row: bytes) -> Iterator[CellXml]:
    """The cells of one ``<row>`` element's bytes, each with its column."""
    col = 0
    for match in CELL.finditer(row, row.find(b">") + 1):
        place = _CELL_PLACE.search(match[2])
        col = _column(place[1]) if place else col + 1
        yield CellXml(col, match.start(), match.end(), match[2], match[3])


def last_column(row: bytes, prefix: bytes = b"") -> int | None:
    """The column of the row's last cell when that cell names its place (0 for a row
    without cells), else None: enough to append cells without reading the others.
    ``prefix`` is the namespace prefix of the part's elements ("<" never occurs in text, so
    the last ``<c`` tag is the last cell)."""
    start = b"<" + prefix + b"c"
    at = max(row.rfind(start + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
    if at < 0:
        return 0
    place = _CELL_PLACE.search(row, at, row.find(b">", at))
    return _column(place[1]) if place else None


@functools.lru_cache(maxsize=4096)
def _column(letters: bytes) -> int:
    return column_number(letters.decode())


def rows(piece: bytes) -> Iterator[re.Match[bytes]]:
    return ROW.finditer(piece)


def whole_rows(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The bytes in pieces that end right after a row's end, so no row is cut in two."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        end = _last_row_end(rest)
        if end > 0:
            yield rest[:end]
            rest = rest[end:]
    yield rest


_ROW_END = re.compile(rb"</" + _NAME + rb"row>|<" + _NAME + rb"row\b[^<>]*/>")


def _last_row_end(data: bytes) -> int:
    """Just past the last complete row end in ``data`` (0 when there is none)."""
    at = data.rfind(b"row")
    while at >= 0:
        start = data.rfind(b"<", 0, at)
        if start >= 0:
            found = _ROW_END.match(data, start)
            if found:
                return found.end()
        at = data.rfind(b"row", 0, at)
    return 0
