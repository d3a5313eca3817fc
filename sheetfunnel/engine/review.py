"""The weekly review (复盘): the figures of each week, how fast deals leave each stage, the
step that got worse, and cohorts by created month.

Everything is rebuilt from dated stage entries (Created, Entered Date Fields, History's stage
changes, close dates), so a workbook whose History is young still shows eight weeks; the weeks
before History's first record are marked "estimated from dates". Weeks start on Settings
``week_start`` and ``as_of`` is the team's local date. Conversion is judged on exits: of the deals
that left stage A in a week, the share that went on (not to lost), so a young week does not look
worst merely because its deals have not moved yet.

A week's weighted pipeline is the one its last snapshot in History recorded (this week's: now);
a week with none is rebuilt from dates (each deal's stage that day from its dated entries, times
the stage's probability; a deal with no dated entry by then is left out) and marked so. Deals
that went stale are the STALLED flags the engine's rule raised that week: a stay in an open
stage one day past its Stall Days, counted only when the stay's end is known (it is the deal's
current stage, or the deal went straight on to the next stage or to lost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.engine.velocity import stays, time_in_stage

WEEKS = 8  # weeks shown, this one last
COHORT_DAYS = 30  # a step's weekly cohort: reached the next stage within this many days
NORM_WEEKS = 4  # the weeks before this one that make a step's norm
COHORT_MONTHS = 6


@dataclass(frozen=True)
class Week:
    """One week's figures (``start``: its first day)."""

    start: dt.date
    new: int
    advanced: int
    won: int
    won_amount: float
    lost: int
    lost_amount: float
    estimated: bool  # before History's first record: rebuilt from dates only
    stalled: int = 0  # stays that went stale (the STALLED rule) in the week
    weighted: float = 0.0  # the weighted pipeline at the week's end (this week: now)
    weighted_estimated: bool = False  # no snapshot in the week: rebuilt from dates


@dataclass(frozen=True)
class Step:
    """A transition between two neighbouring stages, with each week's exits from ``source``
    and how many of them went on (weeks as in ``Review.weeks``)."""

    source: str
    target: str
    exits: tuple[int, ...]
    advanced: tuple[int, ...]
    #: per week: deals that entered ``source`` in it, and those of them that reached
    #: ``target`` within COHORT_DAYS; None for weeks less than COHORT_DAYS old
    entered: tuple[int | None, ...] = ()
    reached: tuple[int | None, ...] = ()

    def rate(self, week: int) -> float | None:
        return self.advanced[week] / self.exits[week] if self.exits[week] else None

    def norm(self) -> float | None:
        """The pooled rate of the weeks before this one (up to four)."""
        exits = sum(self.exits[-1 - NORM_WEEKS:-1])
        return sum(self.advanced[-1 - NORM_WEEKS:-1]) / exits if exits else None


@dataclass(frozen=True)
class Pace:
    """Days in one open stage for the deals that left it in the last four weeks."""

    stage: str
    left: int
    median: float | None
    p80: float | None
    stall_days: int


@dataclass(frozen=True)
class Bottleneck:
    step: Step
    rate: float
    norm: float
    stopped: tuple[str, ...]  # IDs of the deals lost from the step's first stage this week


@dataclass(frozen=True)
class Cohort:
    """Deals created in one month and how many reached each open stage, and won, by now."""

    month: str
    deals: int
    reached: tuple[int, ...]  # per open stage, in funnel order
    won: int


@dataclass(frozen=True)
class StrictFunnel:
    """Deals that went through each stage in order (HubSpot's strict view): ``reached`` per
    open stage and the won stage; ``path_unknown`` deals left out because a stage below the
    furthest they reached has no date (first seen mid-funnel, or a stage skipped between runs
    that no Entered Date Field proves)."""

    stages: tuple[str, ...]
    reached: tuple[int, ...]
    path_unknown: int


@dataclass(frozen=True)
class Review:
    weeks: tuple[Week, ...]
    steps: tuple[Step, ...]
    velocity: tuple[Pace, ...]
    slowest: str | None
    bottleneck: Bottleneck | None
    cohorts: tuple[Cohort, ...]
    history_since: dt.date | None
    strict: StrictFunnel | None = None  # with Settings funnel_mode = strict


