"""Putting a new version of the workbook in place without losing anybody's save.

Excel and LibreOffice save by writing a temp file and renaming it over the workbook. A run
must never overwrite such a save, whenever it lands. The commit therefore never *replaces*
the workbook:

1. the new bytes go to a temp file in the same folder (fsync);
2. the workbook is renamed aside (atomic): from now on, a save lands as a new file;
3. the file set aside must be the version this run read; if a save landed before step 2, it
   is put back (only if no newer save took its place) and the run reports a conflict;
4. the new file is linked into place with a no-replace primitive (``link``; where the file
   system has no hard links, an exclusive create): if a save landed since step 2, it wins —
   the link fails, the run reports a conflict, its tabs are written on the next run;
5. the file set aside becomes ``<name>.bak``.

Between steps 2 and 4 (microseconds) the workbook's name is briefly absent; a program
opening it at that instant is told it does not exist and tries again. A run killed in that
window leaves the version it read set aside: the next run (:func:`recover`) puts it back
before reading, and removes the temp files of runs that died.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

#: a leftover temp file this old is stale even if its process cannot be checked (another host)
STALE_SECONDS = 3600
_HOST = socket.gethostname().replace(".", "_")


class Conflict(Exception):
    """Someone saved the workbook during the commit; their save stands, nothing was written."""


def _token() -> str:
    return f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def temp_name(dest: Path, kind: str) -> Path:
    """``.deals.xlsx.<host>-<pid>-<random>.<kind>`` next to ``dest`` (hidden on Unix)."""
    return dest.with_name(f".{dest.name}.{_token()}.{kind}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: what ``link`` answers where the file system has no hard links (FAT, some shares)
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV,
             errno.EMLINK}


def _place(src: Path, dest: Path) -> None:
    """Put ``src``'s content at ``dest`` unless ``dest`` exists (``FileExistsError``)."""
    try:
        os.link(src, dest)
        return
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
    data = src.read_bytes()  # no hard links here: an exclusive create does the same
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 stat.S_IMODE(src.stat().st_mode))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(dest)
        raise


def commit(dest: Path, new: bytes, expected: str, backup: Path,
           describe: Callable[[], str] = lambda: "") -> None:
    """Put ``new`` at ``dest`` if ``dest`` is still the version ``expected`` (SHA-256),
    keeping that version as ``backup``; raise :class:`Conflict` (nothing written, every save
    kept) when someone saved in between. Any other failure puts the workbook back as it was
    and propagates; no temp file is left behind.
    """
    tmp = temp_name(dest, "tmp")
    aside = temp_name(dest, "old")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(dest.stat().st_mode))
        os.rename(dest, aside)  # step 2: a save from now on lands as a new file
        try:
            if _sha256(aside) != expected:  # step 3: a save landed before the rename
                raise Conflict(describe())
            try:
                _place(tmp, dest)  # step 4: never over a save that landed meanwhile
            except FileExistsError:
                raise Conflict(describe()) from None
        except BaseException:
            _put_back(aside, dest, backup)
            raise
        os.replace(aside, backup)  # step 5
        _fsync_dir(dest.parent)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _put_back(aside: Path, dest: Path, backup: Path) -> None:
    """After a failed commit: the file set aside goes back to ``dest`` — unless a save took
    that name meanwhile (it stands; the set-aside version becomes ``backup``). If even that
    fails, the file stays aside and :func:`recover` restores it on the next run."""
    try:
        _place(aside, dest)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.replace(aside, backup)
        return
    except OSError:
        # no link possible now (the failure that got us here, say): a rename is the best
        # left, checked just before — a save racing into those microseconds is the one risk
        with contextlib.suppress(OSError):
            if not dest.exists():
                os.rename(aside, dest)
        return
    with contextlib.suppress(OSError):
        os.unlink(aside)


def recover(dest: Path, backup: Path) -> list[Path]:
    """Undo what a killed run left next to ``dest``: put back the version it had set aside
    when ``dest`` is missing, keep a set-aside version as ``backup`` otherwise, and remove
    dead runs' temp files. Returns the files removed or restored (for the log)."""
    if not dest.parent.is_dir():
        return []
    prefix = f".{dest.name}."
    handled: list[Path] = []
    olds = sorted((p for p in dest.parent.iterdir()
                   if p.name.startswith(prefix) and p.name.endswith(".old") and _dead(p)),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in olds:
        with contextlib.suppress(OSError):
            if not dest.exists():
                _place(old, dest)  # killed between steps 2 and 4: the workbook is back
                os.unlink(old)
            else:
                os.replace(old, backup)  # killed after step 4: it is the previous version
            handled.append(old)
    for tmp in dest.parent.iterdir():
        if tmp.name.startswith(prefix) and tmp.name.endswith(".tmp") and _dead(tmp):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
                handled.append(tmp)
    return handled


_TOKEN = re.compile(r"\.(?P<host>[^.]+)-(?P<pid>\d+)-[0-9a-f]{8}\.(?:tmp|old)$")


def _dead(path: Path) -> bool:
    """Whether the run that made ``path`` is gone: its process on this host no longer
    exists, or (another host's, or unreadable) the file is older than
    :data:`STALE_SECONDS`."""
    match = _TOKEN.search(path.name)
    if match and match["host"] == _HOST:
        pid = int(match["pid"])
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # exists, owned by someone else
            return False
        return False
    try:
        return time.time() - path.stat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
