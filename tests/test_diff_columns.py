"""The quick ways of diffing (a column at a time, cells over blank ones, rows past the end of a
whole tab) plan exactly the writes of deciding each cell alone with ``storable`` and
``same_value``, in the same order."""

import datetime as dt
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.diff import (
    MAX_TEXT,
    diff_cells,
    diff_columns,
    diff_whole_tab,
    same_value,
    storable,
)
from sheetfunnel.plan import CellWrite
from sheetfunnel.render import cell_value, cell_values

_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 60, 2 ** 60), st.floats(allow_nan=True),
    st.sampled_from([0.0, -0.0, 1, 1.0, 2 ** 53, float(2 ** 53), "", " ", "OPP-1", "a\r\nb",
                     "x\x01", "\ufffe", "今日 📅", "x" * (MAX_TEXT + 3), pd.NaT, np.float64(2.5),
                     np.int64(7), pd.Timestamp("2026-01-02 03:04")]),
    st.text(max_size=6), st.dates(dt.date(1890, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1890, 1, 1), dt.datetime(2100, 1, 1)))
#: Mostly the usual cells (so that the quick ways are taken), now and then any value.
_USUAL = st.one_of(st.none(), st.sampled_from(["A", "B", "OPP-2", "⚠️ Late"]),
                   st.floats(-1e6, 1e6), st.integers(0, 400),
                   st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)))
_CELLS = st.one_of(_USUAL, _USUAL, _USUAL, _VALUES)
_GRIDS = st.lists(st.lists(_CELLS, max_size=5), max_size=6)


def one_by_one(tab, current, cells):
    """The writes of (row, col, wanted) decided one cell at a time."""
    writes = []
    for row, col, wanted in cells:
        line = current[row - 1] if row <= len(current) else []
        have = line[col - 1] if col <= len(line) else None
        if not same_value(have, storable(wanted)):
            writes.append(CellWrite(tab, row, col, storable(wanted)))
    return writes


def typed(writes):
    """Writes with their value's type: 1, 1.0 and True are equal, not the same cell."""
    assert all(type(write) is CellWrite for write in writes)
    return [(*write, type(write.value), math.copysign(1, write.value)
             if type(write.value) is float else 0) for write in writes]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(_GRIDS, st.data())
def test_a_column_at_a_time_writes_what_each_cell_alone_would(current, data):
    rows = data.draw(st.sampled_from([[2, 3, 4, 5], [1, 2, 3], [3, 5, 2, 8], [7, 8], []]))
    cols = data.draw(st.lists(st.integers(1, 7), unique=True, max_size=4))
    columns = [(col, data.draw(st.lists(_CELLS, min_size=len(rows), max_size=len(rows))))
               for col in cols]
    expected = one_by_one("T", current, [(row, col, value) for col, values in columns
                                         for row, value in zip(rows, values, strict=True)])
    assert typed(diff_columns("T", current, rows, columns)) == typed(expected)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(_GRIDS, _GRIDS)
def test_a_whole_tab_writes_what_each_cell_alone_would(current, desired):
    cells = [(row, col, value) for row, line in enumerate(desired, start=1)
             for col, value in enumerate(line, start=1)]
    cells += [(row, col, None) for row, line in enumerate(current, start=1)
              for col in range(len(desired[row - 1]) + 1 if row <= len(desired) else 1,
                               len(line) + 1)]
    assert typed(diff_whole_tab("T", current, desired)) == typed(one_by_one("T", current, cells))


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.dictionaries(st.tuples(st.integers(1, 9), st.integers(1, 9)), _CELLS, max_size=12))
def test_cells_of_a_tab_not_there_yet_are_every_value_not_blank(desired):
    expected = one_by_one("T", [], [(row, col, value) for (row, col), value in desired.items()])
    assert typed(diff_cells("T", None, desired)) == typed(expected)


def test_a_first_run_column_is_written_whole_and_a_rerun_only_where_it_changed():
    rows = [2, 3, 4]
    first = diff_columns("Opportunities", [["ID"], ["a"], ["b"], ["c"]], rows,
                         [(2, [80.0, None, "A"]), (3, [dt.date(2026, 1, 2), 1, True])])
    assert first == [CellWrite("Opportunities", 2, 2, 80.0),
                     CellWrite("Opportunities", 4, 2, "A"),
                     CellWrite("Opportunities", 2, 3, dt.date(2026, 1, 2)),
                     CellWrite("Opportunities", 3, 3, 1),
                     CellWrite("Opportunities", 4, 3, True)]
    read = [["ID", "Score", "Since"], ["a", 80, 46024], ["b", "", 1.0], ["c", "A", 1]]
    assert diff_columns("Opportunities", read, rows,
                        [(2, [80.0, None, "A"]), (3, [dt.date(2026, 1, 2), 1, True])]) == [
        CellWrite("Opportunities", 4, 3, True)]  # a Google serial date, a 1 that is no TRUE


_NUMBERS = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                              st.sampled_from([0.0, -0.0, 0.125, 2.675, -1e-9, 1e300])),
                    max_size=30)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(_NUMBERS, st.sampled_from([None, 0, 1, 2, 4]))
def test_a_column_of_numbers_is_each_number_as_cell_value_makes_it(numbers, digits):
    def exact(cells):
        return [(type(c), c, math.copysign(1, c) if type(c) is float else 0) for c in cells]
    column = pd.Series(numbers, dtype="float64")
    assert exact(cell_values(column, digits)) == exact(
        [cell_value(number, digits) for number in column.tolist()])


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(dt.datetime(1800, 1, 1),
                                                  dt.datetime(2200, 1, 1))), max_size=20))
def test_a_column_of_moments_is_each_moment_as_cell_value_makes_it(moments):
    column = pd.Series(moments, dtype="datetime64[ns]")
    assert cell_values(column) == [cell_value(moment) for moment in column.tolist()]


def twin(value):
    """A value equal to ``value`` or looking like it, of another type or storable form."""
    if type(value) is int:
        return value in (0, 1) and bool(value) or float(value)
    if type(value) is float:
        return int(value) if value.is_integer() else np.float64(value)
    if type(value) is bool:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    if type(value) is str:
        return value + "\x01"
    return "" if value is None else value


@settings(max_examples=200, derandomize=True, deadline=None)
@given(_GRIDS, st.data())
def test_a_rerun_writes_only_what_each_cell_alone_would(current, data):
    """Wanted values mostly as read, or their twins: the cells passed over unlooked at."""
    desired = [[data.draw(st.one_of(st.just(value), st.just(value), st.just(twin(value)),
                                    _CELLS)) for value in line] for line in current]
    cells = [(row, col, value) for row, line in enumerate(desired, start=1)
             for col, value in enumerate(line, start=1)]
    assert typed(diff_whole_tab("T", current, desired)) == typed(one_by_one("T", current, cells))
    width = min(map(len, current), default=0)
    rows = list(range(1, len(current) + 1))
    columns = [(col, [line[col - 1] for line in desired]) for col in range(1, width + 1)]
    expected = one_by_one("T", current, [(row, col, value) for col, values in columns
                                         for row, value in zip(rows, values, strict=True)])
    assert typed(diff_columns("T", current, rows, columns)) == typed(expected)
