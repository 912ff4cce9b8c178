"""Put typed grids into a (emulated) Google spreadsheet, so both backends hold the same cells.

A grid read from a workbook (:class:`~sheetsync.grid.Grid`: str, int, float, bool, dates,
:class:`~sheetsync.grid.PercentValue`) becomes typed cells — text as ``stringValue``, dates
as serial numbers with a date format, percentages with a percent format — written by one
``spreadsheets.batchUpdate``. Reading that spreadsheet with the Google backend gives the
grids back unchanged.

>>> sid = load_grids(emulator, WorkbookBackend(path).read().grids)    # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..grid import CellValue, Grid, PercentValue, date_to_serial
from .emulator import Emulator

DATE_FORMAT = {"type": "DATE", "pattern": "yyyy/mm/dd"}
DATETIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy/mm/dd hh:mm:ss"}
PERCENT_FORMAT = {"type": "PERCENT", "pattern": "0%"}
MIN_ROWS, MIN_COLUMNS = 100, 26

Rows = Sequence[Sequence[CellValue]]


def cell_data(value: CellValue) -> dict[str, Any]:
    """One typed value → a Sheets ``CellData`` (value and, when needed, number format).

    >>> cell_data(dt.date(2026, 3, 31))
    {'userEnteredValue': {'numberValue': 46112}, 'userEnteredFormat': {'numberFormat': \
{'type': 'DATE', 'pattern': 'yyyy/mm/dd'}}}
    """
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, str):
        return {"userEnteredValue": {"stringValue": value}}
    if isinstance(value, dt.datetime):
        return {"userEnteredValue": {"numberValue": date_to_serial(value)},
                "userEnteredFormat": {"numberFormat": DATETIME_FORMAT}}
    if isinstance(value, dt.date):
        return {"userEnteredValue": {"numberValue": date_to_serial(value)},
                "userEnteredFormat": {"numberFormat": DATE_FORMAT}}
    if isinstance(value, PercentValue):
        return {"userEnteredValue": {"numberValue": float(value)},
                "userEnteredFormat": {"numberFormat": PERCENT_FORMAT}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def _rows_of(grid: Grid | Rows) -> Rows:
    return grid.rows if isinstance(grid, Grid) else grid


def grid_requests(sheet_ids: Sequence[int], grids: Sequence[Grid | Rows]) -> list[dict[str, Any]]:
    """Size each sheet to its grid, then write its cells (values and number formats)."""
    requests: list[dict[str, Any]] = []
    for sheet_id, grid in zip(sheet_ids, grids):
        rows = _rows_of(grid)
        width = max((len(r) for r in rows), default=0)
        requests.append({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {
                "rowCount": max(MIN_ROWS, len(rows)), "columnCount": max(MIN_COLUMNS, width)}},
            "fields": "gridProperties(rowCount,columnCount)"}})
        if rows:
            requests.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [cell_data(v) for v in row]} for row in rows],
                "fields": "userEnteredValue,userEnteredFormat.numberFormat"}})
    return requests


Grids = Mapping[str, "Grid | Rows"] | Iterable[Grid]


def _named(grids: Grids) -> dict[str, Grid | Rows]:
    if isinstance(grids, Mapping):
        return dict(grids)
    return {g.name: g for g in grids}


def load_grids(emulator: Emulator, grids: Grids, title: str = "sheetsync contract") -> str:
    """A new spreadsheet in ``emulator`` (no HTTP) holding ``grids`` (tab name → grid, or
    grids with their names, in order); returns its key. The cells go in with one
    batchUpdate."""
    named = _named(grids)
    names = list(named)
    sid = emulator.create_spreadsheet(title, names or None)
    sheets = emulator.get_spreadsheet(sid)["sheets"]
    ids = [int(s["properties"]["sheetId"]) for s in sheets]
    if names:
        emulator.batch_update(sid, grid_requests(ids, [named[n] for n in names]))
    return sid


def load_grids_over_http(http: Any, grids: Grids, title: str = "sheetsync demo") -> str:
    """Like :func:`load_grids`, through the Sheets API (``http``: a gspread ``HTTPClient``):
    ``spreadsheets.create`` with the tabs, then one ``batchUpdate``; returns the key."""
    from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEETS_API_V4_BASE_URL

    named = _named(grids)
    names = list(named)
    body = {"properties": {"title": title},
            "sheets": [{"properties": {"title": n}} for n in names]}
    created = http.request("post", SPREADSHEETS_API_V4_BASE_URL, json=body).json()
    key = str(created["spreadsheetId"])
    ids = [int(s["properties"]["sheetId"]) for s in created["sheets"]]
    url = SPREADSHEET_BATCH_UPDATE_URL % key
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    for body in _bodies(grid_requests(ids, [named[n] for n in names])):
        http.request("post", url, data=body, headers=headers)
    return key


#: a body under Google's 10 MiB request limit (a big register goes in several batchUpdates)
LOAD_BODY_BYTES = 8_000_000


def _bodies(requests: list[dict[str, Any]], limit: int = LOAD_BODY_BYTES) -> list[bytes]:
    """``requests`` as ``batchUpdate`` bodies under ``limit`` bytes: an ``updateCells`` too
    big for one is cut into runs of rows (a row over the limit on its own goes alone).

    >>> rows = [{"values": [{"userEnteredValue": {"numberValue": i}}]} for i in range(100)]
    >>> cut = _bodies([{"updateCells": {"start": {"sheetId": 1, "rowIndex": 0,
    ...                                           "columnIndex": 0}, "rows": rows}}], 1000)
    >>> sent = [json.loads(b)["requests"] for b in cut]
    >>> [r["updateCells"]["start"]["rowIndex"] for batch in sent for r in batch][:3]
    [0, 14, 28]
    >>> sum(len(r["updateCells"]["rows"]) for batch in sent for r in batch)
    100
    >>> all(len(b) <= 1000 for b in cut)
    True
    """
    def encode(items: list[str]) -> bytes:
        return ('{"requests":[' + ",".join(items) + "]}").encode("utf-8")

    pieces: list[str] = []
    for request in requests:
        cells = request.get("updateCells")
        if cells is None or "rows" not in cells:
            pieces.append(json.dumps(request, ensure_ascii=False))
            continue
        start = cells["start"]
        texts = [json.dumps(r, ensure_ascii=False) for r in cells["rows"]]
        sizes = [len(t.encode("utf-8")) + 1 for t in texts]
        rest = {k: v for k, v in cells.items() if k not in ("rows", "start")}
        first = 0
        while first < len(texts):
            size, stop = 200, first  # 200: the request around the rows, and the body's
            while stop < len(texts) and (stop == first or size + sizes[stop] <= limit):
                size += sizes[stop]
                stop += 1
            head = {"start": {**start, "rowIndex": start.get("rowIndex", 0) + first}, **rest}
            pieces.append('{"updateCells":' + json.dumps(head, ensure_ascii=False)[:-1]
                          + ',"rows":[' + ",".join(texts[first:stop]) + "]}}")
            first = stop
    bodies: list[bytes] = []
    batch: list[str] = []
    used = 20
    for piece in pieces:
        size = len(piece.encode("utf-8")) + 1
        if batch and used + size > limit:
            bodies.append(encode(batch))
            batch, used = [], 20
        batch.append(piece)
        used += size
    if batch:
        bodies.append(encode(batch))
    return bodies
