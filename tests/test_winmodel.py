"""The win model's mathematics: a known generating model is recovered, the holdout is
calibrated, the AUC and its interval agree with scipy, and every fit is reproducible."""

from __future__ import annotations

import numpy as np
from scipy.stats import mannwhitneyu

from sheetfunnel.engine import winmodel

SIZES = (4, 3, 5)


def generated(rows: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Codes of three fields, outcomes from known coefficients, the coefficients, the width."""
    rng = np.random.default_rng(seed)
    offsets = np.cumsum((0,) + SIZES[:-1])
    codes = np.column_stack([rng.integers(0, s, rows) for s in SIZES]) + offsets
    truth = np.array([0.8, 0.0, -0.5, -1.0, 0.6, 0.0, -0.6, 1.0, 0.5, 0.0, -0.5, -1.0])
    chance = 1 / (1 + np.exp(-(truth[codes].sum(axis=1) - 0.2)))
    return codes, (rng.random(rows) < chance).astype(float), truth, sum(SIZES)


def centred(columns: np.ndarray) -> np.ndarray:
    """Coefficients of each field relative to the field's mean (what one-hot can identify)."""
    parts, start = [], 0
    for size in SIZES:
        parts.append(columns[start:start + size] - columns[start:start + size].mean())
        start += size
    return np.concatenate(parts)


def test_the_coefficients_of_a_known_model_are_recovered():
    codes, outcome, truth, width = generated(40_000)
    fitted = winmodel.train(codes, outcome, width)
    assert np.abs(centred(fitted.columns) - centred(truth)).max() < 0.08


def test_the_holdout_is_calibrated():
    codes, outcome, _, width = generated(40_000)
    held = winmodel.stratified_holdout(outcome)
    fitted = winmodel.train(codes[~held], outcome[~held], width)
    for _, _, deals, said, won in winmodel.calibration(outcome[held], fitted.chance(codes[held])):
        if deals >= 300:
            assert abs(said - won) < 0.05


def test_the_auc_is_scipys_mann_whitney_and_the_interval_holds_it():
    rng = np.random.default_rng(5)
    outcome = (rng.random(800) < 0.4).astype(float)
    chance = np.round(rng.random(800) * 0.5 + outcome * 0.2, 2)  # ties on purpose
    found = winmodel.auc_interval(outcome, chance)
    u = mannwhitneyu(chance[outcome == 1], chance[outcome == 0]).statistic
    assert found.auc == u / (outcome.sum() * (800 - outcome.sum()))
    assert found.low < found.auc < found.high
    assert 0.05 < found.high - found.low < 0.15


def test_fits_are_exactly_reproducible():
    codes, outcome, _, width = generated(5_000)
    first = winmodel.train(codes, outcome, width)
    again = winmodel.train(codes.copy(), outcome.copy(), width)
    assert first.penalty == again.penalty
    assert np.array_equal(first.columns, again.columns) and first.intercept == again.intercept


def test_no_signal_falls_back_to_the_base_rate():
    codes, outcome, _, width = generated(2_000)
    noise = np.random.default_rng(9).permutation(outcome)
    fitted = winmodel.train(codes, noise, width)
    assert np.abs(fitted.chance(codes) - noise.mean()).max() < 0.05


def test_a_value_never_seen_in_training_adds_nothing():
    codes, outcome, _, width = generated(2_000)
    fitted = winmodel.train(codes, outcome, width)
    unseen = codes[:1].copy()
    unseen[0, 0] = -1
    expected = fitted.intercept + fitted.columns[codes[0, 1:]].sum()
    assert fitted.logit(unseen)[0] == expected
