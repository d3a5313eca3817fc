"""The data fingerprint made a column at once: the same data typed as either backend reads it
gives one digest, any one cell changed gives another, and the fast paths text a column as
cell by cell would."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.tabs.state import _cell_text, _column_text, fingerprint
from sheetfunnel.values import serial_number

EPOCH = dt.datetime(1899, 12, 30)
#: texts without the separators a digest joins cells with (a cell holding one can be read as
#: two: the digest's one ambiguity, as before)
TEXTS = st.text(st.characters(blacklist_categories=("Cs",),
                              blacklist_characters="\x1c\x1d\x1e\x1f"), max_size=4)
DAYS = st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31))
ANY = st.one_of(st.none(), TEXTS, st.sampled_from(["", " ", "\x1f", " a", "None", "1"]),
                st.integers(-10**20, 10**20), st.integers(-3, 3), st.booleans(),
                st.floats(allow_nan=True), st.sampled_from([0.5, 1.0, -0.0, 3.0000001]),
                DAYS, st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)),
                st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1),
                             timezones=st.just(dt.timezone(dt.timedelta(hours=2)))))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(ANY, max_size=12))
def test_a_column_is_texted_at_once_as_cell_by_cell(values):
    for column in (values, values * 3):
        assert _column_text(column) == "\x1f".join(map(_cell_text, column))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.lists(ANY, max_size=5), max_size=6))
def test_a_column_of_one_kind_is_texted_at_once_as_cell_by_cell(rows):
    for values in rows:
        for kind in {type(v) for v in values}:
            column = [v for v in values if type(v) is kind] * 3 + [None]
            assert _column_text(column) == "\x1f".join(map(_cell_text, column))


#: what a person typed, as (kind, value): each backend reads it in its own types
SEEDS = st.one_of(st.tuples(st.just("text"), TEXTS.filter(str.strip)),
                  st.tuples(st.just("blank"), st.none()),
                  st.tuples(st.just("whole"), st.integers(-10**9, 10**9)),
                  st.tuples(st.just("fraction"), st.integers(-10**6, 10**6).map(lambda n: n / 8)
                            .filter(lambda x: not x.is_integer())),
                  st.tuples(st.just("day"), DAYS),
                  st.tuples(st.just("moment"), st.datetimes(dt.datetime(1950, 1, 1),
                                                            dt.datetime(2100, 1, 1))
                            .map(lambda t: t.replace(microsecond=0, second=0))
                            .filter(lambda t: t.time() != dt.time())))


def google(kind, value, pick):
    """As the Sheets API reads a cell (unformatted values: dates as serial numbers)."""
    if kind == "blank":
        return ("", None)[pick % 2]
    if kind == "day":
        return serial_number(value)
    if kind == "moment":
        return (value - EPOCH).total_seconds() / 86400
    return value


def xlsx(kind, value, pick):
    """As an .xlsx reads it: numbers as floats, dates as dates or date-times."""
    if kind == "blank":
        return (None, " ", "\t")[pick % 3]
    if kind == "whole":
        return (float(value), value)[pick % 2]
    if kind == "day":
        return (value, dt.datetime.combine(value, dt.time()))[pick % 2]
    return value


def read(grid, backend, pick):
    rows = [[backend(kind, value, pick + r + c) for c, (kind, value) in enumerate(row)]
            for r, row in enumerate(grid)]
    if backend is google:  # the API leaves out a row's trailing blanks
        rows = [row[: max([i + 1 for i, v in enumerate(row) if v not in ("", None)], default=0)]
                for row in rows]
    return rows


GRIDS = st.lists(st.lists(SEEDS, min_size=1, max_size=4), min_size=1, max_size=6)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(GRIDS, st.integers(0, 5))
def test_the_same_grid_read_by_either_backend_has_one_fingerprint(grid, pick):
    assert fingerprint([read(grid, google, pick)]) == fingerprint([read(grid, xlsx, pick + 1)])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(GRIDS, st.data())
def test_any_one_cell_changed_changes_the_fingerprint(grid, data):
    r = data.draw(st.integers(0, len(grid) - 1))
    c = data.draw(st.integers(0, len(grid[r]) - 1))
    kind, value = grid[r][c]
    new = data.draw(SEEDS.filter(lambda seed: _cell_text(google(*seed, 0))
                                 != _cell_text(google(kind, value, 0))))
    changed = [list(row) for row in grid]
    changed[r][c] = new
    assert fingerprint([read(grid, google, 0)]) != fingerprint([read(changed, xlsx, 1)])
