"""The README is the manual: every command is in it, with help text; it opens with two commands."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
CI = Path(__file__).resolve().parents[1] / ".ci" / "run"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_and_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert len(cli.commands[command].help or "") > 20
    assert f"sheetfunnel {command}" in README.read_text(encoding="utf-8")


def test_readme_opens_with_the_demo_and_test_commands_and_ci_runs_the_same():
    if not README.exists() or not CI.exists():
        pytest.skip("README.md or .ci/run not shipped with this copy")
    blocks = re.findall(r"```bash\n(.+?)\n```", README.read_text(encoding="utf-8"), re.S)
    assert "sheetfunnel demo" in blocks[0]
    assert blocks[1].strip() in CI.read_text(encoding="utf-8")
