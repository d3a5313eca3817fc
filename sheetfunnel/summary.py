"""One computation behind the Summary tab and the JSON report, so they can never disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from sheetfunnel.config import Config
from sheetfunnel.engine import breakdowns
from sheetfunnel.engine.forecast import forecast
from sheetfunnel.engine.funnel import funnel
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.engine.review import strict_funnel
from sheetfunnel.engine.velocity import time_in_stage
from sheetfunnel.errors import Problem


@dataclass(frozen=True)
class RunHeader:
    """What the Summary says about the run itself: no clock time, no duration."""

    as_of: dt.date
    rows: dict[str, int]
    config_status: str
    problems: tuple[Problem, ...] = ()
    last_changed: dt.date | None = None


@dataclass(frozen=True)
class Summary:
    header: RunHeader
    kpis: dict[str, float | int | None]
    funnel: pd.DataFrame
    forecast: pd.DataFrame
    owners: pd.DataFrame
    sources: pd.DataFrame
    lost_reasons: pd.DataFrame
    flag_counts: pd.DataFrame
    flag_totals: dict[str, int] = field(default_factory=dict)
    #: with Settings funnel_mode = strict: the funnel the Summary shows (``funnel`` with the
    #: strict view's reached counts and conversions) and the deals it leaves out, path unknown
    strict_funnel: pd.DataFrame | None = None
    path_unknown: int | None = None

    @property
    def win_rate(self) -> float | None:
        return self.kpis["win_rate"]


def summarize(evaluation: Evaluation, config: Config, header: RunHeader,
              finished: pd.DataFrame | None = None) -> Summary:
    """``finished``: the stage entries' ``stays`` when the caller has them already."""
    deals = evaluation.deals
    stages = _funnel(evaluation, config, finished)
    strict, unknown = _strict(stages, evaluation, config) \
        if config.settings.funnel_mode == "strict" else (None, None)
    return Summary(
        header=header,
        kpis=breakdowns.kpis(deals, evaluation.as_of),
        funnel=stages,
        forecast=forecast(deals),
        owners=breakdowns.owners(deals),
        sources=breakdowns.sources(deals),
        lost_reasons=breakdowns.lost_reasons(deals),
        flag_counts=breakdowns.flag_counts(evaluation.flags),
        flag_totals=breakdowns.flag_totals(evaluation.flags),
        strict_funnel=strict, path_unknown=unknown,
    )


def _funnel(evaluation: Evaluation, config: Config, finished: pd.DataFrame | None
            ) -> pd.DataFrame:
    """The funnel with the days deals spent in each stage before they moved on."""
    stays = time_in_stage(evaluation.stage_entries, config, finished=finished)
    return funnel(evaluation.deals, config).assign(
        days_in_stage_mean=stays["mean"],
        days_in_stage_median=stays["median"])


def _strict(stages: pd.DataFrame, evaluation: Evaluation, config: Config
            ) -> tuple[pd.DataFrame, int]:
    """The funnel's reached counts and conversions as the strict view has them (deals that
    went through each stage in order; lost stages as they are), and the deals left out."""
    strict = strict_funnel(evaluation.deals, evaluation.stage_entries, config)
    reached = dict(zip(strict.stages, strict.reached, strict=True))
    stages = stages.copy()
    first = strict.reached[0] if strict.reached else 0
    previous: int | None = None
    for row, stage in stages["stage"].items():
        if stage not in reached:
            continue
        count = reached[stage]
        stages.at[row, "reached"] = count
        stages.at[row, "conversion_from_previous"] = 1.0 if previous is None else \
            breakdowns.rate(count, previous)
        stages.at[row, "conversion_from_first"] = breakdowns.rate(count, first)
        previous = count
    return stages, strict.path_unknown
