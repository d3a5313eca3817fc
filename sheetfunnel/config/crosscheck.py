"""Config against the workbook's headers: every Field names a column, every ``column.<role>``
mapping names a header. Uses the same lookup as the engine (``schema.field_column``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sheetfunnel import schema
from sheetfunnel.config.sections import ConfigSection, setting_places
from sheetfunnel.config.vocabulary import COLUMN_ROLES, closest, shown
from sheetfunnel.errors import Problem
from sheetfunnel.grid import normalise_name


def names_column(name: str, headers: Mapping[str, Sequence[str]],
                 columns: Mapping[str, str]) -> bool:
    """Whether a Field names a column of one of the tabs (tab role -> headers), as the engine
    will find it: a header, or a role whose column is present."""
    return any(schema.field_column(name, present, schema.bind_roles(tab_role, present, columns))
               is not None for tab_role, present in headers.items())


def check_fields(sections: Mapping[str, ConfigSection], headers: Mapping[str, Sequence[str]],
                 columns: Mapping[str, str]) -> list[Problem]:
    """Every Field (and Entered Date Field) must name a column of Opportunities or Customers."""
    found: list[Problem] = []
    present = [h for hs in headers.values() for h in hs]
    for role, column in (("stages", "entered_date_field"), ("scoring", "field"),
                         ("criteria", "field")):
        section = sections.get(role)
        if section is None:
            continue
        for index, row in enumerate(section.rows):
            name = shown(row.get(column))
            if not name or names_column(name, headers, columns):
                continue
            near = closest([name], present)
            hint = f" (the closest is {near})" if near else ""
            if section.builtin:
                found.append(Problem(section.where(index, column), f'The default '
                                     f'{section.name} use the column "{name}", which is not in '
                                     "the Opportunities or Customers tab, so it counts as blank. "
                                     f"Add the column, or a {schema.english_name(role)} tab of "
                                     "your own.", "warning"))
            else:
                found.append(Problem(section.where(index, column), f'There is no column "{name}" '
                                     f"in the Opportunities or Customers tab{hint}. Add that "
                                     "column or fix the name."))
    return found


def check_columns(section: ConfigSection | None, headers: Mapping[str, Sequence[str]],
                  columns: Mapping[str, str]) -> list[Problem]:
    """A ``column.<role>`` header that no tab holds is a warning at its Settings cell."""
    found: list[Problem] = []
    places = setting_places(section)
    for role, header in columns.items():
        tabs = [t for t in headers if role in schema.COLUMNS.get(t, {})]
        if not tabs or any(normalise_name(header) in {normalise_name(h) for h in headers[t]}
                           for t in tabs):
            continue
        near = closest([header], [h for t in tabs for h in headers[t]])
        hint = f" (the closest is {near})" if near else ""
        where = places.get(f"column.{role}") or next(
            (w for k, w in places.items() if k.startswith("column.")
             and COLUMN_ROLES.get(normalise_name(k[7:])) == role), "Settings")
        found.append(Problem(where, f'No {" or ".join(t.capitalize() for t in tabs)} header is '
                             f'called "{header}"{hint}, so this column mapping is not used. Fix '
                             "the name.", "warning"))
    return found

