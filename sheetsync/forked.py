"""Work done on the second core: a function run in a forked copy of this process.

A run is one thread of Python from the read to the write; on a machine with two cores the
second one idles through validation, history and most reports. Some reports depend on no
other (パイプライン増減, ファネル, 受注率): :func:`start` runs such work in a child made by
``fork`` — a copy of this process, its data shared until either side writes — and the
result comes back pickled through a pipe when :meth:`Pending.result` asks for it, while
this process goes on with the rest.

Only where that is safe and worth it (:func:`can_fork`): Linux (``fork`` without ``exec``
is what macOS warns against), no other thread running (a lock another thread held at the
fork would stay locked in the child forever; the scheduler runs jobs in threads), more than
one core available to this process, and a register big enough that the saving beats the
fork. Anywhere else the work runs here, when its result is asked for: the same result, one
core. An error in the child comes back and is raised here; a child that dies (killed, out
of memory) before its whole answer is written, or whose result cannot be pickled, makes
the work run here instead.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: below this many deals, the whole computation costs about what a fork does
MIN_ROWS = 20_000


def can_fork(rows: int) -> bool:
    """Whether work on a register of ``rows`` deals goes to a forked child."""
    return (rows >= MIN_ROWS and sys.platform == "linux" and hasattr(os, "fork")
            and threading.active_count() == 1 and len(os.sched_getaffinity(0)) > 1)


class _Failed:
    """An exception raised in the child that could not be pickled, as text."""

    def __init__(self, text: str):
        self.text = text


class Pending(Generic[T]):
    """Work started by :func:`start`: :meth:`result` waits for it (once)."""

    def __init__(self, work: Callable[[], T], pid: int | None = None, fd: int | None = None):
        self._work, self._pid, self._fd = work, pid, fd

    def result(self) -> T:
        """The work's result: the child's, or — when there is no child or it died — the
        work run here. An exception the work raised in the child is raised here."""
        if self._pid is None:
            return self._work()
        data = self._collect()
        try:
            ok, value = pickle.loads(data)
        except (EOFError, pickle.UnpicklingError):  # the child died before it answered
            return self._work()  # (killed, out of memory): the work is done here
        if ok:
            return value  # type: ignore[no-any-return]
        if isinstance(value, _Failed):
            raise RuntimeError(f"in the forked child: {value.text}")
        raise value

    def cancel(self) -> None:
        """Stop waiting for the child (an error elsewhere): it is ended and reaped."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._collect()

    def _collect(self) -> bytes:
        chunks = []
        assert self._fd is not None and self._pid is not None
        with os.fdopen(self._fd, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        os.waitpid(self._pid, 0)
        self._pid = self._fd = None
        return b"".join(chunks)


def start(work: Callable[[], T], rows: int) -> Pending[T]:
    """``work()`` started in a forked child when :func:`can_fork` says so; otherwise it runs
    when :meth:`Pending.result` is called."""
    if not can_fork(rows):
        return Pending(work)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, answer, leave without running any exit handler
        code = 0
        try:
            os.close(read_fd)
            try:
                answer: tuple[bool, object] = (True, work())
            except BaseException as exc:  # sent to the parent, raised there
                answer = (False, exc)
            try:
                data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                if answer[0]:
                    raise  # a result that cannot be sent: no answer, the parent works
                data = pickle.dumps((False, _Failed(f"{type(answer[1]).__name__}: "
                                                    f"{answer[1]} ({exc})")))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # the parent sees no answer and does the work itself
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return Pending(work, pid, read_fd)
