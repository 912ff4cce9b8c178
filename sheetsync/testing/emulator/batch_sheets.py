"""batchUpdate requests on sheets, the spreadsheet and sheet-level objects."""

from __future__ import annotations

import copy
from typing import Any

from . import fieldmask, shapes
from .batch_common import (
    Context,
    Reply,
    all_ids,
    as_int,
    box,
    check_title,
    dimension_range,
    handler,
    mask,
    sheet_of,
)
from .dimensions import check_cells
from .errors import RequestError
from .formula import deleted_sheet_references
from .state import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, new_sheet


def _sync_tab_color(props: dict[str, Any], paths: list[list[str]]) -> None:
    """Keep the legacy ``tabColor`` and ``tabColorStyle`` in step, as Google does."""
    touched = {p[0] for p in paths}
    if touched & {"tabColorStyle", "*"}:
        style = props.get("tabColorStyle")
        if style and "rgbColor" in style:
            props["tabColor"] = copy.deepcopy(style["rgbColor"])
        else:
            props.pop("tabColor", None)
    elif "tabColor" in touched:
        if "tabColor" in props:
            props["tabColorStyle"] = {"rgbColor": copy.deepcopy(props["tabColor"])}
        else:
            props.pop("tabColorStyle", None)


@handler("addSheet")
def add_sheet(ctx: Context, body: dict[str, Any]) -> Reply:
    props = shapes.normalize_colors(copy.deepcopy(body.get("properties", {})))
    taken = {s.sheet_id for s in ctx.ss.sheets}
    if "sheetId" in props:
        sheet_id = as_int(props["sheetId"])
        if sheet_id < 0:
            raise RequestError(f"Invalid sheet id: {sheet_id}. Sheet ids must be non-negative.")
        if sheet_id in taken:
            raise RequestError(f'A sheet with the ID "{sheet_id}" already exists.')
    else:
        sheet_id = ctx.state.new_int_id(taken)
    title = props.get("title")
    if title is None:
        n = len(ctx.ss.sheets) + 1
        while ctx.ss.sheet_by_title(f"Sheet{n}") is not None:
            n += 1
        title = f"Sheet{n}"
    check_title(ctx, title)
    index = min(max(as_int(props.get("index"), len(ctx.ss.sheets)), 0), len(ctx.ss.sheets))
    kind = props.get("sheetType", "GRID")
    grid = props.get("gridProperties", {})
    rows = as_int(grid.get("rowCount"), DEFAULT_ROWS)
    cols = as_int(grid.get("columnCount"), DEFAULT_COLUMNS)
    if kind == "GRID":
        if rows < 1 or cols < 1:
            raise RequestError("A sheet must have at least one row and one column.")
        check_cells(ctx.ss, rows * cols)
    sheet = new_sheet(sheet_id, title, index, rows, cols)
    extra = {
        k: v for k, v in props.items() if k not in ("sheetId", "title", "index", "gridProperties")
    }
    sheet.properties.update(extra)
    sheet.properties["sheetType"] = kind
    if kind == "GRID":
        sheet.grid.update({k: v for k, v in grid.items() if k not in ("rowCount", "columnCount")})
    else:
        sheet.properties.pop("gridProperties", None)
    given = "tabColorStyle" if "tabColorStyle" in props else "tabColor"
    _sync_tab_color(sheet.properties, [[given]] if given in props else [])
    sheet.properties = shapes.sheet_properties(sheet.properties)
    if kind == "GRID":
        check_frozen(sheet)
    ctx.ss.sheets.insert(index, sheet)
    ctx.ss.reindex()
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


