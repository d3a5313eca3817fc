"""Learning from the team's closed deals: the win model's fields, its gate, its chances and
the reasons behind each.

Pure: the Opportunities (and Customers) tables, the evaluation and the Config in, a
``Learned`` out. Only what is known before a deal closes is a feature: never the close date,
the Lost Reason, the worker's own columns or the Entered Date Fields of won/lost stages, and
not a field filled far more often on closed deals than on open ones (the sign of a field filled
at closing). The model is trusted only with enough history and when the lower end of the 95%
interval of its holdout AUC is above 0.5; otherwise the sheet says why and keeps the stages'
probabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sheetfunnel import schema
from sheetfunnel.config.model import Config
from sheetfunnel.engine import winmodel
from sheetfunnel.engine.fields import Fields
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.errors import Problem
from sheetfunnel.grid import RoleTable, a1
from sheetfunnel.words.insights import factor_text
from sheetfunnel.words.problems import say

Status = Literal["trained", "not_enough_history", "no_signal"]
DEFAULT_FIELDS = ("Source", "Owner", "Industry", "Size")
#: Roles that are never features: known only at closing, the label itself, or one per deal.
NEVER = ("closed_on", "lost_reason", "stage", "id", "title", "customer_id")
MAX_LEVELS = 50  # a category's most common values; the rest are "other"
BINS = 5  # numbers by quintiles
TIME_SPLIT_FILL = 0.9  # share of closed deals with a close date for a split by time
SHOWN_FACTORS, LEAST_POINTS = 3, 0.005


@dataclass(frozen=True)
class Feature:
    """One field as the model sees it: a level code per Opportunities row (-1: a value no
    closed deal had) and the text of each level (None: blank, "" other values)."""

    name: str
    codes: np.ndarray
    labels: tuple[str | None, ...]
    numeric: bool


@dataclass(frozen=True)
class Factor:
    """One reason for a deal's chance: a field's value, how many probability points it moves
    the chance (signed, 0–1 scale) and how that value fared on closed deals."""

    field: str
    value: str | None
    numeric: bool
    points: float
    won: int
    deals: int


@dataclass(frozen=True)
class Learned:
    """What the closed deals taught: the status and quality of the model, and per open row its
    chance and its reasons (empty without a trusted model)."""

    status: Status
    closed_won: int
    closed_lost: int
    features: tuple[Feature, ...] = ()
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    won: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    split: Literal["time", "random"] | None = None
    holdout: int = 0
    auc: float | None = None
    auc_low: float | None = None
    auc_high: float | None = None
    brier: float | None = None
    brier_base: float | None = None
    penalty: float | None = None
    calibration: tuple[tuple[float, float, int, float | None, float | None], ...] = ()
    chance: pd.Series = field(default_factory=lambda: pd.Series([], dtype=float))
    factors: dict[int, tuple[Factor, ...]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def base_rate(self) -> float | None:
        closed = self.closed_won + self.closed_lost
        return self.closed_won / closed if closed else None

    @property
    def trained(self) -> bool:
        return self.status == "trained"


def learn(opportunities: RoleTable, customers: RoleTable | None, evaluation: Evaluation,
          config: Config, fields: Fields | None = None, lang: str = "en") -> Learned:
    """Features, gate, holdout quality and, when trusted, the chance of every open deal
    (``fields``: the engine's, to reuse the columns it read; warnings said in ``lang``)."""
    settings = config.settings
    deals = evaluation.deals
    kind = deals["kind"].to_numpy(dtype=object)
    won, lost = kind == "won", kind == "lost"
    closed = won | lost
    counts = int(won.sum()), int(lost.sum())
    fields = fields or Fields(opportunities, customers, settings.date_order, lang)
    features, problems = model_features(fields, config, closed, kind == "open", lang)
    base = Learned("not_enough_history", *counts, features, closed, won, problems=problems)
    if counts[0] < settings.model_min_won or counts[1] < settings.model_min_lost:
        return base
    codes, width = global_codes(features, len(deals))
    outcome = won[closed].astype(float)
    closed_codes = codes[closed]
    held, timed = _holdout(fields, closed, outcome)
    window = winmodel.train(closed_codes[~held], outcome[~held], width)
    chance = window.chance(closed_codes[held])
    interval = winmodel.auc_interval(outcome[held], chance)
    window_rate = float(outcome[~held].mean())
    quality = dict(split="time" if timed else "random", holdout=int(held.sum()),
                   auc=interval.auc, auc_low=interval.low, auc_high=interval.high,
                   brier=float(np.mean((chance - outcome[held]) ** 2)),
                   brier_base=float(np.mean((window_rate - outcome[held]) ** 2)),
                   penalty=window.penalty,
                   calibration=tuple(winmodel.calibration(outcome[held], chance)))
    if not features or interval.low <= 0.5:
        return Learned("no_signal", *counts, features, closed, won, problems=problems,
                       **quality)  # type: ignore[arg-type]
    model = winmodel.train(closed_codes, outcome, width, window.penalty, window)
    is_open = kind == "open"
    rows = deals.index[is_open]
    open_codes = codes[is_open]
    scored = model.chance(open_codes)
    return Learned("trained", *counts, features, closed, won, problems=problems,
                   chance=pd.Series(scored, index=rows, dtype=float),
                   factors=_factors(features, model, codes, closed, won, open_codes, rows),
                   **quality)  # type: ignore[arg-type]


def _holdout(fields: Fields, closed: np.ndarray, outcome: np.ndarray
             ) -> tuple[np.ndarray, bool]:
    """The holdout of the closed deals and whether it is the latest ones by close date (when
    nine in ten have one), else a stratified draw with a fixed seed."""
    dates = fields.role("closed_on", "date")
    if dates is not None:
        when = dates.to_numpy("datetime64[ns]")[closed]
        known = ~np.isnat(when)
        if known.mean() >= TIME_SPLIT_FILL:
            order = np.where(known, when.astype("int64").astype(float), np.nan)
            held = winmodel.time_holdout(order)
            if 0 < outcome[held].mean() < 1 and 0 < outcome[~held].mean() < 1:
                return held, True
    return winmodel.stratified_holdout(outcome), False


def global_codes(features: Sequence[Feature], rows: int) -> tuple[np.ndarray, int]:
    """Each feature's level codes shifted into one column space (-1 stays -1)."""
    columns, offset = [], 0
    for feature in features:
        columns.append(np.where(feature.codes >= 0, feature.codes + offset, -1))
        offset += len(feature.labels)
    codes = np.column_stack(columns) if columns else np.zeros((rows, 0), dtype=np.int64)
    return codes.astype(np.int64), offset


def _factors(features: Sequence[Feature], model: winmodel.Fitted, codes: np.ndarray,
             closed: np.ndarray, won: np.ndarray, open_codes: np.ndarray, rows: pd.Index
             ) -> dict[int, tuple[Factor, ...]]:
    """The top reasons of each open deal: how far each field's value moves its chance from
    what the field's average value would give, in probability points.

    The average is the mean of the field's values' weights, each value counted once, which
    the fit holds at zero (the penalised optimum makes a field's weights sum to zero); a
    mean weighted by the closed deals would move with every deal that closes or reopens and
    turn the points of deals nobody touched. Deals with the same values have the same
    reasons: each distinct row of codes is worked out once and its reasons shared.
    """
    if not features:
        return {}
    found = winmodel.patterns(np.asarray(open_codes))
    distinct = found.rows
    logit = model.logit(distinct)
    chance = 1 / (1 + np.exp(-logit))
    padded = np.append(model.columns, 0.0)
    shifts: list[np.ndarray] = []
    evidence: list[tuple[list[int], list[int]]] = []
    offsets: list[int] = []
    offset = 0
    for number, feature in enumerate(features):
        size = len(feature.labels)
        local = feature.codes[closed]
        seen = np.bincount(local[local >= 0], minlength=size)
        wins = np.bincount(local[(local >= 0) & won[closed]], minlength=size)
        column = distinct[:, number]
        effect = np.where(column >= 0, padded[column], 0.0)
        shifts.append(chance - 1 / (1 + np.exp(-(logit - effect))))
        evidence.append((seen.tolist(), wins.tolist()))
        offsets.append(offset)
        offset += size
    points = np.column_stack(shifts)
    order = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :SHOWN_FACTORS]
    top = np.take_along_axis(points, order, axis=1)
    # the largest first, so the reasons shown are each row's first ones of LEAST_POINTS or more
    shown = (np.abs(top) >= LEAST_POINTS).sum(axis=1).tolist()
    levels = (np.take_along_axis(distinct, order, axis=1) - np.asarray(offsets)[order]).tolist()
    reasons: list[tuple[Factor, ...]] = []
    for count, fields, level, moved in zip(shown, order.tolist(), levels, top.tolist(),
                                           strict=True):
        made = []
        for k in range(count):
            feature = features[fields[k]]
            seen, wins = evidence[fields[k]]
            made.append(Factor(feature.name, feature.labels[level[k]], feature.numeric,
                               moved[k], wins[level[k]], seen[level[k]]))
        reasons.append(tuple(made))
    return dict(zip(rows.tolist(), map(reasons.__getitem__, found.of_row.tolist()),
                    strict=True))


