"""受注率: window, groups, amounts, cycle days and the Wilson interval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, getcontext

import pytest

from sheetsync.metrics import MetricsSettings, make_deals, wilson_interval
from sheetsync.reports.win_rate import Z95, compute_win_rate, win_rate_rows, window_start

AS_OF = dt.date(2026, 3, 31)  # 12-month window: [2025-03-31, 2026-03-31]


def closed(
    deal_id: str, owner: str, stage: str, amount: int | None, on: str | None, **more: object
) -> dict:
    return {
        "deal_id": deal_id,
        "owner": owner,
        "stage": stage,
        "amount": amount,
        "closed_on": on,
        **more,
    }


DEALS = [
    closed("W1", "佐藤", "won", 1_000_000, "2026-03-31", created_on="2026-01-31",
           lead_source="web_inquiry"),  # 59 days, last day of the window
    closed("W2", "佐藤", "won", 3_000_000, "2025-03-31", created_on="2025-03-01",
           lead_source="referral"),  # 30 days, first day of the window
    closed("W3", "佐藤", "lost", 2_000_000, "2025-06-01", lead_source="web_inquiry"),
    closed("W4", "鈴木", "lost", None, "2025-12-01"),
    closed("W5", "鈴木", "won", 500_000, "2025-10-10"),
    closed("X1", "佐藤", "won", 9, "2025-03-30"),  # the day before the window
    closed("X2", "高橋", "lost", 9, "2026-04-01"),  # after as-of
    closed("X3", "高橋", "proposal", 9, "2026-01-01"),  # open
    closed("X4", "高橋", "won", 9, None),
]  # fmt: skip


def _wilson_decimal(k: int, n: int) -> tuple[float, float]:
    """Independent check: the score interval solved as a quadratic, in 40-digit decimals."""
    getcontext().prec = 40
    z2 = Decimal(Z95) ** 2
    kk, nn = Decimal(k), Decimal(n)
    root = (z2 * (z2 + 4 * kk * (nn - kk) / nn)).sqrt()
    lo = (2 * kk + z2 - root) / (2 * (nn + z2))
    hi = (2 * kk + z2 + root) / (2 * (nn + z2))
    return float(max(lo, Decimal(0))), float(min(hi, Decimal(1)))


def test_hand_computed_register() -> None:
    rows = win_rate_rows(compute_win_rate(make_deals(DEALS), MetricsSettings.default(AS_OF)))
    assert [(r["dimension"], r["key"]) for r in rows] == [
        ("total", None),
        ("owner", "佐藤"),
        ("owner", "鈴木"),
        ("lead_source", "web_inquiry"),
        ("lead_source", "referral"),
        ("lead_source", None),
    ]
    total, sato, suzuki, web, ref, blank = rows
    assert (total["won"], total["lost"], total["win_rate"]) == (3, 2, 0.6)
    assert (total["won_amount"], total["lost_amount"]) == (4_500_000, 2_000_000)
    assert total["win_rate_amount"] == pytest.approx(4.5 / 6.5)
    assert total["avg_won_amount"] == 1_500_000
    assert total["avg_cycle_days"] == 44.5
    assert (total["wilson_low"], total["wilson_high"]) == pytest.approx(_wilson_decimal(3, 5))

    assert (sato["won"], sato["lost"], sato["won_amount"], sato["lost_amount"]) == (
        2, 1, 4_000_000, 2_000_000,
    )  # fmt: skip
    assert sato["win_rate"] == pytest.approx(2 / 3)
    assert sato["win_rate_amount"] == pytest.approx(2 / 3)
    assert (sato["avg_won_amount"], sato["avg_cycle_days"]) == (2_000_000, 44.5)

    # a lost deal without an amount: counted as a loss, adds 0 to lost_amount
    assert (suzuki["won"], suzuki["lost"], suzuki["win_rate"]) == (1, 1, 0.5)
    assert (suzuki["lost_amount"], suzuki["win_rate_amount"]) == (0, 1.0)
    assert (suzuki["avg_won_amount"], suzuki["avg_cycle_days"]) == (500_000, None)

    assert (web["won"], web["lost"], ref["won"], ref["lost"]) == (1, 1, 1, 0)
    assert (blank["won"], blank["lost"], blank["key"]) == (1, 1, None)
    for r in rows:
        assert isinstance(r["won"], int) and isinstance(r["won_amount"], int)


def test_window_boundaries_are_inclusive_and_the_day_is_clamped() -> None:
    assert window_start(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert window_start(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    s = MetricsSettings.default(dt.date(2026, 3, 31), window_months=1)
    days = ["2026-02-27", "2026-02-28", "2026-03-31", "2026-04-01"]
    deals = make_deals([{"owner": "A", "stage": "lost", "amount": 1, "closed_on": d} for d in days])
    total = win_rate_rows(compute_win_rate(deals, s))[0]
    assert total["lost"] == 2


def test_undefined_ratios_are_null() -> None:
    s = MetricsSettings.default(AS_OF)
    rows = win_rate_rows(compute_win_rate(make_deals([]), s))
    assert rows == [
        {
            "dimension": "total",
            "key": None,
            "won": 0,
            "lost": 0,
            "win_rate": None,
            "won_amount": 0,
            "lost_amount": 0,
            "win_rate_amount": None,
            "avg_won_amount": None,
            "avg_cycle_days": None,
            "wilson_low": None,
            "wilson_high": None,
        }
    ]
    zero = make_deals([{"owner": "A", "stage": "lost", "amount": 0, "closed_on": "2026-01-01"}])
    total = win_rate_rows(compute_win_rate(zero, s))[0]
    assert (total["win_rate"], total["win_rate_amount"]) == (0.0, None)
    assert total["avg_won_amount"] is None


@pytest.mark.parametrize(
    ("amounts", "avg"),
    [([1, 2], 2), ([1, 4], 3), ([1, 2, 2], 2), ([1, None], 1), ([None], None), ([0], 0)],
)
def test_avg_won_amount_rounds_half_up_and_skips_blank_amounts(
    amounts: list[int | None], avg: int | None
) -> None:
    deals = make_deals(
        [{"owner": "A", "stage": "won", "amount": a, "closed_on": "2026-01-01"} for a in amounts]
    )
    total = win_rate_rows(compute_win_rate(deals, MetricsSettings.default(AS_OF)))[0]
    assert total["avg_won_amount"] == avg


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (1, 1, 0.2065493143772375, 1.0),
        (0, 1, 0.0, 0.7934506856227625),
        (2, 2, 0.3423802275066530, 1.0),
        (1, 2, 0.0945312057342307, 0.9054687942657693),
        (0, 2, 0.0, 0.6576197724933470),
        (600, 1000, 0.5693094295142662, 0.6299252187886226),
        (5000, 100_000, 0.0486663892909782, 0.0513681825103465),  # p ± ≈1.96·0.000689
    ],
)
def test_wilson_interval(k: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(k, n)
    assert float(got_low) == pytest.approx(low, abs=1e-13)
    assert float(got_high) == pytest.approx(high, abs=1e-13)
    assert (float(got_low), float(got_high)) == pytest.approx(_wilson_decimal(k, n), abs=1e-13)


def test_wilson_with_no_deals_is_null() -> None:
    low, high = wilson_interval(0, 0)
    assert low != low and high != high  # NaN


def test_wilson_in_rows_for_two_of_two() -> None:
    deals = make_deals([{"owner": "A", "stage": "won", "amount": 1, "closed_on": "2026-01-01"}] * 2)
    total = win_rate_rows(compute_win_rate(deals, MetricsSettings.default(AS_OF)))[0]
    assert total["win_rate"] == 1.0
    assert total["wilson_low"] == pytest.approx(0.342380227506653, abs=1e-12)
    assert total["wilson_high"] == 1.0


def test_avg_cycle_days_counts_won_deals_with_created_on_only() -> None:
    deals = make_deals(
        [
            {"stage": "won", "closed_on": "2026-01-11", "created_on": "2026-01-01"},
            {"stage": "won", "closed_on": "2026-01-11", "created_on": "2026-01-10"},
            {"stage": "won", "closed_on": "2026-01-11"},
            {"stage": "lost", "closed_on": "2026-01-11", "created_on": "2025-01-01"},
        ]
    )
    total = win_rate_rows(compute_win_rate(deals, MetricsSettings.default(AS_OF)))[0]
    assert total["avg_cycle_days"] == 5.5


def test_unknown_lead_sources_sort_after_schema_order() -> None:
    deals = make_deals(
        [
            {"owner": "B", "stage": "won", "closed_on": "2026-01-01", "lead_source": src}
            for src in ("zeta", "partner", None, "alpha", "web_inquiry", "partner")
        ]
    )
    rows = win_rate_rows(compute_win_rate(deals, MetricsSettings.default(AS_OF)))
    assert [r["key"] for r in rows if r["dimension"] == "lead_source"] == [
        "web_inquiry",
        "partner",
        "alpha",
        "zeta",
        None,
    ]
