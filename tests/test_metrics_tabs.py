"""The TabSpecs of 売上予測, 受注率 and 要フォロー案件, and the one list of reports."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.metrics import MetricsSettings, make_deals, make_targets
from sheetsync.reports import REPORTS, ReportInput, TabContext, report, tab_names
from sheetsync.reports.followup import (
    REASON_LABELS,
    REASONS,
    compute_stale,
    reasons_text,
    stale_tab,
)
from sheetsync.reports.forecast import compute_forecast, forecast_tab
from sheetsync.reports.win_rate import compute_win_rate, win_rate_tab
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


def test_every_report_declares_its_columns_and_json_keys() -> None:
    from sheetsync.reports import (
        followup,
        forecast,
        forecast_history,
        funnel,
        owners,
        pipeline_changes,
        win_rate,
    )

    assert [r.key for r in REPORTS] == ["forecast", "forecast_accuracy", "pipeline_changes",
                                        "win_rate", "stale", "owners", "funnel"]
    assert tab_names("ja") == ["売上予測", "予測の推移", "パイプライン増減", "受注率",
                               "要フォロー案件", "担当者サマリー", "ファネル"]
    assert tab_names("en") == ["Forecast", "Forecast history", "Pipeline changes", "Win rate",
                               "Follow-up", "Rep summary", "Funnel"]
    assert report("forecast") is forecast.REPORT
    for module in (forecast, forecast_history, pipeline_changes, win_rate, followup, owners,
                   funnel):
        for spec in module.TAB_COLUMNS:
            assert spec.ja and spec.en and (spec.kind in NUMBER_FORMATS or spec.kind == "text")
            assert spec.width and spec.width > 0
    # every forecast tab column is a column of the frame; the JSON has every frame column
    assert {c.key for c in forecast.TAB_COLUMNS} <= set(forecast.FORECAST_COLUMNS)
    assert set(win_rate.WIN_RATE_COLUMNS) == {c.key for c in win_rate.TAB_COLUMNS}
    assert set(followup.STALE_COLUMNS) - {"_row", "days_in_stage_at_least"} == {
        c.key for c in followup.TAB_COLUMNS}


def test_reports_run_from_the_list() -> None:
    inputs = ReportInput(deals=DEALS, settings=S, targets=TARGETS)
    for r in REPORTS:
        frame = r.compute(inputs)
        rows = r.json_rows(frame)
        tab = r.tab(frame, TabContext(language="en", note="n"))
        # a list of rows, or one object (pipeline_changes: from, to, rows, deals)
        assert tab.name == r.tab_name("en") and isinstance(rows, list | dict)


@pytest.mark.parametrize(
    ("language", "name", "team", "closed"),
    [("ja", "売上予測", "チーム合計", "実績確定"), ("en", "Forecast", "Team", "Closed")],
)
def test_forecast_tab(language: str, name: str, team: str, closed: str) -> None:
    s = MetricsSettings.default(dt.date(2026, 8, 15))  # Q1 is over
    df = compute_forecast(DEALS, TARGETS, s)
    tab = forecast_tab(df, TabContext(language=language, note="as of"))  # type: ignore[arg-type]
    assert (tab.name, tab.note, tab.header_row, tab.freeze_columns) == (name, "as of", 2, 2)
    keys = [c.key for c in tab.columns]
    assert keys[:4] == ["period", "owner", "target", "won"]
    assert keys.index("commit_landing") < keys.index("best_case_landing") < keys.index("forecast")
    kinds = {c.key: c.kind for c in tab.columns}
    assert kinds["target"] == kinds["commit_gap"] == kinds["remaining"] == "money"
    assert kinds["attainment"] == kinds["commit_attainment"] == "ratio"
    formats = {c.key: c.number_format for c in tab.columns}
    # a negative shortfall reads as exceeded; coverage is a multiple, never 3410.5%
    assert formats["commit_gap"].split(";")[1].startswith('"超過' if language == "ja"
                                                          else '"over')
    assert formats["coverage"] == ('0.0"倍"' if language == "ja" else '0.0"x"')
    # team rows first: 8 base periods, then halves and years
    assert [r[:2] for r in tab.rows[:8]] == [[f"FY{y}-Q{q}", team] for y in (2026, 2027)
                                             for q in (1, 2, 3, 4)]
    assert [r[0] for r in tab.rows[8:14]] == ["FY2026-H1", "FY2026-H2", "FY2026",
                                              "FY2027-H1", "FY2027-H2", "FY2027"]
    # the chart's room: blank rows under the team rows, then the owners
    assert tab.chart is not None and tab.chart.data_rows == (0, 8)
    row, col = tab.chart.anchor
    assert col == 0 and row == 15 and all(r == [] for r in tab.rows[14:row + 18])
    owners = [r for r in tab.rows[14:] if r]
    assert [r[1] for r in owners[:2]] == ["佐藤", "鈴木"] and owners[0][0] == "FY2026-Q1"
    assert tab.chart.series_columns == ("target", "won", "commit_landing", "forecast")
    q1 = dict(zip(keys, tab.rows[0], strict=True))
    assert q1["target"] == 5_000_000 and type(q1["won"]) is int
    assert q1["attainment"] == 0.2 and q1["coverage"] is None and q1["closed"] == closed
    q2 = dict(zip(keys, tab.rows[1], strict=True))
    assert (q2["target"], q2["attainment"], q2["commit_gap"], q2["closed"]) == (
        None, None, None, None)
    rules = {(c.column, c.op, c.value) for c in tab.conditional}
    assert ("commit_gap", "lt", 0.0) in rules and ("closed", "eq", closed) in rules


def test_win_rate_tab_labels() -> None:
    df = compute_win_rate(DEALS, S)
    tab = win_rate_tab(df, TabContext(language="ja", source_labels={"referral": "紹介"}))
    assert tab.name == "受注率" and tab.note is None and tab.header_row == 1
    assert [r[:2] for r in tab.rows] == [["全体", "全体"], ["担当者", "鈴木"], ["流入経路", "紹介"]]
    en = win_rate_tab(df, TabContext(language="en"))
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
    tab = stale_tab(df, TabContext(
        language="ja", note="3 rows excluded", register_tab="案件一覧",
        stage_labels={"negotiation": "交渉", "lead": "リード"}))
    assert tab.name == "要フォロー案件" and tab.freeze_columns == 1
    keys = [c.key for c in tab.columns]
    assert [c.header for c in tab.columns] == [
        "案件ID", "案件名", "顧客名", "担当者", "フェーズ", "影響額", "理由", "次回アクション",
        "次回期日", "未更新日数", "最終接触日", "受注予定日", "延期回数", "滞留日数", "見込金額",
        "受注確率"]
    kinds = {c.key: c.kind for c in tab.columns}
    assert (kinds["impact"], kinds["amount"], kinds["probability"]) == ("money", "money", "ratio")
    # money at risk first: D1 (¥1,600,000 at 80 %), then the deal without an amount
    d1, lead = (dict(zip(keys, r, strict=True)) for r in tab.rows)
    assert d1["deal_id"] == Link(text="D1", tab="案件一覧", cell="A5")
    assert d1["stage"] == "交渉"
    assert d1["reasons"] == "予定日超過"
    assert d1["expected_close"] == dt.date(2026, 5, 1)
    assert d1["last_activity"] == dt.date(2026, 5, 14) and d1["next_action"] == "見積"
    assert (d1["amount"], d1["impact"], d1["probability"]) == (2_000_000, 1_600_000, 0.8)
    assert d1["days_since_update"] == 1
    # no 案件ID: the link shows the cell
    assert lead["deal_id"] == Link(text="A9", tab="案件一覧", cell="A9")
    assert lead["reasons"] == "更新なし・次回未定"
    assert (lead["amount"], lead["impact"], lead["days_since_update"]) == (None, None, None)
    fills = [(c.column, c.op, c.value) for c in tab.conditional]
    assert fills == [
        ("reasons", "contains", "予定日超過"),
        ("reasons", "contains", "予定日延期"),
        ("reasons", "contains", "更新なし"),
        ("reasons", "contains", "次回期限切れ"),
        ("reasons", "contains", "次回未定"),
        ("reasons", "contains", "見直し日超過"),
    ]
    assert len({c.fill for c in tab.conditional}) == 4
    en = stale_tab(df, TabContext(language="en", register_tab="Deals"))
    assert en.name == "Follow-up"
    assert en.columns[5].header == "Impact"
    assert en.rows[1][6] == "No update, No next action"
    assert en.rows[1][4] == "lead"  # no labels given: the value


def test_reason_labels_are_short_and_never_inside_one_another() -> None:
    assert set(REASON_LABELS) == set(REASONS)
    assert reasons_text(["no_update", "overdue_close", "no_next_action"]) == (
        "更新なし・予定日超過・次回未定"
    )
    assert reasons_text([], "en") == ""
    with pytest.raises(ValueError):
        reasons_text(["no_update"], "fr")  # type: ignore[arg-type]
    for lang, longest in (("ja", 6), ("en", 14)):
        labels = [label(lang) for label in REASON_LABELS.values()]
        assert max(len(t) for t in labels) <= longest, labels
        # a colour rule matches its label in any cell (case-insensitive, as Sheets does)
        # and never another reason's
        assert not [(a, b) for a in labels for b in labels
                    if a != b and a.casefold() in b.casefold()]


def test_empty_tables_give_empty_tabs() -> None:
    empty = make_deals([])
    assert stale_tab(compute_stale(empty, S), TabContext(register_tab="x")).rows == []
    tab = forecast_tab(compute_forecast(empty, None, S), TabContext())
    assert len([r for r in tab.rows if r]) == 14 and tab.chart is not None
