"""A delivery ledger of the older form (T:Z, one row per entry) is read by both backends and
replaced by the compact form (M:N) on the next write, the ledger unchanged and the tab's grid
narrowed."""

from __future__ import annotations

from sheetfunnel.diff import diff_cells
from sheetfunnel.notify.ledger import ENTRIES_COL, KIND_COL, ledger_cells, read_ledger
from sheetfunnel.plan import CellWrite, TabSpec, WritePlan
from sheetfunnel.tabs.state import STATE_TAB, read_state
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import AS_OF, Pair

OLDER = [  # T1:Z… as the worker wrote them before the compact form
    ["Notify ledger", "Owner", "Deal", "Flag", "First", "Last", "Tier"],
    *(["flag", "Alice Chen", f"OPP-{k}", "STALLED", "2026-11-20T01:00:00+00:00",
       "2026-11-21T01:00:00+00:00", "2"] for k in range(1, 151)),
    ["resolved", "Bob Li", "OPP-900", "NEGATIVE_SIGNAL", "2026-11-19T01:00:00+00:00",
     "2026-11-22T01:00:00+00:00", None],
    ["digest", "Alice Chen", "rep", None, "2026-11-21", "2026-11-21T01:00:00+00:00", None],
    ["pace", "robot", None, None, None, "2026-11-21T01:00:00+00:00 2026-11-21T01:00:05+00:00",
     None],
]


def test_an_older_form_ledger_is_read_and_made_compact_by_both_backends(tmp_path, emulator):
    pair = Pair.from_init(tmp_path / "book.xlsx", emulator, lang="en", demo=True)
    pair.run(AS_OF)
    books = (XlsxWorkbook(pair.path), open_book(emulator))
    state = read_state(pair.snapshots()[0].find(STATE_TAB))
    plan = WritePlan(tabs=(TabSpec(STATE_TAB, hidden=True),), cells=tuple(
        CellWrite(STATE_TAB, row, col, value) for row, line in enumerate(OLDER, start=1)
        for col, value in enumerate(line, start=20)))
    for book in books:
        book.apply(plan)
    ledgers = [read_ledger(book.read().find(STATE_TAB)) for book in books]
    ledger = ledgers[0]
    assert ledgers[1] == ledger and len(ledger.seen) == 151
    assert ledger.seen.loc[("OPP-7", "STALLED"), "tier"] == 2
    assert ledger.seen["resolved"].notna().sum() == 1
    assert ("Alice Chen", "rep") in ledger.digests and len(ledger.pace["robot"]) == 2

    for book in books:  # the hook's write: the compact form, the older rows cleared
        snapshot = book.read()
        previous = snapshot.find(STATE_TAB)
        spec = TabSpec(STATE_TAB, hidden=True, tab_id=snapshot.ids.get(STATE_TAB))
        book.apply(WritePlan((spec,),
                             tuple(diff_cells(STATE_TAB, previous,
                                              ledger_cells(previous, ledger))), keep_backup=True))
    for book in books:
        grid = book.read().find(STATE_TAB)
        assert read_ledger(grid) == ledger
        assert read_state(grid).memory.entries.equals(state.memory.entries)
        assert read_state(grid).tabs == state.tabs
        assert max(len(line) for line in grid) == ENTRIES_COL  # no longer to column Z
        kinds = [line[KIND_COL - 1] for line in grid[1:] if len(line) >= KIND_COL
                 and line[KIND_COL - 1]]
        assert kinds == ["flags", "flags", "digests", "pace"]
        again = ledger_cells(grid, ledger)
        assert diff_cells(STATE_TAB, grid, again) == []  # a quiet write writes nothing
    assert emulator.sheet(STATE_TAB).cols <= ENTRIES_COL
