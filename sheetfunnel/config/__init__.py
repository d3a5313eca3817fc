"""The Config tabs (Stages, Scoring, Criteria, Settings) as one immutable Config.

One job per module: ``model`` (the dataclasses; all the engine needs), ``vocabulary`` (the words
and bounds a cell may hold), ``sections`` (grids and TOML as located rows), ``parse`` (sections to
a Config or every problem), ``crosscheck`` (Fields against the workbook's headers) and ``store``
(the last good Config as JSON). The names below are the ones importers use.
"""

from sheetfunnel.config.model import (
    CheckKind,
    Config,
    Criterion,
    Dimension,
    Match,
    MatchKind,
    Rule,
    Settings,
    Stage,
    StageKind,
)
from sheetfunnel.config.parse import (
    Collector,
    ConfigResult,
    parse_config,
    parse_match,
    parse_settings,
)
from sheetfunnel.config.sections import (
    FILE_SECTION,
    ConfigSection,
    sections_from_grids,
    sections_from_toml,
    setting_places,
)
from sheetfunnel.config.store import config_from_json, config_to_json
from sheetfunnel.config.vocabulary import (
    COLUMN_ROLES,
    TAB_ROLES,
    closest,
    missing_column_sentence,
)

__all__ = [
    "COLUMN_ROLES", "FILE_SECTION", "TAB_ROLES", "CheckKind", "Collector", "Config",
    "ConfigResult", "ConfigSection", "Criterion", "Dimension", "Match", "MatchKind", "Rule",
    "Settings", "Stage", "StageKind", "closest", "config_from_json", "config_to_json",
    "missing_column_sentence", "parse_config", "parse_match", "parse_settings",
    "sections_from_grids", "sections_from_toml", "setting_places",
]
