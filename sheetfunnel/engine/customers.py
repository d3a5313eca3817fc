"""The owned columns of Customers: Tier, Won Total, Open Pipeline.

Tier is the best grade among the customer's open and won opportunities (the Grade column's
thresholds, so a Tier A customer has at least one grade-A deal alive or won); D when it only has
lost deals; blank when it has none. Won Total and Open Pipeline sum the Amounts of its won and
open opportunities (0 when none).
"""

from __future__ import annotations

import pandas as pd

from sheetfunnel.engine.model import RoleTable
from sheetfunnel.values import parse_texts

GRADES = dict(enumerate("ABCD"))
RANK = {grade: rank for rank, grade in GRADES.items()}


def customer_columns(customers: RoleTable, deals: pd.DataFrame) -> pd.DataFrame:
    """customer_id, tier, won_total, open_pipeline, indexed by the Customers sheet row."""
    ids = customers.column("customer_id")
    rows = customers.table.frame.index
    keys = parse_texts(ids) if ids is not None else pd.Series([None] * len(rows), index=rows,
                                                               dtype=object)
    linked = deals[deals["customer_id"].notna()]
    alive = linked[linked["kind"].isin(["open", "won"])]
    by_customer = pd.DataFrame({
        "tier": alive["grade"].map(RANK).groupby(alive["customer_id"]).min().map(GRADES),
        "won_total": linked["amount"].where(linked["kind"] == "won").groupby(
            linked["customer_id"]).sum(),
        "open_pipeline": linked["amount"].where(linked["kind"] == "open").groupby(
            linked["customer_id"]).sum(),
    })
    found = by_customer.reindex(keys.to_numpy())
    only_lost = keys.isin(linked["customer_id"]).to_numpy() & found["tier"].isna().to_numpy()
    tier = found["tier"].astype(object).where(found["tier"].notna(), None)
    tier[only_lost] = "D"
    return pd.DataFrame({
        "customer_id": pd.Series(keys.to_numpy(), index=keys.index, dtype=object),
        "tier": pd.Series(tier.to_numpy(), index=keys.index, dtype=object),
        "won_total": found["won_total"].fillna(0.0).to_numpy(),
        "open_pipeline": found["open_pipeline"].fillna(0.0).to_numpy(),
    }, index=keys.index)
