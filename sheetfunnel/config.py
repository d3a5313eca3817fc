"""The Config tabs (Stages, Scoring, Criteria, Settings) as one immutable Config.

Parsing is pure: it takes sections (the rows of a workbook tab or of a TOML file, each cell with
the place a person finds it) and returns a Config or the complete list of located problems.
Config text is only ever compared and read as numbers, dates and names, never evaluated.

Probability: ``40`` and ``40%`` are 40 %. A number from 0 to 1 typed without ``%`` is what a
percent-formatted cell holds, so it is a fraction (``0.4`` is 40 %, ``1`` is 100 %); type
``1%`` for one percent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sheetfunnel import schema
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, Grid, a1, is_blank, normalise_name, quote_tab, table_from_grid
from sheetfunnel.values import read_bool, read_date, read_number, read_text

StageKind = Literal["open", "won", "lost"]
MatchKind = Literal["eq", "in", "gt", "ge", "lt", "le", "range", "any", "value"]
CheckKind = Literal["filled", "eq", "ne", "gt", "ge", "lt", "le", "in", "not_in",
                    "on_or_before_today"]


@dataclass(frozen=True)
class Stage:
    name: str
    probability: float  # 0..1
    kind: StageKind
    stall_days: int | None = None  # None: Settings.stall_days
    follow_up_days: int | None = None  # None: Settings.follow_up_days
    entered_date_field: str | None = None  # a column header


@dataclass(frozen=True)
class Match:
    """One Match cell, parsed. Text comparisons are normalised (case/space/full-width)."""

    kind: MatchKind
    text: str | None = None  # eq
    options: tuple[str, ...] = ()  # in
    number: float | None = None  # gt ge lt le
    low: float | None = None  # range, inclusive
    high: float | None = None


@dataclass(frozen=True)
class Rule:
    match: Match
    points: float  # for kind "value": the cap (max points) of the dimension


@dataclass(frozen=True)
class Dimension:
    name: str
    field: str  # a column header of Opportunities or Customers
    weight: float
    rules: tuple[Rule, ...]

    @property
    def max_points(self) -> float:
        return max((r.points for r in self.rules), default=0.0)


@dataclass(frozen=True)
class Criterion:
    stage: str
    field: str
    check: CheckKind
    value: str | float | tuple[str, ...] | None  # dates as ISO text (2026-01-31)
    message: str


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    date_order: Literal["ymd", "dmy", "mdy"] = "ymd"
    currency: str = "$"
    score_scale: Literal["percent", "raw"] = "percent"
    grade_a: float = 80.0
    grade_b: float = 60.0
    grade_c: float = 40.0
    follow_up_days: int = 7
    stall_days: int = 14
    response_hours: float = 2.0
    criteria_cumulative: bool = True
    assign_ids: bool = True
    #: column role -> header, from ``column.<role>`` keys
    columns: Mapping[str, str] = field(default_factory=dict)
    #: tab role -> tab name, from ``tab.<role>`` keys
    tabs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    stages: tuple[Stage, ...]
    dimensions: tuple[Dimension, ...]
    criteria: tuple[Criterion, ...]
    settings: Settings

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name`` (normalised comparison), or None."""
        key = normalise_name(name)
        return next((s for s in self.stages if normalise_name(s.name) == key), None)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == "open")


# --------------------------------------------------------------------------- vocabulary

@dataclass(frozen=True)
class Bound:
    """The numbers a config cell may hold (spec §3.2), inclusive: the same for check and run,
    and small enough that every date sum the engine makes stays a date."""

    low: float
    high: float
    whole: bool = False

    def holds(self, number: float) -> bool:
        return self.low <= number <= self.high and (not self.whole or float(number).is_integer())


DAYS = Bound(0, 3650, whole=True)  # ten years
RESPONSE_HOURS = Bound(0, 8760)  # a year
WEIGHT = Bound(0, 1000)
POINTS = Bound(0, 1000)
PERCENT_GRADE = Bound(0, 100)

#: Settings keys with a fixed meaning; ``column.*`` and ``tab.*`` are open-ended.
SETTING_KEYS = ("timezone", "date_order", "currency", "score_scale", "grade_a", "grade_b",
                "grade_c", "follow_up_days", "stall_days", "response_hours",
                "criteria_cumulative", "assign_ids")
