"""Time and peak memory of one evaluation: 100,000 opportunities, 300,000 activities.

A script, not a test, run from the repository root:
``python -m benchmarks.bench_engine [--opportunities N] [--activities M]``.
Cells are generated the way people type them (mostly plain numbers and date cells, some
``¥1,200`` / ``50万`` / ``2025/3/1`` text, a few blanks and unreadable cells), with a fixed
seed so runs compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import tracemalloc

import numpy as np
import pandas as pd

from sheetfunnel.config import Config, Criterion, Dimension, Match, Rule, Settings, Stage
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.grid import RoleTable
from tests.support.tables import role_table

AS_OF = dt.date(2026, 11, 24)
STAGES = ("Lead", "Qualified", "Needs Analysis", "Proposal", "Negotiation", "Won", "Lost")

CONFIG = Config(
    stages=(Stage("Lead", 0.1, "open"), Stage("Qualified", 0.2, "open"),
            Stage("Needs Analysis", 0.4, "open"),
            Stage("Proposal", 0.6, "open", entered_date_field="Proposal Sent"),
            Stage("Negotiation", 0.8, "open", stall_days=21), Stage("Won", 1.0, "won"),
            Stage("Lost", 0.0, "lost")),
    dimensions=(
        Dimension("Industry Fit", "Industry", 3, (
            Rule(Match("in", options=("Software", "Finance", "Manufacturing")), 10),
            Rule(Match("in", options=("Healthcare", "Retail", "Education")), 6),
            Rule(Match("any"), 3))),
        Dimension("Company Size", "Size", 2, (
            Rule(Match("ge", number=1000), 10), Rule(Match("range", low=200, high=999), 7),
            Rule(Match("range", low=50, high=199), 4), Rule(Match("any"), 1))),
        Dimension("Purchase Intent", "Purchase Intent", 2, (Rule(Match("value"), 10),)),
        Dimension("Budget", "Budget", 2, (
            Rule(Match("eq", text="Approved"), 10), Rule(Match("eq", text="Planned"), 6),
            Rule(Match("eq", text="Unknown"), 2))),
    ),
    criteria=(
        Criterion("Qualified", "Budget", "filled", None, "Budget status"),
        Criterion("Qualified", "Decision Maker", "filled", None, "Decision Maker"),
        Criterion("Needs Analysis", "Pain Points", "filled", None, "Pain Points"),
        Criterion("Proposal", "Amount", "gt", 0.0, "Amount"),
        Criterion("Proposal", "Expected Close", "filled", None, "Expected Close"),
        Criterion("Negotiation", "Proposal Sent", "on_or_before_today", None, "Proposal sent"),
        Criterion("Lost", "Lost Reason", "filled", None, "Lost Reason"),
    ),
    settings=Settings(),
)


def _dates(rng: np.random.Generator, n: int, days_back: int) -> np.ndarray:
    """Mostly date cells, some ISO / slash / Chinese text, some blank."""
    days = [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(0, days_back, n)]
    cells = np.array(days, dtype=object)
    form = rng.random(n)
    cells[form < 0.10] = [d.isoformat() for d in cells[form < 0.10]]
    cells[(form >= 0.10) & (form < 0.13)] = [f"{d.year}/{d.month}/{d.day}"
                                             for d in cells[(form >= 0.10) & (form < 0.13)]]
    cells[(form >= 0.13) & (form < 0.15)] = [f"{d.year}年{d.month}月{d.day}日"
                                             for d in cells[(form >= 0.13) & (form < 0.15)]]
    cells[form > 0.97] = None
    return cells


def _amounts(rng: np.random.Generator, n: int) -> np.ndarray:
    values = np.round(rng.lognormal(10, 1, n), 2).astype(object)
    form = rng.random(n)
    values[form < 0.05] = [f"¥{v:,.0f}" for v in values[form < 0.05]]
    values[(form >= 0.05) & (form < 0.07)] = [f"{v / 1e4:.1f}万"
                                              for v in values[(form >= 0.05) & (form < 0.07)]]
    values[form > 0.999] = "TBD"
    values[(form > 0.98) & (form <= 0.999)] = None
    return values


def workbook(n: int, m: int, seed: int = 7) -> tuple[RoleTable, RoleTable, RoleTable]:
    rng = np.random.default_rng(seed)
    customers = n // 10
    ids = np.array([f"OPP-{i:06d}" for i in range(1, n + 1)], dtype=object)
    ids[rng.random(n) < 0.01] = None
    opportunities = pd.DataFrame({
        "ID": ids,
        "Customer ID": [f"C{i:05d}" for i in rng.integers(0, customers, n)],
        "Title": [f"Deal {i}" for i in range(n)],
        "Owner": rng.choice(["Ann", "Bob", "Chen Li", "王芳", "Dev"], n),
        "Stage": rng.choice([*STAGES, "proposal", "Someday"], n,
                            p=[.2, .15, .12, .12, .08, .15, .15, .02, .01]),
        "Amount": _amounts(rng, n),
        "Source": rng.choice(["Web", "Referral", "Event", "展会"], n),
        "Created": _dates(rng, n, 400),
        "Expected Close": _dates(rng, n, 120),
        "Last Activity": _dates(rng, n, 60),
        "Budget": rng.choice(["Approved", "Planned", "Unknown", None], n),
        "Decision Maker": rng.choice(["yes", "", "CFO"], n),
        "Pain Points": rng.choice(["cost", None], n),
        "Purchase Intent": rng.integers(0, 11, n).astype(object),
        "Proposal Sent": _dates(rng, n, 90),
        "Lost Reason": rng.choice(["Price", None], n),
    })
    roles = {"id": "ID", "customer_id": "Customer ID", "title": "Title", "owner": "Owner",
             "stage": "Stage", "amount": "Amount", "source": "Source", "created": "Created",
             "expected_close": "Expected Close", "last_activity": "Last Activity",
             "lost_reason": "Lost Reason"}
    accounts = pd.DataFrame({
        "Customer ID": [f"C{i:05d}" for i in range(customers)],
        "Industry": rng.choice(["Software", "Retail", "Mining", "金融"], customers),
        "Size": rng.integers(5, 5000, customers).astype(object),
    })
    activities = pd.DataFrame({
        "Date": _dates(rng, m, 200),
        "Opportunity ID": rng.choice(ids[:n], m),
        "Sentiment": rng.choice(["positive", "neutral", "negative", "负面", None], m),
    })
    return (role_table("Opportunities", opportunities, roles),
            role_table("Customers", accounts, {"customer_id": "Customer ID"}),
            role_table("Activities", activities,
                       {"date": "Date", "opportunity_id": "Opportunity ID",
                        "sentiment": "Sentiment"}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tables = workbook(args.opportunities, args.activities)
    memory = StageMemory()
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = evaluate(*tables, CONFIG, as_of=AS_OF, memory=memory)
        timings.append(time.perf_counter() - started)
    tracemalloc.start()
    evaluate(*tables, CONFIG, as_of=AS_OF, memory=result.memory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"opportunities={args.opportunities:,} activities={args.activities:,}")
    print(f"evaluate: best {min(timings):.3f}s, median {sorted(timings)[len(timings) // 2]:.3f}s"
          f" over {len(timings)} runs (first sight, empty memory)")
    print(f"peak traced memory during evaluate: {peak / 2**20:.0f} MiB")
    print(f"flags: {len(result.flags):,}; by code: {result.flags['code'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
