"""The real gspread 6 and google-auth, over HTTP, against the Sheets API emulator."""

from __future__ import annotations

from pathlib import Path

import gspread
import pytest
from google.oauth2.service_account import Credentials
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from sheetsync.testing.emulator import Emulator
from sheetsync.testing.fixtures import emulator_http_client

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


@pytest.fixture
def gc(emulator: Emulator, service_account_key: Path) -> gspread.Client:
    creds = Credentials.from_service_account_file(str(service_account_key), scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))


def create(gc: gspread.Client, title: str = "Deals") -> gspread.Spreadsheet:
    """spreadsheets.create through gspread's HTTP client, then open_by_key."""
    body = {"properties": {"title": title}}
    created = gc.http_client.request("post", SPREADSHEETS_API_V4_BASE_URL, json=body).json()
    return gc.open_by_key(created["spreadsheetId"])


def test_create_and_open_by_key(gc: gspread.Client, emulator: Emulator) -> None:
    sh = create(gc, "案件管理")
    assert sh.title == "案件管理"
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]
    assert sh.sheet1.row_count == 1000 and sh.sheet1.col_count == 26
    assert sh.url == f"https://docs.google.com/spreadsheets/d/{sh.id}"
    counts = emulator.log.counts()
    assert counts["token"] == 1 and counts["spreadsheets.create"] == 1
    assert emulator.spreadsheet_ids() == [sh.id]


def test_client_create_and_delete_through_drive_convenience(
    gc: gspread.Client, emulator: Emulator
) -> None:
    sh = gc.create("Made by gspread")
    assert gc.open_by_key(sh.id).title == "Made by gspread"
    gc.del_spreadsheet(sh.id)
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key(sh.id)


def test_worksheet_operations(gc: gspread.Client) -> None:
    sh = create(gc)
    deals = sh.add_worksheet("案件一覧", rows=50, cols=17)
    targets = sh.add_worksheet("目標", rows=10, cols=3, index=0)
    assert [ws.title for ws in sh.worksheets()] == ["目標", "Sheet1", "案件一覧"]
    deals.update_title("Deals")
    deals.freeze(rows=1)
    deals.hide()
    sh.del_worksheet(sh.worksheet("Sheet1"))
    sh = gc.open_by_key(sh.id)
    assert [ws.title for ws in sh.worksheets(exclude_hidden=True)] == ["目標"]
    assert [ws.title for ws in sh.worksheets()] == ["目標", "Deals"]
    fetched = sh.worksheet("Deals")
    assert fetched.id == deals.id and fetched.frozen_row_count == 1 and fetched.isSheetHidden
    assert targets.id != deals.id
    with pytest.raises(gspread.exceptions.APIError, match="already exists"):
        sh.add_worksheet("deals", rows=1, cols=1)


def test_update_raw_versus_user_entered(gc: gspread.Client) -> None:
    ws = create(gc).sheet1
    row = ["1,200,000", "80%", "2026/3/31", "=1+1", "'007", "TRUE", '=IMPORTXML("x")']
    ws.update([row], "A1", value_input_option="RAW")
    ws.update([row], "A2", value_input_option="USER_ENTERED")
    unformatted = ws.get("A1:G2", value_render_option="UNFORMATTED_VALUE")
    assert unformatted[0] == row
    assert unformatted[1][:6] == [1200000, 0.8, 46112, 2, "007", True]
    assert unformatted[1][6] == "#ERROR!"
    assert ws.get("A2:G2")[0][:6] == ["1,200,000", "80%", "2026/3/31", "2", "007", "TRUE"]
    formulas = ws.get("A2:G2", value_render_option="FORMULA")[0]
    assert formulas[3] == "=1+1" and formulas[6] == '=IMPORTXML("x")'


def test_batch_get_batch_update_append_and_clear(gc: gspread.Client) -> None:
    ws = create(gc).sheet1
    ws.batch_update(
        [
            {"range": "A1:C1", "values": [["ID", "Name", "Amount"]]},
            {"range": "A2:C2", "values": [["D-1", "Acme", 1200]]},
        ],
    )
    ws.append_rows([["D-2", "Beta", 300], ["D-3", "", 50]], value_input_option="USER_ENTERED")
    assert ws.get_all_values() == [
        ["ID", "Name", "Amount"],
        ["D-1", "Acme", "1200"],
        ["D-2", "Beta", "300"],
        ["D-3", "", "50"],
    ]
    first, second = ws.batch_get(["A1:B1", "C2:C4"])
    assert first == [["ID", "Name"]] and second == [["1200"], ["300"], ["50"]]
    assert second.range == "Sheet1!C2:C4"
    ws.batch_clear(["B2:B4"])
    assert ws.col_values(2) == ["Name"]
    ws.clear()
    assert ws.spreadsheet.values_get("Sheet1") == {
        "range": "Sheet1!A1:Z1000",
        "majorDimension": "ROWS",
    }


def test_spreadsheet_batch_update_and_field_mask(gc: gspread.Client) -> None:
    sh = create(gc)
    sheet_id = sh.sheet1.id
    reply = sh.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": 4242,
                            "title": "売上予測",
                            "gridProperties": {"rowCount": 5, "columnCount": 4},
                        }
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": 4242, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": sheet_id,
                            "gridProperties": {"frozenRowCount": 1},
                        },
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
            ]
        }
    )
    added = reply["replies"][0]["addSheet"]["properties"]
    assert added == {
        "sheetId": 4242,
        "title": "売上予測",
        "index": 1,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 5, "columnCount": 4},
    }
    assert reply["replies"][1:] == [{}, {}]
    meta = sh.fetch_sheet_metadata(
        params={"fields": "sheets(properties(sheetId,title,gridProperties.frozenRowCount))"}
    )
    assert meta == {
        "sheets": [
            {
                "properties": {
                    "sheetId": 0,
                    "title": "Sheet1",
                    "gridProperties": {"frozenRowCount": 1},
                }
            },
            {"properties": {"sheetId": 4242, "title": "売上予測", "gridProperties": {}}},
        ]
    }


def test_formula_looking_text_round_trips_as_text(gc: gspread.Client) -> None:
    sh = create(gc)
    texts = ['=IMPORTXML("http://x", "//a")', "+81 3", "-5 days", "@here"]
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                        "rows": [
                            {"values": [{"userEnteredValue": {"stringValue": t}} for t in texts]}
                        ],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        }
    )
    ws = sh.sheet1
    for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
        assert ws.get("A1:D1", value_render_option=option) == [texts]


def test_dates_as_serial_numbers_or_formatted_strings(gc: gspread.Client) -> None:
    sh = create(gc)
    ws = sh.sheet1
    ws.update([["2020-01-01", "2026/3/31", "3/31/2026"]], "A1", value_input_option="USER_ENTERED")
    got = sh.values_batch_get(
        ["Sheet1!A1:C1"],
        params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"},
    )
    assert got["valueRanges"][0]["values"] == [[43831, 46112, 46112]]
    got = sh.values_batch_get(
        ["Sheet1!A1:C1"],
        params={
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
        },
    )
    assert got["valueRanges"][0]["values"] == [["2020-01-01", "2026/3/31", "3/31/2026"]]
