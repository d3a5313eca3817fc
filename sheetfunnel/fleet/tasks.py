"""The fleet on Huey: one task runs one workbook; the scheduler alone decides when.

Workers (``sheetfunnel fleet worker``) are Huey consumers with Huey's periodic tasks off: only
``sheetfunnel fleet scheduler`` enqueues, once per due slot, and marks the workbook pending so
it is not enqueued twice (for one cadence while queued: a backed-up queue does not fill with
duplicates; for the lock's TTL once a worker runs it). A run holds the workbook's Redis lock (one
writer inside the fleet) and, toward the outside, the sheet's lease under the fleet's one
holder name, renewed at half its life like a watcher's (its expiry is kept in Redis, so no run
pays for it in between). A killed worker stops extending lock and pending mark: once the TTL
has passed the scheduler enqueues the workbook again and another worker takes it. Every run's
outcome goes to Redis (``fleet status``) and to one structured log line; failures back off
per workbook and never hold up another workbook. A ``notify = true`` workbook then sends what
``run --notify`` sends (``fleet.notices``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
import requests
from huey import MemoryHuey, RedisHuey
from huey.api import Huey, TaskWrapper

from sheetfunnel.errors import ConfigError, SheetfunnelError, WorkbookLocked
from sheetfunnel.fleet.gate import (
    LEASE_READS,
    LEASE_WRITES,
    RUN_READS,
    RUN_WRITES,
    Gate,
    Limits,
    Pass,
    RunGate,
)
from sheetfunnel.fleet.lock import LOCK_TTL, WorkbookBusy, workbook_lock
from sheetfunnel.fleet.notices import (
    end_streak,
    fleet_notify_config,
    paced_post,
    streak_start,
    tell_admin_once,
)
from sheetfunnel.fleet.registry import Entry, Registry, parse_registry
from sheetfunnel.fleet.schedule import next_due, retry_due
from sheetfunnel.lease import lease_duration
from sheetfunnel.notify.channels.base import http_post
from sheetfunnel.notify.hook import Notifier
from sheetfunnel.watch import outcome_of
from sheetfunnel.workbook.base import Workbook

if TYPE_CHECKING:
    from sheetfunnel.runner import RunResult

log = logging.getLogger(__name__)

REDIS_ENV = "SHEETFUNNEL_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
#: The one name the whole fleet holds every sheet's lease under.
FLEET_HOLDER = "sheetfunnel fleet"
PREFIX = "sheetfunnel:fleet"


@dataclass(frozen=True)
class FleetSettings:
    """What every process of one fleet agrees on."""

    registry: Path
    redis_url: str
    limits: Limits = Limits()
    lock_ttl: float = LOCK_TTL
    lease_settle: float = 2.0
    holder: str = FLEET_HOLDER
    #: the workers' ``--notify-config`` (else $SHEETFUNNEL_NOTIFY_CONFIG, else the registry's)
    notify_config: Path | None = None


@dataclass
class Fleet:
    """A fleet's Redis, gate and Huey app, and the task that runs one workbook."""

    settings: FleetSettings
    client: redis.Redis  # answers str (decode_responses)
    gate: Gate
    huey: Huey
    task: TaskWrapper = field(init=False)
    _parsed: tuple[tuple[int, int], Registry] | None = field(default=None, init=False,
                                                            repr=False)

    def __post_init__(self) -> None:
        @self.huey.task(name="sheetfunnel.fleet.run")
        def run(name: str) -> dict[str, Any]:
            return run_workbook(self, name)

        self.task = run

    def registry(self) -> Registry:
        """The registry as the file says now (parsed again only when the file changed)."""
        path = self.settings.registry
        stat = path.stat()
        if self._parsed is None or self._parsed[0] != (stat.st_mtime_ns, stat.st_size):
            self._parsed = ((stat.st_mtime_ns, stat.st_size),
                            parse_registry(path.read_text(encoding="utf-8"), path.name))
        return self._parsed[1]

    def state_key(self, name: str) -> str:
        return f"{PREFIX}:wb:{name}"

    def pending_key(self, name: str) -> str:
        return f"{PREFIX}:pending:{name}"

    def lease_key(self, name: str) -> str:
        return f"{PREFIX}:lease:{name}"

    def told_key(self, name: str) -> str:
        return f"{PREFIX}:admin-told:{name}"

    def state(self, name: str) -> dict[str, str]:
        return {str(key): str(value)
                for key, value in self.client.hgetall(self.state_key(name)).items()}


def redis_url(given: str | None) -> str:
    return given or os.environ.get(REDIS_ENV) or DEFAULT_REDIS


def make_fleet(settings: FleetSettings, *, immediate: bool = False) -> Fleet:
    """The fleet's app; ``immediate`` runs tasks in-process on Huey's in-memory storage (unit
    tests), while locks, gate and state still use ``settings.redis_url``."""
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    huey: Huey = (MemoryHuey("sheetfunnel-fleet", immediate=True) if immediate
                  else RedisHuey("sheetfunnel-fleet", url=settings.redis_url))
    return Fleet(settings, client, Gate(client, settings.limits), huey)


