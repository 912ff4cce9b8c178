"""The Google backend: real gspread + google-auth over HTTP against the Sheets API emulator."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend, spreadsheet_key
from sheetsync.backends.google import http_client as google_http
from sheetsync.backends.google import write as google_write
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.cli import cli
from sheetsync.config import parse_config
from sheetsync.errors import (
    AccessDeniedError,
    BackendError,
    ConfigError,
    CredentialsError,
    FileChangedError,
    LeaseHeldError,
    NotFoundError,
    QuotaError,
)
from sheetsync.grid import PercentValue
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, TabSpec
from sheetsync.testing.emulator import Emulator

REGISTER = "案件一覧"
AS_OF = "2026-05-01"


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(google_http, "BACKOFF_BASE_SECONDS", 0.01)


def make_backend(emulator: Emulator, key: Path, sid: str, **kwargs: Any) -> GoogleBackend:
    return GoogleBackend(sid, credentials_from_file(key), endpoint=emulator.base_url, **kwargs)


def sheet_of(emulator: Emulator, sid: str, title: str, grid: bool = True) -> dict[str, Any]:
    ss = emulator.get_spreadsheet(sid, include_grid_data=grid)
    return next(s for s in ss["sheets"] if s["properties"]["title"] == title)


def cells(sheet: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [row.get("values", []) for row in sheet["data"][0].get("rowData", [])]


def register_sid(emulator: Emulator) -> str:
    """A spreadsheet with the register (sheetId 0), a rep's memo tab and an owned tab."""
    sid = emulator.create_spreadsheet("案件管理", {
        REGISTER: [["案件ID", "顧客名", "金額"], ["D-1", "株式会社ミライ", 1200000],
                   ["D-2", "=IMPORTXML(\"x\")", "120万円"]],
        "メモ": [["rep notes", "=1+1"]],
        "売上予測": [["old forecast"], ["stale value", 1]],
    }, value_input_option="RAW")
    emulator.batch_update(sid, [{"addConditionalFormatRule": {"index": 0, "rule": {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 2,
                    "endColumnIndex": 3}],
        "booleanRule": {"condition": {"type": "NOT_BLANK"},
                        "format": {"backgroundColor": {"red": 1}}}}}}])
    return sid


def sample_tab(note: str | None = "as of 2026-05-01", hidden: bool = False) -> TabSpec:
    columns = [Column("id", "案件ID"), Column("name", "顧客名（長い見出し）"),
               Column("amount", "金額", "money"), Column("rate", "率", "ratio"),
               Column("n", "件数", "int"), Column("x", "平均", "number"),
               Column("day", "日付", "date"), Column("at", "日時", "datetime"),
               Column("flag", "済", "text")]
    rows = [
        [Link("D-1", REGISTER, "A2"), "=IMPORTXML(\"http://x\")", 1200000, 0.625, 3, 2.5,
         dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 10, 30), True],
        [Link('say "hi"', REGISTER, "A3"), "+81 3", 0, None, 0, None, None, None, False],
        ["total", "", 1200000, 1.25, 3, None, None, None, dt.date(2026, 4, 1)],
    ]
    return TabSpec(
        name="テスト集計", columns=columns, rows=rows, note=note, hidden=hidden,
        conditional=[CondFormat("rate", "lt", 1.0), CondFormat("amount", "gt", 0),
                     CondFormat("name", "contains", "IMPORT"),
                     CondFormat("flag", "eq", "x", fill="#FFF3CD"),
                     CondFormat("x", "lt", threshold_column="n", font="#9C0006")],
        chart=ChartSpec("金額と件数", "id", ("amount", "n"), (0, 2)),
        freeze_columns=1,
    )


# -- reading ------------------------------------------------------------------------------

