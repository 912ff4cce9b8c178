"""Inserting, deleting and moving rows/columns, keeping cells and ranges in step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .errors import RequestError
from .state import MAX_CELLS, Sheet, Spreadsheet

_KEYS = {
    "ROWS": ("startRowIndex", "endRowIndex"),
    "COLUMNS": ("startColumnIndex", "endColumnIndex"),
}


def check_cells(ss: Spreadsheet, extra: int) -> None:
    if ss.total_cells() + extra > MAX_CELLS:
        raise RequestError(
            "This action would increase the number of cells in the workbook above the limit "
            f"of {MAX_CELLS} cells."
        )


def sheet_ranges(ss: Spreadsheet, sheet: Sheet) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    """Every GridRange that belongs to ``sheet``: (container, key, range)."""
    extra = sheet.extra
    for i, merge in enumerate(extra.get("merges", [])):
        yield extra["merges"], i, merge
    for pr in extra.get("protectedRanges", []):
        if "range" in pr:
            yield pr, "range", pr["range"]
    for rule in extra.get("conditionalFormats", []):
        for i, rng in enumerate(rule.get("ranges", [])):
            yield rule["ranges"], i, rng
    for key in ("bandedRanges", "filterViews"):
        for obj in extra.get(key, []):
            if "range" in obj:
                yield obj, "range", obj["range"]
    if extra.get("basicFilter", {}).get("range"):
        yield extra["basicFilter"], "range", extra["basicFilter"]["range"]
    for nr in ss.named_ranges:
        if int(nr["range"].get("sheetId", 0)) == sheet.sheet_id:
            yield nr, "range", nr["range"]


def _remap_ranges(
    ss: Spreadsheet, sheet: Sheet, dimension: str, mapping: Callable[[int, bool], int]
) -> None:
    start_key, end_key = _KEYS[dimension]
    doomed: list[tuple[Any, Any]] = []
    for container, key, rng in list(sheet_ranges(ss, sheet)):
        if start_key in rng:
            rng[start_key] = mapping(rng[start_key], False)
        if end_key in rng:
            rng[end_key] = mapping(rng[end_key], True)
        if start_key in rng and end_key in rng and rng[start_key] >= rng[end_key]:
            doomed.append((container, key))
    for container, key in reversed(doomed):
        if isinstance(container, list):
            container.pop(key)
            continue
        if container is sheet.extra.get("basicFilter"):
            sheet.extra.pop("basicFilter", None)
        if container in ss.named_ranges:
            ss.named_ranges.remove(container)
        for name in ("protectedRanges", "bandedRanges", "filterViews"):
            if container in sheet.extra.get(name, []):
                sheet.extra[name].remove(container)
    for rule in list(sheet.extra.get("conditionalFormats", [])):
        if not rule.get("ranges"):
            sheet.extra["conditionalFormats"].remove(rule)


def _remap_cells(sheet: Sheet, dimension: str, mapping: Callable[[int], int | None]) -> None:
    axis = 0 if dimension == "ROWS" else 1
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for key, cell in sheet.cells.items():
        new = mapping(key[axis])
        if new is not None:
            cells[(new, key[1]) if axis == 0 else (key[0], new)] = cell
    sheet.cells = cells
    meta = sheet.dimension_meta(dimension)
    moved = {}
    for index, props in meta.items():
        new = mapping(index)
        if new is not None:
            moved[new] = props
    meta.clear()
    meta.update(moved)


def insert_dimension(
    ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, inherit_before: bool
) -> None:
    count = end - start
    if count <= 0:
        return
    size = sheet.dimension_size(dimension)
    if start > size:
        raise RequestError(
            f"Cannot insert {dimension.lower()} at index {start}: the grid has {size}."
        )
    other = sheet.col_count if dimension == "ROWS" else sheet.row_count
    check_cells(ss, count * other)
    _remap_cells(sheet, dimension, lambda i: i + count if i >= start else i)
    _remap_ranges(
        ss,
        sheet,
        dimension,
        lambda i, is_end: i + count if (i > start if is_end else i >= start) else i,
    )
    source = start - 1 if inherit_before else start + count
    meta = sheet.dimension_meta(dimension)
    if source in meta and "pixelSize" in meta[source]:
        for i in range(start, end):
            meta[i] = {"pixelSize": meta[source]["pixelSize"]}
    if dimension == "ROWS":
        sheet.row_count += count
    else:
        sheet.col_count += count


def delete_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    size = sheet.dimension_size(dimension)
    end = min(end, size)
    count = end - start
    if count <= 0:
        return
    if count >= size:
        what = "rows" if dimension == "ROWS" else "columns"
        raise RequestError(f"You can't delete all the {what} on the sheet.")
    _remap_cells(
        sheet, dimension, lambda i: None if start <= i < end else (i - count if i >= end else i)
    )
    _remap_ranges(
        ss,
        sheet,
        dimension,
        lambda i, _e: start if start <= i < end else (i - count if i >= end else i),
    )
    if dimension == "ROWS":
        sheet.row_count -= count
    else:
        sheet.col_count -= count


def move_dimension(
    ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, destination: int
) -> None:
    """Move [start, end) so that it lands before ``destination`` (an index before the move)."""
    size = sheet.dimension_size(dimension)
    order = list(range(size))
    block = order[start:end]
    rest = order[:start] + order[end:]
    at = destination if destination <= start else destination - len(block)
    at = max(0, min(at, len(rest)))
    new_order = rest[:at] + block + rest[at:]
    position = {old: new for new, old in enumerate(new_order)}
    _remap_cells(sheet, dimension, lambda i: position.get(i, i))
