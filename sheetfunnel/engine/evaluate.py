"""The engine's one entry point: every opportunity judged as of one day.

Pure and vectorised: tables and a Config in, an ``Evaluation`` out (see engine/model.py for
its columns). "Today" is ``as_of`` and "now" is ``now`` (wall clock in the team's timezone,
which the shell decides); nothing here reads the clock or a file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sheetfunnel.config.model import Config
from sheetfunnel.engine.activity import summarise_activities
from sheetfunnel.engine.criteria import failed_messages
from sheetfunnel.engine.customers import customer_columns
from sheetfunnel.engine.fields import Fields, normalised
from sheetfunnel.engine.flags import every_flag, flags_cells, row_positions
from sheetfunnel.engine.ids import DealIds, assign_ids
from sheetfunnel.engine.joins import check_joins
from sheetfunnel.engine.memory import remember, sighted_dates
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.engine.scoring import points_by_dimension, score
from sheetfunnel.engine.velocity import stage_entries
from sheetfunnel.errors import Problem
from sheetfunnel.grid import RoleTable, normalise_name
from sheetfunnel.values import as_dates
from sheetfunnel.words import words_for
from sheetfunnel.words.problems import say

TEXT_ROLES = ("id", "title", "owner", "customer_id", "source", "lost_reason", "next_step",
              "stage")
DATE_ROLES = ("created", "expected_close", "closed_on", "last_activity", "next_step_due")
NO_DATES = "datetime64[ns]"

def evaluate(opportunities: RoleTable, customers: RoleTable | None,
             activities: RoleTable | None, config: Config, *, as_of: dt.date,
             memory: StageMemory, history: pd.DataFrame | None = None,
             lang: str = "en", now: dt.datetime | None = None,
             fields: Fields | None = None) -> Evaluation:
    """Judge every opportunity: criteria, score, grade, win %, stage memory and flags (their
    sentences in ``lang``, which the run decides once). ``now`` (on ``as_of``; default its
    start) only moves NO_FIRST_RESPONSE, which counts real hours. ``fields``: a new Fields of
    these tables that learn and insights read from after (each column is read once)."""
    settings = config.settings
    words = words_for(lang)
    fields = fields or Fields(opportunities, customers, settings.date_order, lang)
    deals, new_ids = _typed(opportunities, fields, config)
    ids = DealIds.of(deals["id"])
    logged, activity_cells = summarise_activities(activities, deals["id"], settings.date_order,
                                                  ids, lang)
    deals = _with_activity(deals, logged)
    field_dates, current_dates = _stage_dates(deals, fields, config)
    open_dates = field_dates[[i for i in field_dates.columns if config.stages[i].kind == "open"]]
    remembered = remember(ids, deals["stage_index"], current_dates, config, as_of=as_of,
                          memory=memory, history=history, open_dates=open_dates,
                          sighted=sighted_dates(deals, config, as_of))
    deals["stage_entered"] = remembered.stage_entered
    deals["days_in_stage"] = (pd.Timestamp(as_of) - deals["stage_entered"]).dt.days.astype(float)
    deals["proven_index"] = remembered.proven_index
    deals["missing"] = failed_messages(fields, config, deals["stage_index"], deals["kind"], as_of,
                                       words.criteria_words)
    points = points_by_dimension(fields, config, deals.index)
    for column, values in score(points, config, deals.index).items():
        deals[column] = values
    deals["weighted_amount"] = deals["amount"] * deals["win_probability"]
    unreadable = _unreadable(fields, activity_cells, deals, ids)
    flags = every_flag(deals, ids, unreadable, config, as_of, words.flag_details, now)
    deals["flags_text"], deals["flag_codes"] = flags_cells(flags, deals.index)
    return Evaluation(
        as_of=as_of,
        deals=_tidy(deals),
        flags=_flag_rows(flags, deals),
        customers=customer_columns(customers, deals) if customers is not None else None,
        new_ids=new_ids,
        memory=remembered.memory,
        transitions=remembered.transitions,
        stage_entries=stage_entries(deals, field_dates, _moves(history, remembered.transitions),
                                    config, as_of),
        counts={"opportunities": len(deals),
                "customers": 0 if customers is None else len(customers.table.frame),
                "activities": 0 if activities is None else len(activities.table.frame)},
        problems=_problems(activity_cells, ids, lang),
        joins=check_joins(opportunities, customers, config, fields, points),
    )

DEAL_COLUMNS = ["id", "title", "owner", "customer_id", "source", "lost_reason", "next_step",
                "stage", "stage_index", "kind", "amount", "created", "created_at", "expected_close",
                "closed_on", "last_activity", "has_activity", "stage_entered", "days_in_stage",
                "proven_index", "score", "score_raw", "grade", "win_probability",
                "weighted_amount", "flag_codes", "flags_text"]

def _tidy(deals: pd.DataFrame) -> pd.DataFrame:
    """The Evaluation's columns. Text columns already hold None (never NaN) where there is
    nothing: parse_texts, _staged, grade and flags_cells make them so (scanning 100,000 cells
    per column again would cost more than the rest of this step)."""
    return pd.DataFrame({c: deals[c] for c in DEAL_COLUMNS}, index=deals.index)


def _typed(opportunities: RoleTable, fields: Fields, config: Config
           ) -> tuple[pd.DataFrame, dict[int, str]]:
    """The person-typed columns read by role, the stage matched to the Stages tab."""
    index = opportunities.table.frame.index
    deals = pd.DataFrame(index=index)
    for role in TEXT_ROLES:
        values = fields.role(role, "text")
        deals[role] = values if values is not None else pd.Series([None] * len(index), index=index,
                                                                   dtype=object)
    new_ids: dict[int, str] = {}
    if config.settings.assign_ids and "id" in opportunities.roles:
        new_ids = assign_ids(deals["id"])
        deals["id"] = deals["id"].fillna(pd.Series(new_ids, dtype=object))
    deals["amount"] = _or_empty(fields.role("amount", "number"), index, np.nan)
    for role in DATE_ROLES:
        deals[role] = _or_empty(fields.role(role, "date"), index, pd.NaT).astype(NO_DATES)
    deals["created_at"] = _or_empty(fields.role("created", "moment"), index,
                                    pd.NaT).astype(NO_DATES)
    return _staged(deals, fields, config), new_ids

def _or_empty(values: pd.Series | None, index: pd.Index, blank: object) -> pd.Series:
    return values if values is not None else pd.Series(blank, index=index)

def _staged(deals: pd.DataFrame, fields: Fields, config: Config) -> pd.DataFrame:
    """stage (configured name), stage_index, kind, is_open, is_closed (won or lost),
    win_probability and per-stage thresholds:
    the stage matched once per distinct Stage cell, the rest looked up by stage index."""
    settings = config.settings
    position = {normalise_name(s.name): i for i, s in enumerate(config.stages)}
    header = fields.opportunities.roles.get("stage")
    stage_index = pd.Series(-1, index=deals.index, dtype="int64") if header is None else \
        fields.per_text(fields.opportunities, header,
                        lambda text: normalised(text).map(position).fillna(-1).astype("int64"))
    at = stage_index.to_numpy()
    known = at >= 0
    stages = config.stages
    deals["stage_index"] = stage_index
    deals["stage"] = pd.Series(np.where(known, _by_stage([s.name for s in stages], at, None),
                                        deals["stage"].to_numpy(dtype=object)),
                               index=deals.index, dtype=object)
    deals["kind"] = pd.Series(_by_stage([s.kind for s in stages], at, None), index=deals.index,
                              dtype=object)
    deals["win_probability"] = _by_stage(
        [{"won": 1.0, "lost": 0.0}.get(s.kind, s.probability) for s in stages], at, np.nan)
    deals["follow_up_days"] = _by_stage(
        [settings.follow_up_days if s.follow_up_days is None else s.follow_up_days
         for s in stages], at, np.nan)
    deals["stall_days"] = _by_stage(
        [settings.stall_days if s.stall_days is None else s.stall_days for s in stages], at,
        np.nan)
    deals["is_open"] = _by_stage([s.kind == "open" for s in stages], at, False)
    deals["is_closed"] = _by_stage([s.kind in ("won", "lost") for s in stages], at, False)
    return deals


def _by_stage(values: list[Any], at: np.ndarray, blank: object) -> np.ndarray:
    """Each row's value of its stage (``at``: stage index; -1, unknown: ``blank``)."""
    return np.array([*values, blank], dtype=object if blank is None else None)[at]


