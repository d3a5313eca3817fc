"""The weighted pipeline per day, read back from History's daily funnel snapshots: the trend
line of the Review tab.

A daily snapshot keeps each stage's weighted amount as the run that day computed it; a snapshot
of History's older form kept only the open amount, so such a day is that amount times the
stage's probability. Today's is the funnel just computed (the Summary's figure). A day without
a snapshot (the worker did not run) stays blank, not invented.
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
    without a snapshot, ``as_of`` itself from ``funnel`` (a run's funnel table). ``snapshots``
    is ``tabs.history.read_snapshots``'s frame."""
    probability = {normalise_name(s.name): s.probability for s in config.stages
                   if s.kind == "open"}
    first = as_of - dt.timedelta(days=days - 1)
    totals: dict[dt.date, float] = {}
    for day, stage, amount, weighted in snapshots[["day", "stage", "amount", "weighted"]
                                                  ].itertuples(index=False):
        if first <= day < as_of:
            if pd.isna(weighted):
                weighted = float(amount) * probability.get(normalise_name(stage), 0.0)
            totals[day] = totals.get(day, 0.0) + float(weighted)
    totals[as_of] = float(funnel.loc[funnel["kind"] == "open", "weighted_amount"].sum())
    every = (first + dt.timedelta(days=k) for k in range(days))
    return tuple((day, round(totals[day], 2) if day in totals else None) for day in every)
