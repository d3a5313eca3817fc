"""Which tab each of the worker's own roles writes, and the guard that it is the worker's.

The worker rewrites its own tabs (Summary, Attention, History, the hidden ``_sheetfunnel``)
whole. A Settings row ``tab.summary = Opportunities``, or a team's own tab that happens to be
called Summary, would turn that into erasing people's work. So the tab of an owned role is the
worker's only when ``_sheetfunnel`` records it (by its stable id, which survives renames and
moves) or it holds no values; a tab that serves a people or config role never is. Anything else
stops the run before it writes a cell, with a FatalConfigError naming the Settings cell.

A workbook the worker ran on before it kept these records adopts its tabs by their current
names once. Pure: the run hands in what it read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sheetfunnel import schema
from sheetfunnel.errors import FatalConfigError
from sheetfunnel.grid import Grid, is_blank, normalise_name
from sheetfunnel.tabs.state import STATE_TAB, TabRecord
from sheetfunnel.workbook.base import new_tab_id


@dataclass(frozen=True)
class TabSetting:
    """A Settings ``tab.<role>`` row: the name it gives and the cell it is in."""

    name: str
    where: str


@dataclass(frozen=True)
class OwnedTab:
    """The tab an owned role writes: its title, its id, and whether it exists yet."""

    title: str
    tab_id: str
    exists: bool

    @property
    def record(self) -> TabRecord:
        return TabRecord(self.tab_id, self.title)


@dataclass(frozen=True)
class _Found:
    title: str
    exists: bool
    setting: TabSetting | None  # the Settings row that chose the tab
    record: TabRecord | None = None  # the record that found it


def place_owned_tabs(*, titles: Sequence[str], grids: Mapping[str, Grid],
                     ids: Mapping[str, str], roles: Mapping[str, str | None],
                     settings: Mapping[str, TabSetting], records: Mapping[str, TabRecord],
                     ran_before: bool, lang: str) -> dict[str, OwnedTab]:
    """Owned role -> its tab. ``roles`` are the tabs found for every other role (people and
    config); ``ran_before`` says a run finished here before (the state has its fingerprint).

    Raises FatalConfigError when a tab is not the worker's to write.
    """
    migrating = ran_before and not records
    served = {title: role for role, title in roles.items()
              if title and role not in schema.OWNED_TABS}
    recorded = {record.tab_id for record in records.values()}
    unmarked = bool(records) and not recorded & set(ids.values())
    taken = set(ids.values()) | recorded
    placed: dict[str, OwnedTab] = {}
    claimed: dict[str, tuple[str, _Found]] = {}  # title -> the owned role writing it
    for role in schema.OWNED_TABS:
        found = _find(role, titles, ids, settings.get(role), records.get(role), unmarked,
                      lang)
        if found.exists:
            _check(role, found, grids, ids, served, settings, recorded, migrating, titles, lang)
        if found.title in claimed:
            raise _shared((role, found), claimed[found.title], titles, lang)
        claimed[found.title] = (role, found)
        tab_id = ids.get(found.title) if found.exists else None
        if tab_id is None and found.record is not None:
            tab_id = found.record.tab_id  # a tab that lost its mark gets it back
        if tab_id is None:
            tab_id = new_tab_id(found.title, taken)
            taken.add(tab_id)
        placed[role] = OwnedTab(found.title, tab_id, found.exists)
    return placed


def _find(role: str, titles: Sequence[str], ids: Mapping[str, str],
          setting: TabSetting | None, record: TabRecord | None, unmarked: bool,
          lang: str) -> _Found:
    """A Settings name first (made when missing), then the recorded tab, then the role's
    names, else the name ``init`` would give it.

    ``unmarked``: no tab carries any recorded id, ``_sheetfunnel`` included. Only a program
    that dropped the .xlsx marks does that (a person deleting the worker's tabs leaves the
    state tab's); the recorded titles then find the tabs.
    """
    if role == "state":
        if setting is not None and normalise_name(setting.name) != normalise_name(STATE_TAB):
            raise FatalConfigError(
                f"{setting.where}: tab.state = {setting.name}: sheetfunnel keeps its memory in "
                f"the hidden tab {STATE_TAB}, which cannot be moved. {_UNTIL} Delete the row.",
                setting.where)
        return _Found(STATE_TAB, STATE_TAB in titles, None, record)
    if setting is not None:
        title = _named(setting.name, titles)
        return _Found(title or setting.name, title is not None, setting)
    if record is not None:
        holders = [t for t in titles if ids.get(t) == record.tab_id]
        if unmarked and not holders:
            holders = list(titles)
        if len(holders) > 1:  # marks lost, or a person's copy of the tab kept the mark
            holders = [t for t in holders if t == record.title]
        if len(holders) == 1:
            return _Found(holders[0], True, None, record)
    title = schema.resolve(schema.TABS[role], titles).found
    return _Found(title or schema.display_name(lang, role), title is not None, None)


def _named(name: str, titles: Sequence[str]) -> str | None:
    key = normalise_name(name)
    return next((t for t in titles if normalise_name(t) == key), None)


def _check(role: str, found: _Found, grids: Mapping[str, Grid], ids: Mapping[str, str],
           served: Mapping[str, str], settings: Mapping[str, TabSetting], recorded: set[str],
           migrating: bool, titles: Sequence[str], lang: str) -> None:
    title = found.title
    if title in served:
        raise _serves(role, found, served[title], settings, titles, lang)
    ours = found.record is not None or ids.get(title) in recorded or role == "state" \
        or migrating or not _has_values(grids.get(title))
    if not ours:
        raise _not_ours(role, found, titles, lang)


def _has_values(grid: Grid | None) -> bool:
    """A tab not read counts as holding values: only a tab seen empty is adopted."""
    return grid is None or any(not is_blank(v) for row in grid for v in row)


# -- the sentences -------------------------------------------------------------------------

_UNTIL = "sheetfunnel writes nothing, in any tab, until this is fixed."


def _free_name(role: str, titles: Sequence[str], lang: str) -> str:
    """A name no tab has yet, to suggest for the role's own tab."""
    used = {normalise_name(t) for t in titles}
    base = f"{schema.display_name(lang, role)} (sheetfunnel)"
    name, number = base, 2
    while normalise_name(name) in used:
        name, number = f"{base[:-1]} {number})", number + 1
    return name


def _role_tab(role: str) -> str:
    return f"the {schema.english_name(role)} tab"


def _serves(role: str, found: _Found, other: str, settings: Mapping[str, TabSetting],
            titles: Sequence[str], lang: str) -> FatalConfigError:
    """The tab of an owned role is a people or config tab."""
    free = _free_name(role, titles, lang)
    if found.setting is not None:
        where = found.setting.where
        return FatalConfigError(
            f"{where}: tab.{role} = {found.setting.name} would make sheetfunnel rewrite the tab "
            f'"{found.title}" whole, and that tab is your {schema.english_name(other)} tab. '
            f"{_UNTIL} Give {_role_tab(role)} a name of its own (for example "
            f"tab.{role} = {free}), or delete the row.", where)
    text = f'The tab "{found.title}" is your {schema.english_name(other)} tab'
    rest = f", and sheetfunnel would rewrite it whole as {_role_tab(role)}. {_UNTIL}"
    cause = settings.get(other)
    if cause is None:
        return FatalConfigError(f'{text}{rest} Rename the tab "{found.title}", or add the '
                                f"Settings row tab.{role} = {free}.")
    return FatalConfigError(
        f"{cause.where}: {text} (tab.{other} = {cause.name}){rest} Point tab.{other} at the "
        f"tab that holds your {other}, or delete the row.", cause.where)


def _not_ours(role: str, found: _Found, titles: Sequence[str], lang: str) -> FatalConfigError:
    """The tab holds values the worker did not write."""
    free = _free_name(role, titles, lang)
    if found.setting is not None:
        where = found.setting.where
        return FatalConfigError(
            f"{where}: tab.{role} = {found.setting.name} names the tab \"{found.title}\", which "
            f"holds cells sheetfunnel did not write; {_role_tab(role)} is rewritten whole on "
            f"every run. {_UNTIL} Name a tab that does not exist yet (for example "
            f"tab.{role} = {free}), or delete the row.", where)
    return FatalConfigError(
        f'The tab "{found.title}" holds cells sheetfunnel did not write, and sheetfunnel would '
        f"rewrite it whole as {_role_tab(role)}. {_UNTIL} Add the Settings row "
        f"tab.{role} = {free} so that sheetfunnel makes a tab of its own, or rename your tab.")


def _shared(one: tuple[str, _Found], other: tuple[str, _Found], titles: Sequence[str],
            lang: str) -> FatalConfigError:
    """Two owned roles would write one tab; the one a Settings row moved there is named."""
    (role, found), (second, _) = (one, other) if one[1].setting is not None else (other, one)
    free = _free_name(role, titles, lang)
    where = found.setting.where if found.setting is not None else None
    return FatalConfigError(
        f'{where + ": " if where else ""}sheetfunnel would write both {_role_tab(second)} and '
        f'{_role_tab(role)} into the tab "{found.title}". {_UNTIL} Give each its own tab (for '
        f"example tab.{role} = {free}), or delete the row.", where)
