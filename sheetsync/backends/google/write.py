"""Plan the write requests of one run.

Normally there is exactly one ``spreadsheets.batchUpdate``. An owned tab that exists is
rewritten **in place**: its sheet is emptied (values, formats, notes, conditional rules,
charts, sheetsync's protection; the grid grown if needed) and written again, keeping its
sheet id — a rep's formula pointing at it (``='売上予測'!F2``) is tied to that id, and
deleting the sheet would turn it into ``#REF!`` for good. A new tab is added with a stable
id. Google applies the whole batch or nothing.

The batch starts with a compare-and-set of a write generation kept in developer metadata
(:func:`generation_requests`), so a run that lost a race with another runner writes
nothing.
Then come the deletes of sheetsync's filter views (while every sheet they may sit on exists)
and, at the very end, the filter views the tabs declare (once every tab has its final id):
see :mod:`.filter_views`.

Only when that body would exceed :data:`MAX_REQUEST_BYTES` (9 MB: Google refuses bodies
over 10 MiB) are the biggest tabs staged: each is created as a hidden tab
``<name>~sheetsync`` (one batchUpdate for all of them: sheets, widths, headers, formats,
and as many of their first rows as the batch has room for), filled by
``values:batchUpdate`` requests of at most that size (plain JSON values, about half the
bytes of cell data, packed across tabs), and the run ends with one batchUpdate — the small
tabs in full, the staged tabs' last rows in the room left, plus, per staged tab that
exists, its sheet emptied in place, the staging tab pasted onto it (``copyPaste``: values
and formats) and deleted, then its widths and header rows, conditional rules and chart; a
staged tab that is new becomes its staging tab (renamed, moved, unhidden, and keeping that
sheet id). A failure before that last batch leaves every visible tab as it was; staging
tabs left behind are deleted by the next write. At 100,000 deals that is four writes:
the setup, two values requests, the final batch.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from ...grid import TabInfo
from .read import GENERATION_ID, GENERATION_KEY
from .render import RenderedTab, Residue, dumps

#: the largest request body sent in one piece (tests lower it). Google documents no hard
#: size limit for a Sheets API request and *recommends* at most 2 MB "to speed up
#: requests" (https://developers.google.com/sheets/api/limits); what it enforces is
#: 10,485,760 bytes ("Request payload size exceeds the limit: 10485760 bytes", HTTP 400:
#: https://github.com/scrt-hq/psgsuite/issues/62), and 180 s of processing per request.
#: Requests, not bytes, are what the per-minute quota counts (60 a minute per user), so
#: sheetsync sends up to 9,000,000 bytes at once — a tenth under Google's limit, for the
#: headers and the rounding of the size estimates — and one batch up to ~10,000 deals.
MAX_REQUEST_BYTES = 9_000_000
STAGING_SUFFIX = "~sheetsync"
BATCH_UPDATE, VALUES_UPDATE = "spreadsheets.batchUpdate", "values.batchUpdate"
_SWAP_BYTES = 600  # delete + rename/move/unhide of a staged tab, generously
_BODY_OVERHEAD = 600  # the body's wrapper and the generation compare-and-set
_DATA_OVERHEAD = 200  # an updateCells around data rows (RenderedTab.data_request)


def stable_sheet_id(name: str, taken: set[int]) -> int:
    """A sheet id derived from ``name`` (so a tab keeps its id across runs and
    spreadsheets), moved on until it collides with nothing in ``taken``."""
    candidate = zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF
    while candidate in taken or candidate == 0:
        candidate = (candidate + 1) & 0x7FFFFFFF
    return candidate


def staging_name(name: str) -> str:
    return name + STAGING_SUFFIX


def quoted(title: str) -> str:
    """``'Tab'`` with ``'`` doubled, for A1 ranges."""
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Target:
    """A tab to write: how it renders, its final sheet id, and what it replaces."""

    rendered: RenderedTab
    sheet_id: int
    existing: TabInfo | None
    staging_id: int
    #: what the existing sheet holds (None: no existing grid sheet to rewrite in place)
    residue: Residue | None = None

    @property
    def in_place(self) -> bool:
        return self.existing is not None and self.residue is not None

    @property
    def name(self) -> str:
        return self.rendered.spec.name


@dataclass(frozen=True)
class Call:
    """One write request: ``kind`` (:data:`BATCH_UPDATE` or :data:`VALUES_UPDATE`) and body."""

    kind: str
    body: bytes


