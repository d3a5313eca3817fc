"""The owned columns of Customers: Tier, Won Total, Open Pipeline.

Tier is the best grade among the customer's open and won opportunities (the Grade column's
thresholds, so a Tier A customer has at least one grade-A deal alive or won); D when it only has
lost deals; blank when it has none. Won Total and Open Pipeline sum the Amounts of its won and
open opportunities (0 when none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetfunnel.grid import RoleTable
from sheetfunnel.values import parse_texts

GRADES = dict(enumerate("ABCD"))
RANK = {grade: rank for rank, grade in GRADES.items()}


def customer_columns(customers: RoleTable, deals: pd.DataFrame) -> pd.DataFrame:
    """customer_id, tier, won_total, open_pipeline, indexed by the Customers sheet row."""
    ids = customers.column("customer_id")
    rows = customers.table.frame.index
    keys = parse_texts(ids) if ids is not None else pd.Series([None] * len(rows), index=rows,
                                                               dtype=object)
    customer, names = pd.factorize(deals["customer_id"], use_na_sentinel=True)
    linked = customer >= 0
    kind = deals["kind"].to_numpy(dtype=object)[linked]
    won, alive = kind == "won", kind == "open"
    grades, letters = pd.factorize(deals["grade"].to_numpy(dtype=object)[linked])
    rank = np.array([RANK.get(g, np.nan) for g in letters] + [np.nan], dtype=float)[grades]
    amount = deals["amount"].to_numpy(dtype=float)[linked]
    by_customer = pd.DataFrame({
        "tier": np.where(won | alive, rank, np.nan),
        "won_total": np.where(won, amount, np.nan),
        "open_pipeline": np.where(alive, amount, np.nan),
    }).groupby(customer[linked]).agg({"tier": "min", "won_total": "sum", "open_pipeline": "sum"})
    # -1 (a Customers row no opportunity names) is no group, so it finds NaN
    found = by_customer.reindex(pd.Index(names).get_indexer(keys.to_numpy()))
    only_lost = found["won_total"].notna().to_numpy() & found["tier"].isna().to_numpy()
    tier = found["tier"].map(GRADES).astype(object)
    tier = tier.where(tier.notna(), None)
    tier[only_lost] = "D"
    return pd.DataFrame({
        "customer_id": pd.Series(keys.to_numpy(), index=keys.index, dtype=object),
        "tier": pd.Series(tier.to_numpy(), index=keys.index, dtype=object),
        "won_total": found["won_total"].fillna(0.0).to_numpy(),
        "open_pipeline": found["open_pipeline"].fillna(0.0).to_numpy(),
    }, index=keys.index)
