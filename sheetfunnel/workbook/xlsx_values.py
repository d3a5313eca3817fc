"""Formula cells keep their computed values across an openpyxl save.

openpyxl writes every formula with an empty value (``<f>C2*D2</f><v/>``): until someone opens
and saves the file in Excel or LibreOffice, anything reading computed values — sheetfunnel's own
next ``read`` among them — sees those cells as empty. sheetfunnel never writes into a cell a
person owns, so the values the file held before the save are still right. ``formula_values``
takes them from the file before the save (exactly as stored: numbers, text, true/false, errors);
``save_with_values`` saves the workbook and puts them back into the formula cells by tab and
cell, streaming each worksheet part row by row. Every other part stays as openpyxl wrote it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook as Book
from openpyxl.xml.constants import ARC_ROOT_RELS, REL_NS, SHEET_MAIN_NS

Cached = dict[str, tuple[str, str]]  # cell ("E2") -> (its t attribute, the text of its <v>)

_MAIN = f"{{{SHEET_MAIN_NS}}}"
_ROW, _CELL, _FORMULA, _VALUE = (f"{_MAIN}{tag}" for tag in ("row", "c", "f", "v"))
_SHEET, _RID = f"{_MAIN}sheet", f"{{{REL_NS}}}id"
_CHUNK = 1 << 20
_DIGITS = "0123456789"

# A formula cell as openpyxl writes it (ElementTree writes <v />, lxml <v></v>): no t attribute,
# the formula (text escaped, so no "<" inside) and an empty value.
_EMPTY_FORMULA_CELL = re.compile(
    rb'<c r="(?P<cell>[A-Z]+[0-9]+)"(?P<attrs>(?: (?!t=)\w+="[^"]*")*)>'
    rb'(?P<formula><f\b[^>]*?(?:/>|>[^<]*</f>))(?:<v\s*/>|<v></v>)</c>')


def formula_values(path: Path) -> dict[str, Cached]:
    """The stored value of every formula cell that has one, by tab title and cell."""
    with zipfile.ZipFile(path) as package:
        workbook = _workbook_part(package)
        strings = _SharedStrings(package, workbook)
        found = {title: _sheet_values(package, part, strings)
                 for title, part in _worksheet_parts(package, workbook).items()}
    return {title: cells for title, cells in found.items() if cells}


def save_with_values(book: Book, target: str | IO[bytes], values: dict[str, Cached]) -> None:
    """Save ``book`` to ``target`` with ``values`` back in the formula cells still there."""
    if not values:
        book.save(target)
        return
    saved = io.BytesIO()
    book.save(saved)
    with zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        parts = {part: values[title]
                 for title, part in _worksheet_parts(source, _workbook_part(source)).items()
                 if title in values}
        for info in source.infolist():
            if info.filename in parts:
                _fill_part(source, package, info, parts[info.filename])
            else:
                package.writestr(info, source.read(info))


# -- where the worksheets are ---------------------------------------------------------------

def _workbook_part(package: zipfile.ZipFile) -> str:
    rels = get_dependents(package, ARC_ROOT_RELS)
    return next(rels.find(f"{REL_NS}/officeDocument")).target


def _worksheet_parts(package: zipfile.ZipFile, workbook: str) -> dict[str, str]:
    """Each worksheet's title and the part holding it; chart sheets have no cells."""
    rels = get_dependents(package, get_rels_path(workbook)).to_dict()
    sheets = ElementTree.fromstring(package.read(workbook)).iter(_SHEET)
    return {sheet.get("name", ""): rels[rid].target for sheet in sheets
            if (rid := sheet.get(_RID)) in rels and rels[rid].Type == f"{REL_NS}/worksheet"}


class _SharedStrings:
    """The shared text table, read only if a formula's value points into it (rarely)."""

    def __init__(self, package: zipfile.ZipFile, workbook: str):
        self._package, self._workbook = package, workbook
        self._texts: list[str] | None = None

    def __getitem__(self, index: int) -> str:
        if self._texts is None:
            rels = get_dependents(self._package, get_rels_path(self._workbook))
            part = next(rels.find(f"{REL_NS}/sharedStrings")).target
            root = ElementTree.fromstring(self._package.read(part))
            self._texts = ["".join(item.itertext()) for item in root.iter(f"{_MAIN}si")]
        return self._texts[index]


# -- reading the values before the save ---------------------------------------------------

def _sheet_values(package: zipfile.ZipFile, part: str, strings: _SharedStrings) -> Cached:
    cached: Cached = {}
    row_number = 0
    with package.open(part) as stream:
        for _, element in ElementTree.iterparse(stream):
            if element.tag != _ROW:
                continue
            row_number = int(element.get("r", row_number + 1))
            cached.update(_row_values(element, row_number, strings))
            element.clear()
    return cached


def _row_values(row: ElementTree.Element, number: int,
                strings: _SharedStrings) -> Iterator[tuple[str, tuple[str, str]]]:
    """Formula cells with a value; a cell without ``r`` follows the one before (as openpyxl)."""
    named, after = "", 0  # the last cell with an r, and how many cells came since
    for cell in row.iter(_CELL):
        place = cell.get("r")
        named, after = (place.upper(), 0) if place else (named, after + 1)
        if cell.find(_FORMULA) is None or (value := cell.find(_VALUE)) is None:
            continue
        kind, text = cell.get("t", "n"), value.text or ""
        if not text and kind != "str":  # an empty <v/>, as openpyxl leaves a formula
            continue
        if kind == "s":  # text kept in the shared table, which the save rebuilds
            kind, text = "str", strings[int(text)]
        yield (f"{_column_after(named, after)}{number}" if after else named), (kind, text)


def _column_after(named: str, after: int) -> str:
    """The column ``after`` cells right of cell ``named`` (or from the row's start)."""
    column = column_index_from_string(named.rstrip(_DIGITS)) if named else 0
    return get_column_letter(column + after)


# -- putting them back after the save -----------------------------------------------------

def _fill_part(source: zipfile.ZipFile, package: zipfile.ZipFile, info: zipfile.ZipInfo,
               cached: Cached) -> None:
    target = zipfile.ZipInfo(info.filename, info.date_time)
    target.compress_type = zipfile.ZIP_DEFLATED

    def fill(match: re.Match[bytes]) -> bytes:
        found = cached.get(match["cell"].decode())
        if found is None:
            return match[0]
        kind, text = found
        return (b'<c r="%s"%s t="%s">%s<v>%s</v></c>'
                % (match["cell"], match["attrs"], kind.encode(), match["formula"],
                   escape(text, {"\r": "&#13;"}).encode()))

    with source.open(info) as stream, package.open(target, "w") as out:
        for rows in _whole_rows(stream):
            out.write(_EMPTY_FORMULA_CELL.sub(fill, rows))


def _whole_rows(stream: IO[bytes]) -> Iterator[bytes]:
    """The part in pieces that end after a ``</row>``, so no cell is ever cut in two."""
    rest = b""
    while chunk := stream.read(_CHUNK):
        rest += chunk
        end = rest.rfind(b"</row>") + len(b"</row>")
        if end >= len(b"</row>"):
            yield rest[:end]
            rest = rest[end:]
    yield rest
