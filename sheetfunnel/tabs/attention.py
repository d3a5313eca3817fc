"""The Attention tab: one row per flag, the list a team acts on (spec §3.4)."""

from __future__ import annotations

from sheetfunnel.config.model import Config
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Grid
from sheetfunnel.money import money_format
from sheetfunnel.plan import Bold, CellRange, Highlight, Looks, NumberFormat
from sheetfunnel.render import DATE_FORMAT, FLAG_COLORS, cell_value, tab_protection
from sheetfunnel.words import ICONS, Words

#: Columns: ID | Title | Owner | Stage | Amount | Score | Grade | Flag | Detail | Next Step |
#: Since — the 1-based positions the looks name.
AMOUNT, SCORE, FLAG, SINCE, WIDTH = 5, 6, 8, 11, 11


def attention_grid(evaluation: Evaluation, tab: str, words: Words, config: Config
                   ) -> tuple[Grid, Looks]:
    """One row per flag in the engine's Attention order (open deals by severity and weighted
    amount first, won and lost deals' flags below by flag)."""
    labels = words.flag_labels
    score = "score_raw" if config.settings.score_scale == "raw" else "score"
    grid: Grid = [list(words.attention_headers)]
    for record in evaluation.flags.itertuples(index=False):
        grid.append([
            cell_value(record.id), cell_value(record.title), cell_value(record.owner),
            cell_value(record.stage), cell_value(record.amount, 2),
            cell_value(getattr(record, score), 1), cell_value(record.grade),
            labels.get(record.code, record.code), cell_value(record.detail),
            cell_value(record.next_step), cell_value(record.since),
        ])
    looks = Looks(
        number_formats=(NumberFormat(CellRange(tab, 2, AMOUNT), money_format(config)),
                        NumberFormat(CellRange(tab, 2, SCORE), "0.0"),
                        NumberFormat(CellRange(tab, 2, SINCE), DATE_FORMAT)),
        bold=(Bold(CellRange(tab, 1, 1, 1, WIDTH)),),
        highlights=tuple(Highlight(CellRange(tab, 2, FLAG), "begins", ICONS[code], colour)
                         for code, colour in FLAG_COLORS.items()),
        protections=tab_protection(tab, WIDTH),
    )
    return grid, looks
