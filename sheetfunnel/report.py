"""The JSON report (``--report``), schema ``sheetfunnel.report/1`` (spec §5).

Plain JSON types only: fractions 0–1, money and scores as numbers, null where nothing is known.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from sheetfunnel.engine.model import Evaluation
from sheetfunnel.plan import IOStats
from sheetfunnel.summary import RunHeader, Summary

SCHEMA = "sheetfunnel.report/1"


def builtin_value(value: Any) -> Any:
    """numpy/pandas scalars as JSON values; NaN, NaT, infinity and None as null (strict JSON
    has no NaN or Infinity)."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool:  # most values: nothing to convert
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame, columns: dict[str, str]) -> list[dict[str, Any]]:
    return [{out: builtin_value(record[name]) for name, out in columns.items()}
            for record in frame.to_dict("records")]


def io_section(io: IOStats, seconds: float) -> dict[str, Any]:
    """The report's ``io``."""
    return {"read_requests": io.read_requests, "write_requests": io.write_requests,
            "cells_written": io.cells_written, "bytes_sent": io.bytes_sent,
            "bytes_received": io.bytes_received, "seconds": round(seconds, 3)}


HEADLINE = {"open_deals": "open_count", "open_amount": "open_amount",
            "weighted_pipeline": "weighted_pipeline", "won_this_month": "won_this_month",
            "won_amount_this_month": "won_amount_this_month",
            "lost_this_month": "lost_this_month",
            "lost_amount_this_month": "lost_amount_this_month", "win_rate": "win_rate",
            "avg_cycle_days": "avg_cycle_days", "undated_deals": "undated_deals"}


def _owners(summary: Summary) -> list[dict[str, Any]]:
    """Each owner's row of the Summary with the flags on their deals, counted by code."""
    flags = summary.flag_counts
    codes = [c for c in flags.columns if c not in ("owner", "total")]
    by_owner = {record["owner"]: {c: int(record[c]) for c in codes if record[c]}
                for record in flags.to_dict("records")}
    owners = _records(summary.owners, {c: c for c in (
        "owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open",
        "follow_ups_on_time")})
    return [{**owner, "flags": by_owner.get(owner["owner"], {})} for owner in owners]


def build_report(summary: Summary, evaluation: Evaluation, *, io: IOStats, seconds: float,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report; ``extra`` adds top-level sections (the learning ones, spec §6)."""
    brief = report_brief(summary, evaluation, io=io, seconds=seconds, extra=extra)
    return with_opportunities(brief, evaluation)


def report_brief(summary: Summary, evaluation: Evaluation, *, io: IOStats, seconds: float,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report but for its per-deal list, left empty: a run adds it (``with_opportunities``)
    only when its report is read, since at 100,000 deals it is 100,000 dicts a run whose
    report nobody asks for need not make."""
    return {
        "schema": SCHEMA,
        "as_of": summary.header.as_of.isoformat(),
        "counts": {k: int(evaluation.counts.get(k, 0))
                   for k in ("opportunities", "customers", "activities")},
        "headline": {name: builtin_value(summary.kpis[key]) for name, key in HEADLINE.items()},
        "stages": _records(summary.funnel, {c: c for c in (
            "stage", "kind", "reached", "current", "conversion_from_previous",
            "conversion_from_first", "open_amount", "weighted_amount", "avg_days_in_stage",
            "days_in_stage_mean", "days_in_stage_median")}),
        "win_rate": builtin_value(summary.win_rate),
        "opportunities": [],
        "owners": _owners(summary),
        "sources": _records(summary.sources, {c: c for c in (
            "source", "total", "won", "conversion")}),
        "lost_reasons": _records(summary.lost_reasons, {"reason": "reason", "count": "count",
                                                        "share": "share", "amount": "amount"}),
        "forecast": _records(summary.forecast, {c: c for c in (
            "period", "count", "amount", "weighted")}),
        "flags": dict(summary.flag_totals),
        "problems": [p.as_json() for p in summary.header.problems],
        "io": io_section(io, seconds),
        **(extra or {}),
    }


def with_opportunities(report: dict[str, Any], evaluation: Evaluation) -> dict[str, Any]:
    """``report`` with its ``opportunities``, one per deal in the sheet's order (a new dict;
    the key keeps its place)."""
    return {**report, "opportunities": _opportunities(evaluation.deals)}


def _opportunities(deals: pd.DataFrame) -> list[dict[str, Any]]:
    plain = ("id", "stage", "score", "score_raw", "grade", "win_probability", "weighted_amount")
    described = ("owner", "title", "amount", "customer_id")
    columns = [_json_column(deals[name]) for name in plain + described]
    days = _whole_days(deals["days_in_stage"])
    chances = (_chances(deals["model_win_probability"])
               if "model_win_probability" in deals else [None] * len(deals))
    factor_lists = ([list(v or ()) for v in deals["model_factors"].tolist()]
                    if "model_factors" in deals else [[] for _ in range(len(deals))])
    return [
        {"id": i, "row": int(row), "stage": stage, "score": score, "score_raw": raw,
         "grade": grade, "win_probability": win, "weighted_amount": weighted,
         "days_in_stage": day, "flags": list(codes), "owner": owner, "title": title,
         "amount": amount, "customer_id": customer, "model_win_probability": chance,
         "model_factors": factors}
        for row, i, stage, score, raw, grade, win, weighted, owner, title, amount, customer,
        day, codes, chance, factors in zip(
            deals.index.tolist(), *columns, days, deals["flag_codes"].tolist(), chances,
            factor_lists, strict=True)
    ]


def _json_column(values: pd.Series) -> list[Any]:
    """``builtin_value`` of each cell; a column of floats converted at once."""
    if values.dtype.kind == "f":
        numbers = values.to_numpy()
        listed = numbers.tolist()
        for at in np.flatnonzero(~np.isfinite(numbers)).tolist():
            listed[at] = None
        return listed
    return [v if v.__class__ is str else builtin_value(v) for v in values.tolist()]


def _whole_days(values: pd.Series) -> list[int | None]:
    """Days as whole numbers (the fraction cut off), None when unknown."""
    days = values.to_numpy(dtype=float)
    unknown = np.isnan(days)
    listed: list[int | None] = np.where(unknown, 0, days).astype(np.int64).tolist()
    for at in np.flatnonzero(unknown).tolist():
        listed[at] = None
    return listed


def _chances(values: pd.Series) -> list[float | None]:
    """The model's chances to four places, None where it has none."""
    return [None if chance is None else round(float(chance), 4)
            for chance in _json_column(values.astype(float))]


def report_json(report: dict[str, Any]) -> str:
    """The report as the file ``--report`` writes: strict JSON (a NaN or Infinity that slipped
    through is a bug to raise here, not a file other tools cannot read)."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def problems_only_report(header: RunHeader, io: IOStats, seconds: float) -> dict[str, Any]:
    """A run whose config is broken with no good one to fall back on."""
    return {
        "schema": SCHEMA, "as_of": header.as_of.isoformat(),
        "counts": {"opportunities": 0, "customers": 0, "activities": 0}, "headline": None,
        "stages": [], "win_rate": None, "opportunities": [], "owners": [], "sources": [],
        "lost_reasons": [], "forecast": [], "flags": {},
        "problems": [p.as_json() for p in header.problems], "io": io_section(io, seconds),
    }
