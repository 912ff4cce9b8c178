"""spreadsheets.get with ``fields``: rendering only what the mask selects gives exactly the
masked full resource."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from sheetsync.testing.emulator import Emulator
from sheetsync.testing.emulator.fieldmask import apply, parse
from sheetsync.testing.emulator.render import spreadsheet_json

MASKS = [
    "sheets(properties(sheetId,title,index,hidden,sheetType,gridProperties),"
    "data(startRow,startColumn,rowData(values(effectiveFormat(numberFormat(type))))))",
    "properties(title,locale,timeZone),developerMetadata(metadataId,metadataKey,metadataValue),"
    "sheets(properties(sheetId,title),protectedRanges(protectedRangeId,description),"
    "data(startRow,startColumn,rowData(values(note,effectiveFormat(numberFormat(type))))))",
    "sheets.data.rowData.values.note",
    "sheets/data/rowData/values(userEnteredValue,effectiveValue,formattedValue,hyperlink)",
    "sheets.data.rowData.values.effectiveFormat",
    "sheets.data.rowData.values.effectiveFormat(textFormat.bold,numberFormat,padding.top)",
    "sheets.data.rowData.values.*",
    "sheets.data.rowData.values(userEnteredFormat.textFormat,dataValidation,textFormatRuns)",
    "sheets.data(rowData,rowMetadata.pixelSize,columnMetadata)",
    "sheets.data.rowData(values/formattedValue)",
    "sheets.data.rowData",
    "sheets.data.columnMetadata",
    "sheets.data(startRow,rowData.nothing)",
    "sheets(data,charts.chartId,merges,conditionalFormats.ranges)",
    "sheets.*",
    "*",
    "spreadsheetId,spreadsheetUrl,namedRanges.name,sheets.properties.title",
]


@pytest.fixture
def sid(emulator: Emulator) -> str:
    sid = emulator.create_spreadsheet(
        "masks",
        {
            "案件一覧": [
                ["案件ID", "金額", "受注予定日", "確度", "リンク"],
                ["D-1", "1,200", "2026/3/31", "80%", '=HYPERLINK("https://x.invalid", "x")'],
                [None, "=B2*2", None, "=1/0", "=NA()"],
                [],
                ["", "", "", "", "TRUE"],
            ],
            "目標": [["期間"], ["FY2026-Q1"]],
        },
        rows=8,
        cols=7,
    )
    target = emulator.get_spreadsheet(sid)["sheets"][1]["properties"]["sheetId"]
    emulator.batch_update(
        sid,
        [
            {
                "repeatCell": {
                    "range": {"sheetId": 0, "endRowIndex": 1, "endColumnIndex": 5},
                    "cell": {
                        "userEnteredFormat": {"textFormat": {"bold": True}},
                        "note": "header",
                    },
                    "fields": "userEnteredFormat.textFormat.bold,note",
                }
            },
            {
                "updateCells": {
                    "start": {"sheetId": 0, "rowIndex": 6, "columnIndex": 6},
                    "rows": [{"values": [{"note": "only a note"}]}],
                    "fields": "note",
                }
            },
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": 0,
                        "startRowIndex": 5,
                        "endRowIndex": 6,
                        "startColumnIndex": 1,
                        "endColumnIndex": 2,
                    },
                    "rule": {"condition": {"type": "BOOLEAN"}},
                }
            },
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3},
                    "properties": {"pixelSize": 40},
                    "fields": "pixelSize",
                }
            },
            {
                "mergeCells": {
                    "range": {
                        "sheetId": target,
                        "startRowIndex": 3,
                        "endRowIndex": 4,
                        "startColumnIndex": 0,
                        "endColumnIndex": 2,
                    }
                }
            },
            {
                "addNamedRange": {
                    "namedRange": {
                        "name": "Amounts",
                        "range": {"sheetId": 0, "startColumnIndex": 1, "endColumnIndex": 2},
                    }
                }
            },
        ],
    )
    return sid


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("ranges", [None, ["'案件一覧'!B2:E6", "目標"]])
def test_masked_rendering_equals_masking_the_full_resource(
    emulator: Emulator, sid: str, mask: str, ranges: list[str] | None
) -> None:
    ss = emulator.state.spreadsheets[sid]
    tree = parse(mask)
    full = spreadsheet_json(ss, include_grid_data=True, ranges=ranges)
    fast = spreadsheet_json(ss, include_grid_data=True, ranges=ranges, mask=tree)
    assert json.dumps(fast, ensure_ascii=False) == json.dumps(apply(full, tree), ensure_ascii=False)


def test_the_backends_metadata_read_over_http(emulator: Emulator, sid: str) -> None:
    r = requests.get(
        f"{emulator.base_url}/v4/spreadsheets/{sid}",
        params={"fields": MASKS[1], "prettyPrint": "false"},
        headers={"Authorization": "Bearer t"},
        timeout=10,
    )
    assert r.status_code == 200
    sheet: dict[str, Any] = r.json()["sheets"][0]
    rows = sheet["data"][0]["rowData"]
    assert rows[0]["values"][0] == {"effectiveFormat": {}, "note": "header"}
    assert rows[1]["values"][2] == {"effectiveFormat": {"numberFormat": {"type": "DATE"}}}
    assert rows[1]["values"][3] == {"effectiveFormat": {"numberFormat": {"type": "PERCENT"}}}
    assert rows[6]["values"][6] == {"note": "only a note"}
    assert b"\n" not in r.content  # compact JSON
    bad = requests.get(
        f"{emulator.base_url}/v4/spreadsheets/{sid}",
        params={"fields": "sheets(data"},
        headers={"Authorization": "Bearer t"},
        timeout=10,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "Invalid field selection sheets(data"
