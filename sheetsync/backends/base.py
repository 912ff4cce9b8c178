"""The backend protocol: read tabs as grids, write a set of owned tabs atomically.

Two implementations: :mod:`sheetsync.backends.workbook` (local ``.xlsx``) and
:mod:`sheetsync.backends.google` (Google Sheets through gspread). Everything above this
module is backend-agnostic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..grid import Grid, TabInfo
from ..tabspec import TabSpec


@dataclass
class ReadResult:
    """Tabs of a spreadsheet as read at one moment.

    ``tabs`` lists every tab (metadata only); ``grids`` holds the cells of the tabs that were
    asked for and exist. ``version`` identifies the state that was read, so a write can refuse
    to proceed if the spreadsheet changed underneath (workbook: the file's SHA-256).
    """

    tabs: list[TabInfo]
    grids: dict[str, Grid] = field(default_factory=dict)
    version: str = ""
    title: str = ""

    def tab(self, name: str) -> TabInfo | None:
        for info in self.tabs:
            if info.name == name:
                return info
        return None


@dataclass
class WriteResult:
    """What a write did: the tabs written (in order) and where."""

    tabs: list[str]
    location: str
    requests: int = 1


@runtime_checkable
class Backend(Protocol):
    """A spreadsheet sheetsync can read and write."""

    def describe(self) -> str:
        """Human-readable location (file path or spreadsheet URL), never a credential."""
        ...

    def read(self, names: Iterable[str] | None = None) -> ReadResult:
        """Read tab metadata and the cells of ``names`` (all tabs when ``None``).

        Names that do not exist are simply absent from ``grids``.
        """
        ...

    def write(self, tabs: Sequence[TabSpec], read: ReadResult) -> WriteResult:
        """Replace (or create) each tab in ``tabs`` in one atomic step.

        Tabs not listed are never touched. Raises :class:`~sheetsync.errors.BackendError`
        (nothing written) when the spreadsheet cannot be written or changed since ``read``.
        """
        ...

    def link(self, read: ReadResult, tab: str, cell: str) -> str:
        """A URL/anchor opening ``cell`` of ``tab`` (used by reports)."""
        ...
