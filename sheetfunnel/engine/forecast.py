"""Forecast (成交预测): open deals by the month they are expected to close."""

from __future__ import annotations

import numpy as np
import pandas as pd

FORECAST_COLUMNS = ["period", "count", "amount", "weighted"]


def forecast(deals: pd.DataFrame) -> pd.DataFrame:
    """Count, amount and weighted amount of open deals per Expected Close month (``2026-12``),
    months in order, then one row with period None for open deals without an Expected Close,
    so the rows add up to the open amount and the weighted pipeline."""
    open_deals = deals.loc[deals["kind"].to_numpy(dtype=object) == "open",
                           ["expected_close", "amount", "weighted_amount"]]
    if open_deals.empty:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    months = pd.to_datetime(open_deals["expected_close"]).to_numpy("datetime64[M]")
    period = np.where(np.isnat(months), "", np.datetime_as_string(months, unit="M"))
    grouped = open_deals.assign(period=period.astype(object)).groupby("period", sort=True)
    table = pd.DataFrame({
        "count": grouped.size(),
        "amount": grouped["amount"].sum(min_count=1).fillna(0.0),
        "weighted": grouped["weighted_amount"].sum(min_count=1).fillna(0.0),
    }).reset_index()
    undated = table["period"] == ""
    table = pd.concat([table[~undated], table[undated]], ignore_index=True)
    table["period"] = table["period"].astype(object).where(table["period"] != "", None)
    return table[FORECAST_COLUMNS]
