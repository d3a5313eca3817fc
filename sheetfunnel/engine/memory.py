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
from sheetfunnel.engine.ids import DealIds
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import as_dates, as_datetimes

TRANSITION_COLUMNS = ["id", "from_stage", "to_stage", "at"]
MEMORY_COLUMNS = ["stage", "entered", "first_seen"]
NAT_TICKS = np.datetime64("NaT", "ns").view("int64")  # the smallest int64


@dataclass(frozen=True)
class Remembered:
    stage_entered: pd.Series  # datetime64[ns] per Opportunities row
    proven_index: pd.Series  # int per row
    transitions: pd.DataFrame
    memory: StageMemory


def remember(ids: DealIds, stage_index: pd.Series, stage_dates: pd.Series, config: Config, *,
             as_of: dt.date, memory: StageMemory, history: pd.DataFrame | None,
             open_dates: pd.DataFrame, sighted: pd.Series) -> Remembered:
    """``ids``: the rows' IDs, factorised; ``stage_index``: each row's configured stage (-1:
    unknown); ``stage_dates``: the current stage's Entered Date Field per row; ``open_dates``:
    filled Entered Date Fields by open stage index; ``sighted``: ``sighted_dates`` per row.
    Memory is read ID by ID and History move by move, then spread to the rows by ID code."""
    today = pd.Timestamp(as_of).value  # int64 nanoseconds, as the ticks below
    index = stage_index.index
    staged = stage_index.to_numpy()
    stages = np.array([s.name for s in config.stages] + [None], dtype=object)[staged]
    stage_known = staged >= 0
    known = (ids.codes >= 0) & stage_known
    first = ids.first()  # a repeated ID is another deal: it recalls nothing
    entries = memory.entries
    position = _positions(ids, entries.index)
    position[~first] = -1  # -1: not remembered
    recalled_stage = _taken(entries["stage"].to_numpy(dtype=object), position, np.nan)
    recalled_index = _taken(_stage_positions(entries["stage"], config), position, -1)
    same = known & (recalled_index == staged)
    seen = known & first
    changed = seen & pd.notna(recalled_stage) & ~same
    transitions = pd.DataFrame({"id": ids.texts[changed],
                                "from_stage": pd.Series(recalled_stage[changed],
                                                        index=index[changed], dtype=object),
                                "to_stage": pd.Series(stages[changed], index=index[changed],
                                                      dtype=object)},
                               columns=TRANSITION_COLUMNS)
    transitions["at"] = as_of
    recalled_entered = np.where(same, _ticks(entries["entered"], position), NAT_TICKS)
    seen_first = _ticks(entries["first_seen"], position)
    latest = _latest(np.where(first, _history_into_stage(ids, staged, history, config),
                              NAT_TICKS),
                     np.where(recalled_entered != seen_first, recalled_entered, NAT_TICKS),
                     np.where(changed, today, NAT_TICKS))
    latest = np.where(known, latest, NAT_TICKS)
    own = stage_dates.to_numpy("datetime64[ns]").view("int64")
    found = np.where(own != NAT_TICKS, own, latest)
    found = np.where(found != NAT_TICKS, found,
                     sighted.to_numpy("datetime64[ns]").view("int64"))
    entered = np.where(stage_known, found, NAT_TICKS).view("datetime64[ns]")
    first_seen = _taken(entries["first_seen"].to_numpy(dtype=object), position, None)[seen]
    first_seen[pd.isna(first_seen)] = as_of
    return Remembered(
        stage_entered=pd.Series(entered, index=index),
        proven_index=_proven(ids, config, history, transitions, open_dates),
        transitions=transitions.reset_index(drop=True),
        memory=StageMemory(_updated(entries, position[seen], ids.texts[seen], {
            "stage": stages[seen],
            "entered": as_dates(pd.Series(latest[seen].view("datetime64[ns]"))),
            "first_seen": first_seen,
        })),
    )


def _positions(ids: DealIds, remembered: pd.Index) -> np.ndarray:
    """Each row's position in memory (-1 when its ID is not there)."""
    codes = ids.lookup(remembered)
    at = np.full(len(ids.distinct), -1, dtype=np.intp)
    found = codes >= 0
    at[codes[found]] = np.flatnonzero(found)
    return ids.by_row(at, -1)


