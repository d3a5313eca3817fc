"""The Config tabs (Stages, Scoring, Criteria, Settings) as one immutable Config.

Parsing is pure: it takes grids (and optional TOML sections) and returns a Config or the
complete list of located problems. Config text is only ever compared and parsed as numbers,
dates and names, never evaluated.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sheetfunnel import schema
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, Grid, a1, is_blank, normalise_name, table_from_grid
from sheetfunnel.values import read_bool, read_number, read_text

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
    value: str | float | tuple[str, ...] | None
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


# ------------------------------------------------------------------------------------ parsing

#: Settings keys and how to read them; ``column.*`` and ``tab.*`` are open-ended.
SETTING_KEYS = ("timezone", "date_order", "currency", "score_scale", "grade_a", "grade_b",
                "grade_c", "follow_up_days", "stall_days", "response_hours",
                "criteria_cumulative", "assign_ids")

#: ``column.customer_id``, ``column.Customer ID`` and ``column.customerid`` name one role.
COLUMN_ROLES = {normalise_name(role): role for roles in schema.COLUMNS.values() for role in roles}
TAB_ROLES = {normalise_name(role): role for role in schema.TABS}

KINDS = {"open": "open", "won": "won", "lost": "lost", "进行中": "open", "赢单": "won",
         "输单": "lost", "跟进中": "open"}
CHECKS: dict[str, CheckKind] = {
    "filled": "filled", "notempty": "filled", "已填写": "filled", "必填": "filled",
    "=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "≠": "ne", ">": "gt", ">=": "ge", "≥": "ge",
    "<": "lt", "<=": "le", "≤": "le", "in": "in", "属于": "in", "notin": "not_in",
    "不属于": "not_in", "onorbeforetoday": "on_or_before_today", "不晚于今天": "on_or_before_today",
}
MATCH_HELP = "Use = text, in a, b, c, > n, >= n, < n, <= n, n..m, * or value."
CHECK_HELP = ("Use filled, =, !=, >, >=, <, <=, in, not in or on or before today.")


@dataclass(frozen=True)
class ConfigSection:
    """The rows of one Config tab (or TOML section), each cell with the place it came from.

    ``rows`` map a column role (``weight``) to the cell as typed; ``places`` map the same role to
    where a person finds it (``Scoring!C4`` or ``team.toml: scoring[3].weight``).
    """

    name: str
    origin: str
    rows: tuple[Mapping[str, Cell], ...]
    places: tuple[Mapping[str, str], ...]
    problems: tuple[Problem, ...] = ()

    def where(self, index: int, role: str) -> str:
        return self.places[index].get(role, self.origin)


@dataclass(frozen=True)
class ConfigResult:
    config: Config | None
    problems: tuple[Problem, ...]


def sections_from_toml(text: str, source: str) -> dict[str, ConfigSection]:
    """TOML sections ``[[stages]]``, ``[[scoring]]``, ``[[criteria]]``, ``[[settings]]``.

    Settings may also be a plain table (``[settings]`` with ``key = value`` lines).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = Problem(source, f"This TOML file cannot be read: {exc}. Fix the line it names.")
        return {"settings": ConfigSection("settings", source, (), (), (problem,))}
    sections: dict[str, ConfigSection] = {}
    for name, value in data.items():
        key = name.lower()
        if key == "settings" and isinstance(value, dict):
            value = [{"key": k, "value": v} for k, v in value.items()]
        if key not in schema.CONFIG_TABS or not isinstance(value, list):
            problem = Problem(f"{source}: {name}",
                              f"sheetfunnel does not know the section '{name}'. Use [[stages]], "
                              "[[scoring]], [[criteria]] or [[settings]].", "warning")
            sections.setdefault("settings", ConfigSection("settings", source, (), ()))
            old = sections["settings"]
            sections["settings"] = ConfigSection(old.name, old.origin, old.rows, old.places,
                                                 old.problems + (problem,))
            continue
        rows, places = [], []
        for index, row in enumerate(value, start=1):
            row = row if isinstance(row, dict) else {}
            rows.append({normalise_name(k).replace("-", "_"): _toml_cell(v)
                         for k, v in row.items()})
            places.append({normalise_name(k): f"{source}: {key}[{index}].{k}" for k in row})
        rows = [_role_keys(key, r) for r in rows]
        places = [_role_keys(key, p) for p in places]
        sections[key] = ConfigSection(key, f"{source}: [[{key}]]", tuple(rows), tuple(places))
    return sections


