"""The channels a digest goes through: mail over SMTP (smtplib) and chat webhooks (requests).

Each send either succeeds or raises :class:`SendError` saying whether trying again may help
(``retryable``: a 429 or 5xx answer, a connection that failed or timed out, a 4xx SMTP
reply) and why, in words that never hold a secret: no password, no webhook URL (its path
and query are the secret), no exception text from the transport (requests and urllib3 put
the URL in theirs). Retrying is :mod:`.delivery`'s business.

The mail itself (:func:`mail_message`) is a ``multipart/alternative`` of the plain text and
the HTML, both UTF-8, built with :mod:`email` under ``policy.SMTP``, which encodes a
non-ASCII subject and display names per RFC 2047 and ends lines with CRLF.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import requests

from ..config import NotifyEmailConfig
from ..errors import ConfigError

#: the port each ``notify.email.security`` uses when ``port`` is not set
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class SendError(Exception):
    """One send failed. ``retryable``: the same send may succeed later; ``retry_after``:
    seconds the server asked to wait (``Retry-After``), if it said."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None
                 ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


# ----------------------------------------------------------------------------------- mail


def mail_message(*, sender: str, to: str, subject: str, text: str, html: str,
                 date: float | None = None) -> EmailMessage:
    """A ``multipart/alternative`` mail (plain text, then HTML; both UTF-8)."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = email.utils.formatdate(date, localtime=True)
    domain = sender.rsplit("@", 1)[-1].strip(" >") or None
    message["Message-ID"] = email.utils.make_msgid("sheetsync", domain=domain)
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (a relay on this machine).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("smtp.example.co.jp")
    (True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpChannel:
    """Where mail goes: ``notify.email``, with the password read from its variable."""

    settings: NotifyEmailConfig
    password: str | None
    timeout_seconds: float = 30.0

    @classmethod
    def from_config(cls, settings: NotifyEmailConfig, env: Any, source: str = "config",
                    timeout_seconds: float = 30.0) -> SmtpChannel:
        """Checked before anything is sent: a host, a sender, the password's variable set,
        and no password over an unencrypted connection to another machine."""
        if not settings.host:
            raise ConfigError(f"{source}: notify.email.host: not set; mail cannot be sent "
                              "(set notify.email, or use --dry-run)")
        if not (settings.from_ or (settings.username and "@" in settings.username)):
            raise ConfigError(f"{source}: notify.email.from: not set (the sender address, "
                              'e.g. "sheetsync <sheetsync@example.co.jp>")')
        password = None
        if settings.username:
            if not settings.password_env:
                raise ConfigError(f"{source}: notify.email.password_env: not set (the name "
                                  "of the environment variable holding the SMTP password)")
            password = env.get(settings.password_env) or None
            if password is None:
                raise ConfigError(f"{source}: notify.email.password_env: the environment "
                                  f"variable {settings.password_env} is not set")
            if settings.security == "none" and not is_loopback(settings.host):
                raise ConfigError(f"{source}: notify.email.security: none would send the "
                                  f"password to {settings.host} unencrypted; use starttls or "
                                  "ssl")
        return cls(settings, password, timeout_seconds)

    @property
    def sender(self) -> str:
        return self.settings.from_ or str(Address(addr_spec=self.settings.username or ""))

    @property
    def port(self) -> int:
        return self.settings.port or DEFAULT_PORTS[self.settings.security]

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` on a connection of its own; :class:`SendError` on failure."""
        s = self.settings
        host = s.host or ""
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, self.port, timeout=self.timeout_seconds,
                    context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, self.port, timeout=self.timeout_seconds)
            with smtp:
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(f"recipient refused ({_replies(exc.recipients.values())})",
                            retryable=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"login refused by {host} ({exc.smtp_code})",
                            retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"{host} answered {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                            retryable=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS, no SMTPUTF8 …
            raise SendError(f"{host}: {exc}", retryable=False) from None
        except ssl.SSLCertVerificationError:
            raise SendError(f"{host}: the server's TLS certificate could not be verified",
                            retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refusals
            raise SendError(f"cannot reach {host}:{self.port} ({type(exc).__name__})",
                            retryable=True) from None


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _replies(replies: Any) -> str:
    return "; ".join(f"{code} {_reply_text(text)}" for code, text in replies)


# ------------------------------------------------------------------------------- webhooks


def webhook_url(env_name: str, env: Any, source: str = "config", key: str = "") -> str:
    """The URL held by the variable ``env_name``; a :class:`ConfigError` naming the variable
    (never its value) when it is unset or not an http(s) URL."""
    url = (env.get(env_name) or "").strip()
    if not url:
        raise ConfigError(f"{source}: {key}: the environment variable {env_name} is not set")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{source}: {key}: the environment variable {env_name} does not "
                          "hold an http(s) URL")
    return url


def redacted(env_name: str) -> str:
    """How a webhook is named in output: its variable, never its URL (``$SLACK_WEBHOOK``)."""
    return f"${env_name}"


@dataclass(frozen=True)
class WebhookChannel:
    """A Slack or Google Chat incoming webhook: one POST of JSON per message."""

    url: str
    name: str  # what output shows: the variable's name
    timeout_seconds: float = 30.0

    def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            response = requests.post(
                self.url, data=body, timeout=self.timeout_seconds, allow_redirects=False,
                headers={"Content-Type": "application/json; charset=UTF-8"})
        except requests.RequestException as exc:  # its text holds the URL: never shown
            raise SendError(f"cannot reach the webhook in {self.name} ({type(exc).__name__})",
                            retryable=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        retryable = status == 429 or status >= 500
        raise SendError(f"the webhook in {self.name} answered HTTP {status}",
                        retryable=retryable, retry_after=_retry_after(response))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides


__all__ = ["DEFAULT_PORTS", "SendError", "SmtpChannel", "WebhookChannel", "mail_message",
           "redacted", "webhook_url"]