_INPUT_TABS = ("opportunities", "customers", "activities")


def _role_lookup() -> dict[str, str]:
    """``column.customer_id``, ``column.Customer ID`` and ``column.客户编号`` name one role."""
    lookup = {normalise_name(role): role for tab in _INPUT_TABS for role in schema.COLUMNS[tab]}
    for tab in _INPUT_TABS:
        for role, names in schema.COLUMNS[tab].items():
            for name in names:
                lookup.setdefault(normalise_name(name), role)
    return lookup


COLUMN_ROLES = _role_lookup()
TAB_ROLES = {normalise_name(name): role for role, names in schema.TABS.items()
             for name in (role, *names)}

KINDS: dict[str, StageKind] = {
    "open": "open", "won": "won", "lost": "lost", "进行中": "open", "跟进中": "open",
    "赢单": "won", "成交": "won", "输单": "lost", "丢单": "lost"}
CHECKS: dict[str, CheckKind] = {
    "filled": "filled", "notempty": "filled", "notblank": "filled", "required": "filled",
    "已填写": "filled", "必填": "filled", "非空": "filled", "不为空": "filled",
    "=": "eq", "==": "eq", "等于": "eq", "!=": "ne", "<>": "ne", "≠": "ne", "不等于": "ne",
    ">": "gt", "大于": "gt", ">=": "ge", "≥": "ge", "大于等于": "ge", "<": "lt", "小于": "lt",
    "<=": "le", "≤": "le", "小于等于": "le", "in": "in", "属于": "in", "notin": "not_in",
    "不属于": "not_in", "onorbeforetoday": "on_or_before_today",
    "不晚于今天": "on_or_before_today"}
MATCH_HELP = "Use = text, in a, b, c, > n, >= n, < n, <= n, n..m, * or value."
CHECK_HELP = "Use filled, =, !=, >, >=, <, <=, in, not in or on or before today."

#: Columns a Config tab cannot do without.
NEEDED = {"stages": ("stage", "probability"), "scoring": ("dimension", "field", "weight", "match"),
          "criteria": ("stage", "field", "check"), "settings": ("key", "value")}

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


@dataclass(frozen=True)
class ConfigResult:
    config: Config | None
    problems: tuple[Problem, ...]


def closest(wanted: Sequence[str], found: Sequence[str]) -> str | None:
    """The name in ``found`` most like any of ``wanted`` (normalised), when one is close."""
    keys = {normalise_name(name): name for name in found}
    best, score = None, 0.6
    for name in wanted:
        for key, original in keys.items():
            ratio = difflib.SequenceMatcher(None, normalise_name(name), key).ratio()
            if ratio > score:
                best, score = original, ratio
    return best


def missing_column_sentence(tab: str, column: str, headers: Sequence[str],
                            wanted: Sequence[str], fix: str) -> str:
    """One sentence: the tab, the column, the headers found and the closest one, and the fix."""
    near = closest(wanted, headers)
    near_text = f"; the closest is '{near}'" if near else "; none is close"
    return (f"The {tab} tab has no {column} column (headers found: "
            f"{', '.join(headers) or 'none'}{near_text}): {fix}.")


def sections_from_grids(tabs: Mapping[str, tuple[str, Grid]]) -> dict[str, ConfigSection]:
    """Config tabs of a workbook (role -> (tab title, grid)) as sections, located by cell."""
    return {role: _grid_section(role, title, grid) for role, (title, grid) in tabs.items()}


def _grid_section(role: str, title: str, grid: Grid) -> ConfigSection:
    table = table_from_grid(title, grid)
    roles: dict[str, str] = {}
    for column_role, aliases in schema.COLUMNS[role].items():
        hit = schema.resolve((column_role, *aliases), table.columns).found
        if hit is not None:
            roles[column_role] = hit
    header = f"{quote_tab(title)}!{table.header_row}:{table.header_row}"
    problems = [Problem(header, f"The {title} tab has two columns named {name}; only the first "
                        "is read. Rename or remove the other.", "warning")
                for name in table.duplicates]
    missing = [r for r in NEEDED[role] if r not in roles]
    for column_role in missing:
        english = schema.english_name(role, column_role)
        names = schema.COLUMNS[role][column_role]
        problems.append(Problem(header, missing_column_sentence(
            title, english, table.headers, names,
            f"rename that header to {english} (or {schema.chinese_name(role, column_role)})")))
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


