"""The ``spreadsheets.values`` methods: get, batchGet, update, batchUpdate, append, clear."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .a1 import Target, column_letters, format_range, resolve
from .errors import ApiError
from .state import MAX_CELLS, Sheet, Spreadsheet
from .values import Renderer, num_out, parse_input

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
    by_row = _shown(sheet, renderer, r0, r1, c0, c1, value_render, dt_render)
    out: dict[str, Any] = {
        "range": format_range(sheet.title, r0, r1, c0, c1),
        "majorDimension": major,
    }
    if by_row:
        out["values"] = _lines(by_row, r0, c0, major)
    return out


def _shown(
    sheet: Sheet,
    renderer: Renderer,
    r0: int,
    r1: int,
    c0: int,
    c1: int,
    value_render: str,
    dt_render: str,
) -> dict[int, dict[int, Any]]:
    """row → column → the value shown, for the cells of the box that show something."""
    whole = (r0, c0) == (0, 0) and r1 >= sheet.row_count and c1 >= sheet.col_count
    stored = sheet.cells.items() if whole else sheet.cells_in(r0, r1, c0, c1)
    # plain stored values need no renderer: text and, unless dates are to be formatted,
    # numbers and booleans unformatted
    raw = value_render != "FORMATTED_VALUE"
    raw_numbers = raw and dt_render == "SERIAL_NUMBER"
    render = renderer.render
    by_row: dict[int, dict[int, Any]] = {}
    for (r, c), cell in stored:
        if r >= r1 or c >= c1:
            continue
        uev = cell.get("userEnteredValue")
        if not uev:
            continue
        if "stringValue" in uev:
            value = uev["stringValue"]
        elif raw_numbers and "numberValue" in uev:
            value = num_out(uev["numberValue"])
        elif raw and "boolValue" in uev:
            value = uev["boolValue"]
        else:
            value = render(sheet, r, c, value_render, dt_render)
        if value != "":
            line = by_row.get(r)
            if line is None:
                by_row[r] = {c: value}
            else:
                line[c] = value
    return by_row


def _lines(by_row: dict[int, dict[int, Any]], r0: int, c0: int, major: str) -> list[list[Any]]:
    if major == "COLUMNS":
        by_col: dict[int, dict[int, Any]] = {}
        for r, line in by_row.items():
            for c, value in line.items():
                by_col.setdefault(c, {})[r] = value
        by_row, r0, c0 = by_col, c0, r0
    lines: list[list[Any]] = []
    for r in range(r0, max(by_row) + 1):
        line = by_row.get(r)
        if line is None:
            lines.append([])
        else:
            get = line.get
            lines.append([get(c, "") for c in range(c0, max(line) + 1)])
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


@dataclass
class Written:
    """What one write changed: for the ``total*`` counts of values:batchUpdate."""

    sheet_id: int
    r0: int
    c0: int
    rows: list[list[Any]]  # the values written (None: left alone)
    row_indices: set[int] = field(default_factory=set)  # offsets of rows with a value
    col_indices: set[int] = field(default_factory=set)
    cells: int = 0


def totals(written: list[Written]) -> dict[str, int]:
    """``totalUpdated{Rows,Columns,Cells,Sheets}`` of several writes (a cell, row or column
    written twice counts once)."""
    rows = {(w.sheet_id, w.r0 + i) for w in written for i in w.row_indices}
    cols = {(w.sheet_id, w.c0 + j) for w in written for j in w.col_indices}
    cells = sum(w.cells for w in written)
    if _overlapping(written):
        cells = len(
            {
                (w.sheet_id, w.r0 + i, w.c0 + j)
                for w in written
                for i, row in enumerate(w.rows)
                for j, value in enumerate(row)
                if value is not None
            }
        )
    return {
        "totalUpdatedRows": len(rows),
        "totalUpdatedColumns": len(cols),
        "totalUpdatedCells": cells,
        "totalUpdatedSheets": len({w.sheet_id for w in written if w.cells}),
    }


def _overlapping(written: list[Written]) -> bool:
    boxes = [
        (w.sheet_id, w.r0, w.r0 + len(w.rows), w.c0, w.c0 + max(map(len, w.rows), default=0))
        for w in written
        if w.cells
    ]
    for n, (s, a0, a1, b0, b1) in enumerate(boxes):
        for s2, c0, c1, d0, d1 in boxes[n + 1 :]:
            if s == s2 and a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
                return True
    return False


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
    written: list[Written] | None = None,
) -> dict[str, Any]:
    """Write a 2-D list into a range (of ``ss``, a cloned version); returns
    UpdateValuesResponse.

    ``grow`` adds rows/columns when the data overflows the grid (what append does);
    otherwise that is a 400 "exceeds grid limits" like values.update. ``written`` collects
    what was changed (see :func:`totals`).
    """
    target = resolve(ss, range_text)
    sheet = ss.own(target.sheet)
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
    done = Written(sheet.sheet_id, r0, c0, rows)
    formats: dict[tuple[int, str, str | None], tuple[Any, dict[str, Any]]] = {}
    touched_cols = [False] * ncols
    count = 0
    writable = sheet.writable_cell
    raw = input_option == "RAW"
    for i, row in enumerate(rows):
        before = count
        for j, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            if kind is str and value[:1] == "'" and len(value) > 1 and not raw:
                uev, number_format = {"stringValue": value[1:]}, None  # forced text
            elif (kind is int or kind is float) and value == value:
                uev, number_format = {"numberValue": value}, None
            elif isinstance(value, (dict, list)):
                raise ApiError(
                    400,
                    f"Invalid values[{i}][{j}]: {_kind(value)}",
                )
            else:
                uev, number_format = parse_input(value, input_option)
            if uev is None:
                if sheet.cell(r0 + i, c0 + j) is not None:
                    writable(r0 + i, c0 + j).pop("userEnteredValue", None)
                    sheet.prune(r0 + i, c0 + j)
            else:
                cell = writable(r0 + i, c0 + j)
                cell["userEnteredValue"] = uev
                if number_format is not None:
                    # a new format (nested parts of cells are shared, never changed), one
                    # per distinct old format and number format of this write
                    old = cell.get("userEnteredFormat")
                    key = (id(old), number_format["type"], number_format.get("pattern"))
                    found = formats.get(key)
                    if found is None:
                        new = {**(old or {}), "numberFormat": number_format}
                        found = formats[key] = (old, new)
                    cell["userEnteredFormat"] = found[1]
            touched_cols[j] = True
            count += 1
        if count > before:
            done.row_indices.add(i)
    done.col_indices = {j for j, hit in enumerate(touched_cols) if hit}
    done.cells = count
    if written is not None:
        written.append(done)
    out: dict[str, Any] = {
        "spreadsheetId": ss.spreadsheet_id,
        "updatedRange": format_range(sheet.title, r0, r0 + nrows, c0, c0 + ncols),
        "updatedRows": len(done.row_indices),
        "updatedColumns": len(done.col_indices),
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
    doomed = [key for key, cell in sheet.cells_in(r0, r1, c0, c1) if "userEnteredValue" in cell]
    if doomed:
        sheet = ss.own(sheet)
        for r, c in doomed:
            sheet.writable_cell(r, c).pop("userEnteredValue")
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
    sheet = ss.own(target.sheet)
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
