"""The library: everything the ``sheetfunnel`` command does, a Python caller does with the same
names — open a workbook, ``init`` it, ``check`` its Config, ``run`` on it.

Errors are the typed tree in ``errors.py``; their sentences name tabs and cells, never a
command-line option (the CLI adds those).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sheetfunnel.changes import PlannedChanges, planned_changes
from sheetfunnel.errors import DateOutOfRange, Problem
from sheetfunnel.grid import Grid
from sheetfunnel.plan import WritePlan
from sheetfunnel.values import FIRST_DATE, LAST_DATE
from sheetfunnel.workbook.base import Workbook

if TYPE_CHECKING:
    from sheetfunnel import runner as run_module

Target = str | os.PathLike[str]
#: File endings a string names a local workbook by; any other string is a Google Sheet.
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class RunResult:
    """What one run did: counts, flags, cells written, problems, and the JSON report."""

    workbook: str
    as_of: dt.date
    counts: Mapping[str, int]
    flags: Mapping[str, int]
    cells_written: int
    problems: tuple[Problem, ...]
    #: ``ok``, ``broken, using last good`` or ``broken, no good config``.
    config_status: str
    report: dict[str, Any]
    #: The cells, tabs and looks the run wrote (or, on a dry run, would have written).
    plan: WritePlan
    titles: Mapping[str, str | None]
    dry_run: bool
    #: how many deals found their customer in the Customers tab (None without that tab)
    joins: str | None = None
    #: The grids the run read, before it wrote.
    before: Mapping[str, Grid] = field(default_factory=dict, repr=False)
    #: The run stopped after reading: nothing had changed since the last run (spec §7).
    quiet: bool = False

    def changes(self, first: int = 3) -> PlannedChanges:
        """What the plan changes (or, on a dry run, would change), per tab and column, with
        the first ``first`` cells of each as ID, old and new value."""
        return planned_changes(self.plan, self.before, first)

    @property
    def ok(self) -> bool:
        """The Config tabs were read cleanly (flags on rows are not errors)."""
        from sheetfunnel.load import STATUS_OK

        return self.config_status == STATUS_OK

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def notifications(self) -> dict[str, Any] | None:
        """What ``notify`` sent and what failed (None when the run notified no one)."""
        return None if self.quiet else self.report.get("notifications")


class _RunnerResult(RunResult):
    """A run's result whose report is the runner's, made only when read (``--report``), once:
    a full run's per-deal list is made then; a run that stopped after reading is judged then,
    its report being what a full run would have reported."""

    _run: run_module.RunResult

    def __init__(self, run: run_module.RunResult, **fields: Any) -> None:
        object.__setattr__(self, "_run", run)
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    report = property(lambda self: self._run.report)  # type: ignore[assignment]
    notifications = property(lambda self: self._run.notifications)  # type: ignore[assignment]


@dataclass(frozen=True)
class CheckResult:
    """The problems ``check`` found in the Config tabs, the columns and the worker's tabs."""

    problems: tuple[Problem, ...]
    config_status: str
    #: how many deals found their customer in the Customers tab (None without that tab)
    joins: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def is_google_sheet(target: Target) -> bool:
    """A path object is a file; a string is a Google Sheet unless it ends like a workbook file
    (``pipeline.xlsx``), so that both a sheet's address and its bare key open it."""
    if not isinstance(target, str):
        return False
    text = target.strip()
    return "://" in text or not text.lower().endswith(XLSX_SUFFIXES)


def open_workbook(path_or_url: Target, credentials: Target | None = None) -> Workbook:
    """The workbook at a local .xlsx path or a Google Sheet's address or key. Nothing is read
    yet. A Google Sheet's credentials come from ``credentials`` (a JSON key file) or
    GOOGLE_APPLICATION_CREDENTIALS; CredentialsMissing when neither is there."""
    if is_google_sheet(path_or_url):
        from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook

        return GoogleSheetsWorkbook.open(str(path_or_url), credentials_file=str(credentials)
                                         if credentials else None)
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    return XlsxWorkbook(path_or_url)


