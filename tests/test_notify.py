"""Notifications (#15) end to end: a demo workbook with a Notify tab, every channel against
its local fake (tests/support/robots.py), email against aiosmtpd with auth; never twice, a
channel down for one run gets the digest on the next, a refused secret is one sentence and
exit code 4, secrets reach no log, report or cell, an admin hears about a failed run."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import requests
from click.testing import CliRunner

from sheetfunnel import api
from sheetfunnel.cli import cli
from sheetfunnel.engine.flags import SEVERITY
from sheetfunnel.notify import hook
from sheetfunnel.notify.channels import SENDERS
from sheetfunnel.notify.channels.base import http_post
from sheetfunnel.notify.channels_config import parse_notify_config
from sheetfunnel.notify.compose import Line, fit, fold
from sheetfunnel.notify.deliver import deliver
from sheetfunnel.notify.digest import Item, build_messages
from sheetfunnel.notify.hook import Notifier
from sheetfunnel.notify.ledger import Ledger, read_ledger
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.settings import NotifySettings
from sheetfunnel.tabs.state import STATE_TAB
from sheetfunnel.words.notify import notify_words
from tests.support import robots as fakes

aiosmtpd = pytest.importorskip(
    "aiosmtpd", reason="aiosmtpd runs the local SMTP server: pip install '.[test]'")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

AS_OF = dt.date(2026, 11, 24)  # a Tuesday
#: 10:00 in Shanghai, the team's timezone in these workbooks
MORNING = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE = [
    ("Alice Chen", "rep", "", "sales-dingtalk", "13800000001", "", "08:30", "", ""),
    ("Ben Carter", "rep", "", "sales-dingtalk", "13800000002", "", "08:30", "", ""),
    ("Chloe Martin", "rep", "", "sales-feishu", "ou_chloe", "", "08:30", "", ""),
    ("David Kim", "rep", "", "sales-slack", "U0DAVID", "", "08:30", "", ""),
    ("Farid Haddad", "rep", "", "sales-teams", "", "", "08:30", "", ""),
    ("Emma Rossi", "rep", "", "mail", "", "emma@example.com", "08:30", "", ""),
    ("Grace Wu", "manager", "", "sales-wecom", "13900000009", "", "09:00", "zh", ""),
    ("Henry Li", "manager", "Alice Chen, Ben Carter", "mail", "", "henry@example.com", "09:00",
     "", ""),
]


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], str]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos),
                           envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == \
            b"smtp-fake-password-0007"
        box.logins.append("ok" if ok else "refused")
        return AuthResult(success=ok)

    port = _free_port()
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield box, port
    controller.stop()


def notify_workbook(folder: Path, people=PEOPLE, lang: str = "en") -> Path:
    path = folder / "pipeline.xlsx"
    api.init(path, demo=True, as_of=AS_OF, lang=lang)
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Notify" if lang == "en" else "通知")
    sheet.append(["Name", "Role", "Covers", "Channel", "Mention", "Email", "Digest At",
                  "Language", "Quiet Hours"] if lang == "en" else
                 ["姓名", "角色", "负责范围", "渠道", "提醒对象", "邮箱", "摘要时间", "语言",
                  "免打扰"])
    for row in people:
        sheet.append(list(row))
    settings = book["Settings" if lang == "en" else "设置"]
    zone_rows = [row for row in settings.iter_rows(min_row=2) if row[0].value == "timezone"]
    for row in zone_rows:
        row[1].value = "Asia/Shanghai"
    if not zone_rows:
        settings.append(["timezone", "Asia/Shanghai"])
    settings.append(["quiet_hours", "21:00-08:00"])
    book.save(path)
    return path


def notifier(robots: fakes.Robots, smtp_port: int, now: dt.datetime = MORNING, **kw) -> Notifier:
    config = parse_notify_config(fakes.notify_toml(robots.url, smtp_port, **kw), "notify.toml",
                                 {})
    return Notifier(config, now=now, sleep=lambda s: None)


def test_every_channel_gets_its_digest_once(tmp_path, robots, smtp):
    box, port = smtp
    path = notify_workbook(tmp_path)
    first = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    sent = first.report["notifications"]["sent"]
    assert first.report["notifications"]["failed"] == []
    assert {s["channel"] for s in sent} == {"sales-dingtalk", "sales-feishu", "sales-slack",
                                            "sales-teams", "sales-wecom", "mail"}
    # one message per robot, mentioning every rep it covers
    assert len(robots.received["dingtalk"]) == 1
    ding = robots.received["dingtalk"][0]
    assert ding["at"]["atMobiles"] == ["13800000001", "13800000002"]
    assert "Alice Chen" in ding["markdown"]["text"] and "Ben Carter" in ding["markdown"]["text"]
    assert "@13800000001" in ding["markdown"]["text"]
    assert "<at id=ou_chloe></at>" in json.dumps(robots.received["feishu"][0], ensure_ascii=False)
    assert "<@U0DAVID>" in robots.received["slack"][0]["blocks"][0]["text"]["text"]
    wecom = robots.received["wecom"]
    assert wecom[0]["msgtype"] == "markdown" and "销售漏斗摘要" in wecom[0]["markdown"]["content"]
    assert wecom[1]["text"]["mentioned_mobile_list"] == ["13900000009"]
    assert sorted(rcpt for _, rcpts, _ in box.mails for rcpt in rcpts) == [
        "emma@example.com", "henry@example.com"]
    assert box.logins == ["ok"]  # one connection, one login
    emma = next(m for _, r, m in box.mails if r == ["emma@example.com"])
    assert "text/html" in emma and "text/plain" in emma and "Opportunities!" in emma

    counts = {k: len(v) for k, v in robots.received.items()}
    again = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    notes = again.report["notifications"]
    assert notes["sent"] == [] and notes["failed"] == []
    assert {s["reason"] for s in notes["skipped"]} == {"duplicate"}
    assert {k: len(v) for k, v in robots.received.items()} == counts
    assert len(box.mails) == 2
    assert again.cells_written == 0


def test_a_channel_down_gets_the_digest_on_the_next_run(tmp_path, robots, smtp):
    box, port = smtp
    path = notify_workbook(tmp_path)
    robots.down.add("slack")
    first = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    failed = first.report["notifications"]["failed"]
    assert [f["channel"] for f in failed] == ["sales-slack"]
    assert "sales-slack" in failed[0]["reason"] and "HTTP 503" in failed[0]["reason"]
    assert robots.received["slack"] == []
    # nothing of the refused delivery is recorded: no digest for David, his flags not sent
    ledger = _ledger(path)
    assert ("David Kim", "rep") not in ledger.digests and ("Alice Chen", "rep") in ledger.digests
    davids = ledger.seen[ledger.seen["owner"] == "David Kim"]
    assert len(davids) and (davids["tier"] == 0).all()  # told to the manager only
    robots.down.clear()
    later = MORNING + dt.timedelta(minutes=10)
    second = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port, later))
    assert [s["channel"] for s in second.report["notifications"]["sent"]] == ["sales-slack"]
    assert len(robots.received["slack"]) == 1 and len(robots.received["dingtalk"]) == 1


def test_a_refused_secret_is_one_sentence_and_exit_code_4(tmp_path, robots, smtp,
                                                          monkeypatch, caplog):
    box, port = smtp
    path = notify_workbook(tmp_path)
    config = tmp_path / "notify.toml"
    config.write_text(fakes.notify_toml(robots.url, port, dingtalk_secret="SECwrong-secret-9999")
                      .replace('password = "smtp-fake-password-0007"',
                               'password_env = "SMTP_PASSWORD"'), encoding="utf-8")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-fake-password-0007")
    report = tmp_path / "report.json"
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(cli, ["notify", str(path), "--as-of", "2026-11-24T10:00",
                                          "--send", "--notify-config", str(config)])
    assert result.exit_code == 4, result.output
    assert "the signing secret of channel 'sales-dingtalk' was refused" in result.output
    rerun = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(
        robots, port, MORNING + dt.timedelta(minutes=5), dingtalk_secret="SECwrong-secret-9999"))
    report.write_text(json.dumps(rerun.report), encoding="utf-8")
    failed = rerun.report["notifications"]["failed"]
    assert [f["channel"] for f in failed] == ["sales-dingtalk"]
    assert len(robots.received["feishu"]) == 1  # the other channels still went
    # no secret anywhere: output, log, report, cells
    book = openpyxl.load_workbook(path)
    cells = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row
                     if c.value is not None)
    seen = result.output + caplog.text + report.read_text() + cells
    for secret in ("SECwrong-secret-9999", fakes.FEISHU_SECRET, fakes.WECOM_KEY,
                   "fakeslacksecret0004", "faketeamssig0005", fakes.DINGTALK_TOKEN,
                   "smtp-fake-password-0007"):
        assert secret not in seen


def test_an_admin_hears_about_a_run_that_failed(tmp_path, robots, smtp):
    box, port = smtp
    config = tmp_path / "notify.toml"
    config.write_text(fakes.notify_toml(robots.url, port), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "missing.xlsx"), "--notify",
                                      "--notify-config", str(config)])
    assert result.exit_code == 2
    assert [rcpts for _, rcpts, _ in box.mails] == [["ops@example.com"]]
    assert "missing.xlsx" in box.mails[0][2] and "could not finish" in box.mails[0][2]


def test_notify_shows_and_previews_without_sending(tmp_path, robots, smtp):
    box, port = smtp
    path = notify_workbook(tmp_path)
    config = tmp_path / "notify.toml"
    config.write_text(fakes.notify_toml(robots.url, port), encoding="utf-8")
    preview = tmp_path / "preview"
    result = CliRunner().invoke(cli, ["notify", str(path), "--notify-config", str(config),
                                      "--as-of", "2026-11-24T10:00", "--preview", str(preview)])
    assert result.exit_code == 0, result.output
    assert "Alice Chen" in result.output and "sales-dingtalk" in result.output
    names = sorted(p.suffix for p in preview.iterdir())
    assert names.count(".eml") == 2 and ".json" in names
    assert all(not v for v in robots.received.values()) and box.mails == []
    sent = CliRunner().invoke(cli, ["notify", str(path), "--notify-config", str(config),
                                    "--as-of", "2026-11-24T10:00", "--send"])
    assert sent.exit_code == 0, sent.output
    assert len(robots.received["dingtalk"]) == 1


def test_no_digest_in_quiet_hours(tmp_path, robots, smtp):
    box, port = smtp
    path = notify_workbook(tmp_path)
    night = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC)  # 22:30 in Shanghai
    result = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port, night))
    notes = result.report["notifications"]
    assert notes["sent"] == [] and {s["reason"] for s in notes["skipped"]} == {"quiet_hours"}
    assert all(not v for v in robots.received.values()) and box.mails == []


def test_notify_test_sends_one_message_or_names_the_failure(tmp_path, robots, smtp):
    box, port = smtp
    config = tmp_path / "notify.toml"
    config.write_text(fakes.notify_toml(robots.url, port), encoding="utf-8")
    ok = CliRunner().invoke(cli, ["notify", "--notify-config", str(config), "--test",
                                  "sales-feishu"])
    assert ok.exit_code == 0 and len(robots.received["feishu"]) == 1, ok.output
    mail = CliRunner().invoke(cli, ["notify", "--notify-config", str(config), "--test", "mail",
                                    "--to", "me@example.com"])
    assert mail.exit_code == 0 and box.mails[0][1] == ["me@example.com"], mail.output
    robots.down.add("teams")
    down = CliRunner().invoke(cli, ["notify", "--notify-config", str(config), "--test",
                                    "sales-teams"])
    assert down.exit_code == 4 and "channel 'sales-teams' answered HTTP 503" in down.output


def test_a_chinese_workbook_gets_chinese_digests(tmp_path, robots, smtp):
    box, port = smtp
    people = [("王芳", "销售", "", "sales-dingtalk", "13800000001", "", "08:30", "", "")]
    path = notify_workbook(tmp_path, people=people, lang="zh")
    api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    text = robots.received["dingtalk"][0]["markdown"]["text"]
    assert "需要你跟进的商机 — 王芳" in text and "下一步" in text


def test_the_demo_previews_digests_without_any_account(tmp_path):
    preview = tmp_path / "digests"
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--as-of",
                                      "2026-11-24", "--notify-preview", str(preview)])
    assert result.exit_code == 0, result.output
    for lang, title in (("en", "Pipeline digest — Manager"), ("zh", "销售漏斗摘要 — Manager")):
        mails = list((preview / lang).glob("*.eml"))
        robots_files = list((preview / lang).glob("*.json"))
        assert len(mails) == 1 and len(robots_files) == 1
        assert title in mails[0].read_bytes().decode("utf-8", "replace") or \
            title in __import__("email").message_from_bytes(
                mails[0].read_bytes()).get_payload()[0].get_payload(decode=True).decode()


def test_email_over_starttls_with_login(tmp_path, robots):
    """The mail channel upgrades with STARTTLS (verifying the server's certificate) before it
    logs in; the server refuses any mail before that."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl makes the test server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_required=True,
                            authenticator=lambda *a: AuthResult(
                                success=a[4].password == b"smtp-fake-password-0007"))
    controller.start()
    try:
        text = fakes.notify_toml(robots.url, port).replace(
            "starttls = false", f'starttls = true\ncafile = "{cert}"')
        config = tmp_path / "notify.toml"
        config.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["notify", "--notify-config", str(config), "--test",
                                          "mail", "--to", "me@example.com"])
        assert result.exit_code == 0, result.output
        assert [rcpts for _, rcpts, _ in box.mails] == [["me@example.com"]]
    finally:
        controller.stop()


