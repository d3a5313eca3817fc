"""``sheetfunnel watch``: run on a schedule, outlive failures, stop cleanly, one writer at a time.

The first run starts at once, then one every interval (and daily at ``--at``), from the
watcher's own ``schedule.Scheduler`` (never the module-wide default). A failed run is one
logged sentence and the watcher carries on; while failures repeat it waits 1, 2, 4 … up to
``max_backoff`` intervals between tries. A workbook another writer holds when the watcher
starts is refused and the watcher exits 3 (``EXIT_REFUSED``): it does not sit waiting, a
process manager (systemd's ``Restart=on-failure``) starts it again and it takes the workbook
once the holder has let go or its lease has run out. A lock lost while running is a warning,
not a failure: the next tick asks for it again. SIGINT and SIGTERM only ask it to stop: the run
under way finishes, the lock is released, and the watcher returns 0; a second signal stops it
at once with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).

Time: schedule reads the system clock (``datetime.now()``) itself, so ``clock`` must tell the
same time; it dates and times the runs. Tests move both at once with time-machine and pass a
``sleep`` that moves the fake clock instead of waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import schedule

from sheetfunnel.errors import SheetfunnelError, UsageError, WorkbookLocked
from sheetfunnel.lease import lease_duration
from sheetfunnel.load import STATUS_OK
from sheetfunnel.locks import SheetLease, WriterLock, XlsxLock
from sheetfunnel.team_time import AsOf
from sheetfunnel.workbook.base import Workbook, only

if TYPE_CHECKING:
    from sheetfunnel.runner import Notify, RunResult

log = logging.getLogger(__name__)

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SHORTEST = dt.timedelta(seconds=10)
#: Longest wait between two looks at the stop flag: how late a signal can be noticed.
POLL_SECONDS = 1.0
#: The watcher's exit code when another writer holds the workbook as it starts.
EXIT_REFUSED = WorkbookLocked.exit_code


class StopNow(KeyboardInterrupt):
    """A second SIGINT or SIGTERM: stop at once, with ``exit_code`` 128 + the signal number
    as shells report a process a signal ended."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


@dataclass(frozen=True)
class RunOutcome:
    """What one run did, for its log line.

    A job fills ``rows`` and ``cells_written``, and sets ``ok=False`` with a ``message`` when
    the run completed but is not clean (a broken config); the watcher fills ``seconds``, and
    builds the whole outcome itself when the job raises.
    """

    rows: int = 0
    cells_written: int = 0
    seconds: float = 0.0
    ok: bool = True
    message: str = ""
    #: a run that wrote but whose notifications were not all delivered (a command's exit
    #: code 4): a warning in the log, never a stop
    warning: str = ""


def outcome_of(result: RunResult) -> RunOutcome:
    """A ``run_once`` result as an outcome: not ok unless the Config tabs were read cleanly."""
    failed = (result.notifications or {}).get("failed") or []
    warning = "; ".join(dict.fromkeys(str(f["reason"]) for f in failed))
    if result.config_status == STATUS_OK:
        return RunOutcome(result.rows, result.cells_written, warning=warning)
    errors = [p for p in result.problems if p.severity == "error"]
    first = f" First: {errors[0]}." if errors else ""
    return RunOutcome(result.rows, result.cells_written, ok=False,
                      message=f"The configuration is {result.config_status}; the Summary tab "
                              f"lists {len(errors)} problem(s).{first}")


def parse_interval(text: str) -> dt.timedelta:
    """``90s``, ``10m``, ``2h``, ``1d`` -> a timedelta of at least ten seconds."""
    found = re.fullmatch(r"(\d+)\s*([smhd])", text.strip().lower())
    interval = (dt.timedelta(seconds=int(found.group(1)) * UNIT_SECONDS[found.group(2)])
                if found else None)
    if interval is None or not interval:
        raise UsageError(f'--every "{text}" is not an interval. Write a whole number and a '
                         "unit (s, m, h or d), such as 90s, 10m, 2h or 1d.")
    if interval < SHORTEST:
        raise UsageError(f"--every {text} is too often: run at most every 10 seconds "
                         "(--every 10s or more).")
    return interval


