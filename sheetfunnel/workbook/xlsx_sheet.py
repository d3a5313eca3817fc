"""Rewriting one sheet part as a stream: the worker's cells replaced, every other byte kept.

The part goes through in pieces of whole rows. A row the plan does not touch is copied as it
is; in a row it touches, only the cells it writes are replaced (or added in column order), and
every other cell keeps its bytes. The head (before ``<sheetData>``) and the tail (after it) are
swapped for the versions the caller prepared from ``scan_sheet``. Memory grows with the cells
written, never with the sheet.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from sheetfunnel.diff import same_value, storable, stored_as_is
from sheetfunnel.grid import Cell, column_letter
from sheetfunnel.values import FIRST_DATE, serial_number
from sheetfunnel.workbook import ooxml
from sheetfunnel.workbook.xlsx_rows import (
    CELL,
    CellXml,
    last_column,
    last_row_number,
    row_cells,
    row_number,
    rows,
)
from sheetfunnel.workbook.xlsx_styles import StyleSheet

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
_NAME = rb"(?:[\w.-]+:)?"
_SHEET_DATA = re.compile(rb"<(" + _NAME + rb")sheetData\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</" + _NAME + rb"sheetData>")
_ROW_END = re.compile(rb"</" + _NAME + rb"row>|<" + _NAME + rb"row\b[^<>]*/>")
_SPANS = re.compile(rb"\sspans\s*=\s*[\"'](\d+):(\d+)[\"']")
_R_ATTR = re.compile(rb"\sr\s*=\s*[\"'][^\"']*[\"']")
_1904_OFFSET = 1462
_NO_COLUMN = 1 << 20
_EXACT = 2 ** 53
#: Rows of a fresh part made a column at a time, and what stands for their row number there
#: (a text written never holds it).
_BLOCK = 4096
_ROW_MARK = "\x00"
_FORMULA = re.compile(rb"<" + _NAME + rb"f\b([^>]*?)(?:/>|>([^<]*)</" + _NAME + rb"f>)", re.S)

#: A cell's value as the file holds it, for cells the caller did not read: None if unknown.
Known = Callable[[int, int], tuple[bool, Cell]]


@dataclass(frozen=True)
class SheetScan:
    """A sheet part's head, the ``<sheetData>`` start tag and its tail, as bytes."""

    head: bytes
    open_tag: bytes
    tail: bytes

    @property
    def prefix(self) -> bytes:
        return ooxml.prefix_of(self.open_tag)


def split_sheet(chunks: Iterator[bytes]) -> Iterator[tuple[str, bytes]]:
    """("head", bytes), ("open", the sheetData tag), ("rows", whole rows)..., ("tail", bytes)."""
    head, found, rest = _opened(chunks)
    yield "head", head
    yield "open", found[0]
    if found[2]:  # <sheetData/>
        yield "tail", rest + b"".join(chunks)
        return
    while True:
        end = _data_end(rest)
        if end >= 0:
            yield "rows", rest[:end]
            yield "tail", rest[end:] + b"".join(chunks)
            return
        cut = _last_row_end(rest)
        if cut:
            yield "rows", rest[:cut]
            rest = rest[cut:]
        more = next(chunks, None)
        if more is None:
            raise ValueError("a worksheet part cut short inside <sheetData>")
        rest += more


