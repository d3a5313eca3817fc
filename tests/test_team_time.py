"""Time is the team's time (#14 item 10): the Settings timezone sets "today" and "now", --as-of
takes a day or a date-time, NO_FIRST_RESPONSE counts real hours, and written cells depend only
on the local date (a watcher's quiet ticks write nothing) — on both backends."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfunnel.cli import cli
from sheetfunnel.errors import DateOutOfRange
from sheetfunnel.runner import run_once
from sheetfunnel.team_time import local_now, team_zone
from sheetfunnel.values import read_moment
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.engine import judge, row
from tests.support.gsheets import open_book
from tests.support.parity import Pair, save_grids

UTC = dt.UTC
SHANGHAI = team_zone("Asia/Shanghai")

OPPORTUNITIES = [
    ["ID", "Title", "Owner", "Stage", "Amount", "Created", "Last Activity"],
    ["OPP-1", "Created after midnight", "Ann", "Lead", 1000, "2026-11-24 00:30", None],
    ["OPP-2", "Quiet since Monday", "Bo", "Lead", 500, "2026-11-17", "2026-11-17"],
]
SETTINGS = [["Key", "Value", "Note"], ["timezone", "Asia/Shanghai", "Shanghai team"]]


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def test_the_moment_is_wall_clock_time_in_the_settings_timezone():
    server_clock = utc(2026, 11, 23, 18, 31)  # still the 23rd on a UTC server
    assert local_now(None, SHANGHAI, server_clock) == dt.datetime(2026, 11, 24, 2, 31)
    assert local_now(dt.date(2026, 11, 24), SHANGHAI, server_clock) == dt.datetime(2026, 11, 24)
    assert local_now(dt.datetime(2026, 11, 24, 9, 30), SHANGHAI, server_clock) == \
        dt.datetime(2026, 11, 24, 9, 30)  # naive: already the team's wall clock
    assert local_now(utc(2026, 11, 24, 1, 30), SHANGHAI, server_clock) == \
        dt.datetime(2026, 11, 24, 9, 30)
    assert team_zone("Mars/Olympus") is UTC and team_zone("") is UTC
    with pytest.raises(DateOutOfRange):
        local_now(dt.date(1800, 1, 1), SHANGHAI, server_clock)


@pytest.mark.parametrize(("typed", "moment"), [
    ("2026-11-24 00:30", dt.datetime(2026, 11, 24, 0, 30)),
    ("2026-11-24T09:30:15", dt.datetime(2026, 11, 24, 9, 30, 15)),
    ("2026-11-24", dt.datetime(2026, 11, 24)),
    ("2026年11月24日", dt.datetime(2026, 11, 24)),
    (dt.datetime(2026, 11, 24, 0, 30), dt.datetime(2026, 11, 24, 0, 30)),
    (46350.25, dt.datetime(2026, 11, 24, 6, 0)),
])
def test_created_keeps_its_time_of_day(typed, moment):
    assert read_moment(typed) == moment


def test_an_unknown_timezone_is_a_warning_naming_the_settings_cell():
    from tests.test_config import SETTINGS as BASE
    from tests.test_config import parse

    result = parse(settings=[*BASE, ["timezone", "Mars/Olympus"]])
    assert result.config.settings.timezone == "UTC"
    [warning] = [p for p in result.problems if "Mars/Olympus" in p.message]
    assert warning.severity == "warning" and warning.where.startswith("Settings!B")


def test_no_first_response_counts_real_hours_from_created():
    created_at_half_past_midnight = row(ID="OPP-1", Created="2026-11-24 00:30", Last_Activity=None)
    for now, flagged in [(dt.datetime(2026, 11, 24, 2, 29), False),
                         (dt.datetime(2026, 11, 24, 2, 30), False),
                         (dt.datetime(2026, 11, 24, 2, 31), True)]:
        codes = judge(created_at_half_past_midnight, now=now).deals.loc[2, "flag_codes"]
        assert ("NO_FIRST_RESPONSE" in codes) is flagged, now
    # a date alone starts at 00:00 local: due at 02:00
    result = judge(row(ID="OPP-2", Created="2026-11-24", Last_Activity=None),
                   now=dt.datetime(2026, 11, 24, 2, 1))
    assert result.flags[["code", "detail", "since"]].values.tolist() == [
        ["NO_FIRST_RESPONSE", "No activity since it was created on 2026-11-24",
         dt.date(2026, 11, 24)]]


def test_an_activity_dated_on_the_day_of_creation_is_a_response():
    result = judge(row(ID="OPP-1", Created="2026-11-24 00:30", Last_Activity=None),
                   activities=[["2026-11-24", "OPP-1", "neutral"]],
                   now=dt.datetime(2026, 11, 24, 23, 0))
    assert result.flags.empty


def _runs(tmp_path: Path, emulator, *moments: dt.datetime) -> list[tuple[dict, dict]]:
    pair = Pair.from_grids(tmp_path / "shanghai.xlsx", emulator,
                           {"Opportunities": OPPORTUNITIES, "Settings": SETTINGS})
    return [(run_once(XlsxWorkbook(pair.path), now=lambda m=m: m).report,
             run_once(open_book(emulator), now=lambda m=m: m).report) for m in moments]


def test_a_shanghai_team_on_a_utc_server_gets_its_own_today_on_both_backends(tmp_path, emulator):
    [(xlsx, sheets)] = _runs(tmp_path, emulator, utc(2026, 11, 23, 18, 31))
    for report in (xlsx, sheets):
        assert report["as_of"] == "2026-11-24"
        flags = {o["id"]: o["flags"] for o in report["opportunities"]}
        # 02:31 in Shanghai: two hours since 00:30 have passed; day 7 without a follow-up
        assert flags == {"OPP-1": ["NO_FIRST_RESPONSE"], "OPP-2": ["FOLLOW_UP_OVERDUE"]}


def test_two_runs_at_different_times_of_the_same_day_write_nothing_the_second_time(
        tmp_path, emulator):
    morning, evening = utc(2026, 11, 23, 19, 0), utc(2026, 11, 24, 15, 0)  # 03:00, 23:00 local
    (first_xlsx, first_sheets), (xlsx, sheets) = _runs(tmp_path, emulator, morning, evening)
    assert first_xlsx["io"]["cells_written"] == first_sheets["io"]["cells_written"] > 0
    assert xlsx["io"]["cells_written"] == sheets["io"]["cells_written"] == 0
    assert sheets["io"]["write_requests"] == 0


def test_as_of_takes_a_day_or_a_date_time_in_the_settings_timezone(tmp_path: Path):
    path = tmp_path / "shanghai.xlsx"
    save_grids(path, {"Opportunities": OPPORTUNITIES, "Settings": SETTINGS})
    runner = CliRunner()

    def flags_at(as_of: str) -> dict[str, list[str]]:
        report = tmp_path / f"{as_of.replace(':', '')}.json"
        result = runner.invoke(cli, ["run", str(path), "--as-of", as_of, "--report",
                                     str(report)])
        assert result.exit_code == 0, result.output
        opportunities = json.loads(report.read_text(encoding="utf-8"))["opportunities"]
        return {o["id"]: o["flags"] for o in opportunities}

    assert flags_at("2026-11-24")["OPP-1"] == []
    assert flags_at("2026-11-24T02:29")["OPP-1"] == []
    assert flags_at("2026-11-24T02:31")["OPP-1"] == ["NO_FIRST_RESPONSE"]
    wrong = runner.invoke(cli, ["run", str(path), "--as-of", "24/11/2026 02:31"])
    assert wrong.exit_code == 2 and "--as-of" in wrong.output and "Traceback" not in wrong.output
