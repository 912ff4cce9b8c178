"""One rep, however the space in their name is typed (issue 10 #4).

Without an ``owners:`` roster, ``佐藤 健`` and ``佐藤　健`` (a full-width space) were two reps:
the forecast and win-rate rows split, and one client approached by "both" raised a false
warning. Names are now matched by the roster's key, roster or not; the tabs show the
spelling reps use most.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from sheetsync.cli import cli

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日", "完了日",
          "失注理由", "次回アクション日"]


def _register(path: Path, owners: list[str], targets: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(HEADER)
    for i, owner in enumerate(owners, start=1):
        # every deal is open, for the same client: one rep must not look like several
        ws.append([f"D-{i}", "更改", "株式会社サンプル", owner, "交渉", 1_000_000 * i,
                   "2026/12/20", None, None, None])
    ws.append(["D-9", "保守", "B社", owners[0], "受注", 500_000, None, dt.date(2026, 11, 2),
               None, None])
    targets_ws = wb.create_sheet("目標")
    targets_ws.append(["期間", "担当者", "目標金額"])
    for row in targets:
        targets_ws.append(row)
    wb.save(path)


def _run(tmp_path: Path, config: str = "language: ja\n") -> dict:
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "-c", str(tmp_path / "config.yaml"), "--dry-run",
                                      "-f", "json", "--as-of", "2026-12-04"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_name_typed_with_either_space_is_one_rep(tmp_path: Path) -> None:
    # 佐藤 健 twice (the usual spelling), 佐藤　健 and 佐藤健 once each
    _register(tmp_path / "deals.xlsx", ["佐藤 健", "佐藤　健", "佐藤 健", "佐藤健"],
              [["FY2026-Q3", "佐藤　健", 20_000_000]])
    data = _run(tmp_path)
    assert data["validation"]["warnings"] == []  # no "several owners on one client"
    current = [r for r in data["forecast"] if r["period"] == "FY2026-Q3"]
    assert [r["owner"] for r in current] == [None, "佐藤 健"]
    rep = current[1]
    assert rep["pipeline"] == 10_000_000 and rep["won"] == 500_000
    assert rep["target"] == 20_000_000  # the 目標 tab's 佐藤　健 is the same rep
    assert [r["key"] for r in data["win_rate"] if r["dimension"] == "owner"] == ["佐藤 健"]


def test_the_roster_spelling_wins_and_two_people_stay_two(tmp_path: Path) -> None:
    _register(tmp_path / "deals.xlsx", ["佐藤　健", "佐藤健", "鈴木 美咲"], [])
    data = _run(tmp_path, "language: ja\nowners: [佐藤 健, 鈴木 美咲]\n")
    owners = {r["owner"] for r in data["forecast"] if r["owner"]}
    assert owners == {"佐藤 健", "鈴木 美咲"}
    (warning,) = data["validation"]["warnings"]  # 佐藤 and 鈴木 are two people on one client
    assert warning["code"] == "multiple_owners" and "佐藤 健・鈴木 美咲" in warning["message"]
