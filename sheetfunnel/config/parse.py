"""The Config tabs (Stages, Scoring, Criteria, Settings) parsed and validated into one Config.

Parsing is pure: it takes sections (the rows of a workbook tab or of a TOML file, each cell with
the place a person finds it) and returns a Config or the complete list of located problems.
Config text is only ever compared and read as numbers, dates and names, never evaluated.

Probability: ``40`` and ``40%`` are 40 %. A number from 0 to 1 typed without ``%`` is what a
percent-formatted cell holds, so it is a fraction (``0.4`` is 40 %, ``1`` is 100 %); type
``1%`` for one percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sheetfunnel import schema
from sheetfunnel.config.calendar import REVIEW_SETTING_KEYS, read_review_setting
from sheetfunnel.config.crosscheck import check_columns, check_fields, names_column
from sheetfunnel.config.model import (
    CheckKind,
    Config,
    Criterion,
    Dimension,
    Match,
    Rule,
    Settings,
    Stage,
    StageKind,
)
from sheetfunnel.config.sections import ConfigSection, setting_places
from sheetfunnel.config.vocabulary import (
    CHECK_HELP,
    CHECKS,
    COLUMN_ROLES,
    DAYS,
    KINDS,
    MATCH_HELP,
    NOTIFY_SETTING_KEYS,
    PERCENT_GRADE,
    POINTS,
    RESPONSE_HOURS,
    SETTING_KEYS,
    TAB_ROLES,
    WEIGHT,
    Bound,
    fold_list,
    setting_key,
    shown,
    tab_column_role,
)
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, is_blank, normalise_name
from sheetfunnel.team_time import is_known_zone
from sheetfunnel.values import read_bool, read_date, read_number, read_quantity


@dataclass(frozen=True)
class ConfigResult:
    config: Config | None
    problems: tuple[Problem, ...]



# ---------------------------------------------------------------------------- parsing

class Collector:
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



def parse_settings(section: ConfigSection | None, found: Collector) -> Settings:
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
        elif name in REVIEW_SETTING_KEYS:
            if not is_blank(raw):
                values[name] = read_review_setting(name, raw, partial(found.error, where))
        elif name in NOTIFY_SETTING_KEYS:
            continue  # sheetfunnel.notify.settings reads them
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
             tabs: dict[str, str], found: Collector) -> None:
    """``column.<role>``, ``column.<tab role>.<role>`` and ``tab.<role>``: a team's own header
    or tab name for a role (a per-tab column is kept as ``<tab role>.<role>``)."""
    kind, _, wanted = name.partition(".")
    if kind == "column" and "." in wanted:
        _tab_mapping(wanted, key, raw, where, columns, found)
        return
    known = COLUMN_ROLES if kind == "column" else TAB_ROLES
    role = known.get(normalise_name(wanted))
    if role is None:
        roles = sorted(set(known.values()))
        found.warning(where, f"There is no {kind} role called {wanted or 'nothing'}, so {key} "
                      f"is ignored. Use one of: {', '.join(roles)}.")
    elif not is_blank(raw):
        (columns if kind == "column" else tabs)[role] = shown(raw)


def _tab_mapping(wanted: str, key: str, raw: Cell, where: str, columns: dict[str, str],
                 found: Collector) -> None:
    """``column.customers.customer_id``: the header of one role in one input tab."""
    tab_name, _, column = wanted.partition(".")
    tab = TAB_ROLES.get(normalise_name(tab_name))
    if tab not in schema.INPUT_TABS:
        found.warning(where, f"There is no input tab role called {tab_name or 'nothing'}, so "
                      f"{key} is ignored. Use column.<tab>.<column> with the tab one of: "
                      f"{', '.join(schema.INPUT_TABS)}.")
        return
    role = tab_column_role(tab, column)
    if role is None:
        found.warning(where, f"The {tab} tab has no column role called {column or 'nothing'}, "
                      f"so {key} is ignored. Use one of: {', '.join(schema.COLUMNS[tab])}.")
    elif not is_blank(raw):
        columns[f"{tab}.{role}"] = shown(raw)


def _setting(name: str, raw: Cell, where: str, found: Collector) -> Any:
    text = shown(raw)
    if name in ("criteria_cumulative", "assign_ids"):
        try:
            return read_bool(raw)
        except ValueError:
            found.error(where, f'The setting {name} must be yes or no, not "{text}".')
            return None
    choices = {"date_order": ("ymd", "dmy", "mdy"), "score_scale": ("percent", "raw"),
               "win_probability": ("stage", "model", "blend")}
    if name in choices:
        if text.lower() in choices[name]:
            return text.lower()
        allowed = ", ".join(choices[name][:-1]) + f" or {choices[name][-1]}"
        found.error(where, f'{name} must be {allowed}, not "{text}".')
        return None
    if name == "timezone" and text and not is_known_zone(text):
        found.warning(where, f'"{text}" is not a time zone sheetfunnel knows: today is counted '
                      "in UTC. Type an IANA name such as Asia/Shanghai or Europe/Berlin.")
        return "UTC"
    if name in ("timezone", "currency", "ab_field"):
        return text
    if name == "money_unit":
        if text in ("", "万"):
            return text
        found.error(where, f'The setting money_unit must be 万 (amounts on the Summary in '
                    f'万, ten thousands) or blank, not "{text}".')
        return None
    if name == "model_fields":
        return tuple(part.strip() for part in text.replace("，", ",").split(",") if part.strip())
    if name in MODEL_BOUNDS:
        return _model_number(name, raw, where, found)
    try:
        number = read_number(raw)
    except ValueError:
        number = None
    bound = {"follow_up_days": DAYS, "stall_days": DAYS, "response_hours": RESPONSE_HOURS}.get(name)
    if bound is None:  # a grade: its scale is known with the Scoring (check_grades)
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


#: Settings numbers of the win model: the bound, whether whole, an example.
MODEL_BOUNDS = {"model_min_won": (Bound(0, 1_000_000, whole=True), "100"),
                "model_min_lost": (Bound(0, 1_000_000, whole=True), "100"),
                "blend_weight": (Bound(0, 1), "0.5")}


def _model_number(name: str, raw: Cell, where: str, found: Collector) -> float | None:
    bound, example = MODEL_BOUNDS[name]
    try:
        number = read_number(raw)
    except ValueError:
        number = None
    if number is None or not bound.holds(number):
        kind = "a whole number" if bound.whole else "a number"
        high = f"{int(bound.high):,}" if bound.whole else f"{bound.high:g}"
        found.error(where, f"The setting {name} must be {kind} from {bound.low:g} to {high}, "
                    f'such as {example}, not "{shown(raw)}".')
        return None
    return int(number) if bound.whole else number


def _grade_label(name: str) -> str:
    """``grade_a`` as the spec writes it: ``grade_A``."""
    return f"grade_{name[-1].upper()}"


def check_grades(section: ConfigSection | None, settings: Settings,
                  dimensions: Sequence[Dimension], found: Collector) -> None:
    """Grades on the scale the sheet shows: 0 to 100 on the percent scale. On the raw scale a
    grade above the largest score the Scoring tab can give is one warning naming every such
    grade's cell and that maximum (no deal can reach it); below 0 is an error."""
    places = setting_places(section)
    best = sum(d.weight * d.max_points for d in dimensions)
    raw = settings.score_scale == "raw"
    if raw and not best:
        return  # no dimension scores: nothing is graded
    bound = Bound(0, best) if raw else PERCENT_GRADE
    scale = "the largest score the Scoring tab can give on the raw scale" if raw else \
        "the percent scale"
    above = []
    for name in ("grade_a", "grade_b", "grade_c"):
        value = getattr(settings, name)
        if bound.holds(value):
            continue
        if raw and value > best:
            above.append(name)
            continue
        found.error(places.get(name) or places.get("score_scale") or
                    (section.origin if section else "Settings"),
                    f"The setting {_grade_label(name)} must be a number from 0 to "
                    f'{shown(bound.high)} ({scale}), not "{shown(value)}".')
    if above:
        _unreachable_grades(above, settings, best, places,
                            section.origin if section else "Settings", found)


