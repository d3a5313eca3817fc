"""The emulator over real HTTP on 127.0.0.1, for tests that run the ``sheetfunnel`` command."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from .network import DRIP_PAUSE
from .sheet import REASONS


class ServerMixin:
    """Serving over a socket, with network faults on the real wire."""

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Answer over HTTP on a free 127.0.0.1 port for the duration; yields the base URL.

        The Sheets API and the token endpoint move there (credentials files made afterwards
        name it as their ``token_uri``); requests are answered one at a time, as the adapter
        answers them.
        """
        lock = threading.Lock()
        stopping = threading.Event()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = requests.Request(
                    self.command, emulator.base_url + self.path, data=self.rfile.read(length),
                    headers=dict(self.headers.items())).prepare()
                with lock:
                    status, headers, payload = emulator.handle(request)
                    network = emulator.network_fault(request)
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status, REASONS.get(status))
                for name, value in {"Content-Type": "application/json; charset=UTF-8",
                                    **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if network is None:
                    self.wfile.write(body)
                    return
                with contextlib.suppress(OSError):  # the client may have gone already
                    if network.how == "reset":
                        self.wfile.write(body[:len(body) // 2])
                    else:
                        self._drip(body, network.seconds)
                self._reset()

            def _drip(self, body: bytes, seconds: float) -> None:
                """A byte every DRIP_PAUSE seconds, for at most ``seconds``."""
                end = time.monotonic() + seconds
                for index in range(len(body) - 1):
                    if time.monotonic() >= end or stopping.wait(DRIP_PAUSE):
                        return
                    self.wfile.write(body[index:index + 1])

            def _reset(self) -> None:
                """Close with a TCP reset, as a dropped connection looks to the client."""
                self.close_connection = True
                with contextlib.suppress(OSError):  # already gone: nothing left to cut
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                self.connection.close()

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        saved = self.base_url, self.token_uri
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        self.token_uri = self.base_url + "/token"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.base_url
        finally:
            stopping.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            self.base_url, self.token_uri = saved
