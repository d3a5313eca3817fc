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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

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


def _lines(rows: Iterable[Sequence[Cell]]) -> list[str]:
    known: dict[Cell, str] = {}  # cells repeat: each distinct one made text once

    def text(value: Cell) -> str:
        if isinstance(value, str):
            return value if value.isascii() and value.isprintable() and value.strip() \
                else known.setdefault(value, _canonical(value))
        kind = type(value)
        if value is None:
            return ""
        if kind is int or kind is float or kind is dt.date or kind is dt.datetime:
            found = known.get(value)
            if found is None:
                found = known[value] = _canonical(value)
            return found
        return _canonical(value)  # True is not 1 here

    get = known.get
    lines = ["\x1f".join([  # the usual cells without a call: text as itself, a known number
        v if v.__class__ is str and v.isascii() and v.isprintable() and v.strip()
        else "" if v is None else v.__class__ is not bool and get(v) or text(v)
        for v in row]).rstrip("\x1f") for row in rows]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class Region:
    """What of one tab the digest covers: ``columns`` (1-based) or, when None, every cell;
    ``skip`` cells (row, col) are left out."""

    def __init__(self, tab: str, columns: tuple[int, ...] | None = None,
                 skip: frozenset[tuple[int, int]] = frozenset()) -> None:
        self.tab, self.columns, self.skip = tab, columns, skip


def owned_digest(regions: Sequence[Region], grids: Mapping[str, Grid | None],
                 writes: Iterable[CellWrite] = ()) -> str:
    """A digest of ``regions`` of ``grids`` with ``writes`` applied over them: what the cells
    hold after a plan is applied, or (no writes) what a run read. (A tab a plan writes whole
    is best given as its grid: the tab holds that after the plan, without its writes.)"""
    by_tab: dict[str, dict[tuple[int, int], Cell]] = {}
    for tab, group in groupby(writes, key=attrgetter("tab")):  # a tab's writes come together
        found = list(group)
        by_tab.setdefault(tab, {}).update(zip(zip(map(attrgetter("row"), found),
                                                  map(attrgetter("col"), found), strict=True),
                                              map(attrgetter("value"), found), strict=True))
    digest = hashlib.sha256()
    for region in regions:
        grid = grids.get(region.tab)
        over = by_tab.get(region.tab, {})
        if grid is None and not over:
            digest.update(b"\x1dmissing\x1d")
            continue
        rows = _overlaid(grid or [], over, region.skip)
        columns = region.columns
        if columns is not None:
            first, last = columns[0] - 1 if columns else 0, columns[-1] if columns else 0
            if columns == tuple(range(first + 1, last + 1)):  # a slice keeps their order
                rows = [line[first:last] for line in rows]
            else:
                rows = [[line[c - 1] if c <= len(line) else None for c in columns]
                        for line in rows]
        digest.update("\x1e".join([region.tab, *_lines(rows)]).encode("utf-8") + b"\x1d")
    return digest.hexdigest()[:32]


def _overlaid(grid: Grid, over: Mapping[tuple[int, int], Cell],
              skip: frozenset[tuple[int, int]]) -> Sequence[Sequence[Cell]]:
    """``grid`` with ``over`` written and the ``skip`` cells blank; only the rows touched are
    copied."""
    if not over and not skip:
        return grid
    rows: list[Sequence[Cell]] = list(grid)
    copies: dict[int, list[Cell]] = {}
    for (row, col), value in [*over.items(), *((cell, None) for cell in skip)]:
        if row > len(rows):
            if value is None:  # a blank past the end changes no line
                continue
            rows.extend([] for _ in range(row - len(rows)))
        line = copies.get(row)
        if line is None:
            line = copies[row] = list(rows[row - 1])
            rows[row - 1] = line
        if len(line) < col:
            if value is None:
                continue
            line.extend([None] * (col - len(line)))
        line[col - 1] = value
    return rows


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
