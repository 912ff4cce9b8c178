"""Property tests: sums, identities and bounds that must hold for any register."""

from __future__ import annotations

import datetime as dt
import math
import random
from fractions import Fraction

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.metrics import (
    REASONS,
    MetricsSettings,
    compute_forecast,
    compute_stale,
    compute_win_rate,
    fiscal_periods,
    forecast_rows,
    make_deals,
    make_targets,
    period_of,
    stale_rows,
    win_rate_rows,
)

D = dt.date
OWNERS = ["A", "B", "佐藤"]
STAGES = ["lead", "meeting", "proposal", "quote", "negotiation", "won", "lost"]
dates = st.one_of(st.none(), st.dates(D(2024, 10, 1), D(2027, 12, 31)))

deal = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(OWNERS),
        "stage": st.sampled_from(STAGES),
        "rank": st.one_of(st.none(), st.sampled_from("ABCD")),
        # quarter percents: exact in the metrics' probability precision
        "probability": st.one_of(st.none(), st.integers(0, 400).map(lambda q: q / 4)),
        "amount": st.one_of(st.none(), st.integers(0, 10**10)),
        "expected_close": dates,
        "closed_on": dates,
        "created_on": dates,
        "last_activity": dates,
        "next_action_date": dates,
        "last_observed_change": dates,
        "lead_source": st.one_of(st.none(), st.sampled_from(["web_inquiry", "referral", "zzz"])),
        "next_action": st.one_of(st.none(), st.sampled_from(["", " ", "call"])),
    }
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, MetricsSettings]:
    records = draw(st.lists(deal, max_size=25))
    for i, r in enumerate(records):
        r["deal_id"] = f"D{i:03d}"
    s = MetricsSettings.default(
        draw(st.dates(D(2025, 1, 1), D(2027, 6, 30))),
        fiscal_year_start_month=draw(st.integers(1, 12)),
        period=draw(st.sampled_from(["quarter", "month"])),
        stale_by_stage=draw(st.sampled_from([{}, {"negotiation": 3, "lead": 60}])),
        window_months=draw(st.integers(0, 24)),
    )
    keys = [p.key for p in fiscal_periods(s.as_of, s.fiscal_year_start_month, s.period)]
    pairs = draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(OWNERS)), unique=True))
    targets = make_targets(
        [{"period": k, "owner": o, "target": draw(st.integers(0, 10**9))} for k, o in pairs]
    )
    return make_deals(records), targets, s


def _team_and_owners(rows: list[dict]) -> tuple[dict, dict]:
    team = {r["period"]: r for r in rows if r["owner"] is None}
    owners: dict[str, list[dict]] = {}
    for r in rows:
        if r["owner"] is not None:
            owners.setdefault(r["period"], []).append(r)
    return team, owners


# small registers keep each example ~15 ms; raise max_examples locally when changing the code
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_team_row_is_the_sum_of_owner_rows(case: tuple) -> None:
    deals, targets, s = case
    team, owners = _team_and_owners(forecast_rows(compute_forecast(deals, targets, s)))
    assert list(team) == [
        p.key for p in fiscal_periods(s.as_of, s.fiscal_year_start_month, s.period)
    ]
    for key, t in team.items():
        rows = owners.get(key, [])
        for col in ("won", "pipeline", "commit", "best_case"):
            assert t[col] == sum(r[col] for r in rows), col
        # weighted is rounded once per row: off by at most half a yen per owner row
        assert abs(t["weighted"] - sum(r["weighted"] for r in rows)) <= (len(rows) + 1) / 2
        owner_targets = [r["target"] for r in rows if r["target"] is not None]
        assert t["target"] == (sum(owner_targets) if owner_targets else None)


@FAST
@given(cases())
def test_forecast_identities(case: tuple) -> None:
    deals, targets, s = case
    for r in forecast_rows(compute_forecast(deals, targets, s)):
        assert r["forecast"] == r["won"] + r["weighted"]
        assert 0 <= r["commit"] <= r["best_case"] <= r["pipeline"]
        assert 0 <= r["weighted"] <= r["pipeline"]
        target = r["target"]
        if target is None:
            assert r["gap"] is None and r["attainment"] is None and r["coverage"] is None
            continue
        assert r["gap"] == target - r["forecast"]
        if target > 0:
            assert r["attainment"] == r["won"] / target
            assert r["forecast_attainment"] == r["forecast"] / target
        else:
            assert r["attainment"] is None and r["forecast_attainment"] is None
        if target > r["won"]:
            assert r["coverage"] == r["pipeline"] / (target - r["won"])
        else:
            assert r["coverage"] is None


