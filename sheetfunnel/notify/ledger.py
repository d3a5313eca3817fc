"""The delivery ledger: which open flags the team has been told of, kept in a region of its own
of the hidden ``_sheetfunnel`` tab so that it travels with the workbook.

Lean: one shared row per flag seen (deal + flag, not one per flag per person) and one row per
audience's last digest — 187,000 open flags and 300 reps are 187,000 rows, not a million.
Layout (columns T:Z, all text so both backends store it alike):

    T1:Z1     Notify ledger | Owner | Deal | Flag | First | Last | Tier
    flag      owner | deal ID | flag code | first told (ISO UTC) | last sent to its rep | tier
    resolved  owner | deal ID | flag code | first told | resolved (ISO UTC) | —
    digest    audience | kind (rep, manager, escalation) | — | local day | sent (ISO UTC) | —
    pace      channel | — | — | — | recent send times (ISO UTC, space separated) | —

The tier counts the digests that listed the flag to its rep (0: only a manager heard of it);
it picks the re-notify interval. Only what a channel accepted is recorded, so a failed
delivery is retried next run. Rows keep their order between runs (new keys appended, gone
keys cleared), so a quiet run rewrites nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from sheetfunnel.grid import Cell, Grid, is_blank

FIRST_COL = 20  # T
HEADER = ("Notify ledger", "Owner", "Deal", "Flag", "First", "Last", "Tier")
WIDTH = len(HEADER)

#: (owner, deal ID, flag code)
FlagKey = tuple[str, str, str]
#: The shared flags, indexed by (deal, code).
SEEN_COLUMNS = ("owner", "first", "last", "tier", "resolved")


def no_flags() -> pd.DataFrame:
    """An empty ``seen`` table, with its index and dtypes."""
    index = pd.MultiIndex.from_arrays([pd.Index([], dtype=object)] * 2, names=["deal", "code"])
    moment = pd.Series([], dtype="datetime64[ns, UTC]", index=index)
    return pd.DataFrame({"owner": pd.Series([], dtype=object, index=index), "first": moment,
                         "last": moment, "tier": pd.Series([], dtype="int64", index=index),
                         "resolved": moment})


class Located(NamedTuple):
    """(deal, code) keys as integers, and where each is in a ledger's ``seen``."""

    deal: np.ndarray  # each key's deal, a place in ``deals``
    code: np.ndarray  # each key's code, a place in ``codes``
    deals: np.ndarray
    codes: np.ndarray
    joint: np.ndarray  # one integer per distinct (deal, code)
    at: np.ndarray  # the key's row in ``seen``, -1 when not there


def locate(seen: pd.DataFrame, deals: np.ndarray, codes: np.ndarray) -> Located:
    """Where keys are in ``seen``: one hash join over integers (a MultiIndex lookup would
    sort 200,000 deal IDs first)."""
    count = len(deals)
    deal, deal_names = pd.factorize(np.concatenate([
        np.asarray(deals, dtype=object), seen.index.get_level_values(0).to_numpy(object)]))
    code, code_names = pd.factorize(np.concatenate([
        np.asarray(codes, dtype=object), seen.index.get_level_values(1).to_numpy(object)]))
    joint = deal.astype("int64") * max(len(code_names), 1) + code
    at = pd.Index(joint[count:]).get_indexer(joint[:count])
    return Located(deal[:count], code[:count], np.asarray(deal_names, dtype=object),
                   np.asarray(code_names, dtype=object), joint[:count], at)


@dataclass(frozen=True)
class Digest:
    day: str  # the local day of a digest slot; "" for escalations
    at: dt.datetime


