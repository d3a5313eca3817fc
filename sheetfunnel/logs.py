"""Logging for operators: levels on stderr, plain text or one JSON object per line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

#: Extra fields a run's log line carries (``logger.info(..., extra={...})``).
FIELDS = ("outcome", "rows", "cells_written", "seconds", "workbook")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="seconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Send sheetfunnel's logs to stderr in the chosen format (the CLI calls this once)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                               "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger("sheetfunnel")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
