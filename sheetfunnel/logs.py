"""Logging for operators: levels on stderr, plain text or one JSON object per line.

Modules log through ``logging.getLogger(__name__)``; the CLI calls ``configure_logging`` once,
which sets up the ``sheetfunnel`` logger and leaves the root logger to the host application.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from sheetfunnel.errors import UsageError

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: Fields a log call may add with ``extra={...}``; the JSON lines carry them as keys.
FIELDS = ("event", "outcome", "started", "seconds", "rows", "cells_written", "failures",
          "workbook", "error")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time (UTC), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {key: getattr(record, key) for key in FIELDS if hasattr(record, key)}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Send sheetfunnel's logs to stderr as ``text`` or ``json`` at ``level`` and above."""
    level = level.upper()
    if fmt not in FORMATS or level not in LEVELS:
        raise UsageError(f"Logging takes --log-format {' or '.join(FORMATS)} and --log-level "
                         f"{', '.join(LEVELS)}; got {fmt} and {level}.")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    package = logging.getLogger("sheetfunnel")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False
