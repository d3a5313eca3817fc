"""The local workbook: an .xlsx file read with a native reader and written by package editing.

``read`` reads the tabs a run needs as a person sees them, with python-calamine (see
``xlsx_read.py``). ``apply`` edits the file's package (see ``xlsx_writer.py``): only the parts
with the worker's cells and looks are written anew, every other part is copied byte for byte,
and a person's cells, formulas (with their last values), comments, pictures and charts stay as
they were. The save goes through ``xlsx_save.py``: atomic, the previous file kept as
``NAME.xlsx.bak`` (kept as it is by a save of the worker's bookkeeping only, ``keep_backup``),
a full disk or a kill costing nothing. Nothing is saved when the plan
changes nothing, and nothing is saved over a file someone saved while the run was under way.

The tabs the worker marked (``TabSpec.tab_id``) carry a name scoped to the tab,
``sheetfunnel_<id>`` (see ``xlsx_names.py``); ``read`` gives them as ``Snapshot.ids``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

from sheetfunnel.bulk import no_cyclic_gc
from sheetfunnel.errors import WorkbookError, WorkbookNotFound, WorkbookUnreadable
from sheetfunnel.grid import Cell, Grid
from sheetfunnel.plan import IOStats, WritePlan
from sheetfunnel.workbook.base import Selector, Snapshot, every_tab
from sheetfunnel.workbook.xlsx_package import Package
from sheetfunnel.workbook.xlsx_read import read_formulas, read_snapshot
from sheetfunnel.workbook.xlsx_save import (
    Stamp,
    changed_meanwhile,
    not_writable,
    save_file,
    stamp,
)
from sheetfunnel.workbook.xlsx_sheet import Known
from sheetfunnel.workbook.xlsx_writer import carry_out


class XlsxWorkbook:
    """A local .xlsx file as a Workbook (see ``workbook/base.py``)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.name = str(self.path)
        self.io = IOStats()
        self._seen: Stamp | None = None  # the file as it was when read
        self._grids: dict[str, Grid] = {}  # the tabs as they were when read
        self._fresh = False  # made by create(): start from an empty workbook

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, overwrite: bool = False) -> XlsxWorkbook:
        """A new workbook at ``path``, written by the first ``apply``."""
        workbook = cls(path)
        target = workbook.path
        if target.suffix.lower() != ".xlsx":
            raise WorkbookError(f"{target} does not end in .xlsx. Give the new workbook a name "
                                "like pipeline.xlsx.")
        if target.exists() and not overwrite:
            raise WorkbookError(f"{target} already exists. Choose another file name, or use "
                                f"--force to replace it (the old file is kept as {target.name}"
                                ".bak).")
        if not target.parent.is_dir():
            raise WorkbookNotFound(f"The folder {target.parent} does not exist. Create it "
                                   "first, or choose another place for the workbook.")
        workbook._fresh = True
        return workbook

    def read(self, select: Selector = every_tab) -> Snapshot:
        """The selected tabs' values, formulas shown as their last computed values."""
        seen = self._stamp()
        with no_cyclic_gc():
            snapshot = read_snapshot(self.path, select, self._unreadable)
        self._seen, self._grids = seen, snapshot.tabs
        return snapshot

    def formulas(self, titles: Sequence[str]) -> dict[str, dict[tuple[int, int], str]]:
        """The formula text of the tabs ``titles`` (see the Workbook protocol)."""
        try:
            return read_formulas(self.path, titles)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise self._unreadable(exc) from exc

    def apply(self, plan: WritePlan) -> None:
        """Carry out ``plan``; save (atomically, with a .bak) only when something changed."""
        with no_cyclic_gc():
            self._apply(plan)

    def _apply(self, plan: WritePlan) -> None:
        source = None if self._fresh else self._open()
        try:
            try:
                outcome = carry_out(source, plan, folder=self.path.parent, known=self._known)
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                raise self._unreadable(exc) from exc
            except OSError as exc:
                raise not_writable(self.path, exc) from exc
            try:
                if not outcome.changed or (self._fresh and not outcome.tabs_added):
                    return
                self._seen = save_file(self.path, outcome.writer.write,
                                       seen=None if self._fresh else self._seen,
                                       keep_backup=plan.keep_backup)
            finally:
                outcome.writer.close()
        finally:
            if source is not None:
                source.close()
        self._fresh, self._grids = False, {}
        self.io.cells_written += outcome.cells_written

    # -- files ------------------------------------------------------------------------------

    def _stamp(self) -> Stamp:
        return stamp(self.path)

    def _open(self) -> Package:
        """The file's package, after checking nobody saved it since it was read."""
        if self._seen is not None and self._stamp() != self._seen:
            raise changed_meanwhile(self.path)
        if self._seen is None:  # written without a read: nobody may save from here on
            self._seen, self._grids = self._stamp(), {}
        try:
            return Package.open(self.path)
        except FileNotFoundError:
            raise WorkbookNotFound(f"There is no workbook at {self.path}. Check the path, or "
                                   f"create one with: sheetfunnel init {self.path}") from None
        except OSError as exc:
            raise not_writable(self.path, exc) from exc
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise self._unreadable(exc) from exc

    def _known(self, tab: str) -> Known | None:
        """The values of ``tab`` as read, for telling which writes change a cell."""
        grid = self._grids.get(tab)
        if grid is None:
            return None

        def known(row: int, col: int) -> tuple[bool, Cell]:
            cells = grid[row - 1] if row <= len(grid) else []
            return True, cells[col - 1] if col <= len(cells) else None
        return known

    def _unreadable(self, exc: Exception) -> WorkbookUnreadable:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        return WorkbookUnreadable(f"{self.path} is not an Excel workbook sheetfunnel can read "
                                  f"({reason}). Open it in Excel or LibreOffice and save it as "
                                  "an .xlsx workbook.")