def test_read_gives_typed_grids(emulator: Emulator, service_account_key: Path) -> None:
    sid = emulator.create_spreadsheet("T", {"シート": [
        ["日付", "日時", "率", "整数", "小数", "真偽", "文字", "誤り", "時刻"],
        ["2026/3/31", "2026/3/31 10:30", "80%", 5, 1.5, True, "'007", "=1/0", "12:00"],
        [],
        ["", "末尾", "", None, ""],
        [1e15, 2.0, -0.25],
        ["", "", ""],
    ]})
    emulator.set_values(sid, "'シート'!G3", [["=IMPORTXML(\"x\")"]], value_input_option="RAW")
    read = make_backend(emulator, service_account_key, sid).read(["シート", "absent"])
    assert list(read.grids) == ["シート"]
    rows = read.grids["シート"].rows
    assert rows[1][:7] == [dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 10, 30),
                           PercentValue(0.8), 5, 1.5, True, "007"]
    assert isinstance(rows[1][2], PercentValue) and type(rows[1][3]) is int
    assert rows[1][7] == "#DIV/0!" and rows[1][8] == dt.datetime(1899, 12, 30, 12, 0)
    assert rows[2] == [None] * 6 + ["=IMPORTXML(\"x\")"]
    assert rows[3] == [None, "末尾"]
    assert rows[4] == [10**15, 2, -0.25] and type(rows[4][1]) is int
    assert len(rows) == 5  # trailing blank rows trimmed
    info = read.tab("シート")
    assert info is not None and info.tab_id == 0 and info.index == 0 and not info.hidden
    assert read.title == "T" and len(read.version) == 64
    assert emulator.log.reads == 2


