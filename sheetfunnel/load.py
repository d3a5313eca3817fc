"""A workbook's tabs -> the Config to use and the input tables with their roles resolved.

Pure: the run hands in the grids it read. Precedence for each Config section: a ``--config``
TOML section, else the workbook's tab, else ``config/default.toml``. A broken config never
half-applies: the last good one is used (or none, on a first run) and every problem is kept.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from sheetfunnel import schema
from sheetfunnel.config import (
    Config,
    ConfigSection,
    _Collector,
    parse_config,
    parse_settings,
    sections_from_grids,
)
from sheetfunnel.engine.model import RoleTable
from sheetfunnel.errors import MissingColumnError, Problem
from sheetfunnel.grid import Grid, normalise_name, table_from_grid

STATUS_OK = "ok"
STATUS_LAST_GOOD = "broken, using the last good config"
STATUS_NONE = "broken, no good config yet"


@dataclass(frozen=True)
class Loaded:
    config: Config | None
    config_status: str
    problems: tuple[Problem, ...]
    opportunities: RoleTable
    customers: RoleTable | None = None
    activities: RoleTable | None = None
    titles: dict[str, str | None] = field(default_factory=dict)


def find_tab(role: str, present: Mapping[str, Grid], overrides: Mapping[str, str]) -> str | None:
    return schema.resolve(schema.tab_names(role, overrides), present).found


def bind(title: str, grid: Grid, tab_role: str, overrides: Mapping[str, str]) -> RoleTable:
    """A tab with each known column role matched to a header present in it."""
    table = table_from_grid(title, grid)
    roles: dict[str, str] = {}
    taken: set[str] = set()
    for role in schema.COLUMNS[tab_role]:
        names = schema.column_names(tab_role, role, overrides)
        hit = schema.resolve(names, [h for h in table.columns if h not in taken]).found
        if hit is not None:
            roles[role] = hit
            taken.add(hit)
    return RoleTable(table, roles)


def field_header(field_name: str, table: RoleTable) -> str | None:
    """The header a Scoring/Criteria Field names: the header itself, else a role's column."""
    key = normalise_name(field_name)
    for header in table.table.columns:
        if normalise_name(header) == key:
            return header
    for tab_role in ("opportunities", "customers", "activities"):
        for role, names in schema.COLUMNS[tab_role].items():
            if role in table.roles and key in {normalise_name(n) for n in (role, *names)}:
                return table.roles[role]
    return None


def _missing_stage(table: RoleTable, overrides: Mapping[str, str]) -> MissingColumnError:
    names = schema.column_names("opportunities", "stage", overrides)
    found = list(table.table.columns)
    close = difflib.get_close_matches(names[0], found, n=1, cutoff=0.3)
    hint = f" The closest is '{close[0]}'." if close else ""
    return MissingColumnError(
        f"The {table.table.tab} tab has no Stage column (looked for "
        f"{', '.join(repr(n) for n in names[:4])}; headers found: "
        f"{', '.join(found) or 'none'}).{hint} Rename the header to Stage, or add a Settings "
        f"row column.stage = <your header>.")


def load_workbook_model(tabs: Mapping[str, Grid], *, defaults: Mapping[str, ConfigSection],
                        overrides: Mapping[str, ConfigSection] | None = None,
                        last_good: Config | None = None) -> Loaded:
    """Find the tabs, parse the config, bind the input tables."""
    overrides = overrides or {}
    settings_tab = find_tab("settings", tabs, {})
    early = _pick(sections_from_grids({"settings": (settings_tab, tabs[settings_tab])})
                  if settings_tab else {}, defaults, overrides)
    tab_overrides = dict(parse_settings(early.get("settings"), _Collector()).tabs)
    titles = {role: find_tab(role, tabs, tab_overrides) for role in schema.TABS}
    grids = {role: (titles[role], tabs[titles[role]]) for role in schema.CONFIG_TABS
             if titles[role]}
    sections = _pick(sections_from_grids(grids), defaults, overrides)
    settings = parse_settings(sections.get("settings"), _Collector())
    columns = dict(settings.columns)

    opp_title = titles["opportunities"]
    if opp_title is None:
        raise MissingColumnError(
            f"There is no Opportunities tab (tabs found: {', '.join(tabs) or 'none'}). Name the "
            "tab of your deals Opportunities (or 商机), or add a Settings row "
            "tab.opportunities = <its name>.")
    opportunities = bind(opp_title, tabs[opp_title], "opportunities", columns)
    if "stage" not in opportunities.roles:
        raise _missing_stage(opportunities, columns)
    customers = bind(titles["customers"], tabs[titles["customers"]], "customers", columns) \
        if titles["customers"] else None
    activities = bind(titles["activities"], tabs[titles["activities"]], "activities", columns) \
        if titles["activities"] else None

    def exists(name: str) -> bool:
        return field_header(name, opportunities) is not None or (
            customers is not None and field_header(name, customers) is not None)

    result = parse_config(sections, field_exists=exists)
    if result.config is not None:
        config, status = result.config, STATUS_OK
    else:
        config, status = last_good, STATUS_LAST_GOOD if last_good else STATUS_NONE
    return Loaded(config, status, result.problems, opportunities, customers, activities, titles)


def _pick(workbook: Mapping[str, ConfigSection], defaults: Mapping[str, ConfigSection],
          overrides: Mapping[str, ConfigSection]) -> dict[str, ConfigSection]:
    """Per section: the TOML override, else the workbook's tab, else the default."""
    return {role: overrides.get(role) or workbook.get(role) or defaults[role]
            for role in schema.CONFIG_TABS if role in overrides or role in workbook
            or role in defaults}