def _unreachable_grades(names: Sequence[str], settings: Settings, best: float,
                        places: Mapping[str, str], origin: str, found: Collector) -> None:
    """One warning for the raw-scale grades above the largest score, each with its cell."""
    parts = [f"{_grade_label(n)} {shown(getattr(settings, n))} "
             f"({places.get(n, 'the default')})" for n in names]
    letters = [n[-1].upper() for n in names]
    reached = "every deal is graded D" if "grade_c" in names else \
        f"no deal is graded {' or '.join(letters)}"
    where = next((places[n] for n in names if n in places), None) or \
        places.get("score_scale") or origin
    found.warning(where, f"score_scale is raw and the largest score the Scoring tab can give "
                  f"is {shown(best)}, but {_and(parts)} {'is' if len(parts) == 1 else 'are'} "
                  f"above it, so {reached}. Set grade_A, grade_B "
                  f"and grade_C in Settings to scores from 0 to {shown(best)}.")


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def parse_stages(section: ConfigSection, found: Collector) -> tuple[Stage, ...]:
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


def _stage(section: ConfigSection, index: int, name: str, found: Collector) -> Stage:
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
                 found: Collector) -> float:
    """0..1 from ``40``, ``40%`` or a percent-formatted 0.4 (see the module docstring)."""
    typed = section.rows[index].get("probability")
    number = found.number(section, index, "probability", "probability", "40 or 40%")
    where = section.where(index, "probability")
    if number is None:
        if is_blank(typed) and kind == "open":
            found.error(where, f"The stage {name} has no probability. Type one from 0 to 100, "
                        "such as 40 or 40%.")
        return {"won": 1.0, "lost": 0.0}.get(kind, 0.0)
    percent_typed = isinstance(typed, str) and "%" in fold_list(typed)
    fraction = number if percent_typed or number <= 1 else number / 100
    if not 0 <= fraction <= 1:
        found.error(where, f'The probability of {name} must be between 0 and 100, not '
                    f'"{shown(typed)}".')
        return 0.0
    return fraction