def test_run_notify_judges_quiet_hours_at_the_runs_own_moment(tmp_path, robots, smtp):
    """``run --notify --as-of`` a date-time: quiet hours and Digest At are judged then, in the
    team's timezone (Shanghai), not by the machine's clock."""
    box, port = smtp
    path = notify_workbook(tmp_path)
    config = tmp_path / "notify.toml"
    config.write_text(fakes.notify_toml(robots.url, port), encoding="utf-8")
    report = tmp_path / "night.json"
    night = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-24T22:30",
                                     "--notify", "--notify-config", str(config),
                                     "--report", str(report)])
    assert night.exit_code == 0, night.output
    notes = json.loads(report.read_text())["notifications"]
    assert notes["sent"] == [] and {s["reason"] for s in notes["skipped"]} == {"quiet_hours"}
    assert all(not v for v in robots.received.values()) and box.mails == []
    morning = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-25T09:30",
                                       "--notify", "--notify-config", str(config),
                                       "--report", str(report)])
    assert morning.exit_code == 0, morning.output
    assert len(robots.received["dingtalk"]) == 1 and box.mails


def test_watch_notify_sends_what_is_due_each_tick_and_tells_the_admin_since_when(
        tmp_path, robots, smtp, caplog):
    """``watch --notify``: a tick whose channel fails is a warning (the next tick retries it),
    a digest goes once a day, and a failure streak is one admin notice saying since when."""
    import time_machine

    from sheetfunnel.locks import XlsxLock
    from sheetfunnel.watch import Watcher, make_job

    box, port = smtp
    path = notify_workbook(tmp_path)
    wrong = notifier(robots, port, now=None, dingtalk_secret="SECwrong-secret-9999")
    right = notifier(robots, port, now=None)
    current = [wrong]
    every = dt.timedelta(minutes=10)
    with time_machine.travel(MORNING, tick=False) as clock, \
            caplog.at_level(logging.INFO, logger="sheetfunnel"):
        job = make_job(lambda: api.open_workbook(path),
                       notify=lambda *args: current[0](*args))
        watcher = Watcher(job, every=every, lock=XlsxLock(path), sleep=clock.shift,
                          name="pipeline.xlsx", on_failure=admin(right))
        first = watcher.run_now()
        assert first.ok and "'sales-dingtalk' was refused" in first.warning
        assert watcher.failures == 0 and robots.received["dingtalk"] == []
        assert len(robots.received["feishu"]) == 1
        assert any(r.levelno == logging.WARNING and "not delivered" in r.getMessage()
                   for r in caplog.records)
        current[0] = right
        clock.shift(every)
        assert watcher.run_now().warning == ""
        assert len(robots.received["dingtalk"]) == 1  # retried on the next tick
        mails = len(box.mails)
        clock.shift(every)
        watcher.run_now()  # the same local day: nothing is due
        assert len(robots.received["dingtalk"]) == 1 and len(robots.received["feishu"]) == 1
        assert len(box.mails) == mails
        path.rename(tmp_path / "moved.xlsx")
        clock.shift(every)
        failing_since = dt.datetime.now().astimezone().isoformat(timespec="minutes")
        assert not watcher.run_now().ok
        clock.shift(every * 2)
        assert not watcher.run_now().ok  # the same failure: no second notice
    notices = [body for _, rcpts, body in box.mails if rcpts == ["ops@example.com"]]
    assert len(notices) == 1 and f"Since: {failing_since}" in notices[0]
    assert "pipeline.xlsx" in notices[0]


