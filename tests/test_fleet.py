"""The fleet's registry and schedule: pure, no Redis (issue #18)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.errors import ConfigError
from sheetfunnel.fleet.registry import add_workbook, parse_registry, remove_workbook
from sheetfunnel.fleet.schedule import jitter, next_due, retry_due

REGISTRY = """\
# The sales team's workbooks; ask ops before adding one.
[[account]]
name = "robot-1"   # shared with every team sheet
file = "keys/robot-1.json"
project = "crm-prod"

[[workbook]]
name = "north"
sheet = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
account = "robot-1"
every = "15m"
timezone = "Asia/Shanghai"
notify = true

# The Berlin office still keeps a file.
[[workbook]]
name = "berlin"
path = "berlin.xlsx"
at = "08:30"
timezone = "Europe/Berlin"
"""


def test_registry_parses_workbooks_accounts_and_cadences():
    registry = parse_registry(REGISTRY)
    north, berlin = registry.workbooks
    assert north.every == dt.timedelta(minutes=15) and north.notify and north.enabled
    assert north.quota_scope(registry.accounts) == ("robot-1", "crm-prod")
    assert berlin.at == dt.time(8, 30) and berlin.every is None and berlin.path == "berlin.xlsx"


def test_registry_problems_are_located_by_table_and_key():
    broken = (REGISTRY.replace('every = "15m"', 'every = "15 minutes"')
              .replace('account = "robot-1"', 'account = "robot-9"')
              .replace('at = "08:30"', 'at = "8.30"\ncolour = "red"'))
    with pytest.raises(ConfigError) as caught:
        parse_registry(broken, "fleet.toml")
    where = [problem.where for problem in caught.value.problems]
    assert where == ["fleet.toml: workbook[1].account", "fleet.toml: workbook[1].every",
                     "fleet.toml: workbook[2].colour", "fleet.toml: workbook[2].at"]
    assert "robot-9" in str(caught.value) and "(defined: robot-1)" in str(caught.value)


def test_add_and_remove_keep_the_admins_comments():
    added = add_workbook(REGISTRY, {"name": "south", "sheet": "1ZyXwVuTsRqPoNmLkJiHgFeDcBa98765",
                                    "account": "robot-1", "every": "1h"})
    assert [e.name for e in parse_registry(added).workbooks] == ["north", "berlin", "south"]
    removed = remove_workbook(added, "south")
    assert [e.name for e in parse_registry(removed).workbooks] == ["north", "berlin"]
    for comment in ("# The sales team's workbooks", "# shared with every team sheet",
                    "# The Berlin office still keeps a file."):
        assert comment in removed
    with pytest.raises(ConfigError, match='no workbook named "east"'):
        remove_workbook(removed, "east")
    with pytest.raises(ConfigError, match="used by an earlier workbook"):
        add_workbook(REGISTRY, {"name": "north", "path": "x.xlsx", "every": "1h"})


def test_fleet_commands_edit_and_validate_the_registry(tmp_path):
    registry = tmp_path / "fleet.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["fleet", "add", "--registry", str(registry), "--name", "east",
                                 "--path", "east.xlsx", "--every", "30m"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["fleet", "list", "--registry", str(registry)])
    assert "east: east.xlsx, every 1800 s" in result.output
    assert "# The Berlin office" in registry.read_text()
    registry.write_text(registry.read_text().replace('"30m"', '"30x"'), encoding="utf-8")
    result = runner.invoke(cli, ["fleet", "validate", "--registry", str(registry)])
    assert result.exit_code == 2
    assert "fleet.toml: workbook[3].every" in result.output
    result = runner.invoke(cli, ["fleet", "remove", "--registry", str(registry), "east"])
    assert result.exit_code == 0 and "ask ops before adding one" in registry.read_text()
    result = runner.invoke(cli, ["fleet", "validate", "--registry", str(registry)])
    assert result.exit_code == 0 and "2 workbook(s), 1 account(s), all valid" in result.output


def test_a_workbook_never_run_is_due_at_once_then_on_its_jittered_slots():
    north, berlin = parse_registry(REGISTRY).workbooks
    now = dt.datetime(2026, 11, 24, 9, 7, 30, tzinfo=dt.UTC)
    assert next_due(north, None, now) == now
    offset = jitter("north", dt.timedelta(minutes=15))
    assert dt.timedelta(0) <= offset < dt.timedelta(minutes=1)
    due = next_due(north, now, now)
    assert due == dt.datetime(2026, 11, 24, 9, 15, tzinfo=dt.UTC) + offset
    assert next_due(north, due, due) == due + dt.timedelta(minutes=15)
    # 08:30 in Berlin is 07:30 UTC in November: the next one is tomorrow's
    daily = next_due(berlin, now, now)
    assert daily - jitter("berlin") == dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC)
    assert jitter("north", dt.timedelta(minutes=15)) != jitter("south", dt.timedelta(minutes=15))


def test_failures_back_off_by_cadences_up_to_eight():
    north = parse_registry(REGISTRY).workbooks[0]
    now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    waits = [retry_due(north, failures, now) - now for failures in (1, 2, 3, 4, 5)]
    assert waits == [dt.timedelta(minutes=m) for m in (15, 30, 60, 120, 120)]


def test_the_readmes_capacity_table_is_what_the_quota_allows():
    from pathlib import Path

    from sheetfunnel.fleet.capacity import capacity

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("**Capacity on paper.**", 1)[1].split("\n\n", 2)[1]
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        workbooks = int(cells[0].replace(",", ""))
        minutes = 60 if cells[1] == "1 h" else int(cells[1].split()[0])
        quiet = capacity(workbooks, minutes, changed=False)
        busy = capacity(workbooks, minutes, changed=True)
        span = (lambda a, b: str(a) if a == b else f"{a} – {b}")  # noqa: E731
        assert cells[2:] == [f"{quiet.runs_per_minute:.1f}",
                             f"{quiet.reads_per_minute:.0f} – {busy.reads_per_minute:.0f}",
                             f"{busy.writes_per_minute:.0f}", span(quiet.accounts, busy.accounts),
                             span(quiet.projects, busy.projects)], line
    assert capacity(1000, 15, changed=True).accounts == 7


def test_fleet_processes_say_so_when_redis_is_not_there(tmp_path):
    pytest.importorskip("huey", reason="the fleet extra is not installed")
    from tests.support.redis_server import free_port

    registry = tmp_path / "fleet.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["fleet", "status", "--registry", str(registry),
                                      "--redis", f"redis://127.0.0.1:{free_port()}/0"])
    assert result.exit_code == 2
    assert "Cannot reach Redis at redis://127.0.0.1:" in result.output
    assert "Start redis-server" in result.output


def test_listing_an_empty_registry_says_how_to_add_one(tmp_path):
    result = CliRunner().invoke(cli, ["fleet", "list", "--registry", str(tmp_path / "f.toml")])
    assert result.exit_code == 0
    assert "No workbooks in" in result.output and "sheetfunnel fleet add" in result.output
