"""A workbook's tabs -> the Config to use and the input tables with their roles resolved.

Pure: the run hands in the grids it read. Precedence for each Config section: a ``--config``
TOML section, else the workbook's tab, else ``config/default.toml``. Settings are read first,
since their ``tab.<role>`` rows say where the other tabs are. A broken config never
half-applies: the last good one is used (or none, on a first run) and every problem is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sheetfunnel import schema
from sheetfunnel.config import (
    FILE_SECTION,
    TAB_ROLES,
    Collector,
    Config,
    ConfigSection,
    Settings,
    closest,
    missing_column_sentence,
    parse_config,
    parse_settings,
    sections_from_grids,
    setting_places,
)
from sheetfunnel.config.vocabulary import shown
from sheetfunnel.engine.joins import join_problems
from sheetfunnel.engine.model import JoinCheck
from sheetfunnel.errors import MissingColumnError, Problem
from sheetfunnel.grid import Grid, RoleTable, normalise_name, table_from_grid
from sheetfunnel.owned_tabs import TabSetting
from sheetfunnel.tabs.state import STATE_TAB, tab_records
from sheetfunnel.words import language_of
from sheetfunnel.words.problems import say

STATUS_OK = "ok"
STATUS_LAST_GOOD = "broken, using last good"
STATUS_NONE = "broken, no good config"


@dataclass(frozen=True)
class WorkbookModel:
    """What a run reads from a workbook: the config to use (None when broken with no last good
    one), its problems, the input tables with their roles, where each tab is, and the language
    the worker writes in (decided once, here)."""

    config: Config | None
    config_status: str
    problems: tuple[Problem, ...]
    opportunities: RoleTable
    customers: RoleTable | None = None
    activities: RoleTable | None = None
    titles: dict[str, str | None] = field(default_factory=dict)
    #: role -> the Settings ``tab.<role>`` row naming its tab, and where that row is
    tab_settings: dict[str, TabSetting] = field(default_factory=dict)
    lang: str = "en"
    #: where each Scoring dimension's rows are, by normalised name (for the join check)
    dimension_places: Mapping[str, str] = field(default_factory=dict)
    #: how the deals found their customers, once judged (``with_joins``)
    joins: JoinCheck | None = None

    @property
    def join_sentence(self) -> str | None:
        """The count of deals that found their customer, when there are deals and a Customers
        tab."""
        joins = self.joins
        return joins.sentence(self.lang) if joins and joins.deals and self.customers is not None \
            else None

    def with_joins(self, joins: JoinCheck) -> WorkbookModel:
        """This model with the join check's count and its problems (each once)."""
        found = join_problems(joins, self.opportunities, self.customers, self.dimension_places,
                              self.lang)
        return dataclasses.replace(self, joins=joins,
                                   problems=tuple(dict.fromkeys((*self.problems, *found))))


def find_tab(role: str, present: Iterable[str], overrides: Mapping[str, str]) -> str | None:
    """The title of the tab serving ``role`` (a ``tab.<role>`` name first, then the aliases)."""
    return schema.resolve(schema.tab_names(role, overrides), present).found


def bind(title: str, grid: Grid, tab_role: str, overrides: Mapping[str, str]) -> RoleTable:
    """A tab with each known column role matched to a header present in it (one role each)."""
    table = table_from_grid(title, grid)
    return RoleTable(table, schema.bind_roles(tab_role, table.headers, overrides))


def tabs_needed(titles: Sequence[str], grids: Mapping[str, Grid],
                ids: Mapping[str, str] | None = None, *,
                defaults: Mapping[str, ConfigSection],
                overrides: Mapping[str, ConfigSection] | None = None) -> set[str]:
    """The tabs a run reads: those serving a role, by name or by a Settings ``tab.<role>`` row,
    and the worker's own tabs by the ids ``_sheetfunnel`` records (both known once Settings and
    the state are read: a backend's second pass). A person's other tabs are never read."""
    _, settings = _early_settings(grids, defaults, overrides or {}, titles)
    named = {title for role in schema.TABS
             if (title := find_tab(role, titles, settings.tabs)) is not None}
    recorded = {record.tab_id for record in tab_records(grids.get(STATE_TAB)).values()}
    ours = {title for title in titles if (ids or {}).get(title) in recorded}
    return named | ours | ({STATE_TAB} & set(titles))


def _early_settings(tabs: Mapping[str, Grid], defaults: Mapping[str, ConfigSection],
                    overrides: Mapping[str, ConfigSection],
                    titles: Iterable[str] | None = None
                    ) -> tuple[dict[str, ConfigSection], Settings]:
    """The Settings section, parsed before the rest: it names the other tabs and columns."""
    settings_tab = find_tab("settings", titles if titles is not None else tabs, {})
    early = _pick(sections_from_grids({"settings": (settings_tab, tabs[settings_tab])})
                  if settings_tab is not None and settings_tab in tabs else {},
                  defaults, overrides)
    return early, parse_settings(early.get("settings"), Collector())


