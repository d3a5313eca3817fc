"""Learning from closed deals: the gate's both sides, the leakage rules, the reasons a rep
reads, the win probability Settings asks for, and the traits and A/B numbers checked against
an independent scipy computation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import binomtest, chi2_contingency, fisher_exact

from sheetfunnel import schema
from sheetfunnel.config import Config, Dimension, Match, Rule
from sheetfunnel.engine.fields import Fields
from sheetfunnel.engine.insights import (
    Insights,
    ab_tests,
    insights,
    scorecard_check,
    scores_like,
    suggested_weights,
    traits,
)
from sheetfunnel.engine.learn import learn
from sheetfunnel.engine.scoring import dimension_points
from sheetfunnel.engine.winmodel import auc_interval
from sheetfunnel.grid import RoleTable, Table
from sheetfunnel.learning_report import (
    backwards_sentence,
    findings,
    learning_sections,
    status_sentence,
)
from sheetfunnel.tabs.insights import render_insights
from tests.support.closed_deals import (
    config,
    judged,
    learned_from,
    synthetic_grid,
    x_education_grid,
)


@pytest.fixture(scope="module")
def trained():
    return learned_from(synthetic_grid(1200), config())


def test_a_history_with_a_signal_trains_a_trusted_model(trained):
    learned, evaluation = trained
    assert learned.status == "trained"
    assert learned.auc_low > 0.5 and learned.split == "time"
    assert learned.brier < learned.brier_base
    assert [f.name for f in learned.features] == ["Source", "Owner", "Size"]
    chance = evaluation.deals["model_win_probability"]
    is_open = evaluation.deals["kind"] == "open"
    assert chance[is_open].between(0, 1).all() and chance[~is_open].isna().all()
    # the stage's probability stays the weighted pipeline's until an admin switches
    assert (evaluation.deals["win_probability"][is_open].isin([0.1, 0.6])).all()


def test_the_why_column_names_the_strongest_reasons(trained):
    _, evaluation = trained
    reasons = [r for r in evaluation.deals["model_factors"] if r]
    assert reasons and all(len(r) <= 3 for r in reasons)
    text = " ".join(reasons[0])
    assert text.startswith(("▲ ", "▼ ")) and " pts; " in text and "past deals won)" in text
    referral = [r for rs in reasons for r in rs if r.startswith("▲ Source = Referral (+")]
    assert referral, "Referral wins most in the generating model"


def test_shuffled_outcomes_say_no_signal():
    learned, evaluation = learned_from(synthetic_grid(400, shuffled=True),
                                       config(model_min_won=50, model_min_lost=50))
    assert learned.status == "no_signal" and learned.auc_low <= 0.5
    assert evaluation.deals["model_win_probability"].isna().all()
    assert status_sentence(learned, config(), "en").startswith(
        "Your closed deals show no pattern the fields can predict (holdout AUC ")


def test_a_small_history_is_not_enough_and_says_how_small():
    learned, evaluation = learned_from(synthetic_grid(103), config())
    assert learned.status == "not_enough_history"
    won, lost = learned.closed_won, learned.closed_lost
    assert won + lost == 103
    assert status_sentence(learned, config(), "en").startswith(
        f"Not enough history: {won} won / {lost} lost closed deals (the model needs 100 / 100)")
    assert evaluation.deals["model_win_probability"].isna().all()


def test_the_same_sheet_gives_the_same_numbers():
    first, _ = learned_from(synthetic_grid(600), config())
    again, _ = learned_from(synthetic_grid(600), config())
    assert first.status == "trained"
    assert first.chance.equals(again.chance) and first.auc == again.auc
    assert first.factors == again.factors


def test_an_open_deal_edited_changes_no_other_deals_chance_or_why():
    """Open deals are not history: a person retyping one (its source in capitals, another
    size) leaves every other deal's Model Win % and Why as they were."""
    grid = synthetic_grid(600)
    grid.insert(1, grid.pop())  # an open deal first, where a value's spelling is taken from
    edited = [list(row) for row in grid]
    edited[1][3], edited[1][5] = str(edited[1][3]).upper(), 4321
    before, after = learned_from(grid, config())[1], learned_from(edited, config())[1]
    others = before.deals.index[1:]
    assert before.deals["model_factors"][others].notna().all()
    for column in ("model_win_probability", "model_factors"):
        assert before.deals[column][others].equals(after.deals[column][others])


