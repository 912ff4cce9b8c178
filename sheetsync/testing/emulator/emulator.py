"""The ``Emulator`` object tests use: start/stop a server and reach into its state."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import values_api
from .auth import ANONYMOUS, make_key
from .batch_update import apply_requests
from .control import Faults, RequestLog
from .errors import ApiError
from .fieldmask import json_copy
from .render import spreadsheet_json
from .server import EmulatorServer
from .state import DEFAULT_COLUMNS, DEFAULT_ROWS, State, paused_gc
from .values import Renderer

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
ROLES = ("reader", "commenter", "writer", "owner")


class Emulator:
    """A local Google Sheets API v4 server (plus OAuth token endpoint) for tests.

    >>> with Emulator() as emu:                                   # doctest: +SKIP
    ...     key = emu.make_service_account()
    ...     sid = emu.create_spreadsheet("Deals", {"案件一覧": [["案件ID"], ["D-1"]]})

    ``state`` holds the spreadsheets, ``faults`` injects failures, ``log`` records every
    request. Without ``strict_auth`` any bearer token may edit everything; with it only
    tokens issued by ``/token`` count and per-spreadsheet sharing applies.
    """

    def __init__(
        self, port: int = 0, *, strict_auth: bool = False, seed: int | None = None
    ) -> None:
        self.state = State(seed)
        self.faults = Faults()
        self.log = RequestLog()
        self._port = port
        self._strict_default = strict_auth
        self._strict = strict_auth
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Bind 127.0.0.1 (``port`` 0 picks a free one) and serve in a background thread."""
        if self._server is None:
            self._server = EmulatorServer(
                self._port, self.state, self.faults, self.log, self._strict
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="sheets-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — the API root that replaces ``https://sheets.googleapis.com``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.base_url

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def strict_auth(self) -> bool:
        return self._strict

    @strict_auth.setter
    def strict_auth(self, value: bool) -> None:
        self._strict = value
        if self._server is not None:
            self._server.strict_auth = value

    def reset(self) -> None:
        """Forget every spreadsheet, account and token; clear faults and the log."""
        self.state.clear()
        self.faults.clear()
        self.log.clear()
        self.strict_auth = self._strict_default

    def reset_log(self) -> None:
        self.log.clear()

    def on_next(self, kind: str, callback: Callable[[], Any]) -> None:
        """Run ``callback`` just before the next request of ``kind`` (e.g. a rep's edit)."""
        self.faults.before_next(kind, callback)

    # accounts --------------------------------------------------------------------------
    def make_service_account(
        self, email: str | None = None, *, edit_all: bool = False
    ) -> dict[str, Any]:
        """A new service-account key (the JSON info) whose ``token_uri`` is this emulator.

        ``edit_all`` lets the account edit every spreadsheet even with strict auth (what
        ``--key-out`` gives); otherwise it reaches only what it created or was shared.
        """
        return make_key(self.state, self.base_url, email, edit_all)

    def write_service_account_key(
        self, path: str | Path, email: str | None = None, *, edit_all: bool = False
    ) -> dict[str, Any]:
        info = self.make_service_account(email, edit_all=edit_all)
        Path(path).write_text(json.dumps(info, indent=2), encoding="utf-8")
        return info

    def issue_token(self, email: str, scopes: Sequence[str] = (SHEETS_SCOPE,)) -> str:
        """An access token for an existing account, skipping the JWT exchange."""
        with self.state.lock:
            if email not in self.state.accounts:
                raise KeyError(email)
            return self.state.new_token(email, 3599, tuple(scopes))

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        """Give ``email`` access (``reader``, ``commenter``, ``writer`` or ``owner``)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        with self.state.lock:
            self._spreadsheet(spreadsheet_id).permissions[email] = role

    def unshare(self, spreadsheet_id: str, email: str) -> None:
        with self.state.lock:
            self._spreadsheet(spreadsheet_id).permissions.pop(email, None)

    # data ------------------------------------------------------------------------------
    def _spreadsheet(self, spreadsheet_id: str) -> Any:
        ss = self.state.get(spreadsheet_id)
        if ss is None:
            raise KeyError(spreadsheet_id)
        return ss

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        tabs: Sequence[str] | Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        owner: str | None = None,
        rows: int = DEFAULT_ROWS,
        cols: int = DEFAULT_COLUMNS,
        value_input_option: str = "USER_ENTERED",
        spreadsheet_id: str | None = None,
    ) -> str:
        """Create a spreadsheet directly (no HTTP, not logged); returns its id.

        ``tabs`` is a list of tab names or a mapping of tab name → rows of values (typed as
        ``value_input_option``). The first tab has sheetId 0; grids grow to fit the values.
        ``spreadsheet_id`` chooses the id (default: a random Google-like one).
        """
        with self.state.lock, paused_gc():
            ss = self.state.new_spreadsheet(title, owner)
            if spreadsheet_id is not None:
                if spreadsheet_id in self.state.spreadsheets:
                    raise ValueError(f"spreadsheet {spreadsheet_id} already exists")
                ss.spreadsheet_id = spreadsheet_id
            named = list(tabs) if tabs is not None else []
            content = dict(tabs) if isinstance(tabs, Mapping) else {}
            requests: list[dict[str, Any]] = []
            for i, name in enumerate(named):
                data = content.get(name) or []
                grid = {
                    "rowCount": max(rows, len(data)),
                    "columnCount": max(cols, max((len(r) for r in data), default=0)),
                }
                if i == 0:
                    requests.append(
                        {
                            "updateSheetProperties": {
                                "properties": {"sheetId": 0, "title": name, "gridProperties": grid},
                                "fields": "title,gridProperties(rowCount,columnCount)",
                            }
                        }
                    )
                else:
                    requests.append(
                        {"addSheet": {"properties": {"title": name, "gridProperties": grid}}}
                    )
            if not named and (rows, cols) != (DEFAULT_ROWS, DEFAULT_COLUMNS):
                requests.append(
                    {
                        "updateSheetProperties": {
                            "properties": {
                                "sheetId": 0,
                                "gridProperties": {"rowCount": rows, "columnCount": cols},
                            },
                            "fields": "gridProperties(rowCount,columnCount)",
                        }
                    }
                )
            if requests:
                apply_requests(self.state, ss, requests, owner or ANONYMOUS)
            for name, data in content.items():
                if data:
                    values_api.write(
                        ss, _quoted(name), list(map(list, data)), "ROWS", value_input_option
                    )
            self.state.spreadsheets[ss.spreadsheet_id] = ss
            return ss.spreadsheet_id

    def set_values(
        self,
        spreadsheet_id: str,
        range: str,
        values: Sequence[Sequence[Any]],
        *,
        value_input_option: str = "USER_ENTERED",
    ) -> dict[str, Any]:
        """Write values directly, as if typed in the UI (no HTTP, not logged, no faults)."""
        with self.state.lock, paused_gc():
            ss = self._spreadsheet(spreadsheet_id).clone()
            result = values_api.write(
                ss, range, [list(r) for r in values], "ROWS", value_input_option
            )
            self.state.spreadsheets[spreadsheet_id] = ss
            return result

    def get_values(
        self,
        spreadsheet_id: str,
        range: str,
        *,
        value_render_option: str = "FORMATTED_VALUE",
        date_time_render_option: str = "SERIAL_NUMBER",
        major_dimension: str = "ROWS",
    ) -> list[list[Any]]:
        """Read values as ``values.get`` would (trailing empties trimmed)."""
        with self.state.lock, paused_gc():
            ss = self._spreadsheet(spreadsheet_id)
            result = values_api.read(
                ss,
                Renderer(ss),
                range,
                major_dimension,
                value_render_option,
                date_time_render_option,
            )
        rows: list[list[Any]] = result.get("values", [])
        return rows

    def batch_update(
        self, spreadsheet_id: str, requests: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Apply batchUpdate requests directly (all-or-nothing); returns the replies."""
        with self.state.lock, paused_gc():
            ss = self._spreadsheet(spreadsheet_id).clone()
            replies = apply_requests(self.state, ss, requests, ss.owner or ANONYMOUS)
            self.state.spreadsheets[spreadsheet_id] = ss
            return replies

    def get_spreadsheet(
        self,
        spreadsheet_id: str,
        *,
        include_grid_data: bool = False,
        ranges: list[str] | None = None,
    ) -> dict[str, Any]:
        """The spreadsheet resource as ``spreadsheets.get`` answers it (a detached copy)."""
        with self.state.lock, paused_gc():
            result = spreadsheet_json(
                self._spreadsheet(spreadsheet_id),
                include_grid_data=include_grid_data,
                ranges=ranges,
            )
            copied: dict[str, Any] = json_copy(result)
            return copied

    def snapshot(self, spreadsheet_id: str) -> dict[str, Any]:
        """Everything about a spreadsheet, grid data included — compare two to prove no change."""
        return self.get_spreadsheet(spreadsheet_id, include_grid_data=True)

    def spreadsheet_ids(self) -> list[str]:
        with self.state.lock:
            return list(self.state.spreadsheets)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


__all__ = ["ApiError", "Emulator"]
