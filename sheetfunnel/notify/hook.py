"""The run's notification step, after a successful write (``run --notify``) or on its own
(``sheetfunnel notify``): read the Notify tab and Settings keys, build the messages, preview or
send them, and write the ledger — one more values write of the state tab.

Shell: the only notify module that touches the workbook, files and the clock's callers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from sheetfunnel.config.sections import sections_from_grids
from sheetfunnel.diff import diff_cells
from sheetfunnel.engine.model import Evaluation
from sheetfunnel.errors import ConfigError, Problem
from sheetfunnel.notify.channels import SENDERS
from sheetfunnel.notify.channels.base import ChannelFailure, Post, http_post
from sheetfunnel.notify.channels.email import mail, send_all
from sheetfunnel.notify.channels_config import (
    ENV_VARIABLE,
    Channel,
    NotifyConfig,
    parse_notify_config,
)
from sheetfunnel.notify.compose import Delivery, Doc, Line, Section, fold, render_plain
from sheetfunnel.notify.deliver import Outcome, deliver
from sheetfunnel.notify.digest import build_messages, open_flags
from sheetfunnel.notify.ledger import ledger_cells, read_ledger, settled
from sheetfunnel.notify.people import Person, read_people
from sheetfunnel.notify.quiet import zone
from sheetfunnel.notify.settings import notify_settings
from sheetfunnel.plan import TabSpec, WritePlan
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.words.notify import notify_words
from sheetfunnel.workbook.base import Snapshot, Workbook

log = logging.getLogger(__name__)


def load_notify_config(path: Path | None, env: Mapping[str, str]) -> NotifyConfig | None:
    """The file given (else ``SHEETFUNNEL_NOTIFY_CONFIG``), or None when neither names one."""
    name = str(path) if path is not None else env.get(ENV_VARIABLE)
    if not name:
        return None
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(name, f"The notify config cannot be read ({exc.strerror}). "
                                   "Check the path given to --notify-config.")]) from None
    return parse_notify_config(text, Path(name).name, env)


@dataclass
class Notifier:
    """What ``run --notify`` and ``notify`` ask for. ``send`` False: nothing is sent and the
    ledger is not written; ``preview`` writes each delivery as a file instead."""

    config: NotifyConfig
    send: bool = True
    preview: Path | None = None
    #: an aware moment instead of the run's own (tests)
    now: dt.datetime | None = None
    post: Post | None = None
    sleep: Callable[[float], None] = time.sleep
    #: people instead of the Notify tab's (the demo's preview)
    people: tuple[Person, ...] | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()

    def __call__(self, workbook: Workbook, snapshot: Snapshot, titles: Mapping[str, str | None],
                 evaluation: Evaluation, headline: Mapping[str, object], lang: str,
                 next_steps: Mapping[int, str], timezone: str, moment: dt.datetime
                 ) -> dict[str, Any]:
        """``moment``: the run's own time on the team's wall clock (``--as-of`` when it is a
        date-time), at which quiet hours and digest times are judged."""
        now = self.now or moment.replace(tzinfo=zone(timezone))
        settings_title, notify_title = titles.get("settings"), titles.get("notify")
        grids = {role: (title, snapshot.tabs[title]) for role, title in
                 (("settings", settings_title), ("notify", notify_title))
                 if title and title in snapshot.tabs}
        sections = sections_from_grids(grids, lang)
        settings, setting_problems = notify_settings(sections.get("settings"), timezone, lang)
        people, people_problems = read_people(sections.get("notify"), self.config.channels, lang)
        people = self.people if self.people is not None else people
        self.problems = setting_problems + people_problems
        for problem in self.problems:
            log.warning("Notify: %s", problem)
        state_grid = snapshot.find(STATE_TAB)
        ledger = read_ledger(state_grid)
        links = Links.of(workbook, snapshot, titles)
        items = open_flags(evaluation, next_steps, links.row)
        messages, skips = build_messages(items, people, settings, ledger, now, lang=lang,
                                         headline=headline)
        kinds = {name: c.kind for name, c in self.config.channels.items()}
        attention = links.attention(notify_words(lang)["attention"])
        self.deliveries = fold(messages, kinds, attention, lang)
        if self.preview is not None:
            write_preview(self.deliveries, self.config, self.preview)
        if not self.send:
            return {"sent": [], "skipped": [{"channel": s.channel, "audience": s.audience,
                                             "reason": s.reason} for s in skips],
                    "failed": [], "would_send": [d.channel for d in self.deliveries]}
        post = self.post or http_post(requests.Session())
        outcome: Outcome = deliver(self.deliveries, self.config, ledger, now, post=post,
                                   sleep=self.sleep, skips=tuple(skips))
        outcome.ledger = settled(outcome.ledger, pd.MultiIndex.from_arrays(
            [items.frame["deal"], items.frame["code"]]), now)
        _write_ledger(workbook, snapshot, outcome)
        return outcome.report()


def _write_ledger(workbook: Workbook, snapshot: Snapshot, outcome: Outcome) -> None:
    """One more values write: the ledger region of the state tab (nothing when unchanged);
    an .xlsx keeps its backup of the run's own save."""
    previous = snapshot.find(STATE_TAB)
    writes = diff_cells(STATE_TAB, previous, ledger_cells(previous, outcome.ledger))
    if writes:
        workbook.apply(WritePlan((TabSpec(STATE_TAB, hidden=True,
                                          tab_id=snapshot.ids.get(STATE_TAB)),), tuple(writes),
                                 keep_backup=True))


