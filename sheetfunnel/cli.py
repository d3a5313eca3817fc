"""The ``sheetfunnel`` command: parse options, call the library, print for people.

Exit codes: 0 done (flags are not errors), 2 bad usage or config, 3 workbook unreachable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table as RichTable

from sheetfunnel.errors import ConfigError, SheetfunnelError, UsageError, WorkbookLocked
from sheetfunnel.plan import WritePlan

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

CONTEXT = {"help_option_names": ["-h", "--help"]}


class Command(click.Command):
    """Every expected failure becomes one sentence and its exit code, never a traceback. A
    workbook another writer holds is a refusal, not an error: it names the holder."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkbookLocked as exc:
            err.print(f"[bold yellow]Refused:[/] {exc}", highlight=False, markup=True)
            ctx.exit(exc.exit_code)
        except SheetfunnelError as exc:
            err.print(f"[bold red]Error:[/] {exc}", highlight=False, markup=True)
            ctx.exit(exc.exit_code)


class Group(click.Group):
    command_class = Command


def _today(as_of: dt.datetime | None) -> dt.date:
    from sheetfunnel.values import FIRST_DATE, LAST_DATE

    day = as_of.date() if as_of else dt.date.today()
    if not FIRST_DATE <= day <= LAST_DATE:
        raise UsageError(f"--as-of {day.isoformat()} is outside the dates sheetfunnel reads "
                         f"({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}). Give a day "
                         "in that range.")
    return day


def open_workbook(path: Path | None, sheet: str | None, credentials: Path | None):
    """The backend for a path or a --sheet key, imported only when asked for."""
    if sheet is not None and path is None:
        from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook

        return GoogleSheetsWorkbook.open(sheet, credentials_file=str(credentials)
                                         if credentials else None)
    if path is not None and sheet is None:
        from sheetfunnel.workbook.xlsx import XlsxWorkbook

        return XlsxWorkbook(path)
    raise UsageError("Give either a workbook path (PATH.xlsx) or --sheet URL_OR_KEY, "
                     "not both and not neither.")


@contextlib.contextmanager
def one_writer(path: Path | None, dry_run: bool) -> Iterator[None]:
    """A run on a local file holds the watcher's lock file meanwhile, so a cron run and a
    watcher never write at once (a Google Sheet's lease is checked inside the run)."""
    if path is None or dry_run or not path.exists():
        yield  # a missing file is reported by the run, with no lock file left behind
        return
    from sheetfunnel.lease import XlsxLock

    lock = XlsxLock(path)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def workbook_options(func: Callable) -> Callable:
    func = click.option("--credentials", type=click.Path(path_type=Path, dir_okay=False),
                        help="Service-account or authorized-user JSON file for Google Sheets "
                             "(default: $GOOGLE_APPLICATION_CREDENTIALS).")(func)
    func = click.option("--sheet", metavar="URL_OR_KEY",
                        help="A Google Sheet to work on instead of a local .xlsx file.")(func)
    func = click.argument("path", required=False, type=click.Path(path_type=Path,
                                                                   dir_okay=False))(func)
    return func


as_of_option = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                            metavar="YYYY-MM-DD",
                            help="The day to judge as 'today' (YYYY-MM-DD). Default: today.")
config_option = click.option("--config", "config_file",
                             type=click.Path(path_type=Path, dir_okay=False, exists=True),
                             help="A TOML file whose sections replace the matching Config tabs.")


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(package_name="sheetfunnel")
def cli() -> None:
    """Give the pipeline you keep in a spreadsheet what a CRM gives: entry criteria,
    scorecards, follow-up flags and a funnel summary, written back into the same workbook.

    Start with `sheetfunnel demo`.
    """


