"""``sheetfunnel fleet``: the registry commands (no Redis needed) and the fleet's processes.

Huey and redis-py are the optional extra ``fleet``; they are imported only by the commands
that talk to Redis, so ``run`` and ``watch`` work without them.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import click

from sheetfunnel.cli import Group, log_options, notify_config_option, out
from sheetfunnel.errors import UsageError
from sheetfunnel.fleet.registry import (
    DEFAULT_REGISTRY,
    add_workbook,
    parse_registry,
    remove_workbook,
)

registry_option = click.option(
    "--registry", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_REGISTRY,
    show_default=True, help="The fleet's registry TOML file.")


def redis_options(func: Any) -> Any:
    """Where Redis is, and the gate's limits: every process of one fleet gives the same."""
    options = [
        click.option("--redis", "redis", metavar="URL",
                     help="Redis URL (default: $SHEETFUNNEL_REDIS_URL, else "
                          "redis://127.0.0.1:6379/0)."),
        click.option("--window", type=float, default=60.0, show_default=True,
                     help="Seconds of the quota window."),
        click.option("--account-limit", type=int, default=60, show_default=True,
                     help="Reads (and, apart, writes) per window per service account."),
        click.option("--project-limit", type=int, default=300, show_default=True,
                     help="Reads (and, apart, writes) per window per Google Cloud project."),
        click.option("--lock-ttl", type=float, default=120.0, show_default=True,
                     help="Seconds a killed worker's workbook stays locked."),
        click.option("--lease-settle", type=float, default=2.0, show_default=True,
                     help="Seconds to wait after writing the sheet's lease before reading it "
                          "back.")]
    for option in reversed(options):
        func = option(func)
    return func


def _read(registry: Path) -> str:
    try:
        return registry.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise UsageError(f"The registry {registry} cannot be read ({exc.strerror}).") from exc


def _fleet(registry: Path, options: dict[str, Any], notify_config: Path | None = None) -> Any:
    try:
        from sheetfunnel.fleet.gate import Limits
        from sheetfunnel.fleet.tasks import FleetSettings, make_fleet, redis_url
    except ImportError as exc:
        raise UsageError("The fleet needs Huey and redis-py: pip install "
                         "'sheetfunnel[fleet]'.") from exc
    if not registry.exists():
        raise UsageError(f"The registry {registry} does not exist; create it with "
                         "`sheetfunnel fleet add`.")
    import redis

    limits = Limits(account=options["account_limit"], project=options["project_limit"],
                    window=options["window"], cool_down=options["window"])
    url = redis_url(options["redis"])
    app = make_fleet(FleetSettings(registry.resolve(), url, limits, options["lock_ttl"],
                                   options["lease_settle"], notify_config=notify_config))
    try:
        app.client.ping()
    except redis.RedisError as exc:
        raise UsageError(f"Cannot reach Redis at {url} ({exc}). Start redis-server, or give "
                         "--redis URL or set SHEETFUNNEL_REDIS_URL.") from None
    return app


@click.group(cls=Group)
def fleet() -> None:
    """Run many workbooks on Huey + Redis: one shared Google quota, one writer each."""


@fleet.command()
@registry_option
def validate(registry: Path) -> None:
    """Check the registry; every problem is named by table and key."""
    found = parse_registry(_read(registry), registry.name)
    out.print(f"{registry}: {len(found.workbooks)} workbook(s), {len(found.accounts)} "
              "account(s), all valid.", highlight=False)


@fleet.command(name="list")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(registry: Path, as_json: bool) -> None:
    """The registry's workbooks."""
    found = parse_registry(_read(registry), registry.name)
    rows = [{"name": e.name, "sheet": e.sheet, "path": e.path, "account": e.account,
             "every": e.every.total_seconds() if e.every else None,
             "at": e.at.isoformat("minutes") if e.at else None, "timezone": e.timezone,
             "notify": e.notify, "enabled": e.enabled} for e in found.workbooks]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print(f"No workbooks in {registry} yet: add one with `sheetfunnel fleet add`.",
                  highlight=False, markup=False)
    for row in rows:
        cadence = " and ".join(x for x in (f"every {row['every']:g} s" if row["every"] else "",
                                           f"at {row['at']} {row['timezone']}" if row["at"]
                                           else "") if x)
        out.print(f"{row['name']}: {row['sheet'] or row['path']}, {cadence}"
                  f"{'' if row['enabled'] else ' (disabled)'}", highlight=False)


@fleet.command()
@registry_option
@click.option("--name", required=True)
@click.option("--sheet", metavar="URL_OR_KEY")
@click.option("--path", "path")
@click.option("--account")
@click.option("--credentials")
@click.option("--every", metavar="15m")
@click.option("--at", "at", metavar="HH:MM")
@click.option("--timezone")
@click.option("--notify/--no-notify", default=None)
@click.option("--enabled/--disabled", default=None)
def add(registry: Path, **fields: Any) -> None:
    """Add a workbook; the file's comments stay."""
    text = add_workbook(_read(registry), fields, registry.name)
    registry.write_text(text, encoding="utf-8")
    out.print(f"Added {fields['name']} to {registry}.", highlight=False)


@fleet.command()
@registry_option
@click.argument("name")
def remove(registry: Path, name: str) -> None:
    """Remove a workbook; the file's comments stay."""
    registry.write_text(remove_workbook(_read(registry), name, registry.name), encoding="utf-8")
    out.print(f"Removed {name} from {registry}.", highlight=False)


@fleet.command()
@registry_option
@redis_options
@click.option("--workers", type=int, default=1, show_default=True,
              help="Runs at once in this process (threads).")
@notify_config_option
@log_options
def worker(registry: Path, workers: int, notify_config: Path | None, log_format: str,
           log_level: str, **options: Any) -> None:
    """Run workbooks as the scheduler enqueues them (Huey's periodic tasks off). A workbook
    with notify = true sends, after each successful write, what `run --notify` sends, through
    --notify-config (else $SHEETFUNNEL_NOTIFY_CONFIG, else the registry's notify_config)."""
    from sheetfunnel.logs import configure_logging

    app = _fleet(registry, options, notify_config.resolve() if notify_config else None)
    configure_logging(log_format, log_level)
    # loaded now, so the first run does not pay for them
    import sheetfunnel.runner  # noqa: F401
    import sheetfunnel.workbook.gsheets  # noqa: F401
    app.huey.create_consumer(workers=workers, periodic=False, worker_type="thread").run()


@fleet.command()
@registry_option
@redis_options
@click.option("--tick", type=float, default=1.0, show_default=True,
              help="Seconds between two looks at what is due.")
@log_options
def scheduler(registry: Path, tick: float, log_format: str, log_level: str,
              **options: Any) -> None:
    """Enqueue every due workbook; run exactly one scheduler per fleet."""
    from sheetfunnel.fleet.tasks import run_scheduler
    from sheetfunnel.logs import configure_logging
    from sheetfunnel.watch import stop_on_signals

    app = _fleet(registry, options)
    configure_logging(log_format, log_level)
    with stop_on_signals(threading.Event()) as stop:
        run_scheduler(app, stop, tick=tick)


@fleet.command()
@registry_option
@redis_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(registry: Path, as_json: bool, **options: Any) -> None:
    """Each workbook's last run and next due, the queue, the quota in use."""
    from sheetfunnel.fleet.status import fleet_status, status_lines

    found = fleet_status(_fleet(registry, options))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for line in status_lines(found):
        out.print(line, highlight=False)
