"""Issue 11 #3: amounts that overflow, and numbers too large for a float, in a real register.

Before: two won deals of 5×10^18 yen showed a team total of −8,446,744,073,705,551,616, and a
400-digit number cell in 受注確率 or a date column was an OverflowError traceback from
`validate`, `run` and `schedule --once`. Now each is a cell error naming the cell; the rest of
the register is computed and written.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from sheetsync.cli import cli

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注確率", "受注予定日",
          "完了日", "失注理由", "次回アクション日"]
HUGE = 10**400


def _register(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(HEADER)
    ws.append(["D-1", "巨額1", "A社", "佐藤", "受注", 5 * 10**18, None, None,
               dt.date(2026, 11, 2), None, None])
    ws.append(["D-2", "巨額2", "B社", "佐藤", "受注", "5000000000000000000", None, None,
               dt.date(2026, 11, 3), None, None])
    ws.append(["D-3", "桁", "C社", "佐藤", "提案", "100000000000億", None, "2026/12/20", None,
               None, None])
    ws.append(["D-4", "確率", "D社", "鈴木", "提案", 1_000_000, 123456789, "2026/12/20", None,
               None, None])
    ws.append(["D-5", "日付", "E社", "鈴木", "提案", 1_000_000, None, 987654321, None, None,
               None])
    ws.append(["D-6", "普通", "F社", "鈴木", "受注", 2_000_000, None, None,
               dt.date(2026, 11, 4), None, None])
    wb.save(path)
    # openpyxl cannot store a 400-digit number cell: put it into the sheet XML as a plain
    # <v> number, as a file from another program may hold one
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for placeholder in ("123456789", "987654321"):
        assert f"<v>{placeholder}</v>" in sheet
        sheet = sheet.replace(f"<v>{placeholder}</v>", f"<v>{HUGE}</v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_overflowing_cells_are_errors_and_the_rest_is_computed(tmp_path: Path) -> None:
    _register(tmp_path / "deals.xlsx")
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "-c", str(tmp_path / "config.yaml"), "-f", "json",
                                      "--as-of", "2026-12-04"], catch_exceptions=False)
    assert result.exit_code == 1, result.output  # errors found, the run itself succeeded
    data = json.loads(result.stdout)
    errors = {(e["cell"], e["code"]) for e in data["validation"]["errors"]}
    assert {("F2", "money_too_large"), ("F3", "money_too_large"),
            ("F4", "money_too_large")} <= errors
    assert any(cell == "G5" for cell, _ in errors) and any(cell == "H6" for cell, _ in errors)
    assert data["validation"]["excluded_rows"] == 5
    team = next(r for r in data["forecast"] if r["period"] == "FY2026-Q3" and r["owner"] is None)
    assert team["won"] == 2_000_000  # only the readable deal; nothing wrapped around
    assert "売上予測" in data["tabs_written"]
    message = next(e["message"] for e in data["validation"]["errors"] if e["cell"] == "F4")
    assert "1兆円" in message and "100000000000億" in message


def test_an_exponent_typed_as_text_in_the_amount_is_a_cell_error(tmp_path: Path) -> None:
    """``1E+19`` typed as text in 見込金額 (Excel's display of a huge number, pasted): not
    read as 10^19 yen, nor as a float, but an error naming the cell; the next row is valid."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(HEADER)
    ws.append(["D-1", "指数", "A社", "佐藤", "提案", "1E+19", None, "2026/12/20", None, None,
               None])
    ws.append(["D-2", "普通", "B社", "鈴木", "提案", 1_000_000, None, "2026/12/20", None, None,
               None])
    wb.save(tmp_path / "deals.xlsx")
    assert openpyxl.load_workbook(tmp_path / "deals.xlsx")["案件一覧"]["F2"].data_type == "s"
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    args = ["validate", "-c", str(tmp_path / "config.yaml"), "--as-of", "2026-12-04"]
    result = CliRunner().invoke(cli, [*args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [(e["cell"], e["code"], e["value"]) for e in data["errors"]] == [
        ("F2", "invalid_money", "1E+19")]
    assert "「1E+19」は金額として読めません" in data["errors"][0]["message"]
    assert data["rows"] == 2 and data["excluded_rows"] == 1
    table = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, catch_exceptions=False)
    assert table.exit_code == 1
    line = next(line for line in table.stdout.splitlines() if "案件一覧!F2" in line)
    assert "1E+19" in line and "エラー" in line
