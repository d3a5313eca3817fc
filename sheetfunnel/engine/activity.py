"""The Activities tab, summarised per opportunity: latest activity date and its sentiment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetfunnel.engine.fields import cell_refs, unreadable_details
from sheetfunnel.engine.ids import DealIds
from sheetfunnel.grid import RoleTable, normalise_name
from sheetfunnel.values import DateOrder, parse_dates, read_date, text_codes

NEGATIVE_WORDS = frozenset(normalise_name(w) for w in (
    "negative", "neg", "bad", "unhappy", "👎", "负面", "消极", "不满", "不满意", "差"))

NAT = np.datetime64("NaT", "ns").view("int64")  # the smallest int64, so max() skips it


def summarise_activities(activities: RoleTable | None, ids: pd.Series, date_order: DateOrder,
                         deal_ids: DealIds | None = None, lang: str = "en"
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each opportunity (``ids``: their IDs as text, by Opportunities row; ``deal_ids``:
    the same factorised, when the caller has them): logged (an activity names it), last_date
    (datetime64), negative (the latest activity's Sentiment is negative), negative_date. Also
    the unreadable Date cells: id, where, detail (its reason in ``lang``)."""
    no_cells = pd.DataFrame({c: pd.Series([], dtype=object) for c in ("id", "where", "detail")})
    named = activities.column("opportunity_id") if activities is not None else None
    if activities is None or named is None:
        return _summary(ids.index, np.full(len(ids), -1), np.full(len(ids), NAT),
                        np.zeros(len(ids), dtype=bool)), no_cells
    codes, distinct = text_codes(named)
    deal_codes = _codes_of_deals(deal_ids or DealIds.of(ids), distinct)
    dates = activities.column("date")
    if dates is not None:
        parsed, invalid = parse_dates(dates, date_order)
        when = parsed.to_numpy("datetime64[ns]").view("int64")
        bad = _unreadable(activities, _id_texts(codes, distinct, invalid), invalid, date_order,
                          lang)
    else:
        when, bad = np.full(len(codes), NAT), no_cells
    last, latest_row = _latest(codes, when, len(distinct))
    negative = np.append(_negative(activities, len(codes)), False)[latest_row]  # -1: none
    logged = np.append(latest_row, -1)[deal_codes]
    return _summary(ids.index, logged, np.append(last, NAT)[deal_codes],
                    np.append(negative, False)[deal_codes]), bad


def _codes_of_deals(deal_ids: DealIds, distinct: np.ndarray) -> np.ndarray:
    """Each opportunity's code among the Activities tab's IDs (-1 when none names it): the few
    distinct IDs of Activities are looked up among the opportunities', not the reverse."""
    found = deal_ids.lookup(distinct)
    named = found >= 0
    code_of = np.full(len(deal_ids.distinct), -1, dtype=np.intp)
    code_of[found[named]] = np.flatnonzero(named)
    return deal_ids.by_row(code_of, -1)


def _latest(codes: np.ndarray, when: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per ID code: the latest date (int64, NaT when none) and the row of the latest activity
    (the last such row in sheet order when several share the date; -1 when none)."""
    known = codes >= 0
    ids, dates, rows = codes[known], when[known], np.flatnonzero(known)
    last = np.full(count, NAT)
    np.maximum.at(last, ids, dates)
    on_last = dates == last[ids]
    latest_row = np.full(count, -1)
    np.maximum.at(latest_row, ids[on_last], rows[on_last])
    return last, latest_row


def _negative(activities: RoleTable, count: int) -> np.ndarray:
    """Whether each activity's Sentiment is a negative word."""
    sentiment = activities.column("sentiment")
    if sentiment is None:
        return np.zeros(count, dtype=bool)
    codes, texts = text_codes(sentiment)
    negative = np.array([normalise_name(t) in NEGATIVE_WORDS for t in texts] + [False])
    return negative[codes]


def _summary(index: pd.Index, latest_row: np.ndarray, last: np.ndarray, negative: np.ndarray
             ) -> pd.DataFrame:
    last_date = last.view("datetime64[ns]")
    return pd.DataFrame({
        "logged": latest_row >= 0,
        "last_date": last_date,
        "negative": negative,
        "negative_date": np.where(negative, last_date, np.datetime64("NaT", "ns")),
    }, index=index)


def _id_texts(codes: np.ndarray, distinct: np.ndarray, rows: pd.Series) -> pd.Series:
    """The ID text (None when blank) of the activities in ``rows`` (a mask)."""
    texts = np.append(distinct, [None])[codes[rows.to_numpy()]]
    return pd.Series(texts, index=rows.index[rows.to_numpy()], dtype=object)


def _unreadable(activities: RoleTable, ids: pd.Series, invalid: pd.Series,
                date_order: DateOrder, lang: str) -> pd.DataFrame:
    header = activities.roles["date"]
    rows = invalid[invalid].index
    details = unreadable_details(activities, header, rows,
                                 lambda cell: read_date(cell, date_order),  # type: ignore[arg-type]
                                 lang)
    return pd.DataFrame({"id": ids.to_numpy(),
                         "where": cell_refs(activities, header, rows).to_numpy(),
                         "detail": details.to_numpy()})
