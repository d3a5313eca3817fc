"""Talking HTTP to the Sheets API: our endpoint, a timeout, and retries that end.

gspread's own ``BackOffHTTPClient`` (6.2.1) retries forever and sets no timeout; this client
retries 429 and 5xx answers and dropped connections with exponential backoff and jitter,
honours ``Retry-After``, and gives up within a fixed time, saying so in a sentence. Sleep,
clock and randomness are injected so tests never wait.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetfunnel.errors import WorkbookUnreachable

GOOGLE_ENDPOINT = "https://sheets.googleapis.com"
CONNECTION_ERRORS = (requests.ConnectionError, google.auth.exceptions.TransportError)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: ``attempts`` tries, all within ``budget`` seconds."""

    attempts: int = 6
    first_wait: float = 1.0
    max_wait: float = 32.0
    budget: float = 120.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    timeout: tuple[float, float] = (10.0, 120.0)  # connect, read: Google stops at 180 s

    def backoff(self, retry: int, jitter: float) -> float:
        """Seconds before retry number ``retry`` (1, 2, ...): doubling, capped, jittered."""
        return min(self.max_wait, self.first_wait * 2 ** (retry - 1)) * (0.5 + jitter)


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


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with our endpoint, a timeout and bounded retries."""

    def __init__(self, auth: Any, session: requests.Session | None = None, *,
                 endpoint: str = GOOGLE_ENDPOINT, policy: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random,
                 on_request: Callable[[str], None] = lambda method: None):
        super().__init__(auth, session)
        self.endpoint = endpoint.rstrip("/")
        self.policy = policy
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.on_request = on_request
        self.set_timeout(policy.timeout)

    def url(self, endpoint: str) -> str:
        """gspread builds Google URLs; send them to the configured endpoint instead."""
        if endpoint.startswith(GOOGLE_ENDPOINT):
            return self.endpoint + endpoint[len(GOOGLE_ENDPOINT):]
        return endpoint

    def request(self, method: str, endpoint: str, params: Any = None, data: Any = None,
                json: Any = None, files: Any = None, headers: Any = None) -> requests.Response:
        url = self.url(endpoint)
        started = self.clock()
        for attempt in range(1, self.policy.attempts + 1):
            self.on_request(method.upper())
            wait, problem = None, ""
            try:
                response = self.session.request(method=method, url=url, json=json,
                                                params=params, data=data, files=files,
                                                headers=headers, timeout=self.timeout)
            except requests.ReadTimeout as exc:
                if method.upper() != "GET":  # the write may have happened: do not repeat it
                    raise self._unreachable(f"no answer within {self.policy.timeout[1]:g} seconds",
                                            attempt, started) from exc
                problem = f"no answer within {self.policy.timeout[1]:g} seconds"
            except CONNECTION_ERRORS as exc:
                problem = f"the connection failed ({type(exc).__name__})"
            else:
                if response.ok:
                    return response
                error = APIError(response)
                if response.status_code not in self.policy.statuses and \
                        error.code not in self.policy.statuses:
                    raise error
                problem = f"it answered {response.status_code} ({_message(error)})"
                wait = retry_after(response.headers)
            if attempt == self.policy.attempts:
                break
            wait = self.policy.backoff(attempt, self.jitter()) if wait is None else wait
            if self.clock() - started + wait > self.policy.budget:
                break
            self.sleep(wait)
        raise self._unreachable(problem, attempt, started)

    def _unreachable(self, problem: str, attempts: int, started: float) -> WorkbookUnreachable:
        seconds = self.clock() - started
        return WorkbookUnreachable(
            f"Google Sheets at {self.endpoint} could not be reached: {problem}, after "
            f"{attempts} attempt(s) over {seconds:.0f} seconds. Check the network and "
            "https://www.google.com/appsstatus, then run again; the next run finishes any "
            "change this one left half-written.")


def _message(error: APIError) -> str:
    text = error.error.get("message", "") if isinstance(error.error, dict) else ""
    return text.split(".")[0] or "no details"