def _toml_cell(value: Any) -> Cell:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _role_keys(tab_role: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """TOML keys (``stall_days``, ``Stall Days``) mapped onto column roles."""
    names = {normalise_name(n): role for role, aliases in schema.COLUMNS[tab_role].items()
             for n in (role, *aliases)}
    return {names.get(normalise_name(k), k): v for k, v in row.items()}


def sections_from_grids(tabs: Mapping[str, tuple[str, Grid]]) -> dict[str, ConfigSection]:
    """Config tabs of a workbook (role -> (tab title, grid)) as sections, located by cell."""
    sections = {}
    for role, (title, grid) in tabs.items():
        table = table_from_grid(title, grid)
        roles: dict[str, str] = {}
        problems = []
        for column_role, aliases in schema.COLUMNS[role].items():
            hit = schema.resolve((column_role, *aliases), table.columns).found
            if hit is not None:
                roles[column_role] = hit
        needed = {"stages": ("stage",), "scoring": ("dimension", "field", "weight", "match"),
                  "criteria": ("stage", "field", "check"), "settings": ("key", "value")}[role]
        for column_role in needed:
            if column_role not in roles:
                problems.append(Problem(
                    f"{title}!{table.header_row}:{table.header_row}",
                    f"The {title} tab has no '{schema.english_name(role, column_role)}' column. "
                    f"Add a header named '{schema.english_name(role, column_role)}' "
                    f"(headers found: {', '.join(table.columns) or 'none'})."))
        rows, places = [], []
        for row_number, record in table.frame.iterrows():
            rows.append({r: record[h] for r, h in roles.items()})
            places.append({r: a1(title, int(row_number), table.columns[h])
                           for r, h in roles.items()})
        sections[role] = ConfigSection(role, title, tuple(rows), tuple(places), tuple(problems))
    return sections


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
        value = section.rows[index].get(role)
        try:
            return read_number(value)
        except ValueError:
            self.error(section.where(index, role), f'The {what} "{_shown(value)}" is not a '
                       f"number. Type a number such as {example}.")
            return None


def _shown(value: Cell) -> str:
    text = read_text(value) if not isinstance(value, str) else value
    return (text or "").strip()


def _fold(text: str) -> str:
    """Full-width operators and commas as their ASCII twins (``＞＝`` -> ``>=``)."""
    return unicodedata.normalize("NFKC", text).replace("，", ",").replace("、", ",").strip()


def parse_settings(section: ConfigSection | None, found: _Collector) -> Settings:
    values: dict[str, Any] = {}
    columns: dict[str, str] = {}
    tabs: dict[str, str] = {}
    for index, row in enumerate(section.rows if section else ()):
        key = _shown(row.get("key")).strip()
        if not key:
            continue
        where = section.where(index, "value")
        raw = row.get("value")
        lowered = key.lower()
        if lowered.startswith("column."):
            role = COLUMN_ROLES.get(normalise_name(lowered[7:]), lowered[7:].strip())
            if not is_blank(raw):
                columns[role] = _shown(raw)
            continue
        if lowered.startswith("tab."):
            role = TAB_ROLES.get(normalise_name(lowered[4:]), lowered[4:].strip())
            if role not in schema.TABS:
                found.warning(section.where(index, "key"), f"There is no tab role '{key[4:]}'. "
                              f"Known: {', '.join(schema.TABS)}.")
            elif not is_blank(raw):
                tabs[role] = _shown(raw)
            continue
        name = lowered.replace(" ", "_").replace("-", "_")
        if name not in SETTING_KEYS:
            found.warning(section.where(index, "key"), f"sheetfunnel does not know the setting "
                          f"'{key}'; it is ignored. Check the spelling.")
            continue
        if is_blank(raw):
            continue
        values[name] = _setting(name, raw, where, found)
    values = {k: v for k, v in values.items() if v is not None}
    settings = Settings(**values, columns=columns, tabs=tabs)
    if not settings.grade_a > settings.grade_b > settings.grade_c:
        found.error(section.origin if section else "Settings",
                    f"The grade thresholds must fall from A to C (now A {settings.grade_a:g}, "
                    f"B {settings.grade_b:g}, C {settings.grade_c:g}). Make grade_A > grade_B > "
                    "grade_C.")
    return settings


def _setting(name: str, raw: Cell, where: str, found: _Collector) -> Any:
    text = _shown(raw)
    if name in ("criteria_cumulative", "assign_ids"):
        try:
            return read_bool(raw)
        except ValueError:
            found.error(where, f'The setting {name} must be yes or no, not "{text}".')
            return None
    if name == "date_order":
        if text.lower() in ("ymd", "dmy", "mdy"):
            return text.lower()
        found.error(where, f'date_order must be ymd, dmy or mdy, not "{text}".')
        return None
    if name == "score_scale":
        if text.lower() in ("percent", "raw"):
            return text.lower()
        found.error(where, f'score_scale must be percent or raw, not "{text}".')
        return None
    if name in ("timezone", "currency"):
        return text
    try:
        number = read_number(raw)
    except ValueError:
        number = None
    if number is None or number < 0:
        found.error(where, f'The setting {name} must be a number of zero or more, not "{text}".')
        return None
    if name in ("follow_up_days", "stall_days"):
        return int(number)
    return number


def parse_stages(section: ConfigSection, found: _Collector) -> tuple[Stage, ...]:
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    for index, row in enumerate(section.rows):
        name = _shown(row.get("stage"))
        if not name:
            continue
        where = section.where(index, "stage")
        if normalise_name(name) in seen:
            found.error(where, f'The stage "{name}" is named twice (also at '
                        f"{seen[normalise_name(name)]}). Give each stage one row.")
            continue
        seen[normalise_name(name)] = where
        stages.append(_stage(section, index, name, found))
    if not any(s.kind == "open" for s in stages):
        found.error(section.origin, "There is no open stage. Give at least one stage the Kind "
                    "open.")
    return tuple(stages)


def _stage(section: ConfigSection, index: int, name: str, found: _Collector) -> Stage:
    row = section.rows[index]
    kind_text = _shown(row.get("kind")).lower() or "open"
    kind = KINDS.get(kind_text)
    if kind is None:
        found.error(section.where(index, "kind"), f'The kind "{kind_text}" of stage {name} is '
                    "not known. Use open, won or lost.")
        kind = "open"
    typed = row.get("probability")
    probability = found.number(section, index, "probability", "probability", "40 or 40%")
    if probability is not None:
        percent_typed = isinstance(typed, str) and "%" in typed
        if not percent_typed and probability > 1:
            probability /= 100
        if not 0 <= probability <= 1:
            found.error(section.where(index, "probability"), f"The probability of {name} must "
                        "be between 0 and 100.")
    default = {"won": 1.0, "lost": 0.0}.get(kind, 0.0)
    thresholds = [found.number(section, index, r, r.replace("_", " "), "14")
                  for r in ("stall_days", "follow_up_days")]
    entered = _shown(row.get("entered_date_field")) or None
    return Stage(name, default if probability is None else probability, kind,  # type: ignore[arg-type]
                 *(None if t is None else int(t) for t in thresholds), entered)


def parse_match(text: str) -> Match | None:
    """One Match cell; None when it is not one of the forms."""
    folded = _fold(text)
    lowered = folded.lower()
    if lowered in ("*", "else", "其他", "其它"):
        return Match("any")
    if lowered in ("value", "数值", "值"):
        return Match("value")
    for symbol, kind in ((">=", "ge"), ("<=", "le"), (">", "gt"), ("<", "lt")):
        if folded.startswith(symbol):
            number = _number_or_none(folded[len(symbol):])
            return None if number is None else Match(kind, number=number)  # type: ignore[arg-type]
    if folded.startswith("="):
        return Match("eq", text=folded[1:].strip())
    for prefix in ("in ", "属于"):
        if lowered.startswith(prefix):
            options = tuple(o.strip() for o in folded[len(prefix):].split(",") if o.strip())
            return Match("in", options=options) if options else None
    if ".." in folded:
        low, _, high = folded.partition("..")
        lo, hi = _number_or_none(low), _number_or_none(high)
        if lo is not None and hi is not None and lo <= hi:
            return Match("range", low=lo, high=hi)
    return None


def _number_or_none(text: str) -> float | None:
    try:
        return read_number(text.strip())
    except ValueError:
        return None


def parse_scoring(section: ConfigSection, found: _Collector) -> tuple[Dimension, ...]:
    order: list[str] = []
    parts: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(section.rows):
        name = _shown(row.get("dimension"))
        if not name:
            continue
        field_name = _shown(row.get("field"))
        weight = found.number(section, index, "weight", "weight", "2 or 0.5")
        match_text = _shown(row.get("match"))
        match = parse_match(match_text) if match_text else None
        if match is None:
            found.error(section.where(index, "match"), f'The match "{match_text}" is not '
                        f"understood. {MATCH_HELP}")
        points = found.number(section, index, "points", "points", "10")
        if points is None and match is not None and match.kind != "value" and \
                is_blank(row.get("points")):
            found.error(section.where(index, "points"), f"The rule for {name} has no points. "
                        "Type the points it gives, such as 10.")
        key = normalise_name(name)
        if key not in parts:
            order.append(key)
            parts[key] = {"name": name, "field": field_name, "weight": weight, "rules": [],
                          "where": section.where(index, "field")}
        elif field_name and normalise_name(field_name) != normalise_name(parts[key]["field"]):
            found.error(section.where(index, "field"), f"The dimension {name} uses two fields "
                        f"({parts[key]['field']} and {field_name}). Give one dimension one field.")
        if weight is not None and weight < 0:
            found.error(section.where(index, "weight"), "A weight cannot be negative.")
        if match is not None:
            parts[key]["rules"].append(Rule(match, points if points is not None else 10.0))
        if not field_name:
            found.error(section.where(index, "field"), f"The dimension {name} names no Field. "
                        "Type the column it scores.")
    return tuple(Dimension(p["name"], p["field"], p["weight"] or 0.0, tuple(p["rules"]))
                 for p in (parts[k] for k in order))


def parse_criteria(section: ConfigSection, stages: Sequence[Stage], found: _Collector
                   ) -> tuple[Criterion, ...]:
    known = {normalise_name(s.name) for s in stages}
    criteria = []
    for index, row in enumerate(section.rows):
        stage, field_name = _shown(row.get("stage")), _shown(row.get("field"))
        if not stage and not field_name:
            continue
        if normalise_name(stage) not in known:
            found.error(section.where(index, "stage"), f'The stage "{stage}" is not in the '
                        "Stages tab. Use one of its stage names.")
        check_text = _shown(row.get("check"))
        check = CHECKS.get(normalise_name(_fold(check_text)))
        if check is None:
            found.error(section.where(index, "check"), f'The check "{check_text}" is not '
                        f"known. {CHECK_HELP}")
            continue
        value = _criterion_value(check, row.get("value"), section.where(index, "value"), found)
        message = _shown(row.get("message")) or field_name
        criteria.append(Criterion(stage, field_name, check, value, message))
    return tuple(criteria)


def _criterion_value(check: CheckKind, raw: Cell, where: str, found: _Collector
                     ) -> str | float | tuple[str, ...] | None:
    if check in ("filled", "on_or_before_today"):
        return None
    if is_blank(raw):
        found.error(where, "This check needs a Value to compare with. Type one.")
        return None
    text = _fold(_shown(raw))
    if check in ("in", "not_in"):
        return tuple(o.strip() for o in text.split(",") if o.strip())
    number = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else \
        _number_or_none(text)
    if check in ("gt", "ge", "lt", "le"):
        if number is not None:
            return float(number)
        from sheetfunnel.values import read_date

        try:
            if read_date(text) is not None:
                return text
        except ValueError:
            pass
        found.error(where, f'"{text}" is not a number or a date, so it cannot be compared. '
                    "Type a number such as 1000 or a date such as 2026-01-31.")
        return None
    return float(number) if number is not None and not isinstance(raw, str) else text


def parse_config(sections: Mapping[str, ConfigSection], *,
                 headers: Mapping[str, Sequence[str]] | None = None,
                 field_exists: Any = None) -> ConfigResult:
    """All four sections -> a Config, or every problem found (a Config only when no error)."""
    found = _Collector()
    for section in sections.values():
        found.problems.extend(section.problems)
    settings = parse_settings(sections.get("settings"), found)
    empty = ConfigSection("", "", (), ())
    stages = parse_stages(sections.get("stages", empty), found)
    dimensions = parse_scoring(sections.get("scoring", empty), found)
    criteria = parse_criteria(sections.get("criteria", empty), stages, found)
    if field_exists is not None:
        _check_fields(sections, field_exists, found)
    errors = [p for p in found.problems if p.severity == "error"]
    config = None if errors else Config(stages, dimensions, criteria, settings)
    return ConfigResult(config, tuple(found.problems))


def _check_fields(sections: Mapping[str, ConfigSection], field_exists: Any,
                  found: _Collector) -> None:
    """Every Field (and Entered Date Field) must name a column of Opportunities or Customers."""
    for role, column in (("scoring", "field"), ("criteria", "field"),
                         ("stages", "entered_date_field")):
        section = sections.get(role)
        for index, row in enumerate(section.rows if section else ()):
            name = _shown(row.get(column))
            if name and not field_exists(name):
                found.error(section.where(index, column), f'There is no column "{name}" in '
                            "Opportunities or Customers. Add that column or fix the name.")


def config_to_json(config: Config) -> str:
    """The config as JSON, to keep the last good one inside the workbook."""
    data = asdict(config)
    data["settings"]["columns"] = dict(config.settings.columns)
    data["settings"]["tabs"] = dict(config.settings.tabs)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def config_from_json(text: str) -> Config:
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
    return Config(stages, dimensions, criteria, Settings(**data["settings"]))
