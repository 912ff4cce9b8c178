"""Issue 15: three places where the emulator answers as Google does.

Written from the API reference (``../shared/reference/sheets.v4.discovery.json``) and the
recorded real traffic (``../shared/reference/gspread-cassettes``), through the real gspread
and google-auth over HTTP:

- ``spreadsheets.batchUpdate``: "Requests will be applied in the order they are specified.
  If any request is not valid, no requests will be applied." A spreadsheet always shows at
  least one sheet (``SheetProperties.hidden``: "True if the sheet is hidden in the UI"), so
  a request that would hide the last visible one is not valid.
- ``CellFormat.backgroundColorStyle``: "If background_color is also set, this field takes
  precedence" (likewise ``TextFormat.foregroundColorStyle``, ``Border.colorStyle``,
  ``InterpolationPoint.colorStyle``); Google keeps and returns both forms, as it does for
  the spreadsheet's own ``defaultFormat`` in every recorded ``spreadsheets.get``.
- ``WorksheetTest.test_add_protected_range_warning``: a range added with ``editors: null``
  is answered with ``"editors": {}``, and a later ``spreadsheets.get`` lists the requesting
  service account under ``editors.users``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import gspread
import pytest
from google.oauth2.credentials import Credentials as BearerToken
from google.oauth2.service_account import Credentials
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

import sheetsync.testing.emulator as emulator_package
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.emulator.auth import ANONYMOUS
from sheetsync.testing.fixtures import emulator_http_client

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RED = {"red": 1.0}
BLUE = {"blue": 1.0}
GREEN = {"green": 1.0}
#: how Google words a refused request of a batch: ``Invalid requests[i].kind: why``
REFUSAL = re.compile(r"^Invalid requests\[(\d+)\]\.(\w+): \S")


def client(emulator: Emulator, info: dict[str, Any]) -> gspread.Client:
    creds = Credentials.from_service_account_info(info, scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))


@pytest.fixture
def gc(emulator: Emulator, service_account_key: Path) -> gspread.Client:
    return client(emulator, json.loads(service_account_key.read_text()))


def create(gc: gspread.Client) -> gspread.Spreadsheet:
    body = {"properties": {"title": "parity"}}
    created = gc.http_client.request("post", SPREADSHEETS_API_V4_BASE_URL, json=body).json()
    return gc.open_by_key(created["spreadsheetId"])


def visibility(sh: gspread.Spreadsheet) -> dict[str, bool]:
    """Each sheet's title → hidden, as ``spreadsheets.get`` answers it."""
    sheets = sh.fetch_sheet_metadata({"fields": "sheets.properties(title,hidden)"})["sheets"]
    return {s["properties"]["title"]: s["properties"].get("hidden", False) for s in sheets}


def refused_request(message: str) -> tuple[str, str]:
    """(index, kind) of the request a refusal names."""
    found = REFUSAL.match(message)
    assert found is not None, message
    return found[1], found[2]


def refusal(info: pytest.ExceptionInfo[gspread.exceptions.APIError]) -> tuple[int, str, str]:
    """(HTTP status, status, message) of a refused call, checked to be Google's 400 shape."""
    response = info.value.response
    error = response.json()["error"]
    assert error["code"] == response.status_code
    return response.status_code, error["status"], error["message"]


# -- hiding every visible sheet ----------------------------------------------------------


