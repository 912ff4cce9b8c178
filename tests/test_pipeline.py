"""The whole pipeline on real workbooks: idempotence, order independence, visible exclusions."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.demo import write_demo_workbook
from sheetsync.errors import ConfigError
from sheetsync.forecast_snapshots import FORECAST_SNAPSHOT_TAB
from sheetsync.grid import Grid
from sheetsync.history import SNAPSHOT_TAB
from sheetsync.testing.xlsx import write_grids

TODAY = dt.date(2026, 11, 26)
RUN_AT = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9), "JST"))


@pytest.fixture(scope="module")
def demo_grids(tmp_path_factory) -> dict[str, Grid]:
    path = tmp_path_factory.mktemp("demo") / "deals.xlsx"
    write_demo_workbook(path, today=TODAY)
    return WorkbookBackend(path).read().grids


def config_for(folder: Path, text: str = "language: ja\n"):
    return parse_config(text, folder / "config.yaml")


def test_running_twice_without_edits_gives_identical_tabs(tmp_path, demo_grids):
    write_grids(tmp_path / "deals.xlsx", demo_grids.values())
    config = config_for(tmp_path)
    first = pipeline.run(config, as_of=TODAY, run_at=RUN_AT)
    after_first = (tmp_path / "deals.xlsx").read_bytes()
    second = pipeline.run(config, as_of=TODAY, run_at=RUN_AT)
    assert second.to_json() == first.to_json()
    assert (tmp_path / "deals.xlsx").read_bytes() == after_first


def shuffled(grid: Grid, seed: int) -> Grid:
    """The register with its columns and data rows in another order (title rows kept)."""
    rng = random.Random(seed)
    header_at = next(i for i, row in enumerate(grid.rows) if row and row[0] == "案件ID")
    width = max(len(r) for r in grid.rows)
    order = list(range(width))
    rng.shuffle(order)
    body = [r + [None] * (width - len(r)) for r in grid.rows[header_at:]]
    head, data = body[0], body[1:]
    rng.shuffle(data)
    rows = [[row[i] for i in order] for row in [head, *data]]
    return Grid(grid.name, [*grid.rows[:header_at], *rows])


def test_results_do_not_depend_on_row_or_column_order(tmp_path, demo_grids):
    results = []
    for seed in (None, 1, 2):
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        grids = dict(demo_grids)
        if seed is not None:
            grids["案件一覧"] = shuffled(grids["案件一覧"], seed)
        write_grids(folder / "deals.xlsx", grids.values())
        data = pipeline.run(config_for(folder), as_of=TODAY, dry_run=True).to_json()
        # issues name cells, which move with the shuffle; the verdicts must not
        data["validation"] = {
            "rows": data["validation"]["rows"],
            "excluded_rows": data["validation"]["excluded_rows"],
            "errors": sorted((e["code"], str(e["value"])) for e in data["validation"]["errors"]),
            "warnings": sorted(w["code"] for w in data["validation"]["warnings"]),
        }
        results.append(data)
    assert results[1] == results[0] and results[2] == results[0]


def test_every_tab_says_how_many_rows_were_excluded(tmp_path, demo_grids):
    write_grids(tmp_path / "deals.xlsx", demo_grids.values())
    result = pipeline.run(config_for(tmp_path), as_of=TODAY, run_at=RUN_AT)
    assert result.report.excluded_rows == 9
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    for name in result.written.tabs:
        if name in (SNAPSHOT_TAB, FORECAST_SNAPSHOT_TAB):  # sheetsync's own, not for people
            assert wb[name].sheet_state == "hidden"
            continue
        note = wb[name]["A1"].value
        assert "基準日 2026-11-26" in note and "2026-11-26 09:00 JST" in note
        assert "9行を集計から除外 — 入力エラー を参照" in note


def test_english_tabs_and_notes(tmp_path, demo_grids):
    write_grids(tmp_path / "deals.xlsx", demo_grids.values())
    result = pipeline.run(config_for(tmp_path, "language: en\n"), as_of=TODAY, run_at=RUN_AT)
    assert result.written.tabs == ["Forecast", "Forecast history", "Pipeline changes",
                                   "Win rate", "Follow-up", "Rep summary", "Funnel",
                                   "Input errors", "Change history", SNAPSHOT_TAB,
                                   FORECAST_SNAPSHOT_TAB]
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    assert "9 rows excluded — see Input errors" in wb["Forecast"]["A1"].value
    # messages in English; the column keeps the header as written in the sheet
    messages = [c.value for c in wb["Input errors"]["F"]]
    assert any(m and "appears more than once (rows" in m for m in messages)


def test_stale_limits_by_stage_label_or_value(tmp_path, demo_grids):
    write_grids(tmp_path / "deals.xlsx", demo_grids.values())
    loose = pipeline.run(config_for(tmp_path, "stale: {default_days: 400}\n"), as_of=TODAY,
                         dry_run=True)
    strict = pipeline.run(config_for(tmp_path, "stale: {default_days: 400, by_stage: "
                                               "{リード: 0, negotiation: 0}}\n"),
                          as_of=TODAY, dry_run=True)
    def no_update(result):
        return {r["deal_id"] for r in result.to_json()["stale"] if "no_update" in r["reasons"]}
    assert no_update(loose) < no_update(strict)
    assert {r["stage"] for r in strict.to_json()["stale"] if r["deal_id"] in
            no_update(strict) - no_update(loose)} <= {"lead", "negotiation"}
    with pytest.raises(ConfigError, match=r"stale\.by_stage\.様子見: not a stage"):
        pipeline.run(config_for(tmp_path, "stale: {by_stage: {様子見: 3}}\n"), as_of=TODAY,
                     dry_run=True)