def week_start(day: dt.date, first_weekday: int) -> dt.date:
    """The first day of the week holding ``day`` (weeks starting on ``first_weekday``)."""
    return day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)


def weekly_review(evaluation: Evaluation, config: Config, *,
                  history_since: dt.date | None,
                  weighted_by_day: pd.Series | None = None,
                  finished: pd.DataFrame | None = None) -> Review:
    """The review as of ``evaluation.as_of``; ``history_since``: History's first record;
    ``weighted_by_day``: the weighted pipeline each snapshot in History recorded (by day);
    ``finished``: the stage entries' ``stays`` when the caller has them already."""
    as_of = evaluation.as_of
    this_week = week_start(as_of, config.settings.week_start)
    starts = [this_week - dt.timedelta(weeks=WEEKS - 1 - k) for k in range(WEEKS)]
    deals, entries = evaluation.deals, evaluation.stage_entries
    open_positions = [i for i, s in enumerate(config.stages) if s.kind == "open"]
    later_open = set(open_positions[1:])
    advanced_days = entries["entered"][entries["stage_index"].isin(later_open).to_numpy()]
    closed = _closed_days(deals, entries, config)
    finished = stays(entries, config) if finished is None else finished
    stale = _stale_days(finished, deals, entries, config, as_of)
    by_deal = cache(lambda: _by_deal(entries))  # sorted once, if a week is rebuilt from dates
    created, advanced = _days(deals["created"]), _days(advanced_days)
    stale_on, closed_on, amounts = _days(stale), _days(closed["day"]), closed["amount"]
    closed_kind = closed["kind"].to_numpy(dtype=object)
    closed_won, closed_lost = closed_kind == "won", closed_kind == "lost"
    weeks = []
    for start in starts:
        end = start + dt.timedelta(days=6)
        won = closed_won & _inside(closed_on, start, end)
        lost = closed_lost & _inside(closed_on, start, end)
        weighted, estimated_weighted = _weighted_at(
            start, min(end, as_of), as_of, deals, by_deal, closed, config, weighted_by_day)
        weeks.append(Week(
            start, int(_inside(created, start, end).sum()),
            int(_inside(advanced, start, end).sum()), int(won.sum()),
            float(amounts[won].sum()), int(lost.sum()), float(amounts[lost].sum()),
            history_since is None or start < history_since,
            int(_inside(stale_on, start, end).sum()), weighted, estimated_weighted))
    steps = _steps(finished, config, open_positions, starts, entries, as_of)
    period = (starts[-NORM_WEEKS], as_of)
    velocity = _velocity(entries, finished, config, period)
    timed = [p for p in velocity if p.median is not None]
    slowest = max(timed, key=lambda p: p.median or 0).stage if timed else None
    strict = strict_funnel(deals, entries, config) \
        if config.settings.funnel_mode == "strict" else None
    return Review(tuple(weeks), steps, velocity, slowest,
                  _bottleneck(steps, finished, deals, config, this_week, as_of),
                  _cohorts(deals, entries, config, open_positions, as_of), history_since,
                  strict)


def _within(days: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    return (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))


def _days(days: pd.Series) -> np.ndarray:
    return pd.to_datetime(days).to_numpy("datetime64[ns]")


def _inside(days: np.ndarray, start: dt.date, end: dt.date) -> np.ndarray:
    """``_within`` of days as numpy datetime64 (NaT is in no week)."""
    return (days >= np.datetime64(start, "ns")) & (days <= np.datetime64(end, "ns"))


