"""Shared pieces of the ``spreadsheets.batchUpdate`` request handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import fieldmask
from .a1 import format_range
from .errors import RequestError
from .state import Sheet, Spreadsheet, State

Reply = dict[str, Any] | None
Handler = Callable[["Context", dict[str, Any]], Reply]
HANDLERS: dict[str, Handler] = {}

# CellData fields a request may write; the rest (effectiveValue, formattedValue,
# effectiveFormat, hyperlink …) is computed by the server and ignored in writes.
WRITABLE_CELL_FIELDS = (
    "userEnteredValue",
    "userEnteredFormat",
    "note",
    "textFormatRuns",
    "dataValidation",
    "pivotTable",
)


@dataclass
class Context:
    """What a handler works on: the new version of the spreadsheet and the caller.

    Its sheets are shared with the stored version until owned: a handler changes only
    sheets it got from :func:`sheet_of`, :func:`box` or :func:`dimension_range` (or made
    its own with ``ctx.ss.own``).
    """

    state: State
    ss: Spreadsheet
    account: str


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def as_int(value: Any, default: int = 0) -> int:
    if value is None:
        return default
    return int(value)


def sheet_of(ctx: Context, sheet_id: Any, *, write: bool = True) -> Sheet:
    """The sheet with ``sheet_id`` — this version's own (safe to change) unless ``write``
    is false (then only for reading)."""
    sheet = ctx.ss.sheet_by_id(as_int(sheet_id))
    if sheet is None:
        raise RequestError(f"No grid with id: {as_int(sheet_id)}")
    return ctx.ss.own(sheet) if write else sheet


def box(
    ctx: Context, grid_range: dict[str, Any], *, write: bool = True
) -> tuple[Sheet, int, int, int, int]:
    """A GridRange → (sheet, r0, r1, c0, c1) inside the grid, or a Google-like error."""
    sheet = sheet_of(ctx, grid_range.get("sheetId", 0), write=write)
    r0 = as_int(grid_range.get("startRowIndex"), 0)
    r1 = as_int(grid_range.get("endRowIndex"), sheet.row_count)
    c0 = as_int(grid_range.get("startColumnIndex"), 0)
    c1 = as_int(grid_range.get("endColumnIndex"), sheet.col_count)
    if min(r0, r1, c0, c1) < 0 or r0 > r1 or c0 > c1:
        raise RequestError("Invalid range: start index must be less than or equal to end index.")
    if r1 > sheet.row_count or c1 > sheet.col_count:
        raise RequestError(
            f"Range ({format_range(sheet.title, r0, r1, c0, c1)}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    return sheet, r0, r1, c0, c1


def dimension_range(ctx: Context, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = sheet_of(ctx, rng.get("sheetId", 0))
    dimension = rng.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    size = sheet.dimension_size(dimension)
    start = as_int(rng.get("startIndex"), 0)
    end = as_int(rng.get("endIndex"), size)
    if start < 0 or end < start:
        raise RequestError("Invalid dimension range: start index must be less than end index.")
    if end > size:
        what = "row" if dimension == "ROWS" else "column"
        raise RequestError(
            f"Invalid {what} range: endIndex[{end}] is after the last {what} in grid[{size}]"
        )
    return sheet, dimension, start, end


def mask(body: dict[str, Any]) -> list[list[str]]:
    fields = body.get("fields")
    if not fields:
        raise RequestError("At least one field must be specified in 'fields'.")
    try:
        return fieldmask.paths(fields)
    except fieldmask.MaskError:
        raise RequestError(f"Invalid field mask: {fields}") from None


def update_cell(
    sheet: Sheet, row: int, col: int, data: dict[str, Any], paths: list[list[str]]
) -> None:
    """Apply a masked ``CellData`` write to one cell (colours already normalised)."""
    cell_writer(paths)(sheet, row, col, data)


CellWriter = Callable[[Sheet, int, int, dict[str, Any]], None]


def cell_writer(paths: list[list[str]], *, shared: bool = False) -> CellWriter:
    """``update_cell`` for one mask, prepared once for the many cells of a request.

    ``shared``: the same data object is written to many cells (``repeatCell``); they then
    share one copy of it (stored cells are never changed below their top level, so sharing
    is safe). Equal ``userEnteredFormat`` values are stored once per request either way:
    that saves memory and lets reads work once per format.
    """
    if ["*"] in paths:
        singles = list(WRITABLE_CELL_FIELDS)
        clear_missing = True  # "*": a field absent from the data is cleared
        nested: dict[str, list[list[str]]] = {}
    else:
        clear_missing = False
        kept = [p for p in paths if p[0] in WRITABLE_CELL_FIELDS]
        singles = [p[0] for p in kept if len(p) == 1]
        nested = {}
        for p in kept:
            if len(p) > 1:
                nested.setdefault(p[0], []).append(p)
    tidy = [
        k
        for k in ("userEnteredValue", "userEnteredFormat", "dataValidation", "textFormatRuns")
        if k in singles or k in nested
    ]
    note = "note" in singles
    # id(source) [, id(old)] → (the objects, kept alive so ids stay unique, and the result)
    copies: dict[int, tuple[Any, Any]] = {}
    merges: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
    formats: dict[str, Any] = {}  # repr → the one copy of that userEnteredFormat
    fresh: dict[str, Any] = {}  # repr of the data → what it makes of an absent field
    json_copy = fieldmask.json_copy

    def copied(value: Any, key: str) -> Any:
        if shared:
            found = copies.get(id(value))
            if found is not None:
                return found[1]
        if key == "userEnteredFormat":  # few distinct formats, many cells
            text = repr(value)
            mine = formats.get(text)
            if mine is None:
                mine = formats[text] = json_copy(value)
        else:
            mine = json_copy(value)
        if shared:
            copies[id(value)] = (value, mine)
        return mine

    def merged(key: str, old: Any, source: Any, key_paths: list[list[str]]) -> Any:
        found = merges.get((id(old), id(source)))
        text = ""
        if found is None and old is None and isinstance(source, dict):
            # nothing there yet: the result depends on what the source says, not on which
            # object says it
            text = repr(source)
            if text in fresh:
                return fresh[text]
        if found is None:
            holder = {} if old is None else {key: old}
            fieldmask.update(holder, {key: source} if source is not None else {}, key_paths)
            new = holder.get(key)
            if key == "userEnteredFormat" and new is not None:
                new = formats.setdefault(repr(new), new)
            found = merges[(id(old), id(source))] = (old, source, new)
            if text:
                fresh[text] = new
        return found[2]

    def write(sheet: Sheet, row: int, col: int, data: dict[str, Any]) -> None:
        if not data and sheet.cell(row, col) is None:
            return  # nothing to set, nothing to clear
        cell = sheet.writable_cell(row, col)
        for key in singles:
            value = data.get(key)
            if value is not None:
                cell[key] = copied(value, key)
            elif clear_missing or key in cell:
                cell.pop(key, None)
        for key, key_paths in nested.items():
            value = merged(key, cell.get(key), data.get(key), key_paths)
            if value is None:
                cell.pop(key, None)
            else:
                cell[key] = value
        if note and cell.get("note") == "":
            del cell["note"]
        for key in tidy:
            if key in cell and not cell[key]:
                del cell[key]
        if not cell:
            sheet.prune(row, col)

    return write


def check_title(ctx: Context, title: str, ignore: Sheet | None = None) -> None:
    if not title.strip():
        raise RequestError("The sheet name cannot be empty.")
    for sheet in ctx.ss.sheets:
        if sheet is not ignore and sheet.title.casefold() == title.casefold():
            raise RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )


def all_ids(ctx: Context, key: str) -> set[int]:
    """Every integer id already used for ``key`` (sheetId, protectedRangeId, chartId …)."""
    found: set[int] = set()

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k == key and isinstance(v, int):
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    for sheet in ctx.ss.sheets:
        walk(sheet.properties)
        walk(sheet.extra)
    return found