def admin(notifier: Notifier):
    from sheetfunnel.watch import admin_on_failure

    return admin_on_failure(notifier, "pipeline.xlsx")


def _ledger(path: Path) -> Ledger:
    return read_ledger(api.open_workbook(path).read().find(STATE_TAB))


class Killed(BaseException):
    """The process dying: no handler of the worker's catches it."""


def test_a_crash_after_the_channel_accepted_sends_that_digest_again(tmp_path, robots, smtp,
                                                                     monkeypatch):
    """At-least-once, the window: the robots accepted, then the process died before the
    ledger write. The next run finds no record and sends the same digests again."""
    box, port = smtp
    path = notify_workbook(tmp_path)

    def die(*args):
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(hook, "_write_ledger", die)
        with pytest.raises(Killed):
            api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    assert len(robots.received["dingtalk"]) == 1 and len(box.mails) == 2  # accepted
    assert _ledger(path).digests == {}  # … and not recorded
    later = MORNING + dt.timedelta(minutes=10)
    robots.times.clear()  # the ten minutes pass for the robots' rate windows too
    again = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port, later))
    assert {s["channel"] for s in again.report["notifications"]["sent"]} == {
        "sales-dingtalk", "sales-feishu", "sales-slack", "sales-teams", "sales-wecom", "mail"}
    assert len(robots.received["dingtalk"]) == 2 and len(box.mails) == 4  # the duplicates
    assert ("Alice Chen", "rep") in _ledger(path).digests
    third = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port, later))
    assert third.report["notifications"]["sent"] == []


