"""Notifications in the fleet (#18 with #15) against a real redis-server and the fake robots of
tests/support/robots.py: a ``notify = true`` workbook's fleet run sends what ``run --notify``
sends; workers sharing a robot never exceed its limits together (the robots answer throttling
with their real error codes, and never have to); a failure streak's start is kept in Redis and
the admin is told once per streak, by whichever worker sees it."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("huey", reason="the fleet extra (pip install 'sheetfunnel[fleet]') is "
                                   "not installed")
import redis  # noqa: E402

from sheetfunnel import api  # noqa: E402
from sheetfunnel.fleet.gate import Gate  # noqa: E402
from sheetfunnel.fleet.notices import paced_post, robot_id  # noqa: E402
from sheetfunnel.fleet.tasks import FleetSettings, make_fleet, run_workbook  # noqa: E402
from sheetfunnel.notify.channels import SENDERS  # noqa: E402
from sheetfunnel.notify.channels.base import ChannelFailure, base_url, http_post  # noqa: E402
from sheetfunnel.notify.channels_config import parse_notify_config  # noqa: E402
from sheetfunnel.notify.compose import Delivery, Doc, Section  # noqa: E402
from sheetfunnel.notify.hook import Notifier  # noqa: E402
from tests.support import robots as fakes  # noqa: E402
from tests.test_notify import MORNING, PEOPLE, notify_workbook  # noqa: E402

#: The Notify tab's people on the chat robots (email is tested with `run --notify`).
ON_ROBOTS = [person for person in PEOPLE if person[3] != "mail"]


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    return client


def fleet_folder(folder: Path, robots: fakes.Robots, admin: bool = False) -> Path:
    """A registry of two copies of the notify workbook (one with notify on) and its notify
    config beside it; ``admin``: the Slack robot hears about failed runs."""
    notify_toml = fakes.notify_toml(robots.url)
    if admin:
        notify_toml += '\n[admin]\nchannel = "sales-slack"\n'
    (folder / "notify.toml").write_text(notify_toml, encoding="utf-8")
    source = notify_workbook(folder, people=ON_ROBOTS)
    for name in ("east", "west"):
        shutil.copy(source, folder / f"{name}.xlsx")
    registry = folder / "fleet.toml"
    registry.write_text('notify_config = "notify.toml"\n' + "".join(
        f'\n[[workbook]]\nname = "{name}"\npath = "{name}.xlsx"\nevery = "15m"\n'
        f'timezone = "Asia/Shanghai"\nnotify = {"true" if name == "east" else "false"}\n'
        for name in ("east", "west")), encoding="utf-8")
    return registry


def test_a_fleet_run_sends_what_run_notify_sends_once(tmp_path, robots, client, redis_url,
                                                      caplog):
    import time_machine

    registry = fleet_folder(tmp_path, robots)
    fleet = make_fleet(FleetSettings(registry, redis_url, lock_ttl=5.0), immediate=True)
    with time_machine.travel(MORNING, tick=True), \
            caplog.at_level(logging.INFO, logger="sheetfunnel"):
        east = run_workbook(fleet, "east")
        west = run_workbook(fleet, "west")
        sent = {robot: list(bodies) for robot, bodies in robots.received.items()}
        # the same workbook through `run --notify` (its ledger still empty) sends the same
        robots.wait_out("slack", 1.0)
        direct = api.run(api.open_workbook(tmp_path / "pipeline.xlsx"),
                         notify=Notifier(parse_notify_config(fakes.notify_toml(robots.url),
                                                             "notify.toml", {})))
        assert direct.report["notifications"]["failed"] == []
        fleet.client.hset(fleet.state_key("east"), "next_due", MORNING.isoformat())
        again = run_workbook(fleet, "east")
    assert east["outcome"] == "ok" and east["not_delivered"] == 0
    assert east["notified"] == len(direct.report["notifications"]["sent"]) == 5
    assert west["outcome"] == "ok" and "notified" not in west  # notify = false: nothing sent
    for robot in ("dingtalk", "wecom", "slack", "teams"):
        assert len(sent[robot]) >= 1
        assert robots.received[robot] == sent[robot] * 2, robot  # `run --notify` sent the same
    assert again["outcome"] == "ok" and again["notified"] == 0  # never twice
    assert len(robots.received["dingtalk"]) == 2
    assert sent["dingtalk"][0]["at"]["atMobiles"] == ["13800000001", "13800000002"]
    # no secret in Redis (keys or values) nor in the log
    stored = " ".join(f"{k} {fleet.client.dump(k)!r}" for k in fleet.client.keys("*"))
    for secret in fakes.SECRETS:
        assert secret not in stored and secret not in caplog.text


def delivery(kind: str, n: int) -> Delivery:
    doc = Doc(f"message {n}", (Section(f"message {n}", ()),))
    return Delivery(f"sales-{kind}", kind, doc, ())


def send_from_workers(robots: fakes.Robots, redis_url: str, kind: str, each: int,
                      workers: int = 2) -> tuple[list[str], float]:
    """``workers`` threads, each with its own Redis connection, send ``each`` messages to the
    same robot through the gate; the failure sentences, and the seconds it took."""
    config = parse_notify_config(fakes.notify_toml(robots.url), "notify.toml", {})
    channel = config.channels[f"sales-{kind}"]
    failures: list[str] = []

    def worker() -> None:
        gate = Gate(redis.Redis.from_url(redis_url, decode_responses=True))
        post = paced_post(gate, config, http_post(__import__("requests").Session()),
                          patience=5.0)
        for n in range(each):
            try:
                SENDERS[kind].send(delivery(kind, n), channel, post, dt.datetime.now(dt.UTC))
            except ChannelFailure as problem:
                failures.append(str(problem))

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return failures, time.monotonic() - started


def test_workers_sharing_a_robot_never_exceed_its_limits_together(robots, client, redis_url):
    # DingTalk: 20 a minute per robot. 2 workers x 15: 20 go, 10 wait for the next run, and
    # the robot never has to answer 130101
    failures, _ = send_from_workers(robots, redis_url, "dingtalk", 15)
    assert len(robots.received["dingtalk"]) == 20 and len(failures) == 10
    assert all("across the fleet" in f and "sales-dingtalk" in f for f in failures)
    # Feishu: 5 a second (100 a minute): 2 x 6 all go, paced, never 11232
    failures, seconds = send_from_workers(robots, redis_url, "feishu", 6)
    assert failures == [] and len(robots.received["feishu"]) == 12 and seconds >= 2.0
    # Slack: 1 a second: 2 x 2 all go, paced, never a 429
    failures, seconds = send_from_workers(robots, redis_url, "slack", 2)
    assert failures == [] and len(robots.received["slack"]) == 4 and seconds >= 3.0
    # keyed by a hash of the robot's URL: no secret in any Redis key
    keys = " ".join(client.keys("*"))
    assert all(secret not in keys for secret in fakes.SECRETS)
    config = parse_notify_config(fakes.notify_toml(robots.url), "notify.toml", {})
    assert robot_id(base_url(config.channels["sales-dingtalk"], "")) in keys


def test_a_robot_that_throttles_anyway_is_paused_for_every_worker(robots, client, redis_url):
    # someone outside the fleet used up the WeCom robot's minute: it answers 45009 once, and
    # then no worker sends to it until the pause is over
    robots.times["wecom"] = [time.monotonic()] * 20
    failures, _ = send_from_workers(robots, redis_url, "wecom", 1, workers=1)
    assert len(failures) == 1 and "throttled by WeCom" in failures[0]
    failures, _ = send_from_workers(robots, redis_url, "wecom", 2)
    assert len(failures) == 4 and all("across the fleet" in f for f in failures)
    assert robots.received["wecom"] == [] and len(robots.times["wecom"]) == 21
    assert any(key.startswith("sheetfunnel:gate:cool:robot:") for key in client.keys("*"))


def test_the_admin_hears_of_a_failure_streak_once_with_since_when(tmp_path, robots, client,
                                                                   redis_url):
    registry = fleet_folder(tmp_path, robots, admin=True)
    settings = FleetSettings(registry, redis_url, lock_ttl=5.0)
    one, other = make_fleet(settings, immediate=True), make_fleet(settings, immediate=True)
    (tmp_path / "east.xlsx").rename(tmp_path / "away.xlsx")
    start = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    assert run_workbook(one, "east", now=lambda: start)["outcome"] == "failed"
    assert len(robots.received["slack"]) == 1
    notice = robots.received["slack"][0]["text"]
    assert "east" in notice and "Since: 2026-11-24T02:00" in notice
    later = start + dt.timedelta(hours=2)  # past the back-off: another worker fails it too
    second = run_workbook(other, "east", now=lambda: later)
    assert second["outcome"] == "failed" and second["failures"] == 2
    assert len(robots.received["slack"]) == 1  # once per streak
    assert one.state("east")["failing_since"] == start.isoformat()
    (tmp_path / "away.xlsx").rename(tmp_path / "east.xlsx")
    (tmp_path / "notify.toml").write_text(fakes.notify_toml(robots.url) + "\n[admin]\n"
                                          'channel = "sales-slack"\n', encoding="utf-8")
    healed = start + dt.timedelta(hours=6)
    assert run_workbook(one, "east", now=lambda: healed)["outcome"] == "ok"
    assert "failing_since" not in one.state("east")
    (tmp_path / "east.xlsx").unlink()
    again = healed + dt.timedelta(hours=1)
    time.sleep(1.1)  # Slack's one message a second
    assert run_workbook(other, "east", now=lambda: again)["outcome"] == "failed"
    notices = [b["text"] for b in robots.received["slack"] if "Since:" in b.get("text", "")]
    assert len(notices) == 2 and "Since: 2026-11-24T09:00" in notices[1]
