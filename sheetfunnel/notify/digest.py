"""What each person is told now: rep digests, manager digests and escalations.

Pure: the open deals' flags (``open_flags``, a table), the Notify people, the Settings, the
ledger and ``now`` in; ``Message`` records out, each with the ledger keys it carries. Nothing
is sent here, and nothing in the ledger changes until a channel accepted the message. The rules
are column operations on the flags table (100,000 deals, 187,000 flags, 300 reps in about a
second); ``Item`` tuples are made only for what a message lists.

Rules (issue #15): a flag goes to its owner's rep when it is new or its re-notify interval
passed (``renotify_days`` tiered by how often it was sent); a flag resolved since a person's
last digest, that they had heard of, is listed once; a manager hears counts owner × flag, what
is new since their last digest and what resolved, the top deals at risk; NEGATIVE_SIGNAL
escalates to rep and managers at once, STALLED and any flag open for ``escalate_after_days``
to managers — each once, as it comes to qualify after that person's last escalation. Digests
go out once per local day after Digest At; nothing in quiet hours.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sheetfunnel.engine.flags import SEVERITY
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import normalise_name
from sheetfunnel.notify.ledger import Digest, FlagKey, Ledger
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.quiet import digest_slot, is_quiet, zone
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
    """One person's digest or escalation. ``keys`` are the flags it tells of (owner, deal,
    code), ``gone`` those it reports resolved; ``resolved`` names them with the person."""

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


COLUMNS = list(Item._fields)


def deal_key(ids: pd.Series, rows: Iterable[int]) -> list[str]:
    return [str(i) if isinstance(i, str) and i else f"row {r}"
            for i, r in zip(ids, rows, strict=True)]


def open_flags(evaluation: Evaluation, next_steps: Mapping[int, str],
               link: Callable[[int], str]) -> pd.DataFrame:
    """Every flag of a deal not won or lost (an unknown stage counts as open), most severe
    first, then most valuable (weighted amount, then amount): a table of ``Item`` columns."""
    flags, deals = evaluation.flags, evaluation.deals
    if flags.empty:
        return flag_table([])
    kind = deals["kind"].reindex(flags["row"]).to_numpy()
    table = flags[~pd.Series(kind).isin(["won", "lost"]).to_numpy()]
    amount = deals["amount"].reindex(table["row"]).fillna(0.0).to_numpy()
    weighted = deals["weighted_amount"].reindex(table["row"]).fillna(0.0).to_numpy()
    table = table.assign(amount_=amount, weighted_=weighted).sort_values(
        ["severity", "weighted_", "amount_", "row"], ascending=[True, False, False, True],
        kind="stable")
    rows = table["row"].astype("int64").tolist()
    since = [v if isinstance(v, dt.date) else None for v in table["since"].tolist()]
    return pd.DataFrame({
        "deal": deal_key(table["id"], rows), "row": rows,
        **{c: _texts(table[c]) for c in ("title", "owner", "stage")},
        "code": table["code"].tolist(), "severity": table["severity"].astype(int).tolist(),
        "detail": _texts(table["detail"]), "next_step": [next_steps.get(r, "") for r in rows],
        "amount": table["amount_"].tolist(), "weighted": table["weighted_"].tolist(),
        "link": [link(r) for r in rows], "since": since})


def flag_table(items: Sequence[Item]) -> pd.DataFrame:
    """``Item`` records as the table ``open_flags`` gives (tests and callers with a list)."""
    return pd.DataFrame.from_records(list(items), columns=COLUMNS)


def _texts(values: pd.Series) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in values.tolist()]


def renotify_due(tier: pd.Series, last: pd.Series, now: dt.datetime,
                 tiers: tuple[int, ...]) -> pd.Series:
    """Due again once the interval of its tier (1, 3, 7 … days) passed; tier 0 (never sent
    to its rep) is due at once."""
    steps = np.asarray(tiers or (1,), dtype="int64")
    interval = steps[np.clip(tier.to_numpy(), 1, len(steps)) - 1]
    waited = (pd.Timestamp(now) - last).to_numpy()
    limit = (interval * np.timedelta64(1, "D")) - np.timedelta64(30, "m")
    return pd.Series((tier.to_numpy() == 0) | (waited >= limit), index=tier.index)


class _Flags:
    """The open flags joined with the ledger once per run, shared by every person; columns
    as plain lists and integer codes, so that each person's part is a few array operations."""

    def __init__(self, table: pd.DataFrame, gone: pd.DataFrame) -> None:
        self.table = table  # Item columns + owner_key, told (first told, NaT when new), due
        self.gone = gone  # the ledger's flags no longer open: owner, first, resolved, owner_key
        owner_codes, owners = pd.factorize(table["owner_key"])
        order = np.argsort(owner_codes, kind="stable")  # each owner's rows, in table order
        bounds = np.searchsorted(owner_codes[order], np.arange(len(owners) + 1))
        self.by_owner = {str(k): order[bounds[i]:bounds[i + 1]] for i, k in enumerate(owners)}
        names, self.owner_code = np.unique(table["owner"].to_numpy(dtype=object).astype(str),
                                           return_inverse=True)
        self.owner_names = names.tolist()
        codes = sorted(set(table["code"].tolist()), key=lambda c: (SEVERITY.get(c, 99), c))
        self.codes = codes
        self.code_index = pd.Index(codes).get_indexer(table["code"])
        self.deal_code = pd.factorize(table["deal"])[0]
        self.weighted = table["weighted"].to_numpy(dtype=float)
        self.amount = table["amount"].to_numpy(dtype=float)
        self.row = table["row"].to_numpy(dtype="int64")
        self._columns = [table[c].tolist() for c in COLUMNS]
        self._items: list[Item] | None = None
        self._keys: list[FlagKey] | None = None

    def items(self, positions: np.ndarray) -> tuple[Item, ...]:
        if self._items is None:
            self._items = list(map(Item._make, zip(*self._columns, strict=True)))
        return _pick(self._items, positions)

    def keys(self, positions: np.ndarray) -> tuple[FlagKey, ...]:
        if self._keys is None:
            self._keys = list(zip(*(self._columns[COLUMNS.index(c)] for c in (
                "owner", "deal", "code")), strict=True))
        return _pick(self._keys, positions)


