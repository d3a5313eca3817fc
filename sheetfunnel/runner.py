"""One run: read the workbook, judge every opportunity, write back only what changed.

The only module that knows both the pure core and the backends. It holds no computation of its
own: read inputs (each tab parsed once) -> judge (evaluate and summarise: one pure Outcome)
-> plan writes (render each owned tab, diff) -> apply. Every output is made from the Outcome.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd

from sheetfunnel import diff, quiet, render, schema
from sheetfunnel.bulk import no_cyclic_gc
from sheetfunnel.config import Config, sections_from_toml
from sheetfunnel.config.sections import told_again
from sheetfunnel.config.targets import parse_targets
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.fields import Fields
from sheetfunnel.engine.insights import Insights, insights
from sheetfunnel.engine.joins import check_joins
from sheetfunnel.engine.learn import Learned, learn, model_in_use, with_model
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.engine.pipeline import daily_weighted
from sheetfunnel.engine.review import Review, weekly_review
from sheetfunnel.engine.targets import Attainment, attainments
from sheetfunnel.engine.velocity import stays
from sheetfunnel.errors import ConfigError, Problem
from sheetfunnel.follow import row_key
from sheetfunnel.grid import Cell, Grid, with_formulas
from sheetfunnel.learning_report import learning_sections
from sheetfunnel.lease import check_lease
from sheetfunnel.load import WorkbookModel, load_workbook_model, tabs_needed
from sheetfunnel.locks import lost_race, utc_now
from sheetfunnel.owned_tabs import OwnedTab, place_owned_tabs
from sheetfunnel.plan import (
    CellWrite,
    IOStats,
    Looks,
    PrintSetup,
    RowKeys,
    TabSpec,
    WritePlan,
    grid_widths,
)
from sheetfunnel.report import io_section, problems_only_report, report_brief, with_opportunities
from sheetfunnel.resources import data_path
from sheetfunnel.review_report import review_sections
from sheetfunnel.summary import RunHeader, Summary, summarize
from sheetfunnel.tabs.attention import attention_grid
from sheetfunnel.tabs.history import (
    history_cells,
    history_looks,
    read_snapshots,
    read_stage_changes,
)
from sheetfunnel.tabs.insights import render_insights
from sheetfunnel.tabs.review import render_review
from sheetfunnel.tabs.state import (
    STATE_TAB,
    State,
    column_digest,
    fingerprint,
    grid_digests,
    read_state,
    state_cells,
    tab_cells,
)
from sheetfunnel.tabs.summary import render_problems_only, render_summary
from sheetfunnel.team_time import AsOf, local_now, team_zone
from sheetfunnel.words import Words, words_for
from sheetfunnel.workbook.base import Snapshot, Workbook, cell_limit_problems

log = logging.getLogger(__name__)

Step = Callable[[str], None]
#: The notification step (sheetfunnel.notify.hook.Notifier): workbook, snapshot, titles,
#: evaluation, headline KPIs, language, next steps by row, timezone, the run's moment (the
#: team's wall-clock time, naive) -> ``notifications``.
Notify = Callable[[Workbook, Snapshot, Mapping[str, str | None], Evaluation,
                   Mapping[str, object], str, Mapping[int, str], str, dt.datetime],
                  dict[str, Any]]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced; the CLI prints it, the watcher logs it."""

    #: The report but for its per-deal ``opportunities`` (``report`` adds them when read).
    brief: dict[str, Any]
    plan: WritePlan
    config_status: str
    problems: tuple[Problem, ...]
    evaluation: Evaluation | None = None
    summary: Summary | None = None
    titles: Mapping[str, str | None] = field(default_factory=dict)
    #: The grids the run read, for telling what the plan changes (``changes.py``).
    before: Mapping[str, Grid] = field(default_factory=dict, repr=False)
    #: how many deals found their customer in the Customers tab (None without that tab)
    joins: str | None = None

    @cached_property
    def report(self) -> dict[str, Any]:
        """The JSON report (spec §5), its per-deal list made the first time it is read."""
        if self.evaluation is None:
            return self.brief
        return with_opportunities(self.brief, self.evaluation)

    @property
    def rows(self) -> int:
        return int(self.brief["counts"]["opportunities"])

    @property
    def cells_written(self) -> int:
        return int(self.brief["io"]["cells_written"])

    @property
    def notifications(self) -> dict[str, Any] | None:
        return self.brief.get("notifications")

    @property
    def io(self) -> dict[str, Any]:
        """The report's ``io`` (a run that stopped after reading has it without judging)."""
        return dict(self.brief["io"])

    @property
    def quiet(self) -> bool:
        """Whether the run stopped after reading (quiet.py): nothing had changed."""
        return False


