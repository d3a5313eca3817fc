"""Faults on the way: error answers, dropped connections, answers cut or trickled, and the
``requests`` transport adapter that carries them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .sheet import REASONS, ApiError

if TYPE_CHECKING:
    from . import SheetsEmulator


@dataclass(frozen=True)
class NetworkFault:
    """What happens to one answer on the wire: ``reset`` after part of the body, or ``drip``
    (one byte every DRIP_PAUSE seconds for ``seconds``, then a reset)."""

    how: str
    seconds: float = 0.0


DRIP_PAUSE = 0.05



class NetworkMixin:
    """Faults a test schedules, and the person editing between two requests."""

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None,
             kind: str | None = None) -> None:
        """The next ``times`` requests (of ``kind``, if given) answer ``status``."""
        left = [times]

        def fault(method: str, call_kind: str) -> ApiError | None:
            if left[0] <= 0 or (kind is not None and call_kind != kind):
                return None
            left[0] -= 1
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return rate_limited(headers) if status == 429 else ApiError(status, headers=headers)
        self.faults.append(fault)

    def drop_connections(self, times: int = 1) -> None:
        left = [times]

        def fault(method: str, kind: str) -> Exception | None:
            if left[0] <= 0:
                return None
            left[0] -= 1
            return requests.ConnectionError("Connection reset by peer (emulated)")
        self.faults.append(fault)

    def at_request(self, number: int, action: Callable[[SheetsEmulator], None], *,
                   after: bool = False) -> None:
        """Call ``action(emulator)`` just before (or after) answering the ``number``-th Sheets
        request from now (1 = the next one; token requests do not count).

        Before: a person's edit lands between the request's arrival and its effect, or a
        fault registered there (``fail``, ``drop_connections``) answers that very request.
        After: the request has taken effect; an exception ``action`` raises (a
        ``requests.ConnectionError``) loses the answer on its way back.
        """
        self.scheduled.append((len(self.calls) + number, after, action))

    def _run_scheduled(self, after: bool) -> None:
        due = [s for s in self.scheduled if s[0] == len(self.calls) and s[1] == after]
        for item in due:
            self.scheduled.remove(item)
        for _, _, action in due:
            action(self)

    def reset_mid_body(self, times: int = 1, *, kind: str | None = None) -> None:
        """The next ``times`` answers (to ``kind``, if given; "token" is the token endpoint)
        are carried out, then cut by a connection reset after their headers and half their
        body."""
        self._network(NetworkFault("reset"), times, kind)

    def slow_drip(self, times: int = 1, *, kind: str | None = None,
                  seconds: float = 3.0) -> None:
        """The next ``times`` answers are carried out, then trickled a byte at a time for
        ``seconds`` (slower than any deadline of a test) and cut."""
        self._network(NetworkFault("drip", seconds), times, kind)

    def _network(self, fault: NetworkFault, times: int, kind: str | None) -> None:
        left = [times]

        def network(method: str, call_kind: str) -> NetworkFault | None:
            if left[0] <= 0 or (kind is not None and call_kind != kind):
                return None
            left[0] -= 1
            return fault
        self.network_faults.append(network)

    def network_fault(self, request: requests.PreparedRequest) -> NetworkFault | None:
        """The network fault due for the answer to ``request`` (used up), if any."""
        if request.url.startswith(self.token_uri):
            kind = "token"
        else:
            path = urlsplit(request.url).path[len(urlsplit(self.base_url).path):]
            kind = self._route(request.method.upper(), path)[0]
        for fault in self.network_faults:
            outcome = fault(request.method.upper(), kind)
            if outcome is not None:
                return outcome
        return None

    def fail_token(self, status: int, *, times: int = 1) -> None:
        """The token endpoint answers the next ``times`` exchanges with ``status``."""
        self.token_outages += [status] * times


def rate_limited(headers: dict) -> ApiError:
    """Google's 429 for the per-user read quota."""
    return ApiError(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read "
                    "requests per minute per user' of service 'sheets.googleapis.com' for "
                    "consumer 'project_number:199256788443'.", headers, [
                        {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
                         "metadata": {"service": "sheets.googleapis.com",
                                      "consumer": "projects/199256788443",
                                      "quota_metric": "sheets.googleapis.com/read_requests",
                                      "quota_limit": "ReadRequestsPerMinutePerUser",
                                      "quota_limit_value": "60", "quota_location": "global"}}])


class EmulatorAdapter(BaseAdapter):
    """The transport: every request is answered by the emulator, none reaches a network."""

    def __init__(self, emulator: SheetsEmulator):
        super().__init__()
        self.emulator = emulator
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        self.timeouts.append(timeout)
        status, headers, payload = self.emulator.handle(request)
        network = self.emulator.network_fault(request)
        if network is not None:
            time.sleep(network.seconds)  # a drip: the client's deadline passes meanwhile
            raise requests.exceptions.ChunkedEncodingError(urllib3.exceptions.ProtocolError(
                "Connection broken: ConnectionResetError(104, 'Connection reset by peer')"))
        response = requests.Response()
        response.status_code = status
        response.reason = REASONS.get(status, "")
        response._content = json.dumps(payload, ensure_ascii=False).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json; charset=UTF-8", **headers})
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass

