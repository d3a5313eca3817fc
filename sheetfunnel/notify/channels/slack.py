"""Slack incoming webhook: blocks of mrkdwn with a plain ``text`` fallback; the URL is the
secret. Limit: one message a second. Mentions: ``<@U…>``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.notify.channels.base import (
    ChannelFailure,
    Post,
    base_url,
    http_failure,
    payload_bytes,
)
from sheetfunnel.notify.channels_config import Channel
from sheetfunnel.notify.compose import Delivery, Doc, render_markdown, render_plain

LIMIT = 38_000  # 50 blocks of 3,000 characters at most; a payload kept well under Slack's cap
BLOCK_TEXT = 3000
PER_SECOND = 1


def mrkdwn(doc: Doc) -> str:
    return render_markdown(doc, link=lambda t, u: f"<{u}|{t}>", bold=lambda t: f"*{t}*",
                           bullet="• ", heading="")


def payload(doc: Doc) -> dict[str, Any]:
    text = "\n".join([*_mention_lines(doc.mentions), mrkdwn(doc)])
    chunks, current = [], ""
    for line in text.split("\n"):
        if current and len(current) + len(line) + 1 > BLOCK_TEXT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:BLOCK_TEXT]
    chunks.append(current)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks[:50]]
    return {"text": render_plain(doc)[:3000], "blocks": blocks}


def _mention_lines(mentions: tuple[str, ...]) -> list[str]:
    """The @-mentions, as many to a line as a block holds (300 reps need two blocks)."""
    lines: list[str] = []
    current = ""
    for tag in (f"<@{m}>" for m in mentions):
        if current and len(current) + 1 + len(tag) > BLOCK_TEXT:
            lines.append(current)
            current = ""
        current = f"{current} {tag}" if current else tag
    return [*lines, current] if current else lines


def size(doc: Doc) -> int:
    return payload_bytes(payload(doc))


def send(delivery: Delivery, channel: Channel, post: Post, now: dt.datetime) -> None:
    answer = post(base_url(channel, ""), payload(delivery.doc))
    if answer.status == 200:
        return
    if answer.status == 429:
        raise ChannelFailure(f"channel '{channel.name}' is throttled by Slack (one message a "
                             "second); the rest waits for the next run", answer.retry_after)
    if answer.status in (403, 404, 410) or answer.body in ("invalid_token", "no_service"):
        raise ChannelFailure(f"channel '{channel.name}' refused the webhook url (Slack says "
                             f"{answer.body}); create a new incoming webhook and update its url")
    raise http_failure(channel, answer)
