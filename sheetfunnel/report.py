"""The JSON report (``--report``), schema ``sheetfunnel.report/1`` (spec §5).

Plain JSON types only: fractions 0–1, money and scores as numbers, null where nothing is known.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from sheetfunnel.engine.model import Evaluation
from sheetfunnel.plan import IOStats
from sheetfunnel.summary import RunHeader, Summary

SCHEMA = "sheetfunnel.report/1"


def builtin_value(value: Any) -> Any:
    """numpy/pandas scalars as JSON values; NaN, NaT, infinity and None as null (strict JSON
    has no NaN or Infinity)."""
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


def _io(io: IOStats, seconds: float) -> dict[str, Any]:
    return {"read_requests": io.read_requests, "write_requests": io.write_requests,
            "cells_written": io.cells_written, "seconds": round(seconds, 3)}


def build_report(summary: Summary, evaluation: Evaluation, *, io: IOStats, seconds: float,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report; ``extra`` adds top-level sections (the learning ones, spec §6)."""
    deals = evaluation.deals
    opportunities = [
        {"id": builtin_value(d["id"]), "row": int(row), "stage": builtin_value(d["stage"]),
         "score": builtin_value(d["score"]), "score_raw": builtin_value(d["score_raw"]),
         "grade": builtin_value(d["grade"]), "win_probability": builtin_value(d["win_probability"]),
         "weighted_amount": builtin_value(d["weighted_amount"]),
         "days_in_stage": None if pd.isna(d["days_in_stage"]) else int(d["days_in_stage"]),
         "flags": list(d["flag_codes"]),
         "model_win_probability": _model_chance(d.get("model_win_probability")),
         "model_factors": list(d.get("model_factors") or ())}
        for row, d in zip(deals.index, deals.to_dict("records"), strict=True)
    ]
    return {
        "schema": SCHEMA,
        "as_of": summary.header.as_of.isoformat(),
        "counts": {k: int(evaluation.counts.get(k, 0))
                   for k in ("opportunities", "customers", "activities")},
        "stages": _records(summary.funnel, {c: c for c in (
            "stage", "kind", "reached", "current", "conversion_from_previous",
            "conversion_from_first", "open_amount", "weighted_amount", "avg_days_in_stage")}),
        "win_rate": builtin_value(summary.win_rate),
        "opportunities": opportunities,
        "owners": _records(summary.owners, {c: c for c in (
            "owner", "open", "won", "lost", "win_rate", "won_amount", "weighted_open")}),
        "sources": _records(summary.sources, {c: c for c in (
            "source", "total", "won", "conversion")}),
        "lost_reasons": _records(summary.lost_reasons, {"reason": "reason", "count": "count",
                                                        "amount": "amount"}),
        "forecast": _records(summary.forecast, {c: c for c in (
            "period", "count", "amount", "weighted")}),
        "flags": dict(summary.flag_totals),
        "problems": [p.as_json() for p in summary.header.problems],
        "io": _io(io, seconds),
        **(extra or {}),
    }


def _model_chance(value: Any) -> float | None:
    value = builtin_value(value)
    return None if value is None else round(float(value), 4)


def report_json(report: dict[str, Any]) -> str:
    """The report as the file ``--report`` writes: strict JSON (a NaN or Infinity that slipped
    through is a bug to raise here, not a file other tools cannot read)."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def problems_only_report(header: RunHeader, io: IOStats, seconds: float) -> dict[str, Any]:
    """A run whose config is broken with no good one to fall back on."""
    return {
        "schema": SCHEMA, "as_of": header.as_of.isoformat(),
        "counts": {"opportunities": 0, "customers": 0, "activities": 0},
        "stages": [], "win_rate": None, "opportunities": [], "owners": [], "sources": [],
        "lost_reasons": [], "forecast": [], "flags": {},
        "problems": [p.as_json() for p in header.problems], "io": _io(io, seconds),
    }