@dataclass(frozen=True, eq=False)
class Ledger:
    #: (deal, code) -> owner, first (told), last (sent to its rep), tier, resolved (or NaT)
    seen: pd.DataFrame = field(default_factory=no_flags)
    #: (audience, kind: rep | manager | escalation) -> the last one the channel accepted
    digests: dict[tuple[str, str], Digest] = field(default_factory=dict)
    #: channel -> recent send times (UTC), for robots' per-minute limits across runs
    pace: dict[str, tuple[dt.datetime, ...]] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Equal when they would be written alike."""
        return isinstance(other, Ledger) and _rows(self) == _rows(other)

    __hash__ = None  # type: ignore[assignment]


def _text(value: Cell) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _utc(texts: pd.Series) -> pd.Series:
    return pd.to_datetime(texts, errors="coerce", utc=True, format="ISO8601")


def read_ledger(grid: Grid | None) -> Ledger:
    """The ledger region; rows that cannot be read are forgotten (at worst a message is
    sent again), never fatal."""
    region = [[_text(row[FIRST_COL - 1 + i]) if FIRST_COL - 1 + i < len(row) else ""
               for i in range(WIDTH)] for row in (grid or [])[1:]]
    table = pd.DataFrame(region, columns=["kind", "owner", "deal", "code", "first", "last",
                                          "tier"], dtype=object)
    flags = table[table["kind"].isin(["flag", "resolved"]) & (table["owner"] != "")
                  & (table["deal"] != "") & (table["code"] != "")]
    first = _utc(flags["first"])
    last = _utc(flags["last"].where(flags["kind"] == "flag", ""))
    resolved = _utc(flags["last"].where(flags["kind"] == "resolved", ""))
    tier = pd.to_numeric(flags["tier"], errors="coerce").fillna(1).astype("int64")
    readable = first.notna() & (last.notna() | resolved.notna())
    seen = pd.DataFrame({"owner": flags["owner"], "first": first, "last": last, "tier": tier,
                         "resolved": resolved})[readable]
    seen.index = pd.MultiIndex.from_arrays([flags["deal"][readable], flags["code"][readable]],
                                           names=["deal", "code"])
    seen = seen[~seen.index.duplicated(keep="last")]
    ledger = Ledger(seen if len(seen) else no_flags())
    for kind, audience, what, _, day, last_text, _ in table[
            table["kind"].isin(["digest", "pace"])].itertuples(index=False, name=None):
        if kind == "digest" and audience and what and (when := _moment(last_text)):
            ledger.digests[(audience, what)] = Digest(day, when)
        elif kind == "pace" and audience:
            ledger.pace[audience] = tuple(t for t in map(_moment, last_text.split()) if t)
    return ledger


def _iso(moments: pd.Series) -> list[str]:
    return [m.isoformat(timespec="seconds") if m is not pd.NaT else ""
            for m in moments.dt.tz_convert("UTC")]


def _rows(ledger: Ledger) -> dict[tuple[str, ...], tuple[str, ...]]:
    rows: dict[tuple[str, ...], tuple[str, ...]] = {}
    seen = ledger.seen
    gone = seen["resolved"].notna().tolist()
    for closed, owner, (deal, code), first, last, resolved, tier in zip(
            gone, seen["owner"].tolist(), seen.index, _iso(seen["first"]), _iso(seen["last"]),
            _iso(seen["resolved"]), seen["tier"].tolist(), strict=True):
        kind = "resolved" if closed else "flag"
        rows[(kind, owner, deal, code)] = (kind, owner, deal, code, first,
                                           resolved if closed else last,
                                           "" if closed else str(tier))
    for (audience, kind), digest in ledger.digests.items():
        rows[("digest", audience, kind, "")] = (
            "digest", audience, kind, "", digest.day,
            digest.at.astimezone(dt.UTC).isoformat(timespec="seconds"), "")
    for channel, times in ledger.pace.items():
        shown = " ".join(t.astimezone(dt.UTC).isoformat(timespec="seconds") for t in times)
        rows[("pace", channel, "", "")] = ("pace", channel, "", "", "", shown, "")
    return rows


def _key(row: list[Cell]) -> tuple[str, ...]:
    cells = [_text(row[FIRST_COL - 1 + i]) if FIRST_COL - 1 + i < len(row) else ""
             for i in range(4)]
    return tuple(cells)


def ledger_cells(previous: Grid | None, ledger: Ledger) -> dict[tuple[int, int], Cell]:
    """The region's desired cells: known keys keep their row, new keys fill freed rows and then
    follow, rows of keys gone are cleared."""
    wanted = _rows(ledger)
    old = [_key(row) for row in (previous or [])[1:]]
    placed: dict[int, tuple[str, ...]] = {}
    used: set[tuple[str, ...]] = set()
    free: list[int] = []
    for index, key in enumerate(old, start=2):
        if key in wanted and key not in used:
            placed[index] = key
            used.add(key)
        elif any(key):
            free.append(index)
    last = max([1, *placed, *free])
    free.reverse()  # popped from the end: the lowest free row first
    for key in wanted:
        if key in used:
            continue
        if free:
            placed[free.pop()] = key
        else:
            last += 1
            placed[last] = key
    cells: dict[tuple[int, int], Cell] = {(1, FIRST_COL + i): h for i, h in enumerate(HEADER)}
    for index in free:
        for i in range(WIDTH):
            cells[(index, FIRST_COL + i)] = None
    for index, key in placed.items():
        for i, value in enumerate(wanted[key]):
            cells[(index, FIRST_COL + i)] = value or None
    return cells


def keep_recent(times: Iterable[dt.datetime], now: dt.datetime,
                window: dt.timedelta) -> tuple[dt.datetime, ...]:
    return tuple(t for t in times if now - t < window)


#: Days a resolved flag is kept, to be listed once in each digest that had told of it.
KEEP_RESOLVED_DAYS = 14


def settled(ledger: Ledger, still_open: pd.MultiIndex, now: dt.datetime) -> Ledger:
    """The ledger at the end of a run: flags no longer open (``still_open``: deal, code) are
    resolved as of now, and forgotten ``KEEP_RESOLVED_DAYS`` later."""
    seen = ledger.seen
    closing = ~seen.index.isin(still_open) & seen["resolved"].isna()
    moment = pd.Timestamp(now).tz_convert("UTC")
    old = seen["resolved"] < moment - pd.Timedelta(days=KEEP_RESOLVED_DAYS)
    if not closing.any() and not old.any():
        return ledger
    seen = seen[~old.to_numpy()].copy()
    seen.loc[closing[~old.to_numpy()], "resolved"] = moment
    return dataclasses.replace(ledger, seen=seen)