def worker_id() -> str:
    """This worker process, as status and logs name it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def is_due(fleet: Fleet, entry: Entry, now: dt.datetime) -> bool:
    due = _moment(fleet.state(entry.name).get("next_due"))
    return due is None or due <= now


# -- the scheduler --------------------------------------------------------------------------

def enqueue_due(fleet: Fleet, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every enabled workbook due now and not already pending; the names enqueued."""
    now = now or utc_now()
    enqueued = []
    for entry in fleet.registry().workbooks:
        if not entry.enabled or not is_due(fleet, entry, now):
            continue
        if fleet.client.set(fleet.pending_key(entry.name), now.isoformat(), nx=True,
                            px=int(max(fleet.settings.lock_ttl, _cadence(entry)) * 1000)):
            fleet.task(entry.name)
            enqueued.append(entry.name)
    return enqueued


def _cadence(entry: Entry) -> float:
    """Seconds a queued run may wait before its workbook is enqueued once more."""
    return (entry.every or dt.timedelta(hours=1)).total_seconds()


def run_scheduler(fleet: Fleet, stop: threading.Event, *, tick: float = 1.0) -> int:
    """Enqueue due workbooks every ``tick`` seconds until ``stop``; a broken registry is
    logged and the last good one keeps its schedule in Redis."""
    log.info("Scheduling the fleet in %s.", fleet.settings.registry)
    while not stop.is_set():
        try:
            names = enqueue_due(fleet)
            if names:
                log.info("Enqueued %d workbook(s): %s.", len(names), ", ".join(names),
                         extra={"event": "enqueue", "workbooks": names})
        except ConfigError as exc:
            log.error("The registry is broken, nothing enqueued: %s", exc)
        except (OSError, redis.RedisError) as exc:
            log.error("Could not schedule: %s", exc)
        stop.wait(tick)
    return 0


# -- one run --------------------------------------------------------------------------------

def run_workbook(fleet: Fleet, name: str, *, now: Callable[[], dt.datetime] = utc_now
                 ) -> dict[str, Any]:
    """The task: run ``name`` once if it is still due, holding its lock; returns (and
    records) the outcome. Never raises for a failed run."""
    try:
        entry = fleet.registry().find(name)
        if entry is None or not entry.enabled:
            fleet.client.delete(fleet.pending_key(name))
            return {"workbook": name, "outcome": "skipped", "message": "not in the registry"}
        with workbook_lock(fleet.client, name, ttl=fleet.settings.lock_ttl,
                           also_extend=(fleet.pending_key(name),), prefix=PREFIX):
            # running now: the mark lives as long as the lock, kept by its heartbeat
            fleet.client.set(fleet.pending_key(name), worker_id(),
                             px=int(fleet.settings.lock_ttl * 1000))
            try:
                if not is_due(fleet, entry, now()):
                    return {"workbook": name, "outcome": "skipped", "message": "not due"}
                fleet.client.hset(fleet.state_key(name), "running", worker_id())
                return _run(fleet, entry, now)
            finally:
                fleet.client.hdel(fleet.state_key(name), "running")
                fleet.client.delete(fleet.pending_key(name))
    except WorkbookBusy:  # the mark goes with the holder's lock (a killed holder's runs out)
        left = fleet.client.pttl(f"{PREFIX}:lock:{name}")
        fleet.client.set(fleet.pending_key(name), "busy", px=max(int(left), 1))
        return {"workbook": name, "outcome": "skipped", "message": "another worker runs it"}


