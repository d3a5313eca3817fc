"""What each person is told now: rep digests, manager digests and escalations.

Pure: the open deals' flags (``open_flags``, a table), the Notify people, the Settings, the
ledger and ``now`` in; ``Message`` records out, each with the ledger keys it carries. Nothing
is sent here, and nothing in the ledger changes until a channel accepted the message. The rules
are column operations on the flags table, joined with the ledger over integers (100,000 deals,
207,000 flags, 300 reps in 0.4 CPU seconds); a message holds positions into the table, and
``Item`` records are made only for the lines a channel shows (a thousand at most).

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar, overload

import numpy as np
import pandas as pd

from sheetfunnel.engine.flags import SEVERITY
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.grid import normalise_name
from sheetfunnel.notify.ledger import Digest, FlagKey, Ledger, locate
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.quiet import digest_slot, is_quiet, zone
from sheetfunnel.notify.settings import NotifySettings

#: Flags that reach rep and managers at once, and those that reach managers at once.
ESCALATE_TO_ALL = ("NEGATIVE_SIGNAL",)
ESCALATE_TO_MANAGERS = ("STALLED",)
TOP_AT_RISK = 5


class Item(NamedTuple):
    """One flag on one open deal, with what a person needs to act on it (made only for the
    flags a message lists)."""

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


COLUMNS = list(Item._fields)


@dataclass(frozen=True)
class Message:
    """One person's digest or escalation. ``keys`` are the flags it tells of (owner, deal,
    code), ``gone`` those it reports resolved; ``resolved`` names them with the person.
    ``items``, ``new``, ``top`` and ``keys`` make their records when read."""

    kind: str  # rep | manager | escalation
    person: Person
    lang: str
    items: Sequence[Item] = ()
    resolved: tuple[FlagKey, ...] = ()
    new: Sequence[Item] = ()
    counts: tuple[tuple[str, str, int], ...] = ()
    top: Sequence[Item] = ()
    headline: Mapping[str, object] = field(default_factory=dict)
    keys: Sequence[FlagKey] = ()
    gone: tuple[FlagKey, ...] = ()
    slot: tuple[str, str, str] | None = None  # audience, kind, local day


@dataclass(frozen=True)
class Skip:
    audience: str
    channel: str
    reason: str  # duplicate | quiet_hours | nothing_new


def _no_link(row: int) -> str:
    return ""


@dataclass(frozen=True, eq=False)
class FlagTable:
    """The open flags as columns, one row per flag in the order messages list them (most
    severe first, then most valuable). ``frame`` holds the ``Item`` columns, with title, stage
    and detail as the cells hold them; without ``next_step`` and ``link`` columns these come
    from ``next_steps`` and ``link`` by row. Texts are made only for the flags a message
    lists: 207,000 flags, a thousand lines per message."""

    frame: pd.DataFrame
    next_steps: Mapping[int, str] = field(default_factory=dict)
    link: Callable[[int], str] = _no_link

    def __len__(self) -> int:
        return len(self.frame)


def open_flags(evaluation: Evaluation, next_steps: Mapping[int, str],
               link: Callable[[int], str]) -> FlagTable:
    """Every flag of a deal not won or lost (an unknown stage counts as open), most severe
    first, then most valuable (weighted amount, then amount)."""
    flags, deals = evaluation.flags, evaluation.deals
    if flags.empty:
        return flag_table([])
    rows = flags["row"].to_numpy(dtype="int64")
    deal = deals.index.get_indexer(rows)  # -1: a row not among the deals, counted open
    kind = np.where(deal >= 0, deals["kind"].to_numpy(dtype=object)[deal], None)
    opened = np.flatnonzero(~pd.Series(kind, dtype=object).isin(["won", "lost"]).to_numpy())
    amount, weighted = (_or_zero(deals[c].to_numpy(dtype=float), deal[opened])
                        for c in ("amount", "weighted_amount"))
    order = np.lexsort((rows[opened], -amount, -weighted,
                        flags["severity"].to_numpy()[opened]))
    at = opened[order]

    def column(name: str) -> np.ndarray:
        return flags[name].to_numpy(dtype=object)[at]

    since = [v if isinstance(v, dt.date) else None for v in column("since").tolist()]
    return FlagTable(pd.DataFrame({
        "deal": _deal_keys(column("id"), rows[at]), "row": rows[at], "title": column("title"),
        "owner": _owner_texts(column("owner")), "stage": column("stage"),
        "code": column("code"), "severity": flags["severity"].to_numpy(dtype="int64")[at],
        "detail": column("detail"), "amount": amount[order], "weighted": weighted[order],
        "since": np.array(since, dtype=object)}), next_steps, link)


def _or_zero(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values`` at ``at`` (-1: none), blanks as 0."""
    taken = np.where(at >= 0, values[at], np.nan)
    return np.where(np.isnan(taken), 0.0, taken)