def _pick(values: list[Any], positions: np.ndarray) -> tuple[Any, ...]:
    """``values`` at ``positions``, at C speed."""
    if len(positions) < 2:
        return tuple(values[p] for p in positions.tolist())
    return operator.itemgetter(*positions.tolist())(values)  # type: ignore[no-any-return]


def _joined(items: pd.DataFrame | Sequence[Item], ledger: Ledger, now: dt.datetime,
            settings: NotifySettings) -> _Flags:
    table = items if isinstance(items, pd.DataFrame) else flag_table(items)
    table = table.reset_index(drop=True)
    owners = pd.Series(pd.unique(table["owner"]), dtype=object)
    keys = dict(zip(owners, owners.map(normalise_name), strict=True))
    table = table.assign(owner_key=table["owner"].map(keys))
    seen = ledger.seen
    at = pd.MultiIndex.from_arrays([table["deal"], table["code"]])
    found = seen.reindex(at)
    found.index = table.index
    reopened = found["resolved"].notna()  # resolved, then open again: new
    tier = found["tier"].mask(reopened).fillna(0).astype("int64")
    table = table.assign(told=found["first"].mask(reopened), due=renotify_due(
        tier, found["last"], now, settings.renotify_days))
    gone = seen[~seen.index.isin(at)]
    gone = gone.assign(owner_key=gone["owner"].map(normalise_name))
    return _Flags(table, gone)


def build_messages(items: pd.DataFrame | Sequence[Item], people: Iterable[Person],
                   settings: NotifySettings, ledger: Ledger, now: dt.datetime, *, lang: str,
                   headline: Mapping[str, object] | None = None
                   ) -> tuple[list[Message], list[Skip]]:
    """Every message due now and every one held back (and why). ``items``: the table of
    ``open_flags`` (or ``Item`` records)."""
    flags = _joined(items, ledger, now, settings)
    messages: list[Message] = []
    skipped: list[Skip] = []
    escalating = _escalating(flags.table, settings, now)
    for person in people:
        if person.role == "admin":
            continue
        scope = _scope(person, flags)
        if is_quiet(person, settings, now):
            if len(scope) or (person.name, person.role) in ledger.digests:
                skipped.append(Skip(person.name, person.channel, "quiet_hours"))
            continue
        digest = _digest(person, scope, flags, settings, ledger, now, lang, headline or {})
        if isinstance(digest, Skip):
            skipped.append(digest)
        elif digest is not None:
            messages.append(digest)
        escalation = _escalation(person, scope, flags, escalating, ledger, lang)
        if escalation is not None:
            messages.append(escalation)
    return messages, skipped


def _scope(person: Person, flags: _Flags) -> np.ndarray:
    """Positions of the person's flags in the table (in its order: most severe first)."""
    if person.role == "rep":
        return flags.by_owner.get(normalise_name(person.name), np.empty(0, dtype="int64"))
    if not person.covers:
        return np.arange(len(flags.table))
    parts = [flags.by_owner[o] for o in person.covers if o in flags.by_owner]
    return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype="int64")


def _resolved(person: Person, flags: _Flags, since: Digest | None) -> pd.DataFrame:
    """The person's flags resolved since their last digest, that they had heard of."""
    gone = flags.gone
    if since is None or gone.empty:
        return gone.iloc[:0]
    at = pd.Timestamp(since.at)
    mine = (gone["owner_key"] == normalise_name(person.name)) if person.role == "rep" else \
        gone["owner_key"].isin(person.covers) if person.covers else \
        pd.Series(True, index=gone.index)
    return gone[mine & (gone["first"] <= at) & ~(gone["resolved"] <= at)]


