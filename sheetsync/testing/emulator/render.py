"""The ``Spreadsheet`` resource as ``spreadsheets.get`` answers it, grid data included."""

from __future__ import annotations

import copy
from typing import Any

from .a1 import Target, resolve
from .state import (
    DEFAULT_COLUMN_PIXELS,
    DEFAULT_ROW_PIXELS,
    SHEET_EXTRAS,
    Sheet,
    Spreadsheet,
)
from .values import Renderer, num_out


def spreadsheet_json(
    ss: Spreadsheet,
    *,
    include_grid_data: bool = False,
    ranges: list[str] | None = None,
    base_url: str = "https://docs.google.com",
) -> dict[str, Any]:
    """The full resource; ``ranges`` limits the sheets (and their grid data) returned."""
    renderer = Renderer(ss)
    targets: list[Target] = [resolve(ss, r) for r in ranges or []]
    sheets_out = []
    for sheet in ss.sheets:
        mine = [t for t in targets if t.sheet is sheet]
        if targets and not mine:
            continue
        entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
        if include_grid_data and sheet.is_grid:
            boxes = [t.clipped() for t in mine] or [(0, sheet.row_count, 0, sheet.col_count)]
            entry["data"] = [grid_data(sheet, renderer, *box) for box in boxes]
        for key in SHEET_EXTRAS:
            value = sheet.extra.get(key)
            if value:
                entry[key] = copy.deepcopy(value)
        sheets_out.append(entry)
    out: dict[str, Any] = {
        "spreadsheetId": ss.spreadsheet_id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets_out,
    }
    if ss.named_ranges:
        out["namedRanges"] = copy.deepcopy(ss.named_ranges)
    if ss.developer_metadata:
        out["developerMetadata"] = copy.deepcopy(ss.developer_metadata)
    out["spreadsheetUrl"] = f"{base_url}/spreadsheets/d/{ss.spreadsheet_id}/edit"
    return out


def dimension_json(meta: dict[str, Any] | None, default_size: int) -> dict[str, Any]:
    out: dict[str, Any] = {"pixelSize": default_size}
    if meta:
        out.update(copy.deepcopy(meta))
        for flag in ("hiddenByUser", "hiddenByFilter"):
            if not out.get(flag):
                out.pop(flag, None)
        if not out.get("developerMetadata"):
            out.pop("developerMetadata", None)
    return out


def grid_data(
    sheet: Sheet, renderer: Renderer, r0: int, r1: int, c0: int, c1: int
) -> dict[str, Any]:
    """``GridData`` for rows [r0, r1) and columns [c0, c1); trailing empties trimmed."""
    out: dict[str, Any] = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    by_row: dict[int, dict[int, dict[str, Any]]] = {}
    for (r, c), _cell in sheet.cells_in(r0, r1, c0, c1):
        data = cell_data(sheet, renderer, r, c)
        if data:
            by_row.setdefault(r, {})[c] = data
    if by_row:
        rows = []
        for r in range(r0, max(by_row) + 1):
            cells = by_row.get(r)
            if not cells:
                rows.append({})
                continue
            rows.append({"values": [cells.get(c, {}) for c in range(c0, max(cells) + 1)]})
        out["rowData"] = rows
    out["rowMetadata"] = [
        dimension_json(sheet.row_meta.get(r), DEFAULT_ROW_PIXELS) for r in range(r0, r1)
    ]
    out["columnMetadata"] = [
        dimension_json(sheet.col_meta.get(c), DEFAULT_COLUMN_PIXELS) for c in range(c0, c1)
    ]
    return out


def cell_data(sheet: Sheet, renderer: Renderer, row: int, col: int) -> dict[str, Any]:
    """One ``CellData`` with its computed effective value, formatted value and format.

    The result shares sub-objects with the stored state (and with other cells): serialise
    it or copy it, never mutate it.
    """
    cell = sheet.cell(row, col)
    if not cell:
        return {}
    out: dict[str, Any] = {}
    uev = cell.get("userEnteredValue")
    if uev:
        out["userEnteredValue"] = _numbers_out(uev)
        eff, link = renderer.effective(sheet, row, col)
        if eff is not None:
            out["effectiveValue"] = _numbers_out(eff)
            out["formattedValue"] = renderer.format_extended(
                eff, renderer.number_format(sheet, row, col)
            )
        if link and "hyperlink" not in cell:
            out["hyperlink"] = link
    uef = cell.get("userEnteredFormat")
    if uef:
        out["userEnteredFormat"] = uef
    if uev or uef:
        out["effectiveFormat"] = _effective_format(renderer, uef)
    for key in ("hyperlink", "note", "textFormatRuns", "dataValidation"):
        if cell.get(key):
            out[key] = cell[key]
    return out


def _effective_format(renderer: Renderer, uef: dict[str, Any] | None) -> dict[str, Any]:
    """The default format merged with a cell's own, computed once per distinct format."""
    cache: dict[str, dict[str, Any]] = renderer.__dict__.setdefault("_formats", {})
    key = repr(uef) if uef else ""
    found = cache.get(key)
    if found is None:
        found = copy.deepcopy(renderer.ss.properties.get("defaultFormat", {}))
        _deep_merge(found, uef or {})
        cache[key] = found
    return found


def _numbers_out(value: dict[str, Any]) -> dict[str, Any]:
    if "numberValue" in value:
        return {**value, "numberValue": num_out(value["numberValue"])}
    return dict(value)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
