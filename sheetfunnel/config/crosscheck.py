"""Config against the workbook's headers: every Field names a column, every ``column.<role>``
mapping names a header. Uses the same lookup as the engine (``schema.field_column``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sheetfunnel import schema
from sheetfunnel.config.sections import ConfigSection, setting_places
from sheetfunnel.config.vocabulary import (
    COLUMN_ROLES,
    TAB_ROLES,
    closest,
    shown,
    tab_column_role,
)
from sheetfunnel.errors import Problem
from sheetfunnel.grid import normalise_name
from sheetfunnel.words.problems import say


def names_column(name: str, headers: Mapping[str, Sequence[str]],
                 columns: Mapping[str, str]) -> bool:
    """Whether a Field names a column of one of the tabs (tab role -> headers), as the engine
    will find it: a header, or a role whose column is present."""
    return any(schema.field_column(name, present, schema.bind_roles(tab_role, present, columns))
               is not None for tab_role, present in headers.items())


def check_fields(sections: Mapping[str, ConfigSection], headers: Mapping[str, Sequence[str]],
                 columns: Mapping[str, str], lang: str = "en") -> list[Problem]:
    """Every Field (and Entered Date Field) must name a column of Opportunities or Customers;
    the rows of one tab that miss columns are one problem, naming the columns and the cells
    (said in ``lang``)."""
    found: list[Problem] = []
    present = [h for hs in headers.values() for h in hs]
    stages = sections.get("stages")
    known = {normalise_name(shown(row.get("stage"))) for row in stages.rows} if stages else set()
    for role, column in (("stages", "entered_date_field"), ("scoring", "field"),
                         ("criteria", "field")):
        section = sections.get(role)
        if section is None:
            continue
        lacking = [(section.where(index, column), name) for index, row in
                   enumerate(section.rows) if (name := shown(row.get(column)))
                   and not names_column(name, headers, columns)
                   and not (role == "criteria" and section.builtin  # skipped (parse_criteria)
                            and normalise_name(shown(row.get("stage"))) not in known)]
        if len(lacking) == 1:
            found.append(_one_missing(section, role, *lacking[0], present, lang))
        elif lacking:
            found.append(_many_missing(section, role, lacking, lang))
    return found


def _one_missing(section: ConfigSection, role: str, where: str, name: str,
                 present: Sequence[str], lang: str) -> Problem:
    if section.builtin:
        effect = say(lang, "effect_check" if role == "criteria" else "effect_blank")
        return Problem(where, say(lang, "default_column", rules=say(lang, f"default.{role}"),
                                  name=name, effect=effect, tab=schema.display_name(lang, role)),
                       "warning")
    near = closest([name], present)
    hint = say(lang, "closest", name=near) if near else ""
    return Problem(where, say(lang, "no_column", name=name, hint=hint))


def _many_missing(section: ConfigSection, role: str, lacking: Sequence[tuple[str, str]],
                  lang: str) -> Problem:
    """``24 scoring rules name columns this sheet lacks: Industry, Size — they score 0``."""
    names = say(lang, "list_sep").join(dict.fromkeys(name for _, name in lacking))
    if section.builtin:
        return Problem(section.origin, say(
            lang, "default_columns", count=len(lacking), rules=say(lang, f"rules.{role}"),
            names=names, effect=say(lang, f"effect.{role}"),
            tab=schema.display_name(lang, role)), "warning")
    cells = _cells([where for where, _ in lacking], lang)
    return Problem(lacking[0][0], say(lang, "no_columns", count=len(lacking),
                                      rules=say(lang, f"rules.{role}"), names=names,
                                      cells=cells))


def _cells(places: Sequence[str], lang: str, shown_at_most: int = 6) -> str:
    """``Scoring!B2, B5, B9`` (the tab said once when all share it) and how many more."""
    tabs = {p.rpartition("!")[0] for p in places}
    short = [p.rpartition("!")[2] for p in places] if len(tabs) == 1 and "" not in tabs \
        else list(places)
    text = ", ".join(short[:shown_at_most])
    if len(tabs) == 1 and "" not in tabs:
        text = f"{tabs.pop()}!{text}"
    more = len(places) - shown_at_most
    return say(lang, "and_more", cells=text, more=more) if more > 0 else text


def check_columns(section: ConfigSection | None, headers: Mapping[str, Sequence[str]],
                  columns: Mapping[str, str], lang: str = "en") -> list[Problem]:
    """A ``column.<role>`` (or ``column.<tab>.<role>``) header that no tab holds is a warning
    at its Settings cell."""
    found: list[Problem] = []
    places = setting_places(section)
    for key, header in columns.items():
        tab, _, role = key.rpartition(".")
        tabs = [tab] if tab else [t for t in headers if role in schema.COLUMNS.get(t, {})]
        tabs = [t for t in tabs if t in headers]
        if not tabs or any(normalise_name(header) in {normalise_name(h) for h in headers[t]}
                           for t in tabs):
            continue
        near = closest([header], [h for t in tabs for h in headers[t]])
        hint = say(lang, "closest", name=near) if near else ""
        named = [t.capitalize() if lang == "en" else schema.chinese_name(t) for t in tabs]
        found.append(Problem(_mapping_place(key, places), say(
            lang, "mapping_unused", tabs=say(lang, "or_sep").join(named), header=header,
            hint=hint), "warning"))
    return found


def _mapping_place(key: str, places: Mapping[str, str]) -> str:
    """The Settings cell of ``column.<key>``, whichever of the role's names its key uses."""
    tab, _, role = key.rpartition(".")
    for name, where in places.items():
        if not name.startswith("column."):
            continue
        typed_tab, _, typed_role = name[7:].rpartition(".")
        typed_in = TAB_ROLES.get(normalise_name(typed_tab)) if typed_tab else ""
        if typed_in != tab:
            continue
        if (tab_column_role(tab, typed_role) if tab in schema.INPUT_TABS
                else COLUMN_ROLES.get(normalise_name(typed_role))) == role:
            return where
    return "Settings"
