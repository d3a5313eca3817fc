"""Config sections: the rows of a Config tab or a TOML section, each cell with its place.

Adapters only: a workbook grid or a TOML text becomes ``ConfigSection`` values that ``parse``
reads the same way whichever source they came from.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sheetfunnel import schema
from sheetfunnel.config.vocabulary import (
    NEEDED,
    TAB_ROLES,
    missing_column_sentence,
    setting_key,
    shown,
)
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, Grid, a1, normalise_name, quote_tab, table_from_grid
from sheetfunnel.words.problems import say

#: The key under which ``sections_from_toml`` keeps problems of the file as a whole.
FILE_SECTION = "file"

# ----------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class ConfigSection:
    """The rows of one Config tab (or TOML section), each cell with the place it came from.

    ``rows`` map a column role (``weight``) to the cell as typed; ``places`` map the same role to
    where a person finds it (``Scoring!C4`` or ``team.toml: scoring[3].weight``); ``row_places``
    say where a whole row is, for a role the row lacks. ``builtin`` marks the packaged defaults:
    a column they name that the workbook lacks is a warning, not an error, since nobody typed it.
    """

    name: str
    origin: str
    rows: tuple[Mapping[str, Cell], ...]
    places: tuple[Mapping[str, str], ...]
    problems: tuple[Problem, ...] = ()
    row_places: tuple[str, ...] = ()
    builtin: bool = False

    def where(self, index: int, role: str) -> str:
        place = self.places[index].get(role)
        if place:
            return place
        return self.row_places[index] if index < len(self.row_places) else self.origin


def sections_from_grids(tabs: Mapping[str, tuple[str, Grid]],
                        lang: str = "en") -> dict[str, ConfigSection]:
    """Config tabs of a workbook (role -> (tab title, grid)) as sections, located by cell;
    the problems of their header rows said in ``lang``."""
    return {role: _grid_section(role, title, grid, lang) for role, (title, grid) in tabs.items()}


def _grid_section(role: str, title: str, grid: Grid, lang: str) -> ConfigSection:
    table = table_from_grid(title, grid)
    roles: dict[str, str] = {}
    for column_role, aliases in schema.COLUMNS[role].items():
        hit = schema.resolve((column_role, *aliases), table.columns).found
        if hit is not None:
            roles[column_role] = hit
    header = f"{quote_tab(title)}!{table.header_row}:{table.header_row}"
    problems = [Problem(header, say(lang, "two_columns", tab=title, name=name), "warning")
                for name in table.duplicates]
    missing = [r for r in NEEDED[role] if r not in roles]
    for column_role in missing:
        named = schema.display_name(lang, role, column_role)
        other = schema.display_name("en" if lang == "zh" else "zh", role, column_role)
        names = schema.COLUMNS[role][column_role]
        problems.append(Problem(header, missing_column_sentence(
            title, named, table.headers, names, say(lang, "rename_header", name=named,
                                                    other=other), lang)))
    if missing:
        return ConfigSection(role, title, (), (), tuple(problems))
    rows, places, row_places = [], [], []
    for row_number, record in zip(table.frame.index, table.frame.to_dict("records"),
                                  strict=True):
        rows.append({r: record[h] for r, h in roles.items()})
        places.append({r: a1(title, int(row_number), table.columns[h]) for r, h in roles.items()})
        row_places.append(f"{quote_tab(title)}!{row_number}:{row_number}")
    return ConfigSection(role, title, tuple(rows), tuple(places), tuple(problems),
                         tuple(row_places))


def sections_from_toml(text: str, source: str, lang: str = "en") -> dict[str, ConfigSection]:
    """TOML sections ``[[stages]]``, ``[[scoring]]``, ``[[criteria]]``, ``[[settings]]``.

    Keys are the tab's headers (``stall_days`` or ``"Stall Days"``). Settings may also be a
    plain table (``[settings]`` with ``follow_up_days = 5`` or ``column.amount = "Value"``).
    Problems of the file as a whole are kept under ``FILE_SECTION``. The file's own problems
    are said in ``lang`` (the workbook's), or in Chinese when the file names a section in
    Chinese (``[["阶段"]]``).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {FILE_SECTION: _file_section(source, [_syntax_problem(source, exc, lang)])}
    if any(not name.isascii() and normalise_name(name) in TAB_ROLES for name in data):
        lang = "zh"
    sections: dict[str, ConfigSection] = {}
    notes: list[Problem] = []
    for name, value in data.items():
        role = TAB_ROLES.get(normalise_name(name))
        where = f"{source}: {name}"
        if role not in schema.CONFIG_TABS:
            notes.append(Problem(where, say(lang, "toml.section", name=name), "warning"))
            continue
        if role == "settings" and isinstance(value, dict):
            value = [{"key": k, "value": v} for k, v in _flatten(value).items()]
        if not isinstance(value, list):
            notes.append(Problem(where, say(lang, "toml.not_list", name=name, role=role)))
            continue
        sections[role] = _toml_section(role, source, value, lang)
    if notes:
        sections[FILE_SECTION] = _file_section(source, notes)
    return sections


def told_again(problems: Sequence[Problem], said: Mapping[str, ConfigSection],
               again: Mapping[str, ConfigSection]) -> tuple[Problem, ...]:
    """``problems`` with each of a TOML file's own as ``said`` replaced by the same one as
    ``again`` says it: the file read anew in the workbook's language, known only once the
    workbook is read (after the file was needed to read it)."""
    swap = {old: new for role, section in said.items() if role in again
            for old, new in zip(section.problems, again[role].problems, strict=False)}
    return tuple(swap.get(problem, problem) for problem in problems)


def _file_section(source: str, problems: list[Problem]) -> ConfigSection:
    return ConfigSection(FILE_SECTION, source, (), (), tuple(problems))


def _syntax_problem(source: str, exc: tomllib.TOMLDecodeError, lang: str) -> Problem:
    """The parser's reason stays as tomllib says it (English)."""
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).strip() or "bad syntax"
    if found is None:
        return Problem(source, say(lang, "toml.syntax", reason=reason))
    return Problem(say(lang, "toml.line", source=source, line=found[1]),
                   say(lang, "toml.syntax_at", reason=reason, column=found[2]))


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``column.amount = "x"`` is a nested table in TOML; here it is the key ``column.amount``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _toml_section(role: str, source: str, entries: list[Any], lang: str) -> ConfigSection:
    names = {normalise_name(n): column for column, aliases in schema.COLUMNS[role].items()
             for n in (column, *aliases)}
    rows, places, row_places, problems = [], [], [], []
    for index, entry in enumerate(entries, start=1):
        here = f"{source}: {role}[{index}]"
        row_places.append(here)
        row: dict[str, Cell] = {}
        place: dict[str, str] = {}
        if not isinstance(entry, dict):
            problems.append(Problem(here, say(lang, "toml.not_table", role=role)))
        for key, value in (entry.items() if isinstance(entry, dict) else ()):
            column = names.get(normalise_name(key))
            if column is None:
                problems.append(Problem(f"{here}.{key}", say(
                    lang, "toml.key", name=key, role=role,
                    keys=say(lang, "list_sep").join(schema.COLUMNS[role])), "warning"))
                continue
            row[column], place[column] = _toml_cell(value), f"{here}.{key}"
        rows.append(row)
        places.append(place)
    return ConfigSection(role, f"{source}: [[{role}]]", tuple(rows), tuple(places),
                         tuple(problems), tuple(row_places))


def _toml_cell(value: Any) -> Cell:
    """A TOML value as the cell a person would have typed (a list is ``a, b, c``)."""
    if isinstance(value, list):
        return ", ".join(v if isinstance(v, str) else shown(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def setting_places(section: ConfigSection | None) -> dict[str, str]:
    """Where each Settings key's Value is (``tab.customers`` -> ``Settings!B3``)."""
    if section is None:
        return {}
    return {setting_key(shown(row.get("key"))): section.where(index, "value")
            for index, row in enumerate(section.rows) if shown(row.get("key"))}

