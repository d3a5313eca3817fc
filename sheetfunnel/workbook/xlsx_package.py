"""An .xlsx file as what it is: a zip package of parts tied together by relationships.

``Package`` reads parts on demand and knows where each tab's sheet part is.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sheetfunnel.workbook import ooxml

OFFICE_DOCUMENT = f"{ooxml.REL}/officeDocument"
WORKSHEET = f"{ooxml.REL}/worksheet"
STYLES = f"{ooxml.REL}/styles"
SHARED_STRINGS = f"{ooxml.REL}/sharedStrings"
CALC_CHAIN = f"{ooxml.REL}/calcChain"
COMMENTS = f"{ooxml.REL}/comments"
VML_DRAWING = f"{ooxml.REL}/vmlDrawing"
DRAWING = f"{ooxml.REL}/drawing"
CHART = f"{ooxml.REL}/chart"
CUSTOM_PROPERTIES = f"{ooxml.REL}/custom-properties"
EXTENDED_PROPERTIES = f"{ooxml.REL}/extended-properties"

SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # a part name (no leading "/"), or the text of an external target
    external: bool = False


@dataclass(frozen=True)
class Tab:
    """A worksheet as workbook.xml lists it."""

    title: str
    part: str
    state: str  # visible, hidden, veryHidden


def rels_name(part: str) -> str:
    """``xl/worksheets/sheet1.xml`` -> ``xl/worksheets/_rels/sheet1.xml.rels``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source: str, target: str) -> str:
    """A relationship's target as a part name."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, part: str) -> str:
    """The target text that leads from ``source`` to ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Package:
    """The parts of an .xlsx file, read on demand."""

    def __init__(self, source: zipfile.ZipFile):
        self.zip = source
        self.infos = source.infolist()
        self._names = {info.filename.lower(): info.filename for info in self.infos}
        self.workbook = next((r.target for r in self.relationships("")
                              if r.type == OFFICE_DOCUMENT), "xl/workbook.xml")

    @classmethod
    def open(cls, path: Path) -> Package:
        return cls(zipfile.ZipFile(path))

    def close(self) -> None:
        self.zip.close()

    def name(self, part: str) -> str | None:
        """The part's name as stored (part names are case-insensitive), or None."""
        return self._names.get(part.lower())

    def has(self, part: str) -> bool:
        return self.name(part) is not None

    def read(self, part: str) -> bytes:
        stored = self.name(part)
        if stored is None:
            raise KeyError(part)
        return self.zip.read(stored)

    def stream(self, part: str) -> IO[bytes]:
        stored = self.name(part)
        if stored is None:
            raise KeyError(part)
        return self.zip.open(stored)

    def chunks(self, part: str) -> Iterator[bytes]:
        with self.stream(part) as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` (``""`` for the package's own)."""
        name = rels_name(part) if part else "_rels/.rels"
        if not self.has(name):
            return []
        return parse_relationships(self.read(name), part)

    def tabs(self) -> list[Tab]:
        """Every worksheet, in workbook order (chart sheets have no cells and are left out)."""
        rels = {r.id: r for r in self.relationships(self.workbook)}
        data = self.read(self.workbook)
        found = []
        for match in ooxml.tokens(data):
            if ooxml.local(match[2]) != "sheet" or match[1]:
                continue
            values = ooxml.attributes(match[0])
            rid = next((v for k, v in values.items() if ooxml.local(k) == "id"
                        and k != "sheetId"), None)
            rel = rels.get(rid or "")
            if rel is not None and rel.type == WORKSHEET:
                found.append(Tab(values.get("name", ""), rel.target,
                                 values.get("state", "visible")))
        return found


def parse_relationships(data: bytes, source: str) -> list[Relationship]:
    found = []
    for match in ooxml.tokens(data):
        if ooxml.local(match[2]) != "Relationship" or match[1]:
            continue
        values = ooxml.attributes(match[0])
        external = values.get("TargetMode") == "External"
        target = values.get("Target", "")
        found.append(Relationship(values.get("Id", ""), values.get("Type", ""),
                                  target if external else resolve(source, target), external))
    return found
