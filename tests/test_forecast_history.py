"""予測の推移 over backdated runs with known edits (issue 13 #1): the stored daily snapshot,
売上予測's 前週比, forecast accuracy, bias, the Aヨミ hit rate with its Wilson interval, and
"history too short" — on a real workbook and, the same JSON, on the emulated Google Sheet.

Every expectation is computed by hand in the comments. The register (FY2026-Q2 = 2026-07-01 …
09-30; 4 weeks before its end = 09-02, 8 weeks = 08-05):

    run 08-01  A1 佐藤 交渉 ¥1,000,000 80 %  09-15   (commit)
               A2 佐藤 見積 ¥2,000,000 90 %  09-20   (commit)
               B1 鈴木 交渉 ¥3,000,000 80 %  09-20   (commit)
               B2 鈴木 提案 ¥4,000,000 40 %  09-25
               W0 佐藤 受注 ¥500,000, 完了日 07-10
    run 08-29  B2 ¥4,000,000 → ¥5,000,000; A2 90 % → 50 % (out of commit)
    run 09-05  A1 受注, 完了日 09-03; B1 受注予定日 → 10-15 (slips into Q3)
    run 10-05  A2 受注, 完了日 09-30; B2 失注 09-28         (Q2 is closed now)
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.forecast_snapshots import (
    CELL_CHARS,
    FORECAST_SNAPSHOT_TAB,
    ForecastHistory,
    PeriodSnapshot,
    read_forecast_history,
)
from sheetsync.grid import Grid
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注確率", "受注予定日",
          "完了日", "失注理由", "次回アクション", "次回アクション日"]
STAGE, AMOUNT, PROBABILITY, CLOSE, CLOSED_ON, LOSS = 4, 5, 6, 7, 8, 9
DAY1, DAY2, DAY3, DAY4 = D(2026, 8, 1), D(2026, 8, 29), D(2026, 9, 5), D(2026, 10, 5)


def deal(deal_id: str, owner: str, stage: str, amount: int, probability: int | None,
         close: D | None, closed_on: D | None = None) -> list[Any]:
    return [deal_id, f"{deal_id} 更改", f"{deal_id}社", owner, stage, amount, probability, close,
            closed_on, None, "訪問", D(2026, 12, 31)]


def register() -> Grid:
    return Grid("案件一覧", [
        HEADER,
        deal("A1", "佐藤", "交渉", 1_000_000, 80, D(2026, 9, 15)),
        deal("A2", "佐藤", "見積提出", 2_000_000, 90, D(2026, 9, 20)),
        deal("B1", "鈴木", "交渉", 3_000_000, 80, D(2026, 9, 20)),
        deal("B2", "鈴木", "提案", 4_000_000, 40, D(2026, 9, 25)),
        deal("W0", "佐藤", "受注", 500_000, None, D(2026, 7, 10), D(2026, 7, 10)),
    ])


def set_cells(grid: Grid, deal_id: str, **cells: Any) -> Grid:
    columns = {"stage": STAGE, "amount": AMOUNT, "probability": PROBABILITY, "close": CLOSE,
               "closed_on": CLOSED_ON, "loss": LOSS}
    rows = [list(r) for r in grid.rows]
    row = next(r for r in rows if r[0] == deal_id)
    for name, value in cells.items():
        row[columns[name]] = value
    return Grid(grid.name, rows)


Edit = Callable[[Grid], Grid]
DAYS: list[tuple[D, Edit]] = [
    (DAY1, lambda g: g),
    (DAY2, lambda g: set_cells(set_cells(g, "B2", amount=5_000_000), "A2", probability=50)),
    (DAY3, lambda g: set_cells(set_cells(g, "A1", stage="受注", closed_on=D(2026, 9, 3)),
                               "B1", close=D(2026, 10, 15))),
    (DAY4, lambda g: set_cells(set_cells(g, "A2", stage="受注", closed_on=D(2026, 9, 30)),
                               "B2", stage="失注", closed_on=D(2026, 9, 28), loss="予算")),
]

Runner = Callable[[D, Grid], dict[str, Any]]


def run_days(run: Runner, order: Callable[[Grid], Grid] = lambda g: g) -> list[dict[str, Any]]:
    grid = register()
    outputs = []
    for day, change in DAYS:
        grid = change(grid)
        outputs.append(run(day, order(grid)))
    return outputs


def workbook_runner(folder: Path, config_text: str = "") -> Runner:
    path = folder / "deals.xlsx"
    config = parse_config(f"language: ja\n{config_text}", folder / "config.yaml")

    def run(day: D, grid: Grid, dry_run: bool = False) -> dict[str, Any]:
        if not path.exists():
            write_grids(path, [grid])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grid, *[g for n, g in current.items() if n != "案件一覧"]])
        out = pipeline.run(config, as_of=day, dry_run=dry_run).to_json()
        out["stored"] = stored_rows(WorkbookBackend(path).read([FORECAST_SNAPSHOT_TAB]).grids)
        return out

    return run


def stored_rows(grids: dict[str, Grid]) -> list[list[Any]]:
    grid = grids.get(FORECAST_SNAPSHOT_TAB)
    return [list(r) for r in grid.rows[2:]] if grid else []  # below the note and header


def by_key(output: dict[str, Any], key: str = "forecast") -> dict[tuple, dict[str, Any]]:
    return {(r["period"], r["owner"]): r for r in output[key]}


def accuracy(output: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    return {(r["period"], r["owner"], r["weeks_before"]): r
            for r in output["forecast_accuracy"]}


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95 % interval, written out from its formula (not the project's function)."""
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