def _taken(values: np.ndarray, position: np.ndarray, missing: object) -> np.ndarray:
    """``values[position]``, ``missing`` where the position is -1."""
    return np.append(values, np.array([missing], dtype=values.dtype))[position]


def _stage_positions(stages: pd.Series, config: Config) -> np.ndarray:
    """Each remembered stage's index in Config.stages (-1: not a configured stage)."""
    position = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    return normalised(stages.astype(object)).map(position).fillna(-1).to_numpy("int64")


def _ticks(days: pd.Series, position: np.ndarray) -> np.ndarray:
    """Remembered days (``datetime.date`` or None) as int64 nanoseconds, by row."""
    return _taken(as_datetimes(days).to_numpy("datetime64[ns]").view("int64"), position,
                  NAT_TICKS)


def sighted_dates(deals: pd.DataFrame, config: Config, as_of: dt.date) -> pd.Series:
    """The day a deal's own cells give for entering its current stage: for a won or lost deal
    its Close Date (``closed_on``), else its Expected Close; for a deal in the first stage its
    Created. Only days on or before ``as_of`` count (a later one is a plan, not an entry);
    NaT when none does."""
    today = pd.Timestamp(as_of)
    closed = deals["is_closed"]
    first_open = next((i for i, s in enumerate(config.stages) if s.kind == "open"), None)
    candidates = [deals["closed_on"].where(closed), deals["expected_close"].where(closed),
                  deals["created"].where(deals["stage_index"] == first_open)]
    sighted = pd.Series(pd.NaT, index=deals.index, dtype="datetime64[ns]")
    for dates in candidates:
        sighted = sighted.fillna(dates.where(dates <= today))
    return sighted


def _latest(*moments: np.ndarray) -> np.ndarray:
    """The latest of several int64 nanosecond columns, row by row (NaT when all are: NaT is
    the smallest int64)."""
    return np.maximum.reduce(moments)


def _history_into_stage(ids: DealIds, stage_index: np.ndarray, history: pd.DataFrame | None,
                        config: Config) -> np.ndarray:
    """Latest History transition of each row's ID into its current stage (int64 ns)."""
    if history is None or history.empty:
        return np.full(len(stage_index), NAT_TICKS)
    moves = pd.DataFrame({"code": ids.lookup(history["id"].astype(object)),
                          "stage": _stage_positions(history["to_stage"], config),
                          "at": pd.to_datetime(history["at"], errors="coerce")})
    moves = moves[(moves["code"] >= 0) & (moves["stage"] >= 0)].dropna()
    count = len(config.stages)
    latest = moves.groupby(moves["code"] * count + moves["stage"])["at"].max()
    pairs = np.where((ids.codes >= 0) & (stage_index >= 0), ids.codes * count + stage_index, -1)
    found = latest.index.get_indexer(pairs)
    ticks = np.append(latest.to_numpy("datetime64[ns]").view("int64"), NAT_TICKS)
    return ticks[found]


def _proven(ids: DealIds, config: Config, history: pd.DataFrame | None,
            transitions: pd.DataFrame, open_dates: pd.DataFrame) -> pd.Series:
    """Furthest open stage proven reached by a filled Entered Date Field or a recorded move."""
    index = ids.texts.index
    proven = np.full(len(index), -1, dtype="int64")
    if not open_dates.empty:
        filled = open_dates.notna().to_numpy()
        columns = np.asarray(open_dates.columns, dtype="int64")
        proven = np.where(filled, columns, -1).max(axis=1, initial=-1)
    moves = [transitions] if history is None else [history, transitions]
    seen = pd.concat([m[["id", col]].set_axis(["id", "stage"], axis=1)
                      for m in moves for col in ("from_stage", "to_stage")])
    open_index = {normalise_name(s.name): i for i, s in enumerate(config.stages)
                  if s.kind == "open"}
    reached = normalised(seen["stage"].astype(object)).map(open_index).to_numpy()
    codes = ids.lookup(seen["id"].astype(object))
    useful = (codes >= 0) & ~np.isnan(reached)
    furthest = np.full(len(ids.distinct), -1, dtype="int64")
    np.maximum.at(furthest, codes[useful], reached[useful].astype("int64"))
    return pd.Series(np.maximum(proven, ids.by_row(furthest, -1)), index=index)


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
