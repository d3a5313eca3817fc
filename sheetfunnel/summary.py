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

    @property
    def win_rate(self) -> float | None:
        return self.kpis["win_rate"]


def summarize(evaluation: Evaluation, config: Config, header: RunHeader) -> Summary:
    deals = evaluation.deals
    return Summary(
        header=header,
        kpis=breakdowns.kpis(deals, evaluation.as_of),
        funnel=_funnel(evaluation, config),
        forecast=forecast(deals),
        owners=breakdowns.owners(deals),
        sources=breakdowns.sources(deals),
        lost_reasons=breakdowns.lost_reasons(deals),
        flag_counts=breakdowns.flag_counts(evaluation.flags),
        flag_totals=breakdowns.flag_totals(evaluation.flags),
    )


def _funnel(evaluation: Evaluation, config: Config) -> pd.DataFrame:
    """The funnel with the days deals spent in each stage before they moved on."""
    stays = time_in_stage(evaluation.stage_entries, config)
    return funnel(evaluation.deals, config).assign(
        days_in_stage_mean=stays["mean"],
        days_in_stage_median=stays["median"])
