"""``sheetfunnel watch``: run on a schedule, survive failures, stop cleanly, one writer at a time.

Built on its own ``schedule.Scheduler`` (never the module-wide default). A failed run is a
logged sentence and the watcher carries on; while failures repeat it skips a growing number of
ticks (1, 2, 4 … up to ``max_backoff``). SIGINT and SIGTERM only ask it to stop: the run under
way finishes first, then the lock is released and the watcher exits 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import schedule

from sheetfunnel.errors import SheetfunnelError, UsageError, WorkbookLocked
from sheetfunnel.lease import WriterLock
from sheetfunnel.workbook.base import Workbook

log = logging.getLogger(__name__)

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RunOutcome:
    """What one run did, for the log line."""

    rows: int
    cells_written: int


def parse_interval(text: str) -> dt.timedelta:
    """``90s``, ``10m``, ``2h``, ``1d`` -> a timedelta of at least ten seconds."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text.lower())
    if not found or int(found.group(1)) == 0:
        raise UsageError(f'"{text}" is not an interval. Write a whole number and a unit, '
                         "such as 90s, 10m, 2h or 1d.")
    interval = dt.timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
    if interval < dt.timedelta(seconds=10):
        raise UsageError("Run at most every 10 seconds (--every 10s or more).")
    return interval


def parse_at(text: str | None) -> str | None:
    if text is None:
        return None
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text.strip()):
        raise UsageError(f'"{text}" is not a time of day. Write it as HH:MM, such as 08:00.')
    return text.strip()


class Watcher:
    """Runs ``job`` now, then every ``every`` (and daily ``at``), holding ``lock`` throughout."""

    def __init__(self, job: Callable[[], RunOutcome], *, every: dt.timedelta,
                 lock: WriterLock, at: str | None = None, name: str = "workbook",
                 max_backoff: int = 8, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self.job = job
        self.lock = lock
        self.name = name
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.monotonic = monotonic
        self.failures = 0
        self.skipping = 0
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        self.scheduler.every(int(every.total_seconds())).seconds.do(self.tick)
        self.plan = f"every {every}" + (f" and daily at {at}" if at else "")
        if at is not None:
            self.scheduler.every().day.at(at).do(self.tick)

    def tick(self) -> bool:
        """One scheduled moment: run unless backing off. True when a run succeeded."""
        if self.skipping:
            self.skipping -= 1
            log.info("Skipping this run after %d failure(s) in a row", self.failures)
            return False
        started = self.monotonic()
        try:
            self.lock.hold()
            outcome = self.job()
        except WorkbookLocked as exc:
            self._failed(started, str(exc), level=logging.WARNING)
            return False
        except SheetfunnelError as exc:
            self._failed(started, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a watcher must outlive any one run
            self._failed(started, f"Unexpected error: {exc!r}", exc_info=True)
            return False
        self.failures = 0
        seconds = round(self.monotonic() - started, 3)
        log.info("Run ok: %d rows, %d cells written in %.1f s", outcome.rows,
                 outcome.cells_written, seconds,
                 extra={"outcome": "ok", "rows": outcome.rows, "seconds": seconds,
                        "cells_written": outcome.cells_written, "workbook": self.name})
        return True

    def _failed(self, started: float, message: str, *, level: int = logging.ERROR,
                exc_info: bool = False) -> None:
        self.failures += 1
        self.skipping = min(2 ** (self.failures - 1), self.max_backoff) - 1
        seconds = round(self.monotonic() - started, 3)
        log.log(level, "Run failed: %s", message, exc_info=exc_info,
                extra={"outcome": "failed", "seconds": seconds, "workbook": self.name})

    def run(self) -> int:
        """Run now, then on schedule until asked to stop; returns the exit code (0)."""
        log.info("Watching %s %s; Ctrl-C finishes the current run and stops", self.name,
                 self.plan)
        try:
            self.tick()
            while not self.stop.is_set():
                self.scheduler.run_pending()
                if self.stop.is_set():
                    break
                idle = self.scheduler.idle_seconds
                self.sleep(max(0.0, min(idle if idle is not None else 1.0, 1.0)))
        finally:
            self.lock.release()
        log.info("Stopped watching %s", self.name)
        return 0

    def handle_signals(self) -> None:
        """SIGINT/SIGTERM ask for a stop; the run under way is never cut short."""
        def ask_to_stop(signum: int, _frame: object) -> None:
            log.info("Received %s: finishing the current run, then stopping",
                     signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGTERM, ask_to_stop)


def serve(path: Path | None, *, sheet: str | None, credentials: Path | None,
          config_file: Path | None, every: str, at: str | None, log_format: str,
          log_level: str, open_workbook: Callable[[], Workbook]) -> int:
    """The ``watch`` command: logging, the lock for this backend, signals, the loop."""
    from sheetfunnel.lease import SheetLease, XlsxLock
    from sheetfunnel.logs import configure_logging
    from sheetfunnel.run import run_once

    interval, daily = parse_interval(every), parse_at(at)
    configure_logging(log_format, log_level)
    first = open_workbook()
    lock: WriterLock
    if sheet is None and path is not None:
        lock = XlsxLock(path)
    else:
        lock = SheetLease(first, duration=max(3 * interval, dt.timedelta(minutes=5)))

    def job() -> RunOutcome:
        result = run_once(open_workbook(), as_of=dt.date.today(), config_file=config_file)
        return RunOutcome(result.rows, result.cells_written)

    watcher = Watcher(job, every=interval, at=daily, lock=lock, name=first.name)
    watcher.handle_signals()
    return watcher.run()
