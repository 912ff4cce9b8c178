"""How many requests a Google run makes, and how big they are (issue 14).

Real `sheetsync run`s (click runner, real gspread + google-auth over HTTP) against the
emulator, counted from its request log: two reads — ``spreadsheets.get`` with the metadata
mask, one ``values:batchGet`` of the tabs a run reads — and one ``batchUpdate`` while the
write fits in Google's request size; the state and follow-up tabs of a big register go
through hidden staging tabs in at most four writes. The emulator refuses a body over
10 MiB as Google does.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google import write as google_write
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.google.read import (
    DATE,
    PERCENT,
    SPREADSHEET_FIELDS,
    format_kinds,
    parse_metadata,
)
from sheetsync.backends.google.register_setup import sheet_states
from sheetsync.backends.google.render import render_tab
from sheetsync.cli import cli
from sheetsync.grid import Grid
from sheetsync.tabspec import Column, Link, TabSpec
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.emulator.errors import MAX_PAYLOAD_BYTES
from sheetsync.testing.load import load_grids

AS_OF = dt.date(2026, 11, 26)
ROOT = Path(__file__).resolve().parent.parent
#: the tabs a run reads (register, targets, the state tabs) that exist after a first run
READ_TABS = ["案件一覧", "目標", "_sheetsync_state", "変更履歴", "_sheetsync_forecast"]


def _registers() -> ModuleType:
    """benchmarks/registers.py: the synthetic register the benchmarks measure."""
    spec = importlib.util.spec_from_file_location("bench_registers",
                                                  ROOT / "benchmarks" / "registers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _targets() -> Grid:
    return Grid("目標", [["期間", "担当者", "目標金額"],
                         *[[f"FY2026-Q{q}", None, 3_000_000_000] for q in range(1, 5)]])


def _setup(emulator: Emulator, key: Path, tmp_path: Path, deals: int) -> tuple[str, Path]:
    register = _registers().make_register(deals, messy=0.03, invalid=0.005, seed=deals)
    sid = load_grids(emulator, [register, _targets()])
    config = tmp_path / "google.yaml"
    config.write_text(f"spreadsheet:\n  backend: google\n  key: '{sid}'\n"
                      f"  credentials: {key.name}\n  endpoint: '{emulator.base_url}'\n",
                      encoding="utf-8")
    return sid, config


def _run(config: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--as-of", AS_OF.isoformat(), "--config",
                                      str(config)])
    assert result.exit_code == 1, result.output  # the register's deliberate errors


def _write_sizes(emulator: Emulator) -> list[int]:
    return [len(json.dumps(e.body, ensure_ascii=False, separators=(",", ":")).encode())
            for e in emulator.log if e.category == "write"]


def _assert_lean_reads(emulator: Emulator) -> None:
    """Exactly two reads: the metadata mask (no ranges, no grid flag beyond the mask) and
    one values:batchGet of the tabs a run reads, unformatted with serial dates."""
    reads = [e for e in emulator.log if e.category == "read"]
    assert [e.kind for e in reads] == ["spreadsheets.get", "values.batchGet"]
    meta, values = reads
    assert meta.query["fields"] == [SPREADSHEET_FIELDS]
    assert "ranges" not in meta.query and "includeGridData" not in meta.query
    assert values.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert values.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert sorted(values.query["ranges"]) == sorted(f"'{t}'" for t in READ_TABS)


def test_2000_deals_read_twice_and_write_once(
        emulator: Emulator, service_account_key: Path, tmp_path: Path) -> None:
    sid, config = _setup(emulator, service_account_key, tmp_path, 2_000)
    emulator.reset_log()
    _run(config)  # the first run: creates every tab and the snapshot
    first = emulator.log.counts()
    assert emulator.log.reads == 2 and emulator.log.writes == 1, first
    assert first["spreadsheets.batchUpdate"] == 1
    emulator.reset_log()
    _run(config)  # the steady state: every tab rewritten in place
    assert emulator.log.reads == 2 and emulator.log.writes == 1, emulator.log.counts()
    assert emulator.log.count("spreadsheets.batchUpdate", status=200) == 1
    _assert_lean_reads(emulator)
    (size,) = _write_sizes(emulator)
    assert size <= google_write.MAX_REQUEST_BYTES
    titles = [s["properties"]["title"] for s in emulator.get_spreadsheet(sid)["sheets"]]
    assert not [t for t in titles if t.endswith("~sheetsync")]
    assert "要フォロー案件" in titles and "_sheetsync_state" in titles


def test_a_staged_run_writes_what_one_batch_writes(
        emulator: Emulator, service_account_key: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 deals under a limit lowered in proportion to 100,000 deals under 9 MB: the
    staging setup (with the first rows of the staged tabs), values:batchUpdate requests, the
    final batch (with their last rows) — every body under the limit, no staging tab left,
    and every tab exactly as a run that wrote in one batch left it."""
    sid, config = _setup(emulator, service_account_key, tmp_path, 2_000)
    _run(config)
    _run(config)
    one_batch = _visible_values(emulator, sid)
    limit = google_write.MAX_REQUEST_BYTES * 2_000 // 100_000
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", limit)
    emulator.reset_log()
    _run(config)
    assert emulator.log.reads == 2
    writes = [e for e in emulator.log if e.category == "write"]
    kinds = [e.kind for e in writes]
    assert len(kinds) >= 3 and kinds[0] == kinds[-1] == "spreadsheets.batchUpdate"
    assert set(kinds[1:-1]) <= {"values.batchUpdate"}
    assert all(size <= limit for size in _write_sizes(emulator))
    # the setup and the final batch carry rows of the staged tabs, not only their layout
    for batch in (writes[0], writes[-1]):
        assert any("updateCells" in r and "rows" in r["updateCells"]
                   for r in batch.body["requests"])
    assert _visible_values(emulator, sid) == one_batch


