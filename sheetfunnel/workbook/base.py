"""The contract every backend keeps: read the tabs asked for as grids, apply a WritePlan.

Both backends behave the same: the same Snapshot and the same WritePlan give the same cells.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sheetfunnel.errors import Problem
from sheetfunnel.grid import Grid
from sheetfunnel.plan import IOStats, WritePlan
from sheetfunnel.words.problems import say

#: Google's limit of cells (rows x columns, used or not) in one spreadsheet, all tabs together.
CELL_LIMIT = 10_000_000
#: Past this share of the limit the Summary and the report warn.
CELL_WARNING = 0.8

#: Which tabs to read, given every tab's title, the grids read so far and each tab's id (see
#: ``Snapshot.ids``). A backend asks again after each read, until nothing new is wanted (a
#: Settings tab read in the first pass can name a tab to read in the second).
Selector = Callable[[Sequence[str], Mapping[str, Grid], Mapping[str, str]], Collection[str]]


def every_tab(titles: Sequence[str], grids: Mapping[str, Grid],
              ids: Mapping[str, str]) -> Collection[str]:
    return titles


def only(*wanted: str) -> Selector:
    """These tabs, where they exist; ``only()`` reads no values at all, just the titles."""
    return lambda titles, grids, ids: wanted


def new_tab_id(title: str, taken: Collection[str]) -> str:
    """An id for a tab about to be made, none of ``taken``: digits, so that Google Sheets can
    take it as the sheetId and an .xlsx file can carry it in a name."""
    number = zlib.crc32(title.encode()) & 0x7FFFFFFF
    while str(number) in taken:
        number = (number + 1) & 0x7FFFFFFF
    return str(number)


#: Passes a backend may make; a Selector settles in two.
MAX_PASSES = 3


def read_selected(titles: Sequence[str], select: Selector,
                  read: Callable[[list[str]], Mapping[str, Grid]],
                  ids: Mapping[str, str] | None = None) -> dict[str, Grid]:
    """Grids of the tabs ``select`` wants, in tab order: ``read`` is called once per pass
    with the titles still to read."""
    grids: dict[str, Grid] = {}
    for _ in range(MAX_PASSES):
        wanted = set(select(titles, grids, ids or {}))
        todo = [title for title in titles if title in wanted and title not in grids]
        if not todo:
            break
        grids.update(read(todo))
    return {title: grids[title] for title in titles if title in grids}


@dataclass(frozen=True)
class Snapshot:
    """The values of the tabs read, in tab order, and the title of every tab.

    Values are what a person sees: for a formula cell, its last computed value. ``hidden`` names
    the tabs that are hidden from people (the worker's own ``_sheetfunnel`` state tab).
    ``titles`` lists every tab, read or not (all of ``tabs`` when not given). ``ids`` gives a
    tab's stable id, which stays when people rename or move the tab: every tab's sheetId in a
    Google Sheet; in an .xlsx file only the tabs the worker marked (``TabSpec.tab_id``).
    ``cells`` counts the grid cells of every tab where a limit applies to them (a Google
    Sheet), else 0.
    """

    tabs: dict[str, Grid]
    hidden: frozenset[str] = field(default_factory=frozenset)
    titles: tuple[str, ...] = ()
    ids: Mapping[str, str] = field(default_factory=dict)
    cells: int = 0

    def __post_init__(self) -> None:
        if not self.titles:
            object.__setattr__(self, "titles", tuple(self.tabs))

    def find(self, title: str) -> Grid | None:
        return self.tabs.get(title)


def cell_limit_problems(cells: int, lang: str = "en") -> tuple[Problem, ...]:
    """A warning (in ``lang``) when the spreadsheet, as the run leaves it (``cells``: rows x
    columns of every tab once the plan is applied), is past 80 % of Google's cell limit: near
    it, a run that needs more rows is refused (nothing written) until cells are freed."""
    if cells <= CELL_WARNING * CELL_LIMIT:
        return ()
    return (Problem(say(lang, "cell_limit.where"), say(
        lang, "cell_limit", cells=f"{cells:,}", share=f"{cells / CELL_LIMIT:.0%}",
        limit=f"{CELL_LIMIT:,}"), "warning"),)


class Workbook(Protocol):
    """A spreadsheet the worker can read whole and write to in one go."""

    #: Shown to people: a file path or a spreadsheet's title and key.
    name: str
    #: Requests and cells, counted while the backend works.
    io: IOStats

    def read(self, select: Selector = every_tab) -> Snapshot:
        """The tabs ``select`` asks for (one batched request per pass for Google Sheets); tabs
        nobody asked for are never read."""
        ...

    def formulas(self, titles: Sequence[str]) -> dict[str, dict[tuple[int, int], str]]:
        """The text (``= 完全匹配``) of the formula cells of the tabs ``titles``, read after
        ``read``, by (row, column): Config cells are read as typed, never evaluated. A Google
        Sheet asks (one request) only when one of those tabs shows a formula's error."""
        ...

    def apply(self, plan: WritePlan) -> None:
        """Carry out the plan: create tabs, write cells, bring looks to the desired state.

        Nothing is sent or saved when the plan has no cells, no missing tabs and the looks are
        already in place. Raises a WorkbookError subclass; a failed apply leaves the workbook
        as it was (xlsx) or repairable by the next run (Google Sheets).
        """
        ...
