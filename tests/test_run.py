"""A whole run on a real .xlsx: people's cells untouched, reruns write nothing, clear errors."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetfunnel import init, schema
from sheetfunnel.cli import cli
from sheetfunnel.locks import XlsxLock
from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook

AS_OF = dt.date(2026, 11, 24)
OWNED_HEADERS = {schema.display_name(lang, tab, role)
                 for lang in ("en", "zh")
                 for tab, roles in schema.OWNED_COLUMNS.items() for role in roles}
OWNED_TABS = {"Summary", "Attention", "History", "_sheetfunnel", "汇总", "待处理", "历史"}


def person_cells(path: Path) -> dict[tuple[str, str], tuple[object, str]]:
    """Every cell people own: (tab, coordinate) -> (value or formula, number format)."""
    book = openpyxl.load_workbook(path)
    cells = {}
    for sheet in book.worksheets:
        if sheet.title in OWNED_TABS:
            continue
        header = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1), ())]
        for row in sheet.iter_rows():
            for cell in row:
                column_header = header[cell.column - 1] if cell.column <= len(header) else None
                if column_header in OWNED_HEADERS:
                    continue
                cells[(sheet.title, cell.coordinate)] = (cell.value, cell.number_format)
    return cells


@pytest.fixture
def demo_book(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="en", demo=True, as_of=AS_OF)
    return path


def test_a_run_changes_no_cell_a_person_owns_except_blank_ids(demo_book: Path):
    before = person_cells(demo_book)
    result = run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    after = person_cells(demo_book)
    changed = {key for key in before if before[key] != after.get(key)}
    id_col = "A"
    assert {key for key in changed if not key[1].startswith(id_col)} == set()
    filled = {key: after[key][0] for key in changed}
    assert len(filled) == len(result.evaluation.new_ids) >= 1
    assert all(before[key][0] is None and str(v).startswith("OPP-") for key, v in filled.items())


def test_the_run_writes_scores_flags_attention_and_summary(demo_book: Path):
    run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    book = openpyxl.load_workbook(demo_book)
    deals = book["Opportunities"]
    header = [c.value for c in deals[1]]
    for name in ("Score", "Grade", "Win %", "Weighted Amount", "Stage Entered",
                 "Days in Stage", "Flags"):
        assert name in header
    grades = {deals.cell(r, header.index("Grade") + 1).value for r in range(2, deals.max_row + 1)}
    assert grades <= {"A", "B", "C", "D"} and len(grades) >= 3
    flags = [deals.cell(r, header.index("Flags") + 1).value for r in range(2, deals.max_row + 1)]
    assert any(f and "⛔ Missing:" in f for f in flags)
    assert any(f and "⏰" in f for f in flags)
    score = header.index("Score") + 1
    assert deals.cell(1, score).font.b and not deals.cell(2, score).font.b  # only headers bold
    attention = book["Attention"]
    assert [c.value for c in attention[1]] == ["ID", "Title", "Owner", "Stage", "Amount",
                                               "Score", "Grade", "Flag", "Detail", "Next Step",
                                               "Since"]
    assert attention.max_row > 50
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[0][0] == "Pipeline summary"
    stages = [row[0] for row in summary]
    assert stages.index("Lead") < stages.index("Won")


def test_a_second_run_with_the_same_data_and_day_writes_nothing(demo_book: Path):
    run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    stamp = demo_book.stat().st_mtime_ns
    again = run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    assert again.report["io"]["cells_written"] == 0
    assert again.plan.cells == ()
    assert demo_book.stat().st_mtime_ns == stamp


def test_the_reports_per_deal_list_is_made_only_when_the_report_is_read(
        demo_book: Path, monkeypatch: pytest.MonkeyPatch):
    from sheetfunnel import report, runner

    made: list[int] = []

    def counted(brief: dict, evaluation):
        made.append(len(evaluation.deals))
        return report.with_opportunities(brief, evaluation)

    monkeypatch.setattr(runner, "with_opportunities", counted)
    result = run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    assert result.rows > 50 and result.cells_written > 0 and result.notifications is None
    assert result.io["cells_written"] == result.cells_written and made == []
    deals = result.report["opportunities"]
    assert len(deals) == result.rows and made == [result.rows]
    assert result.report is result.report and made == [result.rows]  # made once
    assert list(result.report).index("opportunities") == list(result.report).index("win_rate") + 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_init_in_either_language_gives_a_workbook_a_run_accepts(tmp_path: Path, lang: str):
    path = tmp_path / f"{lang}.xlsx"
    init(path, lang=lang, demo=True, as_of=AS_OF)
    result = run_once(XlsxWorkbook(path), as_of=AS_OF)
    assert result.config_status == "ok"
    assert [p for p in result.problems if p.severity == "error"] == []
    assert result.rows == 720
    assert sum(result.report["flags"].values()) > 50


def test_a_stage_change_between_runs_lands_in_history_and_resets_days(demo_book: Path):
    run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    book = openpyxl.load_workbook(demo_book)
    deals = book["Opportunities"]
    header = [c.value for c in deals[1]]
    stage_col = header.index("Stage") + 1
    row = next(r for r in range(2, deals.max_row + 1)
               if deals.cell(r, stage_col).value == "Qualified")
    deal_id = deals.cell(row, 1).value
    deals.cell(row, stage_col).value = "Needs Analysis"
    book.save(demo_book)
    later = AS_OF + dt.timedelta(days=3)
    result = run_once(XlsxWorkbook(demo_book), as_of=later)
    deal = result.evaluation.deals.loc[row]
    assert deal["days_in_stage"] == 0
    history = [[c.value for c in r] for r in openpyxl.load_workbook(demo_book)["History"]
               .iter_rows()]
    assert [later, "stage change", deal_id, "Qualified", "Needs Analysis"] in [
        [r[0].date() if isinstance(r[0], dt.datetime) else r[0], *r[1:5]] for r in history]


def test_cli_run_prints_a_summary_and_writes_the_report(demo_book: Path, tmp_path: Path):
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["run", str(demo_book), "--as-of", "2026-11-24",
                                      "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "720 opportunities" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["schema"] == "sheetfunnel.report/1"
    assert data["as_of"] == "2026-11-24"
    assert data["counts"]["opportunities"] == 720


def test_a_run_waits_its_turn_while_a_watcher_holds_the_file(demo_book: Path):
    watcher = XlsxLock(demo_book)
    watcher.acquire()
    stamp = demo_book.stat().st_mtime_ns
    result = CliRunner().invoke(cli, ["run", str(demo_book), "--as-of", "2026-11-24"])
    assert result.exit_code == 3
    assert "Another sheetfunnel (" in result.output and "Only one writer" in result.output
    assert demo_book.stat().st_mtime_ns == stamp
    watcher.release()
    assert CliRunner().invoke(cli, ["run", str(demo_book)]).exit_code == 0
    assert CliRunner().invoke(cli, ["run", str(demo_book.with_name("typo.xlsx"))]).exit_code == 2
    assert not demo_book.with_name("typo.xlsx.lock").exists()


def test_dry_run_writes_nothing(demo_book: Path):
    before = demo_book.read_bytes()
    result = CliRunner().invoke(cli, ["run", str(demo_book), "--as-of", "2026-11-24",
                                      "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would change; nothing was written" in result.output
    assert demo_book.read_bytes() == before


def test_a_missing_file_is_a_sentence_and_exit_2(tmp_path: Path):
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert "nope.xlsx" in result.output and "Traceback" not in result.output


def test_a_corrupt_file_is_a_sentence_and_exit_2_and_stays_as_it_was(tmp_path: Path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a workbook")
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 2
    assert "broken.xlsx" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == b"this is not a workbook"


def test_a_read_only_file_is_a_sentence_and_exit_3_and_stays_as_it_was(demo_book: Path):
    folder = demo_book.parent
    before = demo_book.read_bytes()
    os.chmod(folder, 0o555)
    try:
        probe = folder / "probe"
        try:
            probe.write_text("x")
            probe.unlink()
            pytest.skip("running as a user (root) who can write into read-only folders")
        except PermissionError:
            pass
        result = CliRunner().invoke(cli, ["run", str(demo_book), "--as-of", "2026-11-24"])
    finally:
        os.chmod(folder, 0o755)
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert demo_book.read_bytes() == before


def test_init_refuses_to_overwrite_and_check_accepts_a_fresh_workbook(tmp_path: Path):
    path = tmp_path / "new.xlsx"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(path)]).exit_code == 0
    again = runner.invoke(cli, ["init", str(path)])
    assert again.exit_code == 2 and "already exists" in again.output
    checked = runner.invoke(cli, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "The configuration is valid." in checked.output


def test_demo_says_which_file_to_open(tmp_path: Path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "d"), "--as-of",
                                      "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert str((tmp_path / "d" / "pipeline.xlsx").resolve()) in result.output.replace("\n", "")
    # the demo's history and targets call for Insights and Review: the run names them too
    assert "Open the tabs: Opportunities, Attention, Summary, Insights, Review." in \
        result.output.replace("\n", " ")
    assert "and Review (the weeks against the targets)" in result.output.replace("\n", " ")


def _break_a_weight(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    book["Scoring"]["C2"] = "abc"
    book.save(path)


def test_a_broken_config_on_a_first_run_writes_only_the_problems(tmp_path: Path):
    path = tmp_path / "new.xlsx"
    init(path, lang="en", demo=True, as_of=AS_OF)
    _break_a_weight(path)
    result = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-24"])
    assert result.exit_code == 2
    assert 'Scoring!C2: The weight "abc" is not a number.' in result.output
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book["Opportunities"][1]]
    assert "Score" not in header
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert ["Config", "broken, no good config"] in [row[:2] for row in summary]
    assert any(row[1] == "Scoring!C2" for row in summary)
    checked = CliRunner().invoke(cli, ["check", str(path)])
    assert checked.exit_code == 2 and "Scoring!C2" in checked.output


def test_a_broken_config_keeps_judging_with_the_last_good_one(demo_book: Path):
    first = run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    _break_a_weight(demo_book)
    again = run_once(XlsxWorkbook(demo_book), as_of=AS_OF)
    assert again.config_status == "broken, using last good"
    assert again.report["opportunities"] == first.report["opportunities"]
    assert [p.where for p in again.problems if p.severity == "error"] == ["Scoring!C2"]


def test_run_tells_a_chinese_workbook_what_it_did_in_chinese(tmp_path: Path):
    path = tmp_path / "p.xlsx"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(path), "--lang", "zh", "--demo", "--as-of",
                               "2026-11-24"]).exit_code == 0
    book = openpyxl.load_workbook(path)
    book["设置"].append(["tab.activities", "跟进", ""])
    book.save(path)
    first = runner.invoke(cli, ["run", str(path), "--as-of", "2026-11-24"])
    assert first.exit_code == 0, first.output
    said = first.output.replace("\n", "")
    assert "p.xlsx，截至 2026-11-24：读取了 720 个商机、150 个客户、" in said
    assert "警告 '设置'!B14: 没有名为“跟进”的表（最接近的是 跟进记录）" in said
    assert "┃ 提醒 " in first.output and "┃ 数量 ┃" in first.output
    assert "个单元格。请打开这些表：商机、待处理、汇总、洞察、复盘。" in said
    again = runner.invoke(cli, ["run", str(path), "--as-of", "2026-11-24"])
    assert "写入了 0 个单元格（自上次运行以来没有变化）。" in again.output.replace("\n", "")
