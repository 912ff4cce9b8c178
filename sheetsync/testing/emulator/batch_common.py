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
    """What a handler works on: a private copy of the spreadsheet and the caller."""

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


def sheet_of(ctx: Context, sheet_id: Any) -> Sheet:
    sheet = ctx.ss.sheet_by_id(as_int(sheet_id))
    if sheet is None:
        raise RequestError(f"No grid with id: {as_int(sheet_id)}")
    return sheet


def box(ctx: Context, grid_range: dict[str, Any]) -> tuple[Sheet, int, int, int, int]:
    """A GridRange → (sheet, r0, r1, c0, c1) inside the grid, or a Google-like error."""
    sheet = sheet_of(ctx, grid_range.get("sheetId", 0))
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
    cell = sheet.writable_cell(row, col)
    for path in paths:
        if path == ["*"]:
            for key in WRITABLE_CELL_FIELDS:
                if key in data:
                    cell[key] = fieldmask.json_copy(data[key])
                else:
                    cell.pop(key, None)
        elif path[0] in WRITABLE_CELL_FIELDS:
            fieldmask.update(cell, data, [path])
    if cell.get("note") == "":
        del cell["note"]
    for key in ("userEnteredValue", "userEnteredFormat", "dataValidation", "textFormatRuns"):
        if key in cell and not cell[key]:
            del cell[key]
    sheet.prune(row, col)


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
