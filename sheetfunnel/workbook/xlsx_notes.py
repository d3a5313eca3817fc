"""Notes (comments) on a tab's cells: the comments part and the VML drawing that shows them.

The worker's notes sit on the headers of its columns. A note is replaced when its text
differs; every other comment, and every other shape of the drawing, keeps its bytes. A tab
without comments gets both parts, their relationships and a ``<legacyDrawing>`` element.
"""

from __future__ import annotations

import re

from sheetfunnel.grid import column_letter
from sheetfunnel.plan import Note
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_looks import add_element, element_attributes
from sheetfunnel.workbook.xlsx_package import COMMENTS, VML_DRAWING, PackageWriter
from sheetfunnel.workbook.xlsx_rows import cell_position

AUTHOR = "sheetfunnel"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_T = re.compile(rb"<(?:[\w.-]+:)?t\b[^>]*?(?:/>|>([^<]*)</)", re.S)
_SHAPE = re.compile(rb"<v:shape\b[^>]*>.*?</v:shape>", re.S)
_ROW = re.compile(rb"<x:Row>\s*(\d+)\s*</x:Row>")
_COLUMN = re.compile(rb"<x:Column>\s*(\d+)\s*</x:Column>")
_SHAPE_ID = re.compile(rb"_x0000_s(\d+)")
_NOTE_TYPE = re.compile(rb"ObjectType\s*=\s*[\"']Note[\"']")
_NOTE_SHAPE_TYPE = b'<v:shapetype id="_x0000_t202"'

_EMPTY_COMMENTS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   b'<comments xmlns="' + ooxml.MAIN.encode() + b'"><authors/><commentList/>'
                   b"</comments>")
_SHAPE_TYPE = (b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
               b'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
               b'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_EMPTY_VML = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
              b'xmlns:o="urn:schemas-microsoft-com:office:office" '
              b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
              b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
              + _SHAPE_TYPE + b"</xml>")


def put_notes(package: PackageWriter, sheet: str, root: bytes, tail: bytes, notes: list[Note]
              ) -> bytes:
    """Bring the notes of the tab in part ``sheet`` (whose start tag is ``root``) to
    ``notes``; the new tail of the sheet part (a ``<legacyDrawing>`` added when the tab had no
    drawing for notes)."""
    if not notes:
        return tail
    rels = package.relationships(sheet)
    comments_part = next((r.target for r in rels if r.type == COMMENTS), None)
    legacy = element_attributes(tail, "legacyDrawing")
    rid = next((v for k, v in (legacy or {}).items() if ooxml.local(k) == "id"), None)
    vml_part = next((r.target for r in rels if r.id == rid and r.type == VML_DRAWING), None)
    comments = package.read(comments_part) if comments_part else None
    vml = package.read(vml_part) if vml_part else None
    new_comments = _comments(comments or _EMPTY_COMMENTS, notes)
    new_vml = _shapes(vml or _EMPTY_VML, notes)
    if comments is not None and new_comments == comments and vml is not None and \
            new_vml == vml:
        return tail
    if comments_part is None:
        comments_part = package.free_name("xl/comments{}.xml")
        package.relate(sheet, COMMENTS, comments_part)
    package.declare(comments_part, COMMENTS_TYPE)
    package.put(comments_part, new_comments)
    if vml_part is None:
        vml_part = package.free_name("xl/drawings/vmlDrawing{}.vml")
        rid = package.relate(sheet, VML_DRAWING, vml_part)
        package.declare_extension("vml", VML_TYPE)
        if legacy is None:
            prefix = ooxml.prefix_of(root).decode()
            tail = add_element(tail, f"<{prefix}legacyDrawing {ooxml.relationship_id(root, rid)}"
                               "/>".encode(), "legacyDrawing")
    package.put(vml_part, new_vml)
    return tail


# -- the comments part ---------------------------------------------------------------------

