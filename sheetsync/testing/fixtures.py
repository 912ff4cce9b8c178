"""pytest plugin: a Sheets API emulator per test and a service-account key for it.

Enable with ``pytest_plugins = ["sheetsync.testing.fixtures"]`` in ``conftest.py``.

- ``emulator`` — a running :class:`~sheetsync.testing.emulator.Emulator`, empty at the start
  of every test (one server per session, reset between tests; non-strict auth unless the
  test sets ``emulator.strict_auth = True``).
- ``service_account_key`` — path of a key file (in ``tmp_path``) for a new account of that
  emulator that may edit every spreadsheet; its ``token_uri`` is ``emulator.base_url/token``.
- :func:`emulator_http_client` — a ``gspread`` ``HTTPClient`` class that sends the requests
  meant for Google to the emulator instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gspread.http_client import HTTPClient

from .emulator import Emulator

GOOGLE_ROOTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def emulator_http_client(base_url: str, base: type[HTTPClient] = HTTPClient) -> type[HTTPClient]:
    """A subclass of ``base`` (e.g. gspread's ``BackOffHTTPClient``) aimed at ``base_url``.

    Use as ``gspread.Client(auth=creds, http_client=emulator_http_client(emu.base_url))``.
    """

    class EmulatorHTTPClient(base):  # type: ignore[valid-type,misc]
        """gspread's HTTP client with Google's API roots replaced by the emulator's."""

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            for root in GOOGLE_ROOTS:
                if endpoint.startswith(root):
                    endpoint = base_url + endpoint[len(root) :]
                    break
            return super().request(method, endpoint, *args, **kwargs)

    EmulatorHTTPClient.__name__ = f"Emulator{base.__name__}"
    return EmulatorHTTPClient


@pytest.fixture(scope="session")
def _sheets_emulator_server() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(_sheets_emulator_server: Emulator) -> Iterator[Emulator]:
    """A running, empty Sheets API emulator (reset after the test too)."""
    _sheets_emulator_server.reset()
    yield _sheets_emulator_server
    _sheets_emulator_server.reset()


@pytest.fixture
def service_account_key(emulator: Emulator, tmp_path: Path) -> Path:
    """A service-account key file for the emulator; the account may edit everything."""
    path = tmp_path / "service-account.json"
    emulator.write_service_account_key(path, edit_all=True)
    return path
