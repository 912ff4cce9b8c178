"""The Google Sheets backend: gspread + google-auth, with few requests and atomic writes.

A run costs at most two reads — ``spreadsheets.get`` (tab properties and number-format
types, no values) and one ``values:batchGet`` — and one ``spreadsheets.batchUpdate`` that
rewrites every owned tab (see :mod:`.write`; only a body over 9 MB is split, through hidden
staging tabs: one batch up to ~10,000 deals, at most four writes at 100,000) and, when a
tab written declares filter views, replaces sheetsync's filter views
(:mod:`.filter_views`; people's are never touched). The register tab's cells
are never written by ``write``; only `schema apply`
(:meth:`GoogleBackend.apply_setup`: formats, rules, notes, protections — never a value) and
`fix --apply` (:meth:`GoogleBackend.edit_cells`) touch it, each in one batchUpdate
(:mod:`.register_setup`).

Credentials: ``spreadsheet.credentials`` (a service-account key file), else
``GOOGLE_APPLICATION_CREDENTIALS``, else Application Default Credentials — with the
spreadsheets scope only (:mod:`.credentials`). ``spreadsheet.endpoint`` sends the API
traffic to another root (a local emulator, a proxy) through gspread's ``http_client`` seam
(:mod:`.http_client`, which also retries and maps errors).

>>> backend = GoogleBackend.from_config(load_config("config.yaml"))   # doctest: +SKIP
>>> read = backend.read(["案件一覧"])                                   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import gspread
from google.auth.credentials import Credentials
from gspread.urls import (
    SPREADSHEET_BATCH_UPDATE_URL,
    SPREADSHEET_URL,
    SPREADSHEET_VALUES_BATCH_UPDATE_URL,
    SPREADSHEET_VALUES_BATCH_URL,
)
from gspread.utils import absolute_range_name, extract_id_from_url
from requests import Response

from ...config import Config
from ...errors import BackendError, ConfigError
from ...gcpause import paused_gc
from ...grid import Grid, TabInfo
from ...tabspec import FilterView, TabSpec
from ..base import EditResult, Protection, ReadResult, WriteResult
from . import write as write_plan
from .credentials import describe_identity, load_credentials, route_token_uri
from .filter_views import is_ours as is_our_view
from .filter_views import replace_requests, view_ids
from .http_client import SheetsHTTPClient, sheets_http_client
from .read import (
    SPREADSHEET_FIELDS,
    VALUE_PARAMS,
    format_kinds,
    generation_of,
    is_grid,
    parse_metadata,
    sheet_infos,
    typed_rows,
)
from .register_setup import (
    EDIT_FIELDS,
    STATE_FIELDS,
    SheetState,
    check_edits,
    edit_requests,
    extend_batch,
    formula_cells,
    is_ours,
    requests_size,
    setup_requests,
    sheet_states,
)
from .render import Residue, render_tab
from .write import (
    BATCH_UPDATE,
    STAGING_SUFFIX,
    UNKNOWN,
    VALUES_UPDATE,
    Call,
    Target,
    choose_staged,
    plan_calls,
    stable_sheet_id,
    staging_name,
)

if TYPE_CHECKING:
    from ...enforce import RegisterSetup
    from ...fixes import CellEdit

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_JSON = {"Content-Type": "application/json; charset=UTF-8"}


def spreadsheet_key(value: str, source: str = "config") -> str:
    """The spreadsheet key of a key or a full URL (``…/spreadsheets/d/<key>/edit``).

    >>> spreadsheet_key("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjK_-x/edit#gid=0")
    '1AbCdEfGhIjK_-x'
    """
    text = value.strip()
    if "/" in text:
        try:
            text = extract_id_from_url(text)
        except gspread.exceptions.NoValidUrlKeyFound:
            raise ConfigError(f"{source}: spreadsheet.key: {value!r} is not a Google Sheets "
                              "URL (…/spreadsheets/d/<key>/…)") from None
    if not _KEY_RE.match(text):
        raise ConfigError(f"{source}: spreadsheet.key: {value!r} is not a spreadsheet key "
                          "(the long id in the sheet's URL) or URL")
    return text


def _metadata(response: Response) -> dict[str, Any]:
    """The ``spreadsheets.get`` answer of :data:`SPREADSHEET_FIELDS`, its format-only cells
    as small ints (:func:`~.read.parse_metadata`: the biggest answer of a run, parsed
    without a dict per cell)."""
    try:
        return parse_metadata(response.content)
    except ValueError:
        return _json(response)  # not JSON, or not an object: the same message as elsewhere


def _json(response: Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise BackendError(f"the answer of {response.url.split('?')[0]} is not the Sheets API's "
                           "JSON (is spreadsheet.endpoint a Sheets API root?)")
    return data




log = logging.getLogger("sheetsync.google")

class GoogleBackend:
    """A Google spreadsheet opened by key; ``register_tab`` names the tab never written."""

    #: protected ranges with ``warningOnly``: an editor is warned, never locked out
    protection: Protection = "warning_only"

    def __init__(
        self,
        key: str,
        credentials: Credentials,
        *,
        endpoint: str | None = None,
        retry_seconds: float = 60.0,
        register_tab: str | None = None,
    ) -> None:
        self.key = spreadsheet_key(key)
        if endpoint is not None and not re.match(r"^https?://[^/\s]+", endpoint):
            raise ConfigError(f"spreadsheet.endpoint: {endpoint!r} is not an http(s) URL "
                              "(e.g. http://127.0.0.1:8765)")
        self.register_tab = register_tab
        credentials = route_token_uri(credentials, endpoint)
        self.credentials = credentials
        self._generations: dict[str, str | None] = {}  # version read → write generation
        self._states: dict[str, dict[str, SheetState]] = {}  # version read → tab states
        client = gspread.Client(auth=credentials, http_client=sheets_http_client(
            endpoint=endpoint, retry_seconds=retry_seconds,
            identity=lambda: describe_identity(credentials)))
        self.http: SheetsHTTPClient = client.http_client  # type: ignore[assignment]

    @classmethod
    def from_config(cls, config: Config, *, register_tab: str | None = None) -> GoogleBackend:
        """The backend of ``spreadsheet.key``/``credentials``/``endpoint``/``retry_seconds``."""
        settings = config.spreadsheet
        key = spreadsheet_key(settings.key or "", config.source)
        creds = load_credentials(config.credentials_path)
        return cls(key, creds, endpoint=settings.endpoint, retry_seconds=settings.retry_seconds,
                   register_tab=register_tab)

    def describe(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.key}/edit"

    # -- reading ---------------------------------------------------------------------
    def read(self, names: Iterable[str] | None = None) -> ReadResult:
        wanted = None if names is None else set(names)
        meta_response = self.http.request(
            "get", SPREADSHEET_URL % self.key,
            params={"fields": SPREADSHEET_FIELDS, "prettyPrint": "false"})
        digest = hashlib.sha256(meta_response.content)
        with paused_gc():
            meta: dict[str, Any] = _metadata(meta_response)
            del meta_response
            tabs = sheet_infos(meta)
            sheets = [s for s in meta.get("sheets") or [] if is_grid(s) and (
                wanted is None or (s.get("properties") or {}).get("title") in wanted)]
            grids: dict[str, Grid] = {}
            if sheets:
                titles = [str(s["properties"]["title"]) for s in sheets]
                response = self.http.request(
                    "get", SPREADSHEET_VALUES_BATCH_URL % self.key,
                    params={"ranges": [absolute_range_name(t) for t in titles],
                            **VALUE_PARAMS, "prettyPrint": "false"})
                digest.update(response.content)
                ranges = _json(response).get("valueRanges") or []
                del response
                for title, sheet, value_range in zip(titles, sheets, ranges):
                    rows = typed_rows(value_range.get("values") or [], format_kinds(sheet))
                    grids[title] = Grid(title, rows)
        # like the workbook: a tab read reports the size of its data, others their grid
        tabs = [dataclasses.replace(t, row_count=len(grids[t.name].rows),
                                    column_count=grids[t.name].width)
                if t.name in grids else t for t in tabs]
        title = str((meta.get("properties") or {}).get("title", ""))
        version = digest.hexdigest()
        self._generations[version] = generation_of(meta)
        self._states[version] = sheet_states(meta)
        return ReadResult(tabs=tabs, grids=grids, version=version, title=title)

    # -- writing ---------------------------------------------------------------------
    def write(self, tabs: Sequence[TabSpec], read: ReadResult) -> WriteResult:
        self._refuse_register(tabs)
        if not tabs:
            return WriteResult(tabs=[], location=self.describe(), requests=0)
        calls, n_staging = self._plan(tabs, read)
        try:
            self._send(calls, n_staging)
        except BackendError as exc:
            if not _VANISHED.search(str(exc)):
                raise
            # someone deleted a tab sheetsync writes while it ran: nothing was applied (a
            # batchUpdate is all or nothing); plan again on the tabs as they are now, once
            log.info("a tab was deleted during the run (%s); planning the write again", exc)
            read = self._refreshed(read)
            calls, n_staging = self._plan(tabs, read)
            try:
                self._send(calls, n_staging)
            except BackendError as again:
                if not _VANISHED.search(str(again)):
                    raise
                raise BackendError(
                    "tabs of the spreadsheet were deleted while sheetsync was writing, twice; "
                    "nothing was written — run again") from None
            return WriteResult(tabs=[t.name for t in tabs], location=self.describe(),
                               requests=len(calls) + 1)
        return WriteResult(tabs=[t.name for t in tabs], location=self.describe(),
                           requests=len(calls))

    def _refreshed(self, read: ReadResult) -> ReadResult:
        """``read`` with the tabs as they are now (one ``spreadsheets.get``). The values
        read and the write generation stay those of ``read``: a write by another sheetsync
        run in between still makes this one fail."""
        meta = _json(self.http.request(
            "get", SPREADSHEET_URL % self.key,
            params={"fields": SPREADSHEET_FIELDS, "prettyPrint": "false"}))
        version = read.version + "+replanned"
        self._generations[version] = self._generations.get(read.version, UNKNOWN)
        self._states[version] = sheet_states(meta)
        return dataclasses.replace(read, tabs=sheet_infos(meta), version=version)

    def _send(self, calls: Sequence[Call], n_staging: int) -> None:
        urls = {BATCH_UPDATE: SPREADSHEET_BATCH_UPDATE_URL % self.key,
                VALUES_UPDATE: SPREADSHEET_VALUES_BATCH_UPDATE_URL % self.key}
        for n, call in enumerate(calls):
            try:
                self.http.request("post", urls[call.kind], data=call.body, headers=dict(_JSON))
            except BackendError as exc:
                if n < n_staging:
                    raise type(exc)(
                        f"{exc} — while filling hidden staging tabs: no visible tab was "
                        "changed; the next run removes the staging tabs") from None
                raise

    def _write_with(self, tabs: Sequence[TabSpec], read: ReadResult,
                    requests: Sequence[str]) -> int:
        """Write ``tabs`` as :meth:`write` does, with ``requests`` added to the final
        batchUpdate (the only one unless a tab is staged); returns the request count."""
        calls, n_staging = self._plan(tabs, read, requests_size(requests))
        last = calls[-1]
        calls[-1] = Call(last.kind, extend_batch(last.body, requests))
        self._send(calls, n_staging)
        return len(calls)

    # -- schema apply and fix --------------------------------------------------------
    def apply_setup(self, setup: RegisterSetup, read: ReadResult) -> WriteResult:
        """Formats, validation, header notes and style, freeze, warning-only protections
        and ``setup.tabs``, in one batchUpdate after the reads ``read`` made (one more
        ``spreadsheets.get`` only when ``read`` did not come from this backend). See
        :mod:`.register_setup`: sheetsync's rule replaces any other rule inside a managed
        column (Google keeps one rule per cell); other columns' rules, people's header
        notes and protected ranges are left alone. Never writes a value."""
        protect = {n.casefold() for n in setup.protect_tabs}
        specs = [dataclasses.replace(s, protected=True)
                 if s.name.casefold() in protect and not s.protected else s
                 for s in setup.tabs]
        self._refuse_register(specs)
        for spec in specs:
            if spec.name.casefold() == setup.tab.casefold():
                raise BackendError(f"refusing to write tab {spec.name!r}: it is the register "
                                   "tab, which belongs to the reps; nothing was written")
        states = self._states.get(read.version)
        if states is None:
            states = self._read_states()
        plan = setup_requests(setup, read.tabs, read.grids.get(setup.tab), states,
                              rewritten=[s.name for s in specs], refused=[self.register_tab])
        requests = self._write_with(specs, read, plan.requests)
        names = [s.name for s in specs] + [setup.tab] + [
            t for t in plan.protected if t not in {s.name for s in specs}]
        return WriteResult(tabs=names, location=self.describe(), requests=requests)

    def _read_states(self) -> dict[str, SheetState]:
        response = self.http.request("get", SPREADSHEET_URL % self.key,
                                     params={"fields": STATE_FIELDS, "prettyPrint": "false"})
        return sheet_states(_json(response))

    def edit_cells(
        self,
        edits: Sequence[CellEdit],
        read: ReadResult,
        tabs_for: Callable[[list[CellEdit]], Sequence[TabSpec]] | None = None,
    ) -> EditResult:
        """Re-read the edited tabs (``spreadsheets.get`` for number-format types and
        formulas, one ``values:batchGet``, typed as :meth:`read` types them), keep the edits
        whose cell still holds ``edit.old``, and write them with ``tabs_for(applied)`` in
        one batchUpdate (behind the write generation of ``read``). Nothing to apply and no
        tabs: no write."""
        names = list(dict.fromkeys(e.tab for e in edits if read.tab(e.tab) is not None))
        grids, formulas, ids = self._reread(names)
        check = check_edits(edits, grids, formulas)
        tabs = list(tabs_for(check.applied)) if tabs_for is not None else []
        if not check.applied and not tabs:
            return EditResult(check.applied, check.skipped, None)
        self._refuse_register(tabs)
        edited = {e.tab.casefold() for e in check.applied}
        for spec in tabs:
            if spec.name.casefold() in edited:
                raise BackendError(f"refusing to write tab {spec.name!r}: cells of it are "
                                   "being edited; nothing was written")
        count = self._write_with(tabs, read, edit_requests(check.applied, ids))
        written = list(dict.fromkeys(e.tab for e in check.applied)) + [t.name for t in tabs]
        return EditResult(check.applied, check.skipped,
                          WriteResult(tabs=written, location=self.describe(), requests=count))

    def _reread(self, names: Sequence[str]
                ) -> tuple[dict[str, Grid], dict[str, set[tuple[int, int]]], dict[str, int]]:
        """The tabs ``names`` as they are now: typed grids, formula cells, sheet ids."""
        if not names:
            return {}, {}, {}
        ranges = [absolute_range_name(n) for n in names]
        with paused_gc():
            meta = _json(self.http.request(
                "get", SPREADSHEET_URL % self.key,
                params={"ranges": ranges, "fields": EDIT_FIELDS, "prettyPrint": "false"}))
            sheets = {str((s.get("properties") or {}).get("title", "")): s
                      for s in meta.get("sheets") or [] if is_grid(s)}
            response = self.http.request(
                "get", SPREADSHEET_VALUES_BATCH_URL % self.key,
                params={"ranges": ranges, **VALUE_PARAMS, "prettyPrint": "false"})
            value_ranges = _json(response).get("valueRanges") or []
            grids: dict[str, Grid] = {}
            formulas: dict[str, set[tuple[int, int]]] = {}
            ids: dict[str, int] = {}
            for name, value_range in zip(names, value_ranges):
                sheet = sheets.get(name)
                if sheet is None:
                    continue
                grids[name] = Grid(name, typed_rows(value_range.get("values") or [],
                                                    format_kinds(sheet)))
                formulas[name] = formula_cells(sheet)
                ids[name] = int(sheet["properties"].get("sheetId", 0))
        return grids, formulas, ids

    def _plan(self, tabs: Sequence[TabSpec], read: ReadResult, extra: int = 0
              ) -> tuple[list[Call], int]:
        """The write calls of ``tabs``; ``extra`` bytes of other requests will join the
        final batch (they count when choosing the tabs to stage)."""
        limit = write_plan.MAX_REQUEST_BYTES
        joining = extra  # requests _write_with adds to the final batch afterwards
        targets, ids, views = self._targets(tabs, read)
        leftovers = [t for t in read.tabs if t.name.endswith(STAGING_SUFFIX)]
        # the filter views' requests: their size with the final ids is the same as now
        deletes, adds = views.requests(ids)
        extra += requests_size([*deletes, *adds])
        staged = choose_staged(targets, 40 * len(leftovers) + extra, limit)
        if staged:
            # a staged new tab becomes its staging tab: links to it must use that id (a
            # staged existing tab is pasted onto its own sheet, whose id stays)
            for i in staged:
                if not targets[i].in_place:
                    targets[i].sheet_id = ids[targets[i].name] = targets[i].staging_id
            moved = {targets[i].name for i in staged}
            for t in targets:
                if t.rendered.link_targets & moved:
                    t.rendered = render_tab(t.rendered.spec, ids, self.key, views.ids)
            deletes, adds = views.requests(ids)
        generation = self._generations.get(read.version, UNKNOWN)
        return plan_calls(targets, read.tabs, staged, limit, generation, (deletes, adds),
                          joining)

    def _refuse_register(self, tabs: Sequence[TabSpec]) -> None:
        seen: set[str] = set()
        for spec in tabs:
            folded = spec.name.casefold()
            if self.register_tab is not None and folded == self.register_tab.casefold():
                raise BackendError(
                    f"refusing to write tab {spec.name!r}: it is the register tab, which "
                    "belongs to the reps; nothing was written")
            if folded in seen:
                raise BackendError(f"tab {spec.name!r} is listed twice; nothing was written")
            if spec.name.endswith(STAGING_SUFFIX):
                raise BackendError(f"tab name {spec.name!r} ends with {STAGING_SUFFIX!r}, "
                                   "which sheetsync reserves for staging; nothing was written")
            seen.add(folded)

    def _targets(self, tabs: Sequence[TabSpec], read: ReadResult
                 ) -> tuple[list[Target], dict[str, int], _Views]:
        exact = {t.name: t for t in read.tabs}
        folded = {t.name.casefold(): t for t in read.tabs}
        taken = {t.tab_id for t in read.tabs}
        found: list[TabInfo | None] = []
        ids: dict[str, int] = {t.name: t.tab_id for t in read.tabs}
        for spec in tabs:  # Google tab titles are unique regardless of case
            existing = exact.get(spec.name) or folded.get(spec.name.casefold())
            found.append(existing)
            if existing is not None:
                ids[spec.name] = existing.tab_id
        for spec, existing in zip(tabs, found):
            if existing is None:
                ids[spec.name] = stable_sheet_id(spec.name, taken)
                taken.add(ids[spec.name])
        states = self._states.get(read.version)
        manages_views = any(spec.filter_views is not None for spec in tabs)
        if states is None and (any(found) or manages_views):
            states = self._read_states()  # a read from elsewhere: one more spreadsheets.get
        views = _Views.plan(tabs, states or {}) if manages_views else _Views()
        targets = []
        for spec, existing in zip(tabs, found):
            staging = stable_sheet_id(staging_name(spec.name), taken)
            taken.add(staging)
            state = (states or {}).get(existing.name) if existing is not None else None
            targets.append(Target(render_tab(spec, ids, self.key, views.ids), ids[spec.name],
                                  existing, staging, _residue(state)))
        return targets, ids, views

    def link(self, read: ReadResult, tab: str, cell: str) -> str:
        info = read.tab(tab)
        if info is None:
            info = next((t for t in read.tabs if t.name.casefold() == tab.casefold()), None)
        gid = info.tab_id if info is not None else stable_sheet_id(
            tab, {t.tab_id for t in read.tabs})
        return f"#gid={gid}&range={cell}"


@dataclasses.dataclass(frozen=True)
class _Views:
    """The filter views a write replaces (none unless a tab written declares them): the
    declared views, their ids, and sheetsync's existing ones (id, title) to delete."""

    declared: tuple[FilterView, ...] = ()
    ids: dict[str, int] = dataclasses.field(default_factory=dict)
    existing: tuple[tuple[int, str], ...] = ()

    @classmethod
    def plan(cls, tabs: Sequence[TabSpec], states: dict[str, SheetState]) -> _Views:
        declared = tuple(v for spec in tabs for v in spec.filter_views or ())
        existing = tuple(v for state in states.values() for v in state.filter_views)
        people = {vid for vid, title in existing if not is_our_view(title)}
        return cls(declared, view_ids(declared, people), existing)

    def requests(self, sheet_ids: dict[str, int]) -> tuple[list[str], list[str]]:
        return replace_requests(self.declared, self.ids, sheet_ids, self.existing)


#: what Google answers when a request names a sheet that no longer exists
_VANISHED = re.compile(r"No (?:sheet|grid) with id")


def _residue(state: SheetState | None) -> Residue | None:
    """What rewriting an existing tab in place must clear (None: not a grid sheet, which
    is replaced instead)."""
    if state is None or not state.is_grid:
        return None
    return Residue(row_count=state.row_count, column_count=state.column_count,
                   conditional_rules=state.conditional_rules, charts=state.charts,
                   protections=tuple(pid for pid, note in state.protections if is_ours(note)))


__all__ = ["GoogleBackend", "spreadsheet_key"]

