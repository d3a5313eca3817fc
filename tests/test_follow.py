"""Putting owned cells back with their rows after people moved rows during the write (pure)."""

from __future__ import annotations

from sheetfunnel.follow import Written, repairs
from sheetfunnel.grid import Cell
from sheetfunnel.plan import CellWrite, RowKeys

TAB = "Opportunities"
SEEN = [["ID", "Title", "Score"], ["A-1", "Apple", 1], ["B-2", "Banana", 2],
        [None, "Cherry"]]
KEYS = RowKeys(TAB, 1, {2: "A-1", 3: "B-2"})
PLANNED = (CellWrite(TAB, 2, 3, 10), CellWrite(TAB, 4, 1, "C-3"), CellWrite(TAB, 4, 3, 30))


def written(ids: list[Cell] | None = None) -> Written:
    """Nothing moved between the read and the re-read: the writes went where planned."""
    return Written(KEYS, SEEN, PLANNED, tuple(ids or ["ID", "A-1", "B-2"]), PLANNED)


def columns(rows: list[list[Cell]]) -> dict[int, list[Cell]]:
    return {c: [row[c - 1] if c <= len(row) else None for row in rows] for c in (1, 2, 3)}


def test_nothing_is_repaired_when_the_rows_stayed():
    after = columns([["ID", "Title", "Score"], ["A-1", "Apple", 10], ["B-2", "Banana", 2],
                     ["C-3", "Cherry", 30]])
    assert repairs(written(), after) == []


def test_a_sort_before_the_write_lands_is_put_back_and_a_typed_id_restored():
    # sorted by Title descending just before the write: Cherry, Banana, Apple; the write then
    # put A-1's 10 on Cherry's row and C-3 with its 30 on Apple's row (over the typed A-1)
    after = columns([["ID", "Title", "Score"], [None, "Cherry", 10], ["B-2", "Banana", 2],
                     ["C-3", "Apple", 30]])
    assert repairs(written(), after) == [
        CellWrite(TAB, 4, 1, "A-1"),  # Apple's row had A-1: its other cells say so
        CellWrite(TAB, 2, 3, None),  # Cherry, without an ID yet, loses A-1's score
        CellWrite(TAB, 4, 3, 10)]  # A-1 gets its own


def test_a_row_deleted_before_the_write_lands_leaves_no_stray_row():
    # Banana deleted: Cherry moved up to row 3 and the write's row 4 fell on an empty row
    after = columns([["ID", "Title", "Score"], ["A-1", "Apple", 10], [None, "Cherry"],
                     ["C-3", None, 30]])
    assert repairs(written(), after) == [CellWrite(TAB, 4, 1, None), CellWrite(TAB, 4, 3, None)]


def test_rows_moved_after_the_write_landed_need_nothing():
    after = columns([["ID", "Title", "Score"], ["C-3", "Cherry", 30], ["B-2", "Banana", 2],
                     ["A-1", "Apple", 10]])
    assert repairs(written(), after) == []
