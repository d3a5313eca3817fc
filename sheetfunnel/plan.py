"""What a run wants the workbook to become, in terms every backend can carry out.

A ``WritePlan`` is pure data: the tabs that must exist, the cells whose value must change, and
the *looks* (formats, notes, conditional colours, a chart, a dropdown, protection) the worker
wants on what it owns. Backends apply it; ``--dry-run`` prints it. Looks are *desired state*:
a backend compares them with what it already has and only sends what differs, so a run where
nothing changed writes nothing.

Rows and columns are 1-based sheet coordinates throughout. ``last_row=None`` means "to the
end of the sheet".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby, repeat
from operator import attrgetter
from typing import Any, Literal, NamedTuple

from sheetfunnel.grid import Cell, Grid, column_letter


@dataclass(frozen=True)
class TabSpec:
    """A tab the worker needs, created (at the end, in plan order) when missing.

    ``tab_id`` is the stable id the tab gets when it is made (see ``Snapshot.ids``); an .xlsx
    tab that has none yet is marked with it.
    """

    title: str
    hidden: bool = False
    frozen_rows: int = 0
    column_widths: tuple[tuple[int, float], ...] = ()  # (column, width in characters)
    tab_id: str | None = None
    #: the grid is kept to the rows and columns the values take (the worker's own tabs: every
    #: cell counts against Google's limit); else the tab is for people to type in, made with
    #: room (1,000 rows, 26 columns) and only ever grown
    fitted: bool = True


class CellWrite(NamedTuple):
    """Set one cell. ``value=None`` clears it. Strings are never interpreted as formulas.

    A tuple: a first run at 100,000 deals plans a million of them, made fast and held small.
    """

    tab: str
    row: int
    col: int
    value: Cell


def cell_writes(cells: Iterable[tuple[str, int, int, Cell]]) -> list[CellWrite]:
    """``CellWrite`` of each (tab, row, col, value), made without a Python call each (a
    diff at 100,000 deals makes a million)."""
    return list(map(tuple.__new__, repeat(CellWrite), cells))  # type: ignore[arg-type]


@dataclass(frozen=True)
class CellRange:
    tab: str
    first_row: int
    first_col: int
    last_row: int | None = None
    last_col: int | None = None  # None: same as first_col


@dataclass(frozen=True)
class NumberFormat:
    """Excel-style pattern: ``0.0%``, ``#,##0``, ``"$"#,##0``, ``yyyy-mm-dd``, ``0``."""

    range: CellRange
    pattern: str


@dataclass(frozen=True)
class Bold:
    range: CellRange


@dataclass(frozen=True)
class Highlight:
    """Conditional colour: cells of ``range`` whose text ``rule`` ``text`` get ``color``.

    ``rule`` is ``equals``, ``contains`` or ``begins`` (text), or ``below`` or ``at_least``
    (numbers: ``text`` is the number, such as ``0.3``); colours are ``#RRGGBB`` backgrounds.
    """

    range: CellRange
    rule: str
    text: str
    color: str

    def number_formula(self) -> str:
        """A ``below``/``at_least`` rule as a formula on the range's first cell, true only for
        numbers (a blank cell is no low conversion)."""
        corner = f"{column_letter(self.range.first_col)}{self.range.first_row}"
        operator = {"below": "<", "at_least": ">="}[self.rule]
        return f"AND(ISNUMBER({corner}),{corner}{operator}{self.text})"


@dataclass(frozen=True)
class Note:
    """A cell note (comment), used on the headers of worker-owned columns."""

    tab: str
    row: int
    col: int
    text: str


@dataclass(frozen=True)
class Dropdown:
    """Data validation: cells of ``range`` pick from the values in ``source`` (one column)."""

    range: CellRange
    source: CellRange


@dataclass(frozen=True)
class Series:
    """One series of a chart: its values (one column, the categories' rows) and its name.

    The name is also the text of the cell right above ``values`` (the table's head): Google
    names a series from that header row, the .xlsx chart from ``name``, so both show the same
    legend. In a combo chart ``line`` draws the series as a line over the columns.
    """

    values: CellRange
    name: str = ""
    line: bool = False


#: bar: horizontal bars, first category on top; line: one line per series; combo: columns,
#: and a line for each series marked ``line`` (a target over actuals).
ChartKind = Literal["bar", "line", "combo"]