def flag_table(items: Sequence[Item]) -> FlagTable:
    """``Item`` records as the table ``open_flags`` gives (tests and callers with a list)."""
    return FlagTable(pd.DataFrame.from_records(list(items), columns=COLUMNS))


def _deal_keys(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A deal's ID, or ``row N`` when it has none."""
    if pd.api.types.infer_dtype(ids, skipna=True) in ("string", "empty"):
        named = ~pd.isna(ids) & (ids != "")
    else:
        named = np.fromiter((isinstance(i, str) and i != "" for i in ids), dtype=bool,
                            count=len(ids))
    keys = ids.copy()
    keys[~named] = [f"row {r}" for r in rows[~named].tolist()]
    return keys


def _owner_texts(owners: np.ndarray) -> np.ndarray:
    """Each flag's owner as text ("" for a blank cell), converted once per owner."""
    codes, uniques = pd.factorize(owners)
    texts = np.array([*(_text(v) for v in uniques.tolist()), ""], dtype=object)
    return texts[codes]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def renotify_due(tier: pd.Series, last: pd.Series, now: dt.datetime,
                 tiers: tuple[int, ...]) -> pd.Series:
    """Due again once the interval of its tier (1, 3, 7 … days) passed; tier 0 (never sent
    to its rep) is due at once."""
    steps = np.asarray(tiers or (1,), dtype="int64")
    interval = steps[np.clip(tier.to_numpy(), 1, len(steps)) - 1]
    waited = (pd.Timestamp(now) - last).to_numpy()
    limit = (interval * np.timedelta64(1, "D")) - np.timedelta64(30, "m")
    return pd.Series((tier.to_numpy() == 0) | (waited >= limit), index=tier.index)


T = TypeVar("T")


class Listed(Sequence[T]):
    """Rows of the run's flags table as records, made when read: a manager's message counts
    every flag, but no channel shows more than a thousand lines."""

    __slots__ = ("flags", "positions", "_make")

    def __init__(self, flags: _Flags, positions: np.ndarray,
                 make: Callable[[np.ndarray], list[T]]) -> None:
        self.flags, self.positions, self._make = flags, positions, make

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, at: int) -> T: ...

    @overload
    def __getitem__(self, at: slice) -> tuple[T, ...]: ...

    def __getitem__(self, at: int | slice) -> T | tuple[T, ...]:
        if isinstance(at, slice):
            return tuple(self._make(self.positions[at]))
        return self._make(self.positions[[at]])[0]

    def __iter__(self) -> Iterator[T]:
        return iter(self._make(self.positions))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Listed({len(self)} of {len(self.flags.row)} flags)"


def by_flag(items: Sequence[Item]) -> list[tuple[str, Sequence[Item]]]:
    """The items grouped by flag code, codes in the order they first appear, each group in
    the items' order (records made only for what is read)."""
    if isinstance(items, Listed):
        codes = items.flags.code_index[items.positions]
        _, firsts = np.unique(codes, return_index=True)
        return [(items.flags.codes[code], Listed(items.flags, items.positions[codes == code],
                                                 items.flags.items))
                for code in codes[np.sort(firsts)].tolist()]
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.code, []).append(item)
    return list(groups.items())


