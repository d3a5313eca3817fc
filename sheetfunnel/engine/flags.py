"""Every flag of spec §3.4, one function each, and the Flags cell a person reads.

Each function takes the judged deals (one row per Opportunities row) and the detail sentences
of the run's language (sheetfunnel.words), and returns the flagged rows: row, code, detail,
since. ``since`` comes from the data (not the run's clock) so a rerun writes the same
Attention tab. Only open deals get the time-based flags. Details and the Flags
cell are built once per distinct text, not once per row: flags repeat the same few dates, day
counts and stages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.ids import DealIds
from sheetfunnel.words import ICONS

#: A flag's detail sentence by code, in the run's language (sheetfunnel.words).
Details = Mapping[str, str]


@dataclass(frozen=True)
class Facts:
    """What every rule may look at: the judged deals (one row per Opportunities row), their
    IDs factorised, the unreadable cells (row, detail), the start of today and the moment of
    the run (both wall clock in the Settings timezone) and the config."""

    deals: pd.DataFrame
    ids: DealIds
    unreadable: pd.DataFrame
    today: pd.Timestamp
    config: Config
    now: pd.Timestamp | None = None

    @property
    def moment(self) -> pd.Timestamp:
        return self.today if self.now is None else self.now

def _distinct(build: Callable[..., pd.Series], *parts: pd.Series
              ) -> tuple[np.ndarray, np.ndarray]:
    """``build(*parts)`` computed once per distinct combination of parts: (the combination of
    each row, the built value of each combination as object)."""
    combination, _ = pd.factorize(parts[0], use_na_sentinel=False)
    for part in parts[1:]:
        codes, uniques = pd.factorize(part, use_na_sentinel=False)
        combination, _ = pd.factorize(combination * len(uniques) + codes)
    first = np.flatnonzero(~pd.Series(combination).duplicated().to_numpy())
    return combination, build(*(part.iloc[first] for part in parts)).to_numpy(dtype=object)


def _sentence(template: str, *parts: pd.Series) -> pd.Series:
    """Fill ``template`` column-wise: {0}, {1} … are the parts."""
    combination, filled = _distinct(lambda *distinct: _filled(template, *distinct), *parts)
    return pd.Series(filled[combination], index=parts[0].index, dtype=object)


def _filled(template: str, *parts: pd.Series) -> pd.Series:
    pieces = template.replace("}", "{").split("{")
    out = pd.Series(pieces[0], index=parts[0].index, dtype=object)
    for i in range(1, len(pieces), 2):
        out = out + _shown(parts[int(pieces[i])]) + pieces[i + 1]
    return out


def _shown(part: pd.Series) -> pd.Series:
    """Whole numbers without ``.0``; text as is."""
    if pd.api.types.is_float_dtype(part.dtype):
        part = part.fillna(0).astype("int64")
    return part.astype(str).astype(object)


def _day(values: pd.Series) -> pd.Series:
    """``2026-11-24`` (NaN for NaT), each distinct day formatted once."""
    codes, days = pd.factorize(values, use_na_sentinel=True)
    shown = np.append(pd.DatetimeIndex(days).strftime("%Y-%m-%d").to_numpy(dtype=object), np.nan)
    return pd.Series(shown[codes], index=values.index, dtype=object)


def _flagged(deals: pd.DataFrame, mask: pd.Series, code: str, detail: pd.Series,
             since: pd.Series | None = None) -> pd.DataFrame:
    """``detail`` and ``since`` may be given for the flagged rows only."""
    rows = deals.index[mask.to_numpy()]
    return pd.DataFrame({
        "row": rows, "code": code, "detail": detail.reindex(rows).to_numpy(dtype=object),
        "since": since.reindex(rows).to_numpy("datetime64[ns]") if since is not None
        else np.full(len(rows), np.datetime64("NaT", "ns")),
    })


def duplicate_id(facts: Facts, details: Details) -> pd.DataFrame:
    deals = facts.deals
    shared = pd.Series(facts.ids.shared(), index=deals.index)
    rows = pd.Series(deals.index, index=deals.index)[shared].astype(str)
    listed = rows.groupby(facts.ids.codes[shared.to_numpy()]).transform(", ".join)
    detail = _sentence(details["DUPLICATE_ID"], deals["id"][shared], listed)
    return _flagged(deals, shared, "DUPLICATE_ID", detail)


def unknown_stage(facts: Facts, details: Details) -> pd.DataFrame:
    deals = facts.deals
    unknown = deals["stage_index"] < 0
    typed = deals["stage"][unknown].fillna("")
    detail = _sentence(details["UNKNOWN_STAGE"], typed).where(
        typed != "", details["EMPTY_STAGE"])
    return _flagged(deals, unknown, "UNKNOWN_STAGE", detail)


def invalid_value(facts: Facts, details: Details) -> pd.DataFrame:
    """One flag per unreadable cell, on the row it affects."""
    unreadable = facts.unreadable
    detail = _sentence(details["INVALID_VALUE"], unreadable["detail"])
    return pd.DataFrame({"row": unreadable["row"].astype("int64"), "code": "INVALID_VALUE",
                         "detail": detail.astype(object),
                         "since": pd.Series(pd.NaT, index=unreadable.index,
                                            dtype="datetime64[ns]")})


def missing_criteria(facts: Facts, details: Details) -> pd.DataFrame:
    deals = facts.deals
    failed = deals["missing"].notna()
    detail = _sentence(details["MISSING_CRITERIA"], deals["missing"][failed])
    return _flagged(deals, failed, "MISSING_CRITERIA", detail, deals["stage_entered"])


def close_date_passed(facts: Facts, details: Details) -> pd.DataFrame:
    deals, today = facts.deals, facts.today
    passed = deals["is_open"] & (deals["expected_close"] < today)
    close = deals["expected_close"][passed]
    detail = _sentence(details["CLOSE_DATE_PASSED"], _day(close))
    return _flagged(deals, passed, "CLOSE_DATE_PASSED", detail, close + pd.Timedelta(days=1))


def no_first_response(facts: Facts, details: Details) -> pd.DataFrame:
    """Created more than ``response_hours`` before now (real hours: Created's time of day when
    the cell has one, else 00:00), and no activity at all."""
    deals = facts.deals
    due = deals["created_at"] + pd.Timedelta(hours=facts.config.settings.response_hours)
    silent = deals["is_open"] & ~deals["has_activity"] & (due < facts.moment)
    detail = _sentence(details["NO_FIRST_RESPONSE"], _day(deals["created"][silent]))
    return _flagged(deals, silent, "NO_FIRST_RESPONSE", detail, due.dt.normalize())


def follow_up_overdue(facts: Facts, details: Details) -> pd.DataFrame:
    """Fires on the Follow-up Days-th day without activity (7 → day 7)."""
    deals, today = facts.deals, facts.today
    last = deals["last_activity"].dt.normalize()
    quiet = (today - last).dt.days
    overdue = deals["is_open"] & (quiet >= deals["follow_up_days"])
    detail = _sentence(details["FOLLOW_UP_OVERDUE"], quiet[overdue],
                       deals["follow_up_days"][overdue])
    since = last + pd.to_timedelta(deals["follow_up_days"], unit="D")
    return _flagged(deals, overdue, "FOLLOW_UP_OVERDUE", detail, since)


def next_step_overdue(facts: Facts, details: Details) -> pd.DataFrame:
    deals, today = facts.deals, facts.today
    due = deals["next_step_due"].dt.normalize()
    late = deals["is_open"] & (due < today)
    detail = _sentence(details["NEXT_STEP_OVERDUE"], _day(due[late]))
    return _flagged(deals, late, "NEXT_STEP_OVERDUE", detail, due + pd.Timedelta(days=1))


def stalled(facts: Facts, details: Details) -> pd.DataFrame:
    """More than Stall Days in the stage (14 → day 15)."""
    deals = facts.deals
    days = deals["days_in_stage"]
    stuck = deals["is_open"] & (days > deals["stall_days"])
    detail = _sentence(details["STALLED"], deals["stage"][stuck], days[stuck],
                       deals["stall_days"][stuck])
    since = deals["stage_entered"] + pd.to_timedelta(deals["stall_days"] + 1, unit="D")
    return _flagged(deals, stuck, "STALLED", detail, since)


def negative_signal(facts: Facts, details: Details) -> pd.DataFrame:
    """Not on won or lost deals: there is nothing left to rescue."""
    deals = facts.deals
    bad = deals["negative"] & ~deals["is_closed"]
    when = _day(deals["negative_date"][bad]).fillna("?")
    detail = _sentence(details["NEGATIVE_SIGNAL"], when)
    return _flagged(deals, bad, "NEGATIVE_SIGNAL", detail, deals["negative_date"])


Rule = Callable[[Facts, Details], pd.DataFrame]

#: Every flag and its rule, most severe first (spec §3.4: the Flags cell, Attention, the
#: Summary and digests use this order).
#: A new flag: its rule above, its line here, its words in sheetfunnel/words, its test.
RULES: dict[str, Rule] = {
    "NEGATIVE_SIGNAL": negative_signal,
    "NO_FIRST_RESPONSE": no_first_response,
    "FOLLOW_UP_OVERDUE": follow_up_overdue,
    "NEXT_STEP_OVERDUE": next_step_overdue,
    "STALLED": stalled,
    "CLOSE_DATE_PASSED": close_date_passed,
    "MISSING_CRITERIA": missing_criteria,
    "UNKNOWN_STAGE": unknown_stage,
    "DUPLICATE_ID": duplicate_id,
    "INVALID_VALUE": invalid_value,
}
FLAG_CODES = tuple(RULES)
SEVERITY = {code: rank for rank, code in enumerate(FLAG_CODES, start=1)}


def every_flag(deals: pd.DataFrame, ids: DealIds, unreadable: pd.DataFrame, config: Config,
               as_of: dt.date, details: Details, now: dt.datetime | None = None
               ) -> pd.DataFrame:
    """All flags, one row each: row, code, detail, since (datetime64), severity. ``ids``: the
    deals' IDs factorised. ``now`` (wall clock in the Settings timezone, on ``as_of``) defaults
    to the start of ``as_of``."""
    facts = Facts(deals, ids, unreadable, pd.Timestamp(as_of), config,
                  None if now is None else pd.Timestamp(now))
    found = [rule(facts, details) for rule in RULES.values()]
    flags = pd.concat([f for f in found if len(f)] or [found[0]], ignore_index=True)
    flags["severity"] = np.repeat(list(SEVERITY.values()), [len(f) for f in found])
    return flags


def flags_cells(flags: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """The Flags cell (``⛔ Missing: Decision Maker · ⏰ No follow-up for 9 days``) and the
    codes of each row, most severe first (None / () when the row has no flag)."""
    order = np.lexsort((flags["severity"].to_numpy(), flags["row"].to_numpy()))
    ordered = flags.iloc[order]
    which, pieces = _distinct(_pieces, ordered["severity"], ordered["detail"])
    later = " · " + pieces  # a piece after the first of its row
    severity = ordered["severity"].to_numpy()
    position = row_positions(index, ordered["row"].to_numpy())
    text = np.full(len(index), None, dtype=object)
    nth = _nth_of_row(position)
    for k in range(int(nth.max()) + 1 if len(nth) else 0):
        at, piece = position[nth == k], which[nth == k]
        text[at] = pieces[piece] if k == 0 else text[at] + later[piece]
    mask = np.zeros(len(index), dtype="int64")
    np.bitwise_or.at(mask, position, 1 << severity)
    mask_of_row, masks = pd.factorize(mask)
    codes = np.empty(len(masks), dtype=object)
    codes[:] = [tuple(c for c in FLAG_CODES if m & (1 << SEVERITY[c])) for m in masks]
    return (pd.Series(text, index=index, dtype=object),
            pd.Series(codes[mask_of_row], index=index, dtype=object))


def row_positions(index: pd.Index, rows: np.ndarray) -> np.ndarray:
    """Where each of ``rows`` (sheet rows, all in ``index``) is in ``index``: by binary search
    when the index runs top to bottom, as a tab read in order does (no hash table of 100,000
    rows), else by hash."""
    values = index.to_numpy()
    if values.dtype.kind == "i" and bool(np.all(values[1:] > values[:-1])):
        return np.searchsorted(values, rows)
    return index.get_indexer(rows)


def _pieces(severity: pd.Series, detail: pd.Series) -> pd.Series:
    """``⏰ No follow-up for 9 days``: a flag as its part of the Flags cell."""
    icons = pd.Series([None, *(ICONS[c] for c in FLAG_CODES)], dtype=object)
    return (icons.iloc[severity.to_numpy()].set_axis(detail.index) + " "
            + detail.astype(str).astype(object))


def _nth_of_row(position: np.ndarray) -> np.ndarray:
    """0 for a row's first flag, 1 for its second … (``position`` sorted)."""
    starts = np.ones(len(position), dtype=bool)
    starts[1:] = position[1:] != position[:-1]
    first = np.flatnonzero(starts)
    return np.arange(len(position)) - first[np.cumsum(starts) - 1]
