"""The join of Opportunities to Customers, checked: a join that finds nothing fails silently
otherwise (every Customers field reads blank, every score from it is 0, Won Total stays 0).

Pure: the bound tables and the Config in, the counts and the problems out, for ``check`` and
``run`` alike. A problem names the cells a person fixes: the key columns' headers, the Scoring
rows of a dimension.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.fields import Fields
from sheetfunnel.engine.model import JoinCheck, quoted
from sheetfunnel.engine.scoring import points_by_dimension
from sheetfunnel.errors import Problem
from sheetfunnel.grid import RoleTable, column_letter, normalise_name, quote_tab
from sheetfunnel.schema import field_column

#: Customers a deal names that the Customers tab lacks, quoted as examples.
_EXAMPLES = 3


def check_joins(opportunities: RoleTable, customers: RoleTable | None, config: Config,
                fields: Fields | None = None,
                points: Mapping[str, pd.Series] | None = None) -> JoinCheck:
    """Counts of the join and the dimensions it leaves empty (``fields`` and ``points``: the
    engine's, to reuse the columns it read and the points it gave)."""
    fields = fields or Fields(opportunities, customers, config.settings.date_order)
    index = opportunities.table.frame.index
    if points is None:
        points = points_by_dimension(fields, config, index)
    own = fields.role("customer_id", "text")
    named = own.notna().to_numpy() if own is not None else np.zeros(len(index), dtype=bool)
    rows = fields.customer_rows() if customers is not None else None
    found = rows.notna().to_numpy() if rows is not None else np.zeros(len(index), dtype=bool)
    lacking = named & ~found if customers is not None else np.zeros(len(index), dtype=bool)
    missing = pd.unique(own.to_numpy()[lacking])[:_EXAMPLES] if own is not None else ()
    joined = bool(found.any())
    unjoined: list[str] = []
    zero: list[tuple[str, bool]] = []  # (dimension, its column is blank for every deal)
    for dimension in config.dimensions:
        if not joined and _in_customers_only(dimension.field, opportunities, customers):
            unjoined.append(dimension.name)
            continue
        if len(index) and fields.locate(dimension.field) is not None and \
                not points[dimension.name].any():
            text = fields.text(dimension.field)
            zero.append((dimension.name, text is None or bool(text.isna().all())))
    return JoinCheck(len(index), int(named.sum()), int((named & found).sum()),
                     tuple(str(m) for m in missing), tuple(unjoined), tuple(zero))


def _in_customers_only(name: str, opportunities: RoleTable, customers: RoleTable | None
                       ) -> bool:
    return customers is not None and \
        field_column(name, opportunities.table.headers, opportunities.roles) is None and \
        field_column(name, customers.table.headers, customers.roles) is not None


def join_problems(check: JoinCheck, opportunities: RoleTable, customers: RoleTable | None,
                  places: Mapping[str, str]) -> list[Problem]:
    """Warnings for a join that finds too little and for dimensions that score nothing;
    ``places``: a dimension's normalised name -> its Scoring cells."""
    found: list[Problem] = []
    cells = [places.get(normalise_name(name), "Scoring") for name in check.unjoined]
    reads = f"; the Scoring dimensions {', '.join(check.unjoined)} ({', '.join(cells)}) read " \
        "Customers fields, so they score 0 for every deal" if check.unjoined else ""
    if customers is not None:
        found += _key_problems(check, opportunities, customers, reads)
    for name, blank in check.zero:
        why = "its Field's column is blank for every deal. Fill it in, or point the Field at " \
            "the column that holds it." if blank else "no rule matches what the deals hold. " \
            "Check its Match cells against the values in its Field's column."
        found.append(Problem(places.get(normalise_name(name), "Scoring"), "The Scoring "
                             f"dimension {name} gives 0 points to every deal: {why}",
                             "warning"))
    return found


def _key_problems(check: JoinCheck, opportunities: RoleTable, customers: RoleTable,
                  reads: str) -> list[Problem]:
    for tab, other, role_table in (("opportunities", "Customers", opportunities),
                                   ("customers", "Opportunities", customers)):
        if "customer_id" not in role_table.roles:
            table = role_table.table
            return [Problem(f"{quote_tab(table.tab)}!{table.header_row}:{table.header_row}",
                            f"The {table.tab} tab has no Customer ID column (headers: "
                            f"{', '.join(table.headers) or 'none'}), so no deal is joined to "
                            f"its customer: Tier, Won Total and Open Pipeline stay empty"
                            f"{reads}. Add the Settings row column.{tab}.customer_id = <the "
                            f"header that holds the key the {other} tab uses>.", "warning")]
    if check.linked or not check.naming:
        return []  # some deals found theirs: the count says how many (``sentence``)
    return [Problem(_header_cell(opportunities), f"None of the {check.naming} deals that name "
                    f"a customer in this column finds it in the Customers tab's key column "
                    f"{_header_cell(customers)} (first missing: {quoted(check.missing)}): "
                    f"Tier, Won Total and Open Pipeline stay empty{reads}. Make both columns "
                    "hold the same keys, or point column.customers.customer_id (or "
                    "column.opportunities.customer_id) in Settings at the columns that do.",
                    "warning")]


def _header_cell(role_table: RoleTable) -> str:
    table = role_table.table
    header = role_table.roles["customer_id"]
    return f"{quote_tab(table.tab)}!{column_letter(table.columns[header])}{table.header_row}"



