"""The ``sheetfunnel`` command: parse options, call the library, print for people.

Exit codes: 0 done (flags are not errors), 2 bad usage or config, 3 workbook unreachable or
held by another writer (``watch`` too, when it finds the workbook held as it starts), 4 done but
some notifications were not delivered; a watcher stopped at once by a second signal exits 128 +
the signal (130 SIGINT, 143 SIGTERM).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from sheetfunnel import api
from sheetfunnel.changes import PlannedChanges
from sheetfunnel.errors import (
    ConfigError,
    CredentialsMissing,
    DateOutOfRange,
    NotificationsFailed,
    SheetfunnelError,
    UsageError,
    WorkbookLocked,
)
from sheetfunnel.words import language_of, words_for
from sheetfunnel.workbook.base import Workbook

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
            err.print(f"[bold yellow]Refused:[/] {escape(str(exc))}", highlight=False,
                      markup=True)
            ctx.exit(exc.exit_code)
        except SheetfunnelError as exc:
            err.print(f"[bold red]Error:[/] {escape(str(with_options(exc)))}", highlight=False,
                      markup=True)
            ctx.exit(exc.exit_code)


def with_options(exc: SheetfunnelError) -> SheetfunnelError:
    """The library's sentence, told with the option that fixes it on the command line."""
    if isinstance(exc, CredentialsMissing):
        return UsageError("Google Sheets needs credentials: give --credentials FILE (a "
                          "service-account or authorized-user JSON file) or set "
                          f"{exc.env} to its path.")
    if isinstance(exc, DateOutOfRange):
        return UsageError(f"--as-of {exc.day.isoformat()} is outside the dates sheetfunnel "
                          f"reads ({exc.first.isoformat()} to {exc.last.isoformat()}). Give a "
                          "day in that range.")
    return exc


class Group(click.Group):
    command_class = Command


def target(path: Path | None, sheet: str | None) -> Path | str:
    """The workbook a command names: a PATH or a --sheet URL_OR_KEY, exactly one of them;
    neither or both is a usage error, told with the command's usage line."""
    if sheet is not None and path is None:
        return sheet
    if path is not None and sheet is None:
        return path
    raise click.UsageError("Give either a workbook path (PATH.xlsx) or --sheet URL_OR_KEY, "
                           "not both and not neither.", click.get_current_context(silent=True))


def open_workbook(path: Path | None, sheet: str | None, credentials: Path | None) -> Workbook:
    return api.open_workbook(target(path, sheet), credentials)


def workbook_options(func: Callable) -> Callable:
    func = click.option("--credentials", type=click.Path(path_type=Path, dir_okay=False),
                        help="Service-account or authorized-user JSON file for Google Sheets "
                             "(default: $GOOGLE_APPLICATION_CREDENTIALS).")(func)
    func = click.option("--sheet", metavar="URL_OR_KEY",
                        help="A Google Sheet to work on instead of a local .xlsx file.")(func)
    func = click.argument("path", required=False, type=click.Path(path_type=Path,
                                                                   dir_okay=False))(func)
    return func


class AsOfType(click.ParamType):
    """``--as-of``: a day (its start) or a date-time, read in the Settings timezone later."""

    name = "as_of"
    formats = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        for form in self.formats:
            try:
                return dt.datetime.strptime(str(value), form)
            except ValueError:
                continue
        self.fail(f"'{value}' is not a day (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM).",
                  param, ctx)


as_of_option = click.option("--as-of", "as_of", type=AsOfType(),
                            metavar="YYYY-MM-DD[THH:MM]",
                            help="The moment to judge as 'now', in the Settings timezone: a day "
                                 "(its start) or a date-time like 2026-11-24T09:30. Default: "
                                 "now.")
config_option = click.option("--config", "config_file",
                             type=click.Path(path_type=Path, dir_okay=False, exists=True),
                             help="A TOML file whose sections replace the matching Config tabs.")


