"""Reading a Google spreadsheet into typed grids, from the answers of two requests.

1. ``spreadsheets.get`` with :data:`SPREADSHEET_FIELDS`: titles and properties of every tab,
   the write generation (developer metadata), the ids and descriptions of the protected
   ranges, the conditional rules and charts (what rewriting a tab in place removes), the
   filter views' ids and titles (sheetsync replaces its own: :mod:`.filter_views`) and, per
   cell, only ``effectiveFormat.numberFormat.type`` — what tells a date or
   a percentage from a plain number (no values) — and the cell's note, if any (`schema
   apply` keeps the header notes people wrote; see :mod:`.register_setup`);
2. one ``values:batchGet`` (``UNFORMATTED_VALUE``, ``SERIAL_NUMBER``) for every tab wanted.

:func:`typed_rows` joins them into the grid contract of :mod:`sheetsync.grid`, the same the
workbook backend gives for the same cells: integral numbers → ``int``, other numbers →
``float``, DATE/DATE_TIME/TIME → ``date``/``datetime``, PERCENT → ``PercentValue``, text and
error values (``#N/A``) → ``str``, blanks → ``None``, trailing blanks trimmed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...grid import CellValue, PercentValue, TabInfo, serial_to_datetime

SPREADSHEET_FIELDS = (
    "properties(title,locale,timeZone),"
    "developerMetadata(metadataId,metadataKey,metadataValue),"
    "sheets(properties(sheetId,title,index,hidden,sheetType,gridProperties),"
    "protectedRanges(protectedRangeId,description),"
    "conditionalFormats(ranges(sheetId)),charts(chartId),filterViews(filterViewId,title),"
    "data(startRow,startColumn,rowData(values(note,effectiveFormat(numberFormat(type))))))"
)
VALUE_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}

#: the spreadsheet-level developer metadata counting sheetsync's writes (see write)
GENERATION_KEY = "sheetsync.generation"
GENERATION_ID = 0x5EE7_5C

DATE, PERCENT = 1, 2
_KINDS = {"DATE": DATE, "DATE_TIME": DATE, "TIME": DATE, "PERCENT": PERCENT}
#: every ``NumberFormat.type`` of the API (sheets.v4 discovery document)
_TYPES = ("NUMBER_FORMAT_TYPE_UNSPECIFIED", "TEXT", "NUMBER", "PERCENT", "CURRENCY", "DATE",
          "TIME", "DATE_TIME", "SCIENTIFIC")
#: a whole cell of the metadata answer that says nothing but its number-format type, as
#: compact JSON, → the JSON of its kind (0: neither date nor percent)
_CELL_TOKENS = [(b'{"effectiveFormat":{"numberFormat":{"type":"' + t.encode() + b'"}}}',
                 str(_KINDS.get(t, 0)).encode()) for t in _TYPES]
_CELL_TOKENS.append((b'{"effectiveFormat":{}}', b"0"))

#: (row, column) → DATE | PERCENT, only for cells with one of those formats
FormatKinds = dict[int, dict[int, int]]


def parse_metadata(content: bytes) -> dict[str, Any]:
    """The ``spreadsheets.get`` answer of :data:`SPREADSHEET_FIELDS`, parsed with each cell
    that holds only a number-format type (nearly all of them) as a small int — its kind
    (:data:`DATE`, :data:`PERCENT`, 0) — instead of three nested dicts: at 100,000 rows that
    is millions of objects the client never builds. The replaced texts are whole JSON
    objects with unescaped quotes, which cannot occur inside a JSON string; any other cell
    (one with a note, another field order, pretty-printed JSON) stays a dict, read as before.

    >>> meta = parse_metadata(b'{"sheets":[{"data":[{"rowData":[{"values":['
    ...     b'{"effectiveFormat":{"numberFormat":{"type":"DATE"}}},{"effectiveFormat":{}},{},'
    ...     b'{"effectiveFormat":{"numberFormat":{"type":"PERCENT"}},"note":"n"}]}]}]}]}')
    >>> meta["sheets"][0]["data"][0]["rowData"][0]["values"][:3]
    [1, 0, {}]
    >>> format_kinds(meta["sheets"][0])
    {0: {0: 1, 3: 2}}
    """
    for text, token in _CELL_TOKENS:
        if text in content:
            content = content.replace(text, token)
    data = json.loads(content)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def sheet_infos(meta: dict[str, Any]) -> list[TabInfo]:
    """Every tab of a ``spreadsheets.get`` answer, in order."""
    tabs = []
    for position, sheet in enumerate(meta.get("sheets") or []):
        props = sheet.get("properties") or {}
        grid = props.get("gridProperties") or {}
        tabs.append(TabInfo(
            name=str(props.get("title", "")),
            tab_id=int(props.get("sheetId", 0)),
            index=int(props.get("index", position)),
            hidden=bool(props.get("hidden", False)),
            row_count=int(grid.get("rowCount", 0)),
            column_count=int(grid.get("columnCount", 0)),
        ))
    return tabs


def generation_of(meta: dict[str, Any]) -> str | None:
    """The write generation recorded in the spreadsheet (None before the first write)."""
    for item in meta.get("developerMetadata") or ():
        if item.get("metadataId") == GENERATION_ID:
            return str(item.get("metadataValue", ""))
    return None


def is_grid(sheet: dict[str, Any]) -> bool:
    """False for chart sheets (they have no cells to read)."""
    return (sheet.get("properties") or {}).get("sheetType", "GRID") == "GRID"


def format_kinds(sheet: dict[str, Any]) -> FormatKinds:
    """The date/percent cells of one sheet of the ``spreadsheets.get`` answer."""
    found: FormatKinds = {}
    kinds = _KINDS
    for data in sheet.get("data") or ():
        r0 = int(data.get("startRow", 0))
        c0 = int(data.get("startColumn", 0))
        for r, row in enumerate(data.get("rowData") or (), start=r0):
            values = row.get("values")
            if not values:
                continue
            marks: dict[int, int] | None = None
            for c, cell in enumerate(values, start=c0):
                if not cell:
                    continue
                if type(cell) is int:  # parse_metadata's short form: the kind itself
                    if marks is None:
                        marks = found[r] = {}
                    marks[c] = cell
                    continue
                fmt = cell.get("effectiveFormat")
                if not fmt:
                    continue
                number = fmt.get("numberFormat")
                if not number:
                    continue
                kind = kinds.get(number.get("type"))
                if kind:
                    if marks is None:
                        marks = found[r] = {}
                    marks[c] = kind
    return found


def _number(value: int | float, kind: int | None, dates: dict[float, CellValue]) -> CellValue:
    if kind == DATE:
        found = dates.get(value)
        if found is None:
            try:
                found = serial_to_datetime(value)
            except (OverflowError, ValueError):
                found = _plain_number(value)
            dates[value] = found
        return found
    if kind == PERCENT:
        return PercentValue(value)
    return _plain_number(value)


def _plain_number(value: int | float) -> int | float:
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def typed_rows(values: Iterable[list[Any]], kinds: FormatKinds) -> list[list[CellValue]]:
    """``values:batchGet`` rows (unformatted, serial dates) → typed, trimmed grid rows."""
    rows: list[list[CellValue]] = []
    dates: dict[float, CellValue] = {}
    for r, raw in enumerate(values):
        marks = kinds.get(r)
        out: list[CellValue] = []
        append = out.append
        for c, v in enumerate(raw):
            t = type(v)
            if t is str:
                append(v if v else None)
            elif t is bool:
                append(v)
            elif t is int or t is float:
                if marks is None:
                    append(int(v) if t is float and v.is_integer() else v)
                else:
                    append(_number(v, marks.get(c), dates))
            else:  # null or something unexpected: a blank
                append(None if v is None else str(v))
        while out and out[-1] is None:
            out.pop()
        rows.append(out)
    while rows and not rows[-1]:
        rows.pop()
    return rows
