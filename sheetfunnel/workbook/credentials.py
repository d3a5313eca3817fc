"""Google credentials for the Sheets backend: a service account or an authorized user.

The file comes from ``--credentials`` or ``GOOGLE_APPLICATION_CREDENTIALS`` and is opened with
the spreadsheets scope only (no Drive: spreadsheets are opened by key). The token exchange goes
wherever the file's own ``token_uri`` says, as google-auth does. Messages name the file, never
its contents.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from sheetfunnel.errors import UsageError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
ENV = "GOOGLE_APPLICATION_CREDENTIALS"


@dataclass(frozen=True)
class Identity:
    """Loaded credentials, where they came from, and whom to share a spreadsheet with."""

    credentials: Any
    source: str
    account: str | None  # a service account's e-mail; None for a person's OAuth login


def credentials_source(path: str | None) -> str | None:
    """The credentials file to use: the one given, else the environment's."""
    return path or os.environ.get(ENV) or None


def load_identity(path: str) -> Identity:
    """Credentials from a service-account or authorized-user JSON file."""
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
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            return Identity(creds, path, info.get("client_email"))
        if kind == "authorized_user":
            creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)
            if info.get("token_uri"):  # google-auth would always use Google's own
                creds = creds.with_token_uri(info["token_uri"])
            return Identity(creds, path, None)
    except ValueError as exc:
        reason = str(exc).split("\n")[0]
        raise UsageError(f"The credentials file {path} is incomplete or damaged ({reason}). "
                         "Download it again from Google Cloud.") from None
    raise UsageError(f"The credentials file {path} is neither a service-account key nor an "
                     f"authorized-user file (its type is {kind!r}). Create a service-account "
                     "key in Google Cloud and give its JSON file.")


def authorized_session(credentials: Any, transport: requests.Session | None = None
                       ) -> requests.Session:
    """A session that adds (and refreshes) the bearer token; with ``transport``, both the API
    requests and the token exchange travel through that session's adapters."""
    if transport is None:
        return AuthorizedSession(credentials)
    session = AuthorizedSession(credentials, auth_request=Request(transport))
    for prefix, adapter in transport.adapters.items():
        session.mount(prefix, adapter)
    return session