class QuietResult(RunResult):
    """A run that stopped after reading because nothing had changed. It wrote nothing; its
    report, evaluation, Summary and problems (the same as a full run's) are judged only when
    asked for, once."""

    _judged: Callable[[], RunResult]
    _full: RunResult | None
    _io: dict[str, Any]
    #: what the last full run told (its counts, flags' totals and join sentence)
    kept: quiet.Kept
    as_of: dt.date

    def __init__(self, judged: Callable[[], RunResult], *, kept: quiet.Kept, as_of: dt.date,
                 config_status: str, problems: tuple[Problem, ...],
                 titles: Mapping[str, str | None], before: Mapping[str, Grid],
                 io: dict[str, Any]) -> None:
        for name, value in (("_judged", judged), ("_full", None), ("kept", kept),
                            ("as_of", as_of), ("_io", io), ("problems", problems),
                            ("joins", kept.joins), ("config_status", config_status),
                            ("titles", titles), ("before", before),
                            ("plan", WritePlan((), (), Looks(), diffed=True))):
            object.__setattr__(self, name, value)

    def _result(self) -> RunResult:
        full = self._full
        if full is None:
            full = self._judged()
            object.__setattr__(self, "_full", full)
        return full

    report = property(lambda self: self._result().report)  # type: ignore[assignment]
    evaluation = property(lambda self: self._result().evaluation)  # type: ignore[assignment]
    summary = property(lambda self: self._result().summary)  # type: ignore[assignment]

    @property
    def rows(self) -> int:
        return int(self.kept.counts.get("opportunities", 0))

    @property
    def cells_written(self) -> int:
        return 0

    @property
    def io(self) -> dict[str, Any]:
        return dict(self._io)

    @property
    def notifications(self) -> dict[str, Any] | None:
        return None

    @property
    def quiet(self) -> bool:
        return True


def default_sections() -> dict:
    path = data_path("config", "default.toml")
    return sections_from_toml(path.read_text(encoding="utf-8"), "default.toml")


def override_sections(path: Path | None, lang: str = "en") -> dict | None:
    """Sections of a ``--config FILE.toml``, its own problems said in ``lang``; a TOML mistake
    is a ConfigError naming the line."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"The config file cannot be read ({exc.strerror}). "
                                   "Check the path given to --config.")]) from exc
    return sections_from_toml(text, path.name, lang)


Owned = dict[str, OwnedTab]


def _whole_tab(title: str, snapshot: Snapshot, desired: Grid) -> list[CellWrite]:
    return diff.diff_whole_tab(title, snapshot.find(title), desired)


@dataclass(frozen=True)
class Inputs:
    """Everything a run reads, each tab parsed once: the snapshot (for the diffs), the model of
    the workbook, the state tab, the worker's tabs, the words of the workbook's language, the
    stage changes History records and its snapshots (tabs.history.read_snapshots)."""

    snapshot: Snapshot
    model: WorkbookModel
    state: State
    owned: Owned
    words: Words
    history: pd.DataFrame
    snapshots: pd.DataFrame | None = None

    @cached_property
    def fingerprint(self) -> str:
        """The fingerprint of the people's data as read (``_data_fingerprint``), made once:
        the quiet check compares it and the state keeps it (with the IDs the run fills in)."""
        return _data_fingerprint(self, {})

    @cached_property
    def digests(self) -> tuple[dict[str, bytes], list[list[bytes]]]:
        """The digest of each Opportunities column people type (its header above its values,
        as read) and of the columns of each tab the run judges by (Activities, the Config
        tabs, Targets), made once: the fingerprint with the IDs a run fills in makes only
        the ID column's again."""
        model = self.model
        frame = model.opportunities.table.frame
        owned = {h for r, h in model.opportunities.roles.items()
                 if r in schema.OWNED_COLUMNS["opportunities"] + schema.MODEL_COLUMNS}
        typed = {header: column_digest(str(header), frame[header].tolist())
                 for header in frame.columns if header not in owned}
        titles = [model.titles.get(role) for role in ("activities", *schema.CONFIG_TABS,
                                                      "targets")]  # Targets: Summary, Review
        return typed, [grid_digests(self.snapshot.tabs[title]) for title in titles if title]


