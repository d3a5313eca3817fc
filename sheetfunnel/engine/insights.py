"""What the closed deals say about the team's own judgement: won-deal traits, the scorecard
checked against results, and A/B comparisons of a variant column.

Pure: the Learned features, the evaluation and the Config in, plain records out (the words
module turns them into sentences). The statistics are scipy's: Wilson intervals, exact
binomial tests with Benjamini–Hochberg correction, two-proportion (chi-square) and Fisher's
exact tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import chdtrc, expit, log_expit, ndtri
from scipy.stats import binomtest, false_discovery_control, fisher_exact, norm
from threadpoolctl import threadpool_limits

from sheetfunnel.config.model import Config, Dimension
from sheetfunnel.engine.fields import Fields, normalised
from sheetfunnel.engine.learn import Learned
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.engine.scoring import dimension_points
from sheetfunnel.grid import RoleTable

TOO_FEW = 30  # deals below which a trait is "too few to tell"
ALPHA = 0.05
SUGGEST_PENALTY = 1.0  # L2 penalty of the suggested weights' regression, on 0-1 points
GRADES = ("A", "B", "C", "D")
_Z = ndtri(0.5 + 0.5 * 0.95)  # the 95% Wilson interval's z, as scipy computes it


@dataclass(frozen=True)
class Trait:
    """One value of one field on closed deals: its win rate, lift over the overall rate, 95%
    Wilson interval and whether it differs from the overall rate after correction."""

    field: str
    value: str | None
    deals: int
    won: int
    rate: float
    lift: float | None
    low: float
    high: float
    p_value: float | None
    significant: bool

    @property
    def too_few(self) -> bool:
        return self.deals < TOO_FEW


@dataclass(frozen=True)
class Level:
    """Win rate of one level of the scorecard (a grade, or a dimension's points) on closed
    deals."""

    scope: str  # "grade" or a dimension's name
    level: str
    deals: int
    won: int
    rate: float


@dataclass(frozen=True)
class Backwards:
    """The data disagree with the scorecard: a lower level won clearly more than a higher one."""

    scope: str
    higher: Level
    lower: Level
    p_value: float


@dataclass(frozen=True)
class ScoresLike:
    """A value that wins far more than another the scorecard gives the same points."""

    scope: str
    value: str
    lift: float
    like: str
    p_value: float


@dataclass(frozen=True)
class Suggested:
    """A Scoring dimension's weight as the closed deals would set it — shown, never applied."""

    scope: str
    weight: float
    suggested: float


@dataclass(frozen=True)
class Comparison:
    """One variant against the others at one step (``to_stage`` None: won of closed deals)."""

    field: str
    variant: str
    from_stage: str | None
    to_stage: str | None
    entered: int
    converted: int
    rate: float
    other_rate: float
    p_value: float
    test: str  # "two-proportion" or "fisher"
    needed: int | None  # more deals per variant to tell a difference this size

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


@dataclass(frozen=True)
class Insights:
    traits: tuple[Trait, ...]
    scorecard: tuple[Level, ...]
    backwards: tuple[Backwards, ...]
    comparisons: tuple[Comparison, ...]
    scores_like: tuple[ScoresLike, ...] = ()
    suggested: tuple[Suggested, ...] = ()


def insights(learned: Learned, evaluation: Evaluation, opportunities: RoleTable,
             customers: RoleTable | None, config: Config, fields: Fields | None = None
             ) -> Insights:
    """Traits, the scorecard checked, A/B tests, values scoring alike and suggested weights
    (``fields``: the engine's, to reuse the columns it read)."""
    fields = fields or Fields(opportunities, customers, config.settings.date_order)
    index = evaluation.deals.index
    points = {d.name: dimension_points(d, fields, index) for d in config.dimensions
              if fields.locate(d.field) is not None}
    scorecard, backwards = scorecard_check(learned, evaluation, fields, config, points)
    return Insights(traits(learned), scorecard, backwards, ab_tests(evaluation, fields, config),
                    scores_like(learned, evaluation, fields, config, points),
                    suggested_weights(learned, evaluation, fields, config, points))


Points = Mapping[str, pd.Series]


def _points(dimension: Dimension, fields: Fields, index: pd.Index, points: Points | None
            ) -> pd.Series:
    """A dimension's points per row: from ``points`` (each found dimension's, given once for
    the three checks) or scored here."""
    return points[dimension.name] if points is not None else \
        dimension_points(dimension, fields, index)


def traits(learned: Learned) -> tuple[Trait, ...]:
    """Every value of every model field on closed deals; values with at least TOO_FEW deals
    are tested against the overall win rate, Benjamini–Hochberg across all of them."""
    base = learned.base_rate
    if base is None:
        return ()
    closed, won = learned.closed, learned.won[learned.closed]
    found: list[tuple[str, str | None, int, int]] = []
    for feature in learned.features:
        codes = feature.codes[closed]
        size = len(feature.labels)
        deals = np.bincount(codes[codes >= 0], minlength=size)
        wins = np.bincount(codes[(codes >= 0) & won], minlength=size)
        found += [(feature.name, feature.labels[i], int(deals[i]), int(wins[i]))
                  for i in range(size) if deals[i]]
    tested = [i for i, (_, _, deals, _) in enumerate(found) if deals >= TOO_FEW]
    raw = [binomtest(found[i][3], found[i][2], base).pvalue for i in tested]
    adjusted = dict(zip(tested, false_discovery_control(raw) if raw else [], strict=True))
    made = []
    for i, (name, value, count, hits) in enumerate(found):
        low, high = wilson(hits, count)
        p = adjusted.get(i)
        made.append(Trait(name, value, count, hits, hits / count,
                          hits / count / base if base else None, low, high,
                          None if p is None else float(p), p is not None and bool(p < ALPHA)))
    return tuple(made)


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of ``k`` won of ``n``: scipy's
    ``binomtest(k, n).proportion_ci(method="wilson")`` computed the same way, step for step
    (so to the last bit), without the exact test binomtest runs first, which costs a hundred
    times the interval."""
    p = k / n
    denom = 2 * (n + _Z**2)
    center = (2 * n * p + _Z**2) / denom
    delta = _Z / denom * math.sqrt(4 * n * p * (1 - p) + _Z**2)
    return (0.0 if k == 0 else float(center - delta)), (1.0 if k == n else float(center + delta))


def _levels(scope: str, codes: np.ndarray, names: list[str], won: np.ndarray,
            order: list[str]) -> list[Level]:
    """The Levels in ``order`` of the closed deals, by the name of their code (``codes``:
    positions in ``names``, -1 for none; codes of one name count together) and ``won`` (1.0
    or 0.0)."""
    named, distinct = pd.factorize(np.array(names, dtype=object))
    label = np.where(codes >= 0, np.append(named, -1)[codes], -1)
    known = label >= 0
    deals = np.bincount(label[known], minlength=len(distinct))
    wins = np.bincount(label[known], weights=won[known], minlength=len(distinct))
    where = {name: k for k, name in enumerate(distinct) if deals[k]}
    return [Level(scope, level, int(deals[where[level]]), int(wins[where[level]]),
                  float(wins[where[level]] / deals[where[level]]))
            for level in order if level in where]


def _two_proportions(a_won: int, a_all: int, b_won: int, b_all: int) -> tuple[float, str]:
    """p-value of a 2×2 comparison: chi-square (the two-proportion test) when every expected
    count is at least 5, else Fisher's exact test."""
    table = ((a_won, a_all - a_won), (b_won, b_all - b_won))
    if a_won + b_won == 0 or table[0][1] + table[1][1] == 0:
        return 1.0, "two-proportion"
    total = a_all + b_all
    if min(row * column / total for row in (a_all, b_all)
           for column in (a_won + b_won, total - a_won - b_won)) < 5:
        return float(fisher_exact(np.array(table)).pvalue), "fisher"
    return chi_square_p(table), "two-proportion"


def chi_square_p(table: np.ndarray | tuple[tuple[int, int], tuple[int, int]]) -> float:
    """The p-value of Pearson's chi-square test of a 2×2 table without continuity correction:
    scipy's ``chi2_contingency(table, correction=False).pvalue`` computed the same way, step for
    step (so to the last bit: the same roundings in the same order, on Python floats), without
    its checks and wrappers, which cost 50 times the sums in a run that compares thousands of
    pairs."""
    (a, b), (c, d) = np.asarray(table, dtype=np.float64).tolist()
    top, bottom, left, right = a + b, c + d, a + c, b + d
    total = top + bottom
    statistic = 0.0
    for seen, row, column in ((a, top, left), (b, top, right), (c, bottom, left),
                              (d, bottom, right)):
        expected = row * column / total
        statistic += (seen - expected) * (seen - expected) / expected
    return float(chdtrc(1.0, statistic))


def _backwards(scope: str, levels: list[Level]) -> Backwards | None:
    """The widest clear inversion: a lower level (later in ``levels``) winning more."""
    best = None
    for i, higher in enumerate(levels):
        for lower in levels[i + 1:]:
            if min(higher.deals, lower.deals) < TOO_FEW or lower.rate <= higher.rate + 0.05:
                continue
            p, _ = _two_proportions(lower.won, lower.deals, higher.won, higher.deals)
            if p < ALPHA and (best is None or lower.rate - higher.rate >
                              best.lower.rate - best.higher.rate):
                best = Backwards(scope, higher, lower, p)
    return best


def scorecard_check(learned: Learned, evaluation: Evaluation, fields: Fields, config: Config,
                    points: Points | None = None
                    ) -> tuple[tuple[Level, ...], tuple[Backwards, ...]]:
    """Win rate by grade and by each Scoring dimension's points on closed deals, and where a
    lower grade or fewer points won clearly more."""
    deals = evaluation.deals
    closed = learned.closed
    won = learned.won[closed].astype(float)
    codes, grades = pd.factorize(deals["grade"].to_numpy(dtype=object)[closed],
                                 use_na_sentinel=True)
    levels = _levels("grade", codes, list(grades), won, list(GRADES))
    found = [_backwards("grade", levels)]
    for dimension in config.dimensions:
        if fields.locate(dimension.field) is None:
            continue
        given = _points(dimension, fields, deals.index, points).to_numpy()[closed]
        codes, uniques = pd.factorize(given)
        dim_levels = _levels(dimension.name, codes, [f"{v:g}" for v in uniques], won,
                             [f"{v:g}" for v in sorted(uniques, reverse=True)])
        levels += dim_levels
        found.append(_backwards(dimension.name, dim_levels))
    return tuple(levels), tuple(b for b in found if b is not None)


def scores_like(learned: Learned, evaluation: Evaluation, fields: Fields, config: Config,
                points: Points | None = None) -> tuple[ScoresLike, ...]:
    """Per Scoring dimension, the value that wins clearly more (1.25× the average or more)
    than another value given the same points: "Finance wins 2.1× the average but scores like
    Retail"."""
    base = learned.base_rate
    if not base:
        return ()
    index = evaluation.deals.index
    closed = learned.closed
    won = learned.won[closed]
    found = []
    for dimension in config.dimensions:
        text = fields.text(dimension.field) if fields.locate(dimension.field) else None
        keys = fields.keys(dimension.field)
        if text is None or keys is None:
            continue
        values = _values(keys.to_numpy(dtype=object)[closed],
                         text.to_numpy(dtype=object)[closed], won,
                         _points(dimension, fields, index, points).to_numpy()[closed])
        best = None
        for high in values:
            for low in values:
                if high.points != low.points or high.won / high.deals < 1.25 * base \
                        or high.won / high.deals < low.won / low.deals + 0.1:
                    continue
                p, _ = _two_proportions(high.won, high.deals, low.won, low.deals)
                if p < ALPHA and (best is None or p < best.p_value):
                    best = ScoresLike(dimension.name, str(high.text),
                                      high.won / high.deals / base, str(low.text), p)
        if best is not None:
            found.append(best)
    return tuple(found)


@dataclass(frozen=True)
class _Value:
    text: object
    deals: int
    won: int
    points: float


def _values(keys: np.ndarray, texts: np.ndarray, won: np.ndarray, points: np.ndarray
            ) -> list[_Value]:
    """Each value (by its normalised key, blank left out) with TOO_FEW closed deals or more,
    by key: spelled and scored as on its first deal, its deals and wins."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    filled = codes >= 0
    codes, rows = codes[filled], np.flatnonzero(filled)
    deals = np.bincount(codes, minlength=len(uniques))
    wins = np.bincount(codes[won[filled]], minlength=len(uniques))
    first = np.full(len(uniques), len(keys))
    np.minimum.at(first, codes, rows)
    return [_Value(texts[first[c]], int(deals[c]), int(wins[c]), float(points[first[c]]))
            for c in sorted(range(len(uniques)), key=lambda c: uniques[c])
            if deals[c] >= TOO_FEW]


def suggested_weights(learned: Learned, evaluation: Evaluation, fields: Fields, config: Config,
                      points: Points | None = None) -> tuple[Suggested, ...]:
    """Per Scoring dimension, the weight the closed deals suggest: a logistic regression of won
    on each dimension's points (scaled 0-1 by its best points, lightly L2-penalised, no
    coefficient below 0), turned back to per-point weights and scaled to the current weights'
    total. Only with the history the win model's gate asks for; an admin decides."""
    settings = config.settings
    if learned.closed_won < settings.model_min_won or \
            learned.closed_lost < settings.model_min_lost:
        return ()
    index = evaluation.deals.index
    dimensions = [d for d in config.dimensions
                  if fields.locate(d.field) is not None and d.max_points > 0]
    total = sum(d.weight for d in dimensions)
    if not dimensions or total <= 0:
        return ()
    closed = learned.closed
    x = np.column_stack([_points(d, fields, index, points).to_numpy()[closed] / d.max_points
                         for d in dimensions])
    y = learned.won[closed].astype(float)
    sign = 2 * y - 1
    alike, one = _alike(np.column_stack([x, sign]))

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        margin = sign * (beta[0] + x @ beta[1:])
        # deals alike have one margin: its log and tail are worked out once (checked, so the
        # sums stay the ones of every deal's own)
        shared = margin[one]
        if np.array_equal(shared[alike], margin):
            logs, tails = log_expit(shared)[alike], expit(-shared)[alike]
        else:
            logs, tails = log_expit(margin), expit(-margin)
        slope = -sign * tails
        penalty = SUGGEST_PENALTY * beta[1:]
        return (float(-logs.sum() + penalty @ beta[1:] / 2),
                np.concatenate([[slope.sum()], x.T @ slope + penalty]))

    start = np.zeros(len(dimensions) + 1)
    # one thread, as the win model's fit: L-BFGS-B's small matrices on BLAS threads cost
    # several times the fit in threads waking and waiting
    with threadpool_limits(1):
        fitted = minimize(loss, start, jac=True, method="L-BFGS-B",
                          bounds=[(None, None)] + [(0.0, None)] * len(dimensions)).x[1:]
    per_point = fitted / np.array([d.max_points for d in dimensions])
    share = per_point / per_point.sum() if per_point.sum() > 0 else per_point
    return tuple(Suggested(d.name, d.weight, round(float(w) * total, 1))
                 for d, w in zip(dimensions, share, strict=True))


