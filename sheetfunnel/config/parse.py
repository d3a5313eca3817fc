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
    CHECKS,
    COLUMN_ROLES,
    DAYS,
    KINDS,
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
from sheetfunnel.words.problems import joined, say


@dataclass(frozen=True)
class ConfigResult:
    config: Config | None
    problems: tuple[Problem, ...]



# ---------------------------------------------------------------------------- parsing

class Collector:
    """Problems found while parsing, all of them, each with its cell, said in ``lang`` (the
    workbook's language)."""

    def __init__(self, lang: str = "en") -> None:
        self.problems: list[Problem] = []
        self.lang = lang

    def say(self, key: str, **values: object) -> str:
        """The sentence ``key`` (sheetfunnel.words.problems) in this run's language."""
        return say(self.lang, key, **values)

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warning(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, "warning"))

    def number(self, section: ConfigSection, index: int, role: str,
               example: str) -> float | None:
        """The cell read as a number (``1,000``, ``40%``, ``１，０００``); None when blank.
        ``role`` names it in the sentence (``noun.<role>``)."""
        value = section.rows[index].get(role)
        try:
            number = read_number(value)
        except ValueError:
            number = math.nan
        if number is not None and not math.isfinite(number):
            self.error(section.where(index, role), self.say(
                "not_number", what=self.say(f"noun.{role}"), value=shown(value),
                example=example))
            return None
        return number

    def days(self, section: ConfigSection, index: int, role: str) -> int | None:
        """A count of days within ``DAYS``; None when blank."""
        number = self.number(section, index, role, "14")
        if number is None:
            return None
        if not DAYS.holds(number):
            self.error(section.where(index, role), self.say(
                "days", what=self.say(f"noun.{role}"), high=f"{DAYS.high:g}",
                value=shown(section.rows[index].get(role))))
            return None
        return int(number)

    def bounded(self, section: ConfigSection, index: int, role: str, example: str,
                bound: Bound) -> float | None:
        """A number within ``bound`` (said in the plural when ``role`` ends in s); None when
        blank or refused."""
        number = self.number(section, index, role, example)
        if number is None or bound.holds(number):
            return number
        self.error(section.where(index, role), self.say(
            "outside_plural" if role.endswith("s") else "outside",
            what=self.say(f"noun.{role}"), value=shown(section.rows[index].get(role)),
            low=f"{bound.low:g}", high=f"{bound.high:g}", example=example))
        return None



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
            found.warning(key_where, found.say("setting_twice", setting=key, other=places[name]))
        places[name] = where
        if name.startswith(("column.", "tab.")):
            _mapping(name, key, raw, key_where, columns, tabs, found)
        elif name in REVIEW_SETTING_KEYS:
            if not is_blank(raw):
                values[name] = read_review_setting(name, raw, partial(found.error, where),
                                                   found.lang)
        elif name in NOTIFY_SETTING_KEYS:
            continue  # sheetfunnel.notify.settings reads them
        elif name not in SETTING_KEYS:
            found.warning(key_where, found.say("setting_unknown", setting=key))
        elif not is_blank(raw):
            values[name] = _setting(name, raw, where, found)
    values = {k: v for k, v in values.items() if v is not None}
    settings = Settings(**values, columns=columns, tabs=tabs)
    if not settings.grade_a > settings.grade_b > settings.grade_c:
        where = places.get("grade_a") or section.origin
        found.error(where, found.say("grades_order", a=f"{settings.grade_a:g}",
                                     b=f"{settings.grade_b:g}", c=f"{settings.grade_c:g}"))
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
        found.warning(where, found.say(f"no_{kind}_role", wanted=wanted or found.say("nothing"),
                                       setting=key, roles=", ".join(roles)))
    elif not is_blank(raw):
        (columns if kind == "column" else tabs)[role] = shown(raw)


def _tab_mapping(wanted: str, key: str, raw: Cell, where: str, columns: dict[str, str],
                 found: Collector) -> None:
    """``column.customers.customer_id``: the header of one role in one input tab."""
    tab_name, _, column = wanted.partition(".")
    tab = TAB_ROLES.get(normalise_name(tab_name))
    if tab not in schema.INPUT_TABS:
        found.warning(where, found.say("no_input_tab", wanted=tab_name or found.say("nothing"),
                                       setting=key, tabs=", ".join(schema.INPUT_TABS)))
        return
    role = tab_column_role(tab, column)
    if role is None:
        found.warning(where, found.say(
            "no_tab_column_role", tab=tab if found.lang == "en" else schema.chinese_name(tab),
            wanted=column or found.say("nothing"), setting=key,
            roles=", ".join(schema.COLUMNS[tab])))
    elif not is_blank(raw):
        columns[f"{tab}.{role}"] = shown(raw)


