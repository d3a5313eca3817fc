"""What the ``sheetfunnel`` command prints when something is wrong: the whole sentence, with
the option that fixes it, and the exit code."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.locks import XlsxLock


def sheetfunnel(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="sheetfunnel")
    return result.exit_code, result.output


@pytest.fixture
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty starter workbook, in the working folder so that messages show a short path."""
    monkeypatch.chdir(tmp_path)
    assert sheetfunnel("init", "pipeline.xlsx", "--as-of", "2026-11-24")[0] == 0
    return Path("pipeline.xlsx")


def test_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert sheetfunnel("run", "nothere.xlsx") == (
        2, "Error: There is no workbook at nothere.xlsx. Check the path, or create one with: "
           "sheetfunnel init nothere.xlsx\n")
    assert list(tmp_path.iterdir()) == []


def test_an_as_of_that_is_no_date(starter: Path):
    assert sheetfunnel("run", starter, "--as-of", "2026-13-01") == (
        2, "Usage: sheetfunnel run [OPTIONS] [PATH]\n"
           "Try 'sheetfunnel run --help' for help.\n\n"
           "Error: Invalid value for '--as-of': '2026-13-01' is not a day (YYYY-MM-DD) or a "
           "date-time (YYYY-MM-DDTHH:MM).\n")


def test_an_as_of_outside_the_dates_read(starter: Path):
    assert sheetfunnel("run", starter, "--as-of", "1800-01-01") == (
        2, "Error: --as-of 1800-01-01 is outside the dates sheetfunnel reads (1900-01-01 to "
           "2199-12-31). Give a day in that range.\n")


def test_a_google_sheet_without_credentials(emulator):
    assert sheetfunnel("run", "--sheet", "emulated-key") == (
        2, "Error: Google Sheets needs credentials: give --credentials FILE (a service-account "
           "or authorized-user JSON file) or set GOOGLE_APPLICATION_CREDENTIALS to its path.\n")


def test_neither_a_path_nor_a_sheet():
    assert sheetfunnel("check") == (
        2, "Usage: sheetfunnel check [OPTIONS] [PATH]\n"
           "Try 'sheetfunnel check --help' for help.\n\n"
           "Error: Give either a workbook path (PATH.xlsx) or --sheet URL_OR_KEY, not both and "
           "not neither.\n")


def test_a_broken_config_file(starter: Path):
    Path("broken.toml").write_text("[settings\n", encoding="utf-8")
    problem = ("broken.toml: line 1: The file cannot be read as TOML (Expected ']' at the end "
               "of a table declaration at column 10). Fix that line.")
    assert sheetfunnel("check", starter, "--config", "broken.toml") == (  # printed once
        2, f"error: {problem}\nError: The configuration has 1 error (listed above). Fix it, "
           "then run `sheetfunnel check`.\n")


def test_a_workbook_another_sheetfunnel_holds(starter: Path):
    watcher = XlsxLock(starter)
    watcher.acquire()
    try:
        code, out = sheetfunnel("run", starter, "--as-of", "2026-11-24")
    finally:
        watcher.release()
    assert (code, out) == (
        3, f"Refused: Another sheetfunnel ({socket.gethostname()}:{os.getpid()}) is working on "
           "this workbook: it holds pipeline.xlsx.lock. Only one writer per workbook is "
           "allowed; stop the other one, or this one takes over once it has stopped.\n")


def test_a_watcher_that_finds_the_file_held_as_it_starts_exits_3(starter: Path):
    package = logging.getLogger("sheetfunnel")
    saved = list(package.handlers), package.level, package.propagate
    watcher = XlsxLock(starter)
    watcher.acquire()
    try:
        code, out = sheetfunnel("watch", starter, "--every", "10m")
    finally:
        watcher.release()
        package.handlers[:], level, package.propagate = saved
        package.setLevel(level)
    assert code == 3
    assert "ERROR   Refused to start: Another sheetfunnel (" in out
    assert "Exiting with code 3" in out and "Traceback" not in out
