"""The problems outside the Config tabs are said in the workbook's language too: the win model's
warnings, an unreadable date of an activity of no deal, the Notify
tab's and the notification Settings' problems, the cell-limit warning and a ``--config`` TOML
file's own problems (in the workbook's language, or in Chinese when the file names its sections
in Chinese). An English workbook keeps its English sentences word for word."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetfunnel import init
from sheetfunnel.config import sections_from_grids, sections_from_toml
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.learn import learn
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.notify.people import read_people
from sheetfunnel.notify.settings import notify_settings
from sheetfunnel.runner import check, run_once
from sheetfunnel.workbook.base import cell_limit_problems
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.closed_deals import AS_OF, config, judged, synthetic_grid
from tests.support.tables import role_table_from_grid

WIN_MODEL = {
    "en": {("Settings", "model_fields names “Nowhere”, which is no column of the Opportunities "
                        "or Customers tab; the win model leaves it out. Fix the name."),
           ("Opportunities!H1", "“Lost Reason” is known only when a deal closes (or is written "
                                "by sheetfunnel), so the win model never learns from it. Remove "
                                "it from Settings model_fields."),
           ("Opportunities!J1", "“Signed Date” is filled on 67% of closed deals but only 0% of "
                                "open ones, which looks like a field filled at closing; the win "
                                "model leaves it out. Fill it earlier in the sale, or remove it "
                                "from Settings model_fields.")},
    "zh": {("设置", "model_fields 中的“Nowhere”不是商机表或客户表的列，赢单模型不使用它。"
                    "请改正名称。"),
           ("'商机'!H1", "“Lost Reason”要到商机关闭时才知道（或由 sheetfunnel 填写），"
                         "赢单模型不会从它学习。请把它从设置表的 model_fields 中删除。"),
           ("'商机'!J1", "“Signed Date”在 67% 的已关闭商机中有填写，在进行中的商机中只有 0%，"
                         "看起来是关闭时才填写的字段，赢单模型不使用它。"
                         "请在销售过程中更早填写，或把它从设置表的 model_fields 中删除。")},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_win_models_warnings(lang: str):
    grid = synthetic_grid(120, open_deals=20)
    grid[0].append("Signed Date")
    for i, row in enumerate(grid[1:]):
        row.append("2025-06-01" if row[1] in ("Won", "Lost") and i % 3 else None)
    cfg = config(model_fields=("Source", "Lost Reason", "Signed Date", "Nowhere"))
    tab = "Opportunities" if lang == "en" else "商机"
    table = role_table_from_grid("opportunities", tab, grid)
    evaluation = evaluate(table, None, None, cfg, as_of=AS_OF, memory=StageMemory(), lang=lang)
    learned = learn(table, None, evaluation, cfg, lang=lang)
    assert {(p.where, p.message) for p in learned.problems} == WIN_MODEL[lang]
    assert {p.severity for p in learned.problems} == {"warning"}


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["Opportunities!C2: “lots” is not a number or amount",
            "Opportunities!E3: “1/3/2025” could be day/month or month/day; set date_order (dmy "
            "or mdy) in Settings or type the date as YYYY-MM-DD"]),
    ("zh", ["'商机'!C2: “lots” 不是数字或金额",
            "'商机'!E3: “1/3/2025” 既可以读作日/月也可以读作月/日；请在设置表中设置 "
            "date_order（dmy 或 mdy），或把日期写成 YYYY-MM-DD"])])
def test_an_unreadable_cell_is_told_why_in_the_workbooks_language(lang: str,
                                                                   expected: list[str]):
    grid = [["ID", "Stage", "Amount", "Owner", "Expected Close"],
            ["OPP-1", "Lead", "lots", "Ann", "2026-12-01"],
            ["OPP-2", "Lead", 5, "Bo", "1/3/2025"]]
    table = role_table_from_grid("opportunities", "Opportunities" if lang == "en" else "商机",
                                 grid)
    evaluation = evaluate(table, None, None, config(), as_of=AS_OF, memory=StageMemory(),
                          lang=lang)
    flagged = evaluation.flags[evaluation.flags["code"] == "INVALID_VALUE"]
    assert sorted(flagged["detail"]) == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ("Activities!A2", "“someday” is not a date (try YYYY-MM-DD) (the activity's date is "
                             "ignored).")),
    ("zh", ("'活动'!A2", "“someday” 不是日期（请写成 YYYY-MM-DD）（这条活动的日期被忽略）。"))])
def test_an_unreadable_date_of_an_activity_of_no_deal(lang: str, expected: tuple[str, str]):
    table, _ = judged(synthetic_grid(4, open_deals=2), config())
    activities = role_table_from_grid(
        "activities", "Activities" if lang == "en" else "活动",
        [["Date", "Opportunity ID", "Type"], ["someday", "OPP-999999", "Call"]])
    evaluation = evaluate(table, None, activities, config(), as_of=AS_OF, memory=StageMemory(),
                          lang=lang)
    assert [(p.where, p.message) for p in evaluation.problems] == [expected]


NOTIFY = [["Name", "Role", "Channel", "Digest At", "Quiet Hours"],
          ["Ann", "boss", "team", "", ""], ["Bo", "rep", "", "", ""],
          ["Cy", "rep", "elsewhere", "", ""], ["Di", "rep", "team", "noon", ""],
          ["Ed", "rep", "team", "", "nights"], ["Flo", "manager", "team", "08:30", "none"]]
SETTINGS = [["Key", "Value"], ["quiet_hours", "late"], ["quiet_weekends", "maybe"],
            ["renotify_days", "soon"], ["escalate_after_days", "-2"]]
NOTIFY_PROBLEMS = {
    "en": [("Notify!B2", 'The role "boss" of Ann is not rep, manager or admin (销售/经理/管理员); '
                         "this row is skipped."),
           ("Notify!C3", "Bo has no Channel; name a channel of the notify config."),
           ("Notify!C4", 'The channel "elsewhere" of Cy is not in the notify config (it has: '
                         "robot, team). Add it there or fix the name."),
           ("Notify!D5", 'Digest At "noon" of Di is no time of day; type one such as 08:30.'),
           ("Notify!E6", 'Quiet Hours "nights" of Ed is no span; type one such as 21:00-08:00 '
                         "(or none)."),
           ("Settings!B2", 'quiet_hours must be a span such as 21:00-08:00, not "late"; '
                           "21:00-08:00 is used."),
           ("Settings!B3", 'quiet_weekends must be yes or no, not "maybe"; yes is used.'),
           ("Settings!B4", 'renotify_days must be whole days such as 1, 3, 7, not "soon"; 1, 3, '
                           "7 is used."),
           ("Settings!B5", "escalate_after_days must be a whole number of days from 0 to 3650, "
                           'not "-2"; 7 is used.')],
    "zh": [("'通知'!B2", "Ann 的角色“boss”不是 销售、经理 或 管理员（rep/manager/admin），"
                         "这一行被跳过。"),
           ("'通知'!C3", "Bo 没有填写渠道；请填写通知配置中的一个渠道。"),
           ("'通知'!C4", "Cy 的渠道“elsewhere”不在通知配置中（配置中有：robot、team）。"
                         "请在通知配置中添加，或改正名称。"),
           ("'通知'!D5", "Di 的摘要时间“noon”不是时刻；请填写例如 08:30。"),
           ("'通知'!E6", "Ed 的免打扰“nights”不是时间段；请填写例如 21:00-08:00（或 无）。"),
           ("'设置'!B2", "参数 quiet_hours 必须是时间段，例如 21:00-08:00，而不是“late”；"
                         "现按 21:00-08:00 处理。"),
           ("'设置'!B3", "参数 quiet_weekends 必须是 是 或 否，而不是“maybe”；现按 是 处理。"),
           ("'设置'!B4", "参数 renotify_days 必须是整数天数，例如 1, 3, 7，而不是“soon”；"
                         "现按 1, 3, 7 处理。"),
           ("'设置'!B5", "参数 escalate_after_days 必须是 0 到 3650 之间的整数天数，而不是“-2”；"
                         "现按 7 处理。")],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notify_tabs_and_the_notification_settings_problems(lang: str):
    titles = {"en": ("Notify", "Settings"), "zh": ("通知", "设置")}[lang]
    sections = sections_from_grids({"notify": (titles[0], NOTIFY),
                                    "settings": (titles[1], SETTINGS)}, lang)
    people, people_problems = read_people(sections["notify"], {"team", "robot"}, lang)
    _, setting_problems = notify_settings(sections["settings"], "UTC", lang)
    assert [p.name for p in people] == ["Flo"]
    assert [(p.where, p.message) for p in people_problems + setting_problems] == \
        NOTIFY_PROBLEMS[lang]


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ("spreadsheet", "After this run the spreadsheet has 9,000,000 cells, 90% of Google's "
                           "limit of 10,000,000; a run that needs more rows is refused past it. "
                           "Delete unused rows and columns (or old tabs) to make room.")),
    ("zh", ("表格", "本次运行后表格共有 9,000,000 个单元格，达到 Google 上限 10,000,000 的 90%；"
                    "超过上限后，需要更多行的运行会被拒绝。请删除不用的行和列（或旧的工作表）"
                    "腾出空间。"))])
def test_the_cell_limit_warning(lang: str, expected: tuple[str, str]):
    assert cell_limit_problems(7_000_000, lang) == ()
    assert [(p.where, p.message, p.severity) for p in cell_limit_problems(9_000_000, lang)] == \
        [(*expected, "warning")]


TEAM_TOML = ('[[settings]]\nkey = "stall_days"\nvalue = 14\ncolour = "red"\n'
             "[pricing]\nx = 1\n")
TOML_PROBLEMS = {
    "en": {("team.toml: settings[1].colour", "sheetfunnel does not know the key colour in "
                                             "[[settings]]; it is ignored. Use key, value, note."),
           ("team.toml: pricing", "sheetfunnel does not know the section [pricing]; it is "
                                  "ignored. Use [[stages]], [[scoring]], [[criteria]] or "
                                  "[[settings]]."),
           ("broken.toml: line 1", "The file cannot be read as TOML (Expected ']' at the end of "
                                   "a table declaration at column 10). Fix that line.")},
    "zh": {("team.toml: settings[1].colour", "sheetfunnel 不认识 [[settings]] 中的键 colour，"
                                             "已忽略。请使用 key、value、note。"),
           ("team.toml: pricing", "sheetfunnel 不认识节 [pricing]，已忽略。请使用 [[stages]]、"
                                  "[[scoring]]、[[criteria]] 或 [[settings]]（也可写作 "
                                  '[["阶段"]]、[["评分卡"]]、[["准入标准"]]、[["设置"]]）。'),
           ("broken.toml：第 1 行", "这个文件无法按 TOML 读取（Expected ']' at the end of a "
                                    "table declaration，在第 10 列）。请修正这一行。")},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_toml_files_own_problems_are_said_in_the_workbooks_language(tmp_path: Path,
                                                                       lang: str):
    path = tmp_path / "pipeline.xlsx"
    init(path, lang=lang, as_of=dt.date(2026, 11, 24))
    (tmp_path / "team.toml").write_text(TEAM_TOML, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("[settings\n", encoding="utf-8")
    said = set()
    for name in ("team.toml", "broken.toml"):
        model = check(XlsxWorkbook(path), config_file=tmp_path / name)
        said |= {(p.where, p.message) for p in model.problems if p.where.startswith(name)}
    assert said == TOML_PROBLEMS[lang]


def test_a_toml_file_naming_its_sections_in_chinese_is_answered_in_chinese():
    sections = sections_from_toml('[["阶段"]]\nstage = "线索"\nprobability = 10\ncolour = 1\n'
                                  "[pricing]\n", "team.toml")  # in an English workbook
    problems = [p.message for section in sections.values() for p in section.problems]
    assert problems == [
        "sheetfunnel 不认识 [[stages]] 中的键 colour，已忽略。请使用 stage、probability、kind、"
        "stall_days、follow_up_days、entered_date_field。",
        "sheetfunnel 不认识节 [pricing]，已忽略。请使用 [[stages]]、[[scoring]]、[[criteria]] 或 "
        '[[settings]]（也可写作 [["阶段"]]、[["评分卡"]]、[["准入标准"]]、[["设置"]]）。']


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", [("team.toml: scoring[1]", "Each row of [[scoring]] must be a table of key = value "
                                      "lines."),
            ("team.toml: stages", "The section stages must be a list of rows, each starting "
                                  "with [[stages]].")]),
    ("zh", [("team.toml: scoring[1]", "[[scoring]] 的每一行都必须是 键 = 值 形式的若干行。"),
            ("team.toml: stages", "节 stages 必须是若干行，每行以 [[stages]] 开头。")])])
def test_a_toml_section_of_the_wrong_shape(lang: str, expected: list[tuple[str, str]]):
    sections = sections_from_toml("scoring = [1]\nstages = 5\n", "team.toml", lang)
    assert [(p.where, p.message) for section in sections.values()
            for p in section.problems] == expected


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_engines_warnings_reach_the_runs_problems(tmp_path: Path, lang: str):
    """A Settings model_fields naming no column is told by the run (its problems, so the Summary
    and the report), not only found by the engine."""
    path = tmp_path / "pipeline.xlsx"
    init(path, lang=lang, demo=True, as_of=dt.date(2026, 11, 24))
    book = openpyxl.load_workbook(path)
    settings = book["Settings" if lang == "en" else "设置"]
    settings.append(["model_fields", "Nowhere, Source"])
    book.save(path)
    result = run_once(XlsxWorkbook(path), as_of=dt.date(2026, 11, 24))
    where, message = next(p for p in WIN_MODEL[lang] if "Nowhere" in p[1])
    assert [(p.where, p.message, p.severity) for p in result.problems
            if "Nowhere" in p.message] == [(where, message, "warning")]
