"""Talking HTTP to the Sheets API: our endpoint, a deadline per answer, and retries that end.

gspread's own ``BackOffHTTPClient`` (6.2.1) retries forever and sets no timeout; this client
retries 429 and 5xx answers and dropped connections (before or in the middle of an answer's
body) with exponential backoff and jitter, honours ``Retry-After``, and gives up within a fixed
budget, saying so in a sentence. A socket timeout only bounds the silence between two bytes,
so a server trickling its answer would hold a run forever: each attempt gets a deadline for
the whole answer, body included, and is abandoned when it passes. Sleep, clock and randomness
are injected so tests never wait; the deadline and the budget also come from the environment
(``SHEETFUNNEL_RESPONSE_DEADLINE``, ``SHEETFUNNEL_RETRY_BUDGET``).
"""

from __future__ import annotations

import email.utils
import http.client
import json as jsonlib
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import google.auth.exceptions
import requests
import urllib3.exceptions
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetfunnel.errors import UsageError, WorkbookUnreachable
from sheetfunnel.workbook.credentials import SignInUnavailable

GOOGLE_ENDPOINT = "https://sheets.googleapis.com"
DEADLINE_ENV = "SHEETFUNNEL_RESPONSE_DEADLINE"
BUDGET_ENV = "SHEETFUNNEL_RETRY_BUDGET"
#: The header of a body sent as UTF-8 JSON bytes (``body_bytes``).
JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
#: A connection that failed before the answer began, or broke in the middle of its body.
DROPPED = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
           requests.exceptions.ContentDecodingError, urllib3.exceptions.ProtocolError,
           http.client.HTTPException, google.auth.exceptions.TransportError)


class ResponseDeadline(Exception):
    """No whole answer arrived within the deadline; the attempt was abandoned."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: ``attempts`` tries, all within ``budget`` seconds, each answer
    (headers and body) within ``deadline`` seconds. No single wait between tries takes more
    than a quarter of the budget, so a short budget still leaves room for a few tries, and no
    try starts with less than ``least_time`` left, so none is cut off before it could answer."""

    attempts: int = 6
    first_wait: float = 1.0
    max_wait: float = 32.0
    budget: float = 120.0
    deadline: float = 60.0
    connect_timeout: float = 10.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    @property
    def least_time(self) -> float:
        """Seconds of budget a retry needs left to be worth starting."""
        return min(self.deadline, self.budget / 4)

    @property
    def timeout(self) -> tuple[float, float]:
        """What requests takes: seconds to connect, seconds of silence between two bytes."""
        return min(self.connect_timeout, self.deadline), self.deadline

    def backoff(self, retry: int, jitter: float) -> float:
        """Seconds before retry number ``retry`` (1, 2, ...): doubling, capped, jittered."""
        cap = min(self.max_wait, self.budget / 4)
        return min(cap, self.first_wait * 2 ** (retry - 1)) * (0.5 + jitter)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> RetryPolicy:
        """The defaults, with the deadline and budget the environment sets."""
        policy = cls()
        deadline, budget = (environ.get(name, "").strip() for name in (DEADLINE_ENV, BUDGET_ENV))
        if deadline:
            policy = replace(policy, deadline=_seconds(DEADLINE_ENV, deadline))
        if budget:
            policy = replace(policy, budget=_seconds(BUDGET_ENV, budget))
        return policy


