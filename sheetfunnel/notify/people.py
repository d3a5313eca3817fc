"""The Notify tab (通知, spec §6): who hears what, through which channel, when.

Pure: the tab's located rows in, ``Person`` records and located problems out. A row with a
problem is left out (everyone else still hears); the sheet names channels only, never secrets.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from sheetfunnel.config.sections import ConfigSection
from sheetfunnel.config.vocabulary import shown
from sheetfunnel.errors import Problem
from sheetfunnel.grid import Cell, normalise_name
from sheetfunnel.notify.settings import Span, parse_span, parse_time
from sheetfunnel.words.problems import say

Role = Literal["rep", "manager", "admin"]
ROLES: dict[str, Role] = {"rep": "rep", "sales": "rep", "销售": "rep", "manager": "manager",
                          "经理": "manager", "主管": "manager", "admin": "admin",
                          "管理员": "admin"}
LANGS = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "chinese": "zh", "中文": "zh"}
#: Digest At when the column is blank.
DEFAULT_DIGEST_AT = 8 * 60 + 30


@dataclass(frozen=True)
class Person:
    """One Notify row. ``covers`` is the owner names a manager hears about (empty: all); a rep
    covers their own name. ``quiet_hours`` None: the Settings span; ``lang`` None: the
    workbook's language."""

    name: str
    role: Role
    channel: str
    covers: frozenset[str] = frozenset()
    mention: str = ""
    email: str = ""
    digest_at: int = DEFAULT_DIGEST_AT
    lang: str | None = None
    quiet_hours: Span | None = None
    quiet_given: bool = False

    def covers_owner(self, owner: str) -> bool:
        key = normalise_name(owner)
        if self.role == "rep":
            return key == normalise_name(self.name)
        return not self.covers or key in self.covers


def read_people(section: ConfigSection | None, channels: Collection[str] | None = None,
                lang: str = "en") -> tuple[tuple[Person, ...], tuple[Problem, ...]]:
    """Every usable Notify row; ``channels`` (names in the notify config) are checked when
    given. Problems are warnings, said in ``lang``: notifications never stop the sheet work."""
    if section is None:
        return (), ()
    people: list[Person] = []
    problems = [Problem(p.where, p.message, "warning") for p in section.problems]
    for index, row in enumerate(section.rows):
        name = shown(row.get("name"))
        if not name:
            continue
        person, sentence, role_col = _person(name, row, channels, lang)
        if sentence:
            problems.append(Problem(section.where(index, role_col), sentence, "warning"))
        else:
            assert person is not None
            people.append(person)
    return tuple(people), tuple(problems)


def _person(name: str, row: Mapping[str, Cell], channels: Collection[str] | None, lang: str
            ) -> tuple[Person | None, str | None, str]:
    role_text = shown(row.get("role")) or "rep"
    role = ROLES.get(role_text.lower())
    if role is None:
        return None, say(lang, "notify.role", role=role_text, name=name), "role"
    channel = shown(row.get("channel"))
    if not channel:
        return None, say(lang, "notify.no_channel", name=name), "channel"
    if channels is not None and channel not in channels:
        known = say(lang, "notify.channel_sep").join(sorted(channels)) or say(lang, "none")
        return None, say(lang, "notify.channel", channel=channel, name=name,
                         known=known), "channel"
    at_text = shown(row.get("digest_at"))
    digest_at = parse_time(at_text) if at_text else DEFAULT_DIGEST_AT
    if digest_at is None:
        return None, say(lang, "notify.digest_at", value=at_text, name=name), "digest_at"
    quiet_text = shown(row.get("quiet_hours"))
    quiet = parse_span(quiet_text) if quiet_text else None
    if quiet_text and quiet is None and quiet_text.lower() not in ("none", "no", "无"):
        return None, say(lang, "notify.quiet", value=quiet_text, name=name), "quiet_hours"
    covers = frozenset(normalise_name(c) for c in re.split(r"[,，;、]+", shown(
        row.get("covers"))) if c.strip())
    hears_in = LANGS.get(shown(row.get("language")).lower())
    return Person(name, role, channel, covers, shown(row.get("mention")), shown(row.get("email")),
                  digest_at, hears_in, quiet, bool(quiet_text)), None, "name"
