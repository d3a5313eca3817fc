"""What every webhook channel shares: one POST with a timeout, answers read as JSON, and the
one failure type whose sentence never holds a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from sheetfunnel.notify.channels_config import Channel

TIMEOUT = 10.0


class ChannelFailure(Exception):
    """A channel refused or could not be reached: ``str()`` is one sentence for the log and
    the report; ``retry_after`` (seconds) when the channel said to slow down."""

    def __init__(self, sentence: str, retry_after: float | None = None) -> None:
        super().__init__(sentence)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    retry_after: float | None = None


Post = Callable[[str, dict[str, Any]], Answer]


def http_post(session: requests.Session) -> Post:
    """POST JSON with ``session``; a network error becomes ChannelFailure without the URL."""
    def post(url: str, payload: dict[str, Any]) -> Answer:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            reply = session.post(url, data=data, timeout=TIMEOUT,
                                 headers={"Content-Type": "application/json; charset=utf-8"})
        except requests.RequestException as exc:
            raise ChannelFailure(f"could not be reached ({type(exc).__name__}); check its url "
                                 "and the network") from None
        try:
            body: Any = reply.json()
        except ValueError:
            body = reply.text
        after = reply.headers.get("Retry-After")
        return Answer(reply.status_code, body,
                      float(after) if after and after.replace(".", "").isdigit() else None)
    return post


def payload_bytes(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def base_url(channel: Channel, default: str) -> str:
    """The channel's url with its host swapped for ``base_url`` when one is configured."""
    base = str(channel.options.get("base_url") or "")
    if not base:
        return channel.url or default
    path = channel.url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    return base.rstrip("/") + path


def http_failure(channel: Channel, answer: Answer) -> ChannelFailure:
    if answer.status == 429:
        return ChannelFailure(f"channel '{channel.name}' is throttled (too many messages); the "
                              "rest waits for the next run", answer.retry_after)
    if answer.status in (401, 403, 404, 410):
        return ChannelFailure(f"channel '{channel.name}' refused the webhook url (HTTP "
                              f"{answer.status}); check its url in the notify config")
    return ChannelFailure(f"channel '{channel.name}' answered HTTP {answer.status}; it is "
                          "retried on the next run")