def _comments(data: bytes, notes: list[Note]) -> bytes:
    top = ooxml.root(data)
    sections = {s.name: s for s in ooxml.child_spans(data, top)}
    prefix = ooxml.prefix_of(top.tag(data)).decode()
    authors = sections.get("authors")
    names = []
    if authors is not None:
        for span in ooxml.child_spans(data, authors):
            start, end = span.inner(data)
            names.append(ooxml.unescape_text(data[start:end]))
    author = names.index(AUTHOR) if AUTHOR in names else len(names)
    listed = sections.get("commentList")
    existing = ooxml.child_spans(data, listed) if listed is not None else []
    by_place = {ooxml.attributes(s.tag(data)).get("ref", "").upper(): s for s in existing}
    wanted = {f"{column_letter(n.col)}{n.row}": n.text for n in notes}
    if all(place in by_place and _text(data, by_place[place]) == text
           for place, text in wanted.items()):
        return data
    kept = [(cell_position(place), data[s.start:s.end]) for place, s in by_place.items()
            if place not in wanted]
    new = [(cell_position(place), _comment(place, text, author, prefix))
           for place, text in wanted.items()]
    body = b"".join(element for _, element in sorted(kept + new, key=lambda item: item[0]))
    listing = f"<{prefix}commentList>".encode() + body + f"</{prefix}commentList>".encode()
    if AUTHOR not in names:
        added = f"<{prefix}author>{AUTHOR}</{prefix}author>".encode()
        if authors is None:
            data = ooxml.insert_in_order(data, top, f"<{prefix}authors>".encode() + added +
                                         f"</{prefix}authors>".encode(), "authors",
                                         ("authors", "commentList", "extLst"))
        elif authors.open_end == authors.end:
            data = ooxml.replace_span(data, authors, f"<{prefix}authors>".encode() + added +
                                      f"</{prefix}authors>".encode())
        else:
            end = authors.inner(data)[1]
            data = data[:end] + added + data[end:]
    top = ooxml.root(data)
    listed = ooxml.first(ooxml.child_spans(data, top), "commentList")
    if listed is None:
        return ooxml.insert_in_order(data, top, listing, "commentList",
                                     ("authors", "commentList", "extLst"))
    return ooxml.replace_span(data, listed, listing)


def _text(data: bytes, comment: ooxml.Span) -> str:
    return "".join(ooxml.unescape_text(t or b"") for t in _T.findall(data, comment.start,
                                                                      comment.end))


def _comment(place: str, text: str, author: int, p: str) -> bytes:
    return (f'<{p}comment ref="{place}" authorId="{author}"><{p}text><{p}t xml:space="preserve">'
            f"{ooxml.text(text)}</{p}t></{p}text></{p}comment>").encode()


# -- the VML drawing that shows them ------------------------------------------------------------

def _shapes(data: bytes, notes: list[Note]) -> bytes:
    """A note shape for each note's cell that has none; other shapes keep their bytes."""
    shown = set()
    for shape in _SHAPE.finditer(data):
        row, column = _ROW.search(shape[0]), _COLUMN.search(shape[0])
        if row and column and _NOTE_TYPE.search(shape[0]):
            shown.add((int(row[1]), int(column[1])))
    missing = [n for n in notes if (n.row - 1, n.col - 1) not in shown]
    if not missing:
        return data
    number = max([1024, *(int(m) for m in _SHAPE_ID.findall(data))])
    added = b"" if _NOTE_SHAPE_TYPE in data else _SHAPE_TYPE
    for note in missing:
        number += 1
        added += _shape(number, note)
    end = data.rfind(b"</xml>")
    if end < 0:
        raise ValueError("a VML drawing without </xml>")
    return data[:end] + added + data[end:]


def _shape(number: int, note: Note) -> bytes:
    row, col = note.row - 1, note.col - 1
    anchor = f"{col + 1}, 15, {row}, 2, {col + 3}, 15, {row + 4}, 16"
    return (f'<v:shape id="_x0000_s{number}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;z-index:{number};'
            f'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            f'<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            f'<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
            f'</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row>"
            f"<x:Column>{col}</x:Column></x:ClientData></v:shape>").encode()
