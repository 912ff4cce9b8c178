"""Filter views: the emulator's addFilterView/deleteFilterView, and 担当者サマリー's views on a
Google Sheet — one per rep on the register (and on 入力エラー for reps with errors), written in
the run's one batchUpdate, replaced on the next run, people's own filter views untouched —
all checked through the real gspread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import gspread
import pytest
from google.oauth2.service_account import Credentials

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.fixtures import emulator_http_client
from sheetsync.testing.load import cell_data, load_grids

AS_OF = dt.date(2026, 12, 4)
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
FIELDS = "sheets(properties(sheetId,title),filterViews)"
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
          "次回アクション", "次回アクション日", "最終接触日"]


@pytest.fixture
def gc(emulator: Emulator, service_account_key: Path) -> gspread.Client:
    creds = Credentials.from_service_account_file(str(service_account_key), scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))


def _views(sh: gspread.Spreadsheet) -> dict[str, list[dict[str, Any]]]:
    meta = sh.fetch_sheet_metadata({"fields": FIELDS})
    return {s["properties"]["title"]: s.get("filterViews", []) for s in meta["sheets"]}


def _ids(sh: gspread.Spreadsheet) -> dict[str, int]:
    meta = sh.fetch_sheet_metadata({"fields": FIELDS})
    return {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta["sheets"]}


# -- the emulator ---------------------------------------------------------------------------


def test_emulator_adds_and_deletes_filter_views(gc: gspread.Client, emulator: Emulator) -> None:
    sid = load_grids(emulator, {"案件一覧": Grid("案件一覧", [HEADER, ["D1"]])})
    sh = gc.open_by_key(sid)
    sheet_id = _ids(sh)["案件一覧"]
    spec = {"columnIndex": 3, "filterCriteria": {"condition": {
        "type": "TEXT_EQ", "values": [{"userEnteredValue": "佐藤"}]}}}
    reply = sh.batch_update({"requests": [
        {"addFilterView": {"filter": {"filterViewId": 77, "title": "佐藤の案件",
                                      "range": {"sheetId": sheet_id, "startRowIndex": 0},
                                      "filterSpecs": [spec]}}},
        {"addFilterView": {"filter": {"title": "all", "range": {"sheetId": sheet_id}}}},
    ]})
    added = reply["replies"][0]["addFilterView"]["filter"]
    assert added["filterViewId"] == 77 and added["title"] == "佐藤の案件"
    # bounded by the grid (sheet 0 is not named), criteria in both forms
    assert added["range"] == {"startRowIndex": 0, "endRowIndex": 100, "startColumnIndex": 0,
                              "endColumnIndex": 26}
    assert added["filterSpecs"] == [spec] and added["criteria"] == {
        "3": spec["filterCriteria"]}
    other = reply["replies"][1]["addFilterView"]["filter"]["filterViewId"]
    assert isinstance(other, int) and other != 77
    assert [v["filterViewId"] for v in _views(sh)["案件一覧"]] == [77, other]

    def refused(request: dict[str, Any], message: str) -> None:
        with pytest.raises(gspread.exceptions.APIError, match=message):
            sh.batch_update({"requests": [request]})

    refused({"addFilterView": {"filter": {"filterViewId": 77, "range": {"sheetId": sheet_id}}}},
            "already exists")
    refused({"addFilterView": {"filter": {"range": {"sheetId": sheet_id, "endColumnIndex": 2},
                                          "filterSpecs": [spec]}}}, "outside the range")
    refused({"deleteFilterView": {"filterId": 12345}}, "No filter view with id: 12345")
    # all or nothing: a batch that fails after a delete deletes nothing
    with pytest.raises(gspread.exceptions.APIError):
        sh.batch_update({"requests": [{"deleteFilterView": {"filterId": 77}},
                                      {"deleteFilterView": {"filterId": 12345}}]})
    assert len(_views(sh)["案件一覧"]) == 2
    sh.batch_update({"requests": [{"deleteFilterView": {"filterId": 77}}]})
    assert [v["filterViewId"] for v in _views(sh)["案件一覧"]] == [other]
    # a deleted sheet takes its filter views with it
    sh.add_worksheet("tmp", rows=5, cols=5)
    tmp = _ids(sh)["tmp"]
    sh.batch_update({"requests": [
        {"addFilterView": {"filter": {"filterViewId": 5, "range": {"sheetId": tmp}}}},
        {"deleteSheet": {"sheetId": tmp}},
        {"addFilterView": {"filter": {"filterViewId": 5, "range": {"sheetId": sheet_id}}}}]})
    assert sorted(v["filterViewId"] for v in _views(sh)["案件一覧"]) == sorted([other, 5])


# -- a run on Google ------------------------------------------------------------------------


def register(with_tanaka: bool) -> list[list[Any]]:
    rows: list[list[Any]] = [HEADER]
    rows += [
        ["D1", "基幹刷新", "ABC商事", "佐藤 健", "交渉", 1_200_000, dt.date(2026, 12, 15), "稟議",
         dt.date(2026, 12, 8), dt.date(2026, 12, 1)],
        ["D2", "保守", "DEF工業", "佐藤\u3000健", "提案", 800_000, dt.date(2026, 12, 20), "見積",
         dt.date(2026, 12, 9), dt.date(2026, 12, 2)],
        ["D3", "増設", "GHI物産", "鈴木", "見積提出", "abc", dt.date(2026, 12, 10), "訪問",
         dt.date(2026, 12, 9), dt.date(2026, 12, 2)],  # amount not readable: an error
    ]
    rows.append(["D4", "調査", "JKL", "田中", "リード", None, dt.date(2027, 1, 10), "電話",
                 dt.date(2026, 12, 9), dt.date(2026, 12, 2)] if with_tanaka else [])
    return rows


def _put_register(emulator: Emulator, sid: str, sheet_id: int, rows: list[list[Any]]) -> None:
    width = len(HEADER)
    emulator.batch_update(sid, [{"updateCells": {
        "range": {"sheetId": sheet_id},
        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
        "rows": [{"values": [cell_data(v) for v in [*r, *([None] * (width - len(r)))]]}
                 for r in rows]}}])


def _ours(views: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {v["title"]: v for v in views if v.get("title", "").startswith("sheetsync: ")}


def test_a_run_replaces_its_filter_views_and_leaves_peoples_alone(
        gc: gspread.Client, emulator: Emulator, service_account_key: Path,
        tmp_path: Path) -> None:
    sid = load_grids(emulator, {"案件一覧": Grid("案件一覧", register(True))})
    tmp_path.joinpath("key.json").write_bytes(service_account_key.read_bytes())
    config = parse_config(
        f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
        f"endpoint: '{emulator.base_url}'}}\n", tmp_path / "config.yaml")
    emulator.reset_log()
    pipeline.run(config, as_of=AS_OF)
    # still one write: the filter views ride in the run's batchUpdate
    assert emulator.log.count("spreadsheets.batchUpdate") == 1
    assert emulator.log.count(category="read") <= 2
    sh = gc.open_by_key(sid)
    ids = _ids(sh)
    register_id, errors_id = ids["案件一覧"], ids["入力エラー"]
    views = _views(sh)
    first = _ours(views["案件一覧"])
    assert set(first) == {"sheetsync: 佐藤 健の案件", "sheetsync: 鈴木の案件",
                          "sheetsync: 田中の案件"}
    sato = first["sheetsync: 佐藤 健の案件"]
    assert sato["range"]["startRowIndex"] == 0 and sato["range"].get("sheetId", 0) == register_id
    # both spellings typed in the register: a formula over 担当者 (column D) from row 2
    (spec,) = sato["filterSpecs"]
    assert spec["columnIndex"] == 3
    assert spec["filterCriteria"]["condition"] == {"type": "CUSTOM_FORMULA", "values": [
        {"userEnteredValue": '=OR($D2="佐藤 健",$D2="佐藤\u3000健")'}]}
    assert first["sheetsync: 鈴木の案件"]["filterSpecs"][0]["filterCriteria"] == {
        "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "鈴木"}]}}
    errors = _ours(views["入力エラー"])
    assert set(errors) == {"sheetsync: 鈴木の入力エラー"}
    (err_spec,) = errors["sheetsync: 鈴木の入力エラー"]["filterSpecs"]
    assert err_spec["columnIndex"] == 7 and errors["sheetsync: 鈴木の入力エラー"]["range"][
        "startRowIndex"] == 1  # under the note row
    # each name opens its view; the error count of 鈴木 opens theirs
    rows = sh.worksheet("担当者サマリー").get_all_values(value_render_option="FORMULA")
    names = {r[0] for r in rows[2:]}
    assert f'=HYPERLINK("#gid={register_id}&fvid={sato["filterViewId"]}","佐藤 健")' in names
    assert any(r[0].endswith('"チーム合計")') and "&range=A1" in r[0] for r in rows[2:])
    suzuki = next(r for r in rows[2:] if r[0].endswith('"鈴木")'))
    error_view = errors["sheetsync: 鈴木の入力エラー"]["filterViewId"]
    header = rows[1]
    assert suzuki[header.index("エラーの行")] == (
        f'=HYPERLINK("#gid={errors_id}&fvid={error_view}","入力エラーを見る")')

    # people make their own filter views, on the register and on 入力エラー
    mine = [{"addFilterView": {"filter": {"title": "佐藤の案件（自分用）",
                                          "range": {"sheetId": register_id}}}},
            {"addFilterView": {"filter": {"title": "sheetsync", "range": {"sheetId": errors_id},
                                          "filterSpecs": [err_spec]}}}]
    sh.batch_update({"requests": mine})
    people = {v["filterViewId"]: v for tab in ("案件一覧", "入力エラー")
              for v in _views(sh)[tab] if not v.get("title", "").startswith("sheetsync: ")}
    assert len(people) == 2

    # 田中 leaves the register; the next run replaces sheetsync's views, and only those
    _put_register(emulator, sid, register_id, register(False))
    emulator.reset_log()
    pipeline.run(config, as_of=AS_OF)
    assert emulator.log.count("spreadsheets.batchUpdate") == 1
    views = _views(sh)
    second = _ours(views["案件一覧"])
    assert set(second) == {"sheetsync: 佐藤 健の案件", "sheetsync: 鈴木の案件"}
    # the same ids from run to run: a bookmarked link keeps working
    assert {t: v["filterViewId"] for t, v in second.items()} == {
        t: first[t]["filterViewId"] for t in second}
    assert set(_ours(views["入力エラー"])) == {"sheetsync: 鈴木の入力エラー"}
    after = {v["filterViewId"]: v for tab in ("案件一覧", "入力エラー") for v in _views(sh)[tab]
             if not v.get("title", "").startswith("sheetsync: ")}
    assert after == people
    # a dry run writes nothing, filter views included
    pipeline.run(config, as_of=AS_OF, dry_run=True)
    assert _views(sh) == views


def test_a_filter_view_on_a_staged_new_tab_sits_on_its_final_sheet(
        emulator: Emulator, service_account_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big new tab is written through a hidden staging tab that becomes the tab: the view
    on it, and the link to the view, use that sheet's id."""
    from sheetsync.backends.google import GoogleBackend
    from sheetsync.backends.google import write as google_write
    from sheetsync.backends.google.credentials import credentials_from_file
    from sheetsync.tabspec import Column, FilterLink, FilterView, TabSpec

    sid = load_grids(emulator, {"案件一覧": Grid("案件一覧", [HEADER, ["D1"]])})
    backend = GoogleBackend(sid, credentials_from_file(service_account_key),
                            endpoint=emulator.base_url, register_tab="案件一覧")
    big = TabSpec("大きい表", [Column("owner", "担当者"), Column("text", "本文")],
                  [[f"rep{i % 3}", "あ" * 40] for i in range(400)], note="big")
    view = FilterView("big:rep1", "rep1の行", "大きい表", 2, 0, ("rep1",))
    summary = TabSpec("サマリー", [Column("link", "見る")],
                      [[FilterLink("rep1", "大きい表", "A2", view=view.key)]],
                      filter_views=(view,))
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", 20_000)
    emulator.reset_log()
    backend.write([big, summary], backend.read(["案件一覧"]))
    assert emulator.log.count("values.batchUpdate") >= 1  # it was staged
    ss = emulator.get_spreadsheet(sid, include_grid_data=True)
    sheets = {s["properties"]["title"]: s for s in ss["sheets"]}
    assert "大きい表~sheetsync" not in sheets
    big_id = sheets["大きい表"]["properties"]["sheetId"]
    (stored,) = sheets["大きい表"]["filterViews"]
    assert stored["title"] == "sheetsync: rep1の行" and stored["range"]["sheetId"] == big_id
    link = sheets["サマリー"]["data"][0]["rowData"][1]["values"][0]["userEnteredValue"]
    assert link == {"formulaValue":
                    f'=HYPERLINK("#gid={big_id}&fvid={stored["filterViewId"]}","rep1")'}