@FAST
@given(cases())
def test_weighted_is_the_exact_sum_rounded_half_up(case: tuple) -> None:
    deals, _, s = case
    probability = {"A": 80, "B": 50, "C": 20, "D": 5}
    exact: dict[str, Fraction] = {}
    for r in deals.to_dict("records"):
        if r["stage"] in ("won", "lost") or pd.isna(r["expected_close"]):
            continue
        p = r["probability"]
        if pd.isna(p):
            p = probability.get(r["rank"]) if isinstance(r["rank"], str) else None
        if p is None:
            p = s.stage_probability[r["stage"]]
        amount = 0 if pd.isna(r["amount"]) else int(r["amount"])
        key = period_of(r["expected_close"].date(), s.period, s.fiscal_year_start_month).key
        exact[key] = exact.get(key, Fraction(0)) + Fraction(amount) * Fraction(p) / 100
    for r in forecast_rows(compute_forecast(deals, None, s)):
        if r["owner"] is None:
            x = exact.get(r["period"], Fraction(0))
            assert r["weighted"] == math.floor(x + Fraction(1, 2))  # half up


@FAST
@given(cases())
def test_win_rate_bounds_and_sums(case: tuple) -> None:
    deals, _, s = case
    rows = win_rate_rows(compute_win_rate(deals, s))
    assert rows[0]["dimension"] == "total"
    for r in rows:
        n = r["won"] + r["lost"]
        if n == 0:
            assert r["win_rate"] is None and r["wilson_low"] is None and r["wilson_high"] is None
            continue
        assert 0.0 <= r["wilson_low"] <= r["win_rate"] <= r["wilson_high"] <= 1.0
    for dim in ("owner", "lead_source"):
        part = [r for r in rows if r["dimension"] == dim]
        for col in ("won", "lost", "won_amount", "lost_amount"):
            assert rows[0][col] == sum(r[col] for r in part), (dim, col)


@FAST
@given(cases())
def test_stale_rows_are_open_with_ordered_reasons(case: tuple) -> None:
    deals, _, s = case
    stale = stale_rows(compute_stale(deals, s))
    stage = dict(zip(deals["deal_id"], deals["stage"], strict=True))
    for r in stale:
        assert r["reasons"] and r["reasons"] == [x for x in REASONS if x in r["reasons"]]
        assert stage[r["deal_id"]] not in ("won", "lost")
        if r["days_since_update"] is None:
            assert "no_update" in r["reasons"]
    counts = [len(r["reasons"]) for r in stale]
    assert counts == sorted(counts, reverse=True)


@settings(FAST, max_examples=20)
@given(cases(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_or_column_order(case: tuple, rnd: random.Random) -> None:
    deals, targets, s = case
    order = list(range(len(deals)))
    rnd.shuffle(order)
    columns = list(deals.columns)
    rnd.shuffle(columns)
    shuffled = deals.iloc[order][columns]
    shuffled.index = [f"r{rnd.randrange(10**6)}-{i}" for i in range(len(shuffled))]
    shuffled["team_field"] = "extra"  # a team's own column: ignored
    t_order = list(range(len(targets)))
    rnd.shuffle(t_order)
    t_shuffled = targets.iloc[t_order][["target", "owner", "period"]]

    assert forecast_rows(compute_forecast(shuffled, t_shuffled, s)) == forecast_rows(
        compute_forecast(deals, targets, s)
    )
    assert win_rate_rows(compute_win_rate(shuffled, s)) == win_rate_rows(compute_win_rate(deals, s))
    a, b = compute_stale(shuffled, s), compute_stale(deals, s)
    assert stale_rows(a) == stale_rows(b)
    assert a["_row"].tolist() == b["_row"].tolist()


@settings(FAST, max_examples=10)
@given(cases())
def test_results_do_not_depend_on_dtype_flavour(case: tuple) -> None:
    """pandas' own string dtype, NaN for blanks and second-resolution dates give the same."""
    deals, targets, s = case
    other = deals.copy()
    for c in ("deal_id", "owner", "stage", "rank", "lead_source", "next_action"):
        other[c] = other[c].astype("str" if c != "rank" else object)
    other["rank"] = other["rank"].where(other["rank"].notna(), float("nan"))
    for c in ("expected_close", "closed_on", "created_on", "last_activity", "next_action_date"):
        other[c] = other[c].astype("datetime64[s]")
    other["amount"] = other["amount"].astype("Int64")
    assert forecast_rows(compute_forecast(other, targets, s)) == forecast_rows(
        compute_forecast(deals, targets, s)
    )
    assert win_rate_rows(compute_win_rate(other, s)) == win_rate_rows(compute_win_rate(deals, s))
    assert stale_rows(compute_stale(other, s)) == stale_rows(compute_stale(deals, s))
