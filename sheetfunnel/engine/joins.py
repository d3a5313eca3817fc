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
from sheetfunnel.words.problems import PROBLEMS, say

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
                  places: Mapping[str, str], lang: str = "en") -> list[Problem]:
    """Warnings for a join that finds too little and for dimensions that score nothing;
    ``places``: a dimension's normalised name -> its Scoring cells; in the workbook's
    language."""
    found: list[Problem] = []
    cells = [places.get(normalise_name(name), "Scoring") for name in check.unjoined]
    sep = PROBLEMS[lang]["list_sep"]
    reads = say(lang, "join.reads", names=sep.join(check.unjoined), cells=sep.join(cells)) \
        if check.unjoined else ""
    if customers is not None:
        found += _key_problems(check, opportunities, customers, reads, lang)
    for name, blank in check.zero:
        why = say(lang, "join.blank_field" if blank else "join.no_match")
        found.append(Problem(places.get(normalise_name(name), "Scoring"),
                             say(lang, "join.zero", name=name, why=why), "warning"))
    return found


def _key_problems(check: JoinCheck, opportunities: RoleTable, customers: RoleTable,
                  reads: str, lang: str) -> list[Problem]:
    texts = PROBLEMS[lang]
    for role, other, role_table in (("opportunities", "customers", opportunities),
                                    ("customers", "opportunities", customers)):
        if "customer_id" not in role_table.roles:
            table = role_table.table
            headers = texts["list_sep"].join(table.headers) or texts["none"]
            return [Problem(f"{quote_tab(table.tab)}!{table.header_row}:{table.header_row}",
                            say(lang, "join.no_key", tab=table.tab, headers=headers,
                                reads=reads, role=role, other=texts[f"tab.{other}"]),
                            "warning")]
    if check.linked or not check.naming:
        return []  # some deals found theirs: the count says how many (``sentence``)
    return [Problem(_header_cell(opportunities),
                    say(lang, "join.none_found", naming=check.naming,
                        column=_header_cell(customers), missing=quoted(check.missing, lang),
                        reads=reads), "warning")]


def _header_cell(role_table: RoleTable) -> str:
    table = role_table.table
    header = role_table.roles["customer_id"]
    return f"{quote_tab(table.tab)}!{column_letter(table.columns[header])}{table.header_row}"