def sections_from_toml(text: str, source: str) -> dict[str, ConfigSection]:
    """TOML sections ``[[stages]]``, ``[[scoring]]``, ``[[criteria]]``, ``[[settings]]``.

    Keys are the tab's headers (``stall_days`` or ``"Stall Days"``). Settings may also be a
    plain table (``[settings]`` with ``follow_up_days = 5`` or ``column.amount = "Value"``).
    Problems of the file as a whole are kept under ``FILE_SECTION``.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {FILE_SECTION: _file_section(source, [_syntax_problem(source, exc)])}
    sections: dict[str, ConfigSection] = {}
    notes: list[Problem] = []
    for name, value in data.items():
        role = TAB_ROLES.get(normalise_name(name))
        where = f"{source}: {name}"
        if role not in schema.CONFIG_TABS:
            notes.append(Problem(where, f"sheetfunnel does not know the section [{name}]; it is "
                                 "ignored. Use [[stages]], [[scoring]], [[criteria]] or "
                                 "[[settings]].", "warning"))
            continue
        if role == "settings" and isinstance(value, dict):
            value = [{"key": k, "value": v} for k, v in _flatten(value).items()]
        if not isinstance(value, list):
            notes.append(Problem(where, f"The section {name} must be a list of rows, each "
                                 f"starting with [[{role}]]."))
            continue
        sections[role] = _toml_section(role, source, value)
    if notes:
        sections[FILE_SECTION] = _file_section(source, notes)
    return sections


def _file_section(source: str, problems: list[Problem]) -> ConfigSection:
    return ConfigSection(FILE_SECTION, source, (), (), tuple(problems))


def _syntax_problem(source: str, exc: tomllib.TOMLDecodeError) -> Problem:
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).strip() or "bad syntax"
    if found is None:
        return Problem(source, f"The file cannot be read as TOML ({reason}). Fix its syntax.")
    return Problem(f"{source}: line {found[1]}", f"The file cannot be read as TOML ({reason} "
                   f"at column {found[2]}). Fix that line.")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``column.amount = "x"`` is a nested table in TOML; here it is the key ``column.amount``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _toml_section(role: str, source: str, entries: list[Any]) -> ConfigSection:
    names = {normalise_name(n): column for column, aliases in schema.COLUMNS[role].items()
             for n in (column, *aliases)}
    rows, places, row_places, problems = [], [], [], []
    for index, entry in enumerate(entries, start=1):
        here = f"{source}: {role}[{index}]"
        row_places.append(here)
        row: dict[str, Cell] = {}
        place: dict[str, str] = {}
        if not isinstance(entry, dict):
            problems.append(Problem(here, f"Each row of [[{role}]] must be a table of "
                                    "key = value lines."))
        for key, value in (entry.items() if isinstance(entry, dict) else ()):
            column = names.get(normalise_name(key))
            if column is None:
                problems.append(Problem(f"{here}.{key}", f"sheetfunnel does not know the key "
                                        f"{key} in [[{role}]]; it is ignored. Use "
                                        f"{', '.join(schema.COLUMNS[role])}.", "warning"))
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


# ---------------------------------------------------------------------------- parsing

class _Collector:
    """Problems found while parsing, all of them, each with its cell."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warning(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, "warning"))

    def number(self, section: ConfigSection, index: int, role: str, what: str,
               example: str) -> float | None:
        """The cell read as a number (``1,000``, ``40%``, ``１，０００``); None when blank."""
        value = section.rows[index].get(role)
        try:
            number = read_number(value)
        except ValueError:
            number = math.nan
        if number is not None and not math.isfinite(number):
            self.error(section.where(index, role), f'The {what} "{shown(value)}" is not a '
                       f"number. Type a number such as {example}.")
            return None
        return number

    def days(self, section: ConfigSection, index: int, role: str, what: str) -> int | None:
        """A count of days within ``DAYS``; None when blank."""
        number = self.number(section, index, role, what, "14")
        if number is None:
            return None
        if not DAYS.holds(number):
            self.error(section.where(index, role), f"The {what} {_DAYS_RULE}, such as 14, not "
                       f'"{shown(section.rows[index].get(role))}".')
            return None
        return int(number)

    def bounded(self, section: ConfigSection, index: int, role: str, what: str, example: str,
                bound: Bound) -> float | None:
        """A number within ``bound`` (``what`` is plural when it ends in s); None when blank
        or refused."""
        number = self.number(section, index, role, what, example)
        if number is None or bound.holds(number):
            return number
        plural, span = what.endswith("s"), f"{bound.low:g} to {bound.high:g}"
        self.error(section.where(index, role), f'The {what} "{shown(section.rows[index].get(role))}'
                   f'" {"are" if plural else "is"} outside {span}. Type {"" if plural else "a "}'
                   f"{what} from {span}, such as {example}.")
        return None


