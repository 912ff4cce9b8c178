"""spreadsheets.batchUpdate on the emulator: request kinds, replies, validation, atomicity."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sheetsync.testing.emulator import Emulator


class Api:
    def __init__(self, emulator: Emulator, sid: str) -> None:
        self.base = f"{emulator.base_url}/v4/spreadsheets/{sid}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer test"

    def batch(self, *requests_: dict[str, Any], **extra: Any) -> tuple[int, dict[str, Any]]:
        r = self.session.post(
            f"{self.base}:batchUpdate", json={"requests": list(requests_), **extra}, timeout=10
        )
        return r.status_code, r.json()

    def ok(self, *requests_: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
        status, body = self.batch(*requests_, **extra)
        assert status == 200, body
        replies: list[dict[str, Any]] = body["replies"]
        return replies

    def error(self, *requests_: dict[str, Any]) -> str:
        status, body = self.batch(*requests_)
        assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT", body
        message: str = body["error"]["message"]
        return message

    def get(self, **params: Any) -> dict[str, Any]:
        r = self.session.get(self.base, params=params, timeout=10)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result


@pytest.fixture
def sid(emulator: Emulator) -> str:
    return emulator.create_spreadsheet("Deals", {"Sheet1": [["ID", "Amount"], ["D-1", "1200"]]})


@pytest.fixture
def api(emulator: Emulator, sid: str) -> Api:
    return Api(emulator, sid)


def add_sheet(title: str, **props: Any) -> dict[str, Any]:
    return {"addSheet": {"properties": {"title": title, **props}}}


def test_add_sheet_reply_and_explicit_id(api: Api) -> None:
    reply = api.ok(
        add_sheet("売上予測", sheetId=7, gridProperties={"rowCount": 20, "columnCount": 5})
    )
    assert reply == [
        {
            "addSheet": {
                "properties": {
                    "sheetId": 7,
                    "title": "売上予測",
                    "index": 1,
                    "sheetType": "GRID",
                    "gridProperties": {"rowCount": 20, "columnCount": 5},
                }
            }
        }
    ]
    default = api.ok({"addSheet": {}})[0]["addSheet"]["properties"]
    assert default["title"] == "Sheet3" and default["gridProperties"] == {
        "rowCount": 1000,
        "columnCount": 26,
    }
    assert "already exists" in api.error(add_sheet("other", sheetId=7))


def test_duplicate_name_fails_the_whole_batch(api: Api, emulator: Emulator, sid: str) -> None:
    before = emulator.snapshot(sid)
    message = api.error(add_sheet("x"), add_sheet("X"))
    assert message == (
        'Invalid requests[1].addSheet: A sheet with the name "X" already exists. '
        "Please enter another name."
    )
    assert emulator.snapshot(sid) == before


def test_all_or_nothing_across_request_kinds(api: Api, emulator: Emulator, sid: str) -> None:
    before = emulator.snapshot(sid)
    message = api.error(
        {
            "updateCells": {
                "start": {"sheetId": 0},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "new"}}]}],
                "fields": "userEnteredValue",
            }
        },
        {"deleteSheet": {"sheetId": 0}},
        {"deleteSheet": {"sheetId": 99}},
    )
    assert message.startswith("Invalid requests[1].deleteSheet: You can't remove all the sheets")
    assert emulator.snapshot(sid) == before


def test_update_cells_outside_the_grid(api: Api) -> None:
    api.ok(
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"rowCount": 3, "columnCount": 2}},
                "fields": "gridProperties(rowCount,columnCount)",
            }
        }
    )
    cell = {"values": [{"userEnteredValue": {"numberValue": 1}}]}
    message = api.error(
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 3}, "rows": [cell], "fields": "*"}}
    )
    assert message == (
        "Invalid requests[0].updateCells: GridCoordinate.rowIndex[3] is after last row in grid[2]"
    )
    message = api.error(
        {"updateCells": {"start": {"sheetId": 0, "columnIndex": 2}, "rows": [cell], "fields": "*"}}
    )
    assert "columnIndex[2] is after last column in grid[1]" in message
    message = api.error(
        {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 4}, "cell": {}, "fields": "note"}}
    )
    assert "exceeds grid limits. Max rows: 3, max columns: 2" in message


def test_cell_limit_of_ten_million(api: Api) -> None:
    message = api.error(add_sheet("big", gridProperties={"rowCount": 400_000, "columnCount": 26}))
    assert message.endswith("above the limit of 10000000 cells.")
    api.ok(add_sheet("fits", gridProperties={"rowCount": 300_000, "columnCount": 33}))


def test_typed_update_cells_and_grid_data(api: Api) -> None:
    api.ok(
        add_sheet("out", sheetId=5, gridProperties={"rowCount": 3, "columnCount": 4}),
        {
            "updateCells": {
                "start": {"sheetId": 5, "rowIndex": 0, "columnIndex": 0},
                "rows": [
                    {
                        "values": [
                            {"userEnteredValue": {"stringValue": "=1+1"}},
                            {
                                "userEnteredValue": {"numberValue": 1200000},
                                "userEnteredFormat": {
                                    "numberFormat": {"type": "CURRENCY", "pattern": "¥#,##0"}
                                },
                            },
                            {
                                "userEnteredValue": {"numberValue": 46112},
                                "userEnteredFormat": {
                                    "numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}
                                },
                            },
                            {
                                "userEnteredValue": {"numberValue": 0.625},
                                "userEnteredFormat": {
                                    "numberFormat": {"type": "PERCENT", "pattern": "0.0%"}
                                },
                                "note": "win rate",
                            },
                        ]
                    }
                ],
                "fields": "userEnteredValue,userEnteredFormat.numberFormat,note",
            }
        },
    )
    data = api.get(ranges="out!A1:D1", includeGridData="true")["sheets"][0]["data"][0]
    cells = data["rowData"][0]["values"]
    assert [c["formattedValue"] for c in cells] == ["=1+1", "¥1,200,000", "2026-03-31", "62.5%"]
    assert cells[0]["userEnteredValue"] == {"stringValue": "=1+1"} == cells[0]["effectiveValue"]
    assert cells[1]["effectiveValue"] == {"numberValue": 1200000}
    assert cells[2]["effectiveFormat"]["numberFormat"] == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    assert cells[3]["note"] == "win rate"
    assert data["columnMetadata"] == [{"pixelSize": 100}] * 4 and data["rowMetadata"] == [
        {"pixelSize": 21}
    ]


def test_formats_dimensions_freeze_and_resize(api: Api, emulator: Emulator, sid: str) -> None:
    api.ok(
        {
            "repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                "cell": {
                    "userEnteredFormat": {
                        "textFormat": {"bold": True},
                        "backgroundColor": {"red": 0.5},
                    }
                },
                "fields": "userEnteredFormat(textFormat.bold,backgroundColor)",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2},
                "properties": {"pixelSize": 180},
                "fields": "pixelSize",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "gridProperties": {"frozenRowCount": 1, "rowCount": 2, "columnCount": 3},
                },
                "fields": "gridProperties(frozenRowCount,rowCount,columnCount)",
            }
        },
    )
    sheet = api.get(includeGridData="true")["sheets"][0]
    assert sheet["properties"]["gridProperties"] == {
        "rowCount": 2,
        "columnCount": 3,
        "frozenRowCount": 1,
    }
    data = sheet["data"][0]
    header = data["rowData"][0]["values"]
    assert header[0]["userEnteredFormat"] == {
        "textFormat": {"bold": True},
        "backgroundColor": {"red": 0.49803922},
        # Google keeps both forms of a colour, whichever one the request set
        "backgroundColorStyle": {"rgbColor": {"red": 0.49803922}},
    }
    assert len(header) == 3 and "userEnteredValue" not in header[2]
    assert [m["pixelSize"] for m in data["columnMetadata"]] == [100, 180, 100]


def test_validation_conditional_format_protection_chart(api: Api, emulator: Emulator) -> None:
    rng = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 2,
        "startColumnIndex": 1,
        "endColumnIndex": 2,
    }
    rule = {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "A"}, {"userEnteredValue": "B"}],
        },
        "strict": True,
        "showCustomUi": True,
    }
    chart = {
        "spec": {
            "title": "Forecast",
            "basicChart": {
                "chartType": "COLUMN",
                "domains": [{"domain": {"sourceRange": {"sources": [rng]}}}],
            },
        },
        "position": {
            "overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 3}}
        },
    }
    replies = api.ok(
        {"setDataValidation": {"range": rng, "rule": rule}},
        {
            "addConditionalFormatRule": {
                "rule": {
                    "ranges": [rng],
                    "booleanRule": {
                        "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "0"}]},
                        "format": {"textFormat": {"foregroundColor": {"red": 1}}},
                    },
                },
                "index": 0,
            }
        },
        {
            "addProtectedRange": {
                "protectedRange": {"range": rng, "description": "computed", "warningOnly": True}
            }
        },
        {"addChart": {"chart": chart}},
    )
    assert replies[0] == {} and replies[1] == {}
    protected = replies[2]["addProtectedRange"]["protectedRange"]
    assert protected["description"] == "computed" and protected["warningOnly"] is True
    assert isinstance(protected["protectedRangeId"], int) and protected["range"] == {
        k: v for k, v in rng.items() if k != "sheetId"
    }
    added = replies[3]["addChart"]["chart"]
    assert isinstance(added["chartId"], int) and added["spec"]["title"] == "Forecast"
    assert added["position"]["overlayPosition"]["widthPixels"] == 600
    sheet = api.get(includeGridData="true", ranges="B2")["sheets"][0]
    assert sheet["data"][0]["rowData"][0]["values"][0]["dataValidation"] == rule
    assert sheet["conditionalFormats"][0]["booleanRule"]["format"]["textFormat"][
        "foregroundColor"
    ] == {"red": 1}
    assert sheet["protectedRanges"][0]["editors"] == {
        "users": ["anonymous@sheetsync-emulator.invalid"]
    }
    assert sheet["charts"][0]["chartId"] == added["chartId"]
    deleted = api.ok({"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}})[0]
    assert deleted["deleteConditionalFormatRule"]["rule"]["ranges"] == [protected["range"]]
    api.ok(
        {"deleteProtectedRange": {"protectedRangeId": protected["protectedRangeId"]}},
        {"deleteEmbeddedObject": {"objectId": added["chartId"]}},
    )
    assert set(api.get()["sheets"][0]) == {"properties"}
    assert "No protected range with id" in api.error(
        {"deleteProtectedRange": {"protectedRangeId": 1}}
    )


def test_named_ranges_and_developer_metadata(api: Api) -> None:
    named = api.ok(
        {
            "addNamedRange": {
                "namedRange": {
                    "name": "Amounts",
                    "range": {"sheetId": 0, "startColumnIndex": 1, "endColumnIndex": 2},
                }
            }
        }
    )
    assert named[0]["addNamedRange"]["namedRange"]["range"] == {
        "startColumnIndex": 1,
        "endColumnIndex": 2,
    }
    created = api.ok(
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "sheetsync.snapshot",
                    "metadataValue": "v1",
                    "location": {"sheetId": 0},
                    "visibility": "DOCUMENT",
                }
            }
        }
    )
    meta = created[0]["createDeveloperMetadata"]["developerMetadata"]
    assert (
        meta["location"] == {"locationType": "SHEET", "sheetId": 0}
        and meta["visibility"] == "DOCUMENT"
    )
    lookup = {"developerMetadataLookup": {"metadataKey": "sheetsync.snapshot"}}
    updated = api.ok(
        {
            "updateDeveloperMetadata": {
                "dataFilters": [lookup],
                "developerMetadata": {"metadataValue": "v2"},
                "fields": "metadataValue",
            }
        }
    )
    assert updated[0]["updateDeveloperMetadata"]["developerMetadata"][0]["metadataValue"] == "v2"
    body = api.get(fields="namedRanges.name,sheets.developerMetadata.metadataValue")
    assert body == {
        "namedRanges": [{"name": "Amounts"}],
        "sheets": [{"developerMetadata": [{"metadataValue": "v2"}]}],
    }
    deleted = api.ok({"deleteDeveloperMetadata": {"dataFilter": lookup}})
    assert (
        deleted[0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"][0]["metadataId"]
        == meta["metadataId"]
    )


def test_insert_delete_and_append_dimensions(api: Api, emulator: Emulator, sid: str) -> None:
    api.ok(
        {
            "insertDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
            }
        },
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
            }
        },
        {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 10}},
    )
    assert emulator.get_values(sid, "Sheet1") == [["Amount"], [], ["1200"]]
    grid = api.get()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1011, "columnCount": 25}


def test_request_validation_like_google(api: Api) -> None:
    assert api.error({"addSheet": {"properties": {"titel": "x"}}}) == (
        'Invalid JSON payload received. Unknown name "titel" at '
        "'requests[0].add_sheet.properties': Cannot find field."
    )
    assert api.error({"frobnicate": {}}).startswith(
        'Invalid JSON payload received. Unknown name "frobnicate"'
    )
    message = api.error(
        {"sortRange": {"range": {"sheetId": 0}, "sortSpecs": [{"sortOrder": "ASC"}]}}
    )
    assert message.startswith("Invalid value at 'requests[0].sort_range.sort_specs[0].sort_order'")
    assert "not implemented by the sheetsync emulator" in api.error(
        {"findReplace": {"find": "a", "allSheets": True}}
    )
    assert api.error() == "Must specify at least one request."


def test_include_spreadsheet_in_response(api: Api) -> None:
    status, body = api.batch(
        {
            "updateSpreadsheetProperties": {
                "properties": {"title": "Renamed", "timeZone": "Asia/Tokyo"},
                "fields": "title,timeZone",
            }
        },
        includeSpreadsheetInResponse=True,
    )
    assert status == 200 and body["replies"] == [{}]
    props = body["updatedSpreadsheet"]["properties"]
    assert props["title"] == "Renamed" and props["timeZone"] == "Asia/Tokyo"


def test_merges_clear_covered_cells(api: Api, emulator: Emulator, sid: str) -> None:
    api.ok(
        {
            "mergeCells": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 0,
                    "endRowIndex": 2,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "mergeType": "MERGE_ALL",
            }
        }
    )
    assert emulator.get_values(sid, "A1:B2") == [["ID"]]
    assert api.get()["sheets"][0]["merges"] == [
        {"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2}
    ]


def _range(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, Any]:
    rng = {"startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}
    return {"sheetId": sheet_id, **rng} if sheet_id else rng


def _chart(sheet_id: int, other: int) -> dict[str, Any]:
    return {
        "spec": {
            "title": "Amounts",
            "basicChart": {
                "chartType": "COLUMN",
                "domains": [
                    {"domain": {"sourceRange": {"sources": [_range(sheet_id, 0, 2, 0, 1)]}}}
                ],
                "series": [
                    {"series": {"sourceRange": {"sources": [_range(sheet_id, 0, 2, 1, 2)]}}},
                    {"series": {"sourceRange": {"sources": [_range(other, 0, 2, 0, 1)]}}},
                ],
            },
        },
        "position": {
            "overlayPosition": {
                "anchorCell": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 3}
            }
        },
    }


@pytest.mark.parametrize(("source", "copy"), [(0, 77), (5, 0)])
def test_duplicate_sheet_moves_ranges_to_the_copy_and_gives_charts_new_ids(
    api: Api, emulator: Emulator, sid: str, source: int, copy: int
) -> None:
    if source:
        api.ok(add_sheet("Src", sheetId=source), add_sheet("Other", sheetId=9))
        api.ok(
            {
                "updateCells": {
                    "start": {"sheetId": source},
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": "ID"}}]}],
                    "fields": "*",
                }
            }
        )
    else:
        api.ok(add_sheet("Other", sheetId=9))
    rule = {
        "ranges": [_range(source, 1, 2, 1, 2)],
        "booleanRule": {
            "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "0"}]},
            "format": {"backgroundColor": {"red": 1}},
        },
    }
    chart_id = api.ok(
        {"addConditionalFormatRule": {"rule": rule, "index": 0}},
        {"addChart": {"chart": _chart(source, 9)}},
        {"mergeCells": {"range": _range(source, 3, 4, 0, 2), "mergeType": "MERGE_ALL"}},
        {"setBasicFilter": {"filter": {"range": _range(source, 0, 2, 0, 2)}}},
        {
            "addDimensionGroup": {
                "range": {"sheetId": source, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
            }
        },
    )[1]["addChart"]["chart"]["chartId"]
    if source:
        api.ok({"deleteSheet": {"sheetId": 0}})  # so that the copy may take id 0
    before = api.get()["sheets"]
    reply = api.ok(
        {"duplicateSheet": {"sourceSheetId": source, "newSheetId": copy, "newSheetName": "Copy"}}
    )
    assert reply[0]["duplicateSheet"]["properties"]["sheetId"] == copy
    sheets = {s["properties"]["title"]: s for s in api.get()["sheets"]}
    original = sheets["Sheet1" if not source else "Src"]
    assert [s for s in api.get()["sheets"] if s["properties"]["title"] != "Copy"] == before
    duplicate = sheets["Copy"]
    new_chart = duplicate["charts"][0]
    assert new_chart["chartId"] != chart_id and original["charts"][0]["chartId"] == chart_id
    series = new_chart["spec"]["basicChart"]["series"]
    assert new_chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"] == [
        _range(copy, 0, 2, 0, 1)
    ]
    assert series[0]["series"]["sourceRange"]["sources"] == [_range(copy, 0, 2, 1, 2)]
    assert series[1]["series"]["sourceRange"]["sources"] == [_range(9, 0, 2, 0, 1)]  # elsewhere
    anchor = new_chart["position"]["overlayPosition"]["anchorCell"]
    assert anchor.get("sheetId", 0) == copy and anchor["columnIndex"] == 3
    assert duplicate["conditionalFormats"][0]["ranges"] == [_range(copy, 1, 2, 1, 2)]
    assert duplicate["merges"] == [_range(copy, 3, 4, 0, 2)]
    assert duplicate["basicFilter"]["range"] == _range(copy, 0, 2, 0, 2)
    assert duplicate["rowGroups"][0]["range"]["startIndex"] == 1
    assert duplicate["rowGroups"][0]["range"].get("sheetId", 0) == copy
    # the copy's cells are its own
    emulator.set_values(sid, "Copy!A1", [["changed"]])
    assert emulator.get_values(sid, "Copy!A1") == [["changed"]]
    assert emulator.get_values(sid, f"'{original['properties']['title']}'!A1") == [["ID"]]
    # a second copy gets yet another chart id
    api.ok({"duplicateSheet": {"sourceSheetId": source, "newSheetName": "Copy 2"}})
    ids = [c["chartId"] for s in api.get()["sheets"] for c in s.get("charts", [])]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"rowCount": 2, "frozenRowCount": 2}, "You can't freeze all visible rows on the sheet."),
        ({"rowCount": 2, "frozenRowCount": 5}, "You can't freeze all visible rows on the sheet."),
        (
            {"columnCount": 3, "frozenColumnCount": 3},
            "You can't freeze all visible columns on the sheet.",
        ),
    ],
)
def test_freezing_every_row_or_column_is_refused(
    api: Api, emulator: Emulator, sid: str, grid: dict[str, int], message: str
) -> None:
    before = emulator.snapshot(sid)
    fields = "gridProperties(" + ",".join(grid) + ")"
    update = {"properties": {"sheetId": 0, "gridProperties": grid}, "fields": fields}
    assert api.error({"updateSheetProperties": update}) == (
        f"Invalid requests[0].updateSheetProperties: {message}"
    )
    assert api.error(add_sheet("new", gridProperties=grid)) == (
        f"Invalid requests[0].addSheet: {message}"
    )
    assert emulator.snapshot(sid) == before


def test_freezing_all_but_one_row_and_shrinking_below_the_frozen_rows(api: Api) -> None:
    api.ok(add_sheet("ok", sheetId=3, gridProperties={"rowCount": 2, "frozenRowCount": 1}))
    shrink = {
        "properties": {"sheetId": 3, "gridProperties": {"rowCount": 1}},
        "fields": "gridProperties.rowCount",
    }
    assert "You can't freeze all visible rows" in api.error({"updateSheetProperties": shrink})
    hide = {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1},
        "properties": {"hiddenByUser": True},
        "fields": "hiddenByUser",
    }
    freeze = {
        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount",
    }
    message = api.error({"updateDimensionProperties": hide}, {"updateSheetProperties": freeze})
    assert message.endswith("You can't freeze all visible rows on the sheet.")


@pytest.mark.parametrize(
    ("row", "col", "message"),
    [
        (1000, 0, "GridCoordinate.rowIndex[1000] is after last row in grid[999]"),
        (0, 26, "GridCoordinate.columnIndex[26] is after last column in grid[25]"),
        (-1, 0, "GridCoordinate indexes must not be negative."),
    ],
)
def test_chart_anchor_outside_the_grid_is_refused(
    api: Api, emulator: Emulator, sid: str, row: int, col: int, message: str
) -> None:
    chart = _chart(0, 0)
    chart["position"]["overlayPosition"]["anchorCell"] = {
        "sheetId": 0,
        "rowIndex": row,
        "columnIndex": col,
    }
    before = emulator.snapshot(sid)
    assert api.error({"addChart": {"chart": chart}}) == f"Invalid requests[0].addChart: {message}"
    assert emulator.snapshot(sid) == before
    chart["position"]["overlayPosition"]["anchorCell"] = {
        "sheetId": 0,
        "rowIndex": 999,
        "columnIndex": 25,
    }
    api.ok({"addChart": {"chart": chart}})
