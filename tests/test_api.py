"""The library a Python caller uses: ``sf.open_workbook``, ``sf.init``, ``sf.run``, ``sf.check``
on real .xlsx files and on the Sheets emulator, with the CLI's locks and typed errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

import sheetfunnel as sf
from sheetfunnel.init_plan import init_plan
from sheetfunnel.locks import XlsxLock
from sheetfunnel.workbook.base import only
from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.emulator import SheetsEmulator
from tests.support.gsheets import open_book

AS_OF = dt.date(2026, 11, 24)
SHANGHAI = '[[settings]]\nkey = "timezone"\nvalue = "Asia/Shanghai"\n'


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workbook made once; tests copy it (init is the slow part)."""
    path = tmp_path_factory.mktemp("demo") / "pipeline.xlsx"
    sf.init(path, demo=True, as_of=AS_OF)
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.xlsx"
    path.write_bytes(demo_file.read_bytes())
    return path


def test_the_public_names_are_all_there():
    assert set(sf.__all__) >= {"open_workbook", "init", "run", "check", "Config", "RunResult",
                               "SheetfunnelError", "WorkbookLocked", "ConfigError"}
    assert all(hasattr(sf, name) for name in sf.__all__)
    assert callable(sf.run)  # the function, not the submodule of the same name


def test_a_string_or_path_ending_in_xlsx_opens_a_file_an_address_a_google_sheet(
        emulator: SheetsEmulator, tmp_path: Path):
    assert isinstance(sf.open_workbook("pipeline.xlsx"), XlsxWorkbook)
    assert isinstance(sf.open_workbook(tmp_path / "any name"), XlsxWorkbook)
    with pytest.raises(sf.CredentialsMissing) as missing:
        sf.open_workbook("https://docs.google.com/spreadsheets/d/emulated-key/edit")
    assert "--credentials" not in str(missing.value)  # the CLI adds its option, not the library
    assert missing.value.env == "GOOGLE_APPLICATION_CREDENTIALS"


def test_run_judges_writes_and_returns_typed_counts(demo: Path):
    result = sf.run(sf.open_workbook(str(demo)), as_of=AS_OF)
    assert isinstance(result, sf.RunResult)
    assert result.counts == {"opportunities": 720, "customers": 150, "activities": 1935}
    assert result.ok and result.config_status == "ok" and result.errors == ()
    assert result.as_of == AS_OF and result.report["as_of"] == "2026-11-24"
    assert result.cells_written == result.report["io"]["cells_written"] > 1000
    assert sum(result.flags.values()) > 0
    header = [c.value for c in next(openpyxl.load_workbook(demo)["Opportunities"].iter_rows())]
    assert "Score" in header and "Flags" in header
    assert sf.run(sf.open_workbook(demo), as_of=AS_OF).cells_written == 0


def test_a_dry_run_plans_the_cells_and_writes_none(demo: Path):
    before = demo.read_bytes()
    result = sf.run(sf.open_workbook(demo), as_of=AS_OF, dry_run=True)
    assert result.dry_run and result.cells_written == 0 and len(result.plan.cells) > 1000
    assert demo.read_bytes() == before
    assert not Path(f"{demo}.lock").exists()


def test_a_naive_date_time_is_its_day_an_aware_one_the_day_in_the_settings_timezone(
        demo: Path, tmp_path: Path):
    late = dt.datetime(2026, 11, 24, 20, 0)
    assert sf.run(sf.open_workbook(demo), as_of=late, dry_run=True).as_of == AS_OF
    utc_evening = late.replace(tzinfo=dt.UTC)
    assert sf.run(sf.open_workbook(demo), as_of=utc_evening, dry_run=True).as_of == AS_OF
    shanghai = tmp_path / "shanghai.toml"
    shanghai.write_text(SHANGHAI, encoding="utf-8")
    result = sf.run(sf.open_workbook(demo), as_of=utc_evening, dry_run=True, config=shanghai)
    assert result.as_of == dt.date(2026, 11, 25) and result.report["as_of"] == "2026-11-25"


def test_a_local_workbook_a_watcher_holds_is_refused_and_left_as_it_was(demo: Path):
    before = demo.read_bytes()
    watcher = XlsxLock(demo)
    watcher.acquire()
    try:
        with pytest.raises(sf.WorkbookLocked, match="Another sheetfunnel .* is working on this"):
            sf.run(sf.open_workbook(demo), as_of=AS_OF)
        assert demo.read_bytes() == before
        assert sf.run(sf.open_workbook(demo), as_of=AS_OF, dry_run=True).cells_written == 0
    finally:
        watcher.release()
    assert sf.run(sf.open_workbook(demo), as_of=AS_OF).cells_written > 1000


def test_a_google_sheet_whose_lease_a_watcher_holds_is_refused(emulator: SheetsEmulator):
    emulator.add_sheet("Sheet1")
    book = open_book(emulator)
    book.apply(init_plan("en", demo=True, as_of=AS_OF, existing=book.read(only())))
    for col, value in enumerate(["lease", "hq:41:aaa", "2999-01-01T00:00:00Z"], start=1):
        emulator.set_cell("_sheetfunnel", 2, col, value)
    with pytest.raises(sf.WorkbookLocked, match=r"\(hq:41:aaa\) holds this workbook"):
        sf.run(open_book(emulator), as_of=AS_OF)
    assert sf.run(open_book(emulator), as_of=AS_OF, dry_run=True).counts["opportunities"] == 720

    emulator.set_cell("_sheetfunnel", 2, 3, "2020-01-01T00:00:00Z")  # the watcher died
    result = sf.run(open_book(emulator), as_of=AS_OF)
    assert isinstance(open_book(emulator), GoogleSheetsWorkbook)
    assert result.ok and result.cells_written > 1000
    header = emulator.grid("Opportunities")[0]  # the demo's history trains the win model
    assert header[-9] == "Score" and header[-2:] == ["Model Win %", "Why"]


def test_check_lists_problems_and_a_broken_config_is_a_result_not_an_exception(
        demo: Path, tmp_path: Path):
    assert sf.check(sf.open_workbook(demo)).ok
    broken = tmp_path / "broken.toml"
    broken.write_text("[settings\n", encoding="utf-8")
    found = sf.check(sf.open_workbook(demo), config=broken)
    assert not found.ok and [p.where for p in found.errors] == ["broken.toml: line 1"]
    result = sf.run(sf.open_workbook(demo), as_of=AS_OF, config=broken)
    assert not result.ok and result.config_status == "broken, no good config"
    assert result.errors == found.errors


def test_typed_errors_for_a_missing_file_and_a_day_out_of_range(tmp_path: Path, demo: Path):
    with pytest.raises(sf.WorkbookNotFound, match="There is no workbook at"):
        sf.run(sf.open_workbook(tmp_path / "nothere.xlsx"), as_of=AS_OF)
    assert not (tmp_path / "nothere.xlsx.lock").exists()
    with pytest.raises(sf.DateOutOfRange, match=r"^as_of 1800-01-01 is outside the dates"):
        sf.run(sf.open_workbook(demo), as_of=dt.date(1800, 1, 1))
    with pytest.raises(sf.UsageError):  # DateOutOfRange is a usage error: exit code 2
        sf.init(tmp_path / "new.xlsx", as_of=dt.date(2200, 1, 1))