@pytest.fixture(scope="module")
def on_workbook(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return run_days(workbook_runner(tmp_path_factory.mktemp("wb")))


# -- 前週比 ------------------------------------------------------------------------------------


def test_changes_against_the_snapshot_of_a_week_ago(on_workbook) -> None:
    day1, day2, day3, day4 = map(by_key, on_workbook)
    # 08-01 and 08-29: no snapshot 7 days older (08-29 − 7 = 08-22: only 08-01, which holds Q2)
    assert day1[("FY2026-Q2", None)]["forecast_change_7d"] is None
    # 08-29 vs 08-01: team Q2 forecast 7,100,000 → 6,700,000 (B2 +400,000 weighted, A2
    # 1,800,000 → 1,000,000); commit landing 6,500,000 → 4,500,000 (A2 left commit)
    q2 = day2[("FY2026-Q2", None)]
    assert (q2["forecast"], q2["commit_landing"]) == (6_700_000, 4_500_000)
    assert (q2["forecast_change_7d"], q2["commit_landing_change_7d"]) == (-400_000, -2_000_000)
    # 09-05 vs 08-29 (09-05 − 7 = 08-29 exactly)
    team = day3[("FY2026-Q2", None)]
    assert (team["forecast"], team["commit_landing"]) == (4_500_000, 1_500_000)
    assert (team["forecast_change_7d"], team["commit_landing_change_7d"]) == (
        4_500_000 - 6_700_000, 1_500_000 - 4_500_000)
    sato, suzuki = day3[("FY2026-Q2", "佐藤")], day3[("FY2026-Q2", "鈴木")]
    assert (sato["forecast_change_7d"], sato["commit_landing_change_7d"]) == (
        2_500_000 - 2_300_000, 0)
    assert (suzuki["forecast_change_7d"], suzuki["commit_landing_change_7d"]) == (
        2_000_000 - 4_400_000, 0 - 3_000_000)
    # B1 slipped into Q3: 鈴木 had no Q3 row on 08-29 (nothing there), the team row says the
    # period was in that snapshot, so 鈴木's figure then was 0
    q3 = day3[("FY2026-Q3", "鈴木")]
    assert (q3["forecast"], q3["forecast_change_7d"], q3["commit_landing_change_7d"]) == (
        2_400_000, 2_400_000, 3_000_000)
    # 10-05 vs 09-05 (the latest on or before 09-28): Q2 is closed, its landings are its won
    closed = day4[("FY2026-Q2", None)]
    assert closed["closed"] and closed["forecast"] == 3_500_000
    assert (closed["forecast_change_7d"], closed["commit_landing_change_7d"]) == (
        3_500_000 - 4_500_000, 3_500_000 - 1_500_000)
    assert day4[("FY2026-Q3", None)]["forecast_change_7d"] == 0
    # a period no snapshot held a week ago: FY2026-Q1 closed before the first run
    assert day4[("FY2026-Q1", None)]["forecast_change_7d"] is None


def test_the_forecast_tab_shows_the_changes_signed(tmp_path: Path, on_workbook) -> None:
    run = workbook_runner(tmp_path)
    grid = register()
    for day, change in DAYS[:3]:
        grid = change(grid)
        run(day, grid)
    ws = openpyxl.load_workbook(tmp_path / "deals.xlsx")["売上予測"]
    header = [c.value for c in ws[2]]
    assert header.index("コミット前週比") == header.index("コミット着地") + 1
    assert header.index("加重前週比") == header.index("加重着地") + 1
    team_q2 = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "FY2026-Q2")
    cell = team_q2[header.index("加重前週比")]
    assert cell.value == -2_200_000 and cell.number_format.startswith("+¥#,##0;-¥#,##0")


