"""Whether a run may stop after reading: the workbook is as the last run left it.

A run that finds the people's data, the config, the day and every cell the worker owns as the
last run left them would judge the same and write nothing (spec §7), so it skips judging.
The last full run keeps a key of what it left in the state tab (``_sheetfunnel!D3``): the
data fingerprint is compared on its own (``State.fingerprint``); the key adds the run's
moment and how long its flags hold (within its day), a digest of the code and of any
``--config`` file, the counts, and a digest of the owned cells and tabs as the run left them
(its plan applied to what it read). Any
doubt (a missing, older or unreadable key, one differing part) means a full run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, groupby, repeat
from operator import itemgetter

import pandas as pd

from sheetfunnel.diff import storable
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, Grid, is_blank
from sheetfunnel.plan import CellWrite
from sheetfunnel.values import serial_number

#: the key's cell in the state tab (row, col): beside the data fingerprint of row 3
KEY_CELL = (3, 4)
#: the lease's cells in the state tab (row 2, A:C), the watcher's and never in the digest
LEASE = frozenset(((2, 1), (2, 2), (2, 3)))
VERSION = 2  # 2: the flags' totals, the join sentence and the problems kept for a quiet run
#: a key longer than this keeps no problems (a Google Sheets cell holds 50,000 characters)
KEY_LIMIT = 40_000
#: the state tab's columns the run writes (A:K; the delivery ledger is right of them)
STATE_COLUMNS = 11


def config_file_digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:24]


def _canonical(value: Cell) -> str:
    """One text for a cell as written or as read back, on both backends."""
    value = storable(value)
    if is_blank(value):
        return ""
    if isinstance(value, dt.date):
        value = serial_number(value)
    if isinstance(value, bool):
        return "b" + str(value)
    if isinstance(value, int | float):
        number = round(float(value), 6)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


#: the cell types among which equal values have one text: True == 1 and False == 0, but
#: their texts differ (where a 0 or a 1 is among the values, the cells' types are looked at)
_PLAIN = frozenset((str, int, float, dt.date, dt.datetime, type(None)))


def _text(value: Cell) -> str:
    """A cell's text in the digest: the usual text as itself, else its canonical text."""
    if value.__class__ is str and value.isascii() and value.isprintable() and value.strip():
        return value
    return "" if value is None else _canonical(value)


class _Texts(dict[Cell, str]):
    """Cells' texts by value, each made once (cells repeat)."""

    def __missing__(self, value: Cell) -> str:
        text = self[value] = _text(value)
        return text

    def mixed(self, cells: Iterable[Cell]) -> bool:
        """Whether the ``cells`` looked up may have equal values of different texts."""
        return (0 in self or 1 in self) and not set(map(type, cells)) <= _PLAIN


def _column_texts(cells: Sequence[Cell]) -> list[str]:
    """Each cell's text: looked up by value, or one by one where equal values may differ."""
    known = _Texts()
    texts = list(map(known.__getitem__, cells))
    return list(map(_text, cells)) if known.mixed(cells) else texts


def _row_lines(rows: Sequence[Sequence[Cell]]) -> list[str]:
    """The lines of ``rows``, their texts looked up by value (or one by one where equal
    values may differ)."""
    known = _Texts()
    lines = _lines(map(map, repeat(known.__getitem__), rows))
    return _lines(map(map, repeat(_text), rows)) \
        if known.mixed(chain.from_iterable(rows)) else lines


def _lines(rows: Iterable[Iterable[str]]) -> list[str]:
    """A line for each row of texts, without the blanks that end a line or the lines that end
    the region."""
    lines = list(map(str.rstrip, map("\x1f".join, rows), repeat("\x1f")))
    while lines and not lines[-1]:
        lines.pop()
    return lines


class Region:
    """What of one tab the digest covers: ``columns`` (1-based; ``headed``: and those whose
    header, in row 1, the writes set) or, when None, every cell; ``skip`` cells (row, col) are
    left out."""

    def __init__(self, tab: str, columns: tuple[int, ...] | None = None,
                 skip: frozenset[tuple[int, int]] = frozenset(), headed: bool = False) -> None:
        self.tab, self.columns, self.skip, self.headed = tab, columns, skip, headed


def owned_digest(regions: Sequence[Region], grids: Mapping[str, Grid | None],
                 writes: Iterable[CellWrite] = (), whole: Collection[str] = ()) -> str:
    """A digest of ``regions`` of ``grids`` with ``writes`` applied over them: what the cells
    hold after a plan is applied, or (no writes) what a run read. The writes to the ``whole``
    tabs are left out: a tab a plan writes whole is given as its grid, which it holds after
    the plan."""
    written: dict[str, _Written] = {}
    for tab, group in groupby(writes, key=itemgetter(0)):  # a tab's writes come together
        if tab not in whole:
            written.setdefault(tab, _Written(grids.get(tab) or [])).apply(group)
    digest = hashlib.sha256()
    for region in regions:
        grid, changed = grids.get(region.tab), written.get(region.tab)
        if grid is None and changed is None:
            digest.update(b"\x1dmissing\x1d")
            continue
        lines = _region_lines(grid or [], changed, region)
        digest.update("\x1e".join([region.tab, *lines]).encode("utf-8") + b"\x1d")
    return digest.hexdigest()[:32]


#: the place of row 1 in a column while its writes are set: whether one of them was a header
_UNSET = object()


