"""An .xlsx file as what it is: a zip package of parts tied together by relationships.

``Package`` reads parts on demand and knows where each tab's sheet part is. ``PackageWriter``
writes a new package: the parts the worker changed or added, and every other part copied
through as the very bytes (still compressed) that were in the file.

Big parts are inflated and deflated with ISA-L (``isal``), three times zlib's speed for a few
percent more bytes: a 100 MB sheet part costs a fraction of a second either way.
"""

from __future__ import annotations

import copy
import io
import posixpath
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from isal import isal_zlib

from sheetfunnel.workbook import ooxml

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

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
#: Compressed bytes read at a time (they inflate to about a megabyte of sheet XML).
_RAW_CHUNK = 1 << 17
#: Rewritten parts are deflated at ISA-L's level 2: a 112 MB sheet in 0.13 s (zlib's level 2:
#: 0.43 s) to 4% more bytes than zlib's; its level 3 takes three times as long for 5% less.
_SPILL_LEVEL = 2
_RAW = -15  # deflate without a zlib header, as zip entries hold it
_ENCRYPTED = 0x1
#: What ISA-L raises on damaged deflated bytes (its stubs call it an instance, not a class).
_DAMAGED: type[Exception] = isal_zlib.error  # type: ignore[assignment]


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

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        """The part's bytes in pieces of about a megabyte."""
        stored = self.name(part)
        if stored is None:
            raise KeyError(part)
        info = self.zip.getinfo(stored)
        if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & _ENCRYPTED:
            yield from _inflated(self.zip, info)
            return
        with self.zip.open(stored) as stream:
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


