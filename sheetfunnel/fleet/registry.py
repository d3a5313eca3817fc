"""The fleet's registry: which workbooks, whose credentials, how often (spec §6).

A TOML file of ``[[workbook]]`` and ``[[account]]`` tables. Parsing is pure: text in, a
Registry or a list of Problems out, each located like ``fleet.toml: workbook[3].every``.
``add``/``remove`` edit the text with tomlkit so an admin's comments stay where they were.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import tomlkit
import tomlkit.exceptions

from sheetfunnel.errors import ConfigError, Problem

DEFAULT_REGISTRY = "fleet.toml"
WORKBOOK_KEYS = ("name", "sheet", "path", "credentials", "account", "every", "at", "timezone",
                 "notify", "enabled")
ACCOUNT_KEYS = ("name", "file", "project")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: As often as `watch --every` may run.
SHORTEST = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Account:
    """A service account the fleet signs in as; ``project`` is the Google Cloud project whose
    per-project quota its requests count against."""

    name: str
    file: str
    project: str


@dataclass(frozen=True)
class Entry:
    """One workbook of the fleet, validated."""

    name: str
    sheet: str | None
    path: str | None
    credentials: str | None
    account: str | None
    every: dt.timedelta | None
    at: dt.time | None
    timezone: str
    notify: bool
    enabled: bool

    def quota_scope(self, accounts: Mapping[str, Account]) -> tuple[str, str]:
        """(account, project) its Google requests count against; a bare credentials file is
        its own account in its own project."""
        if self.account is not None:
            account = accounts[self.account]
            return account.name, account.project
        return f"file:{self.credentials}", f"file:{self.credentials}"


@dataclass(frozen=True)
class Registry:
    workbooks: tuple[Entry, ...]
    accounts: Mapping[str, Account]
    #: the notify config file (spec §6) of ``notify = true`` workbooks, relative to the registry
    notify_config: str | None = None

    def find(self, name: str) -> Entry | None:
        return next((entry for entry in self.workbooks if entry.name == name), None)


def parse_every(text: str) -> dt.timedelta | None:
    """``15m``, ``1h``, ``90s``, ``1d`` -> a timedelta; None when it is not one."""
    found = re.fullmatch(r"(\d+)\s*([smhd])", text.strip().lower())
    return (dt.timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
            if found and int(found.group(1)) else None)


def parse_at(text: str) -> dt.time | None:
    """``08:30`` or ``8:30`` -> a time of day; None when it is not one."""
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    return dt.time(int(found.group(1)), int(found.group(2))) if found else None


def parse_registry(text: str, source: str = DEFAULT_REGISTRY, *,
                   shortest: dt.timedelta = SHORTEST) -> Registry:
    """The registry in ``text``; ConfigError listing every located problem when it is wrong."""
    try:
        document = tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError([Problem(source, f"is not valid TOML ({exc}). Check the quotes and "
                                           "brackets on that line.")]) from None
    problems: list[Problem] = []
    notify_config = document.get("notify_config")
    if notify_config is not None and (not isinstance(notify_config, str)
                                      or not notify_config.strip()):
        problems.append(Problem(f"{source}: notify_config", "must be the notify config file's "
                                                            "path in quotes (spec §6)."))
        notify_config = None
    accounts = _accounts(document.get("account", []), source, problems)
    workbooks: list[Entry] = []
    seen: set[str] = set()
    for index, table in enumerate(_tables(document.get("workbook", []), source, "workbook",
                                          problems), start=1):
        entry = _workbook(table, f"{source}: workbook[{index}]", accounts, shortest, problems)
        if entry is None:
            continue
        if entry.name in seen:
            problems.append(Problem(f"{source}: workbook[{index}].name",
                                    f'"{entry.name}" is used by an earlier workbook; give each '
                                    "workbook its own name."))
        seen.add(entry.name)
        workbooks.append(entry)
    if problems:
        raise ConfigError(problems)
    return Registry(tuple(workbooks), accounts, notify_config)


def _tables(value: Any, source: str, kind: str, problems: list[Problem]) -> list[dict]:
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    problems.append(Problem(f"{source}: {kind}", f"must be written as [[{kind}]] tables."))
    return []


def _text(table: dict, key: str, where: str, problems: list[Problem]) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(f"{where}.{key}", "must be non-empty text in quotes."))
        return None
    return value.strip()


def _flag(table: dict, key: str, where: str, default: bool, problems: list[Problem]) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        problems.append(Problem(f"{where}.{key}", "must be true or false (no quotes)."))
        return default
    return value


def _unknown(table: dict, keys: tuple[str, ...], where: str, problems: list[Problem]) -> None:
    for key in table:
        if key not in keys:
            problems.append(Problem(f"{where}.{key}", f"is not a known key; use one of "
                                                      f"{', '.join(keys)}."))


def _accounts(value: Any, source: str, problems: list[Problem]) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for index, table in enumerate(_tables(value, source, "account", problems), start=1):
        where = f"{source}: account[{index}]"
        _unknown(table, ACCOUNT_KEYS, where, problems)
        fields = {key: _text(table, key, where, problems) for key in ACCOUNT_KEYS}
        missing = [key for key in ACCOUNT_KEYS if fields[key] is None and key not in table]
        for key in missing:
            problems.append(Problem(f"{where}.{key}", "is missing; an account needs a name, "
                                                      "its service-account file and its project."))
        name, file, project = fields["name"], fields["file"], fields["project"]
        if name and file and project:
            if name in accounts:
                problems.append(Problem(f"{where}.name", f'"{name}" is used by an earlier '
                                                         "account."))
            accounts[name] = Account(name, file, project)
    return accounts


def _workbook(table: dict, where: str, accounts: Mapping[str, Account],
              shortest: dt.timedelta, problems: list[Problem]) -> Entry | None:
    before = len(problems)
    _unknown(table, WORKBOOK_KEYS, where, problems)
    name = _text(table, "name", where, problems)
    if name is None and "name" not in table:
        problems.append(Problem(f"{where}.name", "is missing; give the workbook a short name."))
    sheet, path = _text(table, "sheet", where, problems), _text(table, "path", where, problems)
    if (sheet is None) == (path is None) and "sheet" not in table and "path" not in table:
        problems.append(Problem(f"{where}.sheet", "is missing; give the Google Sheet's URL or "
                                                  "key as sheet, or a local file as path."))
    elif sheet is not None and path is not None:
        problems.append(Problem(f"{where}.path", "is given beside sheet; a workbook is either a "
                                                 "Google Sheet or a local file."))
    credentials = _text(table, "credentials", where, problems)
    account = _text(table, "account", where, problems)
    if account is not None and account not in accounts:
        known = ", ".join(sorted(accounts)) or "none yet"
        problems.append(Problem(f"{where}.account", f'names "{account}", which no [[account]] '
                                                    f"table defines (defined: {known})."))
    if sheet is not None and credentials is None and account is None:
        problems.append(Problem(f"{where}.account", "is missing; a Google Sheet needs account "
                                                    "(an [[account]] name) or credentials."))
    if credentials is not None and account is not None:
        problems.append(Problem(f"{where}.credentials", "is given beside account; name one."))
    every = at = None
    if "every" in table:
        raw = table["every"]
        every = parse_every(raw) if isinstance(raw, str) else None
        if every is None:
            problems.append(Problem(f"{where}.every", f"{raw!r} is not an interval; write a "
                                                      "number and a unit, such as 15m or 1h."))
        elif every < shortest:
            problems.append(Problem(f"{where}.every", f"{raw} is too often; the fleet runs a "
                                                      f"workbook at most every "
                                                      f"{int(shortest.total_seconds())} s."))
    if "at" in table:
        raw = table["at"]
        at = parse_at(raw) if isinstance(raw, str) else None
        if at is None:
            problems.append(Problem(f"{where}.at", f"{raw!r} is not a time of day; write it as "
                                                   "HH:MM on a 24-hour clock, such as 08:30."))
    if "every" not in table and "at" not in table:
        problems.append(Problem(f"{where}.every", "is missing; give every (such as 15m) and/or "
                                                  "at (such as 08:30)."))
    timezone = _text(table, "timezone", where, problems) or "UTC"
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(f"{where}.timezone", f'"{timezone}" is not a time zone; write '
                                                     "one such as Asia/Shanghai or UTC."))
    notify = _flag(table, "notify", where, False, problems)
    enabled = _flag(table, "enabled", where, True, problems)
    if len(problems) > before or name is None:
        return None
    return Entry(name, sheet, path, credentials, account, every, at, timezone, notify, enabled)


def add_workbook(text: str, fields: Mapping[str, Any], source: str = DEFAULT_REGISTRY) -> str:
    """``text`` with one more ``[[workbook]]`` table, comments kept; ConfigError when the
    result would not validate (a duplicate name, a bad cadence)."""
    document = tomlkit.parse(text)
    table = tomlkit.table()
    for key in WORKBOOK_KEYS:
        if fields.get(key) is not None:
            table[key] = fields[key]
    if "workbook" not in document:
        document["workbook"] = tomlkit.aot()
    document["workbook"].append(table)  # type: ignore[union-attr]
    result = tomlkit.dumps(document)
    parse_registry(result, source, shortest=dt.timedelta(seconds=0))
    return result


def remove_workbook(text: str, name: str, source: str = DEFAULT_REGISTRY) -> str:
    """``text`` without the workbook called ``name``, comments kept; ConfigError when absent."""
    document = tomlkit.parse(text)
    tables = document.get("workbook")
    names = [table.get("name") for table in tables] if tables is not None else []
    if name not in names:
        raise ConfigError([Problem(f"{source}: workbook", f'has no workbook named "{name}"; '
                                                          "`sheetfunnel fleet list` shows them.")])
    del tables[names.index(name)]  # type: ignore[index, union-attr]
    if not len(tables):  # type: ignore[arg-type]
        del document["workbook"]
    return tomlkit.dumps(document)
