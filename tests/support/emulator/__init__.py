"""An in-process Google Sheets API v4 emulator, answering as Google does, for the test suite.

It is a ``requests`` transport adapter: ``emulator.session()`` gives a session whose Sheets
host and token host are answered here, so real gspread and real google-auth code run against
it. ``emulator.serve()`` also answers over real HTTP on 127.0.0.1, for tests that run the
``sheetfunnel`` command itself with ``SHEETFUNNEL_SHEETS_ENDPOINT`` pointing there.

What it reproduces (each checked against the recorded exchanges in
``shared/reference/gspread-cassettes`` or Google's discovery document):

* value ranges echoed in A1 clipped to the grid (``'My tab'!A1:C10``), trailing empty cells
  and rows trimmed, no ``values`` key for an empty range, UNFORMATTED/FORMATTED/FORMULA and
  SERIAL_NUMBER/FORMATTED_STRING renders, RAW versus USER_ENTERED input, ``null`` skipping a
  cell and ``""`` clearing it, 400 "exceeds grid limits" on writes past the grid;
* ``spreadsheets.get`` with ``fields`` masks (checked against the Spreadsheet schema) and
  ``ranges``; ``batchUpdate`` applied atomically with Google's ``replies``; conditional formats,
  charts, protected ranges and developer metadata kept, so idempotency can be tested;
* every request body checked against ``sheets.v4.json``: an unknown member is Google's 400
  "Invalid JSON payload received. Unknown name ..." (no checking when the file is absent);
* Google's error JSON; a token endpoint that verifies a service account's signed JWT (or an
  authorized user's refresh token) and issues the bearer tokens it then requires;
* faults: 429 with ``Retry-After``, 5xx, dropped connections, and hooks that let a test act as
  a person editing between two requests. Latency is simulated (counted, never slept);
* network faults on an answer (``reset_mid_body``, ``slow_drip``): the request is carried out,
  then its answer's headers are sent and the body is cut by a connection reset, or trickled
  slower than any client deadline. Over ``serve()`` they happen on the real socket; through
  the adapter a reset raises what requests raises, and a drip really waits (a bounded few
  seconds) before the cut. The token endpoint can answer outages (``fail_token``).

Formulas are evaluated only when they are plain arithmetic (``=4/2``); any other formula reads
as ``#N/A``.

One module per API area, each a mixin of ``SheetsEmulator``: ``values`` (spreadsheets.values),
``spreadsheet`` (spreadsheets.get), ``batch_update``, ``auth`` (token endpoint, credential
files), ``network`` (faults, the transport adapter), ``server`` (HTTP on 127.0.0.1); ``sheet``
holds the state, A1 notation and typed values, ``discovery`` the discovery-document checks.
This module routes each request and holds what tests seed and read back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from .auth import AuthMixin, authorized_user_file, service_account_file
from .batch_update import BatchUpdateMixin
from .discovery import DISCOVERY, Discovery
from .network import EmulatorAdapter, NetworkFault, NetworkMixin, rate_limited
from .server import ServerMixin
from .sheet import BASE_URL, TOKEN_URI, ApiError, Area, Call, Sheet, bad
from .spreadsheet import SpreadsheetMixin
from .values import ValuesMixin

__all__ = ["BASE_URL", "ApiError", "Call", "Sheet", "SheetsEmulator", "NetworkFault",
           "authorized_user_file", "rate_limited", "service_account_file"]


class SheetsEmulator(ValuesMixin, SpreadsheetMixin, BatchUpdateMixin, AuthMixin, NetworkMixin,
                     ServerMixin):
    """One spreadsheet served the way the Sheets API v4 serves it."""

    def __init__(self, spreadsheet_id: str = "emulated-key", *, title: str = "Pipeline",
                 base_url: str = BASE_URL, discovery: Path | None = DISCOVERY):
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.base_url = base_url.rstrip("/")
        self.token_uri = TOKEN_URI
        self.discovery = Discovery(discovery)
        self.sheets: list[Sheet] = []
        self.spreadsheet_metadata: list[dict] = []
        self.calls: list[Call] = []
        self.token_calls: list[dict] = []
        self.hooks: list[Callable[[Call], None]] = []
        self.scheduled: list[tuple[int, bool, Callable[[SheetsEmulator], None]]] = []
        self.faults: list[Callable[[str, str], ApiError | Exception | None]] = []
        self.network_faults: list[Callable[[str, str], NetworkFault | None]] = []
        self.token_outages: list[int] = []  # statuses the token endpoint answers next
        self.latency = 0.0  # simulated seconds per request (counted, never slept)
        self.simulated_seconds = 0.0
        self.access = "write"  # or "read", "none"
        self.service_accounts: dict[str, Any] = {}  # email -> RSA public key
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> client id, secret
        self.tokens: dict[str, str] = {}  # issued token -> scope
        self.caller = "worker@emulated-project.iam.gserviceaccount.com"
        self._next_id = 1_000_000_001

    # -- seeding and reading back (for tests) -------------------------------------------------

    def add_sheet(self, title: str, grid: list[list[Any]] | None = None, *,
                  rows: int | None = None, cols: int | None = None) -> int:
        """A tab holding ``grid`` (row 0 = sheet row 1), as if people had typed it."""
        grid = grid or []
        width = max((len(r) for r in grid), default=0)
        sheet = Sheet(0 if not self.sheets else self._new_id(), title,
                      rows or max(1000, len(grid)), cols or max(26, width))
        self.sheets.append(sheet)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                self._store(sheet, r, c, value, "RAW")
        return sheet.sheet_id

    def sheet(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise KeyError(title)

    def grid(self, title: str) -> list[list[Any]]:
        """The tab's values as UNFORMATTED_VALUE reads them, trailing empties trimmed."""
        sheet = self.sheet(title)
        return self._rows(Area(sheet, 0, 0, None, None), "UNFORMATTED_VALUE", "SERIAL_NUMBER")

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        """A person types ``value`` into 1-based (row, col)."""
        self._store(self.sheet(title), row - 1, col - 1, value, "USER_ENTERED")

    def insert_rows(self, title: str, at: int, count: int = 1,
                    values: list[list[Any]] | None = None) -> None:
        """A person inserts ``count`` rows before 1-based row ``at`` (and types ``values``)."""
        sheet = self.sheet(title)
        sheet.shift_rows(at - 1, count)
        for r, row in enumerate(values or []):
            for c, value in enumerate(row):
                self._store(sheet, at - 1 + r, c, value, "USER_ENTERED")

    def delete_rows(self, title: str, at: int, count: int = 1) -> None:
        self.sheet(title).shift_rows(at - 1, -count)

    def sort_rows(self, title: str, first_row: int, by_col: int, *, reverse: bool = False) -> None:
        """A person sorts rows ``first_row``.. by column ``by_col`` (1-based), as Data > Sort."""
        sheet = self.sheet(title)
        last = max((r for r, _ in sheet.values), default=-1) + 1
        order = sorted(range(first_row - 1, last),
                       key=lambda r: str(sheet.values.get((r, by_col - 1), "")), reverse=reverse)
        moves = {old: first_row - 1 + new for new, old in enumerate(order)}
        for name in ("values", "formulas", "extras"):
            cells = getattr(sheet, name)
            setattr(sheet, name, {(moves.get(r, r), c): v for (r, c), v in cells.items()})

    def count(self, *kinds: str) -> int:
        return sum(1 for c in self.calls if not kinds or c.kind in kinds)

    @property
    def bytes_sent(self) -> int:
        return sum(c.size for c in self.calls)


    # -- transport -----------------------------------------------------------------------------

    def adapter(self) -> EmulatorAdapter:
        return EmulatorAdapter(self)

    def session(self) -> requests.Session:
        """A session answering the Sheets host and the token host from here; any other host
        gets an error instead of the network."""
        session = requests.Session()
        adapter = self.adapter()
        for prefix in ("https://", "http://", self.base_url + "/",
                       self.token_uri.rsplit("/", 1)[0] + "/"):
            session.mount(prefix, adapter)
        return session

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict, Any]:
        url = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if request.url.startswith(self.token_uri):
            return self._token(parse_qs(body.decode()))
        if not request.url.startswith(self.base_url + "/"):
            return 400, {}, ApiError(400, f"emulator: no service at {url.scheme}://"
                                     f"{url.netloc} (only {self.base_url})").body()
        params = parse_qs(url.query, keep_blank_values=True)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        method = request.method.upper()
        route = url.path[len(urlsplit(self.base_url).path):]
        kind, handler = self._route(method, route)
        call = Call(method, kind, params, payload, len(body) + len(request.url),
                    body_size=len(body))
        self.calls.append(call)
        self.simulated_seconds += self.latency
        self._run_scheduled(after=False)
        try:
            for fault in self.faults:
                outcome = fault(method, kind)
                if isinstance(outcome, ApiError):
                    raise outcome
                if isinstance(outcome, Exception):
                    call.status = 599
                    raise outcome
            self._authorize(request, method)
            if body and payload is None:
                raise bad(f"Invalid JSON payload received. Unexpected token.\n{body[:40]!r}")
            status, answer = 200, handler(params, payload)
            headers: dict = {}
        except ApiError as error:
            status, answer, headers = error.code, error.body(), error.headers
        call.status = status
        for hook in list(self.hooks):
            hook(call)
        self._run_scheduled(after=True)
        return status, headers, answer

    def _route(self, method: str, path: str) -> tuple[str, Callable]:
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not match:
            return "unknown", self._unknown(path)
        if unquote(match.group(1)) != self.spreadsheet_id:
            return "missing", self._missing
        rest = match.group(2)
        table = {("GET", ""): ("get", self._get),
                 ("POST", ":batchUpdate"): ("batchUpdate", self._batch_update),
                 ("GET", "/values:batchGet"): ("values.batchGet", self._values_batch_get),
                 ("POST", "/values:batchUpdate"): ("values.batchUpdate",
                                                   self._values_batch_update),
                 ("POST", "/values:batchClear"): ("values.batchClear", self._values_batch_clear)}
        if (method, rest) in table:
            return table[(method, rest)]
        value = re.fullmatch(r"/values/([^:]+)(:clear)?", rest)
        if value:
            a1 = unquote(value.group(1))
            if method == "GET" and not value.group(2):
                return "values.get", lambda p, b: self._values_get(a1, p)
            if method == "PUT" and not value.group(2):
                return "values.update", lambda p, b: self._values_update(a1, p, b)
            if method == "POST" and value.group(2):
                return "values.clear", lambda p, b: self._values_clear(a1, b)
        return "unknown", self._unknown(path)

    @staticmethod
    def _unknown(path: str) -> Callable:
        def answer(params: dict, body: Any) -> dict:
            raise ApiError(404, f"emulator: no method at {path}")
        return answer

    @staticmethod
    def _missing(params: dict, body: Any) -> dict:
        raise ApiError(404)