@dataclass(frozen=True)
class Outcome:
    """The pure result of judging a workbook: every output (cells, report) is made from it."""

    evaluation: Evaluation
    summary: Summary
    state: State
    learned: Learned | None = None
    insights: Insights | None = None
    #: whether the Insights tab is written (history past the gate, a setting asks, or it exists)
    show_insights: bool = False
    review: Review | None = None
    targets: tuple[Attainment, ...] = ()
    #: whether the Review tab is written (targets, two weeks of History, or it exists)
    show_review: bool = False


def run_once(workbook: Workbook, *, as_of: AsOf = None, dry_run: bool = False,
             config_file: Path | None = None, step: Step = lambda _: None,
             clock: Callable[[], float] = time.perf_counter, writer: str | None = None,
             now: Callable[[], dt.datetime] = utc_now,
             notify: Notify | None = None) -> RunResult:
    """Read inputs -> evaluate -> plan writes -> apply. ``as_of`` (a day, a date-time, or None
    for ``now()``) is turned into the team's wall-clock time by the Settings timezone: its date
    is "today" for every date rule.

    A workbook whose lease (``_sheetfunnel`` row 2) a watcher other than ``writer`` holds is
    refused with WorkbookLocked before anything is written, and so is a write that failed
    because a watcher took the workbook while this run worked; a Settings row or a tab that
    would have the worker write into a tab it does not own is a FatalConfigError.
    ``notify`` (sheetfunnel.notify.hook.Notifier) runs after the write; the report gains
    ``notifications``.
    """
    with no_cyclic_gc():
        return _run_once(workbook, as_of=as_of, dry_run=dry_run, config_file=config_file,
                         step=step, clock=clock, writer=writer, now=now, notify=notify)


def _run_once(workbook: Workbook, *, as_of: AsOf, dry_run: bool, config_file: Path | None,
              step: Step, clock: Callable[[], float], writer: str | None,
              now: Callable[[], dt.datetime], notify: Notify | None) -> RunResult:
    started, io_before = clock(), dataclasses.replace(workbook.io)
    step("Reading the workbook")
    inputs = _read(workbook, config_file)
    if not dry_run:
        check_lease(inputs.snapshot.find(STATE_TAB), writer, now())
    model = inputs.model
    moment = local_now(as_of, team_zone(model.config.settings.timezone if model.config else ""),
                       now())
    if model.config is None:
        return _problems_only(workbook, inputs, moment.date(), dry_run,
                              lambda: (clock() - started, workbook.io.since(io_before)))
    config_digest = quiet.config_file_digest(
        config_file.read_text(encoding="utf-8") if config_file is not None else None)
    kept = None if notify is not None else _unchanged(inputs, moment, config_digest)
    config = model.config
    if kept is not None:
        io, seconds = workbook.io.since(io_before), clock() - started
        step("Nothing changed since the last run")
        return QuietResult(lambda: _judged(workbook, inputs, config, moment, io, seconds),
                           kept=kept, as_of=moment.date(), config_status=model.config_status,
                           problems=kept.problems, titles=model.titles,
                           before=inputs.snapshot.tabs, io=io_section(io, seconds))

    step("Judging opportunities")
    outcome = judge(inputs, model.config, moment)

    step("Planning writes")
    plan = plan_writes(inputs, model.config, outcome)
    outcome, plan = _near_cell_limit(workbook, inputs, model.config, outcome, plan)
    plan = _with_key(inputs, model.config, outcome, plan, moment, config_digest)
    if not dry_run:
        step(f"Writing {len(plan.cells)} changed cells")
        with lost_race(workbook, writer, now):
            workbook.apply(plan)
    notified = None
    if notify is not None:
        step("Notifying")
        notified = notify(workbook, inputs.snapshot, model.titles, outcome.evaluation,
                          outcome.summary.kpis, model.lang, _next_steps(model),
                          model.config.settings.timezone, moment)
    brief = report_brief(outcome.summary, outcome.evaluation, io=workbook.io.since(io_before),
                         seconds=clock() - started, extra=_learning(outcome, model))
    if notified is not None:
        brief["notifications"] = notified
    return RunResult(brief, plan, model.config_status, outcome.summary.header.problems,
                     outcome.evaluation, outcome.summary, model.titles, inputs.snapshot.tabs,
                     _joins_sentence(outcome, model))


