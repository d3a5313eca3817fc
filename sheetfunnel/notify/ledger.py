"""The delivery ledger: which open flags the team has been told of, kept in a region of its own
of the hidden ``_sheetfunnel`` tab so that it travels with the workbook.

Lean: one shared entry per flag seen (deal + flag, not one per flag per person) and one per
audience's last digest — 187,000 open flags and 300 reps are 187,000 entries, not a million.
Compact, like the stage memory (tabs/state.py), in two columns right of the owned-tab records:

    M1:N1   Notify ledger | Entries (JSON)
    M2:N…   flags   | [[deal ID, flag code, owner, first told, last sent to its rep, tier,
                        resolved], …]   up to 100 a cell (times ISO UTC, null when none)
            digests | [[audience, kind (rep, manager, escalation), local day, sent], …]
            pace    | [[channel, [recent send times]], …]

Each cell of N is at most 16,000 characters (a longer one is split). The tier counts the
digests that listed the flag to its rep (0: only a manager heard of it); it picks the
re-notify interval. Only what a channel accepted is recorded, so a failed delivery is retried
next run. An entry keeps its cell between runs (gone entries leave it, new ones fill cells
with room and then new rows), so a quiet run rewrites nothing and a change rewrites the cells
it touches. 207,000 entries take about 2,100 rows of two cells; the older form (T:Z, one row
of seven cells per entry) widened the tab's grid to column Z: it is still read, and its cells
are cleared when the compact form is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from sheetfunnel.grid import Cell, Grid, is_blank

KIND_COL = 13  # M
ENTRIES_COL = 14  # N
HEADER = ("Notify ledger", "Entries (JSON)")
KINDS = ("flags", "digests", "pace")
PER_CELL = 100  # entries in one cell
CHUNK = 16_000  # characters per cell, as tabs/state.py
OLD_FIRST_COL = 20  # T: the older form, one row per entry in T:Z
OLD_WIDTH = 7

#: (owner, deal ID, flag code)
FlagKey = tuple[str, str, str]
#: The shared flags, indexed by (deal, code).
SEEN_COLUMNS = ("owner", "first", "last", "tier", "resolved")
#: kind -> entry key -> the entry's JSON text
Entries = dict[str, dict[tuple[str, ...], str]]


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
        return isinstance(other, Ledger) and _entries(self) == _entries(other)

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
    """The ledger, from cells of the compact form or rows of the older one; entries that
    cannot be read are forgotten (at worst a message is sent again), never fatal."""
    found: dict[str, list[list[object]]] = {kind: [] for kind in KINDS}
    for _, kind, items in _stored(grid):
        found[kind].extend(items)
    old = _older(grid)
    flags = [item for item in found["flags"] if len(item) == 7
             and all(isinstance(v, str) and v for v in item[:3])]
    table = pd.DataFrame(old["flags"] + flags, dtype=object,
                         columns=["deal", "code", "owner", "first", "last", "tier", "resolved"])
    first, last, resolved = (_utc(table[name]) for name in ("first", "last", "resolved"))
    tier = pd.to_numeric(table["tier"], errors="coerce").fillna(1).astype("int64")
    readable = (first.notna() & (last.notna() | resolved.notna())).to_numpy()
    seen = pd.DataFrame({"owner": table["owner"], "first": first, "last": last, "tier": tier,
                         "resolved": resolved})[readable]
    seen.index = pd.MultiIndex.from_arrays([table["deal"][readable], table["code"][readable]],
                                           names=["deal", "code"])
    seen = seen[~seen.index.duplicated(keep="last")]
    ledger = Ledger(seen if len(seen) else no_flags())
    for item in old["digests"] + found["digests"]:
        if (len(item) == 4 and all(isinstance(v, str) for v in item) and item[0] and item[1]
                and (when := _moment(str(item[3])))):
            ledger.digests[(str(item[0]), str(item[1]))] = Digest(str(item[2]), when)
    for item in old["pace"] + found["pace"]:
        if len(item) == 2 and isinstance(item[0], str) and item[0] and isinstance(item[1], list):
            ledger.pace[item[0]] = tuple(t for t in map(_moment, map(str, item[1])) if t)
    return ledger


def _stored(grid: Grid | None) -> list[tuple[int, str, list[list[object]]]]:
    """(row, kind, entries) of each cell of the compact form; a cell that is no such JSON
    holds nothing."""
    cells = []
    for index, row in enumerate((grid or [])[1:], start=2):
        if len(row) < ENTRIES_COL:
            continue
        kind, text = _text(row[KIND_COL - 1]), row[ENTRIES_COL - 1]
        if kind not in KINDS:
            continue
        try:
            items = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            items = None
        cells.append((index, kind, [i for i in items if isinstance(i, list)]
                      if isinstance(items, list) else []))
    return cells


def _older(grid: Grid | None) -> dict[str, list[list[object]]]:
    """The entries of the older form (T:Z, one row each), in the compact form's shape."""
    found: dict[str, list[list[object]]] = {kind: [] for kind in KINDS}
    for row in (grid or [])[1:]:
        if len(row) < OLD_FIRST_COL:
            continue
        kind, owner, deal, code, first, last, tier = (
            _text(row[OLD_FIRST_COL - 1 + i]) if OLD_FIRST_COL - 1 + i < len(row) else ""
            for i in range(OLD_WIDTH))
        if kind in ("flag", "resolved") and owner and deal and code:
            found["flags"].append([deal, code, owner, first, last if kind == "flag" else None,
                                   tier or None, last if kind == "resolved" else None])
        elif kind == "digest" and owner and deal:
            found["digests"].append([owner, deal, first, last])
        elif kind == "pace" and owner:
            found["pace"].append([owner, last.split()])
    return found