@dataclass(frozen=True)
class Links:
    """Where a person opens a deal: a Google Sheet's row URL (gid and range), or for an
    .xlsx file the tab and row."""

    sheet_key: str | None
    opportunities: str
    opportunities_gid: str | None
    attention_tab: str
    attention_gid: str | None

    @classmethod
    def of(cls, workbook: Workbook, snapshot: Snapshot,
           titles: Mapping[str, str | None]) -> Links:
        key = getattr(workbook, "key", None)
        opportunities = titles.get("opportunities") or "Opportunities"
        attention = titles.get("attention") or "Attention"
        return cls(key if isinstance(key, str) else None, opportunities,
                   snapshot.ids.get(opportunities), attention, snapshot.ids.get(attention))

    def _url(self, gid: str | None, cell: str) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.sheet_key}/edit#gid={gid}" \
               f"&range={cell}"

    def row(self, row: int) -> str:
        if self.sheet_key and self.opportunities_gid is not None:
            return self._url(self.opportunities_gid, f"A{row}")
        return f"{self.opportunities}!{row}:{row}"

    def attention(self, label: str) -> Line:
        if self.sheet_key and self.attention_gid is not None:
            return Line(label, self._url(self.attention_gid, "A1"), self.attention_tab)
        return Line(label, None, self.attention_tab)


def write_preview(deliveries: list[Delivery], config: NotifyConfig, folder: Path) -> list[Path]:
    """Each delivery as a file a person opens: .eml for email, the channel's JSON payload
    otherwise (no secret: payloads carry none, the URL is not written)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, delivery in enumerate(deliveries, start=1):
        stem = f"{number:03d}-{_safe(delivery.channel)}-{_safe('-'.join(delivery.audiences))}"
        channel = config.channels.get(delivery.channel)
        if delivery.kind == "email":
            sender = str(channel.options.get("from", "sheetfunnel")) if channel else "sheetfunnel"
            path = folder / f"{stem}.eml"
            path.write_bytes(bytes(mail(delivery.doc, sender, ", ".join(delivery.to) or "—")))
        else:
            module = SENDERS.get(delivery.kind)
            body: Any = {"text": render_plain(delivery.doc)}
            if module is not None:
                body = module.payloads(delivery.doc) if hasattr(module, "payloads") else \
                    module.payload(delivery.doc)
            path = folder / f"{stem}.json"
            path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(path)
    return written


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)[:60] or "x"


def preview_text(deliveries: list[Delivery]) -> str:
    """Every delivery as plain text, for ``notify`` without ``--send``."""
    return "\n\n".join(f"── {d.channel} → {', '.join(d.audiences)}\n{render_plain(d.doc)}"
                       for d in deliveries)


def admin_notice(config: NotifyConfig, workbook: str, what: str, since: str,
                 now: dt.datetime, *, lang: str = "en", post: Post | None = None) -> str | None:
    """Tell the ``[admin]`` channel that a run failed or the config is broken (it needs no
    workbook). Returns the failure sentence, or None when sent (or no admin is configured)."""
    if config.admin is None:
        return None
    words = notify_words(lang)
    body = words["admin_body"].format(workbook=workbook, what=_scrub(what, config), since=since)
    doc = Doc(words["admin_title"], (Section(words["admin_title"], tuple(
        Line(line) for line in body.split("\n"))),), lang=lang)
    return send_one(config, config.admin.channel, doc, (config.admin.to,), now, post)


def send_test_message(config: NotifyConfig, name: str, to: str, now: dt.datetime,
                 post: Post | None = None) -> str | None:
    """``notify --test CHANNEL``: one short message; the failure sentence, or None."""
    if name not in config.channels:
        known = ", ".join(sorted(config.channels)) or "none"
        return f"there is no channel '{name}' in {config.source} (it has: {known})"
    text = notify_words("en")["test"].format(channel=name)
    doc = Doc(text, (Section(text, ()),))
    return send_one(config, name, doc, (to,) if to else (), now, post)


def send_one(config: NotifyConfig, name: str, doc: Doc, to: tuple[str, ...],
             now: dt.datetime, post: Post | None = None) -> str | None:
    channel = config.channels[name]
    failures: list[str] = []
    if channel.kind == "email":
        delivery = Delivery(channel.name, "email", doc, (), to)
        send_all([delivery], channel, lambda d: None, lambda d, p: failures.append(str(p)))
    else:
        try:
            SENDERS[channel.kind].send(Delivery(channel.name, channel.kind, doc, ()), channel,
                                       post or http_post(requests.Session()), now)
        except ChannelFailure as problem:
            failures.append(str(problem))
    return failures[0] if failures else None


def _scrub(text: str, config: NotifyConfig) -> str:
    for secret in config.secrets():
        text = text.replace(secret, "***")
    return text


def preview_people(owners: list[str]) -> tuple[NotifyConfig, tuple[Person, ...]]:
    """A made-up team for a preview without any account: every owner a rep on one DingTalk
    robot, and a manager who gets mail."""
    config = NotifyConfig({
        "team-robot": Channel("team-robot", "dingtalk", "https://oapi.dingtalk.com/robot/send"),
        "mail": Channel("mail", "email", options={"host": "localhost",
                                                  "from": "sheetfunnel@example.com"})})
    people = tuple(Person(owner, "rep", "team-robot", mention=f"1380000{k:04d}")
                   for k, owner in enumerate(owners))
    return config, (*people, Person("Manager", "manager", "mail", email="manager@example.com"))

