"""The one seam between sheetsync and Google: a gspread ``HTTPClient`` that retries and
maps failures to sheetsync's exceptions.

gspread lets a client choose its transport (``gspread.Client(auth, http_client=…)``); this
subclass adds three things to the plain one:

* **routing** — with ``endpoint`` set (a local emulator or a proxy), every request meant for
  ``https://sheets.googleapis.com`` goes to that root instead (the OAuth token endpoint is
  whatever the key's ``token_uri`` says);
* **retries** — 429, 500, 502, 503, 504, dropped connections and timeouts are retried with
  exponential backoff and full jitter, waiting at least what ``Retry-After`` asks, until
  ``retry_seconds`` have passed — a stalled request included (its read timeout is what is
  left of them); other 4xx answers are never retried, and a token endpoint that fails
  (rather than refuses the key) is retried like the API;
* **errors** — every failure becomes one :mod:`sheetsync.errors` exception with a one-line
  message, here and nowhere else. Messages never carry a token, a key or a header.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import requests
from google.auth import exceptions as auth_exceptions
from gspread.http_client import FileType, HTTPClient, ParamsType
from requests import Response

from ...errors import (
    AccessDeniedError,
    BackendError,
    CredentialsError,
    FileChangedError,
    NotFoundError,
    QuotaError,
)

log = logging.getLogger("sheetsync.google")

GOOGLE_API_ROOT = "https://sheets.googleapis.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: first backoff ceiling and its cap, in seconds (full jitter: sleep uniform(0, ceiling))
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 32.0
#: (connect, read) timeouts of one request; a big batchUpdate may take a while to apply
TIMEOUT_SECONDS = (15.0, 300.0)
#: however late an attempt starts, it may wait this long for its answer
MIN_READ_SECONDS = 10.0
MAX_MESSAGE = 300
TOKEN_FAILURE = "the token endpoint failed"

_KEY_RE = re.compile(r"/v4/spreadsheets/([^/:?]+)")
# the write generation's compare-and-set failed (write.generation_requests)
_LOST_RACE = re.compile(r"requests\[\d+\]\.createDeveloperMetadata\b.*already exists", re.I)


def method_name(method: str, url: str) -> str:
    """The API method a request calls, for messages (``spreadsheets.batchUpdate`` …).

    >>> method_name("post", "https://sheets.googleapis.com/v4/spreadsheets/abc:batchUpdate")
    'spreadsheets.batchUpdate'
    >>> method_name("get", "http://127.0.0.1:1/v4/spreadsheets/abc/values:batchGet")
    'values.batchGet'
    """
    path = url.split("?", 1)[0]
    if "/values" in path:
        tail = path.rsplit("/values", 1)[1]
        return "values." + (tail[1:] if tail.startswith(":") else
                            {"get": "get", "put": "update"}.get(method.lower(), method.lower()))
    if path.endswith(":batchUpdate"):
        return "spreadsheets.batchUpdate"
    if _KEY_RE.search(path):
        return "spreadsheets.get"
    return "spreadsheets.create" if method.lower() == "post" else "request"


def spreadsheet_key_of(url: str) -> str:
    m = _KEY_RE.search(url)
    return m.group(1) if m else "?"


def _host(url: str) -> str:
    return url.split("/")[2] if "//" in url else url.split("/")[0]


def google_message(response: Response) -> str:
    """The ``error.message`` of a Google error answer (never the raw body of a stranger)."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        text = " ".join(error["message"].split())
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
    return ""


def is_refusal(exc: auth_exceptions.RefreshError) -> bool:
    """Whether the token endpoint *refused* the credentials (an OAuth error answer such as
    ``invalid_grant``), rather than failing (a 502 page from a proxy, an empty body).

    >>> is_refusal(auth_exceptions.RefreshError("invalid_grant", {"error": "invalid_grant"}))
    True
    >>> is_refusal(auth_exceptions.RefreshError("Bad Gateway", "<html>502</html>"))
    False
    """
    data = exc.args[1] if len(exc.args) > 1 else None
    return isinstance(data, dict) and isinstance(data.get("error"), str)


def retry_after_seconds(response: Response | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored: Google sends seconds)."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Full jitter on an exponential ceiling, but never less than ``Retry-After``."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    delay = random.uniform(0, ceiling)
    return max(delay, retry_after) if retry_after is not None else delay


