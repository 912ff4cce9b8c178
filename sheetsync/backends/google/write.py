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

Only when that body would exceed :data:`MAX_REQUEST_BYTES` (Google recommends at most
2 MB per request) are the biggest tabs staged: each is created as a hidden tab
``<name>~sheetsync`` (one batchUpdate for all of them: sheets, widths, headers, formats),
filled by ``values:batchUpdate`` requests of at most that size (plain JSON values, about
half the bytes of cell data, packed across tabs), and the run ends with one batchUpdate —
the small tabs in full plus, per staged tab that exists, its sheet emptied in place, the
staging tab pasted onto it (``copyPaste``) and deleted, then its layout, conditional rules
and chart; a staged tab that is new becomes its staging tab (renamed, moved, unhidden, and
keeping that sheet id). A failure before that last batch leaves every visible tab as it
was; staging tabs left behind are deleted by the next write.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from ...grid import TabInfo
from .read import GENERATION_ID, GENERATION_KEY
from .render import RenderedTab, Residue, dumps

#: the largest request body sent in one piece (tests lower it)
MAX_REQUEST_BYTES = 2_000_000
STAGING_SUFFIX = "~sheetsync"
BATCH_UPDATE, VALUES_UPDATE = "spreadsheets.batchUpdate", "values.batchUpdate"
_SWAP_BYTES = 600  # delete + rename/move/unhide of a staged tab, generously
_BODY_OVERHEAD = 600  # the body's wrapper and the generation compare-and-set


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
        finish = _size(targets[i].rendered.finish_requests(targets[i].sheet_id))
        total -= sizes[i] - finish - _SWAP_BYTES
    return staged


def _staging_calls(staged: Sequence[Target], layout: Layout,
                   leftovers: dict[str, TabInfo], limit: int) -> list[Call]:
    """Create the hidden staging tabs, then fill them with values requests under ``limit``,
    packed across tabs (a single row bigger than that goes alone: unavoidable)."""
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
    calls = [Call(BATCH_UPDATE, batch_body(b)) for b in setups]
    segments: list[bytes] = []
    used = _BODY_OVERHEAD

    def flush() -> None:
        nonlocal used
        if segments:
            calls.append(Call(VALUES_UPDATE, values_body(segments)))
            segments.clear()
        used = _BODY_OVERHEAD

    for t in staged:
        rows, sizes = t.rendered.value_rows()
        title = staging_name(t.name)
        overhead = len(title.encode("utf-8")) + 80
        start, n = 0, len(rows)
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


def plan_calls(targets: Sequence[Target], tabs: Sequence[TabInfo], staged: set[int],
               limit: int, generation: str | object | None = UNKNOWN,
               views: tuple[Sequence[str], Sequence[str]] = ((), ())
               ) -> tuple[list[Call], int]:
    """The write requests in order, and how many come before the last (the staging ones).

    ``tabs`` is the spreadsheet as read: its order positions the tabs, and its leftover
    staging tabs are deleted. ``staged`` (from :func:`choose_staged`) names the targets
    written through staging tabs; their ``sheet_id`` must be their ``staging_id``.
    ``generation`` is the write generation read (:func:`generation_requests`). ``views``
    (:func:`~.filter_views.replace_requests`): the deletes of sheetsync's filter views go
    first in the last batch, while every sheet they may sit on still exists, and the adds
    last, once every tab has its final sheet id.
    """
    layout = Layout([t.tab_id for t in tabs])
    names = {t.name for t in targets}
    leftovers = {t.name: t for t in tabs if t.name.endswith(STAGING_SUFFIX)
                 and t.name not in names}
    staged_targets = [t for i, t in enumerate(targets) if i in staged]
    calls = _staging_calls(staged_targets, layout, leftovers, limit) if staged else []
    pending = [t.staging_id for t in staged_targets]
    n_staging = len(calls)

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
            last += t.rendered.reset_requests(t.sheet_id, spec.name, spec.hidden, t.residue)
            last.append(_paste(t))
            last += t.rendered.layout_requests(t.sheet_id)  # widths; the note's print link
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
    calls.append(Call(BATCH_UPDATE, batch_body(last)))
    return calls, n_staging
