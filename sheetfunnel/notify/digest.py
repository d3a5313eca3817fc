"""What each person is told now: rep digests, manager digests and escalations.

Pure: the open deals' flags (``open_flags``), the Notify people, the Settings, the ledger
and ``now`` in; ``Message`` records out, each with the ledger keys it carries. Nothing is
sent here, and nothing in the ledger changes until a channel accepted the message.

Rules (issue #15): a flag goes to its owner's rep when it is new to them or its re-notify
interval passed (``renotify_days`` tiered by how often it was sent); a flag resolved since is
listed once; a manager hears counts owner × flag, what is new and resolved, the top deals at
risk; NEGATIVE_SIGNAL escalates to rep and managers at once, STALLED and any flag open for
``escalate_after_days`` to managers. Digests go out once per local day after Digest At;
nothing outside quiet hours.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import normalise_name
from sheetfunnel.notify.ledger import FlagKey, Ledger
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.quiet import digest_slot, is_quiet, local_time
from sheetfunnel.notify.settings import NotifySettings

#: Flags that reach rep and managers at once, and those that reach managers at once.
ESCALATE_TO_ALL = ("NEGATIVE_SIGNAL",)
ESCALATE_TO_MANAGERS = ("STALLED",)
TOP_AT_RISK = 5


class Item(NamedTuple):
    """One flag on one open deal, with what a person needs to act on it (a named tuple:
    100,000 deals make hundreds of thousands of them)."""

    deal: str
    row: int
    title: str
    owner: str
    stage: str
    code: str
    severity: int
    detail: str
    next_step: str
    amount: float
    weighted: float
    link: str
    since: dt.date | None = None


@dataclass(frozen=True)
class Message:
    """One person's digest or escalation. ``keys`` are the ledger keys it delivers,
    ``gone`` the keys of resolved flags it reports (dropped once delivered)."""

    kind: str  # rep | manager | escalation
    person: Person
    lang: str
    items: tuple[Item, ...] = ()
    resolved: tuple[FlagKey, ...] = ()
    new: tuple[Item, ...] = ()
    counts: tuple[tuple[str, str, int], ...] = ()
    top: tuple[Item, ...] = ()
    headline: Mapping[str, object] = field(default_factory=dict)
    keys: tuple[FlagKey, ...] = ()
    gone: tuple[FlagKey, ...] = ()
    slot: tuple[str, str, str] | None = None  # audience, kind, local day


@dataclass(frozen=True)
class Skip:
    audience: str
    channel: str
    reason: str  # duplicate | quiet_hours | nothing_new


def deal_key(ids: pd.Series, rows: Iterable[int]) -> list[str]:
    return [str(i) if isinstance(i, str) and i else f"row {r}"
            for i, r in zip(ids, rows, strict=True)]


def open_flags(evaluation: Evaluation, next_steps: Mapping[int, str],
               link: Callable[[int], str]) -> list[Item]:
    """Every flag of a deal not won or lost (an unknown stage counts as open), most severe
    first, then most valuable (weighted amount, then amount)."""
    flags, deals = evaluation.flags, evaluation.deals
    if flags.empty:
        return []
    kind = deals["kind"].reindex(flags["row"]).to_numpy()
    table = flags[~pd.Series(kind).isin(["won", "lost"]).to_numpy()]
    amount = deals["amount"].reindex(table["row"]).fillna(0.0).to_numpy()
    weighted = deals["weighted_amount"].reindex(table["row"]).fillna(0.0).to_numpy()
    table = table.assign(amount_=amount, weighted_=weighted).sort_values(
        ["severity", "weighted_", "amount_", "row"], ascending=[True, False, False, True],
        kind="stable")
    rows = table["row"].astype("int64").tolist()
    keys = deal_key(table["id"], rows)
    texts = [[_s(v) for v in table[c].tolist()] for c in ("title", "owner", "stage", "detail")]
    since = [v if isinstance(v, dt.date) else None for v in table["since"].tolist()]
    return [Item(*fields) for fields in zip(
        keys, rows, *texts[:3], table["code"].tolist(), table["severity"].astype(int).tolist(),
        texts[3], [next_steps.get(r, "") for r in rows], table["amount_"].tolist(),
        table["weighted_"].tolist(), [link(r) for r in rows], since, strict=True)]


def _s(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def renotify_due(sent_count: int, last: dt.datetime, now: dt.datetime,
                 tiers: tuple[int, ...]) -> bool:
    """Due again once the tier of its ``sent_count`` (1, 3, 7 … days) passed."""
    interval = tiers[min(sent_count, len(tiers)) - 1] if tiers else 1
    return (now - last) >= dt.timedelta(days=interval) - dt.timedelta(minutes=30)


def build_messages(items: list[Item], people: Iterable[Person], settings: NotifySettings,
                   ledger: Ledger, now: dt.datetime, *, lang: str,
                   headline: Mapping[str, object] | None = None
                   ) -> tuple[list[Message], list[Skip]]:
    """Every message due now and every one held back (and why)."""
    by_owner: dict[str, list[Item]] = {}
    for item in items:
        by_owner.setdefault(normalise_name(item.owner), []).append(item)
    people = list(people)
    firsts: dict[tuple[str, str], dt.date] = {}
    heard: dict[str, list[FlagKey]] = {}  # audience -> its ledger keys, built once
    for key, sent in ledger.sent.items():
        heard.setdefault(key[0], []).append(key)
        if sent.first < firsts.get(key[1:], dt.date.max):
            firsts[key[1:]] = sent.first
    messages: list[Message] = []
    skipped: list[Skip] = []
    for person in people:
        if person.role == "admin":
            continue
        scope = _scope(person, by_owner)
        if is_quiet(person, settings, now):
            if scope or person.name in heard:
                skipped.append(Skip(person.name, person.channel, "quiet_hours"))
            continue
        digest = _digest(person, scope, settings, ledger, now, lang, headline or {},
                         heard.get(person.name, []))
        if isinstance(digest, Skip):
            skipped.append(digest)
        elif digest is not None:
            messages.append(digest)
        escalation = _escalation(person, scope, settings, ledger, now, lang, firsts,
                                 heard.get(f"escalation:{person.name}", []))
        if escalation is not None:
            messages.append(escalation)
    return messages, skipped


def _scope(person: Person, by_owner: Mapping[str, list[Item]]) -> list[Item]:
    if person.role == "rep":
        return by_owner.get(normalise_name(person.name), [])
    if not person.covers:
        return [i for owned in by_owner.values() for i in owned]
    return [i for owner in person.covers for i in by_owner.get(owner, [])]


def _digest(person: Person, scope: list[Item], settings: NotifySettings, ledger: Ledger,
            now: dt.datetime, lang: str, headline: Mapping[str, object],
            heard: list[FlagKey]) -> Message | Skip | None:
    day = digest_slot(person, settings, now)
    if day is None:
        return None
    slot = (person.name, person.role)
    if ledger.slots.get(slot) == day:
        return Skip(person.name, person.channel, "duplicate")
    current = {(person.name, i.deal, i.code) for i in scope}
    gone = tuple(sorted(k for k in heard if k not in current))
    language = person.lang or lang
    if person.role == "rep":
        due = [i for i in scope if _due(ledger, (person.name, i.deal, i.code), now, settings)]
        if not due and not gone:
            return Skip(person.name, person.channel, "nothing_new")
        return Message("rep", person, language, items=tuple(due), resolved=gone,
                       keys=tuple((person.name, i.deal, i.code) for i in due), gone=gone,
                       slot=(*slot, day))
    new = tuple(i for i in scope if (person.name, i.deal, i.code) not in ledger.sent)
    if not scope and not gone:
        return Skip(person.name, person.channel, "nothing_new")
    return Message("manager", person, language, resolved=gone, new=new,
                   counts=_counts(scope), top=_top(scope), headline=headline,
                   keys=tuple((person.name, i.deal, i.code) for i in scope), gone=gone,
                   slot=(*slot, day))


def _due(ledger: Ledger, key: FlagKey, now: dt.datetime, settings: NotifySettings) -> bool:
    sent = ledger.sent.get(key)
    return sent is None or renotify_due(sent.count, sent.last, now, settings.renotify_days)


def _counts(scope: list[Item]) -> tuple[tuple[str, str, int], ...]:
    counted = Counter((item.owner, item.code) for item in scope)
    severity = {i.code: i.severity for i in scope}
    return tuple((o, c, n) for (o, c), n in sorted(
        counted.items(), key=lambda kv: (kv[0][0], severity[kv[0][1]])))


def _top(scope: list[Item]) -> tuple[Item, ...]:
    best: dict[str, Item] = {}
    for item in scope:  # most severe flag of each deal first
        best.setdefault(item.deal, item)
    return tuple(heapq.nsmallest(TOP_AT_RISK, best.values(),
                                 key=lambda i: (-i.weighted, -i.amount, i.row)))


def _escalation(person: Person, scope: list[Item], settings: NotifySettings, ledger: Ledger,
                now: dt.datetime, lang: str, firsts: Mapping[tuple[str, str], dt.date],
                heard: list[FlagKey]) -> Message | None:
    audience = f"escalation:{person.name}"
    today = local_time(now, settings).date()
    current = {(audience, i.deal, i.code) for i in scope}
    wanted = []
    for item in scope:
        key = (audience, item.deal, item.code)
        if key in ledger.sent:
            continue
        if item.code in ESCALATE_TO_ALL or person.role == "manager" and (
                item.code in ESCALATE_TO_MANAGERS or _age(item, firsts, today)
                >= settings.escalate_after_days):
            wanted.append(item)
    gone = tuple(sorted(k for k in heard if k not in current))
    if not wanted:
        return Message("escalation", person, person.lang or lang, gone=gone) if gone else None
    return Message("escalation", person, person.lang or lang, items=tuple(wanted),
                   keys=tuple((audience, i.deal, i.code) for i in wanted), gone=gone)


def _age(item: Item, firsts: Mapping[tuple[str, str], dt.date], today: dt.date) -> int:
    """Days the flag has been open: from the data's Since, else from when it was first sent."""
    start = item.since or firsts.get((item.deal, item.code))
    return (today - start).days if start is not None else 0
