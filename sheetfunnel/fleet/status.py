"""``sheetfunnel fleet status``: what every workbook last did and when it is next due, how
deep the queue is, and how much of each account's quota the current window holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.fleet.tasks import Fleet, utc_now


def fleet_status(fleet: Fleet, now: dt.datetime | None = None) -> dict[str, Any]:
    """The status as JSON-ready data (``--json`` prints it as is)."""
    now = now or utc_now()
    registry = fleet.registry()
    workbooks = []
    for entry in registry.workbooks:
        state = fleet.state(entry.name)
        workbooks.append({
            "name": entry.name, "enabled": entry.enabled,
            "last_run": state.get("started"), "outcome": state.get("outcome"),
            "seconds": float(state["seconds"]) if "seconds" in state else None,
            "cells_written": int(state["cells_written"]) if "cells_written" in state else None,
            "next_due": state.get("next_due") or (now.isoformat() if entry.enabled else None),
            "failures": int(state.get("failures", 0)), "message": state.get("message") or None,
            "failing_since": state.get("failing_since"), "running": state.get("running"),
            "pending": bool(fleet.client.exists(fleet.pending_key(entry.name)))})
    limits = fleet.settings.limits
    scopes = {entry.quota_scope(registry.accounts) for entry in registry.workbooks
              if entry.sheet is not None}
    quota = [{"account": account, "project": project, "window_seconds": limits.window,
              "reads": fleet.gate.used("account", account, "reads"),
              "writes": fleet.gate.used("account", account, "writes"),
              "limit": limits.account}
             for account, project in sorted(scopes)]
    return {"registry": str(fleet.settings.registry), "queue_depth": fleet.huey.pending_count(),
            "workbooks": workbooks, "quota": quota}


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as a plain table for a terminal."""
    lines = [f"Queue: {status['queue_depth']} run(s) waiting."]
    lines.append(f"{'workbook':<20} {'last run':<20} {'outcome':<8} {'secs':>6} {'cells':>6} "
                 f"{'fails':>5}  next due")
    for item in status["workbooks"]:
        last = (item["last_run"] or "never")[:19]
        lines.append(f"{item['name']:<20} {last:<20} {item['outcome'] or '-':<8} "
                     f"{item['seconds'] if item['seconds'] is not None else '-':>6} "
                     f"{item['cells_written'] if item['cells_written'] is not None else '-':>6} "
                     f"{item['failures']:>5}  {(item['next_due'] or 'disabled')[:19]}")
    for quota in status["quota"]:
        lines.append(f"Quota {quota['account']} ({quota['project']}): {quota['reads']} reads, "
                     f"{quota['writes']} writes of {quota['limit']} each in the last "
                     f"{quota['window_seconds']:g} s.")
    return lines
