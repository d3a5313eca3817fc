"""Writes that follow their rows by ID while people sort, insert and delete rows (pure).

A backend that people edit while a run is under way (Google Sheets) reads the ID column again
just before writing and moves each write to the row now holding its ID (``follow_ids``);
after writing it reads once more and, if rows moved while the write was on its way, works out
the writes that put every owned cell back with its own row (``repairs``). Only lists of cells
go in and out: the requests are the backend's business.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sheetfunnel.diff import same_value
from sheetfunnel.grid import Cell, Grid, a1, cell_at, is_blank
from sheetfunnel.plan import CellWrite, RowKeys

log = logging.getLogger(__name__)

#: A tab's cells read back, by 1-based column: ``columns[c][r - 1]`` is the cell at row r.
Columns = Mapping[int, Sequence[Cell]]


def row_key(value: Cell) -> str:
    """What identifies a row: the text of its ID cell, stripped ("" when blank)."""
    return "" if is_blank(value) else str(value).strip()


def follow_ids(keys: RowKeys, before: list[Cell], now: list[Cell],
               writes: list[CellWrite]) -> list[CellWrite]:
    """Writes of ``keys.tab`` moved to the rows now holding their IDs.

    A write for a row whose ID is gone or now appears twice is dropped. A write for a row
    without a recorded ID (a header, a row whose blank ID the run fills) follows the IDs
    around it (``_unkeyed_rows``), and is dropped where they cannot tell that row from an
    inserted or deleted one. A write into the ID column itself (a blank ID filled) is kept
    only where ``now`` shows that cell blank: a typed ID is never overwritten.
    """
    old, new = _padded([row_key(v) for v in before], [row_key(v) for v in now])
    if old == new:
        return writes
    moved = _unkeyed_rows(old, new)
    seen: dict[str, int] = {}
    for row, key in enumerate(new, start=1):
        if key:
            seen[key] = -1 if key in seen else row
    kept = []
    for write in writes:
        if write.tab != keys.tab:
            kept.append(write)
            continue
        wanted = keys.ids.get(write.row)
        target = moved.get(write.row) if wanted is None else seen.get(wanted.strip(), -1)
        if write.col == keys.id_col and target is not None and 0 < target <= len(new) \
                and new[target - 1]:
            target = None
        if target is not None and target > 0:
            kept.append(write._replace(row=target))
        else:
            log.info("%s not written: its row changed while sheetfunnel was running", write)
    return kept


def _padded(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    width = max(len(old), len(new))
    return old + [""] * (width - len(old)), new + [""] * (width - len(new))


def _unkeyed_rows(old: list[str], new: list[str]) -> dict[int, int]:
    """Old row -> new row for rows the run has no ID for.

    A row with a key of its own (the header) goes where that key went. A blank-ID row goes
    with the stretch of blank IDs it is part of, anchored on the IDs around it: the stretch
    moves only when the ID above and the ID below moved together and the stretch between them
    has the same length, so a blank row inserted or deleted beside it stops the write. A
    stretch at the end has no ID below; it follows the ID above while no ID appeared after it.
    """
    def places(keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key:
                found[key] = -1 if key in found else index
        return found

    was, now = places(old), places(new)
    rows = {i + 1: now[k] + 1 for k, i in was.items() if i >= 0 and now.get(k, -1) >= 0}
    start = 0
    while start < len(old):
        if old[start]:
            start += 1
            continue
        end = start
        while end < len(old) and not old[end]:
            end += 1
        above = now.get(old[start - 1], -1) if start > 0 else -1
        if end < len(old):
            below = now.get(old[end], -1)
            fits = below - above == end - start + 1
        else:
            fits = not any(new[above + 1:])
        if above >= 0 and fits:
            rows |= {r + 1: above + (r - start) + 2 for r in range(start, end)}
        start = end
    return rows


# -- after the write ------------------------------------------------------------------------

@dataclass(frozen=True)
class Written:
    """What a run wrote into one tab whose rows it follows by ID.

    ``seen`` is the tab as the run read it and ``planned`` the writes at its rows (values
    as plain Python); ``ids`` is the ID column as re-read just before writing and ``sent`` the
    writes as sent, moved to the rows of that re-read.
    """

    keys: RowKeys
    seen: Grid
    planned: tuple[CellWrite, ...]
    ids: tuple[Cell, ...]
    sent: tuple[CellWrite, ...]

    @property
    def columns(self) -> list[int]:
        """The columns written, besides the ID column."""
        return sorted({w.col for w in self.planned if w.col != self.keys.id_col})

    @property
    def fills(self) -> dict[str, int]:
        """Each ID the run filled in -> the row of the read it was meant for."""
        sent = {row_key(w.value) for w in self.sent if w.col == self.keys.id_col}
        return {row_key(w.value): w.row for w in self.planned
                if w.col == self.keys.id_col and row_key(w.value) in sent}

    def moved(self, after: Columns) -> bool:
        """Whether the ID column read back differs from the one written to: rows moved
        while the write was on its way (or right after it)."""
        expected = [row_key(v) for v in self.ids]
        for write in self.sent:
            if write.col == self.keys.id_col:
                expected += [""] * (write.row - len(expected))
                expected[write.row - 1] = row_key(write.value)
        got = [row_key(v) for v in after.get(self.keys.id_col, [])]
        return _stripped(expected) != _stripped(got)


def _stripped(keys: list[str]) -> list[str]:
    end = len(keys)
    while end and not keys[end - 1]:
        end -= 1
    return keys[:end]


def repairs(written: Written, after: Columns) -> list[CellWrite]:
    """Writes that give every row read back (``after``) its own owned cells, when rows moved
    while the values write was on its way; none when nothing moved.

    Each row is told by its ID: it gets the values the run computed for that ID (or, for a
    cell the run did not change, the value it read there). A filled-in ID that landed on
    another row is taken back: that row gets the ID it had in the read — found by its other
    cells — or stays as it is when they cannot tell (then the log says so). A row with no
    ID, or one the run did not know (typed meanwhile), has the values the write left in it
    cleared: they were another row's, and the next run computes its own.
    """
    if not written.moved(after):
        return []
    got = [row_key(v) for v in after.get(written.keys.id_col, [])]
    counts = Counter(got)
    identity = {row: key for row, key in enumerate(got, start=1) if key and counts[key] == 1}
    fixes = _fills_taken_back(written, after, identity, got)
    desired = _desired(written)
    landed = {(w.row, w.col): w.value for w in written.sent if w.col != written.keys.id_col}
    for row in range(1, max(len(cells) for cells in (got, *after.values())) + 1):
        wanted = desired.get(identity.get(row, ""))
        for col in written.columns:
            have = after[col][row - 1] if col in after and row - 1 < len(after[col]) else None
            if wanted is not None:
                if not same_value(have, wanted[col]):
                    fixes.append(CellWrite(written.keys.tab, row, col, wanted[col]))
            elif (row, col) in landed and not is_blank(have) and \
                    same_value(have, landed[(row, col)]):
                fixes.append(CellWrite(written.keys.tab, row, col, None))  # another row's
    return fixes


def _fills_taken_back(written: Written, after: Columns, identity: dict[int, str],
                      got: list[str]) -> list[CellWrite]:
    """Writes giving back the ID a filled-in ID landed on; ``identity`` (row -> ID) is
    corrected to match, and loses the rows that cannot be told."""
    tab, id_col = written.keys.tab, written.keys.id_col
    skip = {id_col, *written.columns}
    fixes = []
    for key, meant in written.fills.items():
        row = next((r for r, k in identity.items() if k == key), None)
        if row is None or _content(after, row, skip) == _seen_content(written.seen, meant, skip):
            continue
        original = _original_id(written, after, row, skip, got)
        if original is None:
            log.warning("%s may hold the ID %s that sheetfunnel meant for another row, "
                        "if rows were moved while it wrote: check it", a1(tab, row, id_col),
                        key)
            identity.pop(row)
            continue
        fixes.append(CellWrite(tab, row, id_col, original or None))
        if original:
            identity[row] = original
        else:
            identity.pop(row)
    return fixes


def _desired(written: Written) -> dict[str, dict[int, Cell]]:
    """ID -> column -> the value the run wants there, for every row of the read with an ID
    of its own (or one the run filled in); IDs on several rows are left out."""
    planned = {(w.row, w.col): w.value for w in written.planned}
    wanted: dict[str, dict[int, Cell]] = {}
    repeated: set[str] = set()
    for row in range(1, len(written.seen) + 1):
        key = row_key(planned.get((row, written.keys.id_col),
                                  cell_at(written.seen, row, written.keys.id_col)))
        if not key:
            continue
        if key in wanted:
            repeated.add(key)
        wanted[key] = {col: planned.get((row, col), cell_at(written.seen, row, col))
                       for col in written.columns}
    return {k: v for k, v in wanted.items() if k not in repeated}


def _content(after: Columns, row: int, skip: set[int]) -> tuple:
    """A row's cells read back, but for the ID and the columns written."""
    return tuple((col, cells[row - 1]) for col, cells in sorted(after.items())
                 if col not in skip and row - 1 < len(cells) and not is_blank(cells[row - 1]))


def _seen_content(seen: Grid, row: int, skip: set[int]) -> tuple:
    line = seen[row - 1] if row - 1 < len(seen) else []
    return tuple((col, value) for col, value in enumerate(line, start=1)
                 if col not in skip and not is_blank(value))


def _original_id(written: Written, after: Columns, row: int, skip: set[int],
                 got: list[str]) -> str | None:
    """The ID ``row`` had before a filled-in ID landed on it: that of the row of the read
    with the same other cells, unless that ID is still on another row ("" for a blank ID);
    None when the read holds no such row or several with different IDs."""
    content = _content(after, row, skip)
    if not content:
        return ""  # an empty row (rows deleted above it): its ID cell was blank
    elsewhere = {k for r, k in enumerate(got, start=1) if r != row}
    found = {row_key(cell_at(written.seen, r, written.keys.id_col))
             for r in range(1, len(written.seen) + 1)
             if _seen_content(written.seen, r, skip) == content}
    found = {key for key in found if not key or key not in elsewhere}
    return found.pop() if len(found) == 1 else None
