"""Test controls: injected faults, hooks, and the request log with counters."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

READ_KINDS = frozenset({"spreadsheets.get", "values.get", "values.batchGet"})
WRITE_KINDS = frozenset(
    {
        "spreadsheets.create",
        "spreadsheets.batchUpdate",
        "values.update",
        "values.batchUpdate",
        "values.append",
        "values.clear",
        "values.batchClear",
    }
)


def category(kind: str) -> str:
    """``read``, ``write`` (Sheets API quota buckets), ``auth``, ``drive`` or ``other``."""
    if kind in READ_KINDS:
        return "read"
    if kind in WRITE_KINDS:
        return "write"
    if kind == "token":
        return "auth"
    if kind.startswith("drive."):
        return "drive"
    return "other"


@dataclass
class LoggedRequest:
    """One request the emulator answered (or dropped).

    ``body`` is the JSON body as sent (parsed when first read: the log keeps the bytes,
    not millions of objects, for big writes).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    kind: str
    spreadsheet_id: str | None = None
    parsed_body: Any = field(default=None, repr=False)
    status: int = 0
    account: str | None = None
    fault: str | None = None
    at: float = field(default_factory=time.time)
    raw_body: bytes | None = field(default=None, repr=False, compare=False)
    #: the answer's body as JSON bytes, and as sent on the wire (smaller when gzip-encoded)
    response_bytes: int = 0
    wire_bytes: int = 0
    #: ``gzip`` when the answer was sent gzip-encoded (see :func:`.server.wants_gzip`)
    content_encoding: str | None = None

    @property
    def body(self) -> Any:
        if self.raw_body is not None:
            self.parsed_body = json.loads(self.raw_body)
            self.raw_body = None
        return self.parsed_body

    @body.setter
    def body(self, value: Any) -> None:
        self.parsed_body = value
        self.raw_body = None

    @property
    def category(self) -> str:
        return category(self.kind)


class RequestLog:
    """Every request in arrival order, with counters by method kind and category.

    Kinds: ``spreadsheets.create|get|batchUpdate``, ``values.get|batchGet|update|
    batchUpdate|append|clear|batchClear``, ``token``, ``drive.files.create|delete``,
    ``unknown``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries)

    def count(
        self, kind: str | None = None, *, category: str | None = None, status: int | None = None
    ) -> int:
        """How many requests match every filter given (kind, category, HTTP status)."""
        return sum(
            1
            for e in self.entries
            if (kind is None or e.kind == kind)
            and (category is None or e.category == category)
            and (status is None or e.status == status)
        )

    def counts(self) -> Counter[str]:
        """Requests per kind."""
        return Counter(e.kind for e in self.entries)

    @property
    def reads(self) -> int:
        """Sheets API read requests (spreadsheets.get, values.get, values.batchGet)."""
        return self.count(category="read")

    @property
    def writes(self) -> int:
        """Sheets API write requests (batchUpdate, values.update/append/clear …)."""
        return self.count(category="write")

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class Fault:
    """One pending injected failure (see :meth:`Faults.fail_next`)."""

    status: int
    remaining: int
    kinds: frozenset[str] | None
    retry_after: float | None = None
    disconnect: bool = False
    after_apply: bool = False  # handle the request, then drop the connection unanswered

    def applies(self, kind: str) -> bool:
        if self.kinds is None:
            return kind != "token"
        return kind in self.kinds


class Faults:
    """Failures to inject: error answers, dropped connections, latency, hooks.

    ``fail_next(3)`` makes the next three API requests answer 429 RESOURCE_EXHAUSTED;
    ``fail_next_batch_update()`` makes the next ``spreadsheets.batchUpdate`` answer 500
    without applying anything; ``disconnect_next()`` drops the connection before the
    request is handled (nothing applied) and ``disconnect_after_apply()`` after it was
    handled (a write is applied, but the client gets no answer — what a connection lost on
    the way back looks like); ``latency = 0.01`` delays every request by 10 ms.
    Faults are consumed in the order they were added, one per matching request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._hooks: list[tuple[str, Callable[[], Any]]] = []
        self.latency: float = 0.0

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        *,
        retry_after: float | None = 0,
        kinds: Iterable[str] | None = None,
    ) -> None:
        """The next ``n`` matching requests answer ``status`` (429, 500, 503 …).

        ``kinds`` limits it to some method kinds (default: every request but ``token``);
        429 and 503 answers carry ``Retry-After: retry_after`` unless it is None.
        """
        with self._lock:
            self._faults.append(
                Fault(status, n, frozenset(kinds) if kinds is not None else None, retry_after)
            )

    def fail_next_batch_update(self, status: int = 500, n: int = 1) -> None:
        """The next ``n`` spreadsheets.batchUpdate calls fail and change nothing."""
        self.fail_next(n, status, kinds={"spreadsheets.batchUpdate"}, retry_after=None)

    def disconnect_next(self, n: int = 1, *, kinds: Iterable[str] | None = None) -> None:
        """Close the connection without answering the next ``n`` matching requests; they
        are not handled (a write changes nothing)."""
        with self._lock:
            self._faults.append(
                Fault(0, n, frozenset(kinds) if kinds is not None else None, disconnect=True)
            )

    def disconnect_after_apply(self, n: int = 1, *, kinds: Iterable[str] | None = None) -> None:
        """Handle the next ``n`` matching requests as usual — a write is applied — then
        close the connection without sending the answer.

        The client sees a dropped connection (``requests.ConnectionError``) although the
        write took effect, as when the answer is lost on the way back. The request log
        records the status the answer would have had and ``fault == "disconnect after
        apply"``. ``kinds`` as for :meth:`fail_next` (e.g. ``{"spreadsheets.batchUpdate"}``).
        """
        with self._lock:
            self._faults.append(
                Fault(
                    0,
                    n,
                    frozenset(kinds) if kinds is not None else None,
                    disconnect=True,
                    after_apply=True,
                )
            )

    def before_next(self, kind: str, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` once, just before the next request of ``kind`` is handled."""
        with self._lock:
            self._hooks.append((kind, callback))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._hooks.clear()
            self.latency = 0.0

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def take(self, kind: str) -> Fault | None:
        """The fault to apply to a request of ``kind``, if any (consumes one)."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.applies(kind):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def take_hooks(self, kind: str) -> list[Callable[[], Any]]:
        with self._lock:
            due = [cb for k, cb in self._hooks if k == kind]
            self._hooks = [(k, cb) for k, cb in self._hooks if k != kind]
        return due
