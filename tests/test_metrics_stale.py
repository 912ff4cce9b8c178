"""要フォロー案件: every reason, per-stage limits, 影響額 and the order by money at risk —
each expectation computed by hand from docs/definitions.md, "要フォロー案件"."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sheetsync.metrics import MetricsSettings, make_deals
from sheetsync.reports.followup import REASONS, compute_stale, impacts, stale_rows

AS_OF = dt.date(2026, 5, 15)
OK = {"next_action": "call", "next_action_date": "2026-05-20", "expected_close": "2026-06-30"}
FRESH = {"stage": "proposal", "last_activity": "2026-05-14"}


def _settings(**kw: object) -> MetricsSettings:
    kw.setdefault("stale_by_stage", {"negotiation": 7, "lead": 30})
    return MetricsSettings.default(AS_OF, **kw)  # type: ignore[arg-type]


def _rows(records: list[dict], **kw: object) -> dict[str, dict]:
    return {r["deal_id"]: r for r in stale_rows(compute_stale(make_deals(records),
                                                              _settings(**kw)))}


def _reasons(records: list[dict], **kw: object) -> dict[str, list[str]]:
    return {k: r["reasons"] for k, r in _rows(records, **kw).items()}


def test_the_reasons_and_their_order() -> None:
    assert REASONS == ("no_update", "overdue_close", "no_next_action", "next_action_overdue",
                       "close_pushed", "unrealistic_close", "hold_review_due")


def test_no_update_with_per_stage_limits() -> None:
    deals = [
        {"deal_id": "P14", "stage": "proposal", "last_activity": "2026-05-01", **OK},
        {"deal_id": "P15", "stage": "proposal", "last_activity": "2026-04-30", **OK},
        {"deal_id": "N7", "stage": "negotiation", "last_activity": "2026-05-08", **OK},
        {"deal_id": "N8", "stage": "negotiation", "last_activity": "2026-05-07", **OK},
        {"deal_id": "L30", "stage": "lead", "created_on": "2026-04-15", **OK},
        {"deal_id": "L31", "stage": "lead", "created_on": "2026-04-14", **OK},
        {"deal_id": "F", "stage": "quote", "last_activity": "2026-06-01", **OK},  # future: fine
    ]
    assert _reasons(deals) == {"P15": ["no_update"], "N8": ["no_update"], "L31": ["no_update"]}
    assert _reasons(deals, stale_default_days=30) == {"N8": ["no_update"], "L31": ["no_update"]}


def test_last_update_is_the_latest_known_date() -> None:
    base = {"stage": "proposal", **OK}
    deals = [
        {"deal_id": "A", "last_activity": "2026-01-01", "created_on": "2026-05-10", **base},
        {"deal_id": "B", "last_activity": "2026-05-10", "created_on": "2026-01-01", **base},
        {"deal_id": "C", "last_activity": "2026-01-01", "last_observed_change": "2026-05-10",
         **base},
        {"deal_id": "D", "last_activity": "2026-01-01", "last_observed_change": None, **base},
        {"deal_id": "E", **base},
    ]  # fmt: skip
    rows = _rows(deals)
    assert set(rows) == {"D", "E"}
    assert rows["D"]["days_since_update"] == 134  # 2026-01-01 → 2026-05-15
    # nothing known: null days, and stale
    assert (rows["E"]["days_since_update"], rows["E"]["reasons"]) == (None, ["no_update"])
    # without the column, the observed change plays no part
    no_column = [{k: v for k, v in d.items() if k != "last_observed_change"} for d in deals]
    assert set(_reasons(no_column)) == {"C", "D", "E"}


def test_overdue_close() -> None:
    base = {"stage": "proposal", "last_activity": "2026-05-14", "next_action": "call"}
    deals = [
        {"deal_id": "late", "expected_close": "2026-05-14", **base},
        {"deal_id": "today", "expected_close": "2026-05-15", **base},
        {"deal_id": "blank", "expected_close": None, **base},
    ]
    assert _reasons(deals) == {"late": ["overdue_close"]}


def test_no_next_action_is_a_blank_action_only() -> None:
    base = {"stage": "proposal", "last_activity": "2026-05-14", "expected_close": "2026-06-30"}
    deals = [
        {"deal_id": "none", "next_action": None, **base},
        {"deal_id": "spaces", "next_action": " \u3000 ", **base},
        {"deal_id": "empty", "next_action": "", **base},
        {"deal_id": "dated_only", "next_action": None, "next_action_date": "2026-06-01", **base},
        {"deal_id": "blank_late", "next_action": None, "next_action_date": "2026-05-01", **base},
        {"deal_id": "undated", "next_action": "call", **base},
        {"deal_id": "today", "next_action": "call", "next_action_date": "2026-05-15", **base},
    ]
    assert _reasons(deals) == {
        "none": ["no_next_action"],
        "spaces": ["no_next_action"],
        "empty": ["no_next_action"],
        "dated_only": ["no_next_action"],
        "blank_late": ["no_next_action"],  # nothing to be late with: the action is missing
    }


def test_an_existing_action_with_a_past_date_is_next_action_overdue() -> None:
    """The demo's D-008: 契約書レビュー due 10/15, seen on 11/26 — the action exists, it is
    late; before, this was reported as 次回アクションなし."""
    base = {"stage": "negotiation", "last_activity": "2026-11-25", "expected_close": "2026-12-25"}
    deals = [
        {"deal_id": "D-008", "next_action": "契約書レビュー", "next_action_date": "2026-10-15",
         **base},
        {"deal_id": "yesterday", "next_action": "電話", "next_action_date": "2026-11-25", **base},
        {"deal_id": "today", "next_action": "電話", "next_action_date": "2026-11-26", **base},
    ]
    s = MetricsSettings.default(dt.date(2026, 11, 26))
    rows = {r["deal_id"]: r for r in stale_rows(compute_stale(make_deals(deals), s))}
    assert {k: r["reasons"] for k, r in rows.items()} == {
        "D-008": ["next_action_overdue"], "yesterday": ["next_action_overdue"]}
    d8 = rows["D-008"]
    assert (d8["next_action"], d8["next_action_date"]) == ("契約書レビュー", "2026-10-15")


@pytest.mark.parametrize(("pushes", "limit", "pushed"), [
    (None, 2, False),  # not tracked (no change history)
    (0, 2, False),
    (1, 2, False),
    (2, 2, True),  # two pushes: the default limit
    (3, 2, True),
    (2, 3, False),
    (3, 3, True),
])
def test_close_pushed_after_max_close_pushes(pushes, limit, pushed) -> None:
    deal = {"deal_id": "D", **FRESH, **OK, "close_pushes": pushes}
    expected = {"D": ["close_pushed"]} if pushed else {}
    assert _reasons([deal], stale_max_close_pushes=limit) == expected
    if pushed:
        assert _rows([deal], stale_max_close_pushes=limit)["D"]["close_pushes"] == pushes


def test_closed_deals_are_never_listed_and_reasons_keep_their_order() -> None:
    old = {"last_activity": "2020-01-01", "expected_close": "2020-01-01", "close_pushes": 5}
    deals = [
        {"deal_id": "W", "stage": "won", **old},
        {"deal_id": "L", "stage": "lost", **old},
        {"deal_id": "O", "stage": "quote", **old},
        {"deal_id": "A", "stage": "quote", "next_action": "x", "next_action_date": "2020-01-01",
         **old},
    ]
    assert _reasons(deals) == {
        "O": ["no_update", "overdue_close", "no_next_action", "close_pushed"],
        "A": ["no_update", "overdue_close", "next_action_overdue", "close_pushed"],
    }


def test_on_hold_deals_only_get_their_review_date() -> None:
    deals = [
        # parked, review date passed: hold_review_due only (no update, overdue, no action,
        # pushed twice)
        {"deal_id": "H1", "stage": "on_hold", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-14", "close_pushes": 2},
        # parked, review later: nothing, however stale
        {"deal_id": "H2", "stage": "on_hold", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-15", "close_pushes": 2},
        # an active deal with the same dates gets the usual reasons
        {"deal_id": "P1", "stage": "proposal", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-14", "close_pushes": 2},
    ]
    assert _reasons(deals) == {
        "P1": ["no_update", "overdue_close", "no_next_action", "close_pushed"],
        "H1": ["hold_review_due"],
    }


def test_impact_is_amount_times_probability_rounded_half_up() -> None:
    base = {**FRESH, "expected_close": "2026-06-30", "next_action": None}
    deals = [
        # 受注確率 first, then the 確度 rank, then the stage's default
        {"deal_id": "cell", "amount": 1_234_567, "probability": 33.3, **base},
        {"deal_id": "rank", "amount": 1_000_001, "rank": "B", **base},
        {"deal_id": "stage", "amount": 2_500_000, **base},  # 提案 40 %
        {"deal_id": "half", "amount": 5, "probability": 10, **base},  # 0.5 → 1
        {"deal_id": "zero", "amount": 9_999_999, "probability": 0, **base},
        {"deal_id": "blank", "amount": None, "rank": "A", **base},
    ]
    rows = _rows(deals)
    assert {k: (r["probability"], r["impact"]) for k, r in rows.items()} == {
        "cell": (33.3, 411_111),  # 1,234,567 × 0.333 = 411,110.811 → 411,111
        "rank": (50.0, 500_001),  # 500,000.5 → 500,001 (half up)
        "stage": (40.0, 1_000_000),
        "half": (10.0, 1),
        "zero": (0.0, 0),
        "blank": (80.0, None),  # no amount: no impact
    }
    assert impacts([10**12], [12.3456]).tolist() == [123_456_000_000]  # exact, no float drift


def test_money_at_risk_first() -> None:
    base = {"stage": "proposal", "expected_close": "2026-06-30", "next_action": None}
    deals = [
        {"deal_id": "small", "amount": 1_000_000, "last_activity": "2026-05-14", **base},
        # impact 400,000 each: the longest without an update first, unknown first
        {"deal_id": "b20", "amount": 1_000_000, "probability": 40, "last_activity": "2026-04-25",
         **base},
        {"deal_id": "a20", "amount": 1_000_000, "probability": 40, "last_activity": "2026-04-25",
         **base},
        {"deal_id": "u?", "amount": 1_000_000, "probability": 40, **base},
        {"deal_id": "u30", "amount": 1_000_000, "probability": 40, "last_activity": "2026-04-15",
         **base},
        # the biggest deal, 1 reason
        {"deal_id": "big", "amount": 50_000_000, "probability": 20, "last_activity": "2026-05-14",
         **base},
        # a small amount with many reasons does not jump ahead of money
        {"deal_id": "many", "amount": 10, "last_activity": "2026-01-01",
         "stage": "proposal", "expected_close": "2026-01-01", "close_pushes": 4},
        # no amount: last, by days
        {"deal_id": "n1", "amount": None, "last_activity": "2026-05-14", **base},
        {"deal_id": "n9", "amount": None, "last_activity": "2026-05-06", **base},
        {"deal_id": "zero", "amount": 0, "last_activity": "2026-05-14", **base},
    ]  # fmt: skip
    rows = stale_rows(compute_stale(make_deals(deals), _settings()))
    impact = {r["deal_id"]: r["impact"] for r in rows}
    assert (impact["big"], impact["small"], impact["many"], impact["zero"]) == (
        10_000_000, 400_000, 4, 0)
    assert [r["deal_id"] for r in rows] == [
        "big",  # 10,000,000
        "u?", "u30", "a20", "b20", "small",  # 400,000: unknown days, 30, 20, 20 (by ID), 1
        "many",  # 4
        "zero",  # 0
        "n9", "n1",  # blank impact: last, by days
    ]  # fmt: skip


def test_columns_types_and_json() -> None:
    deals = make_deals(
        [
            {"deal_id": "D1", "deal_name": "案件", "client": "顧客", "owner": "佐藤",
             "stage": "negotiation", "amount": 1200, "last_activity": "2026-05-01",
             "expected_close": "2026-05-01", "next_action": " 見積提出 ",
             "next_action_date": "2026-05-20", "_row": 12, "stage_since": "2026-04-05",
             "stage_since_first_sighting": True, "close_pushes": 1},
        ]
    )  # fmt: skip
    df = compute_stale(deals, _settings())
    assert list(df.columns) == [
        "deal_id", "deal_name", "client", "client_contact", "owner", "stage", "amount",
        "probability", "impact", "days_since_update", "reasons", "expected_close", "next_action",
        "next_action_date", "last_activity", "days_in_stage", "days_in_stage_at_least",
        "close_pushes", "_row",
    ]  # fmt: skip
    row = df.iloc[0]
    assert (row["_row"], row["stage"], row["days_since_update"]) == (12, "negotiation", 14)
    assert stale_rows(df) == [
        {
            "deal_id": "D1",
            "owner": "佐藤",
            "stage": "negotiation",
            "amount": 1200,
            "days_since_update": 14,
            "reasons": ["no_update", "overdue_close"],
            "probability": 80.0,
            "impact": 960,
            "expected_close": "2026-05-01",
            "next_action": "見積提出",
            "next_action_date": "2026-05-20",
            "last_activity": "2026-05-01",
            "days_in_stage": 40,
            "days_in_stage_at_least": True,
            "close_pushes": 1,
        }
    ]


def test_without_the_change_history_its_figures_are_null() -> None:
    (row,) = stale_rows(compute_stale(make_deals([{"deal_id": "D", "stage": "lead"}]),
                                      _settings()))
    assert (row["days_in_stage"], row["days_in_stage_at_least"], row["close_pushes"]) == (
        None, None, None)
    assert (row["expected_close"], row["next_action"], row["last_activity"]) == (None, None, None)


@pytest.mark.parametrize("records", [[], [{"deal_id": "W", "stage": "won"}]])
def test_nothing_to_follow_up(records: list[dict]) -> None:
    df = compute_stale(make_deals(records), _settings())
    assert df.empty and stale_rows(df) == []
    assert list(df.columns)[-1] == "_row"


def test_the_tab_shows_the_client_contact_next_to_the_client() -> None:
    from sheetsync.reports.base import TabContext
    from sheetsync.reports.followup import stale_tab

    deals = make_deals([
        {"deal_id": "D1", "client": "顧客", "client_contact": "山田 太郎 様", "owner": "佐藤",
         "stage": "proposal", "_row": 5},
        {"deal_id": "D2", "client": "顧客", "owner": "鈴木", "stage": "proposal", "_row": 6},
    ])  # fmt: skip
    df = compute_stale(deals, _settings())
    register = {"deal_id": 0, "client": 2, "client_contact": 3, "owner": 4}
    tab = stale_tab(df, TabContext(register_columns=register))
    headers = [c.header for c in tab.columns]
    assert headers[headers.index("顧客名") + 1] == "先方担当者"
    contacts = {row[0].text: row[headers.index("先方担当者")] for row in tab.rows}
    assert contacts == {"D1": "山田 太郎 様", "D2": None}  # as typed, honorific and all
    # a register without the column: no empty column on the tab
    del register["client_contact"]
    plain = stale_tab(df, TabContext(register_columns=register, language="en"))
    assert "Client contact" not in [c.header for c in plain.columns]


def test_days_in_stage_is_unknown_before_the_stage_began() -> None:
    """A backdated run (as-of before the day sheetsync saw the stage begin) shows no days in
    stage rather than a negative count."""
    deals = make_deals([
        {"deal_id": "D1", "stage": "proposal", "_row": 5, "stage_since": "2026-05-20",
         "stage_since_first_sighting": False},
    ])  # fmt: skip
    row = compute_stale(deals, _settings()).iloc[0]
    assert row["days_in_stage"] is pd.NA and row["days_in_stage_at_least"] is pd.NA


def test_a_change_observed_after_as_of_is_not_the_last_update() -> None:
    """A backdated run (--as-of before a later run) does not know what that later run observed:
    days since the update are counted from what was known at as-of, never negative."""
    deals = [
        {"deal_id": "A", "last_activity": "2026-05-01", "last_observed_change": "2026-05-20",
         "stage": "proposal", **OK},  # observed 5 days after as-of: 14 days since 05-01
        {"deal_id": "B", "last_activity": "2026-04-01", "last_observed_change": "2026-05-15",
         "stage": "proposal", **OK},  # observed on as-of itself: 0 days
        {"deal_id": "C", "last_observed_change": "2026-06-01", "stage": "proposal", **OK},
    ]
    rows = {r["deal_id"]: r for r in stale_rows(compute_stale(make_deals(deals),
                                                              _settings(stale_default_days=0)))}
    assert rows["A"]["days_since_update"] == 14
    assert "B" not in rows  # updated today: within even a zero-day limit
    assert rows["C"]["days_since_update"] is None and rows["C"]["reasons"] == ["no_update"]
