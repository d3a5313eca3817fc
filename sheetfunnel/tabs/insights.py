"""The Insights tab (洞察): what the closed deals say — the model's quality and calibration,
the won-deal traits, the scorecard checked against results and the A/B comparisons.

Rewritten whole each run and deterministic: the date it shows is the run's as-of date, never
a clock time, so a run with nothing new writes nothing.
"""

from __future__ import annotations

from typing import Any

from sheetfunnel.config.model import Config
from sheetfunnel.engine.insights import Comparison, Insights
from sheetfunnel.engine.learn import Learned
from sheetfunnel.grid import Grid
from sheetfunnel.learning_report import findings, status_sentence
from sheetfunnel.plan import Looks
from sheetfunnel.render import tab_protection
from sheetfunnel.tabs.rows import Rows
from sheetfunnel.words.insights import texts, value_text

PERCENT, SHARE, INTEGER, DATE, RATIO = "0.0%", "0%", "#,##0", "yyyy-mm-dd", "0.000"


def render_insights(learned: Learned, found: Insights, config: Config, *, tab: str,
                    lang: str, as_of: Any) -> tuple[Grid, Looks]:
    words = texts(lang)
    rows = Rows(tab)
    rows.add([words["title"]], bold=True)
    rows.add([status_sentence(learned, config, lang)])
    _quality(rows, learned, config, words, as_of)
    _traits(rows, found, words, lang)
    _scorecard(rows, found, words, lang)
    _ab(rows, found.comparisons, config, words)
    width = max(len(r) for r in rows.grid)
    return rows.grid, Looks(tuple(rows.formats), tuple(rows.bold),
                            protections=tab_protection(tab, width))


def _quality(rows: Rows, learned: Learned, config: Config, words: dict[str, Any],
             as_of: Any) -> None:
    settings = config.settings
    rows.section(words["quality"])
    rows.add([words["as_of"], as_of], formats={2: DATE})
    rows.add([words["history"], learned.closed_won, learned.closed_lost],
             formats={2: INTEGER, 3: INTEGER})
    rows.add([words["fields"], ", ".join(f.name for f in learned.features)])
    weight = settings.blend_weight
    rows.add([words["uses"], words["uses_kind"][settings.win_probability].format(
        weight=weight, rest=1 - weight)])
    if learned.auc is None:
        return
    split = words["split_time" if learned.split == "time" else "split_random"]
    rows.add([words["split"], split.format(count=learned.holdout)])
    rows.add([words["auc"], learned.auc, learned.auc_low, learned.auc_high],
             formats={2: RATIO, 3: RATIO, 4: RATIO})
    rows.add([words["brier"], learned.brier, learned.brier_base], formats={2: RATIO, 3: RATIO})
    rows.section(words["calibration"], words["calibration_head"])
    for low, high, deals, said, won in learned.calibration:
        rows.add([words["calibration_row"].format(low=low, high=high), deals, said, won],
                 formats={2: INTEGER, 3: PERCENT, 4: PERCENT})


def _traits(rows: Rows, found: Insights, words: dict[str, Any], lang: str) -> None:
    if not found.traits:
        return
    rows.section(words["traits"], words["traits_head"])
    verdicts = words["verdict"]
    for trait in found.traits:
        if trait.too_few:
            verdict = verdicts["few"]
        elif trait.significant:
            verdict = verdicts["higher" if (trait.lift or 1) > 1 else "lower"]
        else:
            verdict = verdicts["none"]
        shown = value_text(trait.value, True, lang)
        rows.add([trait.field, shown, trait.deals, trait.won, trait.rate, trait.lift, trait.low,
                  trait.high, verdict],
                 formats={3: INTEGER, 4: INTEGER, 5: PERCENT, 6: "0.00", 7: PERCENT,
                          8: PERCENT})


def _scorecard(rows: Rows, found: Insights, words: dict[str, Any], lang: str) -> None:
    if not found.scorecard:
        return
    rows.section(words["scorecard"], words["scorecard_head"])
    for level in found.scorecard:
        scope, shown = (words["grade"], level.level) if level.scope == "grade" else \
            (level.scope, words["points"].format(points=level.level))
        rows.add([scope, shown, level.deals, level.won, level.rate],
                 formats={3: INTEGER, 4: INTEGER, 5: PERCENT})
    for sentence in findings(found, lang) or [words["scorecard_fine"]]:
        rows.add([sentence])
    if found.suggested:
        rows.section(words["suggested"], words["suggested_head"])
        for suggested in found.suggested:
            rows.add([suggested.scope, suggested.weight, suggested.suggested],
                     formats={2: "0.0", 3: "0.0"})
        rows.add([words["suggested_method"]])


def _ab(rows: Rows, comparisons: tuple[Comparison, ...], config: Config,
        words: dict[str, Any]) -> None:
    if not comparisons:
        rows.section(words["ab"].format(field=config.settings.ab_field or "—"))
        rows.add([words["ab_none"]])
        return
    rows.section(words["ab"].format(field=comparisons[0].field), words["ab_head"])
    for c in comparisons:
        source = c.from_stage or words["ab_overall"]
        target = c.to_stage or words["ab_won"]
        rows.add([c.variant, source, target, c.entered, c.converted, c.rate, c.other_rate,
                  c.p_value, ab_sentence(c, words)],
                 formats={4: INTEGER, 5: INTEGER, 6: PERCENT, 7: PERCENT, 8: RATIO})


def ab_sentence(c: Comparison, words: dict[str, Any]) -> str:
    """话术B: 18% vs 11% from 方案报价 to 商务谈判, p = 0.03 — a real difference."""
    step = words["ab_closed"] if c.from_stage is None else \
        words["ab_step"].format(source=c.from_stage, target=c.to_stage)
    key = "ab_real" if c.significant else "ab_same" if c.needed is None else "ab_wait"
    return words[key].format(variant=c.variant, rate=c.rate, other=c.other_rate, step=step,
                             p=c.p_value, needed=c.needed or 0)
