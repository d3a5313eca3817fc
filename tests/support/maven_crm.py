"""The Maven CRM pipeline (../shared/datasets/maven-crm) as the tabs a team would keep: its
own sheet mapped through Settings alone, and a Stages tab for its four stages."""

from __future__ import annotations

import csv
from pathlib import Path

SETTINGS = [["Key", "Value"], ["tab.opportunities", "sales_pipeline"],
            ["column.id", "opportunity_id"], ["column.owner", "sales_agent"],
            ["column.title", "product"], ["column.customer_id", "account"],
            ["column.stage", "deal_stage"], ["column.amount", "close_value"],
            ["column.closed_on", "close_date"], ["assign_ids", "no"]]
STAGES = [["Stage", "Probability", "Kind", "Entered Date Field"],
          ["Prospecting", 10, "open"], ["Engaging", 50, "open", "engage_date"],
          ["Won", 100, "won"], ["Lost", 0, "lost"]]


def maven_tabs(datasets: Path, *, typed_amounts: bool = False) -> dict[str, list[list]]:
    """``typed_amounts``: close_value as numbers, as a spreadsheet holds them (the CSV's text
    otherwise, as a paste would)."""
    with open(datasets / "maven-crm" / "sales_pipeline.csv", newline="") as handle:
        rows: list[list] = list(csv.reader(handle))
    if typed_amounts:
        amount = rows[0].index("close_value")
        for row in rows[1:]:
            row[amount] = float(row[amount]) if row[amount] else None
    return {"sales_pipeline": rows, "Settings": SETTINGS, "Stages": STAGES}
