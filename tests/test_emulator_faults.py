"""Fault injection, hooks and the request log of the Sheets API emulator."""

from __future__ import annotations

import types
from pathlib import Path

import gspread
import gspread.http_client
import pytest
import requests
from google.oauth2.service_account import Credentials

from sheetsync.testing.emulator import Emulator
from sheetsync.testing.fixtures import emulator_http_client

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


def client(
    emulator: Emulator, key: Path, base: type[gspread.HTTPClient] = gspread.HTTPClient
) -> gspread.Client:
    creds = Credentials.from_service_account_file(str(key), scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url, base))


def api(emulator: Emulator, method: str, path: str, **kwargs: object) -> requests.Response:
    headers = {"Authorization": "Bearer test"}
    return requests.request(method, emulator.base_url + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_429_storm_then_success_with_gspread_backoff(
    emulator: Emulator, service_account_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = emulator.create_spreadsheet("Deals", {"Sheet1": [["a", "b"]]})
    slept: list[float] = []
    monkeypatch.setattr(gspread.http_client, "time", types.SimpleNamespace(sleep=slept.append))
    ws = client(emulator, service_account_key, gspread.BackOffHTTPClient).open_by_key(sid).sheet1
    emulator.reset_log()
    emulator.faults.fail_next(3, 429)
    assert ws.get_all_values() == [["a", "b"]]
    assert slept == [2, 4, 8]
    assert [e.status for e in emulator.log] == [429, 429, 429, 200]
    assert emulator.log.count("values.get", status=429) == 3


def test_429_answer_shape(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    emulator.faults.fail_next(2, 429, retry_after=7)
    r = api(emulator, "GET", f"/v4/spreadsheets/{sid}/values/A1")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    error = r.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
    assert error["message"].startswith("Quota exceeded for quota metric 'Read requests'")
    r = api(emulator, "POST", f"/v4/spreadsheets/{sid}/values/A1:clear")
    assert "'Write requests per minute per user'" in r.json()["error"]["message"]
    assert api(emulator, "GET", f"/v4/spreadsheets/{sid}/values/A1").status_code == 200


@pytest.mark.parametrize(("status", "name"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_failed_batch_update_leaves_the_spreadsheet_unchanged(
    emulator: Emulator, service_account_key: Path, status: int, name: str
) -> None:
    sid = emulator.create_spreadsheet("Deals", {"案件一覧": [["案件ID", "金額"], ["D-1", "100"]]})
    before = emulator.snapshot(sid)
    sh = client(emulator, service_account_key).open_by_key(sid)
    emulator.faults.fail_next_batch_update(status)
    body = {
        "requests": [
            {"addSheet": {"properties": {"title": "売上予測"}}},
            {
                "updateCells": {
                    "start": {"sheetId": 0},
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                    "fields": "*",
                }
            },
        ]
    }
    with pytest.raises(gspread.exceptions.APIError) as err:
        sh.batch_update(body)
    assert err.value.response.status_code == status
    assert err.value.response.json()["error"]["status"] == name
    assert emulator.snapshot(sid) == before
    sh.batch_update(body)  # the fault was used up
    assert emulator.get_values(sid, "'案件一覧'!A1") == [["x"]]


def test_disconnect_then_success(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    emulator.faults.disconnect_next(1)
    with pytest.raises(requests.ConnectionError):
        api(emulator, "GET", f"/v4/spreadsheets/{sid}")
    assert api(emulator, "GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert [e.fault for e in emulator.log] == ["disconnect", None]


def test_latency_is_added_and_requests_still_answer(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    emulator.faults.latency = 0.001
    assert api(emulator, "GET", f"/v4/spreadsheets/{sid}").status_code == 200


def test_fault_kinds_filter(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    emulator.faults.fail_next(1, 500, kinds={"values.batchGet"})
    assert api(emulator, "GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert (
        api(
            emulator, "GET", f"/v4/spreadsheets/{sid}/values:batchGet", params={"ranges": "A1"}
        ).status_code
        == 500
    )
    assert emulator.faults.pending() == 0


def test_request_log_counts_reads_and_writes(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    api(emulator, "GET", f"/v4/spreadsheets/{sid}", params={"fields": "sheets.properties.title"})
    api(emulator, "GET", f"/v4/spreadsheets/{sid}/values:batchGet", params={"ranges": ["A1", "B2"]})
    api(
        emulator,
        "POST",
        f"/v4/spreadsheets/{sid}:batchUpdate",
        json={"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}]},
    )
    assert (emulator.log.reads, emulator.log.writes) == (2, 1)
    assert emulator.log.counts() == {
        "spreadsheets.get": 1,
        "values.batchGet": 1,
        "spreadsheets.batchUpdate": 1,
    }
    entry = emulator.log.entries[-1]
    assert entry.spreadsheet_id == sid and entry.method == "POST" and entry.status == 200
    assert entry.body["requests"][0]["appendDimension"]["length"] == 1
    emulator.reset_log()
    assert len(emulator.log) == 0


def test_hook_edits_between_read_and_write(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x", {"Sheet1": [["rep's value"]]})
    emulator.on_next(
        "spreadsheets.batchUpdate", lambda: emulator.set_values(sid, "A2", [["typed meanwhile"]])
    )
    body = {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 1}}]}
    assert (
        api(emulator, "POST", f"/v4/spreadsheets/{sid}:batchUpdate", json=body).status_code == 200
    )
    assert emulator.get_values(sid, "A1:A2") == [["rep's value"], ["typed meanwhile"]]


def test_disconnect_after_apply_applies_the_write_then_drops_the_answer(
    emulator: Emulator,
) -> None:
    sid = emulator.create_spreadsheet("x", {"Sheet1": [["old"]]})
    emulator.faults.disconnect_after_apply(1, kinds={"values.update", "spreadsheets.batchUpdate"})
    assert api(emulator, "GET", f"/v4/spreadsheets/{sid}/values/A1").status_code == 200
    with pytest.raises(requests.ConnectionError):
        api(
            emulator,
            "PUT",
            f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=RAW",
            json={"values": [["new"]]},
        )
    assert emulator.get_values(sid, "A1") == [["new"]]  # applied, although unanswered
    assert emulator.faults.pending() == 0
    entries = emulator.log.entries
    assert [(e.kind, e.status, e.fault) for e in entries] == [
        ("values.get", 200, None),
        ("values.update", 200, "disconnect after apply"),
    ]
    assert entries[1].body == {"values": [["new"]]}
    # the next request is answered as usual
    body = {"requests": [{"addSheet": {"properties": {"title": "more"}}}]}
    r = api(emulator, "POST", f"/v4/spreadsheets/{sid}:batchUpdate", json=body)
    assert r.status_code == 200


def test_disconnect_after_apply_of_a_failing_write_changes_nothing(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x")
    before = emulator.snapshot(sid)
    emulator.faults.disconnect_after_apply(kinds={"spreadsheets.batchUpdate"})
    body = {"requests": [{"deleteSheet": {"sheetId": 12345}}]}
    with pytest.raises(requests.ConnectionError):
        api(emulator, "POST", f"/v4/spreadsheets/{sid}:batchUpdate", json=body)
    assert emulator.snapshot(sid) == before
    assert [(e.status, e.fault) for e in emulator.log] == [(400, "disconnect after apply")]


def test_disconnect_after_apply_with_gspread(emulator: Emulator, service_account_key: Path) -> None:
    sid = emulator.create_spreadsheet("Deals", {"案件一覧": [["案件ID"]]})
    sh = client(emulator, service_account_key).open_by_key(sid)
    emulator.faults.disconnect_after_apply(kinds={"spreadsheets.batchUpdate"})
    with pytest.raises(requests.ConnectionError):
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "売上予測"}}}]})
    assert [s["properties"]["title"] for s in emulator.get_spreadsheet(sid)["sheets"]] == [
        "案件一覧",
        "売上予測",
    ]