notify_config_option: Any = click.option(
    "--notify-config", "notify_config", type=click.Path(path_type=Path, dir_okay=False),
    help="TOML file of notification channels and their secrets "
         "(default: $SHEETFUNNEL_NOTIFY_CONFIG).")


def notifier_for(notify_config: Path | None, *, send: bool, preview: Path | None = None
                 ) -> Any:
    """The Notifier of ``--notify-config`` (or $SHEETFUNNEL_NOTIFY_CONFIG)."""
    import os

    from sheetfunnel.notify.hook import Notifier, load_notify_config

    config = load_notify_config(notify_config, os.environ)
    if config is None:
        raise UsageError("Notifications need channels: give --notify-config FILE.toml or set "
                         "SHEETFUNNEL_NOTIFY_CONFIG to its path.")
    return Notifier(config, send=send, preview=preview)


def tell_admin(notifier: Any, workbook: str, what: str) -> None:
    """The ``[admin]`` channel hears about a failed run or a broken config."""
    from sheetfunnel.notify.hook import admin_notice

    since = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
    failure = admin_notice(notifier.config, workbook, what, since, dt.datetime.now(dt.UTC))
    if failure:
        err.print(f"[yellow]Admin notice not delivered:[/] {failure}", highlight=False)


def check_notifications(notes: dict[str, Any] | None) -> None:
    notes = notes or {}
    for item in notes.get("sent", []):
        out.print(f"Notified {item['audience']} through {item['channel']}.", highlight=False)
    if notes.get("failed"):
        raise NotificationsFailed(item["reason"] for item in notes["failed"])


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(package_name="sheetfunnel")
def cli() -> None:
    """Give the pipeline you keep in a spreadsheet what a CRM gives: entry criteria,
    scorecards, follow-up flags and a funnel summary, written back into the same workbook.

    Start with `sheetfunnel demo`.
    """



def log_options(func: Any) -> Any:
    """The log's format and level, for the long-running commands (watch, fleet worker and
    scheduler)."""
    func = click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
                        default="INFO", show_default=True,
                        help="Log runs at this level and above; WARNING logs only refusals "
                             "and failures.")(func)
    return click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
                        show_default=True,
                        help="json: one JSON object per line for log collectors.")(func)