def test_a_ledger_only_save_keeps_the_backup(tmp_path, robots, smtp):
    """The .bak holds the file from before the last save that changed what people see: the
    ledger written after sending does not rotate it; a run that writes cells does."""
    box, port = smtp
    path = notify_workbook(tmp_path)
    backup = path.with_name(path.name + ".bak")
    original = path.read_bytes()
    first = api.run(api.open_workbook(path), as_of=AS_OF, notify=notifier(robots, port))
    assert first.cells_written and first.report["notifications"]["sent"]
    assert backup.read_bytes() == original  # the run's save made it, the ledger's kept it
    before, seen = path.read_bytes(), _visible(path)
    tomorrow = MORNING + dt.timedelta(days=1)
    alone = api.notify(api.open_workbook(path), notifier(robots, port, tomorrow),
                       as_of=tomorrow.astimezone(SHANGHAI).replace(tzinfo=None))
    assert alone.report["notifications"]["sent"]
    assert path.read_bytes() != before and _visible(path) == seen  # the ledger was saved …
    assert backup.read_bytes() == original  # … and the backup kept
    before = path.read_bytes()
    later = api.run(api.open_workbook(path), as_of=AS_OF + dt.timedelta(days=1))
    assert later.cells_written  # Days in Stage moved on: people see it
    assert backup.read_bytes() == before