def _setting(name: str, raw: Cell, where: str, found: Collector) -> Any:
    text = shown(raw)
    if name in ("criteria_cumulative", "assign_ids"):
        try:
            return read_bool(raw)
        except ValueError:
            found.error(where, found.say("yes_no", name=name, value=text))
            return None
    choices = {"date_order": ("ymd", "dmy", "mdy"), "score_scale": ("percent", "raw"),
               "win_probability": ("stage", "model", "blend")}
    if name in choices:
        if text.lower() in choices[name]:
            return text.lower()
        allowed = joined(found.lang, choices[name], "or")
        found.error(where, found.say("choice", name=name, allowed=allowed, value=text))
        return None
    if name == "timezone" and text and not is_known_zone(text):
        found.warning(where, found.say("timezone", value=text))
        return "UTC"
    if name in ("timezone", "currency", "ab_field"):
        return text
    if name == "money_unit":
        if text in ("", "万"):
            return text
        found.error(where, found.say("money_unit", value=text))
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
            found.error(where, found.say("grade_number", name=_grade_label(name), value=text))
        return number
    if number is None or not bound.holds(number):
        found.error(where, found.say("setting_days" if bound is DAYS else "setting_hours",
                                     name=name, high=f"{bound.high:g}", value=text))
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
        high = f"{int(bound.high):,}" if bound.whole else f"{bound.high:g}"
        found.error(where, found.say("setting_whole" if bound.whole else "setting_number",
                                     name=name, low=f"{bound.low:g}", high=high,
                                     example=example, value=shown(raw)))
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
    scale = found.say("scale_raw" if raw else "scale_percent")
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
                    found.say("grade_range", name=_grade_label(name), high=shown(bound.high),
                              scale=scale, value=shown(value)))
    if above:
        _unreachable_grades(above, settings, best, places,
                            section.origin if section else "Settings", found)


def _unreachable_grades(names: Sequence[str], settings: Settings, best: float,
                        places: Mapping[str, str], origin: str, found: Collector) -> None:
    """One warning for the raw-scale grades above the largest score, each with its cell."""
    parts = [found.say("grade_place", name=_grade_label(n), value=shown(getattr(settings, n)),
                       where=places.get(n) or found.say("the_default")) for n in names]
    letters = [n[-1].upper() for n in names]
    reached = found.say("graded_d") if "grade_c" in names else \
        found.say("graded_none", letters=f" {found.say('or')} ".join(letters))
    where = next((places[n] for n in names if n in places), None) or \
        places.get("score_scale") or origin
    found.warning(where, found.say("unreachable" if len(parts) == 1 else "unreachable_many",
                                   best=shown(best), grades=joined(found.lang, parts),
                                   reached=reached))


def parse_stages(section: ConfigSection, found: Collector) -> tuple[Stage, ...]:
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    for index, row in enumerate(section.rows):
        name = shown(row.get("stage"))
        where = section.where(index, "stage")
        if not name:
            if any(not is_blank(row.get(r)) for r in ("probability", "kind", "stall_days",
                                                       "follow_up_days")):
                found.warning(where, found.say("stage_no_name"))
            continue
        if normalise_name(name) in seen:
            found.error(where, found.say("stage_twice", name=name,
                                         other=seen[normalise_name(name)]))
            continue
        seen[normalise_name(name)] = where
        stages.append(_stage(section, index, name, found))
    broken = any(p.severity == "error" for p in section.problems)
    if not broken and not any(s.kind == "open" for s in stages):
        found.error(section.origin, found.say("no_open_stage"))
    return tuple(stages)


def _stage(section: ConfigSection, index: int, name: str, found: Collector) -> Stage:
    row = section.rows[index]
    kind_text = shown(row.get("kind"))
    kind = KINDS.get(normalise_name(kind_text) or "open")
    if kind is None:
        found.error(section.where(index, "kind"), found.say("stage_kind", kind=kind_text,
                                                              name=name))
        kind = "open"
    probability = _probability(section, index, name, kind, found)
    stall = found.days(section, index, "stall_days")
    follow_up = found.days(section, index, "follow_up_days")
    entered = shown(row.get("entered_date_field")) or None
    return Stage(name, probability, kind, stall, follow_up, entered)


