"""The delivery ledger: what each person was told, kept in a region of its own of the hidden
``_sheetfunnel`` tab so that it travels with the workbook.

Layout (columns T:Z, all text so both backends store it alike):

    T1:Z1  Notify ledger | Audience | Deal | Flag | First | Last | Count
    flag   audience | deal ID | flag code | first sent (date) | last sent (ISO UTC) | times
    slot   audience | digest kind | — | — | local day sent | —
    pace   channel | — | — | — | recent send times (ISO UTC, space separated) | —

Only what a channel accepted is recorded, so a failed delivery is retried next run. Rows keep
their order between runs (new keys appended, gone keys cleared), so a quiet run rewrites nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sheetfunnel.grid import Cell, Grid, is_blank

FIRST_COL = 20  # T
HEADER = ("Notify ledger", "Audience", "Deal", "Flag", "First", "Last", "Count")
WIDTH = len(HEADER)

#: (audience, deal ID, flag code)
FlagKey = tuple[str, str, str]


@dataclass(frozen=True)
class Sent:
    first: dt.date
    last: dt.datetime
    count: int = 1


@dataclass(frozen=True)
class Ledger:
    sent: dict[FlagKey, Sent] = field(default_factory=dict)
    #: (audience, digest kind) -> the local day (ISO) of the last digest sent
    slots: dict[tuple[str, str], str] = field(default_factory=dict)
    #: channel -> recent send times (UTC), for robots' per-minute limits across runs
    pace: dict[str, tuple[dt.datetime, ...]] = field(default_factory=dict)


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


def read_ledger(grid: Grid | None) -> Ledger:
    """The ledger region; rows that cannot be read are forgotten (at worst a message is
    sent again), never fatal."""
    ledger = Ledger()
    for row in (grid or [])[1:]:
        cells = [_text(row[FIRST_COL - 1 + i]) if FIRST_COL - 1 + i < len(row) else ""
                 for i in range(WIDTH)]
        kind, audience, deal, code, first, last, count = cells
        if kind == "flag" and audience and deal and code:
            when = _moment(last)
            try:
                day = dt.date.fromisoformat(first)
            except ValueError:
                day = None
            if when and day:
                ledger.sent[(audience, deal, code)] = Sent(day, when,
                                                            int(count) if count.isdigit() else 1)
        elif kind == "slot" and audience and deal:
            ledger.slots[(audience, deal)] = last
        elif kind == "pace" and audience:
            times = tuple(t for t in map(_moment, last.split()) if t)
            ledger.pace[audience] = times
    return ledger


def _rows(ledger: Ledger) -> dict[tuple[str, ...], tuple[str, ...]]:
    rows: dict[tuple[str, ...], tuple[str, ...]] = {}
    for (audience, deal, code), sent in ledger.sent.items():
        rows[("flag", audience, deal, code)] = (
            "flag", audience, deal, code, sent.first.isoformat(),
            sent.last.astimezone(dt.UTC).isoformat(timespec="seconds"), str(sent.count))
    for (audience, kind), day in ledger.slots.items():
        rows[("slot", audience, kind, "")] = ("slot", audience, kind, "", "", day, "")
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
    free: list[int] = []
    for index, key in enumerate(old, start=2):
        if key in wanted and key not in placed.values():
            placed[index] = key
        elif any(key):
            free.append(index)
    used = set(placed.values())
    last = max([1, *placed, *free])
    newcomers = (key for key in wanted if key not in used)
    for key in newcomers:
        if free:
            placed[free.pop(0)] = key
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
