"""The Attention tab: one row per flag, the list a team acts on (spec §3.4)."""

from __future__ import annotations

from sheetfunnel.config.model import Config
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import Grid
from sheetfunnel.money import money_format
from sheetfunnel.plan import Bold, CellRange, Highlight, Looks, NumberFormat
from sheetfunnel.render import DATE_FORMAT, FLAG_COLORS, cell_values, tab_protection
from sheetfunnel.words import ICONS, Words

#: Columns: ID | Title | Owner | Stage | Amount | Score | Grade | Flag | Detail | Next Step |
#: Since — the 1-based positions the looks name.
AMOUNT, SCORE, FLAG, SINCE, WIDTH = 5, 6, 8, 11, 11


def attention_grid(evaluation: Evaluation, tab: str, words: Words, config: Config
                   ) -> tuple[Grid, Looks]:
    """One row per flag in the engine's Attention order (open deals by severity and weighted
    amount first, won and lost deals' flags below by flag)."""
    flags = evaluation.flags
    score = "score_raw" if config.settings.score_scale == "raw" else "score"
    labels = words.flag_labels
    columns = [cell_values(flags["id"]), cell_values(flags["title"]),
               cell_values(flags["owner"]), cell_values(flags["stage"]),
               cell_values(flags["amount"], 2), cell_values(flags[score], 1),
               cell_values(flags["grade"]),
               [labels.get(code, code) for code in flags["code"].tolist()],
               cell_values(flags["detail"]), cell_values(flags["next_step"]),
               cell_values(flags["since"])]
    grid: Grid = [list(words.attention_headers), *map(list, zip(*columns, strict=True))]
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
