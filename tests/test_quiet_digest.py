"""The owned digest (quiet.py): what a full run computes from its plan is what the next run
computes from the cells it reads back, and any owned cell a person changes changes it."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel import quiet
from sheetfunnel.diff import storable
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import CellWrite
from sheetfunnel.values import serial_number

TAB, OTHER = "T", "U"
WIDE, DEEP = 6, 7  # columns and rows the cells and writes reach

cells = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 3),
    st.sampled_from([0.0, 1.0, -0.0, 2.5, 1e-9, 3.0000001, float("nan"), float("inf")]),
    st.sampled_from(["", " ", "a", "a ", "1", "True", "x\ty", "é", "line\nbreak", "\x1fz"]),
    st.dates(dt.date(1899, 12, 1), dt.date(2030, 1, 1)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2030, 1, 1)))
grids = st.lists(st.lists(cells, max_size=WIDE), max_size=DEEP)
writes = st.lists(st.tuples(st.sampled_from([TAB, OTHER]), st.integers(1, DEEP + 2),
                            st.integers(1, WIDE + 1), cells), max_size=30)
regions = st.builds(
    quiet.Region, st.just(TAB),
    st.none() | st.lists(st.integers(1, WIDE + 1), unique=True).map(lambda c: tuple(sorted(c))),
    st.frozensets(st.tuples(st.integers(1, DEEP), st.integers(1, WIDE)), max_size=4),
    st.booleans())


def _applied(grid: Grid | None, found: list[CellWrite]) -> Grid | None:
    """The tab after the writes, as a backend reads it back (Google Sheets' forms: a date is
    its serial number, a whole number an int; rows end at their last cell, the tab at its last
    row)."""
    if grid is None and not found:
        return None
    rows = [list(row) for row in grid or []]
    for write in found:
        rows.extend([] for _ in range(write.row - len(rows)))
        line = rows[write.row - 1]
        line.extend([None] * (write.col - len(line)))
        line[write.col - 1] = write.value
    read: Grid = []
    for line in rows:
        cells_read = [_read_back(value) for value in line]
        while cells_read and cells_read[-1] is None:
            cells_read.pop()
        read.append(cells_read)
    while read and not read[-1]:
        read.pop()
    return read


def _read_back(value: Cell) -> Cell:
    value = storable(value)
    if isinstance(value, dt.date):
        value = serial_number(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def _as_read(region: quiet.Region, found: list[CellWrite]) -> quiet.Region:
    """The region a next run reads: the columns a plan gave a header are among its own."""
    columns = region.columns
    if columns is not None and region.headed:
        columns = tuple(sorted({*columns, *(w.col for w in found if w.row == 1)}))
    return quiet.Region(region.tab, columns, region.skip)


def _together(planned: list[tuple[str, int, int, Cell]]) -> list[CellWrite]:
    """A plan's writes: a tab's come together (in any order of columns and rows)."""
    return [CellWrite(*w) for _, group in groupby(sorted(planned, key=lambda w: w[0]),
                                                  key=lambda w: w[0]) for w in group]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(grid=st.none() | grids, other=grids, planned=writes, region=regions,
       whole=st.booleans())
def test_the_digest_after_a_plan_is_the_digest_of_the_cells_read_back(
        grid, other, planned, region, whole):
    found = _together(planned)
    mine = [w for w in found if w.tab == TAB]
    other_after = _applied(other, [w for w in found if w.tab == OTHER])
    # the other tab written whole: given as its grid after the plan, its writes left out
    before = {TAB: grid, OTHER: other_after if whole else other}
    after = {TAB: _applied(grid, mine), OTHER: other_after}
    others = [quiet.Region(OTHER)]
    assert quiet.owned_digest([region, *others], before, found,
                              whole=[OTHER] if whole else []) == \
        quiet.owned_digest([_as_read(region, mine), *others], after)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(grid=grids, region=regions, row=st.integers(1, DEEP + 1), col=st.integers(1, WIDE + 1),
       value=cells)
def test_a_person_changing_an_owned_cell_changes_the_digest(grid, region, row, col, value):
    read = _applied(grid, []) or []
    line = read[row - 1] if row <= len(read) else []
    was = line[col - 1] if col <= len(line) else None
    owned = (region.columns is None or col in region.columns) and \
        (row, col) not in region.skip
    edited = _applied(read, [CellWrite(TAB, row, col, value)])
    changed = quiet.owned_digest([region], {TAB: read}) != \
        quiet.owned_digest([region], {TAB: edited})
    assert changed == (owned and quiet._text(was) != quiet._text(value))  # True is not 1
