"""The weekly review (#17) end to end: a small sheet advanced week by week through scripted
changes (deals created, advanced, won, lost) on both backends, every Review figure checked
against an independent count from the script's own event list; Targets read, attainment and
pace; charts replaced, not added, on reruns."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetfunnel.config.calendar import read_review_setting
from sheetfunnel.config.model import Config, Settings, Stage
from sheetfunnel.config.targets import read_period
from sheetfunnel.engine.targets import working_days
from sheetfunnel.tabs.state import STATE_TAB
from tests import test_owned_tabs
from tests.support.parity import save_grids
from tests.test_owned_tabs import XlsxBook

# the workbook on each backend, as the tab-ownership tests make it
served = test_owned_tabs.served
make_book = test_owned_tabs.make_book

FIRST_MONDAY = dt.date(2026, 9, 7)
RUNS = 9  # one run each Monday: the first sees the sheet, eight weeks of changes follow
STAGES = ("Lead", "Qualified", "Proposal")
OWNERS = ("Ana", "Bo")
HEAD = ["ID", "Title", "Owner", "Stage", "Amount", "Created", "Close Date"]


def script(seed: int = 17) -> tuple[dict[str, list[Any]], list[tuple[dt.date, str, str]]]:
    """Deals by ID (a row as typed at the end) and events (day, deal, what) from one seed.
    Each deal is created on some day, then on run days moves one stage on, wins or is lost."""
    rng = random.Random(seed)
    deals: dict[str, list[Any]] = {}
    events: list[tuple[dt.date, str, str]] = []
    plan: dict[dt.date, list[tuple[str, str]]] = {}
    for n in range(40):
        deal = f"D-{n:02d}"
        created = FIRST_MONDAY - dt.timedelta(days=3) + dt.timedelta(days=rng.randrange(56))
        deals[deal] = [deal, f"Deal {n}", OWNERS[n % 2], "Lead", 1000 * (1 + n % 7),
                       created, None]
        events.append((created, deal, "new"))
        run = _next_monday(created)
        for step in ("Qualified", "Proposal", "Won"):
            run += dt.timedelta(weeks=rng.randrange(1, 3))
            end = rng.random() < 0.2
            plan.setdefault(run, []).append((deal, "Lost" if end else step))
            if end:
                break
    ordered = dict(sorted(deals.items(), key=lambda item: (item[1][5], item[0])))
    return ordered, events + [(day, d, what) for day, moves in plan.items() for d, what in moves]


def _next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)


def grids(deals: dict[str, list[Any]], today: dt.date) -> dict[str, list[list[Any]]]:
    rows = [row for row in deals.values() if row[5] <= today]
    return {
        "Opportunities": [HEAD, *rows],
        "Stages": [["Stage", "Probability", "Kind"], ["Lead", 10, "open"],
                   ["Qualified", 30, "open"], ["Proposal", 60, "open"], ["Won", 100, "won"],
                   ["Lost", 0, "lost"]],
        "Settings": [["Key", "Value"], ["timezone", "UTC"], ["week_start", "monday"],
                     ["holidays", "2026-11-02"]],
        "Targets": [["Owner", "Period", "Metric", "Target"],
                    ["Team", "2026-11", "won amount", 20000],
                    ["Ana", "2026-11", "won deals", 4],
                    ["Team", "2026-11", "conversion Lead → Qualified", "50%"],
                    ["Team", "Nov", "new deals", 10],
                    ["Bo", "2026-11", "conversion Lead → Nowhere", 30]],
    }


def expected_weeks(events: list[tuple[dt.date, str, str]], deals: dict[str, list[Any]],
                   starts: list[dt.date]) -> list[dict[str, Any]]:
    """The weeks counted straight from the script's events."""
    found = []
    for start in starts:
        week = [e for e in events if start <= e[0] <= start + dt.timedelta(days=6)]
        won = [d for _, d, what in week if what == "Won"]
        found.append({"week_start": start.isoformat(),
                      "new": sum(what == "new" for _, _, what in week),
                      "advanced": sum(what in ("Qualified", "Proposal") for _, _, what in week),
                      "won": len(won), "won_amount": float(sum(deals[d][4] for d in won)),
                      "lost": sum(what == "Lost" for _, _, what in week)})
    return found