# -- accuracy ---------------------------------------------------------------------------------


def test_accuracy_bias_and_hit_rate_by_hand(on_workbook) -> None:
    rows = accuracy(on_workbook[-1])
    # Q2 is closed on 10-05; won in Q2: W0 500,000 + A1 1,000,000 + A2 2,000,000 = 3,500,000
    team4 = rows[("FY2026-Q2", None, 4)]  # the snapshot of 08-29 (latest on or before 09-02)
    assert team4["snapshot_date"] == "2026-08-29"
    assert (team4["forecast"], team4["commit_landing"], team4["won"]) == (
        6_700_000, 4_500_000, 3_500_000)
    assert team4["accuracy"] == pytest.approx(1 - 3_200_000 / 3_500_000)
    assert team4["bias"] == 3_200_000  # 楽観
    # commit deals on 08-29: A1 and B1; A1 won on 09-03 (in Q2), B1 slipped and is open
    assert (team4["commit_deals"], team4["commit_won"], team4["a_hit_rate"]) == (2, 1, 0.5)
    assert (team4["wilson_low"], team4["wilson_high"]) == pytest.approx(wilson(1, 2))

    team8 = rows[("FY2026-Q2", None, 8)]  # 08-01 (latest on or before 08-05)
    assert (team8["snapshot_date"], team8["forecast"], team8["commit_landing"]) == (
        "2026-08-01", 7_100_000, 6_500_000)
    assert team8["accuracy"] == 0.0  # 1 − 3,600,000 / 3,500,000 < 0
    assert team8["bias"] == 3_600_000
    # A1, A2 and B1 in commit then; A1 (09-03) and A2 (09-30) won in Q2
    assert (team8["commit_deals"], team8["commit_won"]) == (3, 2)
    assert team8["a_hit_rate"] == pytest.approx(2 / 3)
    assert (team8["wilson_low"], team8["wilson_high"]) == pytest.approx(wilson(2, 3))

    sato4, sato8 = rows[("FY2026-Q2", "佐藤", 4)], rows[("FY2026-Q2", "佐藤", 8)]
    assert (sato4["forecast"], sato4["won"], sato4["bias"]) == (2_300_000, 3_500_000, -1_200_000)
    assert sato4["accuracy"] == pytest.approx(1 - 1_200_000 / 3_500_000)
    assert (sato4["commit_deals"], sato4["commit_won"], sato4["a_hit_rate"]) == (1, 1, 1.0)
    assert (sato8["forecast"], sato8["bias"], sato8["commit_deals"], sato8["commit_won"]) == (
        3_100_000, -400_000, 2, 2)
    assert sato8["accuracy"] == pytest.approx(1 - 400_000 / 3_500_000)

    suzuki4 = rows[("FY2026-Q2", "鈴木", 4)]  # won nothing: accuracy undefined, bias is not
    assert (suzuki4["won"], suzuki4["accuracy"], suzuki4["bias"]) == (0, None, 4_400_000)
    assert (suzuki4["commit_deals"], suzuki4["commit_won"], suzuki4["a_hit_rate"]) == (1, 0, 0.0)
    assert (suzuki4["wilson_low"], suzuki4["wilson_high"]) == pytest.approx(wilson(0, 1))
    assert rows[("FY2026-Q2", "鈴木", 8)]["bias"] == 4_000_000

    # H1 = Q1 + Q2; nothing in Q1, so the same figures, and the commit deals of its quarters
    h1 = rows[("FY2026-H1", None, 4)]
    assert (h1["forecast"], h1["won"], h1["commit_deals"], h1["commit_won"]) == (
        6_700_000, 3_500_000, 2, 1)


