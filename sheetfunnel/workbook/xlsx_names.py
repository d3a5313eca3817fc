"""The worker's marks on its own tabs in an .xlsx file, read from and written into workbook.xml.

A tab's id (``TabSpec.tab_id``) is a defined name scoped to the tab, ``sheetfunnel_<id>``,
referring to its A1. The file's sheetIds are no use as ids (openpyxl renumbers them by position
on every save); a tab's own names stay with it when people rename, move or insert tabs (Excel,
LibreOffice and openpyxl keep them). A name scoped to a tab names it by position
(``localSheetId``) among every sheet of the workbook, chart sheets included.
"""

from __future__ import annotations

from collections.abc import Mapping

from sheetfunnel.workbook import ooxml

ID_NAME = "sheetfunnel_"  # + the tab's id: the name that marks a tab
#: The children of workbook.xml in the schema's order.
WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection",
                  "bookViews", "sheets", "functionGroups", "externalReferences",
                  "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches",
                  "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr",
                  "webPublishObjects", "extLst")


def tab_ids(workbook: bytes) -> dict[str, str]:
    """Title -> id of the tabs the worker marked, from ``workbook.xml``."""
    titles = _sheet_titles(workbook)
    ids: dict[str, str] = {}
    for _, index, name in _marks(workbook):
        if index < len(titles):
            ids.setdefault(titles[index], name[len(ID_NAME):])
    return ids


def mark_tabs(workbook: bytes, marks: Mapping[str, str]) -> bytes:
    """``workbook.xml`` with each tab of ``marks`` (title -> id) named by its id, any other
    mark of the worker's on it dropped; the same bytes when every tab is marked so already."""
    titles = _sheet_titles(workbook)
    found = _marks(workbook)
    drop: list[ooxml.Span] = []
    add: list[tuple[int, str, str]] = []
    for title, tab_id in marks.items():
        if title not in titles:
            continue
        index = titles.index(title)
        ours = [(span, name) for span, at, name in found if at == index]
        if [name for _, name in ours] == [ID_NAME + tab_id] and \
                _refers_to(workbook, ours[0][0]) == title:
            continue
        drop.extend(span for span, _ in ours)
        add.append((index, ID_NAME + tab_id, title))
    if not drop and not add:
        return workbook
    for span in sorted(drop, key=lambda s: s.start, reverse=True):
        workbook = workbook[:span.start] + workbook[span.end:]
    top = ooxml.root(workbook)
    prefix = ooxml.prefix_of(top.tag(workbook)).decode()
    elements = b"".join(
        (f"<{prefix}definedName name={ooxml.attr(name)} localSheetId=\"{index}\">"
         f"{ooxml.text(_target(title))}</{prefix}definedName>").encode()
        for index, name, title in add)
    names = ooxml.first(ooxml.child_spans(workbook, top), "definedNames")
    if names is None:
        return ooxml.insert_in_order(workbook, top, f"<{prefix}definedNames>".encode() +
                                     elements + f"</{prefix}definedNames>".encode(),
                                     "definedNames", WORKBOOK_ORDER)
    if names.open_end == names.end:
        return ooxml.replace_span(workbook, names, f"<{prefix}definedNames>".encode() +
                                  elements + f"</{prefix}definedNames>".encode())
    end = names.inner(workbook)[1]
    return workbook[:end] + elements + workbook[end:]


PRINT_TITLES = "_xlnm.Print_Titles"


def print_titles(workbook: bytes, rows: Mapping[str, int]) -> bytes:
    """``workbook.xml`` with the first ``rows[title]`` rows of each tab repeated on every
    printed page (the tab-scoped name ``_xlnm.Print_Titles``); the same bytes when so already.
    Only the worker's own tabs are given: a person's print titles are never touched."""
    titles = _sheet_titles(workbook)
    for title, count in rows.items():
        if title not in titles or count < 1:
            continue
        index = titles.index(title)
        target = f"{_quoted(title)}!$1:${count}"
        top = ooxml.root(workbook)
        names = ooxml.first(ooxml.child_spans(workbook, top), "definedNames")
        spans = ooxml.child_spans(workbook, names) if names is not None else []
        old = next((s for s in spans if s.name == "definedName" and
                    ooxml.attributes(s.tag(workbook)).get("name") == PRINT_TITLES and
                    ooxml.attributes(s.tag(workbook)).get("localSheetId") == str(index)), None)
        prefix = ooxml.prefix_of(top.tag(workbook)).decode()
        element = (f'<{prefix}definedName name="{PRINT_TITLES}" localSheetId="{index}">'
                   f"{ooxml.text(target)}</{prefix}definedName>").encode()
        if old is not None:
            start, end = old.inner(workbook)
            if ooxml.unescape_text(workbook[start:end]).strip() == target:
                continue
            workbook = ooxml.replace_span(workbook, old, element)
        elif names is None:
            workbook = ooxml.insert_in_order(workbook, top, f"<{prefix}definedNames>".encode()
                                             + element + f"</{prefix}definedNames>".encode(),
                                             "definedNames", WORKBOOK_ORDER)
        elif names.open_end == names.end:
            workbook = ooxml.replace_span(workbook, names, f"<{prefix}definedNames>".encode()
                                          + element + f"</{prefix}definedNames>".encode())
        else:
            end = names.inner(workbook)[1]
            workbook = workbook[:end] + element + workbook[end:]
    return workbook


def _sheet_titles(workbook: bytes) -> list[str]:
    """Every sheet's title in workbook order (the positions ``localSheetId`` counts)."""
    top = ooxml.root(workbook)
    sheets = ooxml.first(ooxml.child_spans(workbook, top), "sheets")
    if sheets is None:
        return []
    return [ooxml.attributes(span.tag(workbook)).get("name", "")
            for span in ooxml.child_spans(workbook, sheets) if span.name == "sheet"]


def _marks(workbook: bytes) -> list[tuple[ooxml.Span, int, str]]:
    """The worker's names: (element, position of the tab it is scoped to, name)."""
    top = ooxml.root(workbook)
    names = ooxml.first(ooxml.child_spans(workbook, top), "definedNames")
    if names is None:
        return []
    found = []
    for span in ooxml.child_spans(workbook, names):
        values = ooxml.attributes(span.tag(workbook))
        name, index = values.get("name", ""), values.get("localSheetId", "")
        if span.name == "definedName" and name.startswith(ID_NAME) and \
                name[len(ID_NAME):].isdigit() and index.isdigit():
            found.append((span, int(index), name))
    return found


def _refers_to(workbook: bytes, span: ooxml.Span) -> str:
    """The tab title a name's A1 reference names."""
    start, end = span.inner(workbook)
    formula = ooxml.unescape_text(workbook[start:end]).strip()
    sheet = formula.rpartition("!")[0]
    if sheet.startswith("'") and sheet.endswith("'"):
        return sheet[1:-1].replace("''", "'")
    return sheet


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _target(title: str) -> str:
    return _quoted(title) + "!$A$1"
