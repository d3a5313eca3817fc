"""A Google Sheet as a Workbook: a constant number of API requests, safe while people edit.

A run costs, whatever the row count: one ``spreadsheets.get`` with a fields mask and one
``values.batchGet`` of the tabs it needs (``read``). Then, in ``apply``: one
``spreadsheets.batchUpdate`` when structure or looks differ; when rows are written, one
``batchGet`` of their ID columns right before the values write (rows sorted, inserted or
deleted since the read are followed by ID: a value is never sent to a row whose ID is not
the one it was computed for); one ``values.batchUpdate`` (RAW: text is never run as a
formula) carrying only the cells that change, contiguous cells merged into ranges; and one
``batchGet`` that reads the ID columns back. If rows moved while the write was on its way, one
more ``batchGet`` of the written columns and one more values write put each owned cell back
with its row (``follow.repairs``); anything moved after that is the next run's. Payloads over
about 2 MB are split. A run where nothing changed sends no write at all.

Looks are desired state. Conditional formats, the chart, protected ranges, hidden and frozen
settings are compared with what the metadata read shows, the worker's own found by their
rule, title and description, and replaced only when they differ. Cell formats, notes,
dropdowns and column widths are not in that read: the worker records a fingerprint of what it
last applied to each tab in the tab's developer metadata and re-sends them when it differs.
Each structure batch also creates a developer-metadata token with an ID of its own, so a batch
that reached Google but whose answer was lost is refused when retried, instead of adding a
second chart or protection; the token, read back, tells that the batch did land.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, groupby, repeat
from operator import is_, is_not, itemgetter, ne, sub
from typing import Any, Protocol, TypeVar

import google.auth.exceptions
import numpy as np
import requests
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.urls import SPREADSHEET_VALUES_BATCH_UPDATE_URL
from gspread.utils import extract_id_from_url

from sheetfunnel.diff import same_value, storable
from sheetfunnel.errors import (
    CredentialsMissing,
    UsageError,
    WorkbookError,
    WorkbookNotFound,
    WorkbookNotWritable,
    WorkbookUnreachable,
)
from sheetfunnel.follow import Written, follow_ids, repairs
from sheetfunnel.grid import Cell, Grid, cell_at, column_letter, is_blank, quote_tab
from sheetfunnel.plan import (
    CellRange,
    CellWrite,
    Chart,
    Highlight,
    IOStats,
    Looks,
    Protection,
    RowKeys,
    TabSpec,
    WritePlan,
)
from sheetfunnel.values import FIRST_DATE, SERIAL_EPOCH, serial_number
from sheetfunnel.workbook.base import (
    CELL_LIMIT,
    Selector,
    Snapshot,
    every_tab,
    read_selected,
)
from sheetfunnel.workbook.credentials import (
    ENV,
    authorized_session,
    credentials_source,
    load_identity,
    refused,
)
from sheetfunnel.workbook.retry import (
    GOOGLE_ENDPOINT,
    JSON_HEADERS,
    RetryPolicy,
    SheetsHTTPClient,
    body_bytes,
)

log = logging.getLogger(__name__)

_Ranged = TypeVar("_Ranged", Highlight, Protection)

ENDPOINT_ENV = "SHEETFUNNEL_SHEETS_ENDPOINT"
MAX_PAYLOAD = 2_000_000  # bytes: Google's recommended maximum per request
WRAPPER = 8_192  # bytes kept for what wraps the split items: the batch token, option names
ROOM = (1000, 26)  # rows and columns of a new tab people type in, as Google makes one
LOOKS_KEY = "sheetfunnel.looks"
BATCH_KEY = "sheetfunnel.batch"
READ_OPTIONS = {"valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"}
TOKEN_FIELDS = "developerMetadata(metadataId,metadataKey)"
METADATA_FIELDS = (
    f"spreadsheetId,properties.title,{TOKEN_FIELDS},"
    "sheets(properties(sheetId,title,index,sheetType,hidden,gridProperties),"
    "conditionalFormats,charts(chartId,spec(title,basicChart(chartType,domains,series)),position),"
    "protectedRanges(protectedRangeId,range,description,warningOnly),"
    "developerMetadata(metadataId,metadataKey,metadataValue))"
)
#: A plan's chart kinds as Google's chart types (a combo's series are COLUMN or LINE).
_CHART_TYPES = {"bar": "BAR", "line": "LINE", "combo": "COMBO"}
RULE_TYPES = {"equals": "TEXT_EQ", "contains": "TEXT_CONTAINS", "begins": "TEXT_STARTS_WITH"}
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{10,}")


# -- values going out and coming in ---------------------------------------------------------

def json_value(value: Any) -> Any:
    """A cell value as the JSON the API takes (``storable`` first): dates as serial numbers,
    blank as "" which clears the cell."""
    value = storable(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return serial_number(value)
    return value


def _grid(value_range: dict, texts: dict[str, str | None] | None = None) -> Grid:
    """A value range as a Grid: empty cells are None, trailing empties dropped. Each text is
    kept once per ``texts`` (a read's texts so far, "" -> None): JSON makes a new string for
    every cell, and a column of stages, owners or flags repeats a few texts 100,000 times."""
    if texts is None:
        texts = {"": None}
    keep = texts.setdefault
    grid: Grid = []
    for row in value_range.get("values") or []:
        row = [keep(v, v) if type(v) is str else v for v in row]
        if row and ((last := row[-1]) is None or (
                not last.strip() if type(last) is str else last != last)):  # blank, NaN
            while row and is_blank(row[-1]):
                row.pop()
        grid.append(row)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _column(value_range: dict) -> list[Cell]:
    """A one-column value range read with ``majorDimension=COLUMNS`` as a list of cells from
    row 1: empty cells are None, trailing empties dropped."""
    values = value_range.get("values") or [[]]
    column = [None if v == "" else v for v in values[0]]
    while column and is_blank(column[-1]):
        column.pop()
    return column


#: What Google shows for a formula it cannot compute (``= 完全匹配`` is ``#NAME?``).
FORMULA_ERRORS = frozenset({"#NAME?", "#ERROR!", "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NUM!",
                            "#NULL!"})


def _shows_error(value: Any) -> bool:
    return isinstance(value, str) and value in FORMULA_ERRORS


def tab_ref(title: str) -> str:
    """A tab title quoted for an A1 range (always quoted: any title is then safe)."""
    return "'" + title.replace("'", "''") + "'"


def spreadsheet_key(key_or_url: str) -> str:
    """The key of a spreadsheet URL (or the key itself)."""
    text = key_or_url.strip()
    if "/" in text:
        try:
            return extract_id_from_url(text)
        except NoValidUrlKeyFound:
            raise UsageError(f"{text} is not a Google Sheets address. Copy the address of the "
                             "spreadsheet from the browser (https://docs.google.com/"
                             "spreadsheets/d/KEY/edit) or give its KEY.") from None
    if not KEY_PATTERN.fullmatch(text):
        raise UsageError(f"{text!r} is not a Google Sheets key. Give the spreadsheet's address "
                         "or the KEY from it (https://docs.google.com/spreadsheets/d/KEY/edit).")
    return text


#: Values that go out as they are (a write's value is already as ``storable`` gives it).
_PLAIN = frozenset({str, int, float, bool})


_Run = tuple[str, int, int, list[Any]]  # tab, column, first row, values down from it
#: A column's writes: its number, the first row of each run of consecutive rows, where each
#: run begins in the values, and the values down the column as JSON takes them.
_Column = tuple[int, list[int], list[int], list[Any]]


class _TabWrites:
    """One tab's writes with their rows and columns as arrays: the sizes a grid needs and the
    runs a values write sends come without a Python step per cell (a first run at 100,000
    deals writes a million cells)."""

    def __init__(self, tab: str, writes: list[CellWrite]):
        self.tab = tab
        self.writes = writes
        count = len(writes)
        self.rows = np.fromiter(map(_ROW, writes), np.int32, count)  # a grid has < 2**31
        self.cols = np.fromiter(map(_COL, writes), np.int32, count)

    @functools.cached_property
    def values(self) -> list[Any]:
        return list(map(_VALUE, self.writes))

    @functools.cached_property
    def filled(self) -> np.ndarray | None:
        """Which writes set a value (a blank text clears a cell as None does); None: all."""
        values = self.values
        if None not in values and "" not in values:
            return None
        count = len(values)
        return np.fromiter(map(is_not, values, repeat(None)), bool, count) & \
            np.fromiter(map(ne, values, repeat("")), bool, count)

    def span(self) -> tuple[int, int]:
        """The last row and column written, blank or not."""
        return (int(self.rows.max()), int(self.cols.max())) if self.writes else (0, 0)

    def extent(self) -> tuple[int, int]:
        """The last row and column of the writes that set a value: most often the last row
        and column written, told by a few of their writes, without looking at every value."""
        if "filled" not in self.__dict__ and self.writes:
            row, col = self.span()
            if self._sets(self.rows == row) and self._sets(self.cols == col):
                return row, col
        filled = self.filled
        if filled is None:
            return self.span()
        if not filled.any():
            return 0, 0
        return int(self.rows[filled].max()), int(self.cols[filled].max())

    def _sets(self, where: np.ndarray) -> bool:
        """Whether one of the first few writes ``where`` says sets a value."""
        return any(not _blank(self.writes[i][3]) for i in np.flatnonzero(where)[:8].tolist())

    def cleared(self) -> set[tuple[int, int]]:
        """The cells the writes clear."""
        filled = self.filled
        if filled is None:
            return set()
        blank = ~filled
        return set(zip(self.rows[blank].tolist(), self.cols[blank].tolist(), strict=True))

    def within(self, rows: int, cols: int) -> _TabWrites:
        """The writes inside a grid of ``rows`` x ``cols`` (a clear past it is no change)."""
        last_row, last_col = self.span()
        if last_row <= rows and last_col <= cols:
            return self
        keep = ((self.rows <= rows) & (self.cols <= cols)).tolist()
        return _TabWrites(self.tab, list(compress(self.writes, keep)))

    def columns(self) -> Iterator[_Column]:
        """The columns written, in order, each with its runs of consecutive rows (a later
        write of the same cell wins): the work is done per column, not per run or cell."""
        if not self.writes:
            return
        rows, cols, values = self.rows, self.cols, self.values
        cell = (cols.astype(np.int64) << 32) | rows  # by column, then row
        if len(cell) > 1 and not (cell[1:] > cell[:-1]).all():  # not in order, or a cell twice
            order = np.argsort(cell, kind="stable")  # stable: a cell's writes stay in order
            cell = cell[order]
            last = np.ones(len(order), bool)  # the last write of each cell
            last[:-1] = cell[1:] != cell[:-1]
            order = order[last]
            rows, cols = rows[order], cols[order]
            values = np.fromiter(values, object, len(values))[order].tolist()
        breaks = (rows[1:] != rows[:-1] + 1) | (cols[1:] != cols[:-1])
        starts = np.flatnonzero(np.concatenate(([True], breaks)))
        edges = [*np.flatnonzero(np.concatenate(([True], cols[1:] != cols[:-1]))).tolist(),
                 len(values)]
        cuts = np.searchsorted(starts, edges).tolist()  # each column's first run
        firsts, begins = rows[starts].tolist(), starts.tolist()
        for begin, end, low, high in zip(edges[:-1], edges[1:], cuts[:-1], cuts[1:],
                                         strict=True):
            yield (int(cols[begin]), firsts[low:high], [b - begin for b in begins[low:high]],
                   _json_values(values[begin:end]))


def _json_values(values: list[Any]) -> list[Any]:
    """Values as JSON takes them (``json_value``), dates of a column of dates at once."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return values
    if kinds == {dt.date} and min(values) >= FIRST_DATE:  # dates: their serial numbers
        return list(map(sub, map(dt.date.toordinal, values), repeat(_EPOCH_DAY)))
    day = dt.date  # a header above dates: the dates still without a call each
    return [v if type(v) in _PLAIN else v.toordinal() - _EPOCH_DAY
            if type(v) is day and v >= FIRST_DATE else json_value(v) for v in values]


_ROW, _COL, _VALUE = itemgetter(1), itemgetter(2), itemgetter(3)
_EPOCH_DAY = SERIAL_EPOCH.toordinal()  # a date's serial number is its ordinal less this


def _tab_groups(writes: Iterable[CellWrite]) -> dict[str, list[CellWrite]]:
    """Writes by tab, tabs in the order they first come (a plan's come together)."""
    grouped: dict[str, list[CellWrite]] = {}
    for tab, group in groupby(writes, itemgetter(0)):
        grouped.setdefault(tab, []).extend(group)
    return grouped


#: A plan's cells as sized for the cell limit, and its writes by tab (see ``_by_tab_writes``).
_Sized = tuple[Sequence[CellWrite], dict[str, _TabWrites]]


def _by_tab_writes(writes: Sequence[CellWrite], known: _Sized | None = None
                   ) -> dict[str, _TabWrites]:
    """Writes by tab. When ``writes`` begin with the very cells ``known`` sized (the plan
    sized for the cell limit, before the quiet key was added to its end), their tabs are
    taken from there and only the writes after them are grouped."""
    if known is not None:
        earlier, tabs = known
        if len(writes) >= len(earlier) and all(map(is_, earlier, writes)):
            found = dict(tabs)
            for tab, group in _tab_groups(writes[len(earlier):]).items():
                before = found.get(tab)
                found[tab] = _TabWrites(tab, before.writes + group if before else group)
            return found
    return {tab: _TabWrites(tab, group) for tab, group in _tab_groups(writes).items()}


def _value_range(tab: str, col: int, first: int, values: list[Any]) -> dict:
    letter = column_letter(col)
    span = f"{letter}{first}" + (f":{letter}{first + len(values) - 1}" if len(values) > 1 else "")
    return {"range": f"{tab_ref(tab)}!{span}", "majorDimension": "COLUMNS", "values": [values]}


def value_ranges(writes: Sequence[CellWrite]) -> Iterator[dict]:
    """One ``COLUMNS`` range per run of consecutive rows of one column."""
    return (_value_range(tab.tab, *run) for tab in _by_tab_writes(writes).values()
            for run in _runs(tab.columns()))


def _runs(columns: Iterable[_Column]) -> Iterator[tuple[int, int, list[Any]]]:
    for col, firsts, starts, values in columns:
        for first, start, end in zip(firsts, starts, [*starts[1:], len(values)], strict=True):
            yield col, first, values[start:end]


def value_bodies(writes: Sequence[CellWrite], limit: int = MAX_PAYLOAD) -> Iterator[bytes]:
    """``values.batchUpdate`` bodies (RAW) as sent, each within ``limit`` bytes, made one at a
    time: each range is encoded once, and a run too long for one body is split in runs that
    fit."""
    return _bodies(_by_tab_writes(writes).values(), limit)


#: What a body's JSON is made with (``body_bytes``'s options), made once.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
#: Where one range's JSON ends and the next one's begins in an array of ranges: the quote
#: after ``{`` cannot be inside a string (JSON escapes a quote there) nor close one.
_NEXT = b'},{"range":"'


def _bodies(tabs: Iterable[_TabWrites], limit: int = MAX_PAYLOAD) -> Iterator[bytes]:
    """The bodies: a column's ranges are encoded in one go, then taken whole when they fit in
    the body being filled, else as many at a time as fit (found by their running total)."""
    head, tail = b'{"valueInputOption":"RAW","data":[', b"]}"
    room = limit - len(head) - len(tail)
    part: list[bytes] = []
    size = 0  # the bytes of ``part``, a comma after each (the body has one fewer)
    for tab in tabs:
        for col, firsts, starts, values in tab.columns():
            ends = [*starts[1:], len(values)]
            encoded = _JSON.encode(_column_ranges(tab.tab, col, firsts, starts, ends, values)
                                   ).encode()
            if size + len(encoded) - 2 <= room:  # all of them
                part.append(encoded[1:-1])
                size += len(encoded) - 1
                continue
            begins, finals = _edges(encoded)
            lengths = finals - begins
            if lengths.max() > room:  # a range too long for any body: one at a time
                for first, start, end, begin, final in zip(
                        firsts, starts, ends, begins.tolist(), finals.tolist(), strict=True):
                    piece = encoded[begin:final]
                    for one in [piece] if len(piece) <= room or end - start == 1 else \
                            _encoded((tab.tab, col, first, values[start:end]), room):
                        if part and size + len(one) > room:
                            yield head + b",".join(part) + tail
                            part, size = [], 0
                        part.append(one)
                        size += len(one) + 1
                continue
            total = np.cumsum(lengths + 1).tolist()  # the bytes of ranges 0..i, commas too
            taken = 0
            while taken < len(total):
                before = total[taken - 1] if taken else 0
                fit = bisect.bisect_right(total, room - size + before + 1)  # the first that not
                if fit == taken:  # not even the next one: the body is full
                    if part:
                        yield head + b",".join(part) + tail
                        part, size = [], 0
                        continue
                    fit += 1
                part.append(encoded[begins[taken]:finals[fit - 1]])  # the commas between too
                size += total[fit - 1] - before
                taken = fit
    if part:
        yield head + b",".join(part) + tail


def _column_ranges(tab: str, col: int, firsts: list[int], starts: list[int], ends: list[int],
                   values: list[Any]) -> list[dict]:
    """A column's ranges, one per run (``_value_range``)."""
    letter = column_letter(col)
    prefix = f"{tab_ref(tab)}!{letter}"
    return [{"range": f"{prefix}{first}:{letter}{first + end - start - 1}" if end - start > 1
             else f"{prefix}{first}", "majorDimension": "COLUMNS", "values": [values[start:end]]}
            for first, start, end in zip(firsts, starts, ends, strict=True)]


def _edges(encoded: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where each range of an encoded array of ranges begins and ends (after its ``}``)."""
    data = np.frombuffer(encoded, np.uint8)
    marks = np.flatnonzero(data[:len(data) - len(_NEXT)] == _NEXT[0])
    for offset, byte in enumerate(_NEXT[1:], start=1):
        marks = marks[data[marks + offset] == byte]
    return np.concatenate(([1], marks + 2)), np.concatenate((marks + 1, [len(encoded) - 1]))


def _encoded(run: _Run, room: int) -> Iterator[bytes]:
    """A run's range as JSON bytes; one longer than ``room`` as runs of equal length that
    fit (each split again should one not)."""
    encoded = body_bytes(_value_range(*run))
    tab, col, first, values = run
    if len(encoded) <= room or len(values) == 1:
        yield encoded
        return
    parts = min(len(values), -(-len(encoded) // room) + 1)
    del encoded
    step = -(-len(values) // parts)
    for start in range(0, len(values), step):
        yield from _encoded((tab, col, first + start, values[start:start + step]), room)


def chunks(items: list[Any], limit: int = MAX_PAYLOAD - WRAPPER) -> Iterator[list[Any]]:
    """``items`` in order, split so that each part's JSON, as sent (``body_bytes``, a comma
    between items), stays within ``limit`` bytes."""
    part: list[Any] = []
    size = 0
    for item in items:
        length = len(body_bytes(item)) + 1
        if part and size + length > limit:
            yield part
            part, size = [], 0
        part.append(item)
        size += length
    if part:
        yield part


# -- what the metadata read shows -----------------------------------------------------------

@dataclass
class _Tab:
    sheet_id: int
    title: str
    rows: int
    cols: int
    hidden: bool = False
    frozen: int = 0
    conditional_formats: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    protected: list[dict] = field(default_factory=list)
    metadata: list[dict] = field(default_factory=list)
    new: bool = False

    @classmethod
    def from_json(cls, sheet: dict) -> _Tab:
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        return cls(props.get("sheetId", 0), props.get("title", ""), grid.get("rowCount", 0),
                   grid.get("columnCount", 0), bool(props.get("hidden")),
                   grid.get("frozenRowCount", 0), sheet.get("conditionalFormats", []),
                   sheet.get("charts", []), sheet.get("protectedRanges", []),
                   sheet.get("developerMetadata", []))


@dataclass
class _Seen:
    """The spreadsheet as last read: tabs by title and their values."""

    title: str
    tabs: dict[str, _Tab]
    grids: dict[str, Grid]
    tokens: list[int] = field(default_factory=list)


def _ids(tabs: dict[str, _Tab]) -> dict[str, str]:
    """Each tab's sheetId, which Google keeps through renames and moves."""
    return {title: str(tab.sheet_id) for title, tab in tabs.items()}