def parse_at(text: str | None) -> str | None:
    """``8:00`` or ``08:00`` -> ``08:00`` (local time), as schedule wants it."""
    if text is None:
        return None
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not found:
        raise UsageError(f'--at "{text}" is not a time of day. Write it as HH:MM on a '
                         "24-hour clock, such as 08:00 or 17:30.")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def span(delta: dt.timedelta) -> str:
    """A duration as people say it: ``90 s``, ``10 min``, ``2 h``, ``1 d``."""
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size or (seconds >= size and seconds % size == 0):
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


class Watcher:
    """Runs ``job`` now, then on schedule, holding ``lock`` from its first run to its exit.

    ``run_forever(stop)`` is the service loop; ``run_now()`` and ``run_pending_once()`` are
    its steps, public so that a test (or another loop) can drive them.
    """

    def __init__(self, job: Callable[[], RunOutcome], *, every: dt.timedelta,
                 lock: WriterLock, at: str | None = None,
                 clock: Callable[[], dt.datetime] = dt.datetime.now,
                 sleep: Callable[[float], None] = time.sleep, max_backoff: int = 8,
                 name: str = "the workbook",
                 on_failure: Callable[[RunOutcome, dt.datetime], None] | None = None):
        """``on_failure(outcome, since)`` hears about a failed run that starts a failure
        streak or fails otherwise than the run before; ``since`` is when the streak began."""
        if every < dt.timedelta(seconds=1) or max_backoff < 1:
            raise UsageError("A watcher runs at most every second and backs off at least "
                             "one interval.")
        self.job = job
        self.every = every
        self.lock = lock
        self.clock = clock
        self.sleep = sleep
        self.max_backoff = max_backoff
        self.name = name
        self.failures = 0
        self.on_failure = on_failure
        #: when the current streak of failed runs began (None: the last run was ok)
        self.failing_since: dt.datetime | None = None
        self._last_failure = ""
        self.scheduler = schedule.Scheduler()
        self.scheduler.every(round(every.total_seconds())).seconds.do(self._tick)
        daily = parse_at(at)
        if daily is not None:
            self.scheduler.every().day.at(daily).do(self._tick)
        self.cadence = f"every {span(every)}" + (f" and daily at {daily}" if daily else "")
        self._holding = False
        self._to_skip = 0
        self._pass: list[RunOutcome | None] = []

    def run_now(self) -> RunOutcome:
        """One run: hold the lock, run the job, log one line, track failures. Never raises
        for a failed run (an Exception); the outcome says what happened."""
        started = self.clock()
        locked = False
        try:
            self._hold()
            outcome = self.job()
        except WorkbookLocked as exc:
            self._holding, locked = False, True
            outcome = RunOutcome(ok=False, message=str(exc))
        except SheetfunnelError as exc:
            outcome = RunOutcome(ok=False, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - a watcher outlives any one run
            log.debug("The run raised", exc_info=True)
            outcome = RunOutcome(ok=False, message=f"Unexpected error: {exc!r}. "
                                 "--log-level DEBUG shows its traceback.")
        seconds = round((self.clock() - started).total_seconds(), 3)
        outcome = replace(outcome, seconds=seconds, message=" ".join(outcome.message.split()))
        self._log(outcome, started, locked)
        return outcome

    def run_pending_once(self) -> RunOutcome | None:
        """Run if a tick is due now; ticks due together make one run. None when nothing ran
        (nothing due, or a tick skipped while backing off)."""
        self._pass = []
        self.scheduler.run_pending()
        return self._pass[0] if self._pass else None

    def run_forever(self, stop: threading.Event | None = None) -> int:
        """Take the workbook, run now, then on schedule until ``stop`` is set; release the
        lock; return 0. Held by another writer at the start: log why, return EXIT_REFUSED."""
        stop = stop or threading.Event()
        log.info("Watching %s %s. Ctrl-C or SIGTERM finishes the current run, then stops.",
                 self.name, self.cadence)
        if not self._take():
            return EXIT_REFUSED
        try:
            self.run_now()
            while not stop.is_set():
                self.run_pending_once()
                if not stop.is_set():
                    self.sleep(self._pause())
        finally:
            self._release()
        log.info("Stopped watching %s.", self.name)
        return 0

    def _tick(self) -> None:
        if self._pass:
            return
        if self._to_skip:
            self._to_skip -= 1
            self._pass.append(None)
            log.info("Skipping this run: backing off after %d failed run(s) in a row.",
                     self.failures, extra={"event": "run", "outcome": "skipped",
                                           "workbook": self.name, "failures": self.failures})
            return
        self._pass.append(self.run_now())

    def _take(self) -> bool:
        """Take the workbook before the first run; False (logged) when another writer holds
        it. Any other failure is left to the first run, which tries again and logs it."""
        try:
            self._hold()
        except WorkbookLocked as exc:
            log.error("Refused to start: %s Exiting with code %d; started again (systemd's "
                      "Restart=on-failure), the watcher takes the workbook once it is free.",
                      " ".join(str(exc).split()), EXIT_REFUSED,
                      extra={"event": "start", "outcome": "refused", "workbook": self.name})
            return False
        except Exception:  # noqa: BLE001 - the first run meets it again and logs it
            log.debug("Taking the workbook before the first run failed", exc_info=True)
        return True

    def _hold(self) -> None:
        if self._holding:
            self.lock.renew()
        else:
            self.lock.acquire()
        self._holding = True

    def _release(self) -> None:
        try:
            self.lock.release()
        except Exception as exc:  # noqa: BLE001 - a lease left behind runs out by itself
            log.warning("Could not release the lock on %s (%s); it runs out by itself.",
                        self.name, exc)

    def _pause(self) -> float:
        idle = self.scheduler.idle_seconds
        return POLL_SECONDS if idle is None else min(max(idle, 0.0), POLL_SECONDS)

    def _log(self, outcome: RunOutcome, started: dt.datetime, locked: bool) -> None:
        fields = {"event": "run", "started": started.isoformat(timespec="seconds"),
                  "seconds": outcome.seconds, "rows": outcome.rows,
                  "cells_written": outcome.cells_written, "workbook": self.name}
        if outcome.ok:
            self.failures, self._to_skip = 0, 0
            self.failing_since, self._last_failure = None, ""
            if outcome.warning:
                log.warning("Run ok: %d rows, %d cells written in %.1f s; some notifications "
                            "were not delivered (the next run tries again): %s", outcome.rows,
                            outcome.cells_written, outcome.seconds, outcome.warning,
                            extra=fields | {"outcome": "ok", "failures": 0,
                                            "warning": outcome.warning})
                return
            log.info("Run ok: %d rows, %d cells written in %.1f s.", outcome.rows,
                     outcome.cells_written, outcome.seconds,
                     extra=fields | {"outcome": "ok", "failures": 0})
        elif locked:
            log.warning("Run refused: %s Asking again at the next run.", outcome.message,
                        extra=fields | {"outcome": "locked", "failures": self.failures})
        else:
            self.failures += 1
            wait = min(2 ** (self.failures - 1), self.max_backoff)
            self._to_skip = wait - 1
            log.error("Run failed after %.1f s (%d in a row): %s Next try in %s.",
                      outcome.seconds, self.failures, outcome.message, span(wait * self.every),
                      extra=fields | {"outcome": "failed", "failures": self.failures,
                                      "error": outcome.message})
            if self.failing_since is None:
                self.failing_since = started
            if self.on_failure is not None and outcome.message != self._last_failure:
                self.on_failure(outcome, self.failing_since)
            self._last_failure = outcome.message


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """While inside: SIGINT/SIGTERM set ``stop`` (the run under way finishes); a second
    signal raises StopNow. The previous handlers come back on the way out."""

    def ask_to_stop(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise StopNow(signum)
        log.info("Received %s: finishing the current run, then stopping.",
                 signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def make_job(open_workbook: Callable[[], Workbook], *, config_file: Path | None = None,
             today: Callable[[], AsOf] = lambda: None,
             writer: str | None = None, notify: Notify | None = None
             ) -> Callable[[], RunOutcome]:
    """One ``run_once`` on a freshly opened workbook (fresh I/O counts), judged as of
    ``today()`` (None: the clock, in the Settings timezone); ``writer`` is the holder of the
    watcher's own lease, which must not stop its runs; ``notify`` sends what is due after
    each write (digests once per local day at Digest At, escalations at once)."""
    from sheetfunnel.runner import run_once

    def job() -> RunOutcome:
        return outcome_of(run_once(open_workbook(), as_of=today(), config_file=config_file,
                                   writer=writer, notify=notify))

    return job


def writer_lock(workbook: Workbook, path: Path | None, every: dt.timedelta) -> WriterLock:
    """A lock file beside a local workbook, a lease inside a Google Sheet."""
    if path is not None:
        return XlsxLock(path)
    return SheetLease(workbook, duration=lease_duration(every))


def admin_on_failure(notifier: Any, name: str) -> Callable[[RunOutcome, dt.datetime], None]:
    """The ``[admin]`` channel of ``notifier``'s config hears of a failed run, and since when
    the runs have been failing (the first failure of the streak, kept by the watcher)."""
    from sheetfunnel.notify.hook import admin_notice

    def tell(outcome: RunOutcome, since: dt.datetime) -> None:
        failure = admin_notice(notifier.config, name, outcome.message,
                               since.astimezone().isoformat(timespec="minutes"),
                               dt.datetime.now(dt.UTC))
        if failure:
            log.warning("Admin notice not delivered: %s", failure,
                        extra={"event": "admin_notice", "workbook": name})

    return tell


def serve(path: Path | None, *, sheet: str | None, config_file: Path | None, every: str,
          at: str | None, log_format: str, log_level: str,
          open_workbook: Callable[[], Workbook], notifier: Any = None) -> int:
    """The ``watch`` command: logging, this backend's lock, signals, the loop. Returns the exit
    code: 0 stopped when asked, EXIT_REFUSED held by another writer at the start, 128 + the
    signal's number stopped at once by a second signal.

    ``path`` or ``sheet`` is how the CLI found the workbook; ``open_workbook`` opens it again
    for each run; ``notifier`` (``watch --notify``) sends after each run and tells the admin
    of failed runs.
    """
    from sheetfunnel.logs import configure_logging

    interval, daily = parse_interval(every), parse_at(at)
    configure_logging(log_format, log_level)
    workbook = open_workbook()
    workbook.read(only())  # a wrong path, key or credentials file fails now, not at 3 a.m.
    lock = writer_lock(workbook, path if sheet is None else None, interval)
    holder = lock.holder if isinstance(lock, SheetLease) else None
    watcher = Watcher(make_job(open_workbook, config_file=config_file, writer=holder,
                               notify=notifier),
                      every=interval, at=daily, lock=lock, name=workbook.name,
                      on_failure=admin_on_failure(notifier, workbook.name) if notifier
                      else None)
    with stop_on_signals(threading.Event()) as stop:
        try:
            return watcher.run_forever(stop)
        except StopNow as now:
            log.warning("Received %s again: stopped at once, the run under way cut short "
                        "(the next run writes what it left). Exit code %d.", now,
                        now.exit_code, extra={"event": "stop", "workbook": workbook.name})
            return now.exit_code
