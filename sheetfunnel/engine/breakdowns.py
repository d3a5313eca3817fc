"""Headline numbers and the tables a manager reads by owner, source and lost reason."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sheetfunnel.engine.flags import FLAG_CODES

UNNAMED = "(none)"


def _label(series: pd.Series) -> pd.Series:
    """Blank owners, sources and reasons grouped under one visible label (each distinct
    value looked at once)."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    labels = [value if str(value) != "" else UNNAMED for value in uniques]
    return pd.Series(np.array(labels + [UNNAMED], dtype=object)[codes], index=series.index,
                     dtype=object, name=series.name)


def rate(part: float, whole: float | None) -> float | None:
    """``part / whole``, None when there is nothing to divide by."""
    return None if not whole else part / whole


def kpis(deals: pd.DataFrame, as_of: dt.date) -> dict[str, float | int | None]:
    """Open count and amount, weighted pipeline, won/lost this month, win rate, cycle days, and
    how many deals have no known stage date.

    "This month" is the calendar month of ``as_of``, judged by the date the deal entered its
    won or lost stage (Stage Entered); a deal whose Stage Entered is unknown counts in no month
    and in no average (``undated_deals`` says how many deals of a known stage that is).
    """
    kind = deals["kind"].to_numpy(dtype=object)
    won, lost, open_ = kind == "won", kind == "lost", kind == "open"
    amount, entered = deals["amount"], deals["stage_entered"]
    this_month = entered.to_numpy("datetime64[M]") == np.datetime64(as_of, "M")  # NaT: False
    won_now, lost_now = won & this_month, lost & this_month
    cycle = (entered[won] - deals["created"][won]).dt.days.dropna()
    won_count, lost_count = int(won.sum()), int(lost.sum())
    return {
        "open_count": int(open_.sum()),
        "open_amount": float(amount[open_].sum()),
        "weighted_pipeline": float(deals["weighted_amount"][open_].sum()),
        "won_this_month": int(won_now.sum()),
        "won_amount_this_month": float(amount[won_now].sum()),
        "lost_this_month": int(lost_now.sum()),
        "lost_amount_this_month": float(amount[lost_now].sum()),
        "win_rate": rate(won_count, won_count + lost_count),
        "avg_cycle_days": None if cycle.empty else float(cycle.mean()),
        "undated_deals": int((deals["kind"].notna() & deals["stage_entered"].isna()).sum()),
    }


def owners(deals: pd.DataFrame) -> pd.DataFrame:
    """Per owner: open, won, lost, win rate, won amount, weighted open, follow-ups on time.

    Follow-ups on time = open deals with an activity and no FOLLOW_UP_OVERDUE / open deals;
    None (no data) when none of the owner's open deals has any activity, never a perfect score
    for an owner nobody logged a follow-up for.
    """
    frame = deals[["has_activity", "amount", "weighted_amount"]].assign(
        owner=_label(deals["owner"]))
    kind = deals["kind"].to_numpy(dtype=object)
    is_open, is_won = kind == "open", kind == "won"
    overdue = np.array(["FOLLOW_UP_OVERDUE" in codes for codes in deals["flag_codes"].tolist()],
                       dtype=bool)
    followed = is_open & frame["has_activity"].astype(bool).to_numpy()
    frame = frame.assign(
        is_open=is_open, is_won=is_won, is_lost=kind == "lost",
        won_amount=frame["amount"].where(is_won, 0.0).fillna(0.0),
        weighted_open=frame["weighted_amount"].where(is_open, 0.0).fillna(0.0),
        followed=followed, on_time=followed & ~overdue,
    )
    summed = {"is_open": "open", "is_won": "won", "is_lost": "lost", "won_amount": "won_amount",
              "weighted_open": "weighted_open", "on_time": "on_time", "followed": "followed"}
    table = frame.groupby("owner", sort=True)[list(summed)].sum().rename(
        columns=summed).reset_index()
    table["win_rate"] = [rate(w, w + lo) for w, lo in zip(table["won"], table["lost"],
                                                            strict=True)]
    table["follow_ups_on_time"] = [rate(t, o) if f else None for t, o, f in zip(
        table["on_time"], table["open"], table["followed"], strict=True)]
    return table[["owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open",
                  "follow_ups_on_time"]]


def sources(deals: pd.DataFrame) -> pd.DataFrame:
    """Per source or channel: deals, won, and conversion = won / all deals from it."""
    frame = pd.DataFrame({"source": _label(deals["source"]),
                          "is_won": deals["kind"].to_numpy(dtype=object) == "won"})
    grouped = frame.groupby("source", sort=True)
    table = pd.DataFrame({"total": grouped.size(), "won": grouped["is_won"].sum()}).reset_index()
    table["conversion"] = [rate(w, t) for w, t in zip(table["won"], table["total"], strict=True)]
    return table.sort_values(["total", "source"], ascending=[False, True], ignore_index=True)


def lost_reasons(deals: pd.DataFrame) -> pd.DataFrame:
    """Why deals were lost: count, share of lost deals, amount."""
    lost = deals.loc[deals["kind"].to_numpy(dtype=object) == "lost", ["lost_reason", "amount"]]
    columns = ["reason", "count", "share", "amount"]
    if lost.empty:
        return pd.DataFrame(columns=columns)
    frame = lost.assign(reason=_label(lost["lost_reason"]))
    grouped = frame.groupby("reason", sort=True)
    table = pd.DataFrame({"count": grouped.size(),
                          "amount": grouped["amount"].sum(min_count=1).fillna(0.0)}
                         ).reset_index()
    table["share"] = table["count"] / len(lost)
    return table.sort_values(["count", "reason"], ascending=[False, True],
                             ignore_index=True)[columns]


def flag_counts(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags per owner and code (one column per code that occurs), busiest owner first."""
    if flags.empty:
        return pd.DataFrame(columns=["owner", "total"])
    frame = flags.assign(owner=_label(flags["owner"]))
    table = frame.groupby(["owner", "code"], sort=True).size().unstack("code", fill_value=0)
    codes = [c for c in FLAG_CODES if c in table.columns]
    table = table[codes]
    table["total"] = table.sum(axis=1)
    table = table.reset_index().sort_values(["total", "owner"], ascending=[False, True],
                                            ignore_index=True)
    table.columns.name = None
    return table


def flag_totals(flags: pd.DataFrame) -> dict[str, int]:
    counts = flags["code"].value_counts() if not flags.empty else pd.Series(dtype=int)
    return {code: int(counts[code]) for code in FLAG_CODES if code in counts}
