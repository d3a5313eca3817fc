"""The Activities tab, summarised per opportunity: latest activity date and its sentiment."""

from __future__ import annotations

import pandas as pd

from sheetfunnel.engine.fields import cell_refs, normalised, unreadable_details
from sheetfunnel.engine.model import RoleTable
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import DateOrder, parse_dates, parse_texts, read_date

NEGATIVE_WORDS = frozenset(normalise_name(w) for w in (
    "negative", "neg", "bad", "unhappy", "👎", "负面", "消极", "不满", "不满意", "差"))

ACTIVITY_COLUMNS = ["last_date", "negative", "negative_date"]


def summarise_activities(activities: RoleTable | None, date_order: DateOrder
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per opportunity ID (index): last_date (datetime64), negative (the latest activity's
    Sentiment is negative), negative_date. Also unreadable Date cells: id, where, detail."""
    empty = pd.DataFrame({"last_date": pd.Series([], dtype="datetime64[ns]"),
                          "negative": pd.Series([], dtype=bool),
                          "negative_date": pd.Series([], dtype="datetime64[ns]")})
    no_cells = pd.DataFrame({c: pd.Series([], dtype=object) for c in ("id", "where", "detail")})
    ids = activities.column("opportunity_id") if activities is not None else None
    if activities is None or ids is None:
        return empty, no_cells
    frame = pd.DataFrame({"id": parse_texts(ids)})
    dates = activities.column("date")
    if dates is not None:
        frame["date"], invalid = parse_dates(dates, date_order)
        bad = _unreadable(activities, frame["id"], invalid, date_order)
    else:
        frame["date"], bad = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"), no_cells
    sentiment = activities.column("sentiment")
    frame["negative"] = (normalised(parse_texts(sentiment)).isin(NEGATIVE_WORDS)
                         if sentiment is not None else False)
    frame = frame[frame["id"].notna()]
    latest = (frame.sort_values("date", kind="stable", na_position="first")
              .drop_duplicates("id", keep="last").set_index("id"))
    summary = pd.DataFrame({
        "last_date": frame.groupby("id", sort=False)["date"].max(),
        "negative": latest["negative"].astype(bool),
    })
    summary["negative_date"] = latest["date"].where(summary["negative"])
    return summary, bad


def _unreadable(activities: RoleTable, ids: pd.Series, invalid: pd.Series,
                date_order: DateOrder) -> pd.DataFrame:
    header = activities.roles["date"]
    rows = invalid[invalid].index
    details = unreadable_details(activities, header, rows,
                                 lambda cell: read_date(cell, date_order))  # type: ignore[arg-type]
    return pd.DataFrame({"id": ids.loc[rows].to_numpy(),
                         "where": cell_refs(activities, header, rows).to_numpy(),
                         "detail": details.to_numpy()})