def _probability(section: ConfigSection, index: int, name: str, kind: StageKind,
                 found: Collector) -> float:
    """0..1 from ``40``, ``40%`` or a percent-formatted 0.4 (see the module docstring)."""
    typed = section.rows[index].get("probability")
    number = found.number(section, index, "probability", found.say("ex.probability"))
    where = section.where(index, "probability")
    if number is None:
        if is_blank(typed) and kind == "open":
            found.error(where, found.say("no_probability", name=name))
        return {"won": 1.0, "lost": 0.0}.get(kind, 0.0)
    percent_typed = isinstance(typed, str) and "%" in fold_list(typed)
    fraction = number if percent_typed or number <= 1 else number / 100
    if not 0 <= fraction <= 1:
        found.error(where, found.say("probability_range", name=name, value=shown(typed)))
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
                found.error(section.where(index, "dimension"), found.say("rule_no_dimension"))
            continue
        part = parts.setdefault(normalise_name(name), {"name": name, "field": "", "weight": None,
                                                       "rules": [], "first": index})
        _dimension_row(section, index, part, found)
    dimensions = []
    for part in parts.values():
        first = part["first"]
        if not part["field"]:
            found.error(section.where(first, "field"),
                        found.say("dimension_no_field", name=part["name"]))
        if part["weight"] is None:
            found.error(section.where(first, "weight"),
                        found.say("dimension_no_weight", name=part["name"]))
        dimensions.append(Dimension(part["name"], part["field"], part["weight"] or 0.0,
                                    tuple(part["rules"])))
    weighed = all(p["weight"] is not None for p in parts.values())
    if dimensions and weighed and all(d.weight == 0 for d in dimensions):
        found.error(section.origin, found.say("weights_zero"))
    return tuple(dimensions)


def _dimension_row(section: ConfigSection, index: int, part: dict[str, Any],
                   found: Collector) -> None:
    row, name = section.rows[index], part["name"]
    field_name = shown(row.get("field"))
    if field_name and not part["field"]:
        part["field"] = field_name
    elif field_name and normalise_name(field_name) != normalise_name(part["field"]):
        found.error(section.where(index, "field"), found.say(
            "two_fields", name=name, first=part["field"], second=field_name))
    weight = found.bounded(section, index, "weight", found.say("ex.weight"), WEIGHT)
    if weight is not None and part["weight"] is None:
        part["weight"] = weight
    elif weight is not None and weight != part["weight"]:
        found.error(section.where(index, "weight"), found.say(
            "two_weights", name=name, first=f"{part['weight']:g}", second=f"{weight:g}"))
    match_text = shown(row.get("match"))
    match = parse_match(match_text) if match_text else None
    if match is None:
        found.error(section.where(index, "match"), found.say("match", match=match_text))
    points = found.bounded(section, index, "points", "10", POINTS)
    if points is None and match is not None and match.kind != "value" and \
            is_blank(row.get("points")):
        found.error(section.where(index, "points"), found.say("no_points", name=name))
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
            found.error(section.where(index, "field"), found.say("check_no_field"))
        check = CHECKS.get(normalise_name(fold_list(check_text)))
        if check is None:
            found.error(section.where(index, "check"),
                        found.say("check_unknown", check=check_text))
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
        found.warning(section.where(skipped[0][0], "stage"),
                      found.say("default_skipped", stage=names[0]))
    elif skipped:
        found.warning(section.origin, found.say("defaults_skipped", count=len(skipped),
                                                names=found.say("list_sep").join(names)))


def _unknown_stage(section: ConfigSection, index: int, stage: str, found: Collector) -> None:
    where = section.where(index, "stage")
    if not stage:
        found.error(where, found.say("check_no_stage"))
    else:
        found.error(where, found.say("check_stage_unknown", stage=stage))


def _criterion_value(check: CheckKind, raw: Cell, where: str, date_order: str,
                     found: Collector) -> str | float | tuple[str, ...] | None:
    if check in ("filled", "on_or_before_today"):
        return None
    if is_blank(raw):
        found.error(where, found.say("check_no_value"))
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
    found.error(where, found.say("check_value", value=text))
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
                 headers: Mapping[str, Sequence[str]] | None = None,
                 lang: str = "en") -> ConfigResult:
    """All sections -> a Config, or every problem found (a Config only when there is no error).

    ``headers`` (tab role -> headers of Opportunities / Customers) turns on the check that every
    Field names a column: a header, or a role alias whose column is present (``Amount`` when
    ``column.amount = close_value``). Problems are said in ``lang``, the workbook's language.
    """
    found = Collector(lang)
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
        found.problems.extend(check_fields(sections, headers, settings.columns, lang))
        found.problems.extend(check_columns(sections.get("settings"), headers, settings.columns,
                                            lang))
    errors = [p for p in found.problems if p.severity == "error"]
    config = None if errors else Config(stages, dimensions, criteria, settings)
    return ConfigResult(config, tuple(found.problems))