_DAYS_RULE = f"must be a whole number from 0 to {DAYS.high:g} (ten years)"


def shown(value: Cell) -> str:
    """A cell as a person reads it, for messages."""
    try:
        return (read_text(value) or "").strip()
    except (TypeError, ValueError):
        return str(value)


def _fold(text: str) -> str:
    """Full-width operators and commas as their ASCII twins (``＞＝`` -> ``>=``)."""
    return unicodedata.normalize("NFKC", text).replace("、", ",").strip()


def setting_key(key: str) -> str:
    """``Follow-up Days``, ``follow_up_days`` -> ``follow_up_days``; ``column.X`` keeps X."""
    head, dot, tail = _fold(key).partition(".")
    head = re.sub(r"[\s\-]+", "_", head.strip().lower())
    return f"{head}.{tail.strip()}" if dot else head


def setting_places(section: ConfigSection | None) -> dict[str, str]:
    """Where each Settings key's Value is (``tab.customers`` -> ``Settings!B3``)."""
    if section is None:
        return {}
    return {setting_key(shown(row.get("key"))): section.where(index, "value")
            for index, row in enumerate(section.rows) if shown(row.get("key"))}


def parse_settings(section: ConfigSection | None, found: _Collector) -> Settings:
    section = section or ConfigSection("settings", "Settings", (), ())
    values: dict[str, Any] = {}
    columns: dict[str, str] = {}
    tabs: dict[str, str] = {}
    places: dict[str, str] = {}
    for index, row in enumerate(section.rows):
        key = shown(row.get("key"))
        if not key:
            continue
        name, raw = setting_key(key), row.get("value")
        where, key_where = section.where(index, "value"), section.where(index, "key")
        if name in places:
            found.warning(key_where, f"The setting {key} is set twice (also at {places[name]}); "
                          "this later row wins. Keep one row.")
        places[name] = where
        if name.startswith(("column.", "tab.")):
            _mapping(name, key, raw, key_where, columns, tabs, found)
        elif name not in SETTING_KEYS:
            found.warning(key_where, f"sheetfunnel does not know the setting {key}; it is "
                          "ignored. Check the spelling.")
        elif not is_blank(raw):
            values[name] = _setting(name, raw, where, found)
    values = {k: v for k, v in values.items() if v is not None}
    settings = Settings(**values, columns=columns, tabs=tabs)
    if not settings.grade_a > settings.grade_b > settings.grade_c:
        where = places.get("grade_a") or section.origin
        found.error(where, f"The grade thresholds must fall from A to C (now A "
                    f"{settings.grade_a:g}, B {settings.grade_b:g}, C {settings.grade_c:g}). "
                    "Make grade_A larger than grade_B and grade_B larger than grade_C.")
    return settings


def _mapping(name: str, key: str, raw: Cell, where: str, columns: dict[str, str],
             tabs: dict[str, str], found: _Collector) -> None:
    """``column.<role>`` and ``tab.<role>``: a team's own header or tab name for a role."""
    kind, _, wanted = name.partition(".")
    known = COLUMN_ROLES if kind == "column" else TAB_ROLES
    role = known.get(normalise_name(wanted))
    if role is None:
        roles = sorted(set(known.values()))
        found.warning(where, f"There is no {kind} role called {wanted or 'nothing'}, so {key} "
                      f"is ignored. Use one of: {', '.join(roles)}.")
    elif not is_blank(raw):
        (columns if kind == "column" else tabs)[role] = shown(raw)


