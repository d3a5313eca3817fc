"""The pure rules of notifications (#15): who hears what and when, never twice, folded per
robot and cut to size — on synthetic flags, with ``now`` given (no clock, no network)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sheetfunnel.engine.flags import SEVERITY
from sheetfunnel.notify.channels import dingtalk, wecom
from sheetfunnel.notify.compose import Line, fit, fold, render_markdown
from sheetfunnel.notify.deliver import record
from sheetfunnel.notify.digest import Item, build_messages
from sheetfunnel.notify.ledger import ENTRIES_COL, KIND_COL, Ledger, ledger_cells, read_ledger
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.quiet import digest_slot, is_quiet
from sheetfunnel.notify.settings import NotifySettings

UTC = dt.UTC
SHANGHAI = NotifySettings(timezone="Asia/Shanghai")
#: Tuesday 10:00 in Shanghai
TUESDAY = dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
REP = Person("Alice Chen", "rep", "robot", mention="13800000001")
MANAGER = Person("Grace Wu", "manager", "robot", digest_at=9 * 60)
ATTENTION = Line("See the Attention tab", None, "Attention")


def item(deal: str, code: str, weighted: float, owner: str = "Alice Chen",
         since: dt.date | None = None) -> Item:
    return Item(deal, int(deal.split("-")[1]), f"Deal {deal}", owner, "Proposal", code,
                SEVERITY[code], f"detail of {code}", "call back", weighted * 2, weighted,
                f"Opportunities!{deal}", since)


def sent_after(messages, ledger: Ledger, now: dt.datetime) -> Ledger:
    return record(ledger, tuple(messages), now)


def test_a_rep_digest_lists_own_deals_by_severity_then_value():
    items = [item("OPP-1", "STALLED", 10), item("OPP-2", "FOLLOW_UP_OVERDUE", 50),
             item("OPP-3", "STALLED", 90), item("OPP-4", "STALLED", 70, owner="Ben Carter")]
    items.sort(key=lambda i: (i.severity, -i.weighted))  # as open_flags gives them
    messages, _ = build_messages(items, [REP], SHANGHAI, Ledger(), TUESDAY, lang="en")
    digest = next(m for m in messages if m.kind == "rep")
    assert [i.deal for i in digest.items] == [i.deal for i in sorted(
        [i for i in items if i.owner == "Alice Chen"], key=lambda i: (SEVERITY[i.code],
                                                                      -i.weighted))]
    text = render_markdown(fold([digest], {"robot": "dingtalk"}, ATTENTION, "en")[0].doc)
    assert "next step: call back" in text and "Opportunities!OPP-3" in text
    assert "OPP-4" not in text


def test_never_twice_renotify_tiers_and_resolved_once():
    flags = [item("OPP-1", "STALLED", 10)]
    messages, _ = build_messages(flags, [REP], SHANGHAI, Ledger(), TUESDAY, lang="en")
    ledger = sent_after(messages, Ledger(), TUESDAY)
    later = TUESDAY + dt.timedelta(hours=1)
    again, skipped = build_messages(flags, [REP], SHANGHAI, ledger, later, lang="en")
    assert again == [] and [s.reason for s in skipped] == ["duplicate"]
    days_sent = [0]
    for day in range(1, 15):  # tiers 1, 3, 7, 7 …
        now = TUESDAY + dt.timedelta(days=day)
        if is_quiet(REP, SHANGHAI, now):
            continue
        messages, _ = build_messages(flags, [REP], SHANGHAI, ledger, now, lang="en")
        if any(m.items for m in messages):
            days_sent.append(day)
            ledger = sent_after(messages, ledger, now)
    assert days_sent == [0, 1, 6, 13]  # 1 day, then 3 (a weekend in between), then 7
    # resolved: listed once, then forgotten; re-opened: sent again
    now = TUESDAY + dt.timedelta(days=15)
    messages, _ = build_messages([], [REP], SHANGHAI, ledger, now, lang="en")
    assert [m.resolved for m in messages] == [(("Alice Chen", "OPP-1", "STALLED"),)]
    ledger = sent_after(messages, ledger, now)
    assert build_messages([], [REP], SHANGHAI, ledger, now + dt.timedelta(days=1),
                          lang="en")[0] == []
    reopened, _ = build_messages(flags, [REP], SHANGHAI, ledger, now + dt.timedelta(days=1),
                                 lang="en")
    assert [i.deal for m in reopened for i in m.items] == ["OPP-1"]


def test_escalations_follow_the_method():
    old = TUESDAY.date() - dt.timedelta(days=10)
    flags = [item("OPP-1", "NEGATIVE_SIGNAL", 10), item("OPP-2", "STALLED", 20),
             item("OPP-3", "FOLLOW_UP_OVERDUE", 30, since=old),
             item("OPP-4", "FOLLOW_UP_OVERDUE", 40, since=TUESDAY.date())]
    early = TUESDAY.replace(hour=0, minute=30)  # 08:30 in Shanghai: before the digests
    rep = Person("Alice Chen", "rep", "robot", digest_at=23 * 60)
    messages, _ = build_messages(flags, [rep, MANAGER], SHANGHAI, Ledger(), early, lang="en")
    escalated = {m.person.name: [i.deal for i in m.items] for m in messages
                 if m.kind == "escalation"}
    assert escalated == {"Alice Chen": ["OPP-1"], "Grace Wu": ["OPP-1", "OPP-2", "OPP-3"]}
    ledger = sent_after(messages, Ledger(), early)
    again, _ = build_messages(flags, [rep, MANAGER], SHANGHAI, ledger,
                              early + dt.timedelta(minutes=20), lang="en")
    assert [m for m in again if m.kind == "escalation"] == []


def test_a_manager_digest_counts_new_and_resolved():
    flags = [item("OPP-1", "STALLED", 10), item("OPP-2", "STALLED", 20, owner="Ben Carter"),
             item("OPP-3", "NEGATIVE_SIGNAL", 90, owner="Ben Carter")]
    headline = {"open_count": 3, "open_amount": 240.0, "weighted_pipeline": 120.0,
                "won_this_month": 1}
    messages, _ = build_messages(flags, [MANAGER], SHANGHAI, Ledger(), TUESDAY, lang="en",
                                 headline=headline)
    digest = next(m for m in messages if m.kind == "manager")
    bens = sorted(("NEGATIVE_SIGNAL", "STALLED"), key=SEVERITY.get)  # the registry's order
    assert digest.counts == (("Alice Chen", "STALLED", 1), *(("Ben Carter", c, 1) for c in bens))
    assert [i.deal for i in digest.top] == ["OPP-3", "OPP-2", "OPP-1"]
    assert len(digest.new) == 3
    text = render_markdown(fold([digest], {"robot": "wecom"}, ATTENTION, "en")[0].doc)
    assert "Open 3 deals · 240 · weighted 120" in text
    ledger = sent_after(messages, Ledger(), TUESDAY)
    tomorrow = TUESDAY + dt.timedelta(days=1)
    messages, _ = build_messages(flags[1:] + [item("OPP-5", "STALLED", 5)], [MANAGER],
                                 SHANGHAI, ledger, tomorrow, lang="en")
    digest = next(m for m in messages if m.kind == "manager")
    assert [i.deal for i in digest.new] == ["OPP-5"]
    assert digest.resolved == (("Grace Wu", "OPP-1", "STALLED"),)


def test_quiet_hours_in_shanghai_on_a_utc_clock_and_across_a_dst_change():
    assert is_quiet(REP, SHANGHAI, dt.datetime(2026, 11, 24, 13, 30, tzinfo=UTC))  # 21:30
    assert not is_quiet(REP, SHANGHAI, dt.datetime(2026, 11, 24, 0, 30, tzinfo=UTC))  # 08:30
    assert is_quiet(REP, SHANGHAI, dt.datetime(2026, 11, 28, 2, 0, tzinfo=UTC))  # Saturday
    berlin = NotifySettings(timezone="Europe/Berlin")
    # 07:30 local on the Monday after the clocks went back (UTC+1) and before (UTC+2)
    assert is_quiet(REP, berlin, dt.datetime(2026, 10, 26, 6, 30, tzinfo=UTC))
    assert is_quiet(REP, berlin, dt.datetime(2026, 10, 19, 5, 30, tzinfo=UTC))
    assert not is_quiet(REP, berlin, dt.datetime(2026, 10, 26, 7, 0, tzinfo=UTC))  # 08:00
    assert digest_slot(REP, berlin, dt.datetime(2026, 10, 26, 7, 0, tzinfo=UTC)) is None
    assert digest_slot(REP, berlin, dt.datetime(2026, 10, 26, 7, 30, tzinfo=UTC)) == "2026-10-26"
    own = Person("Night Owl", "rep", "robot", quiet_hours=None, quiet_given=True)
    assert not is_quiet(own, SHANGHAI, dt.datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


def test_300_reps_on_one_robot_are_one_message_cut_to_size():
    reps = [Person(f"Rep {n:03d}", "rep", "robot", mention=f"1380000{n:04d}")
            for n in range(300)]
    flags = [item(f"OPP-{n}", "STALLED", n, owner=f"Rep {n % 300:03d}") for n in range(3000)]
    messages, _ = build_messages(flags, reps, SHANGHAI, Ledger(), TUESDAY, lang="en")
    deliveries = fold(messages, {"robot": "wecom"}, ATTENTION, "en")
    assert len(deliveries) == 1 and len(deliveries[0].doc.mentions) == 300
    doc = fit(deliveries[0].doc, wecom.size, wecom.LIMIT)
    assert wecom.size(doc) <= 4096
    last = doc.sections[-1].lines[-1].text
    assert last.startswith("…and ") and last.endswith("more — see the Attention tab")
    shown = sum(len(s.lines) for s in doc.sections) - 1
    total = sum(len(s.lines) + s.more for s in deliveries[0].doc.sections)
    assert total == 3000
    assert last == f"…and {total - shown} more — see the Attention tab"
    assert dingtalk.size(fit(deliveries[0].doc, dingtalk.size, dingtalk.LIMIT)) <= 20_000


def test_the_ledger_round_trips_through_cells_and_keeps_rows():
    flags = [item("OPP-1", "STALLED", 10), item("OPP-2", "STALLED", 20)]
    messages, _ = build_messages(flags, [REP], SHANGHAI, Ledger(), TUESDAY, lang="en")
    ledger = sent_after(messages, Ledger(), TUESDAY)
    cells = ledger_cells(None, ledger)
    grid = [[None] * 26 for _ in range(max(r for r, _ in cells))]
    for (row, col), value in cells.items():
        grid[row - 1][col - 1] = value
    assert read_ledger(grid) == ledger
    assert ledger_cells(grid, ledger) == cells


def test_the_ledger_keeps_one_row_per_flag_whoever_heard_of_it():
    flags = [item("OPP-1", "STALLED", 10), item("OPP-2", "NEGATIVE_SIGNAL", 20)]
    messages, _ = build_messages(flags, [REP, MANAGER], SHANGHAI, Ledger(), TUESDAY, lang="en")
    assert {m.kind for m in messages} == {"rep", "manager", "escalation"}
    ledger = sent_after(messages, Ledger(), TUESDAY)
    assert sorted(ledger.seen.index) == [("OPP-1", "STALLED"), ("OPP-2", "NEGATIVE_SIGNAL")]
    assert ledger.seen["tier"].tolist() == [1, 1]  # sent once to the rep
    cells = ledger_cells(None, ledger)
    flag_cells = [json.loads(cells[(row, ENTRIES_COL)]) for (row, col), kind in cells.items()
                  if col == KIND_COL and kind == "flags"]
    assert [entry[:3] for cell in flag_cells for entry in cell] == [
        ["OPP-1", "STALLED", "Alice Chen"], ["OPP-2", "NEGATIVE_SIGNAL", "Alice Chen"]]
    # a manager told only (no rep in the Notify tab): known, tier 0, still due to a rep
    alone = sent_after(build_messages(flags, [MANAGER], SHANGHAI, Ledger(), TUESDAY,
                                      lang="en")[0], Ledger(), TUESDAY)
    assert alone.seen["tier"].tolist() == [0, 0]
    later, _ = build_messages(flags, [REP], SHANGHAI, alone, TUESDAY, lang="en")
    assert sorted(i.deal for m in later if m.kind == "rep" for i in m.items) == ["OPP-1", "OPP-2"]


def test_a_big_digest_makes_records_only_for_what_it_shows():
    flags = [item(f"OPP-{k}", "STALLED", 10_000 - k) for k in range(1, 3001)]
    messages, _ = build_messages(flags, [REP, MANAGER], SHANGHAI, Ledger(), TUESDAY,
                                 lang="en")
    rep = next(m for m in messages if m.kind == "rep")
    assert len(rep.items) == 3000 and rep.items[0].deal == "OPP-1"
    assert rep.items[1:3] == (flags[1], flags[2]) and list(rep.items) == flags
    doc = fit(fold([rep], {"robot": "wecom"}, ATTENTION, "en")[0].doc, wecom.size, wecom.LIMIT)
    shown = [line.text for s in doc.sections for line in s.lines]
    assert wecom.size(doc) <= wecom.LIMIT and shown[-1].startswith("…and ")
    # the ledger is the same whether the keys are read from the table or given as records
    plain = [dataclasses.replace(m, items=tuple(m.items), new=tuple(m.new),
                                 top=tuple(m.top), keys=tuple(m.keys)) for m in messages]
    assert plain == messages
    assert sent_after(plain, Ledger(), TUESDAY) == sent_after(messages, Ledger(), TUESDAY)
