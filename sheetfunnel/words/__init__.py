"""Every text, heading and icon the worker writes, in each language it speaks.

Pure data: ``en.py`` and ``zh.py`` hold the texts (same keys in both), this module the icons
(one per flag, the same in every language) and the one rule that picks the language of a run.
A new flag adds its icon here and its name and detail sentence in each language file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sheetfunnel.words import en, zh

LANGUAGES = ("en", "zh")

ICONS = {"DUPLICATE_ID": "🔁", "UNKNOWN_STAGE": "❓", "INVALID_VALUE": "⚠",
         "MISSING_CRITERIA": "⛔", "CLOSE_DATE_PASSED": "📅", "NO_FIRST_RESPONSE": "📞",
         "FOLLOW_UP_OVERDUE": "⏰", "NEXT_STEP_OVERDUE": "⏳", "STALLED": "🐢",
         "NEGATIVE_SIGNAL": "👎"}


@dataclass(frozen=True)
class Words:
    """The texts of one language, handed down from the run to everything that writes text."""

    lang: str
    flag_details: Mapping[str, str]
    flag_labels: Mapping[str, str]
    criteria_words: Mapping[str, str]
    owned_note: str
    attention_headers: tuple[str, ...]
    history_headers: tuple[str, ...]
    history_kinds: tuple[str, ...]  # stage change, snapshot (old form), daily snapshot
    summary: Mapping[str, Any]
    history_legends: tuple[str, ...]  # first lines of a daily snapshot's two cells
    run_lines: Mapping[str, str]  # what ``run`` and ``demo`` print of a run


def _words(lang: str, texts: Any) -> Words:
    labels = {code: f"{ICONS[code]} {name}" for code, name in texts.FLAG_NAMES.items()}
    return Words(lang, MappingProxyType(texts.FLAG_DETAILS), MappingProxyType(labels),
                 MappingProxyType(texts.CRITERIA_WORDS),
                 texts.OWNED_NOTE, texts.ATTENTION_HEADERS, texts.HISTORY_HEADERS,
                 texts.HISTORY_KINDS, MappingProxyType(texts.SUMMARY), texts.HISTORY_LEGENDS,
                 MappingProxyType(texts.RUN_LINES))


_BY_LANG = {"en": _words("en", en), "zh": _words("zh", zh)}


def words_for(lang: str) -> Words:
    """The texts of ``lang`` (``en`` or ``zh``)."""
    return _BY_LANG[lang]


def language_of(opportunities_tab: str) -> str:
    """zh when the workbook names its Opportunities tab in Chinese, else en: decided once per
    run, from the tab every workbook has."""
    return "en" if opportunities_tab.isascii() else "zh"
