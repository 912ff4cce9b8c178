"""What the change history feeds 要フォロー案件, over runs on real registers (issue 12 #1):
a change that only moves 受注予定日 later is recorded but is not an update, pushes add up to
``close_pushed``, and 現フェーズの日数 counted from the first sighting is a lower bound (the
tab shows ``≥N``). Every expectation is computed by hand."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.history import Current, Snapshot, observe
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注確率", "受注予定日",
          "最終接触日", "次回アクション", "次回アクション日", "完了日", "失注理由"]
D = dt.date
#: the columns of HEADER an edit touches
STAGE, CLOSE, ACTION, ACTION_DATE = 4, 7, 9, 10


CLOSE_DATE = D(2026, 12, 20)


def deal(deal_id: str, owner: str, *, action: str | None = "訪問", amount: int = 1_000_000,
         probability: int = 50) -> list[Any]:
    return [deal_id, "更改", f"{deal_id}社", owner, "提案", amount, probability, CLOSE_DATE,
            D(2026, 10, 25), action, D(2026, 12, 31) if action else None, None, None]


def register() -> Grid:
    return Grid("案件一覧", [
        HEADER,
        deal("D-1", "佐藤"),  # pushed twice, nothing else
        deal("D-2", "鈴木"),  # pushed with a new next action: an update
        deal("D-3", "高橋", action=None, amount=2_000_000),  # listed throughout: 次回未定
        deal("D-4", "伊藤", action=None, amount=3_000_000),  # changes stage on 11-08
    ])


def set_cell(grid: Grid, deal_id: str, column: int, value: Any) -> Grid:
    rows = [list(r) for r in grid.rows]
    next(r for r in rows if r[0] == deal_id)[column] = value
    return Grid(grid.name, rows)


#: (day, the register's edit before that day's run)
Edit = Callable[[Grid], Grid]
DAYS: list[tuple[D, Edit]] = [
    (D(2026, 11, 1), lambda g: g),  # first sighting
    (D(2026, 11, 5), lambda g: set_cell(set_cell(set_cell(
        g, "D-1", CLOSE, D(2027, 1, 31)),  # pushed only
        "D-2", CLOSE, D(2027, 1, 31)), "D-2", ACTION, "デモ日程調整")),  # pushed + new action
    (D(2026, 11, 8), lambda g: set_cell(g, "D-4", STAGE, "見積提出")),
    (D(2026, 11, 12), lambda g: set_cell(g, "D-1", CLOSE, D(2027, 2, 28))),  # second push
]


def run_days(run: Callable[[D, Grid], dict[str, Any]]) -> list[dict[str, Any]]:
    grid = register()
    outputs = []
    for day, change in DAYS:
        grid = change(grid)
        outputs.append(run(day, grid))
    return outputs


def stale(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["deal_id"]: r for r in output["stale"]}


# -- the observation itself --------------------------------------------------------------------


FIELDS = ("deal_id", "expected_close", "next_action", "stage")


def current(close: str, action: str = "訪問", stage: str = "proposal") -> Current:
    return Current(FIELDS, {"D": "\t".join(["D", close, action, stage])})


@pytest.mark.parametrize(("after", "is_update", "pushes"), [
    (current("2027-01-31"), False, 1),  # only pushed later: not an update
    (current("2026-12-01"), True, 0),  # pulled in: an update
    (current("2027-01-31", action="電話"), True, 1),  # pushed with another edit: an update
    (current("2027-01-31", stage="quote"), True, 1),
    (current(""), True, 0),  # cleared: an update (and an input error)
])
def test_only_a_later_close_date_is_not_an_update(after, is_update, pushes) -> None:
    first = observe(Snapshot(), current("2026-12-20"), observed_at=D(2026, 11, 1)).snapshot
    obs = observe(first, after, observed_at=D(2026, 11, 5))
    entry = obs.snapshot.entries["D"]
    assert [c.field for c in obs.changes] == [
        f for f, a, b in zip(FIELDS, first.values_of(first.entries["D"]).values(),
                             after.values("D").values(), strict=True) if a != b]
    assert entry.last_changed == (D(2026, 11, 5) if is_update else None)
    assert entry.close_pushes == pushes


def test_pushes_add_up_and_keep_the_last_update() -> None:
    snap = observe(Snapshot(), current("2026-12-20"), observed_at=D(2026, 11, 1)).snapshot
    snap = observe(snap, current("2026-12-20", action="電話"), observed_at=D(2026, 11, 3)).snapshot
    for day, close in ((D(2026, 11, 5), "2027-01-31"), (D(2026, 11, 9), "2027-02-28")):
        snap = observe(snap, current(close, action="電話"), observed_at=day).snapshot
    entry = snap.entries["D"]
    assert (entry.close_pushes, entry.last_changed) == (2, D(2026, 11, 3))
    assert (entry.first_seen, entry.stage_since) == (D(2026, 11, 1), D(2026, 11, 1))


# -- runs on a workbook ------------------------------------------------------------------------


def workbook_runner(folder: Path) -> Callable[[D, Grid], dict[str, Any]]:
    path = folder / "deals.xlsx"
    config = parse_config("language: ja\n", folder / "config.yaml")

    def run(day: D, grid: Grid) -> dict[str, Any]:
        if not path.exists():
            write_grids(path, [grid])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grid, *[g for n, g in current.items() if n != "案件一覧"]])
        out = pipeline.run(config, as_of=day).to_json()
        out["tab"] = _tab_rows(WorkbookBackend(path).read(["要フォロー案件"]).grids)
        return out

    return run


def _tab_rows(grids: dict[str, Grid]) -> dict[str, dict[str, Any]]:
    """要フォロー案件 as read back: 案件ID → {header: cell}."""
    rows = grids["要フォロー案件"].rows
    header = list(rows[1])
    return {r[0]: dict(zip(header, r, strict=False)) for r in rows[2:] if r and r[0]}


def test_follow_up_over_runs_on_a_workbook(tmp_path: Path) -> None:
    day1, day5, day8, day12 = run_days(workbook_runner(tmp_path))

    # first sighting: every stage counted from today — JSON 0 and a lower bound, tab blank
    d3 = stale(day1)["D-3"]
    assert (d3["days_in_stage"], d3["days_in_stage_at_least"], d3["close_pushes"]) == (0, True, 0)
    assert day1["tab"]["D-3"]["滞留日数"] is None
    assert set(stale(day1)) == {"D-3", "D-4"}  # no action: 次回未定; the others are fresh

    # 11-05: D-1 only slipped (recorded, pushed once, not an update); D-2 slipped and got a
    # new next action (an update)
    assert stale(day5)["D-3"]["days_in_stage"] == 4
    assert day5["tab"]["D-3"]["滞留日数"] == "≥4"

    # 11-08: D-4 moved to 見積提出: its days in stage are exact from now on
    d4 = stale(day8)["D-4"]
    assert (d4["stage"], d4["days_in_stage"], d4["days_in_stage_at_least"]) == ("quote", 0, False)
    assert day8["tab"]["D-4"]["滞留日数"] == 0

    # 11-12: last contact 10-25 was 18 days ago. D-1's push on 11-05 was no update, so it is
    # no_update; its second push today makes it close_pushed. D-2 was updated on 11-05.
    rows = stale(day12)
    d1 = rows["D-1"]
    assert d1["reasons"] == ["no_update", "close_pushed"]
    assert (d1["days_since_update"], d1["close_pushes"], d1["expected_close"]) == (
        18, 2, "2027-02-28")
    assert "D-2" not in rows
    assert (rows["D-3"]["days_in_stage"], rows["D-3"]["days_in_stage_at_least"]) == (11, True)
    assert (rows["D-4"]["days_in_stage"], rows["D-4"]["days_in_stage_at_least"]) == (4, False)
    # money at risk first: amount × the 受注確率 typed (50 %)
    assert [(r["deal_id"], r["impact"]) for r in day12["stale"]] == [
        ("D-4", 1_500_000), ("D-3", 1_000_000), ("D-1", 500_000)]
    tab = day12["tab"]
    assert (tab["D-3"]["滞留日数"].strip(), tab["D-4"]["滞留日数"]) == ("≥11", 4)
    assert (tab["D-1"]["理由"], tab["D-1"]["延期回数"], tab["D-1"]["影響額"]) == (
        "更新なし・予定日延期", 2, 500_000)

    # every change is still recorded in 変更履歴, the slips too
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    recorded = [(r[1], r[2]) for r in wb["変更履歴"].iter_rows(min_row=3, values_only=True)]
    assert recorded == [("D-1", "受注予定日"),  # 11-12, newest first
                        ("D-4", "フェーズ"),  # 11-08
                        ("D-1", "受注予定日"), ("D-2", "受注予定日"), ("D-2", "次回アクション")]


def test_a_lower_bound_sorts_as_a_number_among_lower_bounds() -> None:
    from sheetsync.reports.followup import days_in_stage_cells

    cells = days_in_stage_cells([9, 120, 10, 7, 0], [True, True, True, False, True])
    assert [c.strip() if isinstance(c, str) else c for c in cells] == [
        "≥9", "≥120", "≥10", 7, None]
    texts = [c for c in cells if isinstance(c, str)]
    assert sorted(texts) == [cells[0], cells[2], cells[1]]  # ≥9 < ≥10 < ≥120


# -- the same on Google ------------------------------------------------------------------------


def google_runner(emulator: Emulator, key_file: Path, folder: Path
                  ) -> Callable[[D, Grid], dict[str, Any]]:
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    state: dict[str, Any] = {}

    def run(day: D, grid: Grid) -> dict[str, Any]:
        if not state:
            state["sid"] = sid = load_grids(emulator, {"案件一覧": grid})
            state["config"] = parse_config(
                f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
                f"endpoint: '{emulator.base_url}'}}\nlanguage: ja\n", folder / "config.yaml")
        else:
            sheet = next(s["properties"]["sheetId"]
                         for s in emulator.get_spreadsheet(state["sid"])["sheets"]
                         if s["properties"]["title"] == "案件一覧")
            width = len(HEADER)
            emulator.batch_update(state["sid"], [{"updateCells": {
                "range": {"sheetId": sheet},
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                "rows": [{"values": [cell_data(v) for v in [*r, *[None] * (width - len(r))]]}
                         for r in grid.rows]}}])
        out = pipeline.run(state["config"], as_of=day).to_json()
        backend = GoogleBackend.from_config(state["config"])
        out["tab"] = _tab_rows(backend.read(["要フォロー案件"]).grids)
        return out

    return run


def test_the_same_follow_up_on_both_backends(emulator: Emulator, service_account_key: Path,
                                             tmp_path: Path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    on_workbook = run_days(workbook_runner(tmp_path / "wb"))
    on_google = run_days(google_runner(emulator, service_account_key, tmp_path / "gs"))
    for wb, gs in zip(on_workbook, on_google, strict=True):
        assert wb["stale"] == gs["stale"]
        assert json.dumps(wb["tab"], default=str) == json.dumps(gs["tab"], default=str)
    last = on_google[-1]["stale"]
    assert {k for r in last for k in r} >= {"impact", "days_in_stage_at_least", "close_pushes"}
    assert [r["reasons"] for r in last if r["deal_id"] == "D-1"] == [["no_update",
                                                                      "close_pushed"]]
