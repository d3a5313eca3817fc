"""The fleet's notifications: a ``notify = true`` workbook's run sends what ``run --notify``
sends, through the same hook (``sheetfunnel.notify.hook.Notifier``) and the operator's notify
config (``--notify-config`` of the worker, else ``SHEETFUNNEL_NOTIFY_CONFIG``, else the
registry's ``notify_config``).

Workers share chat robots, so each robot message first passes the Redis gate (``Gate.pace``)
under a hash of the robot's URL — never the URL, which holds the secret: the workers together
keep a robot's limits. A robot that throttles anyway pauses it for every worker. A failure
streak's start is kept in Redis, so whichever worker sees a failure tells the admin since when,
once per streak.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import redis

from sheetfunnel.errors import ConfigError, Problem
from sheetfunnel.fleet.gate import Gate
from sheetfunnel.notify.channels import SENDERS
from sheetfunnel.notify.channels.base import Answer, ChannelFailure, Post, base_url
from sheetfunnel.notify.channels_config import ENV_VARIABLE, NotifyConfig
from sheetfunnel.notify.hook import admin_notice, load_notify_config

log = logging.getLogger(__name__)

#: Seconds a robot message may wait for its place before it is left for the next run.
ROBOT_PATIENCE = 10.0
#: Added to each robot window: a robot counts arrivals, which trail the gate by a little.
ROBOT_MARGIN = 0.2
#: What a robot answers when throttled: kind -> error codes in the body (HTTP 429 for all).
THROTTLED = {"dingtalk": {130101, 660026}, "wecom": {45009}, "feishu": {11232, 11233}}
#: Seconds every worker leaves a throttled robot alone (DingTalk's is ten minutes).
THROTTLE_PAUSE = {"dingtalk": 600.0, "wecom": 60.0, "feishu": 1.0, "slack": 1.0}


def fleet_notify_config(given: Path | None, registry_value: str | None, home: Path,
                        where: str) -> NotifyConfig:
    """The notify config a ``notify = true`` workbook's run uses; ConfigError saying where to
    name one when there is none."""
    path = given
    if path is None and registry_value and not os.environ.get(ENV_VARIABLE):
        path = home / registry_value
    config = load_notify_config(path, os.environ)
    if config is None:
        raise ConfigError([Problem(where, "is true but the fleet has no notify config: set "
                                          'notify_config = "notify.toml" at the top of the '
                                          "registry, or start the workers with --notify-config "
                                          "FILE (or SHEETFUNNEL_NOTIFY_CONFIG).")])
    return config


def robot_limits(kind: str) -> tuple[tuple[int, float], ...]:
    """(messages, seconds) a robot of ``kind`` accepts, from its channel module."""
    module = SENDERS.get(kind)
    found = ((getattr(module, "PER_MINUTE", None), 60.0), (getattr(module, "PER_SECOND", None),
                                                            1.0))
    return tuple((count, seconds + ROBOT_MARGIN) for count, seconds in found if count)


def robot_id(url: str) -> str:
    """A robot's name in Redis and logs: a hash of its URL (which holds its secret)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def paced_post(gate: Gate, config: NotifyConfig, post: Post, *,
               patience: float = ROBOT_PATIENCE) -> Post:
    """``post`` with each message to a rate-limited robot first taking its place in the
    shared gate; a robot out of places answers ChannelFailure (tried again next run)."""
    robots = sorted(((base_url(channel, ""), channel) for channel in config.channels.values()
                     if robot_limits(channel.kind) or channel.kind in THROTTLE_PAUSE),
                    key=lambda found: len(found[0]), reverse=True)

    def send(url: str, payload: dict[str, Any]) -> Answer:
        found = next(((prefix, channel) for prefix, channel in robots
                      if prefix and url.startswith(prefix)), None)
        if found is None:
            return post(url, payload)
        prefix, channel = found
        robot, limits = robot_id(prefix), robot_limits(channel.kind)
        wait = gate.pace(robot, limits, patience) if limits else 0.0
        if wait:
            per = ", ".join(f"{count} in {seconds - ROBOT_MARGIN:g} s" for count, seconds in limits)
            raise ChannelFailure(f"channel '{channel.name}' has sent what its robot takes ({per}) "
                                 "across the fleet; the rest waits for the next run", wait)
        answer = post(url, payload)
        if _throttled(channel.kind, answer):
            gate.cool_robot(robot, answer.retry_after or THROTTLE_PAUSE.get(channel.kind, 60.0))
        return answer

    return send


def _throttled(kind: str, answer: Answer) -> bool:
    if answer.status == 429:
        return True
    body = answer.body if isinstance(answer.body, dict) else {}
    return body.get("errcode", body.get("code")) in THROTTLED.get(kind, set())


# -- the admin's notice ---------------------------------------------------------------------

def streak_start(client: redis.Redis, state_key: str, started: dt.datetime) -> dt.datetime:
    """When the workbook's failure streak began: ``started`` unless a run of any worker failed
    before it (kept in the workbook's state hash until a run succeeds)."""
    client.hsetnx(state_key, "failing_since", started.isoformat())
    return dt.datetime.fromisoformat(str(client.hget(state_key, "failing_since")))


def end_streak(client: redis.Redis, state_key: str, told_key: str) -> None:
    client.hdel(state_key, "failing_since")
    client.delete(told_key)


def tell_admin_once(client: redis.Redis, told_key: str, config: NotifyConfig, name: str,
                    what: str, since: dt.datetime, now: dt.datetime) -> bool:
    """Tell the ``[admin]`` channel once per streak (the first worker to claim it); a notice
    not delivered is claimed again by the next failure. True when sent now."""
    if config.admin is None or not client.set(told_key, since.isoformat(), nx=True):
        return False
    failure = admin_notice(config, name, what, since.isoformat(timespec="minutes"), now)
    if failure is None:
        return True
    client.delete(told_key)
    log.warning("Admin notice not delivered: %s", failure,
                extra={"event": "admin_notice", "workbook": name})
    return False