def init(path_or_url: Target, *, credentials: Target | None = None, lang: str = "en",
         demo: bool = False, force: bool = False, as_of: dt.date | None = None) -> Workbook:
    """Create a starter workbook (``force`` overwrites a file), or add the missing tabs to an
    existing Google Sheet; ``demo`` fills it with a demo pipeline dated around ``as_of``."""
    from sheetfunnel.init_plan import init_plan
    from sheetfunnel.workbook.base import only

    day = in_range(as_of or dt.date.today())
    if is_google_sheet(path_or_url):
        sheet = open_workbook(path_or_url, credentials)
        sheet.apply(init_plan(lang, demo=demo, as_of=day, existing=sheet.read(only())))
        return sheet
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    workbook = XlsxWorkbook.create(path_or_url, overwrite=force)
    workbook.apply(init_plan(lang, demo=demo, as_of=day))
    return workbook


def run(workbook: Workbook, as_of: dt.date | dt.datetime | None = None, dry_run: bool = False,
        config: Target | None = None, *,
        step: Callable[[str], None] | None = None, notify: Any = None) -> RunResult:
    """Judge every opportunity as of ``as_of`` (default: now) and write back what changed.

    "Today" and "now" are the team's: the Settings timezone's wall clock. A day is its start;
    a naive date-time is wall-clock time in the Settings timezone; an aware one is turned into
    it. ``config`` is a TOML file whose
    sections replace the matching Config tabs. The run holds the lock file beside a local
    workbook (WorkbookLocked while a watcher holds it) and refuses a Google Sheet whose lease
    another watcher holds; ``dry_run`` writes nothing and plans everything. ``step`` hears
    each stage's name, for a progress line. ``notify`` (a sheetfunnel.notify.hook.Notifier)
    builds and sends the digests after the write; the report gains ``notifications``.
    """
    from sheetfunnel.locks import held_for_one_run
    from sheetfunnel.runner import run_once

    config_file = Path(config) if config is not None else None
    if as_of is not None:  # before the workbook is read: a mistyped day fails fast
        in_range(as_of.date() if isinstance(as_of, dt.datetime) else as_of)
    with held_for_one_run(workbook, dry_run=dry_run):
        result = run_once(workbook, as_of=as_of, dry_run=dry_run, config_file=config_file,
                          step=step or (lambda _: None), notify=notify)
    return _result(result, workbook.name, dry_run)


def notify(workbook: Workbook, notifier: Any, as_of: dt.date | dt.datetime | None = None,
           config: Target | None = None) -> RunResult:
    """Judge the workbook and build every digest due (``notifier.send``: send them and write
    the delivery ledger, under the lock like ``run``); no other cell is written."""
    from sheetfunnel.locks import held_for_one_run
    from sheetfunnel.runner import run_once

    config_file = Path(config) if config is not None else None
    if as_of is not None:  # before the workbook is read: a mistyped day fails fast
        in_range(as_of.date() if isinstance(as_of, dt.datetime) else as_of)
    with held_for_one_run(workbook, dry_run=not notifier.send):
        result = run_once(workbook, as_of=as_of, dry_run=True, config_file=config_file,
                          notify=notifier)
    return _result(result, workbook.name, True)


def check(workbook: Workbook, config: Target | None = None) -> CheckResult:
    """Validate the Config tabs, the columns and the worker's tabs; write nothing."""
    from sheetfunnel.runner import check as check_workbook

    loaded = check_workbook(workbook, config_file=Path(config) if config is not None else None)
    return CheckResult(tuple(loaded.problems), loaded.config_status, loaded.join_sentence)


def in_range(day: dt.date) -> dt.date:
    """``day``, or DateOutOfRange when it lies outside the dates sheetfunnel reads."""
    if not FIRST_DATE <= day <= LAST_DATE:
        raise DateOutOfRange(day, FIRST_DATE, LAST_DATE)
    return day


def _result(result: run_module.RunResult, name: str, dry_run: bool) -> RunResult:
    if result.quiet:  # told from the key, without judging; the report is made if asked for
        kept = result.kept  # type: ignore[attr-defined]
        return _RunnerResult(
            result, workbook=name, as_of=result.as_of,  # type: ignore[attr-defined]
            counts=dict(kept.counts), flags=dict(kept.flags), cells_written=0,
            problems=tuple(result.problems), config_status=result.config_status,
            plan=result.plan, titles=dict(result.titles), dry_run=dry_run,
            before=result.before, joins=result.joins, quiet=True)
    brief = result.brief
    return _RunnerResult(
        result, workbook=name, as_of=dt.date.fromisoformat(brief["as_of"]),
        counts=dict(brief["counts"]), flags=dict(brief.get("flags", {})),
        cells_written=result.cells_written, problems=tuple(result.problems),
        config_status=result.config_status, plan=result.plan, titles=dict(result.titles),
        dry_run=dry_run, before=result.before, joins=result.joins)