PROBABILITY = {"Lead": 0.1, "Qualified": 0.3, "Proposal": 0.6}
STALL_DAYS = 14  # the Settings default


def stays(events: list[tuple[dt.date, str, str]], deal: str, until: dt.date
          ) -> list[tuple[str, dt.date, dt.date | None]]:
    """The deal's stages by the script up to ``until``: (stage, entered, left or None)."""
    moves = sorted((day, what) for day, d, what in events if d == deal and day <= until)
    found: list[tuple[str, dt.date, dt.date | None]] = []
    for (day, what), after in zip(moves, [*moves[1:], None][:len(moves)], strict=True):
        found.append(("Lead" if what == "new" else what, day, after[0] if after else None))
    return found


def _stage_on(events: list, deal: str, day: dt.date) -> str | None:
    known = stays(events, deal, day)
    return known[-1][0] if known else None


def expected_stale(events: list, start: dt.date, as_of: dt.date) -> int:
    """Stays in an open stage that passed Stall Days in the week (the STALLED rule)."""
    count = 0
    for deal in {d for _, d, _ in events}:
        for stage, entered, left in stays(events, deal, as_of):
            stale = entered + dt.timedelta(days=STALL_DAYS + 1)
            if stage in PROBABILITY and stale <= as_of and (left is None or stale < left) \
                    and start <= stale <= start + dt.timedelta(days=6):
                count += 1
    return count


def expected_weighted(events: list, deals: dict[str, list[Any]], start: dt.date) -> float:
    """The weighted pipeline the Monday run of the week saw."""
    return sum(deals[deal][4] * PROBABILITY.get(_stage_on(events, deal, start) or "", 0.0)
               for deal in deals)


def expected_cohort(events: list, source: str, target: str, start: dt.date,
                    as_of: dt.date) -> tuple[int | None, int | None]:
    """Deals that entered ``source`` in the week, and those that reached ``target`` (or went
    past it) within 30 days; None for weeks less than 30 days old."""
    end = start + dt.timedelta(days=6)
    if (as_of - end).days < 30:
        return None, None
    order = ["Lead", "Qualified", "Proposal", "Won"]
    onward = order[order.index(target):]
    entered = reached = 0
    for deal in {d for _, d, _ in events}:
        for stage, day, _ in stays(events, deal, as_of):
            if stage == source and start <= day <= end:
                entered += 1
                later = [d for st, d, _ in stays(events, deal, as_of) if st in onward]
                reached += bool(later and min(later) - day <= dt.timedelta(days=30))
    return entered, reached


def advance(book: Any, deals: dict[str, list[Any]], events: list, today: dt.date,
            first: bool) -> None:
    """The sheet as people left it on ``today``: new rows, moved stages, close dates."""
    for day, deal, what in events:
        if day == today and what != "new":
            deals[deal][3] = what
            if what in ("Won", "Lost"):
                deals[deal][6] = day
    if first:
        return
    rows = [row for row in deals.values() if row[5] <= today]
    known = len(book.grid("Opportunities")) - 1
    cells = {(number, col): value for number, row in enumerate(rows, start=2)
             for col, value in enumerate(row, start=1) if number - 1 > known or col in (4, 7)}
    if isinstance(book, XlsxBook):  # a person saving once with all the day's changes
        with book.edit() as workbook:
            for (row, col), value in cells.items():
                workbook["Opportunities"].cell(row, col).value = value
    else:
        for (row, col), value in cells.items():
            book.set_cell("Opportunities", row, col, value)


def run(book: Any, day: dt.date) -> dict[str, Any]:
    code, out = book.command("run", "--as-of", day.isoformat(), "--report", book.report)
    assert code in (0, 1), out
    return json.loads(book.report.read_text())


