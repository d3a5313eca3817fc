"""Microsoft Teams (Workflows webhook): an Adaptive Card in ``attachments``; the URL is signed
(the secret). Limit: about 28 KB a message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.notify.channels.base import Post, base_url, http_failure, payload_bytes
from sheetfunnel.notify.channels_config import Channel
from sheetfunnel.notify.compose import Delivery, Doc, with_link

LIMIT = 28_000
CARD = "application/vnd.microsoft.card.adaptive"


def payload(doc: Doc) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": doc.title, "weight": "Bolder", "size": "Medium",
         "wrap": True}]
    link = lambda t, u: f"[{t}]({u})"  # noqa: E731
    for section in doc.sections:
        body.append({"type": "TextBlock", "text": section.heading, "weight": "Bolder",
                     "wrap": True, "spacing": "Medium"})
        if section.lines:
            body.append({"type": "TextBlock", "wrap": True, "text": "\n".join(
                "- " + with_link(line, link) for line in section.lines)})
    if doc.footer is not None:
        body.append({"type": "TextBlock", "wrap": True, "text": with_link(doc.footer, link)})
    return {"type": "message", "attachments": [{"contentType": CARD, "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard", "version": "1.4", "body": body}}]}


def size(doc: Doc) -> int:
    return payload_bytes(payload(doc))


def send(delivery: Delivery, channel: Channel, post: Post, now: dt.datetime) -> None:
    answer = post(base_url(channel, ""), payload(delivery.doc))
    if answer.status not in (200, 202):
        raise http_failure(channel, answer)
