"""The worker's memory lives in the workbook and survives a round trip unchanged."""

import datetime as dt
import json

import pandas as pd

from sheetfunnel.engine.model import StageMemory
from sheetfunnel.tabs.state import (
    CHANGED_ROW,
    FIRST_MEMORY_ROW,
    MEMORY_RECORD,
    PER_CELL,
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


def stored_ids(cells):
    return [item[0] for row in range(FIRST_MEMORY_ROW, 1 + max(r for r, _ in cells))
            if cells.get((row, 1)) == MEMORY_RECORD for item in json.loads(cells[(row, 2)])]


def test_known_ids_keep_their_places_and_new_ids_are_appended():
    d = dt.date(2026, 11, 1)
    first = as_grid(state_cells(None, State(memory([("B", "Lead", d, d), ("A", "Lead", d, d)]))))
    second = state_cells(first, State(memory([("A", "Won", d, d), ("C", "Lead", d, d),
                                              ("B", "Lead", d, d)])))
    assert stored_ids(second) == ["B", "A", "C"]
    # the order a run read (State.stored) places them as the grid itself does
    read = read_state(first)
    assert read.stored == ("B", "A")
    assert state_cells(first, State(memory([("A", "Won", d, d), ("C", "Lead", d, d),
                                            ("B", "Lead", d, d)])), read.stored) == second


def test_the_memory_takes_two_cells_per_two_hundred_deals_and_reads_back_exactly():
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
    odd = ["OPP-1", "客户-二", 'quote " and \\ back', "tab\there", "  spaced  "]
    rows = [(f"OPP-{n}" if n >= len(odd) else odd[n], ["Lead", "提案", None][n % 3],
             d1 if n % 2 else None, d2) for n in range(PER_CELL * 2 + 1)]
    state = State(memory(rows), "abc", d2)
    cells = state_cells(None, state)
    grid = as_grid(cells)
    memory_rows = [r for r in grid[FIRST_MEMORY_ROW - 1 :] if r[0] == MEMORY_RECORD]
    assert len(memory_rows) == 3 and all(len(r[1]) <= 16_000 for r in memory_rows)
    back = read_state(grid).memory.entries
    kept = [r for r in rows if r[0].strip() == r[0] and r[0] != "tab\there"]
    assert [tuple(x) for x in back.loc[[r[0] for r in kept]].reset_index().itertuples(
        index=False)] == [(i, s or "", e, f) for i, s, e, f in kept]
    assert state_cells(grid, state) == cells  # read back, nothing to rewrite


def test_a_changed_stage_rewrites_only_its_own_cell():
    d = dt.date(2026, 11, 1)
    rows = [(f"OPP-{n}", "Lead", d, d) for n in range(PER_CELL * 3)]
    before = state_cells(None, State(memory(rows)))
    rows[PER_CELL + 5] = (f"OPP-{PER_CELL + 5}", "Proposal", d, d)
    after = state_cells(as_grid(before), State(memory(rows)))
    assert [k for k in after if after[k] != before.get(k)] == [(FIRST_MEMORY_ROW + 1, 2)]


def test_the_older_form_one_row_per_deal_is_read_and_replaced():
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
    old = [["Record", "Key", "Value", "Extra", "Extra2"], ["lease"],
           ["changed", "abc", "2026-11-20"],
           ["stage", "OPP-2", "Proposal", "2026-11-20", "2026-11-01"],
           ["stage", "OPP-1", "Lead", "2026-11-01", None],
           ["stage", 17.0, "Won", "2026-11-01", "2026-11-01"]]
    state = read_state(old)
    entries = state.memory.entries
    assert list(entries.index) == ["OPP-2", "OPP-1", "17"]
    assert entries.loc["OPP-2"].tolist() == ["Proposal", d2, d1]
    assert entries.loc["OPP-1", "first_seen"] is None
    cells = state_cells(old, state)
    assert stored_ids(cells) == ["OPP-2", "OPP-1", "17"]  # the order kept
    cleared = [(r, c) for r in (4, 5, 6) for c in range(1, 6) if (r, c) in cells
               and cells[(r, c)] is None]
    assert cleared == [(4, 3), (4, 4), (4, 5), (5, 1), (5, 2), (5, 3), (5, 4),
                       (6, 1), (6, 2), (6, 3), (6, 4), (6, 5)]  # every older cell, none else
    grid = as_grid({**{(r, c): v for r, line in enumerate(old, 1) for c, v in enumerate(line, 1)},
                    **cells})
    assert read_state(grid).memory.entries.equals(entries)


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
