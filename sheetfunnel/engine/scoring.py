"""The weighted scorecard (商机评分卡): score_raw, score (0-100) and grade.

Per dimension the first matching rule gives its points; no match gives 0. A blank cell matches
no rule, not even ``*`` (a deal earns nothing for what nobody typed). ``value`` takes the
field's own number as the points, between 0 and the rule's points.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config, Dimension, Match
from sheetfunnel.engine.fields import Fields
from sheetfunnel.grid import normalise_name

_NUMERIC = ("gt", "ge", "lt", "le", "range", "value")


def _matches(match: Match, filled: pd.Series | None, numbers: pd.Series | None,
             fields: Fields, name: str) -> pd.Series:
    """``filled``: the rows with text, when a rule takes any; ``numbers``: the Field read as
    numbers, when a rule compares them; text is compared by ``fields`` (once per distinct
    cell)."""
    if match.kind == "any":
        assert filled is not None
        return filled
    if match.kind in ("eq", "in"):
        options = (match.text,) if match.kind == "eq" else match.options
        hit = fields.key_in(name, {normalise_name(o) for o in options})
        assert hit is not None  # dimension_points located the Field
        return hit
    assert numbers is not None
    if match.kind == "range":
        return numbers.between(match.low, match.high)
    if match.kind == "value":
        return numbers.notna()
    compare = {"gt": numbers.gt, "ge": numbers.ge, "lt": numbers.lt, "le": numbers.le}
    return compare[match.kind](match.number)


def dimension_points(dimension: Dimension, fields: Fields, index: pd.Index) -> pd.Series:
    """Points of one dimension for every row."""
    points = np.full(len(index), np.nan)
    if fields.locate(dimension.field) is None:  # the Config check tells it, at its cell
        return pd.Series(0.0, index=index)
    kinds = {rule.match.kind for rule in dimension.rules}
    filled = fields.filled(dimension.field) if "any" in kinds else None
    numbers = None
    if kinds & set(_NUMERIC):
        # unreadable numbers are flagged only when the dimension expects numbers alone
        numbers = fields.number(dimension.field, strict=not kinds & {"eq", "in"})
    for rule in dimension.rules:
        hit = _matches(rule.match, filled, numbers, fields, dimension.field).to_numpy() \
            & np.isnan(points)
        if rule.match.kind == "value":
            assert numbers is not None  # a "value" rule is numeric: read above
            points[hit] = numbers[hit].clip(0.0, rule.points)
        else:
            points[hit] = rule.points
    return pd.Series(np.nan_to_num(points, nan=0.0), index=index)


def points_by_dimension(fields: Fields, config: Config, index: pd.Index
                        ) -> dict[str, pd.Series]:
    """Each dimension's points for every row, by dimension name (the join check reads them
    too)."""
    return {d.name: dimension_points(d, fields, index) for d in config.dimensions}


def score(points: Mapping[str, pd.Series], config: Config, index: pd.Index) -> pd.DataFrame:
    """score_raw (Σ weight × points), score (0-100) and grade on the scale the sheet shows."""
    raw = pd.Series(0.0, index=index)
    best = 0.0
    for dimension in config.dimensions:
        raw += dimension.weight * points[dimension.name]
        best += dimension.weight * dimension.max_points
    percent = raw / best * 100 if best else pd.Series(np.nan, index=index)
    shown = raw if config.settings.score_scale == "raw" else percent
    return pd.DataFrame({"score_raw": raw, "score": percent, "grade": grade(shown, config)})


def grade(shown: pd.Series, config: Config) -> pd.Series:
    """A/B/C/D by the Settings thresholds (None when there is no score)."""
    settings = config.settings
    letters = np.select([shown >= settings.grade_a, shown >= settings.grade_b,
                         shown >= settings.grade_c, shown.notna()], ["A", "B", "C", "D"],
                        default=None)  # type: ignore[call-overload]  # stubs want a str default
    return pd.Series(letters, index=shown.index, dtype=object)