def test_blend_mixes_model_and_stage_by_blend_weight():
    learned, evaluation = learned_from(synthetic_grid(600),
                                       config(win_probability="blend", blend_weight=0.3))
    deals = evaluation.deals[evaluation.deals["kind"] == "open"]
    stage = deals["stage"].map({"Lead": 0.1, "Proposal": 0.6})
    expected = 0.3 * deals["model_win_probability"] + 0.7 * stage
    assert np.allclose(deals["win_probability"], expected)
    assert np.allclose(deals["weighted_amount"], deals["amount"] * expected)


def test_model_without_a_trusted_model_keeps_the_stage_probability():
    _, evaluation = learned_from(synthetic_grid(103), config(win_probability="model"))
    deals = evaluation.deals[evaluation.deals["kind"] == "open"]
    assert set(deals["win_probability"]) == {0.1, 0.6}


def test_fields_known_only_at_closing_are_never_features():
    grid = synthetic_grid(600)
    grid[0].append("Signed Date")
    for i, row in enumerate(grid[1:]):
        row.append("2025-06-01" if row[1] in ("Won", "Lost") and i % 3 else None)
    cfg = config(model_fields=("Source", "Lost Reason", "Closed On", "Signed Date", "Win %",
                               "Nowhere"))
    learned, _ = learned_from(grid, cfg)
    assert [f.name for f in learned.features] == ["Source"]
    messages = [p.message for p in learned.problems]
    assert any(m.startswith("“Lost Reason” is known only when a deal closes") for m in messages)
    assert any(m.startswith("“Closed On” is known only when a deal closes") for m in messages)
    assert any(m.startswith("“Signed Date” is filled on 67% of closed deals but only 0% of "
                            "open ones") for m in messages)
    assert any("model_fields names “Nowhere”" in m for m in messages)