def test_read_skips_the_values_request_when_no_tab_is_wanted(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    read = make_backend(emulator, service_account_key, sid).read(["nothing here"])
    assert read.grids == {} and [t.name for t in read.tabs] == [REGISTER, "メモ", "売上予測"]
    assert emulator.log.reads == 1
    assert emulator.log.count("spreadsheets.get") == 1


def test_version_changes_with_the_values(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid)
    first = backend.read([REGISTER]).version
    assert backend.read([REGISTER]).version == first
    emulator.set_values(sid, f"{REGISTER}!B2", [["changed"]])
    assert backend.read([REGISTER]).version != first


def test_open_by_url_and_describe_and_link(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    url = f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0"
    backend = make_backend(emulator, service_account_key, url)
    read = backend.read([REGISTER])
    assert backend.key == sid
    assert backend.describe() == f"https://docs.google.com/spreadsheets/d/{sid}/edit"
    assert backend.link(read, REGISTER, "C7") == "#gid=0&range=C7"
    with pytest.raises(ConfigError, match="not a spreadsheet key"):
        spreadsheet_key("my sheet")


# -- writing ------------------------------------------------------------------------------

def test_write_renders_values_formats_links_rules_and_chart(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    result = backend.write([sample_tab()], backend.read([REGISTER]))
    assert result.tabs == ["テスト集計"] and result.requests == 1
    assert result.location == backend.describe()
    assert emulator.log.count("spreadsheets.batchUpdate") == 1

    sheet = sheet_of(emulator, sid, "テスト集計")
    props = sheet["properties"]
    assert props["index"] == 3 and not props.get("hidden")
    assert props["gridProperties"]["frozenRowCount"] == 2
    assert props["gridProperties"]["frozenColumnCount"] == 1
    grid = cells(sheet)
    note, header, first, second, third = grid[:5]
    assert note[0]["userEnteredFormat"]["textFormat"]["italic"] is True
    assert header[0]["userEnteredValue"] == {"stringValue": "案件ID"}
    assert header[0]["userEnteredFormat"]["textFormat"]["bold"] is True
    assert "backgroundColor" in header[0]["userEnteredFormat"]
    assert first[0]["userEnteredValue"] == {
        "formulaValue": '=HYPERLINK("#gid=0&range=A2","D-1")'}
    assert first[0]["effectiveValue"] == {"stringValue": "D-1"}
    assert second[0]["userEnteredValue"]["formulaValue"].endswith(',"say ""hi""")')
    assert first[1]["userEnteredValue"] == {"stringValue": "=IMPORTXML(\"http://x\")"}
    assert second[1]["userEnteredValue"] == {"stringValue": "+81 3"}
    assert first[2]["userEnteredFormat"]["numberFormat"] == {"type": "CURRENCY",
                                                             "pattern": "¥#,##0"}
    assert first[3]["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT",
                                                             "pattern": "0.0%"}
    assert first[4]["userEnteredFormat"]["numberFormat"]["pattern"] == "#,##0"
    assert first[6]["userEnteredValue"] == {"numberValue": 46112}
    assert first[6]["userEnteredFormat"]["numberFormat"] == {"type": "DATE",
                                                             "pattern": "yyyy/mm/dd"}
    assert first[7]["userEnteredFormat"]["numberFormat"]["pattern"] == "yyyy/mm/dd hh:mm"
    assert first[8]["userEnteredValue"] == {"boolValue": True}
    # a date in a text column gets a date format of its own
    assert third[8]["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert "userEnteredValue" not in third[1]  # "" is an empty cell

    widths = [c.get("pixelSize") for c in sheet["data"][0]["columnMetadata"][:9]]
    assert widths[1] > widths[0] > 40  # CJK characters count double

    rules = sheet["conditionalFormats"]
    assert [r["booleanRule"]["condition"]["type"] for r in rules] == [
        "CUSTOM_FORMULA", "CUSTOM_FORMULA", "TEXT_CONTAINS", "TEXT_EQ", "CUSTOM_FORMULA"]
    assert rules[0]["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == \
        "=AND(ISNUMBER(D3),D3<1)"
    assert rules[4]["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == \
        "=AND(ISNUMBER(F3),ISNUMBER(E3),F3<E3)"
    assert rules[0]["ranges"][0]["startRowIndex"] == 2 and rules[0]["ranges"][0]["endRowIndex"] == 5

    assert "protectedRanges" not in sheet
    (chart,) = sheet["charts"]
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN" and basic["headerCount"] == 1
    assert len(basic["series"]) == 2
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["startRowIndex"], domain["endRowIndex"], domain["startColumnIndex"]) == (1, 4, 0)
    assert chart["position"]["overlayPosition"]["anchorCell"]["columnIndex"] == 9

    # read back: the same typed grid the workbook backend gives for these cells
    rows = backend.read(["テスト集計"]).grids["テスト集計"].rows
    assert rows[2] == ["D-1", "=IMPORTXML(\"http://x\")", 1200000, PercentValue(0.625), 3, 2.5,
                       dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 10, 30), True]
    assert rows[4] == ["total", None, 1200000, PercentValue(1.25), 3, None, None, None,
                       dt.date(2026, 4, 1)]


def test_rewriting_an_owned_tab_is_idempotent_and_keeps_its_sheet_id(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    old_id = sheet_of(emulator, sid, "売上予測", grid=False)["properties"]["sheetId"]
    specs = [TabSpec("売上予測", [Column("p", "期間")], [["FY2026-Q1"]],
                     chart=ChartSpec("c", "p", ("p",), (0, 1)), protected=True),
             sample_tab(hidden=True)]
    backend.write(specs, backend.read([REGISTER]))
    once = emulator.snapshot(sid)
    backend.write(specs, backend.read([REGISTER]))
    twice = emulator.snapshot(sid)
    generations = [[m["metadataValue"] for m in s.pop("developerMetadata")]
                   for s in (once, twice)]
    assert generations == [["1"], ["2"]]  # the write generation counts the writes
    for snapshot in (once, twice):  # Google chooses protected range ids (read-only)
        for sheet in snapshot["sheets"]:
            for protection in sheet.get("protectedRanges", []):
                protection.pop("protectedRangeId")
    assert twice == once
    forecast = sheet_of(emulator, sid, "売上予測")
    assert forecast["properties"]["sheetId"] == old_id and forecast["properties"]["index"] == 2
    assert cells(forecast)[1][0]["userEnteredValue"] == {"stringValue": "FY2026-Q1"}
    assert len(cells(forecast)) == 2  # the old rows are gone
    (protection,) = forecast["protectedRanges"]  # warning only: people may still type
    assert protection["warningOnly"] is True and protection["range"] == {
        "sheetId": old_id}
    assert sheet_of(emulator, sid, "テスト集計", grid=False)["properties"]["hidden"] is True


def test_tabs_not_owned_and_the_register_are_never_touched(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    before = {t: sheet_of(emulator, sid, t) for t in (REGISTER, "メモ")}
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    backend.write([sample_tab(), TabSpec("売上予測", [Column("a", "A")])],
                  backend.read([REGISTER]))
    assert {t: sheet_of(emulator, sid, t) for t in (REGISTER, "メモ")} == before


def test_refuses_to_write_the_register(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    read = backend.read([REGISTER])
    before = emulator.snapshot(sid)
    with pytest.raises(BackendError, match="register tab"):
        backend.write([sample_tab(), TabSpec(REGISTER, [Column("a", "A")])], read)
    assert emulator.log.count("spreadsheets.batchUpdate") == 0
    assert emulator.snapshot(sid) == before


def test_formula_looking_text_round_trips_as_text(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid)
    texts = ["=IMPORTXML(\"http://evil\",\"//a\")", "+1", "-2", "@mention", "=1+1", "'quoted"]
    spec = TabSpec("echo", [Column("t", "text")], [[t] for t in texts])
    backend.write([spec], backend.read())
    assert [r[0] for r in backend.read(["echo"]).grids["echo"].rows[1:]] == texts


def test_a_write_that_lost_a_race_with_another_run_writes_nothing(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    first = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    second = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    first.write([sample_tab()], first.read([REGISTER]))  # generation 1
    read_a, read_b = first.read([REGISTER]), second.read([REGISTER])
    first.write([sample_tab(note="A")], read_a)
    after_a = emulator.snapshot(sid)
    with pytest.raises(FileChangedError, match="written by another sheetsync run after this "
                                               "run read it; nothing was written"):
        second.write([sample_tab(note="B")], read_b)
    assert emulator.snapshot(sid) == after_a
    # the very first write of two racing runners: only one creates the generation
    sid = register_sid(emulator)
    first = make_backend(emulator, service_account_key, sid)
    second = make_backend(emulator, service_account_key, sid)
    read_a, read_b = first.read(), second.read()
    first.write([sample_tab()], read_a)
    with pytest.raises(FileChangedError):
        second.write([sample_tab()], read_b)


def test_a_scheduled_run_that_lost_the_race_is_a_skip(
        emulator: Emulator, service_account_key: Path, demo_sid: str) -> None:
    config = parse_config(
        demo_config(emulator, service_account_key, service_account_key.parent,
                    demo_sid).read_text(), service_account_key.parent / "config.yaml")
    at = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.timezone.utc)

    def runner_a() -> None:
        pipeline.run(config, as_of=dt.date(2026, 5, 1), run_at=at, runner="host-a:1",
                     respect_lease=True)

    emulator.on_next("spreadsheets.batchUpdate", runner_a)  # A writes while B is writing
    with pytest.raises(LeaseHeldError, match="changed after this run read it"):
        pipeline.run(config, as_of=dt.date(2026, 5, 1), run_at=at, runner="host-b:2",
                      respect_lease=True)
    assert emulator.log.count("spreadsheets.batchUpdate", status=200) == 1


# -- retries and errors -------------------------------------------------------------------

def test_a_429_storm_is_retried_until_success(
        emulator: Emulator, service_account_key: Path, caplog: pytest.LogCaptureFixture) -> None:
    sid = register_sid(emulator)
    emulator.faults.fail_next(3, 429, retry_after=0)
    caplog.set_level(logging.DEBUG)
    read = make_backend(emulator, service_account_key, sid).read([REGISTER])
    assert read.grids[REGISTER].rows[1][0] == "D-1"
    assert emulator.log.count("spreadsheets.get", status=429) == 3
    assert emulator.log.count("spreadsheets.get", status=200) == 1
    assert "spreadsheets.get: HTTP 429; retry 3" in caplog.text
    info = json.loads(service_account_key.read_text())
    for secret in [info["private_key_id"], *emulator.state.tokens]:
        assert secret not in caplog.text


def test_retry_after_is_honoured(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    emulator.faults.fail_next(1, 503, retry_after=0.3)
    make_backend(emulator, service_account_key, sid).read([REGISTER])
    first, second = [e for e in emulator.log if e.kind == "spreadsheets.get"]
    assert second.at - first.at >= 0.28


def test_quota_exhausted_is_a_quota_error(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    emulator.faults.fail_next(10_000, 429, retry_after=0)
    backend = make_backend(emulator, service_account_key, sid, retry_seconds=0.3)
    with pytest.raises(QuotaError, match=r"quota exhausted after \d+ attempts over 0\.\d s; "
                                         "try again later"):
        backend.read([REGISTER])


def test_a_500_during_the_write_changes_nothing_and_is_retried(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    read = backend.read([REGISTER])
    emulator.faults.fail_next_batch_update(500)
    backend.write([sample_tab()], read)
    assert emulator.log.count("spreadsheets.batchUpdate", status=500) == 1
    assert emulator.log.count("spreadsheets.batchUpdate", status=200) == 1
    assert "テスト集計" in [t.name for t in backend.read().tabs]


def test_a_failing_write_leaves_the_spreadsheet_unchanged(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, retry_seconds=0.2)
    read = backend.read([REGISTER])
    before = emulator.snapshot(sid)
    emulator.faults.fail_next_batch_update(500, n=10_000)
    with pytest.raises(BackendError, match=r"kept failing on spreadsheets\.batchUpdate "
                                           r"\(HTTP 500") as info:
        backend.write([sample_tab()], read)
    assert type(info.value) is BackendError and info.value.exit_code == 3
    assert emulator.snapshot(sid) == before


def test_a_dropped_connection_is_retried(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    emulator.faults.disconnect_next(1, kinds={"values.batchGet"})
    backend = make_backend(emulator, service_account_key, sid)
    assert backend.read([REGISTER]).grids[REGISTER].rows[2][0] == "D-2"
    emulator.faults.disconnect_next(1, kinds={"spreadsheets.batchUpdate"})
    backend.write([sample_tab()], backend.read([REGISTER]))
    assert emulator.log.count("values.batchGet") == 3


def test_an_unreachable_endpoint(emulator: Emulator, service_account_key: Path) -> None:
    creds = credentials_from_file(service_account_key)
    backend = GoogleBackend("1SomeSpreadsheetKeyXYZ", creds, endpoint="http://127.0.0.1:9",
                            retry_seconds=0.2)
    with pytest.raises(BackendError, match=r"could not reach 127\.0\.0\.1:9 for "
                                           r"spreadsheets\.get \(lost the connection\) after "
                                           r"\d+ attempts"):
        backend.read()
    with pytest.raises(ConfigError, match="not an http"):
        GoogleBackend("1SomeSpreadsheetKeyXYZ", creds, endpoint="127.0.0.1:8765")


def test_an_unreachable_token_endpoint(emulator: Emulator, tmp_path: Path) -> None:
    sid = register_sid(emulator)
    info = emulator.make_service_account("bot@demo.iam.gserviceaccount.com")
    key = tmp_path / "key.json"
    key.write_text(json.dumps({**info, "token_uri": "http://127.0.0.1:9/token"}))
    backend = make_backend(emulator, key, sid, retry_seconds=0.2)
    with pytest.raises(CredentialsError, match=r"could not get an access token for the service "
                                               r"account bot@demo\.iam\.gserviceaccount\.com"):
        backend.read()


def test_no_retry_on_400(emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    emulator.faults.fail_next(5, 400, kinds={"spreadsheets.get"})
    with pytest.raises(BackendError, match="HTTP 400"):
        make_backend(emulator, service_account_key, sid).read([REGISTER])
    assert emulator.log.count("spreadsheets.get") == 1


def test_not_shared_names_the_service_account(emulator: Emulator, tmp_path: Path) -> None:
    emulator.strict_auth = True
    owner = emulator.make_service_account("owner@demo.iam.gserviceaccount.com")
    sid = emulator.create_spreadsheet("private", [REGISTER], owner=owner["client_email"])
    stranger = tmp_path / "stranger.json"
    emulator.write_service_account_key(stranger, "sheetsync@demo.iam.gserviceaccount.com")
    backend = make_backend(emulator, stranger, sid)
    with pytest.raises(AccessDeniedError) as info:
        backend.read([REGISTER])
    assert str(info.value) == (
        f"The spreadsheet {sid} is not shared with the service account "
        "sheetsync@demo.iam.gserviceaccount.com: share the sheet with it as Editor")
    emulator.share(sid, "sheetsync@demo.iam.gserviceaccount.com", "reader")
    read = backend.read([REGISTER])
    with pytest.raises(AccessDeniedError, match="as Editor"):  # a viewer cannot write
        backend.write([sample_tab()], read)
    emulator.share(sid, "sheetsync@demo.iam.gserviceaccount.com", "writer")
    backend.write([sample_tab()], read)


def test_missing_spreadsheet(emulator: Emulator, service_account_key: Path) -> None:
    backend = make_backend(emulator, service_account_key, "1NoSuchSpreadsheetKeyAtAll")
    with pytest.raises(NotFoundError, match="The spreadsheet 1NoSuchSpreadsheetKeyAtAll was "
                                            "not found"):
        backend.read()


@pytest.mark.parametrize("content, reason", [
    ("not json {", "not JSON"),
    ('["a"]', "not a JSON object"),
    ('{"type": "service_account", "client_email": "a@b"}', "missing private_key, token_uri"),
    ('{"type": "service_account", "client_email": "a@b", "token_uri": "http://x/token", '
     '"private_key": "-----BEGIN PRIVATE KEY-----\\nSECRETSECRET\\n-----END PRIVATE KEY-----\\n"}',
     "private key of this service-account key file cannot be loaded"),
    ('{"type": "weird", "secret": "SECRETSECRET"}', "not a usable Google credentials file"),
])
def test_invalid_key_file(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CredentialsError) as info:
        credentials_from_file(path)
    assert str(path) in str(info.value) and reason in str(info.value)
    assert "SECRET" not in str(info.value)
    with pytest.raises(CredentialsError, match="credentials file not found"):
        credentials_from_file(tmp_path / "nope.json")


def test_refused_credentials(emulator: Emulator, tmp_path: Path) -> None:
    sid = register_sid(emulator)
    good = emulator.make_service_account()
    other = emulator.make_service_account()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**good, "private_key": other["private_key"]}))
    backend = make_backend(emulator, forged, sid)
    with pytest.raises(CredentialsError, match=rf"Google refused the credentials of the "
                                               rf"service account {good['client_email']} "
                                               r"\(invalid_grant"):
        backend.read()


def test_application_credentials_from_the_environment(
        emulator: Emulator, service_account_key: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sid = register_sid(emulator)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(service_account_key))
    config = parse_config(f"spreadsheet: {{backend: google, key: '{sid}', "
                          f"endpoint: '{emulator.base_url}'}}\n", tmp_path / "c.yaml")
    backend = GoogleBackend.from_config(config)
    assert REGISTER in backend.read([REGISTER]).grids
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "gone.json"))
    with pytest.raises(CredentialsError, match=r"gone\.json"):
        GoogleBackend.from_config(config)


# -- through the pipeline and the CLI ----------------------------------------------------

def demo_config(emulator: Emulator, key: Path, folder: Path, sid: str,
                extra: str = "") -> Path:
    path = folder / "config.yaml"
    path.write_text(
        "spreadsheet:\n  backend: google\n"
        f"  key: '{sid}'\n  credentials: {key.name}\n  endpoint: '{emulator.base_url}'\n"
        + extra, encoding="utf-8")
    return path


@pytest.fixture
def demo_sid(emulator: Emulator, tmp_path: Path) -> str:
    from sheetsync.backends.workbook import WorkbookBackend
    from sheetsync.demo import write_demo_workbook
    from sheetsync.testing.load import load_grids

    write_demo_workbook(tmp_path / "demo.xlsx", today=dt.date(2026, 5, 1))
    return load_grids(emulator, WorkbookBackend(tmp_path / "demo.xlsx").read().grids)


def run_cli(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["run", "--format", "json", "--as-of", AS_OF,
                                    "--config", str(config), *args])


def test_a_full_run_reads_twice_and_writes_once(
        emulator: Emulator, service_account_key: Path, demo_sid: str) -> None:
    config = demo_config(emulator, service_account_key, service_account_key.parent, demo_sid)
    emulator.reset_log()
    result = run_cli(config)
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)["tabs_written"]
    assert emulator.log.reads <= 2 and emulator.log.writes == 1
    assert emulator.log.count("spreadsheets.batchUpdate") == 1


def test_a_2000_row_register_still_reads_twice_and_writes_once(
        emulator: Emulator, service_account_key: Path, tmp_path: Path) -> None:
    from sheetsync.backends.workbook import WorkbookBackend
    from sheetsync.demo import write_demo_workbook
    from sheetsync.testing.load import load_grids

    write_demo_workbook(tmp_path / "demo.xlsx", today=dt.date(2026, 5, 1))
    grids = WorkbookBackend(tmp_path / "demo.xlsx").read().grids
    register = grids[REGISTER]
    header_at = next(i for i, r in enumerate(register.rows) if r and r[0] == "案件ID")
    data = [r for r in register.rows[header_at + 1:] if r]
    rows = list(register.rows[:header_at + 1])
    for n in range(2000):
        row = list(data[n % len(data)])
        row[0] = f"D-{n:05d}"
        rows.append(row)
    register.rows = rows
    sid = load_grids(emulator, grids)
    config = demo_config(emulator, service_account_key, tmp_path, sid)
    emulator.reset_log()
    result = run_cli(config)
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)["validation"]["rows"] == 2000
    assert emulator.log.reads <= 2 and emulator.log.writes == 1


def test_a_reps_edit_between_read_and_write_is_kept(
        emulator: Emulator, service_account_key: Path, demo_sid: str) -> None:
    config = parse_config(
        demo_config(emulator, service_account_key, service_account_key.parent,
                    demo_sid).read_text(), service_account_key.parent / "config.yaml")
    edit = [["rep's late edit"]]
    emulator.on_next("spreadsheets.batchUpdate",
                     lambda: emulator.set_values(demo_sid, f"'{REGISTER}'!N5", edit))
    result = pipeline.run(config, as_of=dt.date(2026, 5, 1))
    assert result.written is not None and result.written.requests == 1
    assert emulator.get_values(demo_sid, f"'{REGISTER}'!N5") == edit


def test_cli_errors_exit_3_without_secrets(
        emulator: Emulator, service_account_key: Path, demo_sid: str) -> None:
    info = json.loads(service_account_key.read_text())
    config = demo_config(emulator, service_account_key, service_account_key.parent, demo_sid,
                         "  retry_seconds: 0.3\nlanguage: en\n")  # (ja: test_cli_messages)
    emulator.faults.fail_next(10_000, 429, retry_after=0)
    result = run_cli(config)
    assert result.exit_code == 3
    assert "quota exhausted after" in result.stderr and "try again later" in result.stderr
    emulator.faults.clear()

    emulator.strict_auth = True  # the key's account may edit all: unshare via a new account
    stranger = service_account_key.parent / "stranger.json"
    emulator.write_service_account_key(stranger, "stranger@demo.iam.gserviceaccount.com")
    result = run_cli(demo_config(emulator, stranger, stranger.parent, demo_sid, "language: en\n"))
    assert result.exit_code == 3
    assert "stranger@demo.iam.gserviceaccount.com: share the sheet with it as Editor" \
        in result.stderr
    tokens = list(emulator.state.tokens)
    assert tokens
    outputs = result.output + result.stderr
    for secret in [info["private_key_id"], info["private_key"][40:80], *tokens]:
        assert secret not in outputs


# -- the 2 MB split ------------------------------------------------------------------------

def big_tab(n: int = 300, tag: str = "v") -> TabSpec:
    return TabSpec("大きい表", [Column("id", "ID"), Column("text", "本文"),
                               Column("amount", "金額", "money"), Column("day", "日付", "date")],
                   [[Link(f"D-{i}", REGISTER, f"A{i + 2}"), f"{tag} 行 {i} " + "あ" * 20, i * 1000,
                     dt.date(2026, 1, 1) + dt.timedelta(days=i)] for i in range(n)],
                   note="big", hidden=False, conditional=[CondFormat("amount", "gt", 5000)],
                   chart=ChartSpec("c", "id", ("amount",), (0, 10)))


def test_a_big_write_goes_through_hidden_staging_tabs(
        emulator: Emulator, service_account_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    small = TabSpec("小さい表", [Column("a", "A")], [["x"]])
    state = TabSpec("_状態", [Column("k", "key"), Column("v", "value")],
                    [[f"k{i}", "値 " * 30] for i in range(200)], hidden=True)
    backend.write([big_tab(tag="old"), small], backend.read([REGISTER]))
    expected = backend.read(["大きい表"]).grids["大きい表"].rows
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", 20_000)
    emulator.reset_log()
    staging_seen: list[dict[str, Any]] = []
    emulator.on_next("values.batchUpdate", lambda: staging_seen.append(
        sheet_of(emulator, sid, "大きい表~sheetsync", grid=False)["properties"]))
    result = backend.write([big_tab(tag="new"), small, state], backend.read([REGISTER]))
    assert staging_seen and staging_seen[0]["hidden"] is True
    assert result.requests == emulator.log.writes > 3
    assert emulator.log.count("spreadsheets.batchUpdate") == 2  # staging setup, final swap
    assert all(len(json.dumps(e.body, ensure_ascii=False, separators=(",", ":"))
                   .encode()) <= 20_000 for e in emulator.log if e.category == "write")
    read = backend.read(["大きい表", "小さい表", "_状態"])
    assert [(t.name, t.hidden) for t in read.tabs] == [
        (REGISTER, False), ("メモ", False), ("売上予測", False), ("大きい表", False),
        ("小さい表", False), ("_状態", True)]
    rows = read.grids["大きい表"].rows
    assert rows == [r if i < 2 else [r[0], r[1].replace("old", "new"), *r[2:]]
                    for i, r in enumerate(expected)]
    assert read.grids["_状態"].rows[1:] == [[f"k{i}", "値 " * 30]
                                           for i in range(200)]
    sheet = sheet_of(emulator, sid, "大きい表")
    assert len(sheet["conditionalFormats"]) == 1 and len(sheet["charts"]) == 1
    assert sheet["charts"][0]["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"][
        "sources"][0]["sheetId"] == sheet["properties"]["sheetId"]
    assert cells(sheet)[2][0]["userEnteredValue"]["formulaValue"].startswith(
        '=HYPERLINK("#gid=0&range=A2"')
    assert cells(sheet)[2][3]["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert cells(sheet)[1][0]["userEnteredFormat"]["textFormat"]["bold"] is True


def test_a_failure_while_staging_leaves_no_visible_half_written_tab(
        emulator: Emulator, service_account_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = register_sid(emulator)
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    backend.write([big_tab(tag="old")], backend.read([REGISTER]))
    visible_before = {s["properties"]["title"]: s for s in emulator.snapshot(sid)["sheets"]}
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", 20_000)

    def fail_the_second() -> None:
        emulator.on_next("values.batchUpdate",
                         lambda: emulator.faults.fail_next(1, 400, kinds={"values.batchUpdate"}))

    emulator.on_next("values.batchUpdate", fail_the_second)
    with pytest.raises(BackendError, match="no visible tab was changed"):
        backend.write([big_tab(tag="new")], backend.read([REGISTER]))
    after = {s["properties"]["title"]: s for s in emulator.snapshot(sid)["sheets"]}
    assert after.pop("大きい表~sheetsync")["properties"]["hidden"] is True
    assert after == visible_before

    backend.write([big_tab(tag="new")], backend.read([REGISTER]))
    read = backend.read(["大きい表"])
    assert [t.name for t in read.tabs] == [REGISTER, "メモ", "売上予測", "大きい表"]
    assert read.grids["大きい表"].rows[2][1].startswith("new")


def test_a_leftover_staging_tab_is_removed_by_a_normal_write(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = register_sid(emulator)
    emulator.batch_update(sid, [{"addSheet": {"properties": {
        "title": "売上予測~sheetsync", "hidden": True, "index": 1}}}])
    backend = make_backend(emulator, service_account_key, sid, register_tab=REGISTER)
    backend.write([TabSpec("売上予測", [Column("a", "A")], [["x"]])], backend.read([REGISTER]))
    assert [t.name for t in backend.read().tabs] == [REGISTER, "メモ", "売上予測"]
    assert emulator.log.count("spreadsheets.batchUpdate") == 1