def test_history_too_short_is_said_never_invented(on_workbook) -> None:
    out = on_workbook[-1]
    rows = accuracy(out)
    # Q1 ended 06-30: no snapshot on or before 06-02 or 05-05 — the team only, nulls
    q1 = [r for r in out["forecast_accuracy"] if r["period"] == "FY2026-Q1"]
    assert [(r["owner"], r["weeks_before"]) for r in q1] == [(None, 4), (None, 8)]
    assert all(r[k] is None for r in q1 for k in (
        "snapshot_date", "forecast", "commit_landing", "accuracy", "bias", "commit_deals",
        "commit_won", "a_hit_rate", "wilson_low", "wilson_high"))
    assert rows[("FY2026-Q1", None, 4)]["won"] == 0
    # most recent end first, a quarter before the half ending with it
    assert list(dict.fromkeys(r["period"] for r in out["forecast_accuracy"])) == [
        "FY2026-Q2", "FY2026-H1", "FY2026-Q1"]
    # before Q2 closed there is nothing to measure but Q1
    assert {r["period"] for r in on_workbook[2]["forecast_accuracy"]} == {"FY2026-Q1"}


def test_the_tab_says_it_as_a_manager_reads_it(tmp_path: Path) -> None:
    run_days(workbook_runner(tmp_path))
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    ws = wb["予測の推移"]
    rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    header = [c.value for c in ws[2]]
    # the trend of the current quarter (Q3 on 10-05), one row per stored day
    trend = [r for r in rows if r[2] == "推移"]
    assert [(r[0], r[3].date(), r[4]) for r in trend] == [
        ("FY2026-Q3", DAY1, 0), ("FY2026-Q3", DAY2, 0), ("FY2026-Q3", DAY3, 2_400_000),
        ("FY2026-Q3", DAY4, 2_400_000)]
    (chart,) = ws._charts
    assert chart.tagname == "lineChart"
    # straight segments between the snapshots (a smoothed curve overshoots: values nobody
    # forecast) and a dot on each one
    assert [(s.smooth, s.marker.symbol) for s in chart.series] == [(False, "circle")] * 2
    assert chart.anchor._from.col == 7 and chart.anchor._from.row == 2
    cells = {(r[0], r[1], r[2]): dict(zip(header, r, strict=False)) for r in rows if r[0]}
    team4 = cells[("FY2026-Q2", "チーム合計", "4週前")]
    assert (team4["傾向"], team4["的中/Aヨミ"], team4["乖離"]) == ("楽観", "1/2", 3_200_000)
    assert team4["95%区間"] == "{:.0f}%〜{:.0f}%".format(*(100 * x for x in wilson(1, 2)))
    assert cells[("FY2026-Q2", "佐藤", "4週前")]["傾向"] == "保守"
    assert cells[("FY2026-Q1", "チーム合計", "8週前")]["予測日"] == "履歴不足"
    assert cells[("FY2026-Q1", "チーム合計", "8週前")]["予測精度"] is None


