"""売上予測 (the ヨミ表): every column on a small hand-computed register, and the edges."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from sheetsync.metrics import MetricsSettings, deal_probability, make_deals, make_targets
from sheetsync.reports.forecast import compute_forecast, forecast_rows

AS_OF = dt.date(2026, 12, 15)  # FY2026 (start month 4): Q1, Q2 and H1 are over; Q3 is current
N = None
M = 1_000_000


def deal(deal_id: str, owner: str, stage: str, amount: int | None, **more: object) -> dict:
    return {"deal_id": deal_id, "owner": owner, "stage": stage, "amount": amount, **more}


DEALS = [
    deal("S1", "佐藤", "won", 1 * M, closed_on="2026-04-10"),  # Q1, a closed period
    # overdue (受注予定日 in Q1): rolled into Q3, the period of as-of; stage 80 → commit
    deal("S2", "佐藤", "negotiation", 2 * M, expected_close="2026-06-30"),
    deal("S3", "佐藤", "proposal", 1 * M, rank="B", expected_close="2026-12-20"),  # 50: best case
    # 受注確率 30 beats rank A
    deal("S4", "佐藤", "quote", 3 * M, rank="A", probability=30.0, expected_close="2027-01-15"),
    deal("S5", "佐藤", "lost", 5 * M, closed_on="2026-05-01"),  # lost: nowhere
    deal("S6", "佐藤", "won", 700_000, closed_on="2026-03-31"),  # FY2025: not shown
    deal("S7", "佐藤", "on_hold", 4 * M, expected_close="2026-12-20"),  # 保留: nowhere
    # overdue since the previous fiscal year: still in Q3, never vanishes
    deal("S8", "佐藤", "negotiation", 1_500_000, expected_close="2025-11-30"),
    deal("U1", "鈴木", "lead", None, expected_close="2026-12-01"),  # overdue, no amount
    deal("U2", "鈴木", "meeting", 500_000, expected_close="2027-03-31"),  # Q4, 20 %
    # won: the period of 完了日, not 受注予定日
    deal("U3", "鈴木", "won", 2_500_000, closed_on="2026-05-01", expected_close="2027-01-01"),
    deal("U4", "鈴木", "negotiation", 1 * M, expected_close="2027-04-01"),  # next FY's Q1
    deal("U5", "鈴木", "proposal", 2 * M, expected_close="2028-04-01"),  # beyond next FY
    deal("T1", "高橋", "won", 1_200_000, closed_on="2026-11-01"),
]

TARGETS = [
    {"period": "FY2026-Q1", "owner": None, "target": 10 * M},
    {"period": "FY2026-Q1", "owner": "佐藤", "target": 4 * M},
    {"period": "FY2026-Q1", "owner": "鈴木", "target": 3 * M},
    {"period": "2026-07", "owner": "佐藤", "target": 1 * M},  # months sum into Q2
    {"period": "2026-08", "owner": "佐藤", "target": 1 * M},
    {"period": "FY2026-Q2", "owner": "鈴木", "target": 0},
    {"period": "FY2026-Q3", "owner": "高橋", "target": 1 * M},
    {"period": "FY2026-Q3", "owner": "佐藤", "target": 5 * M},
    {"period": "2026年度下期", "owner": "佐藤", "target": 9 * M},  # a half, given
    {"period": "FY2025-Q4", "owner": "伊藤", "target": 1 * M},  # another FY: no 伊藤 row
    {"period": "2027年度", "owner": None, "target": 50 * M},  # next year's team target
]

KEYS = (
    "target won pipeline weighted commit best_case forecast attainment forecast_attainment "
    "gap coverage commit_landing best_case_landing commit_attainment remaining commit_gap "
    "overdue_count overdue_amount closed"
).split()
BASE = [f"FY2026-Q{q}" for q in (1, 2, 3, 4)] + [f"FY2027-Q{q}" for q in (1, 2, 3, 4)]
TOTALS = ["FY2026-H1", "FY2026-H2", "FY2026", "FY2027-H1", "FY2027-H2", "FY2027"]

# (period, owner): target, won, pipeline, weighted, commit, best_case, forecast, attainment,
# forecast_attainment, gap, coverage, commit_landing, best_case_landing, commit_attainment,
# remaining, commit_gap, overdue_count, overdue_amount, closed
EXPECTED: dict[tuple[str, str | None], tuple] = {
    # a closed period: target and won only; every landing is won; coverage blank
    ("FY2026-Q1", N): (10 * M, 3_500_000, N, N, N, N, 3_500_000, 0.35, 0.35, 6_500_000, N,
                       3_500_000, 3_500_000, 0.35, 6_500_000, 6_500_000, N, N, True),
    ("FY2026-Q2", N): (2 * M, 0, N, N, N, N, 0, 0.0, 0.0, 2 * M, N, 0, 0, 0.0, 2 * M, 2 * M,
                       N, N, True),
    # the current period: S2 and S8 overdue (3.5M), U1 overdue without an amount
    ("FY2026-Q3", N): (6 * M, 1_200_000, 4_500_000, 3_300_000, 3_500_000, 4_500_000,
                       4_500_000, 0.2, 0.75, 1_500_000, 4.5 / 4.8, 4_700_000, 5_700_000,
                       4.7 / 6, 4_800_000, 1_300_000, 3, 3_500_000, False),
    ("FY2026-Q4", N): (N, 0, 3_500_000, 1_000_000, 0, 0, 1_000_000, N, N, N, N, 0, 0, N, N, N,
                       0, 0, False),
    ("FY2027-Q1", N): (N, 0, 1 * M, 800_000, 1 * M, 1 * M, 800_000, N, N, N, N, 1 * M, 1 * M,
                       N, N, N, 0, 0, False),
    ("FY2027-Q4", N): (N, 0, 0, 0, 0, 0, 0, N, N, N, N, 0, 0, N, N, N, 0, 0, False),
    # H1 is over; its target is Q1 + Q2 (team rows, themselves explicit or owners' sums)
    ("FY2026-H1", N): (12 * M, 3_500_000, N, N, N, N, 3_500_000, 3.5 / 12, 3.5 / 12,
                       8_500_000, N, 3_500_000, 3_500_000, 3.5 / 12, 8_500_000, 8_500_000,
                       N, N, True),
    # Q4 has no team target: H2's is the sum of the owners' H2 targets (佐藤 gave 9M)
    ("FY2026-H2", N): (9 * M, 1_200_000, 8 * M, 4_300_000, 3_500_000, 4_500_000, 5_500_000,
                       1.2 / 9, 5.5 / 9, 3_500_000, 8 / 7.8, 4_700_000, 5_700_000, 4.7 / 9,
                       7_800_000, 4_300_000, 3, 3_500_000, False),
    ("FY2026", N): (21 * M, 4_700_000, 8 * M, 4_300_000, 3_500_000, 4_500_000, 9 * M,
                    4.7 / 21, 9 / 21, 12 * M, 8 / 16.3, 8_200_000, 9_200_000, 8.2 / 21,
                    16_300_000, 12_800_000, 3, 3_500_000, False),
    ("FY2027-H1", N): (N, 0, 1 * M, 800_000, 1 * M, 1 * M, 800_000, N, N, N, N, 1 * M, 1 * M,
                       N, N, N, 0, 0, False),
    ("FY2027", N): (50 * M, 0, 1 * M, 800_000, 1 * M, 1 * M, 800_000, 0.0, 0.016, 49_200_000,
                    0.02, 1 * M, 1 * M, 0.02, 50 * M, 49 * M, 0, 0, False),
    ("FY2026-Q1", "佐藤"): (4 * M, 1 * M, N, N, N, N, 1 * M, 0.25, 0.25, 3 * M, N, 1 * M, 1 * M,
                          0.25, 3 * M, 3 * M, N, N, True),
    ("FY2026-Q3", "佐藤"): (5 * M, 0, 4_500_000, 3_300_000, 3_500_000, 4_500_000, 3_300_000,
                          0.0, 0.66, 1_700_000, 0.9, 3_500_000, 4_500_000, 0.7, 5 * M,
                          1_500_000, 2, 3_500_000, False),
    ("FY2026-H2", "佐藤"): (9 * M, 0, 7_500_000, 4_200_000, 3_500_000, 4_500_000, 4_200_000,
                          0.0, 4.2 / 9, 4_800_000, 7.5 / 9, 3_500_000, 4_500_000, 3.5 / 9,
                          9 * M, 5_500_000, 2, 3_500_000, False),
    ("FY2026", "佐藤"): (15 * M, 1 * M, 7_500_000, 4_200_000, 3_500_000, 4_500_000, 5_200_000,
                       1 / 15, 5.2 / 15, 9_800_000, 7.5 / 14, 4_500_000, 5_500_000, 4.5 / 15,
                       14 * M, 10_500_000, 2, 3_500_000, False),
    ("FY2026-Q2", "鈴木"): (0, 0, N, N, N, N, 0, N, N, 0, N, 0, 0, N, 0, 0, N, N, True),
    ("FY2026-Q3", "鈴木"): (N, 0, 0, 0, 0, 0, 0, N, N, N, N, 0, 0, N, N, N, 1, 0, False),
    ("FY2026-H1", "鈴木"): (3 * M, 2_500_000, N, N, N, N, 2_500_000, 2.5 / 3, 2.5 / 3, 500_000, N,
                          2_500_000, 2_500_000, 2.5 / 3, 500_000, 500_000, N, N, True),
    ("FY2026", "鈴木"): (N, 2_500_000, 500_000, 100_000, 0, 0, 2_600_000, N, N, N, N, 2_500_000,
                       2_500_000, N, N, N, 1, 0, False),
    ("FY2027-Q1", "鈴木"): (N, 0, 1 * M, 800_000, 1 * M, 1 * M, 800_000, N, N, N, N, 1 * M,
                          1 * M, N, N, N, 0, 0, False),
    # exceeded: a negative shortfall and remaining; no coverage when target ≤ won
    ("FY2026-Q3", "高橋"): (1 * M, 1_200_000, 0, 0, 0, 0, 1_200_000, 1.2, 1.2, -200_000, N,
                          1_200_000, 1_200_000, 1.2, -200_000, -200_000, 0, 0, False),
    ("FY2026-H2", "高橋"): (N, 1_200_000, 0, 0, 0, 0, 1_200_000, N, N, N, N, 1_200_000,
                          1_200_000, N, N, N, 0, 0, False),
}  # fmt: skip


def _settings(**kw: object) -> MetricsSettings:
    return MetricsSettings.default(kw.pop("as_of", AS_OF), **kw)  # type: ignore[arg-type]


def _by_key(rows: list[dict]) -> dict[tuple[str, str | None], dict]:
    return {(r["period"], r["owner"]): r for r in rows}


def test_row_order_team_first_then_period_by_period_owners_by_name() -> None:
    rows = forecast_rows(compute_forecast(make_deals(DEALS), make_targets(TARGETS), _settings()))
    periods = BASE + TOTALS
    assert [(r["period"], r["owner"]) for r in rows] == (
        [(p, None) for p in periods] + [(p, o) for p in periods for o in ("佐藤", "鈴木", "高橋")]
    )


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: f"{k[0]}-{k[1] or 'team'}")
def test_hand_computed_register(key: tuple[str, str | None]) -> None:
    rows = _by_key(forecast_rows(compute_forecast(make_deals(DEALS), make_targets(TARGETS),
                                                  _settings())))
    row = rows[key]
    for name, want in zip(KEYS, EXPECTED[key], strict=True):
        got = row[name]
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-12), (key, name)
        else:
            assert got == want, (key, name, got)
            assert type(got) is type(want), (key, name, type(got))


def test_json_keys_are_the_contract_in_order() -> None:
    row = forecast_rows(compute_forecast(make_deals(DEALS), None, _settings()))[0]
    assert list(row) == [
        "period", "owner", "target", "won", "pipeline", "weighted", "commit", "best_case",
        "forecast", "attainment", "forecast_attainment", "gap", "coverage", "commit_landing",
        "best_case_landing", "commit_attainment", "remaining", "commit_gap", "overdue_count",
        "overdue_amount", "closed", "forecast_change_7d", "commit_landing_change_7d"]


def test_overdue_open_deal_is_never_in_a_finished_period_nor_lost() -> None:
    """The two paths of the issue: an overdue deal in a finished quarter, and one dated in the
    previous fiscal year, both land in the current period."""
    for as_of, close in ((dt.date(2026, 12, 15), "2026-06-30"),
                         (dt.date(2026, 12, 15), "2025-11-30"),
                         (dt.date(2026, 4, 1), "2026-03-31")):  # first day of a new FY
        deals = make_deals([deal("X", "A", "negotiation", 19 * M, rank="A",
                                 expected_close=close)])
        rows = _by_key(forecast_rows(compute_forecast(deals, None, _settings(as_of=as_of))))
        current = [k for k, r in rows.items() if r["owner"] is None and r["pipeline"]
                   and not k[0].endswith(("H1", "H2")) and "-" in k[0]]
        assert len(current) == 1, (as_of, close, current)
        row = rows[current[0]]
        assert row["overdue_count"] == 1 and row["overdue_amount"] == 19 * M
        assert row["commit_landing"] == 19 * M
        assert all(r["closed"] is False for r in rows.values() if r["pipeline"])


def test_closed_periods_show_only_target_and_won() -> None:
    rows = forecast_rows(compute_forecast(make_deals(DEALS), make_targets(TARGETS), _settings()))
    closed = [r for r in rows if r["closed"]]
    assert {r["period"] for r in closed} == {"FY2026-Q1", "FY2026-Q2", "FY2026-H1"}
    for r in closed:
        for key in ("pipeline", "weighted", "commit", "best_case", "overdue_count",
                    "overdue_amount", "coverage"):
            assert r[key] is None, (r["period"], r["owner"], key)
        assert r["forecast"] == r["commit_landing"] == r["best_case_landing"] == r["won"]


def test_on_hold_deals_are_in_no_forecast_column() -> None:
    base = [deal("A1", "A", "negotiation", 1 * M, expected_close="2026-12-20")]
    held = [*base, deal("H1", "A", "on_hold", 7 * M, rank="A", expected_close="2026-12-20"),
            deal("H2", "A", "on_hold", 3 * M, expected_close="2026-06-30")]
    with_hold = forecast_rows(compute_forecast(make_deals(held), None, _settings()))
    without = forecast_rows(compute_forecast(make_deals(base), None, _settings()))
    assert with_hold == without


def test_explicit_half_and_year_targets_win_over_the_roll_up() -> None:
    targets = make_targets([
        {"period": "FY2026-Q3", "owner": "A", "target": 3 * M},
        {"period": "FY2026-Q4", "owner": "A", "target": 4 * M},
        {"period": "FY2026-H2", "owner": "A", "target": 8 * M},  # mismatch: explicit shown
        {"period": "FY2026-Q1", "owner": "A", "target": 1 * M},
        {"period": "FY2026-Q2", "owner": "A", "target": 2 * M},
    ])
    rows = _by_key(forecast_rows(compute_forecast(make_deals([]), targets, _settings())))
    assert rows[("FY2026-H1", "A")]["target"] == 3 * M  # rolled up
    assert rows[("FY2026-H2", "A")]["target"] == 8 * M  # given
    assert rows[("FY2026", "A")]["target"] == 11 * M  # H1 + H2
    assert rows[("FY2026", None)]["target"] == 11 * M
    assert rows[("FY2027", "A")]["target"] is None


def test_coverage_only_when_target_above_won_and_not_closed() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    deals = make_deals(
        [
            {"owner": "A", "stage": "won", "amount": 100, "closed_on": "2026-04-02"},
            {"owner": "A", "stage": "proposal", "amount": 1000, "expected_close": "2026-05-02"},
        ]
    )

    def coverage(target: int) -> float | None:
        t = make_targets([{"period": "FY2026-Q1", "owner": "A", "target": target}])
        return forecast_rows(compute_forecast(deals, t, s))[0]["coverage"]

    assert coverage(100) is None  # target == won
    assert coverage(50) is None  # target < won
    assert coverage(0) is None
    assert coverage(101) == 1000.0
    assert coverage(600) == 2.0


def test_probability_precedence() -> None:
    s = _settings()
    d = make_deals(
        [
            {"stage": "proposal", "rank": "A", "probability": 30.0},  # 受注確率 wins
            {"stage": "proposal", "rank": "A", "probability": 0.0},  # 0 is a value, not blank
            {"stage": "proposal", "rank": "D"},  # rank beats stage
            {"stage": "proposal"},  # stage default
            {"stage": "proposal", "rank": "Z"},  # unknown rank: stage default
            {"stage": "won", "probability": 20.0, "rank": "D"},
            {"stage": "lost", "probability": 90.0, "rank": "A"},
            {"stage": "mystery"},  # no default anywhere: 0
        ]
    )
    assert deal_probability(d, s).tolist() == [30.0, 0.0, 5.0, 40.0, 40.0, 100.0, 0.0, 0.0]


def test_probability_precedence_in_weighted() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    rows = [
        {"owner": "A", "stage": "quote", "amount": 1000, "expected_close": "2026-05-02", **extra}
        for extra in ({"probability": 10.0, "rank": "A"}, {"rank": "B"}, {})
    ]
    team = forecast_rows(compute_forecast(make_deals(rows), None, s))[0]
    assert team["weighted"] == 100 + 500 + 600
    assert (team["commit"], team["best_case"]) == (0, 2000)


def test_commit_and_best_case_thresholds_are_inclusive() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    probs = [80.0, 79.99, 50.0, 49.99, 100.0]
    deals = make_deals(
        [
            {"owner": "A", "stage": "lead", "amount": 10**i, "probability": p,
             "expected_close": "2026-06-01"}
            for i, p in enumerate(probs)
        ]
    )  # fmt: skip
    team = forecast_rows(compute_forecast(deals, None, s))[0]
    assert team["commit"] == 1 + 10_000
    assert team["best_case"] == 1 + 10 + 100 + 10_000


@pytest.mark.parametrize(
    ("amounts_probs", "weighted"),
    [
        ([(1, 50.0)], 1),  # 0.5 → 1 (half up)
        ([(5, 50.0)], 3),  # 2.5 → 3 (half to even would give 2)
        ([(1, 49.0)], 0),  # 0.49 → 0
        ([(1, 50.0)] * 3, 2),  # Σ = 1.5 → 2: rounded once at the end, not per deal (3)
        ([(1, 10.0)] * 5, 1),  # Σ = 0.5 → 1; per-deal rounding would give 0
        ([(333, 33.3)], 111),  # 110.889 → 111
        ([(1_234_567, 12.5)], 154_321),  # 154,320.875 → 154,321
        ([(3, 50.0), (3, 50.0)], 3),  # 1.5 + 1.5 = 3 exactly
        ([(10**13 + 1, 50.0)], 5 * 10**12 + 1),  # huge amount: exact, no overflow
        ([(1, 0.0001)], 0),
    ],
)
def test_weighted_rounds_half_up_at_the_end(
    amounts_probs: list[tuple[int, float]], weighted: int
) -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    deals = make_deals(
        [
            {"owner": "A", "stage": "lead", "amount": a, "probability": p,
             "expected_close": "2026-06-01"}
            for a, p in amounts_probs
        ]
    )  # fmt: skip
    rows = forecast_rows(compute_forecast(deals, None, s))
    team, owner = rows[0], rows[14]
    assert owner["owner"] == "A" and owner["period"] == team["period"] == "FY2026-Q1"
    assert team["weighted"] == weighted == owner["weighted"]
    assert team["forecast"] == team["won"] + weighted


@pytest.mark.parametrize(
    ("start", "as_of", "in_q4", "in_next"),
    [
        (4, dt.date(2026, 3, 31), "2026-03-31", "2026-04-01"),
        (4, dt.date(2025, 4, 1), "2026-03-31", "2026-04-01"),
        (1, dt.date(2026, 12, 31), "2026-12-31", "2027-01-01"),
    ],
)
def test_fiscal_year_boundaries(start: int, as_of: dt.date, in_q4: str, in_next: str) -> None:
    s = _settings(as_of=as_of, fiscal_year_start_month=start)
    deals = make_deals(
        [
            {"owner": "A", "stage": "won", "amount": 1, "closed_on": in_q4},
            {"owner": "A", "stage": "won", "amount": 10, "closed_on": in_next},
            {"owner": "A", "stage": "negotiation", "amount": 100, "expected_close": in_q4},
            {"owner": "A", "stage": "negotiation", "amount": 1000, "expected_close": in_next},
        ]
    )
    rows = forecast_rows(compute_forecast(deals, None, s))
    team = rows[:8]
    fy = as_of.year - (as_of.month < start)
    assert [r["period"] for r in team] == [f"FY{y}-Q{q}" for y in (fy, fy + 1)
                                           for q in (1, 2, 3, 4)]
    assert [r["won"] for r in team] == [0, 0, 0, 1, 10, 0, 0, 0]
    # the pipeline of a closed quarter is blank; the first-day deal is due today (not late)
    assert [r["pipeline"] for r in team][3:5] == [100, 1000]


def test_march_31_is_q1_with_start_month_1() -> None:
    s = _settings(as_of=dt.date(2026, 3, 31), fiscal_year_start_month=1)
    deals = make_deals(
        [
            {"owner": "A", "stage": "won", "amount": 1, "closed_on": "2026-03-31"},
            {"owner": "A", "stage": "won", "amount": 10, "closed_on": "2026-04-01"},
        ]
    )
    team = forecast_rows(compute_forecast(deals, None, s))[:4]
    assert [(r["period"], r["won"]) for r in team] == [
        ("FY2026-Q1", 1),
        ("FY2026-Q2", 10),
        ("FY2026-Q3", 0),
        ("FY2026-Q4", 0),
    ]


def test_month_granularity() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1), period="month")
    deals = make_deals(
        [
            {"owner": "A", "stage": "won", "amount": 7, "closed_on": "2026-04-30"},
            {"owner": "A", "stage": "lead", "amount": 100, "expected_close": "2027-03-01"},
        ]
    )
    targets = make_targets(
        [
            {"period": "2026-04", "owner": "A", "target": 14},
            {"period": "FY2026-Q1", "owner": "A", "target": 999},  # cannot split: ignored
        ]
    )
    rows = forecast_rows(compute_forecast(deals, targets, s))
    assert len(rows) == 2 * 30  # 24 months and 6 halves/years, for the team and A
    assert [r["period"] for r in rows[:2]] == ["2026-04", "2026-05"]
    assert [r["period"] for r in rows[24:30]] == TOTALS
    apr_team, apr_a = rows[0], rows[30]
    assert (apr_team["target"], apr_team["won"], apr_team["attainment"]) == (14, 7, 0.5)
    assert apr_a["target"] == 14 and apr_a["owner"] == "A"
    assert rows[11]["weighted"] == 10 and rows[11]["period"] == "2027-03"
    # April is over on May 1st; the half's target cannot be summed (5 months have none)
    assert apr_team["closed"] is True and rows[24]["target"] is None


def test_team_target_falls_back_to_owner_sum_and_team_row_covers_ownerless_deals() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    deals = make_deals(
        [
            {"owner": None, "stage": "won", "amount": 5, "closed_on": "2026-04-02"},
            {"owner": "A", "stage": "won", "amount": 1, "closed_on": "2026-04-02"},
        ]
    )
    targets = make_targets(
        [
            {"period": "FY2026-Q1", "owner": "A", "target": 10},
            {"period": "FY2026-Q1", "owner": "B", "target": 30},
            {"period": "FY2026", "owner": None, "target": 1000},  # a year target: not split
        ]
    )
    rows = forecast_rows(compute_forecast(deals, targets, s))
    assert (rows[0]["target"], rows[0]["won"]) == (40, 6)
    assert [(r["period"], r["owner"], r["target"]) for r in rows[14:16]] == [
        ("FY2026-Q1", "A", 10),
        ("FY2026-Q1", "B", 30),
    ]
    assert [r["target"] for r in rows[1:4]] == [None, None, None]
    by = _by_key(rows)
    assert by[("FY2026", None)]["target"] == 1000  # the year's own row


def test_missing_amounts_count_as_zero_and_extra_columns_are_ignored() -> None:
    s = _settings(as_of=dt.date(2026, 5, 1))
    deals = make_deals(
        [
            {"owner": "A", "stage": "proposal", "amount": None, "expected_close": "2026-05-02"},
            {"owner": "A", "stage": "won", "amount": None, "closed_on": "2026-05-02"},
            {"owner": "A", "stage": "won", "amount": 3, "closed_on": "2026-05-02", "team": "x"},
        ]
    )
    team = forecast_rows(compute_forecast(deals, None, s))[0]
    assert (team["won"], team["pipeline"], team["weighted"]) == (3, 0, 0)


def test_empty_register() -> None:
    df = compute_forecast(make_deals([]), make_targets([]), _settings())
    rows = forecast_rows(df)
    assert [r["owner"] for r in rows] == [None] * 14
    assert all(r["won"] == 0 and r["attainment"] is None for r in rows)
    assert all(math.isnan(x) for x in df["coverage"])