@cli.command()
@workbook_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of tab names, headers and stage names.")
@click.option("--demo", is_flag=True, help="Fill it with a realistic demo pipeline.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@as_of_option
def init(path: Path | None, sheet: str | None, credentials: Path | None, lang: str, demo: bool,
         force: bool, as_of: dt.datetime | None) -> None:
    """Create a starter workbook (or add the tabs to a Google Sheet).

    PATH is the new .xlsx file (its folder must exist); or give --sheet for a Google Sheet
    shared with the worker. Exit codes: 0 created, 2 bad usage or the file exists (see
    --force), 3 the workbook could not be written.
    """
    workbook = api.init(target(path, sheet), credentials=credentials, lang=lang, demo=demo,
                        force=force, as_of=as_of.date() if as_of else None)
    again = path if path is not None else f"--sheet {sheet}"
    out.print(f"Created [bold]{workbook.name}[/]. Next: [bold]sheetfunnel run {again}[/]")


@cli.command()
@workbook_options
@config_option
@as_of_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the JSON report (schema sheetfunnel.report/1) to this file.")
@click.option("--notify", "notify", is_flag=True,
              help="Send the digests and escalations due after a successful write.")
@notify_config_option
def run(path: Path | None, sheet: str | None, credentials: Path | None,
        config_file: Path | None, as_of: dt.datetime | None, dry_run: bool,
        report_file: Path | None, notify: bool, notify_config: Path | None) -> None:
    """Judge every opportunity and write flags, Attention and Summary back.

    PATH is a local .xlsx workbook; or give --sheet for a Google Sheet. Exit codes: 0 done
    (flags are not errors), 2 bad usage, a broken config or an unreadable workbook, 3 the
    workbook could not be written this time (held by a watcher, read-only, unreachable), 4 done
    but some notifications (--notify) were not delivered.
    """
    notifier = notifier_for(notify_config, send=not dry_run) if notify else None
    workbook = open_workbook(path, sheet, credentials)
    if report_file and not report_file.parent.is_dir():
        raise UsageError(f"--report {report_file}: there is no folder {report_file.parent}. "
                         "Create it first, or give the report another place.")
    try:
        with err.status("Reading the workbook") as status:
            result = api.run(workbook, as_of=as_of, dry_run=dry_run, config=config_file,
                             step=status.update, notify=notifier)
    except SheetfunnelError as exc:
        if notifier is not None and not isinstance(exc, WorkbookLocked):
            tell_admin(notifier, workbook.name, str(with_options(exc)))
        raise
    if report_file:
        write_report(report_file, result.report)
    print_result(result, dry_run=dry_run)
    if not result.ok:
        if notifier is not None:
            tell_admin(notifier, workbook.name, "; ".join(map(str, result.errors)))
        raise ConfigError(result.errors, listed=True)
    check_notifications(result.notifications)


def write_report(file: Path, report: dict[str, Any]) -> None:
    from sheetfunnel.report import report_json

    try:
        file.write_text(report_json(report), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"The report cannot be written to {file} ({exc.strerror}); the run "
                         "itself is done. Give --report a file you can write.") from exc


def print_result(result: api.RunResult, *, dry_run: bool) -> None:
    """What a run read, told and wrote, in the workbook's language."""
    counts = result.counts
    lines = words_for(language_of(result.titles.get("opportunities") or "")).run_lines
    out.print(lines["read"].format(book=f"[bold]{result.workbook}[/]",
                                   day=result.as_of.isoformat(), **counts))
    if result.joins:
        out.print(f"  {result.joins}", highlight=False)
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"  [{colour}]{lines[problem.severity]}[/] {problem.where}: "
                  f"{problem.message}", highlight=False)
    if not result.ok:
        out.print(f"[red]{lines['config'].format(status=result.config_status)}[/]")
    if result.flags:
        table = RichTable(lines["flag"], lines["count"], title=lines["flags"],
                          title_justify="left")
        for code, count in result.flags.items():
            table.add_row(code, str(count))
        out.print(table)
    if dry_run:
        print_changes(result.changes())
        return
    written = result.cells_written
    titles = result.titles
    there = set(result.before) | {spec.title for spec in result.plan.tabs}
    tabs = lines["sep"].join(t for t in (
        titles.get("opportunities"), titles.get("attention") or "Attention",
        titles.get("summary") or "Summary",
        *(t for t in (titles.get("insights"), titles.get("review"))
          if t and t in there)) if t)  # written once the history or targets call for them
    out.print(lines["written"].format(cells=written, quiet=lines["quiet"] if result.quiet else "",
                                      tabs=tabs))


def print_changes(changes: PlannedChanges) -> None:
    """Per tab and column: how many cells would change, the first few as ID, old and new."""
    out.print(f"Dry run: {changes.total:,} cells would change; nothing was written.")
    for tab in changes.tabs:
        memory = " (the worker's memory)" if tab.hidden else ""
        out.print(f"  [bold]{escape(tab.tab)}[/]: {cells(tab.count)}{memory}", highlight=False)
        for column in () if tab.hidden else tab.columns:
            out.print(f"    {escape(column.column)}: {cells(column.count)}", highlight=False)
            for line in column.lines():
                out.print(f"      {escape(line)}", highlight=False)
    out.print(f"Total: {cells(changes.total)} in {len(changes.tabs)} tab(s).")


def cells(count: int) -> str:
    return f"{count:,} cell" + ("" if count == 1 else "s")


