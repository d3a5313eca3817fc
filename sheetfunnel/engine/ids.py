"""IDs: blank ones filled (``OPP-000123``) when Settings ``assign_ids`` is yes."""

from __future__ import annotations

import pandas as pd

PREFIX = "OPP-"


def assign_ids(ids: pd.Series) -> dict[int, str]:
    """Sheet row -> new ID for each blank ID, numbered after the highest existing ``OPP-`` number
    in sheet order, so the same sheet always gets the same IDs."""
    blank = ids.index[ids.isna()]
    if not len(blank):
        return {}
    numbers = ids.str.extract(r"(?i)^OPP-(\d+)$", expand=False).dropna()
    start = int(numbers.astype("int64").max()) + 1 if len(numbers) else 1
    return {int(row): f"{PREFIX}{start + n:06d}" for n, row in enumerate(blank)}
