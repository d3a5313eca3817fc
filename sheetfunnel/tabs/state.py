"""What the worker remembers between runs, kept in the workbook's hidden ``_sheetfunnel`` tab.

Keeping memory in the workbook (not beside it) means it moves with the file or spreadsheet to
another machine. Layout, all text so that both backends store it alike:

    A1:E1  Record | Key | Value | Extra | Extra2         header
    A2:C2  lease  | holder | expiry (ISO UTC)             the watcher's lease (lease.py)
    A3:C3  changed | fingerprint | date                   when the people-owned data last changed
    D3     the quiet key (JSON, quiet.py)                 what the last full run left: a rerun
                                                          that finds it all so stops after reading
    A4:B…  stages | [[ID, stage, entered, first seen], …]  stage memory, compact: each cell of
                                                          B is the JSON of up to 200 deals
                                                          (days as "YYYY-MM-DD", null when
                                                          none), at most 16,000 characters
    A4:E…  stage | ID | stage | entered | first seen      the memory's older form, one row
                                                          per deal: still read, replaced by
                                                          the compact form on the next write
    G1     "Last good config (JSON)", G2… chunks of it    restored when the Config tabs break
    I1:K1  Owned tab | Tab id | Title                     the tabs the worker made (owned_tabs.py)
    I2:K…  role | id | title at the last run              one row per role of schema.OWNED_TABS

The compact form keeps 100,000 deals in 500 rows of two cells instead of 100,000 rows as wide
as the tab (Google counts every cell of a tab against its limit). Deals keep their order
between runs and new IDs are appended, 200 to a cell, so a quiet run rewrites nothing and a
changed stage rewrites one cell; each owned role keeps its row. An ID no cell holds as it is
(a line break, a control character, over 32,767 characters) is not remembered, as in the
older form where it would read back as another ID and be appended every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, zip_longest
from operator import itemgetter
from types import NoneType

import pandas as pd

from sheetfunnel import schema
from sheetfunnel.config import Config, config_from_json, config_to_json
from sheetfunnel.diff import MAX_TEXT, storable, stored_as_is
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.grid import Cell, Grid, cell_at, is_blank
from sheetfunnel.values import serial_number, written_date

STATE_TAB = "_sheetfunnel"
HEADER: tuple[str, ...] = ("Record", "Key", "Value", "Extra", "Extra2")
LEASE_ROW = 2
CHANGED_ROW = 3
FIRST_MEMORY_ROW = 4
MEMORY_RECORD = "stages"  # column A of a row of the compact memory ("stage": the older form)
PER_CELL = 200  # deals in one cell of the compact memory
MEMORY_COLS = 5  # A:E, the columns the memory's rows take (older form), cleared when replaced
CONFIG_COL = 7
CHUNK = 16_000  # characters per cell: at most 32,000 UTF-16 units, within Excel's 32,767
TABS_COL = 9
TABS_HEADER = ("Owned tab", "Tab id", "Title")


@dataclass(frozen=True)
class TabRecord:
    """A tab the worker made for a role: its stable id (Snapshot.ids) and its last title."""

    tab_id: str
    title: str


@dataclass(frozen=True)
class State:
    """``fingerprint`` is None until a run has finished on the workbook; ``tabs`` maps an owned
    role to the tab the worker made for it."""

    memory: StageMemory
    fingerprint: str | None = None
    last_changed: dt.date | None = None
    last_good: Config | None = None
    tabs: dict[str, TabRecord] = field(default_factory=dict)
    #: the remembered IDs in the order the tab holds them (read once, kept for the next write)
    stored: tuple[str, ...] = ()


def _text(value: Cell) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_state(grid: Grid | None) -> State:
    """Parse the state tab; anything unreadable is forgotten rather than trusted."""
    if not grid:
        return State(StageMemory())
    dates: dict[Cell, dt.date | None] = {}  # most rows share a few dates

    def date(value: Cell) -> dt.date | None:
        if type(value) is not str:
            return written_date(value)
        if value not in dates:
            dates[value] = written_date(value)
        return dates[value]

    records = [(key, _text(stage), date(entered), date(first_seen))
               for key, stage, entered, first_seen in stored_memory(grid)]
    stored = tuple(dict.fromkeys(record[0] for record in records))
    entries = pd.DataFrame(records, columns=["id", "stage", "entered", "first_seen"],
                           dtype=object).drop_duplicates("id", keep="last").set_index("id")
    fingerprint = _text(cell_at(grid, CHANGED_ROW, 2)) or None
    last_changed = written_date(cell_at(grid, CHANGED_ROW, 3))
    chunks = [row[CONFIG_COL - 1] for row in grid[1:] if len(row) >= CONFIG_COL]
    text = "".join(c for c in chunks if isinstance(c, str)).strip()  # a chunk may end in a space
    last_good = None
    if text:
        try:
            last_good = config_from_json(text)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            last_good = None
    return State(StageMemory(entries), fingerprint, last_changed, last_good, tab_records(grid),
                 stored)


def tab_records(grid: Grid | None) -> dict[str, TabRecord]:
    """Owned role -> the tab recorded for it (rows with an unknown role or no id are skipped)."""
    records: dict[str, TabRecord] = {}
    for line in (grid or [])[1:]:
        if len(line) < TABS_COL:  # a row of the memory: nothing this far right
            continue
        role, tab_id, title = (_text(cell_at([line], 1, TABS_COL + i)) for i in range(3))
        if role in schema.OWNED_TABS and tab_id:
            records[role] = TabRecord(tab_id, title)
    return records


def tab_cells(records: dict[str, TabRecord]) -> dict[tuple[int, int], Cell]:
    """The rows of ``records``, each role at its own row (other roles' rows left alone)."""
    cells: dict[tuple[int, int], Cell] = {}
    for col, text in enumerate(TABS_HEADER, start=TABS_COL):
        cells[(1, col)] = text
    for index, role in enumerate(schema.OWNED_TABS, start=2):
        if role in records:
            record = records[role]
            for col, value in enumerate((role, record.tab_id, record.title), start=TABS_COL):
                cells[(index, col)] = value
    return cells


def stored_memory(grid: Grid | None) -> list[tuple[str, Cell, Cell, Cell]]:
    """(ID, stage, entered, first seen) of every remembered deal in the order of the tab,
    from rows of either form; a cell of the compact form that is no such JSON is skipped."""
    found: list[tuple[str, Cell, Cell, Cell]] = []
    for row in (grid or [])[FIRST_MEMORY_ROW - 1 :]:
        if not row:
            continue
        record = row[0] if type(row[0]) is str else _text(row[0])
        if record == "stage" or record.strip() == "stage":
            cells = [*row[1:5], *(None,) * (5 - len(row))]
            key = _text(cells[0])
            if key:
                found.append((key, cells[1], cells[2], cells[3]))
        elif record.strip() == MEMORY_RECORD and len(row) > 1 and isinstance(row[1], str):
            found.extend(_unpacked(row[1]))
    return found


def _unpacked(text: str) -> list[tuple[str, Cell, Cell, Cell]]:
    try:
        items = json.loads(text)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [(item[0], item[1], item[2], item[3]) for item in items  # JSON: exact types
            if type(item) is list and len(item) == 4 and type(item[0]) is str and item[0]
            and (item[1] is None or type(item[1]) is str)
            and (item[2] is None or type(item[2]) is str)
            and (item[3] is None or type(item[3]) is str)]


def memory_order(stored: Iterable[str], memory: StageMemory) -> list[str]:
    """IDs in the order the tab already has them (``stored``), new ones after."""
    index = memory.entries.index.tolist()
    stored = list(stored)
    if not stored or (stored[: len(index)] == index and len(set(index)) == len(index)):
        return list(dict.fromkeys(index))  # nothing stored, or the tab's order already
    remembered = set(index)
    kept = filter(remembered.__contains__, stored)
    return list(dict.fromkeys(chain(kept, index)))  # first places


def packed(columns: Sequence[Sequence[str | None]]) -> list[str]:
    """The memory's cells from its columns (ID, stage, entered, first seen): ``PER_CELL``
    records a cell, in order, so that a record keeps its cell while the records before it
    stay; a cell past ``CHUNK`` characters is halved. The records are made a cell at a time."""
    cells: list[str] = []
    for start in range(0, len(columns[0]) if columns else 0, PER_CELL):
        cells.extend(_fitting(list(zip(*(column[start : start + PER_CELL]
                                         for column in columns), strict=True))))
    return cells


def _fitting(records: Sequence[Sequence[str | None]]) -> list[str]:
    text = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
    if len(text) <= CHUNK:
        return [text]
    if len(records) == 1:  # one deal's record alone too long for a cell: not remembered
        return []
    half = len(records) // 2
    return _fitting(records[:half]) + _fitting(records[half:])


def state_cells(previous: Grid | None, state: State,
                stored: Iterable[str] | None = None) -> dict[tuple[int, int], Cell]:
    """The desired content of the state tab, except the lease row (the watcher's); ``stored``
    is ``previous``'s IDs in order when the caller read them already (``State.stored``)."""
    cells: dict[tuple[int, int], Cell] = {}
    for col, text in enumerate(HEADER, start=1):
        cells[(1, col)] = text
    cells[(CHANGED_ROW, 1)] = "changed"
    cells[(CHANGED_ROW, 2)] = state.fingerprint
    cells[(CHANGED_ROW, 3)] = state.last_changed.isoformat() if state.last_changed else None
    order = memory_order(map(itemgetter(0), stored_memory(previous)) if stored is None
                         else stored, state.memory)
    plain = _plain_texts(order)
    kept = order if plain else [
        key for key in order
        if (stored_as_is(key) if key.__class__ is str else storable(key) == key)]
    entries = state.memory.entries
    if kept != entries.index.tolist():
        entries = entries.loc[kept]  # one row per ID, in the order of ``kept``
    columns = (kept if plain else _texts(kept), _texts(entries["stage"].tolist()),
               _isos(entries["entered"].tolist()), _isos(entries["first_seen"].tolist()))
    for row, text in enumerate(packed(columns), start=FIRST_MEMORY_ROW):
        cells[(row, 1)] = MEMORY_RECORD
        cells[(row, 2)] = text
    for row, line in enumerate((previous or [])[FIRST_MEMORY_ROW - 1 :], start=FIRST_MEMORY_ROW):
        for col, value in enumerate(line[:MEMORY_COLS], start=1):  # the older form's rows
            if (row, col) not in cells and not is_blank(value):
                cells[(row, col)] = None
    cells[(1, CONFIG_COL)] = "Last good config (JSON)"
    if state.last_good is not None:
        text = config_to_json(state.last_good)
        for index in range(0, len(text), CHUNK):
            cells[(2 + index // CHUNK, CONFIG_COL)] = text[index : index + CHUNK]
    return cells | tab_cells(state.tabs)


def _plain_texts(keys: list[str]) -> bool:
    """Whether every key is a printable ASCII text a cell holds as it is (``stored_as_is``),
    told for 100,000 IDs at once."""
    if not keys or set(map(type, keys)) != {str}:
        return False
    joined = "".join(keys)
    return joined.isascii() and joined.isprintable() and all(map(str.strip, keys)) \
        and max(map(len, keys)) <= MAX_TEXT


def _texts(values: Sequence[Cell]) -> Sequence[str]:
    """Each value as the text it is stored as, told for a column at once (mostly texts)."""
    if set(map(type, values)) == {str}:
        return values  # type: ignore[return-value]
    return [value if value.__class__ is str else _text(value) for value in values]


def _isos(values: list[object]) -> list[str | None]:
    """Each day as ``YYYY-MM-DD`` (None when there is none): a column of plain dates, most of
    them shared, is looked up per distinct day."""
    if set(map(type, values)) <= {dt.date, NoneType}:
        days: dict[object, str | None] = {day: day.isoformat() for day in set(values)
                                          if isinstance(day, dt.date)}
        days[None] = None
        return list(map(days.__getitem__, values))
    return list(map(_iso, values))


def _iso(value: object) -> str | None:
    if is_blank(value) or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def fingerprint(grids: Iterable[Grid], columns: Iterable[Sequence[bytes]] = ()) -> str:
    """A stable digest of what people typed: equal data, equal digest. A tab counts column
    by column (``grid_digests``), each column made text at once, so that the digest of a
    column changed since is made again alone; ``columns`` are tabs given as such digests
    (``column_digest``), before ``grids``."""
    digest = hashlib.sha256()
    for digests in chain(columns, map(grid_digests, grids)):
        for one in digests:
            digest.update(one)
        digest.update(b"\x1d")
    return digest.hexdigest()[:32]


def grid_digests(grid: Grid) -> list[bytes]:
    """The digest of each column of ``grid`` (a short row has blanks after its end) up to
    the last with a value: trailing blanks count as they did row by row, for nothing."""
    digests = [column_digest(values[0], list(values[1:])) for values in zip_longest(*grid)]
    blank = hashlib.sha256(("\x1f" * (len(grid) - 1)).encode()).digest() if grid else b""
    while digests and digests[-1] == blank:
        digests.pop()
    return digests


def column_digest(head: Cell, values: list[Cell]) -> bytes:
    """The digest of a column, its first cell (mostly a header) and the cells below it, made
    text as ``_canonical`` does: the cells below at once where their types allow."""
    text = _cell_text(head) + "\x1f" + _column_text(values) if values else _cell_text(head)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


_BLANK = {None: ""}
_NUMBERS = frozenset((int, float, NoneType, dt.date, dt.datetime))
_WHOLE = frozenset((int, NoneType))


def _column_text(values: list[Cell]) -> str:
    """The canonical texts of ``values`` joined by a unit separator, made at once for a
    column of texts (and blanks) with no cell of mere spaces, and for one of numbers and
    dates: each distinct value made text once (equal ones have equal texts: 1 and 1.0 are
    "1"; True, which equals 1, is not among them, nor a date-time with a zone); otherwise
    cell by cell."""
    try:  # a join refuses anything but texts: the type check for free
        text = "\x1f".join(values)  # type: ignore[arg-type]
    except TypeError:
        try:
            text = "\x1f".join(map(_BLANK.get, values, values))  # type: ignore[arg-type]
        except TypeError:
            return _numbers_text(values)
    if all(map(str.strip, filter(None, values))):  # type: ignore[arg-type]
        return text
    return "\x1f".join(map(_cell_text, values))


def _numbers_text(values: list[Cell]) -> str:
    kinds = set(map(type, values))
    if kinds <= _NUMBERS:
        distinct = set(values)
        if kinds <= _WHOLE and 2 * len(distinct) > len(values):  # mostly distinct integers
            return "\x1f".join(map(str, values)).replace("None", "")
        if dt.datetime not in kinds or not any(
                getattr(value, "tzinfo", None) is not None for value in distinct):
            texts = {value: _cell_text(value) for value in distinct}
            return "\x1f".join(map(texts.__getitem__, values))
    return "\x1f".join(map(_cell_text, values))


def _cell_text(value: Cell) -> str:
    """What one cell counts as: a text as typed (blank when only spaces), else canonical."""
    if value.__class__ is str:
        return value if value.strip() else ""  # type: ignore[union-attr]
    return "" if is_blank(value) else _canonical(value)


def _canonical(value: Cell) -> str:
    """The same text whichever backend read the cell: a date is its serial number (Google
    Sheets reads it that way), a whole float is an integer."""
    if isinstance(value, dt.date):
        value = serial_number(value)
    if isinstance(value, float):
        value = round(value, 6)  # a time of day survives, float noise does not
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