def parse_match(text: str) -> Match | None:
    """One Match cell; None when it is not one of the forms."""
    folded = fold_list(text)
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
    """A Match or Criteria number, also typed with what it counts (``>= 500人``)."""
    try:
        number = read_quantity(text.strip())
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def parse_scoring(section: ConfigSection, found: Collector) -> tuple[Dimension, ...]:
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
                   found: Collector) -> None:
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


def parse_criteria(section: ConfigSection, stages: Sequence[Stage], found: Collector,
                   date_order: str = "ymd") -> tuple[Criterion, ...]:
    known = {normalise_name(s.name) for s in stages}
    criteria = []
    skipped: list[tuple[int, str]] = []  # default rows for stages this sheet lacks
    for index, row in enumerate(section.rows):
        stage, field_name = shown(row.get("stage")), shown(row.get("field"))
        check_text = shown(row.get("check"))
        if not stage and not field_name and not check_text:
            continue
        stage_known = bool(stage) and normalise_name(stage) in known
        if not stage_known and section.builtin and stage:
            skipped.append((index, stage))
            continue
        if not stage_known:
            _unknown_stage(section, index, stage, found)
            if section.builtin:
                continue
        if not field_name:
            found.error(section.where(index, "field"), "This check names no Field. Type the "
                        "column it checks, such as Budget.")
        check = CHECKS.get(normalise_name(fold_list(check_text)))
        if check is None:
            found.error(section.where(index, "check"), f'The check "{check_text}" is not '
                        f"known. {CHECK_HELP}")
            continue
        value = _criterion_value(check, row.get("value"), section.where(index, "value"),
                                 date_order, found)
        message = shown(row.get("message")) or ""
        if stage_known:
            criteria.append(Criterion(stage, field_name, check, value, message))
    _skipped_defaults(section, skipped, found)
    return tuple(criteria)


