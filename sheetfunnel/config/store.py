"""The last good Config kept as JSON inside the workbook, and read back with the same bounds."""

from __future__ import annotations

import json
from dataclasses import asdict

from sheetfunnel.config.model import Config, Criterion, Dimension, Match, Rule, Settings, Stage
from sheetfunnel.config.parse import Collector, check_grades
from sheetfunnel.config.vocabulary import DAYS, POINTS, RESPONSE_HOURS, WEIGHT

#: Settings added after configs were first kept (the win model's, #16).
LATER_KEYS = ("model_fields", "model_min_won", "model_min_lost", "win_probability",
              "blend_weight", "ab_field", "week_start", "funnel_mode", "working_days",
              "holidays", "extra_working_days")


def config_to_json(config: Config) -> str:
    """The config as JSON, to keep the last good one inside the workbook."""
    data = asdict(config)
    data["settings"]["columns"] = dict(config.settings.columns)
    data["settings"]["tabs"] = dict(config.settings.tabs)
    defaults = asdict(Settings())
    for key in LATER_KEYS:  # left out while unset: a workbook not using them keeps its text
        if data["settings"][key] == defaults[key]:
            del data["settings"][key]
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def config_from_json(text: str) -> Config:
    """The inverse of ``config_to_json``; raises ValueError/KeyError/TypeError when damaged."""
    data = json.loads(text)
    stages = tuple(Stage(**s) for s in data["stages"])
    dimensions = tuple(
        Dimension(d["name"], d["field"], d["weight"],
                  tuple(Rule(Match(**{**r["match"], "options": tuple(r["match"]["options"])}),
                             r["points"]) for r in d["rules"]))
        for d in data["dimensions"])
    criteria = tuple(
        Criterion(**{**c, "value": tuple(c["value"]) if isinstance(c["value"], list)
                     else c["value"]}) for c in data["criteria"])
    settings = data["settings"]
    for key in ("model_fields", "working_days", "holidays", "extra_working_days"):
        if key in settings:
            settings[key] = tuple(settings[key])
    config = Config(stages, dimensions, criteria, Settings(**settings))
    if not within_bounds(config):
        raise ValueError("the kept config has a number outside the bounds of the Config tabs")
    return config


def within_bounds(config: Config) -> bool:
    """The bounds parse_config checks, on a Config kept earlier (perhaps by an older version)."""
    settings = config.settings
    days = [settings.follow_up_days, settings.stall_days,
            *(d for s in config.stages for d in (s.stall_days, s.follow_up_days) if d is not None)]
    grades = Collector()
    check_grades(None, settings, config.dimensions, grades)
    return (all(DAYS.holds(d) for d in days) and RESPONSE_HOURS.holds(settings.response_hours)
            and all(0 <= s.probability <= 1 for s in config.stages)
            and all(WEIGHT.holds(d.weight) and all(POINTS.holds(r.points) for r in d.rules)
                    for d in config.dimensions)
            and 0 <= settings.blend_weight <= 1
            and settings.model_min_won >= 0 and settings.model_min_lost >= 0
            and not any(p.severity == "error" for p in grades.problems))
