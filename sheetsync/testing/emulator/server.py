"""The HTTP server: routing, authentication, faults, field masks, the request log.

While a request is handled Python's cyclic garbage collector is paused (see
:func:`.state.paused_gc`).
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import api, fieldmask
from .auth import authenticate, token_endpoint
from .control import WRITE_KINDS, Faults, LoggedRequest, RequestLog
from .errors import (
    MAX_PAYLOAD_BYTES,
    MSG_INTERNAL,
    MSG_PAYLOAD_TOO_LARGE,
    MSG_UNAVAILABLE,
    ApiError,
    RequestError,
    quota_message,
)
from .state import State, paused_gc

_ID = r"(?P<id>[^/:]+)"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/token$"), "token"),
    ("POST", re.compile(r"^/oauth2/v4/token$"), "token"),
    ("POST", re.compile(r"^/v4/spreadsheets/?$"), "spreadsheets.create"),
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}$"), "spreadsheets.get"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}:batchUpdate$"), "spreadsheets.batchUpdate"),
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchGet$"), "values.batchGet"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchUpdate$"), "values.batchUpdate"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchClear$"), "values.batchClear"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+):append$"), "values.append"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+):clear$"), "values.clear"),
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+)$"), "values.get"),
    ("PUT", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+)$"), "values.update"),
    ("POST", re.compile(r"^/drive/v3/files/?$"), "drive.files.create"),
    ("DELETE", re.compile(rf"^/drive/v3/files/{_ID}$"), "drive.files.delete"),
]
METHODS = {
    "spreadsheets.create": api.create,
    "spreadsheets.get": api.get,
    "spreadsheets.batchUpdate": api.batch_update,
    "values.get": api.values_get,
    "values.batchGet": api.values_batch_get,
    "values.update": api.values_update,
    "values.batchUpdate": api.values_batch_update,
    "values.append": api.values_append,
    "values.clear": api.values_clear,
    "values.batchClear": api.values_batch_clear,
    "drive.files.create": api.drive_create,
    "drive.files.delete": api.drive_delete,
}


def route(method: str, path: str) -> tuple[str, dict[str, str]]:
    for verb, pattern, kind in ROUTES:
        m = pattern.match(path)
        if m and verb == method:
            return kind, {k: unquote(v) for k, v in m.groupdict().items()}
    return "unknown", {}


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that serves one emulator's state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, port: int, state: State, faults: Faults, log: RequestLog, strict_auth: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state
        self.faults = faults
        self.log = log
        self.strict_auth = strict_auth

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _fault_error(status: int, kind: str) -> ApiError:
    if status == 429:
        return ApiError(429, quota_message(kind in WRITE_KINDS))
    if status == 503:
        return ApiError(503, MSG_UNAVAILABLE)
    if status >= 500:
        return ApiError(status, MSG_INTERNAL)
    return ApiError(status, f"Injected error {status}.")


class Handler(BaseHTTPRequestHandler):
    """Serves one request: Sheets API v4, the token endpoint and two Drive conveniences."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "sheetsync-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # answers are written as headers then body: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        with paused_gc():
            self._handle_request(method)

    def _handle_request(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind, params = route(method, parts.path)
        entry = LoggedRequest(method, parts.path, query, kind, params.get("id"))
        server = self.server
        status, payload, headers = 500, None, {}
        try:
            for callback in server.faults.take_hooks(kind):
                callback()
            if server.faults.latency:
                time.sleep(server.faults.latency)
            if kind == "token":
                entry.body = {k: v for k, v in parse_qs(raw.decode()).items() if k != "assertion"}
                fault = server.faults.take(kind)
                if fault is not None:
                    self._apply_fault(fault, entry)
                form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                status, payload = token_endpoint(server.state, form, server.base_url)
            else:
                status, payload, headers = self._api(kind, params, query, raw, entry)
        except ApiError as err:
            status, payload = err.code, err.body()
            if err.code == 429:
                headers.setdefault("Retry-After", "0")
        except RequestError as err:  # raised outside a batchUpdate (e.g. append growing a grid)
            status, payload = 400, ApiError(400, err.message).body()
        except _Dropped:
            return
        except Exception:  # pragma: no cover - a bug in the emulator itself
            traceback.print_exc(file=sys.stderr)
            status, payload = 500, ApiError(500, MSG_INTERNAL).body()
        entry.status = status
        server.log.add(entry)
        if entry.fault == AFTER_APPLY:
            self._drop()
            return
        self._send(status, payload, headers, entry)

    def _api(
        self,
        kind: str,
        params: dict[str, str],
        query: dict[str, list[str]],
        raw: bytes,
        entry: LoggedRequest,
    ) -> tuple[int, Any, dict[str, str]]:
        server = self.server
        if kind == "unknown":
            raise ApiError(404, "Method not found.")
        identity = authenticate(server.state, self.headers.get("Authorization"), server.strict_auth)
        entry.account = identity.email
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise ApiError(400, MSG_PAYLOAD_TOO_LARGE)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received.") from None
        if body is not None:
            entry.raw_body = raw  # parsed again only if someone reads the log's body
        fault = server.faults.take(kind)
        if fault is not None:
            self._apply_fault(fault, entry)
        call = api.Call(
            server.state,
            identity,
            server.strict_auth,
            query,
            body,
            params.get("id"),
            params.get("range"),
        )
        with server.state.lock:
            status, payload = METHODS[kind](call)
        fields = query.get("fields")
        if fields and status == 200 and payload is not None and not call.masked:
            payload = fieldmask.apply(payload, api.parse_fields(fields[-1]))
        return status, payload, {}

    def _apply_fault(self, fault: Any, entry: LoggedRequest) -> None:
        """Answer (or drop) an injected fault now; an after-apply fault is only noted, and
        acted on once the request was handled."""
        if fault.after_apply:
            entry.fault = AFTER_APPLY
            return
        if fault.disconnect:
            entry.fault = "disconnect"
            self.server.log.add(entry)
            self._drop()
            raise _Dropped()
        entry.fault = f"status {fault.status}"
        err = _fault_error(fault.status, entry.kind)
        headers = {}
        if fault.retry_after is not None and fault.status in (429, 503):
            headers["Retry-After"] = f"{fault.retry_after:g}"
        entry.status = err.code
        self.server.log.add(entry)
        self._send(err.code, err.body(), headers, entry)
        raise _Dropped()

    def _drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, payload: Any, headers: dict[str, str],
              entry: LoggedRequest | None = None) -> None:
        data = b"" if payload is None else _encode(payload, self.path)
        decoded = len(data)
        encoding = None
        if data and wants_gzip(self.headers.get("Accept-Encoding"),
                               self.headers.get("User-Agent")):
            data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
            encoding = "gzip"
        if entry is not None:
            entry.response_bytes, entry.wire_bytes = decoded, len(data)
            entry.content_encoding = encoding
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)


