"""ファネル (issue 13 #3): the funnel and the calibration over four backdated runs on a real
register with known stage moves, wins and losses — every figure computed by hand below —
on a workbook and on the emulator; what a state tab from before the stage path gives; the
history-too-short line; independence from the register's row order."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.history import SNAPSHOT_TAB, Snapshot, read_snapshot, snapshot_tab_v1
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "流入経路", "フェーズ", "確度", "受注確率",
          "見込金額", "受注予定日", "完了日", "失注理由", "次回アクション", "次回アクション日"]
R1, R2, R3, R4 = D(2026, 10, 1), D(2026, 10, 15), D(2026, 11, 5), D(2026, 12, 1)
DAYS = (R1, R2, R3, R4)

#: (deal, 担当者, 流入経路) and its (フェーズ, 確度, 受注確率, 完了日) on each run's day (None:
#: not in the register yet). Row order is fixed: deals only ever get added at the bottom.
DEALS: list[tuple[str, str, str | None, list[tuple[str, str | None, int | None, D | None]
                                             | None]]] = [
    ("A1", "佐藤", "Web問い合わせ", [("リード", None, None, None), ("初回商談", None, None, None),
                                ("提案", "B", None, None), ("受注", "B", None, D(2026, 11, 30))]),
    ("A2", "佐藤", "Web問い合わせ", [("初回商談", None, None, None), ("提案", None, None, None),
                                ("提案", None, None, None), ("失注", None, None, D(2026, 11, 28))]),
    ("A3", "佐藤", "紹介", [("提案", None, None, None), ("見積提出", None, None, None),
                       ("保留", None, None, None), ("見積提出", None, None, None)]),
    ("B1", "鈴木", "紹介", [("リード", None, None, None),
                       *[("失注", None, None, D(2026, 10, 14))] * 3]),
    ("B2", "鈴木", "Web問い合わせ", [("見積提出", None, 70, None), ("交渉", None, 90, None),
                                ("受注", None, 100, D(2026, 11, 4)),
                                ("受注", None, 100, D(2026, 11, 4))]),
    ("B3", "鈴木", None, [("提案", None, None, None), ("初回商談", None, None, None),
                        ("提案", None, None, None), ("見積提出", None, None, None)]),
    ("A4", "佐藤", "Web問い合わせ", [None, ("交渉", None, None, None), ("交渉", None, None, None),
                                ("交渉", None, None, None)]),
    ("B4", "鈴木", "紹介", [None, None, ("受注", None, None, D(2026, 11, 1)),
                       ("受注", None, None, D(2026, 11, 1))]),
]


def register(run: int, order: Sequence[int] | None = None) -> Grid:
    """The register as the reps left it before run ``run`` (0-based), rows in ``order``."""
    rows: list[list[Any]] = []
    for deal_id, owner, source, states in DEALS:
        state = states[run]
        if state is None:
            continue
        stage, rank, probability, closed_on = state
        rows.append([deal_id, f"{deal_id}案件", f"{deal_id}商事", owner, source, stage, rank,
                     probability, 1_000_000, D(2027, 1, 31), closed_on,
                     "価格" if stage == "失注" else None, "訪問", D(2027, 1, 10)])
    if order is not None:
        rows = [rows[i] for i in order if i < len(rows)]
    return Grid("案件一覧", [HEADER, *rows])


Runner = Callable[[D, Grid], dict[str, Any]]


def workbook_runner(folder: Path, config_text: str = "language: ja\n",
                    between: Callable[[Path, D], None] | None = None) -> Runner:
    path = folder / "deals.xlsx"
    config = parse_config(config_text, folder / "config.yaml")

    def run(day: D, grid: Grid) -> dict[str, Any]:
        if not path.exists():
            write_grids(path, [grid])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            if between is not None:
                between(path, day)
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grid, *[g for n, g in current.items() if n != "案件一覧"]])
        return pipeline.run(config, as_of=day).to_json()

    return run


def google_runner(emulator: Any, key_file: Path, folder: Path) -> Runner:
    sid = load_grids(emulator, {"案件一覧": register(0)})
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    config = parse_config(
        f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
        f"endpoint: '{emulator.base_url}'}}\n", folder / "config.yaml")
    sheet_id = next(s["properties"]["sheetId"] for s in emulator.get_spreadsheet(sid)["sheets"]
                    if s["properties"]["title"] == "案件一覧")

    def run(day: D, grid: Grid) -> dict[str, Any]:
        width = len(HEADER)
        emulator.batch_update(sid, [{"updateCells": {
            "range": {"sheetId": sheet_id},
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            "rows": [{"values": [cell_data(v) for v in [*r, *([None] * (width - len(r)))]]}
                     for r in grid.rows]}}])
        return pipeline.run(config, as_of=day).to_json()

    return run


def run_all(run: Runner, orders: Sequence[Sequence[int] | None] = (None,) * 4
            ) -> list[dict[str, Any]]:
    return [run(day, register(i, orders[i])) for i, day in enumerate(DAYS)]


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson 95 % interval, written out again from its formula."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def funnel_of(out: dict[str, Any], dimension: str = "total", key: str | None = None
              ) -> dict[str, dict[str, Any]]:
    return {r["stage"]: r for r in out["funnel"]
            if r["dimension"] == dimension and r["key"] == key}


def calibration_of(out: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(r["dimension"], r["key"]): r for r in out["calibration"]}


# The paths sheetsync sees (days after R1: R2 +14, R3 +35, R4 +61):
#   A1 lead → meeting (R2) → proposal (R3, 確度 B) → won (R4)     佐藤 web
#   A2 meeting → proposal (R2) → lost (R4)                          佐藤 web
#   A3 proposal → quote (R2) → 保留 (R3) → quote (R4)               佐藤 referral
#   B1 lead → lost (R2)                                             鈴木 referral
#   B2 quote (70 %) → negotiation (R2, 90 %) → won (R3)             鈴木 web
#   B3 proposal → meeting (R2, back) → proposal (R3) → quote (R4)   鈴木 (blank)
#   A4 first seen at R2 in negotiation, still there                 佐藤 web
#   B4 first seen at R3 already won: never seen open                鈴木 referral
#: the team at R4, per stage: entered, advanced, lost, still open; median days in stage
#: (stays seen begin and end) and their count; days to won and their count
TEAM_R4 = {
    # A1 advanced, B1 lost
    "lead": (2, 1, 1, 0, None, 0, None, 0),
    # A1, A2 (first sighting), B3 (moved back, later proposal): all advanced; stays: A1
    # 10-15→11-05 = 21, B3 21; A1 won 47 days after its move into meeting
    "meeting": (3, 3, 0, 0, 21.0, 2, 47.0, 1),
    # A1 won, A2 lost, A3 → quote, B3 → quote; stays A1 26, A2 10-15→12-01 = 47, B3 26;
    # A1 won 26 days after its move into proposal
    "proposal": (4, 3, 1, 0, 26.0, 3, 26.0, 1),
    # A3 (back from 保留: still open), B2 → negotiation, B3 still open; stay: A3 until 保留 21
    "quote": (3, 1, 0, 2, 21.0, 1, None, 0),
    # B2 won (stay 21, 21 days to won), A4 still open (first sighting: no stay)
    "negotiation": (2, 1, 0, 1, 21.0, 1, 21.0, 1),
}
OWNERS_R4 = {
    "佐藤": {"lead": (1, 1, 0, 0), "meeting": (2, 2, 0, 0), "proposal": (3, 2, 1, 0),
           "quote": (1, 0, 0, 1), "negotiation": (1, 0, 0, 1)},
    "鈴木": {"lead": (1, 0, 1, 0), "meeting": (1, 1, 0, 0), "proposal": (1, 1, 0, 0),
           "quote": (2, 1, 0, 1), "negotiation": (1, 1, 0, 0)},
}
SOURCES_R4 = {
    "web_inquiry": {"lead": (1, 1, 0, 0), "meeting": (2, 2, 0, 0), "proposal": (2, 1, 1, 0),
                    "quote": (1, 1, 0, 0), "negotiation": (2, 1, 0, 1)},
    "referral": {"lead": (1, 0, 1, 0), "meeting": (0, 0, 0, 0), "proposal": (1, 1, 0, 0),
                 "quote": (1, 0, 0, 1), "negotiation": (0, 0, 0, 0)},
    None: {"lead": (0, 0, 0, 0), "meeting": (1, 1, 0, 0), "proposal": (1, 1, 0, 0),
           "quote": (1, 0, 0, 1), "negotiation": (0, 0, 0, 0)},
}
#: calibration at R4: the closed deals sheetsync saw open, with what they carried at their
#: last open observation — A1 proposal, 確度 B: 50 %, won; A2 proposal: 40 % (the stage's),
#: lost; B1 lead: 10 %, lost; B2 negotiation, 受注確率 90 %: won. (B4 was never seen open.)
CARRIED = {"A1": ("proposal", "B", 0.5, 1), "A2": ("proposal", None, 0.4, 0),
           "B1": ("lead", None, 0.1, 0), "B2": ("negotiation", None, 0.9, 1)}
OWNER_OF = {"A1": "佐藤", "A2": "佐藤", "B1": "鈴木", "B2": "鈴木"}


def expected_calibration() -> dict[tuple[str, str | None], tuple[int, int, float, float]]:
    """(n, won, assumed, brier) per row, from :data:`CARRIED`, by hand."""
    def row(ids: list[str]) -> tuple[int, int, float, float]:
        if not ids:
            return (0, 0, math.nan, math.nan)
        p = [CARRIED[i][2] for i in ids]
        y = [CARRIED[i][3] for i in ids]
        return (len(ids), sum(y), sum(p) / len(p),
                sum((a - b) ** 2 for a, b in zip(p, y, strict=True)) / len(p))

    out = {("total", None): row(list(CARRIED))}
    for stage in ("lead", "meeting", "proposal", "quote", "negotiation"):
        out[("stage", stage)] = row([i for i, c in CARRIED.items() if c[0] == stage])
    for rank in ("A", "B", "C", "D", None):
        out[("rank", rank)] = row([i for i, c in CARRIED.items() if c[1] == rank])
    for owner in ("佐藤", "鈴木"):
        out[("owner", owner)] = row([i for i in CARRIED if OWNER_OF[i] == owner])
    return out


def check_r4(out: dict[str, Any]) -> None:
    team = funnel_of(out)
    assert list(team) == ["lead", "meeting", "proposal", "quote", "negotiation"]
    for stage, (entered, advanced, lost, still, median, n, to_won, n_won) in TEAM_R4.items():
        row = team[stage]
        assert (row["entered"], row["advanced"], row["lost"], row["still_open"]) == (
            entered, advanced, lost, still), stage
        assert (row["median_days"], row["median_days_n"]) == (median, n), stage
        assert (row["days_to_won"], row["days_to_won_n"]) == (to_won, n_won), stage
        if advanced + lost:
            assert row["conversion"] == advanced / (advanced + lost)
            assert (row["wilson_low"], row["wilson_high"]) == pytest.approx(
                wilson(advanced, advanced + lost), abs=1e-12)
        else:
            assert row["conversion"] is row["wilson_low"] is row["wilson_high"] is None
    for owner, stages in OWNERS_R4.items():
        got = funnel_of(out, "owner", owner)
        assert {s: (r["entered"], r["advanced"], r["lost"], r["still_open"])
                for s, r in got.items()} == stages
    assert funnel_of(out, "owner", "佐藤")["proposal"]["median_days"] == (26 + 47) / 2
    for source, stages in SOURCES_R4.items():
        got = funnel_of(out, "lead_source", source)
        assert {s: (r["entered"], r["advanced"], r["lost"], r["still_open"])
                for s, r in got.items()} == stages
    assert [(r["dimension"], r["key"]) for r in out["funnel"][::5]] == [
        ("total", None), ("owner", "佐藤"), ("owner", "鈴木"), ("lead_source", "web_inquiry"),
        ("lead_source", "referral"), ("lead_source", None)]

    cal = calibration_of(out)
    expected = expected_calibration()
    assert list(cal) == list(expected)
    for key, (n, won, assumed, brier) in expected.items():
        row = cal[key]
        assert (row["n"], row["won"]) == (n, won), key
        if n:
            assert row["assumed"] == pytest.approx(assumed, abs=1e-12), key
            assert row["observed"] == won / n
            assert row["brier"] == pytest.approx(brier, abs=1e-12), key
            assert (row["wilson_low"], row["wilson_high"]) == pytest.approx(
                wilson(won, n), abs=1e-12)
        else:
            assert row["assumed"] is row["observed"] is row["brier"] is None, key
    # the figures, once more as numbers: Brier = (0.25 + 0.16 + 0.01 + 0.01) / 4
    assert cal[("total", None)]["brier"] == pytest.approx(0.1075, abs=1e-12)
    assert cal[("total", None)]["assumed"] == pytest.approx(0.475, abs=1e-12)
    assert cal[("owner", "鈴木")]["brier"] == pytest.approx(0.01, abs=1e-12)
    assert cal[("stage", "proposal")]["brier"] == pytest.approx(0.205, abs=1e-12)


def test_funnel_and_calibration_by_hand_on_a_workbook(tmp_path: Path) -> None:
    outputs = run_all(workbook_runner(tmp_path))
    first, second, third, fourth = outputs
    # the first run has seen no move: every deal entered the stage it was first seen in
    team = funnel_of(first)
    assert [(s, r["entered"], r["advanced"], r["still_open"]) for s, r in team.items()] == [
        ("lead", 2, 0, 2), ("meeting", 1, 0, 1), ("proposal", 2, 0, 2), ("quote", 1, 0, 1),
        ("negotiation", 0, 0, 0)]
    assert all(r["median_days"] is None and r["conversion"] is None for r in team.values())
    assert [r["n"] for r in first["calibration"]][:1] == [0]
    # R3: B2 won from negotiation (90 %), B1 lost from lead (10 %)
    cal = calibration_of(third)
    assert (cal[("total", None)]["n"], cal[("total", None)]["won"]) == (2, 1)
    assert cal[("stage", "negotiation")]["assumed"] == pytest.approx(0.9)
    check_r4(fourth)
    assert second["funnel"] and second["calibration"]


def tab_rows(path: Path, name: str = "ファネル") -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path)[name]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_tab_reads_like_the_json(tmp_path: Path) -> None:
    run = workbook_runner(tmp_path)
    outputs = []
    for i, day in enumerate(DAYS):
        outputs.append(run(day, register(i)))
        if day == R2:  # six moves seen so far: the tab says the history is too short
            rows = tab_rows(tmp_path / "deals.xlsx")
            assert rows[0][0].startswith("基準日 2026-10-15")
            assert rows[0][0].endswith(
                " ・ 履歴が短すぎます：sheetsync が観測したフェーズの変化はまだ 6 件です。"
                "実行を重ねるにつれて数字が埋まります（空欄 = まだ観測がありません）")
            assert rows[1][:3] == ["区分", "対象", "フェーズ"]
            assert rows[2][:4] == ["チーム", "チーム合計", "リード", 2]  # the figures stay
    rows = tab_rows(tmp_path / "deals.xlsx")
    assert rows[0][0].startswith("基準日 2026-12-01") and "履歴" not in rows[0][0]
    header = rows[1]
    assert header[:8] == ["区分", "対象", "フェーズ", "流入", "前進", "失注", "進行中", "転換率"]
    at = {h: i for i, h in enumerate(header)}
    body = rows[2:]
    proposal = next(r for r in body if r[0] == "チーム" and r[2] == "提案")
    assert [proposal[at[h]] for h in ("流入", "前進", "失注", "進行中")] == [4, 3, 1, 0]
    assert proposal[at["転換率"]] == 0.75 and proposal[at["滞留日数(中央値)"]] == 26
    low, high = wilson(1, 2)
    assert proposal[at["読み方"]] == (
        f"提案: 想定 45 % / 実績 50 %（n=2, {round(low * 100)}〜{round(high * 100)} %）")
    assert proposal[at["読み方"]] == "提案: 想定 45 % / 実績 50 %（n=2, 9〜91 %）"
    total = next(r for r in body if r[0] == "チーム" and r[2] == "全フェーズ")
    assert total[at["終了件数"]] == 4 and total[at["ブライアスコア"]] == pytest.approx(0.1075)
    meeting = next(r for r in body if r[0] == "チーム" and r[2] == "初回商談")
    assert meeting[at["読み方"]] == "初回商談: 受注・失注の観測はまだありません"
    ranks = [r[1] for r in body if r[0] == "確度"]
    assert ranks == ["A", "B", "C", "D", "（未入力）"]
    sato = [r for r in body if r[0] == "担当者" and r[1] == "佐藤"]
    assert [r[2] for r in sato] == ["リード", "初回商談", "提案", "見積提出", "交渉", "全フェーズ"]
    assert sato[-1][at["読み方"]].startswith("佐藤: 想定 45 % / 実績 50 %")
    sources = list(dict.fromkeys(r[1] for r in body if r[0] == "流入経路"))
    assert sources == ["Web問い合わせ", "紹介", "（未入力）"]
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    sheet = wb["ファネル"]
    assert sheet.freeze_panes == "D3"
    assert sheet.cell(3, at["転換率"] + 1).number_format == "0.0%"


def test_same_json_on_a_workbook_and_the_emulator(emulator, service_account_key,
                                                 tmp_path: Path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    workbook = run_all(workbook_runner(tmp_path / "wb"))
    google = run_all(google_runner(emulator, service_account_key, tmp_path / "gs"))
    for key in ("funnel", "calibration", "stale", "owners"):
        assert json.dumps([r[key] for r in workbook], ensure_ascii=False) == json.dumps(
            [r[key] for r in google], ensure_ascii=False), key
    check_r4(google[-1])


def test_register_row_order_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = run_all(workbook_runner(tmp_path / "a"))
    rng = random.Random(13)
    orders = [rng.sample(range(len(DEALS)), len(DEALS)) for _ in DAYS]
    shuffled = run_all(workbook_runner(tmp_path / "b"), orders)
    for key in ("funnel", "calibration"):
        assert [r[key] for r in plain] == [r[key] for r in shuffled]


def _drop_stage_paths(path: Path, _day: D) -> None:
    """The state tab as a version before the stage path wrote it: format v1 (one row per
    deal), its first 7 columns."""
    backend = WorkbookBackend(path)
    read = backend.read()
    snapshot = read_snapshot(read.grids[SNAPSHOT_TAB])
    older = Snapshot({k: replace(e, path=None) for k, e in snapshot.entries.items()},
                     snapshot.fields)
    backend.write([snapshot_tab_v1(older)], read)


@pytest.mark.parametrize("upgraded_before", [R3, R4])
def test_a_state_tab_without_stage_paths_is_rebuilt_from_the_history(
        tmp_path: Path, upgraded_before: D) -> None:
    """An older version wrote the state tab up to the run before ``upgraded_before``: this
    version rebuilds every path from 変更履歴 — the same funnel and calibration, the 受注確率
    B2 carried before its close (90 %, changed to 100 % on the close) included."""
    def between(path: Path, day: D) -> None:
        if day == upgraded_before:
            _drop_stage_paths(path, day)

    outputs = run_all(workbook_runner(tmp_path, between=between))
    check_r4(outputs[-1])
    state = WorkbookBackend(tmp_path / "deals.xlsx").read([SNAPSHOT_TAB]).grids[SNAPSHOT_TAB]
    assert state.rows[1][0].startswith("sheetsync-state v2 · ")  # written back as v2
    paths = {k: e.path for k, e in read_snapshot(state).entries.items()}
    assert paths["B2"] == "quote;negotiation:14;won:35@90,"
    assert paths["A3"] == "proposal;quote:14;on_hold:35;quote:61"
    assert paths["B4"] == "won"  # first seen already won