def test_eight_weeks_of_review_match_the_script_on_both_backends(make_book: Any) -> None:
    deals, events = script()
    days = [FIRST_MONDAY + dt.timedelta(weeks=k) for k in range(RUNS)]
    book = None
    for day in days:
        if book is None:
            advance(None, deals, events, day, True)
            book = make_book(grids(deals, day))
        else:
            advance(book, deals, events, day, False)
        report = run(book, day)
    last = days[-1]
    starts = [last - dt.timedelta(weeks=7 - k) for k in range(8)]
    got = [{k: w[k] for k in ("week_start", "new", "advanced", "won", "won_amount", "lost")}
           for w in report["review"]["weeks"]]
    assert got == expected_weeks(events, deals, starts)
    assert report["review"]["history_since"] == days[1].isoformat()
    # stale deals, the weighted pipeline at each week's last snapshot, the weekly cohorts
    weeks = report["review"]["weeks"]
    assert [w["stalled"] for w in weeks] == [expected_stale(events, s, last) for s in starts]
    assert [w["weighted"] for w in weeks] == [
        pytest.approx(expected_weighted(events, deals, s), abs=0.01) for s in starts]
    assert not any(w["weighted_estimated"] for w in weeks)  # a snapshot every Monday
    assert sum(w["stalled"] for w in weeks) > 0
    for step in report["review"]["conversion"]:
        cohorts = [expected_cohort(events, step["from"], step["to"], s, last) for s in starts]
        assert list(zip(step["cohort_entered"], step["cohort_reached"], strict=True)) == cohorts
        assert cohorts[-1] == (None, None) and cohorts[0] != (None, None)
    assert report["review"]["conversion"][0]["cohort_entered"][0] > 0
    # conversion on exits: of the deals that left Lead in a week, those that went to Qualified
    lead = report["review"]["conversion"][0]
    assert (lead["from"], lead["to"]) == ("Lead", "Qualified")
    for index, start in enumerate(starts):
        week = [(day, d, what) for day, d, what in events
                if start <= day <= start + dt.timedelta(days=6)]
        left_lead = [what for day, d, what in week
                     if what == "Qualified" or (what == "Lost" and _was(events, d, day, "Lead"))]
        assert lead["exits"][index] == len(left_lead), start
        assert lead["advanced"][index] == left_lead.count("Qualified"), start

    # targets: located problems in the Summary, attainment of the readable rows
    targets = {(t["owner"], t["metric"]): t for t in report["targets"]}
    november = [d for day, d, what in events if what == "Won"
                and dt.date(2026, 11, 1) <= day <= last]
    won_amount = float(sum(deals[d][4] for d in november))
    team = targets[(None, "won_amount")]
    assert team["actual"] == won_amount
    assert team["attainment"] == round(won_amount / 20000, 4)
    assert team["working_days_left"] == 20  # Nov 2 (Monday) to 30th, 2 Nov a holiday: Nov 9..30
    assert team["remaining"] == max(20000 - won_amount, 0)
    ana = targets[("Ana", "won_deals")]
    assert ana["actual"] == sum(deals[d][2] == "Ana" for d in november)
    problems = {p["where"]: p["message"] for p in report["problems"]}
    assert "Targets!B5" in problems and "2026-Q4" in problems["Targets!B5"]
    assert "Nowhere" in problems["Targets!C6"]

    summary = book.grid("Summary")
    row = next(r for r in summary if r[:3] == ["Team", "2026-11", "won amount"])
    remaining = 20000 - won_amount
    assert remaining > 0
    assert row[3:] == [20000, won_amount, won_amount / 20000,
                       f"needs ${remaining:,.0f} more in 20 working days: "
                       f"${remaining / 20:,.0f} a day"]

    review = book.grid("Review")
    assert review[0][0] == f"Weekly review — the week of {last.isoformat()}"
    assert any(row and row[0] == "Targets" for row in review)
    # the tables the charts plot: the week's share of the team's won-amount target (November:
    # 20 working days, none in the week of Oct 26 — its Sunday is Nov 1 — and 4 in the week of
    # Nov 2), each step's weekly rate, the weighted
    # pipeline of each run day read back from History's snapshots
    weeks = _section(review, "Week by week")
    assert weeks[0][8] == "Won target"
    assert [row[8] if len(row) > 8 else None for row in weeks[1:]] == [None] * 6 + [0, 4000]
    steps = _section(review, "Conversion on exits, week by week (the last 8 weeks)")
    assert steps[0] == ["Week of", "Lead → Qualified", "Qualified → Proposal", "Proposal → Won"]
    for row, step in zip(steps[1:], zip(*(
            [a / e if e else None for a, e in zip(c["advanced"], c["exits"], strict=True)]
            for c in report["review"]["conversion"]), strict=True), strict=True):
        got = [None if v == "" else v for v in (row[1:] + [None] * 3)[:3]]
        assert got == [pytest.approx(r) if r is not None else None for r in step]
    pipeline = _section(review, "Weighted pipeline per day (History's daily snapshots; blank "
                                "where the worker did not run)")
    assert len(pipeline) == 1 + 56
    shown = {_day(row[0]): row[1] if len(row) > 1 and row[1] != "" else None
             for row in pipeline[1:]}
    assert shown == {last - dt.timedelta(days=55 - k): pytest.approx(
        weighted_on(events, deals, last - dt.timedelta(days=55 - k)))
        if last - dt.timedelta(days=55 - k) in days else None for k in range(56)}
    # a rerun writes nothing and keeps one chart of each: won amount in columns with the target
    # as a line, conversion and pipeline as lines, velocity as bars
    kinds = {"Won amount per week": ("combo", ("column", "line")),
             "Conversion per transition, by week": ("line", ("line", "line", "line")),
             "Weighted pipeline per day": ("line", ("line",)),
             "Median days in stage": ("bar", ("bar",))}
    assert _charts(book) == kinds
    for _ in range(2):
        report = run(book, last)
        assert report["io"]["cells_written"] == 0
    assert _charts(book) == kinds