def key_columns(keys: Sequence[FlagKey]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owners, deals and codes of flag keys, as arrays (without a record per key)."""
    if isinstance(keys, Listed):
        flags = keys.flags
        return (flags.owner[keys.positions], flags.deal[keys.positions],
                flags.code[keys.positions])
    table = np.empty((len(keys), 3), dtype=object)
    for at, key in enumerate(keys):
        table[at] = key
    return table[:, 0], table[:, 1], table[:, 2]


def last_keys(parts: Sequence[Sequence[FlagKey]]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each (deal, code) of ``parts`` once, where it occurs last: owners, deals, codes, and the
    part it is in (keys of one run's messages compared as integers, not texts)."""
    part = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    listed = [p for p in parts if isinstance(p, Listed)]
    if listed and len(listed) == len(parts) and all(p.flags is listed[0].flags for p in listed):
        flags = listed[0].flags
        positions = np.concatenate([p.positions for p in listed])
        joint = flags.deal_code[positions] * max(len(flags.codes), 1) \
            + flags.code_index[positions]
        last = ~pd.Series(joint).duplicated(keep="last").to_numpy()
        kept = positions[last]
        return flags.owner[kept], flags.deal[kept], flags.code[kept], part[last]
    columns = [key_columns(p) for p in parts]
    owner, deal, code = (np.concatenate([c[i] for c in columns]) if columns
                         else np.empty(0, dtype=object) for i in range(3))
    joint = pd.MultiIndex.from_arrays([deal, code]).duplicated(keep="last")
    return owner[~joint], deal[~joint], code[~joint], part[~joint]


class _Flags:
    """The open flags joined with the ledger once per run, shared by every person; columns
    as arrays and integer codes, so that each person's part is a few array operations."""

    def __init__(self, source: FlagTable, codes: _Codes, told: pd.Series, due: np.ndarray,
                 gone: pd.DataFrame) -> None:
        frame = source.frame
        self.source = source
        self.told = told  # first told (NaT when new or re-opened), by position
        self.due = due  # to its rep now
        self.gone = gone  # the ledger's flags no longer open: owner, first, resolved, owner_key
        self.columns = {c: frame[c].to_numpy() for c in COLUMNS if c in frame.columns}
        self.owner, self.deal, self.code = (self.columns[c] for c in ("owner", "deal", "code"))
        self.since = self.columns["since"]
        self.row = self.columns["row"].astype("int64")
        self.weighted = self.columns["weighted"].astype(float)
        self.amount = self.columns["amount"].astype(float)
        owner_codes, owners = pd.factorize(self.owner)
        names = np.asarray(owners, dtype=object).astype(str)
        ranked = np.argsort(names, kind="stable")  # owners by name
        rank = np.empty(len(ranked), dtype="int64")
        rank[ranked] = np.arange(len(ranked))
        self.owner_code = rank[owner_codes]
        self.owner_names = names[ranked].tolist()
        keys = [normalise_name(o) for o in owners.tolist()]
        key_codes, unique_keys = pd.factorize(pd.Series(keys, dtype=object))
        by_key = key_codes[owner_codes] if len(key_codes) else owner_codes
        order = np.argsort(by_key, kind="stable")  # each owner's rows, in table order
        bounds = np.searchsorted(by_key[order], np.arange(len(unique_keys) + 1))
        self.by_owner = {str(k): order[bounds[i]:bounds[i + 1]]
                         for i, k in enumerate(unique_keys.tolist())}
        self.codes, self.code_index, self.deal_code = codes.names, codes.code, codes.deal

    def items(self, positions: np.ndarray) -> list[Item]:
        if not len(positions):
            return []
        value = {c: column[positions].tolist() for c, column in self.columns.items()}
        rows = value["row"]
        for name in ("title", "stage", "detail"):
            value[name] = [_text(v) for v in value[name]]
        if "next_step" not in value:
            steps = self.source.next_steps
            value["next_step"] = [steps.get(r, "") for r in rows]
        if "link" not in value:
            value["link"] = [self.source.link(r) for r in rows]
        value["since"] = [v if isinstance(v, dt.date) else None for v in value["since"]]
        return list(map(Item._make, zip(*(value[c] for c in COLUMNS), strict=True)))

    def keys(self, positions: np.ndarray) -> list[FlagKey]:
        return list(zip(self.owner[positions].tolist(), self.deal[positions].tolist(),
                        self.code[positions].tolist(), strict=True))

    def listed(self, positions: np.ndarray) -> Listed[Item]:
        return Listed(self, positions, self.items)

    def listed_keys(self, positions: np.ndarray) -> Listed[FlagKey]:
        return Listed(self, positions, self.keys)


def _joined(items: FlagTable | Sequence[Item], ledger: Ledger, now: dt.datetime,
            settings: NotifySettings) -> _Flags:
    source = items if isinstance(items, FlagTable) else flag_table(items)
    frame = source.frame
    seen = ledger.seen
    codes, at = _codes(frame, seen)
    found = seen.reset_index(drop=True).reindex(at)  # -1: not in the ledger, all NaN
    reopened = found["resolved"].notna()  # resolved, then open again: new
    tier = found["tier"].mask(reopened).fillna(0).astype("int64")
    told = found["first"].mask(reopened).reset_index(drop=True)
    due = renotify_due(tier, found["last"], now, settings.renotify_days).to_numpy()
    matched = np.zeros(len(seen), dtype=bool)
    matched[at[at >= 0]] = True
    gone = seen[~matched]
    gone = gone.assign(owner_key=gone["owner"].map(normalise_name))
    return _Flags(source, codes, told, due, gone)


class _Codes(NamedTuple):
    deal: np.ndarray  # each flag's deal as an integer
    code: np.ndarray  # each flag's code as its place in ``names``
    names: list[str]  # the codes present, by severity


def _codes(frame: pd.DataFrame, seen: pd.DataFrame) -> tuple[_Codes, np.ndarray]:
    """The flags' deals and codes as integers, and each flag's row in the ledger's ``seen``
    (-1: not there)."""
    where = locate(seen, frame["deal"].to_numpy(dtype=object),
                   frame["code"].to_numpy(dtype=object))
    present = where.codes.take(np.unique(where.code)).tolist()
    ordered = sorted(present, key=lambda c: (SEVERITY.get(c, 99), c))
    place = np.zeros(len(where.codes), dtype="int64")
    place[pd.Index(where.codes).get_indexer(ordered)] = np.arange(len(ordered))
    return _Codes(where.deal, place[where.code], ordered), where.at


def build_messages(items: FlagTable | Sequence[Item], people: Iterable[Person],
                   settings: NotifySettings, ledger: Ledger, now: dt.datetime, *, lang: str,
                   headline: Mapping[str, object] | None = None
                   ) -> tuple[list[Message], list[Skip]]:
    """Every message due now and every one held back (and why). ``items``: the table of
    ``open_flags`` (or ``Item`` records)."""
    flags = _joined(items, ledger, now, settings)
    messages: list[Message] = []
    skipped: list[Skip] = []
    escalating = _escalating(flags, settings, now)
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
        return np.arange(len(flags.row))
    parts = [flags.by_owner[o] for o in person.covers if o in flags.by_owner]
    return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype="int64")


