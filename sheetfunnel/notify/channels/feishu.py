"""Feishu / Lark custom bot: an interactive card with a markdown element; ``timestamp`` and
``sign`` in the body (HMAC-SHA256 keyed with ts + "\\n" + secret over an empty message).
Limits: 100 a minute, 5 a second, body at most 20 KB. Mentions: ``<at id=ou_…></at>``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Any

from sheetfunnel.notify.channels.base import (
    ChannelFailure,
    Post,
    base_url,
    http_failure,
    payload_bytes,
)
from sheetfunnel.notify.channels_config import Channel
from sheetfunnel.notify.compose import Delivery, Doc, render_markdown

LIMIT = 20_000
PER_SECOND = 5
PER_MINUTE = 100


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(doc: Doc) -> dict[str, Any]:
    text = render_markdown(doc, heading="")
    if doc.mentions:
        text += "\n" + " ".join(f"<at id={m}></at>" for m in doc.mentions)
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": doc.title}},
        "elements": [{"tag": "markdown", "content": text}]}}


def size(doc: Doc) -> int:
    return payload_bytes(payload(doc)) + 120  # timestamp and sign


def send(delivery: Delivery, channel: Channel, post: Post, now: dt.datetime) -> None:
    body = payload(delivery.doc)
    if channel.secret:
        stamp = int(now.timestamp())
        body = {"timestamp": str(stamp), "sign": sign(channel.secret, stamp), **body}
    answer = post(base_url(channel, ""), body)
    if answer.status not in (200,):
        raise http_failure(channel, answer)
    code = answer.body.get("code", answer.body.get("StatusCode")) \
        if isinstance(answer.body, dict) else None
    if code == 0:
        return
    if code in (19021, 19022):
        raise ChannelFailure(f"the signing secret of channel '{channel.name}' was refused; copy "
                             "the bot's signing secret into the notify config (and check the "
                             "machine's clock)")
    if code in (9499, 11232, 11233):
        raise ChannelFailure(f"channel '{channel.name}' is throttled by Feishu; the rest waits "
                             "for the next run", 1.0)
    raise ChannelFailure(f"channel '{channel.name}' refused the message (Feishu code {code})")
