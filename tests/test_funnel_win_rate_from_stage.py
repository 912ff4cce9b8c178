"""受注率（このフェーズから） (issue 13 #3, follow-up): ``forecast.probabilities: observed`` weights
an open deal with the team's win rate from its stage — of the deals seen at the stage in 受注率's
window, the share won since (won_later ÷ (won_later + lost_later)), once 20 of them closed —
not with the calibration's rate of the deals last seen open at the stage. Backdated runs on real
workbooks (and the same JSON on the emulator), every figure by hand below."""

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
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.reports.base import ReportInput, TabContext
from sheetsync.reports.funnel import (
    MIN_OBSERVED,
    compute_report,
    funnel_tab,
    observed_stage_rates,
)
from sheetsync.stage_paths import STEPS_COLUMN, seen_path
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "見込金額", "受注予定日",
          "完了日", "失注理由", "次回アクション", "次回アクション日", "最終接触日"]
OBSERVED = "forecast: {probabilities: observed}\n"
DAYS = (D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16))
CLOSED_ON = D(2026, 11, 13)


def row(deal_id: str, stage: str, *, amount: int = 100_000, closed_on: D | None = None,
        rank: str | None = None) -> list[Any]:
    return [deal_id, f"{deal_id}案件", f"{deal_id}商事", "佐藤", stage, rank, amount,
            D(2026, 12, 20), closed_on, "価格" if stage == "失注" else None, "訪問",
            D(2026, 12, 24), D(2026, 11, 1)]


#: beside them, open all along (closing in December, FY2026-Q3): T at 提案 with 確度 A
#: (80 %), Q at 見積提出 (its stage's 60 %), ¥1,000,000 each
OPEN = [row("T", "提案", amount=1_000_000, rank="A"), row("Q", "見積提出", amount=1_000_000)]


def register(run: int, n: int = 20) -> list[list[Any]]:
    """The register before run ``run`` (0-based) of :data:`DAYS`: ``n`` deals P00… of
    ¥100,000 at 提案 on 11/2. On 11/9 P00–P05 are at 交渉, P06–P15 at 見積提出, the rest still
    at 提案; by 11/16 (完了日 11/13) P00–P05 won, P06–P15 lost, the rest lost straight from 提案."""
    rows = []
    for i in range(n):
        if run == 0:
            stage, closed = "提案", None
        elif i < 6:
            stage, closed = ("交渉", None) if run == 1 else ("受注", CLOSED_ON)
        elif i < 16:
            stage, closed = ("見積提出", None) if run == 1 else ("失注", CLOSED_ON)
        else:
            stage, closed = ("提案", None) if run == 1 else ("失注", CLOSED_ON)
        rows.append(row(f"P{i:02d}", stage, closed_on=closed))
    return rows + OPEN


Runner = Callable[[D, list[list[Any]]], dict[str, Any]]


def workbook_runner(folder: Path, config_text: str = OBSERVED) -> Runner:
    path = folder / "deals.xlsx"
    config = parse_config(config_text, folder / "config.yaml")

    def run(day: D, rows: list[list[Any]]) -> dict[str, Any]:
        grid = Grid("案件一覧", [HEADER, *rows])
        if not path.exists():
            write_grids(path, [grid])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grid, *[g for k, g in current.items() if k != "案件一覧"]])
        return pipeline.run(config, as_of=day).to_json()

    return run


def google_runner(emulator: Any, key_file: Path, folder: Path) -> Runner:
    sid = load_grids(emulator, {"案件一覧": Grid("案件一覧", [HEADER, *register(0)])})
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    config = parse_config(
        f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
        f"endpoint: '{emulator.base_url}'}}\n" + OBSERVED, folder / "config.yaml")
    sheet_id = next(s["properties"]["sheetId"] for s in emulator.get_spreadsheet(sid)["sheets"]
                    if s["properties"]["title"] == "案件一覧")

    def run(day: D, rows: list[list[Any]]) -> dict[str, Any]:
        emulator.batch_update(sid, [{"updateCells": {
            "range": {"sheetId": sheet_id},
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            "rows": [{"values": [cell_data(v) for v in r]} for r in [HEADER, *rows]]}}])
        return pipeline.run(config, as_of=day).to_json()

    return run


def run_all(run: Runner, n: int = 20) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, day in enumerate(DAYS):
        out = run(day, register(i, n))
    return out


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson 95 % interval, written out again from its formula."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def team_funnel(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["stage"]: r for r in out["funnel"] if r["dimension"] == "total"}


def calibration(out: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(r["dimension"], r["key"]): r for r in out["calibration"]}


def q3_team(out: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in out["forecast"] if r["period"] == "FY2026-Q3" and r["owner"] is None)


