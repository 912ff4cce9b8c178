"""The 目標 tab: periods in any accepted form, blank owner = team, bad rows reported."""

from __future__ import annotations

import datetime as dt

from sheetsync.grid import Grid
from sheetsync.targets_tab import read_targets


def test_targets_in_every_form_map_to_quarters():
    grid = Grid("目標", [
        ["2026年度 目標"], [],
        ["期間", "担当者", "目標金額"],
        ["FY2026-Q3", None, "1億2,500万円"],
        ["2026年度 第3四半期", "佐藤", 20_000_000],
        ["2026-10", "鈴木", "500万"], ["2026年11月", "鈴木", "５００万円"],
        [dt.datetime(2026, 12, 1), "鈴木", 5_000_000],  # Excel turned 2026/12 into a date
        ["2026年度Q4", None, "¥130,000,000"],
    ])
    targets, issues = read_targets(grid)
    assert issues == []
    rows = {(r.period, r.owner): r.target for r in targets.itertuples(index=False)}
    assert rows == {("FY2026-Q3", None): 125_000_000, ("FY2026-Q3", "佐藤"): 20_000_000,
                    ("FY2026-Q3", "鈴木"): 15_000_000, ("FY2026-Q4", None): 130_000_000}


def test_bad_target_rows_are_reported_with_their_cell():
    grid = Grid("Targets", [
        ["Period", "Owner", "Target"],
        ["FY2026-Q3", None, "lots"],
        [None, "Kim", 100],
        ["Q3", "Kim", 100],
        ["FY2026-Q3", "Lee", None],
    ])
    targets, issues = read_targets(grid, language="en")
    assert [(i.code, i.cell) for i in issues[:3]] == [
        ("invalid_money", "C2"), ("required", "A3"), ("required", "C5")]
    assert issues[0].message.startswith("“lots” is not an amount in yen")
    assert any(i.code == "period_year_missing" for i in issues)
    assert targets.empty


def test_no_targets_tab_means_no_targets():
    targets, issues = read_targets(None)
    assert targets.empty and issues == [] and list(targets.columns) == ["period", "owner",
                                                                         "target"]