# -- the store --------------------------------------------------------------------------------


def test_one_snapshot_per_day_replaced_by_a_later_run(tmp_path: Path) -> None:
    run = workbook_runner(tmp_path)
    grid = DAYS[1][1](register())
    first = run(DAY2, grid)["stored"]
    again = run(DAY2, grid)["stored"]
    assert again == first  # a rerun without edits: the day replaced by the same rows
    edited = run(DAY2, set_cells(grid, "B2", amount=6_000_000))["stored"]
    assert len(edited) == len(first) and {r[0] for r in edited} == {"2026-08-29"}
    history = read_forecast_history(Grid("t", [[None], [*HEAD], *edited]))
    assert history.values(DAY2, "FY2026-Q2", "鈴木").forecast == 2_400_000 + 2_400_000
    later = run(DAY3, set_cells(grid, "B2", amount=6_000_000))["stored"]
    assert len(later) > len(edited)
    assert [r for r in later if r[0] == "2026-08-29"] == edited  # earlier days kept as they are


HEAD = ("day", "period", "owner", "won", "pipeline", "weighted", "commit", "best_case",
        "commit_landing", "best_case_landing", "forecast", "commit_ids")


def test_a_dry_run_stores_nothing(tmp_path: Path) -> None:
    run = workbook_runner(tmp_path)
    out = run(DAY1, register(), dry_run=True)
    assert out["stored"] == [] and out["tabs_written"] == []
    assert out["forecast_accuracy"]  # computed all the same (Q1: history too short)
    run(DAY2, register())
    before = (tmp_path / "deals.xlsx").read_bytes()
    config = parse_config("language: ja\n", tmp_path / "config.yaml")
    result = pipeline.run(config, as_of=DAY3, dry_run=True)
    trend = result.frames["forecast_accuracy"].query("section == 'trend'")
    assert trend["snapshot_date"].tolist() == ["2026-08-29", "2026-09-05"]  # its own day seen
    assert (tmp_path / "deals.xlsx").read_bytes() == before  # … and nothing written
    stored = stored_rows(WorkbookBackend(tmp_path / "deals.xlsx").read(
        [FORECAST_SNAPSHOT_TAB]).grids)
    assert {r[0] for r in stored} == {"2026-08-29"}


def test_retention_drops_old_days_whole(tmp_path: Path) -> None:
    outputs = run_days(workbook_runner(tmp_path, "history: {retention_days: 30}\n"))
    # 10-05 − 30 days = 09-05: 08-01 and 08-29 are gone, and with them Q2's snapshots
    assert sorted({r[0] for r in outputs[-1]["stored"]}) == ["2026-09-05", "2026-10-05"]
    q2 = accuracy(outputs[-1])[("FY2026-Q2", None, 4)]
    assert q2["snapshot_date"] is None and q2["won"] == 3_500_000
    (tmp_path / "cap").mkdir()
    capped = run_days(workbook_runner(tmp_path / "cap", "history: {forecast_rows: 1}\n"))
    assert {r[0] for r in capped[-1]["stored"]} == {"2026-10-05"}  # the newest day stays


def test_results_do_not_depend_on_register_row_order(tmp_path: Path, on_workbook) -> None:
    def reverse(grid: Grid) -> Grid:
        return Grid(grid.name, [grid.rows[0], *reversed(grid.rows[1:])])

    reversed_runs = run_days(workbook_runner(tmp_path), reverse)
    for a, b in zip(on_workbook, reversed_runs, strict=True):
        assert a["forecast"] == b["forecast"]
        assert a["forecast_accuracy"] == b["forecast_accuracy"]
        assert a["stored"] == b["stored"]


# -- both backends ----------------------------------------------------------------------------


