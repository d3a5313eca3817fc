"""The fleet test of issue #18, scaled to this machine: 3 worker processes and one scheduler on
a real redis-server, 20 workbooks on the Sheets emulator, the quota gate at 30 requests per
2 s. No request beyond the quota reaches the emulator, no workbook has two writers, and a
worker killed with SIGKILL mid-run leaves its workbook to another worker after the lock's TTL,
the sheet then equal to a clean run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("huey", reason="the fleet extra (pip install 'sheetfunnel[fleet]') is "
                                   "not installed")

from sheetfunnel.fleet.gate import Limits  # noqa: E402
from sheetfunnel.fleet.tasks import FleetSettings, make_fleet, run_scheduler  # noqa: E402
from sheetfunnel.runner import run_once  # noqa: E402
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV, GoogleSheetsWorkbook  # noqa: E402
from tests.support.emulator import SheetsEmulator, service_account_file  # noqa: E402
from tests.support.gsheets import pipeline  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402
from tests.support.sheets_fleet import SheetsFleet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = 20
LIMIT, WINDOW, TTL = 30, 2.0, 3.0
#: Time between the gate letting a request out and the emulator logging it.
TRANSIT = 0.15


def key(n: int) -> str:
    return f"fleetkey{n:022d}"


def rows(n: int) -> list[list[object]]:
    return pipeline(8 + n % 5)


def worker(registry: Path, redis_url: str, base_url: str, log: Path) -> subprocess.Popen:
    env = os.environ | {ENDPOINT_ENV: base_url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "sheetfunnel", "fleet", "worker", "--registry", str(registry),
         "--redis", redis_url, "--window", str(WINDOW), "--account-limit", str(LIMIT),
         "--project-limit", "300", "--lock-ttl", str(TTL), "--lease-settle", "0.2",
         "--log-format", "json"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=log.open("w"))


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    first, most = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - window:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.slow
def test_three_workers_share_one_quota_and_take_over_a_killed_workers_workbook(tmp_path,
                                                                               monkeypatch):
    sheets = SheetsFleet([key(n) for n in range(WORKBOOKS)])
    for n, book in enumerate(sheets.books.values()):
        book.add_sheet("Opportunities", rows(n))
    registry = tmp_path / "fleet.toml"
    registry.write_text('[[account]]\nname = "robot"\nfile = "service-account.json"\n'
                        'project = "crm"\n' + "".join(
                            f'\n[[workbook]]\nname = "w{n:02d}"\nsheet = "{key(n)}"\n'
                            'account = "robot"\nevery = "1h"\n' for n in range(WORKBOOKS)),
                        encoding="utf-8")
    processes: list[subprocess.Popen] = []
    stop = threading.Event()
    started = time.monotonic()
    with redis_server() as redis_url, sheets.serve() as base_url:
        # the service-account file names the token endpoint: write it again now it is served
        service_account_file(tmp_path, sheets.first)
        monkeypatch.setenv(ENDPOINT_ENV, base_url)
        fleet = make_fleet(FleetSettings(registry, redis_url,
                                         Limits(account=LIMIT, project=300, window=WINDOW),
                                         lock_ttl=TTL))
        try:
            # one worker takes w00 and is killed in the middle of the run's values write
            sheets.hang(key(0), "values.batchUpdate", skip=1)
            doomed = worker(registry, redis_url, base_url, tmp_path / "doomed.log")
            processes.append(doomed)
            fleet.client.set(fleet.pending_key("w00"), "1", px=int(TTL * 1000))
            fleet.task("w00")
            assert sheets.holding.wait(30), (tmp_path / "doomed.log").read_text()
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            killed = time.monotonic()
            sheets.release()
            assert fleet.state("w00") == {}  # it never finished
            processes += [worker(registry, redis_url, base_url, tmp_path / f"w{n}.log")
                          for n in range(3)]
            scheduler = threading.Thread(target=run_scheduler, args=(fleet, stop),
                                         kwargs={"tick": 0.2}, daemon=True)
            scheduler.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = [fleet.state(f"w{n:02d}") for n in range(WORKBOOKS)]
                if all(state.get("outcome") == "ok" for state in states):
                    break
                time.sleep(0.2)
            logs = "\n".join(p.read_text() for p in tmp_path.glob("w*.log"))
            assert all(state.get("outcome") == "ok" for state in states), logs[-3000:]
        finally:
            stop.set()
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                process.wait(10)
        retaken = fleet.state("w00")
        assert retaken["worker"].rsplit(":", 1)[1] != str(doomed.pid)
        assert time.monotonic() - killed >= TTL
        # the quota: never more than LIMIT reads, nor LIMIT writes, in any window
        for kinds in (("GET",), ("POST", "PUT")):
            times = [entry.at for entry in sheets.log if entry.method in kinds]
            assert most_in_any_window(times, WINDOW - TRANSIT) <= LIMIT
        assert all(entry.status == 200 for entry in sheets.log)
        # one writer each: every workbook's requests are one lease taken and one run
        sequences = {k: [entry.kind for entry in sheets.log if entry.key == k]
                     for k in sheets.books}
        clean = sequences[key(1)]
        assert clean.count("get") == 3 and clean.count("values.batchUpdate") == 2
        assert all(sequences[key(n)] == clean for n in range(1, WORKBOOKS))
        lease, run = clean[:5], clean[5:]  # the lease taken, then the run's 6 requests
        assert run == ["get", "values.batchGet", "batchUpdate", "values.batchGet",
                       "values.batchUpdate", "values.batchGet"]
        # w00: the lease, the killed run up to its values write, then the run retaken (the
        # fleet's lease still good: not taken again)
        assert sequences[key(0)] == lease + run[:4] + run
        # the killed worker's workbook equals a clean run's
        reference = SheetsEmulator(key(0))
        reference.add_sheet("Opportunities", rows(0))
        monkeypatch.setenv(ENDPOINT_ENV, reference.base_url)
        run_once(GoogleSheetsWorkbook.open(key(0), session=reference.session()))
    for title in ("Opportunities", "Summary", "Attention"):
        assert sheets.books[key(0)].grid(title) == reference.grid(title), title
    assert time.monotonic() - started < 60
    print(f"fleet test: {WORKBOOKS} workbooks, {len(sheets.log)} requests, "
          f"{time.monotonic() - started:.1f} s")
