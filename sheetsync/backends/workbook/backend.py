"""The workbook backend: a local ``.xlsx`` file.

Reading uses the fast reader of :mod:`.read`; writing splices the owned tabs into the
original package (:mod:`.write`) so the register and every rep-owned tab stay
byte-for-byte as they were, then replaces the file atomically: temp file in the same
folder, fsync, previous file kept as ``<name>.bak``, ``os.replace``. A write refuses to run
when the file changed since it was read, and never writes the register tab. Only
``apply_setup`` (:mod:`.register_setup`) and ``edit_cells`` (:mod:`.edits`) touch the
register, surgically and in the same atomic way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import AccessDeniedError, BackendError, FileChangedError, NotFoundError
from ...gcpause import paused_gc
from ...tabspec import TabSpec
from ..base import EditResult, Protection, ReadResult, WriteResult
from .commit import Conflict, commit, recover
from .edits import check_edits, write_edits
from .package import Package
from .read import read_tabs, read_workbook_info
from .register_setup import setup_package
from .render import internal_link
from .write import splice

if TYPE_CHECKING:
    from ...enforce import RegisterSetup
    from ...fixes import CellEdit


def file_version(data: bytes) -> str:
    """The version a read reports: SHA-256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


class WorkbookBackend:
    """A local ``.xlsx`` workbook; ``register_tab`` names the rep-owned tab never written."""

    #: sheet protection without a password: Excel has no warning-only protection
    protection: Protection = "no_password"

    def __init__(self, path: Path | str, *, register_tab: str | None = None) -> None:
        self.path = Path(path)
        self.register_tab = register_tab
        self._read_at: dict[str, dt.datetime] = {}

    @property
    def backup_path(self) -> Path:
        """Where the previous file is kept after a write (``deals.xlsx.bak``)."""
        return self.path.with_name(self.path.name + ".bak")

    def describe(self) -> str:
        return str(self.path)

    # -- reading ---------------------------------------------------------------------
    def _load(self) -> bytes:
        dest = self.path.resolve() if self.path.is_symlink() else self.path
        with contextlib.suppress(OSError):
            recover(dest, self.backup_path)  # what a killed run left behind
        try:
            return self.path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"workbook not found: {self.path}") from exc
        except IsADirectoryError as exc:
            raise BackendError(f"{self.path} is a folder, not an .xlsx workbook") from exc
        except PermissionError as exc:
            raise AccessDeniedError(
                f"cannot open {self.path}: permission denied (is it locked by another "
                "program?)") from exc
        except OSError as exc:
            raise BackendError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def read(self, names: Iterable[str] | None = None) -> ReadResult:
        data = self._load()
        version = file_version(data)
        with paused_gc():
            pkg = Package(data, self.path)
            _, tabs, grids = read_tabs(pkg, names)
        self._read_at[version] = dt.datetime.now()
        return ReadResult(tabs=tabs, grids=grids, version=version, title=self.path.name)

    # -- writing ---------------------------------------------------------------------
    def write(self, tabs: Sequence[TabSpec], read: ReadResult) -> WriteResult:
        if self.register_tab is not None:
            for spec in tabs:
                if spec.name.casefold() == self.register_tab.casefold():
                    raise BackendError(
                        f"refusing to write tab {spec.name!r}: it is the register tab, which "
                        "belongs to the reps; nothing was written")
        if not tabs:
            return WriteResult(tabs=[], location=str(self.path), requests=0)
        data = self._load()
        self._check_unchanged(data, read)
        self._check_not_open()
        pkg = Package(data, self.path)
        new = splice(pkg, read_workbook_info(pkg), tabs)
        del pkg, data  # the file as read is not needed to put the new one in place
        self._replace(new, read)
        return WriteResult(tabs=[t.name for t in tabs], location=str(self.path), requests=1)

    # -- the register (schema apply, fix --apply) ------------------------------------
    def apply_setup(self, setup: RegisterSetup, read: ReadResult) -> WriteResult:
        """Formats, validation, notes, freeze, protections and ``setup.tabs`` in one atomic
        write (:mod:`.register_setup`); no write at all when the file already has them."""
        data = self._load()
        self._check_unchanged(data, read)
        self._check_not_open()
        outcome = setup_package(data, self.path, setup, self.register_tab)
        if outcome.data == data:
            return WriteResult(tabs=[], location=str(self.path), requests=0)
        self._replace(outcome.data, read)
        return WriteResult(tabs=outcome.tabs, location=str(self.path), requests=1)

    def edit_cells(
        self,
        edits: Sequence[CellEdit],
        read: ReadResult,
        tabs_for: Callable[[list[CellEdit]], Sequence[TabSpec]] | None = None,
    ) -> EditResult:
        """Write the edits whose cells still hold ``edit.old`` in the file as it is now,
        plus ``tabs_for(applied)``, in one atomic write (:mod:`.edits`)."""
        data = self._load()
        check = check_edits(data, self.path, edits)
        tabs = list(tabs_for(check.applied)) if tabs_for is not None else []
        if not check.applied and not tabs:
            return EditResult(check.applied, check.skipped, None)
        self._check_not_open()
        new = write_edits(data, self.path, check.applied, tabs, self.register_tab)
        # the cells were compared with these bytes: the write refuses if they change now
        self._replace(new, replace(read, version=file_version(data)))
        names = sorted({e.tab for e in check.applied}) + [t.name for t in tabs]
        return EditResult(check.applied, check.skipped,
                          WriteResult(tabs=names, location=str(self.path), requests=1))

    def _check_unchanged(self, data: bytes, read: ReadResult) -> None:
        if file_version(data) != read.version:
            raise FileChangedError(self._changed(read))

    def _changed(self, read: ReadResult) -> str:
        at = self._read_at.get(read.version)
        when = f" at {at:%H:%M:%S}" if at else ""
        return (f"{self.path} changed on disk since it was read{when}; nothing was written. "
                "Run again to use the current file.")

    def _check_not_open(self) -> None:
        name = self.path.name
        for lock in (f"~${name}", f".~lock.{name}#"):
            candidate = self.path.with_name(lock)
            if candidate.exists():
                raise BackendError(
                    f"{self.path} is open in Excel or LibreOffice (lock file {candidate.name}); "
                    "close it and run again — or delete the lock file if no one has it open. "
                    "Nothing was written.")

    def _replace(self, new: bytes, read: ReadResult) -> None:
        """Put ``new`` in place of the version ``read`` saw, keeping it as ``.bak`` — never
        over a save that landed meanwhile (:mod:`.commit`)."""
        # a symlinked workbook: replace the file it points to, keep the link
        dest = self.path.resolve() if self.path.is_symlink() else self.path
        try:
            commit(dest, new, read.version, self.backup_path, lambda: self._changed(read))
        except Conflict as exc:
            raise FileChangedError(str(exc)) from None
        except PermissionError as exc:
            raise AccessDeniedError(
                f"cannot write {self.path}: permission denied (read-only, or locked by "
                "another program?); nothing was written") from exc
        except OSError as exc:
            raise BackendError(
                f"cannot write {self.path}: {exc.strerror or exc}; nothing was written") \
                from exc

    def link(self, read: ReadResult, tab: str, cell: str) -> str:
        return internal_link(tab, cell)
