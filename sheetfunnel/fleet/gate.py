"""One Google quota shared by every worker: a Redis-backed request gate (spec §7).

Google counts read and write requests separately, per project (300 a minute each) and per
user (a service account is one: 60 a minute each), and answers 429 beyond. The gate keeps one
sliding-window log per (account or project, reads or writes) in a Redis sorted set, with
Redis's own clock, so every worker on every machine sees the same counts:

* ``admit`` reserves a whole run's budget at once, or not at all: a busy fleet queues runs
  instead of starting runs that fail half-way;
* ``request`` passes one request: it turns one of its run's reservations still in the window
  into a request stamped now, else takes a free place, else waits. No window ever holds more
  than the limit, so no request beyond the quota leaves a worker;
* ``cool_down`` after a 429 pauses the account for every worker before the client's own backoff;
* ``pace`` lets one chat-robot message out within the robot's limits (20 a minute for a
  DingTalk or WeCom robot, Feishu's 100 a minute and 5 a second, Slack's 1 a second), keyed by
  a hash of the robot's URL, so the workers that share a robot never exceed it together.

The window is a parameter (60 s in production) so tests can run at 30 requests per 2 s.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from sheetfunnel.errors import UsageError, WorkbookUnreachable

log = logging.getLogger(__name__)

#: Google's defaults per minute: (reads, writes) per user, per project.
ACCOUNT_LIMIT = 60
PROJECT_LIMIT = 300
WINDOW = 60.0
COOL_DOWN = 60.0
#: A run's budget: metadata, read, ID re-read, verify read, Settings-named tab, one spare;
#: structure write, values write, one repair write (spec §7).
RUN_READS = 6
RUN_WRITES = 3
#: Taking or renewing the fleet's lease: the state tab read twice, its tab and cells written.
LEASE_READS = 4
LEASE_WRITES = 2

# KEYS: the logs to take from, then the cool-down key. ARGV: n, a member prefix, then per log
# its window (ms), its limit and the reservation it may turn into a request ('' for none).
# Returns 0 when taken, -1 when n can never fit, else the milliseconds until a place frees.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, prefix = tonumber(ARGV[1]), ARGV[2]
local logs = #KEYS - 1
local cool = redis.call('PTTL', KEYS[#KEYS])
if cool > 0 then return cool end
local wait = 0
local swap = {}
for i = 1, logs do
  local window, limit, reserved = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]),
    ARGV[3 * i + 2]
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  swap[i] = reserved ~= '' and redis.call('ZSCORE', KEYS[i], reserved)
  if not swap[i] and redis.call('ZCARD', KEYS[i]) + n > limit then
    if n > limit then return -1 end
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local free = tonumber(oldest[2]) + window - now + 1
    if free > wait then wait = free end
  end
end
if wait > 0 then return wait end
for i = 1, logs do
  if swap[i] then redis.call('ZREM', KEYS[i], ARGV[3 * i + 2]) end
  for j = 1, n do redis.call('ZADD', KEYS[i], now, prefix .. j) end
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 * i]))
end
return 0
"""


@dataclass(frozen=True)
class Limits:
    """Requests per window, each for reads and for writes alike, as Google counts them."""

    account: int = ACCOUNT_LIMIT
    project: int = PROJECT_LIMIT
    window: float = WINDOW
    cool_down: float = COOL_DOWN


@dataclass
class Pass:
    """A run's admission: its reservations, per kind, still to be turned into requests."""

    account: str
    project: str
    reserved: dict[str, list[str]] = field(default_factory=dict)


