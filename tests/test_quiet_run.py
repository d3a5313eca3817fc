"""A workbook that is unchanged costs its reads and nothing else (spec §7): the run stops after
reading, on both backends, and says what a full run would; any change means a full run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from sheetfunnel import api, quiet, runner, schema
from sheetfunnel.cli import cli
from sheetfunnel.errors import Problem
from sheetfunnel.report import report_json
from sheetfunnel.runner import QuietResult, run_once
from sheetfunnel.tabs.state import fingerprint
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.gsheets import open_book
from tests.support.parity import AS_OF, Pair, assert_same_cells

OPPORTUNITIES, SCORE, AMOUNT, ID = "Opportunities", 20, 6, 1


def _both(pair: Pair, as_of: dt.date | dt.datetime = AS_OF) -> list[runner.RunResult]:
    return [run_once(XlsxWorkbook(pair.path), as_of=as_of),
            run_once(open_book(pair.emulator), as_of=as_of)]


def _full(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> list[runner.RunResult]:
    """Runs that never take the shortcut."""
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_unchanged", lambda *_: None)
        return _both(pair)


def _comparable(report: dict) -> dict:
    return {**report, "io": {k: v for k, v in report["io"].items() if k != "seconds"}}


@pytest.fixture
def pair(emulator, tmp_path) -> Pair:
    made = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang="en", demo=True)
    assert not any(result.quiet for result in _both(made))  # the first run judges everything
    return made


def test_an_unchanged_rerun_stops_after_reading_and_reports_as_a_full_run(
        pair, monkeypatch):
    requests = len(pair.emulator.calls)
    quiet = _both(pair)
    assert [type(r) for r in quiet] == [QuietResult, QuietResult]
    assert [r.cells_written for r in quiet] == [0, 0]
    assert [r.rows for r in quiet] == [720, 720]
    assert len(pair.emulator.calls) - requests == 2  # metadata, values read (spec §7)
    full = _full(pair, monkeypatch)
    assert [r.cells_written for r in full] == [0, 0]  # the full runs agree: nothing to write
    for stopped, judged in zip(quiet, full, strict=True):
        assert _comparable(stopped.report) == _comparable(judged.report)
        assert stopped.problems == judged.problems
        assert stopped.joins == judged.joins
        assert stopped.evaluation.deals.equals(judged.evaluation.deals)
    assert_same_cells(pair)


def test_a_later_moment_of_the_same_day_stops_too_and_an_earlier_one_does_not(pair):
    assert all(r.quiet for r in _both(pair, dt.datetime(2026, 11, 24, 0, 30)))
    assert not any(r.quiet for r in _both(pair, dt.datetime(2026, 11, 23, 23, 0)))


def _delete_tab(pair: Pair, title: str) -> None:
    book = openpyxl.load_workbook(pair.path)
    del book[title]
    book.save(pair.path)
    pair.emulator.sheets.remove(pair.emulator.sheet(title))


EDITS: dict[str, Callable[[Pair], None]] = {
    "a data cell": lambda p: p.type(OPPORTUNITIES, 5, AMOUNT, 123456),
    "an owned cell typed over": lambda p: p.type(OPPORTUNITIES, 5, SCORE, 99),
    "an owned cell cleared": lambda p: p.type(OPPORTUNITIES, 6, SCORE, None),
    "the Attention tab typed in": lambda p: p.type("Attention", 3, 2, "mine"),
    "a Scoring points cell": lambda p: p.type("Scoring", 2, 5, 8),
    "a Settings value": lambda p: p.type("Settings", 4, 2, "USD"),
    "the Summary tab deleted": lambda p: _delete_tab(p, "Summary"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_any_change_means_a_full_run_that_repairs_it(pair, edit):
    EDITS[edit](pair)
    after = _both(pair)
    assert not any(r.quiet for r in after)
    if edit.startswith(("an owned", "the ")):
        assert all(r.cells_written >= 1 for r in after)  # the worker's cells are repaired
    assert all(r.quiet for r in _both(pair))  # and then the workbook is quiet again
    assert_same_cells(pair)


def test_the_next_day_is_a_full_run(pair):
    assert not any(r.quiet for r in _both(pair, AS_OF + dt.timedelta(days=1)))


def test_a_config_file_changed_is_a_full_run(pair, tmp_path):
    toml = tmp_path / "more.toml"
    toml.write_text("# the same config\n", encoding="utf-8")
    first = run_once(XlsxWorkbook(pair.path), as_of=AS_OF, config_file=toml)
    assert not first.quiet
    assert run_once(XlsxWorkbook(pair.path), as_of=AS_OF, config_file=toml).quiet
    toml.write_text("# a comment\n", encoding="utf-8")
    assert not run_once(XlsxWorkbook(pair.path), as_of=AS_OF, config_file=toml).quiet


def _old_data_fingerprint(inputs: runner.Inputs, new_ids: dict[int, str]) -> str:
    """The data fingerprint spelled from rows, as before it was made a column at a time from
    digests made once a run: the frame without the worker's columns, the new IDs put in by
    ``.loc``, every row made a list, the grids' digests made by ``fingerprint``."""
    model = inputs.model
    owned = schema.OWNED_COLUMNS["opportunities"] + schema.MODEL_COLUMNS
    frame = model.opportunities.table.frame.drop(
        columns=[h for r, h in model.opportunities.roles.items() if r in owned]).copy()
    for row, new_id in new_ids.items():
        frame.loc[row, model.opportunities.roles["id"]] = new_id
    grids = [[list(map(str, frame.columns))] + frame.astype(object).values.tolist()]
    grids += [inputs.snapshot.tabs[title] for role in ("activities", *schema.CONFIG_TABS,
                                                        "targets")
              if (title := model.titles.get(role))]
    return fingerprint(grids)