def _digest(person: Person, scope: np.ndarray, flags: _Flags, settings: NotifySettings,
            ledger: Ledger, now: dt.datetime, lang: str, headline: Mapping[str, object]
            ) -> Message | Skip | None:
    day = digest_slot(person, settings, now)
    if day is None:
        return None
    slot = (person.name, person.role)
    before = ledger.digests.get(slot)
    if before is not None and before.day == day:
        return Skip(person.name, person.channel, "duplicate")
    resolved = _resolved(person, flags, before)
    gone = tuple(zip(resolved["owner"].tolist(), resolved.index.get_level_values(0).tolist(),
                     resolved.index.get_level_values(1).tolist(), strict=True))
    shown = tuple(sorted((person.name, deal, code) for _, deal, code in gone))
    language = person.lang or lang
    table = flags.table
    if person.role == "rep":
        due = scope[table["due"].to_numpy()[scope]]
        if not len(due) and not gone:
            return Skip(person.name, person.channel, "nothing_new")
        return Message("rep", person, language, items=flags.items(due), resolved=shown,
                       keys=flags.keys(due), gone=gone, slot=(*slot, day))
    if not len(scope) and not gone:
        return Skip(person.name, person.channel, "nothing_new")
    told = table["told"].iloc[scope]
    new = scope[(told.isna() | (told > pd.Timestamp(before.at))).to_numpy()] if before \
        else scope
    return Message("manager", person, language, resolved=shown, new=flags.items(new),
                   counts=_counts(flags, scope), top=flags.items(_top(flags, scope)),
                   headline=headline, keys=flags.keys(new), gone=gone, slot=(*slot, day))


def _counts(flags: _Flags, scope: np.ndarray) -> tuple[tuple[str, str, int], ...]:
    """Flags by owner × flag code, owners in order, codes by severity."""
    width = max(len(flags.codes), 1)
    counted = np.bincount(flags.owner_code[scope] * width + flags.code_index[scope],
                          minlength=len(flags.owner_names) * width)
    return tuple((flags.owner_names[at // width], flags.codes[at % width], int(counted[at]))
                 for at in np.flatnonzero(counted).tolist())


def _top(flags: _Flags, scope: np.ndarray) -> np.ndarray:
    """The most valuable deals at risk (each by its most severe flag: the first in order)."""
    _, firsts = np.unique(flags.deal_code[scope], return_index=True)
    best = scope[np.sort(firsts)]
    order = np.lexsort((flags.row[best], -flags.amount[best], -flags.weighted[best]))
    return best[order[:TOP_AT_RISK]]


@dataclass(frozen=True)
class _Escalating:
    """When each flag came to need an escalation, on the team's wall clock (NaT: never)."""

    to_all: np.ndarray  # for rep and managers
    to_managers: np.ndarray
    zone: dt.tzinfo

    def since(self, moment: dt.datetime) -> np.datetime64:
        return np.datetime64(moment.astimezone(self.zone).replace(tzinfo=None))


def _escalating(table: pd.DataFrame, settings: NotifySettings, now: dt.datetime
                ) -> _Escalating:
    """A flag escalates when first told (NEGATIVE_SIGNAL to all, STALLED to managers), or to
    managers once open ``escalate_after_days`` from its Since (else from when first told)."""
    tz = zone(settings.timezone)
    local_now = pd.Timestamp(now.astimezone(tz).replace(tzinfo=None))
    told = pd.to_datetime(table["told"], utc=True).dt.tz_convert(tz).dt.tz_localize(None) \
        .fillna(local_now)
    since = pd.to_datetime(table["since"], errors="coerce")
    start = since.fillna(told.dt.normalize())
    aged = start + pd.Timedelta(days=settings.escalate_after_days)
    by_age = told.where(told > aged, aged).where(aged <= local_now.normalize())
    to_all = told.where(table["code"].isin(ESCALATE_TO_ALL))
    by_code = told.where(table["code"].isin(ESCALATE_TO_ALL + ESCALATE_TO_MANAGERS))
    managers = by_code.where(by_code.notna() & ~(by_age < by_code), by_age)
    return _Escalating(to_all.to_numpy(), managers.to_numpy(), tz)


def _escalation(person: Person, scope: np.ndarray, flags: _Flags, escalating: _Escalating,
                ledger: Ledger, lang: str) -> Message | None:
    """The flags of the person's scope that came to need escalating since their last."""
    before = ledger.digests.get((person.name, "escalation"))
    when = (escalating.to_all if person.role == "rep" else escalating.to_managers)[scope]
    wanted = ~pd.isna(when)
    if before is not None:
        wanted &= when > escalating.since(before.at)
    chosen = scope[wanted]
    if not len(chosen):
        return None
    return Message("escalation", person, person.lang or lang, items=flags.items(chosen),
                   keys=flags.keys(chosen), slot=(person.name, "escalation", ""))
