"""Results -> the worker's own columns of Opportunities and Customers, and the pieces every
owned tab renders with (cell values, protections, colours, the date format).

Backend-neutral and pure: every function returns desired cell values (``(row, col) -> value``,
or whole columns: ``OwnedCells``) plus Looks; ``diff`` turns them into the writes that actually
change something. The worker's own tabs render in sheetfunnel/tabs/, one module each.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetfunnel import schema
from sheetfunnel.config import Config
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Cell, RoleTable, Table, is_blank
from sheetfunnel.money import money_format
from sheetfunnel.plan import (
    Bold,
    CellRange,
    ColumnWidth,
    Highlight,
    Looks,
    Note,
    NumberFormat,
    Protection,
    fitted_width,
    shown_text,
)
from sheetfunnel.words import ICONS, Words

GRADE_COLORS = {"A": "#C6EFCE", "B": "#E2F0D9", "C": "#FFEB9C", "D": "#FFC7CE"}
SEVERE_COLOR, WARN_COLOR = "#FFC7CE", "#FFEB9C"
#: Flags coloured wherever they are shown (the Flags cell, Attention), most severe first:
#: the first colour whose icon a cell holds is the one it gets.
FLAG_COLORS = {"NEGATIVE_SIGNAL": "#FF9999", "FOLLOW_UP_OVERDUE": WARN_COLOR,
               "NEXT_STEP_OVERDUE": "#FCE4D6", "MISSING_CRITERIA": SEVERE_COLOR,
               "DUPLICATE_ID": SEVERE_COLOR, "INVALID_VALUE": SEVERE_COLOR}
DATE_FORMAT = "yyyy-mm-dd"
_UNSEEN = object()


def cell_value(value: object, digits: int | None = None) -> Cell:
    """A pandas/numpy value as a plain cell value (NaN/NaT/infinity -> None)."""
    if type(value) is float or type(value) is int:  # most cells: the path below, in short
        number = float(value)
        if not math.isfinite(number):
            return None
        if digits is not None:
            number = round(number, digits)
        return int(number) if digits == 0 else number
    if type(value) is str:
        return value if value.strip() else None
    if type(value) is dt.date:
        return value
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dt.date | bool):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return None
    if digits is not None:
        number = round(number, digits)
    return int(number) if digits == 0 else number


def cell_values(column: pd.Series, digits: int | None = None) -> list[Cell]:
    """``cell_value`` of each value of ``column``; a column's scores, percentages, dates and
    texts repeat, so each distinct one is worked out once."""
    if pd.api.types.is_datetime64_dtype(column):
        # each distinct moment as a date once: cell_value(Timestamp) without a Timestamp each
        codes, moments = pd.factorize(column.to_numpy())
        return _by_code(codes, _cell_values(pd.Series(moments).dt.date.tolist(), digits))
    if column.dtype == np.float64:
        numbers = column.to_numpy()
        codes, distinct = pd.factorize(numbers + 0.0)  # -0.0 + 0.0 is 0.0
        found = _by_code(codes, [cell_value(number, digits) for number in distinct.tolist()])
        for index in np.flatnonzero(np.signbit(numbers) & (numbers == 0)).tolist():
            found[index] = cell_value(-0.0, digits)  # a zero's sign shows (-0.0): kept apart
        return found
    values = column.tolist()
    if set(map(type, values)) <= {str, type(None)}:  # texts: each distinct one once
        codes, texts = pd.factorize(column.to_numpy(dtype=object))  # None is -1
        return _by_code(codes, _cell_values(texts.tolist(), digits))
    return _cell_values(values, digits)


def _by_code(codes: np.ndarray, cells: list[Cell]) -> list[Cell]:
    """The cell of each code (``pd.factorize``'s: -1 is a missing value, a blank cell)."""
    return np.array([*cells, None], dtype=object)[codes].tolist()  # type: ignore[no-any-return]


def _cell_values(values: list[object], digits: int | None) -> list[Cell]:
    """``cell_value`` of each, each distinct text or number worked out once."""
    done: dict[object, Cell] = {}
    found: list[Cell] = []
    for value in values:
        # 0.0 and -0.0 are equal keys, not equal cells; a text never equals a number
        if type(value) is float and value or type(value) is str:
            cell = done.get(value, _UNSEEN)
            if cell is _UNSEEN:
                cell = done[value] = cell_value(value, digits)
            found.append(cell)  # type: ignore[arg-type]
        elif type(value) is dt.date or value is None:
            found.append(value)  # type: ignore[arg-type]
        else:
            found.append(cell_value(value, digits))
    return found


def owned_columns(opportunities: RoleTable, model: bool = False) -> dict[str, int]:
    """Sheet column of each owned role: its header where present, else appended at the right.
    The win model's columns join once ``model`` is in use (or their headers are there)."""
    table = opportunities.table
    next_col = max([table.width, *table.columns.values(), 0]) + 1
    columns: dict[str, int] = {}
    roles = schema.OWNED_COLUMNS["opportunities"] + tuple(
        r for r in schema.MODEL_COLUMNS if model or r in opportunities.roles)
    for role in roles:
        header = opportunities.roles.get(role)
        if header is not None:
            columns[role] = table.columns[header]
        else:
            columns[role] = next_col
            next_col += 1
    return columns


def _header_cells(table: Table, tab_role: str, columns: Mapping[str, int], words: Words
                  ) -> tuple[dict[tuple[int, int], Cell], tuple[Note, ...]]:
    cells: dict[tuple[int, int], Cell] = {}
    notes = []
    present = {col: header for header, col in table.columns.items()}
    for role, col in columns.items():
        if col not in present:
            cells[(table.header_row, col)] = schema.display_name(words.lang, tab_role, role)
        notes.append(Note(table.tab, table.header_row, col, words.owned_note))
    return cells, tuple(notes)


@dataclass(frozen=True)
class OwnedCells:
    """The cells the worker owns in a person's tab, in the order they are diffed: ``heads``
    (the headers it adds), then each of ``columns`` (col -> its values at ``rows``) down
    ``rows``, then ``tails`` (the IDs the run fills in). A column stays one list: 100,000
    deals make 900,000 cells, slow to key one by one."""

    heads: dict[tuple[int, int], Cell]
    rows: list[int]
    columns: dict[int, list[Cell]]
    tails: dict[tuple[int, int], Cell]


def opportunity_cells(evaluation: Evaluation, opportunities: RoleTable, config: Config,
                      words: Words, *, model: bool = False) -> tuple[OwnedCells, Looks]:
    """Owned columns of Opportunities (Model Win % and Why with ``model``) and the IDs the run
    assigns."""
    table = opportunities.table
    columns = owned_columns(opportunities, model)
    heads, notes = _header_cells(table, "opportunities", columns, words)
    deals = evaluation.deals
    raw = config.settings.score_scale == "raw"
    values = {
        "score": (deals["score_raw" if raw else "score"], 1),
        "grade": (deals["grade"], None),
        "win_pct": (deals["win_probability"], 4),
        "weighted_amount": (deals["weighted_amount"], 2),
        "stage_entered": (deals["stage_entered"], None),
        "days_in_stage": (deals["days_in_stage"], 0),
        "flags": (deals["flags_text"], None),
    }
    if "model_win_pct" in columns and "model_win_probability" in deals:
        # whole percents, as the cell shows them: a refit's last digits are not news
        values["model_win_pct"] = (deals["model_win_probability"], 2)
        values["why"] = (deals["model_factors"].map(" ".join), None)
    shown: dict[int, list[Cell]] = {}
    for role, (series, digits) in values.items():
        shown[columns[role]] = cell_values(series, digits)
    tails: dict[tuple[int, int], Cell] = {}
    id_header = opportunities.roles.get("id")
    if id_header is not None:
        id_col = table.columns[id_header]
        for row, new_id in evaluation.new_ids.items():
            tails[(int(row), id_col)] = new_id
    cells = OwnedCells(heads, list(map(int, deals.index.tolist())), shown, tails)
    first = table.header_row + 1
    tab = table.tab

    def span(role: str) -> CellRange:
        return CellRange(tab, first, columns[role])

    model_formats = (NumberFormat(span("model_win_pct"), "0%"),) \
        if "model_win_pct" in columns else ()
    formats = model_formats + (
        NumberFormat(span("score"), "0.0"),
        NumberFormat(span("win_pct"), "0%"),
        NumberFormat(span("weighted_amount"), money_format(config)),
        NumberFormat(span("stage_entered"), DATE_FORMAT),
        NumberFormat(span("days_in_stage"), "0"),
    )
    looks = Looks(
        number_formats=formats,
        bold=tuple(Bold(CellRange(tab, table.header_row, c, table.header_row))
                   for c in columns.values()),
        highlights=tuple(Highlight(span("grade"), "equals", grade, color)
                         for grade, color in GRADE_COLORS.items())
        + tuple(Highlight(span("flags"), "contains", ICONS[code], color)
                for code, color in FLAG_COLORS.items()),
        notes=notes,
        protections=owned_column_protections(tab, first, columns.values()),
        widths=added_column_widths(table, columns, heads, shown, formats),
    )
    return cells, looks


def added_column_widths(table: Table, columns: Mapping[str, int],
                        cells: Mapping[tuple[int, int], Cell],
                        shown: Mapping[int, list[Cell]],
                        formats: Iterable[NumberFormat]) -> tuple[ColumnWidth, ...]:
    """Widths for the owned columns this run adds (their header is not there yet), fitted to
    the header (in ``cells``) and what the column shows (``shown``: its values below the
    header); a column already in the sheet keeps the width its people gave it."""
    present = set(table.columns.values())
    added = {col for col in columns.values() if col not in present}
    if not added:
        return ()
    pattern = {item.range.first_col: item.pattern for item in formats}
    widths = []
    for col in sorted(added):
        texts = _widest_texts(shown.get(col, []), pattern.get(col))
        if (table.header_row, col) in cells:
            texts.add(shown_text(cells[(table.header_row, col)]))
        widths.append(ColumnWidth(table.tab, col, fitted_width(texts, least=8)))
    return tuple(widths)


def _widest_texts(values: list[Cell], pattern: str | None) -> set[str]:
    """Texts of ``values`` shown with ``pattern`` among which is the widest of them all: of
    numbers under a pattern only the largest and the most negative (a pattern never shows a
    larger number shorter, and a negative one, -0.0 too, with its sign), else each distinct
    value's. A column of 100,000 amounts is measured by two of them."""
    kinds = set(map(type, values))
    if pattern and kinds <= {float, int, type(None)}:
        numbers = np.array(values, dtype=float)  # None is NaN; a number shows as its float
        finite = np.isfinite(numbers)
        texts = {shown_text(value, pattern)
                 for value in {values[i] for i in np.flatnonzero(~finite).tolist()}}
        numbers = numbers[finite]
        negative = np.signbit(numbers)
        for part, pick in ((numbers[~negative], np.max), (numbers[negative], np.min)):
            if part.size:
                texts.add(shown_text(float(pick(part)), pattern))
        return texts
    # 1 and True, 0.0 and -0.0, 1000000 and 1000000.0 are equal but show apart (a column of
    # one type, as most are, has no such pairs but zeros)
    distinct = set(values) if len(kinds - {type(None)}) <= 1 else \
        {value for _, value in set(zip(map(type, values), values, strict=True))}
    texts = {shown_text(value, pattern) for value in distinct}
    if float in kinds and any(value == 0 and math.copysign(1.0, value) < 0
                              for value in values if isinstance(value, float)):
        texts.add(shown_text(-0.0, pattern))
    return texts


def tab_protection(tab: str, width: int) -> tuple[Protection]:
    """Warning-only protection on a tab the worker writes whole, as wide as it writes."""
    return (Protection(CellRange(tab, 1, 1, None, max(width, 1)),
                       "sheetfunnel: tab maintained by the worker"),)


def owned_column_protections(tab: str, first_row: int, columns: Iterable[int]
                             ) -> tuple[Protection, ...]:
    """Warning-only protection on each run of adjacent owned columns, never on a person's
    column that sits between two of them."""
    runs: list[list[int]] = []
    for col in sorted(set(columns)):
        if runs and runs[-1][1] == col - 1:
            runs[-1][1] = col
        else:
            runs.append([col, col])
    return tuple(Protection(CellRange(tab, first_row, start, None, end),
                            "sheetfunnel: columns maintained by the worker")
                 for start, end in runs)


def customer_cells(evaluation: Evaluation, customers: RoleTable, config: Config, words: Words
                   ) -> tuple[dict[tuple[int, int], Cell], Looks]:
    """Owned columns of Customers: Tier, Won Total, Open Pipeline."""
    table = customers.table
    next_col = max([table.width, *table.columns.values(), 0]) + 1
    columns: dict[str, int] = {}
    for role in schema.OWNED_COLUMNS["customers"]:
        header = customers.roles.get(role)
        columns[role] = table.columns[header] if header is not None else next_col
        next_col += header is None
    cells, notes = _header_cells(table, "customers", columns, words)
    frame = evaluation.customers
    shown: dict[int, list[Cell]] = {col: [] for col in columns.values()}
    if frame is not None:
        for row, tier, won, pipeline in zip(frame.index.tolist(), frame["tier"].tolist(),
                                            frame["won_total"].tolist(),
                                            frame["open_pipeline"].tolist(), strict=True):
            cells[(int(row), columns["tier"])] = cell_value(tier)
            cells[(int(row), columns["won_total"])] = cell_value(won, 2)
            cells[(int(row), columns["open_pipeline"])] = cell_value(pipeline, 2)
        shown = {col: [cells[(int(row), col)] for row in frame.index.tolist()]
                 for col in shown}
    first = table.header_row + 1
    money = money_format(config)
    formats = (NumberFormat(CellRange(table.tab, first, columns["won_total"]), money),
               NumberFormat(CellRange(table.tab, first, columns["open_pipeline"]), money))
    looks = Looks(
        number_formats=formats,
        bold=tuple(Bold(CellRange(table.tab, table.header_row, c, table.header_row))
                   for c in columns.values()),
        notes=notes,
        protections=owned_column_protections(table.tab, first, columns.values()),
        widths=added_column_widths(table, columns, cells, shown, formats),
    )
    return cells, looks