@dataclass(frozen=True)
class Chart:
    """A chart of ``series`` by ``categories`` (all one column, same rows), its top left corner
    on the anchor cell, ``width`` by ``height`` pixels; a legend when it has several series."""

    tab: str
    title: str
    anchor_row: int
    anchor_col: int
    categories: CellRange
    series: tuple[Series, ...]
    width: int = 680
    height: int = 340
    kind: ChartKind = "bar"
    #: number formats of date categories and of the value axis (the .xlsx chart's; Google
    #: shows the cells' own)
    category_format: str | None = None
    value_format: str | None = None

    def ranges(self) -> tuple[CellRange, ...]:
        """The categories and every series' values."""
        return (self.categories, *(s.values for s in self.series))


@dataclass(frozen=True)
class Protection:
    """Warning-only protection: people may still edit, after a warning (Google Sheets only)."""

    range: CellRange
    description: str


@dataclass(frozen=True)
class ColumnWidth:
    """One column's width in characters (see ``fitted_width``): set on a column the worker
    adds to a person's tab, never on a person's own column."""

    tab: str
    col: int
    width: float


@dataclass(frozen=True)
class PrintSetup:
    """How a worker's own tab prints: landscape, one page wide, its first ``title_rows`` rows
    repeated on every page. Only .xlsx carries it (the Sheets API has no print settings)."""

    tab: str
    landscape: bool = True
    fit_to_width: bool = True
    title_rows: int = 0