@handler("deleteSheet")
def delete_sheet(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet = ctx.ss.sheet_by_id(as_int(body.get("sheetId")))
    if sheet is None:
        raise RequestError(f"No sheet with id: {as_int(body.get('sheetId'))}")
    if len(ctx.ss.sheets) == 1 or (sheet.is_grid and sum(s.is_grid for s in ctx.ss.sheets) == 1):
        raise RequestError("You can't remove all the sheets in a document.")
    ctx.ss.sheets.remove(sheet)
    ctx.ss.named_ranges[:] = [
        nr for nr in ctx.ss.named_ranges if as_int(nr["range"].get("sheetId")) != sheet.sheet_id
    ]
    ctx.ss.reindex()
    _break_references(ctx, sheet.title)
    return None


def _break_references(ctx: Context, title: str) -> None:
    """Google ties a formula's references to the sheet, not its name: when a sheet is
    deleted, every reference to it becomes ``#REF!`` for good — adding a sheet with the
    same name later does not bring it back."""
    pattern = deleted_sheet_references(title)
    for other in ctx.ss.sheets:
        for (row, col), cell in list(other.cells.items()):
            uev = cell.get("userEnteredValue")
            formula = uev.get("formulaValue") if isinstance(uev, dict) else None
            if not isinstance(formula, str) or title not in formula.replace("''", "'"):
                continue
            broken = pattern.sub("#REF!", formula)
            if broken != formula:
                other.writable_cell(row, col)["userEnteredValue"] = {"formulaValue": broken}


@handler("duplicateSheet")
def duplicate_sheet(ctx: Context, body: dict[str, Any]) -> Reply:
    source = sheet_of(ctx, body.get("sourceSheetId"), write=False)
    taken = {s.sheet_id for s in ctx.ss.sheets}
    new_id = (
        as_int(body.get("newSheetId"), 0) if "newSheetId" in body else ctx.state.new_int_id(taken)
    )
    if new_id in taken:
        raise RequestError(f'A sheet with the ID "{new_id}" already exists.')
    title = body.get("newSheetName") or f"Copy of {source.title}"
    check_title(ctx, title)
    check_cells(ctx.ss, source.row_count * source.col_count)
    sheet = source.fork()  # the cells are shared until either sheet changes them
    sheet.properties.update({"sheetId": new_id, "title": title})
    for key in ("protectedRanges", "developerMetadata"):
        sheet.extra.pop(key, None)
    _retarget(ctx, sheet.extra, source.sheet_id, new_id)
    index = min(as_int(body.get("insertSheetIndex"), len(ctx.ss.sheets)), len(ctx.ss.sheets))
    ctx.ss.sheets.insert(index, sheet)
    ctx.ss.reindex()
    return {"duplicateSheet": {"properties": copy.deepcopy(sheet.properties)}}


def _move_range(rng: dict[str, Any], source: int, target: int) -> None:
    """Point a GridRange/GridCoordinate/DimensionRange on ``source`` at ``target``
    (``sheetId`` first, omitted for sheet 0, as Google echoes ranges)."""
    if as_int(rng.get("sheetId"), 0) != source:
        return
    rest = [(k, v) for k, v in rng.items() if k != "sheetId"]
    rng.clear()
    if target:
        rng["sheetId"] = target
    rng.update(rest)


def _retarget(ctx: Context, extra: dict[str, Any], source: int, target: int) -> None:
    """The sheet-level objects of a duplicated sheet, as Google copies them: every range on
    the source sheet now on the copy, and new ids for the charts (and filter views and
    banded ranges)."""
    for merge in extra.get("merges", []):
        _move_range(merge, source, target)
    for rule in extra.get("conditionalFormats", []):
        for rng in rule.get("ranges", []):
            _move_range(rng, source, target)
    if isinstance(extra.get("basicFilter"), dict) and "range" in extra["basicFilter"]:
        _move_range(extra["basicFilter"]["range"], source, target)
    for key in ("rowGroups", "columnGroups"):
        for group in extra.get(key, []):
            _move_range(group.get("range", {}), source, target)
    for key, id_key in (("filterViews", "filterViewId"), ("bandedRanges", "bandedRangeId")):
        used = all_ids(ctx, id_key)
        for obj in extra.get(key, []):
            if "range" in obj:
                _move_range(obj["range"], source, target)
            if id_key in obj:
                obj[id_key] = ctx.state.new_int_id(used)
                used.add(obj[id_key])
    taken = all_ids(ctx, "chartId")
    for chart in extra.get("charts", []):
        chart["chartId"] = ctx.state.new_int_id(taken)
        taken.add(chart["chartId"])
        anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell")
        if isinstance(anchor, dict):
            _move_range(anchor, source, target)
        for rng in _source_ranges(chart.get("spec", {})):
            _move_range(rng, source, target)


def check_frozen(sheet: Sheet) -> None:
    """Google refuses to freeze every visible row (or column) of a sheet."""
    grid = sheet.properties.get("gridProperties") or {}
    for dimension, key, what in (
        ("ROWS", "frozenRowCount", "rows"),
        ("COLUMNS", "frozenColumnCount", "columns"),
    ):
        frozen = as_int(grid.get(key), 0)
        if frozen < 0:
            raise RequestError(f"Invalid {key}: {frozen}. It must not be negative.")
        if not frozen:
            continue
        size = sheet.dimension_size(dimension)
        hidden = sum(
            1
            for i, meta in sheet.dimension_meta(dimension).items()
            if frozen <= i < size and meta.get("hiddenByUser")
        )
        if frozen + hidden >= size:
            raise RequestError(f"You can't freeze all visible {what} on the sheet.")


@handler("updateSheetProperties")
def update_sheet_properties(ctx: Context, body: dict[str, Any]) -> Reply:
    given = body.get("properties", {})
    sheet = sheet_of(ctx, given.get("sheetId", 0))
    paths = mask(body)
    props = copy.deepcopy(sheet.properties)
    fieldmask.update(props, shapes.normalize_colors(given), paths)
    props["sheetId"] = sheet.sheet_id
    props.setdefault("title", sheet.title)
    props.setdefault("sheetType", sheet.properties.get("sheetType", "GRID"))
    if sheet.is_grid:
        grid = props.setdefault("gridProperties", {})
        grid.setdefault("rowCount", sheet.row_count)
        grid.setdefault("columnCount", sheet.col_count)
    if props["title"] != sheet.title:
        check_title(ctx, props["title"], ignore=sheet)
    old_rows, old_cols = sheet.row_count, sheet.col_count
    if sheet.is_grid:
        rows, cols = (
            as_int(props["gridProperties"]["rowCount"]),
            as_int(props["gridProperties"]["columnCount"]),
        )
        if rows < 1 or cols < 1:
            raise RequestError("A sheet must have at least one row and one column.")
        check_cells(ctx.ss, rows * cols - old_rows * old_cols)
        if rows < old_rows or cols < old_cols:
            _truncate(sheet, rows, cols)
    _sync_tab_color(props, paths)
    if props.get("hidden") and not sheet.properties.get("hidden") and not any(
            not other.properties.get("hidden") for other in ctx.ss.sheets if other is not sheet):
        # Google refuses the whole batch: a spreadsheet always shows at least one sheet
        raise RequestError("You can't hide all the sheets in a document.")
    new_index = props.get("index", sheet.properties.get("index", 0))
    sheet.properties = shapes.sheet_properties(props)
    if sheet.is_grid:
        check_frozen(sheet)
    if as_int(new_index) != ctx.ss.sheets.index(sheet):
        ctx.ss.sheets.remove(sheet)
        ctx.ss.sheets.insert(min(max(as_int(new_index), 0), len(ctx.ss.sheets)), sheet)
    ctx.ss.reindex()
    return None


def _truncate(sheet: Sheet, rows: int, cols: int) -> None:
    sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < rows and k[1] < cols}
    sheet.row_meta = {k: v for k, v in sheet.row_meta.items() if k < rows}
    sheet.col_meta = {k: v for k, v in sheet.col_meta.items() if k < cols}


