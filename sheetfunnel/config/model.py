"""What a Config is: the immutable dataclasses the engine, the Summary and the renderers read.

No parsing here (see ``parse``): every module that only uses a Config imports this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sheetfunnel.grid import normalise_name

StageKind = Literal["open", "won", "lost"]
MatchKind = Literal["eq", "in", "gt", "ge", "lt", "le", "range", "any", "value"]
CheckKind = Literal["filled", "eq", "ne", "gt", "ge", "lt", "le", "in", "not_in",
                    "on_or_before_today"]


@dataclass(frozen=True)
class Stage:
    name: str
    probability: float  # 0..1
    kind: StageKind
    stall_days: int | None = None  # None: Settings.stall_days
    follow_up_days: int | None = None  # None: Settings.follow_up_days
    entered_date_field: str | None = None  # a column header


@dataclass(frozen=True)
class Match:
    """One Match cell, parsed. Text comparisons are normalised (case/space/full-width)."""

    kind: MatchKind
    text: str | None = None  # eq
    options: tuple[str, ...] = ()  # in
    number: float | None = None  # gt ge lt le
    low: float | None = None  # range, inclusive
    high: float | None = None


@dataclass(frozen=True)
class Rule:
    match: Match
    points: float  # for kind "value": the cap (max points) of the dimension


@dataclass(frozen=True)
class Dimension:
    name: str
    field: str  # a column header of Opportunities or Customers
    weight: float
    rules: tuple[Rule, ...]

    @property
    def max_points(self) -> float:
        return max((r.points for r in self.rules), default=0.0)


@dataclass(frozen=True)
class Criterion:
    stage: str
    field: str
    check: CheckKind
    value: str | float | tuple[str, ...] | None  # dates as ISO text (2026-01-31)
    message: str


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    date_order: Literal["ymd", "dmy", "mdy"] = "ymd"
    currency: str = "$"
    money_unit: str = ""  # 万: the Summary shows amounts in ten thousands
    score_scale: Literal["percent", "raw"] = "percent"
    grade_a: float = 80.0
    grade_b: float = 60.0
    grade_c: float = 40.0
    follow_up_days: int = 7
    stall_days: int = 14
    response_hours: float = 2.0
    criteria_cumulative: bool = True
    assign_ids: bool = True
    #: the win model (#16): its fields (blank: the Scoring fields plus Source, Owner, Industry,
    #: Size), the closed history it needs, what the weighted pipeline uses, the A/B column
    model_fields: tuple[str, ...] = ()
    model_min_won: int = 100
    model_min_lost: int = 100
    win_probability: Literal["stage", "model", "blend"] = "stage"
    blend_weight: float = 0.5
    ab_field: str = ""
    #: the weekly review (#17): weeks start on this weekday (Monday 0), the funnel counts
    #: deals that reached a stage or went through each in order, and which days are worked
    week_start: int = 0
    funnel_mode: Literal["cumulative", "strict"] = "cumulative"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[str, ...] = ()  # ISO dates
    extra_working_days: tuple[str, ...] = ()  # ISO dates: weekend days worked (调休)
    #: column role -> header, from ``column.<role>`` keys
    columns: Mapping[str, str] = field(default_factory=dict)
    #: tab role -> tab name, from ``tab.<role>`` keys
    tabs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    stages: tuple[Stage, ...]
    dimensions: tuple[Dimension, ...]
    criteria: tuple[Criterion, ...]
    settings: Settings

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name`` (normalised comparison), or None."""
        key = normalise_name(name)
        return next((s for s in self.stages if normalise_name(s.name) == key), None)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == "open")