@dataclass(frozen=True)
class Looks:
    number_formats: tuple[NumberFormat, ...] = ()
    bold: tuple[Bold, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    notes: tuple[Note, ...] = ()
    dropdowns: tuple[Dropdown, ...] = ()
    charts: tuple[Chart, ...] = ()
    protections: tuple[Protection, ...] = ()
    widths: tuple[ColumnWidth, ...] = ()
    prints: tuple[PrintSetup, ...] = ()

    def __add__(self, other: Looks) -> Looks:
        return Looks(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[tuple, ...]:
        return (self.number_formats, self.bold, self.highlights, self.notes, self.dropdowns,
                self.charts, self.protections, self.widths, self.prints)

    def on_tabs(self, titles: set[str]) -> Looks:
        """Only the looks placed on ``titles``: the rest of a workbook is left as it is."""
        def placed(item: Any) -> bool:
            tab = item.tab if isinstance(item, Note | Chart | ColumnWidth | PrintSetup) \
                else item.range.tab
            return tab in titles
        return Looks(*(tuple(filter(placed, kind)) for kind in self.as_tuple()))


# -- widths ------------------------------------------------------------------------------------

#: Widths in characters: the narrowest column the worker makes, and the widest it fits text to
#: (longer text wraps out of sight; numbers and dates are never that long).
LEAST_WIDTH, MOST_WIDTH = 6.0, 60.0


def text_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: a wide (CJK, full-width, emoji) character
    counts two, a combining mark none; the widest line of several."""
    def line(part: str) -> int:
        return sum(0 if unicodedata.combining(c) else
                   2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in part)
    return max((line(part) for part in text.split("\n")), default=0)


def shown_text(value: Cell, pattern: str | None = None) -> str:
    """``value`` as a sheet shows it with the number format ``pattern`` (the patterns
    ``NumberFormat`` uses): what its width must hold so that no ``###`` appears."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()[:10] if pattern is None or "y" in pattern else str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not pattern:
        return f"{value:g}" if isinstance(value, float) else str(value)
    literals = "".join(re.findall(r'"([^"]*)"', pattern))
    bare = re.sub(r'"[^"]*"', "", pattern)
    decimals = len(bare.split(".", 1)[1].rstrip("%,")) if "." in bare else 0
    number = float(value) * (100 if "%" in bare else 1)
    text = f"{number:,.{decimals}f}" if "," in bare else f"{number:.{decimals}f}"
    return literals + text + ("%" if "%" in bare else "")


def fitted_width(texts: Iterable[str], *, least: float = LEAST_WIDTH,
                 most: float = MOST_WIDTH) -> float:
    """A column width (in characters) that shows the widest of ``texts`` whole, with a
    little room, within ``least`` and ``most``."""
    widest = max((text_width(t) for t in set(texts)), default=0)  # each text measured once
    return float(min(max(widest + 2, least), most))


def grid_widths(grid: Sequence[Sequence[Cell]], formats: Iterable[NumberFormat] = (),
                *, rows: int = 2000) -> tuple[tuple[int, float], ...]:
    """Each column of a tab the worker writes whole, fitted to what it shows (``formats``
    applied). In a short row (a title, a label and its value, a problem: at most three
    values) the last text runs on into the empty cells beside it, so it does not widen its
    column; every cell of a table does, and numbers and dates always do (they never run on,
    a sheet shows ``###`` instead)."""
    patterns: dict[int, list[tuple[int, int | None, str]]] = {}
    for item in formats:
        area = item.range
        for col in range(area.first_col, (area.last_col or area.first_col) + 1):
            patterns.setdefault(col, []).append((area.first_row, area.last_row, item.pattern))

    def pattern(row: int, col: int) -> str | None:
        return next((p for first, last, p in reversed(patterns.get(col, []))
                     if first <= row and (last is None or row <= last)), None)
    texts: dict[int, set[str]] = {}
    shown: dict[tuple[type, Cell, str | None], str] = {}  # a table's values repeat
    for row, values in enumerate(grid[:rows], start=1):
        filled = [col for col, v in enumerate(values, start=1) if v is not None and v != ""]
        short, last = len(filled) <= 3, filled[-1] if filled else 0
        for col, value in enumerate(values, start=1):
            found = texts.setdefault(col, set())
            if value is None or short and last <= col and isinstance(value, str):
                continue  # a blank, or a text that runs on
            if not value:  # 0.0 and -0.0 are one key, not one text
                found.add(shown_text(value, pattern(row, col)))
                continue
            key = (type(value), value, pattern(row, col))
            text = shown.get(key)
            if text is None:
                text = shown[key] = shown_text(value, key[2])
            found.add(text)
    return tuple((col, fitted_width(found)) for col, found in sorted(texts.items()))


@dataclass(frozen=True)
class RowKeys:
    """The ID each written row of a tab was computed for.

    A backend that can be edited while the run is under way (Google Sheets) re-reads
    ``id_col`` just before writing and moves each write of ``tab`` to the row that now holds
    ``ids[row]``; writes whose ID is gone are dropped. Rows missing from ``ids`` (headers, rows
    whose blank ID the run fills) follow the IDs around them, and a blank ID is filled only
    where the latest read shows it blank. After writing, the backend reads back and puts rows
    moved meanwhile right (``sheetfunnel.follow``).
    """

    tab: str
    id_col: int
    ids: dict[int, str]


@dataclass(frozen=True)
class WritePlan:
    tabs: tuple[TabSpec, ...] = ()
    cells: tuple[CellWrite, ...] = ()
    looks: Looks = field(default_factory=Looks)
    row_keys: tuple[RowKeys, ...] = ()
    #: ``cells`` are already the changes from the snapshot the run read, their values as
    #: ``diff.storable`` gives them: a backend still holding that read need not diff again
    diffed: bool = False
    #: only the worker's own bookkeeping changes (the notify ledger in the hidden state tab): a
    #: local file keeps the backup of the last save that changed what people see
    keep_backup: bool = False
    #: tabs the worker owns whole, each with the grid it must hold exactly (``cells`` hold the
    #: changes that get it there): a backend may write such a tab afresh when much changed
    whole_tabs: tuple[tuple[str, Grid], ...] = ()

    def cells_by_tab(self) -> dict[str, list[CellWrite]]:
        grouped: dict[str, list[CellWrite]] = {}
        for tab, writes in groupby(self.cells, key=attrgetter("tab")):  # a tab's come together
            grouped.setdefault(tab, []).extend(writes)
        return grouped


@dataclass
class IOStats:
    """Counted by backends; reported in the JSON report's ``io``."""

    read_requests: int = 0
    write_requests: int = 0
    cells_written: int = 0
    #: request and answer bodies over the network (Google Sheets); an .xlsx run counts 0
    bytes_sent: int = 0
    bytes_received: int = 0

    def since(self, earlier: IOStats) -> IOStats:
        """What was counted after ``earlier`` was copied: one run's share of a workbook
        that is used for several."""
        return IOStats(self.read_requests - earlier.read_requests,
                       self.write_requests - earlier.write_requests,
                       self.cells_written - earlier.cells_written,
                       self.bytes_sent - earlier.bytes_sent,
                       self.bytes_received - earlier.bytes_received)
