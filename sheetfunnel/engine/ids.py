"""IDs: blank ones filled (``OPP-000123``) when Settings ``assign_ids`` is yes."""

from __future__ import annotations

import re

import pandas as pd

PREFIX = "OPP-"
NUMBERED = re.compile(r"(?i)^OPP-(\d+)$")


def assign_ids(ids: pd.Series) -> dict[int, str]:
    """Sheet row -> new ID for each blank ID, numbered after the highest existing ``OPP-`` number
    in sheet order, so the same sheet always gets the same IDs."""
    blank = ids.index[ids.isna()]
    if not len(blank):
        return {}
    numbers = [int(found[1]) for found in map(NUMBERED.search, ids.dropna()) if found]
    start = max(numbers, default=0) + 1
    return {int(row): f"{PREFIX}{start + n:06d}" for n, row in enumerate(blank)}