def _span(grid_range: dict) -> tuple:
    """A GridRange made comparable (Google leaves out a 0 sheetId and unbounded ends)."""
    return (grid_range.get("sheetId", 0), grid_range.get("startRowIndex", 0),
            grid_range.get("endRowIndex"), grid_range.get("startColumnIndex", 0),
            grid_range.get("endColumnIndex"))


def _rgb(colour: dict | None) -> tuple[int, ...]:
    colour = colour or {}
    return tuple(round(colour.get(k, 0) * 255) for k in ("red", "green", "blue"))


def _hex_rgb(text: str) -> dict:
    code = text.lstrip("#")
    parts = [int(code[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    return {k: v for k, v in zip(("red", "green", "blue"), parts, strict=True) if v}


def number_format(pattern: str) -> dict:
    """An Excel-style pattern as a Sheets NumberFormat."""
    bare = re.sub(r'"[^"]*"', "", pattern).lower()
    kind = "PERCENT" if "%" in bare else "DATE" if re.search(r"[ymd]", bare) else "NUMBER"
    return {"type": kind, "pattern": pattern}


def _condition(highlight: Highlight) -> dict:
    """A Highlight's condition: text rules as such, number rules as a formula that skips
    blank cells."""
    if highlight.rule in RULE_TYPES:
        return {"type": RULE_TYPES[highlight.rule],
                "values": [{"userEnteredValue": highlight.text}]}
    return {"type": "CUSTOM_FORMULA",
            "values": [{"userEnteredValue": "=" + highlight.number_formula()}]}


def _width_request(sheet_id: int, col: int, width: float) -> dict:
    """A column's width in characters as pixels (7 a character, as a 10-point font)."""
    return {"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col - 1,
                  "endIndex": col},
        "properties": {"pixelSize": round(width * 7 + 5)}, "fields": "pixelSize"}}


def _rule_mark(rule: dict) -> tuple:
    boolean = rule.get("booleanRule", {})
    condition = boolean.get("condition", {})
    values = tuple(v.get("userEnteredValue", "") for v in condition.get("values", []))
    fmt = boolean.get("format", {})
    colour = fmt.get("backgroundColor") or fmt.get("backgroundColorStyle", {}).get("rgbColor")
    return condition.get("type"), values, _rgb(colour)


def _chart_mark(chart: dict) -> tuple:
    spec = chart.get("spec", {})
    basic = spec.get("basicChart", {})
    sources = tuple(_span(s) for part in (*basic.get("domains", []), *basic.get("series", []))
                    for inner in part.values() if isinstance(inner, dict)
                    for s in inner.get("sourceRange", {}).get("sources", []))
    kinds = tuple(s.get("type") for s in basic.get("series", []))
    anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
    return (spec.get("title"), basic.get("chartType"), sources, kinds, anchor.get("sheetId", 0),
            anchor.get("rowIndex", 0), anchor.get("columnIndex", 0))


# -- turning a plan into batchUpdate requests -----------------------------------------------

class _Changes:
    """The structure and look requests that bring the spreadsheet to a plan."""

    def __init__(self, seen: _Seen):
        self.tabs = dict(seen.tabs)
        self.structure: list[dict] = []
        self.removals: list[dict] = []
        self.additions: list[dict] = []

    @property
    def requests(self) -> list[dict]:
        return self.structure + self.removals + self.additions

    def tab(self, title: str) -> _Tab | None:
        found = self.tabs.get(title)
        if found is None:
            log.warning("the plan formats tab %r, which the spreadsheet does not have", title)
        return found

    def grid_range(self, area: CellRange) -> dict:
        tab = self.tabs[area.tab]
        span = {"sheetId": tab.sheet_id, "startRowIndex": area.first_row - 1,
                "startColumnIndex": area.first_col - 1,
                "endColumnIndex": area.last_col or area.first_col}
        if area.last_row is not None:
            span["endRowIndex"] = area.last_row
        return span

    # -- tabs and grid size

    def add_tabs(self, specs: Iterable[TabSpec], titles: Iterable[str]) -> None:
        wanted = {spec.title: spec for spec in specs}
        for title in titles:
            wanted.setdefault(title, TabSpec(title, fitted=False))
        chosen = {int(s.tab_id) for s in wanted.values() if s.tab_id is not None}
        for spec in wanted.values():
            if spec.title in self.tabs:
                continue
            if spec.tab_id is not None:  # the id the run recorded for this tab
                sheet_id = int(spec.tab_id)
            else:
                used = {t.sheet_id for t in self.tabs.values()} | chosen
                sheet_id = zlib.crc32(spec.title.encode()) & 0x7FFFFFFF
                while sheet_id in used:
                    sheet_id = (sheet_id + 1) & 0x7FFFFFFF
            self.tabs[spec.title] = _Tab(sheet_id, spec.title, 0, 0, new=True)

    def shape(self, needs: dict[str, tuple[int, int]], specs: Iterable[TabSpec],
              held: dict[str, tuple[int, int]]) -> None:
        """addSheet for new tabs, more rows or columns where writes go past the grid, and
        hidden/frozen where they differ. The worker's own tabs (``held``: the rows and
        columns their values take once written) get exactly the grid they need, grown or
        shrunk: every cell of a tab counts against Google's limit, used or not."""
        specs_by_title = {s.title: s for s in specs}
        for title, tab in self.tabs.items():
            rows, cols = needs.get(title, (0, 0))
            spec = specs_by_title.get(title)
            if title in held:
                least = (spec.frozen_rows if spec else 0) + 1
                rows = max(rows, held[title][0], least)
                cols = max(cols, held[title][1], 1)
            elif tab.new:
                rows, cols = max(rows, ROOM[0]), max(cols, ROOM[1])
            if tab.new:
                tab.rows, tab.cols = rows, cols
                grid = {"rowCount": tab.rows, "columnCount": tab.cols}
                if spec and spec.frozen_rows:
                    grid["frozenRowCount"] = spec.frozen_rows
                props = {"sheetId": tab.sheet_id, "title": title, "gridProperties": grid}
                if spec and spec.hidden:
                    props["hidden"] = True
                self.structure.append({"addSheet": {"properties": props}})
                continue
            if title in held and (rows, cols) != (tab.rows, tab.cols):
                self.structure.append({"updateSheetProperties": {
                    "properties": {"sheetId": tab.sheet_id, "gridProperties": {
                        "rowCount": rows, "columnCount": cols}},
                    "fields": "gridProperties.rowCount,gridProperties.columnCount"}})
                tab.rows, tab.cols = rows, cols
            for dimension, have, need in (("ROWS", tab.rows, rows), ("COLUMNS", tab.cols, cols)):
                if need > have:
                    self.structure.append({"appendDimension": {
                        "sheetId": tab.sheet_id, "dimension": dimension, "length": need - have}})
            tab.rows, tab.cols = max(tab.rows, rows), max(tab.cols, cols)
            if spec is not None:
                self._tab_settings(tab, spec)

    def cells(self) -> int:
        """Rows x columns of every tab, as the requests so far leave them."""
        return sum(t.rows * t.cols for t in self.tabs.values())

    def refuse_past_limit(self) -> None:
        """Google refuses a spreadsheet past its cell limit: say so before sending anything."""
        total = self.cells()
        if total > CELL_LIMIT:
            raise WorkbookError(f"Writing this would make the spreadsheet {total:,} cells, over "
                                f"Google's limit of {CELL_LIMIT:,}. Delete unused rows and "
                                "columns (or old tabs) and run again.")

    def _tab_settings(self, tab: _Tab, spec: TabSpec) -> None:
        props: dict[str, Any] = {"sheetId": tab.sheet_id}
        fields = []
        if spec.hidden and not tab.hidden:  # only ever hidden, never unhidden
            props["hidden"] = True
            fields.append("hidden")
        if spec.frozen_rows and tab.frozen != spec.frozen_rows:
            props["gridProperties"] = {"frozenRowCount": spec.frozen_rows}
            fields.append("gridProperties.frozenRowCount")
        if fields:
            self.structure.append({"updateSheetProperties": {"properties": props,
                                                             "fields": ",".join(fields)}})

    # -- looks

    def looks(self, looks: Looks, specs: Iterable[TabSpec]) -> None:
        by_tab: dict[str, list[dict]] = {}
        for title, request in self._cell_looks(looks, specs):
            by_tab.setdefault(title, []).append(request)
        for title, requests_ in by_tab.items():
            self._fingerprinted(self.tabs[title], requests_)
        for title, highlights in _by_tab(looks.highlights).items():
            if self.tab(title):
                self._highlights(self.tabs[title], highlights)
        for chart in looks.charts:
            if all(self.tab(t) for t in (chart.tab, *(r.tab for r in chart.ranges()))):
                self._chart(chart)
        for title, protections in _by_tab(looks.protections).items():
            if self.tab(title):
                self._protections(self.tabs[title], protections)
        for width in looks.widths:  # only in a plan that adds the column: sent once
            if self.tab(width.tab):
                self.structure.append(_width_request(self.tabs[width.tab].sheet_id, width.col,
                                                     width.width))

    def _cell_looks(self, looks: Looks, specs: Iterable[TabSpec]
                    ) -> Iterator[tuple[str, dict]]:
        """Requests for looks the metadata read cannot show, per tab."""
        for item in looks.number_formats:
            if self.tab(item.range.tab):
                yield item.range.tab, {"repeatCell": {
                    "range": self.grid_range(item.range),
                    "cell": {"userEnteredFormat": {"numberFormat": number_format(item.pattern)}},
                    "fields": "userEnteredFormat.numberFormat"}}
        for bold in looks.bold:
            if self.tab(bold.range.tab):
                yield bold.range.tab, {"repeatCell": {
                    "range": self.grid_range(bold.range),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold"}}
        for note in looks.notes:
            if self.tab(note.tab):
                yield note.tab, {"repeatCell": {
                    "range": self.grid_range(CellRange(note.tab, note.row, note.col, note.row)),
                    "cell": {"note": note.text}, "fields": "note"}}
        for dropdown in looks.dropdowns:
            if self.tab(dropdown.range.tab) and self.tab(dropdown.source.tab):
                yield dropdown.range.tab, {"setDataValidation": {
                    "range": self.grid_range(dropdown.range),
                    "rule": {"condition": {"type": "ONE_OF_RANGE", "values": [
                        {"userEnteredValue": "=" + _absolute(dropdown.source)}]},
                        "strict": False, "showCustomUi": True}}}
        for spec in specs:
            for col, width in spec.column_widths:
                yield spec.title, _width_request(self.tabs[spec.title].sheet_id, col, width)

    def _fingerprinted(self, tab: _Tab, requests_: list[dict]) -> None:
        """Send ``requests_`` unless the tab's recorded fingerprint says they are in place.

        The grid's row count is part of it: open-ended ranges are re-applied when it grew.
        """
        text = json.dumps([requests_, tab.rows], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        ours = [m for m in tab.metadata if m.get("metadataKey") == LOOKS_KEY]
        if len(ours) == 1 and ours[0].get("metadataValue") == digest:
            return
        for item in ours:
            self.removals.append({"deleteDeveloperMetadata": {"dataFilter": {
                "developerMetadataLookup": {"metadataId": item["metadataId"]}}}})
        self.additions += requests_
        self.additions.append({"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": LOOKS_KEY, "metadataValue": digest, "visibility": "DOCUMENT",
            "location": {"sheetId": tab.sheet_id}}}})

    def _highlights(self, tab: _Tab, items: list[Highlight]) -> None:
        """The worker's rules: those on the ranges it colours, and rules like its own on a
        range running to the sheet's end (left behind when an owned column moved)."""
        wanted: list[dict[str, Any]] = [{"ranges": [self.grid_range(h.range)], "booleanRule": {
            "condition": _condition(h), "format": {"backgroundColor": _hex_rgb(h.color)}}}
            for h in items]
        places = {_span(r["ranges"][0]) for r in wanted}
        kinds = {_rule_mark(r) for r in wanted}
        ours = [i for i, rule in enumerate(tab.conditional_formats)
                if any(_span(r) in places for r in rule.get("ranges", []))
                or (_rule_mark(rule) in kinds
                    and all(_span(r)[2] is None for r in rule.get("ranges", [])))]

        def mark(rule: dict) -> tuple:
            return tuple(sorted(map(_span, rule.get("ranges", [])), key=str)), _rule_mark(rule)
        if sorted(map(mark, wanted), key=str) == sorted(
                (mark(tab.conditional_formats[i]) for i in ours), key=str):
            return
        for index in sorted(ours, reverse=True):
            self.removals.append({"deleteConditionalFormatRule": {"sheetId": tab.sheet_id,
                                                                  "index": index}})
        start = len(tab.conditional_formats) - len(ours)
        for offset, rule in enumerate(wanted):
            self.additions.append({"addConditionalFormatRule": {"rule": rule,
                                                                "index": start + offset}})

    def _chart(self, chart: Chart) -> None:
        def source(area: CellRange) -> dict:
            if area.last_row is None:
                area = dataclasses.replace(area, last_row=self.tabs[area.tab].rows)
            area = dataclasses.replace(area, first_row=area.first_row - header)
            return {"sourceRange": {"sources": [self.grid_range(area)]}}
        header = int(len(chart.series) > 1)  # Google names a series from its header row
        wanted = {
            "spec": {"title": chart.title, "basicChart": {
                "chartType": _CHART_TYPES[chart.kind],
                "legendPosition": "BOTTOM_LEGEND" if header else "NO_LEGEND",
                "headerCount": header,
                "domains": [{"domain": source(chart.categories),
                             **({"reversed": True} if chart.kind == "bar" else {})}],
                "series": [{"series": source(s.values), "targetAxis":
                            "BOTTOM_AXIS" if chart.kind == "bar" else "LEFT_AXIS",
                            **({"type": "LINE" if s.line else "COLUMN"}
                               if chart.kind == "combo" else {})} for s in chart.series]}},
            "position": {"overlayPosition": {"anchorCell": {
                "sheetId": self.tabs[chart.tab].sheet_id, "rowIndex": chart.anchor_row - 1,
                "columnIndex": chart.anchor_col - 1},
                "widthPixels": chart.width, "heightPixels": chart.height}}}
        ours = [c for tab in self.tabs.values() for c in tab.charts
                if c.get("spec", {}).get("title") == chart.title]
        if len(ours) == 1 and _chart_mark(ours[0]) == _chart_mark(wanted):
            return
        for old in ours:
            self.removals.append({"deleteEmbeddedObject": {"objectId": old["chartId"]}})
        self.additions.append({"addChart": {"chart": wanted}})

    def _protections(self, tab: _Tab, items: list[Protection]) -> None:
        wanted = [{"range": self.grid_range(p.range), "description": p.description,
                   "warningOnly": True} for p in items]
        descriptions = {p.description for p in items}
        ours = [p for p in tab.protected if p.get("description") in descriptions
                or str(p.get("description", "")).startswith("sheetfunnel")]

        def mark(item: dict) -> tuple:
            return _span(item.get("range", {})), item.get("description"), \
                bool(item.get("warningOnly"))
        if sorted(map(mark, wanted), key=str) == sorted(map(mark, ours), key=str):
            return
        for old in ours:
            self.removals.append({"deleteProtectedRange": {
                "protectedRangeId": old["protectedRangeId"]}})
        self.additions += [{"addProtectedRange": {"protectedRange": p}} for p in wanted]


def _shaped(seen: _Seen, plan: WritePlan, diffed: bool, known: _Sized | None = None
            ) -> tuple[dict[str, _TabWrites], _Changes]:
    """The cells to send by tab (all of the plan's when it was diffed against ``seen``, else
    those that differ; ``known``: see ``_by_tab_writes``) and the structure requests giving
    every tab the grid they need."""
    by_tab = _by_tab_writes(plan.cells if diffed else _changed(seen.grids, plan.cells), known)
    changes = _Changes(seen)
    changes.add_tabs(plan.tabs, by_tab)
    held = {s.title: _held(seen.grids.get(s.title, []), by_tab.get(s.title))
            for s in plan.tabs
            if s.fitted and (s.title in seen.grids or s.title not in seen.tabs)}
    changes.shape(_needs(by_tab, plan.looks), plan.tabs, held)
    return by_tab, changes


def _by_tab(items: Iterable[_Ranged]) -> dict[str, list[_Ranged]]:
    grouped: dict[str, list[_Ranged]] = {}
    for item in items:
        grouped.setdefault(item.range.tab, []).append(item)
    return grouped


def _absolute(area: CellRange) -> str:
    col = column_letter(area.first_col)
    end = f"${col}${area.last_row}" if area.last_row is not None else f"${col}"
    return f"{quote_tab(area.tab)}!${col}${area.first_row}:{end}"


def _needs(writes: dict[str, _TabWrites], looks: Looks) -> dict[str, tuple[int, int]]:
    """The rows and columns each tab must have for the writes (by tab) that set a value and
    for the looks to fit (a cell cleared past the grid is blank already)."""
    needs: dict[str, tuple[int, int]] = {}

    def need(tab: str, row: int, col: int) -> None:
        rows, cols = needs.get(tab, (0, 0))
        needs[tab] = (max(rows, row), max(cols, col))
    for tab, group in writes.items():
        rows, cols = group.extent()
        if rows:
            need(tab, rows, cols)
    areas = [*(i.range for i in looks.number_formats), *(b.range for b in looks.bold),
             *(h.range for h in looks.highlights), *(d.range for d in looks.dropdowns),
             *(d.source for d in looks.dropdowns), *(p.range for p in looks.protections),
             *(r for c in looks.charts for r in c.ranges())]
    for area in areas:
        need(area.tab, area.last_row or area.first_row, area.last_col or area.first_col)
    for note in looks.notes:
        need(note.tab, note.row, note.col)
    for chart in looks.charts:
        need(chart.tab, chart.anchor_row, chart.anchor_col)
    return needs


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _changed(grids: dict[str, Grid], cells: Iterable[CellWrite]) -> list[CellWrite]:
    """The planned cells whose value differs from the read, values made storable: the one
    diff of a run's cells against what Google holds."""
    changed = []
    for write in cells:
        grid = grids.get(write.tab, ())
        line = grid[write.row - 1] if write.row <= len(grid) else ()
        have = line[write.col - 1] if write.col <= len(line) else None
        value = storable(write.value)
        if _blank(value) and _blank(have):
            continue
        if not same_value(have, value):
            changed.append(write if value is write.value else
                           CellWrite(write.tab, write.row, write.col, value))
    return changed


def _held(grid: Grid, writes: _TabWrites | None) -> tuple[int, int]:
    """The rows and columns a tab's values take once ``writes`` are made: its last row and
    column holding a value."""
    rows, cols = writes.extent() if writes is not None else (0, 0)
    cleared = writes.cleared() if writes is not None else set()
    for row, line in enumerate(grid, start=1):
        for col in range(len(line), cols, -1):
            if not _blank(line[col - 1]) and (row, col) not in cleared:
                rows, cols = max(rows, row), col
                break
        else:
            if row > rows and any(not _blank(v) and (row, c) not in cleared
                                  for c, v in enumerate(line, start=1)):
                rows = row
    return rows, cols


def _trimmed(cells: list[Cell]) -> list[Cell]:
    """``cells`` without the blanks at their end, as ``_column`` reads a column."""
    end = len(cells)
    while end and is_blank(cells[end - 1]):
        end -= 1
    return cells if end == len(cells) else cells[:end]


def _landed(written: Written, sent: _TabWrites, ids: list[Cell]) -> bool:
    """Whether the ID column read back is, cell for cell, the one written to and no ID was
    filled in (``sent`` are ``written.sent``): then no row moved, which ``Written.moved``
    would tell by comparing every ID's text."""
    return list(written.ids) == ids and not (sent.cols == written.keys.id_col).any()


def _columns(written: Written, grids: list[Grid]) -> dict[int, list[Cell]]:
    """The read-back of one tab by column: a whole tab, or its ID and written columns."""
    if written.fills:
        grid = grids[0]
        width = max([written.keys.id_col, *(len(row) for row in grid)])
        return {c: [cell_at(grid, r, c) for r in range(1, len(grid) + 1)]
                for c in range(1, width + 1)}
    return {col: [row[0] if row else None for row in grid]
            for col, grid in zip((written.keys.id_col, *written.columns), grids, strict=True)}


def _tokens(meta: dict) -> list[int]:
    """IDs of the structure-batch tokens in a metadata answer."""
    return [m["metadataId"] for m in meta.get("developerMetadata", [])
            if m.get("metadataKey") == BATCH_KEY and "metadataId" in m]


def _token_id(old: list[int]) -> int:
    """A positive 31-bit developer-metadata ID for one batch, drawn at random: a retry sends
    the same body, so the same ID, while another writer's batch of the same content (two runs
    adding the same tab) has its own, and a refusal of theirs is never taken for ours."""
    token = secrets.randbelow(0x7FFFFFFF) + 1
    while token in old:
        token = secrets.randbelow(0x7FFFFFFF) + 1
    return token


class RequestGate(Protocol):
    """Where a fleet worker's requests wait for the shared quota (sheetfunnel/fleet/gate.py)."""

    def before(self, method: str) -> None:
        """Return once a request of this method may go out."""

    def refused(self, status: int, retry_after: float | None) -> None:
        """Google answered ``status`` (429, 5xx), to be retried after ``retry_after``."""


def _count(io: IOStats, method: str, gate: RequestGate | None = None) -> None:
    """Every request sent, retries included: what Google's quota counts."""
    if gate is not None:
        gate.before(method)
    if method == "GET":
        io.read_requests += 1
    else:
        io.write_requests += 1


def _bytes(io: IOStats, sent: int, received: int) -> None:
    io.bytes_sent += sent
    io.bytes_received += received


# -- the workbook ---------------------------------------------------------------------------

class GoogleSheetsWorkbook:
    """A Google Sheet as a Workbook (see ``workbook/base.py``)."""

    def __init__(self, key: str, client: SheetsHTTPClient, *, io: IOStats | None = None,
                 account: str | None = None, credentials_file: str | None = None):
        self.key = key
        self.client = client
        self.account = account
        self.credentials_file = credentials_file
        self.name = f"Google Sheet {key}"
        self.io = io or IOStats()
        self._seen: _Seen | None = None
        #: the writes by tab of the plan ``cells_after`` last sized, for ``apply`` to reuse
        self._sized: _Sized | None = None

    @classmethod
    def open(cls, key_or_url: str, *, credentials_file: str | None = None,
             session: requests.Session | None = None,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic,
             gate: RequestGate | None = None) -> GoogleSheetsWorkbook:
        """The spreadsheet at a URL or key. Sends nothing yet.

        Credentials come from ``credentials_file`` or GOOGLE_APPLICATION_CREDENTIALS;
        ``session`` (tests) carries the requests, including the token exchange, through its
        adapters. Requests go to SHEETFUNNEL_SHEETS_ENDPOINT when it is set. A fleet worker
        passes ``gate``: every request (retries too) waits for its place in the shared quota,
        and a 429 is reported to it.
        """
        key = spreadsheet_key(key_or_url)
        source = credentials_source(credentials_file)
        account = None
        if source is not None:
            identity = load_identity(source)
            account = identity.account
            http_session = authorized_session(identity.credentials, session)
        elif session is not None:
            http_session = session
        else:
            raise CredentialsMissing(ENV)
        io = IOStats()
        client = SheetsHTTPClient(
            None, http_session, endpoint=os.environ.get(ENDPOINT_ENV) or GOOGLE_ENDPOINT,
            policy=RetryPolicy.from_environment(os.environ), sleep=sleep, clock=clock,
            on_request=lambda method: _count(io, method, gate),
            on_refused=gate.refused if gate is not None else lambda status, wait: None,
            on_bytes=lambda sent, received: _bytes(io, sent, received))
        return cls(key, client, io=io, account=account, credentials_file=source)

    # -- reading

    def read(self, select: Selector = every_tab) -> Snapshot:
        """The selected tabs' values: one metadata request, then one batchGet per pass (one
        pass, unless Settings names a tab to read in a second)."""
        seen = self._load(select)
        hidden = frozenset(t.title for t in seen.tabs.values() if t.hidden)
        return Snapshot(dict(seen.grids), hidden, tuple(seen.tabs), _ids(seen.tabs),
                        sum(t.rows * t.cols for t in seen.tabs.values()))

    def _load(self, select: Selector = every_tab) -> _Seen:
        with self._google_errors():
            meta = self.client.spreadsheets_get(self.key, params={"fields": METADATA_FIELDS})
            tabs = {t.title: t for t in map(_Tab.from_json, (
                s for s in meta.get("sheets", [])
                if s.get("properties", {}).get("sheetType", "GRID") == "GRID"))}
            grids = read_selected(list(tabs), select, self._values, _ids(tabs))
        title = meta.get("properties", {}).get("title", "")
        self.name = f"{title} (Google Sheet {self.key})" if title else self.name
        self._seen = _Seen(title, tabs, grids, _tokens(meta))
        return self._seen

    def _values(self, titles: list[str]) -> dict[str, Grid]:
        answer = self.client.values_batch_get(self.key, [tab_ref(title) for title in titles],
                                              params=dict(READ_OPTIONS))
        texts: dict[str, str | None] = {"": None}
        return {title: _grid(value_range, texts) for title, value_range in
                zip(titles, answer.get("valueRanges", []), strict=True)}

    def formulas(self, titles: Sequence[str]) -> dict[str, dict[tuple[int, int], str]]:
        """The formula text of the tabs ``titles``: one ``batchGet`` (FORMULA), asked only when
        one of them shows an error as a cell's value (a Config cell a person began with = is
        a formula Google could not compute): a run whose Config shows none costs no request."""
        grids = self._seen.grids if self._seen is not None else {}
        wanted = [t for t in titles if any(_shows_error(v) for row in grids.get(t, ())
                                           for v in row)]
        if not wanted:
            return {}
        with self._google_errors():
            answer = self.client.values_batch_get(
                self.key, [tab_ref(title) for title in wanted],
                params={**READ_OPTIONS, "valueRenderOption": "FORMULA"})
        found: dict[str, dict[tuple[int, int], str]] = {}
        for title, value_range in zip(wanted, answer.get("valueRanges", []), strict=True):
            cells = {(r, c): v for r, row in enumerate(value_range.get("values") or [], start=1)
                     for c, v in enumerate(row, start=1)
                     if isinstance(v, str) and v.startswith("=")}
            if cells:
                found[title] = cells
        return found

    # -- writing

    def apply(self, plan: WritePlan) -> None:
        """Carry out ``plan``: one batchUpdate, then for row-bound writes an ID re-read, the
        values write and a read-back of the IDs (plus a read of the written columns and one
        repair write if rows moved meanwhile); more only when a payload passes 2 MB.
        Nothing is sent when nothing differs."""
        diffed = plan.diffed and self._seen is not None  # planned on this very read
        seen = self._seen or self._load()
        by_tab, changes = _shaped(seen, plan, diffed, self._sized if diffed else None)
        self._sized = None
        changes.refuse_past_limit()
        inside = (tab.within(changes.tabs[title].rows, changes.tabs[title].cols)
                  for title, tab in by_tab.items())
        writes = {tab.tab: tab for tab in inside if tab.writes}
        changes.looks(plan.looks, [s for s in plan.tabs if s.title in changes.tabs])
        keyed = [k for k in plan.row_keys if k.tab in seen.tabs and k.tab in writes]
        unkeyed = [tab for title, tab in writes.items() if title not in {k.tab for k in keyed}]
        with self._google_errors():
            self._structure(seen.tokens, changes.requests)
            followed = self._follow_rows(seen, keyed, writes)
            sent = [tab for _, tab in followed] + unkeyed
            self._write_values(sent)
            fixes = self._repairs([pair for pair in followed if pair[1].writes])
            self._write_values([_TabWrites(tab, group)
                                for tab, group in _tab_groups(fixes).items()])
        self.io.cells_written += sum(len(tab.writes) for tab in sent) + len(fixes)
        if changes.requests or writes:
            self._seen = None  # ids and sizes changed: the next apply reads again

    def cells_after(self, plan: WritePlan) -> int:
        """The spreadsheet's cells (rows x columns, all tabs) once ``plan``, made on the last
        read, is applied: the tabs it adds, grows and fits. Nothing is sent."""
        seen = self._seen or self._load()
        copy = dataclasses.replace(seen, tabs={title: dataclasses.replace(tab)
                                               for title, tab in seen.tabs.items()})
        by_tab, changes = _shaped(copy, plan, plan.diffed)
        self._sized = (plan.cells, by_tab) if plan.diffed else None
        return changes.cells()

    def _structure(self, tokens: list[int], requests_: list[dict]) -> None:
        """Send the structure and look requests, each batch with a token of its own.

        A batch Google applied but whose answer was lost is refused when the client retries
        it (its token ID exists); finding the token then says that the batch did land.
        """
        for part in chunks(requests_):
            token = _token_id(tokens)
            body = {"requests": [
                *({"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
                    "metadataId": old}}}} for old in tokens),
                *part,
                {"createDeveloperMetadata": {"developerMetadata": {
                    "metadataId": token, "metadataKey": BATCH_KEY, "visibility": "DOCUMENT",
                    "location": {"spreadsheet": True}}}}]}
            try:
                self.client.batch_update(self.key, body)
            except APIError as exc:
                if exc.response.status_code != 400 or token not in self._landed_tokens():
                    raise
                log.info("the structure batch had reached Google before its answer was lost")
            tokens = [token]

    def _landed_tokens(self) -> list[int]:
        return _tokens(self.client.spreadsheets_get(self.key, params={"fields": TOKEN_FIELDS}))

    def _follow_rows(self, seen: _Seen, keyed: list[RowKeys], writes: dict[str, _TabWrites]
                     ) -> list[tuple[Written, _TabWrites]]:
        """Re-read the ID column of each tab with row-bound writes (one batchGet) and move
        its writes to the rows now holding their IDs."""
        if not keyed:
            return []
        followed = []
        for keys, now in zip(keyed, self._id_columns(keyed), strict=True):
            grid = seen.grids.get(keys.tab, [])
            col = keys.id_col - 1
            before = [line[col] if len(line) > col else None for line in grid]
            planned = writes[keys.tab]
            if _trimmed(before) == now:  # no row moved: the writes stay where they are
                sent = planned
            else:
                sent = _TabWrites(keys.tab, follow_ids(keys, before, now, planned.writes))
            followed.append((Written(keys, grid, tuple(planned.writes), tuple(now),
                                     tuple(sent.writes)), sent))
        return followed

    def _write_values(self, writes: list[_TabWrites]) -> None:
        """The values write: each body made, sent and dropped before the next is made."""
        url = SPREADSHEET_VALUES_BATCH_UPDATE_URL % self.key
        for body in _bodies(writes):
            self.client.request("post", url, data=body, headers=JSON_HEADERS)

    def _id_columns(self, keyed: Iterable[RowKeys]) -> list[list[Cell]]:
        """The ID column of each tab, as it is now (one batchGet, each column as one list)."""
        ranges = [f"{tab_ref(k.tab)}!{column_letter(k.id_col)}:{column_letter(k.id_col)}"
                  for k in keyed]
        answer = self.client.values_batch_get(
            self.key, ranges, params={**READ_OPTIONS, "majorDimension": "COLUMNS"})
        return [_column(value_range) for value_range in answer.get("valueRanges", [])]

    def _repairs(self, followed: list[tuple[Written, _TabWrites]]) -> list[CellWrite]:
        """Read back the ID columns; where rows moved, read the ID and written columns again
        (whole rows where IDs were filled in: they tell a row by its other cells) and return
        the writes that put moved rows right. Only the IDs are read when nothing moved."""
        if not followed:
            return []
        moved = [written for (written, sent), ids in zip(
            followed, self._id_columns(written.keys for written, _ in followed), strict=True)
            if not _landed(written, sent, ids) and written.moved({written.keys.id_col: ids})]
        if not moved:
            return []
        wanted = [[tab_ref(s.keys.tab)] if s.fills else [
            f"{tab_ref(s.keys.tab)}!{column_letter(c)}:{column_letter(c)}"
            for c in (s.keys.id_col, *s.columns)] for s in moved]
        answer = self.client.values_batch_get(self.key, [r for rs in wanted for r in rs],
                                              params=dict(READ_OPTIONS))
        found = iter(answer.get("valueRanges", []))
        fixes = []
        for written, ranges in zip(moved, wanted, strict=True):
            fixes += repairs(written, _columns(written, [_grid(next(found)) for _ in ranges]))
        if fixes:
            log.info("rows moved while sheetfunnel wrote: %d cells put back with their rows",
                     len(fixes))
        return fixes

    # -- errors

    @contextlib.contextmanager
    def _google_errors(self) -> Iterator[None]:
        try:
            yield
        except APIError as exc:
            raise self._translate(exc) from None
        except google.auth.exceptions.RefreshError as exc:
            raise refused(exc, self.credentials_file) from None

    def _translate(self, exc: APIError) -> WorkbookError:
        status = exc.response.status_code
        message = str(exc.error.get("message", "")) if isinstance(exc.error, dict) else ""
        if status == 404:
            return WorkbookNotFound(f"No Google Sheet with the key {self.key} was found. Check "
                                    "the address or key (the part between /d/ and /edit).")
        if status == 403:
            who = self.account or "the Google account of the credentials"
            return WorkbookNotWritable(f"Google Sheets refused access to {self.name} "
                                       f"({message}). Share the spreadsheet with {who} as an "
                                       "Editor, then run again.")
        if status == 401:
            return WorkbookError(f"Google did not accept the credentials in "
                                 f"{self.credentials_file} ({message}). Download a new key.")
        if status == 400:
            return WorkbookError(f"Google Sheets rejected a request for {self.name}: {message} "
                                 "Part of this run's changes may already be in the sheet; "
                                 "please report this (the next run rewrites what differs).")
        return WorkbookUnreachable(f"Google Sheets answered {status} ({message}) for "
                                   f"{self.name}. Run again later.")
