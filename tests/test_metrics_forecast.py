"""売上予測: every column on a small hand-computed register, and the edges."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from sheetsync.metrics import (
    MetricsSettings,
    compute_forecast,
    deal_probability,
    forecast_rows,
    make_deals,
    make_targets,
)

AS_OF = dt.date(2026, 12, 15)  # FY2026 (start month 4): Q1 Apr–Jun … Q4 Jan–Mar 2027


def deal(deal_id: str, owner: str, stage: str, amount: int | None, **more: object) -> dict:
    return {"deal_id": deal_id, "owner": owner, "stage": stage, "amount": amount, **more}


DEALS = [
    deal("S1", "佐藤", "won", 1_000_000, closed_on="2026-04-10"),
    # stage default 80 → commit and best case
    deal("S2", "佐藤", "negotiation", 2_000_000, expected_close="2026-06-30"),
    # rank B 50 → best case only
    deal("S3", "佐藤", "proposal", 1_000_000, rank="B", expected_close="2026-05-31"),
    # 受注確率 30 beats rank A
    deal("S4", "佐藤", "quote", 3_000_000, rank="A", probability=30.0, expected_close="2026-07-15"),
    deal("S5", "佐藤", "lost", 5_000_000, closed_on="2026-05-01"),
    deal("S6", "佐藤", "won", 700_000, closed_on="2026-03-31"),  # FY2025
    deal("U1", "鈴木", "lead", None, expected_close="2026-06-01"),
    deal("U2", "鈴木", "meeting", 500_000, expected_close="2027-03-31"),
    # won: the period of 完了日, not 受注予定日
    deal("U3", "鈴木", "won", 2_500_000, closed_on="2026-05-01", expected_close="2027-01-01"),
    deal("U4", "鈴木", "negotiation", 1_000_000, expected_close="2027-04-01"),  # FY2027
    deal("T1", "高橋", "won", 1_200_000, closed_on="2026-11-01"),
]

TARGETS = [
    {"period": "FY2026-Q1", "owner": None, "target": 10_000_000},
    {"period": "FY2026-Q1", "owner": "佐藤", "target": 4_000_000},
    {"period": "FY2026-Q1", "owner": "鈴木", "target": 3_000_000},
    {"period": "2026-07", "owner": "佐藤", "target": 1_000_000},
    {"period": "2026-08", "owner": "佐藤", "target": 1_000_000},
    {"period": "FY2026-Q2", "owner": "鈴木", "target": 0},
    {"period": "FY2026-Q3", "owner": "高橋", "target": 1_000_000},
    {"period": "FY2025-Q4", "owner": "伊藤", "target": 1_000_000},  # another FY: no 伊藤 row
]

N = None
# period, owner, target, won, pipeline, weighted, commit, best_case, forecast,
# attainment, forecast_attainment, gap, coverage
EXPECTED = [
    ("FY2026-Q1", N, 10_000_000, 3_500_000, 3_000_000, 2_100_000, 2_000_000, 3_000_000,
     5_600_000, 0.35, 0.56, 4_400_000, 3_000_000 / 6_500_000),
    ("FY2026-Q2", N, 2_000_000, 0, 3_000_000, 900_000, 0, 0, 900_000, 0.0, 0.45, 1_100_000, 1.5),
    ("FY2026-Q3", N, 1_000_000, 1_200_000, 0, 0, 0, 0, 1_200_000, 1.2, 1.2, -200_000, N),
    ("FY2026-Q4", N, N, 0, 500_000, 100_000, 0, 0, 100_000, N, N, N, N),
    ("FY2026-Q1", "佐藤", 4_000_000, 1_000_000, 3_000_000, 2_100_000, 2_000_000, 3_000_000,
     3_100_000, 0.25, 0.775, 900_000, 1.0),
    ("FY2026-Q1", "鈴木", 3_000_000, 2_500_000, 0, 0, 0, 0, 2_500_000, 2.5 / 3, 2.5 / 3,
     500_000, 0.0),
    ("FY2026-Q1", "高橋", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
    ("FY2026-Q2", "佐藤", 2_000_000, 0, 3_000_000, 900_000, 0, 0, 900_000, 0.0, 0.45,
     1_100_000, 1.5),
    ("FY2026-Q2", "鈴木", 0, 0, 0, 0, 0, 0, 0, N, N, 0, N),
    ("FY2026-Q2", "高橋", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
    ("FY2026-Q3", "佐藤", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
    ("FY2026-Q3", "鈴木", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
    ("FY2026-Q3", "高橋", 1_000_000, 1_200_000, 0, 0, 0, 0, 1_200_000, 1.2, 1.2, -200_000, N),
    ("FY2026-Q4", "佐藤", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
    ("FY2026-Q4", "鈴木", N, 0, 500_000, 100_000, 0, 0, 100_000, N, N, N, N),
    ("FY2026-Q4", "高橋", N, 0, 0, 0, 0, 0, 0, N, N, N, N),
]  # fmt: skip

KEYS = (
    "period owner target won pipeline weighted commit best_case forecast attainment "
    "forecast_attainment gap coverage"
).split()


def _settings(**kw: object) -> MetricsSettings:
    return MetricsSettings.default(kw.pop("as_of", AS_OF), **kw)  # type: ignore[arg-type]


def _assert_rows(rows: list[dict], expected: list[tuple]) -> None:
    assert [(r["period"], r["owner"]) for r in rows] == [e[:2] for e in expected]
    for row, exp in zip(rows, expected, strict=True):
        for key, want in zip(KEYS, exp, strict=True):
            got = row[key]
            if isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-12), (row["period"], row["owner"], key)
            else:
                assert got == want, (row["period"], row["owner"], key, got)
                assert type(got) is type(want), (key, type(got))


def test_hand_computed_register() -> None:
    df = compute_forecast(make_deals(DEALS), make_targets(TARGETS), _settings())
    assert list(df.columns) == KEYS
    _assert_rows(forecast_rows(df), EXPECTED)


def test_ratios_are_null_never_zero_without_target() -> None:
    df = compute_forecast(make_deals(DEALS), None, _settings())
    for row in forecast_rows(df):
        assert row["target"] is None and row["gap"] is None
        assert row["attainment"] is None
        assert row["forecast_attainment"] is None
        assert row["coverage"] is None
    assert df["attainment"].isna().all()


def test_coverage_only_when_target_above_won() -> None:
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
    team, owner = forecast_rows(compute_forecast(deals, None, s))[0::4][:2]
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
    team = rows[:4]
    fy = as_of.year - (as_of.month < start)
    assert [r["period"] for r in team] == [f"FY{fy}-Q{q}" for q in (1, 2, 3, 4)]
    assert [r["won"] for r in team] == [0, 0, 0, 1]
    assert [r["pipeline"] for r in team] == [0, 0, 0, 100]


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
    assert len(rows) == 24
    assert [r["period"] for r in rows[:12]][:2] == ["2026-04", "2026-05"]
    apr_team, apr_a = rows[0], rows[12]
    assert (apr_team["target"], apr_team["won"], apr_team["attainment"]) == (14, 7, 0.5)
    assert apr_a["target"] == 14
    assert rows[11]["weighted"] == 10 and rows[11]["period"] == "2027-03"


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
    assert [(r["period"], r["owner"], r["target"]) for r in rows[4:6]] == [
        ("FY2026-Q1", "A", 10),
        ("FY2026-Q1", "B", 30),
    ]
    assert [r["target"] for r in rows[1:4]] == [None, None, None]


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
    assert [r["owner"] for r in rows] == [None] * 4
    assert all(r["won"] == 0 and r["attainment"] is None for r in rows)
    assert all(math.isnan(x) for x in df["coverage"])
