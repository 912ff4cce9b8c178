"""The ヨミ表 end to end on both backends, on the demo register in December.

One `sheetsync run` on the workbook and one on the emulated Google Sheet must give the same
JSON — closed quarters, overdue deals rolled into the current one, next year's halves — and
both must place the chart where a laptop shows it and print every tab they write landscape,
one page wide, header repeated.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.demo import write_demo_workbook
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids

AS_OF = dt.date(2026, 12, 4)
#: a laptop shows columns A–N at 100 %; the issue asks for the chart's corner at J or left
LAST_CHART_COLUMN = 9  # J, 0-based
VISIBLE_TABS = ["売上予測", "予測の推移", "パイプライン増減", "受注率", "要フォロー案件",
                "担当者サマリー", "ファネル", "入力エラー", "変更履歴"]
#: about 30 and 20 columns: one page wide would be unreadable; each page repeats these columns
NATURAL_SIZE_TABS = {"担当者サマリー": "$A:$A", "ファネル": "$A:$C"}


@pytest.fixture
def both(emulator: Emulator, service_account_key: Path, tmp_path: Path) -> dict[str, Any]:
    write_demo_workbook(tmp_path / "deals.xlsx", today=AS_OF)
    key = load_grids(emulator, WorkbookBackend(tmp_path / "deals.xlsx").read().grids)
    (tmp_path / "workbook.yaml").write_text("spreadsheet: {path: deals.xlsx}\n")
    (tmp_path / "google.yaml").write_text(
        f"spreadsheet:\n  backend: google\n  key: '{key}'\n"
        f"  credentials: {service_account_key.name}\n  endpoint: '{emulator.base_url}'\n")

    def run(config: str) -> dict[str, Any]:
        result = CliRunner().invoke(cli, ["run", "--format", "json", "--as-of", AS_OF.isoformat(),
                                          "--config", str(tmp_path / config)])
        assert result.exit_code == 1, result.output  # the demo's deliberate errors
        return json.loads(result.stdout)

    return {"workbook": run("workbook.yaml"), "google": run("google.yaml"), "key": key,
            "path": tmp_path / "deals.xlsx", "emulator": emulator}


def test_the_same_forecast_json_on_both_backends(both: dict[str, Any]) -> None:
    workbook, google = both["workbook"], both["google"]
    assert google["forecast"] == workbook["forecast"]
    assert google == workbook
    rows = {(r["period"], r["owner"]): r for r in google["forecast"]}
    # what the ヨミ表 is for, on a real run: finished quarters, the current one holding the
    # overdue deals, next year's pipeline against its half-year plan
    assert rows[("FY2026-Q1", None)]["closed"] and rows[("FY2026-Q2", None)]["closed"]
    now = rows[("FY2026-Q3", None)]
    assert not now["closed"] and now["overdue_count"] > 0
    assert now["commit_landing"] <= now["best_case_landing"]
    assert rows[("FY2027-H1", None)]["target"] and rows[("FY2027-Q1", None)]["pipeline"]
    assert rows[("FY2026", None)]["won"] == sum(
        rows[(f"FY2026-Q{q}", None)]["won"] for q in (1, 2, 3, 4))


def test_the_workbook_chart_sits_on_screen_and_every_tab_prints(both: dict[str, Any]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(both["path"])
    ws = wb["売上予測"]
    (chart,) = ws._charts  # openpyxl reads the drawing part back
    column, row = chart.anchor._from.col, chart.anchor._from.row
    assert column <= LAST_CHART_COLUMN
    team_rows = sum(1 for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == "チーム合計")
    assert team_rows == 14 and 3 + team_rows <= row + 1 <= 3 + team_rows + 2  # under the team
    # nothing but the chart on the rows it covers
    for cells in ws.iter_rows(min_row=row + 1, max_row=row + 17, values_only=True):
        assert all(v is None for v in cells)
    for name in VISIBLE_TABS:
        sheet = wb[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.print_title_rows.replace("$", "") == "1:2", name
        if name in NATURAL_SIZE_TABS:  # too wide for one page: pages across, names repeated
            assert not sheet.sheet_properties.pageSetUpPr.fitToPage, name
            assert sheet.print_title_cols == NATURAL_SIZE_TABS[name], name
            continue
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0, name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
    assert wb["_sheetsync_state"].sheet_state == "hidden"


def test_the_google_chart_sits_on_screen_and_every_tab_links_its_print(
        both: dict[str, Any]) -> None:
    emulator, key = both["emulator"], both["key"]
    data = emulator.get_spreadsheet(key, include_grid_data=True)
    sheets = {s["properties"]["title"]: s for s in data["sheets"]}
    forecast = sheets["売上予測"]
    (chart,) = forecast["charts"]
    anchor = chart["position"]["overlayPosition"]["anchorCell"]
    assert anchor["columnIndex"] <= LAST_CHART_COLUMN
    assert anchor["rowIndex"] >= 2 + 14  # under the header and the 14 team rows
    for name in VISIBLE_TABS:
        sheet = sheets[name]
        props = sheet["properties"]
        assert props["gridProperties"]["frozenRowCount"] == 2, name  # repeated when printed
        note_row = sheet["data"][0]["rowData"][0]["values"]
        links = [c["userEnteredValue"]["formulaValue"] for c in note_row
                 if "formulaValue" in c.get("userEnteredValue", {})]
        assert len(links) == 1, name
        assert f"/d/{key}/export?format=pdf&gid={props['sheetId']}&portrait=false" in links[0]
        fitted = "false" if name in NATURAL_SIZE_TABS else "true"
        assert f"fitw={fitted}" in links[0] and "fzr=true" in links[0]
