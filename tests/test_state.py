"""The worker's memory lives in the workbook and survives a round trip unchanged."""

import datetime as dt

import pandas as pd

from sheetfunnel.engine.model import StageMemory
from sheetfunnel.tabs.state import (
    CHANGED_ROW,
    FIRST_MEMORY_ROW,
    TABS_COL,
    State,
    TabRecord,
    fingerprint,
    read_state,
    state_cells,
    tab_cells,
    tab_records,
)


def memory(rows):
    frame = pd.DataFrame(rows, columns=["id", "stage", "entered", "first_seen"], dtype=object)
    return StageMemory(frame.set_index("id"))


def as_grid(cells):
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    grid = [[None] * width for _ in range(height)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    return grid


def test_state_round_trips_through_its_tab():
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
    state = State(memory([("OPP-1", "Lead", d1, d1), ("OPP-2", "Proposal", d2, d1)]),
                  "abc123", d2)
    grid = as_grid(state_cells(None, state))
    back = read_state(grid)
    assert back.fingerprint == "abc123"
    assert back.last_changed == d2
    assert back.memory.entries.loc["OPP-2", "stage"] == "Proposal"
    assert back.memory.entries.loc["OPP-2", "entered"] == d2
    assert grid[CHANGED_ROW - 1][:3] == ["changed", "abc123", "2026-11-20"]


def test_known_ids_keep_their_rows_and_new_ids_are_appended():
    d = dt.date(2026, 11, 1)
    first = as_grid(state_cells(None, State(memory([("B", "Lead", d, d), ("A", "Lead", d, d)]))))
    second = state_cells(first, State(memory([("A", "Won", d, d), ("C", "Lead", d, d),
                                              ("B", "Lead", d, d)])))
    ids = [second[(FIRST_MEMORY_ROW + i, 2)] for i in range(3)]
    assert ids == ["B", "A", "C"]


def test_fingerprint_ignores_how_a_backend_types_the_same_value():
    a = [["ID", "Amount", "Created"], ["OPP-1", 1200.0, dt.datetime(2026, 1, 2)]]
    b = [["ID", "Amount", "Created"], ["OPP-1", 1200, dt.date(2026, 1, 2)]]
    assert fingerprint([a]) == fingerprint([b])
    assert fingerprint([a]) != fingerprint([[["ID"], ["OPP-2"]]])


def test_owned_tabs_keep_one_row_each_and_only_given_rows_are_written():
    records = {"history": TabRecord("42", "History"), "state": TabRecord("7", "_sheetfunnel")}
    cells = tab_cells(records)
    assert cells[(1, TABS_COL)] == "Owned tab"
    assert cells[(4, TABS_COL)] == "history" and (2, TABS_COL) not in cells
    assert tab_records(as_grid(cells)) == records


def test_fingerprint_texts_each_value_by_its_own_type_however_often_it_repeats():
    """Numbers and dates are made text once per value: True (which equals 1) keeps its own."""
    one_then_true = fingerprint([[[1, True, 1.0, True, 1]]])
    assert one_then_true == fingerprint([[[1.0, True, 1, True, 1.0]]])
    assert one_then_true != fingerprint([[[1, 1, 1, 1, 1]]])
    assert fingerprint([[[True, 1]]]) != fingerprint([[[True, True]]])
    noon = dt.datetime(2026, 11, 24, 12)
    assert fingerprint([[[dt.date(2026, 11, 24), noon, float("nan"), None, " "]]]) == \
        fingerprint([[[46350, 46350.5]]])
