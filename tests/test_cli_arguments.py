"""Every command with missing, extra and malformed arguments: a usage sentence and exit code 2,
never a traceback; and help text on every command."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sheetfunnel import init
from sheetfunnel.cli import cli

COMMANDS = ("init", "run", "check", "watch", "demo", "notify")
#: A well-formed Google Sheets key no server knows; with a bad credentials file nothing is sent.
KEY = "1NoSuchSheet0123456789abcdefghijklmnop"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a starter workbook, a folder, a text file and a broken TOML file."""
    folder = tmp_path_factory.mktemp("arguments")
    init(folder / "book.xlsx", as_of=dt.date(2026, 11, 24))
    (folder / "folder").mkdir()
    (folder / "notes.txt").write_text("not a workbook", encoding="utf-8")
    (folder / "broken.toml").write_text("[settings\n", encoding="utf-8")
    (folder / "notify.toml").write_text('[channels.mail]\nkind = "email"\nhost = "127.0.0.1"\n'
                                        'port = 9\nfrom = "bot@example.com"\n',
                                        encoding="utf-8")
    (folder / "nochannel.toml").write_text('[channels.robot]\nkind = "dingtalk"\n',
                                           encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def package_logging() -> Iterator[None]:
    """``watch`` configures the package logger before it meets some of these mistakes."""
    package = logging.getLogger("sheetfunnel")
    saved = list(package.handlers), package.level, package.propagate
    yield
    package.handlers[:], level, package.propagate = saved
    package.setLevel(level)


def invoke(place: Path, args: str) -> tuple[int, str, BaseException | None]:
    argv = [a.replace("{dir}", str(place)) for a in args.split()]
    result = CliRunner().invoke(cli, argv, prog_name="sheetfunnel")
    return result.exit_code, result.output, result.exception


MISTAKES = [
    # missing
    *[(f"{command}", "Give either a workbook path") for command in ("init", "run", "check",
                                                                      "watch")],
    *[(f"{command} --sheet", "Option '--sheet' requires an argument") for command in
      ("init", "run", "check", "watch")],
    ("init --demo --lang zh", "Give either a workbook path"),
    ("run {dir}/book.xlsx --as-of", "requires an argument"),
    ("watch {dir}/book.xlsx --every", "requires an argument"),
    ("demo --out", "requires an argument"),
    # extra
    *[(f"{command} {{dir}}/book.xlsx extra", "unexpected extra argument (extra)")
      for command in ("init", "run", "check", "watch")],
    ("demo extra", "unexpected extra argument (extra)"),
    ("run {dir}/book.xlsx --sheet " + KEY, "not both and not neither"),
    ("frobnicate", "No such command 'frobnicate'"),
    # unknown flags
    *[(f"{command} --bogus", "No such option '--bogus'") for command in COMMANDS],
    ("check {dir}/book.xlsx --as-of 2026-11-24", "No such option '--as-of'"),
    ("run {dir}/book.xlsx --every 10m", "No such option '--every'"),
    # malformed values
    *[(f"{command} --as-of {day}", "Invalid value for '--as-of'") for command in
      ("init {dir}/new.xlsx", "run {dir}/book.xlsx", "demo --out {dir}/demo")
      for day in ("tomorrow", "2026-13-01", "2026-02-30")],
    ("run {dir}/book.xlsx --as-of 1800-01-01", "outside the dates sheetfunnel reads"),
    ("demo --out {dir}/demo --as-of 2300-01-01", "outside the dates sheetfunnel reads"),
    ("watch {dir}/book.xlsx --every zz", 'is not an interval'),
    ("watch {dir}/book.xlsx --every 10", 'is not an interval'),
    ("watch {dir}/book.xlsx --every 0m", 'is not an interval'),
    ("watch {dir}/book.xlsx --every 5s", "too often"),
    ("watch {dir}/book.xlsx --at 25:00", "not a time of day"),
    ("watch {dir}/book.xlsx --at 8am", "not a time of day"),
    ("watch {dir}/book.xlsx --log-format xml", "Invalid value for '--log-format'"),
    ("watch {dir}/book.xlsx --log-level LOUD", "Invalid value for '--log-level'"),
    ("init {dir}/new.xlsx --lang fr", "Invalid value for '--lang'"),
    *[(f"{command} --sheet not-a-key", "is not a Google Sheets key") for command in
      ("init", "run", "check", "watch")],
    ("run --sheet " + KEY + " --credentials {dir}/notes.txt", "cannot be read as JSON"),
    ("run --sheet " + KEY + " --credentials {dir}/folder", "is a directory"),
    # paths that do not exist, folders, files that are no workbook
    *[(f"{command} {{dir}}/nothere.xlsx", "There is no workbook at") for command in
      ("run", "check", "watch")],
    *[(f"{command} {{dir}}/folder", "is a directory") for command in
      ("init", "run", "check", "watch")],
    *[(f"{command} {{dir}}/notes.txt", "is not an Excel workbook") for command in
      ("run", "check", "watch")],
    ("init {dir}/notes.txt", "does not end in .xlsx"),
    ("init {dir}/book.xlsx", "already exists"),
    ("init {dir}/no/such/folder/new.xlsx", "does not exist"),
    ("demo --out {dir}/notes.txt", "is a file"),
    ("demo --out {dir}/notes.txt/demo", "cannot be made"),
    *[(f"{command} {{dir}}/book.xlsx --config {config}", says) for command in ("run", "check")
      for config, says in (("{dir}/nothere.toml", "does not exist"),
                           ("{dir}/folder", "is a directory"),
                           ("{dir}/broken.toml", "cannot be read as TOML"))],
    ("run {dir}/book.xlsx --report {dir}/folder", "is a directory"),
    ("run {dir}/book.xlsx --report {dir}/no/such/folder/r.json", "there is no folder"),
    ("run {dir}/book.xlsx --report {dir}/notes.txt/r.json", "there is no folder"),
    ("run {dir}/book.xlsx --dry-run --report {dir}/" + "x" * 300 + ".json",
     "The report cannot be written"),
    # notify: missing, extra, malformed
    ("notify", "Give either a workbook path"),
    ("notify --sheet", "Option '--sheet' requires an argument"),
    ("notify {dir}/book.xlsx --sheet " + KEY, "not both and not neither"),
    ("notify {dir}/book.xlsx", "Notifications need channels"),
    ("notify {dir}/book.xlsx --notify-config", "requires an argument"),
    ("notify {dir}/book.xlsx --preview", "requires an argument"),
    ("notify --test", "requires an argument"),
    ("notify {dir}/book.xlsx extra", "unexpected extra argument (extra)"),
    ("notify {dir}/book.xlsx --notify-config {dir}/notify.toml --every 10m",
     "No such option '--every'"),
    *[(f"notify {{dir}}/book.xlsx --notify-config {{dir}}/notify.toml --as-of {moment}",
       "Invalid value for '--as-of'") for moment in ("tomorrow", "2026-11-24T25:00",
                                                      "2026-02-30")],
    ("notify {dir}/book.xlsx --notify-config {dir}/notify.toml --as-of 1800-01-01",
     "outside the dates sheetfunnel reads"),
    ("notify {dir}/book.xlsx --notify-config {dir}/nothere.toml",
     "The notify config cannot be read"),
    ("notify {dir}/book.xlsx --notify-config {dir}/folder", "is a directory"),
    ("notify {dir}/book.xlsx --notify-config {dir}/broken.toml", "is not valid TOML"),
    ("notify {dir}/book.xlsx --notify-config {dir}/nochannel.toml", "needs url"),
    ("notify {dir}/book.xlsx --notify-config {dir}/notify.toml --preview {dir}/notes.txt",
     "is a file"),
    ("notify {dir}/nothere.xlsx --notify-config {dir}/notify.toml", "There is no workbook at"),
    ("notify {dir}/notes.txt --notify-config {dir}/notify.toml", "is not an Excel workbook"),
    ("notify --sheet not-a-key --notify-config {dir}/notify.toml",
     "is not a Google Sheets key"),
    ("notify {dir}/book.xlsx --notify-config {dir}/notify.toml --config {dir}/broken.toml",
     "cannot be read as TOML"),
]


@pytest.mark.parametrize(("args", "says"), MISTAKES, ids=[m[0][:70] for m in MISTAKES])
def test_a_mistake_is_a_sentence_and_exit_2(place: Path, args: str, says: str):
    code, out, exception = invoke(place, args)
    assert "Traceback" not in out
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert code == 2, out
    assert says in " ".join(out.split()), out
    assert "Error" in out


@pytest.mark.parametrize(("args", "says"), MISTAKES[:12], ids=[m[0] for m in MISTAKES[:12]])
def test_no_mistake_leaves_a_file_behind(place: Path, args: str, says: str):
    before = sorted(place.rglob("*"))
    invoke(place, args)
    assert sorted(place.rglob("*")) == before


def test_a_missing_path_shows_the_usage_line_too(place: Path):
    code, out, _ = invoke(place, "init")
    assert (code, out) == (
        2, "Usage: sheetfunnel init [OPTIONS] [PATH]\n"
           "Try 'sheetfunnel init --help' for help.\n\n"
           "Error: Give either a workbook path (PATH.xlsx) or --sheet URL_OR_KEY, not both and "
           "not neither.\n")


def test_init_without_a_path_in_a_real_process_is_a_usage_error(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "sheetfunnel", "init"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.endswith("Error: Give either a workbook path (PATH.xlsx) or --sheet "
                                "URL_OR_KEY, not both and not neither.\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["", *COMMANDS])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help(place: Path, command: str, flag: str):
    code, out, _ = invoke(place, f"{command} {flag}")
    assert code == 0
    assert out.startswith(f"Usage: sheetfunnel {command}".replace("  ", " "))
    assert "Exit codes:" in " ".join(out.split()) or command == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_says_what_it_does(command: str):
    options = [p for p in cli.commands[command].params if isinstance(p, click.Option)]
    assert options and [o.name for o in options if not o.help] == []


def test_the_version(place: Path):
    code, out, _ = invoke(place, "--version")
    assert code == 0 and out.startswith("sheetfunnel, version ")


def test_a_sentence_with_brackets_is_printed_as_written(monkeypatch):
    """Error sentences are text, never console markup: `sheetfunnel[fleet]` and
    `default.toml: [[criteria]]` keep their brackets."""
    import sys

    for module in ("huey", "sheetfunnel.fleet.gate", "sheetfunnel.fleet.tasks"):
        monkeypatch.setitem(sys.modules, module, None)  # as if the fleet extra were missing
    result = CliRunner().invoke(cli, ["fleet", "worker"])
    assert result.exit_code == 2
    assert "pip install 'sheetfunnel[fleet]'" in result.output