def load_workbook_model(tabs: Mapping[str, Grid], *, defaults: Mapping[str, ConfigSection],
                        overrides: Mapping[str, ConfigSection] | None = None,
                        last_good: Config | None = None,
                        every_title: Sequence[str] | None = None) -> WorkbookModel:
    """Find the tabs, parse the config, bind the input tables. ``every_title`` lists every
    tab, read or not (all of ``tabs`` when not given), for sentences that name what is there.

    Raises MissingColumnError when there is no Opportunities tab or it has no Stage column.
    """
    overrides = overrides or {}
    early, settings = _early_settings(tabs, defaults, overrides)
    titles = {role: find_tab(role, tabs, settings.tabs) for role in schema.TABS}
    found = {role: title for role, title in titles.items() if title is not None}
    grids = {role: (found[role], tabs[found[role]]) for role in schema.CONFIG_TABS
             if role in found}
    lang = language_of(titles["opportunities"] or "Opportunities")
    sections = _pick(sections_from_grids(grids, lang), defaults, overrides)

    names = list(every_title) if every_title is not None else list(tabs)
    opportunities = _opportunities(tabs, names, titles, early.get("settings"), settings)
    customers, activities = (
        bind(found[r], tabs[found[r]], r, settings.columns) if r in found else None
        for r in ("customers", "activities"))
    headers = {"opportunities": opportunities.table.headers}
    if customers is not None:
        headers["customers"] = customers.table.headers
    result = parse_config(sections, headers=headers, lang=lang)
    places = setting_places(early.get("settings"))
    problems = result.problems + _missing_tabs(names, titles, settings, places, lang)
    config = result.config or last_good
    status = STATUS_OK if result.config else STATUS_LAST_GOOD if last_good else STATUS_NONE
    tab_settings = {role: TabSetting(name, _setting_cell(role, places))
                    for role, name in settings.tabs.items()}
    return WorkbookModel(config, status, tuple(dict.fromkeys(problems)), opportunities,
                         customers, activities, titles, tab_settings,
                         lang,
                         _dimension_places(sections.get("scoring")))


def _dimension_places(section: ConfigSection | None) -> dict[str, str]:
    """Where each Scoring dimension's rows are (``Scoring!A2:E4``), by normalised name."""
    if section is None:
        return {}
    rows: dict[str, list[int]] = {}
    for index, cells in enumerate(section.rows):
        name = normalise_name(shown(cells.get("dimension")))
        if name:
            rows.setdefault(name, []).append(index)
    places: dict[str, str] = {}
    for name, indexes in rows.items():
        first = section.where(indexes[0], "dimension")
        end = "points" if "points" in section.places[indexes[-1]] else "match"
        last = section.where(indexes[-1], end)
        tab, bang, cell = last.rpartition("!")
        if bang and first.startswith(f"{tab}!"):
            places[name] = f"{first}:{cell}"  # Scoring!A2:E4
        else:  # a TOML file: its rows
            top, bottom = section.row_places[indexes[0]], section.row_places[indexes[-1]]
            source, _, last_row = bottom.rpartition(": ")
            places[name] = top if top == bottom else f"{top} to {last_row}" \
                if top.startswith(f"{source}: ") else f"{top} to {bottom}"
    return places


def _opportunities(tabs: Mapping[str, Grid], names: list[str],
                   titles: Mapping[str, str | None], section: ConfigSection | None,
                   settings: Settings) -> RoleTable:
    """The Opportunities tab bound to its roles; MissingColumnError without it or its Stage."""
    title = titles["opportunities"]
    if title is None:
        own = settings.tabs.get("opportunities")
        wanted_names = schema.tab_names("opportunities", settings.tabs)
        near = closest(wanted_names, names)
        near_text = f"; the closest is '{near}'" if near else ""
        wanted = f"no tab named {own} (set by tab.opportunities at " \
            f"{setting_places(section).get('tab.opportunities', 'Settings')})" if own else \
            "no Opportunities tab"
        raise MissingColumnError(
            f"There is {wanted} (tabs found: {', '.join(names) or 'none'}{near_text}): name the "
            "tab of your deals Opportunities (or 商机), or add the Settings row "
            "tab.opportunities = <its name>.")
    table = bind(title, tabs[title], "opportunities", settings.columns)
    if "stage" not in table.roles:
        stage_names = schema.column_names("opportunities", "stage", settings.columns)
        lang = language_of(title)
        raise MissingColumnError(missing_column_sentence(
            title, say(lang, "noun.stage"), table.table.headers, stage_names,
            say(lang, "stage_fix"), lang))
    return table


def _missing_tabs(names: list[str], titles: Mapping[str, str | None],
                  settings: Settings, places: Mapping[str, str], lang: str = "en"
                  ) -> tuple[Problem, ...]:
    """A ``tab.<role>`` name that is no tab of the workbook, as a warning at its cell (the
    worker's own tabs are made under the name given)."""
    problems = []
    for role, name in settings.tabs.items():
        if role in schema.OWNED_TABS or \
                normalise_name(name) == normalise_name(titles.get(role) or ""):
            continue
        near = closest([name], names)
        hint = say(lang, "closest", name=near) if near else ""
        problems.append(Problem(_setting_cell(role, places),
                                say(lang, "no_such_tab", name=name, near=hint, role=role),
                                "warning"))
    return tuple(problems)


def _setting_cell(role: str, places: Mapping[str, str]) -> str:
    """Where the ``tab.<role>`` row is, whichever of the role's names its key uses."""
    return places.get(f"tab.{role}") or next(
        (w for k, w in places.items() if k.startswith("tab.")
         and TAB_ROLES.get(normalise_name(k[4:])) == role), "Settings")


def _pick(workbook: Mapping[str, ConfigSection], defaults: Mapping[str, ConfigSection],
          overrides: Mapping[str, ConfigSection]) -> dict[str, ConfigSection]:
    """Per section: the TOML override, else the workbook's tab, else the (builtin) default.

    Problems of a TOML file as a whole (its syntax, unknown sections) travel along.
    """
    picked = {}
    for role in schema.CONFIG_TABS:
        if role in overrides:
            picked[role] = overrides[role]
        elif role in workbook:
            picked[role] = workbook[role]
        elif role in defaults:
            picked[role] = dataclasses.replace(defaults[role], builtin=True)
    if FILE_SECTION in overrides:
        picked[FILE_SECTION] = overrides[FILE_SECTION]
    return picked
