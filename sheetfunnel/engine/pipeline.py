"""The weighted pipeline per day, read back from History's daily funnel snapshots: the trend
line of the Review tab.

A snapshot keeps each open stage's open amount, so a past day's weighted pipeline is that
amount times the stage's probability; today's is the funnel just computed (the Summary's
figure). A day without a snapshot (the worker did not run) stays blank, not invented.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.grid import normalise_name

DAYS = 56  # eight weeks, as the Review's weeks


def daily_weighted(snapshots: pd.DataFrame, funnel: pd.DataFrame, config: Config,
                   as_of: dt.date, days: int = DAYS
                   ) -> tuple[tuple[dt.date, float | None], ...]:
    """(day, weighted pipeline) for each of the last ``days`` days up to ``as_of``: None
    without a snapshot, ``as_of`` itself from ``funnel`` (a run's funnel table)."""
    probability = {normalise_name(s.name): s.probability for s in config.stages
                   if s.kind == "open"}
    first = as_of - dt.timedelta(days=days - 1)
    totals: dict[dt.date, float] = {}
    for day, stage, amount in snapshots[["day", "stage", "open_amount"]].itertuples(index=False):
        if first <= day < as_of:
            share = probability.get(normalise_name(stage), 0.0)
            totals[day] = totals.get(day, 0.0) + float(amount) * share
    totals[as_of] = float(funnel.loc[funnel["kind"] == "open", "weighted_amount"].sum())
    every = (first + dt.timedelta(days=k) for k in range(days))
    return tuple((day, round(totals[day], 2) if day in totals else None) for day in every)
