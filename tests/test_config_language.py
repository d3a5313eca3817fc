"""Config problems are said in the workbook's language: a Chinese workbook (init --lang zh)
reads its Config-tab and Targets-tab problems in Chinese, in the Summary and in the result; an
English one keeps its English sentences. Each still names its cell."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import init
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook

AS_OF = dt.date(2026, 11, 24)
CJK = re.compile(r"[\u4e00-\u9fff]")

#: per language: tab names, the edits (tab, cell, value) and the sentence expected at each cell
CASES = {
    "en": ({"Scoring": ("C2", "abc"), "Targets": ("C3", "gross margin"),
            "Stages": ("B9", 50), "Settings": ("B6", "high")},
           {"Scoring!C2": 'The weight "abc" is not a number. Type a number such as 2 or 0.5.',
            "Targets!C3": 'The Metric "gross margin" is not one sheetfunnel knows: type won '
                          "amount, won deals, new deals or conversion A → B with two stages of "
                          "the Stages tab (赢单金额, 赢单数, 新增商机, 转化率 A → B).",
            "Stages!A9": "This row names no Stage, so it is ignored. Type the stage name, or "
                         "clear the row.",
            "Settings!B6": 'The setting grade_A must be a number such as 80, not "high".'}),
    "zh": ({"评分卡": ("C2", "abc"), "目标": ("C3", "毛利"), "阶段": ("B9", 50),
            "设置": ("B6", "高")},
           {"'评分卡'!C2": "权重“abc”不是数字。请填写一个数字，例如 2 或 0.5。",
            "'目标'!C3": "指标“毛利”无法识别：请填写 赢单金额、赢单数、新增商机，或 转化率 A → B"
                        "（A、B 为阶段表中的两个阶段）。",
            "'阶段'!A9": "这一行没有写阶段名称，因此被忽略。请填写阶段名称，或清空这一行。",
            "'设置'!B6": "参数 grade_A 必须是数字，例如 80，而不是“高”。"}),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_config_problems_are_said_in_the_workbooks_language(tmp_path: Path, lang: str):
    path = tmp_path / f"{lang}.xlsx"
    init(path, lang=lang, demo=True, as_of=AS_OF)
    run_once(XlsxWorkbook(path), as_of=AS_OF)  # a last good config, so Targets are read too
    edits, expected = CASES[lang]
    book = openpyxl.load_workbook(path)
    for tab, (cell, value) in edits.items():
        book[tab][cell] = value
    book.save(path)
    result = run_once(XlsxWorkbook(path), as_of=AS_OF + dt.timedelta(days=1))

    said = {p.where: p.message for p in result.problems}
    assert {where: said.get(where) for where in expected} == expected
    summary = openpyxl.load_workbook(path)[result.titles["summary"] or "Summary"]
    rows = {row[1]: row[2] for row in summary.iter_rows(values_only=True)
            if len(row) > 2 and row[1] in expected}
    assert len(rows) >= 3  # the Summary shows the first few problems, each at its cell
    assert all(expected[where] == message for where, message in rows.items())
    if lang == "zh":
        config_problems = [p.message for p in result.problems
                           if p.where.startswith(("'评分卡'", "'目标'", "'阶段'", "'设置'"))]
        assert config_problems and all(CJK.search(m) for m in config_problems)
        assert not any(re.search(r"\b(The|This|There|Type|must)\b", m) for m in config_problems)