@cli.command()
@workbook_options
@config_option
def check(path: Path | None, sheet: str | None, credentials: Path | None,
          config_file: Path | None) -> None:
    """Validate the Config tabs and columns; write nothing. Exit 2 when broken.

    PATH is a local .xlsx workbook; or give --sheet for a Google Sheet. Exit codes: 0 the
    configuration is valid, 2 it is broken (each problem named by its cell) or bad usage.
    """
    found = api.check(open_workbook(path, sheet, credentials), config=config_file)
    if found.joins:
        out.print(found.joins, highlight=False)
    for problem in found.problems:
        out.print(f"{problem.severity}: {problem.where}: {problem.message}", highlight=False)
    if found.errors:
        raise ConfigError(found.errors, listed=True)
    out.print("The configuration is valid.")


@cli.command()
@workbook_options
@config_option
@click.option("--every", default="10m", show_default=True,
              help="How often to run: 90s, 10m, 2h, 1d.")
@click.option("--at", "at_time", metavar="HH:MM", help="Also run every day at this time.")
@log_options
@click.option("--notify", "notify", is_flag=True,
              help="After each run send what is due (digests once a day at Digest At, "
                   "escalations at once), and tell the [admin] channel of failed runs.")
@notify_config_option
def watch(path: Path | None, sheet: str | None, credentials: Path | None,
          config_file: Path | None, every: str, at_time: str | None, log_format: str,
          log_level: str, notify: bool, notify_config: Path | None) -> None:
    """Keep running on a schedule; one writer per workbook. Ctrl-C finishes the current run.

    PATH is a local .xlsx workbook; or give --sheet for a Google Sheet. Exit codes: 0 stopped
    by SIGINT or SIGTERM after the run under way, 2 bad usage or no such workbook, 3 another
    writer held the workbook as the watcher started (a process manager starts it again:
    systemd's Restart=on-failure), 130 or 143 stopped at once by a second SIGINT or SIGTERM.
    A run whose notifications were not all delivered (exit code 4 of `run`) is a warning in
    the log; the watcher goes on.
    """
    from sheetfunnel.watch import serve

    notifier = notifier_for(notify_config, send=True) if notify else None
    code = serve(path, sheet=sheet, config_file=config_file,
                 every=every, at=at_time, log_format=log_format, log_level=log_level,
                 open_workbook=lambda: open_workbook(path, sheet, credentials),
                 notifier=notifier)
    raise SystemExit(code)


@cli.command()
@workbook_options
@config_option
@notify_config_option
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              metavar="YYYY-MM-DD[THH:MM]",
              help="The moment to judge as 'now', in the Settings timezone. Default: now.")
@click.option("--send", is_flag=True, help="Send the digests (default: only show them).")
@click.option("--preview", "preview", type=click.Path(path_type=Path, file_okay=False),
              help="Write every digest as a file (.eml or the channel's .json) into DIR.")
@click.option("--test", "test_channel", metavar="CHANNEL",
              help="Send one test message through CHANNEL of the notify config, and stop.")
@click.option("--to", "test_to", metavar="ADDRESS", default="",
              help="With --test on an email channel: the address to write to.")