@handler("updateSpreadsheetProperties")
def update_spreadsheet_properties(ctx: Context, body: dict[str, Any]) -> Reply:
    paths = shapes.color_twin_paths(mask(body), ("defaultFormat",))
    given = shapes.normalize_colors(body.get("properties", {}))
    if isinstance(given.get("defaultFormat"), dict):  # Google keeps both colour forms
        given = {**given, "defaultFormat": shapes.mirror_color_styles(given["defaultFormat"])}
    props = copy.deepcopy(ctx.ss.properties)
    fieldmask.update(props, given, paths)
    if not str(props.get("title", "")).strip():
        props["title"] = ctx.ss.title
    ctx.ss.properties = props
    return None


# named ranges ----------------------------------------------------------------------------
def _named_range_in(ctx: Context, named: dict[str, Any]) -> dict[str, Any]:
    rng = named.get("range", {})
    box(ctx, rng, write=False)
    return shapes.grid_range(rng)


@handler("addNamedRange")
def add_named_range(ctx: Context, body: dict[str, Any]) -> Reply:
    named = body.get("namedRange", {})
    name = str(named.get("name", ""))
    if (
        not name
        or not (name[0].isalpha() or name[0] == "_")
        or not all(ch.isalnum() or ch == "_" for ch in name)
    ):
        raise RequestError(f"Invalid name for named range: {name}")
    if ctx.ss.named_range(name) is not None:
        raise RequestError(f"Named range with name {name} already exists.")
    stored = {
        "namedRangeId": str(named.get("namedRangeId") or ctx.state.new_int_id()),
        "name": name,
        "range": _named_range_in(ctx, named),
    }
    ctx.ss.named_ranges.append(stored)
    return {"addNamedRange": {"namedRange": copy.deepcopy(stored)}}


