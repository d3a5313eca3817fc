"""Time of the win model: fit + score on 100,000 closed deals, and the whole learning step.

A script, not a test, run from the repository root:
``python -m benchmarks.bench_winmodel [--deals N]``.
Deals are generated with a fixed seed: eight fields (Source, Owner, Industry, Region, Budget,
two numbers binned by quintiles, a blank-heavy text) whose outcome follows a known logistic
model, so nearly every deal is a pattern of its own (the fit's worst case). Figures are CPU
seconds of this process (one thread), so a busy machine does not inflate them; wall seconds
are shown beside them.

1. ``fit+score``: cross-validated penalty, holdout fit and AUC, refit on all, scoring.
2. ``learn``: the same from the Opportunities table — reading the columns, the leakage checks,
   the quintiles, the gate, the reasons of every open deal (10% of the deals are open).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from sheetfunnel.config import Config, Settings, Stage
from sheetfunnel.engine import winmodel
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.fields import Fields
from sheetfunnel.engine.learn import global_codes, learn, model_features
from sheetfunnel.engine.model import StageMemory
from tests.support.tables import role_table

AS_OF = dt.date(2026, 11, 24)
CONFIG = Config((Stage("Lead", 0.1, "open"), Stage("Proposal", 0.6, "open"),
                 Stage("Won", 1.0, "won"), Stage("Lost", 0.0, "lost")), (), (),
                Settings(model_fields=("Source", "Owner", "Industry", "Region", "Budget", "Size",
                                       "Visits", "Campaign")))
LEVELS = {"Source": 8, "Owner": 30, "Industry": 10, "Region": 6, "Budget": 4, "Campaign": 12}


def generated(deals: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"ID": [f"OPP-{i:06d}" for i in range(deals)]})
    logit = np.full(deals, -0.4)
    for name, count in LEVELS.items():
        codes = rng.integers(0, count, deals)
        logit += rng.normal(0, 0.5, count)[codes]
        values = np.array([f"{name} {i}" for i in range(count)], dtype=object)[codes]
        if name == "Campaign":
            values[rng.random(deals) < 0.6] = None
        frame[name] = values
    size, visits = rng.lognormal(5, 1.5, deals).round(), rng.poisson(4, deals)
    logit += 0.4 * np.log1p(size) / 5 + 0.15 * np.minimum(visits, 10) - 0.6
    won = rng.random(deals) < 1 / (1 + np.exp(-logit))
    frame["Size"], frame["Visits"] = size, visits
    frame["Stage"] = np.where(rng.random(deals) < 0.1, "Lead", np.where(won, "Won", "Lost"))
    return frame


def timed(step, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = step(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def fit_and_score(codes: np.ndarray, outcome: np.ndarray, width: int) -> float:
    held = winmodel.stratified_holdout(outcome)
    window = winmodel.train(codes[~held], outcome[~held], width)
    auc = winmodel.auc_interval(outcome[held], window.chance(codes[held])).auc
    model = winmodel.train(codes, outcome, width, window.penalty, window)
    model.chance(codes)
    return auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    deals = parser.parse_args().deals
    frame = generated(deals)
    roles = {"id": "ID", "stage": "Stage", "owner": "Owner", "source": "Source"}
    table = role_table("Opportunities", frame, roles)
    evaluation = evaluate(table, None, None, CONFIG, as_of=AS_OF, memory=StageMemory())

    learned, cpu, wall = timed(learn, table, None, evaluation, CONFIG)
    print(f"learn      {len(frame):,} deals ({learned.closed_won + learned.closed_lost:,} closed):"
          f" {cpu:.2f} s CPU, {wall:.2f} s wall — {learned.status}, holdout AUC "
          f"{learned.auc:.3f} ({learned.auc_low:.3f}–{learned.auc_high:.3f})")

    closed = frame[frame["Stage"] != "Lead"]
    table = role_table("Opportunities", closed, roles)
    evaluation = evaluate(table, None, None, CONFIG, as_of=AS_OF, memory=StageMemory())
    is_closed = np.ones(len(closed), dtype=bool)
    features, _ = model_features(Fields(table, None, "ymd"), CONFIG, is_closed, ~is_closed)
    codes, width = global_codes(features, len(closed))
    outcome = (closed["Stage"] == "Won").to_numpy(dtype=float)
    auc, cpu, wall = timed(fit_and_score, codes, outcome, width)
    print(f"fit+score  {len(closed):,} closed deals, {width} one-hot columns, "
          f"{len(winmodel.patterns(codes).rows):,} distinct patterns: {cpu:.2f} s CPU, "
          f"{wall:.2f} s wall — holdout AUC {auc:.3f}")


if __name__ == "__main__":
    main()
