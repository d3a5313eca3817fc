"""A state tab of the older form (one row of the memory per deal) is read by both backends and
replaced by the compact form on the next run, the memory unchanged."""

from __future__ import annotations

import datetime as dt

from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.tabs.state import FIRST_MEMORY_ROW, MEMORY_RECORD, STATE_TAB, read_state
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import AS_OF, Pair


def _older_form(entries) -> list[list]:
    """The memory rows as the worker wrote them before the compact form."""
    def iso(day):
        return day.isoformat() if isinstance(day, dt.date) else None
    return [["stage", key, row.stage, iso(row.entered), iso(row.first_seen)]
            for key, row in entries.iterrows()]


def test_an_older_form_state_tab_is_read_and_made_compact_by_both_backends(tmp_path, emulator):
    pair = Pair.from_init(tmp_path / "book.xlsx", emulator, lang="en", demo=True)
    pair.run(AS_OF)
    xlsx, sheets = pair.snapshots()
    remembered = read_state(sheets.find(STATE_TAB)).memory.entries
    assert len(remembered) > 50
    assert read_state(xlsx.find(STATE_TAB)).memory.entries.equals(remembered)
    rows = _older_form(remembered)
    plan = WritePlan(tabs=(TabSpec(STATE_TAB, hidden=True),), cells=tuple(
        CellWrite(STATE_TAB, index, col, value)
        for index, line in enumerate(rows, start=FIRST_MEMORY_ROW)
        for col, value in enumerate(line, start=1)))
    XlsxWorkbook(pair.path).apply(plan)  # the state written as an earlier version wrote it
    open_book(emulator).apply(plan)
    for snapshot in pair.snapshots():
        assert len(snapshot.find(STATE_TAB)) == FIRST_MEMORY_ROW - 1 + len(rows)
        assert read_state(snapshot.find(STATE_TAB)).memory.entries.equals(remembered)

    pair.run(AS_OF + dt.timedelta(days=1))
    for snapshot in pair.snapshots():
        grid = snapshot.find(STATE_TAB)
        assert read_state(grid).memory.entries.equals(remembered)
        kinds = {line[0] for line in grid[FIRST_MEMORY_ROW - 1 :] if line and line[0]}
        assert kinds == {MEMORY_RECORD}
        assert len(grid) < 10 and max(len(line) for line in grid) <= 11
    assert emulator.sheet(STATE_TAB).rows < 10  # the tab shrank to what it holds
