"""Issue 11 #9: what is not an ID or a name is not accepted as one.

Before: `#N/A` (a formula's error value) and TRUE were accepted as 案件ID / 顧客名, and a 1 MB
案件ID was kept — making a 32,767-character cell in the hidden state tab, though the README
promises its cells stay under 11,000 characters.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sheetsync.cli import cli
from sheetsync.grid import Grid
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"]


def test_error_values_booleans_and_huge_ids_are_cell_errors(tmp_path: Path) -> None:
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", [
        HEADER,
        ["#N/A", "更改", "A社", "佐藤", "リード", "2026/12/20"],
        ["D-2", "保守", True, "佐藤", "リード", "2026/12/20"],
        ["D" * 30_000, "巨大ID", "B社", "佐藤", "リード", "2026/12/20"],
        ["D-4", "普通", "C社", "#REF!", "リード", "2026/12/20"],
        ["D-5", "普通", "D社", "佐藤", "リード", "2026/12/20"],
    ])])
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "-c", str(tmp_path / "config.yaml"), "-f", "json",
                                      "--as-of", "2026-12-04"])
    assert result.exit_code == 1, result.output[:500]
    data = json.loads(result.stdout)
    codes = {(e["cell"], e["code"]) for e in data["validation"]["errors"]}
    assert codes == {("A2", "error_value"), ("C3", "boolean_not_text"),
                     ("A4", "text_too_long"), ("D5", "error_value")}
    long = next(e for e in data["validation"]["errors"] if e["cell"] == "A4")
    assert "255文字まで" in long["message"] and "30,000文字" in long["message"]
    assert data["validation"]["excluded_rows"] == 4
    # the state tab stays within what the README promises
    import openpyxl

    state = openpyxl.load_workbook(tmp_path / "deals.xlsx")["_sheetsync_state"]
    assert max(len(str(c.value or "")) for row in state.iter_rows() for c in row) < 11_000
