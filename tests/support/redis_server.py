"""A real redis-server on a free 127.0.0.1 port for the fleet's tests, or a skip saying why."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server (no persistence) and yield its URL; stop it afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server); the fleet's "
                    "Redis tests need it")
    redis = pytest.importorskip("redis", reason="the fleet extra (pip install "
                                                "'sheetfunnel[fleet]') is not installed")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        else:
            pytest.skip(f"redis-server did not answer on port {port}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
