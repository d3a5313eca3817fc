"""Stage entry criteria (准入标准): which checks each opportunity fails, as their Messages.

An open opportunity answers to its stage's criteria and, when ``criteria_cumulative``, to those
of every earlier open stage; a won one to every open stage's (when cumulative) and the won
stage's; a lost one to the lost stage's only. A blank cell fails every check except ``!=`` and
``not in``; an unreadable one fails (and is flagged INVALID_VALUE by the reader).
"""

from __future__ import annotations

import datetime as dt
import operator

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config, Criterion
from sheetfunnel.engine.fields import Fields, normalised
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import read_date

_COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def applies(criterion_stage: int, config: Config, stage_index: pd.Series, kinds: pd.Series
            ) -> pd.Series:
    """Rows that must pass the criteria of the stage at ``criterion_stage``."""
    own = stage_index == criterion_stage
    if not (config.settings.criteria_cumulative
            and config.stages[criterion_stage].kind == "open"):
        return own
    earlier = (kinds == "open") & (stage_index >= criterion_stage)
    return own | earlier | (kinds == "won")


def passes(criterion: Criterion, fields: Fields, as_of: dt.date, index: pd.Index
           ) -> pd.Series:
    """Whether each row passes one check."""
    check, value = criterion.check, criterion.value
    blank = pd.Series(False, index=index)
    if fields.locate(criterion.field) is None:
        fields.missing(criterion.field, "Criteria")
        return ~blank if check in ("ne", "not_in") else blank
    if check == "filled":
        return _found(fields.text(criterion.field)).notna()
    if check == "on_or_before_today":
        return _found(fields.date(criterion.field)) <= pd.Timestamp(as_of)
    if check in _COMPARE:
        return _compare(criterion, fields)
    if check in ("eq", "ne") and isinstance(value, int | float):
        numbers = fields.number(criterion.field)
        return (numbers == value) if check == "eq" else ~(numbers == value)
    text = normalised(fields.text(criterion.field))
    options = value if isinstance(value, tuple) else (value,)
    hit = text.isin({normalise_name(o) for o in options})
    return hit if check in ("eq", "in") else ~hit


def _compare(criterion: Criterion, fields: Fields) -> pd.Series:
    compare = _COMPARE[criterion.check]
    value = criterion.value
    if isinstance(value, int | float):
        return compare(_found(fields.number(criterion.field)), value)
    day = read_date(value) if isinstance(value, str) else None
    return compare(_found(fields.date(criterion.field)), pd.Timestamp(day))


def _found(column: pd.Series | None) -> pd.Series:
    """A Field ``passes`` has located already."""
    assert column is not None, "passes() checks that the field exists first"
    return column


def failed_messages(fields: Fields, config: Config, stage_index: pd.Series, kinds: pd.Series,
                    as_of: dt.date) -> pd.Series:
    """For each row, the Messages of the checks it fails joined by ", " (None when none)."""
    index = stage_index.index
    stage_at = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    kinds = kinds.astype("category")  # compared once per criterion: cheap as codes
    failures, messages = [], []
    for criterion in config.criteria:
        position = stage_at.get(normalise_name(criterion.stage))
        if position is None:
            continue
        rows = applies(position, config, stage_index, kinds)
        if rows.any():
            failures.append((rows & ~passes(criterion, fields, as_of, index)).to_numpy())
            messages.append(criterion.message or criterion.field)
    result = pd.Series(None, index=index, dtype=object)
    if failures:
        patterns, codes = _distinct_rows(np.column_stack(failures))
        texts = np.array([", ".join(dict.fromkeys(np.asarray(messages)[p])) or None
                          for p in patterns], dtype=object)
        result[:] = texts[codes]
    return result


def _distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like ``np.unique(matrix, axis=0, return_index=True, return_inverse=True)`` for a boolean
    matrix, but fast: each row packed into bytes and compared as one value."""
    packed = np.ascontiguousarray(np.packbits(matrix, axis=1))
    keys = packed.view(f"V{packed.shape[1]}").ravel()
    _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
    return matrix[first], codes.ravel()
