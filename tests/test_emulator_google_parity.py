"""Issue 15: three places where the emulator now answers as Google does.

Written from the API reference (``../shared/reference/sheets.v4.discovery.json``) and the
recorded real traffic: through the real gspread and google-auth over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import gspread
import pytest
import requests
from google.oauth2.service_account import Credentials
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from sheetsync.testing.emulator import Emulator
from sheetsync.testing.emulator.auth import ANONYMOUS
from sheetsync.testing.fixtures import emulator_http_client

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RED = {"red": 1.0}
BLUE = {"blue": 1.0}


@pytest.fixture
def gc(emulator: Emulator, service_account_key: Path) -> gspread.Client:
    creds = Credentials.from_service_account_file(str(service_account_key), scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))


def create(gc: gspread.Client) -> gspread.Spreadsheet:
    body = {"properties": {"title": "parity"}}
    created = gc.http_client.request("post", SPREADSHEETS_API_V4_BASE_URL, json=body).json()
    return gc.open_by_key(created["spreadsheetId"])


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
    error = info.value.response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert "hide all the sheets" in error["message"]
    assert emulator.snapshot(sh.id) == before  # the whole batch was rejected
    # hiding one of two visible sheets is fine
    sh.add_worksheet("visible", rows=5, cols=2)
    first.hide()
    hidden = {s["properties"]["title"]: s["properties"].get("hidden", False)
              for s in emulator.get_spreadsheet(sh.id)["sheets"]}
    assert hidden == {"Sheet1": True, "hidden already": True, "visible": False}


# -- colour style fields -------------------------------------------------------------------


def _format(sh: gspread.Spreadsheet, a1: str) -> dict:
    data = sh.fetch_sheet_metadata({"ranges": [a1], "includeGridData": True,
                                    "fields": "sheets(data(rowData(values(userEnteredFormat))))"})
    return data["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]


def test_setting_a_colour_stores_both_forms(gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    sh.batch_update({"requests": [
        {"repeatCell": {"range": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1,
                                  "startColumnIndex": 0, "endColumnIndex": 1},
                        "cell": {"userEnteredFormat": {"backgroundColor": RED,
                                                       "textFormat": {"foregroundColor": BLUE}}},
                        "fields": "userEnteredFormat(backgroundColor,textFormat)"}},
        # the reverse: a style sets the plain colour too
        {"updateCells": {"start": {"sheetId": ws.id, "rowIndex": 0, "columnIndex": 1},
                         "rows": [{"values": [{"userEnteredFormat": {
                             "backgroundColorStyle": {"rgbColor": BLUE}}}]}],
                         "fields": "userEnteredFormat.backgroundColorStyle"}},
    ]})
    a1 = _format(sh, "Sheet1!A1")
    assert a1["backgroundColor"] == RED and a1["backgroundColorStyle"] == {"rgbColor": RED}
    assert a1["textFormat"]["foregroundColor"] == BLUE
    assert a1["textFormat"]["foregroundColorStyle"] == {"rgbColor": BLUE}
    b1 = _format(sh, "Sheet1!B1")
    assert b1 == {"backgroundColor": BLUE, "backgroundColorStyle": {"rgbColor": BLUE}}


def test_a_later_plain_colour_replaces_the_style_too(gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    cell = {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
            "endColumnIndex": 1}
    for colour in (RED, BLUE):
        sh.batch_update({"requests": [{"repeatCell": {
            "range": cell, "cell": {"userEnteredFormat": {"backgroundColor": colour}},
            "fields": "userEnteredFormat.backgroundColor"}}]})
    fmt = _format(sh, "Sheet1!A1")
    assert fmt["backgroundColorStyle"] == {"rgbColor": BLUE} and fmt["backgroundColor"] == BLUE


# -- editors of a new protected range -------------------------------------------------------


def _editors(emulator: Emulator, key: str) -> list[list[str]]:
    sheets = emulator.get_spreadsheet(key)["sheets"]
    return [p.get("editors", {}).get("users", []) for s in sheets
            for p in s.get("protectedRanges", [])]


def test_a_protected_range_without_editors_lists_the_requesting_account(
        gc: gspread.Client, emulator: Emulator, service_account_key: Path) -> None:
    sh = create(gc)
    reply = sh.batch_update({"requests": [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": sh.sheet1.id}, "warningOnly": True}}}]})
    assert reply["replies"][0]["addProtectedRange"]["protectedRange"]["editors"] == {}
    account = json.loads(service_account_key.read_text())["client_email"]
    assert _editors(emulator, sh.id) == [[account]]


def test_an_unauthenticated_caller_is_the_emulators_anonymous_account(
        gc: gspread.Client, emulator: Emulator) -> None:
    sh = create(gc)
    url = f"{emulator.base_url}/v4/spreadsheets/{sh.id}:batchUpdate"
    answer = requests.post(url, headers={"Authorization": "Bearer made-up"}, timeout=10,
                           json={"requests": [{"addProtectedRange": {"protectedRange": {
                               "range": {"sheetId": sh.sheet1.id}}}}]})
    assert answer.status_code == 200, answer.text
    assert _editors(emulator, sh.id) == [[ANONYMOUS]]
