"""Google credentials for the Sheets backend: a service account or an authorized user.

The file comes from ``--credentials`` or ``GOOGLE_APPLICATION_CREDENTIALS`` and is opened with
the spreadsheets scope only (no Drive: spreadsheets are opened by key). The token exchange goes
wherever the file's own ``token_uri`` says, as google-auth does. Messages name the file and its
fields, never a value from it (the one exception, a service account's e-mail address, is whom
to share a sheet with): the fields are checked here before google-auth sees them, because
google-auth's own errors quote what it could not read, a private key included.

An outage of Google's sign-in service (429 or 5xx from the token endpoint) is not a refusal of
the credentials: it is raised as SignInUnavailable, which the Sheets client retries like a
dropped connection. Left to itself google-auth would retry it with real sleeps and then report
the credentials as refused.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import google.auth.exceptions
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from sheetfunnel.errors import UsageError, WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
ENV = "GOOGLE_APPLICATION_CREDENTIALS"
KINDS = {"service_account": ("a service-account key", ("client_email", "private_key",
                                                        "token_uri")),
         "authorized_user": ("an authorized-user file", ("client_id", "client_secret",
                                                          "refresh_token"))}
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
#: Token endpoint answers that mean Google's sign-in service is down or busy, not a refusal.
BUSY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BUSY_ERRORS = frozenset({"temporarily_unavailable", "server_error", "internal_failure"})


@dataclass(frozen=True)
class Identity:
    """Loaded credentials, where they came from, and whom to share a spreadsheet with."""

    credentials: Any
    source: str
    account: str | None  # a service account's e-mail; None for a person's OAuth login


class SignInUnavailable(google.auth.exceptions.TransportError):
    """Google's sign-in service answered with an outage; try again later."""


def credentials_source(path: str | None) -> str | None:
    """The credentials file to use: the one given, else the environment's."""
    return path or os.environ.get(ENV) or None


def load_identity(path: str) -> Identity:
    """Credentials from a service-account or authorized-user JSON file."""
    info = _read(path)
    kind = info.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise UsageError(f"The credentials file {path} is neither a service-account key nor an "
                         "authorized-user file (its \"type\" is not \"service_account\" or "
                         "\"authorized_user\"). Create a service-account key in Google Cloud "
                         "and give its JSON file.")
    label, required = KINDS[kind]
    wrong = [name for name in required if not _usable(name, info.get(name))]
    if "token_uri" in info and "token_uri" not in wrong and not _usable("token_uri",
                                                                       info["token_uri"]):
        wrong.append("token_uri")
    if wrong:
        fields = ", ".join(f'"{name}"' for name in wrong)
        raise UsageError(f"The credentials file {path} is incomplete or damaged: {fields} "
                         f"{'is' if len(wrong) == 1 else 'are'} missing or not what Google "
                         f"writes there for {label}. Download it again from Google Cloud.")
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            return Identity(creds, path, info["client_email"])
        creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)
        if info.get("token_uri"):  # google-auth would always use Google's own
            creds = creds.with_token_uri(info["token_uri"])
        return Identity(creds, path, None)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise UsageError(f"The credentials file {path} is damaged: it has the fields of "
                         f"{label}, but they cannot be loaded (most often a private key cut "
                         "or altered when copied). Download it again from Google Cloud."
                         ) from None


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"The credentials file {path} does not exist. Give the path of the "
                         "service-account or OAuth JSON file you downloaded from Google "
                         f"Cloud (--credentials FILE or {ENV}).") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"The credentials file {path} cannot be read as JSON "
                         f"({type(exc).__name__}). Download it again from Google Cloud.") from None
    if not isinstance(info, dict):
        raise UsageError(f"The credentials file {path} holds JSON, but not a credentials "
                         "object. Download the JSON key file again from Google Cloud.")
    return info


def _usable(name: str, value: Any) -> bool:
    """Whether a field holds the kind of text Google puts there (never which text)."""
    if not isinstance(value, str) or not value.strip():
        return False
    if name == "client_email":
        return bool(EMAIL.fullmatch(value))
    if name == "private_key":
        return "-----BEGIN" in value and "PRIVATE KEY-----" in value
    if name == "token_uri":
        parts = urlsplit(value)
        return parts.scheme in ("https", "http") and bool(parts.netloc)
    return True


class TokenRequest(Request):
    """google-auth's transport for the token exchange, raising SignInUnavailable at once on
    an outage answer instead of letting google-auth sleep through its own retries."""

    def __call__(self, url: Any, method: Any = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = 120, **kwargs: Any) -> Any:
        response = super().__call__(url, method=method, body=body, headers=headers,
                                    timeout=timeout, **kwargs)
        if response.status in BUSY_STATUSES or _busy(response.data):
            raise SignInUnavailable(f"Google's sign-in service answered {response.status}")
        return response


def _busy(data: Any) -> bool:
    try:
        answer = json.loads(data)
    except (TypeError, ValueError):
        return False
    return isinstance(answer, dict) and answer.get("error") in BUSY_ERRORS


def authorized_session(credentials: Any, transport: requests.Session | None = None
                       ) -> requests.Session:
    """A session that adds (and refreshes) the bearer token; with ``transport``, both the API
    requests and the token exchange travel through that session's adapters."""
    session = AuthorizedSession(credentials,
                                auth_request=TokenRequest(transport or requests.Session()))
    for prefix, adapter in (transport.adapters.items() if transport else ()):
        session.mount(prefix, adapter)
    return session


def refused(exc: google.auth.exceptions.RefreshError, source: str | None) -> WorkbookError:
    """Google's sign-in service turned the credentials down: the file, Google's reason code
    and description (its own words, never the file's), and what to do."""
    answer = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    parts = [" ".join(str(answer[k]).split())[:160] for k in ("error", "error_description")
             if isinstance(answer.get(k), str) and answer[k].strip()]
    reason = ": ".join(parts) or "no reason given"
    where = f"in {source}" if source else "given"
    return WorkbookError(f"Google refused the credentials {where} ({reason}). Check that the "
                         "key is current (a deleted or rotated key fails this way) and download "
                         "it again if needed.")
