"""Results -> the cells and looks the worker owns: its columns, Attention, History, its state tab.

Backend-neutral and pure: every function returns desired cell values (``(row, col) -> value``)
or whole grids, plus Looks; ``diff`` turns them into the writes that actually change something.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping

import pandas as pd

from sheetfunnel import schema
from sheetfunnel.config import Config
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Cell, Grid, RoleTable, Table, is_blank, normalise_name
from sheetfunnel.money import money_format
from sheetfunnel.plan import Bold, CellRange, Highlight, Looks, Note, NumberFormat, Protection
from sheetfunnel.values import read_date

OWNED_NOTE = {
    "en": "Maintained by sheetfunnel: rewritten on every run. Type in the other columns.",
    "zh": "由 sheetfunnel 维护，每次运行都会重写。请在其他列中填写。",
}

FLAG_LABELS = {
    "en": {
        "DUPLICATE_ID": "🔁 Duplicate ID", "UNKNOWN_STAGE": "❓ Unknown stage",
        "INVALID_VALUE": "⚠ Unreadable value", "MISSING_CRITERIA": "⛔ Missing criteria",
        "CLOSE_DATE_PASSED": "📅 Close date passed", "NO_FIRST_RESPONSE": "📞 No first response",
        "FOLLOW_UP_OVERDUE": "⏰ Follow-up overdue", "STALLED": "🐢 Stalled",
        "NEGATIVE_SIGNAL": "👎 Negative signal",
    },
    "zh": {
        "DUPLICATE_ID": "🔁 编号重复", "UNKNOWN_STAGE": "❓ 未知阶段",
        "INVALID_VALUE": "⚠ 无法识别的值",
        "MISSING_CRITERIA": "⛔ 未满足准入标准", "CLOSE_DATE_PASSED": "📅 已过预计成交日期",
        "NO_FIRST_RESPONSE": "📞 未首次响应", "FOLLOW_UP_OVERDUE": "⏰ 跟进超时",
        "STALLED": "🐢 阶段停滞", "NEGATIVE_SIGNAL": "👎 负面信号",
    },
}

ATTENTION_HEADERS = {
    "en": ("ID", "Title", "Owner", "Stage", "Flag", "Detail", "Since"),
    "zh": ("商机编号", "商机名称", "负责人", "阶段", "提醒", "详情", "开始日期"),
}
HISTORY_HEADERS = {
    "en": ("At", "Kind", "ID", "From", "To", "Stage", "Reached", "Current", "Open Amount"),
    "zh": ("时间", "类型", "商机编号", "原阶段", "新阶段", "阶段", "到达数", "当前数", "在途金额"),
}
HISTORY_KINDS = {"en": ("stage change", "snapshot"), "zh": ("阶段变更", "快照")}

GRADE_COLORS = {"A": "#C6EFCE", "B": "#E2F0D9", "C": "#FFEB9C", "D": "#FFC7CE"}
SEVERE_COLOR, WARN_COLOR = "#FFC7CE", "#FFEB9C"
DATE_FORMAT = "yyyy-mm-dd"


def language_of(table: Table) -> str:
    """zh when the workbook names its Opportunities tab in Chinese, else en."""
    return "en" if table.tab.isascii() else "zh"


def _plain(value: object, digits: int | None = None) -> Cell:
    """A pandas/numpy value as a plain cell value (NaN/NaT/infinity -> None)."""
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


def owned_columns(opportunities: RoleTable, lang: str) -> dict[str, int]:
    """Sheet column of each owned role: its header where present, else appended at the right."""
    table = opportunities.table
    next_col = max([table.width, *table.columns.values(), 0]) + 1
    columns: dict[str, int] = {}
    for role in schema.OWNED_COLUMNS["opportunities"]:
        header = opportunities.roles.get(role)
        if header is not None:
            columns[role] = table.columns[header]
        else:
            columns[role] = next_col
            next_col += 1
    return columns


def _header_cells(table: Table, tab_role: str, columns: Mapping[str, int], lang: str
                  ) -> tuple[dict[tuple[int, int], Cell], tuple[Note, ...]]:
    cells: dict[tuple[int, int], Cell] = {}
    notes = []
    present = {col: header for header, col in table.columns.items()}
    for role, col in columns.items():
        if col not in present:
            cells[(table.header_row, col)] = schema.display_name(lang, tab_role, role)
        notes.append(Note(table.tab, table.header_row, col, OWNED_NOTE[lang]))
    return cells, tuple(notes)


def opportunity_cells(evaluation: Evaluation, opportunities: RoleTable, config: Config,
                      lang: str) -> tuple[dict[tuple[int, int], Cell], Looks]:
    """Owned columns of Opportunities and the IDs the run assigns."""
    table = opportunities.table
    columns = owned_columns(opportunities, lang)
    cells, notes = _header_cells(table, "opportunities", columns, lang)
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
    rows = [int(r) for r in deals.index]
    for role, (series, digits) in values.items():
        col = columns[role]
        for row, value in zip(rows, series.tolist(), strict=True):
            cells[(row, col)] = _plain(value, digits)
    id_header = opportunities.roles.get("id")
    if id_header is not None:
        id_col = table.columns[id_header]
        for row, new_id in evaluation.new_ids.items():
            cells[(int(row), id_col)] = new_id
    first = table.header_row + 1
    tab = table.tab

    def span(role: str) -> CellRange:
        return CellRange(tab, first, columns[role])

    looks = Looks(
        number_formats=(
            NumberFormat(span("score"), "0.0"),
            NumberFormat(span("win_pct"), "0%"),
            NumberFormat(span("weighted_amount"), money_format(config)),
            NumberFormat(span("stage_entered"), DATE_FORMAT),
            NumberFormat(span("days_in_stage"), "0"),
        ),
        bold=tuple(Bold(CellRange(tab, table.header_row, c, table.header_row))
                   for c in columns.values()),
        highlights=tuple(Highlight(span("grade"), "equals", grade, color)
                         for grade, color in GRADE_COLORS.items())
        + (Highlight(span("flags"), "contains", "⛔", SEVERE_COLOR),
           Highlight(span("flags"), "contains", "⏰", WARN_COLOR)),
        notes=notes,
        protections=owned_column_protections(tab, first, columns.values()),
    )
    return cells, looks


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


def customer_cells(evaluation: Evaluation, customers: RoleTable, config: Config, lang: str
                   ) -> tuple[dict[tuple[int, int], Cell], Looks]:
    """Owned columns of Customers: Tier, Won Total, Open Pipeline."""
    table = customers.table
    next_col = max([table.width, *table.columns.values(), 0]) + 1
    columns: dict[str, int] = {}
    for role in schema.OWNED_COLUMNS["customers"]:
        header = customers.roles.get(role)
        columns[role] = table.columns[header] if header is not None else next_col
        next_col += header is None
    cells, notes = _header_cells(table, "customers", columns, lang)
    frame = evaluation.customers
    if frame is not None:
        for row, record in frame.iterrows():
            cells[(int(row), columns["tier"])] = _plain(record["tier"])
            cells[(int(row), columns["won_total"])] = _plain(record["won_total"], 2)
            cells[(int(row), columns["open_pipeline"])] = _plain(record["open_pipeline"], 2)
    first = table.header_row + 1
    money = money_format(config)
    looks = Looks(
        number_formats=(NumberFormat(CellRange(table.tab, first, columns["won_total"]), money),
                        NumberFormat(CellRange(table.tab, first, columns["open_pipeline"]),
                                     money)),
        bold=tuple(Bold(CellRange(table.tab, table.header_row, c, table.header_row))
                   for c in columns.values()),
        notes=notes,
        protections=owned_column_protections(table.tab, first, columns.values()),
    )
    return cells, looks


def attention_grid(evaluation: Evaluation, tab: str, lang: str) -> tuple[Grid, Looks]:
    """One row per flag, most severe first, then by owner: the weekly review list."""
    labels = FLAG_LABELS[lang]
    grid: Grid = [list(ATTENTION_HEADERS[lang])]
    flags = evaluation.flags
    for record in flags.itertuples(index=False):
        grid.append([
            _plain(record.id), _plain(record.title), _plain(record.owner), _plain(record.stage),
            labels.get(record.code, record.code), _plain(record.detail), _plain(record.since),
        ])
    looks = Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 7), DATE_FORMAT),),
        bold=(Bold(CellRange(tab, 1, 1, 1, 7)),),
        highlights=(Highlight(CellRange(tab, 2, 5), "begins", "⛔", SEVERE_COLOR),
                    Highlight(CellRange(tab, 2, 5), "begins", "🔁", SEVERE_COLOR),
                    Highlight(CellRange(tab, 2, 5), "begins", "⚠", SEVERE_COLOR),
                    Highlight(CellRange(tab, 2, 5), "begins", "⏰", WARN_COLOR)),
        protections=tab_protection(tab, 7),
    )
    return grid, looks


def read_history(grid: Grid | None) -> pd.DataFrame:
    """Stage changes recorded in the History tab: id, from_stage, to_stage, at (date)."""
    columns = ["id", "from_stage", "to_stage", "at"]
    if not grid:
        return pd.DataFrame(columns=columns, dtype=object)
    names = {normalise_name(h): i for lang in HISTORY_HEADERS
             for i, h in enumerate(HISTORY_HEADERS[lang])}
    header = [names.get(normalise_name(v)) if not is_blank(v) else None for v in grid[0]]
    where = {slot: col for col, slot in enumerate(header) if slot is not None}
    change_kinds = {normalise_name(k[0]) for k in HISTORY_KINDS.values()}
    records = []
    for row in grid[1:]:
        def get(slot: int, row: list[Cell] = row) -> Cell:
            col = where.get(slot)
            return row[col] if col is not None and col < len(row) else None

        if normalise_name(get(1) or "") not in change_kinds or is_blank(get(2)):
            continue
        records.append((str(get(2)).strip(), get(3), get(4), _history_date(get(0))))
    return pd.DataFrame(records, columns=columns, dtype=object)


def _history_date(value: Cell) -> dt.date | None:
    """A History date as either backend gives it back; a mangled one is skipped, not fatal."""
    try:
        return read_date(value)
    except ValueError:
        return None


def history_cells(current: Grid | None, evaluation: Evaluation, funnel: pd.DataFrame,
                  lang: str) -> dict[tuple[int, int], Cell]:
    """New stage changes appended, and today's funnel snapshot written once (in place on reruns)."""
    current = current or []
    kinds = HISTORY_KINDS[lang]
    cells: dict[tuple[int, int], Cell] = {}
    if not current:
        for col, text in enumerate(HISTORY_HEADERS[lang], start=1):
            cells[(1, col)] = text
    used = max((r for r, row in enumerate(current, start=1) if any(not is_blank(v) for v in row)),
               default=1)
    next_row = used + 1
    for change in evaluation.transitions.itertuples(index=False):
        row = [evaluation.as_of, kinds[0], change.id, change.from_stage, change.to_stage]
        for col, value in enumerate(row, start=1):
            cells[(next_row, col)] = _plain(value)
        next_row += 1
    snapshot_kinds = {normalise_name(k[1]) for k in HISTORY_KINDS.values()}
    today_rows = [r for r, row in enumerate(current, start=1)
                  if len(row) > 1 and normalise_name(row[1] or "") in snapshot_kinds
                  and _history_date(row[0]) == evaluation.as_of]
    for index, stage in enumerate(funnel.itertuples(index=False)):
        row_number = today_rows[index] if index < len(today_rows) else next_row
        if index >= len(today_rows):
            next_row += 1
        values = [evaluation.as_of, kinds[1], None, None, None, stage.stage,
                  _plain(stage.reached, 0), _plain(stage.current, 0),
                  _plain(stage.open_amount, 2)]
        for col, value in enumerate(values, start=1):
            cells[(row_number, col)] = value
    for extra in today_rows[len(funnel):]:
        for col in range(1, len(HISTORY_HEADERS[lang]) + 1):
            cells[(extra, col)] = None
    return cells


def history_looks(tab: str) -> Looks:
    return Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 1), DATE_FORMAT),),
        bold=(Bold(CellRange(tab, 1, 1, 1, len(HISTORY_HEADERS["en"]))),),
        protections=tab_protection(tab, len(HISTORY_HEADERS["en"])),
    )
