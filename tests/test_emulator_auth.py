"""The emulator's OAuth token endpoint and per-spreadsheet permissions."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.service_account import Credentials

from sheetsync.testing.emulator import Emulator
from sheetsync.testing.fixtures import emulator_http_client

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def client_for(
    emulator: Emulator, info: dict[str, Any], scopes: list[str] = SCOPES
) -> gspread.Client:
    creds = Credentials.from_service_account_info(info, scopes=scopes)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))


def assertion(info: dict[str, Any], **claims: Any) -> str:
    signer = crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        "scope": SCOPES[0],
    }
    payload.update(claims)
    return jwt.encode(signer, {k: v for k, v in payload.items() if v is not None}).decode()


def post_token(
    emulator: Emulator, token: str, grant: str = "urn:ietf:params:oauth:grant-type:jwt-bearer"
) -> requests.Response:
    return requests.post(
        emulator.token_uri, data={"grant_type": grant, "assertion": token}, timeout=10
    )


def test_real_service_account_credentials_get_a_token(
    emulator: Emulator, service_account_key: Path
) -> None:
    info = json.loads(service_account_key.read_text())
    assert info["type"] == "service_account" and info["token_uri"] == f"{emulator.base_url}/token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    creds = Credentials.from_service_account_file(str(service_account_key), scopes=SCOPES)
    creds.refresh(Request())
    assert creds.valid and creds.token.startswith("ya29.")
    assert emulator.log.count("token", status=200) == 1


def test_token_response_shape(emulator: Emulator) -> None:
    info = emulator.make_service_account()
    r = post_token(emulator, assertion(info))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599


def test_forged_signature_is_rejected(emulator: Emulator) -> None:
    info = emulator.make_service_account()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = dict(
        info,
        private_key=other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )
    creds = Credentials.from_service_account_info(forged, scopes=SCOPES)
    with pytest.raises(RefreshError, match=r"invalid_grant: Invalid JWT Signature\."):
        creds.refresh(Request())
    r = post_token(emulator, assertion(forged))
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


@pytest.mark.parametrize(
    ("claims", "error", "description"),
    [
        ({"aud": "https://example.com/token"}, "invalid_grant", "Failed audience check"),
        ({"iat": 1_000_000_000, "exp": 1_000_003_600}, "invalid_grant", "short-lived token"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant", "short-lived token"),
        ({"scope": None}, "invalid_scope", "Invalid OAuth scope"),
        ({"iss": "nobody@example.com"}, "invalid_grant", "account not found"),
    ],
)
def test_bad_assertions_are_rejected(
    emulator: Emulator, claims: dict[str, Any], error: str, description: str
) -> None:
    info = emulator.make_service_account()
    r = post_token(emulator, assertion(info, **claims))
    assert r.status_code == 400
    assert r.json()["error"] == error and description in r.json()["error_description"]


def test_wrong_grant_type(emulator: Emulator) -> None:
    r = post_token(emulator, "x.y.z", grant="client_credentials")
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


def test_missing_or_unknown_bearer_token(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    url = f"{emulator.base_url}/v4/spreadsheets/{sid}"
    r = requests.get(url, timeout=10)
    assert r.status_code == 401
    assert r.json() == {
        "error": {"code": 401, "message": UNAUTHENTICATED, "status": "UNAUTHENTICATED"}
    }
    # without --strict-auth any bearer token is an editor of everything
    assert (
        requests.get(url, headers={"Authorization": "Bearer anything"}, timeout=10).status_code
        == 200
    )
    emulator.strict_auth = True
    r = requests.get(url, headers={"Authorization": "Bearer anything"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_strict_auth_creator_owns_others_need_sharing(emulator: Emulator) -> None:
    emulator.strict_auth = True
    owner = emulator.make_service_account("owner@proj.iam.gserviceaccount.com")
    stranger = emulator.make_service_account("stranger@proj.iam.gserviceaccount.com")
    gc_owner, gc_stranger = client_for(emulator, owner), client_for(emulator, stranger)
    sh = gc_owner.create("private")
    sh.sheet1.update([["secret"]], "A1")
    with pytest.raises(PermissionError):
        gc_stranger.open_by_key(sh.id)
    raw = gc_stranger.http_client.session.get(f"{emulator.base_url}/v4/spreadsheets/{sh.id}")
    assert raw.status_code == 403
    assert raw.json() == {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
    }
    emulator.share(sh.id, stranger["client_email"], "reader")
    ws = gc_stranger.open_by_key(sh.id).sheet1
    assert ws.acell("A1").value == "secret"
    with pytest.raises(gspread.exceptions.APIError) as err:
        ws.update([["overwrite"]], "A1")
    assert err.value.response.status_code == 403
    emulator.share(sh.id, stranger["client_email"], "writer")
    ws.update([["overwrite"]], "A1")
    assert emulator.get_values(sh.id, "A1") == [["overwrite"]]


def test_strict_auth_key_out_account_edits_everything(
    emulator: Emulator, service_account_key: Path
) -> None:
    emulator.strict_auth = True
    sid = emulator.create_spreadsheet("someone else's", owner="someone@example.com")
    info = json.loads(service_account_key.read_text())
    ws = client_for(emulator, info).open_by_key(sid).sheet1
    ws.update([["ok"]], "B2")
    assert emulator.get_values(sid, "B2") == [["ok"]]


def test_strict_auth_readonly_scope_cannot_write(emulator: Emulator) -> None:
    emulator.strict_auth = True
    info = emulator.make_service_account(edit_all=True)
    sid = emulator.create_spreadsheet("x")
    gc = client_for(emulator, info, ["https://www.googleapis.com/auth/spreadsheets.readonly"])
    ws = gc.open_by_key(sid).sheet1
    with pytest.raises(gspread.exceptions.APIError, match="insufficient authentication scopes"):
        ws.update([["no"]], "A1")
