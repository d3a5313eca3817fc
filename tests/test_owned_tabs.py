"""The worker writes only tabs it made: no Settings row or tab name turns a people or config tab
into one it rewrites. Every case runs the real command on both backends: an .xlsx file, and an
emulated Google Sheet over HTTP with a real service-account key."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from sheetfunnel import init, schema
from sheetfunnel.cli import cli
from sheetfunnel.tabs.state import STATE_TAB, TABS_COL, TabRecord, tab_records
from sheetfunnel.workbook.base import only
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.emulator import SheetsEmulator, service_account_file
from tests.support.parity import save_grids

AS_OF = "2026-11-24"
KEY = "emulated-key"
PEOPLE_AND_CONFIG = ("opportunities", "customers", "activities", "stages", "scoring",
                     "criteria", "settings")
SETTINGS_ROW = 3  # the row a test's Settings row lands in: Settings!B3


def tabs(*settings_rows: list[Any], **extra: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """A small pipeline people typed: every people and config tab, a valid config."""
    return {
        "Opportunities": [["ID", "Title", "Stage", "Amount", "Customer ID"],
                          ["OPP-1", "Acme renewal", "Lead", 1200, "C-1"],
                          ["OPP-2", "Globex pilot", "Won", 800, "C-2"]],
        "Customers": [["Customer ID", "Name"], ["C-1", "Acme"], ["C-2", "Globex"]],
        "Activities": [["Date", "Opportunity ID", "Type"], ["2026-11-20", "OPP-1", "Call"]],
        "Stages": [["Stage", "Probability", "Kind"], ["Lead", 10, "open"], ["Won", 100, "won"],
                   ["Lost", 0, "lost"]],
        "Scoring": [["Dimension", "Field", "Weight", "Match", "Points"],
                    ["Size", "Amount", 1, ">= 1000", 10]],
        "Criteria": [["Stage", "Field", "Check", "Value", "Message"],
                     ["Won", "Amount", "filled", None, "Amount known"]],
        "Settings": [["Key", "Value"], ["follow_up_days", 7], *settings_rows],
        **extra,
    }


def sheetfunnel(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


class Book:
    """One workbook on one backend: the command on it, and a person's hands on it."""

    def __init__(self, report: Path):
        self.report = report

    def target(self) -> list[object]:
        raise NotImplementedError

    def command(self, name: str, *args: object) -> tuple[int, str]:
        return sheetfunnel(name, *self.target(), *args)

    def run(self, *args: object) -> tuple[int, str, int | None]:
        """``sheetfunnel run``: exit code, what it printed, cells written (None: no report)."""
        self.report.unlink(missing_ok=True)
        code, out = self.command("run", "--as-of", AS_OF, "--report", self.report, *args)
        written = json.loads(self.report.read_text())["io"]["cells_written"] \
            if self.report.exists() else None
        return code, out, written

    def records(self) -> dict[str, TabRecord]:
        return tab_records(self.grid(STATE_TAB))

    # what each backend implements
    def dump(self) -> Any: ...
    def titles(self) -> list[str]: ...
    def ids(self) -> dict[str, str]: ...
    def grid(self, title: str) -> list[list[Any]]: ...
    def set_cell(self, tab: str, row: int, col: int, value: Any) -> None: ...
    def add_tab(self, title: str, grid: list[list[Any]], index: int) -> None: ...
    def delete_tab(self, title: str) -> None: ...
    def rename(self, title: str, new: str) -> None: ...
    def move(self, title: str, index: int) -> None: ...
    def forget_records(self) -> None:
        """The workbook as the worker before this change left it: no records, no marks."""