def test_four_writes_carry_what_five_did(
        emulator: Emulator, service_account_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tab whose values need three values:batchUpdate requests under the limit (five
    writes with the setup and the final batch) goes in four: its first rows ride in the
    setup batch, its last in the final batch's spare room."""
    sid = emulator.create_spreadsheet("案件管理", {"案件一覧": [["案件ID"], ["D-1"]]})
    backend = GoogleBackend(sid, credentials_from_file(service_account_key),
                            endpoint=emulator.base_url, register_tab="案件一覧")
    limit = 60_000
    tab = _big_tab(1_200)
    rendered = render_tab(tab, {"案件一覧": 0})
    values = sum(rendered.value_rows()[1])
    assert values > 2 * limit  # three values requests on their own: five writes before
    backend.write([_big_tab(1_200, "old")], backend.read(["案件一覧"]))
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", limit)
    emulator.reset_log()
    result = backend.write([tab], backend.read(["案件一覧"]))
    kinds = [e.kind for e in emulator.log if e.category == "write"]
    assert kinds == ["spreadsheets.batchUpdate", "values.batchUpdate", "values.batchUpdate",
                     "spreadsheets.batchUpdate"]
    assert result.requests == 4
    assert all(size <= limit for size in _write_sizes(emulator))
    rows = backend.read(["大きい表"]).grids["大きい表"].rows
    assert len(rows) == 1_201 and rows[1][1] == "new 行 0 " + "あ" * 20
    assert rows[-1][1] == "new 行 1199 " + "あ" * 20
    assert [r[2] for r in rows[1:]] == [i * 1000 for i in range(1_200)]
    assert [r[3] for r in rows[1:]] == [dt.date(2026, 1, 1) + dt.timedelta(days=i)
                                        for i in range(1_200)]
    names = [s["properties"]["title"] for s in emulator.get_spreadsheet(sid)["sheets"]]
    assert names == ["案件一覧", "大きい表"]


def _big_tab(n: int, tag: str = "new") -> TabSpec:
    return TabSpec("大きい表", [Column("id", "ID"), Column("text", "本文"),
                               Column("amount", "金額", "money"), Column("day", "日付", "date")],
                   [[Link(f"D-{i}", "案件一覧", f"A{i + 2}"), f"{tag} 行 {i} " + "あ" * 20,
                     i * 1000, dt.date(2026, 1, 1) + dt.timedelta(days=i)] for i in range(n)])


def _visible_values(emulator: Emulator, sid: str) -> dict[str, Any]:
    """Every tab's values as the API gives them (formulas as written), staging tabs too."""
    sheets = emulator.get_spreadsheet(sid)["sheets"]
    titles = [s["properties"]["title"] for s in sheets]
    answer = requests.get(
        f"{emulator.base_url}/v4/spreadsheets/{sid}/values:batchGet",
        params={"ranges": [f"'{t}'" for t in titles], "valueRenderOption": "FORMULA"},
        headers={"Authorization": "Bearer test"}, timeout=60).json()
    tabs = {t: r.get("values") for t, r in zip(titles, answer["valueRanges"])}
    state = tabs.get("_sheetsync_state")
    if state:  # its first row holds the run's lease (an expiry time): the rest must match
        tabs["_sheetsync_state"] = state[1:]
    return tabs


@pytest.mark.slow
def test_10000_deals_read_twice_and_write_once(
        emulator: Emulator, service_account_key: Path, tmp_path: Path) -> None:
    _sid, config = _setup(emulator, service_account_key, tmp_path, 10_000)
    _run(config)
    emulator.reset_log()
    _run(config)
    _assert_lean_reads(emulator)
    assert emulator.log.writes == 1, emulator.log.counts()
    assert _write_sizes(emulator)[0] <= google_write.MAX_REQUEST_BYTES


def test_a_body_over_10_mib_is_refused_as_google_does(emulator: Emulator) -> None:
    sid = emulator.create_spreadsheet("大きすぎる", {"表": [["a"]]})
    before = emulator.get_spreadsheet(sid, include_grid_data=True)
    sheet_id = before["sheets"][0]["properties"]["sheetId"]

    def body(size: int) -> bytes:
        head = ('{"requests":[{"updateCells":{"start":{"sheetId":' + str(sheet_id)
                + ',"rowIndex":0,"columnIndex":0},"rows":[{"values":[{"userEnteredValue":'
                '{"stringValue":"')
        tail = '"}}]}],"fields":"userEnteredValue"}}]}'
        return (head + "x" * (size - len(head) - len(tail)) + tail).encode()

    url = f"{emulator.base_url}/v4/spreadsheets/{sid}:batchUpdate"
    headers = {"Authorization": "Bearer test", "Content-Type": "application/json"}
    refused = requests.post(url, data=body(MAX_PAYLOAD_BYTES + 1), headers=headers,
                            timeout=60)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": 400, "status": "INVALID_ARGUMENT",
        "message": "Request payload size exceeds the limit: 10485760 bytes."}
    assert emulator.get_spreadsheet(sid, include_grid_data=True) == before
    # a cell holds at most 50,000 characters: the biggest body that fits is refused by that
    # rule instead, so the limit itself is checked just above and a small body just below
    small = requests.post(url, data=body(40_000), headers=headers, timeout=60)
    assert small.status_code == 200