def _find_named(ctx: Context, named_id: Any) -> dict[str, Any]:
    for nr in ctx.ss.named_ranges:
        if nr["namedRangeId"] == str(named_id):
            return nr
    raise RequestError(f"No named range with id: {named_id}")


@handler("deleteNamedRange")
def delete_named_range(ctx: Context, body: dict[str, Any]) -> Reply:
    ctx.ss.named_ranges.remove(_find_named(ctx, body.get("namedRangeId")))
    return None


@handler("updateNamedRange")
def update_named_range(ctx: Context, body: dict[str, Any]) -> Reply:
    given = body.get("namedRange", {})
    stored = _find_named(ctx, given.get("namedRangeId"))
    fieldmask.update(stored, given, mask(body))
    stored["namedRangeId"] = str(given["namedRangeId"])
    stored["range"] = _named_range_in(ctx, stored)
    return None


# protected ranges ------------------------------------------------------------------------
def _find(ctx: Context, key: str, id_key: str, wanted: Any) -> tuple[Sheet, dict[str, Any]]:
    """The sheet (made this version's own) holding the ``extra[key]`` item whose
    ``id_key`` is ``wanted``, and that item."""
    for sheet in ctx.ss.sheets:
        for i, item in enumerate(sheet.extra.get(key, [])):
            if item[id_key] == as_int(wanted):
                mine = ctx.ss.own(sheet)
                return mine, mine.extra[key][i]
    raise KeyError(wanted)


def _protected(ctx: Context, pr_id: Any) -> tuple[Sheet, dict[str, Any]]:
    try:
        return _find(ctx, "protectedRanges", "protectedRangeId", pr_id)
    except KeyError:
        raise RequestError(f"No protected range with id: {pr_id}") from None


def _protected_sheet(ctx: Context, pr: dict[str, Any]) -> Sheet:
    if "range" in pr:
        return box(ctx, pr["range"])[0]
    if "namedRangeId" in pr:
        return sheet_of(ctx, _find_named(ctx, pr["namedRangeId"])["range"].get("sheetId", 0))
    raise RequestError("A protected range needs a range or a namedRangeId.")


@handler("addProtectedRange")
def add_protected_range(ctx: Context, body: dict[str, Any]) -> Reply:
    given = copy.deepcopy(body.get("protectedRange", {}))
    sheet = _protected_sheet(ctx, given)
    pr_id = (
        as_int(given.get("protectedRangeId"))
        if "protectedRangeId" in given
        else ctx.state.new_int_id(all_ids(ctx, "protectedRangeId"))
    )
    editors = {k: v for k, v in (given.get("editors") or {}).items() if v}
    stored: dict[str, Any] = {"protectedRangeId": pr_id}
    if "range" in given:
        stored["range"] = shapes.grid_range(given["range"])
    for key in ("namedRangeId", "description"):
        if given.get(key):
            stored[key] = given[key]
    if given.get("unprotectedRanges"):
        stored["unprotectedRanges"] = [shapes.grid_range(r) for r in given["unprotectedRanges"]]
    if given.get("warningOnly"):
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    reply = {**copy.deepcopy(stored), "editors": copy.deepcopy(editors)}
    users = sorted({ctx.account, *editors.get("users", [])})
    stored["editors"] = {**editors, "users": users}
    sheet.extra.setdefault("protectedRanges", []).append(stored)
    return {"addProtectedRange": {"protectedRange": reply}}


