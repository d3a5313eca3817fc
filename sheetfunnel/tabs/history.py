"""The History tab: stage changes appended as they happen, and one funnel snapshot a day.

It is read back too: the stage changes recorded there tell the engine's stage memory when a
deal entered its stage and which stages it passed.
"""

from __future__ import annotations

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


def read_snapshots(grid: Grid | None) -> pd.DataFrame:
    """The daily funnel snapshots recorded in the History tab: day (date), stage, open_amount
    (float); rows without a readable date are left out."""
    columns = ["day", "stage", "open_amount"]
    if not grid:
        return pd.DataFrame(columns=columns, dtype=object)
    names = {normalise_name(h): i for lang in LANGUAGES
             for i, h in enumerate(words_for(lang).history_headers)}
    where = {names[normalise_name(v)]: col for col, v in enumerate(grid[0])
             if not is_blank(v) and normalise_name(v) in names}
    kinds = {normalise_name(words_for(lang).history_kinds[1]) for lang in LANGUAGES}
    records = []
    for row in grid[1:]:
        def get(slot: int, row: list[Cell] = row) -> Cell:
            col = where.get(slot)
            return row[col] if col is not None and col < len(row) else None

        day, amount = written_date(get(0)), get(8)
        if normalise_name(get(1) or "") in kinds and day is not None and not is_blank(get(5)):
            records.append((day, str(get(5)).strip(),
                            float(amount) if isinstance(amount, int | float) else 0.0))
    return pd.DataFrame(records, columns=columns, dtype=object)


def history_cells(current: Grid | None, evaluation: Evaluation, funnel: pd.DataFrame,
                  words: Words) -> dict[tuple[int, int], Cell]:
    """New stage changes appended, and today's funnel snapshot written once (in place on reruns)."""
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
    snapshot_kinds = {normalise_name(words_for(lang).history_kinds[1]) for lang in LANGUAGES}
    today_rows = [r for r, row in enumerate(current, start=1)
                  if len(row) > 1 and normalise_name(row[1] or "") in snapshot_kinds
                  and written_date(row[0]) == evaluation.as_of]
    for index, stage in enumerate(funnel.itertuples(index=False)):
        row_number = today_rows[index] if index < len(today_rows) else next_row
        if index >= len(today_rows):
            next_row += 1
        values = [evaluation.as_of, kinds[1], None, None, None, stage.stage,
                  cell_value(stage.reached, 0), cell_value(stage.current, 0),
                  cell_value(stage.open_amount, 2)]
        for col, value in enumerate(values, start=1):
            cells[(row_number, col)] = value
    for extra in today_rows[len(funnel):]:
        for col in range(1, len(words.history_headers) + 1):
            cells[(extra, col)] = None
    return cells


def history_looks(tab: str) -> Looks:
    """Dates formatted, the header bold, the tab protected (warning only)."""
    return Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 1), DATE_FORMAT),),
        bold=(Bold(CellRange(tab, 1, 1, 1, WIDTH)),),
        protections=tab_protection(tab, WIDTH),
    )
