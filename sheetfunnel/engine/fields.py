"""Typed columns for the engine, one per (column, kind), each unreadable cell remembered.

A Scoring or Criteria Field names an Opportunities column, else a Customers column (joined on
Customer ID), else a role alias; ``schema.field_column`` (the config checks' lookup too) finds
it. Every series returned here is aligned to the Opportunities rows. Cells that cannot be read
become entries of ``unreadable`` (the Opportunities row they affect, the cell, the reason), which
the engine turns into INVALID_VALUE flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetfunnel.grid import RoleTable, column_letter, normalise_name, quote_tab
from sheetfunnel.schema import field_column
from sheetfunnel.values import (
    DateOrder,
    Unreadable,
    distinct_cells,
    mostly_distinct,
    parse_amounts,
    parse_dates,
    parse_moments,
    parse_texts,
    read_date,
    read_moment,
    read_number,
    read_quantity,
)

UNREADABLE_COLUMNS = ["row", "where", "detail"]


def normalised(text: pd.Series) -> pd.Series:
    """Normalised keys of a text column (each distinct text normalised once)."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    keys = np.array([normalise_name(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(keys[codes], index=text.index, dtype=object)


def cell_refs(role_table: RoleTable, header: str, rows: pd.Index) -> pd.Series:
    """``Opportunities!F7`` for each sheet row in ``rows`` of column ``header``."""
    table = role_table.table
    prefix = f"{quote_tab(table.tab)}!{column_letter(table.columns[header])}"
    return pd.Series(prefix + rows.astype(str), index=rows, dtype=object)


def unreadable_details(role_table: RoleTable, header: str, rows: pd.Index,
                       reader: Callable[[object], object], lang: str = "en") -> pd.Series:
    """``Opportunities!F7: “abc” is not a number`` for each unreadable cell, the reason in
    ``lang`` (few: not hot)."""
    refs = cell_refs(role_table, header, rows)
    cells = role_table.table.frame.loc[rows, header]
    return pd.Series([f"{ref}: {_reason(reader, cell, lang)}"
                      for ref, cell in zip(refs, cells, strict=True)], index=rows, dtype=object)


def _reason(reader: Callable[[object], object], cell: object, lang: str) -> str:
    try:
        reader(cell)
    except Unreadable as exc:
        return exc.told(lang)
    except ValueError as exc:
        return str(exc)
    return "cannot be read"


