"""The demo workbook: realistic, messy-but-valid, with exactly the invalid cells it declares."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from sheetsync.config import load_config
from sheetsync.demo import REPS, DemoStats, write_demo_config, write_demo_workbook
from sheetsync.grid import CellValue, Grid, PercentValue
from sheetsync.metrics.periods import parse_period, period_of
from sheetsync.schema import load_schema
from sheetsync.validate import ValidationResult, validate_register

TODAY = dt.date(2026, 11, 26)
STAGES = {"lead", "meeting", "proposal", "quote", "negotiation", "on_hold", "won", "lost"}


# ------------------------------------------------------------------------------ helpers


def _cell_value(value: Any, number_format: str | None) -> CellValue:
    """A cell as a backend would type it: percent cells → PercentValue, midnight → date."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (
            number_format or ""):
        return PercentValue(value)
    return value


def read_grid(path: Path, tab: str) -> Grid:
    """One tab of ``path`` as a :class:`Grid` (cached values, trailing empties trimmed)."""
    wb = load_workbook(path, data_only=True)
    rows: list[list[CellValue]] = []
    for row in wb[tab].iter_rows():
        values = [_cell_value(c.value, c.number_format) for c in row]
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return Grid(tab, rows)


def all_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def validate_demo(path: Path, stats: DemoStats, language: str, today: dt.date = TODAY,
                  ) -> ValidationResult:
    tab = "案件一覧" if language == "ja" else "Deals"
    return validate_register(read_grid(path, tab), load_schema(), language=language,
                             owners=stats.reps, as_of=today)