# -- the features ---------------------------------------------------------------------------

def model_features(fields: Fields, config: Config, closed: np.ndarray, is_open: np.ndarray,
                   lang: str = "en") -> tuple[tuple[Feature, ...], tuple[Problem, ...]]:
    """The fields the model learns from, and a warning (in ``lang``) for each field named but
    left out."""
    settings = config.settings
    named = settings.model_fields
    wanted = named or tuple(dict.fromkeys([d.field for d in config.dimensions]
                                          + list(DEFAULT_FIELDS)))
    barred = _barred_headers(fields, config)
    features: list[Feature] = []
    problems: list[Problem] = []
    used: set[tuple[str, str]] = set()
    for name in wanted:
        found = fields.locate(name)
        if found is None:
            if named:
                problems.append(Problem(schema.display_name(lang, "settings"),
                                        say(lang, "model.no_column", name=name), "warning"))
            continue
        table, header = found
        key = (table.table.tab, header)
        if key in used:
            continue
        used.add(key)
        if key in barred:
            if named:
                problems.append(Problem(_header_cell(table, header),
                                        say(lang, "model.at_closing", header=header), "warning"))
            continue
        feature = _feature(fields, name, header, closed)
        late = _filled_late(fields, name, closed, is_open)
        if late is not None:
            problems.append(Problem(_header_cell(table, header), say(
                lang, "model.filled_late", header=header, closed=f"{late[0]:.0%}",
                open=f"{late[1]:.0%}"), "warning"))
            continue
        features.append(feature)
    return tuple(features), tuple(problems)