def _quoted(texts: pd.Series) -> np.ndarray:
    """Each text as a JSON string: quoted as it is unless it needs escaping."""
    values = texts.astype(str)
    plain = ~values.str.contains(r'["\\\x00-\x1f\u2028\u2029]', regex=True).to_numpy()
    out = values.to_numpy(object).copy()
    out[plain] = '"' + out[plain] + '"'
    out[~plain] = [json.dumps(v, ensure_ascii=False) for v in out[~plain]]
    return out


def _json_times(moments: pd.Series) -> np.ndarray:
    """Each moment as a JSON string of ISO UTC seconds, null when there is none."""
    values = moments.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
    texts = np.datetime_as_string(values, unit="s").astype(object)
    return np.where(np.isnat(values), "null", '"' + texts + 'Z"').astype(object)


def _entries(ledger: Ledger) -> Entries:
    """Each entry's JSON text by kind and key, built on whole columns."""
    seen = ledger.seen
    deals = pd.Series(seen.index.get_level_values(0), dtype=object)
    codes = pd.Series(seen.index.get_level_values(1), dtype=object)
    closed = seen["resolved"].notna().to_numpy()
    tiers = np.where(closed, "null", seen["tier"].astype(str).to_numpy(object)).astype(object)
    last = np.where(closed, "null", _json_times(seen["last"])).astype(object)
    texts = ("[" + _quoted(deals) + "," + _quoted(codes) + ","
             + _quoted(pd.Series(seen["owner"].to_numpy(object), dtype=object)) + ","
             + _json_times(seen["first"]) + "," + last + "," + tiers + ","
             + _json_times(seen["resolved"]) + "]")
    keys = zip(deals.tolist(), codes.tolist(), strict=True)
    entries: Entries = {"flags": dict(zip(keys, texts.tolist(), strict=True))}
    entries["digests"] = {key: json.dumps([*key, digest.day, _iso(digest.at)],
                                          ensure_ascii=False)
                          for key, digest in ledger.digests.items()}
    entries["pace"] = {(channel,): json.dumps([channel, [_iso(t) for t in times]],
                                              ensure_ascii=False)
                       for channel, times in ledger.pace.items()}
    return entries


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_KEY_SIZE = {"flags": 2, "digests": 2, "pace": 1}


def ledger_cells(previous: Grid | None, ledger: Ledger) -> dict[tuple[int, int], Cell]:
    """The region's desired cells: each entry stays in its cell, new entries fill cells with
    room (lowest row first), then freed rows, then rows after; cells left empty are cleared,
    as are the older form's rows."""
    wanted = _entries(ledger)
    held: dict[int, tuple[str, list[tuple[str, ...]]]] = {}
    free: list[int] = []
    used: set[tuple[str, tuple[str, ...]]] = set()
    for index, kind, items in _stored(previous):
        want = wanted[kind]
        size = _KEY_SIZE[kind]
        keys = []
        for item in items:
            key = tuple(str(v) for v in item[:size])
            if key in want and (kind, key) not in used:
                used.add((kind, key))
                keys.append(key)
        if keys:
            held[index] = (kind, keys)
        else:
            free.append(index)
    region = [i for i, row in enumerate((previous or [])[1:], start=2)
              if any(not is_blank(v) for v in row[KIND_COL - 1 : ENTRIES_COL])]
    last = max([1, *region])
    free = sorted(set(free) | (set(region) - set(held)), reverse=True)  # popped lowest first
    for kind in KINDS:
        new = [key for key in wanted[kind] if (kind, key) not in used]
        for index in sorted(i for i, (k, _) in held.items() if k == kind):
            room = PER_CELL - len(held[index][1])
            if room > 0 and new:
                held[index][1].extend(new[:room])
                new = new[room:]
        for start in range(0, len(new), PER_CELL):
            if free:
                index = free.pop()
            else:
                last += 1
                index = last
            held[index] = (kind, new[start : start + PER_CELL])
    cells: dict[tuple[int, int], Cell] = {(1, KIND_COL): HEADER[0], (1, ENTRIES_COL): HEADER[1]}
    for index in free:
        cells[(index, KIND_COL)] = cells[(index, ENTRIES_COL)] = None
    for index, (kind, keys) in sorted(held.items()):
        texts = _fitting([wanted[kind][key] for key in keys])
        for text in texts[1:]:  # a cell grown past CHUNK: the rest in rows after
            last += 1
            cells[(last, KIND_COL)], cells[(last, ENTRIES_COL)] = kind, text
        cells[(index, KIND_COL)], cells[(index, ENTRIES_COL)] = kind, texts[0] if texts else None
    for index, row in enumerate(previous or [], start=1):  # the older form's cells
        for col, value in enumerate(row[OLD_FIRST_COL - 1 : OLD_FIRST_COL - 1 + OLD_WIDTH],
                                    start=OLD_FIRST_COL):
            if not is_blank(value):
                cells[(index, col)] = None
    return cells


def _fitting(texts: list[str]) -> list[str]:
    """The entries' cell text, halved until each part is at most ``CHUNK`` characters (an
    entry alone too long is not kept)."""
    text = "[" + ",".join(texts) + "]"
    if len(text) <= CHUNK:
        return [text]
    if len(texts) == 1:
        return []
    half = len(texts) // 2
    return _fitting(texts[:half]) + _fitting(texts[half:])


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