class _Written:
    """The columns of a tab that writes change, each a list of its cells from row 1 (as long
    as the rows read or the last row written). A plan writes a tab column by column: a
    column's writes are set in one loop, and no row is copied."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.width, self.shortest = max(map(len, grid), default=0), min(map(len, grid),
                                                                         default=0)
        self.columns: dict[int, list[Cell]] = {}
        self.headed: set[int] = set()  # the columns whose row 1 was written

    def column(self, col: int) -> list[Cell]:
        """Column ``col`` as read (a row that ends before it is blank there)."""
        if col > self.width:
            return [None] * len(self.grid)
        if col <= self.shortest:
            return list(map(itemgetter(col - 1), self.grid))
        return [line[col - 1] if len(line) >= col else None for line in self.grid]

    def apply(self, writes: Iterable[CellWrite]) -> None:
        for col, cells in groupby(writes, key=itemgetter(2)):
            column = self.columns.get(col)
            if column is None:
                column = self.columns[col] = self.column(col) or [None]
            first, column[0] = column[0], _UNSET  # type: ignore[call-overload]
            for _, row, _, value in cells:
                try:
                    column[row - 1] = value
                except IndexError:  # a row past the end
                    column.extend([None] * (row - len(column)))
                    column[row - 1] = value
            if column[0] is _UNSET:
                column[0] = first
            else:
                self.headed.add(col)


def _region_lines(grid: Grid, written: _Written | None, region: Region) -> list[str]:
    """The region's lines: of its part of the rows read or, when writes or skipped cells
    change them, of its columns."""
    if written is None and not region.skip:
        return _row_lines(_within(grid, region.columns))
    written = written or _Written(grid)
    changed = written.columns
    numbers = region.columns
    if numbers is None:
        numbers = tuple(range(1, max([written.width, *changed]) + 1))
    elif region.headed:
        numbers = tuple(sorted({*numbers, *written.headed}))
    columns = [changed[col].copy() if col in changed else written.column(col)
               for col in numbers]  # copies: a column of writes is the tab's
    for row, col in region.skip:
        if col in numbers and row <= len(column := columns[numbers.index(col)]):
            column[row - 1] = None
    height = max(map(len, columns), default=0)
    for column in columns:
        column.extend([None] * (height - len(column)))
    return _lines(zip(*map(_column_texts, columns), strict=True))


def _within(grid: Grid, columns: tuple[int, ...] | None) -> Sequence[Sequence[Cell]]:
    """Each row's cells of ``columns`` (None: all of them); a row may end early."""
    if columns is None:
        return grid
    first, last = (columns[0] - 1, columns[-1]) if columns else (0, 0)
    if columns == tuple(range(first + 1, last + 1)):  # a slice keeps their order
        return list(map(itemgetter(slice(first, last)), grid))
    return [[line[c - 1] if c <= len(line) else None for c in columns] for line in grid]


def holds_until(deals: pd.DataFrame, response_hours: float, moment: dt.datetime
                ) -> dt.datetime:
    """Until when the flags judged at ``moment`` hold (for later moments of its day): the next
    midnight, or sooner the moment an open deal without activity passes its first-response
    hours (the one flag that counts hours, engine/flags.py)."""
    midnight = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time())
    if deals.empty or "created_at" not in deals:
        return midnight
    closed = deals["kind"].isin(("won", "lost"))
    due = deals["created_at"][~closed & ~deals["has_activity"].astype(bool)] \
        + pd.Timedelta(hours=response_hours)
    coming = due[due >= pd.Timestamp(moment)]
    if coming.empty:
        return midnight
    return min(midnight, pd.Timestamp(coming.min()).to_pydatetime())


@dataclass(frozen=True)
class Kept:
    """What the last full run told, kept in its key: a run that stops after reading tells it
    again (the counts read, the flags' totals, the sentence about the customers' join, the
    problems)."""

    counts: dict[str, int]
    flags: dict[str, int]
    joins: str | None
    problems: tuple[Problem, ...]


def key_text(*, moment: dt.datetime, until: dt.datetime, code: str, config_file: str,
             owned: str, kept: Kept) -> str:
    """The key; past ``KEY_LIMIT`` characters (a sheet with hundreds of warnings) it keeps no
    problems, and a key without them never lets a run stop after reading."""
    fields = {"v": VERSION, "at": moment.isoformat(), "until": until.isoformat(),
              "code": code, "config_file": config_file, "owned": owned,
              "counts": kept.counts, "flags": list(kept.flags.items()),  # in order
              "joins": kept.joins,
              "problems": [[p.where, p.message, p.severity] for p in kept.problems]}
    text = json.dumps(fields, separators=(",", ":"), sort_keys=True)
    if len(text) > KEY_LIMIT:
        text = json.dumps({**fields, "problems": None}, separators=(",", ":"), sort_keys=True)
    return text


def still_quiet(text: Cell, *, moment: dt.datetime, code: str, config_file: str,
                owned: str) -> Kept | None:
    """What the last run told when the key ``text`` says nothing has changed since (the same
    day, before its flags may change); None for any doubt."""
    if not isinstance(text, str):
        return None
    try:
        key = json.loads(text)
        if key.get("v") != VERSION or key.get("code") != code or \
                key.get("config_file") != config_file or key.get("owned") != owned:
            return None
        at = dt.datetime.fromisoformat(key["at"])
        if at.date() != moment.date() or not at <= moment < dt.datetime.fromisoformat(
                key["until"]):
            return None
        joins = key["joins"]
        return Kept({str(k): int(v) for k, v in key["counts"].items()},
                    {str(k): int(v) for k, v in key["flags"]},
                    joins if isinstance(joins, str) else None,
                    tuple(Problem(str(where), str(message), "warning" if severity == "warning"
                                  else "error") for where, message, severity in key["problems"]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
