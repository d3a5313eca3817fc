"""Time in stage (阶段停留时长): how long deals stayed in each stage before they moved on.

"Where do deals wait longest" needs the deals that *left* a stage, not only those still in it.
Every dated entry of a deal into a stage (an Entered Date Field, a stage change in History,
Created for the first stage, the Stage Entered of its current stage) is one row of
``stage_entries``; ``time_in_stage`` measures each stay from one entry to the deal's next. A
stay counts only when the next entry is where the deal went straight on to: the next open
stage, the lost stage, or (from the last open stage) the won stage. A jump over stages counts
for none of them, since the days are shared with stages passed on the way. The weekly review
asks the same function for percentiles and one period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.fields import normalised
from sheetfunnel.grid import normalise_name

ENTRY_COLUMNS = ["deal", "stage_index", "entered"]


def stage_entries(deals: pd.DataFrame, field_dates: pd.DataFrame, moves: pd.DataFrame,
                  config: Config, as_of: dt.date) -> pd.DataFrame:
    """One row per deal (its sheet row) and stage it is known to have entered, with the day.

    ``deals`` has id, stage_index, created and stage_entered; ``field_dates`` the filled
    Entered Date Fields by stage index; ``moves`` the stage changes (History and this run's:
    id, to_stage, at). Of several dates for one stage the Entered Date Field wins, then the
    current Stage Entered, then the latest change, then Created; days after ``as_of`` are not
    entries yet.
    """
    first_open = next((i for i, s in enumerate(config.stages) if s.kind == "open"), None)
    sources = [pd.DataFrame({"deal": field_dates.index, "stage_index": i,
                             "entered": field_dates[i].to_numpy(), "rank": 0})
               for i in field_dates.columns]
    sources.append(pd.DataFrame({"deal": deals.index, "stage_index": deals["stage_index"],
                                 "entered": deals["stage_entered"].to_numpy(), "rank": 1}))
    if not moves.empty:
        sources.append(_moved_into(deals, moves, config))
    if first_open is not None:
        sources.append(pd.DataFrame({"deal": deals.index, "stage_index": first_open,
                                     "entered": deals["created"].to_numpy(), "rank": 3}))
    entries = pd.concat(sources, ignore_index=True)
    entries["entered"] = pd.to_datetime(entries["entered"])
    entries = entries[(entries["stage_index"] >= 0) & entries["entered"].notna()
                      & (entries["entered"] <= pd.Timestamp(as_of))]
    latest_first = -entries["entered"].to_numpy("datetime64[ns]").view("int64")
    deal, stage = entries["deal"].to_numpy(), entries["stage_index"].to_numpy()
    order = np.lexsort((latest_first, entries["rank"].to_numpy(), stage, deal))
    deal, stage = deal[order], stage[order]
    first = np.ones(len(order), dtype=bool)  # the first of each deal and stage, sorted so
    first[1:] = (deal[1:] != deal[:-1]) | (stage[1:] != stage[:-1])
    entries = entries.iloc[order[first]]
    return entries[ENTRY_COLUMNS].astype({"stage_index": "int64"}).reset_index(drop=True)


def _moved_into(deals: pd.DataFrame, moves: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Stage changes by the deal (the first row holding the ID) and stage they went to."""
    position = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    rows = pd.Series(deals.index, index=deals["id"])[deals["id"].notna().to_numpy()]
    rows = rows[~rows.index.duplicated()]
    found = pd.DataFrame({
        "deal": moves["id"].astype(object).map(rows),
        "stage_index": normalised(moves["to_stage"].astype(object)).map(position),
        "entered": pd.to_datetime(moves["at"], errors="coerce"), "rank": 2})
    return found.dropna(subset=["deal", "stage_index"]).astype({"deal": "int64",
                                                                "stage_index": "int64"})


def stays(entries: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Each finished stay: deal, stage_index, days, left (the day it moved on) and ``to`` (the
    stage index it moved on to)."""
    ordered = entries.sort_values(["deal", "entered", "stage_index"], kind="stable")
    deal = ordered["deal"].to_numpy()
    stage = ordered["stage_index"].to_numpy()
    entered = ordered["entered"].to_numpy("datetime64[ns]")
    same_deal = np.append(deal[1:] == deal[:-1], False) if len(deal) else np.zeros(0, bool)
    after = np.append(stage[1:], -1)
    straight_on = same_deal & _straight_on(config)[stage, np.where(after >= 0, after, 0)]
    left = np.append(entered[1:], np.datetime64("NaT", "ns"))
    days = (left - entered).astype("timedelta64[D]").astype("float64")
    return pd.DataFrame({"deal": deal[straight_on], "stage_index": stage[straight_on],
                         "days": days[straight_on], "left": left[straight_on],
                         "to": after[straight_on]})


def _straight_on(config: Config) -> np.ndarray:
    """``[from, to]``: is stage ``to`` where a deal in ``from`` goes straight on to?"""
    kinds = [s.kind for s in config.stages]
    open_positions = [i for i, k in enumerate(kinds) if k == "open"]
    table = np.zeros((len(kinds), max(len(kinds), 1)), dtype=bool)
    for n, here in enumerate(open_positions):
        last = n == len(open_positions) - 1
        for there, kind in enumerate(kinds):
            table[here, there] = (kind == "lost" or (kind == "won" and last)
                                  or (not last and there == open_positions[n + 1]))
    return table


def time_in_stage(entries: pd.DataFrame, config: Config, *, percentiles: Sequence[float] = (),
                  period: tuple[dt.date, dt.date] | None = None,
                  finished: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per configured stage, in funnel order: ``left`` (stays that ended), ``mean`` and
    ``median`` days, and ``p<NN>`` for each of ``percentiles`` (fractions: 0.9 -> ``p90``).
    ``period``: only stays that ended from its first to its last day (both included). Won and
    lost stages, and stages no dated deal left, have no days (None). ``finished``: the
    entries' ``stays`` when the caller has them already."""
    finished = stays(entries, config) if finished is None else finished
    if period is not None:
        start, end = (pd.Timestamp(day) for day in period)
        finished = finished[(finished["left"] >= start) & (finished["left"] <= end)]
    grouped = finished.groupby("stage_index")["days"]
    statistics = {"mean": grouped.mean(), "median": grouped.median(),
                  **{_label(q): grouped.quantile(q) for q in percentiles}}
    counts = grouped.size()
    positions = range(len(config.stages))
    table = pd.DataFrame({"stage": [s.name for s in config.stages],
                          "left": [int(counts.get(i, 0)) for i in positions]})
    for name, values in statistics.items():
        table[name] = pd.Series([_number(values.get(i)) for i in positions], dtype=object)
    return table


def _label(fraction: float) -> str:
    return f"p{round(fraction * 100):02d}"


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