class Layout:
    """The order of the sheets as the requests change it, to give each insert its index."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = list(ids)

    def remove(self, sheet_id: int) -> int:
        index = self.ids.index(sheet_id)
        del self.ids[index]
        return index

    def insert(self, sheet_id: int, index: int | None) -> int:
        index = len(self.ids) if index is None else index
        self.ids.insert(index, sheet_id)
        return index


def batch_body(requests: Sequence[str]) -> bytes:
    """A ``BatchUpdateSpreadsheetRequest`` from request JSON texts."""
    return ('{"requests":[' + ",".join(requests) + "]}").encode("utf-8")


def value_range(title: str, first_row: int, rows: Sequence[str]) -> bytes:
    """A ``ValueRange`` writing ``rows`` (JSON arrays) from column A of 1-based
    ``first_row`` of tab ``title``."""
    rng = dumps(f"{quoted(title)}!A{first_row}")
    return ('{"range":' + rng + ',"majorDimension":"ROWS","values":['
            + ",".join(rows) + "]}").encode("utf-8")


def values_body(ranges: Sequence[bytes]) -> bytes:
    """A ``BatchUpdateValuesRequest`` (``USER_ENTERED``) of ``ranges``."""
    return b'{"valueInputOption":"USER_ENTERED","data":[' + b",".join(ranges) + b"]}"


def _size(requests: Sequence[str]) -> int:
    return sum(len(r) if r.isascii() else len(r.encode("utf-8")) for r in requests) \
        + len(requests)


def _delete(sheet_id: int) -> str:
    return dumps({"deleteSheet": {"sheetId": sheet_id}})


def _paste(t: Target) -> str:
    """``copyPaste`` of a filled staging tab onto the existing sheet (values, formats,
    links), whose own id stays."""
    r = t.rendered
    rows, cols = r.row_count, r.column_count
    return dumps({"copyPaste": {
        "source": {"sheetId": t.staging_id, "startRowIndex": 0, "endRowIndex": rows,
                   "startColumnIndex": 0, "endColumnIndex": cols},
        "destination": {"sheetId": t.sheet_id, "startRowIndex": 0, "endRowIndex": rows,
                        "startColumnIndex": 0, "endColumnIndex": cols},
        "pasteType": "PASTE_NORMAL"}})


#: the generation read is unknown (the read came from elsewhere): replace it unconditionally
UNKNOWN = object()


def generation_requests(seen: str | object | None) -> list[str]:
    """A compare-and-set on the write generation, first in the final batch.

    ``deleteDeveloperMetadata`` removes the generation only if it still has the value this
    run read, then ``createDeveloperMetadata`` records the next one under the same fixed id
    — which fails (and with it the whole batch) when another sheetsync run wrote since
    this one read: the writes of two runners can never interleave. Reps' edits do not
    touch it, so they never make a run fail.
    """
    lookup: dict[str, object] = {"metadataId": GENERATION_ID}
    out = []
    if seen is not None:
        if seen is not UNKNOWN:
            lookup["metadataValue"] = seen
        out.append(dumps({"deleteDeveloperMetadata": {
            "dataFilter": {"developerMetadataLookup": lookup}}}))
    current = seen if isinstance(seen, str) else "0"
    following = str(int(current) + 1) if current.isdigit() else "1"
    out.append(dumps({"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": GENERATION_ID, "metadataKey": GENERATION_KEY,
        "metadataValue": following, "location": {"spreadsheet": True},
        "visibility": "DOCUMENT"}}}))
    return out


def tab_size(t: Target) -> int:
    """Bytes of everything that writes ``t`` within one batch."""
    r = t.rendered
    spec = r.spec
    fixed = _size([r.add_sheet(t.sheet_id, spec.name, 999, spec.hidden),
                   *r.layout_requests(t.sheet_id), *r.finish_requests(t.sheet_id)])
    data = r.data_bytes(0, len(r.rows)) if r.rows else 0
    return fixed + data + 64


def choose_staged(targets: Sequence[Target], extra: int, limit: int) -> set[int]:
    """Indices of the tabs to stage: the biggest ones, until the last batch fits."""
    sizes = [tab_size(t) for t in targets]
    total = sum(sizes) + extra + _BODY_OVERHEAD
    staged: set[int] = set()
    for i in sorted(range(len(targets)), key=lambda i: -sizes[i]):
        if total <= limit:
            break
        staged.add(i)
        t = targets[i]
        # what stays in the last batch: its rules, chart and protection, and for a tab
        # rewritten in place its emptying, widths and header rows again (see plan_calls)
        kept = _size(t.rendered.finish_requests(t.sheet_id))
        if t.in_place:
            assert t.residue is not None
            kept += _size(t.rendered.reset_requests(t.sheet_id, t.name, True, t.residue)
                          + t.rendered.relayout_requests(t.sheet_id))
        total -= sizes[i] - kept - _SWAP_BYTES
    return staged


def _cell_rows(r: RenderedTab, start: int, room: int) -> int:
    """How many data rows of ``r`` from ``start`` fit in ``room`` bytes as ``CellData``."""
    stop, used = start, 0
    sizes, n = r.row_bytes, len(r.row_bytes)
    while stop < n and used + sizes[stop] + 1 <= room:
        used += sizes[stop] + 1
        stop += 1
    return stop


def _staging_calls(staged: Sequence[Target], layout: Layout,
                   leftovers: dict[str, TabInfo], limit: int,
                   stops: Sequence[int]) -> list[Call]:
    """Create the hidden staging tabs, then fill rows ``[0, stops[i])`` of each: first as
    ``CellData`` in the room the setup batch has left, then by values requests under
    ``limit``, packed across tabs (a single row bigger than that goes alone: unavoidable).
    The rows from ``stops[i]`` on go in the final batch (:func:`plan_calls`)."""
    setups: list[list[str]] = [[]]
    for t in staged:
        r = t.rendered
        tab: list[str] = []
        leftover = leftovers.pop(staging_name(t.name), None)
        if leftover is not None:
            tab.append(_delete(leftover.tab_id))
            layout.remove(leftover.tab_id)
        index = layout.insert(t.staging_id, None)
        tab.append(r.add_sheet(t.staging_id, staging_name(t.name), index, True))
        tab += r.layout_requests(t.staging_id)
        if setups[-1] and _size(setups[-1]) + _size(tab) + _BODY_OVERHEAD > limit:
            setups.append([])
        setups[-1] += tab
    # the last setup batch carries the first rows too, as far as they fit
    starts = [0] * len(staged)
    room = limit - _size(setups[-1]) - _BODY_OVERHEAD
    for i, t in enumerate(staged):
        r = t.rendered
        stop = _cell_rows(r, 0, min(room, limit) - _DATA_OVERHEAD)
        stop = min(stop, stops[i])
        if stop > 0:
            request = r.data_request(t.staging_id, 0, stop)
            setups[-1].append(request)
            room -= len(request.encode("utf-8")) + 1
            starts[i] = stop
        if stop < stops[i]:
            break  # the setup batch is full
    calls = [Call(BATCH_UPDATE, batch_body(b)) for b in setups]
    segments: list[bytes] = []
    used = _BODY_OVERHEAD

    def flush() -> None:
        nonlocal used
        if segments:
            calls.append(Call(VALUES_UPDATE, values_body(segments)))
            segments.clear()
        used = _BODY_OVERHEAD

    for i, t in enumerate(staged):
        start, n = starts[i], stops[i]
        if start >= n:
            continue
        rows, sizes = t.rendered.value_rows()
        title = staging_name(t.name)
        overhead = len(title.encode("utf-8")) + 80
        while start < n:
            room = limit - used - overhead
            stop, size = start, 0
            while stop < n and size + sizes[stop] + 1 <= room:
                size += sizes[stop] + 1
                stop += 1
            if stop == start:
                if segments:  # not even one row fits in what is left: a new request
                    flush()
                    continue
                stop = start + 1  # one row over the limit on its own: unavoidable
            segments.append(value_range(title, t.rendered.spec.first_data_row + start,
                                        rows[start:stop]))
            used += size + overhead
            start = stop
            if start < n:
                flush()
    flush()
    return calls


def _tails(staged: Sequence[Target], room: int) -> list[int]:
    """Per staged tab, the first of its last rows that fit in ``room`` bytes of the final
    batch as ``CellData`` (its row count when none do): filling the final batch's spare
    room saves a values request at 100,000 deals. Taken from the last tab backwards."""
    stops = [len(t.rendered.rows) for t in staged]
    for i in range(len(staged) - 1, -1, -1):
        r = staged[i].rendered
        budget = room - _DATA_OVERHEAD
        start, used = len(r.rows), 0
        while start > 0 and used + r.row_bytes[start - 1] + 1 <= budget:
            used += r.row_bytes[start - 1] + 1
            start -= 1
        if start == len(r.rows):
            break
        stops[i] = start
        room -= used + _DATA_OVERHEAD
        if start > 0:
            break  # the final batch is full
    return stops


def plan_calls(targets: Sequence[Target], tabs: Sequence[TabInfo], staged: set[int],
               limit: int, generation: str | object | None = UNKNOWN,
               views: tuple[Sequence[str], Sequence[str]] = ((), ()), extra: int = 0
               ) -> tuple[list[Call], int]:
    """The write requests in order, and how many come before the last (the staging ones).

    ``tabs`` is the spreadsheet as read: its order positions the tabs, and its leftover
    staging tabs are deleted. ``staged`` (from :func:`choose_staged`) names the targets
    written through staging tabs; their ``sheet_id`` must be their ``staging_id``.
    ``generation`` is the write generation read (:func:`generation_requests`). ``views``
    (:func:`~.filter_views.replace_requests`): the deletes of sheetsync's filter views go
    first in the last batch, while every sheet they may sit on still exists, and the adds
    last, once every tab has its final sheet id. ``extra`` bytes of other requests will join
    the last batch (its spare room, less those, takes the staged tabs' last rows).
    """
    layout = Layout([t.tab_id for t in tabs])
    names = {t.name for t in targets}
    leftovers = {t.name: t for t in tabs if t.name.endswith(STAGING_SUFFIX)
                 and t.name not in names}
    staged_targets = [t for i, t in enumerate(targets) if i in staged]
    if staged:
        # the final batch without the staged tabs' rows, sized with the staging tabs laid
        # out as they will be (a trial run on a copy of the layout and leftovers)
        trial = _final_batch(targets, staged, Layout(layout.ids), dict(leftovers),
                             generation, views, {}, staging_layout=True)
        room = limit - _size(trial) - _BODY_OVERHEAD - extra
        stops = _tails(staged_targets, room)
    else:
        stops = []
    calls = (_staging_calls(staged_targets, layout, leftovers, limit, stops)
             if staged else [])
    tails = {t.staging_id: stop for t, stop in zip(staged_targets, stops)}
    last = _final_batch(targets, staged, layout, leftovers, generation, views, tails)
    n_staging = len(calls)
    calls.append(Call(BATCH_UPDATE, batch_body(last)))
    return calls, n_staging


def _final_batch(targets: Sequence[Target], staged: set[int], layout: Layout,
                 leftovers: dict[str, TabInfo], generation: str | object | None,
                 views: tuple[Sequence[str], Sequence[str]], tails: dict[int, int],
                 staging_layout: bool = False) -> list[str]:
    """The requests of the last batch. ``tails``: staging id → the first row of the staged
    tab that this batch writes (``updateCells`` on the staging tab before it is pasted or
    renamed). ``staging_layout``: the staging tabs are not in ``layout`` yet (a trial run
    to size the batch) — add them at the end, as :func:`_staging_calls` does."""
    staged_targets = [t for i, t in enumerate(targets) if i in staged]
    if staging_layout:
        for t in staged_targets:
            leftover = leftovers.pop(staging_name(t.name), None)
            if leftover is not None:
                layout.remove(leftover.tab_id)
            layout.insert(t.staging_id, None)
    pending = [t.staging_id for t in staged_targets]

    def tail(t: Target) -> list[str]:
        start = tails.get(t.staging_id, len(t.rendered.rows))
        if start >= len(t.rendered.rows):
            return []
        return [t.rendered.data_request(t.staging_id, start, len(t.rendered.rows))]

    def new_tab_index() -> int:
        # new tabs go after the existing ones, in order, before this run's staging tabs
        return min((layout.ids.index(s) for s in pending), default=len(layout.ids))

    last: list[str] = generation_requests(generation) + list(views[0])
    for i, t in enumerate(targets):
        spec = t.rendered.spec
        if t.in_place:  # an existing tab keeps its sheet: formulas pointing at it live on
            assert t.residue is not None
            if i not in staged:
                last += t.rendered.rewrite_requests(t.sheet_id, spec.name, spec.hidden,
                                                    t.residue)
                continue
            pending.remove(t.staging_id)
            last += tail(t)
            last += t.rendered.reset_requests(t.sheet_id, spec.name, spec.hidden, t.residue)
            last.append(_paste(t))
            last += t.rendered.relayout_requests(t.sheet_id)  # widths; the note's print link
            last += t.rendered.finish_requests(t.sheet_id)
            last.append(_delete(t.staging_id))
            layout.remove(t.staging_id)
            continue
        index = None
        if t.existing is not None:
            last.append(_delete(t.existing.tab_id))
            index = layout.remove(t.existing.tab_id)
        if i not in staged:
            index = layout.insert(t.sheet_id, new_tab_index() if index is None else index)
            last += t.rendered.requests(t.sheet_id, spec.name, index, spec.hidden)
            continue
        pending.remove(t.staging_id)
        last += tail(t)
        layout.remove(t.staging_id)
        index = layout.insert(t.staging_id, new_tab_index() if index is None else index)
        last.append(dumps({"updateSheetProperties": {
            "properties": {"sheetId": t.staging_id, "title": spec.name, "index": index,
                           "hidden": spec.hidden},
            "fields": "title,index,hidden"}}))
        last += t.rendered.finish_requests(t.staging_id)
    for leftover in leftovers.values():
        last.append(_delete(leftover.tab_id))
        layout.remove(leftover.tab_id)
    last += views[1]
    return last
