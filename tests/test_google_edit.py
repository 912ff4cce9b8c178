"""`fix --apply` on Google Sheets: GoogleBackend.edit_cells against the emulator's state.

Mirrors tests/test_workbook_edit.py: typed values with their number formats, text that
looks like a formula stays text, a cell changed since the plan is skipped, same value means
same kind, formula cells are skipped, ``tabs_for`` tabs in the same batchUpdate, no write
when there is nothing to write — plus the request budget (re-read: one spreadsheets.get and
one values:batchGet; write: one batchUpdate).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sheetsync.backends.base import ReadResult
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google import http_client as google_http
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.demo import REPS, write_demo_workbook
from sheetsync.errors import BackendError, FileChangedError
from sheetsync.fixes import CellEdit, plan_fixes
from sheetsync.grid import PercentValue
from sheetsync.schema import load_schema
from sheetsync.tabspec import Column, TabSpec
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids
from sheetsync.validate import validate_register

REGISTER = "案件一覧"
SCHEMA = load_schema()
AS_OF = dt.date(2026, 3, 1)
HEADERS = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注確率", "見込金額",
           "受注予定日", "備考"]


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(google_http, "BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture
def sid(emulator: Emulator) -> str:
    """The register of test_workbook_edit.make_register, typed as a person would."""
    key = emulator.create_spreadsheet("案件管理", {
        REGISTER: [HEADERS,
                   ["D1", "a", "c", "佐藤", "提案", "'80%", "120万円", "R8.3.31", "'  =1+1 "],
                   ["D2", "b", "c", "佐藤", "'提案 ", "50%", "'1,000,000", "'2026/4/1", "ok"],
                   ["D3", "b", "c", "佐藤", "Won", "'80", 300000, "2026/5/1", "ok"]],
        "メモ": [["月", "件数"], ["4月", 3]],
    })
    emulator.batch_update(key, [
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2,
                                  "startColumnIndex": 6, "endColumnIndex": 7},
                        "cell": {"userEnteredFormat": {"textFormat": {
                            "bold": True, "foregroundColor": {"red": 1}}}},
                        "fields": "userEnteredFormat.textFormat"}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 2, "columnIndex": 1},
                         "rows": [{"values": [{"note": "要確認"}]}], "fields": "note"}},
    ])
    return key


def backend_for(emulator: Emulator, key: Path, sid: str) -> GoogleBackend:
    return GoogleBackend(sid, credentials_from_file(key), endpoint=emulator.base_url,
                         register_tab=REGISTER)


def plan(backend: GoogleBackend) -> tuple[ReadResult, list[CellEdit]]:
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", as_of=AS_OF)
    return read, plan_fixes(result, grid, SCHEMA, language="ja")


def edit_at(edits: list[CellEdit], cell: str) -> CellEdit:
    return next(e for e in edits if e.cell == cell)


def cell(emulator: Emulator, sid: str, a1: str) -> dict[str, Any]:
    ss = emulator.get_spreadsheet(sid, include_grid_data=True, ranges=[f"'{REGISTER}'!{a1}"])
    rows = ss["sheets"][0]["data"][0].get("rowData", [])
    return rows[0]["values"][0] if rows and rows[0].get("values") else {}


def test_canonical_rewrites_land_typed_and_formatted(emulator: Emulator,
                                                     service_account_key: Path,
                                                     sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    excluded = validate_register(read.grids[REGISTER], SCHEMA, language="ja",
                                 as_of=AS_OF).report.excluded_rows
    assert {e.cell for e in edits} >= {"F2", "G2", "H2", "I2", "E3", "G3", "E4", "F4"}
    result = backend.edit_cells(edits, read)
    assert result.applied == edits and result.skipped == []
    assert result.written is not None and result.written.tabs == [REGISTER]
    assert result.written.requests == 1
    grid = backend.read().grids[REGISTER]
    assert grid.cell(2, 6) == PercentValue(0.8) and isinstance(grid.cell(2, 6), PercentValue)
    assert grid.cell(2, 7) == 1_200_000 and type(grid.cell(2, 7)) is int
    assert grid.cell(2, 8) == dt.date(2026, 3, 31)
    assert grid.cell(3, 5) == "提案" and grid.cell(4, 5) == "受注"
    assert grid.cell(4, 6) == PercentValue(0.8)
    f2, g2, h2 = (cell(emulator, sid, a1) for a1 in ("F2", "G2", "H2"))
    assert f2["userEnteredValue"] == {"numberValue": 0.8}
    assert f2["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT", "pattern": "0%"}
    assert g2["userEnteredValue"] == {"numberValue": 1200000}
    assert g2["userEnteredFormat"]["numberFormat"] == {"type": "CURRENCY", "pattern": "¥#,##0"}
    text = g2["userEnteredFormat"]["textFormat"]  # the rep's style stays
    assert text["bold"] is True and text["foregroundColor"] == {"red": 1}
    assert h2["userEnteredValue"] == {"numberValue": 46112}
    assert h2["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "yyyy/mm/dd"}
    assert cell(emulator, sid, "B3")["note"] == "要確認"
    # an enum label keeps the cell's format as it was (no number format involved)
    assert "userEnteredFormat" not in cell(emulator, sid, "E3")
    read, again = plan(backend)
    assert again == []
    result2 = validate_register(read.grids[REGISTER], SCHEMA, language="ja", as_of=AS_OF)
    assert result2.report.excluded_rows == excluded


def test_formula_looking_text_stays_text(emulator: Emulator, service_account_key: Path,
                                         sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    assert edit_at(edits, "I2").new == "=1+1"
    backend.edit_cells([edit_at(edits, "I2")], read)
    assert cell(emulator, sid, "I2")["userEnteredValue"] == {"stringValue": "=1+1"}
    assert backend.read().grids[REGISTER].cell(2, 9) == "=1+1"


def test_a_cell_changed_since_the_plan_is_skipped_and_the_others_applied(
        emulator: Emulator, service_account_key: Path, sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    # a rep edits the cell just before sheetsync reads it again
    emulator.on_next("values.batchGet",
                     lambda: emulator.set_values(sid, f"'{REGISTER}'!G2", [["130万円"]]))
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [("G2", "130万円")]
    assert len(result.applied) == len(edits) - 1
    grid = backend.read().grids[REGISTER]
    assert grid.cell(2, 7) == "130万円"
    assert grid.cell(3, 7) == 1_000_000


def test_same_value_means_same_kind(emulator: Emulator, service_account_key: Path,
                                    sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read = backend.read()

    def edit(a1: str, old: object, new: object) -> CellEdit:
        return CellEdit(REGISTER, int(a1[1:]), ord(a1[0]) - 65, "x", "x", old, new)  # type: ignore[arg-type]

    edits = [edit("F4", 80, PercentValue(0.8)),  # the cell holds the text "80"
             edit("G4", "300000", 300001),  # the cell holds the number 300000
             edit("F3", 0.5, PercentValue(0.6)),  # a percent cell is a PercentValue
             edit("F3", PercentValue(0.5), PercentValue(0.55)),
             edit("G4", 300000, 300002)]
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [
        ("F4", "80"), ("G4", 300000), ("F3", PercentValue(0.5))]
    assert [e.cell for e in result.applied] == ["F3", "G4"]
    grid = backend.read().grids[REGISTER]
    assert grid.cell(3, 6) == PercentValue(0.55) and grid.cell(4, 7) == 300002


def test_a_formula_cell_is_skipped(emulator: Emulator, service_account_key: Path,
                                   sid: str) -> None:
    emulator.set_values(sid, f"'{REGISTER}'!G3", [['="1,000,000"']])
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    assert read.grids[REGISTER].cell(3, 7) == "1,000,000"  # the formula's value
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [("G3", "1,000,000")]
    assert cell(emulator, sid, "G3")["userEnteredValue"] == {"formulaValue": '="1,000,000"'}


def test_tabs_for_are_written_in_the_same_batch(emulator: Emulator, service_account_key: Path,
                                                sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    seen: list[list[CellEdit]] = []

    def history(applied: list[CellEdit]) -> list[TabSpec]:
        seen.append(applied)
        return [TabSpec("変更履歴", [Column("cell", "セル"), Column("new", "新しい値")],
                        [[e.cell, str(e.new)] for e in applied])]

    emulator.reset_log()
    result = backend.edit_cells(edits, read, history)
    assert seen == [edits]
    assert result.written is not None and result.written.tabs == [REGISTER, "変更履歴"]
    assert emulator.log.count("spreadsheets.batchUpdate") == 1 and emulator.log.writes == 1
    assert emulator.log.count("spreadsheets.get") == 1
    assert emulator.log.count("values.batchGet") == 1
    grid = backend.read().grids["変更履歴"]
    assert [row[0] for row in grid.rows[1:]] == [e.cell for e in edits]
    assert backend.read().grids[REGISTER].cell(2, 7) == 1_200_000


@pytest.mark.parametrize("name", [REGISTER, "案件一覧".upper()])
def test_tabs_for_may_not_name_the_register(emulator: Emulator, service_account_key: Path,
                                            sid: str, name: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    before = emulator.snapshot(sid)
    with pytest.raises(BackendError, match="register"):
        backend.edit_cells(edits, read,
                           lambda applied: [TabSpec(name, [Column("a", "A")], [["x"]])])
    assert emulator.snapshot(sid) == before


def test_nothing_applied_and_no_tabs_means_no_write(emulator: Emulator,
                                                    service_account_key: Path,
                                                    sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    stale = [CellEdit(e.tab, e.row, e.column, e.field, e.label, "something else", e.new,
                      e.number_format) for e in edits]
    before = emulator.snapshot(sid)
    emulator.reset_log()
    result = backend.edit_cells(stale, read, lambda applied: [])
    assert result.applied == [] and len(result.skipped) == len(stale)
    assert result.written is None
    assert emulator.log.writes == 0 and emulator.log.reads == 2
    assert emulator.snapshot(sid) == before
    emulator.reset_log()
    assert backend.edit_cells([], read).written is None
    assert emulator.log.reads == 0 and emulator.log.writes == 0


def test_only_the_edited_cells_change(emulator: Emulator, service_account_key: Path,
                                      sid: str) -> None:
    before = emulator.snapshot(sid)
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    backend.edit_cells(edits, read)
    after = emulator.snapshot(sid)
    edited = {(e.row - 1, e.column) for e in edits}

    def cells(snapshot: dict[str, Any]) -> dict[tuple[str, int, int], Any]:
        out = {}
        for s in snapshot["sheets"]:
            for r, row in enumerate(s["data"][0].get("rowData", [])):
                for c, value in enumerate(row.get("values", [])):
                    out[(s["properties"]["title"], r, c)] = value
        return out

    old, new = cells(before), cells(after)
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert changed == {(REGISTER, r, c) for r, c in edited}
    for snapshot in (before, after):
        snapshot.pop("developerMetadata", None)
        for s in snapshot["sheets"]:
            s.pop("data")
    assert after == before  # tabs, properties, rules: as they were


def test_a_write_by_another_run_since_the_read_fails_the_batch(
        emulator: Emulator, service_account_key: Path, sid: str) -> None:
    backend = backend_for(emulator, service_account_key, sid)
    read, edits = plan(backend)
    other = backend_for(emulator, service_account_key, sid)
    other.write([TabSpec("売上予測", [Column("a", "A")], [["x"]])], other.read([]))
    before = emulator.snapshot(sid)
    with pytest.raises(FileChangedError):
        backend.edit_cells(edits, read)
    assert emulator.snapshot(sid) == before


def test_fix_on_the_demo_register(emulator: Emulator, service_account_key: Path,
                                  tmp_path: Path) -> None:
    today = dt.date(2026, 11, 26)
    write_demo_workbook(tmp_path / "deals.xlsx", today=today)
    key = load_grids(emulator, WorkbookBackend(tmp_path / "deals.xlsx").read().grids)
    backend = backend_for(emulator, service_account_key, key)
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", owners=REPS, as_of=today)
    edits = plan_fixes(result, grid, SCHEMA, language="ja")
    assert len(edits) > 50
    emulator.reset_log()
    out = backend.edit_cells(edits, read)
    assert out.skipped == [] and len(out.applied) == len(edits)
    assert emulator.log.reads == 2 and emulator.log.writes == 1
    (batch,) = [e.body for e in emulator.log if e.kind == "spreadsheets.batchUpdate"]
    updates = [r["updateCells"] for r in batch["requests"] if "updateCells" in r]
    assert sum(len(u["rows"]) for u in updates) == len(edits)
    assert len(updates) < len(edits)  # consecutive rows of a column share a request
    grid = backend.read().grids[REGISTER]
    after = validate_register(grid, SCHEMA, language="ja", owners=REPS, as_of=today)
    assert plan_fixes(after, grid, SCHEMA, language="ja") == []
    assert after.report.excluded_rows == result.report.excluded_rows
    for e in edits:
        assert grid.cell(e.row, e.column + 1) == e.new
