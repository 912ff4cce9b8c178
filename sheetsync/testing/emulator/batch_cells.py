"""batchUpdate requests that change cells, merges and rows/columns."""

from __future__ import annotations

import copy
import unicodedata
from functools import cmp_to_key
from typing import Any

from . import fieldmask, shapes
from .a1 import column_letters
from .batch_common import (
    Context,
    Reply,
    as_int,
    box,
    cell_writer,
    dimension_range,
    handler,
    mask,
    sheet_of,
)
from .dimensions import check_cells, delete_dimension, insert_dimension, move_dimension
from .errors import RequestError
from .state import DEFAULT_COLUMN_PIXELS, DEFAULT_ROW_PIXELS, Sheet
from .values import Renderer


@handler("updateCells")
def update_cells(ctx: Context, body: dict[str, Any]) -> Reply:
    rows = shapes.mirror_cell_colors(shapes.normalize_colors(body.get("rows", [])))
    write = cell_writer(shapes.color_twin_paths(mask(body)))
    if "start" in body and "range" in body:
        raise RequestError("Only one of start or range may be set.")
    if "range" in body:
        sheet, r0, r1, c0, c1 = box(ctx, body["range"])
        for i, row in enumerate(rows):
            if r0 + i >= r1:
                raise RequestError(
                    f"Attempting to write row: {r0 + i}, beyond the last requested row of: {r1 - 1}"
                )
            if c0 + len(row.get("values", [])) > c1:
                raise RequestError(
                    f"Attempting to write column: {c0 + len(row['values']) - 1}, beyond the last "
                    f"requested column of: {c1 - 1}"
                )
        for r in range(r0, r1):
            values = rows[r - r0].get("values", []) if r - r0 < len(rows) else []
            for c in range(c0, c1):
                data = values[c - c0] if c - c0 < len(values) else {}
                write(sheet, r, c, data or {})
        return None
    start = body.get("start")
    if start is None:
        raise RequestError("Either start or range must be set.")
    sheet = sheet_of(ctx, start.get("sheetId", 0))
    r0, c0 = as_int(start.get("rowIndex")), as_int(start.get("columnIndex"))
    last_row = r0 + max(len(rows), 1) - 1
    if last_row >= sheet.row_count:
        raise RequestError(
            f"GridCoordinate.rowIndex[{last_row}] is after last row in grid[{sheet.row_count - 1}]"
        )
    for i, row in enumerate(rows):
        values = row.get("values", [])
        last_col = c0 + max(len(values), 1) - 1
        if last_col >= sheet.col_count:
            raise RequestError(
                f"GridCoordinate.columnIndex[{last_col}] is after last column in "
                f"grid[{sheet.col_count - 1}]"
            )
        for j, data in enumerate(values):
            write(sheet, r0 + i, c0 + j, data or {})
    return None