def _setting(name: str, raw: Cell, where: str, found: _Collector) -> Any:
    text = shown(raw)
    if name in ("criteria_cumulative", "assign_ids"):
        try:
            return read_bool(raw)
        except ValueError:
            found.error(where, f'The setting {name} must be yes or no, not "{text}".')
            return None
    choices = {"date_order": ("ymd", "dmy", "mdy"), "score_scale": ("percent", "raw")}
    if name in choices:
        if text.lower() in choices[name]:
            return text.lower()
        allowed = ", ".join(choices[name][:-1]) + f" or {choices[name][-1]}"
        found.error(where, f'{name} must be {allowed}, not "{text}".')
        return None
    if name in ("timezone", "currency"):
        return text
    try:
        number = read_number(raw)
    except ValueError:
        number = None
    bound = {"follow_up_days": DAYS, "stall_days": DAYS, "response_hours": RESPONSE_HOURS}.get(name)
    if bound is None:  # a grade: its scale is known with the Scoring (_check_grades)
        if number is None:
            found.error(where, f'The setting {_grade_label(name)} must be a number such as 80, '
                        f'not "{text}".')
        return number
    if number is None or not bound.holds(number):
        rule = f"{_DAYS_RULE}, such as 7" if bound is DAYS else \
            f"must be a number from 0 to {bound.high:g} (a year), such as 2"
        found.error(where, f'The setting {name} {rule}, not "{text}".')
        return None
    return int(number) if bound is DAYS else number


def _grade_label(name: str) -> str:
    """``grade_a`` as the spec writes it: ``grade_A``."""
    return f"grade_{name[-1].upper()}"


def _check_grades(section: ConfigSection | None, settings: Settings,
                  dimensions: Sequence[Dimension], found: _Collector) -> None:
    """Grades on the scale the sheet shows: 0 to 100 on the percent scale; on the raw scale 0
    to the largest score the Scoring tab can give."""
    places = setting_places(section)
    if settings.score_scale == "percent":
        bound, scale = PERCENT_GRADE, "the percent scale"
    else:
        best = sum(d.weight * d.max_points for d in dimensions)
        if not best:
            return  # no dimension scores: nothing is graded
        bound = Bound(0, best)
        scale = "the largest score the Scoring tab can give on the raw scale"
    for name in ("grade_a", "grade_b", "grade_c"):
        value = getattr(settings, name)
        if bound.holds(value):
            continue
        where = places.get(name)
        if where is not None:
            found.error(where, f"The setting {_grade_label(name)} must be a number from 0 to "
                        f'{shown(bound.high)} ({scale}), not "{shown(value)}".')
            continue
        found.error(places.get("score_scale") or (section.origin if section else "Settings"),
                    f"On the raw scale the largest score is {shown(bound.high)}, but "
                    f"{_grade_label(name)} is {shown(value)} (the default). Set grade_A, grade_B "
                    f"and grade_C in Settings to scores from 0 to {shown(bound.high)}.")
        return


def parse_stages(section: ConfigSection, found: _Collector) -> tuple[Stage, ...]:
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    for index, row in enumerate(section.rows):
        name = shown(row.get("stage"))
        if not name:
            continue
        where = section.where(index, "stage")
        if normalise_name(name) in seen:
            found.error(where, f'The stage "{name}" is named twice (also at '
                        f"{seen[normalise_name(name)]}). Give each stage one row.")
            continue
        seen[normalise_name(name)] = where
        stages.append(_stage(section, index, name, found))
    broken = any(p.severity == "error" for p in section.problems)
    if not broken and not any(s.kind == "open" for s in stages):
        found.error(section.origin, "There is no open stage. Give at least one stage the Kind "
                    "open.")
    return tuple(stages)


def _stage(section: ConfigSection, index: int, name: str, found: _Collector) -> Stage:
    row = section.rows[index]
    kind_text = shown(row.get("kind"))
    kind = KINDS.get(normalise_name(kind_text) or "open")
    if kind is None:
        found.error(section.where(index, "kind"), f'The kind "{kind_text}" of stage {name} is '
                    "not known. Use open, won or lost.")
        kind = "open"
    probability = _probability(section, index, name, kind, found)
    stall = found.days(section, index, "stall_days", "stall days")
    follow_up = found.days(section, index, "follow_up_days", "follow-up days")
    entered = shown(row.get("entered_date_field")) or None
    return Stage(name, probability, kind, stall, follow_up, entered)