def _header_cell(table: RoleTable, header: str) -> str:
    return a1(table.table.tab, table.table.header_row, table.table.columns[header])


def _barred_headers(fields: Fields, config: Config) -> set[tuple[str, str]]:
    """(tab, header) of every column that is never a feature."""
    barred = set()
    for table in (fields.opportunities, fields.customers):
        if table is None:
            continue
        for role, header in table.roles.items():
            if role in NEVER or any(role in owned for owned in schema.OWNED_COLUMNS.values()) \
                    or role in schema.MODEL_COLUMNS:
                barred.add((table.table.tab, header))
    for stage in config.stages:
        if stage.kind != "open" and stage.entered_date_field:
            found = fields.locate(stage.entered_date_field)
            if found is not None:
                barred.add((found[0].table.tab, found[1]))
    return barred


def _filled_late(fields: Fields, name: str, closed: np.ndarray, is_open: np.ndarray
                 ) -> tuple[float, float] | None:
    """(fill rate on closed, on open) when the field is filled far less on open deals."""
    present = fields.filled(name)
    if present is None or is_open.sum() < 20 or not closed.any():
        return None
    filled = present.to_numpy()
    on_closed, on_open = float(filled[closed].mean()), float(filled[is_open].mean())
    return (on_closed, on_open) if on_closed >= 0.2 and on_open < on_closed / 2 else None


def _feature(fields: Fields, name: str, header: str, closed: np.ndarray) -> Feature:
    """A number column (nine in ten filled cells numbers, more than BINS values) by quintiles
    of the closed deals; anything else by its values, blank its own value."""
    text, keys, blank = fields.text(name), fields.keys(name), fields.filled(name)
    assert text is not None and keys is not None and blank is not None
    numbers = fields.number(name, strict=False)
    filled = blank.to_numpy()
    if numbers is not None and filled.any():
        values = numbers.to_numpy(dtype=float)
        readable = ~np.isnan(values)
        if readable[filled].mean() >= 0.9 and len(np.unique(values[readable])) > BINS:
            return _binned(header, values, closed)
    return _categories(header, text, keys, closed)


