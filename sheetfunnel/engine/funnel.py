"""The sales funnel (销售漏斗): how many deals reached each stage, and how many went on.

Semantics (spec §3.4): every deal reached the first stage. A deal reached an open stage when it
is now in that stage or a later open one, or is won (a won deal passed every open stage), or
an Entered Date Field / History proves it (``proven_index``). A lost deal reached only what is
proven. The won stage is reached by won deals, the lost stage by lost ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.breakdowns import rate

FUNNEL_COLUMNS = ["stage", "kind", "reached", "current", "conversion_from_previous",
                  "conversion_from_first", "open_amount", "weighted_amount", "avg_days_in_stage"]


def funnel(deals: pd.DataFrame, config: Config) -> pd.DataFrame:
    """One row per configured stage, in funnel order."""
    known = deals.loc[deals["stage_index"] >= 0, ["stage_index", "kind", "proven_index", "amount",
                                                  "weighted_amount", "days_in_stage"]]
    index = known["stage_index"].to_numpy()
    kind = known["kind"].to_numpy()
    proven = known["proven_index"].to_numpy()
    open_positions = [i for i, s in enumerate(config.stages) if s.kind == "open"]
    first_open = open_positions[0] if open_positions else None
    is_open, is_won = kind == "open", kind == "won"
    rows = []
    previous_reached: int | None = None
    first_reached: int | None = None
    for position, stage in enumerate(config.stages):
        here = index == position
        if stage.kind == "open":
            reached_mask = (is_open & (index >= position)) | is_won | (proven >= position)
            if position == first_open:
                reached_mask = np.ones(len(known), dtype=bool)
        else:
            reached_mask = here
        reached = int(reached_mask.sum())
        amounts = known["amount"][here]
        open_here = stage.kind == "open"
        conversion_previous = _conversion(stage.kind, position, first_open, reached,
                                          previous_reached)
        if stage.kind == "open" and first_reached is None:
            first_reached = reached
        conversion_first = None if stage.kind == "lost" else rate(reached, first_reached)
        rows.append({
            "stage": stage.name, "kind": stage.kind, "reached": reached,
            "current": int(here.sum()), "conversion_from_previous": conversion_previous,
            "conversion_from_first": conversion_first,
            "open_amount": float(amounts.sum()) if open_here else 0.0,
            "weighted_amount": float(known["weighted_amount"][here].sum()) if open_here else 0.0,
            "avg_days_in_stage": _mean(known["days_in_stage"][here]) if open_here else None,
        })
        if stage.kind == "open":
            previous_reached = reached
    return pd.DataFrame(rows, columns=FUNNEL_COLUMNS)


def _conversion(kind: str, position: int, first_open: int | None, reached: int,
                previous_reached: int | None) -> float | None:
    if kind == "lost":
        return None
    if position == first_open:
        return 1.0
    return rate(reached, previous_reached)


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.mean())