def _probability(section: ConfigSection, index: int, name: str, kind: StageKind,
                 found: _Collector) -> float:
    """0..1 from ``40``, ``40%`` or a percent-formatted 0.4 (see the module docstring)."""
    typed = section.rows[index].get("probability")
    number = found.number(section, index, "probability", "probability", "40 or 40%")
    where = section.where(index, "probability")
    if number is None:
        if is_blank(typed) and kind == "open":
            found.error(where, f"The stage {name} has no probability. Type one from 0 to 100, "
                        "such as 40 or 40%.")
        return {"won": 1.0, "lost": 0.0}.get(kind, 0.0)
    percent_typed = isinstance(typed, str) and "%" in _fold(typed)
    fraction = number if percent_typed or number <= 1 else number / 100
    if not 0 <= fraction <= 1:
        found.error(where, f'The probability of {name} must be between 0 and 100, not '
                    f'"{shown(typed)}".')
        return 0.0
    return fraction


def parse_match(text: str) -> Match | None:
    """One Match cell; None when it is not one of the forms."""
    folded = _fold(text)
    lowered = folded.lower()
    if lowered in ("*", "else", "other", "其他", "其它"):
        return Match("any")
    if lowered in ("value", "数值", "值"):
        return Match("value")
    for symbol, kind in ((">=", "ge"), ("<=", "le"), (">", "gt"), ("<", "lt")):
        if folded.startswith(symbol):
            number = _number_or_none(folded[len(symbol):])
            return None if number is None else Match(kind, number=number)  # type: ignore[arg-type]
    if folded.startswith("="):
        rest = folded[1:].strip()
        return Match("eq", text=rest) if rest else None
    for prefix in ("in ", "属于"):
        if lowered.startswith(prefix):
            options = _options(folded[len(prefix):])
            return Match("in", options=options) if options else None
    return _range(folded)


def _range(folded: str) -> Match | None:
    """``31..90`` (or ``31~90``), both ends included."""
    for separator in ("..", "~"):
        if separator in folded:
            low, _, high = folded.partition(separator)
            lo, hi = _number_or_none(low), _number_or_none(high)
            if lo is not None and hi is not None and lo <= hi:
                return Match("range", low=lo, high=hi)
    return None


def _options(text: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in text.split(",") if o.strip())


def _number_or_none(text: str) -> float | None:
    try:
        number = read_number(text.strip())
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def parse_scoring(section: ConfigSection, found: _Collector) -> tuple[Dimension, ...]:
    """Rows of one Dimension form one dimension; later rows may leave Field and Weight blank."""
    parts: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(section.rows):
        name = shown(row.get("dimension"))
        if not name:
            if any(not is_blank(row.get(r)) for r in ("field", "weight", "match", "points")):
                found.error(section.where(index, "dimension"), "This rule names no Dimension. "
                            "Type the dimension it belongs to, such as Budget.")
            continue
        part = parts.setdefault(normalise_name(name), {"name": name, "field": "", "weight": None,
                                                       "rules": [], "first": index})
        _dimension_row(section, index, part, found)
    dimensions = []
    for part in parts.values():
        first = part["first"]
        if not part["field"]:
            found.error(section.where(first, "field"), f"The dimension {part['name']} names no "
                        "Field. Type the column it scores.")
        if part["weight"] is None:
            found.error(section.where(first, "weight"), f"The dimension {part['name']} has no "
                        "weight. Type a number such as 2 or 0.5.")
        dimensions.append(Dimension(part["name"], part["field"], part["weight"] or 0.0,
                                    tuple(part["rules"])))
    weighed = all(p["weight"] is not None for p in parts.values())
    if dimensions and weighed and all(d.weight == 0 for d in dimensions):
        found.error(section.origin, "Every weight is 0, so no deal can score. Give at least one "
                    "dimension a weight above 0.")
    return tuple(dimensions)


