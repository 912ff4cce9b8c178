"""Change history and its snapshot behave the same on both backends (issue 5)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.demo import write_demo_workbook
from sheetsync.grid import Grid
from sheetsync.history import HISTORY_TAB, SNAPSHOT_TAB, read_snapshot
from sheetsync.testing.load import load_grids
from sheetsync.testing.xlsx import write_grids

DAY1, DAY2 = dt.date(2026, 11, 20), dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo_grids(tmp_path_factory) -> dict[str, Grid]:
    path = tmp_path_factory.mktemp("demo") / "deals.xlsx"
    write_demo_workbook(path, today=DAY2)
    return WorkbookBackend(path).read().grids


def edited(grids: dict[str, Grid]) -> dict[str, Grid]:
    """The register with one amount changed and one deal removed (one whose 案件ID is not
    shared with another row: a shared ID is not tracked)."""
    rows = [list(r) for r in grids["案件一覧"].rows]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "案件ID")
    amount = rows[header].index("金額")
    ids = Counter(r[0] for r in rows[header + 1:] if r)
    rows[header + 1][amount] = 98_765_000
    removed = next(i for i in range(header + 2, len(rows)) if rows[i] and ids[rows[i][0]] == 1)
    del rows[removed]
    return {**grids, "案件一覧": Grid("案件一覧", rows)}


def run_workbook(folder: Path, grids_by_day) -> tuple[dict, Grid, Grid]:
    path = folder / "deals.xlsx"
    config = parse_config("language: ja\n", folder / "config.yaml")
    outputs = []
    for day, grids in grids_by_day:
        if not path.exists():
            write_grids(path, grids.values())
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grids["案件一覧"], *[g for n, g in current.items()
                                                  if n != "案件一覧"]])
        outputs.append(pipeline.run(config, as_of=day).to_json())
    after = WorkbookBackend(path).read([SNAPSHOT_TAB, HISTORY_TAB("ja")]).grids
    return outputs, after[SNAPSHOT_TAB], after[HISTORY_TAB("ja")]


def run_google(emulator, key_file: Path, folder: Path, grids_by_day):
    (day1, first), (day2, second) = grids_by_day
    sid = load_grids(emulator, first)
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    config = parse_config(
        f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
        f"endpoint: '{emulator.base_url}'}}\n", folder / "config.yaml")
    outputs = [pipeline.run(config, as_of=day1).to_json()]
    rows = second["案件一覧"].rows
    emulator.batch_update(sid, [{"updateCells": {
        "range": {"sheetId": _sheet_id(emulator, sid, "案件一覧")},
        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
        "rows": _cells(rows)}}])
    outputs.append(pipeline.run(config, as_of=day2).to_json())
    backend = GoogleBackend.from_config(config)
    after = backend.read([SNAPSHOT_TAB, HISTORY_TAB("ja")]).grids
    return outputs, after[SNAPSHOT_TAB], after[HISTORY_TAB("ja")]


def _sheet_id(emulator, sid: str, title: str) -> int:
    return next(s["properties"]["sheetId"] for s in emulator.get_spreadsheet(sid)["sheets"]
                if s["properties"]["title"] == title)


def _cells(rows):
    from sheetsync.testing.load import cell_data

    width = max(len(r) for r in rows)
    return [{"values": [cell_data(v) for v in [*r, *([None] * (width - len(r)))]]}
            for r in [*rows, []]]  # one blank row clears the removed deal's old last row


def test_history_and_snapshot_agree_across_backends(emulator, service_account_key, tmp_path,
                                                    demo_grids):
    days = [(DAY1, demo_grids), (DAY2, edited(demo_grids))]
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    wb_out, wb_snap, wb_hist = run_workbook(tmp_path / "wb", days)
    gs_out, gs_snap, gs_hist = run_google(emulator, service_account_key, tmp_path / "gs", days)
    assert json.dumps(wb_out, sort_keys=True, default=str) == json.dumps(
        gs_out, sort_keys=True, default=str)
    a, b = read_snapshot(wb_snap), read_snapshot(gs_snap)
    assert a.entries == b.entries and a.fields == b.fields
    assert len(a) == 297  # 300 rows − 2 sharing one ID (untracked) − 1 removed
    assert wb_hist.rows[2:] == gs_hist.rows[2:]  # the note row carries the run time
    changes = [r[2] for r in wb_hist.rows[2:]]
    assert changes == ["見込金額", "（削除）"]