@handler("repeatCell")
def repeat_cell(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    write = cell_writer(shapes.color_twin_paths(mask(body)), shared=True)
    data = shapes.mirror_cell_colors(shapes.normalize_colors(body.get("cell", {})))
    for r in range(r0, r1):
        for c in range(c0, c1):
            write(sheet, r, c, data)
    return None


@handler("appendCells")
def append_cells(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet = sheet_of(ctx, body.get("sheetId", 0))
    write = cell_writer(shapes.color_twin_paths(mask(body)))
    rows = shapes.mirror_cell_colors(shapes.normalize_colors(body.get("rows", [])))
    start = 1 + max((r for r, _ in sheet.cells), default=-1)
    needed = start + len(rows) - sheet.row_count
    if needed > 0:
        check_cells(ctx.ss, needed * sheet.col_count)
        sheet.row_count += needed
    for i, row in enumerate(rows):
        values = row.get("values", [])
        if len(values) > sheet.col_count:
            raise RequestError(
                f"GridCoordinate.columnIndex[{len(values) - 1}] is after last column in "
                f"grid[{sheet.col_count - 1}]"
            )
        for j, data in enumerate(values):
            write(sheet, start + i, j, data or {})
    return None


@handler("setDataValidation")
def set_data_validation(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    rule = body.get("rule")
    if rule is not None and not rule.get("condition", {}).get("type"):
        raise RequestError("Data validation rule requires a condition type.")
    write = cell_writer([["dataValidation"]], shared=True)
    data = {"dataValidation": rule} if rule else {}
    for r in range(r0, r1):
        for c in range(c0, c1):
            write(sheet, r, c, data)
    return None


def _overlaps(a: dict[str, Any], b: tuple[int, int, int, int]) -> bool:
    return not (
        a["endRowIndex"] <= b[0]
        or a["startRowIndex"] >= b[1]
        or a["endColumnIndex"] <= b[2]
        or a["startColumnIndex"] >= b[3]
    )


def _inside(a: dict[str, Any], b: tuple[int, int, int, int]) -> bool:
    return (
        a["startRowIndex"] >= b[0]
        and a["endRowIndex"] <= b[1]
        and a["startColumnIndex"] >= b[2]
        and a["endColumnIndex"] <= b[3]
    )


@handler("mergeCells")
def merge_cells(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    kind = body.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        pieces = [(r0, r1, c0, c1)]
    elif kind == "MERGE_COLUMNS":
        pieces = [(r0, r1, c, c + 1) for c in range(c0, c1)]
    elif kind == "MERGE_ROWS":
        pieces = [(r, r + 1, c0, c1) for r in range(r0, r1)]
    else:
        raise RequestError(f"Unknown merge type: {kind}")
    merges = sheet.extra.setdefault("merges", [])
    whole = (r0, r1, c0, c1)
    for existing in merges:
        if _overlaps(existing, whole) and not _inside(existing, whole):
            raise RequestError("You can't merge cells that partially overlap an existing merge.")
    merges[:] = [m for m in merges if not _inside(m, whole)]
    for pr0, pr1, pc0, pc1 in pieces:
        if (pr1 - pr0) * (pc1 - pc0) <= 1:
            continue
        for (r, c), cell in list(sheet.cells_in(pr0, pr1, pc0, pc1)):
            if (r, c) != (pr0, pc0) and "userEnteredValue" in cell:
                sheet.writable_cell(r, c).pop("userEnteredValue")
                sheet.prune(r, c)
        merge = {
            "startRowIndex": pr0,
            "endRowIndex": pr1,
            "startColumnIndex": pc0,
            "endColumnIndex": pc1,
        }
        if sheet.sheet_id:
            merge = {"sheetId": sheet.sheet_id, **merge}
        merges.append(merge)
    if not merges:
        sheet.extra.pop("merges", None)
    return None


@handler("unmergeCells")
def unmerge_cells(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    merges = sheet.extra.get("merges", [])
    merges[:] = [m for m in merges if not _overlaps(m, (r0, r1, c0, c1))]
    if not merges:
        sheet.extra.pop("merges", None)
    return None


@handler("updateBorders")
def update_borders(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    spec = shapes.normalize_colors(body)
    for r in range(r0, r1):
        for c in range(c0, c1):
            sides = {
                "top": spec.get("top") if r == r0 else spec.get("innerHorizontal"),
                "bottom": spec.get("bottom") if r == r1 - 1 else spec.get("innerHorizontal"),
                "left": spec.get("left") if c == c0 else spec.get("innerVertical"),
                "right": spec.get("right") if c == c1 - 1 else spec.get("innerVertical"),
            }
            if not any(sides.values()):
                continue
            cell = sheet.writable_cell(r, c)
            # nested parts of a stored cell are never changed in place (they may be
            # shared with another version): copy the path to what changes
            fmt = dict(cell.get("userEnteredFormat") or {})
            borders = dict(fmt.get("borders") or {})
            for side, border in sides.items():
                if border is None:
                    continue
                if border.get("style") == "NONE":
                    borders.pop(side, None)
                else:
                    borders[side] = copy.deepcopy(border)
            if borders:
                fmt["borders"] = borders
            else:
                fmt.pop("borders", None)
            if fmt:
                cell["userEnteredFormat"] = fmt
            else:
                cell.pop("userEnteredFormat", None)
                sheet.prune(r, c)
    return None


@handler("updateDimensionProperties")
def update_dimension_properties(ctx: Context, body: dict[str, Any]) -> Reply:
    if "range" not in body:
        raise RequestError("range is required (data source sheets are not supported).")
    sheet, dimension, start, end = dimension_range(ctx, body["range"])
    paths = mask(body)
    props = body.get("properties", {})
    meta = sheet.dimension_meta(dimension)
    for i in range(start, end):
        entry = meta.setdefault(i, {})
        fieldmask.update(entry, props, paths)
        if not entry:
            del meta[i]
    return None


def text_width(text: str) -> float:
    """Approximate pixel width of text in Arial 10pt (what autoResize measures)."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 13.34
        elif ch.isupper():
            width += 8.48
        elif ch.isdigit():
            width += 7.42
        elif ch.islower():
            width += 6.7
        else:
            width += 3.71
    return width


@handler("autoResizeDimensions")
def auto_resize(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = dimension_range(ctx, body.get("dimensions", {}))
    renderer = Renderer(ctx.ss)
    meta = sheet.dimension_meta(dimension)
    for i in range(start, end):
        if dimension == "COLUMNS":
            cells = sheet.cells_in(0, sheet.row_count, i, i + 1)
            texts = [renderer.formatted(sheet, r, c) or "" for (r, c), _ in cells]
            widths = [max(text_width(line) for line in t.split("\n")) for t in texts if t]
            size = round(max(widths) + 7) if widths else DEFAULT_COLUMN_PIXELS
        else:
            cells = sheet.cells_in(i, i + 1, 0, sheet.col_count)
            lines = [
                len((renderer.formatted(sheet, r, c) or "").split("\n")) for (r, c), _ in cells
            ]
            size = max(DEFAULT_ROW_PIXELS, 17 * max(lines, default=1) + 4)
        meta.setdefault(i, {})["pixelSize"] = size
    return None


@handler("insertDimension")
def insert_dim(ctx: Context, body: dict[str, Any]) -> Reply:
    rng = body.get("range", {})
    sheet = sheet_of(ctx, rng.get("sheetId", 0))
    dimension = rng.get("dimension", "ROWS")
    start, end = as_int(rng.get("startIndex")), as_int(rng.get("endIndex"))
    if end <= start:
        raise RequestError("Invalid range: endIndex must be greater than startIndex.")
    if body.get("inheritFromBefore") and start == 0:
        raise RequestError("Cannot inherit properties from before the first row/column.")
    insert_dimension(ctx.ss, sheet, dimension, start, end, bool(body.get("inheritFromBefore")))
    return None


@handler("deleteDimension")
def delete_dim(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = dimension_range(ctx, body.get("range", {}))
    delete_dimension(ctx.ss, sheet, dimension, start, end)
    return None


@handler("appendDimension")
def append_dim(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet = sheet_of(ctx, body.get("sheetId", 0))
    dimension = body.get("dimension", "ROWS")
    length = as_int(body.get("length"))
    if length <= 0:
        raise RequestError("length must be greater than zero.")
    size = sheet.dimension_size(dimension)
    insert_dimension(ctx.ss, sheet, dimension, size, size + length, inherit_before=True)
    return None


@handler("moveDimension")
def move_dim(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = dimension_range(ctx, body.get("source", {}))
    move_dimension(ctx.ss, sheet, dimension, start, end, as_int(body.get("destinationIndex")))
    return None


def _sort_key(eff: dict[str, Any] | None) -> tuple[int, Any]:
    if eff is None:
        return (3, 0)
    if "numberValue" in eff:
        return (0, eff["numberValue"])
    if "stringValue" in eff:
        return (1, eff["stringValue"].casefold())
    if "boolValue" in eff:
        return (2, eff["boolValue"])
    return (2, 0)


@handler("sortRange")
def sort_range(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, r0, r1, c0, c1 = box(ctx, body.get("range", {}))
    renderer = Renderer(ctx.ss)
    specs = body.get("sortSpecs", [])
    rows = list(range(r0, r1))
    keys = {
        r: [
            _sort_key(renderer.effective(sheet, r, as_int(s.get("dimensionIndex")))[0])
            for s in specs
        ]
        for r in rows
    }

    def compare(a: int, b: int) -> int:
        for i, spec in enumerate(specs):
            ka, kb = keys[a][i], keys[b][i]
            if ka == kb:
                continue
            if ka[0] == 3 or kb[0] == 3:  # blanks last, whatever the order
                return 1 if ka[0] == 3 else -1
            sign = -1 if spec.get("sortOrder") == "DESCENDING" else 1
            return sign * (1 if ka > kb else -1)
        return 0

    order = sorted(rows, key=cmp_to_key(compare))
    cells = sheet.mutable_cells()
    moved = {(r, c): cells.pop((r, c)) for r in rows for c in range(c0, c1) if (r, c) in cells}
    for new_row, old_row in zip(rows, order, strict=True):
        for c in range(c0, c1):
            if (old_row, c) in moved:
                cells[(new_row, c)] = moved[(old_row, c)]
    return None


_PASTE_FIELDS = {
    "PASTE_NORMAL": (
        "userEnteredValue",
        "userEnteredFormat",
        "dataValidation",
        "note",
        "textFormatRuns",
    ),
    "PASTE_VALUES": ("userEnteredValue",),
    "PASTE_FORMAT": ("userEnteredFormat",),
    "PASTE_NO_BORDERS": ("userEnteredValue", "userEnteredFormat", "dataValidation", "note"),
    "PASTE_FORMULA": ("userEnteredValue",),
    "PASTE_DATA_VALIDATION": ("dataValidation",),
}


def _paste(
    sheet: Sheet,
    source: dict[tuple[int, int], dict[str, Any]],
    r: int,
    c: int,
    data_key: tuple[int, int],
    kind: str,
) -> None:
    if r >= sheet.row_count or c >= sheet.col_count:
        raise RequestError(
            f"Range ({sheet.title}!{column_letters(c)}{r + 1}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    src = source.get(data_key, {})
    fields = _PASTE_FIELDS.get(kind, _PASTE_FIELDS["PASTE_NORMAL"])
    cell = sheet.writable_cell(r, c)
    for key in fields:
        if key in src:
            cell[key] = copy.deepcopy(src[key])
        else:
            cell.pop(key, None)
    if kind == "PASTE_NO_BORDERS" and "userEnteredFormat" in cell:
        cell["userEnteredFormat"] = {
            k: v for k, v in cell["userEnteredFormat"].items() if k != "borders"
        }
    sheet.prune(r, c)


@handler("copyPaste")
def copy_paste(ctx: Context, body: dict[str, Any]) -> Reply:
    src_sheet, sr0, sr1, sc0, sc1 = box(ctx, body.get("source", {}), write=False)
    dst_sheet, dr0, dr1, dc0, dc1 = box(ctx, body.get("destination", {}))
    kind = body.get("pasteType", "PASTE_NORMAL")
    transpose = body.get("pasteOrientation") == "TRANSPOSE"
    h, w = sr1 - sr0, sc1 - sc0
    if transpose:
        h, w = w, h
    source = {key: copy.deepcopy(cell) for key, cell in src_sheet.cells_in(sr0, sr1, sc0, sc1)}
    reps_r = max(1, (dr1 - dr0) // h) if (dr1 - dr0) % h == 0 else 1
    reps_c = max(1, (dc1 - dc0) // w) if (dc1 - dc0) % w == 0 else 1
    for i in range(h * reps_r):
        for j in range(w * reps_c):
            si, sj = i % h, j % w
            key = (sr0 + sj, sc0 + si) if transpose else (sr0 + si, sc0 + sj)
            _paste(dst_sheet, source, dr0 + i, dc0 + j, key, kind)
    return None


@handler("cutPaste")
def cut_paste(ctx: Context, body: dict[str, Any]) -> Reply:
    src_sheet, sr0, sr1, sc0, sc1 = box(ctx, body.get("source", {}))
    dest = body.get("destination", {})
    dst_sheet = sheet_of(ctx, dest.get("sheetId", 0))
    dr, dc = as_int(dest.get("rowIndex")), as_int(dest.get("columnIndex"))
    kind = body.get("pasteType", "PASTE_NORMAL")
    cells = src_sheet.mutable_cells()
    source = {key: cells.pop(key) for key, _ in list(src_sheet.cells_in(sr0, sr1, sc0, sc1))}
    for i in range(sr1 - sr0):
        for j in range(sc1 - sc0):
            _paste(dst_sheet, source, dr + i, dc + j, (sr0 + i, sc0 + j), kind)
    return None
