"""All-or-nothing writes on the emulator's copy-on-write state.

A write request works on a new version of the spreadsheet that shares every sheet (and every
cell) with the stored one until it changes it. These tests make each request kind change a
spreadsheet holding one of everything, then fail the batch, and check that nothing shows.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sheetsync.testing.emulator import ApiError, Emulator

FAIL = {"deleteSheet": {"sheetId": 424242}}  # no such sheet: fails the whole batch
OTHER = 7  # the second tab's sheetId


def _rng(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, Any]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def _cells(*values: Any) -> list[dict[str, Any]]:
    return [{"values": [{"userEnteredValue": {"stringValue": str(v)}} for v in values]}]


@pytest.fixture
def sid(emulator: Emulator) -> str:
    return make_spreadsheet(emulator)


def make_spreadsheet(emulator: Emulator) -> str:
    """A spreadsheet with values, formats, notes, merges, rules, protection, a chart, a
    filter, groups, named ranges and developer metadata on two tabs."""
    sid = emulator.create_spreadsheet(
        "everything",
        {
            "Deals": [["ID", "Amount", "Owner"], ["D-1", "1200", "佐藤"], ["D-2", "=B2*2", "鈴木"]],
        },
        rows=20,
        cols=8,
    )
    rule = {
        "ranges": [_rng(0, 1, 3, 1, 2)],
        "booleanRule": {
            "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "0"}]},
            "format": {"backgroundColor": {"red": 1}},
        },
    }
    chart = {
        "spec": {
            "title": "Amounts",
            "basicChart": {
                "chartType": "COLUMN",
                "domains": [{"domain": {"sourceRange": {"sources": [_rng(0, 0, 3, 0, 1)]}}}],
                "series": [{"series": {"sourceRange": {"sources": [_rng(0, 0, 3, 1, 2)]}}}],
            },
        },
        "position": {
            "overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}}
        },
    }
    emulator.batch_update(
        sid,
        [
            {
                "addSheet": {
                    "properties": {
                        "sheetId": OTHER,
                        "title": "Other",
                        "gridProperties": {"rowCount": 10, "columnCount": 5},
                    }
                }
            },
            {"updateCells": {"start": {"sheetId": OTHER}, "rows": _cells("x", "y"), "fields": "*"}},
            {
                "repeatCell": {
                    "range": _rng(0, 0, 1, 0, 3),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}, "note": "hdr"},
                    "fields": "userEnteredFormat.textFormat.bold,note",
                }
            },
            {"mergeCells": {"range": _rng(0, 5, 6, 0, 2), "mergeType": "MERGE_ALL"}},
            {"addConditionalFormatRule": {"rule": rule, "index": 0}},
            {"addProtectedRange": {"protectedRange": {"range": _rng(0, 0, 1, 0, 3)}}},
            {"addChart": {"chart": chart}},
            {"setBasicFilter": {"filter": {"range": _rng(0, 0, 3, 0, 3)}}},
            {"addFilterView": {"filter": {"filterViewId": 31, "title": "mine",
                                          "range": _rng(0, 0, 3, 0, 3)}}},
            {
                "addDimensionGroup": {
                    "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
                }
            },
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                    "properties": {"pixelSize": 150},
                    "fields": "pixelSize",
                }
            },
            {"addNamedRange": {"namedRange": {"name": "Amounts", "range": _rng(0, 1, 3, 1, 2)}}},
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataId": 11,
                        "metadataKey": "sheet",
                        "location": {"sheetId": OTHER},
                        "visibility": "DOCUMENT",
                    }
                }
            },
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataId": 12,
                        "metadataKey": "row",
                        "location": {
                            "dimensionRange": {
                                "sheetId": 0,
                                "dimension": "ROWS",
                                "startIndex": 1,
                                "endIndex": 2,
                            }
                        },
                        "visibility": "DOCUMENT",
                    }
                }
            },
        ],
    )
    return sid


def _ids(emulator: Emulator, sid: str, key: str) -> list[int]:
    sheets = emulator.get_spreadsheet(sid)["sheets"]
    return [item[f"{key[:-1]}Id"] for s in sheets for item in s.get(key, [])]


def requests_of_every_kind(emulator: Emulator, sid: str) -> list[dict[str, Any]]:
    """One request of each kind the emulator implements, valid on the ``sid`` fixture."""
    (chart_id,) = _ids(emulator, sid, "charts")
    (protected_id,) = _ids(emulator, sid, "protectedRanges")
    named_id = emulator.get_spreadsheet(sid)["namedRanges"][0]["namedRangeId"]
    cell = {"userEnteredValue": {"numberValue": 5}, "note": "n"}
    border = {"style": "SOLID"}
    rows = {"sheetId": 0, "dimension": "ROWS"}
    return [
        {"addSheet": {"properties": {"title": "New", "index": 0}}},
        {"deleteSheet": {"sheetId": OTHER}},
        {"duplicateSheet": {"sourceSheetId": 0, "insertSheetIndex": 0}},
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "title": "Renamed",
                    "index": 1,
                    "gridProperties": {"rowCount": 4, "frozenRowCount": 1},
                },
                "fields": "title,index,gridProperties(rowCount,frozenRowCount)",
            }
        },
        {"updateSpreadsheetProperties": {"properties": {"title": "T"}, "fields": "title"}},
        {"updateCells": {"range": _rng(0, 0, 2, 0, 2), "rows": _cells("a", "b"), "fields": "*"}},
        {"repeatCell": {"range": _rng(0, 0, 3, 0, 3), "cell": cell, "fields": "*"}},
        {
            "repeatCell": {
                "range": _rng(0, 0, 3, 0, 3),
                "cell": {"userEnteredFormat": {"textFormat": {"italic": True}}},
                "fields": "userEnteredFormat.textFormat.italic",
            }
        },
        {"appendCells": {"sheetId": 0, "rows": _cells("z"), "fields": "userEnteredValue"}},
        {"updateBorders": {"range": _rng(0, 0, 2, 0, 2), "top": border, "innerVertical": border}},
        {"mergeCells": {"range": _rng(0, 0, 3, 0, 2), "mergeType": "MERGE_ROWS"}},
        {"unmergeCells": {"range": _rng(0, 0, 10, 0, 5)}},
        {
            "setDataValidation": {
                "range": _rng(0, 1, 3, 2, 3),
                "rule": {
                    "condition": {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": "a"}]}
                },
            }
        },
        {
            "addConditionalFormatRule": {
                "rule": {
                    "ranges": [_rng(OTHER, 0, 2, 0, 2)],
                    "booleanRule": {"condition": {"type": "BLANK"}, "format": {}},
                },
                "index": 0,
            }
        },
        {"updateConditionalFormatRule": {"sheetId": 0, "index": 0, "newIndex": 0}},
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
        {"addProtectedRange": {"protectedRange": {"range": _rng(OTHER, 0, 1, 0, 1)}}},
        {
            "updateProtectedRange": {
                "protectedRange": {
                    "protectedRangeId": protected_id,
                    "range": _rng(OTHER, 0, 1, 0, 1),
                },
                "fields": "range",
            }
        },
        {"deleteProtectedRange": {"protectedRangeId": protected_id}},
        {
            "addChart": {
                "chart": {
                    "spec": {"title": "c", "basicChart": {"chartType": "LINE"}},
                    "position": {"sheetId": OTHER},
                }
            }
        },
        {"updateChartSpec": {"chartId": chart_id, "spec": {"title": "changed"}}},
        {"deleteEmbeddedObject": {"objectId": chart_id}},
        {"addNamedRange": {"namedRange": {"name": "More", "range": _rng(OTHER, 0, 1, 0, 1)}}},
        {
            "updateNamedRange": {
                "namedRange": {"namedRangeId": named_id, "name": "Renamed"},
                "fields": "name",
            }
        },
        {"deleteNamedRange": {"namedRangeId": named_id}},
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "k",
                    "location": {"sheetId": 0},
                    "visibility": "DOCUMENT",
                }
            }
        },
        {
            "updateDeveloperMetadata": {
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 12}}],
                "developerMetadata": {"metadataValue": "v"},
                "fields": "metadataValue",
            }
        },
        {
            "deleteDeveloperMetadata": {
                "dataFilter": {"developerMetadataLookup": {"metadataId": 11}}
            }
        },
        {
            "updateDimensionProperties": {
                "range": {**rows, "startIndex": 0, "endIndex": 3},
                "properties": {"pixelSize": 40, "hiddenByUser": True},
                "fields": "pixelSize,hiddenByUser",
            }
        },
        {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}},
        {"insertDimension": {"range": {**rows, "startIndex": 1, "endIndex": 3}}},
        {"deleteDimension": {"range": {**rows, "startIndex": 0, "endIndex": 2}}},
        {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 2}},
        {
            "moveDimension": {
                "source": {**rows, "startIndex": 0, "endIndex": 1},
                "destinationIndex": 3,
            }
        },
        {"addDimensionGroup": {"range": {**rows, "startIndex": 1, "endIndex": 2}}},
        {"deleteDimensionGroup": {"range": {**rows, "startIndex": 1, "endIndex": 3}}},
        {"setBasicFilter": {"filter": {"range": _rng(0, 0, 2, 0, 2)}}},
        {"clearBasicFilter": {"sheetId": 0}},
        {"addFilterView": {"filter": {
            "filterViewId": 32, "title": "sheetsync: v", "range": _rng(0, 0, 3, 0, 3),
            "filterSpecs": [{"columnIndex": 1, "filterCriteria": {"condition": {
                "type": "TEXT_EQ", "values": [{"userEnteredValue": "x"}]}}}]}}},
        {"deleteFilterView": {"filterId": 31}},
        {
            "sortRange": {
                "range": _rng(0, 1, 3, 0, 3),
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
            }
        },
        {"copyPaste": {"source": _rng(0, 0, 3, 0, 3), "destination": _rng(OTHER, 0, 3, 0, 3)}},
        {"copyPaste": {"source": _rng(0, 0, 3, 0, 3), "destination": _rng(0, 3, 6, 0, 3)}},
        {
            "cutPaste": {
                "source": _rng(0, 0, 3, 0, 3),
                "destination": {"sheetId": 0, "rowIndex": 10, "columnIndex": 0},
            }
        },
        {
            "cutPaste": {
                "source": _rng(0, 0, 3, 0, 3),
                "destination": {"sheetId": OTHER, "rowIndex": 2, "columnIndex": 0},
            }
        },
    ]


def test_a_failed_batch_changes_nothing_whatever_ran_before(emulator: Emulator) -> None:
    from sheetsync.testing.emulator.batch_update import IMPLEMENTED

    covered = set()
    for n in range(len(requests_of_every_kind(emulator, make_spreadsheet(emulator)))):
        sid = make_spreadsheet(emulator)
        request = requests_of_every_kind(emulator, sid)[n]
        kind = next(iter(request))
        covered.add(kind)
        before = emulator.snapshot(sid)
        with pytest.raises(ApiError) as err:
            emulator.batch_update(
                sid, [request, request, FAIL] if kind == "sortRange" else [request, FAIL]
            )
        assert "No sheet with id: 424242" in err.value.message, kind
        assert emulator.snapshot(sid) == before, kind
        emulator.batch_update(sid, [request])  # the request itself is valid: FAIL failed
        if kind not in ("autoResizeDimensions", "updateConditionalFormatRule"):
            assert emulator.snapshot(sid) != before, kind
    assert covered == set(IMPLEMENTED)


def test_every_kind_in_one_failed_batch(emulator: Emulator, sid: str) -> None:
    every = requests_of_every_kind(emulator, sid)
    safe = [r for r in every if next(iter(r)) not in ("deleteSheet", "deleteEmbeddedObject")]
    before = emulator.snapshot(sid)
    with pytest.raises(ApiError):
        emulator.batch_update(sid, [*safe, FAIL])
    assert emulator.snapshot(sid) == before


def test_batch_update_on_two_sheets_whose_second_request_fails(
    emulator: Emulator, sid: str
) -> None:
    before = emulator.snapshot(sid)
    url = f"{emulator.base_url}/v4/spreadsheets/{sid}:batchUpdate"
    body = {
        "requests": [
            {"updateCells": {"start": {"sheetId": 0}, "rows": _cells("new"), "fields": "*"}},
            {
                "updateCells": {
                    "start": {"sheetId": OTHER, "rowIndex": 10},
                    "rows": _cells("outside"),
                    "fields": "*",
                }
            },
        ]
    }
    r = requests.post(url, json=body, headers={"Authorization": "Bearer t"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Invalid requests[1].updateCells:")
    assert emulator.snapshot(sid) == before
    assert emulator.get_values(sid, "Deals!A1") == [["ID"]]
    assert emulator.get_values(sid, "Other!A1:B1") == [["x", "y"]]


def test_values_batch_update_with_a_bad_second_range(emulator: Emulator, sid: str) -> None:
    before = emulator.snapshot(sid)
    url = f"{emulator.base_url}/v4/spreadsheets/{sid}/values:batchUpdate"
    body = {
        "valueInputOption": "USER_ENTERED",
        "data": [
            {"range": "Deals!A1:B2", "values": [["new", "1"], ["2", "3"]]},
            {"range": "Nowhere!A1", "values": [["x"]]},
        ],
    }
    r = requests.post(url, json=body, headers={"Authorization": "Bearer t"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Invalid data[1]: Unable to parse range: Nowhere!A1"
    assert emulator.snapshot(sid) == before
    body["data"][1] = {"range": "Other!A1", "values": [["changed"]]}
    r = requests.post(url, json=body, headers={"Authorization": "Bearer t"}, timeout=10)
    assert r.status_code == 200 and r.json()["totalUpdatedSheets"] == 2
    assert emulator.get_values(sid, "Deals!A1:B2") == [["new", "1"], ["2", "3"]]
    assert emulator.get_values(sid, "Other!A1:B1") == [["changed", "y"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/values/Deals!A1:B1?valueInputOption=RAW", {"values": [["a", "b", "c"]]}),
        (
            "POST",
            "/values/Deals!A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
            {"values": [["a", {"x": 1}]]},
        ),
        ("POST", "/values:batchClear", {"ranges": ["Deals!A1:B2", "Nowhere!A1"]}),
        (
            "POST",
            "/values:batchUpdate",
            {
                "valueInputOption": "USER_ENTERED",
                "data": [
                    {"range": "Deals!A1:C1", "values": [["80%", "2026/3/31", "$5"]]},
                    {"range": "Deals!A5:B5", "values": [["1", "2", "3"]]},
                ],
            },
        ),
    ],
)
def test_failed_values_writes_change_nothing(
    emulator: Emulator, sid: str, method: str, path: str, body: dict[str, Any]
) -> None:
    before = emulator.snapshot(sid)
    r = requests.request(
        method,
        f"{emulator.base_url}/v4/spreadsheets/{sid}{path}",
        json=body,
        headers={"Authorization": "Bearer t"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert emulator.snapshot(sid) == before


def test_versions_do_not_leak_into_each_other(emulator: Emulator, sid: str) -> None:
    """Cells shared between versions (and between a sheet and its duplicate) are copied
    before either changes them."""
    emulator.batch_update(
        sid, [{"duplicateSheet": {"sourceSheetId": 0, "newSheetId": 99, "newSheetName": "Copy"}}]
    )
    emulator.set_values(sid, "Deals!A2", [["changed"]])
    assert emulator.get_values(sid, "Copy!A2") == [["D-1"]]
    emulator.batch_update(
        sid,
        [
            {
                "repeatCell": {
                    "range": _rng(99, 0, 3, 0, 1),
                    "cell": {"note": "copy"},
                    "fields": "note",
                }
            },
        ],
    )
    snapshot = emulator.snapshot(sid)
    deals = snapshot["sheets"][0]["data"][0]["rowData"]
    assert "note" not in deals[1]["values"][0] and deals[0]["values"][0]["note"] == "hdr"
    assert emulator.get_values(sid, "Deals!A2:A3") == [["changed"], ["D-2"]]
    with pytest.raises(ApiError):
        emulator.batch_update(
            sid,
            [
                {
                    "updateCells": {
                        "start": {"sheetId": 99},
                        "rows": _cells("a", "b"),
                        "fields": "*",
                    }
                },
                {"updateCells": {"start": {"sheetId": 0}, "rows": _cells("c"), "fields": "*"}},
                FAIL,
            ],
        )
    assert emulator.snapshot(sid) == snapshot
