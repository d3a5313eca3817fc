"""Every flag of spec §3.4, one function each, and the Flags cell a person reads.

Each function takes the judged deals (one row per Opportunities row) and returns the flagged
rows: row, code, detail, since. ``since`` comes from the data (not the run's clock) so a rerun
writes the same Attention tab. Only open deals get the time-based flags.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sheetfunnel.config import Config
from sheetfunnel.engine.model import FLAG_CODES, SEVERITY

FLAG_COLUMNS = ["row", "code", "detail", "since"]

ICONS = {"DUPLICATE_ID": "🔁", "UNKNOWN_STAGE": "❓", "INVALID_VALUE": "⚠",
         "MISSING_CRITERIA": "⛔", "CLOSE_DATE_PASSED": "📅", "NO_FIRST_RESPONSE": "📞",
         "FOLLOW_UP_OVERDUE": "⏰", "STALLED": "🐢", "NEGATIVE_SIGNAL": "👎"}

#: Detail sentences; {0}, {1}, {2} are filled column-wise.
TEXTS = {
    "en": {
        "DUPLICATE_ID": "ID {0} is on rows {1}",
        "UNKNOWN_STAGE": "Stage “{0}” is not in the Stages tab",
        "EMPTY_STAGE": "Stage is empty",
        "INVALID_VALUE": "{0}",
        "MISSING_CRITERIA": "Missing: {0}",
        "CLOSE_DATE_PASSED": "Expected close {0} has passed",
        "NO_FIRST_RESPONSE": "No activity since it was created on {0}",
        "FOLLOW_UP_OVERDUE": "No follow-up for {0} days",
        "STALLED": "{1} days in {0} (limit {2})",
        "NEGATIVE_SIGNAL": "Latest activity ({0}) was negative",
    },
    "zh": {
        "DUPLICATE_ID": "编号 {0} 出现在第 {1} 行",
        "UNKNOWN_STAGE": "阶段“{0}”不在阶段表中",
        "EMPTY_STAGE": "阶段为空",
        "INVALID_VALUE": "无法识别 {0}",
        "MISSING_CRITERIA": "未满足：{0}",
        "CLOSE_DATE_PASSED": "预计成交日期 {0} 已过",
        "NO_FIRST_RESPONSE": "创建于 {0}，至今没有跟进",
        "FOLLOW_UP_OVERDUE": "已 {0} 天未跟进",
        "STALLED": "在“{0}”阶段停留 {1} 天（上限 {2}）",
        "NEGATIVE_SIGNAL": "最近一次跟进（{0}）客户态度负面",
    },
}


def _sentence(template: str, *parts: pd.Series) -> pd.Series:
    """Fill ``template`` column-wise without a Python loop over rows."""
    pieces = template.replace("}", "{").split("{")
    out = pd.Series(pieces[0], index=parts[0].index if parts else None, dtype=object)
    for i in range(1, len(pieces), 2):
        out = out + _shown(parts[int(pieces[i])]) + pieces[i + 1]
    return out


def _shown(part: pd.Series) -> pd.Series:
    """Whole numbers without ``.0``; text as is."""
    if pd.api.types.is_float_dtype(part.dtype):
        part = part.fillna(0).astype("int64")
    return part.astype(str).astype(object)


def _day(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d")


def _flagged(deals: pd.DataFrame, mask: pd.Series, code: str, detail: pd.Series,
             since: pd.Series | None = None) -> pd.DataFrame:
    """``detail`` and ``since`` may be given for the flagged rows only."""
    rows = deals.index[mask.to_numpy()]
    return pd.DataFrame({
        "row": rows, "code": code, "detail": detail.reindex(rows).to_numpy(dtype=object),
        "since": since.reindex(rows).to_numpy() if since is not None else pd.NaT,
    }).astype({"since": "datetime64[ns]"})


def duplicate_id(deals: pd.DataFrame, lang: str) -> pd.DataFrame:
    shared = deals["id"].notna() & deals["id"].duplicated(keep=False)
    rows = pd.Series(deals.index, index=deals.index)[shared].astype(str)
    listed = rows.groupby(deals["id"][shared]).transform(", ".join)
    detail = _sentence(TEXTS[lang]["DUPLICATE_ID"], deals["id"][shared], listed)
    return _flagged(deals, shared, "DUPLICATE_ID", detail.reindex(deals.index))


def unknown_stage(deals: pd.DataFrame, lang: str) -> pd.DataFrame:
    unknown = deals["stage_index"] < 0
    typed = deals["stage"].fillna("")
    detail = _sentence(TEXTS[lang]["UNKNOWN_STAGE"], typed).where(
        typed != "", TEXTS[lang]["EMPTY_STAGE"])
    return _flagged(deals, unknown, "UNKNOWN_STAGE", detail)


def invalid_value(unreadable: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One flag per unreadable cell, on the row it affects."""
    detail = _sentence(TEXTS[lang]["INVALID_VALUE"], unreadable["detail"])
    return pd.DataFrame({"row": unreadable["row"].astype("int64"), "code": "INVALID_VALUE",
                         "detail": detail.astype(object),
                         "since": pd.Series(pd.NaT, index=unreadable.index,
                                            dtype="datetime64[ns]")})


