"""Role tables (a tab with the columns each role names) built from a grid or a data frame, as the
engine receives them from the reader."""

from __future__ import annotations

import pandas as pd

from sheetfunnel import schema
from sheetfunnel.grid import RoleTable, Table, table_from_grid


def role_table_from_grid(tab_role: str, tab: str, grid: list[list[object]]) -> RoleTable:
    """Roles found by their header names, as the reader finds them."""
    table = table_from_grid(tab, grid)
    roles = {}
    for role in schema.COLUMNS[tab_role]:
        found = schema.resolve(schema.column_names(tab_role, role, {}), table.headers).found
        if found:
            roles[role] = found
    return RoleTable(table, roles)


def role_table(tab: str, frame: pd.DataFrame, roles: dict[str, str]) -> RoleTable:
    """``frame`` as sheet rows 2.. with the given ``roles``, cells as objects."""
    frame = frame.set_axis(pd.RangeIndex(2, len(frame) + 2)).astype(object)
    columns = {name: i for i, name in enumerate(frame.columns, start=1)}
    return RoleTable(Table(tab, 1, columns, frame, len(columns)), roles)
