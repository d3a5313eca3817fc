"""Editing OOXML parts as bytes: find elements, change attributes, leave every other byte alone.

An XML library would parse a part and write it back in its own way (namespace prefixes,
quotes, empty elements); a person's part would no longer be the bytes they saved. These helpers
locate elements by scanning tags, so a change replaces exactly the bytes it means to.
They read what Excel, LibreOffice and openpyxl write: any namespace prefix, either quote,
comments and processing instructions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr, unescape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"

#: A start, end or empty tag; attribute values may hold ">" but never "<".
TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
                 rb"\s*(/?)>")
_SKIP = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>", re.S)
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PLAIN = re.compile("[^&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]*")


def local(name: bytes | str) -> str:
    """``x:row`` -> ``row``."""
    text = name.decode() if isinstance(name, bytes) else name
    return text.rpartition(":")[2]


def text(value: str) -> str:
    """Element text: escaped, without the characters XML 1.0 cannot hold."""
    if _PLAIN.fullmatch(value):
        return value
    return escape(_ILLEGAL.sub("", value), {"\r": "&#13;"})


def attr(value: str) -> str:
    """A quoted attribute value."""
    return quoteattr(_ILLEGAL.sub("", value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def unescape_text(value: bytes) -> str:
    decoded = value.decode("utf-8")
    decoded = re.sub(r"&#(x[0-9a-fA-F]+|[0-9]+);",
                     lambda m: chr(int(m[1][1:], 16) if m[1][0] == "x" else int(m[1])), decoded)
    return unescape(decoded, {"&quot;": '"', "&apos;": "'"})


def attributes(tag: bytes) -> dict[str, str]:
    """The attributes of a start tag, by their name as written (``r:id``)."""
    found = TAG.match(tag)
    body = found[3] if found else tag
    return {name.decode(): unescape_text(value[1:-1]) for name, value in _ATTR.findall(body)}


def with_attributes(tag: bytes, changes: Mapping[str, str | None]) -> bytes:
    """``tag`` with attributes set (``None`` removes one); the others keep their bytes."""
    found = TAG.match(tag)
    assert found is not None, tag
    pending = dict(changes)

    def replace(match: re.Match[bytes]) -> bytes:
        name = match[1].decode()
        if name not in pending:
            return match[0]
        value = pending.pop(name)
        return b"" if value is None else f"{name}={attr(value)}".encode()

    body = _ATTR.sub(replace, found[3])
    body = re.sub(rb"\s+(?=\s)", b"", body).rstrip()
    extra = "".join(f" {name}={attr(value)}" for name, value in pending.items()
                    if value is not None)
    close = b"/>" if found[4] else b">"
    return b"<" + found[1] + found[2] + body + extra.encode() + close


@dataclass(frozen=True)
class Span:
    """One element found in a part: ``data[start:end]`` is all of it, ``data[start:open_end]``
    its start tag (the whole element when it is empty)."""

    name: str  # local name
    start: int
    open_end: int
    end: int

    def tag(self, data: bytes) -> bytes:
        return data[self.start:self.open_end]

    def inner(self, data: bytes) -> tuple[int, int]:
        """Where the content sits (empty for an empty element)."""
        if self.open_end == self.end:
            return self.end, self.end
        close = data.rfind(b"</", self.open_end, self.end)
        return self.open_end, close


def tokens(data: bytes, start: int = 0, end: int | None = None
           ) -> Iterator[re.Match[bytes]]:
    """Tags in ``data[start:end]``, skipping comments, declarations and CDATA."""
    position = start
    stop = len(data) if end is None else end
    while True:
        lt = data.find(b"<", position, stop)
        if lt < 0:
            return
        skipped = _SKIP.match(data, lt)
        if skipped:
            position = skipped.end()
            continue
        found = TAG.match(data, lt)
        if found is None or found.end() > stop:
            raise ValueError(f"malformed XML near byte {lt}: {data[lt:lt + 60]!r}")
        yield found
        position = found.end()


def children(data: bytes, start: int = 0, end: int | None = None) -> list[Span]:
    """The elements directly inside ``data[start:end]``."""
    found: list[Span] = []
    depth, opened = 0, None
    for match in tokens(data, start, end):
        closing, empty = match[1] == b"/", match[4] == b"/"
        if closing:
            depth -= 1
            if depth == 0 and opened is not None:
                found.append(Span(local(opened[2]), opened.start(), opened.end(), match.end()))
                opened = None
            elif depth < 0:
                break
        elif empty:
            if depth == 0:
                found.append(Span(local(match[2]), match.start(), match.end(), match.end()))
        else:
            if depth == 0:
                opened = match
            depth += 1
    return found


def root(data: bytes) -> Span:
    """The document element."""
    spans = children(data)
    if not spans:
        raise ValueError("no root element")
    return spans[-1]


def child_spans(data: bytes, parent: Span) -> list[Span]:
    start, end = parent.inner(data)
    return children(data, start, end)


def first(spans: list[Span], name: str) -> Span | None:
    return next((s for s in spans if s.name == name), None)


def prefix_of(tag: bytes) -> bytes:
    """``x:`` for ``<x:worksheet ...>``, empty for an unprefixed tag."""
    found = TAG.match(tag)
    name = found[2] if found else b""
    head, colon, _ = name.rpartition(b":")
    return head + colon


def place_in_order(data: bytes, start: int, end: int, name: str,
                   order: tuple[str, ...]) -> int:
    """Where an element ``name`` goes among the elements in ``data[start:end]``, so that
    they keep the schema's ``order``: after every one that comes before it."""
    rank = order.index(name)
    spans = children(data, start, end)
    after = [s for s in spans if s.name in order and order.index(s.name) <= rank]
    if after:
        return after[-1].end
    later = [s for s in spans if s.name in order and order.index(s.name) > rank]
    return later[0].start if later else end


def declared_prefix(tag: bytes, uri: str) -> str | None:
    """The prefix the start tag ``tag`` declares for ``uri`` (``""``: the default one)."""
    for name, value in attributes(tag).items():
        if value == uri and (name == "xmlns" or name.startswith("xmlns:")):
            return name[6:]
    return None


def relationship_id(root: bytes, rid: str) -> str:
    """The attribute text ``r:id="rId3"`` for an element inside ``root``, with the prefix
    declared on the element itself when ``root`` does not declare it."""
    prefix = declared_prefix(root, REL)
    if prefix:
        return f'{prefix}:id="{rid}"'
    return f'xmlns:r="{REL}" r:id="{rid}"'


def insert_in_order(data: bytes, parent: Span, element: bytes, name: str,
                    order: tuple[str, ...]) -> bytes:
    """``data`` with ``element`` (local ``name``) inside ``parent``, in the schema's
    ``order`` of children."""
    if parent.open_end == parent.end:  # an empty parent: open it
        tag = data[parent.start:parent.end]
        opened = tag[:-2].rstrip() + b">"
        name_bytes = TAG.match(tag)[2]  # type: ignore[index]
        return (data[:parent.start] + opened + element + b"</" + name_bytes + b">"
                + data[parent.end:])
    place = place_in_order(data, *parent.inner(data), name, order)
    return data[:place] + element + data[place:]


def replace_span(data: bytes, span: Span, element: bytes) -> bytes:
    return data[:span.start] + element + data[span.end:]
