"""One writer per workbook inside the fleet: a Redis lock with a TTL, kept by a heartbeat.

Huey's ``lock_task`` has no expiry, so a worker killed mid-run would hold its workbook for
ever; redis-py's ``Lock`` expires after ``ttl`` seconds unless extended. While the run works a
heartbeat thread extends it every third of its TTL (and the workbook's pending mark with it);
a killed worker stops extending, and another worker takes the workbook once the TTL has passed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)

#: Seconds a worker's hold on a workbook outlives its last heartbeat.
LOCK_TTL = 120.0


class WorkbookBusy(Exception):
    """Another worker of the fleet is running this workbook now."""


@contextlib.contextmanager
def workbook_lock(client: redis.Redis, name: str, *, ttl: float = LOCK_TTL,
                  also_extend: tuple[str, ...] = (),
                  prefix: str = "sheetfunnel:fleet") -> Iterator[redis.lock.Lock]:
    """Hold ``name`` for the duration, or raise WorkbookBusy at once. ``also_extend``: keys
    whose expiry the heartbeat renews with the lock's."""
    lock = client.lock(f"{prefix}:lock:{name}", timeout=ttl, blocking=False,
                       thread_local=False)
    if not lock.acquire():
        raise WorkbookBusy(name)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(ttl / 3):
            try:
                lock.extend(ttl, replace_ttl=True)
                for key in also_extend:
                    client.pexpire(key, int(ttl * 1000))
            except (LockError, redis.RedisError) as exc:
                log.warning("Could not extend the fleet's lock on %s (%s).", name, exc)
                return

    beat = threading.Thread(target=heartbeat, name=f"heartbeat {name}", daemon=True)
    beat.start()
    try:
        yield lock
    finally:
        stop.set()
        beat.join(timeout=5)
        with contextlib.suppress(LockError, redis.RedisError):
            lock.release()
