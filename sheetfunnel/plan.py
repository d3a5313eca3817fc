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

from dataclasses import dataclass, field
from typing import Any

from sheetfunnel.grid import Cell


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


@dataclass(frozen=True)
class CellWrite:
    """Set one cell. ``value=None`` clears it. Strings are never interpreted as formulas."""

    tab: str
    row: int
    col: int
    value: Cell


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

    ``rule`` is ``equals``, ``contains`` or ``begins``; colours are ``#RRGGBB`` backgrounds.
    """

    range: CellRange
    rule: str
    text: str
    color: str


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
class Chart:
    """A bar chart of ``values`` by ``categories`` (both one column, same rows)."""

    tab: str
    title: str
    anchor_row: int
    anchor_col: int
    categories: CellRange
    values: CellRange


@dataclass(frozen=True)
class Protection:
    """Warning-only protection: people may still edit, after a warning (Google Sheets only)."""

    range: CellRange
    description: str


@dataclass(frozen=True)
class Looks:
    number_formats: tuple[NumberFormat, ...] = ()
    bold: tuple[Bold, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    notes: tuple[Note, ...] = ()
    dropdowns: tuple[Dropdown, ...] = ()
    charts: tuple[Chart, ...] = ()
    protections: tuple[Protection, ...] = ()

    def __add__(self, other: Looks) -> Looks:
        return Looks(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[tuple, ...]:
        return (self.number_formats, self.bold, self.highlights, self.notes, self.dropdowns,
                self.charts, self.protections)

    def on_tabs(self, titles: set[str]) -> Looks:
        """Only the looks placed on ``titles``: the rest of a workbook is left as it is."""
        def placed(item: Any) -> bool:
            return (item.tab if isinstance(item, Note | Chart) else item.range.tab) in titles
        return Looks(*(tuple(filter(placed, kind)) for kind in self.as_tuple()))


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

    def cells_by_tab(self) -> dict[str, list[CellWrite]]:
        grouped: dict[str, list[CellWrite]] = {}
        for write in self.cells:
            grouped.setdefault(write.tab, []).append(write)
        return grouped


@dataclass
class IOStats:
    """Counted by backends; reported in the JSON report's ``io``."""

    read_requests: int = 0
    write_requests: int = 0
    cells_written: int = 0

    def since(self, earlier: IOStats) -> IOStats:
        """What was counted after ``earlier`` was copied: one run's share of a workbook
        that is used for several."""
        return IOStats(self.read_requests - earlier.read_requests,
                       self.write_requests - earlier.write_requests,
                       self.cells_written - earlier.cells_written)
