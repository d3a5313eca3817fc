"""A rerun on unchanged data must plan no writes, whatever type the backend hands back."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.diff import (
    MAX_TEXT,
    diff_cells,
    diff_whole_tab,
    same_value,
    storable,
    stored_as_is,
)
from sheetfunnel.plan import CellWrite


def test_values_equal_as_a_person_sees_them():
    assert same_value(dt.datetime(2026, 11, 24), dt.date(2026, 11, 24))
    assert same_value(46350, dt.date(2026, 11, 24))  # a Google serial date
    assert same_value(3, 3.0)
    assert same_value("", None)
    assert not same_value("3", 3)
    assert not same_value(True, 1)
    assert not same_value(dt.datetime(2026, 11, 24, 9, 30), dt.date(2026, 11, 24))


def test_only_changed_cells_are_written():
    current = [["ID", "Score"], ["OPP-1", 80.0], ["OPP-2", 55.5]]
    desired = {(2, 2): 80.0, (3, 2): 60.0, (4, 2): None}
    assert diff_cells("Opportunities", current, desired) == [
        CellWrite("Opportunities", 3, 2, 60.0)
    ]


def test_whole_tab_rewrite_clears_leftover_rows_of_a_longer_earlier_version():
    current = [["Stage", "Reached"], ["Lead", 10], ["Won", 3], ["old", 1]]
    desired = [["Stage", "Reached"], ["Lead", 12], ["Won", 3]]
    assert diff_whole_tab("Summary", current, desired) == [
        CellWrite("Summary", 2, 2, 12),
        CellWrite("Summary", 4, 1, None),
        CellWrite("Summary", 4, 2, None),
    ]


def test_what_no_spreadsheet_holds_is_written_as_it_reads_back():
    assert [storable(v) for v in (pd.NaT, np.datetime64("NaT"), float("nan"), float("inf"),
                                  -np.inf, 10**400, pd.NA, "  ", "\x00")] == [None] * 9
    assert storable(np.int64(7)) == 7 and type(storable(np.float64(2.5))) is float
    assert storable("one\r\ntwo\rthree\x07") == "one\ntwo\nthree"
    assert len(storable("x" * 40_000)) == MAX_TEXT
    assert len(storable("😀" * 20_000)) == MAX_TEXT // 2  # two UTF-16 units each, none cut
    assert storable(dt.date(1899, 12, 30)) == "1899-12-30"  # Excel's day 0 reads back as a time
    assert storable(dt.datetime(1800, 1, 1, 6, 30)) == "1800-01-01 06:30:00"
    assert storable(pd.Timestamp("2026-01-02 03:04")) == dt.datetime(2026, 1, 2, 3, 4)
    assert storable(dt.date(1900, 1, 1)) == dt.date(1900, 1, 1)


def test_a_missing_date_is_blank_in_the_diff():
    current = [["Stage Entered"], [dt.datetime(2026, 11, 1)], [None]]
    desired = {(2, 1): pd.NaT, (3, 1): pd.NaT}
    assert diff_cells("Opportunities", current, desired) == [
        CellWrite("Opportunities", 2, 1, None)]


def test_moments_compare_to_the_millisecond_whichever_backend_reads_them():
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678901)
    assert same_value(dt.datetime(2026, 1, 2, 3, 4, 5, 679000), moment)  # xlsx: milliseconds
    assert same_value(46024.12784350579, moment)  # Google: a serial number
    assert not same_value(dt.datetime(2026, 1, 2, 3, 4, 6), moment)


_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 60, 2 ** 60), st.floats(allow_nan=True),
    st.text(max_size=6), st.sampled_from(["OPP-1", " ", "a\r\nb", "x\x01", "Lead", "\ufffe"]),
    st.dates(dt.date(1890, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1890, 1, 1), dt.datetime(2100, 1, 1)))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.lists(st.tuples(_CELLS, _CELLS), max_size=12))
def test_the_quick_paths_decide_every_cell_as_storable_and_same_value_do(pairs):
    current = [[have for have, _ in pairs]]
    desired = {(1, col): wanted for col, (_, wanted) in enumerate(pairs, start=1)}
    expected = [CellWrite("T", 1, col, storable(wanted))
                for col, (have, wanted) in enumerate(pairs, start=1)
                if not same_value(have, storable(wanted))]
    assert diff_cells("T", current, desired) == expected


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.text(max_size=8) | st.sampled_from(["OPP-000001", "a\tb", "\x7f", "x" * MAX_TEXT,
                                              "x" * (MAX_TEXT + 1)]))
def test_a_text_is_stored_as_is_exactly_when_storable_keeps_it(text):
    assert stored_as_is(text) == (storable(text) == text)