@dataclass
class Fields:
    """Reads Opportunities (and joined Customers) columns as text, numbers or dates."""

    opportunities: RoleTable
    customers: RoleTable | None
    date_order: DateOrder
    lang: str = "en"  # the language unreadable cells' reasons are said in
    unreadable: list[pd.DataFrame] = field(default_factory=list)
    _cache: dict[tuple[str, str, str], pd.Series] = field(default_factory=dict)
    _noted: set[tuple[str, str, str]] = field(default_factory=set)
    _cells: dict[tuple[str, str], tuple[np.ndarray, pd.Series]] = field(default_factory=dict)
    _invalid: dict[tuple[str, str, str], pd.Series] = field(default_factory=dict)
    _derived: dict[tuple[str, str, str], pd.Series] = field(default_factory=dict)
    _texts: dict[tuple[str, str], pd.Series] = field(default_factory=dict)
    _numbers: dict[tuple[str, str], tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    _customer_rows: pd.Series | None = None
    _customer_at: np.ndarray | None = None

    def locate(self, name: str) -> tuple[RoleTable, str] | None:
        """The table and header a Field names, Opportunities first."""
        header = field_column(name, self.opportunities.table.headers, self.opportunities.roles)
        if header is not None:
            return self.opportunities, header
        if self.customers is not None and self.customer_rows() is not None:
            header = field_column(name, self.customers.table.headers, self.customers.roles)
            if header is not None:
                return self.customers, header
        return None

    def customer_rows(self) -> pd.Series | None:
        """For each Opportunities row, the Customers sheet row of its customer (NaN if none)."""
        if self._customer_rows is None and self.customers is not None:
            own = self.opportunities.column("customer_id")
            theirs = self.customers.column("customer_id")
            if own is None or theirs is None:
                return None
            keys = parse_texts(theirs)
            lookup = pd.Series(keys.index, index=keys.values).loc[lambda s: s.index.notna()]
            lookup = lookup[~lookup.index.duplicated()]
            header = self.opportunities.roles["customer_id"]
            self._customer_rows = self.column(self.opportunities, header, "text").map(lookup)
        return self._customer_rows

    def text(self, name: str) -> pd.Series | None:
        return self._get(name, "text", strict=False)

    def keys(self, name: str) -> pd.Series | None:
        """The Field's text as names are compared (``normalised``), made once whoever asks
        (scoring, criteria, the win model and insights each compare it)."""
        return self._text_derived(name, "keys", normalised)

    def key_in(self, name: str, keys: set[str]) -> pd.Series | None:
        """Which rows have the Field, compared as names are, among ``keys`` (normalised):
        looked at once per distinct cell."""
        found = self.locate(name)
        if found is None:
            return None
        if (found[0].table.tab, found[1]) not in self._texts:
            return self.per_text(*found, normalised).isin(keys)
        return self.per_text(*found, lambda text: normalised(text).isin(keys))

    def filled(self, name: str) -> pd.Series | None:
        """Which rows have the Field filled (its text not blank), made once whoever asks."""
        return self._text_derived(name, "filled", lambda text: text.notna())

    def _text_derived(self, name: str, kind: str, make: Callable[[pd.Series], pd.Series]
                      ) -> pd.Series | None:
        found = self.locate(name)
        if found is None:
            return None
        key = (found[0].table.tab, found[1], kind)
        if key not in self._derived:
            self._derived[key] = self.per_text(*found, make)
        return self._derived[key]

    def per_text(self, role_table: RoleTable, header: str,
                 make: Callable[[pd.Series], pd.Series]) -> pd.Series:
        """``make`` (cell by cell) of a column's text, aligned to Opportunities rows: made once
        per distinct cell when the column was read that way, then spread like the text."""
        text = self.column(role_table, header, "text", strict=False)
        distinct = self._texts.get((role_table.table.tab, header))
        if distinct is None:
            return make(text)
        made = make(distinct)
        blank = make(pd.Series([None], dtype=object)).to_numpy()
        taken = np.append(made.to_numpy(), blank)[self._cells[role_table.table.tab, header][0]]
        return self._aligned(role_table, taken, blank[0], made.dtype)

    def number(self, name: str, *, strict: bool = True) -> pd.Series | None:
        """Numbers and amounts, also typed with what they count (``600人``, ``3个月``: a
        Scoring or Criteria Field); ``strict`` records unreadable cells (else just NaN)."""
        return self._get(name, "count", strict=strict)

    def date(self, name: str) -> pd.Series | None:
        return self._get(name, "date", strict=True)

    def role(self, role: str, kind: str) -> pd.Series | None:
        """An Opportunities column found by its role (``amount``, ``created`` …)."""
        header = self.opportunities.roles.get(role)
        return None if header is None else self.column(self.opportunities, header, kind)

    def _get(self, name: str, kind: str, *, strict: bool) -> pd.Series | None:
        found = self.locate(name)
        return None if found is None else self.column(*found, kind, strict=strict)

    def column(self, role_table: RoleTable, header: str, kind: str, *, strict: bool = True
               ) -> pd.Series:
        """A column read as ``kind`` (text, number, count: a number that may carry a unit, date,
        moment: a date keeping its time of day), aligned to Opportunities rows. Each column is
        read once per kind, whoever asks (evaluate, learn and insights share one Fields); a
        ``strict`` read notes its unreadable cells once."""
        key = (role_table.table.tab, header, kind)
        if key not in self._cache:
            values, self._invalid[key] = self._read(role_table, header, kind)
            self._cache[key] = values if role_table is self.opportunities else \
                self._aligned(role_table, values.to_numpy(), _JOINED_BLANK.get(kind, np.nan),
                              values.dtype)
        invalid = self._invalid[key]
        if strict and key not in self._noted and kind != "text":
            self._noted.add(key)
            if invalid.any():
                self._note(role_table, header, invalid[invalid].index, self._reader(kind))
        return self._cache[key]

    def _aligned(self, role_table: RoleTable, values: np.ndarray, blank: object,
                 dtype: Any) -> pd.Series:
        """Values by ``role_table`` row as a column of the Opportunities rows: a Customers
        column joined (``blank`` where a deal has no customer)."""
        if role_table is self.opportunities:
            return pd.Series(values, index=role_table.table.frame.index, dtype=dtype)
        rows = self.customer_rows()
        assert rows is not None
        if self._customer_at is None:
            self._customer_at = role_table.table.frame.index.get_indexer(rows.to_numpy())
        joined = np.append(values, np.array([blank], dtype=values.dtype))[self._customer_at]
        return pd.Series(joined, index=rows.index, dtype=dtype)

    def _read(self, role_table: RoleTable, header: str, kind: str
              ) -> tuple[pd.Series, pd.Series]:
        """(values, unreadable mask) of a column: each distinct cell parsed once, the column
        factorised once for every kind it is read as (text too, but for a column of mostly
        distinct texts, which parse_texts strips cell by cell)."""
        cells = role_table.table.frame[header]
        key = (role_table.table.tab, header)
        if cells.dtype != object or (kind == "text" and key not in self._cells
                                     and mostly_distinct(cells)):
            return _parse(cells, kind, self.date_order)
        if key not in self._cells:
            codes, uniques = distinct_cells(cells)
            self._cells[key] = codes, pd.Series(uniques, dtype=object)
        codes, uniques = self._cells[key]
        numbers = self._numbers.get(key)
        if kind == "count" and numbers is not None:
            values, invalid = _counted(uniques, *numbers)
        else:
            values, invalid = _parse(uniques, kind, self.date_order)
        if kind == "text":
            self._texts[key] = values
        elif kind == "number":
            self._numbers[key] = values, invalid
        blank = _BLANK.get(kind, np.nan)
        taken = np.append(values.to_numpy(), np.array([blank], dtype=values.dtype))[codes]
        return (pd.Series(taken, index=cells.index, dtype=values.dtype),
                pd.Series(np.append(invalid.to_numpy(dtype=bool), False)[codes],
                          index=cells.index))

    def _reader(self, kind: str) -> Callable[[Any], object]:
        """The scalar reader of ``kind``, which says why a cell cannot be read."""
        if kind == "count":
            return read_quantity
        if kind == "number":
            return read_number
        if kind == "moment":
            return lambda cell: read_moment(cell, self.date_order)
        return lambda cell: read_date(cell, self.date_order)

    def _note(self, role_table: RoleTable, header: str, rows: pd.Index,
              reader: Callable[[object], object]) -> None:
        details = unreadable_details(role_table, header, rows, reader, self.lang)
        where = cell_refs(role_table, header, rows)
        if role_table is self.opportunities:
            affected = pd.Series(rows, index=rows)
        else:
            linked = self.customer_rows()
            assert linked is not None
            affected = linked[linked.isin(rows)]
            affected = pd.Series(affected.index, index=affected.to_numpy())
        self.unreadable.append(pd.DataFrame({
            "row": affected.to_numpy(),
            "where": where.reindex(affected.index).to_numpy(),
            "detail": details.reindex(affected.index).to_numpy(),
        }))

    def unreadable_cells(self) -> pd.DataFrame:
        """Every unreadable cell once per Opportunities row it affects."""
        if not self.unreadable:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in UNREADABLE_COLUMNS})
        return pd.concat(self.unreadable, ignore_index=True).drop_duplicates(["row", "where"])