class XlsxBook(Book):
    def __init__(self, folder: Path, grids: dict[str, list[list[Any]]], report: Path):
        super().__init__(report)
        folder.mkdir()
        self.path = folder / "pipeline.xlsx"
        save_grids(self.path, grids)

    def target(self) -> list[object]:
        return [self.path]

    def dump(self) -> dict[str, bytes]:
        """Every file of the folder, byte for byte (a backup made would show too), but the
        lock file a run holds meanwhile."""
        return {p.name: p.read_bytes() for p in sorted(self.path.parent.iterdir())
                if p.suffix != ".lock"}

    @contextlib.contextmanager
    def edit(self) -> Iterator[openpyxl.Workbook]:
        """A person opens the file, changes it and saves it (openpyxl renumbers sheetIds)."""
        book = openpyxl.load_workbook(self.path)
        yield book
        book.save(self.path)

    def titles(self) -> list[str]:
        return list(XlsxWorkbook(self.path).read(only()).titles)

    def ids(self) -> dict[str, str]:
        return dict(XlsxWorkbook(self.path).read(only()).ids)

    def grid(self, title: str) -> list[list[Any]]:
        return XlsxWorkbook(self.path).read(only(title)).tabs[title]

    def set_cell(self, tab: str, row: int, col: int, value: Any) -> None:
        with self.edit() as book:
            book[tab].cell(row, col).value = value

    def add_tab(self, title: str, grid: list[list[Any]], index: int) -> None:
        with self.edit() as book:
            sheet = book.create_sheet(title, index)
            for row in grid:
                sheet.append(row)

    def delete_tab(self, title: str) -> None:
        with self.edit() as book:
            book.remove(book[title])

    def rename(self, title: str, new: str) -> None:
        with self.edit() as book:
            book[title].title = new

    def move(self, title: str, index: int) -> None:
        with self.edit() as book:
            book.move_sheet(title, index - book.sheetnames.index(title))

    def forget_records(self) -> None:
        with self.edit() as book:
            for row in book[STATE_TAB].iter_rows(min_col=TABS_COL, max_col=TABS_COL + 2):
                for cell in row:
                    cell.value = None
        self.drop_marks()

    def drop_marks(self) -> None:
        """What a program that drops tab-scoped names on save would leave."""
        with self.edit() as book:
            for sheet in book.worksheets:
                for name in [n for n in sheet.defined_names if n.startswith("sheetfunnel_")]:
                    del sheet.defined_names[name]


class SheetsBook(Book):
    def __init__(self, emulator: SheetsEmulator, grids: dict[str, list[list[Any]]],
                 key_file: Path, report: Path):
        super().__init__(report)
        self.emulator = emulator
        self.key_file = key_file
        for title, grid in grids.items():
            emulator.add_sheet(title, grid)

    def target(self) -> list[object]:
        return ["--sheet", KEY, "--credentials", self.key_file]

    def dump(self) -> list[dict]:
        """Every tab: title, id, place, values, formats, notes, rules, charts, protection."""
        return copy.deepcopy([dataclasses.asdict(s) for s in self.emulator.sheets])

    def titles(self) -> list[str]:
        return [s.title for s in self.emulator.sheets]

    def ids(self) -> dict[str, str]:
        return {s.title: str(s.sheet_id) for s in self.emulator.sheets}

    def grid(self, title: str) -> list[list[Any]]:
        return self.emulator.grid(title)

    def set_cell(self, tab: str, row: int, col: int, value: Any) -> None:
        self.emulator.set_cell(tab, row, col, value)

    def add_tab(self, title: str, grid: list[list[Any]], index: int) -> None:
        self.emulator.add_sheet(title, grid)
        self.move(title, index)

    def delete_tab(self, title: str) -> None:
        self.emulator.sheets.remove(self.emulator.sheet(title))

    def rename(self, title: str, new: str) -> None:
        self.emulator.sheet(title).title = new

    def move(self, title: str, index: int) -> None:
        sheet = self.emulator.sheet(title)
        self.emulator.sheets.remove(sheet)
        self.emulator.sheets.insert(index, sheet)

    def forget_records(self) -> None:
        sheet = self.emulator.sheet(STATE_TAB)
        sheet.clear(0, TABS_COL - 1, sheet.rows, TABS_COL + 2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SheetsEmulator, Path]]:
    """One emulated spreadsheet over HTTP for the module, and a key it trusts (stopping a
    server costs half a second; each test empties the spreadsheet instead)."""
    emulator = SheetsEmulator(KEY)
    with emulator.serve():
        yield emulator, service_account_file(tmp_path_factory.mktemp("key"), emulator)


