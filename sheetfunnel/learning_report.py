"""The report's learning sections (spec §6): ``model``, ``traits``, ``scorecard_check`` and
``ab_tests``, plain JSON types, fractions 0–1."""

from __future__ import annotations

from typing import Any

from sheetfunnel.config.model import Config
from sheetfunnel.engine.insights import Backwards, Insights
from sheetfunnel.engine.learn import Learned
from sheetfunnel.words.insights import texts, value_text


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def model_section(learned: Learned, config: Config, lang: str) -> dict[str, Any]:
    return {
        "status": learned.status, "message": status_sentence(learned, config, lang),
        "auc": _round(learned.auc), "auc_low": _round(learned.auc_low),
        "auc_high": _round(learned.auc_high), "brier": _round(learned.brier),
        "brier_base_rate": _round(learned.brier_base), "base_rate": _round(learned.base_rate),
        "closed_won": learned.closed_won, "closed_lost": learned.closed_lost,
        "split": learned.split, "holdout": learned.holdout,
        "fields": [f.name for f in learned.features],
        "win_probability": config.settings.win_probability,
    }


def status_sentence(learned: Learned, config: Config, lang: str) -> str:
    """Why the model is used or not, in one sentence."""
    settings = config.settings
    return texts(lang)["status"][learned.status].format(
        won=learned.closed_won, lost=learned.closed_lost, min_won=settings.model_min_won,
        min_lost=settings.model_min_lost, auc=learned.auc or 0.0, low=learned.auc_low or 0.0,
        high=learned.auc_high or 0.0)


def backwards_sentence(found: Backwards, lang: str) -> str:
    words = texts(lang)
    key = "grade_backwards" if found.scope == "grade" else "points_backwards"
    return words[key].format(scope=found.scope, high=found.higher.level, low=found.lower.level,
                             high_rate=found.higher.rate, low_rate=found.lower.rate)


def findings(found: Insights, lang: str) -> list[str]:
    """The scorecard check's sentences: backwards levels, then values that score too low."""
    words = texts(lang)
    return [backwards_sentence(b, lang) for b in found.backwards] + [
        words["scores_like"].format(scope=m.scope, value=m.value, lift=m.lift, like=m.like)
        for m in found.scores_like]


def learning_sections(learned: Learned, found: Insights, config: Config, lang: str
                      ) -> dict[str, Any]:
    return {
        "model": model_section(learned, config, lang),
        "traits": [{"field": t.field, "value": t.value, "label": value_text(t.value, True, lang),
                    "deals": t.deals, "won": t.won, "win_rate": _round(t.rate),
                    "lift": _round(t.lift), "low": _round(t.low), "high": _round(t.high),
                    "p_adjusted": _round(t.p_value, 6), "significant": t.significant,
                    "too_few": t.too_few} for t in found.traits],
        "scorecard_check": {
            "levels": [{"scope": level.scope, "level": level.level, "deals": level.deals,
                        "won": level.won, "win_rate": _round(level.rate)}
                       for level in found.scorecard],
            "findings": findings(found, lang),
            "suggested_weights": [{"dimension": s.scope, "weight": s.weight,
                                   "suggested": s.suggested} for s in found.suggested],
        },
        "ab_tests": [{"field": c.field, "variant": c.variant, "from_stage": c.from_stage,
                      "to_stage": c.to_stage, "deals": c.entered, "converted": c.converted,
                      "rate": _round(c.rate), "other_rate": _round(c.other_rate),
                      "p_value": _round(c.p_value, 6), "test": c.test,
                      "significant": c.significant, "needed_per_variant": c.needed}
                     for c in found.comparisons],
    }
