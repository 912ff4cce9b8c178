"""Issue 11 #8: a rep deleting a tab while a Google run writes.

Before: the run failed with the raw ``HTTP 400 … deleteSheet: No sheet with id`` (nothing
written — right — but unexplained). Now the run plans its write again on the tabs as they
are, once, and succeeds; if it happens again it says what happened.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.errors import BackendError
from sheetsync.grid import Grid
from sheetsync.testing.load import load_grids

AS_OF = dt.date(2026, 12, 4)
REGISTER = Grid("案件一覧", [["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"],
                         ["D-1", "更改", "A社", "佐藤", "リード", "2026/12/20"]])


def _setup(tmp_path: Path, emulator, key_file: Path):
    key = load_grids(emulator, {"案件一覧": REGISTER})
    config = parse_config(
        f"spreadsheet: {{backend: google, key: '{key}', credentials: '{key_file}', "
        f"endpoint: '{emulator.base_url}'}}\n", tmp_path / "config.yaml")
    pipeline.run(config, as_of=AS_OF)  # the tabs exist from now on
    return key, config


def _delete_tab(emulator, key: str, title: str) -> None:
    sheet_id = {s["properties"]["title"]: s["properties"]["sheetId"]
                for s in emulator.get_spreadsheet(key)["sheets"]}.get(title)
    if sheet_id is not None:
        emulator.batch_update(key, [{"deleteSheet": {"sheetId": sheet_id}}])


def test_a_tab_deleted_during_the_run_is_written_again(tmp_path, emulator,
                                                       service_account_key) -> None:
    key, config = _setup(tmp_path, emulator, service_account_key)
    emulator.faults.before_next("spreadsheets.batchUpdate",
                                lambda: _delete_tab(emulator, key, "要フォロー案件"))
    result = pipeline.run(config, as_of=AS_OF + dt.timedelta(days=1))
    assert result.written is not None and "要フォロー案件" in result.written.tabs
    titles = [s["properties"]["title"] for s in emulator.get_spreadsheet(key)["sheets"]]
    assert "要フォロー案件" in titles


def test_twice_is_one_line_that_says_what_happened(tmp_path, emulator,
                                                   service_account_key) -> None:
    key, config = _setup(tmp_path, emulator, service_account_key)
    before = emulator.snapshot(key)

    def first() -> None:  # before the first attempt; then before the replanned one
        _delete_tab(emulator, key, "要フォロー案件")
        emulator.faults.before_next("spreadsheets.batchUpdate",
                                    lambda: _delete_tab(emulator, key, "受注率"))

    emulator.faults.before_next("spreadsheets.batchUpdate", first)
    with pytest.raises(BackendError, match="deleted while sheetsync was writing, twice"):
        pipeline.run(config, as_of=AS_OF + dt.timedelta(days=1))
    after = emulator.snapshot(key)
    kept = [s["properties"]["title"] for s in after["sheets"]]
    assert "要フォロー案件" not in kept and "受注率" not in kept  # only the reps' deletions
    assert len(after["sheets"]) == len(before["sheets"]) - 2
