"""Send the deliveries of a run: pace each robot within its limits, record in the ledger only
what a channel accepted, and turn every failure into one sentence — one failing channel never
stops the others.

Robots' sends are paced across runs by the send times the ledger keeps (``pace``): a robot
whose per-minute budget is spent is skipped ("rate_limit") and tried next run; within a run
a per-second limit waits (``sleep``, bounded to a few seconds).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetfunnel.notify.channels import SENDERS
from sheetfunnel.notify.channels import email as email_channel
from sheetfunnel.notify.channels.base import ChannelFailure, Post
from sheetfunnel.notify.channels_config import NotifyConfig
from sheetfunnel.notify.compose import Delivery, fit
from sheetfunnel.notify.digest import Message, Skip, key_columns, last_keys
from sheetfunnel.notify.ledger import Digest, FlagKey, Ledger, keep_recent, locate

log = logging.getLogger(__name__)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


@dataclass
class Outcome:
    """The report's ``notifications`` and the ledger to write."""

    ledger: Ledger
    sent: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}


def _carried(delivery: Delivery) -> list[str]:
    columns = [key_columns(m.keys) for m in delivery.messages]
    if not columns:
        return []
    deals, codes = (np.concatenate([c[i] for c in columns]) for i in (1, 2))
    return pd.unique(deals + "/" + codes).tolist()  # type: ignore[no-any-return]


def _entry(delivery: Delivery, **more: Any) -> dict[str, Any]:
    return {"channel": delivery.channel, "audience": ", ".join(delivery.audiences),
            "kinds": sorted({m.kind for m in delivery.messages}),
            "flags": _carried(delivery), **more}


def record(ledger: Ledger, messages: Iterable[Message], now: dt.datetime) -> Ledger:
    """The ledger after ``messages`` were accepted (``now``: the run's moment): the flags they
    told of are known (first told now when new or re-opened), those of rep digests sent once
    more (their tier up), those reported resolved marked so, their digests taken."""
    told: list[Sequence[FlagKey]] = []
    sent: list[Sequence[FlagKey]] = []
    gone: list[FlagKey] = []
    digests = dict(ledger.digests)
    for message in messages:
        (sent if message.kind == "rep" else told).append(message.keys)
        gone.extend(message.gone)
        if message.slot is not None:
            audience, kind, day = message.slot
            digests[(audience, kind)] = Digest(day, now)
    seen = ledger.seen
    moment = pd.Timestamp(now).tz_convert("UTC")
    if gone:
        at = pd.MultiIndex.from_tuples([k[1:] for k in gone]).intersection(seen.index)
        seen = seen.copy()
        seen.loc[at, "resolved"] = seen.loc[at, "resolved"].fillna(moment)
    # a key told and sent keeps the owner it was sent with
    owner, deal, code, part = last_keys(told + sent)
    if len(deal):
        where = locate(seen, deal, code)
        rep = part >= len(told)
        index = pd.MultiIndex(levels=[where.deals, where.codes], codes=[where.deal, where.code],
                              names=["deal", "code"], verify_integrity=False)
        known = seen.reset_index(drop=True).reindex(where.at).set_axis(index)
        fresh = known["first"].isna() | known["resolved"].notna()
        tier = known["tier"].where(~fresh, 0).fillna(0).astype("int64") + rep
        last = known["last"].where(~fresh, moment).mask(rep, moment)
        updated = pd.DataFrame({"owner": owner, "first": known["first"].where(
            ~fresh, moment), "last": last, "tier": tier,
            "resolved": pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")},
            index=index)
        matched = np.zeros(len(seen), dtype=bool)
        matched[where.at[where.at >= 0]] = True
        seen = pd.concat([seen[~matched], updated]) if len(seen) else updated
    return dataclasses.replace(ledger, seen=seen, digests=digests)


def deliver(deliveries: list[Delivery], config: NotifyConfig, ledger: Ledger,
            now: dt.datetime, *, post: Post,
            sleep: Callable[[float], None], skips: tuple[Skip, ...] = (),
            wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> Outcome:
    """Send each delivery (``now`` decides pacing and the ledger's times; ``wall`` is the
    real clock that signatures carry, which a robot checks against its own)."""
    outcome = Outcome(ledger, skipped=[{"channel": s.channel, "audience": s.audience,
                                        "reason": s.reason} for s in skips])

    told: list[Message] = []  # recorded once at the end, at the run's moment

    def accepted(delivery: Delivery) -> None:
        told.extend(delivery.messages)
        outcome.sent.append(_entry(delivery))
        log.info("Notified %s through channel '%s'", ", ".join(delivery.audiences),
                 delivery.channel)

    def failed(delivery: Delivery, problem: ChannelFailure) -> None:
        outcome.failed.append(_entry(delivery, reason=str(problem)))
        log.warning("Notification not delivered: %s", problem)

    mails: dict[str, list[Delivery]] = {}
    clock = now
    for delivery in deliveries:
        channel = config.channels.get(delivery.channel)
        if channel is None:
            failed(delivery, ChannelFailure(f"channel '{delivery.channel}' is not in the notify "
                                            "config; add it there or fix the Notify tab"))
            continue
        if channel.kind == "email":
            mails.setdefault(channel.name, []).append(dataclasses.replace(
                delivery, doc=fit(delivery.doc, email_channel.size, email_channel.LIMIT)))
            continue
        module = SENDERS[channel.kind]
        sized = dataclasses.replace(delivery, doc=fit(delivery.doc, module.size, module.LIMIT))
        recent = keep_recent(outcome.ledger.pace.get(channel.name, ()), clock, MINUTE)
        if len(recent) >= getattr(module, "PER_MINUTE", 10**6):
            outcome.skipped.append(_entry(delivery, reason="rate_limit"))
            continue
        per_second = getattr(module, "PER_SECOND", None)
        if per_second and len(keep_recent(recent, clock, SECOND)) >= per_second:
            sleep(1.0)
            clock += SECOND
        try:
            module.send(sized, channel, post, wall())
        except ChannelFailure as problem:
            failed(sized, problem)
            continue
        outcome.ledger = dataclasses.replace(outcome.ledger, pace={
            **outcome.ledger.pace, channel.name: (*recent, clock)})
        accepted(sized)
    for name, group in mails.items():
        email_channel.send_all(group, config.channels[name], accepted, failed)
    outcome.ledger = record(outcome.ledger, told, now)
    return outcome
