"""Backends: where the register lives. :func:`open_backend` picks one from the config.

Two implementations of one protocol (:mod:`.base`), each a package of its own:
:mod:`.workbook` (a local ``.xlsx``) and :mod:`.google` (Google Sheets through gspread and
google-auth, imported only for ``backend: google``). What both use sits here: the protocol,
number formats (:mod:`.number_format`), and how columns are measured (:mod:`.columns`,
:mod:`.cell_width`).
"""

from __future__ import annotations

from ..config import Config
from ..errors import ConfigError
from .base import Backend, ReadResult, WriteResult

__all__ = ["Backend", "ReadResult", "WriteResult", "open_backend"]


def open_backend(config: Config, *, register_tab: str | None = None) -> Backend:
    """The backend named by ``spreadsheet.backend`` (imports are lazy: gspread is only
    loaded for Google)."""
    if config.spreadsheet.backend == "google":
        if not config.spreadsheet.key:
            raise ConfigError(f"{config.source}: spreadsheet.key: required for backend google "
                              "(the spreadsheet key or its full URL)")
        from .google import GoogleBackend

        return GoogleBackend.from_config(config, register_tab=register_tab)
    from .workbook import WorkbookBackend

    return WorkbookBackend(config.workbook_path, register_tab=register_tab)