# -- the metadata answer, parsed without a dict per cell --------------------------------

TYPES = ["NUMBER_FORMAT_TYPE_UNSPECIFIED", "TEXT", "NUMBER", "PERCENT", "CURRENCY", "DATE",
         "TIME", "DATE_TIME", "SCIENTIFIC"]
_cell = st.one_of(
    st.just({}),
    st.just({"effectiveFormat": {}}),
    st.sampled_from(TYPES).map(lambda t: {"effectiveFormat": {"numberFormat": {"type": t}}}),
    st.tuples(st.sampled_from(TYPES), st.text(min_size=1, max_size=8)).map(
        lambda p: {"effectiveFormat": {"numberFormat": {"type": p[0]}}, "note": p[1]}),
    st.text(min_size=1, max_size=8).map(lambda n: {"note": n}),
)
_rows = st.lists(st.one_of(st.just({}), st.lists(_cell, max_size=6).map(
    lambda cells: {"values": cells})), max_size=8)


@settings(max_examples=150, deadline=None)
@given(_rows, st.text(max_size=12))
def test_parse_metadata_reads_what_the_plain_parse_reads(rows: list[dict[str, Any]],
                                                         title: str) -> None:
    """Same tabs, same date/percent cells, same notes as json.loads — whatever the titles
    and notes hold (a note may spell out the very JSON being shortened)."""
    meta = {"properties": {"title": title}, "sheets": [
        {"properties": {"sheetId": 1, "title": title + '{"effectiveFormat":{}}'},
         "data": [{"startRow": 0, "startColumn": 0, "rowData": rows}]}]}
    if rows and rows[0].get("values"):
        rows[0]["values"][0] = {"note": '{"effectiveFormat":{"numberFormat":{"type":"DATE"}}}'}
    content = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
    plain, lean = json.loads(content), parse_metadata(content)
    assert format_kinds(lean["sheets"][0]) == format_kinds(plain["sheets"][0])
    assert sheet_states(lean) == sheet_states(plain)
    assert lean["properties"] == plain["properties"]
    assert lean["sheets"][0]["properties"] == plain["sheets"][0]["properties"]


def test_parse_metadata_by_hand() -> None:
    content = (b'{"sheets":[{"properties":{"title":"t"},"data":[{"startRow":1,"startColumn":2,'
               b'"rowData":[{"values":[{"effectiveFormat":{"numberFormat":{"type":"DATE_TIME"}}},'
               b'{"effectiveFormat":{"numberFormat":{"type":"CURRENCY"}}},{},'
               b'{"effectiveFormat":{"numberFormat":{"type":"PERCENT"}}}]},{},'
               b'{"values":[{"effectiveFormat":{}},{"effectiveFormat":{"numberFormat":'
               b'{"type":"TIME"}}}]}]}]}]}')
    sheet = parse_metadata(content)["sheets"][0]
    assert sheet["data"][0]["rowData"][0]["values"] == [DATE, 0, {}, PERCENT]
    # rows and columns from startRow/startColumn: row 1 → C (date), F (percent); row 3 → D
    assert format_kinds(sheet) == {1: {2: DATE, 5: PERCENT}, 3: {3: DATE}}