#: zlib's default level, what ``gzip`` on a command line uses
GZIP_LEVEL = 6


def wants_gzip(accept_encoding: str | None, user_agent: str | None) -> bool:
    """Whether an answer goes gzip-encoded: as Google's APIs do, only when the request both
    accepts it (``Accept-Encoding: gzip``) and says so in its User-Agent (which must contain
    the string ``gzip``, e.g. ``my program (gzip)``). Either alone gets plain JSON — which
    is what gspread's and google-auth's default ``python-requests/…`` agent gets.

    >>> wants_gzip("gzip, deflate", "sheetsync/0.1.0 (gzip) python-requests/2.32.3")
    True
    >>> wants_gzip("gzip, deflate", "python-requests/2.32.3")
    False
    >>> wants_gzip(None, "my program (gzip)"), wants_gzip("gzip;q=0", "my program (gzip)")
    (False, False)
    """
    if not accept_encoding or not user_agent or "gzip" not in user_agent:
        return False
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip().lower()
        if q.startswith("q=") and _q_value(q[2:]) == 0:
            continue
        return True
    return False


def _q_value(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 1.0


def _encode(payload: Any, path: str) -> bytes:
    """JSON like Google's: pretty-printed, unless large (then the fast compact encoder) or
    the request says ``prettyPrint=false``."""
    # the payload is JSON data made by the emulator: no cycles to look for
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    pretty = "prettyprint=false" not in path.lower().replace("%3d", "=")
    if pretty and len(text) < 256_000:
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    return text.encode()


AFTER_APPLY = "disconnect after apply"


class _Dropped(Exception):
    """The answer was already sent (or deliberately not sent)."""
