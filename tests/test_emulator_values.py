"""Values, ranges, number formats, formulas and field masks of the Sheets API emulator."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sheetsync.testing.emulator import Emulator, fieldmask
from sheetsync.testing.emulator.a1 import Bounds, parse_cells, quote_title, split_sheet
from sheetsync.testing.emulator.numfmt import format_value, general
from sheetsync.testing.emulator.values import parse_user_entered


class Values:
    def __init__(self, emulator: Emulator, sid: str) -> None:
        self.base = f"{emulator.base_url}/v4/spreadsheets/{sid}/values"
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer test"

    def get(self, rng: str, **params: Any) -> requests.Response:
        return self.session.get(
            f"{self.base}/{requests.utils.quote(rng, safe='')}", params=params, timeout=10
        )

    def put(
        self, rng: str, values: Any, option: str = "USER_ENTERED", **body: Any
    ) -> requests.Response:
        return self.session.put(
            f"{self.base}/{requests.utils.quote(rng, safe='')}",
            params={"valueInputOption": option},
            json={"values": values, **body},
            timeout=10,
        )

    def append(self, rng: str, values: Any, **params: Any) -> requests.Response:
        params.setdefault("valueInputOption", "RAW")
        return self.session.post(
            f"{self.base}/{requests.utils.quote(rng, safe='')}:append",
            params=params,
            json={"values": values},
            timeout=10,
        )


@pytest.fixture
def sid(emulator: Emulator) -> str:
    return emulator.create_spreadsheet("t", ["Sheet1", "My 'tab'"], rows=20, cols=8)


@pytest.fixture
def v(emulator: Emulator, sid: str) -> Values:
    return Values(emulator, sid)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("A1", Bounds(0, 1, 0, 1)),
        ("$B$2:C3", Bounds(1, 3, 1, 3)),
        ("D4:A1", Bounds(0, 4, 0, 4)),
        ("A:C", Bounds(None, None, 0, 3)),
        ("2:5", Bounds(1, 5, None, None)),
        ("B2:C", Bounds(1, None, 1, 3)),
        ("A2:2", Bounds(1, 2, 0, None)),
        ("Sheet1", None),
        ("A0", None),
        ("1", None),
    ],
)
def test_a1_cells(text: str, bounds: Bounds | None) -> None:
    assert parse_cells(text) == bounds


def test_a1_tab_names() -> None:
    assert split_sheet("'My ''tab'''!A1:B2") == ("My 'tab'", "A1:B2")
    assert split_sheet("Sheet1") == (None, "Sheet1")
    assert [quote_title(t) for t in ("Sheet1", "Sheet 1", "D3", "I'm", "案件一覧")] == [
        "Sheet1",
        "'Sheet 1'",
        "'D3'",
        "'I''m'",
        "案件一覧",
    ]


@pytest.mark.parametrize(
    ("typed", "stored", "number_format"),
    [
        ("1,200,000", {"numberValue": 1200000.0}, {"type": "NUMBER", "pattern": "#,##0"}),
        ("2,000,000.01", {"numberValue": 2000000.01}, {"type": "NUMBER", "pattern": "#,##0.00"}),
        ("80%", {"numberValue": 0.8}, {"type": "PERCENT", "pattern": "0%"}),
        ("$1,234.5", {"numberValue": 1234.5}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}),
        ("2026/3/31", {"numberValue": 46112.0}, {"type": "DATE", "pattern": "yyyy/m/d"}),
        ("2026-03-05", {"numberValue": 46086.0}, {"type": "DATE", "pattern": "yyyy-mm-dd"}),
        (
            "2026-03-31 10:30",
            {"numberValue": 46112.4375},
            {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"},
        ),
        ("12.5", {"numberValue": 12.5}, None),
        ("-5", {"numberValue": -5.0}, None),
        ("true", {"boolValue": True}, None),
        ("'=1+1", {"stringValue": "=1+1"}, None),
        ("=A1*2", {"formulaValue": "=A1*2"}, None),
        ("2026/2/30", {"stringValue": "2026/2/30"}, None),
        ("12,34,5", {"stringValue": "12,34,5"}, None),
        ("120万円", {"stringValue": "120万円"}, None),
        ("3/31", {"stringValue": "3/31"}, None),
    ],
)
def test_user_entered_parsing(
    typed: str, stored: dict[str, Any], number_format: dict[str, str] | None
) -> None:
    assert parse_user_entered(typed) == (stored, number_format)


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (1234.5, None, "1234.5"),
        (2.0, None, "2"),
        (1 / 3, None, "0.3333333333"),
        (1e20, None, "1E+20"),
        (1234567, {"type": "NUMBER", "pattern": "#,##0"}, "1,234,567"),
        (1200000, {"type": "CURRENCY", "pattern": "¥#,##0"}, "¥1,200,000"),
        (1200000, {"type": "CURRENCY", "pattern": "[$¥-411]#,##0"}, "¥1,200,000"),
        (0.625, {"type": "PERCENT", "pattern": "0.0%"}, "62.5%"),
        (-1234.5, {"type": "NUMBER", "pattern": "#,##0.00;(#,##0.00)"}, "(1,234.50)"),
        (46112, {"type": "DATE", "pattern": "yyyy/mm/dd"}, "2026/03/31"),
        (46112, {"type": "DATE", "pattern": "yyyy-mm-dd"}, "2026-03-31"),
        (46112.75, {"type": "DATE_TIME", "pattern": "yyyy-mm-dd h:mm am/pm"}, "2026-03-31 6:00 PM"),
        (43831, {"type": "DATE"}, "1/1/2020"),
        (12345.678, {"type": "SCIENTIFIC"}, "1.23E+04"),
    ],
)
def test_number_formats(value: float, fmt: dict[str, str] | None, shown: str) -> None:
    assert format_value(value, fmt) == shown


def test_general_format_never_shows_float_noise() -> None:
    assert general(0.1 + 0.2) == "0.3" and general(-0.0) == "0" and general(1e-12) == "1E-12"


def test_field_mask_syntax() -> None:
    mask = fieldmask.parse("sheets(properties(sheetId,title)),properties.title,sheets/data/rowData")
    doc = {
        "spreadsheetId": "x",
        "properties": {"title": "T", "locale": "en_US"},
        "sheets": [
            {
                "properties": {"sheetId": 0, "title": "A", "index": 0},
                "data": [{"rowData": [], "rowMetadata": []}],
                "merges": [],
            }
        ],
    }
    assert fieldmask.apply(doc, mask) == {
        "properties": {"title": "T"},
        "sheets": [{"properties": {"sheetId": 0, "title": "A"}, "data": [{"rowData": []}]}],
    }
    assert fieldmask.paths("gridProperties/rowCount,title") == [
        ["gridProperties", "rowCount"],
        ["title"],
    ]


def test_trimming_and_ranges(v: Values) -> None:
    assert (
        v.put("A1", [["a", "", "c"], ["", "", ""], ["", "b"]]).json()["updatedRange"]
        == "Sheet1!A1:C3"
    )
    assert v.get("Sheet1").json() == {
        "range": "Sheet1!A1:H20",
        "majorDimension": "ROWS",
        "values": [["a", "", "c"], [], ["", "b"]],
    }
    assert v.get("A1:C3", majorDimension="COLUMNS").json()["values"] == [
        ["a"],
        ["", "", "b"],
        ["c"],
    ]
    assert v.get("B:B").json() == {
        "range": "Sheet1!B1:B20",
        "majorDimension": "ROWS",
        "values": [[], [], ["b"]],
    }
    assert v.get("E5:F9").json() == {"range": "Sheet1!E5:F9", "majorDimension": "ROWS"}
    assert v.get("3:3").json()["range"] == "Sheet1!A3:H3"


def test_quoted_tab_names_and_bad_ranges(v: Values) -> None:
    assert v.put("'My ''tab'''!B2", [["x"]]).json()["updatedRange"] == "'My ''tab'''!B2"
    assert v.get("'my ''TAB'''!A1:B2").json()["values"] == [[], ["", "x"]]
    r = v.get("Nope!A1")
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": 400,
            "message": "Unable to parse range: Nope!A1",
            "status": "INVALID_ARGUMENT",
        }
    }
    r = v.get("A21")
    assert r.status_code == 400
    assert (
        r.json()["error"]["message"]
        == "Range (Sheet1!A21) exceeds grid limits. Max rows: 20, max columns: 8"
    )


def test_write_limits_and_errors(v: Values) -> None:
    r = v.put("A1:B1", [["a", "b", "c"]])
    assert r.status_code == 400 and "tried writing to column [C]" in r.json()["error"]["message"]
    r = v.put("A19", [["a"], ["b"], ["c"]])
    assert r.status_code == 400 and "exceeds grid limits" in r.json()["error"]["message"]
    r = v.session.put(f"{v.base}/A1", json={"values": [["a"]]}, timeout=10)
    assert (
        r.json()["error"]["message"] == "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"
    )
    r = v.session.post(
        f"{v.base}:batchUpdate",
        json={"valueInputOption": "RAW", "data": [{"range": "Nope!A1", "values": [["x"]]}]},
        timeout=10,
    )
    assert r.json()["error"]["message"] == "Invalid data[0]: Unable to parse range: Nope!A1"


def test_null_skips_and_empty_string_clears(v: Values) -> None:
    v.put("A1", [["a", "b", "c"]])
    body = v.put("A1", [[None, "", "C"]]).json()
    assert (body["updatedCells"], body["updatedColumns"]) == (2, 2)
    assert v.get("A1:C1").json()["values"] == [["a", "", "C"]]


def test_formulas(v: Values) -> None:
    v.put(
        "A1",
        [
            [
                2,
                3,
                "=A1*B1+1",
                "=SUM(A1:C1)",
                '=HYPERLINK("https://x.test/#gid=0", "D-1")',
                "=VLOOKUP(1,A:B,2)",
                "=1/0",
                "='My ''tab'''!A1&\"!\"",
            ]
        ],
    )
    v.put("'My ''tab'''!A1", [["hi"]])
    shown = v.get("A1:H1").json()["values"][0]
    assert shown == ["2", "3", "7", "12", "D-1", "#ERROR!", "#DIV/0!", "hi!"]
    assert v.get("C1:D1", valueRenderOption="UNFORMATTED_VALUE").json()["values"] == [[7, 12]]
    assert v.get("F1", valueRenderOption="FORMULA").json()["values"] == [["=VLOOKUP(1,A:B,2)"]]


def test_append_finds_the_table_and_grows_the_grid(v: Values, emulator: Emulator, sid: str) -> None:
    v.put("A1", [["ID", "Name"], ["D-1", "Acme"]])
    r = v.append("Sheet1", [["D-2", "Beta"]]).json()
    assert r["tableRange"] == "Sheet1!A1:B2" and r["updates"]["updatedRange"] == "Sheet1!A3:B3"
    many = [[f"D-{i}", "x"] for i in range(3, 25)]
    r = v.append("Sheet1!A1", many).json()
    assert r["updates"]["updatedRange"] == "Sheet1!A4:B25"
    assert (
        emulator.get_spreadsheet(sid)["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 25
    )
    r = v.append(
        "A1", [["D-99", "y"]], insertDataOption="INSERT_ROWS", includeValuesInResponse="true"
    ).json()
    assert r["updates"]["updatedData"] == {
        "range": "Sheet1!A26:B26",
        "majorDimension": "ROWS",
        "values": [["D-99", "y"]],
    }
    wide = v.append("A1", [list("abcdefghij")]).json()
    assert wide["updates"]["updatedRange"] == "Sheet1!A27:J27"
    assert emulator.get_spreadsheet(sid)["sheets"][0]["properties"]["gridProperties"] == {
        "rowCount": 27,
        "columnCount": 10,
    }


def test_batch_get_and_batch_clear(v: Values) -> None:
    v.put("A1", [["a", "b"], ["c", "d"]])
    got = v.session.get(
        f"{v.base}:batchGet",
        params={"ranges": ["A1:A2", "B2"], "majorDimension": "COLUMNS"},
        timeout=10,
    ).json()
    assert [vr["values"] for vr in got["valueRanges"]] == [[["a", "c"]], [["d"]]]
    cleared = v.session.post(
        f"{v.base}:batchClear", json={"ranges": ["A1", "B:B"]}, timeout=10
    ).json()
    assert cleared["clearedRanges"] == ["Sheet1!A1", "Sheet1!B1:B20"]
    assert v.get("Sheet1").json()["values"] == [[], ["c"]]


def test_na_is_the_na_error(v: Values, emulator: Emulator, sid: str) -> None:
    v.put("A1", [["=NA()", "=IF(1>0, 5, NA())", "=IF(1<0, 5, NA())", "=A1", "=NA(1)", "=1/0"]])
    assert v.get("A1:F1").json()["values"] == [["#N/A", "5", "#N/A", "#N/A", "#N/A", "#DIV/0!"]]
    unformatted = v.get("A1:C1", valueRenderOption="UNFORMATTED_VALUE").json()["values"]
    assert unformatted == [["#N/A", 5, "#N/A"]]
    cell = emulator.snapshot(sid)["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["effectiveValue"] == {
        "errorValue": {"type": "N_A", "message": "Value not available."}
    }
    assert cell["formattedValue"] == "#N/A"


def test_values_batch_update_totals_count_each_cell_once(v: Values) -> None:
    r = v.session.post(
        f"{v.base}:batchUpdate",
        json={
            "valueInputOption": "RAW",
            "data": [
                {"range": "A1:B2", "values": [["a", "b"], [None, "d"]]},
                {"range": "B2:C3", "values": [["x", "y"], ["z", ""]]},
                {"range": "E5", "values": [["e"]]},
            ],
        },
        timeout=10,
    )
    body = r.json()
    assert (
        body["totalUpdatedRows"],
        body["totalUpdatedColumns"],
        body["totalUpdatedCells"],
        body["totalUpdatedSheets"],
    ) == (4, 4, 7, 1)  # B2 was written twice
    assert [x["updatedCells"] for x in body["responses"]] == [3, 4, 1]