def _run(fleet: Fleet, entry: Entry, now: Callable[[], dt.datetime]) -> dict[str, Any]:
    started = now()
    clock = time.perf_counter()
    state = fleet.state(entry.name)
    failures = int(state.get("failures", 0))
    outcome: dict[str, Any] = {"workbook": entry.name, "started": started.isoformat(),
                               "worker": worker_id(),
                               "rows": 0, "cells_written": 0, "message": ""}
    admitted: Pass | None = None
    notifier: Notifier | None = None
    try:
        registry = fleet.registry()
        notifier = _notifier(fleet, entry, registry) if entry.notify else None
        if entry.sheet is not None:
            account, project = entry.quota_scope(registry.accounts)
            renew = _lease_due(fleet, entry, started)
            admitted = fleet.gate.admit(
                account, project, reads=RUN_READS + (LEASE_READS if renew else 0),
                writes=RUN_WRITES + (LEASE_WRITES if renew else 0))
            workbook = _open_sheet(entry, registry, RunGate(fleet.gate, admitted),
                                   fleet.settings.registry.parent)
            if renew:
                _take_lease(fleet, entry, workbook, started)
        else:
            workbook = _open_file(entry, fleet.settings.registry.parent)
        result = _run_once(workbook, fleet.settings.holder, notifier)
        judged = outcome_of(result)
        outcome |= {"rows": result.rows, "cells_written": result.cells_written}
        notes = result.notifications
        if notes is not None:
            outcome |= {"notified": len(notes["sent"]), "not_delivered": len(notes["failed"])}
        if judged.ok:
            failures = 0
            outcome |= {"outcome": "ok", "message": judged.warning and (
                f"Some notifications were not delivered (the next run tries again): "
                f"{judged.warning}")}
        else:
            failures += 1
            outcome |= {"outcome": "failed", "message": judged.message}
    except WorkbookLocked as exc:
        outcome |= {"outcome": "locked", "message": " ".join(str(exc).split())}
    except SheetfunnelError as exc:
        failures += 1
        outcome |= {"outcome": "failed", "message": " ".join(str(exc).split())}
    except Exception as exc:  # noqa: BLE001 - a broken workbook never stops the worker
        failures += 1
        log.debug("The run of %s raised", entry.name, exc_info=True)
        outcome |= {"outcome": "failed", "message": f"Unexpected error: {exc!r}."}
    finally:
        if admitted is not None:
            fleet.gate.release(admitted)
    _streak(fleet, entry, outcome, notifier, started, now)
    finished = now()
    due = (retry_due(entry, failures, finished) if failures
           else next_due(entry, started, finished))
    outcome |= {"seconds": round(time.perf_counter() - clock, 3), "failures": failures,
                "next_due": due.isoformat()}
    fleet.client.hset(fleet.state_key(entry.name),
                      mapping={key: str(value) for key, value in outcome.items()})
    level = logging.INFO if outcome["outcome"] == "ok" else logging.WARNING
    log.log(level, "%s: %s, %d cells written in %.1f s.%s", entry.name, outcome["outcome"],
            outcome["cells_written"], outcome["seconds"],
            f" {outcome['message']}" if outcome["message"] else "",
            extra={"event": "run"} | {"error" if key == "message" else key: value
                                      for key, value in outcome.items()})
    return outcome


def _notifier(fleet: Fleet, entry: Entry, registry: Registry) -> Notifier:
    """What ``run --notify`` does after a write, with the fleet's notify config and every
    chat robot paced through the shared gate."""
    config = fleet_notify_config(
        fleet.settings.notify_config, registry.notify_config, fleet.settings.registry.parent,
        f"{fleet.settings.registry.name}: workbook[{registry.workbooks.index(entry) + 1}].notify")
    return Notifier(config, post=paced_post(fleet.gate, config, http_post(requests.Session())))


def _streak(fleet: Fleet, entry: Entry, outcome: dict[str, Any], notifier: Notifier | None,
            started: dt.datetime, now: Callable[[], dt.datetime]) -> None:
    """Keep the failure streak's start in Redis; a ``notify`` workbook's admin hears of a
    streak once, from whichever worker sees it first."""
    state_key, told_key = fleet.state_key(entry.name), fleet.told_key(entry.name)
    if outcome["outcome"] == "ok":
        end_streak(fleet.client, state_key, told_key)
    elif outcome["outcome"] == "failed":
        since = streak_start(fleet.client, state_key, started)
        if notifier is None and entry.notify:
            try:
                notifier = _notifier(fleet, entry, fleet.registry())
            except (ConfigError, OSError):
                return  # no notify config: nobody to tell (the run's message says why)
        if notifier is not None:
            tell_admin_once(fleet.client, told_key, notifier.config, entry.name,
                            outcome["message"], since, now())


def _lease_due(fleet: Fleet, entry: Entry, now: dt.datetime) -> bool:
    """The fleet's lease on this sheet needs writing: less than half its life left."""
    recorded = fleet.client.get(fleet.lease_key(entry.name))
    expires = _moment(str(recorded) if recorded else None)
    return expires is None or expires - now <= _lease_length(entry) / 2


def _lease_length(entry: Entry) -> dt.timedelta:
    return lease_duration(entry.every or dt.timedelta(days=1))


def _take_lease(fleet: Fleet, entry: Entry, workbook: Workbook, now: dt.datetime) -> None:
    from sheetfunnel.locks import SheetLease

    lease = SheetLease(workbook, holder=fleet.settings.holder, duration=_lease_length(entry),
                       settle=fleet.settings.lease_settle, clock=lambda: now)
    lease.acquire()
    assert lease.expires is not None
    fleet.client.set(fleet.lease_key(entry.name), lease.expires.isoformat())


def _open_sheet(entry: Entry, registry: Registry, gate: RunGate, home: Path) -> Workbook:
    """The Google Sheet, its requests through ``gate``; files relative to the registry's
    folder."""
    from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook

    credentials = (registry.accounts[entry.account].file if entry.account is not None
                   else entry.credentials)
    assert entry.sheet is not None and credentials is not None
    return GoogleSheetsWorkbook.open(entry.sheet, credentials_file=str(home / credentials),
                                     gate=gate)


def _open_file(entry: Entry, home: Path) -> Workbook:
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    assert entry.path is not None
    return XlsxWorkbook(home / entry.path)


def _run_once(workbook: Workbook, holder: str, notifier: Notifier | None) -> RunResult:
    from sheetfunnel.locks import held_for_one_run
    from sheetfunnel.runner import run_once

    with held_for_one_run(workbook, dry_run=False):
        return run_once(workbook, writer=holder, notify=notifier)