def _visible(path: Path) -> dict:
    """Every tab people see, as read."""
    tabs = api.open_workbook(path).read().tabs
    return {title: grid for title, grid in tabs.items() if title != STATE_TAB}


#: Each chat robot of the notify config: its kind and a mention for rep ``n``.
CHAT_ROBOTS = [("sales-dingtalk", "dingtalk", "1380000{:04d}"),
               ("sales-wecom", "wecom", "1390000{:04d}"),
               ("sales-wecom", "wecom", "rep.user.{:04d}"),
               ("sales-feishu", "feishu", "ou_rep{:04d}"),
               ("sales-slack", "slack", "U0REP{:04d}"),
               ("sales-teams", "teams", "")]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("channel", "kind", "mention"), CHAT_ROBOTS)
def test_300_reps_on_one_robot_are_cut_to_its_size_and_accepted(robots, channel, kind, mention,
                                                                 lang):
    """One folded message for 300 reps and 3,000 flags, cut with "…and N more" to the size
    the robot takes (WeCom 4,096 bytes of markdown, DingTalk 20,000 and Feishu 20 KB of body,
    Teams 28 KB, Slack 50 blocks of 3,000 characters), every rep still @-mentioned."""
    reps = [Person(f"Rep {n:03d}", "rep", channel, mention=mention.format(n) if mention else "")
            for n in range(300)]
    codes = ["NEGATIVE_SIGNAL", "STALLED", "FOLLOW_UP_OVERDUE"]
    flags = sorted((Item(f"OPP-{n:05d}", n + 2, f"Deal {n} 华东区项目", f"Rep {n % 300:03d}",
                         "Proposal", codes[n % 3], SEVERITY[codes[n % 3]], f"detail {n} 跟进",
                         "call back", 1000.0 + n, 500.0 + n, f"Opportunities!{n + 2}:{n + 2}")
                    for n in range(3000)), key=lambda i: (i.severity, -i.weighted))
    messages, _ = build_messages(flags, reps, NotifySettings(timezone="Asia/Shanghai"),
                                 Ledger(), MORNING, lang=lang)
    deliveries = fold(messages, {channel: kind}, Line("Attention", None, "Attention"), lang)
    assert len(deliveries) == 1
    config = parse_notify_config(fakes.notify_toml(robots.url), "notify.toml", {})
    outcome = deliver(deliveries, config, Ledger(), MORNING, post=http_post(requests.Session()),
                      sleep=lambda s: None)
    assert outcome.failed == [] and len(outcome.sent) == 1  # the fake took it: within size
    module = SENDERS[kind]
    doc = fit(deliveries[0].doc, module.size, module.LIMIT)
    assert module.size(doc) <= module.LIMIT
    lines = [line.text for section in doc.sections for line in section.lines]
    shown = len(lines) - 1
    listed = sum(len(m.items) for m in messages)  # digests, and escalations of NEGATIVE_SIGNAL
    more = notify_words(lang)["more"].format(n=listed - shown)
    assert lines[-1] == more and shown > 0
    received = json.dumps(robots.received[kind], ensure_ascii=False)
    assert more in received
    body = robots.received[kind][0]
    if kind == "wecom":
        assert len(body["markdown"]["content"].encode("utf-8")) <= 4096
        mentioned = robots.received[kind][1]["text"]
        assert len(mentioned.get("mentioned_mobile_list", mentioned.get("mentioned_list"))) \
            == 300
    else:
        limit = {"dingtalk": 20_000, "feishu": 20 * 1024, "teams": 28 * 1024,
                 "slack": 50 * 3000 + 5000}[kind]
        assert len(json.dumps(body, ensure_ascii=False).encode("utf-8")) <= limit
    if kind == "dingtalk":
        assert len(body["at"]["atMobiles"]) == 300
    if kind in ("feishu", "slack"):
        assert all(m.format(n) in received for m in (mention,) for n in (0, 150, 299))