def _with_activity(deals: pd.DataFrame, logged: pd.DataFrame) -> pd.DataFrame:
    """Last activity: the latest of the Last Activity cell and the Activities tab."""
    typed = deals["last_activity"].to_numpy(NO_DATES).view("int64")
    tab = logged["last_date"].to_numpy(NO_DATES).view("int64")
    deals["last_activity"] = np.maximum(typed, tab).view(NO_DATES)
    deals["has_activity"] = deals["last_activity"].notna() | logged["logged"]
    deals["negative"] = logged["negative"]
    deals["negative_date"] = logged["negative_date"]
    return deals

def _stage_dates(deals: pd.DataFrame, fields: Fields, config: Config
                 ) -> tuple[pd.DataFrame, pd.Series]:
    """Filled Entered Date Fields: by stage index, and the current stage's per row."""
    field_dates = pd.DataFrame(index=deals.index)
    current = pd.Series(pd.NaT, index=deals.index, dtype=NO_DATES)
    for i, stage in enumerate(config.stages):
        if not stage.entered_date_field:
            continue
        dates = fields.date(stage.entered_date_field)
        if dates is None:  # the Config check tells it, at its cell
            continue
        field_dates[i] = dates
        current = current.where(deals["stage_index"] != i, dates)
    return field_dates, current

