"""DingTalk custom robot: markdown with ``at.atMobiles``/``atUserIds``, signed with
``timestamp`` + ``sign`` = Base64(HMAC-SHA256(secret, ts + "\\n" + secret)), URL-encoded.
Limit: 20 messages a minute per robot (more throttles it for 10 minutes)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import urllib.parse
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
PER_MINUTE = 20


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return urllib.parse.quote_plus(base64.b64encode(digest.digest()).decode())


def payload(doc: Doc) -> dict[str, Any]:
    mobiles = [m for m in doc.mentions if m.lstrip("+").isdigit()]
    users = [m for m in doc.mentions if m not in mobiles]
    text = render_markdown(doc)
    if doc.mentions:
        text += "\n\n" + " ".join(f"@{m}" for m in doc.mentions)
    return {"msgtype": "markdown", "markdown": {"title": doc.title, "text": text},
            "at": {"atMobiles": mobiles, "atUserIds": users, "isAtAll": False}}


def size(doc: Doc) -> int:
    return payload_bytes(payload(doc))


def send(delivery: Delivery, channel: Channel, post: Post, now: dt.datetime) -> None:
    url = base_url(channel, "")
    if channel.secret:
        stamp = int(now.timestamp() * 1000)
        joiner = "&" if "?" in url else "?"
        url += f"{joiner}timestamp={stamp}&sign={sign(channel.secret, stamp)}"
    answer = post(url, payload(delivery.doc))
    if answer.status != 200:
        raise http_failure(channel, answer)
    code = answer.body.get("errcode") if isinstance(answer.body, dict) else None
    if code == 0:
        return
    if code == 310000:
        raise ChannelFailure(f"the signing secret of channel '{channel.name}' was refused; copy "
                             "the robot's SEC… secret into the notify config")
    if code in (130101, 660026):
        raise ChannelFailure(f"channel '{channel.name}' is throttled by DingTalk (over 20 "
                             "messages a minute); the rest waits for the next run", 600.0)
    if code in (300001, 400013, 400101, 40035):
        raise ChannelFailure(f"channel '{channel.name}' refused the robot's access token; check "
                             "its url in the notify config")
    raise ChannelFailure(f"channel '{channel.name}' refused the message (DingTalk errcode "
                         f"{code}); check the robot's settings (keywords, IP list)")