@pytest.fixture(params=["xlsx", "sheets"])
def make_book(request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Any:
    """Makes a workbook people typed, on each backend in turn."""
    report = tmp_path / "report.json"
    if request.param == "xlsx":
        return lambda grids: XlsxBook(tmp_path / "book", grids, report)
    emulator, key_file = request.getfixturevalue("served")
    emulator.sheets.clear()
    emulator.calls.clear()
    monkeypatch.setenv(ENDPOINT_ENV, emulator.base_url)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return lambda grids: SheetsBook(emulator, grids, key_file, report)


def refused(book: Book, *args: object) -> str:
    """Runs the command, which must stop with exit 2 having changed nothing at all."""
    before = book.dump()
    code, out, written = book.run(*args)
    assert (code, written) == (2, None), out
    assert book.dump() == before
    return out


UNTIL = "sheetfunnel writes nothing, in any tab, until this is fixed."


@pytest.mark.parametrize("target", PEOPLE_AND_CONFIG)
@pytest.mark.parametrize("role", schema.OWNED_TABS)
def test_no_settings_row_points_an_owned_tab_at_a_people_or_config_tab(make_book, role, target):
    title = schema.english_name(target)
    book = make_book(tabs([f"tab.{role}", title]))
    out = refused(book)
    where = f"Settings!B{SETTINGS_ROW}"
    if role == "state":
        assert f"Error: {where}: tab.state = {title}: sheetfunnel keeps its memory in the " \
               f"hidden tab _sheetfunnel, which cannot be moved. {UNTIL} Delete the row." in out
        return
    assert f'Error: {where}: tab.{role} = {title} would make sheetfunnel rewrite the tab ' \
           f'"{title}" whole, and that tab is your {title} tab. {UNTIL}' in out
    assert f"tab.{role} = {schema.english_name(role)} (sheetfunnel)), or delete the row." in out


def test_check_and_dry_run_report_it_too(make_book):
    book = make_book(tabs(["tab.summary", "Opportunities"]))
    before = book.dump()
    for command, args in (("check", ()), ("run", ("--dry-run",))):
        code, out = book.command(command, *args)
        assert code == 2, (command, out)
        assert "Settings!B3: tab.summary = Opportunities would make sheetfunnel rewrite" in out
    assert book.dump() == before


def test_a_row_added_after_runs_stops_the_next_run_before_any_write(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    book.set_cell("Settings", SETTINGS_ROW, 1, "tab.attention")
    book.set_cell("Settings", SETTINGS_ROW, 2, "Activities")
    out = refused(book)
    assert 'tab.attention = Activities would make sheetfunnel rewrite the tab "Activities"' in out


def test_a_team_s_own_summary_tab_is_left_alone_and_the_error_says_how_to_go_on(make_book):
    own = [["Weekly notes"], ["Call Ana about Acme"]]
    book = make_book(tabs(Summary=own))
    out = refused(book)
    assert 'Error: The tab "Summary" holds cells sheetfunnel did not write, and sheetfunnel ' \
           f"would rewrite it whole as the Summary tab. {UNTIL} Add the Settings row " \
           "tab.summary = Summary (sheetfunnel) so that sheetfunnel makes a tab of its own, " \
           "or rename your tab." in out

    book.set_cell("Settings", SETTINGS_ROW, 1, "tab.summary")
    book.set_cell("Settings", SETTINGS_ROW, 2, "Summary (sheetfunnel)")
    code, out, written = book.run()
    assert code == 0, out
    assert book.grid("Summary") == own
    made = book.records()["summary"]
    assert made == TabRecord(book.ids()["Summary (sheetfunnel)"], "Summary (sheetfunnel)")
    assert book.grid("Summary (sheetfunnel)")[0][0]  # the summary is there
    assert book.run()[2] == 0


def test_a_settings_row_naming_a_person_s_other_tab_is_refused(make_book):
    book = make_book(tabs(["tab.history", "Commissions"],
                          Commissions=[["Owner", "Rate"], ["Ana", 0.05]]))
    out = refused(book)
    assert 'Settings!B3: tab.history = Commissions names the tab "Commissions", which holds ' \
           "cells sheetfunnel did not write; the History tab is rewritten whole on every run." \
           in out


def test_two_owned_roles_never_share_a_tab(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    book.set_cell("Settings", SETTINGS_ROW, 1, "tab.attention")
    book.set_cell("Settings", SETTINGS_ROW, 2, "Summary")
    out = refused(book)
    assert "Settings!B3: sheetfunnel would write both the Summary tab and the Attention tab " \
           'into the tab "Summary".' in out


def test_a_people_role_moved_onto_the_worker_s_tab_is_refused(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    book.set_cell("Settings", SETTINGS_ROW, 1, "tab.customers")
    book.set_cell("Settings", SETTINGS_ROW, 2, "Summary")
    out = refused(book)
    assert 'Settings!B3: The tab "Summary" is your Customers tab (tab.customers = Summary), ' \
           "and sheetfunnel would rewrite it whole as the Summary tab." in out


def test_an_empty_tab_of_the_name_is_adopted_and_recorded(make_book):
    book = make_book(tabs(Attention=[]))
    before = book.ids().get("Attention")  # an .xlsx tab has an id once the worker marks it
    code, out, _ = book.run()
    assert code == 0, out
    records = book.records()
    assert records["attention"].title == "Attention"
    assert records["attention"].tab_id == book.ids()["Attention"]
    assert book.titles().count("Attention") == 1
    if isinstance(book, SheetsBook):
        assert records["attention"].tab_id == before  # the very tab, not a new one
    assert book.grid("Attention")[0][0] == "ID"
    assert book.run()[2] == 0


def test_every_tab_the_worker_makes_is_recorded_and_a_rerun_writes_nothing(make_book):
    book = make_book(tabs())
    code, out, written = book.run()
    assert code == 0 and written > 0, out
    ids = book.ids()
    assert book.records() == {role: TabRecord(ids[title], title) for role, title in (
        ("summary", "Summary"), ("attention", "Attention"), ("history", "History"),
        ("state", STATE_TAB))}
    assert book.run()[2] == 0


def test_renamed_moved_and_new_tabs_do_not_lose_the_worker_its_tabs(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    recorded = book.records()
    summary = book.grid("Summary")
    book.rename("Summary", "Weekly summary")
    book.add_tab("Commissions", [["Owner", "Rate"], ["Ana", 0.05]], 0)  # before every tab
    book.move("Weekly summary", 1)
    book.move("Opportunities", len(book.titles()) - 1)

    code, out, written = book.run()
    assert code == 0, out
    assert "Summary" not in book.titles()  # found by its id, not made again
    assert book.grid("Weekly summary") == summary
    assert book.grid("Commissions") == [["Owner", "Rate"], ["Ana", 0.05]]
    after = book.records()
    assert after["summary"] == TabRecord(recorded["summary"].tab_id, "Weekly summary")
    assert {r: after[r] for r in after if r != "summary"} == \
        {r: recorded[r] for r in recorded if r != "summary"}
    assert written == 2  # the record's title, and the quiet key of _sheetfunnel!D3
    assert book.run()[2] == 0


def test_a_workbook_run_before_adopts_its_tabs_by_name_once(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    attention = book.grid("Attention")
    book.forget_records()
    assert book.records() == {}

    code, out, _ = book.run()
    assert code == 0, out
    ids = book.ids()
    assert {role: record.title for role, record in book.records().items()} == {
        "summary": "Summary", "attention": "Attention", "history": "History",
        "state": STATE_TAB}
    assert all(record.tab_id == ids[record.title] for record in book.records().values())
    assert book.grid("Attention") == attention
    assert book.run()[2] == 0

    book.delete_tab("Attention")  # a person's own Attention tab is not adopted again
    book.add_tab("Attention", [["My list"], ["Acme"]], 0)
    out = refused(book)
    assert 'The tab "Attention" holds cells sheetfunnel did not write' in out


def test_a_workbook_run_before_never_adopts_a_people_tab(make_book):
    book = make_book(tabs())
    assert book.run()[0] == 0
    book.forget_records()
    book.set_cell("Settings", SETTINGS_ROW, 1, "tab.history")
    book.set_cell("Settings", SETTINGS_ROW, 2, "Activities")
    out = refused(book)
    assert 'tab.history = Activities would make sheetfunnel rewrite the tab "Activities"' in out


def test_a_chinese_team_s_own_summary_gets_a_chinese_suggestion(tmp_path):
    book = XlsxBook(tmp_path / "book", {"商机": [["编号", "阶段"], ["OPP-1", "线索"]],
                                        "汇总": [["本周要点"]]}, tmp_path / "report.json")
    out = refused(book)
    assert 'The tab "汇总" holds cells sheetfunnel did not write' in out
    assert "tab.summary = 汇总 (sheetfunnel)" in out


def test_init_records_the_tabs_it_makes(tmp_path):
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="zh", as_of=dt.date(2026, 11, 24))
    snapshot = XlsxWorkbook(path).read()
    records = tab_records(snapshot.find(STATE_TAB))
    assert {role: record.title for role, record in records.items()} == {
        "summary": "汇总", "attention": "待处理", "history": "历史", "state": STATE_TAB}
    assert all(snapshot.ids[record.title] == record.tab_id for record in records.values())
    assert STATE_TAB in snapshot.hidden


def test_a_first_run_with_a_broken_config_records_the_summary_it_writes(make_book):
    grids = tabs()
    grids["Scoring"] = [["Dimension", "Field", "Weight", "Match", "Points"],
                        ["Size", "Amount", "heavy", ">= 1000", 10]]
    book = make_book(grids)
    code, out, _ = book.run()
    assert code == 2 and "Scoring!C2" in out
    assert set(book.records()) == {"summary", "state"}
    book.set_cell("Scoring", 2, 3, 1)
    code, out, _ = book.run()
    assert code == 0, out
    # Insights only once the closed history reaches the win model's gate, the Review once
    # there are targets or two weeks of History
    assert set(book.records()) == set(schema.OWNED_TABS) - {"insights", "review"}


def test_xlsx_tabs_that_lost_their_marks_are_found_by_their_recorded_titles(tmp_path):
    book = XlsxBook(tmp_path / "book", tabs(), tmp_path / "report.json")
    assert book.run()[0] == 0
    recorded = book.records()
    book.drop_marks()
    assert book.ids() == {}
    code, out, written = book.run()
    assert (code, written) == (0, 0), out
    assert book.records() == recorded
    assert book.ids() == {record.title: record.tab_id for record in recorded.values()}
    assert book.run()[2] == 0