def _opened(chunks: Iterator[bytes]) -> tuple[bytes, re.Match[bytes], bytes]:
    """The bytes before ``<sheetData>``, its start tag, and the bytes read after it."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        found = _SHEET_DATA.search(buffer)
        if found:
            return buffer[:found.start()], found, buffer[found.end():]
    raise ValueError("a worksheet part without <sheetData>")


def _data_end(data: bytes) -> int:
    """Where ``</sheetData>`` starts in ``data`` (-1 when it is not there): found as plain
    bytes first, as a pattern only where they are."""
    at = data.find(b"sheetData>")
    while at >= 0:
        lt = data.rfind(b"</", 0, at)
        found = _SHEET_DATA_END.match(data, lt) if lt >= 0 else None
        if found is not None and found.end() == at + len(b"sheetData>"):
            return lt
        at = data.find(b"sheetData>", at + 1)
    return -1


def _last_row_end(data: bytes) -> int:
    at = len(data)
    while (at := data.rfind(b"row", 0, at)) >= 0:
        start = data.rfind(b"<", 0, at)
        if start >= 0 and (found := _ROW_END.match(data, start)):
            return found.end()
    return 0


def scan_sheet(chunks: Iterator[bytes]) -> SheetScan:
    """The head, sheetData tag and tail of a sheet part (its rows are passed over: only
    the end of ``<sheetData>`` is looked for in them)."""
    head, found, rest = _opened(chunks)
    open_tag = found[0]
    if found[2]:  # <sheetData/>
        return SheetScan(head, open_tag, rest + b"".join(chunks))
    while (end := _data_end(rest)) < 0:
        more = next(chunks, None)
        if more is None:
            raise ValueError("a worksheet part cut short inside <sheetData>")
        cut = rest.rfind(b"<")  # the end tag may be cut in two
        rest = (rest[cut:] if cut >= 0 else b"") + more
    return SheetScan(head, open_tag, rest[end:] + b"".join(chunks))


# -- the looks that live on cells ----------------------------------------------------------

@dataclass
class CellLooks:
    """Number formats and bold type the plan puts on ranges of one tab."""

    by_col: dict[int, list[tuple[int, int | None, str]]] = field(default_factory=dict)
    _steps: dict[int, tuple[list[int], list[tuple[str, ...]]]] = field(default_factory=dict)

    def add(self, first_row: int, last_row: int | None, first_col: int, last_col: int,
            what: str) -> None:
        """``what`` is ``bold`` or a number format code."""
        for col in range(first_col, last_col + 1):
            self.by_col.setdefault(col, []).append((first_row, last_row, what))
        self._steps.clear()

    def at(self, row: int, col: int) -> tuple[str, ...]:
        items = self.by_col.get(col)
        if not items:
            return ()
        steps = self._steps.get(col)
        if steps is None:
            steps = self._steps[col] = self._steps_of(items)
        bounds, looks = steps
        return looks[bisect.bisect_right(bounds, row)]

    @staticmethod
    def _steps_of(items: list[tuple[int, int | None, str]]
                  ) -> tuple[list[int], list[tuple[str, ...]]]:
        """The column's looks as steps: ``looks[i]`` holds from ``bounds[i - 1]`` up to
        ``bounds[i]`` (the looks change only where a range starts or ends)."""
        bounds = sorted({first for first, _, _ in items} |
                        {last + 1 for _, last, _ in items if last is not None})
        looks = []
        for row in [0, *bounds]:
            looks.append(tuple(what for first, last, what in items
                               if first <= row and (last is None or row <= last)))
        return bounds, looks

    def bounds(self) -> list[int]:
        """The rows where the looks of some column may change, in order: between two of
        them every column keeps its looks."""
        return sorted({first for items in self.by_col.values() for first, _, _ in items} |
                      {last + 1 for items in self.by_col.values() for _, last, _ in items
                       if last is not None})

    def rows(self) -> tuple[int, int | None] | None:
        """The rows any look covers (first, last or None for the end); None when none."""
        spans = [(first, last) for items in self.by_col.values() for first, last, _ in items]
        if not spans:
            return None
        lasts = [last for _, last in spans]
        return min(first for first, _ in spans), None if None in lasts else max(
            last for last in lasts if last is not None)


def styled(styles: StyleSheet, style: int, looks: tuple[str, ...]) -> int:
    for what in looks:
        style = styles.with_bold(style) if what == "bold" else styles.with_format(style, what)
    return style


# -- rewriting ------------------------------------------------------------------------------

@dataclass
class SheetEdit:
    """What to do to one sheet part."""

    writes: dict[int, dict[int, Cell]]  # row -> column -> value (None clears)
    looks: CellLooks
    restyle: bool  # apply the looks to every cell in their ranges, not only to those written
    head: bytes
    tail: bytes
    known: Known  # the value a cell holds, when the caller read it
    date1904: bool = False


@dataclass
class EditResult:
    cells_written: int = 0
    restyled: int = 0
    formulas_replaced: list[str] = field(default_factory=list)  # cells, as E5
    skipped: list[str] = field(default_factory=list)  # merged cells left alone


class Frame(Protocol):
    """The head and tail of a part edited in one pass, made from the part's own when the
    pass reaches them (``scan_sheet`` is then not needed first)."""

    def head(self, head: bytes, open_tag: bytes) -> bytes: ...

    def tail(self, tail: bytes) -> bytes: ...


def edit_sheet(chunks: Iterator[bytes], out: IO[bytes], edit: SheetEdit, styles: StyleSheet,
               shared_text: Callable[[int], str], merged: Callable[[int, int], bool],
               frame: Frame | None = None) -> EditResult:
    """Write the edited part to ``out``, with ``edit``'s head and tail (or ``frame``'s)."""
    result = EditResult()
    pending = sorted(edit.writes)
    look_rows = edit.looks.rows() if edit.restyle else None
    editor = _RowEditor(edit, styles, shared_text, merged, result)
    head = b""
    for kind, data in split_sheet(chunks):
        if kind == "head":
            head = data
        elif kind == "open":
            editor.prefix = ooxml.prefix_of(data)
            out.write(frame.head(head, data) if frame is not None else edit.head)
            out.write(data[:-2].rstrip() + b">" if data.endswith(b"/>") else data)
        elif kind == "tail":
            for number in pending:
                out.write(editor.new_row(number))
            pending = []
            tail = frame.tail(data) if frame is not None else edit.tail
            out.write(tail if _SHEET_DATA_END.match(data) else
                      b"</" + editor.prefix + b"sheetData>" + tail)
        else:
            pending = _edit_rows(data, out, pending, look_rows, editor)
    return result


def fresh_sheet(out: IO[bytes], open_tag: bytes, grid: Sequence[Sequence[object]],
                edit: SheetEdit, styles: StyleSheet, merged: Callable[[int, int], bool] | None
                ) -> None:
    """Write a sheet part that holds exactly ``grid`` (each cell made ``storable``; a blank
    one left out), with ``edit``'s head and tail: the very bytes ``edit_sheet`` makes of
    these cells over a part without rows, each cell's text found once. ``merged``: None when
    the part has no merged cells."""
    result = EditResult()
    editor = _RowEditor(edit, styles, lambda index: "", merged or _nowhere, result)
    editor.prefix = prefix = ooxml.prefix_of(open_tag)
    closed = open_tag.endswith(b"/>")
    out.write(edit.head)
    out.write(open_tag[:-2].rstrip() + b">" if closed else open_tag)
    if merged is None:
        for row in editor.fresh_rows(grid):
            out.write(row)
    else:
        for number, line in enumerate(grid, start=1):
            out.write(editor.fresh_row_merged(number, line))
    out.write((b"</" + prefix + b"sheetData>" if closed else b"") + edit.tail)


def _nowhere(row: int, col: int) -> bool:
    return False


def _edit_rows(piece: bytes, out: IO[bytes], pending: list[int],
               look_rows: tuple[int, int | None] | None, editor: _RowEditor) -> list[int]:
    """Copy ``piece`` to ``out``, rows the edit touches edited; new rows go in their place."""
    if look_rows is None and not (editor.masters and b"si=" in piece):
        last = last_row_number(piece, editor.last_row)
        if not pending or pending[0] > last:
            editor.last_row = last
            out.write(piece)
            return pending
        return _jump_to_rows(piece, out, pending, last, editor)
    return _walk_rows(piece, out, pending, look_rows, editor)


def _walk_rows(piece: bytes, out: IO[bytes], pending: list[int],
               look_rows: tuple[int, int | None] | None, editor: _RowEditor) -> list[int]:
    """``_edit_rows`` reading every row of the piece."""
    copied = 0
    number = editor.last_row
    index = 0
    for match in rows(piece):
        number = row_number(match[0], number)
        while index < len(pending) and pending[index] < number:
            out.write(piece[copied:match.start()])
            copied = match.start()
            out.write(editor.new_row(pending[index]))
            index += 1
        wanted = index < len(pending) and pending[index] == number
        looks = look_rows is not None and look_rows[0] <= number and (
            look_rows[1] is None or number <= look_rows[1])
        sharing = bool(editor.masters) and b"si=" in match[0]
        if wanted or looks or sharing:
            out.write(piece[copied:match.start()])
            out.write(editor.edit_row(match[0], number))
            copied = match.end()
            index += wanted
    editor.last_row = number
    out.write(piece[copied:])
    return pending[index:]


def _jump_to_rows(piece: bytes, out: IO[bytes], pending: list[int], last: int,
                  editor: _RowEditor) -> list[int]:
    """``_edit_rows`` straight to the rows the edit touches, found by their start
    ``<row r="N"`` (as Excel, LibreOffice and openpyxl write them), every row between copied
    without being read. From a row not found so (a new one, or a row that does not say its
    number first) on, the rest of the piece is read row by row."""
    start = b"<" + editor.prefix + b'row r="'
    cursor = index = 0
    while index < len(pending) and pending[index] <= last:
        number = pending[index]
        at = piece.find(start + b'%d"' % number, cursor)
        found = _row_at(piece, at, editor.prefix) if at >= 0 else None
        if found is None:  # editor.last_row is the row before the cursor's
            return _walk_rows(piece[cursor:], out, pending[index:], None, editor)
        out.write(piece[cursor:at])
        out.write(editor.edit_row(piece[at:found], number))
        cursor = found
        editor.last_row = number
        index += 1
        if editor.masters and b"si=" in piece[cursor:]:  # cells sharing a replaced formula
            return _walk_rows(piece[cursor:], out, pending[index:], None, editor)
    out.write(piece[cursor:])
    editor.last_row = last
    return pending[index:]


def _row_at(piece: bytes, at: int, prefix: bytes) -> int | None:
    """Where the ``<row>`` element starting at ``at`` ends (rows hold no rows, and no ">" in
    a row's attributes), None when it does not end in ``piece``."""
    gt = piece.find(b">", at)
    if gt < 0:
        return None
    if piece[gt - 1] == 0x2F:  # "/>"
        return gt + 1
    close = b"</" + prefix + b"row>"
    end = piece.find(close, gt)
    return end + len(close) if end >= 0 else None


class _RowEditor:
    def __init__(self, edit: SheetEdit, styles: StyleSheet, shared_text: Callable[[int], str],
                 merged: Callable[[int, int], bool], result: EditResult):
        self.edit, self.styles, self.result = edit, styles, result
        self.shared_text, self.merged = shared_text, merged
        self.last_row = 0
        self.prefix = b""
        self._first_look_column = min(edit.looks.by_col, default=_NO_COLUMN)
        #: Shared formulas whose first cell the worker replaced: id -> (formula, its cell).
        #: Their other cells get the formula written out, as the first cell no longer holds it.
        self.masters: dict[str, tuple[str, str]] = {}
        self._styles: dict[tuple[int, tuple[str, ...], int], int] = {}
        self._texts: dict[str, str] = {}
        #: a fresh part's texts as the end of their cell, and each column's style for a text
        #: or number in the current band of rows (between two ``bounds`` of the looks)
        self._fresh_texts: dict[str, str] = {}
        self._band: dict[int, tuple[str, str]] = {}
        self._bounds = edit.looks.bounds()
        self._next_bound = 0

    def fresh_rows(self, grid: Sequence[Sequence[Any]]) -> Iterator[bytes]:
        """The rows of ``grid`` as ``new_row`` writes them (a row all blank left out): plain
        texts and finite numbers in short, every other value the long way.

        Made a column at a time, in blocks of rows whose looks are the same: a column of
        texts is a look-up per cell. The styles the cells need are made in the order a pass
        row by row makes them, so that the style table is that pass's."""
        p = self.prefix.decode()
        first = 1
        while first <= len(grid):
            if first >= self._next_bound:
                self._band.clear()  # the looks of some column change from this row on
                bounds = self._bounds
                while bounds and bounds[0] <= first:
                    bounds.pop(0)
                self._next_bound = bounds[0] if bounds else len(grid) + 1
            last = min(len(grid), first + _BLOCK - 1, self._next_bound - 1)
            columns = list(itertools.zip_longest(*grid[first - 1:last]))
            events: list[tuple[int, int, bool, Cell]] = []
            kinds = [self._fresh_kind(col, column, events)
                     for col, column in enumerate(columns, start=1)]
            longs: dict[tuple[int, int], str] = {}
            for index, col, date, value in sorted(events, key=lambda event: event[:2]):
                if value is None:  # the first cell of its column (and kind) in the band
                    self._place(first + index, col, date)
                else:
                    longs[col, index] = self._new_cell(first + index, col, value).decode()
            made = [self._fresh_column(col, column, kind, longs, p)
                    for col, (column, kind) in enumerate(zip(columns, kinds, strict=True),
                                                              start=1)]
            rows = []
            for index, cells in enumerate(zip(*made, strict=True)):
                text = "".join(cells)
                if text:
                    row = str(first + index)
                    rows.append(f'<{p}row r="{row}">{text.replace(_ROW_MARK, row)}</{p}row>')
            yield "".join(rows).encode()
            first = last + 1

    def _fresh_kind(self, col: int, column: tuple[Any, ...],
                    events: list[tuple[int, int, bool, Cell]]) -> str:
        """What ``column`` holds (``text``, ``float``, ``date`` or ``mixed``), its texts' ends
        made;
        ``events`` gets where it needs a cell's start made first (value None) and its
        values written the long way."""
        types = set(map(type, column))
        types.discard(type(None))
        texts = self._fresh_texts
        if types <= {str}:
            for raw in set(column):
                if raw is not None:
                    self._fresh_text(raw)
            if col not in self._band:
                index = next((i for i, raw in enumerate(column) if raw is not None and
                              texts[raw]), None)
                if index is not None:
                    events.append((index, col, False, None))
            return "text"
        if types <= {dt.date} and min(filter(None, column)) >= FIRST_DATE:
            if -col not in self._band:
                index = next(i for i, raw in enumerate(column) if raw is not None)
                events.append((index, col, True, None))
            return "date"
        if types <= {float}:
            if col not in self._band:
                index = next((i for i, raw in enumerate(column) if raw is not None and
                              math.isfinite(raw)), None)
                if index is not None:
                    events.append((index, col, False, None))
            return "float"
        wanted = {False: col not in self._band, True: -col not in self._band}
        for index, raw in enumerate(column):
            kind = type(raw)
            if raw is None or kind is str or (kind is float and math.isfinite(raw)) or (
                    kind is int and -_EXACT < raw < _EXACT):
                date = False
                if raw is None or (kind is str and not self._fresh_text(raw)):
                    continue
            elif kind is dt.date and raw >= FIRST_DATE:
                date = True
            else:
                value = storable(raw)
                if value is not None:
                    events.append((index, col, False, value))
                continue
            if wanted[date]:
                wanted[date] = False
                events.append((index, col, date, None))
        return "mixed"

    def _fresh_text(self, raw: str) -> str:
        """The end of a fresh cell holding ``raw`` ("" when it is blank)."""
        rest = self._fresh_texts.get(raw)
        if rest is None:
            p = self.prefix.decode()
            value = raw if stored_as_is(raw) else storable(raw)
            rest = self._fresh_texts[raw] = "" if value is None else \
                self._content(value, p) + f"</{p}c>"
        return rest

    def _fresh_column(self, col: int, column: tuple[Any, ...], kind: str,
                      longs: dict[tuple[int, int], str], p: str) -> list[str]:
        """The cells of ``column`` (a blank one ""), the row number in each left as
        ``_ROW_MARK``."""
        place = self._band.get(col)
        start = f"{place[0]}{_ROW_MARK}{place[1]}" if place else ""
        opened, closed = f"><{p}v>", f"</{p}v></{p}c>"  # a number's value element
        if kind == "text":
            texts = self._fresh_texts
            cells = {raw: f"{start}{texts[raw]}" if texts[raw] else "" for raw in set(column)
                     if raw is not None}
            cells[None] = ""
            return list(map(cells.__getitem__, column))
        if kind == "float":
            return [f"{start}{opened}{raw!r}{closed}" if raw is not None and
                    math.isfinite(raw) else "" for raw in column]
        date_place = self._band.get(-col)
        date_start = f"{date_place[0]}{_ROW_MARK}{date_place[1]}" if date_place else ""
        if kind == "date":
            cells = {raw: f"{date_start}{opened}{excel_serial(raw, self.edit.date1904)}{closed}"
                     for raw in set(column) if raw is not None}
            cells[None] = ""
            return list(map(cells.__getitem__, column))
        made = []
        for index, raw in enumerate(column):
            kind_of = type(raw)
            if raw is None:
                made.append("")
            elif kind_of is str:
                rest = self._fresh_text(raw)
                made.append(f"{start}{rest}" if rest else "")
            elif kind_of is float and math.isfinite(raw):
                made.append(f"{start}{opened}{raw!r}{closed}")
            elif kind_of is int and -_EXACT < raw < _EXACT:
                made.append(f"{start}{opened}{raw}{closed}")
            elif kind_of is dt.date and raw >= FIRST_DATE:
                made.append(f"{date_start}{opened}"
                            f"{excel_serial(raw, self.edit.date1904)}{closed}")
            else:
                made.append(longs.get((col, index), ""))
        return made

    def _place(self, number: int, col: int, date: bool) -> tuple[str, str]:
        """The start of a fresh cell of ``col`` in the current band of rows, its row number
        left out, and its style (a date's has a date format: a key of its own)."""
        style = self._style(0, self.edit.looks.at(number, col), dt.date.max if date else None)
        p = self.prefix.decode()
        place = self._band[-col if date else col] = (f'<{p}c r="{_letter(col)}',
                                                     f'" s="{style}"' if style else '"')
        return place

    def fresh_row_merged(self, number: int, line: Sequence[object]) -> bytes:
        """Row ``number`` of a part with merged cells, as ``new_row`` writes it (cells inside
        merged ones left out)."""
        values = {col: value for col, raw in enumerate(line, start=1)
                  if (value := storable(raw)) is not None}
        return self._row_of(number, values) if values else b""

    def new_row(self, number: int) -> bytes:
        return self._row_of(number, self.edit.writes[number])

    def _row_of(self, number: int, values: Mapping[int, Cell]) -> bytes:
        cells = b"".join(self._new_cell(number, col, value)
                         for col, value in sorted(values.items()))
        p = self.prefix
        return b"<" + p + b'row r="%d">' % number + cells + b"</" + p + b"row>"

    def edit_row(self, row: bytes, number: int) -> bytes:
        writes = self.edit.writes.get(number, {})
        tag_end = row.find(b">") + 1
        empty = row[tag_end - 2:tag_end] == b"/>"
        body_end = tag_end if empty else row.rfind(b"<")
        sharing = bool(self.masters) and b"si=" in row
        if writes and not self.edit.restyle and not sharing:
            found = self._found_cells(row, number, writes, tag_end, body_end)
            if found is not None:
                return self._spliced_row(row, number, writes, found, tag_end, body_end, empty)
        touched = min(writes, default=_NO_COLUMN)
        if self.edit.restyle:
            touched = min(touched, self._first_look_column)
        if touched != _NO_COLUMN and not sharing:
            last = last_column(row, self.prefix)
            if last is not None and last < touched:  # only cells after the row's last
                added = b"".join(self._new_cell(number, col, writes[col])
                                 for col in sorted(writes))
                if not added:
                    return row
                tag = row[:tag_end - 2].rstrip() + b">" if empty else row[:tag_end]
                return _widen_spans(tag, writes) + row[tag_end:body_end] + added + \
                    b"</" + self.prefix + b"row>"
        parts: list[bytes] = []
        done: set[int] = set()
        copied = tag_end
        cells = list(row_cells(row))
        for place, cell in enumerate(cells):
            for col in sorted(c for c in writes if c < cell.col and c not in done):
                parts.append(row[copied:cell.start])
                copied = cell.start
                parts.append(self._new_cell(number, col, writes[col]))
                done.add(col)
            droppable = place + 1 == len(cells) or bool(_R_ATTR.search(cells[place + 1].attrs))
            new = self._edited_cell(number, cell, writes, row[cell.start:cell.end], droppable)
            if new is None and self.masters and cell.col not in writes:
                new = self._unshared(number, cell, row[cell.start:cell.end])
            if new is not None:
                parts.append(row[copied:cell.start])
                parts.append(new)
                copied = cell.end
            done.add(cell.col)
        parts.append(row[copied:body_end])
        for col in sorted(c for c in writes if c not in done):
            parts.append(self._new_cell(number, col, writes[col]))
        body = b"".join(parts)
        if body == row[tag_end:body_end]:
            return row
        tag = row[:tag_end]
        if empty:
            tag = tag[:-2].rstrip() + b">"
        return _widen_spans(tag, writes) + body + b"</" + self.prefix + b"row>"

    def _found_cells(self, row: bytes, number: int, writes: dict[int, Cell], tag_end: int,
                     body_end: int) -> list[tuple[int, CellXml | None]] | None:
        """The cells ``writes`` names, found by their place (``<c r="E5"``) without reading
        the others; a column without a cell is None when it comes after the row's last cell.
        None when a cell cannot be found that way (then the row is read cell by cell)."""
        start = b"<" + self.prefix + b'c r="'
        found: list[tuple[int, CellXml | None]] = []
        last: int | None = -1
        for col in writes:
            at = row.find(b'%s%s%d"' % (start, _letter_bytes(col), number), tag_end, body_end)
            cell = self._cell_at(row, at, col, body_end) if at >= 0 else None
            if cell is not None and cell.inner and b"si=" in cell.inner:
                return None  # a shared formula: its other cells may need it written out
            if cell is None:
                if last == -1:
                    last = last_column(row, self.prefix)
                if last is None or col <= last:
                    return None
            found.append((col, cell))
        return found

    def _cell_at(self, row: bytes, at: int, col: int, body_end: int) -> CellXml | None:
        """The ``<c>`` element starting at ``at`` (no ">" in a cell's attributes, no "<" in
        its text: its end is where its tag or its closing tag ends)."""
        gt = row.find(b">", at, body_end)
        if gt < 0:
            return None
        name_end = at + len(self.prefix) + 2
        if row[gt - 1] == 0x2F:  # "/>"
            return CellXml(col, at, gt + 1, row[name_end:gt - 1], None)
        close = b"</" + self.prefix + b"c>"
        end = row.find(close, gt, body_end)
        if end < 0:
            return None
        return CellXml(col, at, end + len(close), row[name_end:gt], row[gt + 1:end])

    def _spliced_row(self, row: bytes, number: int, writes: dict[int, Cell],
                     found: list[tuple[int, CellXml | None]], tag_end: int, body_end: int,
                     empty: bool) -> bytes:
        """``row`` with the cells ``found`` replaced and the missing ones added at its end;
        the bytes between them are copied as they are."""
        parts: list[bytes] = []
        copied = tag_end
        present = [(col, cell) for col, cell in found if cell is not None]
        if len(present) > 1:
            present.sort(key=lambda item: item[1].start)
        for col, cell in present:
            droppable = False
            if writes[col] is None:  # a cleared cell may go when the next says its place
                following = CELL.search(row, cell.end, body_end)
                droppable = following is None or bool(_R_ATTR.search(following[2]))
            new = self._edited_cell(number, cell, writes, row[cell.start:cell.end], droppable)
            if new is not None:
                parts.append(row[copied:cell.start])
                parts.append(new)
                copied = cell.end
        added = [self._new_cell(number, col, writes[col])
                 for col in sorted(col for col, cell in found if cell is None)]
        if copied == tag_end and not any(added):
            return row
        parts.append(row[copied:body_end])
        parts.extend(added)
        tag = row[:tag_end]
        if empty:
            tag = tag[:-2].rstrip() + b">"
        return _widen_spans(tag, writes) + b"".join(parts) + b"</" + self.prefix + b"row>"

    def _edited_cell(self, number: int, cell: CellXml, writes: dict[int, Cell],
                     original: bytes, last: bool) -> bytes | None:
        """The new bytes of an existing cell, or None to keep it as it is."""
        looks = self.edit.looks.at(number, cell.col)
        if cell.col not in writes:
            if not looks or not self.edit.restyle:
                return None
            style = styled(self.styles, cell.style, looks)
            if style == cell.style:
                return None
            self.result.restyled += 1
            tag_end = original.find(b">") + 1
            return ooxml.with_attributes(original[:tag_end], {"s": str(style) if style else None}
                                         ) + original[tag_end:]
        value = writes[cell.col]
        if self.merged(number, cell.col):
            self.result.skipped.append(f"{_letter(cell.col)}{number}")
            return None
        old_style = cell.style
        style = self._style(old_style, looks, value)
        formula = cell.has_formula
        if formula:
            self._remember_master(number, cell)
        same = not formula and same_value(self._current(number, cell), value)
        if same and style == old_style:
            return None
        if formula:
            self.result.formulas_replaced.append(f"{_letter(cell.col)}{number}")
        if same:
            self.result.restyled += 1
        else:
            self.result.cells_written += 1
        if value is None and not style and last:
            return b""
        return self._cell(number, cell.col, value, style)

    def _remember_master(self, number: int, cell: CellXml) -> None:
        found = _FORMULA.search(cell.inner or b"")
        if found is None:
            return
        values = ooxml.attributes(b"<f" + found[1] + b">")
        if values.get("t") == "shared" and "ref" in values and found[2]:
            self.masters[values.get("si", "")] = (ooxml.unescape_text(found[2]),
                                                  f"{_letter(cell.col)}{number}")

    def _unshared(self, number: int, cell: CellXml, original: bytes) -> bytes | None:
        """A person's cell that shared the formula of a cell the worker replaced, with that
        formula written out for it (None when it shares none of those)."""
        found = _FORMULA.search(original)
        if found is None:
            return None
        values = ooxml.attributes(b"<f" + found[1] + b">")
        master = self.masters.get(values.get("si", "")) if values.get("t") == "shared" else None
        if master is None or found[2]:
            return None
        from openpyxl.formula.translate import Translator

        text, origin = master
        moved = Translator("=" + text, origin=origin).translate_formula(
            f"{_letter(cell.col)}{number}")[1:]
        p = self.prefix.decode()
        return original[:found.start()] + f"<{p}f>{ooxml.text(moved)}</{p}f>".encode() + \
            original[found.end():]

    def _new_cell(self, number: int, col: int, value: Cell) -> bytes:
        if self.merged(number, col):
            self.result.skipped.append(f"{_letter(col)}{number}")
            return b""
        style = self._style(0, self.edit.looks.at(number, col), value)
        if value is None or _not_finite(value):
            return b""
        self.result.cells_written += 1
        return self._cell(number, col, value, style)

    def _style(self, style: int, looks: tuple[str, ...], value: Cell) -> int:
        """The cell's style with the looks of its place, and a date format for a date."""
        kind = 0 if not isinstance(value, dt.date) else 2 if isinstance(
            value, dt.datetime) and value.time() != dt.time() else 1
        key = (style, looks, kind)
        found = self._styles.get(key)
        if found is None:
            found = styled(self.styles, style, looks)
            if kind and not self.styles.is_date(found):
                found = self.styles.with_format(found, DATETIME_FORMAT if kind == 2 else
                                                DATE_FORMAT)
            self._styles[key] = found
        return found

    def _current(self, number: int, cell: CellXml) -> Cell:
        found, value = self.edit.known(number, cell.col)
        if found:
            return value
        raw = cell.raw_value()
        kind = cell.kind
        if raw is None:
            return None
        if kind == "s":
            return self.shared_text(int(raw))
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind in ("str", "inlineStr", "e"):
            return raw
        try:
            return float(raw)
        except ValueError:
            return raw

    def _cell(self, number: int, col: int, value: Cell, style: int) -> bytes:
        p = self.prefix.decode()
        place = f"{_letter(col)}{number}"
        styled_attr = f' s="{style}"' if style else ""
        if type(value) is str:  # a text's element is made once (lists repeat their texts)
            found = self._texts.get(value)
            if found is None:
                found = self._texts[value] = self._content(value, p)
            return f'<{p}c r="{place}"{styled_attr}{found}</{p}c>'.encode()
        if type(value) is float and math.isfinite(value):  # as _content makes it, in short
            return f'<{p}c r="{place}"{styled_attr}><{p}v>{value!r}</{p}v></{p}c>'.encode()
        if value is None or _not_finite(value):
            return f'<{p}c r="{place}"{styled_attr}/>'.encode()
        return f'<{p}c r="{place}"{styled_attr}{self._content(value, p)}</{p}c>'.encode()

    def _content(self, value: Cell, p: str) -> str:
        """A cell's type attribute, the end of its tag and its value element."""
        encoded = encode(value, self.edit.date1904)
        assert encoded is not None
        kind, content = encoded
        if kind == "inlineStr":
            space = ' xml:space="preserve"' if content != content.strip() or "\n" in content \
                else ""
            inner = f"<{p}is><{p}t{space}>{content}</{p}t></{p}is>"
        else:
            inner = f"<{p}v>{content}</{p}v>"
        kind_attr = f' t="{kind}"' if kind != "n" else ""
        return f"{kind_attr}>{inner}"


@functools.lru_cache(maxsize=4096)
def _letter(col: int) -> str:
    return column_letter(col)


@functools.lru_cache(maxsize=4096)
def _letter_bytes(col: int) -> bytes:
    return column_letter(col).encode()


def encode(value: Cell, date1904: bool = False) -> tuple[str, str] | None:
    """A value as a cell's type and its escaped content; text is always text, never a
    formula."""
    if value is None or _not_finite(value):
        return None
    if isinstance(value, bool):
        return "b", str(int(value))
    if isinstance(value, int):
        return "n", str(value)
    if isinstance(value, float):
        return "n", repr(value)
    if isinstance(value, dt.date):
        return "n", repr(excel_serial(value, date1904))
    return "inlineStr", ooxml.text(str(value))


def excel_serial(value: dt.date, date1904: bool = False) -> int | float:
    """The serial number Excel stores for a date (its 1900 calendar counts a 29 February)."""
    serial = serial_number(value)
    if date1904:
        return serial - _1904_OFFSET
    return serial - 1 if serial < 61 else serial


def _not_finite(value: Cell) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _widen_spans(tag: bytes, writes: dict[int, Cell]) -> bytes:
    """A row's ``spans`` hint covering the columns now written."""
    found = _SPANS.search(tag)
    if not found or not writes:
        return tag
    low, high = int(found[1]), int(found[2])
    new_low, new_high = min(low, *writes), max(high, *writes)
    if (new_low, new_high) == (low, high):
        return tag
    return ooxml.with_attributes(tag, {"spans": f"{new_low}:{new_high}"})