def test_deals_typed_without_ids_get_one_the_fingerprint_made_once_keeps(pair, monkeypatch):
    for row in (4, 9):
        pair.type(OPPORTUNITIES, row, ID, None)
    inputs = runner._read(XlsxWorkbook(pair.path), None)
    config = inputs.model.config
    assert config is not None
    new_ids = runner.judge(inputs, config, dt.datetime(2026, 11, 24, 9)).evaluation.new_ids
    assert set(new_ids) == {4, 9}
    assert runner._data_fingerprint(inputs, new_ids) == _old_data_fingerprint(inputs, new_ids)
    assert inputs.fingerprint == _old_data_fingerprint(inputs, {}) != \
        _old_data_fingerprint(inputs, new_ids)
    made = []
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_data_fingerprint",
                      lambda *args: made.append(1) or _old_data_fingerprint(*args))
        assert not any(r.quiet for r in _both(pair))  # the check's, and with the new IDs
        assert made == [1] * 4
        made.clear()
        assert all(r.quiet for r in _both(pair))  # the state kept what the rerun reads
        assert made == [1, 1]
        pair.type(OPPORTUNITIES, 5, AMOUNT, 4321)
        made.clear()
        assert not any(r.quiet for r in _both(pair))  # no new ID: the check's, made once
        assert made == [1, 1]
    assert_same_cells(pair)


def test_the_key_digests_a_tab_written_whole_by_its_grid_as_by_the_writes(pair):
    pair.type(OPPORTUNITIES, 5, AMOUNT, 123456)  # the Attention and Summary tabs change
    pair.type("Attention", 40, 3, "a leftover a person typed")
    inputs = runner._read(XlsxWorkbook(pair.path), None)
    config = inputs.model.config
    assert config is not None
    outcome = runner.judge(inputs, config, dt.datetime(2026, 11, 24, 9))
    plan = runner.plan_writes(inputs, config, outcome)
    whole = dict(plan.whole_tabs)
    assert {"Summary", "Attention"} <= set(whole)
    assert any(w.tab == "Attention" for w in plan.cells)
    regions = runner._regions(inputs)
    by_writes = quiet.owned_digest(regions, inputs.snapshot.tabs, plan.cells)
    by_grids = quiet.owned_digest(regions, {**inputs.snapshot.tabs, **whole}, plan.cells,
                                  whole=whole.keys())
    assert by_grids == by_writes
    assert by_writes != quiet.owned_digest(regions, inputs.snapshot.tabs)