def _seconds(name: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= 86400):
        raise UsageError(f"The environment variable {name} must be a number of seconds "
                         f"between 0 and 86400, such as 60 or 0.5. Set it to a number or "
                         "unset it to use the default.")
    return seconds


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (a number or an HTTP date)."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def within(seconds: float, send: Callable[[], requests.Response]) -> requests.Response:
    """``send()``'s answer, or ResponseDeadline when it has not fully arrived in ``seconds``.

    ``send`` runs in a worker thread, so the deadline holds whatever the server does (a slow
    connect, headers or body trickled byte by byte). An abandoned attempt ends by itself when
    the server finishes or falls silent; its answer is dropped.
    """
    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            box.put((True, send()))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            box.put((False, exc))

    threading.Thread(target=work, name="sheetfunnel-request", daemon=True).start()
    try:
        ok, value = box.get(timeout=seconds)
    except queue.Empty:
        raise ResponseDeadline(seconds) from None
    if ok:
        return value
    raise value


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with our endpoint, a deadline per answer and bounded retries."""

    def __init__(self, auth: Any, session: requests.Session | None = None, *,
                 endpoint: str = GOOGLE_ENDPOINT, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random,
                 on_request: Callable[[str], None] = lambda method: None,
                 on_refused: Callable[[int, float | None], None] = lambda status, wait: None,
                 on_bytes: Callable[[int, int], None] = lambda sent, received: None):
        super().__init__(auth, session)
        self.endpoint = endpoint.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.on_request, self.on_bytes = on_request, on_bytes
        self.on_refused = on_refused  # a status to retry and its Retry-After, for the fleet
        self.set_timeout(self.policy.timeout)

    def url(self, endpoint: str) -> str:
        """gspread builds Google URLs; send them to the configured endpoint instead."""
        if endpoint.startswith(GOOGLE_ENDPOINT):
            return self.endpoint + endpoint[len(GOOGLE_ENDPOINT):]
        return endpoint

    def request(self, method: str, endpoint: str, params: Any = None, data: Any = None,
                json: Any = None, files: Any = None, headers: Any = None) -> requests.Response:
        url = self.url(endpoint)
        started = self.clock()
        problem, attempt = "", 0
        if json is not None:  # as UTF-8 JSON: the size measured is the size sent
            data, json = body_bytes(json), None
            headers = {**(headers or {}), **JSON_HEADERS}

        def send() -> requests.Response:
            answer = self.session.request(method=method, url=url, json=json, params=params,
                                          data=data, files=files, headers=headers,
                                          timeout=self.timeout)
            self.on_bytes(len(data) if isinstance(data, bytes) else 0, len(answer.content))
            return answer
        while attempt < self.policy.attempts:
            left = self.policy.budget - (self.clock() - started)
            if left <= 0:
                break
            attempt += 1
            self.on_request(method.upper())
            wait = None
            try:
                response = within(min(self.policy.deadline, left), send)
            except (ResponseDeadline, requests.ReadTimeout) as exc:
                problem = self._late(exc, cut_short=left < self.policy.deadline)
                if method.upper() != "GET":  # the write may have happened: do not repeat it
                    raise self._unreachable(problem, attempt, started) from None
            except DROPPED as exc:
                problem = _dropped(exc)
            else:
                if response.ok:
                    return response
                error = APIError(response)
                if response.status_code not in self.policy.statuses and \
                        error.code not in self.policy.statuses:
                    raise error
                problem = f"it answered {response.status_code} ({_message(error)})"
                wait = retry_after(response.headers)
                self.on_refused(response.status_code, wait)
            if attempt == self.policy.attempts:
                break
            wait = self.policy.backoff(attempt, self.jitter()) if wait is None else wait
            if self.clock() - started + wait + self.policy.least_time > self.policy.budget:
                break
            self.sleep(wait)
        raise self._unreachable(problem, attempt, started)

    def _late(self, exc: Exception, *, cut_short: bool) -> str:
        if not isinstance(exc, ResponseDeadline):
            return f"no answer within {_span(self.policy.timeout[1])}"
        if cut_short:
            budget = _span(self.policy.budget)
            return f"no complete answer before the {budget} for all tries ran out"
        return f"no complete answer within {_span(self.policy.deadline)}"

    def _unreachable(self, problem: str, attempts: int, started: float) -> WorkbookUnreachable:
        seconds = self.clock() - started
        return WorkbookUnreachable(
            f"Google Sheets at {self.endpoint} could not be reached: {problem}, after "
            f"{attempts} attempt(s) over {_span(round(seconds))}. Check the network and "
            "https://www.google.com/appsstatus, then run again; the next run finishes any "
            "change this one left half-written.")


def body_bytes(body: Any) -> bytes:
    """A request body as sent: compact UTF-8 JSON, so that Chinese text and icons cost their
    UTF-8 bytes, not six-byte ``\\u`` escapes (``workbook.gsheets.chunks`` splits by this)."""
    return jsonlib.dumps(body, ensure_ascii=False, separators=(",", ":"),
                         allow_nan=False).encode()


def _span(seconds: float) -> str:
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


def _dropped(exc: BaseException) -> str:
    """What went wrong with the connection, in words; the sign-in service says its own."""
    if isinstance(exc, SignInUnavailable):
        return str(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError
                  | http.client.HTTPException | requests.exceptions.ContentDecodingError):
        return f"the connection broke in the middle of an answer ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__})"


def _message(error: APIError) -> str:
    """Google's whole message, on one line."""
    text = error.error.get("message", "") if isinstance(error.error, dict) else ""
    return " ".join(str(text).split()) or "no details"
