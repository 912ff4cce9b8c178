"""Sending one message with retries, and keeping secrets out of every log line meanwhile.

:func:`deliver` tries a send up to ``attempts`` times: a :class:`~.channels.SendError` that
is ``retryable`` (429, 5xx, a connection that failed, a 4xx SMTP reply) waits
``backoff_seconds`` before the second try and twice as long before each next one — or what
the server's ``Retry-After`` asks, up to ``max_wait_seconds`` — then tries again; any other
failure, or the last try's, is the answer. ``sleep`` is injectable so tests never wait.

:func:`redacting` hides secrets (webhook URLs, a password) from the log records of the
libraries that carry them (urllib3 logs each request's path at DEBUG level; a Slack or Chat
webhook's path and query *are* its secret) for as long as messages are being sent.

>>> policy = RetryPolicy(attempts=4, backoff_seconds=2.0, max_wait_seconds=60.0)
>>> [policy.wait(n, None) for n in (1, 2, 3)], policy.wait(1, 300.0)
([2.0, 4.0, 8.0], 60.0)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from ..config import NotifyRetryConfig
from .channels import SendError

#: loggers that may write a request's URL (urllib3's connection pool, requests)
_TRANSPORT_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3", "requests",
                      "smtplib")
_HIDDEN = "[secret]"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 60.0

    @classmethod
    def from_config(cls, config: NotifyRetryConfig) -> RetryPolicy:
        return cls(config.attempts, config.backoff_seconds, config.max_wait_seconds)

    def wait(self, failed_tries: int, retry_after: float | None) -> float:
        """Seconds to wait after ``failed_tries`` tries (1 = after the first): the backoff,
        or longer when the server asked for it, never more than ``max_wait_seconds``."""
        wait = self.backoff_seconds * 2 ** (failed_tries - 1)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.max_wait_seconds)


@dataclass(frozen=True)
class Attempted:
    """How a send ended: ``error`` is ``None`` when it went; ``tries`` it took."""

    tries: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def deliver(send: Callable[[], None], policy: RetryPolicy,
            sleep: Callable[[float], None] = time.sleep) -> Attempted:
    """Call ``send`` until it succeeds, fails for good, or the tries run out."""
    for n in range(1, policy.attempts + 1):
        try:
            send()
            return Attempted(n)
        except SendError as exc:
            if not exc.retryable:
                return Attempted(n, exc.reason)
            if n == policy.attempts:
                return Attempted(n, f"{exc.reason}; gave up after {n} tries")
            sleep(policy.wait(n, exc.retry_after))
    return Attempted(policy.attempts, "not sent")  # attempts >= 1: never reached


# ------------------------------------------------------------------------------ secrets


def secret_parts(secret: str) -> list[str]:
    """What must never be shown of a secret: itself, and for a URL its path and each query
    value (urllib3 logs the path alone).

    >>> secret_parts("https://chat.googleapis.com/v1/spaces/AAA/messages?key=K1&token=T2")
    ['https://chat.googleapis.com/v1/spaces/AAA/messages?key=K1&token=T2', \
'/v1/spaces/AAA/messages?key=K1&token=T2', '/v1/spaces/AAA/messages', 'K1', 'T2']
    """
    parts = [secret]
    if secret.startswith(("https://", "http://")):
        url = urlsplit(secret)
        if url.query:
            parts.append(f"{url.path}?{url.query}")
        if len(url.path) > 1:
            parts.append(url.path)
        parts += [value for _, value in parse_qsl(url.query) if len(value) >= 2]
    return [p for p in parts if p]


class _Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # longest first, so a URL goes before its own path
        self.secrets = sorted({p for s in secrets for p in secret_parts(s)}, key=len,
                              reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted: drop it, it may hold a secret
            return False
        if any(s in text for s in self.secrets):
            for secret in self.secrets:
                text = text.replace(secret, _HIDDEN)
            record.msg, record.args = text, None
        return True


@contextmanager
def redacting(secrets: Iterable[str]) -> Iterator[None]:
    """Within the block, log records of the transports (and of sheetsync) never show any of
    ``secrets``."""
    keep = [s for s in secrets if s]
    if not keep:
        yield
        return
    redact = _Redact(keep)
    loggers = [logging.getLogger(name) for name in (*_TRANSPORT_LOGGERS, "sheetsync",
                                                     "sheetsync.notify")]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)