@handler("updateProtectedRange")
def update_protected_range(ctx: Context, body: dict[str, Any]) -> Reply:
    given = body.get("protectedRange", {})
    sheet, stored = _protected(ctx, given.get("protectedRangeId"))
    fieldmask.update(stored, given, mask(body))
    stored["protectedRangeId"] = as_int(given["protectedRangeId"])
    if "range" in stored:
        stored["range"] = shapes.grid_range(stored["range"])
        new_sheet_ = box(ctx, stored["range"])[0]
        if new_sheet_ is not sheet:
            sheet.extra["protectedRanges"].remove(stored)
            new_sheet_.extra.setdefault("protectedRanges", []).append(stored)
    if not stored.get("warningOnly"):
        stored.pop("warningOnly", None)
    return None


@handler("deleteProtectedRange")
def delete_protected_range(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, stored = _protected(ctx, body.get("protectedRangeId"))
    sheet.extra["protectedRanges"].remove(stored)
    if not sheet.extra["protectedRanges"]:
        del sheet.extra["protectedRanges"]
    return None


# conditional formats ---------------------------------------------------------------------
def _rule(ctx: Context, rule: dict[str, Any]) -> tuple[Sheet, dict[str, Any]]:
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule needs at least one range.")
    if not (rule.get("booleanRule") or rule.get("gradientRule")):
        raise RequestError("A conditional format rule needs a booleanRule or a gradientRule.")
    sheets = {box(ctx, r)[0].sheet_id for r in ranges}
    if len(sheets) != 1:
        raise RequestError("All ranges of a conditional format rule must be on the same sheet.")
    stored = copy.deepcopy(shapes.mirror_rule_colors(shapes.normalize_colors(rule)))
    stored["ranges"] = [shapes.grid_range(r) for r in ranges]
    return sheet_of(ctx, sheets.pop()), stored


@handler("addConditionalFormatRule")
def add_conditional_format(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, stored = _rule(ctx, body.get("rule", {}))
    rules = sheet.extra.setdefault("conditionalFormats", [])
    index = as_int(body.get("index"), 0)
    if not 0 <= index <= len(rules):
        raise RequestError(f"Invalid index: {index}")
    rules.insert(index, stored)
    return None


def _rule_at(ctx: Context, sheet_id: Any, index: Any) -> tuple[list[dict[str, Any]], int]:
    sheet = sheet_of(ctx, sheet_id)
    rules = sheet.extra.get("conditionalFormats", [])
    i = as_int(index)
    if not 0 <= i < len(rules):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {i}")
    return rules, i


@handler("updateConditionalFormatRule")
def update_conditional_format(ctx: Context, body: dict[str, Any]) -> Reply:
    rules, i = _rule_at(
        ctx,
        body.get("sheetId", (body.get("rule", {}).get("ranges") or [{}])[0].get("sheetId", 0)),
        body.get("index"),
    )
    old = rules[i]
    if "rule" in body:
        _sheet, rules[i] = _rule(ctx, body["rule"])
        return {
            "updateConditionalFormatRule": {
                "newRule": copy.deepcopy(rules[i]),
                "oldRule": old,
                "newIndex": i,
                "oldIndex": i,
            }
        }
    new_index = as_int(body.get("newIndex"))
    rules.insert(new_index, rules.pop(i))
    return {
        "updateConditionalFormatRule": {
            "newRule": copy.deepcopy(old),
            "newIndex": new_index,
            "oldIndex": i,
        }
    }


@handler("deleteConditionalFormatRule")
def delete_conditional_format(ctx: Context, body: dict[str, Any]) -> Reply:
    rules, i = _rule_at(ctx, body.get("sheetId", 0), body.get("index"))
    removed = rules.pop(i)
    return {"deleteConditionalFormatRule": {"rule": removed}}


# charts ----------------------------------------------------------------------------------
def _chart(ctx: Context, chart_id: Any) -> tuple[Sheet, dict[str, Any]]:
    try:
        return _find(ctx, "charts", "chartId", chart_id)
    except KeyError:
        raise RequestError(f"No chart with id: {chart_id}") from None


@handler("addChart")
def add_chart(ctx: Context, body: dict[str, Any]) -> Reply:
    chart = shapes.normalize_colors(copy.deepcopy(body.get("chart", {})))
    if not chart.get("spec"):
        raise RequestError("A chart needs a spec.")
    taken = all_ids(ctx, "chartId")
    chart_id = as_int(chart["chartId"]) if "chartId" in chart else ctx.state.new_int_id(taken)
    if "chartId" in chart and chart_id in taken:
        raise RequestError(f"A chart with the ID {chart_id} already exists.")
    chart["chartId"] = chart_id
    position = chart.setdefault("position", {})
    if position.get("newSheet"):
        sheet = new_sheet(
            ctx.state.new_int_id({s.sheet_id for s in ctx.ss.sheets}),
            f"Chart{len(ctx.ss.sheets) + 1}",
            len(ctx.ss.sheets),
        )
        sheet.properties["sheetType"] = "OBJECT"
        sheet.properties.pop("gridProperties")
        ctx.ss.sheets.append(sheet)
        ctx.ss.reindex()
        chart["position"] = {"sheetId": sheet.sheet_id}
    elif "overlayPosition" in position:
        overlay = position["overlayPosition"]
        anchor = overlay.get("anchorCell", {})
        sheet = sheet_of(ctx, anchor.get("sheetId", 0))
        _check_anchor(sheet, anchor)
        overlay.setdefault("widthPixels", 600)
        overlay.setdefault("heightPixels", 371)
    else:
        sheet = sheet_of(ctx, position.get("sheetId", 0))
    for spec_range in _source_ranges(chart["spec"]):
        box(ctx, spec_range, write=False)
    sheet.extra.setdefault("charts", []).append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def _check_anchor(sheet: Sheet, anchor: dict[str, Any]) -> None:
    """A chart's anchor cell must be a cell of the grid."""
    row, col = as_int(anchor.get("rowIndex"), 0), as_int(anchor.get("columnIndex"), 0)
    if not sheet.is_grid:
        raise RequestError(f"The anchor cell must be on a grid sheet; {sheet.sheet_id} is not.")
    if row < 0 or col < 0:
        raise RequestError("GridCoordinate indexes must not be negative.")
    if row >= sheet.row_count:
        raise RequestError(
            f"GridCoordinate.rowIndex[{row}] is after last row in grid[{sheet.row_count - 1}]"
        )
    if col >= sheet.col_count:
        raise RequestError(
            f"GridCoordinate.columnIndex[{col}] is after last column in grid[{sheet.col_count - 1}]"
        )


def _source_ranges(obj: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "sources" and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, dict))
            else:
                found.extend(_source_ranges(value))
    elif isinstance(obj, list):
        for value in obj:
            found.extend(_source_ranges(value))
    return found


@handler("updateChartSpec")
def update_chart_spec(ctx: Context, body: dict[str, Any]) -> Reply:
    _sheet, chart = _chart(ctx, body.get("chartId"))
    chart["spec"] = shapes.normalize_colors(copy.deepcopy(body.get("spec", {})))
    return None


@handler("deleteEmbeddedObject")
def delete_embedded_object(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, chart = _chart(ctx, body.get("objectId"))
    sheet.extra["charts"].remove(chart)
    return None


# filters and groups ----------------------------------------------------------------------
@handler("setBasicFilter")
def set_basic_filter(ctx: Context, body: dict[str, Any]) -> Reply:
    flt = copy.deepcopy(body.get("filter", {}))
    sheet, r0, r1, c0, c1 = box(ctx, flt.get("range", {}))
    rng = {"startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}
    if sheet.sheet_id:
        rng = {"sheetId": sheet.sheet_id, **rng}
    flt["range"] = rng
    sheet.extra["basicFilter"] = flt
    return None


@handler("clearBasicFilter")
def clear_basic_filter(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet_of(ctx, body.get("sheetId", 0)).extra.pop("basicFilter", None)
    return None


def _filter_view(ctx: Context, view_id: Any) -> tuple[Sheet, dict[str, Any]]:
    try:
        return _find(ctx, "filterViews", "filterViewId", view_id)
    except KeyError:
        raise RequestError(f"No filter view with id: {as_int(view_id)}") from None


@handler("addFilterView")
def add_filter_view(ctx: Context, body: dict[str, Any]) -> Reply:
    """A filter view over a range, as Google stores it: the range bounded by the grid
    (``sheetId`` omitted for sheet 0), each column's criteria in both ``filterSpecs`` and the
    deprecated ``criteria`` map (keyed by column index), a random id unless one is given."""
    given = copy.deepcopy(body.get("filter", {}))
    if "namedRangeId" in given or "tableId" in given:
        raise RequestError("Filter views on named ranges or tables are not implemented by "
                           "the sheetsync emulator.")
    if "range" not in given:
        raise RequestError("A filter view needs a range.")
    sheet, r0, r1, c0, c1 = box(ctx, given["range"])
    taken = all_ids(ctx, "filterViewId")
    if "filterViewId" in given:
        view_id = as_int(given["filterViewId"])
        if view_id in taken:
            raise RequestError(f"Invalid requests: filter view ID {view_id} already exists.")
    else:
        view_id = ctx.state.new_int_id(taken)
    rng: dict[str, Any] = {"startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0,
                           "endColumnIndex": c1}
    if sheet.sheet_id:
        rng = {"sheetId": sheet.sheet_id, **rng}
    specs = given.get("filterSpecs")
    if specs is None:  # only the deprecated map given
        specs = [{"columnIndex": int(k), "filterCriteria": v}
                 for k, v in sorted((given.get("criteria") or {}).items(),
                                    key=lambda kv: int(kv[0]))]
    for spec in specs:
        column = as_int(spec.get("columnIndex"), -1)
        if not c0 <= column < c1:
            raise RequestError(f"Invalid filterSpecs: column {column} is outside the range of "
                               f"the filter view (columns {c0} to {c1 - 1}).")
    stored: dict[str, Any] = {"filterViewId": view_id}
    if given.get("title"):
        stored["title"] = given["title"]
    stored["range"] = rng
    if given.get("sortSpecs"):
        stored["sortSpecs"] = given["sortSpecs"]
    if specs:
        stored["criteria"] = {str(as_int(s["columnIndex"])): s.get("filterCriteria", {})
                              for s in specs}
        stored["filterSpecs"] = specs
    sheet.extra.setdefault("filterViews", []).append(stored)
    return {"addFilterView": {"filter": copy.deepcopy(stored)}}


@handler("deleteFilterView")
def delete_filter_view(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, stored = _filter_view(ctx, body.get("filterId"))
    sheet.extra["filterViews"].remove(stored)
    if not sheet.extra["filterViews"]:
        del sheet.extra["filterViews"]
    return None


def _groups(sheet: Sheet, dimension: str) -> list[dict[str, Any]]:
    return sheet.extra.setdefault("rowGroups" if dimension == "ROWS" else "columnGroups", [])


@handler("addDimensionGroup")
def add_dimension_group(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = dimension_range(ctx, body.get("range", {}))
    groups = _groups(sheet, dimension)
    depth = 1 + sum(
        1 for g in groups if g["range"]["startIndex"] <= start and g["range"]["endIndex"] >= end
    )
    rng: dict[str, Any] = {"dimension": dimension, "startIndex": start, "endIndex": end}
    if sheet.sheet_id:
        rng = {"sheetId": sheet.sheet_id, **rng}
    groups.append({"range": rng, "depth": depth})
    sheet.grid["rowGroupControlAfter" if dimension == "ROWS" else "columnGroupControlAfter"] = True
    return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}


@handler("deleteDimensionGroup")
def delete_dimension_group(ctx: Context, body: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = dimension_range(ctx, body.get("range", {}))
    groups = _groups(sheet, dimension)
    match = [
        g for g in groups if (g["range"]["startIndex"], g["range"]["endIndex"]) == (start, end)
    ]
    if not match:
        raise RequestError("No dimension group matches the range.")
    groups.remove(max(match, key=lambda g: g["depth"]))
    reply = {"dimensionGroups": copy.deepcopy(groups)} if groups else {}
    if not groups:
        sheet.extra.pop("rowGroups" if dimension == "ROWS" else "columnGroups", None)
    return {"deleteDimensionGroup": reply}
