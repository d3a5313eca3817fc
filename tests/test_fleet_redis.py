"""The fleet against a real redis-server: the quota gate, the lock, a run in Huey's
immediate mode on the Sheets emulator, and the status (issue #18)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("huey", reason="the fleet extra (pip install 'sheetfunnel[fleet]') is "
                                   "not installed")
import redis  # noqa: E402

from sheetfunnel.errors import WorkbookLocked  # noqa: E402
from sheetfunnel.fleet.gate import Gate, Limits  # noqa: E402
from sheetfunnel.fleet.lock import WorkbookBusy, workbook_lock  # noqa: E402
from sheetfunnel.fleet.status import fleet_status, status_lines  # noqa: E402
from sheetfunnel.fleet.tasks import FleetSettings, enqueue_due, make_fleet  # noqa: E402
from sheetfunnel.runner import run_once  # noqa: E402
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV, GoogleSheetsWorkbook  # noqa: E402
from tests.support.emulator import SheetsEmulator, service_account_file  # noqa: E402
from tests.support.gsheets import pipeline  # noqa: E402

KEY = "fleetkey0000000000000000000001"


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return client


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def test_a_run_is_admitted_only_when_its_whole_budget_fits(client):
    sleeps = Sleeps()
    gate = Gate(client, Limits(account=5, project=100, window=0.5), sleep=sleeps)
    first = gate.admit("robot", "crm", reads=3, writes=1)
    assert gate.used("account", "robot", "reads") == 3 and not sleeps.waits
    started = time.monotonic()
    second = gate.admit("robot", "crm", reads=3, writes=1)  # 6 > 5: waits for the window
    assert time.monotonic() - started >= 0.4 and sleeps.waits
    assert gate.used("account", "robot", "reads") == 3  # the first's reservation ran out
    for run in (first, second):
        gate.release(run)


def test_requests_use_their_runs_reservation_and_never_exceed_the_window(client):
    sleeps = Sleeps()
    gate = Gate(client, Limits(account=4, project=100, window=0.6), sleep=sleeps)
    run = gate.admit("robot", "crm", reads=2, writes=0)
    other = gate.admit("robot", "crm", reads=2, writes=0)  # the window is full now
    gate.request(run, "GET")
    gate.request(run, "GET")  # both from the reservation: no wait
    assert not sleeps.waits and gate.used("account", "robot", "reads") == 4
    gate.request(run, "GET")  # beyond its budget: waits for a place
    assert sleeps.waits
    assert gate.used("account", "robot", "reads") <= 4
    gate.release(other)
    assert gate.used("project", "crm", "writes") == 0


def test_a_429_pauses_the_account_for_every_worker(client):
    sleeps = Sleeps()
    gate = Gate(client, Limits(account=50, project=100, window=1.0), sleep=sleeps)
    elsewhere = Gate(redis.Redis(connection_pool=client.connection_pool), gate.limits,
                     sleep=sleeps)
    gate.cool_down("robot", 0.3)
    run = elsewhere.admit("robot", "crm", reads=1, writes=0)
    assert sum(sleeps.waits) >= 0.25
    other = elsewhere.admit("robot-2", "crm", reads=1, writes=0)  # another account: no pause
    assert len(sleeps.waits) <= 2
    elsewhere.release(run)
    elsewhere.release(other)


def test_the_lock_is_kept_by_its_heartbeat_and_runs_out_when_its_holder_dies(client):
    with workbook_lock(client, "north", ttl=0.6):
        time.sleep(1.0)  # past the TTL: the heartbeat extended it
        with pytest.raises(WorkbookBusy), workbook_lock(client, "north", ttl=0.6):
            pass
    with workbook_lock(client, "north", ttl=0.6):
        pass  # released on the way out
    dead = client.lock("sheetfunnel:fleet:lock:north", timeout=0.4)
    assert dead.acquire(blocking=False)  # a worker that was killed: nobody extends it
    with pytest.raises(WorkbookBusy), workbook_lock(client, "north", ttl=0.4):
        pass
    time.sleep(0.5)
    with workbook_lock(client, "north", ttl=0.4):
        pass


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[SheetsEmulator]:
    emulator = SheetsEmulator(KEY)
    emulator.add_sheet("Opportunities", pipeline(12))
    with emulator.serve() as base_url:
        monkeypatch.setenv(ENDPOINT_ENV, base_url)
        yield emulator


def registry_file(folder: Path, emulator: SheetsEmulator) -> Path:
    key = service_account_file(folder, emulator)
    path = folder / "fleet.toml"
    path.write_text(f"""\
[[account]]
name = "robot"
file = "{key.name}"
project = "crm"

[[workbook]]
name = "north"
sheet = "{KEY}"
account = "robot"
every = "15m"

[[workbook]]
name = "gone"
sheet = "fleetkey0000000000000000000404"
account = "robot"
every = "15m"
""", encoding="utf-8")
    return path


def test_a_fleet_run_in_immediate_mode_holds_the_lease_and_reruns_quietly(served, client,
                                                                            redis_url,
                                                                            tmp_path):
    settings = FleetSettings(registry_file(tmp_path, served), redis_url,
                             Limits(account=30, project=300, window=2.0), lock_ttl=5.0,
                             lease_settle=0.0)
    fleet = make_fleet(settings, immediate=True)
    assert enqueue_due(fleet) == ["north", "gone"]  # immediate mode: both ran already
    north, gone = fleet.state("north"), fleet.state("gone")
    assert north["outcome"] == "ok" and int(north["cells_written"]) > 0
    assert gone["outcome"] == "failed" and gone["failures"] == "1"
    assert "fleetkey0000000000000000000404" in gone["message"]
    lease = served.grid("_sheetfunnel")[1]
    assert lease[:2] == ["lease", "sheetfunnel fleet"]
    with pytest.raises(WorkbookLocked, match="sheetfunnel fleet"):
        run_once(GoogleSheetsWorkbook.open(KEY, credentials_file=str(tmp_path /
                                                                     "service-account.json")))
    assert enqueue_due(fleet) == []  # nothing due: nothing enqueued, nothing sent
    before = len(served.calls)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert dt.datetime.fromisoformat(fleet.state("gone")["next_due"]) > later  # backing off
    fleet.client.hset(fleet.state_key("north"), "next_due", dt.datetime.now(dt.UTC).isoformat())
    assert enqueue_due(fleet) == ["north"]
    assert fleet.state("north")["cells_written"] == "0"
    assert [c.kind for c in served.calls[before:]] == ["get", "values.batchGet"]
    status = fleet_status(fleet)
    assert [w["outcome"] for w in status["workbooks"]] == ["ok", "failed"]
    assert status["quota"][0]["account"] == "robot" and status["quota"][0]["reads"] >= 2
    assert any(line.startswith("north ") for line in status_lines(status))
