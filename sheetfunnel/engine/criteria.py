"""Stage entry criteria (准入标准): which checks each opportunity fails, as their Messages.

An open opportunity answers to its stage's criteria and, when ``criteria_cumulative``, to those
of every earlier open stage; a won one to every open stage's (when cumulative) and the won
stage's; a lost one to the lost stage's only. A blank cell fails every check except ``!=`` and
``not in``; an unreadable one fails (and is flagged INVALID_VALUE by the reader).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config, Criterion
from sheetfunnel.engine.fields import Fields
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import read_date

_COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def applies(criterion_stage: int, config: Config, stage_index: np.ndarray,
            open_rows: np.ndarray, won_rows: np.ndarray) -> np.ndarray:
    """Rows that must pass the criteria of the stage at ``criterion_stage`` (``open_rows``,
    ``won_rows``: the rows whose stage is of that kind)."""
    own = stage_index == criterion_stage
    if not (config.settings.criteria_cumulative
            and config.stages[criterion_stage].kind == "open"):
        return own
    return own | (open_rows & (stage_index >= criterion_stage)) | won_rows


def passes(criterion: Criterion, fields: Fields, as_of: dt.date, index: pd.Index
           ) -> pd.Series:
    """Whether each row passes one check."""
    check, value = criterion.check, criterion.value
    blank = pd.Series(False, index=index)
    if fields.locate(criterion.field) is None:  # the Config check tells it, at its cell
        return ~blank if check in ("ne", "not_in") else blank
    if check == "filled":
        return _found(fields.filled(criterion.field))
    if check == "on_or_before_today":
        return _found(fields.date(criterion.field)) <= pd.Timestamp(as_of)
    if check in _COMPARE:
        return _compare(criterion, fields)
    if check in ("eq", "ne") and isinstance(value, int | float):
        numbers = fields.number(criterion.field)
        return (numbers == value) if check == "eq" else ~(numbers == value)
    options = value if isinstance(value, tuple) else (value,)
    hit = _found(fields.key_in(criterion.field, {normalise_name(o) for o in options}))
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
                    as_of: dt.date, words: Mapping[str, str]) -> pd.Series:
    """For each row, what its failed checks say (None when none): the ``filled`` ones as one
    ``Missing: Budget, Decision Maker`` (their Message names what is missing), then each other
    check as what failed and the value (``Amount is 0, must be > 0``) — or its Message when the
    admin wrote one. ``words`` are the sentences of the run's language (sheetfunnel.words).
    Rows failing alike share one sentence, built once."""
    index = stage_index.index
    stage_at = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    positions = stage_index.to_numpy()
    open_rows, won_rows = (kinds == "open").to_numpy(), (kinds == "won").to_numpy()
    failed: dict[tuple[str, str], np.ndarray] = {}  # (part, key) -> rows failing, in order
    said: dict[tuple[str, str], Criterion] = {}
    for criterion in config.criteria:
        position = stage_at.get(normalise_name(criterion.stage))
        if position is None:
            continue
        rows = applies(position, config, positions, open_rows, won_rows)
        if not rows.any():
            continue
        failing = rows & ~passes(criterion, fields, as_of, index).to_numpy()
        key = _key(criterion)
        failed[key] = failed[key] | failing if key in failed else failing
        said.setdefault(key, criterion)
    parts: list[tuple[bool, np.ndarray, np.ndarray]] = []  # (missing?, sayings, code by row)
    alike = np.zeros(len(index), dtype=np.int64)  # rows failing alike share a number
    for key, failing in failed.items():
        if not failing.any():
            continue
        saying = key[1] if key[0] == "missing" else _said(said[key], fields, index[failing],
                                                           words)
        codes = np.full(len(index), -1, dtype=np.int64)
        if isinstance(saying, str):
            sayings = np.array([saying], dtype=object)
            codes[failing] = 0
        else:
            codes[failing], sayings = pd.factorize(saying.to_numpy(dtype=object))
        parts.append((key[0] == "missing", np.asarray(sayings, dtype=object), codes))
        alike = pd.factorize(alike * (len(sayings) + 1) + codes + 1)[0]
    sentences = [_sentence(parts, row, words) for row in _first_rows(alike)]
    return pd.Series(np.array(sentences + [None], dtype=object)[:-1][alike], index=index,
                     dtype=object)


def _first_rows(alike: np.ndarray) -> np.ndarray:
    """The first row of each number (``alike`` is numbered in order of first row)."""
    before = np.maximum.accumulate(np.concatenate([[-1], alike]))[:-1]
    return np.flatnonzero(alike > before)


def _sentence(parts: list[tuple[bool, np.ndarray, np.ndarray]], row: int,
              words: Mapping[str, str]) -> str | None:
    """What one row's failed checks say: the missing fields, then each other check."""
    missing = [str(sayings[codes[row]]) for is_missing, sayings, codes in parts
               if is_missing and codes[row] >= 0]
    others = [str(sayings[codes[row]]) for is_missing, sayings, codes in parts
              if not is_missing and codes[row] >= 0]
    said = ([words["missing"] + words["list"].join(missing)] if missing else []) + others
    return words["separator"].join(said) if said else None


def _key(criterion: Criterion) -> tuple[str, str]:
    """Checks that say the same thing are said once: a ``filled`` check by what is missing, a
    check with a Message by its Message, any other by itself."""
    if criterion.check == "filled":
        return "missing", criterion.message or criterion.field
    if criterion.message:
        return "message", criterion.message
    return "check", repr((normalise_name(criterion.field), criterion.check, criterion.value))


def _said(criterion: Criterion, fields: Fields, rows: pd.Index, words: Mapping[str, str]
          ) -> pd.Series | str:
    """What a failed check says on ``rows``: its Message, else the field, its value and the
    rule (each distinct value worded once)."""
    if criterion.message:
        return criterion.message
    rule = words[criterion.check].format(_shown_limit(criterion.value))
    values = (_shown_values(criterion, fields, rows)
              if fields.locate(criterion.field) is not None  # a missing column reads as blank
              else pd.Series(None, index=rows, dtype=object))
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    after = words["after_today"] if criterion.check == "on_or_before_today" else words["is"]
    texts = [after.format(criterion.field, value, rule) for value in distinct]
    texts.append(words["empty"].format(criterion.field, rule))
    return pd.Series(np.asarray(texts, dtype=object)[codes], index=rows, dtype=object)


def _shown_values(criterion: Criterion, fields: Fields, rows: pd.Index) -> pd.Series:
    """The field's value on ``rows`` (the failing ones: only they are worded) as the check
    read it (a number, a day, the text), text when the cell could not be read that way; NaN
    when blank."""
    text = _found(fields.text(criterion.field)).reindex(rows)
    numeric = isinstance(criterion.value, int | float)
    if criterion.check == "on_or_before_today" or (criterion.check in _COMPARE and not numeric):
        read = _found(fields.date(criterion.field)).reindex(rows).dt.strftime("%Y-%m-%d")
    elif numeric:
        read = _found(fields.number(criterion.field)).reindex(rows).map(_number,
                                                                       na_action="ignore")
    else:
        return text
    return read.astype(object).where(read.notna(), text)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _shown_limit(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, int | float):
        return _number(value)
    return "" if value is None else str(value)
