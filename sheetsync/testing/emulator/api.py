"""The Sheets API v4 methods (and two Drive conveniences), independent of HTTP details."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import fieldmask, schema, values_api
from .auth import Identity
from .batch_common import Context
from .batch_update import apply_requests
from .errors import MSG_NOT_FOUND, MSG_PERMISSION, ApiError, RequestError
from .render import spreadsheet_json
from .state import Spreadsheet, State
from .values import Renderer

Query = dict[str, list[str]]
Result = tuple[int, Any]
WRITER_ROLES = ("writer", "owner", "organizer", "fileOrganizer")


@dataclass
class Call:
    """One API call: the caller, the path parameters, the query and the JSON body."""

    state: State
    identity: Identity
    strict: bool
    query: Query
    body: Any
    spreadsheet_id: str | None = None
    range: str | None = None
    masked: bool = False  # the method applied the ``fields`` mask itself

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name, "false") or "").lower() == "true"

    def owner(self) -> str | None:
        return self.identity.email if self.identity.issued else None


def open_spreadsheet(call: Call, write: bool) -> Spreadsheet:
    """The spreadsheet of the call, if the caller may read (or write) it."""
    ss = call.state.get(call.spreadsheet_id or "")
    if ss is None:
        raise ApiError(404, MSG_NOT_FOUND)
    if not call.strict:
        return ss
    ident = call.identity
    if not ident.can(write):
        raise ApiError(403, "Request had insufficient authentication scopes.")
    if ident.edit_all or ss.owner == ident.email:
        return ss
    role = ss.permissions.get(ident.email)
    if role is None or (write and role not in WRITER_ROLES):
        raise ApiError(403, MSG_PERMISSION)
    return ss


def _commit(call: Call, ss: Spreadsheet) -> None:
    call.state.spreadsheets[ss.spreadsheet_id] = ss


def _body(call: Call) -> dict[str, Any]:
    if call.body is None:
        return {}
    if not isinstance(call.body, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return call.body


# spreadsheets ----------------------------------------------------------------------------
def create(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "Spreadsheet")
    if call.strict and not call.identity.can(True):
        raise ApiError(403, "Request had insufficient authentication scopes.")
    props = dict(body.get("properties") or {})
    ss = call.state.new_spreadsheet(
        props.pop("title", None) or "Untitled spreadsheet", call.owner()
    )
    ss.properties.update(
        {k: v for k, v in props.items() if k in ("locale", "timeZone", "autoRecalc")}
    )
    for key in ("defaultFormat", "iterativeCalculationSettings", "spreadsheetTheme"):
        if key in props:
            ss.properties[key] = props[key]
    try:
        _build(call, ss, body)
    except RequestError as err:
        raise ApiError(400, err.message) from None
    _commit(call, ss)
    return 200, spreadsheet_json(ss)


def _build(call: Call, ss: Spreadsheet, body: dict[str, Any]) -> None:
    """Turn the sheets, named ranges and metadata of a create body into stored state."""
    from .batch_common import HANDLERS

    ctx = Context(call.state, ss, call.identity.email)

    def run(kind: str, request: dict[str, Any]) -> None:
        HANDLERS[kind](ctx, request)

    sheets = body.get("sheets") or []
    if sheets:
        ss.sheets.clear()
    for i, sheet in enumerate(sheets):
        props = dict(sheet.get("properties") or {})
        if i == 0 and "sheetId" not in props:
            props["sheetId"] = 0
        props.setdefault("title", f"Sheet{i + 1}")
        props.pop("index", None)
        run("addSheet", {"properties": props})
        sheet_id = ss.sheets[-1].sheet_id
        for data in sheet.get("data") or []:
            rows = data.get("rowData") or []
            start = {
                "sheetId": sheet_id,
                "rowIndex": data.get("startRow", 0),
                "columnIndex": data.get("startColumn", 0),
            }
            if rows:
                run("updateCells", {"start": start, "rows": rows, "fields": "*"})
        for merge in sheet.get("merges") or []:
            run("mergeCells", {"range": {**merge, "sheetId": sheet_id}, "mergeType": "MERGE_ALL"})
        for rule in sheet.get("conditionalFormats") or []:
            ranges = [{**r, "sheetId": sheet_id} for r in rule.get("ranges", [])]
            count = len(ss.sheets[-1].extra.get("conditionalFormats", []))
            run("addConditionalFormatRule", {"rule": {**rule, "ranges": ranges}, "index": count})
        for pr in sheet.get("protectedRanges") or []:
            rng = {**pr.get("range", {}), "sheetId": sheet_id}
            run("addProtectedRange", {"protectedRange": {**pr, "range": rng}})
        if sheet.get("basicFilter"):
            flt = sheet["basicFilter"]
            run(
                "setBasicFilter",
                {"filter": {**flt, "range": {**flt.get("range", {}), "sheetId": sheet_id}}},
            )
        for chart in sheet.get("charts") or []:
            run("addChart", {"chart": chart})
    for named in body.get("namedRanges") or []:
        run("addNamedRange", {"namedRange": named})
    for meta in body.get("developerMetadata") or []:
        run("createDeveloperMetadata", {"developerMetadata": meta})


def wants_grid_data(fields: str | None) -> bool:
    if not fields:
        return False
    try:
        tree = fieldmask.parse(fields)
    except fieldmask.MaskError:
        return False
    sheets = tree.get("sheets", {})
    return isinstance(sheets, dict) and "data" in sheets


def parse_fields(text: str) -> fieldmask.Mask:
    try:
        return fieldmask.parse(text)
    except fieldmask.MaskError:
        raise ApiError(400, f"Invalid field selection {text}") from None


def get(call: Call) -> Result:
    ss = open_spreadsheet(call, write=False)
    fields = call.param("fields")
    include = call.flag("includeGridData") or wants_grid_data(fields)
    ranges = call.query.get("ranges") or None
    mask = parse_fields(fields) if fields else None
    call.masked = True  # only the fields asked for are rendered
    return 200, spreadsheet_json(ss, include_grid_data=include, ranges=ranges, mask=mask)


def batch_update(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "BatchUpdateSpreadsheetRequest")
    requests = body.get("requests") or []
    if not requests:
        raise ApiError(400, "Must specify at least one request.")
    ss = open_spreadsheet(call, write=True).clone()
    replies = apply_requests(call.state, ss, requests, call.identity.email)
    _commit(call, ss)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = spreadsheet_json(
            ss,
            include_grid_data=bool(body.get("responseIncludeGridData")),
            ranges=body.get("responseRanges") or None,
        )
    return 200, out


# values ----------------------------------------------------------------------------------
def _major(call: Call) -> str:
    major = call.param("majorDimension") or "ROWS"
    allowed = ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED")
    return (
        "COLUMNS"
        if values_api.check_enum("major_dimension", major, allowed) == "COLUMNS"
        else "ROWS"
    )


def _render(call: Call, value_key: str, dt_key: str) -> tuple[str, str]:
    value_render = values_api.check_enum(
        "value_render_option", call.param(value_key) or "FORMATTED_VALUE", values_api.VALUE_RENDER
    )
    dt_render = values_api.check_enum(
        "date_time_render_option", call.param(dt_key) or "SERIAL_NUMBER", values_api.DATE_RENDER
    )
    return value_render, dt_render


def _read_options(call: Call) -> tuple[str, str, str]:
    return _major(call), *_render(call, "valueRenderOption", "dateTimeRenderOption")


def values_get(call: Call) -> Result:
    ss = open_spreadsheet(call, write=False)
    major, value_render, dt_render = _read_options(call)
    assert call.range is not None
    return 200, values_api.read(ss, Renderer(ss), call.range, major, value_render, dt_render)


def values_batch_get(call: Call) -> Result:
    ss = open_spreadsheet(call, write=False)
    major, value_render, dt_render = _read_options(call)
    renderer = Renderer(ss)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    ranges = call.query.get("ranges") or []
    if ranges:
        out["valueRanges"] = [
            values_api.read(ss, renderer, r, major, value_render, dt_render) for r in ranges
        ]
    return 200, out


def _input_option(value: str | None) -> str:
    if not value:
        raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    return values_api.check_enum("value_input_option", value, values_api.INPUT_OPTIONS)


def _with_data(
    call: Call, ss: Spreadsheet, update: dict[str, Any], include: bool
) -> dict[str, Any]:
    """Add ``updatedData`` (read back with the response* render options) when asked."""
    if include:
        value_render, dt_render = _render(
            call, "responseValueRenderOption", "responseDateTimeRenderOption"
        )
        update["updatedData"] = values_api.read(
            ss, Renderer(ss), update["updatedRange"], "ROWS", value_render, dt_render
        )
    return update


def values_update(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "ValueRange", "data")
    option = _input_option(call.param("valueInputOption"))
    ss = open_spreadsheet(call, write=True).clone()
    assert call.range is not None
    major = body.get("majorDimension") or "ROWS"
    result = values_api.write(ss, call.range, body.get("values"), major, option)
    _commit(call, ss)
    return 200, _with_data(call, ss, result, call.flag("includeValuesInResponse"))


def values_append(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "ValueRange", "data")
    option = _input_option(call.param("valueInputOption"))
    insert = values_api.check_enum(
        "insert_data_option",
        call.param("insertDataOption") or "OVERWRITE",
        ("OVERWRITE", "INSERT_ROWS"),
    )
    ss = open_spreadsheet(call, write=True).clone()
    assert call.range is not None
    major = body.get("majorDimension") or "ROWS"
    result = values_api.append(
        ss, call.range, body.get("values"), major, option, insert == "INSERT_ROWS"
    )
    _commit(call, ss)
    _with_data(call, ss, result["updates"], call.flag("includeValuesInResponse"))
    return 200, result


def values_clear(call: Call) -> Result:
    ss = open_spreadsheet(call, write=True).clone()
    assert call.range is not None
    cleared = values_api.clear(ss, call.range)
    _commit(call, ss)
    return 200, {"spreadsheetId": ss.spreadsheet_id, "clearedRange": cleared}


def _each(items: list[Any], fn: Callable[[int, Any], Any]) -> list[Any]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(fn(i, item))
        except ApiError as err:
            raise ApiError(err.code, f"Invalid data[{i}]: {err.message}", err.status) from None
    return out


def values_batch_update(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "BatchUpdateValuesRequest")
    option = _input_option(body.get("valueInputOption"))
    ss = open_spreadsheet(call, write=True).clone()
    written: list[values_api.Written] = []

    def one(_i: int, item: dict[str, Any]) -> dict[str, Any]:
        result = values_api.write(
            ss,
            item.get("range", ""),
            item.get("values"),
            item.get("majorDimension") or "ROWS",
            option,
            written=written,
        )
        return result

    responses = _each(body.get("data") or [], one)
    _commit(call, ss)
    if body.get("includeValuesInResponse"):
        for response in responses:
            response["updatedData"] = values_api.read(
                ss,
                Renderer(ss),
                response["updatedRange"],
                "ROWS",
                body.get("responseValueRenderOption") or "FORMATTED_VALUE",
                body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER",
            )
    out = {
        "spreadsheetId": ss.spreadsheet_id,
        **values_api.totals(written),
        "responses": responses,
    }
    return 200, {k: v for k, v in out.items() if v or k == "spreadsheetId"}


def values_batch_clear(call: Call) -> Result:
    body = _body(call)
    schema.validate(body, "BatchClearValuesRequest")
    ss = open_spreadsheet(call, write=True).clone()
    cleared = _each(body.get("ranges") or [], lambda _i, r: values_api.clear(ss, r))
    _commit(call, ss)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if cleared:
        out["clearedRanges"] = cleared
    return 200, out


# drive conveniences ----------------------------------------------------------------------
def drive_create(call: Call) -> Result:
    """``POST /drive/v3/files`` with a spreadsheet mimeType, so ``gspread.Client.create`` works."""
    body = _body(call)
    if body.get("mimeType") != "application/vnd.google-apps.spreadsheet":
        raise ApiError(400, "The sheetsync emulator only creates Google Sheets files.")
    ss = call.state.new_spreadsheet(body.get("name") or "Untitled spreadsheet", call.owner())
    _commit(call, ss)
    return 200, {
        "kind": "drive#file",
        "id": ss.spreadsheet_id,
        "name": ss.title,
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }


def drive_delete(call: Call) -> Result:
    ss = open_spreadsheet(call, write=True)
    if call.strict and not (call.identity.edit_all or ss.owner == call.identity.email):
        raise ApiError(403, MSG_PERMISSION)
    del call.state.spreadsheets[ss.spreadsheet_id]
    return 204, None
