"""The History tab: stage changes appended as they happen, and one compact snapshot a day.

Lean for Google's 10-million-cell limit: five columns (At | Kind | ID | From | To). A stage
change is one row; the day's snapshot is one row too, rewritten in place on reruns that day:
its From cell lists each stage (``Lead: 12 · 34,000 · 3,400``: deals in it, their amount, their
weighted amount) and its To cell each owner (``Ana: 5 · 2 · 1``: open, won, lost), each under a
first line saying so. Workbooks from before keep their nine-column History, with one
``snapshot`` row per stage a day (Stage | Reached | Current | Open Amount in columns F:I): both
forms are read back.

It is read back too: the stage changes recorded there tell the engine's stage memory when a
deal entered its stage and which stages it passed; the snapshots give the weekly review the
weighted pipeline at each week's end.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Cell, Grid, is_blank, normalise_name
from sheetfunnel.plan import Bold, CellRange, Looks, NumberFormat
from sheetfunnel.render import DATE_FORMAT, cell_value, tab_protection
from sheetfunnel.values import written_date
from sheetfunnel.words import LANGUAGES, Words, words_for

WIDTH = len(words_for("en").history_headers)


def read_stage_changes(grid: Grid | None) -> pd.DataFrame:
    """Stage changes recorded in the History tab: id, from_stage, to_stage, at (date)."""
    columns = ["id", "from_stage", "to_stage", "at"]
    if not grid:
        return pd.DataFrame(columns=columns, dtype=object)
    names = {normalise_name(h): i for lang in LANGUAGES
             for i, h in enumerate(words_for(lang).history_headers)}
    header = [names.get(normalise_name(v)) if not is_blank(v) else None for v in grid[0]]
    where = {slot: col for col, slot in enumerate(header) if slot is not None}
    change_kinds = {normalise_name(words_for(lang).history_kinds[0]) for lang in LANGUAGES}
    records = []
    for row in grid[1:]:
        def get(slot: int, row: list[Cell] = row) -> Cell:
            col = where.get(slot)
            return row[col] if col is not None and col < len(row) else None

        if normalise_name(get(1) or "") not in change_kinds or is_blank(get(2)):
            continue
        records.append((str(get(2)).strip(), get(3), get(4), written_date(get(0))))
    return pd.DataFrame(records, columns=columns, dtype=object)


def _kinds(slot: int) -> set[str]:
    return {normalise_name(words_for(lang).history_kinds[slot]) for lang in LANGUAGES}


def _kind(row: list[Cell]) -> str:
    return normalise_name(row[1] or "") if len(row) > 1 and isinstance(row[1], str) else ""


def _number_text(value: float) -> str:
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _lines(legend: str, items: list[tuple[str, tuple[float, ...]]]) -> str:
    return "\n".join([legend, *(f"{' '.join(name.split())}: "
                                 + " · ".join(_number_text(v) for v in values)
                                 for name, values in items)])


def _parsed(text: Cell, size: int) -> list[tuple[str, tuple[float, ...]]]:
    """The ``name: n · n · n`` lines of a daily snapshot cell (the legend and lines a person
    mangled are skipped)."""
    found = []
    for line in str(text or "").splitlines():
        name, colon, numbers = line.rpartition(": ")
        parts = numbers.split(" · ")
        if not colon or len(parts) != size:
            continue
        try:
            values = tuple(float(p.replace(",", "")) for p in parts)
        except ValueError:
            continue
        found.append((name.strip(), values))
    return found


SNAPSHOT_COLUMNS = ["day", "stage", "count", "amount", "weighted"]
OWNER_COLUMNS = ["day", "owner", "open", "won", "lost"]


def read_snapshots(grid: Grid | None) -> pd.DataFrame:
    """Per day and stage: deals in it (``count``), their ``amount`` and ``weighted`` amount,
    from both forms (an old-form row has no weighted amount: NaN). One day's figures come
    from its daily snapshot when it has one."""
    daily, old = _kinds(2), _kinds(1)
    records: list[tuple[object, ...]] = []
    old_records: list[tuple[object, ...]] = []
    for row in (grid or [])[1:]:
        kind = _kind(row)
        if kind not in daily and kind not in old:
            continue
        day = written_date(row[0])
        if day is None:
            continue
        if kind in daily:
            records += [(day, name, *values)
                        for name, values in _parsed(row[3] if len(row) > 3 else None, 3)]
        elif len(row) > 8 and not is_blank(row[5]):
            count, amount = (_float(row[7]), _float(row[8]))
            old_records.append((day, str(row[5]).strip(), count, amount, float("nan")))
    seen = {r[0] for r in records}
    records += [r for r in old_records if r[0] not in seen]
    return pd.DataFrame(records, columns=SNAPSHOT_COLUMNS)


def read_owner_snapshots(grid: Grid | None) -> pd.DataFrame:
    """Per day and owner: ``open``, ``won`` and ``lost`` deals (daily snapshots only)."""
    daily = _kinds(2)
    records = [(day, name, *values) for row in (grid or [])[1:] if _kind(row) in daily
               and (day := written_date(row[0])) is not None
               for name, values in _parsed(row[4] if len(row) > 4 else None, 3)]
    return pd.DataFrame(records, columns=OWNER_COLUMNS)


def _float(value: Cell) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else float("nan")


def history_cells(current: Grid | None, evaluation: Evaluation, funnel: pd.DataFrame,
                  words: Words) -> dict[tuple[int, int], Cell]:
    """New stage changes appended, and today's snapshot row written once (in place on reruns;
    today's rows of the old form are cleared, the first of them reused)."""
    current = current or []
    kinds = words.history_kinds
    cells: dict[tuple[int, int], Cell] = {}
    if not current:
        for col, text in enumerate(words.history_headers, start=1):
            cells[(1, col)] = text
    used = max((r for r, row in enumerate(current, start=1) if any(not is_blank(v) for v in row)),
               default=1)
    next_row = used + 1
    for change in evaluation.transitions.itertuples(index=False):
        row = [evaluation.as_of, kinds[0], change.id, change.from_stage, change.to_stage]
        for col, value in enumerate(row, start=1):
            cells[(next_row, col)] = cell_value(value)
        next_row += 1
    snapshot_kinds = _kinds(1) | _kinds(2)
    today_rows = [r for r, row in enumerate(current, start=1)
                  if _kind(row) in snapshot_kinds and written_date(row[0]) == evaluation.as_of]
    width = max((len(row) for row in current[:1]), default=WIDTH)
    row_number = today_rows[0] if today_rows else next_row
    values = daily_snapshot(evaluation.as_of, _stage_figures(funnel), _owner_figures(
        evaluation.deals), words)
    for col in range(1, max(width, WIDTH) + 1):
        if col <= len(values) or today_rows:
            cells[(row_number, col)] = values[col - 1] if col <= len(values) else None
    for extra in today_rows[1:]:
        for col in range(1, max(width, WIDTH) + 1):
            cells[(extra, col)] = None
    return cells