def _dimension_row(section: ConfigSection, index: int, part: dict[str, Any],
                   found: _Collector) -> None:
    row, name = section.rows[index], part["name"]
    field_name = shown(row.get("field"))
    if field_name and not part["field"]:
        part["field"] = field_name
    elif field_name and normalise_name(field_name) != normalise_name(part["field"]):
        found.error(section.where(index, "field"), f"The dimension {name} uses two fields "
                    f"({part['field']} and {field_name}). Give one dimension one field.")
    weight = found.bounded(section, index, "weight", "weight", "2 or 0.5", WEIGHT)
    if weight is not None and part["weight"] is None:
        part["weight"] = weight
    elif weight is not None and weight != part["weight"]:
        found.error(section.where(index, "weight"), f"The dimension {name} has two weights "
                    f"({part['weight']:g} and {weight:g}). Give every row of a dimension the same "
                    "weight, or leave the later ones blank.")
    match_text = shown(row.get("match"))
    match = parse_match(match_text) if match_text else None
    if match is None:
        found.error(section.where(index, "match"), f'The match "{match_text}" is not '
                    f"understood. {MATCH_HELP}")
    points = found.bounded(section, index, "points", "points", "10", POINTS)
    if points is None and match is not None and match.kind != "value" and \
            is_blank(row.get("points")):
        found.error(section.where(index, "points"), f"The rule for {name} has no points. "
                    "Type the points it gives, such as 10.")
    if match is not None:
        part["rules"].append(Rule(match, 10.0 if points is None else points))


def parse_criteria(section: ConfigSection, stages: Sequence[Stage], found: _Collector,
                   date_order: str = "ymd") -> tuple[Criterion, ...]:
    known = {normalise_name(s.name) for s in stages}
    criteria = []
    for index, row in enumerate(section.rows):
        stage, field_name = shown(row.get("stage")), shown(row.get("field"))
        check_text = shown(row.get("check"))
        if not stage and not field_name and not check_text:
            continue
        stage_known = bool(stage) and normalise_name(stage) in known
        if not stage_known:
            _unknown_stage(section, index, stage, found)
            if section.builtin:
                continue
        if not field_name:
            found.error(section.where(index, "field"), "This check names no Field. Type the "
                        "column it checks, such as Budget.")
        check = CHECKS.get(normalise_name(_fold(check_text)))
        if check is None:
            found.error(section.where(index, "check"), f'The check "{check_text}" is not '
                        f"known. {CHECK_HELP}")
            continue
        value = _criterion_value(check, row.get("value"), section.where(index, "value"),
                                 date_order, found)
        message = shown(row.get("message")) or field_name
        if stage_known:
            criteria.append(Criterion(stage, field_name, check, value, message))
    return tuple(criteria)


def _unknown_stage(section: ConfigSection, index: int, stage: str, found: _Collector) -> None:
    where = section.where(index, "stage")
    if not stage:
        found.error(where, "This check names no Stage. Type the stage it guards, as written in "
                    "the Stages tab.")
    elif section.builtin:
        found.warning(where, f'The default entry criteria for the stage "{stage}" are skipped: '
                      "your Stages tab has no such stage. Add a Criteria tab for your stages.")
    else:
        found.error(where, f'The stage "{stage}" is not in the Stages tab. Use one of its '
                    "stage names.")


def _criterion_value(check: CheckKind, raw: Cell, where: str, date_order: str,
                     found: _Collector) -> str | float | tuple[str, ...] | None:
    if check in ("filled", "on_or_before_today"):
        return None
    if is_blank(raw):
        found.error(where, "This check needs a Value to compare with. Type one.")
        return None
    text = _fold(shown(raw))
    if check in ("in", "not_in"):
        return _options(text)
    typed_number = isinstance(raw, int | float) and not isinstance(raw, bool)
    if check in ("eq", "ne"):
        return float(raw) if typed_number else text  # type: ignore[arg-type]
    number = float(raw) if typed_number else _number_or_none(text)  # type: ignore[arg-type]
    if number is not None and math.isfinite(number):
        return number
    try:
        day = read_date(raw, date_order)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        day = None
    if day is not None:
        return day.isoformat()
    found.error(where, f'"{text}" is not a number or a date, so it cannot be compared. '
                "Type a number such as 1000 or a date such as 2026-01-31.")
    return None


