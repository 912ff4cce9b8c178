"""Exceptions. Every error sheetsync raises on purpose derives from :class:`SheetsyncError`.

The CLI maps them to exit codes in one place (``cli.py``): usage and configuration problems
exit 2, a spreadsheet that cannot be reached or written exits 3. Problems *in the data* are
never exceptions: they are :class:`sheetsync.issues.Issue` values in a report.
"""

from __future__ import annotations


class SheetsyncError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class ConfigError(SheetsyncError):
    """The configuration file is missing, unreadable or has a bad key."""


class SchemaError(ConfigError):
    """A schema file is broken. The message names the file and the key path."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class BackendError(SheetsyncError):
    """The spreadsheet could not be read or written."""

    exit_code = 3


class TabMissingError(BackendError):
    """A tab the run needs does not exist."""


class StateTabError(BackendError):
    """A hidden tab sheetsync keeps its state in cannot be read (edited, truncated, written
    by a newer version): the run stops before writing anything — read as empty, it would
    start the change history again and see every deal for the first time. ``code`` says
    which check failed (:class:`sheetsync.packed.PackedError`'s, or ``no_header``,
    ``bad_columns``, ``record_count``, ``bad_record``, ``newer_format``)."""

    def __init__(self, tab: str, code: str, detail: str) -> None:
        self.tab = tab
        self.code = code
        self.detail = detail
        super().__init__(
            f"the hidden tab {tab} cannot be read ({code}: {detail}); nothing was written. "
            f"Put back the tab from an earlier version of the spreadsheet (Google: File › "
            f"Version history; a workbook: the .bak copy sheetsync keeps beside it), or "
            f"delete the tab {tab} to start the change history again (every deal is then "
            f"seen for the first time)")


class FileChangedError(BackendError):
    """The workbook changed on disk between read and write; nothing was written."""


class AccessDeniedError(BackendError):
    """The credentials may not open the spreadsheet (not shared with the service account)."""


class NotFoundError(BackendError):
    """The spreadsheet does not exist."""


class QuotaError(BackendError):
    """The API kept answering 429/5xx until the retry budget ran out."""


class CredentialsError(BackendError):
    """The credentials are missing or invalid (bad key file, refused token)."""


class LeaseHeldError(SheetsyncError):
    """Another runner holds the spreadsheet's lease (or wrote first): this run was skipped.

    Not a failure — two schedulers on one spreadsheet is a supported setup — so the CLI
    prints the reason and exits 0; nothing was written.
    """

    exit_code = 0

    def __init__(self, holder: str, until: str | None = None) -> None:
        self.holder = holder
        self.until = until
        when = f" until {until}" if until else ""
        super().__init__(f"skipped: another runner ({holder}) holds this spreadsheet{when}; "
                         "nothing was written")


class ChangedSinceReadSkip(LeaseHeldError):
    """A scheduled run lost the race: someone wrote the spreadsheet after it read it (another
    runner, or a rep's save). The other write stands; this run is a skip."""

    def __init__(self) -> None:
        self.holder = ""
        self.until = None
        SheetsyncError.__init__(
            self, "skipped: the spreadsheet changed after this run read it (another runner "
                  "wrote it, or someone saved it); nothing was written")