def test_hiding_the_last_visible_sheet_is_refused_and_the_batch_not_applied(
        gc: gspread.Client, emulator: Emulator) -> None:
    sh = create(gc)
    other = sh.add_worksheet("hidden already", rows=5, cols=2)
    other.hide()
    first = sh.sheet1
    before = emulator.snapshot(sh.id)
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update({"requests": [
            {"updateCells": {"start": {"sheetId": first.id, "rowIndex": 0, "columnIndex": 0},
                             "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                             "fields": "userEnteredValue"}},
            {"updateSheetProperties": {"properties": {"sheetId": first.id, "hidden": True},
                                       "fields": "hidden"}}]})
    status, code, message = refusal(info)
    assert (status, code) == (400, "INVALID_ARGUMENT")
    assert refused_request(message) == ("1", "updateSheetProperties")
    assert emulator.snapshot(sh.id) == before  # the whole batch was rejected: no "x" in A1
    assert first.acell("A1").value is None
    # hiding one of two visible sheets is fine
    sh.add_worksheet("visible", rows=5, cols=2)
    first.hide()
    assert visibility(sh) == {"Sheet1": True, "hidden already": True, "visible": False}


def test_gspread_hide_of_the_only_visible_sheet_is_refused(gc: gspread.Client) -> None:
    sh = create(gc)
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.sheet1.hide()
    status, code, message = refusal(info)
    assert (status, code) == (400, "INVALID_ARGUMENT")
    assert refused_request(message) == ("0", "updateSheetProperties")
    assert visibility(sh) == {"Sheet1": False}


def test_requests_are_checked_in_order_hiding_every_sheet_in_one_batch_is_refused(
        gc: gspread.Client, emulator: Emulator) -> None:
    sh = create(gc)
    second = sh.add_worksheet("second", rows=5, cols=2)

    def hide(ws: gspread.Worksheet, hidden: bool = True) -> dict[str, Any]:
        return {"updateSheetProperties": {"properties": {"sheetId": ws.id, "hidden": hidden},
                                          "fields": "hidden"}}

    before = emulator.snapshot(sh.id)
    # the first request alone would be fine; the second leaves nothing visible
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update({"requests": [hide(sh.sheet1), hide(second)]})
    status, code, message = refusal(info)
    assert (status, code) == (400, "INVALID_ARGUMENT")
    assert refused_request(message) == ("1", "updateSheetProperties")
    assert emulator.snapshot(sh.id) == before  # the first hide was not applied either
    # a "*" field mask setting hidden counts too
    sh.batch_update({"requests": [hide(second)]})
    with pytest.raises(gspread.exceptions.APIError):
        sh.batch_update({"requests": [{"updateSheetProperties": {
            "properties": {"sheetId": 0, "title": "Sheet1", "hidden": True,
                           "gridProperties": {"rowCount": 1000, "columnCount": 26}},
            "fields": "*"}}]})
    assert visibility(sh) == {"Sheet1": False, "second": True}
    # showing one sheet, then hiding the other, in that order, leaves one visible
    sh.batch_update({"requests": [hide(second, False), hide(sh.sheet1)]})
    assert visibility(sh) == {"Sheet1": True, "second": False}
    # the other way round, the hide comes first and finds nothing else visible
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update({"requests": [hide(second), hide(sh.sheet1, False)]})
    assert refused_request(refusal(info)[2]) == ("0", "updateSheetProperties")
    assert visibility(sh) == {"Sheet1": True, "second": False}


# -- colour style fields -------------------------------------------------------------------


def _cell(sh: gspread.Spreadsheet, a1: str, fields: str = "userEnteredFormat") -> dict:
    """One cell's CellData, read with a ``fields`` mask asking for ``fields``."""
    data = sh.fetch_sheet_metadata({"ranges": [a1], "includeGridData": True,
                                    "fields": f"sheets(data(rowData(values({fields}))))"})
    return data["sheets"][0]["data"][0]["rowData"][0]["values"][0]


def _format(sh: gspread.Spreadsheet, a1: str) -> dict:
    return _cell(sh, a1)["userEnteredFormat"]


def test_setting_a_plain_colour_stores_and_returns_its_style(gc: gspread.Client) -> None:
    sh = create(gc)
    # gspread's format() sends repeatCell with fields "userEnteredFormat(backgroundColor,…)"
    sh.sheet1.format("A1", {"backgroundColor": RED, "textFormat": {"foregroundColor": BLUE}})
    a1 = _format(sh, "Sheet1!A1")
    assert a1["backgroundColor"] == RED and a1["backgroundColorStyle"] == {"rgbColor": RED}
    assert a1["textFormat"]["foregroundColor"] == BLUE
    assert a1["textFormat"]["foregroundColorStyle"] == {"rgbColor": BLUE}
    # a narrower mask asks for one form; the stored cell has both
    narrow = _cell(sh, "Sheet1!A1", "userEnteredFormat(backgroundColorStyle)")
    assert narrow == {"userEnteredFormat": {"backgroundColorStyle": {"rgbColor": RED}}}


def test_setting_a_style_fills_the_plain_colour(gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    sh.batch_update({"requests": [
        {"updateCells": {"start": {"sheetId": ws.id, "rowIndex": 0, "columnIndex": 1},
                         "rows": [{"values": [{"userEnteredFormat": {
                             "backgroundColorStyle": {"rgbColor": BLUE},
                             "textFormat": {"foregroundColorStyle": {"rgbColor": RED}}}}]}],
                         "fields": "userEnteredFormat(backgroundColorStyle,"
                                   "textFormat.foregroundColorStyle)"}}]})
    b1 = _format(sh, "Sheet1!B1")
    assert b1["backgroundColorStyle"] == {"rgbColor": BLUE} and b1["backgroundColor"] == BLUE
    assert b1["textFormat"] == {"foregroundColor": RED, "foregroundColorStyle": {"rgbColor": RED}}


def test_the_style_takes_precedence_when_both_forms_are_set(gc: gspread.Client) -> None:
    sh = create(gc)
    sh.sheet1.format("C3", {"backgroundColor": RED, "backgroundColorStyle": {"rgbColor": GREEN}})
    c3 = _format(sh, "Sheet1!C3")
    assert c3["backgroundColor"] == GREEN and c3["backgroundColorStyle"] == {"rgbColor": GREEN}


def test_a_later_plain_colour_replaces_the_style_too(gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    for colour in (RED, BLUE):
        ws.format("A1", {"backgroundColor": colour})
    fmt = _format(sh, "Sheet1!A1")
    assert fmt["backgroundColorStyle"] == {"rgbColor": BLUE} and fmt["backgroundColor"] == BLUE
    # clearing the plain colour (named in the mask, absent from the data) clears both
    sh.batch_update({"requests": [{"repeatCell": {
        "range": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1,
                  "startColumnIndex": 0, "endColumnIndex": 1},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
        "fields": "userEnteredFormat(backgroundColor,textFormat.bold)"}}]})
    assert _format(sh, "Sheet1!A1") == {"textFormat": {"bold": True}}


def test_the_effective_format_shows_the_cells_colour_in_both_forms(
        gc: gspread.Client) -> None:
    sh = create(gc)
    sh.sheet1.update([["text"]], "A1")
    sh.sheet1.format("A1", {"backgroundColor": RED, "textFormat": {"foregroundColor": BLUE}})
    effective = _cell(sh, "Sheet1!A1", "effectiveFormat")["effectiveFormat"]
    # a colour is a whole value: {"red": 1} has no green or blue, whatever the default has
    assert effective["backgroundColor"] == RED
    assert effective["backgroundColorStyle"] == {"rgbColor": RED}
    assert effective["textFormat"]["foregroundColor"] == BLUE
    assert effective["textFormat"]["foregroundColorStyle"] == {"rgbColor": BLUE}


def test_text_runs_conditional_formats_and_the_default_format_keep_both_forms(
        gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    sh.batch_update({"requests": [
        {"updateCells": {"start": {"sheetId": ws.id, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [{
                             "userEnteredValue": {"stringValue": "ab"},
                             "textFormatRuns": [
                                 {"format": {"foregroundColor": RED}},
                                 {"startIndex": 1,
                                  "format": {"foregroundColorStyle": {"rgbColor": BLUE}}}]}]}],
                         "fields": "userEnteredValue,textFormatRuns"}},
        {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [{"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 5}],
            "booleanRule": {"condition": {"type": "NOT_BLANK"},
                            "format": {"backgroundColorStyle": {"rgbColor": GREEN}}}}}},
        {"addConditionalFormatRule": {"index": 1, "rule": {
            "ranges": [{"sheetId": ws.id, "startRowIndex": 5, "endRowIndex": 9}],
            "gradientRule": {"minpoint": {"type": "MIN", "color": RED},
                             "maxpoint": {"type": "MAX", "colorStyle": {"rgbColor": BLUE}}}}}},
        {"updateSpreadsheetProperties": {
            "properties": {"defaultFormat": {"backgroundColor": GREEN}},
            "fields": "defaultFormat.backgroundColor"}},
    ]})
    runs = _cell(sh, "Sheet1!A1", "textFormatRuns")["textFormatRuns"]
    assert [r["format"] for r in runs] == [
        {"foregroundColor": RED, "foregroundColorStyle": {"rgbColor": RED}},
        {"foregroundColor": BLUE, "foregroundColorStyle": {"rgbColor": BLUE}},
    ]
    meta = sh.fetch_sheet_metadata({"fields": "properties.defaultFormat,"
                                              "sheets.conditionalFormats"})
    boolean, gradient = meta["sheets"][0]["conditionalFormats"]
    assert boolean["booleanRule"]["format"] == {
        "backgroundColor": GREEN, "backgroundColorStyle": {"rgbColor": GREEN}}
    points = gradient["gradientRule"]
    assert (points["minpoint"]["color"], points["minpoint"]["colorStyle"]) == (
        RED, {"rgbColor": RED})
    assert (points["maxpoint"]["color"], points["maxpoint"]["colorStyle"]) == (
        BLUE, {"rgbColor": BLUE})
    default = meta["properties"]["defaultFormat"]
    assert default["backgroundColor"] == GREEN
    assert default["backgroundColorStyle"] == {"rgbColor": GREEN}


# -- editors of a new protected range -------------------------------------------------------


def _editor_users(sh: gspread.Spreadsheet) -> list[list[str]]:
    """``editors.users`` of every protected range, as gspread lists them."""
    return [p.get("editors", {}).get("users", [])
            for ws in sh.worksheets() for p in sh.list_protected_ranges(ws.id)]


def test_a_protected_range_without_editors_lists_the_requesting_account(
        gc: gspread.Client, service_account_key: Path) -> None:
    sh = create(gc)
    # what gspread sends for a warning-only range (editors: null), as in the cassette
    reply = sh.sheet1.add_protected_range("A1:B2", warning_only=True)
    assert reply["replies"][0]["addProtectedRange"]["protectedRange"]["editors"] == {}
    account = json.loads(service_account_key.read_text())["client_email"]
    assert _editor_users(sh) == [[account]]


def test_under_strict_auth_the_editor_is_the_tokens_service_account(
        emulator: Emulator) -> None:
    emulator.strict_auth = True
    owner = emulator.make_service_account("owner@parity.iam.gserviceaccount.com")
    writer = emulator.make_service_account("writer@parity.iam.gserviceaccount.com")
    sh = client(emulator, owner).create("strict")
    sh.batch_update({"requests": [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": sh.sheet1.id, "startRowIndex": 0, "endRowIndex": 1}}}}]})
    assert _editor_users(sh) == [[owner["client_email"]]]
    # a second account, shared as a writer, is the requester of the range it adds
    emulator.share(sh.id, writer["client_email"], "writer")
    theirs = client(emulator, writer).open_by_key(sh.id)
    theirs.batch_update({"requests": [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": sh.sheet1.id, "startRowIndex": 5, "endRowIndex": 6}}}}]})
    ranges = sh.list_protected_ranges(sh.sheet1.id)
    second = next(p for p in ranges if p["range"].get("startRowIndex") == 5)
    assert writer["client_email"] in second["editors"]["users"]


def test_an_unauthenticated_caller_is_the_emulators_documented_anonymous_account(
        gc: gspread.Client, emulator: Emulator) -> None:
    sh = create(gc)
    # without --strict-auth a bearer token the emulator did not issue is accepted: the
    # caller is one fixed account, whichever token it sends
    for n, token in enumerate(("made-up", "another-made-up")):
        anonymous = gspread.Client(auth=BearerToken(token),
                                   http_client=emulator_http_client(emulator.base_url))
        anonymous.open_by_key(sh.id).batch_update({"requests": [{"addProtectedRange": {
            "protectedRange": {"range": {"sheetId": 0, "startRowIndex": n,
                                         "endRowIndex": n + 1}}}}]})
    assert _editor_users(sh) == [[ANONYMOUS], [ANONYMOUS]]
    assert ANONYMOUS.endswith(".invalid")  # a reserved domain: never a real address
    assert ANONYMOUS in " ".join((emulator_package.__doc__ or "").split())  # documented
