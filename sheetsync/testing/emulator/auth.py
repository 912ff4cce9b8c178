"""Service-account keys and the OAuth 2.0 token endpoint (JWT bearer grant), as Google's.

``google.oauth2.service_account.Credentials`` signs an RS256 JWT with the key's private half
and posts it to ``token_uri``; the emulator checks the signature against the public half of
the key it issued, plus ``aud``, ``iat``/``exp`` and ``scope``, and answers an access token.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import MSG_UNAUTHENTICATED, ApiError
from .state import Account, State

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3599
GOOGLE_AUDIENCES = (
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)
SHEETS_SCOPES = {
    "https://www.googleapis.com/auth/spreadsheets": "write",
    "https://www.googleapis.com/auth/drive": "write",
    "https://www.googleapis.com/auth/drive.file": "write",
    "https://www.googleapis.com/auth/cloud-platform": "write",
    "https://www.googleapis.com/auth/spreadsheets.readonly": "read",
    "https://www.googleapis.com/auth/drive.readonly": "read",
}
ANONYMOUS = "anonymous@sheetsync-emulator.invalid"
PROJECT_ID = "sheetsync-emulator"


@dataclass(frozen=True)
class Identity:
    """Who is calling: an account email, what its token allows, and whether it is trusted."""

    email: str
    scopes: tuple[str, ...]
    edit_all: bool
    issued: bool

    def can(self, write: bool) -> bool:
        grants = {SHEETS_SCOPES.get(s) for s in self.scopes}
        return "write" in grants or (not write and "read" in grants)


def make_key(
    state: State, base_url: str, email: str | None = None, edit_all: bool = False
) -> dict[str, Any]:
    """A fresh service-account key (JSON info); its account is registered with ``state``."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with state.lock:
        if email is None:
            n = len(state.accounts) + 1
            while f"sheetsync-test-{n}@{PROJECT_ID}.iam.gserviceaccount.com" in state.accounts:
                n += 1
            email = f"sheetsync-test-{n}@{PROJECT_ID}.iam.gserviceaccount.com"
        key_id = secrets.token_hex(20)
        client_id = str(state.rng.randrange(10**20, 10**21))
        state.accounts[email] = Account(email, key_id, public_pem, client_id, edit_all)
    return {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": client_id,
        "auth_uri": f"{base_url}/o/oauth2/auth",
        "token_uri": f"{base_url}/token",
        "auth_provider_x509_cert_url": f"{base_url}/oauth2/v1/certs",
        "client_x509_cert_url": f"{base_url}/robot/v1/metadata/x509/{quote(email)}",
        "universe_domain": "googleapis.com",
    }


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _grant_error(
    description: str, error: str = "invalid_grant", status: int = 400
) -> tuple[int, dict[str, Any]]:
    return status, {"error": error, "error_description": description}


def token_endpoint(state: State, form: dict[str, str], base_url: str) -> tuple[int, dict[str, Any]]:
    """Handle ``POST /token``; returns (HTTP status, JSON body)."""
    grant_type = form.get("grant_type", "")
    if grant_type != JWT_GRANT:
        return _grant_error(f"Invalid grant_type: {grant_type}", "unsupported_grant_type")
    assertion = form.get("assertion", "")
    if not assertion:
        return _grant_error("Missing required parameter: assertion", "invalid_request")
    try:
        head_b64, body_b64, sig_b64 = assertion.split(".")
        header = json.loads(_b64(head_b64))
        claims = json.loads(_b64(body_b64))
        signature = _b64(sig_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return _grant_error("Invalid JWT: Unable to parse the assertion.")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return _grant_error("Invalid JWT: Unable to parse the assertion.")
    with state.lock:
        account = state.accounts.get(str(claims.get("iss", "")))
    if account is None:
        return _grant_error("Invalid grant: account not found")
    if header.get("alg") != "RS256" or header.get("kid", account.key_id) != account.key_id:
        return _grant_error("Invalid JWT Signature.")
    public_key = serialization.load_pem_public_key(account.public_key_pem)
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(
            signature, f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return _grant_error("Invalid JWT Signature.")
    if claims.get("aud") not in (*GOOGLE_AUDIENCES, f"{base_url}/token"):
        return _grant_error(
            "Invalid JWT: Failed audience check. The expected audience is "
            "https://oauth2.googleapis.com/token."
        )
    now = time.time()
    try:
        iat, exp = float(claims["iat"]), float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        iat = exp = 0.0
    if not (iat - 300 <= now < exp and exp - iat <= 3600 and iat <= now + 300):
        return _grant_error(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
            "timeframe. Check your iat and exp values in the JWT claim."
        )
    if claims.get("sub") and claims["sub"] != account.email:
        return _grant_error(
            "Client is unauthorized to retrieve access tokens using this method, or client not "
            "authorized for any of the scopes requested.",
            "unauthorized_client",
            401,
        )
    scopes = tuple(str(claims.get("scope", "")).split())
    if not scopes:
        return _grant_error("Invalid OAuth scope or ID token audience provided.", "invalid_scope")
    with state.lock:
        token = state.new_token(account.email, TOKEN_LIFETIME, scopes)
    return 200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}


def authenticate(state: State, header: str | None, strict: bool) -> Identity:
    """The caller behind an ``Authorization`` header; 401 like Google when there is none."""
    if not header or not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(401, MSG_UNAUTHENTICATED)
    value = header[7:].strip()
    with state.lock:
        token = state.tokens.get(value)
        if token is not None and token.expires_at <= time.time():
            token = None
        account = state.accounts.get(token.email) if token else None
    if token is not None:
        return Identity(token.email, token.scopes, bool(account and account.edit_all), True)
    if strict:
        raise ApiError(401, MSG_UNAUTHENTICATED)
    return Identity(ANONYMOUS, tuple(SHEETS_SCOPES), True, False)
