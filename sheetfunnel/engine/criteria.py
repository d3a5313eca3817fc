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
    text = _found(fields.keys(criterion.field))
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
                    as_of: dt.date, words: Mapping[str, str]) -> pd.Series:
    """For each row, what its failed checks say (None when none): the ``filled`` ones as one
    ``Missing: Budget, Decision Maker`` (their Message names what is missing), then each other
    check as what failed and the value (``Amount is 0, must be > 0``) — or its Message when the
    admin wrote one. ``words`` are the sentences of the run's language (sheetfunnel.words)."""
    index = stage_index.index
    stage_at = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    kinds = kinds.astype("category")  # compared once per criterion: cheap as codes
    failed: dict[tuple[str, str], np.ndarray] = {}  # (part, key) -> rows failing, in order
    said: dict[tuple[str, str], Criterion] = {}
    for criterion in config.criteria:
        position = stage_at.get(normalise_name(criterion.stage))
        if position is None:
            continue
        rows = applies(position, config, stage_index, kinds)
        if not rows.any():
            continue
        failing = (rows & ~passes(criterion, fields, as_of, index)).to_numpy()
        key = _key(criterion)
        failed[key] = failed[key] | failing if key in failed else failing
        said.setdefault(key, criterion)
    missing = pd.Series(None, index=index, dtype=object)
    others = pd.Series(None, index=index, dtype=object)
    for key, failing in failed.items():
        if not failing.any():
            continue
        rows = index[failing]
        if key[0] == "missing":
            missing[rows] = _joined(missing[rows], key[1], words["list"])
        else:
            others[rows] = _joined(others[rows], _said(said[key], fields, rows, words),
                                   words["separator"])
    missing = (words["missing"] + missing[missing.notna()]).reindex(index)
    return _joined(missing, others, words["separator"])


def _key(criterion: Criterion) -> tuple[str, str]:
    """Checks that say the same thing are said once: a ``filled`` check by what is missing, a
    check with a Message by its Message, any other by itself."""
    if criterion.check == "filled":
        return "missing", criterion.message or criterion.field
    if criterion.message:
        return "message", criterion.message
    return "check", repr((normalise_name(criterion.field), criterion.check, criterion.value))


def _joined(first: pd.Series, then: pd.Series | str, separator: str) -> pd.Series:
    """``first`` + separator + ``then`` where both are there, else whichever is."""
    then = then if isinstance(then, pd.Series) else pd.Series(then, index=first.index,
                                                              dtype=object)
    both = (first + separator + then).where(first.notna() & then.notna())
    return both.fillna(first).fillna(then).astype(object).where(first.notna() | then.notna(),
                                                                 None)


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