def _skipped_defaults(section: ConfigSection, skipped: Sequence[tuple[int, str]],
                      found: Collector) -> None:
    """Default criteria for stages the Stages tab lacks: one warning, however many rows."""
    names = list(dict.fromkeys(stage for _, stage in skipped))
    if len(skipped) == 1:
        found.warning(section.where(skipped[0][0], "stage"), f'The default entry criteria for '
                      f'the stage "{names[0]}" are skipped: your Stages tab has no such stage. '
                      "Add a Criteria tab for your stages.")
    elif skipped:
        found.warning(section.origin, f"{len(skipped)} default entry criteria are skipped: your "
                      f"Stages tab has no stage {', '.join(names)}. Add a Criteria tab for your "
                      "stages.")


def _unknown_stage(section: ConfigSection, index: int, stage: str, found: Collector) -> None:
    where = section.where(index, "stage")
    if not stage:
        found.error(where, "This check names no Stage. Type the stage it guards, as written in "
                    "the Stages tab.")
    else:
        found.error(where, f'The stage "{stage}" is not in the Stages tab. Use one of its '
                    "stage names.")


def _criterion_value(check: CheckKind, raw: Cell, where: str, date_order: str,
                     found: Collector) -> str | float | tuple[str, ...] | None:
    if check in ("filled", "on_or_before_today"):
        return None
    if is_blank(raw):
        found.error(where, "This check needs a Value to compare with. Type one.")
        return None
    text = fold_list(shown(raw))
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


def _on_present_columns(criteria: tuple[Criterion, ...], section: ConfigSection,
                        headers: Mapping[str, Sequence[str]], columns: Mapping[str, str]
                        ) -> tuple[Criterion, ...]:
    """Default criteria on a column this sheet lacks are skipped (a default must not flag every
    deal of a sheet that never had the column); an admin's own criteria keep reading it as
    blank. check_fields says which were skipped."""
    if not section.builtin:
        return criteria
    return tuple(c for c in criteria if names_column(c.field, headers, columns))


def parse_config(sections: Mapping[str, ConfigSection], *,
                 headers: Mapping[str, Sequence[str]] | None = None) -> ConfigResult:
    """All sections -> a Config, or every problem found (a Config only when there is no error).

    ``headers`` (tab role -> headers of Opportunities / Customers) turns on the check that every
    Field names a column: a header, or a role alias whose column is present (``Amount`` when
    ``column.amount = close_value``).
    """
    found = Collector()
    for section in sections.values():
        found.problems.extend(section.problems)
    def pick(role: str) -> ConfigSection:
        return sections.get(role) or ConfigSection(role, schema.english_name(role), (), ())

    settings = parse_settings(sections.get("settings"), found)
    stages = parse_stages(pick("stages"), found)
    dimensions = parse_scoring(pick("scoring"), found)
    check_grades(sections.get("settings"), settings, dimensions, found)
    criteria = parse_criteria(pick("criteria"), stages, found, settings.date_order)
    if headers is not None:
        criteria = _on_present_columns(criteria, pick("criteria"), headers, settings.columns)
        found.problems.extend(check_fields(sections, headers, settings.columns))
        found.problems.extend(check_columns(sections.get("settings"), headers, settings.columns))
    errors = [p for p in found.problems if p.severity == "error"]
    config = None if errors else Config(stages, dimensions, criteria, settings)
    return ConfigResult(config, tuple(found.problems))

