"""Sheets with a closed history: a synthetic one whose outcomes follow a known model, and the
X Education leads loaded as an Opportunities tab."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sheetfunnel.config import Config, Settings, Stage
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.learn import Learned, learn, with_model
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.grid import RoleTable
from tests.support.tables import role_table_from_grid

AS_OF = dt.date(2026, 11, 24)
STAGES = (Stage("Lead", 0.1, "open"), Stage("Proposal", 0.6, "open"), Stage("Won", 1.0, "won"),
          Stage("Lost", 0.0, "lost"))
HEADER = ["ID", "Stage", "Amount", "Source", "Owner", "Size", "Closed On", "Lost Reason",
          "Pitch"]
SOURCES = {"Referral": 1.2, "Web": 0.0, "Event": -0.4, "Cold Call": -1.0}
OWNERS = {"Ann": 0.3, "Bo": 0.0, "Cy": -0.3}
PITCHES = {"A": 0.0, "B": 0.5}


def synthetic_grid(closed: int, open_deals: int = 100, seed: int = 7,
                   shuffled: bool = False) -> list[list[object]]:
    """Deals whose win chance is logistic in Source, Owner, Size (large wins) and Pitch.

    ``shuffled`` keeps every field but deals the outcomes at random: no signal left."""
    rng = np.random.default_rng(seed)
    total = closed + open_deals
    source = rng.choice(list(SOURCES), total)
    owner = rng.choice(list(OWNERS), total)
    pitch = rng.choice(list(PITCHES), total)
    size = rng.integers(5, 5000, total)
    logit = -0.3 + np.array([SOURCES[s] + OWNERS[o] + PITCHES[p]
                             for s, o, p in zip(source, owner, pitch, strict=True)]) \
        + 0.9 * (size >= 1000) - 0.6 * (size < 100)
    won = rng.random(total) < 1 / (1 + np.exp(-logit))
    if shuffled:
        won = rng.permutation(won)
    rows: list[list[object]] = [list(HEADER)]
    start = dt.date(2025, 1, 1)
    for i in range(total):
        is_open = i >= closed
        stage = ("Lead", "Proposal")[i % 2] if is_open else ("Won" if won[i] else "Lost")
        closed_on = None if is_open else (start + dt.timedelta(days=i * 300 // closed)).isoformat()
        rows.append([f"OPP-{i + 1:06d}", stage, 1000 + 10 * i, source[i], owner[i],
                     int(size[i]), closed_on,
                     "Price" if stage == "Lost" else None, pitch[i]])
    return rows


def config(**settings: object) -> Config:
    return Config(STAGES, (), (), Settings(**settings))  # type: ignore[arg-type]


def judged(grid: list[list[object]], cfg: Config) -> tuple[RoleTable, Evaluation]:
    table = role_table_from_grid("opportunities", "Opportunities", grid)
    evaluation = evaluate(table, None, None, cfg, as_of=AS_OF, memory=StageMemory())
    return table, evaluation


def learned_from(grid: list[list[object]], cfg: Config) -> tuple[Learned, Evaluation]:
    """The model learned from ``grid`` and the evaluation it changes."""
    table, evaluation = judged(grid, cfg)
    found = learn(table, None, evaluation, cfg)
    return found, with_model(evaluation, found, cfg)


#: X Education columns recorded after the first contact (the issue's list), the label and IDs.
X_EDUCATION_LATE = ("Tags", "Lead Quality", "Last Activity", "Last Notable Activity",
                    "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
                    "Asymmetrique Activity Score", "Asymmetrique Profile Score")


def x_education_grid(datasets: Path, open_share: float = 0.3, seed: int = 11
                     ) -> tuple[list[list[object]], np.ndarray, list[str]]:
    """The leads as an Opportunities tab: ``open_share`` of them open (outcome hidden, stage
    Lead), the rest Won/Lost by Converted. Returns the grid, the hidden outcomes of the open
    rows and the fields the model may use."""
    frame = pd.read_csv(datasets / "x-education-leads" / "Leads.csv", dtype=str)
    converted = frame.pop("Converted").astype(int).to_numpy()
    ids = frame.pop("Prospect ID")
    frame = frame.drop(columns=["Lead Number", *X_EDUCATION_LATE])
    fields = list(frame.columns)
    rng = np.random.default_rng(seed)
    is_open = rng.random(len(frame)) < open_share
    stage = np.where(is_open, "Lead", np.where(converted == 1, "Won", "Lost"))
    body = frame.astype(object).where(frame.notna(), None)
    grid: list[list[object]] = [["ID", "Stage", *fields]]
    grid += [[i, s, *values] for i, s, values in
             zip(ids, stage, body.itertuples(index=False), strict=True)]
    return grid, converted[is_open], fields
