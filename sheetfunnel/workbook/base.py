"""The contract every backend keeps: read every tab as grids, apply a WritePlan.

Both backends behave the same: the same Snapshot and the same WritePlan give the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sheetfunnel.grid import Grid
from sheetfunnel.plan import IOStats, WritePlan


@dataclass(frozen=True)
class Snapshot:
    """Every tab's values as read, in tab order.

    Values are what a person sees: for a formula cell, its last computed value. ``hidden`` names
    the tabs that are hidden from people (the worker's own ``_sheetfunnel`` state tab).
    """

    tabs: dict[str, Grid]
    hidden: frozenset[str] = field(default_factory=frozenset)

    def find(self, title: str) -> Grid | None:
        return self.tabs.get(title)


class Workbook(Protocol):
    """A spreadsheet the worker can read whole and write to in one go."""

    #: Shown to people: a file path or a spreadsheet's title and key.
    name: str
    #: Requests and cells, counted while the backend works.
    io: IOStats

    def read(self) -> Snapshot:
        """All tabs, in one pass (one batched request for Google Sheets)."""
        ...

    def apply(self, plan: WritePlan) -> None:
        """Carry out the plan: create tabs, write cells, bring looks to the desired state.

        Nothing is sent or saved when the plan has no cells, no missing tabs and the looks are
        already in place. Raises a WorkbookError subclass; a failed apply leaves the workbook
        as it was (xlsx) or repairable by the next run (Google Sheets).
        """
        ...
