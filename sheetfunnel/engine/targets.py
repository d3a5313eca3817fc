"""Targets against results: attainment, the pace still needed and a projection, per owner and
for the team.

Working days come from Settings ``working_days``, ``holidays`` and ``extra_working_days`` (调休).
Won deals count on their Close Date (else the day they entered the won stage). The projection
adds, for amounts and counts, the weighted open deals expected to close in the rest of the
period; new deals go on at the rate so far; a conversion stays at its current rate. A week's
target is the period's times the week's share of the period's working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetfunnel.config.calendar import is_working_day
from sheetfunnel.config.model import Config
from sheetfunnel.config.targets import Target
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.engine.review import furthest_reached, week_start
from sheetfunnel.grid import normalise_name


@dataclass(frozen=True)
class Attainment:
    target: Target
    actual: float
    attainment: float | None  # actual ÷ target
    remaining: float  # still needed (0 when met)
    days_left: int  # working days from as_of to the period's end, both included
    per_day: float | None  # remaining ÷ days_left while the period runs
    projection: float | None
    week_target: float | None  # this week's share (None for conversions, or outside the period)
    running: bool  # as_of falls in the period


def working_days(start: dt.date, end: dt.date, config: Config) -> int:
    settings = config.settings
    holidays, extra = frozenset(settings.holidays), frozenset(settings.extra_working_days)
    return sum(is_working_day(start + dt.timedelta(days=k), settings.working_days, holidays,
                              extra) for k in range((end - start).days + 1))


#: the deals' columns a target reads (an owner's target takes its deals' rows of these only)
COLUMNS = ["kind", "stage_index", "amount", "created", "closed_on", "stage_entered",
           "expected_close", "weighted_amount", "win_probability"]


def attainments(targets: tuple[Target, ...], evaluation: Evaluation, config: Config
                ) -> tuple[Attainment, ...]:
    if not targets:
        return ()
    deals = evaluation.deals
    owners = _owner_keys(deals["owner"]) if any(t.owner is not None for t in targets) else None
    kind = deals["kind"].to_numpy(dtype=object)
    deals = deals[COLUMNS].assign(won=kind == "won", open=kind == "open")
    return tuple(_attain(t, deals, evaluation, config, owners) for t in targets)


def _owner_keys(owners: pd.Series) -> np.ndarray:
    """Each deal's owner as names are compared (``normalise_name``), each distinct name
    normalised once: a target per owner would otherwise normalise every deal's owner again."""
    codes, uniques = pd.factorize(owners, use_na_sentinel=True)
    keys = np.array([normalise_name(v) for v in uniques] + [""], dtype=object)[codes]
    blank = codes < 0
    keys[blank] = [normalise_name(v) for v in owners.to_numpy(dtype=object)[blank]]
    return keys


def _attain(target: Target, deals: pd.DataFrame, evaluation: Evaluation, config: Config,
            owners: np.ndarray | None) -> Attainment:
    """``deals``: the evaluation's, of ``COLUMNS`` and the masks ``won`` and ``open``."""
    as_of = evaluation.as_of
    if target.owner is not None and owners is not None:
        deals = deals[owners == normalise_name(target.owner)]
    start, end = pd.Timestamp(target.start), pd.Timestamp(target.end)
    running = target.start <= as_of <= target.end
    days_left = working_days(max(as_of, target.start), target.end, config) \
        if as_of <= target.end else 0
    if target.metric == "conversion":
        actual = _conversion(target, deals, evaluation, config)
        projection = actual
        value = actual if actual is not None else 0.0
    else:
        value = _count(target.metric, deals, evaluation, start, end)
        projection = _projection(target, deals, value, as_of, config) if running else value
    remaining = max(target.value - value, 0.0)
    per_day = remaining / days_left if running and days_left and target.metric != "conversion" \
        else None
    week_target = None
    if running and target.metric != "conversion":
        week_target = _week_share(target, week_start(as_of, config.settings.week_start), config)
    return Attainment(target, value, value / target.value if target.value else None, remaining,
                      days_left, per_day, projection, week_target, running)


def _week_share(target: Target, first: dt.date, config: Config) -> float | None:
    """The target's share for the week starting ``first``: its value times the week's share of
    the period's working days (None when the period has none)."""
    share = working_days(max(first, target.start),
                         min(first + dt.timedelta(days=6), target.end), config)
    whole = working_days(target.start, target.end, config)
    return target.value * share / whole if whole else None


def weekly_won_targets(targets: tuple[Target, ...], starts: tuple[dt.date, ...],
                       config: Config) -> tuple[float | None, ...]:
    """The team's won-amount target of each week starting in ``starts`` (the share of every
    team target whose period overlaps the week); None for a week no such target covers."""
    team = [t for t in targets if t.owner is None and t.metric == "won_amount"]
    found: list[float | None] = []
    for first in starts:
        last = first + dt.timedelta(days=6)
        shares = [_week_share(t, first, config) for t in team
                  if t.start <= last and first <= t.end]
        known = [s for s in shares if s is not None]
        found.append(round(sum(known), 2) if known else None)
    return tuple(found)


def _closed_on(deals: pd.DataFrame) -> pd.Series:
    return deals["closed_on"].where(deals["closed_on"].notna(), deals["stage_entered"])


def _count(metric: str, deals: pd.DataFrame, evaluation: Evaluation, start: pd.Timestamp,
           end: pd.Timestamp) -> float:
    end = min(end, pd.Timestamp(evaluation.as_of))
    if metric == "new_deals":
        return float(((deals["created"] >= start) & (deals["created"] <= end)).sum())
    day = _closed_on(deals)
    won = deals[deals["won"] & (day >= start) & (day <= end)]
    return float(won["amount"].fillna(0).sum()) if metric == "won_amount" else float(len(won))


def _projection(target: Target, deals: pd.DataFrame, value: float, as_of: dt.date,
                config: Config) -> float:
    if target.metric == "new_deals":
        done = working_days(target.start, as_of, config)
        whole = working_days(target.start, target.end, config)
        return value / done * whole if done else value
    expected = deals[deals["open"]
                     & (deals["expected_close"] >= pd.Timestamp(as_of))
                     & (deals["expected_close"] <= pd.Timestamp(target.end))]
    column = "weighted_amount" if target.metric == "won_amount" else "win_probability"
    return value + float(expected[column].fillna(0).sum())


def _conversion(target: Target, deals: pd.DataFrame, evaluation: Evaluation,
                config: Config) -> float | None:
    """Of the deals that entered A in the period, the share that reached B by its end."""
    source = next(i for i, s in enumerate(config.stages) if s.name == target.from_stage)
    goal = next(i for i, s in enumerate(config.stages) if s.name == target.to_stage)
    entries = evaluation.stage_entries
    end = pd.Timestamp(min(target.end, evaluation.as_of))
    into = entries[(entries["stage_index"] == source) & entries["deal"].isin(deals.index)
                   & (entries["entered"] >= pd.Timestamp(target.start))
                   & (entries["entered"] <= end)]
    cohort = deals.loc[sorted(set(into["deal"]))]
    if cohort.empty:
        return None
    if config.stages[goal].kind == "won":
        went = cohort["won"] & (_closed_on(cohort) <= end)
    else:
        dated = entries[entries["deal"].isin(cohort.index) & (entries["entered"] <= end)]
        went = furthest_reached(cohort, dated, config) >= goal
    return float(went.sum()) / len(cohort)