def _inflated(source: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A deflated entry's bytes, inflated a megabyte at most at a time and checked against
    its size and checksum."""
    position = _data_start(source, info)
    remaining = info.compress_size
    inflater = isal_zlib.decompressobj(_RAW)
    checksum = size = 0
    while not inflater.eof:
        block = inflater.unconsumed_tail
        if not block and remaining:
            assert source.fp is not None
            source.fp.seek(position)  # other reads of the package may move the file meanwhile
            block = source.fp.read(min(remaining, _RAW_CHUNK))
            if not block:
                raise zipfile.BadZipFile(f"{info.filename} is cut short")
            position += len(block)
            remaining -= len(block)
        try:
            data = inflater.decompress(block, _CHUNK)
        except _DAMAGED as exc:
            raise zipfile.BadZipFile(f"{info.filename} is damaged ({exc})") from None
        if data:
            checksum = isal_zlib.crc32(data, checksum)
            size += len(data)
            yield data
        elif not block:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
    if checksum != info.CRC or size != info.file_size:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def _data_start(source: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where an entry's compressed bytes start (after its local header)."""
    assert source.fp is not None
    source.fp.seek(info.header_offset)
    header = source.fp.read(_LOCAL_HEADER_SIZE)
    if header[:4] != _LOCAL_HEADER_MAGIC:
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length


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


# -- writing a package ----------------------------------------------------------------------

Producer = Callable[[IO[bytes]], None]
_LOCAL_HEADER_SIZE, _LOCAL_HEADER_MAGIC = 30, b"PK\x03\x04"  # a zip entry's local header
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class PackageWriter:
    """The parts of the new package: changed, added, removed; the rest copied through.

    Big parts (sheets) are streamed into a spill file as soon as they are made, compressed;
    small ones (styles, relationships, comments) are kept as bytes until ``write``.
    """

    def __init__(self, source: Package | None, spill_folder: Path | None = None):
        self.source = source
        self.texts: dict[str, bytes] = {}  # part -> new bytes
        self.removed: set[str] = set()
        self.spilled: set[str] = set()
        self._spill_folder = spill_folder
        self._spill: IO[bytes] | None = None  # streamed parts' deflated bytes, one after another
        self._spilled_at: dict[str, _Deflated] = {}  # a part streamed: its latest bytes there

    def key(self, part: str) -> str:
        """The part's name as stored in the source, when it is there (names are
        case-insensitive)."""
        stored = self.source.name(part) if self.source is not None else None
        return stored or part

    @property
    def changed(self) -> bool:
        return bool(self.texts or self.removed or self.spilled)

    # -- parts as bytes

    def read(self, part: str) -> bytes | None:
        """The part as it will be written (changed or not), None when absent."""
        part = self.key(part)
        if part in self.removed:
            return None
        if part in self.texts:
            return self.texts[part]
        if self.source is not None and self.source.has(part):
            return self.source.read(part)
        return None

    def put(self, part: str, data: bytes) -> None:
        part = self.key(part)
        if self.source is not None and self.source.has(part) and part not in self.removed \
                and part not in self.texts and self.source.read(part) == data:
            return  # the same bytes: nothing to change
        self.removed.discard(part)
        self.texts[part] = data

    def remove(self, part: str) -> None:
        part = self.key(part)
        self.texts.pop(part, None)
        self.spilled.discard(part)
        if self.source is not None and self.source.has(part):
            self.removed.add(part)

    def exists(self, part: str) -> bool:
        part = self.key(part)
        return part in self.texts or part in self.spilled or (
            part not in self.removed and self.source is not None and self.source.has(part))

    def free_name(self, pattern: str) -> str:
        """The first ``pattern.format(n)`` (n = 1, 2, ...) that names no part."""
        number = 1
        while self.exists(pattern.format(number)) or self.key(pattern.format(number)) in \
                self.removed:
            number += 1
        return pattern.format(number)

    # -- relationships and content types

    def relationships(self, part: str) -> list[Relationship]:
        data = self.read(rels_name(part) if part else "_rels/.rels")
        return parse_relationships(data, part) if data is not None else []

    def relate(self, source: str, kind: str, target: str) -> str:
        """The id of ``source``'s relationship of ``kind`` to ``target``, added if missing."""
        existing = self.relationships(source)
        for rel in existing:
            if rel.type == kind and rel.target.lower() == target.lower():
                return rel.id
        ids = {rel.id for rel in existing}
        number = len(ids) + 1
        while f"rId{number}" in ids:
            number += 1
        rid = f"rId{number}"
        element = (f"<Relationship Id={ooxml.attr(rid)} Type={ooxml.attr(kind)} "
                   f"Target={ooxml.attr(relative(source, target))}/>").encode()
        name = rels_name(source) if source else "_rels/.rels"
        data = self.read(name) or (_XML_DECLARATION + b'<Relationships xmlns="'
                                   + ooxml.PACKAGE_REL.encode() + b'"></Relationships>')
        self.put(name, _append_child(data, element))
        return rid

    def unrelate(self, source: str, rid: str) -> None:
        name = rels_name(source) if source else "_rels/.rels"
        data = self.read(name)
        if data is None:
            return
        for span in ooxml.child_spans(data, ooxml.root(data)):
            if ooxml.attributes(span.tag(data)).get("Id") == rid:
                self.put(name, ooxml.replace_span(data, span, b""))
                return

    def declare(self, part: str, content_type: str) -> None:
        """Give ``part`` its content type (an Override), unless it has it already."""
        data = self.read("[Content_Types].xml") or b""
        top = ooxml.root(data)
        name = "/" + part
        for span in ooxml.child_spans(data, top):
            values = ooxml.attributes(span.tag(data))
            if span.name == "Override" and values.get("PartName", "").lower() == name.lower():
                if values.get("ContentType") == content_type:
                    return
                data = ooxml.replace_span(data, span, b"")
                break
        element = (f"<Override PartName={ooxml.attr(name)} "
                   f"ContentType={ooxml.attr(content_type)}/>").encode()
        self.put("[Content_Types].xml", _append_child(data, element))

    def declare_extension(self, extension: str, content_type: str) -> None:
        data = self.read("[Content_Types].xml") or b""
        for span in ooxml.child_spans(data, ooxml.root(data)):
            values = ooxml.attributes(span.tag(data))
            if span.name == "Default" and values.get("Extension", "").lower() == extension:
                return
        element = (f"<Default Extension={ooxml.attr(extension)} "
                   f"ContentType={ooxml.attr(content_type)}/>").encode()
        top = ooxml.root(data)
        start, _ = top.inner(data)
        self.put("[Content_Types].xml", data[:start] + element + data[start:])

    def undeclare(self, part: str) -> None:
        data = self.read("[Content_Types].xml") or b""
        for span in ooxml.child_spans(data, ooxml.root(data)):
            values = ooxml.attributes(span.tag(data))
            if span.name == "Override" and values.get("PartName", "").lower() == \
                    "/" + part.lower():
                self.put("[Content_Types].xml", ooxml.replace_span(data, span, b""))
                return

    # -- big parts, streamed to a spill file first

    def stream_part(self, part: str, produce: Producer) -> None:
        """Write ``part`` now, deflated into a temporary file, to be copied into the package
        when it is written."""
        part = self.key(part)
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=self._spill_folder)  # noqa: SIM115
        self._spill.seek(0, io.SEEK_END)
        deflating = _Deflating(self._spill)
        with io.BufferedWriter(deflating, _CHUNK) as out:
            produce(out)
        self._spilled_at[part] = deflating.finish()
        self.texts.pop(part, None)
        self.removed.discard(part)
        self.spilled.add(part)

    def close(self) -> None:
        """Let go of the spill file."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def write(self, out: BinaryIO) -> None:
        """The whole package to ``out``: in the source's order, new parts after; parts not
        changed go through as their compressed bytes."""
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as package:
            written: set[str] = set()
            for info in self.source.infos if self.source is not None else ():
                written.add(info.filename)
                if info.filename not in self.removed and not info.filename.endswith("/"):
                    self._write_part(package, info.filename, info)
            for part in [*self.texts, *sorted(self.spilled)]:
                if part not in written:
                    written.add(part)
                    self._write_part(package, part, None)

    def _write_part(self, package: zipfile.ZipFile, part: str, info: zipfile.ZipInfo | None
                    ) -> None:
        if part in self.spilled:
            assert self._spill is not None
            spilled = self._spilled_at[part]
            entry = _new_info(part, info)
            entry.CRC, entry.file_size = spilled.checksum, spilled.size
            entry.compress_size = spilled.end - spilled.start
            _put_raw(package, entry, _blocks(self._spill, spilled.start, spilled.end, part))
        elif part in self.texts:
            package.writestr(_new_info(part, info), self.texts[part])
        elif info is not None and self.source is not None:
            copy_raw(self.source.zip, info, package)


@dataclass(frozen=True)
class _Deflated:
    """Where a streamed part's deflated bytes lie in the spill file, and what they inflate to."""

    start: int
    end: int
    size: int
    checksum: int