def _binned(header: str, values: np.ndarray, closed: np.ndarray) -> Feature:
    known = values[closed & ~np.isnan(values)]
    if not len(known):
        known = values[~np.isnan(values)]
    edges = np.quantile(known, np.arange(1, BINS) / BINS)
    whole = bool(np.all(np.mod(known, 1) == 0))
    # whole numbers: an edge of 7.6 splits them where 8 does, and reads better as 8
    edges = np.unique(np.ceil(edges) if whole else edges)
    codes = np.searchsorted(edges, values, side="right")
    codes = np.where(np.isnan(values), len(edges) + 1, codes).astype(np.int64)
    labels: list[str | None] = [f"< {_number(edges[0])}"]
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        top = high - 1 if whole and high - 1 >= low else high
        labels.append(_number(low) if top == low else f"{_number(low)}–{_number(top)}")
    labels += [f"≥ {_number(edges[-1])}", None]
    return Feature(header, codes, tuple(labels), True)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _categories(header: str, text: pd.Series, names: pd.Series, closed: np.ndarray
                ) -> Feature:
    """``names``: the text's normalised keys (``Fields.keys``)."""
    keys, distinct = pd.factorize(names.fillna("").to_numpy(dtype=object))
    seen = np.bincount(keys[closed], minlength=len(distinct))
    ranked = sorted(((int(seen[k]), distinct[k]) for k in np.flatnonzero(seen)),
                    key=lambda nk: (-nk[0], nk[1]))
    kept = [key for _, key in ranked[:MAX_LEVELS]]
    # a value is spelled as on its first closed deal: an open deal's spelling would rename it
    first = np.full(len(distinct), len(keys))
    np.minimum.at(first, keys[closed], np.flatnonzero(closed))
    spelled = text.to_numpy(dtype=object)
    where = {key: k for k, key in enumerate(distinct)}
    labels: list[str | None] = [spelled[first[where[k]]] if k else None for k in kept]
    other = len(ranked) > MAX_LEVELS
    # a value no closed deal had is -1; one past the MAX_LEVELS most common is "other"
    level = np.where(seen > 0, len(kept), -1) if other else np.full(len(distinct), -1)
    for i, key in enumerate(kept):
        level[where[key]] = i
    codes = np.append(level, -1)[keys].astype(np.int64)
    if other:
        labels.append("")
    return Feature(header, codes, tuple(labels), False)


def with_model(evaluation: Evaluation, learned: Learned, config: Config, lang: str = "en"
               ) -> Evaluation:
    """The evaluation with the model's chance of each open deal (``model_win_probability``),
    its reasons (``model_factors``), and the win probability Settings ``win_probability``
    asks for (the stage's while the model is not trusted)."""
    deals = evaluation.deals.copy(deep=False)  # copy-on-write: the columns set here are new
    chance = learned.chance.reindex(deals.index)
    deals["model_win_probability"] = chance
    deals["model_factors"] = pd.Series(_factor_texts(learned.factors, deals.index, lang),
                                       index=deals.index, dtype=object)
    mode = config.settings.win_probability
    if learned.trained and mode != "stage":
        weight = 1.0 if mode == "model" else config.settings.blend_weight
        stage = deals["win_probability"]
        deals["win_probability"] = (weight * chance + (1 - weight) * stage).where(
            chance.notna(), stage)
        deals["weighted_amount"] = deals["amount"] * deals["win_probability"]
    return dataclasses.replace(evaluation, deals=deals,
                               problems=evaluation.problems + learned.problems)


def _factor_texts(factors: dict[int, tuple[Factor, ...]], index: pd.Index, lang: str
                  ) -> np.ndarray:
    """Each row's reasons as the Why cell words them (none for a row without), an object
    array aligned to ``index``; reasons that read the same (same value, same whole points)
    are worded once, and so are the reasons rows share (``_factors`` gives deals with the
    same values one tuple)."""
    said: dict[tuple[object, ...], str] = {}

    def text(f: Factor) -> str:
        key = (f.field, f.value, f.numeric, f.points > 0, round(f.points * 100), f.won, f.deals)
        found = said.get(key)
        if found is None:
            found = said[key] = factor_text(f.field, f.value, f.numeric, f.points, f.won,
                                            f.deals, lang)
        return found

    worded: list[tuple[str, ...]] = [()]
    code_of: dict[int, int] = {}  # a tuple of reasons (by identity) -> its place in worded
    of_row = []
    for row_factors in factors.values():
        code = code_of.get(id(row_factors))
        if code is None:
            code = code_of[id(row_factors)] = len(worded)
            worded.append(tuple(map(text, row_factors)))
        of_row.append(code)
    codes = np.zeros(len(index), dtype=np.int64)
    if factors:
        at = index.get_indexer(list(factors))
        codes[at[at >= 0]] = np.array(of_row, dtype=np.int64)[at >= 0]
    table = np.empty(len(worded), dtype=object)
    for code, words in enumerate(worded):
        table[code] = words
    return table[codes]


def model_in_use(learned: Learned, config: Config) -> bool:
    """Whether the Opportunities tab gains Model Win % and Why: a trusted model, or an admin
    who chose the model for the weighted pipeline."""
    return learned.trained or config.settings.win_probability != "stage"
