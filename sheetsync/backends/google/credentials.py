"""Google credentials for sheetsync: a key file, ``GOOGLE_APPLICATION_CREDENTIALS`` or ADC.

Only the spreadsheets scope is requested — sheetsync never needs Drive. A key file that is
missing, unreadable or malformed is a :class:`~sheetsync.errors.CredentialsError` naming the
file; its content (private key, ids) never appears in a message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import google.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from ...errors import CredentialsError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
_REQUIRED = ("client_email", "private_key", "token_uri")
_FILE_TYPES = ("service_account", "authorized_user")
ENV_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"
_NEW_KEY = ("create a new JSON key for the service account in the Google Cloud console "
            "(IAM & Admin › Service accounts › Keys)")


def load_credentials(path: Path | None) -> Credentials:
    """Credentials from ``path``, else ``GOOGLE_APPLICATION_CREDENTIALS``, else ADC."""
    if path is not None:
        return credentials_from_file(path)
    env = os.environ.get(ENV_VARIABLE)
    if env and _read_info(Path(env)).get("type") in _FILE_TYPES:
        return credentials_from_file(Path(env))
    try:  # ADC: workload identity (external_account) files, gcloud, the metadata server
        creds, _project = google.auth.default(scopes=list(SCOPES))
    except auth_exceptions.DefaultCredentialsError:
        if env:
            raise CredentialsError(
                f"{env} (GOOGLE_APPLICATION_CREDENTIALS) is not a usable Google credentials "
                f"file; {_NEW_KEY}") from None
        raise CredentialsError(
            "no Google credentials found: set spreadsheet.credentials in the config to a "
            "service-account key file, or GOOGLE_APPLICATION_CREDENTIALS, or run where "
            "Application Default Credentials exist (Cloud Run, GKE, gcloud auth "
            "application-default login)") from None
    return creds


def _read_info(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(f"credentials file not found: {path}") from None
    except IsADirectoryError:
        raise CredentialsError(f"credentials file {path} is a folder, not a JSON key") \
            from None
    except (OSError, UnicodeDecodeError):
        raise CredentialsError(f"cannot read the credentials file {path}") from None
    try:
        info: Any = json.loads(text)
    except ValueError:
        raise CredentialsError(
            f"{path} is not a service-account key file (not JSON); {_NEW_KEY}") from None
    if not isinstance(info, dict):
        raise CredentialsError(
            f"{path} is not a service-account key file (not a JSON object); {_NEW_KEY}")
    return info


def credentials_from_file(path: Path) -> Credentials:
    """A service-account key (or a gcloud ``authorized_user`` file) with our scope."""
    info = _read_info(path)
    kind = info.get("type")
    if kind == "service_account":
        missing = [k for k in _REQUIRED if not isinstance(info.get(k), str) or not info[k]]
        if missing:
            raise CredentialsError(
                f"{path} is not a valid service-account key file (missing "
                f"{', '.join(missing)}); {_NEW_KEY}")
        try:
            return service_account.Credentials.from_service_account_info(
                info, scopes=list(SCOPES))
        except Exception:  # the reason may quote the key: say only which file
            raise CredentialsError(
                f"{path}: the private key of this service-account key file cannot be "
                f"loaded; {_NEW_KEY}") from None
    if kind == "authorized_user":
        try:
            return user_credentials.Credentials.from_authorized_user_info(
                info, scopes=list(SCOPES))
        except Exception:
            raise CredentialsError(f"{path}: this authorized_user credentials file is "
                                   "incomplete; run gcloud auth application-default login "
                                   "again") from None
    raise CredentialsError(
        f"{path} is not a usable Google credentials file (type {str(kind)[:40]!r}); "
        f"{_NEW_KEY} — or, for workload identity federation, point "
        f"{ENV_VARIABLE} at it and leave spreadsheet.credentials unset")


GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def route_token_uri(creds: Credentials, endpoint: str | None) -> Credentials:
    """With ``spreadsheet.endpoint`` set, credentials that would ask Google's own token URL
    (an ``authorized_user`` file has no ``token_uri`` of its own) ask ``<endpoint>/token``
    instead — all of a run's Google traffic goes where the config says. A key naming its own
    token URI (the emulator's) keeps it."""
    if not endpoint:
        return creds
    uri = getattr(creds, "_token_uri", None)
    if uri is None or uri.rstrip("/") != GOOGLE_TOKEN_URI:
        return creds
    routed = endpoint.rstrip("/") + "/token"
    for name in ("with_token_uri",):
        method = getattr(creds, name, None)
        if callable(method):
            try:
                return method(routed)
            except (TypeError, ValueError, NotImplementedError):
                break
    creds._token_uri = routed  # type: ignore[attr-defined]  # no public setter there
    return creds


def describe_identity(creds: Credentials) -> str:
    """``the service account x@y`` when the credentials know their email, else a phrase."""
    email = getattr(creds, "service_account_email", None) or getattr(
        creds, "signer_email", None)
    if isinstance(email, str) and "@" in email:
        return f"the service account {email}"
    return "the account sheetsync runs as"
