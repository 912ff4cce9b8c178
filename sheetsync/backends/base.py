"""The backend protocol: read tabs as grids, write a set of owned tabs atomically.

Two implementations: :mod:`sheetsync.backends.workbook` (local ``.xlsx``) and
:mod:`sheetsync.backends.google` (Google Sheets through gspread). Everything above this
module is backend-agnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from ..grid import CellValue, Grid, TabInfo
from ..tabspec import TabSpec

if TYPE_CHECKING:
    from ..enforce import RegisterSetup
    from ..fixes import CellEdit


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


@dataclass
class EditResult:
    """What :meth:`SheetEditor.edit_cells` did: the edits applied, the ones skipped because
    the cell no longer held the value the plan was made from (with what it holds now)."""

    applied: list[CellEdit]
    skipped: list[tuple[CellEdit, CellValue]]
    written: WriteResult | None = None


#: How a backend protects the tabs of ``RegisterSetup.protect_tabs`` — what each can do:
#: ``no_password`` (a workbook: Excel's sheet protection without a password, which anyone
#: can lift under Review → Unprotect Sheet; Excel has no warning-only protection) or
#: ``warning_only`` (Google: editors may still edit after a warning).
Protection = Literal["no_password", "warning_only"]


@runtime_checkable
class SheetEditor(Protocol):
    """The two writes that touch the register, for `schema apply` and `fix --apply` only."""

    #: how this backend protects sheetsync's tabs (see :data:`Protection`)
    protection: Protection

    def apply_setup(self, setup: RegisterSetup, read: ReadResult) -> WriteResult:
        """Put ``setup`` into the spreadsheet in one atomic write: number formats on the
        register's ``format_rows``, data validation, header notes, header style and freeze,
        protections (as :attr:`protection` says), and ``setup.tabs``. Cell values are never changed.
        Idempotent: applying twice leaves one set of rules; rules sheetsync did not create
        are left alone."""
        ...

    def edit_cells(
        self,
        edits: Sequence[CellEdit],
        read: ReadResult,
        tabs_for: Callable[[list[CellEdit]], Sequence[TabSpec]] | None = None,
    ) -> EditResult:
        """Re-read the edited cells, write those still holding ``edit.old`` (typed value and
        number format) plus ``tabs_for(applied)``, all in one atomic write."""
        ...
