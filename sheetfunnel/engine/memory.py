"""Stage memory: when each opportunity entered its stage, and which stage changes are new.

Stage Entered is the stage's Entered Date Field when filled; else the latest stage change into
the current stage that History or memory records (a stage that differs from memory is a change
today); else, for a deal never seen changing, what its own cells say (``sighted_dates``: the
close date of a won or lost deal, Created in the first stage); else unknown (blank). Memory
keeps only the dates of changes: the sheet's own dates are read again each run, so correcting
them corrects Stage Entered, and a day memory recorded when it first saw the deal (as versions
before ``closed_on`` did) dates nothing. Rows without an ID cannot be remembered, so only their
own cells count; of rows sharing an ID only the first recalls memory and History (the others
would recall its moves on the next run and change their cells).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.fields import normalised
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import as_dates, as_datetimes

TRANSITION_COLUMNS = ["id", "from_stage", "to_stage", "at"]
MEMORY_COLUMNS = ["stage", "entered", "first_seen"]
NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class Remembered:
    stage_entered: pd.Series  # datetime64[ns] per Opportunities row
    proven_index: pd.Series  # int per row
    transitions: pd.DataFrame
    memory: StageMemory


def remember(ids: pd.Series, stages: pd.Series, stage_dates: pd.Series, config: Config, *,
             as_of: dt.date, memory: StageMemory, history: pd.DataFrame | None,
             open_dates: pd.DataFrame, sighted: pd.Series) -> Remembered:
    """``stages``: configured stage name or None (unknown); ``stage_dates``: the current stage's
    Entered Date Field per row; ``open_dates``: filled Entered Date Fields by open stage index;
    ``sighted``: ``sighted_dates`` per row."""
    today = np.datetime64(as_of, "ns")
    known = ids.notna() & stages.notna()
    entries = memory.entries
    first = ~ids.duplicated()  # a repeated ID is another deal: it recalls nothing
    position = entries.index.get_indexer(ids.fillna("").to_numpy())  # -1: not remembered
    position[~first.to_numpy()] = -1
    recalled = pd.DataFrame({c: np.append(entries[c].to_numpy(dtype=object), np.nan)[position]
                             for c in MEMORY_COLUMNS}, index=ids.index, dtype=object)
    stage_key = normalised(stages)
    same = known & (normalised(recalled["stage"]) == stage_key)
    seen = known & first
    changed = seen & recalled["stage"].notna() & ~same
    transitions = pd.DataFrame({"id": ids[changed], "from_stage": recalled["stage"][changed],
                                "to_stage": stages[changed]}, columns=TRANSITION_COLUMNS)
    transitions["at"] = as_of
    recalled_entered = as_datetimes(recalled["entered"].where(same, None))
    first_seen = as_datetimes(recalled["first_seen"])
    latest = _latest(_history_into_stage(ids, stage_key, history).where(first),
                     recalled_entered.where(recalled_entered != first_seen),
                     pd.Series(np.where(changed, today, NAT), index=ids.index)).where(known)
    stage_known = stages.notna()
    entered = stage_dates.where(stage_known).fillna(latest).fillna(sighted.where(stage_known))
    return Remembered(
        stage_entered=entered.astype("datetime64[ns]"),
        proven_index=_proven(ids, config, history, transitions, open_dates),
        transitions=transitions.reset_index(drop=True),
        memory=StageMemory(_updated(entries, position[seen.to_numpy()], ids[seen], {
            "stage": stages[seen].to_numpy(dtype=object),
            "entered": as_dates(latest[seen]),
            "first_seen": recalled["first_seen"][seen].fillna(as_of).to_numpy(dtype=object),
        })),
    )


def sighted_dates(deals: pd.DataFrame, config: Config, as_of: dt.date) -> pd.Series:
    """The day a deal's own cells give for entering its current stage: for a won or lost deal
    its Close Date (``closed_on``), else its Expected Close; for a deal in the first stage its
    Created. Only days on or before ``as_of`` count (a later one is a plan, not an entry);
    NaT when none does."""
    today = pd.Timestamp(as_of)
    closed = deals["kind"].isin(["won", "lost"])
    first_open = next((i for i, s in enumerate(config.stages) if s.kind == "open"), None)
    candidates = [deals["closed_on"].where(closed), deals["expected_close"].where(closed),
                  deals["created"].where(deals["stage_index"] == first_open)]
    sighted = pd.Series(pd.NaT, index=deals.index, dtype="datetime64[ns]")
    for dates in candidates:
        sighted = sighted.fillna(dates.where(dates <= today))
    return sighted


def _latest(*moments: pd.Series) -> pd.Series:
    """The latest of several datetime64 columns, row by row (NaT when all are)."""
    ticks = np.maximum.reduce([m.to_numpy("datetime64[ns]").view("int64") for m in moments])
    return pd.Series(ticks.view("datetime64[ns]"), index=moments[0].index)


def _history_into_stage(ids: pd.Series, stage_key: pd.Series, history: pd.DataFrame | None
                        ) -> pd.Series:
    """Latest History transition of each row's ID into its current stage."""
    if history is None or history.empty:
        return pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns]")
    moves = pd.DataFrame({"id": history["id"].astype(object),
                          "key": normalised(history["to_stage"].astype(object)),
                          "at": pd.to_datetime(history["at"], errors="coerce")})
    latest = moves.dropna().groupby(["id", "key"])["at"].max()
    wanted = pd.MultiIndex.from_arrays([ids.fillna(""), stage_key.fillna("")])
    return pd.Series(latest.reindex(wanted).to_numpy(), index=ids.index, dtype="datetime64[ns]")


def _proven(ids: pd.Series, config: Config, history: pd.DataFrame | None,
            transitions: pd.DataFrame, open_dates: pd.DataFrame) -> pd.Series:
    """Furthest open stage proven reached by a filled Entered Date Field or a recorded move."""
    proven = pd.Series(-1, index=ids.index, dtype="int64")
    if not open_dates.empty:
        filled = open_dates.notna().to_numpy()
        columns = np.asarray(open_dates.columns, dtype="int64")
        proven[:] = np.where(filled, columns, -1).max(axis=1, initial=-1)
    moves = [transitions] if history is None else [history, transitions]
    seen = pd.concat([m[["id", col]].set_axis(["id", "stage"], axis=1)
                      for m in moves for col in ("from_stage", "to_stage")])
    open_index = {normalise_name(s.name): i for i, s in enumerate(config.stages)
                  if s.kind == "open"}
    seen = seen.assign(index=normalised(seen["stage"].astype(object)).map(open_index)).dropna()
    if seen.empty:
        return proven
    furthest = seen.groupby("id")["index"].max()
    from_history = ids.map(furthest).fillna(-1).astype("int64")
    return np.maximum(proven, from_history)


def _updated(entries: pd.DataFrame, position: np.ndarray, ids: pd.Series,
             fresh: dict[str, np.ndarray]) -> pd.DataFrame:
    """Old memory with this run's rows (``fresh``, at ``position`` in it, -1 when new) written
    over it; new IDs appended in sheet order."""
    known, new = position[position >= 0], position < 0
    columns = {}
    for column in MEMORY_COLUMNS:
        kept = entries[column].to_numpy(dtype=object, copy=True)
        kept[known] = fresh[column][~new]
        columns[column] = np.concatenate([kept, fresh[column][new]])
    index = np.concatenate([entries.index.to_numpy(dtype=object),
                            ids.to_numpy(dtype=object)[new]])
    return pd.DataFrame(columns, index=pd.Index(index, dtype=object, name="id"), dtype=object)
