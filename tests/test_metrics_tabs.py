"""The TabSpecs of 売上予測, 受注率 and 要フォロー案件."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.metrics import (
    MetricsSettings,
    compute_forecast,
    compute_stale,
    compute_win_rate,
    make_deals,
    make_targets,
)
from sheetsync.metrics.tabs import (
    HEADERS,
    REASON_LABELS,
    forecast_tab,
    reasons_text,
    stale_tab,
    win_rate_tab,
)
from sheetsync.tabspec import NUMBER_FORMATS, Link

S = MetricsSettings.default(dt.date(2026, 5, 15))
DEALS = make_deals(
    [
        {"deal_id": "D1", "deal_name": "基幹刷新", "client": "ABC商事", "owner": "佐藤",
         "stage": "negotiation", "amount": 2_000_000, "expected_close": "2026-05-01",
         "last_activity": "2026-05-14", "next_action": "見積", "_row": 5},
        {"deal_id": "D2", "owner": "鈴木", "stage": "won", "amount": 1_000_000,
         "closed_on": "2026-04-20", "created_on": "2026-04-01", "lead_source": "referral"},
        {"deal_id": None, "owner": "鈴木", "stage": "lead", "expected_close": "2026-09-01",
         "_row": 9},
    ]
)  # fmt: skip
TARGETS = make_targets([{"period": "FY2026-Q1", "owner": "佐藤", "target": 5_000_000}])


def test_headers_cover_every_column_in_both_languages() -> None:
    from sheetsync.metrics import FORECAST_COLUMNS, STALE_COLUMNS, WIN_RATE_COLUMNS
    from sheetsync.metrics.stale import HISTORY_COLUMNS

    assert list(HEADERS["forecast"]) == list(FORECAST_COLUMNS)
    assert set(HEADERS["win_rate"]) == set(WIN_RATE_COLUMNS)
    assert set(HEADERS["stale"]) == set(STALE_COLUMNS) - {"_row"} | set(HISTORY_COLUMNS)
    for table in HEADERS.values():
        for ja, en, kind, width in table.values():
            assert ja and en and (kind in NUMBER_FORMATS or kind == "text")
            assert width > 0


@pytest.mark.parametrize(
    ("language", "name", "team"), [("ja", "売上予測", "チーム合計"), ("en", "Forecast", "Team")]
)
def test_forecast_tab(language: str, name: str, team: str) -> None:
    df = compute_forecast(DEALS, TARGETS, S)
    tab = forecast_tab(df, language=language, note="as of", register_tab="案件一覧")  # type: ignore[arg-type]
    assert (tab.name, tab.note, tab.header_row, tab.freeze_columns) == (name, "as of", 2, 2)
    kinds = {c.key: c.kind for c in tab.columns}
    assert kinds["target"] == kinds["weighted"] == kinds["gap"] == "money"
    assert kinds["attainment"] == kinds["coverage"] == "ratio"
    # team rows first, one per period: the chart's contiguous block
    assert [r[:2] for r in tab.rows[:4]] == [[f"FY2026-Q{q}", team] for q in (1, 2, 3, 4)]
    assert [r[1] for r in tab.rows[4:]] == ["佐藤", "鈴木"] * 4
    assert [r[0] for r in tab.rows[4:6]] == ["FY2026-Q1"] * 2
    assert tab.chart is not None
    assert tab.chart.data_rows == (0, 4)
    assert tab.chart.series_columns == ("target", "won", "forecast")
    assert tab.chart.category_column == "period"
    q1 = dict(zip([c.key for c in tab.columns], tab.rows[0], strict=True))
    assert q1["target"] == 5_000_000 and type(q1["won"]) is int
    assert q1["attainment"] == 0.2 and q1["coverage"] == 0.5
    q2 = dict(zip([c.key for c in tab.columns], tab.rows[1], strict=True))
    assert (q2["target"], q2["attainment"], q2["gap"]) == (None, None, None)
    rules = {(c.column, c.op, c.value, c.threshold_column) for c in tab.conditional}
    assert ("attainment", "lt", 1.0, None) in rules
    assert ("forecast_attainment", "lt", 1.0, None) in rules
    assert ("forecast", "lt", None, "target") in rules


def test_win_rate_tab_labels() -> None:
    df = compute_win_rate(DEALS, S)
    tab = win_rate_tab(df, language="ja", note=None, source_labels={"referral": "紹介"})
    assert tab.name == "受注率" and tab.note is None and tab.header_row == 1
    assert [r[:2] for r in tab.rows] == [["全体", "全体"], ["担当者", "鈴木"], ["流入経路", "紹介"]]
    en = win_rate_tab(df, language="en")
    assert [r[:2] for r in en.rows] == [
        ["Total", "Total"],
        ["Owner", "鈴木"],
        ["Lead source", "referral"],
    ]
    kinds = {c.key: c.kind for c in en.columns}
    assert (kinds["won"], kinds["win_rate"], kinds["won_amount"]) == ("int", "ratio", "money")
    assert kinds["avg_cycle_days"] == "number"
    row = dict(zip([c.key for c in en.columns], en.rows[0], strict=True))
    assert (row["won"], row["avg_cycle_days"], row["avg_won_amount"]) == (1, 19.0, 1_000_000)


def test_stale_tab_links_labels_and_colours() -> None:
    df = compute_stale(DEALS, S)
    tab = stale_tab(
        df, language="ja", note="3 rows excluded", register_tab="案件一覧",
        stage_labels={"negotiation": "交渉", "lead": "リード"},
    )  # fmt: skip
    assert tab.name == "要フォロー案件"
    keys = [c.key for c in tab.columns]
    # the deal without 案件ID has two reasons: it comes first
    lead, d1 = (dict(zip(keys, r, strict=True)) for r in tab.rows)
    assert d1["deal_id"] == Link(text="D1", tab="案件一覧", cell="A5")
    assert d1["stage"] == "交渉"
    assert d1["reasons"] == "受注予定日超過"
    assert d1["expected_close"] == dt.date(2026, 5, 1)
    assert d1["amount"] == 2_000_000 and d1["days_since_update"] == 1
    # no 案件ID: the link shows the cell
    assert lead["deal_id"] == Link(text="A9", tab="案件一覧", cell="A9")
    assert lead["reasons"] == "更新なし・次回アクションなし"
    assert (lead["amount"], lead["days_since_update"]) == (None, None)
    fills = [(c.column, c.op, c.value) for c in tab.conditional]
    assert fills == [
        ("reasons", "contains", "受注予定日超過"),
        ("reasons", "contains", "更新なし"),
        ("reasons", "contains", "次回アクションなし"),
    ]
    assert len({c.fill for c in tab.conditional}) == 3
    en = stale_tab(df, language="en", note=None, register_tab="Deals")
    assert en.name == "Follow-up"
    assert en.rows[0][7] == "No update, No next action"
    assert en.rows[0][4] == "lead"  # no labels given: the value


def test_reason_labels() -> None:
    assert set(REASON_LABELS) == {"no_update", "overdue_close", "no_next_action"}
    assert reasons_text(["no_update", "overdue_close", "no_next_action"]) == (
        "更新なし・受注予定日超過・次回アクションなし"
    )
    assert reasons_text([], "en") == ""
    with pytest.raises(ValueError):
        reasons_text(["no_update"], "fr")  # type: ignore[arg-type]


def test_empty_tables_give_empty_tabs() -> None:
    empty = make_deals([])
    assert stale_tab(compute_stale(empty, S), register_tab="x").rows == []
    tab = forecast_tab(compute_forecast(empty, None, S))
    assert len(tab.rows) == 4 and tab.chart is not None