def column(path: Path, tab: str, header: str) -> list[Any]:
    """Raw openpyxl cells below ``header`` (row 3) in ``tab``."""
    ws = load_workbook(path)[tab]
    headers = [c.value for c in ws[3]]
    index = headers.index(header) + 1
    return [ws.cell(row=r, column=index) for r in range(4, ws.max_row + 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoStats, ValidationResult]:
    path = tmp_path_factory.mktemp("demo") / "deals.xlsx"
    stats = write_demo_workbook(path, today=TODAY)
    return path, stats, validate_demo(path, stats, "ja")


# -------------------------------------------------------------------------------- tests


def test_errors_are_exactly_the_declared_invalid_cells(demo: Any) -> None:
    _, stats, result = demo
    errors = result.report.errors
    assert sorted(e.cell for e in errors) == sorted(stats.invalid_cells)
    assert 5 <= len({e.code for e in errors}) <= 8
    assert {e.code for e in errors} == {
        "invalid_money", "negative_money", "date_without_year", "impossible_date",
        "invalid_choice", "required", "duplicate_id", "required_when",
    }
    # one kind per row, the duplicated 案件ID on two rows
    assert result.report.excluded_rows == len(stats.invalid_cells)


def test_warnings_are_the_deliberate_ones(demo: Any) -> None:
    _, stats, result = demo
    by_code = Counter(w.code for w in result.report.warnings)
    assert 1 <= by_code["multiple_owners"] <= 3
    assert 1 <= by_code["closed_probability_mismatch"] + by_code["closed_rank_mismatch"] <= 2
    # the second rep at a shared client talks to the person the first one already does
    assert 1 <= by_code["multiple_owners_contact"] <= by_code["multiple_owners"]
    assert set(by_code) <= {"multiple_owners", "multiple_owners_contact",
                            "closed_probability_mismatch", "closed_rank_mismatch"}
    found = {code: sorted(w.cell for w in result.report.warnings if w.code == code)
             for code in by_code}
    assert found == {code: sorted(cells) for code, cells in stats.warning_cells.items()}


def test_size_stages_and_reps(demo: Any) -> None:
    _, stats, result = demo
    deals = result.deals
    assert stats.deals == result.report.rows == 300
    assert len(deals) >= 280
    assert set(deals["stage"]) == STAGES
    assert sum(stats.stages.values()) == stats.deals - 1  # the 様子見 row has no stage
    assert set(stats.stages) == STAGES
    counts = Counter(deals["stage"])
    assert counts["lead"] > counts["won"] and counts["lost"] > counts["won"]
    assert set(deals["owner"]) == set(REPS) and stats.reps == list(REPS)
    created = pd.to_datetime(deals["created_on"]).dropna()
    assert created.min().date() >= TODAY - dt.timedelta(days=550)
    assert created.min().date() <= TODAY - dt.timedelta(days=480)
    assert created.max().date() <= TODAY


def test_open_deals_are_realistic(demo: Any) -> None:
    _, _, result = demo
    deals = result.deals
    open_deals = deals[~deals["stage"].isin(["won", "lost"])]
    close = pd.to_datetime(open_deals["expected_close"]).dt.date
    quarter = period_of(TODAY, "quarter")
    following = period_of(quarter.end + dt.timedelta(days=1), "quarter")
    soon = close.map(lambda d: quarter.start <= d <= following.end)
    assert soon.mean() > 0.4
    assert (close < TODAY).sum() >= 5  # overdue
    assert open_deals["next_action"].isna().sum() >= 5
    last = pd.to_datetime(open_deals["last_activity"]).dt.date
    assert (last.dropna() < TODAY - dt.timedelta(days=21)).sum() >= 10
    amounts = deals["amount"].dropna()
    assert amounts.min() >= 300_000 and (amounts <= 50_000_000).mean() > 0.95
    lost = deals[deals["stage"] == "lost"]
    assert lost["loss_reason"].notna().all() and lost["closed_on"].notna().all()


def test_layout(demo: Any) -> None:
    path, _, _ = demo
    wb = load_workbook(path)
    assert wb.sheetnames == ["案件一覧", "目標", "メモ"]
    ws = wb["案件一覧"]
    assert "案件管理表" in ws["A1"].value
    assert all(c.value is None for c in ws[2])
    headers = [c.value for c in ws[3]]
    assert len(headers) == 19
    assert {"金額", "対応状況", "社内メモ", "案件ID", "受注予定日", "先方担当者"} <= set(headers)
    assert all(ws.cell(row=3, column=i).font.b for i in range(1, 20))
    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions["D"].width > 20
    assert wb["メモ"]["A1"].value


def test_contacts_are_typed_many_ways(demo: Any) -> None:
    path, _, result = demo
    typed = [c.value for c in column(path, "案件一覧", "先方担当者") if c.value]
    assert len(typed) > 200
    assert any(t.endswith("様") for t in typed) and any("\u3000" in t for t in typed)
    assert any(re.fullmatch(r"\S+ \S+", t) for t in typed)
    # every contact is read as typed: the honorific is the rep's, not dropped on the way in
    assert set(result.deals["client_contact"].dropna()) <= {t.strip() for t in typed}


def test_messy_but_valid_forms_are_present(demo: Any) -> None:
    path, _, _ = demo
    tab = "案件一覧"
    amounts = column(path, tab, "金額")
    texts = [c.value for c in amounts if isinstance(c.value, str)]
    assert any(isinstance(c.value, int) and "¥" in c.number_format for c in amounts)
    patterns = [r"^\d{1,3}(,\d{3})+$", r"^¥\d", r"^￥.*円$", r"^\d+万円$", r"^\d+万$",
                r"^\d+(\.\d)?億$", r"^[０-９]+万円$", r"^\d+千円$"]
    for pattern in patterns:
        assert any(re.match(pattern, t) for t in texts), pattern
    dates = [c for name in ("登録日", "受注予定日", "完了日", "最終接触日", "次回アクション日")
             for c in column(path, tab, name)]
    assert sum(isinstance(c.value, dt.datetime) for c in dates) > 500
    assert any(type(c.value) is int for c in dates)  # serial numbers
    date_texts = [c.value for c in dates if isinstance(c.value, str)]
    for pattern in (r"^\d{4}/\d{1,2}/\d{1,2}$", r"^\d{4}-\d\d-\d\d$", r"^\d{4}\.\d{1,2}\.\d",
                    r"^\d{4}年", r"^令和\d+年", r"^R\d+\."):
        assert any(re.match(pattern, t) for t in date_texts), pattern
    stages = [c.value for c in column(path, tab, "フェーズ")]
    assert "Proposal" in stages or "Won" in stages or "Lost" in stages
    assert any(s in stages for s in ("交渉中", "見積", "成約", "見送り", "商談", "アポ"))
    assert any(isinstance(s, str) and s != s.rstrip() for s in stages)
    assert "Ａ" in [c.value for c in column(path, tab, "確度")]
    probability = column(path, tab, "受注確率")
    assert any(c.number_format == "0%" and isinstance(c.value, float) for c in probability)
    assert any(isinstance(c.value, str) and "％" in c.value for c in probability)
    assert any(isinstance(c.value, str) and c.value.endswith("%") for c in probability)
    owners = [c.value for c in column(path, tab, "担当者")]
    assert any(isinstance(o, str) and "\u3000" in o for o in owners)
    clients = [c.value for c in column(path, tab, "顧客名") if c.value]
    for mark in ("(株)", "㈱"):
        assert any(mark in c for c in clients)
    assert any(c.startswith("株式会社") for c in clients)
    assert any(c.endswith("株式会社") for c in clients)
    assert any(re.search("[Ａ-Ｚ]", c) for c in clients)
    sources = {c.value for c in column(path, tab, "流入経路")}
    assert None in sources and "展示会" in sources


def test_formula_like_text_stays_text(demo: Any) -> None:
    path, _, result = demo
    cells = [c for c in column(path, "案件一覧", "次回アクション")
             if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value[0] for c in cells} == set("=+-@")
    assert all(c.data_type == "s" for c in cells)
    assert "=確認する" in set(result.deals["next_action"])


def test_deterministic(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    a = write_demo_workbook(first, today=TODAY, seed=3)
    b = write_demo_workbook(second, today=TODAY, seed=3)
    write_demo_workbook(other, today=TODAY, seed=4)
    assert all_values(first) == all_values(second)
    assert a.invalid_cells == b.invalid_cells and a.stages == b.stages
    assert all_values(first) != all_values(other)


def test_english_variant_has_the_same_counts(demo: Any, tmp_path: Path) -> None:
    _, ja_stats, ja = demo
    path = tmp_path / "deals.xlsx"
    stats = write_demo_workbook(path, today=TODAY, language="en")
    assert load_workbook(path).sheetnames == ["Deals", "Targets", "Memo"]
    headers = [c.value for c in load_workbook(path)["Deals"][3]]
    assert {"Deal ID", "Client", "Stage", "Expected close"} <= set(headers)
    result = validate_demo(path, stats, "en")
    assert sorted(e.cell for e in result.report.errors) == sorted(stats.invalid_cells)
    assert stats.invalid_cells == ja_stats.invalid_cells
    assert result.report.rows == ja.report.rows
    assert result.report.excluded_rows == ja.report.excluded_rows
    assert Counter(w.code for w in result.report.warnings) == Counter(
        w.code for w in ja.report.warnings)
    assert Counter(result.deals["stage"]) == Counter(ja.deals["stage"])


@pytest.mark.parametrize(("today", "seed"), [
    (dt.date(2026, 4, 1), 1), (dt.date(2027, 3, 31), 2), (dt.date(2025, 7, 15), 11),
])
def test_other_days_and_seeds_are_as_declared(tmp_path: Path, today: dt.date, seed: int) -> None:
    path = tmp_path / "deals.xlsx"
    stats = write_demo_workbook(path, today=today, seed=seed)
    result = validate_demo(path, stats, "ja", today)
    assert sorted(e.cell for e in result.report.errors) == sorted(stats.invalid_cells)
    warnings = Counter(w.code for w in result.report.warnings)
    assert 1 <= warnings["multiple_owners"] <= 3
    assert set(result.deals["stage"]) == STAGES
    assert len(result.deals) >= 280


def test_targets_tab(demo: Any) -> None:
    path, _, _ = demo
    grid = read_grid(path, "目標")
    assert grid.rows[0] == ["期間", "担当者", "目標金額"]
    quarter = period_of(TODAY, "quarter")
    labels, team, reps = set(), 0, 0
    for period_text, owner, amount in (r + [None] * (3 - len(r)) for r in grid.rows[1:]):
        labels.add(period_text)
        period = parse_period(period_text)
        assert owner is None or owner in REPS
        value = amount if isinstance(amount, int) else int(
            amount.replace(",", "").removesuffix("万円")) * 10_000
        if period.kind == "half":  # next year's plan, set per half for the team
            assert owner is None and period.fiscal_year == quarter.fiscal_year + 1
            continue
        assert period.fiscal_year == quarter.fiscal_year
        if period.kind == "month":
            assert owner is not None and quarter.contains(period.start)
        if quarter.contains(period.start):
            if owner is None:
                team += value
            else:
                reps += value
    assert any(re.match(r"^FY\d{4}-Q\d$", t) for t in labels)
    assert any(re.match(r"^\d{4}年度Q\d$", t) for t in labels)
    assert any("四半期" in t for t in labels)
    assert any(re.match(r"^\d{4}-\d\d$", t) for t in labels)
    assert any(re.match(r"^\d{4}年\d+月$", t) for t in labels)
    assert any(re.search(r"(上|下)期$|-H[12]$", t) for t in labels)
    assert any(isinstance(r[2], str) and r[2].endswith("万円") for r in grid.rows[1:])
    assert reps <= team <= reps * 1.1


def test_the_forecast_shows_every_column(demo: Any) -> None:
    """The ヨミ表 of the demo tells a story a manager recognises: the target lies between
    the commit and the best-case landing, one rep is already over target, overdue deals sit
    in this quarter, next year has pipeline and a plan, a few deals are parked."""
    from sheetsync.metrics import MetricsSettings
    from sheetsync.metrics.targets import map_targets
    from sheetsync.reports.forecast import compute_forecast, forecast_rows
    from sheetsync.targets_tab import read_targets

    path, _, result = demo
    targets, issues = read_targets(read_grid(path, "目標"))
    assert issues == []  # no deliberate error there: the half targets agree with nothing
    mapped, _ = map_targets(targets)
    rows = forecast_rows(compute_forecast(result.deals, mapped, MetricsSettings.default(TODAY)))
    by = {(r["period"], r["owner"]): r for r in rows}
    now = by[(period_of(TODAY, "quarter").key, None)]
    assert now["commit_landing"] < now["target"] < now["best_case_landing"]
    assert now["overdue_count"] >= 5 and now["overdue_amount"] > 0
    assert any(r["commit_gap"] is not None and r["commit_gap"] < 0 and r["owner"]
               and r["period"] == now["period"] for r in rows)
    assert by[("FY2027-Q1", None)]["pipeline"] > 0
    assert by[("FY2027-H1", None)]["target"] and by[("FY2027", None)]["target"]
    assert by[("FY2027-H1", None)]["coverage"] is not None
    assert any(r["closed"] for r in rows)
    assert (result.deals["stage"] == "on_hold").sum() >= 5


@pytest.mark.parametrize("language", ["ja", "en"])
def test_demo_config(tmp_path: Path, language: str) -> None:
    path = tmp_path / "config.yaml"
    write_demo_config(path, "my deals.xlsx", language=language)
    text = path.read_text(encoding="utf-8")
    assert text.count("#") >= 10
    config = load_config(path)
    assert config.language == language
    assert config.workbook_path == tmp_path.resolve() / "my deals.xlsx"
    assert config.spreadsheet.backend == "workbook"
    assert config.owners == list(REPS)
    assert config.fiscal_year_start_month == 4
    assert config.timezone == "Asia/Tokyo"
    assert config.forecast.period == "quarter"
    assert config.stale.default_days == 14 and config.stale.by_stage
    assert config.win_rate.window_months == 12