def test_traits_match_an_independent_computation(trained):
    learned, _ = trained
    found = {(t.field, t.value): t for t in traits(learned)}
    table, evaluation = judged(synthetic_grid(1200), config())
    deals = evaluation.deals
    closed = deals[deals["kind"].isin(["won", "lost"])]
    base = (closed["kind"] == "won").mean()
    tested = []
    for source, group in closed.groupby(table.table.frame.loc[closed.index, "Source"]):
        trait = found[("Source", source)]
        won = int((group["kind"] == "won").sum())
        assert (trait.deals, trait.won) == (len(group), won)
        z, n, p = 1.959963984540054, len(group), won / len(group)
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        assert trait.low == pytest.approx(centre - half) and trait.high == pytest.approx(
            centre + half)
        assert trait.lift == pytest.approx(p / base)
        tested.append(binomtest(won, n, base).pvalue)
    # Benjamini–Hochberg by hand over every tested value of every field
    raw = [binomtest(t.won, t.deals, base).pvalue for t in traits(learned) if t.deals >= 30]
    order = np.argsort(raw)
    ranked = np.array(raw)[order] * len(raw) / np.arange(1, len(raw) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    mine = [t.p_value for t in traits(learned) if t.deals >= 30]
    assert np.allclose(np.array(mine)[order], adjusted)
    assert found[("Source", "Referral")].significant


def test_ab_numbers_match_scipy():
    cfg = config(ab_field="Pitch")
    grid = synthetic_grid(1200)
    table, evaluation = judged(grid, cfg)
    found = ab_tests(evaluation, Fields(table, None, "ymd"), cfg)
    overall = {c.variant: c for c in found if c.from_stage is None}
    deals = evaluation.deals
    pitch = table.table.frame["Pitch"]
    closed = deals["kind"].isin(["won", "lost"])
    won = deals["kind"] == "won"
    a = (int((won & (pitch == "B")).sum()), int((closed & (pitch == "B")).sum()))
    b = (int((won & (pitch == "A")).sum()), int((closed & (pitch == "A")).sum()))
    table2 = [[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]]
    assert overall["B"].entered == a[1] and overall["B"].converted == a[0]
    assert overall["B"].p_value == pytest.approx(
        chi2_contingency(table2, correction=False).pvalue)
    assert overall["B"].test == "two-proportion" and overall["B"].significant
    small = ab_tests(*_first(evaluation, table, 16), cfg)
    fisher = [c for c in small if c.test == "fisher"]
    assert fisher
    for c in fisher:
        assert c.p_value == pytest.approx(fisher_exact(
            [[c.converted, c.entered - c.converted], _other(c, small)]).pvalue)


def _first(evaluation, table, rows):
    head = evaluation.deals.index[:rows]
    frame = table.table.frame.loc[head]
    small = RoleTable(Table(table.table.tab, 1, table.table.columns, frame, table.table.width),
                      table.roles)
    return replace(evaluation, deals=evaluation.deals.loc[head]), Fields(small, None, "ymd")


def _other(c, comparisons):
    """The pooled other variant's counts at the same step (two variants: the other one)."""
    other = next(o for o in comparisons if o.variant != c.variant
                 and (o.from_stage, o.to_stage) == (c.from_stage, c.to_stage))
    return [other.converted, other.entered - other.converted]


def test_a_backwards_scorecard_is_said_plainly():
    cfg = Config(config().stages, (
        Dimension("Source Fit", "Source", 1, (Rule(Match("eq", text="Cold Call"), 10),
                                              Rule(Match("any"), 2))),), (), config().settings)
    table, evaluation = judged(synthetic_grid(1200), cfg)
    learned = learn(table, None, evaluation, cfg)
    levels, backwards = scorecard_check(learned, evaluation, Fields(table, None, "ymd"), cfg)
    assert {level.scope for level in levels} == {"grade", "Source Fit"}
    assert any(b.scope == "grade" for b in backwards)  # Cold Call gets A and loses most
    sentence = backwards_sentence(next(b for b in backwards if b.scope == "grade"), "en")
    assert sentence.startswith("Grade A deals won ") and sentence.endswith(
        "the scorecard ranks backwards.")


def test_x_education_leads_train_a_model_that_ranks_and_is_calibrated(datasets):
    grid, hidden, fields = x_education_grid(datasets)
    learned, _ = learned_from(grid, config(model_fields=tuple(fields)))
    assert learned.status == "trained" and learned.split == "random"
    assert learned.auc_low > 0.5
    chance = learned.chance.to_numpy()
    assert auc_interval(hidden.astype(float), chance).auc >= 0.85
    assert np.mean((chance - hidden) ** 2) <= 0.150


def test_a_value_that_wins_more_but_scores_the_same_is_named():
    cfg = Config(config().stages, (
        Dimension("Source Fit", "Source", 1, (Rule(Match("in", options=("Referral", "Cold Call")),
                                                   5), Rule(Match("any"), 8))),), (),
        config().settings)
    table, evaluation = judged(synthetic_grid(1200), cfg)
    learned = learn(table, None, evaluation, cfg)
    (found,) = scores_like(learned, evaluation, Fields(table, None, "ymd"), cfg)
    assert (found.scope, found.value, found.like) == ("Source Fit", "Referral", "Cold Call")
    sentence = findings(Insights((), (), (), (), (found,)), "en")[0]
    assert sentence.startswith("Source Fit: Referral wins 1.") and sentence.endswith(
        "× the average but scores like Cold Call.")


SUGGEST = (
    Dimension("Source Fit", "Source", 3, (Rule(Match("eq", text="Referral"), 10),
                                          Rule(Match("eq", text="Web"), 6),
                                          Rule(Match("eq", text="Event"), 4),
                                          Rule(Match("any"), 0))),
    Dimension("Owner Fit", "Owner", 2, (Rule(Match("eq", text="Ann"), 5),
                                        Rule(Match("eq", text="Bo"), 3),
                                        Rule(Match("any"), 1))),
    Dimension("Deal Size", "Amount", 3, (Rule(Match("ge", number=7000), 10),
                                         Rule(Match("any"), 0))))


def _newton_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """An unpenalised logistic regression by Newton's method, written here to check against."""
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        chance = 1 / (1 + np.exp(-design @ beta))
        hessian = design.T @ (design * (chance * (1 - chance))[:, None])
        beta += np.linalg.solve(hessian, design.T @ (y - chance))
    return beta[1:]


def test_suggested_weights_follow_the_closed_deals_and_change_nothing():
    """Source wins and loses deals, Owner a little, the Amount (the row's position) not at all:
    the suggested weights say so, add up to the weights' total, agree with an independent
    logistic fit on the points, and the Scoring weights stay as they are."""
    cfg = Config(config().stages, SUGGEST, (), config().settings)
    table, evaluation = judged(synthetic_grid(1200), cfg)
    learned = learn(table, None, evaluation, cfg)
    fields = Fields(table, None, "ymd")
    suggested = {s.scope: s for s in suggested_weights(learned, evaluation, fields, cfg)}
    assert [s.weight for s in suggested.values()] == [3, 2, 3]
    source, owner, size = (suggested[d.name].suggested for d in SUGGEST)
    assert source > owner > 0 and size <= 0.3
    assert source + owner + size == pytest.approx(8, abs=0.15)
    x = np.column_stack([points.to_numpy()[learned.closed] for points in (
        dimension_points(d, fields, evaluation.deals.index) for d in SUGGEST[:2])])
    independent = _newton_weights(x, learned.won[learned.closed].astype(float))
    assert source / owner == pytest.approx(independent[0] / independent[1], rel=0.15)
    assert [d.weight for d in cfg.dimensions] == [3, 2, 3]

    found = insights(learned, evaluation, table, None, cfg)
    grid, _ = render_insights(learned, found, cfg, tab="Insights", lang="en", as_of=None)
    at = grid.index(["Suggested weights — a suggestion only: nothing changes until an admin "
                     "edits the Scoring tab"])
    assert grid[at + 1] == ["Dimension", "Weight now", "Suggested"]
    assert grid[at + 2] == ["Source Fit", 3, source]
    assert grid[at + 5][0].startswith("Method: a logistic regression of won against lost")
    zh, _ = render_insights(learned, found, cfg, tab="洞察", lang="zh", as_of=None)
    assert ["评分项", "当前权重", "建议权重"] in zh
    report = learning_sections(learned, found, cfg, "en")["scorecard_check"]
    assert report["suggested_weights"][0] == {"dimension": "Source Fit", "weight": 3,
                                              "suggested": source}


def test_no_weights_are_suggested_below_the_gate():
    cfg = Config(config().stages, SUGGEST, (), config().settings)
    table, evaluation = judged(synthetic_grid(120), cfg)
    learned = learn(table, None, evaluation, cfg)
    assert suggested_weights(learned, evaluation, Fields(table, None, "ymd"), cfg) == ()
    assert learning_sections(learned, insights(learned, evaluation, table, None, cfg), cfg,
                             "en")["scorecard_check"]["suggested_weights"] == []


def test_the_entered_date_field_of_a_won_stage_is_never_a_feature():
    grid = synthetic_grid(300)
    grid[0].append("Signed")
    for row in grid[1:]:
        row.append("2025-06-01" if row[1] == "Won" else None)
    stages = tuple(replace(s, entered_date_field="Signed") if s.kind == "won" else s
                   for s in config().stages)
    cfg = replace(config(model_fields=("Source", "Signed")), stages=stages)
    learned, _ = learned_from(grid, cfg)
    assert [f.name for f in learned.features] == ["Source"]
    assert any(p.message.startswith("“Signed” is known only when a deal closes")
               and p.where == "Opportunities!J1" for p in learned.problems)


def test_the_insights_tab_speaks_chinese_in_a_chinese_workbook():
    cfg = config(model_min_won=50, model_min_lost=50)
    table, evaluation = judged(synthetic_grid(300), cfg)
    learned = learn(table, None, evaluation, cfg)
    found = insights(learned, evaluation, table, None, cfg)
    grid, _ = render_insights(learned, found, cfg, tab="洞察", lang="zh", as_of=None)
    assert grid[0] == ["洞察 — 已结商机说明了什么"]
    assert grid[1][0].startswith("赢单模型已启用：基于 ")
    assert [schema.display_name("zh", "opportunities", r) for r in schema.MODEL_COLUMNS] == [
        "模型赢率", "赢单因素"]
    assert schema.display_name("zh", "insights") == "洞察"
