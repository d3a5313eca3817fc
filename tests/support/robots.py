"""Local fakes of the chat robots' webhooks, on 127.0.0.1, checking what the real ones check
and answering with their real error codes: DingTalk (timestamp + sign HMAC-SHA256 within an
hour, 20 a minute -> 130101, wrong secret -> 310000, markdown over 20,000 bytes -> 460101),
WeCom (key in the URL -> 93000, markdown at most 4,096 bytes -> 40058, 20 a minute -> 45009),
Feishu (timestamp + sign in the body -> 19021, 5 a second -> 11232, body at most 20 KB ->
9499), Slack (1 a second -> 429 with Retry-After, unknown hook -> 404 no_service, a block's
text 1 to 3,000 characters -> 400 invalid_blocks) and Teams (an Adaptive Card in attachments, about
28 KB -> 413).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DINGTALK_SECRET = "SECfake-dingtalk-signing-secret-0001"
FEISHU_SECRET = "fake-feishu-signing-secret-0002"
WECOM_KEY = "fake-wecom-key-0003"
SLACK_PATH = "/services/T000/B000/fakeslacksecret0004"
TEAMS_PATH = "/workflows/fake/triggers/manual/paths/invoke?sig=faketeamssig0005"
DINGTALK_TOKEN = "fakedingtalktoken0006"
SMTP_PASSWORD = "smtp-fake-password-0007"
#: Every secret of ``notify_toml``: none may reach an output, log, report or cell.
SECRETS = (DINGTALK_SECRET, FEISHU_SECRET, WECOM_KEY, SLACK_PATH.rsplit("/", 1)[1],
           TEAMS_PATH.rsplit("=", 1)[1], DINGTALK_TOKEN, SMTP_PASSWORD, "SECrefused-9999")


@dataclass
class Robots:
    """What the fakes received (accepted messages by robot) and their clocks."""

    received: dict[str, list[Any]] = field(default_factory=lambda: {
        k: [] for k in ("dingtalk", "wecom", "feishu", "slack", "teams")})
    times: dict[str, list[float]] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    clock_skew: float = 0.0
    url: str = ""

    def within(self, robot: str, seconds: float, limit: int) -> bool:
        now = time.monotonic()
        recent = [t for t in self.times.get(robot, []) if now - t < seconds]
        self.times[robot] = [*recent, now]
        return len(recent) < limit

    def wait_out(self, robot: str, seconds: float) -> None:
        """Wait until ``robot`` last heard a message ``seconds`` ago (at most that long): two
        runs a team makes are never within Slack's one-message-a-second window."""
        last = max(self.times.get(robot, []), default=None)
        if last is not None:
            time.sleep(max(0.0, seconds - (time.monotonic() - last)))


def _dingtalk(robots: Robots, query: dict[str, str], body: dict) -> tuple[int, Any]:
    if query.get("access_token") != DINGTALK_TOKEN:
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    stamp = int(query.get("timestamp", "0"))
    expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(),
                                         f"{stamp}\n{DINGTALK_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    if query.get("sign") != expected or abs(time.time() * 1000 - stamp) > 3600_000 + \
            robots.clock_skew * 1000:
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("text") or \
            not body["markdown"].get("title"):
        return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}
    if len(body["markdown"]["text"].encode("utf-8")) > 20_000:
        return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
    if not robots.within("dingtalk", 60, 20):
        return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def _wecom(robots: Robots, query: dict[str, str], body: dict) -> tuple[int, Any]:
    if query.get("key") != WECOM_KEY:
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
    if body.get("msgtype") == "markdown":
        content = body.get("markdown", {}).get("content", "")
        if not content or len(content.encode("utf-8")) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    elif body.get("msgtype") != "text" or not body.get("text", {}).get("content") or any(
            not isinstance(body["text"].get(k, []), list)
            for k in ("mentioned_list", "mentioned_mobile_list")):
        return 200, {"errcode": 40008, "errmsg": "invalid message type"}
    if not robots.within("wecom", 60, 20):
        return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def _feishu(robots: Robots, raw: bytes, body: dict) -> tuple[int, Any]:
    if len(raw) > 20 * 1024:
        return 200, {"code": 9499, "msg": "request body too large"}
    stamp = int(body.get("timestamp", "0"))
    key = f"{stamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    if body.get("sign") != expected or abs(time.time() - stamp) > 3600:
        return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    if body.get("msg_type") not in ("interactive", "post", "text"):
        return 200, {"code": 19002, "msg": "params error, msg_type need"}
    if not robots.within("feishu", 1, 5):
        return 200, {"code": 11232, "msg": "frequency limited psm"}
    return 200, {"code": 0, "msg": "success"}