class Gate:
    """The shared gate on one Redis; ``sleep`` is how a worker waits its turn."""

    def __init__(self, client: redis.Redis, limits: Limits = Limits(), *,
                 prefix: str = "sheetfunnel:gate",
                 sleep: Callable[[float], None] = time.sleep, patience: float = 600.0):
        self.client = client
        self.limits = limits
        self.prefix = prefix
        self.sleep = sleep
        self.patience = patience
        self._take = client.register_script(TAKE)

    def key(self, scope: str, name: str, kind: str) -> str:
        return f"{self.prefix}:{scope}:{name}:{kind}"

    def cool_key(self, account: str) -> str:
        return f"{self.prefix}:cool:{account}"

    def admit(self, account: str, project: str, *, reads: int = RUN_READS,
              writes: int = RUN_WRITES) -> Pass:
        """Wait until the run's whole budget fits for its account and project, reserve it."""
        run = Pass(account, project)
        for kind, count in (("reads", reads), ("writes", writes)):
            tag = f"r:{secrets.token_hex(6)}:"
            self._wait(account, project, kind, count, tag, "")
            run.reserved[kind] = [f"{tag}{n}" for n in range(count, 0, -1)]
        return run

    def request(self, run: Pass, method: str) -> None:
        """Let one request out: from the run's reservation when one is left in the window."""
        kind = "reads" if method.upper() == "GET" else "writes"
        left = run.reserved.get(kind, [])
        reserved = left.pop() if left else ""
        self._wait(run.account, run.project, kind, 1, f"q:{secrets.token_hex(6)}:", reserved)

    def release(self, run: Pass) -> None:
        """Give back what the run reserved and did not use."""
        for kind, members in run.reserved.items():
            if members:
                for scope, name in (("account", run.account), ("project", run.project)):
                    self.client.zrem(self.key(scope, name, kind), *members)
            members.clear()

    def cool_down(self, account: str, seconds: float | None = None) -> None:
        """Google answered 429: nobody sends for this account for ``seconds``."""
        pause = seconds if seconds is not None else self.limits.cool_down
        self.client.set(self.cool_key(account), "1", px=max(int(pause * 1000), 1))
        log.warning("Google answered 429 for %s: every worker pauses it for %.0f s.", account,
                    pause, extra={"event": "cool_down", "account": account})

    def used(self, scope: str, name: str, kind: str) -> int:
        """Requests (and reservations) in the current window."""
        key = self.key(scope, name, kind)
        now = self.client.time()
        edge = (now[0] + now[1] / 1e6 - self.limits.window) * 1000
        return int(self.client.zcount(key, edge, "+inf"))

    def pace(self, robot: str, limits: tuple[tuple[int, float], ...], patience: float
             ) -> float:
        """Let one message to chat robot ``robot`` out within each (messages, seconds) of
        ``limits`` for every worker together, waiting at most ``patience`` seconds; 0 when it
        may go, else the seconds until a place frees (it goes next run)."""
        logs = [(self.key("robot", robot, f"{seconds:g}s"), seconds, count)
                for count, seconds in limits]
        waited = 0.0
        while True:
            wait = self._take_one([key for key, _, _ in logs], self.cool_key(f"robot:{robot}"),
                                  1, f"m:{secrets.token_hex(6)}:",
                                  [(seconds, count, "") for _, seconds, count in logs])
            if wait == 0:
                return 0.0
            if wait < 0 or waited + wait / 1000 > patience:
                return wait / 1000 if wait > 0 else patience
            self.sleep(wait / 1000)
            waited += wait / 1000

    def cool_robot(self, robot: str, seconds: float) -> None:
        """The robot said to slow down: no worker sends to it for ``seconds``."""
        self.client.set(self.cool_key(f"robot:{robot}"), "1", px=max(int(seconds * 1000), 1))
        log.warning("A chat robot throttled the fleet: every worker pauses it for %.0f s.",
                    seconds, extra={"event": "robot_cool_down", "robot": robot})

    def _take_one(self, logs: list[str], cool: str, count: int, tag: str,
                  limits: list[tuple[float, int, str]]) -> int:
        """One try of TAKE: 0 taken, -1 never fits, else milliseconds to wait."""
        args: list[str | int] = [count, tag]
        for seconds, limit, reserved in limits:
            args += [int(seconds * 1000), limit, reserved]
        return int(self._take(keys=[*logs, cool], args=args))

    def _wait(self, account: str, project: str, kind: str, count: int, tag: str,
              reserved: str) -> None:
        logs = [self.key("account", account, kind), self.key("project", project, kind)]
        limits = [(self.limits.window, self.limits.account, reserved),
                  (self.limits.window, self.limits.project, reserved)]
        waited = 0.0
        while True:
            wait = self._take_one(logs, self.cool_key(account), count, tag, limits)
            if wait == 0:
                return
            if wait < 0:
                raise UsageError(f"A run's {count} {kind} can never fit the quota of "
                                 f"{self.limits.account} a window; raise the limit.")
            if waited > self.patience:
                raise WorkbookUnreachable(f"Waited {waited:.0f} s for a place in the Google quota "
                                          f"of {account}; the fleet is busier than its "
                                          "accounts allow (README: capacity).")
            pause = min(wait / 1000, self.limits.window)
            self.sleep(pause)
            waited += pause


class RunGate:
    """One run's side of the gate, as the Google backend calls it (``RequestGate``): each
    request passes ``Gate.request``; a 429 cools the account down for every worker."""

    def __init__(self, gate: Gate, run: Pass):
        self.gate = gate
        self.run = run
        self.sent = 0

    def before(self, method: str) -> None:
        self.gate.request(self.run, method)
        self.sent += 1

    def refused(self, status: int, retry_after: float | None) -> None:
        if status == 429:
            self.gate.cool_down(self.run.account, retry_after)
