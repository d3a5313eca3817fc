"""The operator's notify config (``--notify-config FILE``, spec §6): channel definitions and
their secrets, never in the sheet.

Pure: the TOML text and the environment as a mapping in, ``NotifyConfig`` out, or a
ConfigError naming the file and key. Any secret ``x`` may be given as ``x_env``, the name of
an environment variable holding it. ``base_url`` points a channel at a private gateway (or a
test's fake server).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

from sheetfunnel.errors import ConfigError, Problem

KINDS = ("email", "dingtalk", "wecom", "feishu", "slack", "teams")
#: Keys whose values are secrets: kept out of every log, report, message and cell.
SECRET_KEYS = ("url", "secret", "password", "username", "key")
#: Where each robot kind sends unless ``url``/``base_url`` says otherwise.
DEFAULT_BASE = {"dingtalk": "https://oapi.dingtalk.com", "wecom": "https://qyapi.weixin.qq.com",
                "feishu": "https://open.feishu.cn", "slack": "https://hooks.slack.com",
                "teams": ""}
ENV_VARIABLE = "SHEETFUNNEL_NOTIFY_CONFIG"


@dataclass(frozen=True)
class Channel:
    """One ``[channels.NAME]`` table, secrets resolved. ``options`` holds the rest (host,
    port, starttls, ssl, from, base_url, timeout…)."""

    name: str
    kind: str
    url: str = ""
    secret: str = ""
    username: str = ""
    password: str = ""
    options: Mapping[str, object] = field(default_factory=dict)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value of this channel (for the scrubber), longest first."""
        found = [self.url, self.secret, self.password, self.username]
        if "access_token=" in self.url or "key=" in self.url:
            found.append(self.url.rpartition("=")[2])
        return tuple(sorted((s for s in found if s and len(s) >= 4), key=len, reverse=True))

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Channel({self.name!r}, {self.kind!r})"


@dataclass(frozen=True)
class Admin:
    channel: str
    to: str = ""


@dataclass(frozen=True)
class NotifyConfig:
    channels: Mapping[str, Channel]
    admin: Admin | None = None
    source: str = "notify config"

    def secrets(self) -> tuple[str, ...]:
        return tuple(sorted({s for c in self.channels.values() for s in c.secrets()},
                            key=len, reverse=True))


def parse_notify_config(text: str, source: str, env: Mapping[str, str]) -> NotifyConfig:
    """Every channel and the admin table, or ConfigError listing every problem with its key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(source, f"The notify config is not valid TOML ({exc}). Fix "
                                   "the line it names.")]) from None
    problems: list[Problem] = []
    channels: dict[str, Channel] = {}
    tables = data.get("channels", {})
    if not isinstance(tables, dict):
        tables = {}
        problems.append(Problem(f"{source}: channels", "channels must be tables such as "
                                "[channels.sales-dingtalk]."))
    for name, table in tables.items():
        channel = _channel(name, table, source, env, problems)
        if channel is not None:
            channels[name] = channel
    admin = _admin(data.get("admin"), source, channels, problems)
    if problems:
        raise ConfigError(problems)
    return NotifyConfig(channels, admin, source)


def _channel(name: str, table: object, source: str, env: Mapping[str, str],
             problems: list[Problem]) -> Channel | None:
    where = f"{source}: channels.{name}"
    if not isinstance(table, dict):
        problems.append(Problem(where, f"channels.{name} must be a table of keys (kind, url…)."))
        return None
    kind = str(table.get("kind", "")).lower()
    if kind not in KINDS:
        problems.append(Problem(f"{where}.kind", f'kind "{table.get("kind", "")}" is not one of '
                                f"{', '.join(KINDS)}."))
        return None
    values: dict[str, str] = {}
    for key in ("url", "secret", "username", "password", "key"):
        value = _secret(table, key, where, env, problems)
        if value:
            values[key] = value
    if kind != "email" and not values.get("url") and not (kind == "wecom" and values.get("key")):
        problems.append(Problem(f"{where}.url", f"Channel {name} ({kind}) needs url (or url_env "
                                "naming the variable that holds it)."))
    if kind == "email" and not (table.get("host") and table.get("from")):
        problems.append(Problem(where, f"Channel {name} (email) needs host and from."))
    if kind == "wecom" and values.get("key") and not values.get("url"):
        values["url"] = f"{DEFAULT_BASE['wecom']}/cgi-bin/webhook/send?key={values['key']}"
    options = {k: v for k, v in table.items() if k not in ("kind", *SECRET_KEYS)
               and not k.endswith("_env")}
    return Channel(name, kind, values.get("url", ""), values.get("secret", ""),
                   values.get("username", ""), values.get("password", ""), options)


def _secret(table: dict, key: str, where: str, env: Mapping[str, str],
            problems: list[Problem]) -> str:
    variable = table.get(f"{key}_env")
    if variable:
        value = env.get(str(variable), "")
        if not value:
            problems.append(Problem(f"{where}.{key}_env", f"The environment variable {variable} "
                                    f"({key}) is not set. Set it for the worker's process."))
        return value
    return str(table.get(key) or "")


def _admin(table: object, source: str, channels: Mapping[str, Channel],
           problems: list[Problem]) -> Admin | None:
    if table is None:
        return None
    if not isinstance(table, dict) or str(table.get("channel", "")) not in channels:
        problems.append(Problem(f"{source}: admin.channel", "admin.channel must name a channel "
                                "of this file."))
        return None
    return Admin(str(table["channel"]), str(table.get("to", "")))