def user_agent(current: str | None) -> str:
    """sheetsync's User-Agent: its name, version and ``(gzip)`` before the agent the
    session had (requests', with whatever gspread or google-auth add). Google's APIs send a
    gzip-encoded answer only when the User-Agent contains ``gzip`` *and* the request
    accepts it (its performance guide); the metadata answer is 30–90 times smaller so.

    >>> user_agent("python-requests/2.32.3")
    'sheetsync/0.1.0 (gzip) python-requests/2.32.3'
    >>> user_agent(user_agent("python-requests/2.32.3")) == user_agent("python-requests/2.32.3")
    True
    """
    from ... import __version__

    mine = f"sheetsync/{__version__} (gzip)"
    if current and current.startswith(mine):
        return current
    return f"{mine} {current}" if current else mine


def ask_for_gzip(headers: MutableMapping[str, str | bytes]) -> None:
    """Set a session's headers so that Google answers gzip-encoded (requests decodes it):
    :func:`user_agent`, and ``gzip`` among the accepted encodings (requests' default
    ``gzip, deflate`` already is)."""
    agent = headers.get("User-Agent")
    headers["User-Agent"] = user_agent(agent.decode() if isinstance(agent, bytes) else agent)
    accept = headers.get("Accept-Encoding")
    accept = accept.decode() if isinstance(accept, bytes) else accept
    if not accept:
        headers["Accept-Encoding"] = "gzip"
    elif "gzip" not in accept.lower():
        headers["Accept-Encoding"] = f"gzip, {accept}"


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with routing, bounded retries and sheetsync's error mapping.

    Build one with :func:`sheets_http_client` (the class-level settings are per subclass).
    ``identity`` names the account in messages (``the service account x@y``).
    """

    endpoint: str | None = None
    retry_seconds: float = 60.0
    identity: Callable[[], str] = staticmethod(lambda: "the account sheetsync runs as")

    def __init__(self, auth: Any, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.timeout = TIMEOUT_SECONDS
        ask_for_gzip(self.session.headers)

    def _timeout(self, start: float) -> tuple[float, float]:
        """(connect, read) timeouts of the next attempt: never past ``retry_seconds`` from
        the first attempt, so a stalled request cannot hold a run longer than that (but at
        least :data:`MIN_READ_SECONDS` to read an answer, however late the attempt)."""
        connect, read = self.timeout
        left = self.retry_seconds - (time.monotonic() - start)
        return connect, min(read, max(MIN_READ_SECONDS, left))

    def route(self, url: str) -> str:
        """``url`` with Google's API root replaced by ``endpoint`` (when set)."""
        if self.endpoint and url.startswith(GOOGLE_API_ROOT):
            return self.endpoint.rstrip("/") + url[len(GOOGLE_API_ROOT):]
        return url

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> Response:
        url = self.route(endpoint)
        name = method_name(method, url)
        start = time.monotonic()
        attempt = 0
        maybe_applied = False  # a write whose connection broke may have been applied
        while True:
            attempt += 1
            response: Response | None = None
            try:
                response = self.session.request(
                    method=method, url=url, json=json, params=params, data=data,
                    files=files, headers=headers, timeout=self._timeout(start),
                )
            except auth_exceptions.RefreshError as exc:
                if not exc.retryable and is_refusal(exc):
                    raise self._refused(exc) from None
                failure = TOKEN_FAILURE  # a 502 from a proxy is no verdict on the key
            except auth_exceptions.TransportError:  # google-auth could not reach token_uri
                failure = TOKEN_FAILURE
            except (requests.Timeout, requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError) as exc:
                failure = "timed out" if isinstance(exc, requests.Timeout) else \
                    "lost the connection"
                maybe_applied = maybe_applied or method.lower() != "get"
            except requests.RequestException as exc:  # a bad URL, a broken proxy setting …
                raise BackendError(f"cannot send {name} to {_host(url)} "
                                   f"({type(exc).__name__})") from None
            else:
                if response.ok:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise self._error(response, url, maybe_applied) from None
                failure = f"HTTP {response.status_code}"
            elapsed = time.monotonic() - start
            delay = backoff_delay(attempt, retry_after_seconds(response))
            if elapsed + delay > self.retry_seconds:
                raise self._exhausted(name, url, response, failure, attempt, elapsed) from None
            log.info("%s: %s; retry %d in %.1f s", name, failure, attempt, delay)
            time.sleep(delay)

    # -- the one place failures become sheetsync exceptions ----------------------------------
    def _refused(self, exc: auth_exceptions.RefreshError) -> CredentialsError:
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "refused"
        reason = " ".join(reason.split())[:MAX_MESSAGE]
        return CredentialsError(
            f"Google refused the credentials of {self.identity()} ({reason}): check the key "
            "file (a deleted or disabled key must be replaced by a new JSON key)")

    def _error(self, response: Response, url: str, maybe_applied: bool) -> BackendError:
        status = response.status_code
        key = spreadsheet_key_of(url)
        message = google_message(response)
        who = self.identity()
        if status == 401:
            return CredentialsError(
                f"Google refused the credentials of {who} (HTTP 401): check the key file "
                "(a deleted or disabled key must be replaced by a new JSON key)")
        if status == 403:
            lowered = message.lower()
            if "has not been used" in lowered or "is disabled" in lowered:
                return AccessDeniedError(
                    f"The Google Sheets API is not enabled for the Cloud project of {who}: "
                    "enable it in the Google Cloud console (APIs & Services) and run again")
            if "scope" in lowered:
                return AccessDeniedError(
                    f"The credentials of {who} lack the spreadsheets scope ({message})")
            return AccessDeniedError(
                f"The spreadsheet {key} is not shared with {who}: share the sheet with it as "
                "Editor")
        if status == 400 and _LOST_RACE.search(message):
            if maybe_applied:  # most likely our own first attempt, answered by a dropped line
                return BackendError(
                    f"the connection dropped while writing spreadsheet {key}; the write was "
                    "most likely applied (its generation moved on): run sheetsync again to "
                    "be sure")
            return FileChangedError(
                f"The spreadsheet {key} was written by another sheetsync run after this run "
                "read it; nothing was written. Run again to use the current state.")
        if status == 404:
            return NotFoundError(
                f"The spreadsheet {key} was not found: check spreadsheet.key in the config "
                "(the long id in the sheet's URL)")
        hint = (" — an earlier attempt lost its connection and may have been applied; run "
                "sheetsync again" if maybe_applied else "")
        detail = f": {message}" if message else ""
        return BackendError(
            f"Google Sheets API refused {method_name(response.request.method or '', url)} "
            f"on spreadsheet {key} (HTTP {status}{detail}){hint}")

    def _exhausted(self, name: str, url: str, response: Response | None, failure: str,
                   attempts: int, elapsed: float) -> BackendError:
        spent = f"after {attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.1f} s"
        if response is not None and response.status_code == 429:
            return QuotaError(
                f"Google Sheets API quota exhausted after {attempts} attempts over "
                f"{elapsed:.1f} s; try again later")
        if response is not None:
            message = google_message(response)
            detail = f": {message}" if message else ""
            return BackendError(
                f"Google Sheets API kept failing on {name} ({failure}{detail}) {spent}; "
                "try again later")
        if failure == TOKEN_FAILURE:
            return CredentialsError(
                f"could not get an access token for {self.identity()}: the token endpoint "
                f"(the key's token_uri) failed or was unreachable {spent}; check the network")
        return BackendError(
            f"could not reach {_host(url)} for {name} ({failure}) {spent}; check the network "
            "(or spreadsheet.endpoint in the config)")


def sheets_http_client(
    *,
    endpoint: str | None = None,
    retry_seconds: float = 60.0,
    identity: Callable[[], str] | None = None,
) -> type[SheetsHTTPClient]:
    """A :class:`SheetsHTTPClient` subclass with these settings, for ``gspread.Client``.

    >>> import gspread
    >>> gc = gspread.Client(creds, http_client=sheets_http_client(endpoint=url))  # doctest: +SKIP
    """
    attrs: dict[str, Any] = {"endpoint": endpoint, "retry_seconds": float(retry_seconds)}
    if identity is not None:
        attrs["identity"] = staticmethod(identity)
    return type("ConfiguredSheetsHTTPClient", (SheetsHTTPClient,), attrs)
