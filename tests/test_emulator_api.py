"""The Python side of the emulator: seeding data, reading it back, accounts, lifecycle."""

from __future__ import annotations

import requests

from sheetsync.testing.emulator import Emulator


def test_create_spreadsheet_with_tabs_and_typed_values(emulator: Emulator) -> None:
    rows = [
        ["案件ID", "見込金額", "受注予定日", "受注確率"],
        ["D-1", "1,200,000", "2026/3/31", "80%"],
    ]
    sid = emulator.create_spreadsheet(
        "Deals", {"案件一覧": rows, "目標": [["期間"]]}, rows=5, cols=4
    )
    meta = emulator.get_spreadsheet(sid)
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["案件一覧", "目標"]
    assert meta["sheets"][0]["properties"]["sheetId"] == 0
    assert meta["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 5, "columnCount": 4}
    assert emulator.get_values(
        sid, "'案件一覧'!A2:D2", value_render_option="UNFORMATTED_VALUE"
    ) == [["D-1", 1200000, 46112, 0.8]]
    assert emulator.get_values(sid, "'案件一覧'!A2:D2") == [
        ["D-1", "1,200,000", "2026/3/31", "80%"]
    ]


def test_set_values_batch_update_and_snapshot(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("x", owner="owner@example.com", spreadsheet_id="fixed-id")
    assert sid == "fixed-id" and emulator.spreadsheet_ids() == ["fixed-id"]
    before = emulator.snapshot(sid)
    emulator.set_values(sid, "B2", [['=HYPERLINK("https://example.com", "link")']])
    cell = emulator.snapshot(sid)["sheets"][0]["data"][0]["rowData"][1]["values"][1]
    assert cell["formattedValue"] == "link" and cell["hyperlink"] == "https://example.com"
    replies = emulator.batch_update(sid, [{"addSheet": {"properties": {"title": "new"}}}])
    assert replies[0]["addSheet"]["properties"]["title"] == "new"
    assert emulator.snapshot(sid) != before
    assert len(emulator.log) == 0  # direct calls are not HTTP requests


def test_issue_token_and_share(emulator: Emulator) -> None:
    emulator.strict_auth = True
    info = emulator.make_service_account("reader@example.iam.gserviceaccount.com")
    sid = emulator.create_spreadsheet("x", owner="owner@example.com")
    token = emulator.issue_token(info["client_email"])
    url = f"{emulator.base_url}/v4/spreadsheets/{sid}"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 403
    emulator.share(sid, info["client_email"], "reader")
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    emulator.unshare(sid, info["client_email"])
    assert requests.get(url, headers=headers, timeout=10).status_code == 403


def test_independent_emulators_and_fixed_port_reuse() -> None:
    with Emulator(strict_auth=True) as one, Emulator() as two:
        assert one.base_url != two.base_url and one.strict_auth and not two.strict_auth
        one.create_spreadsheet("only in one")
        assert two.spreadsheet_ids() == []
        port = one.port
    with Emulator(port) as again:
        assert again.base_url == f"http://127.0.0.1:{port}"