def _judging_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("a quiet run judged the workbook")
    monkeypatch.setattr(runner, "judge", refuse)


def test_the_library_tells_a_quiet_run_as_the_last_full_run_told_it_without_judging(
        pair, monkeypatch):
    pair.type("Targets", 3, 3, "margin")  # a Targets problem a full run tells as a warning
    told = [api.run(book, as_of=AS_OF) for book in (XlsxWorkbook(pair.path),
                                                     open_book(pair.emulator))]
    assert not any(r.quiet for r in told)
    assert all(any(p.where == "Targets!C3" for p in r.problems) for r in told)
    with monkeypatch.context() as patch:
        _judging_forbidden(patch)
        quiet = [api.run(book, as_of=AS_OF) for book in (XlsxWorkbook(pair.path),
                                                          open_book(pair.emulator))]
    assert all(r.quiet for r in quiet)
    for stopped, full in zip(quiet, told, strict=True):
        assert (stopped.counts, stopped.flags, stopped.problems, stopped.joins,
                stopped.as_of) == (full.counts, full.flags, full.problems, full.joins,
                                   full.as_of)
        assert list(stopped.flags) == list(full.flags)  # in the order of severity
        assert stopped.cells_written == 0 and stopped.notifications is None
        # the report, when asked for, is a full run's (judged then)
        assert _comparable(stopped.report)["flags"] == full.report["flags"]


def test_the_command_on_a_quiet_workbook_prints_what_a_full_run_prints(
        pair, monkeypatch, tmp_path):
    args = ["run", str(pair.path), "--as-of", AS_OF.isoformat()]
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_unchanged", lambda *_: None)
        full = CliRunner().invoke(cli, args)
    with monkeypatch.context() as patch:
        _judging_forbidden(patch)
        stopped = CliRunner().invoke(cli, args)
    assert full.exit_code == stopped.exit_code == 0, stopped.output
    assert "0 cells written (nothing changed since the last run)." in stopped.output
    assert stopped.output.replace(" (nothing changed since the last run)", "") == full.output
    assert "FOLLOW_UP_OVERDUE" in stopped.output  # the flags table, from the key
    report = tmp_path / "report.json"
    asked = CliRunner().invoke(cli, [*args, "--report", str(report)])
    assert asked.exit_code == 0, asked.output
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_unchanged", lambda *_: None)
        judged = run_once(XlsxWorkbook(pair.path), as_of=AS_OF).report
    written = json.loads(report.read_text(encoding="utf-8"))
    assert {k: v for k, v in written.items() if k != "io"} == \
        {k: v for k, v in json.loads(report_json(judged)).items() if k != "io"}


def test_a_key_too_long_for_its_cell_keeps_no_problems_and_never_stops_a_run():
    moment = dt.datetime(2026, 11, 24, 9)
    many = tuple(Problem(f"Scoring!C{row}", "A warning of some length. " * 4, "warning")
                 for row in range(2, 800))
    text = quiet.key_text(moment=moment, until=moment + dt.timedelta(hours=1), code="c",
                          config_file="f", owned="o",
                          kept=quiet.Kept({"opportunities": 1}, {}, None, many))
    assert len(text) <= quiet.KEY_LIMIT
    assert quiet.still_quiet(text, moment=moment, code="c", config_file="f", owned="o") is None
    few = quiet.Kept({"opportunities": 1}, {"STALLED": 2}, None, many[:2])
    text = quiet.key_text(moment=moment, until=moment + dt.timedelta(hours=1), code="c",
                          config_file="f", owned="o", kept=few)
    assert quiet.still_quiet(text, moment=moment, code="c", config_file="f", owned="o") == few