def _alike(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group of identical rows (a code), and one row of each group."""
    group, count = np.zeros(len(rows), dtype=np.int64), 1
    for column in rows.T:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        group, distinct = pd.factorize(group * len(uniques) + codes)
        count = len(distinct)
    one = np.zeros(count, dtype=np.int64)
    one[group] = np.arange(len(rows))
    return group, one


def ab_tests(evaluation: Evaluation, fields: Fields, config: Config) -> tuple[Comparison, ...]:
    """For each value of Settings ``ab_field``: conversion at each step of the funnel (and won
    of closed deals) against the other values pooled."""
    name = config.settings.ab_field
    text = fields.text(name) if name else None
    if text is None:
        return ()
    keys = normalised(text)
    spelled = dict(zip(keys[::-1], text[::-1], strict=True))
    variants = sorted(k for k in keys.dropna().unique())
    if len(variants) < 2:
        return ()
    steps = _steps(evaluation, config)
    found = []
    for key in variants:
        mine = (keys == key).to_numpy()
        others = keys.notna().to_numpy() & ~mine
        for (source, target), (entered, converted) in steps.items():
            a_all, a_won = int((entered & mine).sum()), int((converted & mine).sum())
            b_all, b_won = int((entered & others).sum()), int((converted & others).sum())
            if not a_all or not b_all:
                continue
            p, test = _two_proportions(a_won, a_all, b_won, b_all)
            rate, other = a_won / a_all, b_won / b_all
            found.append(Comparison(name, str(spelled[key]), source, target, a_all, a_won,
                                    rate, other, p, test,
                                    None if p < ALPHA else _needed(rate, other, a_all)))
    return tuple(found)


def _steps(evaluation: Evaluation, config: Config
           ) -> dict[tuple[str | None, str | None], tuple[np.ndarray, np.ndarray]]:
    """(from, to) -> (deals that reached from, deals that reached to), for each pair of
    consecutive open stages and the last one to won; (None, None): closed deals and won.
    Every deal reached the first stage; a later one as the funnel counts it (spec §3.4)."""
    deals = evaluation.deals
    kind = deals["kind"].to_numpy(dtype=object)
    index = deals["stage_index"].to_numpy()
    proven = deals["proven_index"].to_numpy()
    won = kind == "won"
    reached = {stage.name: ((kind == "open") & (index >= i)) | won | (proven >= i) | (i == 0)
               for i, stage in enumerate(config.stages) if stage.kind == "open"}
    names = list(reached)
    steps: dict[tuple[str | None, str | None], tuple[np.ndarray, np.ndarray]] = {
        (a, b): (reached[a], reached[a] & reached[b])
        for a, b in zip(names, names[1:], strict=False)}
    won_stage = next((s.name for s in config.stages if s.kind == "won"), None)
    if names and won_stage:
        steps[(names[-1], won_stage)] = (reached[names[-1]], reached[names[-1]] & won)
    steps[(None, None)] = (won | (kind == "lost"), won)
    return steps


def _needed(rate: float, other: float, have: int) -> int | None:
    """More deals per variant a two-proportion test needs to tell a difference this size
    (5% significance, 80% power); None when the rates are equal or so close that no team
    would ever gather the deals (over 100,000 per variant)."""
    if rate == other:
        return None
    z = norm.ppf(1 - ALPHA / 2) + norm.ppf(0.8)
    total = z ** 2 * (rate * (1 - rate) + other * (1 - other)) / (rate - other) ** 2
    return max(int(np.ceil(total)) - have, 1) if total <= 100_000 else None
