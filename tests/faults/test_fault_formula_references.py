"""Issue 11 #10: a rep's formula pointing at a tab sheetsync writes survives every run.

On real Google Sheets a reference is tied to the sheet, not its name: deleting a sheet turns
every formula pointing at it into ``#REF!`` for good, even when a sheet of the same name is
added back. sheetsync used to delete and re-add each of its tabs on every run; it now
rewrites them in place. The emulator models the ``#REF!`` (it resolved references by name,
so the old behaviour passed there), so these tests fail on the old write plan.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetsync import pipeline
from sheetsync.backends.google import write as google_write
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.demo import write_demo_workbook
from sheetsync.testing.load import load_grids

AS_OF = dt.date(2026, 12, 4)


def test_the_emulator_breaks_references_to_a_deleted_sheet(emulator) -> None:
    key = emulator.create_spreadsheet("refs")
    sheets = emulator.get_spreadsheet(key)["sheets"]
    a = sheets[0]["properties"]["sheetId"]
    emulator.batch_update(key, [
        {"updateSheetProperties": {"properties": {"sheetId": a, "title": "売上予測"},
                                   "fields": "title"}},
        {"updateCells": {"start": {"sheetId": a, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [{"userEnteredValue": {"numberValue": 42}}]}],
                         "fields": "userEnteredValue"}},
        {"addSheet": {"properties": {"sheetId": 77, "title": "ダッシュボード"}}},
        {"updateCells": {"start": {"sheetId": 77, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [{"userEnteredValue": {
                             "formulaValue": "='売上予測'!A1*2"}}]}],
                         "fields": "userEnteredValue"}},
    ])
    assert emulator.get_values(key, "'ダッシュボード'!A1") == [["84"]]
    emulator.batch_update(key, [{"deleteSheet": {"sheetId": a}},
                                {"addSheet": {"properties": {"title": "売上予測"}}}])
    assert emulator.get_values(key, "'ダッシュボード'!A1") == [["#REF!"]]  # for good


def values(emulator, key: str, rng: str) -> list[list[object]]:
    return emulator.get_values(key, rng, value_render_option="UNFORMATTED_VALUE")


@pytest.mark.parametrize("staged", [False, True], ids=["one batch", "staged"])
def test_a_reps_formula_on_the_forecast_tab_survives_the_next_run(
        emulator, service_account_key, tmp_path: Path, monkeypatch, staged: bool) -> None:
    if staged:
        monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", 20_000)
    write_demo_workbook(tmp_path / "deals.xlsx", today=AS_OF)
    key = load_grids(emulator, WorkbookBackend(tmp_path / "deals.xlsx").read().grids)
    config = parse_config(
        f"spreadsheet: {{backend: google, key: '{key}', credentials: '{service_account_key}', "
        f"endpoint: '{emulator.base_url}'}}\n", tmp_path / "config.yaml")
    pipeline.run(config, as_of=AS_OF)
    # a manager's own tab: this quarter's team target and commit landing, from 売上予測
    emulator.batch_update(key, [
        {"addSheet": {"properties": {"sheetId": 4242, "title": "ダッシュボード"}}},
        {"updateCells": {"start": {"sheetId": 4242, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [
                             {"userEnteredValue": {"formulaValue": "='売上予測'!C5"}},
                             {"userEnteredValue": {"formulaValue": "='売上予測'!G5"}}]}],
                         "fields": "userEnteredValue"}},
    ])
    forecast_id = {s["properties"]["title"]: s["properties"]["sheetId"]
                   for s in emulator.get_spreadsheet(key)["sheets"]}["売上予測"]
    before = values(emulator, key, "'ダッシュボード'!A1:B1")
    result = pipeline.run(config, as_of=AS_OF + dt.timedelta(days=7))
    assert result.written is not None
    after = values(emulator, key, "'ダッシュボード'!A1:B1")
    assert "#REF!" not in str(after)
    expected = values(emulator, key, "'売上予測'!C5:G5")
    assert after == [[expected[0][0], expected[0][4]]] and before[0][0] == after[0][0]
    sheets = {s["properties"]["title"]: s for s in emulator.get_spreadsheet(key)["sheets"]}
    assert sheets["売上予測"]["properties"]["sheetId"] == forecast_id  # the same sheet
    assert not [t for t in sheets if t.endswith("~sheetsync")]  # no staging tab left
    assert len(sheets["売上予測"].get("charts") or []) == 1  # the chart replaced, not doubled