def _was(events: list, deal: str, day: dt.date, stage: str) -> bool:
    """Was ``deal`` in ``stage`` just before ``day``?"""
    moves = [w for d_day, d, w in sorted(events) if d == deal and d_day < day and w != "new"]
    return (moves[-1] if moves else "Lead") == stage


def weighted_on(events: list, deals: dict[str, list[Any]], day: dt.date) -> float:
    """The weighted pipeline at the end of ``day``, counted from the script: each deal typed by
    then in an open stage, its amount times the stage's probability."""
    chance = {"Lead": 0.1, "Qualified": 0.3, "Proposal": 0.6}
    total = 0.0
    for deal, row in deals.items():
        if row[5] <= day:
            moves = [w for d_day, d, w in sorted(events) if d == deal and d_day <= day
                     and w != "new"]
            total += row[4] * chance.get(moves[-1] if moves else "Lead", 0.0)
    return total


def _section(grid: list[list[Any]], title: str) -> list[list[Any]]:
    """A section's header row and its rows, down to the next blank row."""
    start = next(i for i, row in enumerate(grid) if row and row[0] == title) + 1
    end = next((i for i in range(start, len(grid)) if not any(v not in (None, "")
                                                              for v in grid[i])), len(grid))
    return grid[start:end]


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int | float):  # a Google serial number
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    return value