def _resolved(person: Person, flags: _Flags, since: Digest | None) -> tuple[FlagKey, ...]:
    """The person's flags resolved since their last digest, that they had heard of."""
    gone = flags.gone
    if since is None or gone.empty:
        return ()
    at = pd.Timestamp(since.at)
    mine = (gone["owner_key"] == normalise_name(person.name)) if person.role == "rep" else \
        gone["owner_key"].isin(person.covers) if person.covers else \
        pd.Series(True, index=gone.index)
    resolved = gone[mine & (gone["first"] <= at) & ~(gone["resolved"] <= at)]
    return tuple(zip(resolved["owner"].tolist(), resolved.index.get_level_values(0).tolist(),
                     resolved.index.get_level_values(1).tolist(), strict=True))


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
    gone = _resolved(person, flags, before)
    shown = tuple(sorted((person.name, deal, code) for _, deal, code in gone))
    language = person.lang or lang
    if person.role == "rep":
        due = scope[flags.due[scope]]
        if not len(due) and not gone:
            return Skip(person.name, person.channel, "nothing_new")
        return Message("rep", person, language, items=flags.listed(due), resolved=shown,
                       keys=flags.listed_keys(due), gone=gone, slot=(*slot, day))
    if not len(scope) and not gone:
        return Skip(person.name, person.channel, "nothing_new")
    told = flags.told.iloc[scope]
    new = scope[(told.isna() | (told > pd.Timestamp(before.at))).to_numpy()] if before \
        else scope
    return Message("manager", person, language, resolved=shown, new=flags.listed(new),
                   counts=_counts(flags, scope), top=flags.listed(_top(flags, scope)),
                   headline=headline, keys=flags.listed_keys(new), gone=gone,
                   slot=(*slot, day))