def parse_config(sections: Mapping[str, ConfigSection], *,
                 headers: Mapping[str, Sequence[str]] | None = None) -> ConfigResult:
    """All sections -> a Config, or every problem found (a Config only when there is no error).

    ``headers`` (tab role -> headers of Opportunities / Customers) turns on the check that every
    Field names a column: a header, or a role alias whose column is present (``Amount`` when
    ``column.amount = close_value``).
    """
    found = _Collector()
    for section in sections.values():
        found.problems.extend(section.problems)
    def pick(role: str) -> ConfigSection:
        return sections.get(role) or ConfigSection(role, schema.english_name(role), (), ())

    settings = parse_settings(sections.get("settings"), found)
    stages = parse_stages(pick("stages"), found)
    dimensions = parse_scoring(pick("scoring"), found)
    _check_grades(sections.get("settings"), settings, dimensions, found)
    criteria = parse_criteria(pick("criteria"), stages, found, settings.date_order)
    if headers is not None:
        _check_fields(sections, headers, settings.columns, found)
        _check_columns(sections.get("settings"), headers, settings.columns, found)
    errors = [p for p in found.problems if p.severity == "error"]
    config = None if errors else Config(stages, dimensions, criteria, settings)
    return ConfigResult(config, tuple(found.problems))


def names_column(name: str, headers: Mapping[str, Sequence[str]],
                 columns: Mapping[str, str]) -> bool:
    """Whether a Field names a header, or a role whose column is present."""
    key = normalise_name(name)
    for tab_role, present in headers.items():
        if key in {normalise_name(h) for h in present}:
            return True
        for role, aliases in schema.COLUMNS.get(tab_role, {}).items():
            if key in {normalise_name(n) for n in (role, *aliases)} and schema.resolve(
                    schema.column_names(tab_role, role, columns), present).found:
                return True
    return False


def _check_fields(sections: Mapping[str, ConfigSection], headers: Mapping[str, Sequence[str]],
                  columns: Mapping[str, str], found: _Collector) -> None:
    """Every Field (and Entered Date Field) must name a column of Opportunities or Customers."""
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
                found.warning(section.where(index, column), f'The default {section.name} use '
                              f'the column "{name}", which is not in the Opportunities or '
                              "Customers tab, so it counts as blank. Add the column, or a "
                              f"{schema.english_name(role)} tab of your own.")
            else:
                found.error(section.where(index, column), f'There is no column "{name}" in the '
                            f"Opportunities or Customers tab{hint}. Add that column or fix "
                            "the name.")


def _check_columns(section: ConfigSection | None, headers: Mapping[str, Sequence[str]],
                   columns: Mapping[str, str], found: _Collector) -> None:
    """A ``column.<role>`` header that no tab holds is a warning at its Settings cell."""
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
        found.warning(where, f'No {" or ".join(t.capitalize() for t in tabs)} header is called '
                      f'"{header}"{hint}, so this column mapping is not used. Fix the name.')


def config_to_json(config: Config) -> str:
    """The config as JSON, to keep the last good one inside the workbook."""
    data = asdict(config)
    data["settings"]["columns"] = dict(config.settings.columns)
    data["settings"]["tabs"] = dict(config.settings.tabs)
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
    config = Config(stages, dimensions, criteria, Settings(**data["settings"]))
    if not _within_bounds(config):
        raise ValueError("the kept config has a number outside the bounds of the Config tabs")
    return config


def _within_bounds(config: Config) -> bool:
    """The bounds parse_config checks, on a Config kept earlier (perhaps by an older version)."""
    settings = config.settings
    days = [settings.follow_up_days, settings.stall_days,
            *(d for s in config.stages for d in (s.stall_days, s.follow_up_days) if d is not None)]
    grades = _Collector()
    _check_grades(None, settings, config.dimensions, grades)
    return (all(DAYS.holds(d) for d in days) and RESPONSE_HOURS.holds(settings.response_hours)
            and all(0 <= s.probability <= 1 for s in config.stages)
            and all(WEIGHT.holds(d.weight) and all(POINTS.holds(r.points) for r in d.rules)
                    for d in config.dimensions)
            and not grades.problems)
