"""Credentials: the token endpoint (service-account JWTs, authorized-user refresh tokens), the
bearer tokens it issues and requires, and credential files for tests."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from .sheet import MESSAGES, SCOPE, ApiError

if TYPE_CHECKING:
    from . import SheetsEmulator


class AuthMixin:
    """Who may call: trusted keys and tokens, and the token endpoint."""

    def trust_service_account(self, email: str, public_key: Any) -> None:
        self.service_accounts[email] = public_key

    def trust_refresh_token(self, token: str, client_id: str, client_secret: str) -> None:
        self.refresh_tokens[token] = (client_id, client_secret)

    @property
    def requires_auth(self) -> bool:
        return bool(self.service_accounts or self.refresh_tokens)


    def _authorize(self, request: requests.PreparedRequest, method: str) -> None:
        if self.requires_auth:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                raise ApiError(401)
            if SCOPE not in self.tokens[auth[7:]].split():
                raise ApiError(403, "Request had insufficient authentication scopes.")
        if self.access == "none" or (self.access == "read" and method != "GET"):
            raise ApiError(403)

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict, Any]:
        grant = form.get("grant_type", [""])[0]
        self.token_calls.append({k: v[0] for k, v in form.items()})
        if self.token_outages:
            status = self.token_outages.pop(0)
            return status, {}, {"error": "rate_limit_exceeded" if status == 429 else
                                "temporarily_unavailable",
                                "error_description": MESSAGES.get(status, "Try again later.")}
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = self._verified_claims(form.get("assertion", [""])[0])
            if claims is None:
                return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT "
                                 "Signature."}
            scope = claims.get("scope", "")
        elif grant == "refresh_token":
            known = self.refresh_tokens.get(form.get("refresh_token", [""])[0])
            if known != (form.get("client_id", [""])[0], form.get("client_secret", [""])[0]):
                return 400, {}, {"error": "invalid_grant", "error_description": "Bad Request"}
            scope = form.get("scope", [SCOPE])[0]
        else:
            return 400, {}, {"error": "unsupported_grant_type"}
        token = f"ya29.emulated-{len(self.tokens) + 1}"
        self.tokens[token] = scope
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        if grant == "refresh_token":
            answer["scope"] = scope
        return 200, {}, answer

    def _verified_claims(self, assertion: str) -> dict | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def unb64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        try:
            header, payload, signature = assertion.split(".")
            claims = json.loads(unb64(payload))
            key = self.service_accounts[claims["iss"]]
            key.verify(unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except (ValueError, KeyError, InvalidSignature):
            return None
        # google-auth signs for Google's token audience whatever the token_uri; Google agrees
        if claims.get("aud") not in (self.token_uri, "https://oauth2.googleapis.com/token") or \
                claims.get("exp", 0) < time.time():
            return None
        self.caller = claims["iss"]
        return claims


def service_account_file(folder: Path, emulator: SheetsEmulator,
                         email: str = "worker@emulated-project.iam.gserviceaccount.com") -> Path:
    """A fresh RSA key, trusted by the emulator, in a service-account JSON whose token_uri is
    the emulator's token endpoint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    emulator.trust_service_account(email, key.public_key())
    path = folder / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "emulated-project",
        "private_key_id": "0123456789abcdef", "private_key": pem, "client_email": email,
        "client_id": "1234567890", "token_uri": emulator.token_uri,
        "auth_uri": "https://accounts.emulator.test/o/oauth2/auth"}), encoding="utf-8")
    return path


def authorized_user_file(folder: Path, emulator: SheetsEmulator) -> Path:
    """An OAuth authorized-user file whose refresh token the emulator accepts."""
    emulator.trust_refresh_token("1//emulated-refresh", "client-123.apps", "client-secret")
    path = folder / "authorized-user.json"
    path.write_text(json.dumps({
        "type": "authorized_user", "client_id": "client-123.apps",
        "client_secret": "client-secret", "refresh_token": "1//emulated-refresh",
        "token_uri": emulator.token_uri}), encoding="utf-8")
    return path
