"""IDs: blank ones filled (``OPP-000123``) when Settings ``assign_ids`` is yes, and the IDs of
a run factorised once (``DealIds``) for every step that matches or counts them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

PREFIX = "OPP-"
NUMBERED = re.compile(r"(?i)^OPP-(\d+)$")
LINES = re.compile(r"(?im)^OPP-(\d+)$")  # NUMBERED, line by line


def assign_ids(ids: pd.Series) -> dict[int, str]:
    """Sheet row -> new ID for each blank ID, numbered after the highest existing ``OPP-`` number
    in sheet order, so the same sheet always gets the same IDs."""
    blank = ids.index[ids.isna()]
    if not len(blank):
        return {}
    start = max(_numbers(ids.dropna().tolist()), default=0) + 1
    return {int(row): f"{PREFIX}{start + n:06d}" for n, row in enumerate(blank)}


def _numbers(ids: list[str]) -> list[int]:
    """The numbers of the ``OPP-`` IDs: one scan of all of them joined by lines, unless an ID
    holds a line break itself (then ID by ID)."""
    joined = "\n".join(ids)
    if joined.count("\n") != max(len(ids) - 1, 0):
        return [int(found[1]) for found in map(NUMBERED.search, ids) if found]
    return [int(number) for number in LINES.findall(joined)]


@dataclass(frozen=True)
class DealIds:
    """Each Opportunities row's ID as a code: memory, History, Activities and duplicates all
    match IDs, and hashing 100,000 texts once is cheaper than once per step. ``codes`` is -1
    where the ID is blank; ``distinct`` holds the IDs in order of their first row (its hash
    table is built on the first ``lookup`` and kept)."""

    texts: pd.Series
    codes: np.ndarray
    distinct: pd.Index

    @classmethod
    def of(cls, ids: pd.Series) -> DealIds:
        """``ids``: text (None when blank), as ``parse_texts`` reads them. IDs are usually
        unique: then the index of the filled ones is the table, and its hash table, built to
        tell, serves every lookup after."""
        texts = ids.to_numpy(dtype=object)
        filled = pd.notna(texts)
        distinct = pd.Index(texts[filled], dtype=object)
        if distinct.is_unique:
            codes = np.full(len(texts), -1, dtype=np.intp)
            codes[filled] = np.arange(len(distinct))
            return cls(ids, codes, distinct)
        codes, uniques = pd.factorize(texts, use_na_sentinel=True)
        return cls(ids, codes, pd.Index(uniques, dtype=object))

    def first(self) -> np.ndarray:
        """Rows that are the first to hold their ID (False when blank): codes are numbered in
        order of first row, so a row is first when its code exceeds every code before it."""
        before = np.maximum.accumulate(np.concatenate([[-1], self.codes]))[:-1]
        return self.codes > before

    def shared(self) -> np.ndarray:
        """Rows whose ID another row holds too."""
        known = self.codes >= 0
        counts = np.bincount(self.codes[known], minlength=len(self.distinct))
        return known & (np.append(counts, 0)[self.codes] > 1)

    def lookup(self, ids: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
        """The code of each of ``ids`` (-1 when no row holds it)."""
        if not len(self.distinct) or not len(ids):
            return np.full(len(ids), -1, dtype=np.intp)
        return self.distinct.get_indexer(np.asarray(ids, dtype=object))

    def by_row(self, values: np.ndarray, blank: object) -> np.ndarray:
        """``values`` (one per distinct ID) spread to the rows; ``blank`` where the ID is."""
        return np.append(values, np.array([blank], dtype=values.dtype))[self.codes]