def _judged(workbook: Workbook, inputs: Inputs, config: Config, moment: dt.datetime,
            io: IOStats, seconds: float) -> RunResult:
    """What a full run would have reported on a workbook where nothing changed (it writes
    nothing, so its report is the same but for the time, which is the quiet run's)."""
    model = inputs.model
    outcome = judge(inputs, config, moment)
    plan = plan_writes(inputs, config, outcome)
    outcome, plan = _near_cell_limit(workbook, inputs, config, outcome, plan)
    brief = report_brief(outcome.summary, outcome.evaluation, io=io, seconds=seconds,
                         extra=_learning(outcome, model))
    return RunResult(brief, plan, model.config_status, outcome.summary.header.problems,
                     outcome.evaluation, outcome.summary, model.titles, inputs.snapshot.tabs,
                     _joins_sentence(outcome, model))


def _joins_sentence(outcome: Outcome, model: WorkbookModel) -> str | None:
    """How many deals found their customer (None without a Customers tab or deals)."""
    return dataclasses.replace(model, joins=outcome.evaluation.joins).join_sentence


def _regions(inputs: Inputs) -> list[quiet.Region]:
    """The cells the worker owns: its columns of Opportunities (with those whose header a
    plan adds), the Customers tab (its own columns and the data beside them, which the data
    fingerprint leaves out), its tabs, and the state tab but for the lease and the key."""
    model = inputs.model
    regions = []
    opportunities = model.opportunities
    title = opportunities.table.tab
    owned_roles = schema.OWNED_COLUMNS["opportunities"] + schema.MODEL_COLUMNS
    columns = {opportunities.table.columns[header] for role, header in
               opportunities.roles.items()
               if role in owned_roles and header in opportunities.table.columns}
    regions.append(quiet.Region(title, tuple(sorted(columns)), headed=True))
    if model.customers is not None:
        regions.append(quiet.Region(model.customers.table.tab))
    for role, tab in inputs.owned.items():
        if role != "state":
            regions.append(quiet.Region(tab.title))
    # the state's own columns (A:K): the delivery ledger right of them is notify's, written
    # after the plan
    regions.append(quiet.Region(STATE_TAB, tuple(range(1, quiet.STATE_COLUMNS + 1)),
                                skip=quiet.LEASE | {quiet.KEY_CELL}))
    return regions


def _unchanged(inputs: Inputs, moment: dt.datetime, config_digest: str) -> quiet.Kept | None:
    """What the last run told when the workbook is as that run left it (quiet.py), else
    None."""
    from sheetfunnel.load import STATUS_OK
    state = inputs.state
    if inputs.model.config_status != STATUS_OK or state.fingerprint is None:
        return None
    ids = inputs.snapshot.ids
    if any(ids.get(tab.title) != tab.tab_id for tab in inputs.owned.values() if tab.exists):
        return None  # a tab that lost its mark (an .xlsx) is marked again by a full run
    text = _key_read(inputs)
    if not isinstance(text, str) or inputs.fingerprint != state.fingerprint:
        return None
    return quiet.still_quiet(text, moment=moment, code=_code_digest(),
                             config_file=config_digest,
                             owned=quiet.owned_digest(_regions(inputs), inputs.snapshot.tabs))


