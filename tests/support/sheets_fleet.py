"""Many emulated spreadsheets behind one HTTP server on 127.0.0.1, for the fleet's tests.

Each key is its own SheetsEmulator; they trust the same service accounts and tokens, so one
credentials file opens them all. The server logs every Sheets request (arrival time, key,
method, kind) so a test can check the quota and the writers from the outside. ``hang(key,
kind)`` holds that request until ``release()`` and then drops it unanswered and unapplied:
a worker can be killed in the middle of a run.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from tests.support.emulator import SheetsEmulator
from tests.support.emulator.sheet import REASONS


@dataclass(frozen=True)
class Logged:
    at: float
    key: str
    method: str
    kind: str
    status: int


class SheetsFleet:
    def __init__(self, keys: list[str]):
        self.books = {key: SheetsEmulator(key) for key in keys}
        first = next(iter(self.books.values()))
        for book in self.books.values():
            book.service_accounts = first.service_accounts
            book.tokens = first.tokens
        self.first = first
        self.log: list[Logged] = []
        self.hung: tuple[str, str] | None = None
        self.skip = 0
        self.holding = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()

    def hang(self, key: str, kind: str, *, skip: int = 0) -> None:
        """Hold the request of ``kind`` on ``key`` after ``skip`` of them went through."""
        self.hung, self.skip = (key, kind), skip

    def release(self) -> None:
        self.released.set()

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        fleet = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                found = re.match(r"/v4/spreadsheets/([^/:]+)", urlsplit(self.path).path)
                key = unquote(found.group(1)) if found else None
                book = fleet.books.get(key or "", fleet.first)
                request = requests.Request(self.command, book.base_url + self.path,
                                           data=self.rfile.read(length),
                                           headers=dict(self.headers.items())).prepare()
                kind = book._route(self.command, urlsplit(self.path).path)[0]
                if key is not None and fleet.hung == (key, kind) and fleet.skip:
                    fleet.skip -= 1
                elif key is not None and fleet.hung == (key, kind):
                    fleet.hung = None
                    fleet.holding.set()
                    fleet.released.wait(30)
                    self.close_connection = True
                    return
                with fleet._lock:
                    status, headers, payload = book.handle(request)
                    if key is not None:
                        fleet.log.append(Logged(time.time(), key, self.command, kind, status))
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status, REASONS.get(status))
                for name, value in {"Content-Type": "application/json; charset=UTF-8",
                                    **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{server.server_port}"
        for book in self.books.values():
            book.base_url, book.token_uri = base, base + "/token"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base
        finally:
            self.release()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