def missing_criteria(deals: pd.DataFrame, lang: str) -> pd.DataFrame:
    failed = deals["missing"].notna()
    detail = _sentence(TEXTS[lang]["MISSING_CRITERIA"], deals["missing"][failed])
    return _flagged(deals, failed, "MISSING_CRITERIA", detail, deals["stage_entered"])


def close_date_passed(deals: pd.DataFrame, today: pd.Timestamp, lang: str) -> pd.DataFrame:
    passed = deals["is_open"] & (deals["expected_close"] < today)
    close = deals["expected_close"][passed]
    detail = _sentence(TEXTS[lang]["CLOSE_DATE_PASSED"], _day(close))
    return _flagged(deals, passed, "CLOSE_DATE_PASSED", detail, close + pd.Timedelta(days=1))


def no_first_response(deals: pd.DataFrame, today: pd.Timestamp, config: Config, lang: str
                      ) -> pd.DataFrame:
    """Created more than ``response_hours`` before the start of today, and no activity at all."""
    due = deals["created"] + pd.Timedelta(hours=config.settings.response_hours)
    silent = deals["is_open"] & ~deals["has_activity"] & (due < today)
    detail = _sentence(TEXTS[lang]["NO_FIRST_RESPONSE"], _day(deals["created"][silent]))
    return _flagged(deals, silent, "NO_FIRST_RESPONSE", detail, due.dt.normalize())


def follow_up_overdue(deals: pd.DataFrame, today: pd.Timestamp, lang: str) -> pd.DataFrame:
    quiet = (today - deals["last_activity"]).dt.days
    overdue = deals["is_open"] & (quiet > deals["follow_up_days"])
    detail = _sentence(TEXTS[lang]["FOLLOW_UP_OVERDUE"], quiet[overdue])
    since = deals["last_activity"] + pd.to_timedelta(deals["follow_up_days"], unit="D")
    return _flagged(deals, overdue, "FOLLOW_UP_OVERDUE", detail, since)


def stalled(deals: pd.DataFrame, lang: str) -> pd.DataFrame:
    days = deals["days_in_stage"]
    stuck = deals["is_open"] & (days > deals["stall_days"])
    late = deals[stuck]
    detail = _sentence(TEXTS[lang]["STALLED"], late["stage"], days[stuck], late["stall_days"])
    since = deals["stage_entered"] + pd.to_timedelta(deals["stall_days"], unit="D")
    return _flagged(deals, stuck, "STALLED", detail, since)


def negative_signal(deals: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Not on won or lost deals: there is nothing left to rescue."""
    bad = deals["negative"] & ~deals["kind"].isin(["won", "lost"])
    when = _day(deals["negative_date"][bad]).fillna("?")
    detail = _sentence(TEXTS[lang]["NEGATIVE_SIGNAL"], when)
    return _flagged(deals, bad, "NEGATIVE_SIGNAL", detail, deals["negative_date"])


def every_flag(deals: pd.DataFrame, unreadable: pd.DataFrame, config: Config,
               as_of: dt.date, lang: str) -> pd.DataFrame:
    """All flags, one row each: row, code, detail, since (datetime64)."""
    today = pd.Timestamp(as_of)
    found = [duplicate_id(deals, lang), unknown_stage(deals, lang),
             invalid_value(unreadable, lang), missing_criteria(deals, lang),
             close_date_passed(deals, today, lang), no_first_response(deals, today, config, lang),
             follow_up_overdue(deals, today, lang), stalled(deals, lang),
             negative_signal(deals, lang)]
    return pd.concat([f for f in found if len(f)] or [found[0]], ignore_index=True)


def flags_cells(flags: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """The Flags cell (``⛔ Missing: Decision Maker · ⏰ No follow-up for 9 days``) and the
    codes of each row, most severe first (None / () when the row has no flag)."""
    severity = flags["code"].map(SEVERITY).to_numpy()
    ordered = flags.assign(severity=severity).sort_values(["row", "severity"], kind="stable")
    pieces = (ordered["code"].map(ICONS) + " " + ordered["detail"].astype(str)).astype(object)
    position = index.get_indexer(ordered["row"])
    mask = np.zeros(len(index), dtype="int64")
    np.bitwise_or.at(mask, position, 1 << ordered["severity"].to_numpy())
    text = np.full(len(index), None, dtype=object)
    nth = ordered.groupby("row").cumcount().to_numpy()
    for k in range(int(nth.max()) + 1 if len(nth) else 0):
        at, piece = position[nth == k], pieces.to_numpy()[nth == k]
        text[at] = piece if k == 0 else text[at] + " · " + piece
    codes = {m: tuple(c for c in FLAG_CODES if m & (1 << SEVERITY[c])) for m in np.unique(mask)}
    return (pd.Series(text, index=index, dtype=object),
            pd.Series(mask, index=index).map(codes))