def google_runner(emulator: Emulator, key_file: Path, folder: Path) -> Runner:
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
            emulator.batch_update(state["sid"], [{"updateCells": {
                "range": {"sheetId": sheet},
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                "rows": [{"values": [cell_data(v) for v in [*r, *[None] * (len(HEADER) - len(r))]]}
                         for r in grid.rows]}}])
        out = pipeline.run(state["config"], as_of=day).to_json()
        backend = GoogleBackend.from_config(state["config"])
        out["stored"] = stored_rows(backend.read([FORECAST_SNAPSHOT_TAB]).grids)
        out["sid"] = state["sid"]
        return out

    return run


def test_the_same_json_and_store_on_both_backends(emulator: Emulator, service_account_key: Path,
                                                  tmp_path: Path, on_workbook) -> None:
    on_google = run_days(google_runner(emulator, service_account_key, tmp_path))
    for wb, gs in zip(on_workbook, on_google, strict=True):
        assert json.dumps(wb["forecast"]) == json.dumps(gs["forecast"])
        assert json.dumps(wb["forecast_accuracy"]) == json.dumps(gs["forecast_accuracy"])
        assert wb["stored"] == gs["stored"]
    assert accuracy(on_google[-1])[("FY2026-Q2", None, 4)]["a_hit_rate"] == 0.5
    # the line chart on Google: the header titles the series, the four trend rows follow it
    sheets = {s["properties"]["title"]: s
              for s in emulator.get_spreadsheet(on_google[-1]["sid"])["sheets"]}
    (chart,) = sheets["予測の推移"]["charts"]
    basic = chart["spec"]["basicChart"]
    assert (basic["chartType"], basic["headerCount"]) == ("LINE", 1)
    assert [s["pointStyle"]["shape"] for s in basic["series"]] == ["CIRCLE", "CIRCLE"]
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["startRowIndex"], domain["endRowIndex"], domain["startColumnIndex"]) == (
        1, 2 + 4, 3)  # the header (row 2), the trend rows 3–6; 予測日
    assert [s["series"]["sourceRange"]["sources"][0]["startColumnIndex"]
            for s in basic["series"]] == [5, 4]  # コミット着地, 加重着地
    anchor = chart["position"]["overlayPosition"]["anchorCell"]
    assert (anchor["rowIndex"], anchor["columnIndex"]) == (2, 7)  # right of the trend
    assert sheets[FORECAST_SNAPSHOT_TAB]["properties"].get("hidden") is True


# -- thousands of commit deals ---------------------------------------------------------------


def big_register(count: int) -> Grid:
    """``count`` commit deals of one rep in one quarter, with IDs that do not compress well."""
    import random

    rng = random.Random(13)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    ids = sorted({"".join(rng.choice(alphabet) for _ in range(20)) for _ in range(count)})
    return Grid("案件一覧", [HEADER, *(deal(i, "佐藤", "交渉", 1_000, 80, D(2026, 9, 15))
                                     for i in ids)])