@cache
def _code_digest() -> str:
    """The installed version and the default config: another release, a full run."""
    try:
        version = metadata.version("sheetfunnel")
    except metadata.PackageNotFoundError:
        version = ""
    text = version + "\0" + data_path("config", "default.toml").read_text(encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _key_read(inputs: Inputs) -> Cell:
    grid = inputs.snapshot.find(STATE_TAB) or []
    row, col = quiet.KEY_CELL
    return grid[row - 1][col - 1] if len(grid) >= row and len(grid[row - 1]) >= col else None


def _with_key(inputs: Inputs, config: Config, outcome: Outcome, plan: WritePlan,
              moment: dt.datetime, config_digest: str) -> WritePlan:
    """``plan`` and the key a next run compares with (quiet.py), written when it differs."""
    whole = dict(plan.whole_tabs)  # a tab written whole holds its grid after the plan
    owned = quiet.owned_digest(_regions(inputs), {**inputs.snapshot.tabs, **whole},
                               plan.cells, whole=whole.keys())
    kept = quiet.Kept(dict(outcome.evaluation.counts), dict(outcome.summary.flag_totals),
                      _joins_sentence(outcome, inputs.model), outcome.summary.header.problems)
    if quiet.still_quiet(_key_read(inputs), moment=moment, code=_code_digest(),
                         config_file=config_digest, owned=owned) == kept:
        return plan  # the key kept holds for this moment: a quiet full run writes nothing
    until = quiet.holds_until(outcome.evaluation.deals, config.settings.response_hours, moment)
    text = quiet.key_text(moment=moment, until=until, code=_code_digest(),
                          config_file=config_digest, owned=owned, kept=kept)
    key = diff.diff_cells(STATE_TAB, inputs.snapshot.find(STATE_TAB), {quiet.KEY_CELL: text})
    return dataclasses.replace(plan, cells=plan.cells + tuple(key)) if key else plan


def _near_cell_limit(workbook: Workbook, inputs: Inputs, config: Config, outcome: Outcome,
                     plan: WritePlan) -> tuple[Outcome, WritePlan]:
    """The cell-limit warning is about the spreadsheet as the run leaves it (the rows and tabs
    the plan adds counted): past 80 % the Summary gains it and is planned again."""
    cells_after = getattr(workbook, "cells_after", None)  # only Google Sheets has a limit
    cells = cells_after(plan) if cells_after is not None else inputs.snapshot.cells
    warning = cell_limit_problems(cells, inputs.model.lang)
    if not warning:
        return outcome, plan
    header = outcome.summary.header
    header = dataclasses.replace(header, problems=header.problems + warning)
    outcome = dataclasses.replace(outcome, summary=summarize(outcome.evaluation, config, header))
    return outcome, plan_writes(inputs, config, outcome)


def _next_steps(model: WorkbookModel) -> dict[int, str]:
    """Each Opportunities row's Next Step as typed (for digests)."""
    column = model.opportunities.column("next_step")
    if column is None:
        return {}
    return {int(row): str(value).strip() for row, value in column.items()
            if value is not None and str(value).strip() and str(value) != "nan"}


def judge(inputs: Inputs, config: Config, moment: dt.datetime) -> Outcome:
    """Pure: the evaluation, the Summary and the state to keep, from what the run read, as of
    ``moment`` (the team's wall-clock time; its date is "today")."""
    as_of = moment.date()
    # one reading of each column for evaluate, learn and insights
    fields = Fields(inputs.model.opportunities, inputs.model.customers,
                    config.settings.date_order, inputs.model.lang)
    evaluation = evaluate(inputs.model.opportunities, inputs.model.customers,
                          inputs.model.activities, config, as_of=as_of,
                          memory=inputs.state.memory, history=inputs.history,
                          lang=inputs.model.lang, now=moment, fields=fields)
    model = inputs.model.with_joins(evaluation.joins) if evaluation.joins else inputs.model
    learned = learn(model.opportunities, model.customers, evaluation, config, fields, model.lang)
    evaluation = with_model(evaluation, learned, config, model.lang)
    found = insights(learned, evaluation, model.opportunities, model.customers, config, fields)
    shown = _insights_shown(inputs, learned, config)
    targets_tab = model.titles.get("targets")
    targets, target_problems = parse_targets(targets_tab, inputs.snapshot.find(targets_tab),
                                             config, model.lang) if targets_tab else ((), ())
    since = _history_since(inputs.history)
    snapshots = inputs.snapshots
    weighted = snapshots.groupby("day")["weighted"].sum(min_count=1) \
        if snapshots is not None and len(snapshots) else None
    finished = stays(evaluation.stage_entries, config)  # for the Review and the Summary
    review = weekly_review(evaluation, config, history_since=since, weighted_by_day=weighted,
                           finished=finished)
    review_shown = bool(targets) or inputs.owned["review"].exists or (
        since is not None and (as_of - since).days >= 14)
    hidden = {role for role, on in (("insights", shown), ("review", review_shown)) if not on}
    new_state = _next_state(inputs, evaluation, as_of, hidden)
    header = RunHeader(as_of=as_of, rows=dict(evaluation.counts),
                       config_status=model.config_status,
                       problems=tuple(dict.fromkeys(
                           model.problems + target_problems + evaluation.problems)),
                       last_changed=new_state.last_changed)
    return Outcome(evaluation, summarize(evaluation, config, header, finished), new_state,
                   learned, found, shown, review, attainments(targets, evaluation, config),
                   review_shown)


def _history_since(history: pd.DataFrame) -> dt.date | None:
    """The day of History's first recorded stage change (None without one)."""
    days = [day for day in history["at"] if isinstance(day, dt.date)]
    return min(days) if days else None


def _learning(outcome: Outcome, model: WorkbookModel) -> dict[str, Any]:
    if outcome.learned is None or outcome.insights is None or model.config is None:
        return {}
    extra = learning_sections(outcome.learned, outcome.insights, model.config, model.lang)
    if outcome.review is not None:
        extra.update(review_sections(outcome.review, outcome.targets))
    return extra


def _insights_shown(inputs: Inputs, learned: Learned, config: Config) -> bool:
    """The Insights tab is written once the history passes the gate's counts, an admin set a
    model or A/B setting, or the tab is there already (it then stays current)."""
    settings = config.settings
    return learned.status != "not_enough_history" or settings.win_probability != "stage" \
        or bool(settings.ab_field) or inputs.owned["insights"].exists


def _next_state(inputs: Inputs, evaluation: Evaluation, as_of: dt.date,
                hidden: set[str] | None = None) -> State:
    """Memory after this run, the date the people-owned data last changed and the tabs the
    worker writes."""
    new_ids = evaluation.new_ids
    digest = _data_fingerprint(inputs, new_ids) if new_ids else inputs.fingerprint
    changed = inputs.state.last_changed if digest == inputs.state.fingerprint else as_of
    return State(evaluation.memory, digest, changed, inputs.model.config,
                 {role: tab.record for role, tab in inputs.owned.items()
                  if role not in (hidden or set())})


def _data_fingerprint(inputs: Inputs, new_ids: Mapping[int, str]) -> str:
    """The fingerprint of what people typed (the IDs the run fills in included): the
    Opportunities tab but for the worker's columns, and the tabs whose data the run judges
    by; of the digests made once a run (``Inputs.digests``) only the ID column's is made
    again, with the new IDs."""
    typed, tabs = inputs.digests
    id_header = inputs.model.opportunities.roles.get("id")
    if new_ids and id_header in typed:
        frame = inputs.model.opportunities.table.frame
        ids = frame[id_header].tolist()
        for at, new_id in zip(frame.index.get_indexer(list(new_ids)), new_ids.values(),
                              strict=True):
            ids[at] = new_id
        typed = {**typed, id_header: column_digest(id_header, ids)}
    return fingerprint((), [list(typed.values()), *tabs])


def plan_writes(inputs: Inputs, config: Config, outcome: Outcome) -> WritePlan:
    """Pure: the writes that bring every cell the worker owns to what ``outcome`` says."""
    snapshot, model, owned, words = inputs.snapshot, inputs.model, inputs.owned, inputs.words
    evaluation = outcome.evaluation
    opportunities = model.opportunities
    tabs: list[TabSpec] = []
    writes: list[CellWrite] = []
    whole: list[tuple[str, Grid]] = []
    looks = Looks()

    in_use = outcome.learned is not None and model_in_use(outcome.learned, config)
    owned_cells, opp_looks = render.opportunity_cells(evaluation, opportunities, config, words,
                                                      model=in_use)
    tab, current = opportunities.table.tab, snapshot.find(opportunities.table.tab)
    writes += diff.diff_cells(tab, current, owned_cells.heads)
    writes += diff.diff_columns(tab, current, owned_cells.rows, owned_cells.columns.items())
    writes += diff.diff_cells(tab, current, owned_cells.tails)
    looks += opp_looks
    if model.customers is not None:
        cells, customer_looks = render.customer_cells(evaluation, model.customers, config, words)
        writes += diff.diff_cells(model.customers.table.tab,
                                  snapshot.find(model.customers.table.tab), cells)
        looks += customer_looks

    def whole_tab(role: str, render_tab: Callable[[str], tuple[Grid, Looks]]) -> Looks:
        """A tab the worker rewrites whole, its columns fitted to what it shows."""
        title = owned[role].title
        grid, tab_looks = render_tab(title)
        tabs.append(TabSpec(title, frozen_rows=1,
                            column_widths=grid_widths(grid, tab_looks.number_formats),
                            tab_id=owned[role].tab_id))
        writes.extend(_whole_tab(title, snapshot, grid))
        whole.append((title, grid))
        return tab_looks

    looks += whole_tab("summary", lambda tab: render_summary(
        outcome.summary, config, tab=tab, words=words, targets=outcome.targets))
    attention_looks = whole_tab("attention", lambda tab: attention_grid(
        evaluation, tab, words, config))
    looks += attention_looks + Looks(prints=(PrintSetup(owned["attention"].title,
                                                        title_rows=1),))

    history_tab = owned["history"].title
    tabs.append(TabSpec(history_tab, frozen_rows=1, tab_id=owned["history"].tab_id))
    writes += diff.diff_cells(history_tab, snapshot.find(history_tab),
                              history_cells(snapshot.find(history_tab), evaluation,
                                            outcome.summary.funnel, words))
    looks += history_looks(history_tab)

    learned, found = outcome.learned, outcome.insights
    if outcome.show_insights and learned is not None and found is not None:
        looks += whole_tab("insights", lambda tab: render_insights(
            learned, found, config, tab=tab, lang=words.lang, as_of=evaluation.as_of))
    review = outcome.review
    if outcome.show_review and review is not None:
        pipeline = daily_weighted(read_snapshots(snapshot.find(history_tab)),
                                  outcome.summary.funnel, config, evaluation.as_of)
        looks += whole_tab("review", lambda tab: render_review(
            review, outcome.targets, config, tab=tab, lang=words.lang, as_of=evaluation.as_of,
            pipeline=pipeline))

    tabs.append(TabSpec(STATE_TAB, hidden=True, tab_id=owned["state"].tab_id))
    writes += diff.diff_cells(STATE_TAB, snapshot.find(STATE_TAB),
                              state_cells(snapshot.find(STATE_TAB), outcome.state,
                                          inputs.state.stored))
    return WritePlan(tuple(tabs), tuple(writes), looks, _row_keys(model, evaluation),
                     diffed=True, whole_tabs=tuple(whole))


def _row_keys(model: WorkbookModel, evaluation: Evaluation) -> tuple[RowKeys, ...]:
    """The ID each Opportunities row and the Customer ID each Customers row was computed for,
    so that edits during the run are safe; rows whose blank ID the run fills have none."""
    found = []
    for tab, role, skip in ((model.opportunities, "id", evaluation.new_ids),
                            (model.customers, "customer_id", {})):
        header = tab.roles.get(role) if tab is not None else None
        if tab is None or header is None:
            continue
        values = tab.table.frame[header].tolist()
        keys = list(map(str.strip if set(map(type, values)) == {str} else row_key, values))
        ids = dict(zip(tab.table.frame.index.tolist(), keys, strict=True))
        for row in chain([row for row, key in ids.items() if not key] if "" in keys else (),
                         skip):
            ids.pop(row, None)
        found.append(RowKeys(tab.table.tab, tab.table.columns[header], ids))
    return tuple(found)


def _problems_only(workbook: Workbook, inputs: Inputs, as_of: dt.date, dry_run: bool,
                   spent: Callable[[], tuple[float, IOStats]]) -> RunResult:
    """A broken config and no good one to fall back on: write only the problems (and record
    the worker's tabs, the Summary among them)."""
    snapshot, model, owned = inputs.snapshot, inputs.model, inputs.owned
    header = RunHeader(as_of=as_of, rows={}, config_status=model.config_status,
                       problems=model.problems + cell_limit_problems(snapshot.cells, model.lang),
                       last_changed=None)
    summary = owned["summary"].title
    grid, looks = render_problems_only(header, tab=summary, words=inputs.words)
    kept = {role: tab for role, tab in owned.items()
            if tab.exists or role in ("summary", "state")}
    tabs = tuple(TabSpec(tab.title, hidden=role == "state", frozen_rows=int(role == "summary"),
                         tab_id=tab.tab_id) for role, tab in kept.items())
    records = tab_cells({role: tab.record for role, tab in kept.items()})
    plan = WritePlan(tabs, tuple(_whole_tab(summary, snapshot, grid) + diff.diff_cells(
        STATE_TAB, snapshot.find(STATE_TAB), records)), looks, diffed=True)
    if not dry_run:
        workbook.apply(plan)
    seconds, io = spent()
    report = problems_only_report(header, io, seconds)
    return RunResult(report, plan, model.config_status, model.problems, titles=model.titles,
                     before=snapshot.tabs)


def check(workbook: Workbook, *, config_file: Path | None = None) -> WorkbookModel:
    """Validate config, columns, the join of deals to customers and the worker's tabs; write
    nothing."""
    inputs = _read(workbook, config_file)
    model, config = inputs.model, inputs.model.config
    if config is None:
        return model
    targets_tab = model.titles.get("targets")
    if targets_tab:
        _, problems = parse_targets(targets_tab, inputs.snapshot.find(targets_tab), config,
                                    model.lang)
        model = dataclasses.replace(model, problems=model.problems + problems)
    return model.with_joins(check_joins(model.opportunities, model.customers, config))


def _read(workbook: Workbook, config_file: Path | None) -> Inputs:
    """The tabs the run needs (never a person's other tabs), the model, the state, the tabs
    the worker may write (FatalConfigError when one is not its own) and History's changes."""
    defaults, overrides = default_sections(), override_sections(config_file)
    snapshot = workbook.read(lambda titles, grids, ids: tabs_needed(
        titles, grids, ids, defaults=defaults, overrides=overrides))
    state = read_state(snapshot.find(STATE_TAB))
    model = load_workbook_model(snapshot.tabs, defaults=defaults, overrides=overrides,
                                last_good=state.last_good, every_title=snapshot.titles)
    formulas = workbook.formulas([title for role in schema.CONFIG_TABS
                                  if (title := model.titles.get(role))])
    if formulas:  # Config cells typed with a leading = are read as their text
        snapshot = dataclasses.replace(snapshot, tabs=with_formulas(snapshot.tabs, formulas))
        model = load_workbook_model(snapshot.tabs, defaults=defaults, overrides=overrides,
                                    last_good=state.last_good, every_title=snapshot.titles)
    owned = place_owned_tabs(titles=snapshot.titles, grids=snapshot.tabs, ids=snapshot.ids,
                             roles=model.titles, settings=model.tab_settings,
                             records=state.tabs, ran_before=state.fingerprint is not None,
                             lang=model.lang)
    titles = {**model.titles, **{role: tab.title for role, tab in owned.items()}}
    if overrides and model.lang != "en":  # the file's own problems in the workbook's language
        model = dataclasses.replace(model, problems=told_again(
            model.problems, overrides, override_sections(config_file, model.lang) or {}))
    history = snapshot.find(owned["history"].title)
    return Inputs(snapshot, dataclasses.replace(model, titles=titles), state, owned,
                  words_for(model.lang), read_stage_changes(history), read_snapshots(history))