def _closed_days(deals: pd.DataFrame, entries: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Won and lost deals with the day they closed (Close Date, else their entry into the
    won or lost stage) and their amount."""
    kind = deals["kind"].to_numpy(dtype=object)
    closed = deals.loc[(kind == "won") | (kind == "lost"), ["kind", "closed_on", "amount"]]
    closing = np.array([s.kind in ("won", "lost") for s in config.stages] + [False])
    entered = entries[closing[entries["stage_index"].to_numpy()]] if len(entries) else entries
    entered_by_deal = entered.groupby("deal")["entered"].max()
    entered_day = pd.to_datetime(entered_by_deal.reindex(closed.index))
    day = pd.to_datetime(closed["closed_on"]).fillna(entered_day)
    return pd.DataFrame({"kind": closed["kind"], "day": day,
                         "amount": closed["amount"].fillna(0.0)})


def _stale_days(finished: pd.DataFrame, deals: pd.DataFrame, entries: pd.DataFrame,
                config: Config, as_of: dt.date) -> pd.Series:
    """The day each stay in an open stage went stale (the STALLED rule: more than Stall Days
    in the stage), for stays whose end is known: finished ones that went straight on, and the
    current stage of open deals. Stays that ended first are not stale."""
    stall = np.array([s.stall_days if s.stall_days is not None else config.settings.stall_days
                      for s in config.stages] + [0])
    is_open = np.array([s.kind == "open" for s in config.stages] + [False])
    ended = finished.assign(entered=finished["left"]
                            - pd.to_timedelta(finished["days"], unit="D"))
    # each open deal's entry into the stage it is in
    now_in = np.where(deals["kind"].to_numpy(dtype=object) == "open",
                      deals["stage_index"].to_numpy(), -2)
    at = deals.index.get_indexer(entries["deal"].to_numpy())
    current = entries[np.append(now_in, -2)[at] == entries["stage_index"].to_numpy()]
    current = current.assign(left=pd.NaT)
    every = pd.concat([ended[["stage_index", "entered", "left"]],
                       current[["stage_index", "entered", "left"]]], ignore_index=True)
    index = every["stage_index"].to_numpy()
    stale = pd.to_datetime(every["entered"]) + pd.to_timedelta(stall[index] + 1, unit="D")
    keep = is_open[index] & (stale <= pd.Timestamp(as_of)).to_numpy() \
        & (every["left"].isna() | (stale < every["left"])).to_numpy()
    return stale[keep]


Sorted = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _by_deal(entries: pd.DataFrame) -> Sorted:
    """The stage entries sorted by deal, day entered and stage, for ``_weighted_at`` (sorted
    once for every week): their days, deals, stages and whether the next entry is the same
    deal's."""
    entered = entries["entered"].to_numpy("datetime64[ns]")
    deal, stage = entries["deal"].to_numpy(), entries["stage_index"].to_numpy()
    order = np.lexsort((stage, entered.view("int64"), deal))
    deal = deal[order]
    same = np.zeros(len(deal), dtype=bool)
    same[:-1] = deal[1:] == deal[:-1]
    return entered[order], deal, stage[order], same


def _weighted_at(start: dt.date, day: dt.date, as_of: dt.date, deals: pd.DataFrame,
                 entries: Callable[[], Sorted], closed: pd.DataFrame, config: Config,
                 by_day: pd.Series | None) -> tuple[float, bool]:
    """The weighted pipeline at ``day`` (the week's end): now for this week, else the week's
    last snapshot, else rebuilt from dates (estimated: True; ``entries``: ``_by_deal``'s)."""
    if day == as_of:
        return float(deals["weighted_amount"][deals["kind"] == "open"].fillna(0.0).sum()), False
    if by_day is not None:
        known = by_day[[start <= d <= day for d in by_day.index]].dropna()
        if len(known):
            return float(known[max(known.index)]), False
    entered, deal, stage, same = entries()
    known = entered <= np.datetime64(pd.Timestamp(day), "ns")
    # each deal's last entry by then: the next entry is another deal's, or a later one
    later = np.zeros(len(known), dtype=bool)
    later[:-1] = same[:-1] & known[1:]
    latest = known & ~later
    rows, last = deal[latest], stage[latest]
    probability = np.array([s.probability if s.kind == "open" else 0.0 for s in config.stages]
                           + [0.0])
    ended = closed.index[(closed["day"] <= pd.Timestamp(day)).to_numpy()]
    going = ~np.isin(rows, ended)
    amounts = deals["amount"].reindex(rows[going]).fillna(0.0).to_numpy()
    return float((amounts * probability[last[going]]).sum()), True


def _steps(finished: pd.DataFrame, config: Config, open_positions: list[int],
           starts: list[dt.date], entries: pd.DataFrame, as_of: dt.date) -> tuple[Step, ...]:
    won = next((i for i, s in enumerate(config.stages) if s.kind == "won"), None)
    targets = open_positions[1:] + ([won] if won is not None else [])
    stage, to = finished["stage_index"].to_numpy(), finished["to"].to_numpy()
    week = _week_of(finished["left"].to_numpy("datetime64[ns]"), starts)
    dated = _Dated(entries, len(config.stages), starts)
    found = []
    for source, target in zip(open_positions, targets, strict=False):
        left = (stage == source) & (week >= 0)
        exits = np.bincount(week[left], minlength=len(starts)).tolist()
        advanced = np.bincount(week[left & (to == target)], minlength=len(starts)).tolist()
        onward = [i for i, s in enumerate(config.stages) if i >= target and s.kind != "lost"]
        entered, reached = _step_cohorts(dated, source, onward, starts, as_of)
        found.append(Step(config.stages[source].name, config.stages[target].name,
                          tuple(exits), tuple(advanced), entered, reached))
    return tuple(found)


def _week_of(days: np.ndarray, starts: list[dt.date]) -> np.ndarray:
    """The week (position in ``starts``) of each day, -1 for a day in none of them."""
    week = np.full(len(days), -1, dtype=np.int64)
    for k, start in enumerate(starts):
        week[_inside(days, start, start + dt.timedelta(days=6))] = k
    return week


Counts = tuple[int | None, ...]
_NEVER = np.iinfo(np.int64).max  # a stage the deal has no entry into
_DAY = 86_400 * 10**9  # nanoseconds


class _Dated:
    """The stage entries as the steps' cohorts read them, made once for every step: each
    entry's stage, deal (a code), day (nanoseconds) and week in the review (-1: none), and
    the day each deal entered each stage (``by_stage[deal, stage]``, _NEVER for none)."""

    def __init__(self, entries: pd.DataFrame, stages: int, starts: list[dt.date]):
        self.stage = entries["stage_index"].to_numpy()
        self.deal, deals = pd.factorize(entries["deal"].to_numpy())
        days = entries["entered"].to_numpy("datetime64[ns]")
        self.day = days.view("int64")
        self.week = _week_of(days, starts)
        self.by_stage = np.full((len(deals), stages), _NEVER, dtype=np.int64)
        self.by_stage[self.deal, self.stage] = self.day


def _step_cohorts(dated: _Dated, source: int, onward: list[int], starts: list[dt.date],
                  as_of: dt.date) -> tuple[Counts, Counts]:
    """Per week: deals that entered ``source`` in it, and those that entered the step's
    target or a stage past it (``onward``, lost left out: they went through the target)
    within COHORT_DAYS of entering ``source``; None for weeks less than COHORT_DAYS old."""
    into = dated.stage == source
    first_onward = dated.by_stage[:, onward].min(axis=1, initial=_NEVER)
    day, later = dated.day[into], first_onward[dated.deal[into]]
    went = (later != _NEVER) & (later >= day) & (later - day <= COHORT_DAYS * _DAY)
    week = dated.week[into]
    entered: list[int | None] = []
    reached: list[int | None] = []
    for k, start in enumerate(starts):
        if (as_of - (start + dt.timedelta(days=6))).days < COHORT_DAYS:
            entered.append(None)
            reached.append(None)
            continue
        members = week == k
        entered.append(int(members.sum()))
        reached.append(int(went[members].sum()))
    return tuple(entered), tuple(reached)


def _velocity(entries: pd.DataFrame, finished: pd.DataFrame, config: Config,
              period: tuple[dt.date, dt.date]) -> tuple[Pace, ...]:
    table = time_in_stage(entries, config, percentiles=(0.8,), period=period,
                          finished=finished)
    return tuple(Pace(row.stage, int(row.left), row.median, row.p80,
                      stage.stall_days if stage.stall_days is not None
                      else config.settings.stall_days)
                 for row, stage in zip(table.itertuples(index=False), config.stages, strict=True)
                 if stage.kind == "open")


def _bottleneck(steps: tuple[Step, ...], finished: pd.DataFrame, deals: pd.DataFrame,
                config: Config, this_week: dt.date, as_of: dt.date) -> Bottleneck | None:
    """The step whose rate this week fell most below its norm (None when none fell)."""
    worst: tuple[float, Step, float, float] | None = None
    for step in steps:
        rate, norm = step.rate(-1), step.norm()
        if rate is None or norm is None or rate >= norm:
            continue
        if worst is None or norm - rate > worst[0]:
            worst = (norm - rate, step, rate, norm)
    if worst is None:
        return None
    _, step, rate, norm = worst
    source = next(i for i, s in enumerate(config.stages) if s.name == step.source)
    lost = {i for i, s in enumerate(config.stages) if s.kind == "lost"}
    stopped = finished[(finished["stage_index"] == source) & finished["to"].isin(lost)
                       & _within(finished["left"], this_week, as_of)]
    ids = deals.loc[stopped["deal"].to_numpy(), "id"].dropna().astype(str)
    return Bottleneck(step, rate, norm, tuple(sorted(set(ids))))


def furthest_reached(deals: pd.DataFrame, entries: pd.DataFrame, config: Config) -> pd.Series:
    """Per deal (sheet row): the furthest open stage index it reached (won deals: all of them;
    -1 when none is known)."""
    open_positions = [i for i, s in enumerate(config.stages) if s.kind == "open"]
    kind = deals["kind"].to_numpy(dtype=object)
    reached = np.where(kind == "open", deals["stage_index"].to_numpy(), -1).astype("int64")
    stage = entries["stage_index"].to_numpy()
    at = deals.index.get_indexer(entries["deal"].to_numpy())
    for position in sorted(open_positions):  # the furthest last: each write is a maximum
        entered = at[(stage == position) & (at >= 0)]
        reached[entered] = np.maximum(reached[entered], position)
    last = open_positions[-1] if open_positions else -1
    return pd.Series(np.where(kind == "won", last, reached), index=deals.index)


def _cohorts(deals: pd.DataFrame, entries: pd.DataFrame, config: Config,
             open_positions: list[int], as_of: dt.date) -> tuple[Cohort, ...]:
    reached = furthest_reached(deals, entries, config).to_numpy()
    won = deals["kind"].to_numpy(dtype=object) == "won"
    created = pd.to_datetime(deals["created"]).to_numpy("datetime64[M]")
    # months since year 0 (-1 when undated)
    months = np.where(np.isnat(created), -1, created.view("int64") + 1970 * 12)
    first = pd.Timestamp(as_of).to_period("M") - (COHORT_MONTHS - 1)
    found = []
    for k in range(COHORT_MONTHS):
        month = first + k
        members = months == month.year * 12 + month.month - 1
        found.append(Cohort(str(month), int(members.sum()),
                            tuple(int((reached[members] >= i).sum()) for i in open_positions),
                            int(won[members].sum())))
    return tuple(found)


def strict_funnel(deals: pd.DataFrame, entries: pd.DataFrame, config: Config) -> StrictFunnel:
    open_positions = [i for i, s in enumerate(config.stages) if s.kind == "open"]
    won = next((i for i, s in enumerate(config.stages) if s.kind == "won"), None)
    path = open_positions + ([won] if won is not None else [])
    known = entries.groupby("deal")["stage_index"].agg(frozenset)
    furthest = furthest_reached(deals, entries, config)
    counts = [0] * len(path)
    unknown = 0
    for row, kind in deals["kind"].items():
        if kind is None or (isinstance(kind, float) and np.isnan(kind)):
            continue
        stages = known.get(row, frozenset())
        top = len(path) if kind == "won" else \
            sum(1 for i in open_positions if i <= furthest.get(row, -1))
        if not all(path[k] in stages for k in range(top)):
            unknown += 1
            continue
        for k in range(top):
            counts[k] += 1
    return StrictFunnel(tuple(config.stages[i].name for i in path), tuple(counts), unknown)
