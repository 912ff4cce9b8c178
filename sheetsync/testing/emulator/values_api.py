"""The ``spreadsheets.values`` methods: get, batchGet, update, batchUpdate, append, clear."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from .a1 import Target, column_letters, format_range, resolve
from .errors import ApiError
from .state import MAX_CELLS, Sheet, Spreadsheet
from .values import Renderer, parse_input

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")


def check_enum(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        type_name = f"type.googleapis.com/google.apps.sheets.v4.{_enum_type(name)}"
        raise ApiError(400, f"Invalid value at '{name}' ({type_name}), \"{value}\"")
    return value


def _enum_type(name: str) -> str:
    return {
        "value_render_option": "ValueRenderOption",
        "date_time_render_option": "DateTimeRenderOption",
        "value_input_option": "ValueInputOption",
        "major_dimension": "Dimension",
    }.get(name, "Enum")


# reading ---------------------------------------------------------------------------------
def read(
    ss: Spreadsheet,
    renderer: Renderer,
    range_text: str,
    major: str = "ROWS",
    value_render: str = "FORMATTED_VALUE",
    dt_render: str = "SERIAL_NUMBER",
) -> dict[str, Any]:
    """One ``ValueRange``: trailing empty cells and rows trimmed, no ``values`` when empty."""
    target = resolve(ss, range_text)
    sheet = target.sheet
    b = target.bounds
    if (b.r0 or 0) >= sheet.row_count or (b.c0 or 0) >= sheet.col_count:
        raise target.grid_error()
    r0, r1, c0, c1 = target.clipped()
    shown: dict[tuple[int, int], Any] = {}
    for (r, c), _cell in sheet.cells_in(r0, r1, c0, c1):
        value = renderer.render(sheet, r, c, value_render, dt_render)
        if value != "":
            shown[(r, c)] = value
    out: dict[str, Any] = {
        "range": format_range(sheet.title, r0, r1, c0, c1),
        "majorDimension": major,
    }
    if shown:
        out["values"] = _trimmed(shown, r0, c0, major)
    return out


def _trimmed(shown: dict[tuple[int, int], Any], r0: int, c0: int, major: str) -> list[list[Any]]:
    if major == "COLUMNS":
        shown = {(c, r): v for (r, c), v in shown.items()}
        r0, c0 = c0, r0
    last_in_line: dict[int, int] = {}
    for r, c in shown:
        last_in_line[r] = max(last_in_line.get(r, -1), c)
    lines = []
    for r in range(r0, max(last_in_line) + 1):
        end = last_in_line.get(r)
        lines.append([] if end is None else [shown.get((r, c), "") for c in range(c0, end + 1)])
    return lines


# writing ---------------------------------------------------------------------------------
def _matrix(values: Any, field: str) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise _invalid_list(field, values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise _invalid_list(f"{field}[{i}]", row)
    return values


def _invalid_list(field: str, value: Any) -> ApiError:
    shown = json.dumps(value, ensure_ascii=False)
    return ApiError(
        400,
        f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), {shown}",
    )


def write(
    ss: Spreadsheet,
    range_text: str,
    values: Any,
    major: str,
    input_option: str,
    *,
    field: str = "data.values",
    start: tuple[int, int] | None = None,
    grow: bool = False,
    touched: set[tuple[int, int, int]] | None = None,
) -> dict[str, Any]:
    """Write a 2-D list into a range (already-cloned ``ss``); returns UpdateValuesResponse.

    ``grow`` adds rows/columns when the data overflows the grid (what append does);
    otherwise that is a 400 "exceeds grid limits" like values.update.
    """
    target = resolve(ss, range_text)
    sheet = target.sheet
    rows = _matrix(values, field)
    if major == "COLUMNS":
        width = max((len(col) for col in rows), default=0)
        rows = [[col[r] if r < len(col) else None for col in rows] for r in range(width)]
    b = target.bounds
    r0, c0 = start if start else (b.r0 or 0, b.c0 or 0)
    nrows = len(rows)
    ncols = max((len(row) for row in rows), default=0)
    if start is None:
        _check_within(target, r0, c0, nrows, ncols)
    if nrows == 0 or ncols == 0:
        return {"spreadsheetId": ss.spreadsheet_id, "updatedRange": target.display()}
    if grow and (r0 + nrows > sheet.row_count or c0 + ncols > sheet.col_count):
        add_rows = max(0, r0 + nrows - sheet.row_count)
        add_cols = max(0, c0 + ncols - sheet.col_count)
        grow_grid(ss, sheet, rows=add_rows, cols=add_cols)
    if r0 + nrows > sheet.row_count or c0 + ncols > sheet.col_count:
        raise ApiError(
            400,
            f"Range ({format_range(sheet.title, r0, r0 + nrows, c0, c0 + ncols)}) exceeds grid "
            f"limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
        )
    touched_rows: set[int] = set()
    touched_cols: set[int] = set()
    count = 0
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (dict, list)):
                raise ApiError(
                    400,
                    f"Invalid values[{i}][{j}]: {_kind(value)}",
                )
            set_value(sheet, r0 + i, c0 + j, value, input_option)
            touched_rows.add(i)
            touched_cols.add(j)
            count += 1
            if touched is not None:
                touched.add((sheet.sheet_id, r0 + i, c0 + j))
    out: dict[str, Any] = {
        "spreadsheetId": ss.spreadsheet_id,
        "updatedRange": format_range(sheet.title, r0, r0 + nrows, c0, c0 + ncols),
        "updatedRows": len(touched_rows),
        "updatedColumns": len(touched_cols),
        "updatedCells": count,
    }
    return {k: v for k, v in out.items() if v}


def _kind(value: Any) -> str:
    return "struct_value" if isinstance(value, dict) else "list_value"


def _check_within(target: Target, r0: int, c0: int, nrows: int, ncols: int) -> None:
    b = target.bounds
    single = (
        b.r1 is not None
        and b.c1 is not None
        and b.r1 - (b.r0 or 0) == 1
        and b.c1 - (b.c0 or 0) == 1
    )
    if single or (b.r0 is None and b.c0 is None and b.r1 is None and b.c1 is None):
        return
    if b.r1 is not None and r0 + nrows > b.r1:
        raise ApiError(
            400,
            f"Requested writing within range [{target.text}], but tried writing to row "
            f"[{r0 + nrows}]",
        )
    if b.c1 is not None and c0 + ncols > b.c1:
        raise ApiError(
            400,
            f"Requested writing within range [{target.text}], but tried writing to column "
            f"[{column_letters(c0 + ncols - 1)}]",
        )


def set_value(sheet: Sheet, row: int, col: int, value: Any, input_option: str) -> None:
    uev, number_format = parse_input(value, input_option)
    cell = sheet.writable_cell(row, col)
    if uev is None:
        cell.pop("userEnteredValue", None)
        sheet.prune(row, col)
        return
    cell["userEnteredValue"] = uev
    if number_format is not None:
        cell.setdefault("userEnteredFormat", {})["numberFormat"] = number_format


def grow_grid(ss: Spreadsheet, sheet: Sheet, rows: int = 0, cols: int = 0) -> None:
    new_total = ss.total_cells() + rows * sheet.col_count + cols * (sheet.row_count + rows)
    if new_total > MAX_CELLS:
        raise ApiError(
            400,
            "This action would increase the number of cells in the workbook above the limit "
            f"of {MAX_CELLS} cells.",
        )
    sheet.row_count += rows
    sheet.col_count += cols


def clear(ss: Spreadsheet, range_text: str) -> str:
    target = resolve(ss, range_text)
    sheet = target.sheet
    b = target.bounds
    if (b.r0 or 0) >= sheet.row_count or (b.c0 or 0) >= sheet.col_count:
        raise target.grid_error()
    r0, r1, c0, c1 = target.clipped()
    for (r, c), cell in list(sheet.cells_in(r0, r1, c0, c1)):
        cell.pop("userEnteredValue", None)
        sheet.prune(r, c)
    return format_range(sheet.title, r0, r1, c0, c1)


# appending -------------------------------------------------------------------------------
def find_table(ss: Spreadsheet, target: Target) -> tuple[int, int, int, int] | None:
    """The "table" values.append appends to: the block of filled cells around the anchor.

    With an explicit start cell the anchor is that cell (no table when it is empty);
    otherwise it is the last filled cell of the range. The table is the bounding box of
    the filled cells connected to the anchor.
    """
    sheet = target.sheet
    renderer = Renderer(ss)
    b = target.bounds
    single = (
        b.r1 is not None
        and b.c1 is not None
        and b.r1 - (b.r0 or 0) == 1
        and b.c1 - (b.c0 or 0) == 1
    )
    r0, r1, c0, c1 = (0, sheet.row_count, 0, sheet.col_count) if single else target.clipped()

    def filled(r: int, c: int) -> bool:
        return (
            r0 <= r < r1
            and c0 <= c < c1
            and renderer.render(sheet, r, c, "FORMATTED_VALUE", "SERIAL_NUMBER") != ""
        )

    if b.r0 is not None and b.c0 is not None:
        anchor = (b.r0, b.c0)
        if not filled(*anchor):
            return None
    else:
        cells = [key for key, _ in sheet.cells_in(r0, r1, c0, c1) if filled(*key)]
        if not cells:
            return None
        anchor = max(cells)
    seen = {anchor}
    queue = deque([anchor])
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if (nr, nc) not in seen and filled(nr, nc):
                seen.add((nr, nc))
                queue.append((nr, nc))
    rows = [r for r, _ in seen]
    cols = [c for _, c in seen]
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


def append(
    ss: Spreadsheet,
    range_text: str,
    values: Any,
    major: str,
    input_option: str,
    insert_rows: bool,
) -> dict[str, Any]:
    target = resolve(ss, range_text)
    sheet = target.sheet
    table = find_table(ss, target)
    if table is None:
        b = target.bounds
        start = (b.r0 or 0, b.c0 or 0)
    else:
        start = (table[1], table[2])
    rows = _matrix(values, "data.values")
    height = len(rows) if major != "COLUMNS" else max((len(c) for c in rows), default=0)
    if insert_rows and height:
        from .dimensions import insert_dimension

        insert_dimension(
            ss, sheet, "ROWS", start[0], start[0] + height, inherit_before=start[0] > 0
        )
    updates = write(ss, range_text, values, major, input_option, start=start, grow=True)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if table is not None:
        out["tableRange"] = format_range(sheet.title, *table)
    out["updates"] = updates
    return out
