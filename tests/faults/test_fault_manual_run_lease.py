"""Issue 11 #6: a manual run never cancels a scheduled slot.

Before: `sheetsync run` at 8:55 left a lease owned by host:pid for lease_minutes; the 9:00
scheduled job logged "skipped" and exited 0 — the slot was silently lost (missed slots are
not retried). Both backends.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.errors import ChangedSinceReadSkip, LeaseHeldError
from sheetsync.grid import Grid
from sheetsync.testing.load import load_grids
from sheetsync.testing.xlsx import write_grids

JST = dt.timezone(dt.timedelta(hours=9), "JST")
MANUAL = dt.datetime(2026, 11, 26, 8, 55, tzinfo=JST)
SLOT = dt.datetime(2026, 11, 26, 9, 0, tzinfo=JST)
REGISTER = Grid("案件一覧", [["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"],
                         ["D-1", "更改", "A社", "佐藤", "リード", dt.date(2026, 12, 1)]])


@pytest.fixture(params=["workbook", "google"])
def config(request, tmp_path: Path):
    settings = "schedule: {lease_minutes: 10}\n"
    if request.param == "workbook":
        write_grids(tmp_path / "deals.xlsx", [REGISTER])
        return parse_config(settings, tmp_path / "config.yaml")
    emulator = request.getfixturevalue("emulator")
    key_file = request.getfixturevalue("service_account_key")
    key = load_grids(emulator, {"案件一覧": REGISTER})
    return parse_config(
        settings + f"spreadsheet: {{backend: google, key: '{key}', credentials: "
        f"'{key_file}', endpoint: '{emulator.base_url}'}}\n", tmp_path / "config.yaml")


def test_a_manual_run_at_8_55_leaves_the_9_00_slot_to_run(config) -> None:
    pipeline.run(config, run_at=MANUAL, runner="laptop:4242")  # a manager refreshes
    result = pipeline.run(config, run_at=SLOT, runner="server:weekly", respect_lease=True)
    assert result.written is not None and "売上予測" in result.written.tabs


def test_scheduled_runners_still_hold_their_slot(config) -> None:
    pipeline.run(config, run_at=SLOT, runner="server-a:weekly", respect_lease=True)
    with pytest.raises(LeaseHeldError, match="server-a:weekly"):
        pipeline.run(config, run_at=SLOT + dt.timedelta(minutes=1), runner="server-b:weekly",
                     respect_lease=True)


def test_a_lost_race_is_a_skip_that_says_what_happened(tmp_path: Path) -> None:
    write_grids(tmp_path / "deals.xlsx", [REGISTER])
    cfg = parse_config("language: en\n", tmp_path / "config.yaml")

    class Raced:
        def __init__(self) -> None:
            self.real = WorkbookBackend(tmp_path / "deals.xlsx")

        def __getattr__(self, name):
            return getattr(self.real, name)

        def write(self, tabs, read):
            pipeline.run(cfg, run_at=SLOT, runner="other:1")  # lands between read and write
            return self.real.write(tabs, read)

    with pytest.raises(ChangedSinceReadSkip) as info:
        pipeline.run(cfg, run_at=SLOT, runner="me:1", respect_lease=True, backend=Raced())
    message = str(info.value)
    assert message.startswith("skipped: the spreadsheet changed after this run read it")
    assert "another runner (" not in message  # not "another runner (another runner or …)"
    assert info.value.exit_code == 0
