"""What ファネル feeds (issue 13 #3): ``forecast.probabilities: observed`` weights the forecast
with the team's win rate from a stage once 20 deals seen at it closed (not 19; here every
deal closed straight from 提案, so the calibration's rate is the same — the two told apart
in tests/test_funnel_win_rate_from_stage.py), leaving the default
untouched to the byte; ``stale.unrealistic_close`` flags a close date nearer than the team's
median days from the stage to 受注 — both over backdated runs on real workbooks, by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.notify.render import reason_labels
from sheetsync.reports.followup import REASON_LABELS, REASONS
from sheetsync.testing.xlsx import write_grids

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "見込金額", "受注予定日",
          "完了日", "失注理由", "次回アクション", "次回アクション日", "最終接触日"]


DECEMBER = D(2026, 12, 20)


def row(deal_id: str, stage: str, *, amount: int = 100_000, close: D = DECEMBER,
        closed_on: D | None = None, rank: str | None = None, owner: str = "佐藤"
        ) -> list[Any]:
    return [deal_id, f"{deal_id}案件", f"{deal_id}商事", owner, stage, rank, amount, close,
            closed_on, "価格" if stage == "失注" else None, "訪問", D(2026, 12, 24),
            D(2026, 11, 1)]


def write_register(path: Path, rows: list[list[Any]]) -> None:
    grid = Grid("案件一覧", [HEADER, *rows])
    if not path.exists():
        write_grids(path, [grid])
        return
    current = WorkbookBackend(path).read().grids  # the reps' edit: sheetsync's tabs stay
    write_grids(path, [grid, *[g for n, g in current.items() if n != "案件一覧"]])


# -- forecast.probabilities ---------------------------------------------------------------


def closing(n: int) -> tuple[list[list[Any]], list[list[Any]]]:
    """``n`` deals at 提案 on 11/2; by 11/16 five won, the others lost. Beside them T (提案,
    確度 A, ¥1,000,000) and Q (見積提出, ¥1,000,000) stay open, closing in December."""
    open_ = [row("T", "提案", amount=1_000_000, rank="A"), row("Q", "見積提出", amount=1_000_000)]
    before = [row(f"P{i:02d}", "提案") for i in range(n)] + open_
    after = [row(f"P{i:02d}", "受注" if i < 5 else "失注", closed_on=D(2026, 11, 13))
             for i in range(n)] + open_
    return before, after


def two_runs(folder: Path, n: int, config: str) -> dict[str, Any]:
    before, after = closing(n)
    path = folder / "deals.xlsx"
    write_register(path, before)
    pipeline.run(parse_config(config, folder / "config.yaml"), as_of=D(2026, 11, 2))
    write_register(path, after)
    return pipeline.run(parse_config(config, folder / "config.yaml"),
                        as_of=D(2026, 11, 16)).to_json()


def q3_team(out: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in out["forecast"] if r["period"] == "FY2026-Q3" and r["owner"] is None)


OBSERVED = "forecast: {probabilities: observed}\n"


def test_observed_rates_weigh_the_forecast_from_20_deals(tmp_path: Path) -> None:
    out = two_runs(tmp_path, 20, OBSERVED)
    cal = {(r["dimension"], r["key"]): r for r in out["calibration"]}
    assert (cal[("stage", "proposal")]["n"], cal[("stage", "proposal")]["won"]) == (20, 5)
    team = {r["stage"]: r for r in out["funnel"] if r["dimension"] == "total"}
    assert (team["proposal"]["won_later"], team["proposal"]["lost_later"]) == (5, 15)
    assert [s for s, r in team.items() if r["in_forecast"]] == ["proposal"]
    q3 = q3_team(out)
    # T at 提案 takes the observed 5 / 20 = 25 % whatever its 確度 A says; Q at 見積提出 (no
    # closes observed) keeps its stage's 60 %: 250,000 + 600,000
    assert q3["weighted"] == 850_000
    assert q3["forecast"] == 500_000 + 850_000  # won: five deals of ¥100,000
    # commit and best case keep the rep's own probability: T is Aヨミ (80 %)
    assert (q3["commit"], q3["best_case"]) == (1_000_000, 2_000_000)
    assert q3["commit_landing"] == 1_500_000
    sato = next(r for r in out["owners"] if r["owner"] == "佐藤")
    assert sato["forecast"] == q3["forecast"]
    tab = WorkbookBackend(tmp_path / "deals.xlsx").read(["ファネル"]).grids["ファネル"]
    at = {h: i for i, h in enumerate(tab.rows[1])}
    proposal = next(r for r in tab.rows if len(r) > 2 and r[0] == "チーム" and r[2] == "提案")
    assert proposal[at["受注率（このフェーズから）"]] == "25 %（n=20, 11〜47 %） → 加重着地に使用"
    assert proposal[at["読み方"]] == "提案: 想定 40 % / 実績 25 %（n=20, 11〜47 %）"


def test_not_from_19(tmp_path: Path) -> None:
    out = two_runs(tmp_path, 19, OBSERVED)
    cal = {(r["dimension"], r["key"]): r for r in out["calibration"]}
    assert cal[("stage", "proposal")]["n"] == 19
    assert not any(r["in_forecast"] for r in out["funnel"])
    # 19 closed deals are not enough: T keeps its 確度 A's 80 %, Q its stage's 60 %
    assert q3_team(out)["weighted"] == 800_000 + 600_000
    tab = WorkbookBackend(tmp_path / "deals.xlsx").read(["ファネル"]).grids["ファネル"]
    assert not any("加重着地に使用" in str(c) for r in tab.rows for c in r)


def test_the_default_is_the_forecast_as_it_was(tmp_path: Path) -> None:
    """Configured, said or not, gives the same JSON to the byte — and with 20 closed deals
    the configured probabilities still weigh the forecast."""
    outputs = []
    for name, config in (("none", "language: ja\n"),
                         ("configured", "forecast: {probabilities: configured}\n")):
        (tmp_path / name).mkdir()
        out = two_runs(tmp_path / name, 20, config)
        out.pop("tabs_written")
        outputs.append(json.dumps(out, ensure_ascii=False, sort_keys=True))
    assert outputs[0] == outputs[1]
    assert q3_team(json.loads(outputs[0]))["weighted"] == 800_000 + 600_000


# -- unrealistic_close --------------------------------------------------------------------

#: five deals seen at 見積提出 on 10/1 move to 交渉 on 10/8; two are won on 10/20 (12 days
#: from 交渉), three on 10/29 (21 days): the team's median from 交渉 to 受注 is then 21 days
WINNERS = [f"W{i}" for i in range(1, 6)]
OTHERS = [
    row("T1", "交渉", close=D(2026, 11, 15)),  # 17 days left on 10/29: fewer than 21
    row("T2", "交渉", close=D(2026, 11, 25)),  # 27 days: enough
    row("T3", "交渉", close=D(2026, 11, 19)),  # 21 days: not fewer
    row("T4", "見積提出", close=D(2026, 11, 1)),  # no median from 見積提出 (never seen moving in)
    row("T5", "交渉", close=D(2026, 10, 20)),  # overdue by 10/29: overdue_close instead
    row("T6", "保留", close=D(2026, 11, 1)),  # parked: hold_review_due only, if anything
]


def winners(day: D) -> list[list[Any]]:
    out = []
    for i, deal_id in enumerate(WINNERS):
        won_on = D(2026, 10, 19) if i < 2 else D(2026, 10, 28)
        if day < D(2026, 10, 8):
            out.append(row(deal_id, "見積提出"))
        elif day < won_on:
            out.append(row(deal_id, "交渉"))
        else:
            out.append(row(deal_id, "受注", closed_on=won_on))
    return out


RUNS = (D(2026, 10, 1), D(2026, 10, 8), D(2026, 10, 20), D(2026, 10, 29))


def flagged(out: dict[str, Any]) -> list[str]:
    return sorted(r["deal_id"] for r in out["stale"] if "unrealistic_close" in r["reasons"])


def test_unrealistic_close_by_hand(tmp_path: Path) -> None:
    config = parse_config("stale: {unrealistic_close: true}\n", tmp_path / "config.yaml")
    off = parse_config("language: ja\n", tmp_path / "config.yaml")
    path = tmp_path / "deals.xlsx"
    outputs = []
    for day in RUNS:
        write_register(path, winners(day) + OTHERS)
        outputs.append(pipeline.run(config, as_of=day).to_json())
    # 10/20: only two wins seen from 交渉 — fewer than five, no median, no flag
    assert flagged(outputs[2]) == []
    negotiation = next(r for r in outputs[3]["funnel"]
                       if r["dimension"] == "total" and r["stage"] == "negotiation")
    assert (negotiation["days_to_won"], negotiation["days_to_won_n"]) == (21.0, 5)
    assert flagged(outputs[3]) == ["T1"]
    t5 = next(r for r in outputs[3]["stale"] if r["deal_id"] == "T5")
    assert "overdue_close" in t5["reasons"]
    team = outputs[3]["owners"][0]
    assert team["followups_by_reason"]["unrealistic_close"] == 1
    assert list(team["followups_by_reason"]) == list(REASONS)
    tab = WorkbookBackend(path).read(["要フォロー案件"]).grids["要フォロー案件"]
    t1 = next(r for r in tab.rows if r and str(r[0]) == "T1")
    assert "予定日早すぎ" in t1
    # switched off (the default), the same spreadsheet gives no such reason anywhere
    quiet = pipeline.run(off, as_of=RUNS[-1], dry_run=True).to_json()
    assert flagged(quiet) == []
    assert "unrealistic_close" not in quiet["owners"][0]["followups_by_reason"]
    assert [r["deal_id"] for r in quiet["stale"]] == [
        r["deal_id"] for r in outputs[3]["stale"] if r["reasons"] != ["unrealistic_close"]]


def test_the_run_and_the_digests_name_the_reason(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "stale: {unrealistic_close: true}\n", encoding="utf-8")
    for day in RUNS:
        write_register(tmp_path / "deals.xlsx", winners(day) + OTHERS)
        result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path / "config.yaml"),
                                          "--as-of", day.isoformat()], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "予定日早すぎ" in result.output
    assert reason_labels(("close_pushed", "unrealistic_close"), "en") == (
        f"{REASON_LABELS['close_pushed'].en}, Close too soon")
