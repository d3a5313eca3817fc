"""Small sheets judged by the engine: a config, a deal that raises no flag, and ``judge``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetfunnel.config import Config, Criterion, Dimension, Match, Rule, Settings, Stage
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.words import language_of
from tests.support.tables import role_table_from_grid

AS_OF = dt.date(2026, 11, 24)

CONFIG = Config(
    stages=(Stage("Lead", 0.1, "open"), Stage("Qualified", 0.2, "open"),
            Stage("Proposal", 0.6, "open", stall_days=21, entered_date_field="Proposal Sent"),
            Stage("Won", 1.0, "won"), Stage("Lost", 0.0, "lost")),
    dimensions=(
        Dimension("Industry", "Industry", 3, (
            Rule(Match("in", options=("Software", "Finance")), 10), Rule(Match("any"), 3))),
        Dimension("Budget", "Budget", 2, (
            Rule(Match("eq", text="Approved"), 10), Rule(Match("eq", text="Planned"), 6))),
        Dimension("Intent", "Intent", 1, (Rule(Match("value"), 10),)),
    ),
    criteria=(
        Criterion("Qualified", "Budget", "filled", None, "Budget"),
        Criterion("Qualified", "Decision Maker", "filled", None, "Decision Maker"),
        Criterion("Proposal", "Amount", "gt", 0.0, ""),
        Criterion("Lost", "Lost Reason", "filled", None, "Lost Reason"),
    ),
    settings=Settings(),
)

HEADER = ["ID", "Customer ID", "Title", "Owner", "Stage", "Amount", "Created", "Expected Close",
          "Last Activity", "Budget", "Decision Maker", "Intent", "Proposal Sent", "Lost Reason"]
CLEAN = {"ID": "OPP-000001", "Customer ID": "C1", "Title": "Deal", "Owner": "Ann",
         "Stage": "Lead", "Amount": 1000, "Created": "2026-11-20",
         "Expected Close": "2026-12-31", "Last Activity": "2026-11-23", "Budget": "Approved",
         "Decision Maker": "Ms Li", "Intent": 5, "Proposal Sent": None, "Lost Reason": None}


def row(**changes: object) -> list[object]:
    """A deal that raises no flag, with ``changes`` (spaces as ``_``)."""
    values = {**CLEAN, **{k.replace("_", " "): v for k, v in changes.items()}}
    return [values[h] for h in HEADER]


def judge(*rows: list[object], activities: list[list[object]] | None = None,
          customers: list[list[object]] | None = None, as_of: dt.date = AS_OF,
          memory: StageMemory | None = None, history: pd.DataFrame | None = None,
          config: Config = CONFIG, tab: str = "Opportunities",
          now: dt.datetime | None = None) -> Evaluation:
    return evaluate(
        role_table_from_grid("opportunities", tab, [HEADER, *rows]),
        role_table_from_grid("customers", "Customers", customers) if customers else None,
        role_table_from_grid("activities", "Activities",
                   [["Date", "Opportunity ID", "Sentiment"], *activities]) if activities else None,
        config, as_of=as_of, memory=memory or StageMemory(), history=history,
        lang=language_of(tab), now=now)