def _moves(history: pd.DataFrame | None, transitions: pd.DataFrame) -> pd.DataFrame:
    """Stage changes History recorded and those this run sees: id, to_stage, at."""
    columns = ["id", "to_stage", "at"]
    recorded = [] if history is None or history.empty else [history[columns]]
    return pd.concat([*recorded, transitions[columns]], ignore_index=True)


def _unreadable(fields: Fields, activity_cells: pd.DataFrame, deals: pd.DataFrame,
                ids: DealIds) -> pd.DataFrame:
    """Unreadable cells of Opportunities, Customers and Activities, by Opportunities row (an
    Activities cell on every row holding its ID, a blank one on every row without one)."""
    cells = activity_cells.assign(code=ids.lookup(activity_cells["id"]))
    holding = np.isin(ids.codes, cells["code"].to_numpy())
    rows = pd.DataFrame({"row": deals.index[holding], "code": ids.codes[holding]})
    from_activities = rows.merge(cells, on="code")[["row", "where", "detail"]]
    return pd.concat([fields.unreadable_cells(), from_activities], ignore_index=True)

def _flag_rows(flags: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """One row per flag with what the Attention tab shows (spec §3.4): deals not won or lost
    first (an unknown stage counts as open), by severity, weighted amount (largest first),
    owner; then won and lost deals' flags, grouped by flag, by amount (a lost deal weighs 0)."""
    severity = flags["severity"].to_numpy()
    rows = flags["row"].to_numpy()
    at = row_positions(deals.index, rows)
    closed = deals["is_closed"].to_numpy()[at]
    owners, _ = pd.factorize(deals["owner"].to_numpy(dtype=object)[at], sort=True,
                             use_na_sentinel=True)
    by_owner = np.where(owners < 0, owners.max(initial=0) + 1, owners)  # blank owners last
    worth = np.where(closed, deals["amount"].to_numpy(dtype=float)[at],
                     deals["weighted_amount"].to_numpy(dtype=float)[at])
    largest_first = np.where(np.isnan(worth), np.inf, -worth)  # blank amounts last
    order = np.lexsort((rows, by_owner, largest_first, severity, closed))
    at = at[order]
    columns = {
        "row": rows[order],
        **{c: deals[c].to_numpy(dtype=object)[at]
           for c in ("id", "title", "owner", "stage", "grade", "next_step")},
        **{c: deals[c].to_numpy(dtype=float)[at]
           for c in ("amount", "score", "score_raw", "weighted_amount")},
        "code": flags["code"].to_numpy(dtype=object)[order],
        "detail": flags["detail"].to_numpy(dtype=object)[order],
        "since": as_dates(flags["since"].iloc[order]),
        "severity": severity[order],
        "closed": closed[order],
    }
    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, copy=False)

def _problems(activity_cells: pd.DataFrame, ids: DealIds, lang: str) -> tuple[Problem, ...]:
    """Unreadable Activities dates of unknown deals (said in ``lang``): a deal's own are its
    INVALID_VALUE flag; these have no deal to carry them (a blank ID belongs to the deals
    without one, if any). (A Field naming no column is the Config check's problem, told at its
    cell.)"""
    known = ids.lookup(activity_cells["id"]) >= 0
    if (ids.codes < 0).any():
        known |= activity_cells["id"].isna().to_numpy()
    orphans = activity_cells[~known]
    return tuple(dict.fromkeys(
        Problem(w, say(lang, "activity.date", reason=d.split(": ", 1)[-1]), "warning")
        for w, d in zip(orphans["where"], orphans["detail"], strict=True)))