def _charts(book: Any) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The Review's charts by title: their kind and each series' kind, as the file or the
    spreadsheet holds them."""
    if isinstance(book, XlsxBook):
        found = {}
        for chart in openpyxl.load_workbook(book.path)["Review"]._charts:
            title = "".join(r.t for p in chart.title.tx.rich.p for r in p.r or [])
            series = tuple(_kind(part) for part in chart._charts for _ in part.series)
            kinds = set(series)
            found[title] = ("combo" if len(kinds) > 1 or "column" in kinds else
                            kinds.pop(), series)
        return found
    found = {}
    for chart in book.emulator.sheet("Review").charts:
        basic = chart["spec"]["basicChart"]
        kind = basic["chartType"].lower()
        found[chart["spec"]["title"]] = (kind, tuple(s.get("type", kind).lower()
                                                     for s in basic["series"]))
    return found


def _kind(chart: Any) -> str:
    if chart.tagname == "barChart":
        return "bar" if chart.barDir == "bar" else "column"
    return "line"


def test_no_history_and_no_targets_write_no_review_tab(make_book: Any) -> None:
    deals, _ = script()
    grid = grids(deals, FIRST_MONDAY)
    del grid["Targets"]
    book = make_book(grid)
    run(book, FIRST_MONDAY)
    assert "Review" not in book.titles()
    assert "review" not in book.records()
    assert STATE_TAB in book.titles()


@pytest.mark.parametrize("typed, shown", [
    ("2026-11", ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ("2026-Q4", ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ("2026q1", ("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
    (dt.datetime(2026, 2, 1), ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("Nov", None), ("2026-13", None)])
def test_a_period_is_a_month_or_a_quarter(typed: Any, shown: Any) -> None:
    assert read_period(typed) == shown


def test_working_days_count_holidays_and_extra_working_days() -> None:
    errors: list[str] = []
    days = read_review_setting("working_days", "mon-fri", errors.append)
    assert days == (0, 1, 2, 3, 4)
    assert read_review_setting("working_days", "周一-周五", errors.append) == days
    holidays = read_review_setting("holidays", "2026-10-01, 2026-10-02", errors.append)
    extra = read_review_setting("extra_working_days", "2026-10-10", errors.append)
    assert not errors
    config = Config((Stage("Lead", 0.1, "open"),), (), (),
                    Settings(holidays=holidays, extra_working_days=extra))  # type: ignore[arg-type]
    # October 2026: 22 weekdays, two holidays, one Saturday worked (调休)
    assert working_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31), config) == 21
    read_review_setting("week_start", "someday", errors.append)
    assert errors == ['The setting week_start must be a day of the week such as monday, '
                      'not "someday".']


def test_strict_funnel_leaves_out_deals_whose_path_is_unknown(tmp_path: Path) -> None:
    """A deal first seen in Proposal with no dates for the stages before is "path unknown";
    one whose Entered Date Fields prove Qualified and Proposal went through in order."""
    path = tmp_path / "strict.xlsx"
    save_grids(path, {
        "Opportunities": [["ID", "Stage", "Amount", "Created", "Qualified On", "Proposal On"],
                          ["S-1", "Lead", 100, dt.date(2026, 11, 2), None, None],
                          ["S-2", "Proposal", 100, dt.date(2026, 11, 2), None, None],
                          ["S-3", "Proposal", 100, dt.date(2026, 11, 2), dt.date(2026, 11, 5),
                           dt.date(2026, 11, 9)],
                          ["S-4", "Qualified", 100, dt.date(2026, 11, 3), dt.date(2026, 11, 6),
                           None]],
        "Stages": [["Stage", "Probability", "Kind", "Entered Date Field"],
                   ["Lead", 10, "open", None], ["Qualified", 30, "open", "Qualified On"],
                   ["Proposal", 60, "open", "Proposal On"], ["Won", 100, "won", None],
                   ["Lost", 0, "lost", None]],
        "Settings": [["Key", "Value"], ["funnel_mode", "strict"]],
    })
    report_path = tmp_path / "report.json"
    code, out = test_owned_tabs.sheetfunnel("run", path, "--as-of", "2026-11-24", "--report",
                                            report_path)
    assert code in (0, 1), out
    report = json.loads(report_path.read_text())
    reached = {row["stage"]: row["reached"] for row in report["stages_strict"]}
    assert reached == {"Lead": 3, "Qualified": 2, "Proposal": 1, "Won": 0}
    assert report["review"]["path_unknown"] == 1
    cumulative = {row["stage"]: row["reached"] for row in report["stages"]}
    assert cumulative["Proposal"] == 2
    # the Summary's funnel shows the strict counts too, and says how many it left out
    summary = openpyxl.load_workbook(path)["Summary"]
    rows = [[c.value for c in row] for row in summary.iter_rows()]
    title = next(i for i, r in enumerate(rows) if str(r[0] or "").startswith("Funnel — deals"))
    assert "path unknown" in rows[title][0] and rows[title][0].endswith(": 1.")
    shown = {r[0]: r[1] for r in rows[title + 2:title + 6]}
    assert shown == {"Lead": 3, "Qualified": 2, "Proposal": 1, "Won": 0}


def test_a_wrong_funnel_mode_is_an_error_naming_its_cell() -> None:
    errors: list[str] = []
    assert read_review_setting("funnel_mode", "Strict", errors.append) == "strict"
    assert read_review_setting("funnel_mode", "ordered", errors.append) is None
    assert errors == ['The setting funnel_mode must be cumulative or strict, not "ordered".']


def test_check_names_the_cell_of_a_target_it_cannot_read(tmp_path: Path) -> None:
    deals, _ = script()
    path = tmp_path / "targets.xlsx"
    save_grids(path, grids(deals, FIRST_MONDAY))
    code, out = test_owned_tabs.sheetfunnel("check", path)
    assert 'Targets!B5: The Period "Nov" is not a month or a quarter: type 2026-11 or ' \
           "2026-Q4." in out
    assert "Targets!C6" in out and "Nowhere" in out


def test_a_changed_targets_tab_is_a_change_of_the_data(make_book: Any) -> None:
    """The Targets tab is in the data's fingerprint: a target typed anew on an otherwise
    unchanged sheet counts as a change (a run that skips unchanged data still redoes Summary
    and Review) and the Summary shows the new target."""
    deals, _ = script()
    book = make_book(grids(deals, FIRST_MONDAY))
    run(book, FIRST_MONDAY)
    before = book.grid(STATE_TAB)[2][1]
    assert run(book, FIRST_MONDAY)["io"]["cells_written"] == 0
    if isinstance(book, XlsxBook):
        with book.edit() as workbook:
            workbook["Targets"].cell(2, 4).value = 30000
    else:
        book.set_cell("Targets", 2, 4, 30000)
    report = run(book, FIRST_MONDAY)
    assert book.grid(STATE_TAB)[2][1] != before
    assert report["io"]["cells_written"] > 0
    assert next(t for t in report["targets"] if t["metric"] == "won_amount")["target"] == 30000
    row = next(r for r in book.grid("Summary") if r[:3] == ["Team", "2026-11", "won amount"])
    assert row[3] == 30000


def test_a_young_workbook_rebuilds_stale_deals_and_the_weighted_pipeline_from_dates(
        tmp_path: Path) -> None:
    """No History but a day of the old nine-column form: the weeks' weighted pipeline is
    rebuilt from Created, the Entered Date Fields and Close Dates (marked estimated) and
    matches the script at each week's end, and so do the deals gone stale; the old History
    is read and continued with one compact row."""
    deals, events = script()
    last = FIRST_MONDAY + dt.timedelta(weeks=RUNS - 1)
    for week in range(RUNS):  # the stages and close dates as people left them by then
        advance(None, deals, events, FIRST_MONDAY + dt.timedelta(weeks=week), True)
    entered = {(d, what): day for day, d, what in events if what in ("Qualified", "Proposal")}
    book = grids(deals, last)
    book["Opportunities"] = [HEAD + ["Qualified On", "Proposal On"]] + [
        row + [entered.get((row[0], "Qualified")), entered.get((row[0], "Proposal"))]
        for row in book["Opportunities"][1:]]
    book["Stages"] = [r + [c] for r, c in zip(book["Stages"], [
        "Entered Date Field", None, "Qualified On", "Proposal On", None, None], strict=True)]
    path = tmp_path / "young.xlsx"
    save_grids(path, book)
    report_path = tmp_path / "report.json"
    old_day = last - dt.timedelta(weeks=2)
    for day in (old_day, last):
        code, out = test_owned_tabs.sheetfunnel("run", path, "--as-of", day.isoformat(),
                                                "--report", report_path)
        assert code in (0, 1), out
        if day == old_day:  # History as the version before #17 wrote it
            workbook = openpyxl.load_workbook(path)
            history = workbook["History"]
            history.delete_rows(1, history.max_row)
            for row in (["At", "Kind", "ID", "From", "To", "Stage", "Reached", "Current",
                         "Open Amount"], [old_day, "snapshot", None, None, None, "Lead", 40,
                                          9, 9000]):
                history.append(row)
            workbook.save(path)
    weeks = json.loads(report_path.read_text())["review"]["weeks"]
    starts = [last - dt.timedelta(weeks=7 - k) for k in range(8)]
    ends = [min(s + dt.timedelta(days=6), last) for s in starts]
    assert [w["weighted"] for w in weeks] == [
        pytest.approx(expected_weighted(events, deals, end), abs=0.01) for end in ends]
    assert [w["weighted_estimated"] for w in weeks] == [True] * 7 + [False]
    assert [w["stalled"] for w in weeks] == [expected_stale(events, s, last) for s in starts]
    history = [[c.value for c in row] for row in openpyxl.load_workbook(path)["History"]]
    assert history[0][5] == "Stage"  # the old header stays
    assert history[-1][1] == "daily snapshot" and history[-1][3].startswith("stage: deals")
