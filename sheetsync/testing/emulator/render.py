"""The ``Spreadsheet`` resource as ``spreadsheets.get`` answers it, grid data included.

With a ``fields`` mask the resource is built already masked: only the selected parts are
computed (for grid data: only the selected ``CellData`` fields of each stored cell — no
formula is evaluated unless an effective or formatted value is asked for), and the result
equals masking the full resource (:func:`.fieldmask.apply`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .a1 import Target, resolve
from .fieldmask import Mask, apply, json_copy
from .state import (
    DEFAULT_COLUMN_PIXELS,
    DEFAULT_ROW_PIXELS,
    SHEET_EXTRAS,
    Cell,
    Sheet,
    Spreadsheet,
)
from .values import Renderer, num_out

_SKIP = object()  # a field the mask does not select


def _norm(mask: Mask | None) -> Mask | None:
    """None when the mask selects everything at its level (``*`` alone counts)."""
    if mask is None or ("*" in mask and mask["*"] is None):
        return None
    return mask


def _sub(mask: Mask | None, key: str) -> Any:
    """The (normalised) mask of field ``key`` under ``mask``, or ``_SKIP``."""
    if mask is None:
        return None
    if key in mask:
        return _norm(mask[key])
    if "*" in mask:
        return _norm(mask["*"])
    return _SKIP


def spreadsheet_json(
    ss: Spreadsheet,
    *,
    include_grid_data: bool = False,
    ranges: list[str] | None = None,
    base_url: str = "https://docs.google.com",
    mask: Mask | None = None,
) -> dict[str, Any]:
    """The resource; ``ranges`` limits the sheets (and their grid data) returned, ``mask``
    (a parsed ``fields`` mask) the fields. Grid data shares sub-objects with the stored
    state: serialise the result or copy it, never mutate it."""
    mask = _norm(mask)
    renderer = Renderer(ss)
    targets: list[Target] = [resolve(ss, r) for r in ranges or []]
    out: dict[str, Any] = {}
    if _sub(mask, "spreadsheetId") is not _SKIP:
        out["spreadsheetId"] = ss.spreadsheet_id
    m = _sub(mask, "properties")
    if m is not _SKIP:
        out["properties"] = apply(json_copy(ss.properties), m)
    m_sheet = _sub(mask, "sheets")
    if m_sheet is not _SKIP:
        sheets_out = []
        for sheet in ss.sheets:
            mine = [t for t in targets if t.sheet is sheet]
            if targets and not mine:
                continue
            sheets_out.append(_sheet_json(sheet, renderer, mine, include_grid_data, m_sheet))
        out["sheets"] = sheets_out
    for key, value in (
        ("namedRanges", ss.named_ranges),
        ("developerMetadata", ss.developer_metadata),
    ):
        m = _sub(mask, key)
        if value and m is not _SKIP:
            out[key] = apply(json_copy(value), m)
    if _sub(mask, "spreadsheetUrl") is not _SKIP:
        out["spreadsheetUrl"] = f"{base_url}/spreadsheets/d/{ss.spreadsheet_id}/edit"
    return out


def _sheet_json(
    sheet: Sheet,
    renderer: Renderer,
    mine: list[Target],
    include_grid_data: bool,
    mask: Mask | None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    m = _sub(mask, "properties")
    if m is not _SKIP:
        entry["properties"] = apply(json_copy(sheet.properties), m)
    m = _sub(mask, "data")
    if include_grid_data and sheet.is_grid and m is not _SKIP:
        boxes = [t.clipped() for t in mine] or [(0, sheet.row_count, 0, sheet.col_count)]
        entry["data"] = [grid_data(sheet, renderer, *box, mask=m) for box in boxes]
    for key in SHEET_EXTRAS:
        value = sheet.extra.get(key)
        m = _sub(mask, key)
        if value and m is not _SKIP:
            entry[key] = apply(json_copy(value), m)
    return entry


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


def _dimensions(
    meta: dict[int, dict[str, Any]], start: int, stop: int, default_size: int, mask: Mask | None
) -> list[dict[str, Any]]:
    plain = apply({"pixelSize": default_size}, mask)
    return [
        apply(dimension_json(meta[i], default_size), mask) if i in meta else dict(plain)
        for i in range(start, stop)
    ]


def _present(cell: Cell) -> bool:
    """Whether a stored cell shows up in grid data (else it counts as empty)."""
    return bool(
        cell.get("userEnteredValue")
        or cell.get("userEnteredFormat")
        or cell.get("note")
        or cell.get("hyperlink")
        or cell.get("textFormatRuns")
        or cell.get("dataValidation")
    )


def grid_data(
    sheet: Sheet,
    renderer: Renderer,
    r0: int,
    r1: int,
    c0: int,
    c1: int,
    *,
    mask: Mask | None = None,
) -> dict[str, Any]:
    """``GridData`` for rows [r0, r1) and columns [c0, c1); trailing empties trimmed.

    ``mask`` is the mask of the ``GridData`` object (None: every field).
    """
    mask = _norm(mask)
    out: dict[str, Any] = {}
    if r0 and _sub(mask, "startRow") is not _SKIP:
        out["startRow"] = r0
    if c0 and _sub(mask, "startColumn") is not _SKIP:
        out["startColumn"] = c0
    m_rows = _sub(mask, "rowData")
    if m_rows is not _SKIP:
        rows = _row_data(sheet, renderer, r0, r1, c0, c1, m_rows)
        if rows:
            out["rowData"] = rows
    m = _sub(mask, "rowMetadata")
    if m is not _SKIP:
        out["rowMetadata"] = _dimensions(sheet.row_meta, r0, r1, DEFAULT_ROW_PIXELS, m)
    m = _sub(mask, "columnMetadata")
    if m is not _SKIP:
        out["columnMetadata"] = _dimensions(sheet.col_meta, c0, c1, DEFAULT_COLUMN_PIXELS, m)
    return out


def _row_data(
    sheet: Sheet,
    renderer: Renderer,
    r0: int,
    r1: int,
    c0: int,
    c1: int,
    mask: Mask | None,
) -> list[dict[str, Any]]:
    m_values = _sub(mask, "values")
    if m_values is _SKIP:  # rows without their cells: only how many there are
        render, plain = None, {}
    else:
        render, plain = _cell_renderer(sheet, renderer, m_values)
    # when a cell's value does not matter (``plain`` is set), a cell holding a value and a
    # format shows the same as any other with that format object (formats are shared)
    by_format: dict[int, dict[str, Any]] = {}
    by_row: dict[int, dict[int, dict[str, Any]]] = {}  # row → column → rendered cell
    whole = (r0, c0) == (0, 0) and r1 >= sheet.row_count and c1 >= sheet.col_count
    stored = sheet.cells.items() if whole else sheet.cells_in(r0, r1, c0, c1)
    for (r, c), cell in stored:
        if r >= r1 or c >= c1:
            continue
        if cell.get("userEnteredValue"):
            if plain is None or render is None:
                shown = render(cell, r, c) if render is not None else {}
            elif len(cell) == 1:
                shown = plain
            elif len(cell) == 2 and "userEnteredFormat" in cell:
                uef = cell["userEnteredFormat"]
                found = by_format.get(id(uef))
                if found is None:
                    found = by_format[id(uef)] = render(cell, r, c)
                shown = found
            else:
                shown = render(cell, r, c)
        elif _present(cell):
            shown = render(cell, r, c) if render is not None else {}
        else:
            continue
        line = by_row.get(r)
        if line is None:
            by_row[r] = {c: shown}
        else:
            line[c] = shown
    if not by_row:
        return []
    empty: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for r in range(r0, max(by_row) + 1):
        line = by_row.get(r)
        if line is None or render is None:
            rows.append({})
        else:
            get = line.get
            rows.append({"values": [get(c, empty) for c in range(c0, max(line) + 1)]})
    return rows


CellRender = Callable[[Cell, int, int], dict[str, Any]]


def cell_renderer(sheet: Sheet, renderer: Renderer, mask: Mask | None = None) -> CellRender:
    """A function (stored cell, row, col) → its ``CellData`` with only the fields of
    ``mask`` (None: all), computing only those. The results share sub-objects with the
    stored state and with each other: serialise them or copy them, never mutate them."""
    return _cell_renderer(sheet, renderer, mask)[0]


def _cell_renderer(
    sheet: Sheet, renderer: Renderer, mask: Mask | None
) -> tuple[CellRender, dict[str, Any] | None]:
    """The renderer, and what it gives for any cell holding only a value (when that does
    not depend on the value, else None)."""
    mask = _norm(mask)
    if mask is None:
        return (lambda cell, row, col: cell_data(sheet, renderer, row, col)), None
    sub = {
        key: _sub(mask, key)
        for key in (
            "userEnteredValue",
            "effectiveValue",
            "formattedValue",
            "hyperlink",
            "userEnteredFormat",
            "effectiveFormat",
            "note",
            "textFormatRuns",
            "dataValidation",
        )
    }
    m_uev, m_ev, m_fv = sub["userEnteredValue"], sub["effectiveValue"], sub["formattedValue"]
    m_link, m_uef, m_ef = sub["hyperlink"], sub["userEnteredFormat"], sub["effectiveFormat"]
    evaluate = any(m is not _SKIP for m in (m_ev, m_fv, m_link))
    stored = [(k, sub[k]) for k in ("hyperlink", "note", "textFormatRuns", "dataValidation")]
    stored = [(k, m) for k, m in stored if m is not _SKIP]
    default = renderer.ss.properties.get("defaultFormat", {})
    merge = None if m_ef is None or m_ef is _SKIP else _merger(default, m_ef)
    plain_format = merge({}) if merge is not None else None  # effective format of no format
    # cells share their formats (see batch_common.cell_writer): one merge per format object
    by_format: dict[int, dict[str, Any]] = {}

    def effective_format(uef: dict[str, Any] | None) -> dict[str, Any]:
        if merge is None:
            return _effective_format(renderer, uef)
        if not uef:
            return plain_format  # type: ignore[return-value]
        found = by_format.get(id(uef))
        if found is None:
            found = by_format[id(uef)] = merge(uef)
        return found

    # a cell with a plain value and nothing else shows the same thing as any other such
    # cell when the mask asks for nothing that depends on the value
    plain: dict[str, Any] | None = None
    if all(m is _SKIP for m in (m_uev, m_ev, m_fv, m_link)):
        plain = {} if m_ef is _SKIP else {"effectiveFormat": effective_format(None)}

    def render(cell: Cell, row: int, col: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        uev = cell.get("userEnteredValue")
        uef = cell.get("userEnteredFormat")
        if uev:
            if m_uev is not _SKIP:
                out["userEnteredValue"] = apply(_numbers_out(uev), m_uev)
            if evaluate:
                eff, link = renderer.effective(sheet, row, col)
                if eff is not None:
                    if m_ev is not _SKIP:
                        out["effectiveValue"] = apply(_numbers_out(eff), m_ev)
                    if m_fv is not _SKIP:
                        out["formattedValue"] = renderer.format_extended(
                            eff, renderer.number_format(sheet, row, col)
                        )
                if link and "hyperlink" not in cell and m_link is not _SKIP:
                    out["hyperlink"] = link
        if uef and m_uef is not _SKIP:
            out["userEnteredFormat"] = apply(uef, m_uef)
        if (uev or uef) and m_ef is not _SKIP:
            out["effectiveFormat"] = effective_format(uef)
        for key, m in stored:
            value = cell.get(key)
            if value:
                out[key] = apply(value, m)
        return out

    return render, plain


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


def _merger(base: dict[str, Any], mask: Mask) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``f(extra) == _merged(base, extra, mask)``, faster for one base and many extras."""
    selected = [(key, value, _sub(mask, key)) for key, value in base.items()]
    fixed = [(key, value if isinstance(value, dict) and not _atomic(key) else None, m,
              apply(value, m)) for key, value, m in selected if m is not _SKIP]
    masks: dict[str, Any] = {}

    def merge(extra: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value, m, shown in fixed:
            if key in extra:
                other = extra[key]
                if value is not None and isinstance(other, dict):  # value: a mergeable dict
                    out[key] = _merged(value, other, m)
                else:
                    out[key] = apply(other, m)
            else:
                out[key] = shown
        for key, other in extra.items():
            m = masks.get(key, masks)
            if m is masks:
                m = masks[key] = _SKIP if key in base else _sub(mask, key)
            if m is not _SKIP:
                out[key] = apply(other, m)
        return out

    return merge


def _merged(base: dict[str, Any], extra: dict[str, Any], mask: Mask | None) -> dict[str, Any]:
    """``apply(base deep-merged with extra, mask)`` without building the whole merge."""
    if mask is None:
        merged = json_copy(base)
        _deep_merge(merged, extra)
        return merged
    out: dict[str, Any] = {}
    for key, value in base.items():
        m = _sub(mask, key)
        if m is _SKIP:
            continue
        if key in extra:
            other = extra[key]
            if isinstance(other, dict) and isinstance(value, dict) and not _atomic(key):
                out[key] = _merged(value, other, m)
            else:
                out[key] = apply(other, m)
        else:
            out[key] = apply(value, m)
    for key, other in extra.items():
        if key not in base:
            m = _sub(mask, key)
            if m is not _SKIP:
                out[key] = apply(other, m)
    return out


def _numbers_out(value: dict[str, Any]) -> dict[str, Any]:
    if "numberValue" in value:
        return {**value, "numberValue": num_out(value["numberValue"])}
    return dict(value)


def _atomic(key: str) -> bool:
    """A colour (``Color``, ``ColorStyle``) is replaced whole by a cell's own, never merged
    with the default's: ``{"red": 1}`` means green and blue 0, and a theme colour style is
    not an RGB one."""
    return key.endswith(("Color", "ColorStyle")) or key in ("color", "colorStyle")


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not _atomic(key):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
