"""The report's ``review`` and ``targets`` sections (spec §6), from the same review and
attainments the Review tab shows."""

from __future__ import annotations

from typing import Any

from sheetfunnel.engine.review import Review
from sheetfunnel.engine.targets import Attainment


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def review_sections(review: Review, targets: tuple[Attainment, ...]) -> dict[str, Any]:
    """``review`` and ``targets``; ``stages_strict`` too with Settings funnel_mode = strict."""
    sections = _sections(review, targets)
    if review.strict is not None:
        sections["stages_strict"] = _strict(review)
        sections["review"]["path_unknown"] = review.strict.path_unknown
    return sections


def _strict(review: Review) -> list[dict[str, Any]]:
    strict = review.strict
    assert strict is not None
    first = strict.reached[0] if strict.reached else 0
    rows = []
    for index, (stage, reached) in enumerate(zip(strict.stages, strict.reached, strict=True)):
        before = strict.reached[index - 1] if index else reached
        rows.append({"stage": stage, "reached": reached,
                     "conversion_from_previous": _round(reached / before) if before else None,
                     "conversion_from_first": _round(reached / first) if first else None})
    return rows


def _sections(review: Review, targets: tuple[Attainment, ...]) -> dict[str, Any]:
    bottleneck = review.bottleneck
    return {
        "review": {
            "weeks": [{"week_start": w.start.isoformat(), "new": w.new, "advanced": w.advanced,
                       "won": w.won, "won_amount": round(w.won_amount, 2), "lost": w.lost,
                       "lost_amount": round(w.lost_amount, 2), "estimated": w.estimated,
                       "stalled": w.stalled, "weighted": round(w.weighted, 2),
                       "weighted_estimated": w.weighted_estimated}
                      for w in review.weeks],
            "conversion": [{"from": s.source, "to": s.target, "exits": list(s.exits),
                            "advanced": list(s.advanced), "norm": _round(s.norm()),
                            "cohort_entered": list(s.entered),
                            "cohort_reached": list(s.reached)}
                           for s in review.steps],
            "velocity": [{"stage": p.stage, "left": p.left, "median_days": _round(p.median, 2),
                          "p80_days": _round(p.p80, 2), "stall_days": p.stall_days}
                         for p in review.velocity],
            "slowest_stage": review.slowest,
            "bottleneck": None if bottleneck is None else {
                "from": bottleneck.step.source, "to": bottleneck.step.target,
                "rate": _round(bottleneck.rate), "norm": _round(bottleneck.norm),
                "stopped": list(bottleneck.stopped)},
            "cohorts": [{"month": c.month, "deals": c.deals, "reached": list(c.reached),
                         "won": c.won} for c in review.cohorts],
            "history_since": review.history_since.isoformat() if review.history_since
            else None,
        },
        "targets": [{"owner": a.target.owner, "period": a.target.period,
                     "metric": a.target.metric, "from": a.target.from_stage,
                     "to": a.target.to_stage, "target": a.target.value,
                     "actual": _round(a.actual), "attainment": _round(a.attainment),
                     "remaining": _round(a.remaining, 2), "working_days_left": a.days_left,
                     "per_day": _round(a.per_day, 2), "projection": _round(a.projection, 2),
                     "week_target": _round(a.week_target, 2)} for a in targets],
    }