@cli.command()
@workbook_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of tab names, headers and stage names.")
@click.option("--demo", is_flag=True, help="Fill it with a realistic demo pipeline.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@as_of_option
def init(path: Path | None, sheet: str | None, credentials: Path | None, lang: str, demo: bool,
         force: bool, as_of: dt.datetime | None) -> None:
    """Create a starter workbook (or add the tabs to a Google Sheet)."""
    from sheetfunnel.setup import init_workbook

    name = init_workbook(path, sheet=sheet, credentials=credentials, lang=lang, demo=demo,
                         force=force, as_of=_today(as_of))
    target = path if path is not None else f"--sheet {sheet}"
    out.print(f"Created [bold]{name}[/]. Next: [bold]sheetfunnel run {target}[/]")


@cli.command()
@workbook_options
@config_option
@as_of_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the JSON report (schema sheetfunnel.report/1) to this file.")
def run(path: Path | None, sheet: str | None, credentials: Path | None,
        config_file: Path | None, as_of: dt.datetime | None, dry_run: bool,
        report_file: Path | None) -> None:
    """Judge every opportunity and write flags, Attention and Summary back."""
    from sheetfunnel.run import run_once

    workbook = open_workbook(path, sheet, credentials)
    with one_writer(path, dry_run), err.status("Reading the workbook") as status:
        result = run_once(workbook, as_of=_today(as_of), dry_run=dry_run,
                          config_file=config_file, step=status.update)
    if report_file:
        from sheetfunnel.report import report_json

        report_file.write_text(report_json(result.report), encoding="utf-8")
    print_result(result, workbook.name, dry_run=dry_run)
    if result.config_status != "ok":
        raise ConfigError(p for p in result.problems if p.severity == "error")


def print_result(result, name: str, *, dry_run: bool) -> None:
    report = result.report
    counts = report["counts"]
    out.print(f"[bold]{name}[/] as of {report['as_of']}: {counts['opportunities']} opportunities, "
              f"{counts['customers']} customers, {counts['activities']} activities read.")
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"  [{colour}]{problem.severity}[/] {problem.where}: {problem.message}",
                  highlight=False)
    if result.config_status != "ok":
        out.print(f"[red]Config: {result.config_status}.[/]")
    flags = report.get("flags", {})
    if flags:
        table = RichTable("Flag", "Count", title="Flags", title_justify="left")
        for code, count in flags.items():
            table.add_row(code, str(count))
        out.print(table)
    if dry_run:
        print_plan(result.plan)
        return
    written = report["io"]["cells_written"]
    titles = result.titles
    tabs = ", ".join(t for t in (titles.get("opportunities"), titles.get("attention") or
                                 "Attention", titles.get("summary") or "Summary") if t)
    out.print(f"{written} cells written. Open the tabs: {tabs}.")


def print_plan(plan: WritePlan, limit: int = 40) -> None:
    by_tab = plan.cells_by_tab()
    out.print(f"Dry run: {len(plan.cells)} cells would change; nothing was written.")
    for tab, writes in by_tab.items():
        out.print(f"  {tab}: {len(writes)} cells")
    for write in plan.cells[:limit]:
        out.print(f"    {write}", highlight=False)
    if len(plan.cells) > limit:
        out.print(f"    … and {len(plan.cells) - limit} more")


@cli.command()
@workbook_options
@config_option
def check(path: Path | None, sheet: str | None, credentials: Path | None,
          config_file: Path | None) -> None:
    """Validate the Config tabs and columns; write nothing. Exit 2 when broken."""
    from sheetfunnel.run import check as check_workbook

    loaded = check_workbook(open_workbook(path, sheet, credentials), config_file=config_file)
    for problem in loaded.problems:
        out.print(f"{problem.severity}: {problem.where}: {problem.message}", highlight=False)
    errors = [p for p in loaded.problems if p.severity == "error"]
    if errors:
        raise ConfigError(errors)
    out.print("The configuration is valid.")


@cli.command()
@workbook_options
@config_option
@click.option("--every", default="10m", show_default=True,
              help="How often to run: 90s, 10m, 2h, 1d.")
@click.option("--at", "at_time", metavar="HH:MM", help="Also run every day at this time.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one JSON object per line for log collectors.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              default="INFO", show_default=True)
def watch(path: Path | None, sheet: str | None, credentials: Path | None,
          config_file: Path | None, every: str, at_time: str | None, log_format: str,
          log_level: str) -> None:
    """Keep running on a schedule; one writer per workbook. Ctrl-C finishes the current run."""
    from sheetfunnel.watch import serve

    code = serve(path, sheet=sheet, credentials=credentials, config_file=config_file,
                 every=every, at=at_time, log_format=log_format, log_level=log_level,
                 open_workbook=lambda: open_workbook(path, sheet, credentials))
    raise SystemExit(code)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("sheetfunnel-demo"), show_default=True,
              help="Folder for the demo workbook.")
@as_of_option
def demo(out_dir: Path, as_of: dt.datetime | None) -> None:
    """Make a demo workbook, run on it, and say where to look."""
    from sheetfunnel.run import run_once
    from sheetfunnel.setup import init_workbook
    from sheetfunnel.workbook.xlsx import XlsxWorkbook

    today = _today(as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "pipeline.xlsx"
    init_workbook(path, lang="en", demo=True, force=True, as_of=today)
    workbook = XlsxWorkbook(path)
    with err.status("Running") as status:
        result = run_once(workbook, as_of=today, step=status.update)
    print_result(result, workbook.name, dry_run=False)
    out.print(f"\nOpen [bold]{path.resolve()}[/] and look at the tabs Opportunities (Score, "
              "Grade, Flags on the right), Attention and Summary.")


def main() -> None:
    cli(prog_name="sheetfunnel")


if __name__ == "__main__":
    main()