#: A blank cell read as each kind (NaN for numbers); a deal without its customer reads NaN as
#: text, as pandas joins it.
_BLANK = {"text": None, "date": np.datetime64("NaT", "ns"), "moment": np.datetime64("NaT", "ns")}
_JOINED_BLANK = {"date": np.datetime64("NaT", "ns"), "moment": np.datetime64("NaT", "ns")}


def _counted(uniques: pd.Series, numbers: pd.Series, invalid: pd.Series
             ) -> tuple[pd.Series, pd.Series]:
    """Distinct cells read as counts, from their reading as numbers: a count is the number
    where there is one (``read_quantity`` reads ``read_number`` first), so only the cells that
    are no number are read again (``600人``)."""
    values, bad = numbers.to_numpy(copy=True), invalid.to_numpy(dtype=bool, copy=True)
    for i in np.flatnonzero(bad):
        try:
            count = read_quantity(uniques.iloc[i])
        except ValueError:
            continue
        values[i], bad[i] = np.nan if count is None else count, False
    return pd.Series(values, index=numbers.index), pd.Series(bad, index=invalid.index)


def _parse(cells: pd.Series, kind: str, date_order: DateOrder) -> tuple[pd.Series, pd.Series]:
    """(values, unreadable mask) of ``cells`` read as ``kind``."""
    if kind == "text":
        return parse_texts(cells), pd.Series(False, index=cells.index)
    if kind in ("number", "count"):
        return parse_amounts(cells, counts=kind == "count")
    if kind == "moment":
        return parse_moments(cells, date_order)
    return parse_dates(cells, date_order)
