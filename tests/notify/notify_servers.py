"""Real servers on 127.0.0.1 for the `sheetsync notify` tests — no mock of smtplib or requests.

``conftest.py`` makes the fixtures available to this folder's tests, which import the
constants and types from here.

- ``smtp_server``: an aiosmtpd SMTP server that keeps every message it accepts (raw bytes and
  parsed), can refuse a recipient for good (550) or for a while (451), and can require AUTH
  (plain text, loopback only) with one user and password.
- ``webhook_server``: a stdlib HTTP server in a thread that records every POST (path, headers,
  JSON body) and answers each path from a script: ``{"/slow": [429, 500]}`` answers 429, then
  500, then 200 for good; ``{"/broken": [500] * 99}`` keeps answering 500.
- ``demo_project``: the demo register (as of 2026-12-04) and a function writing a config
  with a ``notify:`` section next to it.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from sheetsync.demo import write_demo_workbook

AS_OF = dt.date(2026, 12, 4)
SMTP_USER = "sheetsync@example.co.jp"
SMTP_PASSWORD = "pw-Zq8!never-shown-4711"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------- SMTP


@dataclass
class SmtpSink:
    """What the SMTP server received, and how it should answer."""

    port: int = 0
    raw: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 for these recipients
    busy: dict[str, int] = field(default_factory=dict)  # 451 this many times, then accept
    logins: list[tuple[str, str]] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(r, policy=policy.default) for r in self.raw]  # type: ignore[misc]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, (_, rcpts) in zip(self.messages, self.envelopes) if address in rcpts]

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        self.attempts[address] = self.attempts.get(address, 0) + 1
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such user"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _authenticator(sink: SmtpSink) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
              ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        sink.logins.append((login, password))
        # handled=False: the server answers 535 itself
        return AuthResult(success=login == SMTP_USER and password == SMTP_PASSWORD,
                          handled=False)

    return check


def start_smtp(sink: SmtpSink, *, auth: bool = False) -> Controller:
    sink.port = free_port()
    kwargs: dict[str, Any] = {}
    if auth:
        # AUTH offered without TLS: fine on 127.0.0.1, what sheetsync allows only there
        kwargs.update(authenticator=_authenticator(sink), auth_require_tls=False)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = start_smtp(sink, auth=True)
    try:
        yield sink
    finally:
        controller.stop()


# ------------------------------------------------------------------------------- webhooks


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class WebhookSink:
    base_url: str = ""
    posts: list[Post] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, path: str, status: int = 200) -> list[Any]:
        """The JSON bodies posted to ``path`` (its query aside) that were answered ``status``."""
        return [p.body for p in self.posts
                if p.path.split("?", 1)[0] == path and p.status == status]


def _handler(sink: WebhookSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            with sink.lock:
                planned = sink.script.get(path) or []
                status = planned.pop(0) if planned else 200
                sink.posts.append(Post(self.path, dict(self.headers), json.loads(raw), status))
            body = b"ok" if status == 200 else b"nope"
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0.001")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def webhook_server() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sink))
    sink.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------------- demo


@pytest.fixture(scope="session")
def _demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notify-demo") / "deals.xlsx"
    write_demo_workbook(path, today=AS_OF)
    return path


@dataclass
class Project:
    folder: Path

    @property
    def workbook(self) -> Path:
        return self.folder / "deals.xlsx"

    def config(self, notify: str, name: str = "config.yaml", spreadsheet: str | None = None
               ) -> Path:
        """Write a config with ``notify`` (YAML, indented under ``notify:``)."""
        head = spreadsheet or "spreadsheet: {path: deals.xlsx}"
        owners = ["佐藤 健", "鈴木 美咲", "高橋 翔太", "田中 由美", "伊藤 大輔", "渡辺 彩"]
        text = (f"{head}\nowners: [{', '.join(owners)}]\n"
                "stale: {by_stage: {lead: 30, negotiation: 7}}\n"
                "notify:\n" + "".join(f"  {line}\n" for line in notify.strip().splitlines()))
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def demo_project(_demo_workbook: Path, tmp_path: Path) -> Project:
    shutil.copy(_demo_workbook, tmp_path / "deals.xlsx")
    return Project(tmp_path)
