"""What the engine hands to the Summary, the report and the renderers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from sheetfunnel.errors import Problem
from sheetfunnel.words.problems import PROBLEMS, say


@dataclass(frozen=True)
class JoinCheck:
    """How the deals found their customers, and the Scoring dimensions that came out empty."""

    deals: int  # Opportunities rows
    naming: int  # deals whose customer cell is filled
    linked: int  # of those, deals whose customer is a row of the Customers tab
    missing: tuple[str, ...]  # a few customers named that the Customers tab lacks
    unjoined: tuple[str, ...]  # dimensions reading a Customers field when no deal is joined
    zero: tuple[tuple[str, bool], ...]  # other dimensions giving every deal 0 (blank column?)

    def sentence(self, lang: str = "en") -> str:
        """The count ``check`` and ``run`` print, with a few customers not found, in the
        workbook's language."""
        if not self.naming:
            return say(lang, "join.none_named")
        lacking = say(lang, "join.not_there", names=quoted(self.missing, lang)) \
            if self.missing else ""
        return say(lang, "join.count", linked=self.linked, naming=self.naming, lacking=lacking)


def quoted(names: tuple[str, ...], lang: str = "en") -> str:
    """``“Acme”, “Lumen”``: names a person typed, quoted in a sentence."""
    return PROBLEMS[lang]["list_sep"].join(f"“{name}”" for name in names)


@dataclass(frozen=True)
class StageMemory:
    """What the worker remembers between runs, one row per opportunity ID.

    ``entries`` is indexed by ID (str) with columns ``stage`` (str, as configured),
    ``entered`` (datetime.date: when it entered that stage by a stage change the worker saw or
    History recorded; None when only the sheet's own dates, or nothing, date it) and
    ``first_seen`` (datetime.date: first run that saw the ID).
    """

    entries: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"stage": pd.Series([], dtype=object), "entered": pd.Series([], dtype=object),
             "first_seen": pd.Series([], dtype=object)},
            index=pd.Index([], dtype=object, name="id"),
        )
    )


@dataclass(frozen=True)
class Evaluation:
    """Every opportunity judged as of one day.

    ``deals`` is indexed by the Opportunities sheet row (int) and has these columns:
      id (str; assigned IDs included), title, owner, customer_id, source, lost_reason,
      next_step (str or None),
      stage (str: the configured stage name, or the text typed when unknown),
      stage_index (int: position in Config.stages, -1 when unknown),
      kind ("open" / "won" / "lost", None when unknown),
      amount (float, NaN when blank or unreadable),
      created, expected_close, closed_on, last_activity, stage_entered (datetime64[ns], NaT when
        unknown), created_at (datetime64[ns]: Created with its time of day, 00:00 when it has
        none), has_activity (bool: a Last Activity or an Activities row),
      days_in_stage (float, NaN when unknown),
      proven_index (int: furthest stage index proven reached by an Entered Date Field or History,
                    -1 when none),
      score, score_raw (float), grade (str "A".."D"), win_probability (float 0..1),
      weighted_amount (float), flag_codes (tuple[str, ...]), flags_text (str: the Flags cell).
    ``flags`` has one row per flag: row, id, title, owner, stage, grade, next_step, amount,
      score, score_raw, weighted_amount, code, detail, since (datetime.date or None), severity
      (int, 1 = most severe), closed (the deal is won or lost); in Attention order: open deals
      first, then severity, weighted amount (amount for closed deals; largest first), owner,
      row.
    ``customers`` is indexed by the Customers sheet row: customer_id, tier, won_total,
      open_pipeline; None without a Customers tab.
    ``new_ids`` maps a sheet row whose ID was blank to the ID assigned to it.
    ``transitions`` has columns id, from_stage, to_stage, at (datetime.date), newly seen this run.
    ``stage_entries`` has one row per deal (sheet row) and stage it is known to have entered:
      deal, stage_index, entered (datetime64[ns]) — what engine/velocity.py measures stays from.
    """

    as_of: dt.date
    deals: pd.DataFrame
    flags: pd.DataFrame
    customers: pd.DataFrame | None
    new_ids: dict[int, str]
    memory: StageMemory
    transitions: pd.DataFrame
    counts: dict[str, int]
    problems: tuple[Problem, ...] = ()
    #: how the deals found their customers, and the dimensions that scored nothing
    joins: JoinCheck | None = None
    stage_entries: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"deal": pd.Series([], dtype="int64"), "stage_index": pd.Series([], dtype="int64"),
         "entered": pd.Series([], dtype="datetime64[ns]")}))