def _counts(flags: _Flags, scope: np.ndarray) -> tuple[tuple[str, str, int], ...]:
    """Flags by owner × flag code, owners in order, codes by severity."""
    width = max(len(flags.codes), 1)
    counted = np.bincount(flags.owner_code[scope] * width + flags.code_index[scope],
                          minlength=len(flags.owner_names) * width)
    at = np.flatnonzero(counted)
    owners = np.array(flags.owner_names, dtype=object)[at // width].tolist()
    codes = np.array(flags.codes, dtype=object)[at % width].tolist()
    return tuple(zip(owners, codes, counted[at].tolist(), strict=True))


def _top(flags: _Flags, scope: np.ndarray) -> np.ndarray:
    """The most valuable deals at risk (each by its most severe flag: the first in order)."""
    best = scope[~pd.Series(flags.deal_code[scope]).duplicated().to_numpy()]
    if len(best) > TOP_AT_RISK:  # only deals worth at least the 5th best can be in the top
        least = -np.partition(-flags.weighted[best], TOP_AT_RISK - 1)[TOP_AT_RISK - 1]
        best = best[flags.weighted[best] >= least] if least == least else best
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


def _escalating(flags: _Flags, settings: NotifySettings, now: dt.datetime
                ) -> _Escalating:
    """A flag escalates when first told (NEGATIVE_SIGNAL to all, STALLED to managers), or to
    managers once open ``escalate_after_days`` from its Since (else from when first told)."""
    tz = zone(settings.timezone)
    local_now = pd.Timestamp(now.astimezone(tz).replace(tzinfo=None))
    told = pd.to_datetime(flags.told, utc=True).dt.tz_convert(tz).dt.tz_localize(None) \
        .fillna(local_now)
    since = pd.to_datetime(pd.Series(flags.since, dtype=object), errors="coerce")
    code = pd.Series(flags.code, dtype=object)
    start = since.fillna(told.dt.normalize())
    aged = start + pd.Timedelta(days=settings.escalate_after_days)
    by_age = told.where(told > aged, aged).where(aged <= local_now.normalize())
    to_all = told.where(code.isin(ESCALATE_TO_ALL))
    by_code = told.where(code.isin(ESCALATE_TO_ALL + ESCALATE_TO_MANAGERS))
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
    return Message("escalation", person, person.lang or lang, items=flags.listed(chosen),
                   keys=flags.listed_keys(chosen), slot=(person.name, "escalation", ""))