def daily_snapshot(day: dt.date, stages: list[tuple[str, tuple[float, ...]]],
                   owners: list[tuple[str, tuple[float, ...]]], words: Words) -> list[Cell]:
    """The five cells of one day's snapshot row: per stage deals · amount · weighted, per
    owner open · won · lost (the demo writes its past days with it too)."""
    return [day, words.history_kinds[2], None,
            _lines(words.history_legends[0], stages), _lines(words.history_legends[1], owners)]


def _stage_figures(funnel: pd.DataFrame) -> list[tuple[str, tuple[float, ...]]]:
    return [(str(stage.stage), (float(stage.current), float(stage.open_amount),
                                float(stage.weighted_amount)))
            for stage in funnel.itertuples(index=False)]


def _owner_figures(deals: pd.DataFrame) -> list[tuple[str, tuple[float, ...]]]:
    owners = deals["owner"].astype(object)
    codes, texts = pd.factorize(owners.astype(str))  # each distinct owner stripped once
    names = pd.Series(np.array([*(text.strip() for text in texts), ""], dtype=object)[codes],
                      index=deals.index)  # a missing one (code -1) is blank
    named = owners.notna().to_numpy() & (names != "").to_numpy()
    counts = pd.crosstab(names[named], deals["kind"][named])
    return [(str(owner), tuple(float(row.get(kind, 0)) for kind in ("open", "won", "lost")))
            for owner, row in counts.iterrows()]


def history_looks(tab: str) -> Looks:
    """Dates formatted, the header bold, the tab protected (warning only)."""
    return Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 1), DATE_FORMAT),),
        bold=(Bold(CellRange(tab, 1, 1, 1, WIDTH)),),
        protections=tab_protection(tab, WIDTH),
    )