def tab_rows(path: Path) -> tuple[dict[str, int], list[list[Any]]]:
    sheet = openpyxl.load_workbook(path)["ファネル"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    return {h: i for i, h in enumerate(rows[1])}, rows[2:]


def check_20(out: dict[str, Any]) -> None:
    """The figures at 11/16 with 20 deals, by hand."""
    team = team_funnel(out)
    # 提案: the 20 and T entered (first sighting on 11/2); P00–P15 advanced, P16–P19 lost, T
    # open. Of them, P00–P05 are now 受注, P06–P19 失注: 6 ÷ 20 = 30 %
    proposal = team["proposal"]
    assert [proposal[k] for k in ("entered", "advanced", "lost", "still_open")] == [21, 16, 4, 1]
    assert (proposal["won_later"], proposal["lost_later"]) == (6, 14)
    assert proposal["win_rate_from_stage"] == 0.3
    assert (proposal["win_rate_from_stage_wilson_low"],
            proposal["win_rate_from_stage_wilson_high"]) == pytest.approx(wilson(6, 20),
                                                                          abs=1e-12)
    # 見積提出: P06–P15 moved in and were lost, Q first seen there: 0 of 10; 交渉: 6 of 6
    quote, negotiation = team["quote"], team["negotiation"]
    assert (quote["entered"], quote["won_later"], quote["lost_later"]) == (11, 0, 10)
    assert quote["win_rate_from_stage"] == 0.0
    assert (negotiation["entered"], negotiation["won_later"], negotiation["lost_later"]) == (
        6, 6, 0)
    assert negotiation["win_rate_from_stage"] == 1.0
    assert team["lead"]["win_rate_from_stage"] is None  # nothing seen there
    # only the team's 提案 has 20 closed: the one rate in the forecast
    assert [(r["dimension"], r["stage"]) for r in out["funnel"] if r["in_forecast"]] == [
        ("total", "proposal")]
    sato = {r["stage"]: r for r in out["funnel"] if r["key"] == "佐藤"}
    assert sato["proposal"]["win_rate_from_stage"] == 0.3  # the same deals, not in use

    # the calibration as before: by the stage each closed deal was last seen open in —
    # 提案 0 of 4 (P16–P19, 40 % each), 見積提出 0 of 10 (60 %), 交渉 6 of 6 (80 %)
    cal = calibration(out)
    for stage, (n, won, assumed) in {"proposal": (4, 0, 0.4), "quote": (10, 0, 0.6),
                                     "negotiation": (6, 6, 0.8)}.items():
        got = cal[("stage", stage)]
        assert (got["n"], got["won"], got["observed"]) == (n, won, won / n), stage
        assert got["assumed"] == pytest.approx(assumed, abs=1e-12), stage
    assert (cal[("total", None)]["n"], cal[("total", None)]["won"]) == (20, 6)
    assert "in_forecast" not in out["calibration"][0]  # the calibration's keys as they were

    # 加重: T at 提案 takes 30 % whatever its 確度 A says, Q keeps 60 % (10 closed from
    # 見積提出): 1,000,000 × 30 % + 1,000,000 × 60 %
    q3 = q3_team(out)
    assert q3["weighted"] == 300_000 + 600_000
    assert q3["won"] == 600_000  # P00–P05
    assert q3["forecast"] == 600_000 + 900_000
    # commit and best case keep the rep's probability: T is Aヨミ (80 %), Q 60 %
    assert (q3["commit"], q3["best_case"]) == (1_000_000, 2_000_000)
    assert q3["commit_landing"] == 600_000 + 1_000_000


def test_the_forecast_takes_the_win_rate_from_the_stage(tmp_path: Path) -> None:
    out = run_all(workbook_runner(tmp_path))
    check_20(out)
    at, body = tab_rows(tmp_path / "deals.xlsx")
    assert list(at)[:11] == ["区分", "対象", "フェーズ", "流入", "前進", "失注", "進行中",
                             "転換率", "下限(95%)", "上限(95%)", "受注率（このフェーズから）"]
    team = {r[2]: r for r in body if r[0] == "チーム"}
    low, high = wilson(6, 20)  # 14.5 %, 51.9 %
    assert (round(low * 100), round(high * 100)) == (15, 52)
    rate = at["受注率（このフェーズから）"]
    assert team["提案"][rate] == "30 %（n=20, 15〜52 %） → 加重着地に使用"
    assert team["見積提出"][rate] == "0 %（n=10, 0〜28 %）"
    assert team["交渉"][rate] == "100 %（n=6, 61〜100 %）"
    assert team["リード"][rate] is None
    # the reading is the calibration's, with no marker: 0 of 4, Wilson (0, 4) = 0–49 %
    assert round(wilson(0, 4)[1] * 100) == 49
    assert team["提案"][at["読み方"]] == "提案: 想定 40 % / 実績 0 %（n=4, 0〜49 %）"
    sato = next(r for r in body if r[0] == "担当者" and r[2] == "提案")
    assert sato[at["受注率（このフェーズから）"]] == "30 %（n=20, 15〜52 %）"  # only the team's


def test_19_closed_keep_the_configured_probability(tmp_path: Path) -> None:
    out = run_all(workbook_runner(tmp_path), n=19)  # P18 is the last one: 6 won, 13 lost
    proposal = team_funnel(out)["proposal"]
    assert (proposal["won_later"], proposal["lost_later"]) == (6, 13)
    assert proposal["won_later"] + proposal["lost_later"] == MIN_OBSERVED - 1
    assert not any(r["in_forecast"] for r in out["funnel"])
    # T keeps its 確度 A's 80 %, Q its stage's 60 %
    assert q3_team(out)["weighted"] == 800_000 + 600_000
    at, body = tab_rows(tmp_path / "deals.xlsx")
    team = {r[2]: r for r in body if r[0] == "チーム"}
    assert team["提案"][at["受注率（このフェーズから）"]] == "32 %（n=19, 15〜54 %）"  # 6 ÷ 19
    assert [round(x * 100) for x in wilson(6, 19)] == [15, 54]
    assert not any("加重着地に使用" in str(c) for r in body for c in r)


def test_configured_uses_no_rate(tmp_path: Path) -> None:
    out = run_all(workbook_runner(tmp_path, "language: ja\n"))
    assert team_funnel(out)["proposal"]["win_rate_from_stage"] == 0.3
    assert not any(r["in_forecast"] for r in out["funnel"])
    assert q3_team(out)["weighted"] == 800_000 + 600_000


def test_the_calibrations_20_are_not_what_the_forecast_uses(tmp_path: Path) -> None:
    """20 deals first seen at 提案 before 受注率's window, closed from 提案 inside it (5 won):
    the calibration's 提案 has n = 20, but none of them entered 提案 in the window — the
    forecast keeps T's 80 %."""
    before = [row(f"P{i:02d}", "提案") for i in range(20)]
    after = [row(f"P{i:02d}", "受注" if i < 5 else "失注", closed_on=CLOSED_ON)
             for i in range(20)]
    run = workbook_runner(tmp_path)
    run(D(2025, 10, 1), before)  # the window of 11/16 starts on 2025-11-16
    out = run(D(2026, 11, 16), after + OPEN)
    cal = calibration(out)[("stage", "proposal")]
    assert (cal["n"], cal["won"], cal["observed"]) == (20, 5, 0.25)
    proposal = team_funnel(out)["proposal"]
    # T entered (first seen on 11/16), still open; no P entered in the window
    assert (proposal["entered"], proposal["won_later"], proposal["lost_later"]) == (1, 0, 0)
    assert proposal["win_rate_from_stage"] is None and proposal["in_forecast"] is False
    assert q3_team(out)["weighted"] == 800_000 + 600_000


def test_same_json_on_a_workbook_and_the_emulator(emulator, service_account_key,
                                                 tmp_path: Path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    workbook = run_all(workbook_runner(tmp_path / "wb"))
    google = run_all(google_runner(emulator, service_account_key, tmp_path / "gs"))
    for key in ("funnel", "calibration", "forecast"):
        assert json.dumps(workbook[key], ensure_ascii=False) == json.dumps(
            google[key], ensure_ascii=False), key
    check_20(google)


def test_the_rate_and_the_tab_in_english() -> None:
    """The same 20 deals as stage paths (no runs): the rate, and the tab's words in English."""
    settings = MetricsSettings.default(D(2026, 11, 16), probabilities="observed")
    won = seen_path("proposal;negotiation:7;won:14@,", D(2026, 11, 2))
    via_quote = seen_path("proposal;quote:7;lost:14@,", D(2026, 11, 2))
    lost = seen_path("proposal;lost:14@,", D(2026, 11, 2))
    deals = frames.make_deals(
        [{"stage": "won", "closed_on": "2026-11-13", STEPS_COLUMN: won}] * 6
        + [{"stage": "lost", "closed_on": "2026-11-13", STEPS_COLUMN: via_quote}] * 10
        + [{"stage": "lost", "closed_on": "2026-11-13", STEPS_COLUMN: lost}] * 4)
    assert observed_stage_rates(deals, settings) == {"proposal": 30.0}
    tab = funnel_tab(compute_report(ReportInput(deals, settings)),
                     TabContext(language="en", stage_labels={"proposal": "Proposal"}))
    at = {c.header: i for i, c in enumerate(tab.columns)}
    proposal = next(r for r in tab.rows if r[0] == "Team" and r[2] == "Proposal")
    assert proposal[at["Win rate from stage"]] == (
        "30 % (n=20, 15–52 %) → used for the weighted landing")
    assert proposal[at["Reading"]] == "Proposal: assumed 40 % / observed 0 % (n=4, 0–49 %)"
