"""A run against a Google Sheet that faults or is edited at each of its requests.

For every request of a run (metadata, read, structure, ID re-read, values, read-back) and every
fault — Google's 429/500/503, a connection dropped before the answer or cut in its body, an
answer trickled past its deadline, a person sorting, inserting or deleting rows right then — no
cell a person owns changes, and the sheet ends as a clean run leaves the sheet as the person
left it: at once for faults retried, after one more run for edits made after its read and for a
write whose answer was lost (README, Limits).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable

import pytest
import requests

from sheetfunnel.errors import WorkbookUnreachable
from sheetfunnel.grid import Cell
from sheetfunnel.init_plan import init_plan
from sheetfunnel.runner import run_once
from tests.support.emulator import Call, Sheet, SheetsEmulator
from tests.support.gsheets import KEY, open_book

AS_OF = dt.date(2026, 11, 24)
REQUESTS = ("metadata", "read", "structure", "re-read", "values", "read-back")
KINDS = ["get", "values.batchGet", "batchUpdate", "values.batchGet", "values.batchUpdate",
         "values.batchGet"]
TITLE, NAME = 3, 2  # the Opportunities Title and Customers Name columns
PERSON_TABS = ("Sheet1", "Opportunities", "Customers", "Activities", "Stages", "Scoring",
               "Criteria", "Settings")
#: The worker's memory lists deals in the order it first saw them and keeps one deleted after
#: its read: it is the record of what each run saw, not part of what a clean run leaves.
WORKER_TABS = ("_sheetfunnel",)
Action = Callable[[SheetsEmulator], None]

#: Faults of the network and of Google, acting on the one request they land on.
FAULTS: dict[str, Action] = {
    "429": lambda e: e.fail(429, retry_after="2"),
    "500": lambda e: e.fail(500),
    "503": lambda e: e.fail(503),
    "dropped before the answer": lambda e: e.drop_connections(),
    "reset mid-body": lambda e: e.reset_mid_body(),
    "slow drip": lambda e: e.slow_drip(seconds=2.0),
}
#: A fault that loses a write's answer ends the run (a write is not repeated: Google may have
#: carried it out); the next run finishes it.
UNFINISHED = ("reset mid-body", "slow drip")


def _sorts(e: SheetsEmulator) -> None:
    e.sort_rows("Opportunities", 2, TITLE)
    e.sort_rows("Customers", 2, NAME, reverse=True)


#: What a person does to the rows while the request is on its way.
EDITS: dict[str, Action] = {
    "person sorts": _sorts,
    "person inserts": lambda e: e.insert_rows("Opportunities", 3, 1, [
        ["OPP-TYPED", "C-0001", "Typed meanwhile", "Ana", "Lead", 5000]]),
    "person deletes": lambda e: e.delete_rows("Opportunities", 3),
}


@functools.cache
def _template() -> tuple[Sheet, ...]:
    """The demo starter cut small (so that 40-odd runs stay quick): 12 opportunities, the
    last one without an ID, 30 customers, 40 activities, grids of 60 rows."""
    emulator = SheetsEmulator(KEY)
    emulator.add_sheet("Sheet1")
    book = open_book(emulator)
    book.apply(init_plan("en", demo=True, as_of=AS_OF, existing=book.read()))
    for title, rows in (("Opportunities", 13), ("Customers", 31), ("Activities", 41),
                        ("History", 41)):
        emulator.delete_rows(title, rows + 1, len(emulator.grid(title)) - rows)
    emulator.set_cell("Opportunities", 13, 1, "")
    for grid in emulator.sheets:
        grid.rows = 60
        for cells in (grid.values, grid.formulas, grid.extras):
            for key in [k for k in cells if k[0] >= grid.rows]:
                del cells[key]
    return tuple(emulator.sheets)


def sheet(edit: Action | None = None) -> SheetsEmulator:
    """A fresh copy of the template, edited by a person when ``edit`` is given."""
    emulator = SheetsEmulator(KEY)
    emulator.sheets = copy.deepcopy(list(_template()))
    if edit is not None:
        edit(emulator)
    return emulator


def grids(emulator: SheetsEmulator) -> dict[str, list[list[Cell]]]:
    return {s.title: emulator.grid(s.title) for s in emulator.sheets}


@functools.cache
def clean_run(edit: str | None) -> dict[str, list[list[Cell]]]:
    """The sheet after one undisturbed run on what the person left."""
    emulator = sheet(EDITS[edit] if edit else None)
    run_once(open_book(emulator), as_of=AS_OF)
    return grids(emulator)


def person_cells(emulator: SheetsEmulator, template: dict[str, list[list[Cell]]]
                 ) -> dict[tuple[str, int, int], Cell]:
    """Every filled cell of the tabs and columns people own (the template's columns)."""
    found: dict[tuple[str, int, int], Cell] = {}
    for title in PERSON_TABS:
        width = len(template[title][0]) if template[title] else 0
        for r, row in enumerate(emulator.grid(title), start=1):
            for c, value in enumerate(row[:width], start=1):
                if value not in (None, ""):
                    found[(title, r, c)] = value
    return found


def assert_person_cells_kept(emulator: SheetsEmulator, person_left: SheetsEmulator,
                             template: dict[str, list[list[Cell]]]) -> None:
    """Each cell the person left is there, unchanged, and nothing else was written into
    their columns but IDs into blank ID cells."""
    mine, theirs = person_cells(emulator, template), person_cells(person_left, template)
    filled = {k for k in mine.keys() - theirs.keys() if k[0] == "Opportunities" and k[2] == 1}
    assert {k: v for k, v in mine.items() if k not in filled} == theirs


@pytest.fixture
def template_grids(emulator) -> dict[str, list[list[Cell]]]:
    """Grids of the template (the emulator fixture sets the endpoint the template needs)."""
    return grids(sheet())


def test_a_clean_first_run_sends_the_six_requests(template_grids):
    emulator = sheet()
    run_once(open_book(emulator), as_of=AS_OF)
    assert [c.kind for c in emulator.calls] == KINDS
    again = run_once(open_book(emulator), as_of=AS_OF)
    assert (again.report["io"]["read_requests"], again.report["io"]["write_requests"],
            again.cells_written) == (2, 0, 0)


@pytest.mark.parametrize("fault", [*FAULTS, *EDITS])
@pytest.mark.parametrize("number", range(1, len(REQUESTS) + 1),
                         ids=lambda n: f"{n}-{REQUESTS[n - 1]}")
def test_a_fault_at_any_request_loses_no_person_cell(template_grids, number, fault,
                                                      monkeypatch):
    if fault == "slow drip":
        monkeypatch.setenv("SHEETFUNNEL_RESPONSE_DEADLINE", "1.5")
    edit = EDITS.get(fault)
    emulator = sheet()
    emulator.at_request(number, FAULTS.get(fault) or edit)
    try:
        run_once(open_book(emulator), as_of=AS_OF)
    except WorkbookUnreachable:
        assert fault in UNFINISHED and KINDS[number - 1] != "values.batchGet"
        run_once(open_book(emulator), as_of=AS_OF)
    answered = [c.kind for c in emulator.calls if c.status == 200]
    assert answered.count("values.batchUpdate") <= 2  # the values write, at most one repair

    assert_person_cells_kept(emulator, sheet(edit), template_grids)
    expected = clean_run(fault if edit else None)
    if edit and number > REQUESTS.index("read") + 1:
        run_once(open_book(emulator), as_of=AS_OF)  # the edit came after the read
    ended = grids(emulator)
    assert {t: g for t, g in ended.items() if t not in WORKER_TABS} == \
        {t: g for t, g in expected.items() if t not in WORKER_TABS}


def test_a_structure_batch_whose_answer_was_lost_is_not_applied_twice(template_grids):
    emulator = sheet()

    def answer_lost(call: Call) -> None:
        if call.kind == "batchUpdate":
            emulator.hooks.remove(answer_lost)
            raise requests.ConnectionError("Connection reset by peer (emulated)")
    emulator.hooks.append(answer_lost)
    result = run_once(open_book(emulator), as_of=AS_OF)
    summary, opportunities = emulator.sheet("Summary"), emulator.sheet("Opportunities")
    assert len(summary.charts) == 1 and len(opportunities.protected) == 1
    assert grids(emulator) == clean_run(None) and result.cells_written > 0
    # the retry is refused whole (its token exists); the token, read back, says it landed
    assert [c.kind for c in emulator.calls][:5] == [
        "get", "values.batchGet", "batchUpdate", "batchUpdate", "get"]
    assert emulator.calls[3].status == 400
