"""Every flag has its words in every language, and the languages say the same things."""

from __future__ import annotations

import string

from sheetfunnel.engine.flags import FLAG_CODES
from sheetfunnel.words import ICONS, LANGUAGES, en, language_of, problems, words_for, zh


def test_every_flag_has_an_icon_a_name_and_a_sentence_in_every_language():
    assert set(ICONS) == set(FLAG_CODES)
    for lang in LANGUAGES:
        words = words_for(lang)
        assert set(words.flag_labels) == set(FLAG_CODES)
        assert set(FLAG_CODES) <= set(words.flag_details)
        assert words_for(lang).flag_labels["STALLED"].startswith("🐢 ")


def test_english_and_chinese_have_the_same_keys_and_the_same_shapes():
    assert en.FLAG_DETAILS.keys() == zh.FLAG_DETAILS.keys()
    assert en.SUMMARY.keys() == zh.SUMMARY.keys()
    for key, text in en.SUMMARY.items():
        assert type(zh.SUMMARY[key]) is type(text)
        if isinstance(text, tuple):
            assert len(zh.SUMMARY[key]) == len(text), key
    assert len(zh.ATTENTION_HEADERS) == len(en.ATTENTION_HEADERS)
    assert len(zh.HISTORY_HEADERS) == len(en.HISTORY_HEADERS)
    assert en.RUN_LINES.keys() == zh.RUN_LINES.keys()
    for key, text in en.RUN_LINES.items():
        assert fields(zh.RUN_LINES[key]) == fields(text), key


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_language_is_the_opportunities_tab_s():
    assert language_of("Opportunities") == "en"
    assert language_of("商机") == "zh"
    assert words_for("zh").summary["title"] == "销售漏斗汇总"


def test_every_problem_sentence_is_in_both_languages_with_the_same_placeholders():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert problems.PROBLEMS["en"].keys() == problems.PROBLEMS["zh"].keys()
    for key, text in problems.PROBLEMS["en"].items():
        assert fields(problems.PROBLEMS["zh"][key]) == fields(text), key
    assert problems.joined("en", ["A", "B", "C"], "or") == "A, B or C"
    assert problems.joined("zh", ["A", "B"]) == "A 和 B"
