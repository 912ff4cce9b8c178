"""要フォロー案件: the three reasons, per-stage limits, and the urgency order."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.metrics import MetricsSettings, make_deals
from sheetsync.reports.followup import compute_stale, stale_rows

AS_OF = dt.date(2026, 5, 15)
OK = {"next_action": "call", "next_action_date": "2026-05-20", "expected_close": "2026-06-30"}


def _settings(**kw: object) -> MetricsSettings:
    kw.setdefault("stale_by_stage", {"negotiation": 7, "lead": 30})
    return MetricsSettings.default(AS_OF, **kw)  # type: ignore[arg-type]


def _reasons(records: list[dict], **kw: object) -> dict[str, list[str]]:
    df = compute_stale(make_deals(records), _settings(**kw))
    return {r["deal_id"]: r["reasons"] for r in stale_rows(df)}


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
    df = compute_stale(make_deals(deals), _settings())
    rows = {r["deal_id"]: r for r in stale_rows(df)}
    assert set(rows) == {"D", "E"}
    assert rows["D"]["days_since_update"] == 134
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


def test_no_next_action() -> None:
    base = {"stage": "proposal", "last_activity": "2026-05-14", "expected_close": "2026-06-30"}
    deals = [
        {"deal_id": "none", "next_action": None, **base},
        {"deal_id": "spaces", "next_action": " \u3000 ", **base},
        {"deal_id": "empty", "next_action": "", **base},
        {"deal_id": "late", "next_action": "call", "next_action_date": "2026-05-14", **base},
        {"deal_id": "today", "next_action": "call", "next_action_date": "2026-05-15", **base},
        {"deal_id": "undated", "next_action": "call", **base},
        {"deal_id": "dated_only", "next_action": None, "next_action_date": "2026-06-01", **base},
    ]
    assert _reasons(deals) == {
        "none": ["no_next_action"],
        "spaces": ["no_next_action"],
        "empty": ["no_next_action"],
        "late": ["no_next_action"],
        "dated_only": ["no_next_action"],
    }


def test_closed_deals_are_never_stale_and_reasons_keep_their_order() -> None:
    old = {"last_activity": "2020-01-01", "expected_close": "2020-01-01"}
    deals = [
        {"deal_id": "W", "stage": "won", **old},
        {"deal_id": "L", "stage": "lost", **old},
        {"deal_id": "O", "stage": "quote", **old},
    ]
    assert _reasons(deals) == {"O": ["no_update", "overdue_close", "no_next_action"]}


def test_most_urgent_first() -> None:
    fresh = {"stage": "proposal", "last_activity": "2026-05-14"}
    deals = [
        # one reason each
        {"deal_id": "n1", "next_action": None, "expected_close": "2026-06-30", **fresh,
         "amount": 900},
        {"deal_id": "o1", "next_action": "x", "expected_close": "2026-05-01", **fresh, "amount": 1},
        {"deal_id": "u30", "stage": "proposal", "last_activity": "2026-04-15", "next_action": "x",
         "expected_close": "2026-06-30", "amount": 1},
        {"deal_id": "u20", "stage": "proposal", "last_activity": "2026-04-25", "next_action": "x",
         "expected_close": "2026-06-30", "amount": 5},
        {"deal_id": "u?", "stage": "proposal", "next_action": "x", "expected_close": "2026-06-30"},
        # two reasons
        {"deal_id": "b2", "next_action": None, "expected_close": "2026-05-01", **fresh,
         "amount": 10},
        {"deal_id": "a2", "next_action": None, "expected_close": "2026-05-01", **fresh,
         "amount": 10},
        {"deal_id": "c2", "next_action": None, "expected_close": "2026-05-01", **fresh,
         "amount": None},
        {"deal_id": "d2", "stage": "proposal", "last_activity": "2026-01-01", "next_action": None,
         "expected_close": "2026-06-30", "amount": 10**9},
        # three reasons
        {"deal_id": "all", "stage": "proposal", "expected_close": "2026-01-01"},
    ]  # fmt: skip
    df = compute_stale(make_deals(deals), _settings())
    assert df["deal_id"].tolist() == [
        "all",  # 3 reasons
        "a2", "b2", "c2",  # 2 reasons, overdue; same days: amount desc (blank last), then id
        "d2",  # 2 reasons, not overdue
        "o1",  # 1 reason, overdue
        "u?", "u30", "u20",  # unknown days first, then most days
        "n1",
    ]  # fmt: skip


def test_columns_and_types() -> None:
    deals = make_deals(
        [
            {"deal_id": "D1", "deal_name": "案件", "client": "顧客", "owner": "佐藤",
             "stage": "negotiation", "amount": 1200, "last_activity": "2026-05-01",
             "expected_close": "2026-05-01", "next_action": "x", "_row": 12},
        ]
    )  # fmt: skip
    df = compute_stale(deals, _settings())
    assert list(df.columns) == [
        "deal_id", "deal_name", "client", "owner", "stage", "amount", "days_since_update",
        "reasons", "expected_close", "_row",
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
        }
    ]


@pytest.mark.parametrize("records", [[], [{"deal_id": "W", "stage": "won"}]])
def test_nothing_stale(records: list[dict]) -> None:
    df = compute_stale(make_deals(records), _settings())
    assert df.empty and stale_rows(df) == []
    assert list(df.columns)[-1] == "_row"


def test_on_hold_deals_only_get_their_review_date() -> None:
    deals = [
        # parked, review date passed: hold_review_due only (no update, overdue, no action)
        {"deal_id": "H1", "stage": "on_hold", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-14"},
        # parked, review later: nothing, however stale
        {"deal_id": "H2", "stage": "on_hold", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-15"},
        # an active deal with the same dates gets the usual reasons
        {"deal_id": "P1", "stage": "proposal", "expected_close": "2026-01-31",
         "next_action_date": "2026-05-14"},
    ]
    assert _reasons(deals) == {
        "P1": ["no_update", "overdue_close", "no_next_action"],
        "H1": ["hold_review_due"],
    }
