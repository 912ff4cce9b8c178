"""Issue 11 #8: a formula cell whose result the file does not hold is not a blank.

Before: it was reported as 空欄 (required), and in an optional column silently read as blank.
openpyxl, like several programs that write .xlsx, stores formulas without results.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.grid import Uncalculated


def test_a_formula_without_its_result_is_reported_as_such(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
               "備考"])
    ws.append(["D-1", "更改", "A社", "佐藤", "提案", "=1000*1200", "2026/12/20", None])
    ws.append(["D-2", "保守", "B社", "佐藤", "リード", None, "2026/12/20", "=A2&\"参照\""])
    ws.append(["D-3", "新規", "C社", "佐藤", "提案", 500_000, "2026/12/20", None])
    wb.save(tmp_path / "deals.xlsx")
    grid = WorkbookBackend(tmp_path / "deals.xlsx").read().grids["案件一覧"]
    assert grid.rows[1][5] == Uncalculated("=1000*1200")
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-c", str(tmp_path / "config.yaml"),
                                      "-f", "json", "--as-of", "2026-12-04"])
    assert result.exit_code == 1
    errors = {e["cell"]: e for e in json.loads(result.stdout)["errors"]}
    assert set(errors) == {"F2", "H3"}
    assert {e["code"] for e in errors.values()} == {"formula_without_value"}
    assert errors["F2"]["value"] == "=1000*1200" and "保存し直して" in errors["F2"]["message"]
    assert "空欄" not in errors["F2"]["message"]