def _slack(robots: Robots, path: str, body: dict) -> tuple[int, Any]:
    if path != SLACK_PATH:
        return 404, "no_service"
    if not body.get("text") or not isinstance(body.get("blocks", []), list) or any(
            not 0 < len(b.get("text", {}).get("text", "")) <= 3000
            for b in body.get("blocks", [])):
        return 400, "invalid_blocks"
    if not robots.within("slack", 1, 1):
        return 429, "rate_limited"
    return 200, "ok"


def _teams(robots: Robots, path: str, raw: bytes, body: dict) -> tuple[int, Any]:
    if path != TEAMS_PATH:
        return 401, {"error": {"code": "DirectApiAuthorizationRequired"}}
    if len(raw) > 28 * 1024:
        return 413, {"error": {"code": "MessageSizeTooBig"}}
    cards = body.get("attachments") or []
    if body.get("type") != "message" or not cards or \
            cards[0].get("contentType") != "application/vnd.microsoft.card.adaptive" or \
            cards[0].get("content", {}).get("type") != "AdaptiveCard":
        return 400, {"error": {"code": "InvalidRequestContent"}}
    return 202, ""


def start(robots: Robots) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = min(int(self.headers.get("Content-Length", "0")), 1_000_000)
            raw = self.rfile.read(length)
            parsed = urllib.parse.urlsplit(self.path)
            robot = parsed.path.strip("/").split("/")[0]
            query = dict(urllib.parse.parse_qsl(parsed.query))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            rest = "/" + "/".join(parsed.path.strip("/").split("/")[1:])
            full = rest + (f"?{parsed.query}" if parsed.query else "")
            if robot in robots.down:
                status, answer = 503, "down"
            elif robot == "dingtalk":
                status, answer = _dingtalk(robots, query, body)
            elif robot == "wecom":
                status, answer = _wecom(robots, query, body)
            elif robot == "feishu":
                status, answer = _feishu(robots, raw, body)
            elif robot == "slack":
                status, answer = _slack(robots, full, body)
            elif robot == "teams":
                status, answer = _teams(robots, full, raw, body)
            else:
                status, answer = 404, "unknown"
            accepted = status in (200, 202) and (not isinstance(answer, dict) or not (
                answer.get("errcode") or answer.get("code")))
            if accepted:
                robots.received[robot].append(body)
            data = (json.dumps(answer) if isinstance(answer, dict) else str(answer)).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    robots.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def notify_toml(url: str, smtp_port: int | None = None, *, dingtalk_secret: str = DINGTALK_SECRET
                ) -> str:
    """A notify config pointing every channel at the fakes (secrets inline)."""
    text = f'''
[channels.sales-dingtalk]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}"
base_url = "{url}/dingtalk"
secret = "{dingtalk_secret}"

[channels.sales-wecom]
kind = "wecom"
key = "{WECOM_KEY}"
base_url = "{url}/wecom"

[channels.sales-feishu]
kind = "feishu"
url = "https://open.feishu.cn/open-apis/bot/v2/hook/fake"
base_url = "{url}/feishu"
secret = "{FEISHU_SECRET}"

[channels.sales-slack]
kind = "slack"
url = "{url}/slack{SLACK_PATH}"

[channels.sales-teams]
kind = "teams"
url = "{url}/teams{TEAMS_PATH}"
'''
    if smtp_port is not None:
        text += f'''
[channels.mail]
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
starttls = false
username = "sheetfunnel"
password = "{SMTP_PASSWORD}"
from = "sheetfunnel@example.com"

[admin]
channel = "mail"
to = "ops@example.com"
'''
    return text
