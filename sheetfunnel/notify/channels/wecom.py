"""WeCom (企业微信) group robot: markdown of at most 4,096 bytes, the key in the URL; members
are mentioned in a short text message after it, by user ID (``mentioned_list``) or mobile
(``mentioned_mobile_list``), so that 300 mentions never crowd out the digest. Limit: 20
messages a minute."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.notify.channels.base import ChannelFailure, Post, base_url, http_failure
from sheetfunnel.notify.channels_config import Channel
from sheetfunnel.notify.compose import Delivery, Doc, render_markdown
from sheetfunnel.words.notify import notify_words

LIMIT = 4096
PER_MINUTE = 20


def content(doc: Doc) -> str:
    return render_markdown(doc)


def payloads(doc: Doc) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"msgtype": "markdown", "markdown": {"content": content(doc)}}]
    mobiles = [m for m in doc.mentions if m.lstrip("+").isdigit()]
    users = [m for m in doc.mentions if m not in mobiles]
    if doc.mentions:
        mentioned = {"mentioned_list": users} if users else {}
        found.append({"msgtype": "text", "text": {
            "content": notify_words(doc.lang)["attention"], **mentioned,
            **({"mentioned_mobile_list": mobiles} if mobiles else {})}})
    return found


def size(doc: Doc) -> int:
    """The markdown content's bytes: what WeCom limits to 4,096."""
    return len(content(doc).encode("utf-8"))


def send(delivery: Delivery, channel: Channel, post: Post, now: dt.datetime) -> None:
    url = base_url(channel, "")
    for body in payloads(delivery.doc):
        answer = post(url, body)
        if answer.status != 200:
            raise http_failure(channel, answer)
        code = answer.body.get("errcode") if isinstance(answer.body, dict) else None
        if code == 0:
            continue
        if code == 45009:
            raise ChannelFailure(f"channel '{channel.name}' is throttled by WeCom (over 20 "
                                 "messages a minute); the rest waits for the next run", 60.0)
        if code == 40058:
            raise ChannelFailure(f"channel '{channel.name}' refused the message as too long "
                                 "for WeCom (4,096 bytes of markdown)")
        if code in (93000, 40008):
            raise ChannelFailure(f"channel '{channel.name}' refused the robot's key; check its "
                                 "url (or key) in the notify config")
        raise ChannelFailure(f"channel '{channel.name}' refused the message (WeCom errcode "
                             f"{code})")