@pytest.mark.parametrize("backend", ["workbook", "google"])
def test_thousands_of_commit_deals_fit_the_cells(backend: str, emulator: Emulator,
                                                 service_account_key: Path,
                                                 tmp_path: Path) -> None:
    grid = big_register(6_000)
    ids = {r[0] for r in grid.rows[1:]}
    if backend == "workbook":
        run = workbook_runner(tmp_path)
    else:
        run = google_runner(emulator, service_account_key, tmp_path)
    stored = run(DAY1, grid)["stored"]
    row = next(r for r in stored if r[1] == "FY2026-Q2" and r[2] == "佐藤")
    texts = [v for v in row[11:] if v]
    assert len(texts) >= 2  # 6,000 IDs of 20 characters: more than one cell, even compressed
    assert all(len(t) <= CELL_CHARS < 32_767 for t in texts)  # Excel's cell limit
    history = read_forecast_history(Grid("t", [[None], [*HEAD], *stored]))
    assert history.values(DAY1, "FY2026-Q2", "佐藤").commit_ids == tuple(sorted(ids))
    # the team's commit list is the union of its reps', and its H1 the union of its quarters
    from sheetsync.metrics.periods import parse_period

    assert history.commit_deals(DAY1, parse_period("FY2026-H1"), None) == ids


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("forecast_accuracy: {weeks_before: [0]}", "greater than or equal to 1"),
    ("forecast_accuracy: {weeks_before: [105]}", "less than or equal to 104"),
    ("forecast_accuracy: {weeks_before: ['4']}", "valid integer"),
    ("forecast_accuracy: {weeks_before: [4.5]}", "valid integer"),
    ("forecast_accuracy: {weeks_before: [true]}", "valid integer"),
    ("forecast_accuracy: {weeks_before: [4, 4]}", "each number of weeks once"),
    ("forecast_accuracy: {weeks_before: []}", "at least 1 item"),
    ("forecast_accuracy: {weeks_before: 4}", "valid list"),
    ("forecast_accuracy: {weeks_befor: [4]}", "did you mean 'weeks_before'"),
    ("history: {forecast_rows: 0}", "greater than or equal to 1"),
])
def test_config_refuses_what_is_not_a_number_of_weeks(tmp_path: Path, text: str,
                                                      message: str) -> None:
    from sheetsync.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        parse_config(text + "\n", tmp_path / "config.yaml")


def test_weeks_before_from_the_config_are_measured(tmp_path: Path) -> None:
    config = parse_config("forecast_accuracy: {weeks_before: [1, 4]}\n", tmp_path / "c.yaml")
    assert config.forecast_accuracy.weeks_before == [1, 4]
    assert parse_config("", tmp_path / "c.yaml").forecast_accuracy.weeks_before == [4, 8]
    outputs = run_days(workbook_runner(tmp_path, "forecast_accuracy: {weeks_before: [1, 4]}\n"))
    rows = accuracy(outputs[-1])
    # 1 week before 09-30 is 09-23: the latest snapshot then is 09-05
    one = rows[("FY2026-Q2", None, 1)]
    assert (one["snapshot_date"], one["forecast"]) == ("2026-09-05", 4_500_000)
    assert one["bias"] == 4_500_000 - 3_500_000
    # commit deals on 09-05 in Q2: none left (A1 won, B1 slipped, A2 at 50 %)
    assert (one["commit_deals"], one["a_hit_rate"], one["wilson_low"]) == (0, None, None)
    assert rows[("FY2026-Q2", None, 4)]["snapshot_date"] == "2026-08-29"
    assert ("FY2026-Q2", None, 8) not in rows


def test_a_week_on_week_change_is_against_one_snapshot_day_only():
    """前週比 compares with the latest snapshot on or before as-of − 7 days; a period that
    snapshot does not hold (closed by then) has no change, even though an older snapshot,
    taken while it was open, holds it — as the demo's FY2026-Q2 once showed −¥1.69M."""
    import pandas as pd

    from sheetsync.reports.forecast import add_changes

    history = (ForecastHistory()
               .with_day(dt.date(2026, 9, 25), [
                   PeriodSnapshot("FY2026-Q2", None, forecast=65_980_000, commit_landing=1),
                   PeriodSnapshot("FY2026-Q3", None, forecast=10, commit_landing=5)])
               .with_day(dt.date(2026, 11, 27), [
                   PeriodSnapshot("FY2026-Q3", None, forecast=900, commit_landing=500)]))
    df = pd.DataFrame({"period": ["FY2026-Q2", "FY2026-Q3"], "owner": [None, None],
                       "forecast": [64_290_000, 1_000], "commit_landing": [0, 400]})
    out = add_changes(df, history, dt.date(2026, 12, 4))
    assert out["forecast_change_7d"].tolist() == [pd.NA, 100]
    assert out["commit_landing_change_7d"].tolist() == [pd.NA, -100]
    # before the 11-27 snapshot existed, the 09-25 one was the latest: both periods compare
    out = add_changes(df, history, dt.date(2026, 10, 2))
    assert out["forecast_change_7d"].tolist() == [64_290_000 - 65_980_000, 990]