class _Deflating(io.RawIOBase):
    """Deflates what is written to it onto the end of a file, counting size and checksum."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.start = target.tell()
        self.deflater = isal_zlib.compressobj(_SPILL_LEVEL, isal_zlib.DEFLATED, _RAW)
        self.size = self.checksum = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        size = memoryview(data).nbytes
        self.checksum = isal_zlib.crc32(data, self.checksum)
        self.size += size
        self.target.write(self.deflater.compress(data))
        return size

    def finish(self) -> _Deflated:
        self.target.write(self.deflater.flush())
        return _Deflated(self.start, self.target.tell(), self.size, self.checksum)



def _append_child(data: bytes, element: bytes) -> bytes:
    """``element`` as the last child of ``data``'s root."""
    top = ooxml.root(data)
    if top.open_end == top.end:
        tag = top.tag(data)
        name = ooxml.TAG.match(tag)[2]  # type: ignore[index]
        return data[:top.start] + tag[:-2].rstrip() + b">" + element + b"</" + name + b">" + \
            data[top.end:]
    _, end = top.inner(data)
    return data[:end] + element + data[end:]


def _new_info(part: str, like: zipfile.ZipInfo | None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(like.filename if like is not None else part,
                           like.date_time if like is not None else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = like.external_attr if like is not None else 0o600 << 16
    return info


def copy_raw(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one entry as its compressed bytes: nothing is decompressed or recompressed."""
    start = _data_start(source, info)
    entry = copy.copy(info)
    entry.flag_bits &= ~0x08  # the sizes go in the header: no data descriptor follows
    entry.extra = b""
    assert source.fp is not None
    _put_raw(target, entry, _blocks(source.fp, start, start + info.compress_size, info.filename))


def _blocks(file: IO[bytes], start: int, end: int, name: str) -> Iterator[bytes]:
    """The bytes of ``file`` from ``start`` to ``end`` (entry ``name``'s), a block at a time."""
    file.seek(start)
    remaining = end - start
    while remaining:
        block = file.read(min(remaining, _CHUNK))
        if not block:
            raise zipfile.BadZipFile(f"{name} is cut short")
        yield block
        remaining -= len(block)


def _put_raw(target: zipfile.ZipFile, entry: zipfile.ZipInfo, blocks: Iterator[bytes]) -> None:
    """Add ``entry`` (its sizes and checksum set) to ``target`` with its compressed bytes."""
    assert target.fp is not None
    entry.header_offset = target.fp.tell()
    target.fp.write(entry.FileHeader(zip64=entry.file_size > zipfile.ZIP64_LIMIT or
                                     entry.compress_size > zipfile.ZIP64_LIMIT))
    for block in blocks:
        target.fp.write(block)
    target.filelist.append(entry)
    target.NameToInfo[entry.filename] = entry
    target.start_dir = target.fp.tell()
