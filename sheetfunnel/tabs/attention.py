"""The Attention tab: one row per flag, the list a team reviews each week."""

from __future__ import annotations

from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Grid
from sheetfunnel.plan import Bold, CellRange, Highlight, Looks, NumberFormat
from sheetfunnel.render import DATE_FORMAT, SEVERE_COLOR, WARN_COLOR, cell_value, tab_protection
from sheetfunnel.words import ICONS, Words

#: Flags whose Attention row is coloured, and the colour.
COLOURED = {"MISSING_CRITERIA": SEVERE_COLOR, "DUPLICATE_ID": SEVERE_COLOR,
            "INVALID_VALUE": SEVERE_COLOR, "FOLLOW_UP_OVERDUE": WARN_COLOR}


def attention_grid(evaluation: Evaluation, tab: str, words: Words) -> tuple[Grid, Looks]:
    """One row per flag, most severe first, then by owner: the weekly review list."""
    labels = words.flag_labels
    grid: Grid = [list(words.attention_headers)]
    for record in evaluation.flags.itertuples(index=False):
        grid.append([
            cell_value(record.id), cell_value(record.title), cell_value(record.owner),
            cell_value(record.stage), labels.get(record.code, record.code),
            cell_value(record.detail), cell_value(record.since),
        ])
    looks = Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, 7), DATE_FORMAT),),
        bold=(Bold(CellRange(tab, 1, 1, 1, 7)),),
        highlights=tuple(Highlight(CellRange(tab, 2, 5), "begins", ICONS[code], colour)
                         for code, colour in COLOURED.items()),
        protections=tab_protection(tab, 7),
    )
    return grid, looks