def notify(path: Path | None, sheet: str | None, credentials: Path | None,
           config_file: Path | None, notify_config: Path | None, as_of: dt.datetime | None,
           send: bool, preview: Path | None, test_channel: str | None, test_to: str) -> None:
    """Show (or with --send, send) the owner and manager digests and escalations due now.

    PATH is a local .xlsx workbook; or give --sheet for a Google Sheet (not needed with
    --test). Exit codes: 0 shown or sent, 2 bad usage, a broken config or notify config or an
    unreadable workbook, 3 the workbook could not be written this time (held by a watcher,
    read-only, unreachable), 4 some notifications were not delivered.
    """
    if test_channel is None:
        target(path, sheet)  # a missing or doubled workbook first: it is the usage mistake
    notifier = notifier_for(notify_config, send=send, preview=preview)
    if test_channel is not None:
        from sheetfunnel.notify.hook import send_test_message

        failure = send_test_message(notifier.config, test_channel, test_to, dt.datetime.now(dt.UTC))
        if failure:
            raise NotificationsFailed([failure])
        out.print(f"Sent a test message through {test_channel}.", highlight=False)
        return
    workbook = open_workbook(path, sheet, credentials)
    result = api.notify(workbook, notifier, as_of=as_of, config=config_file)
    for problem in notifier.problems:
        out.print(f"  [yellow]warning[/] {problem.where}: {problem.message}", highlight=False)
    if not send:
        from sheetfunnel.notify.hook import preview_text

        shown = preview_text(notifier.deliveries)
        out.print(shown or "No digest is due now.", highlight=False, markup=False)
        if preview is not None:
            out.print(f"Wrote {len(notifier.deliveries)} files into {preview}.")
    if not result.ok:  # judged with the last good config, or not at all: say why
        raise ConfigError(result.errors)
    if send:
        check_notifications(result.notifications)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("sheetfunnel-demo"), show_default=True,
              help="Folder for the demo workbook.")
@as_of_option
@click.option("--notify-preview", "notify_preview",
              type=click.Path(path_type=Path, file_okay=False),
              help="Also write the demo team's digests (en and zh) into DIR as files to open.")
def demo(out_dir: Path, as_of: dt.datetime | None, notify_preview: Path | None) -> None:
    """Make a demo workbook, run on it, and say where to look.

    Writes OUT/pipeline.xlsx (replacing an earlier demo). Exit codes: 0 done, 2 bad usage.
    """
    today = api.in_range(as_of.date() if as_of else dt.date.today())
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"The folder {out_dir} cannot be made ({exc.strerror}). Give --out a "
                         "folder you can write to.") from exc
    path = out_dir / "pipeline.xlsx"
    workbook = api.init(path, lang="en", demo=True, force=True, as_of=today)
    with err.status("Running") as status:
        result = api.run(workbook, as_of=today, step=status.update)
    print_result(result, dry_run=False)
    out.print(f"\nOpen [bold]{path.resolve()}[/] and look at the tabs Opportunities (Score, "
              "Grade, Flags on the right), Attention, Summary, Insights (what the closed "
              "deals say) and Review (the weeks against the targets).")
    if notify_preview is not None:
        preview_digests(out_dir, notify_preview, today, result)


def preview_digests(out_dir: Path, folder: Path, today: dt.date, result: api.RunResult) -> None:
    """The demo team's digests in English and Chinese, written as files (nothing is sent)."""
    from sheetfunnel.notify.hook import Notifier, preview_people

    weekday = today - dt.timedelta(days=max(0, today.weekday() - 4))  # no digest at weekends
    morning = dt.datetime.combine(weekday, dt.time(9, 0))
    for lang, workbook in (("en", api.open_workbook(out_dir / "pipeline.xlsx")),
                           ("zh", api.init(out_dir / "pipeline-zh.xlsx", lang="zh", demo=True,
                                           force=True, as_of=today))):
        if lang == "zh":
            result = api.run(workbook, as_of=today)
        owners = [row["owner"] for row in result.report["owners"] if row["owner"]]
        config, people = preview_people(owners)
        notifier = Notifier(config, send=False, preview=folder / lang, people=people)
        api.notify(workbook, notifier, as_of=morning)
    out.print(f"Digests of the demo team (en and zh): [bold]{folder.resolve()}[/] — .eml files "
              "open in a mail program, .json files are the DingTalk messages.")


if __name__ != "__main__":  # the fleet's commands build on this module's Group and consoles
    from sheetfunnel.fleet.commands import fleet

    cli.add_command(fleet)


def main() -> None:
    cli(prog_name="sheetfunnel")


if __name__ == "__main__":  # python -m sheetfunnel.cli: run the module every import shares
    from sheetfunnel.cli import main as shared_main

    shared_main()
