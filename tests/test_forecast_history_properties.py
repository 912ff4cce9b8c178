"""Properties of 予測の推移's store and report (issue 13 #1): a rerun with no edits adds no row
beyond the day's replacement, results do not depend on the register's row order, ID lists
survive their cells, retention never keeps more than it may."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.forecast_snapshots import (
    AMOUNTS,
    CELL_CHARS,
    ForecastHistory,
    PeriodSnapshot,
    SnapshotRetention,
    decode_ids,
    encode_ids,
    read_forecast_history,
    snapshot_tab_rows,
    split_cells,
)
from sheetsync.grid import Grid
from sheetsync.metrics import MetricsSettings, make_deals
from sheetsync.reports.forecast import compute_forecast, forecast_rows
from sheetsync.reports.forecast_history import accuracy_rows, snapshot_rows

D = dt.date
OWNERS = ["A", "B", "佐藤"]
STAGES = ["lead", "proposal", "negotiation", "won", "lost", "on_hold"]
PERIODS = ["FY2026-Q3", "FY2026-Q4", "FY2026-H2", "FY2026"]

snapshot = st.builds(
    PeriodSnapshot,
    period=st.sampled_from(PERIODS),
    owner=st.one_of(st.none(), st.sampled_from(OWNERS)),
    **{k: st.integers(0, 10**9) for k in AMOUNTS},
    commit_ids=st.lists(st.text(min_size=1, max_size=8), max_size=5).map(tuple),
)
days = st.dates(D(2026, 10, 1), D(2026, 12, 31))


@st.composite
def histories(draw: st.DrawFn) -> ForecastHistory:
    history = ForecastHistory()
    for day in draw(st.lists(days, max_size=5, unique=True)):
        history = history.with_day(day, draw(st.lists(snapshot, max_size=6)))
    return history


@given(histories(), days, st.lists(snapshot, max_size=8))
def test_a_rerun_without_edits_adds_no_row(history: ForecastHistory, day: D,
                                           rows: list[PeriodSnapshot]) -> None:
    once = history.with_day(day, rows)
    assert once.with_day(day, rows) == once
    # the day's rows replace the day: every other day is kept as it was
    others = sum(len(v) for d, v in history.days.items() if d != day)
    kept = {(r.period, r.owner) for r in rows if r.owner is None or not r.empty}
    assert len(once) == others + len(kept)
    assert {d: v for d, v in once.days.items() if d != day} == {
        d: v for d, v in history.days.items() if d != day}


@given(histories(), days, st.integers(1, 40), st.one_of(st.none(), st.integers(1, 60)))
def test_retention_keeps_whole_days_within_bounds(history: ForecastHistory, as_of: D,
                                                  rows: int, keep_days: int | None) -> None:
    kept = history.retained(as_of, SnapshotRetention(keep_days, rows))
    assert set(kept.days) <= set(history.days)
    assert all(kept.days[d] == history.days[d] for d in kept.days)  # never part of a day
    if keep_days is not None:
        assert all(d >= as_of - dt.timedelta(days=keep_days) for d in kept.days)
    assert len(kept) <= rows or len(kept.days) == 1  # the newest day always stays
    if kept.days:  # the days dropped are the oldest
        assert all(d < min(kept.days) for d in set(history.days) - set(kept.days))


@given(histories())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_the_tab_reads_back_what_it_holds(history: ForecastHistory) -> None:
    back = read_forecast_history(Grid("t", [["note"], *snapshot_tab_rows(history)]))
    assert back.days == history.days


@given(st.lists(st.text(min_size=1, max_size=30), max_size=200),
       st.integers(1, 50))
def test_id_lists_survive_encoding_and_cells(ids: list[str], size: int) -> None:
    text = encode_ids(ids)
    cells = split_cells(text, size)
    assert all(len(c) <= size for c in cells)
    assert decode_ids("".join(cells)) == tuple(sorted(set(ids)))
    assert CELL_CHARS < 32_767  # an Excel cell's limit (Google's is 50,000)


deal = st.fixed_dictionaries({
    "owner": st.sampled_from([*OWNERS, None]),
    "stage": st.sampled_from(STAGES),
    "probability": st.one_of(st.none(), st.integers(0, 100)),
    "amount": st.one_of(st.none(), st.integers(0, 10**8)),
    "expected_close": st.one_of(st.none(), st.dates(D(2026, 1, 1), D(2027, 12, 31))),
    "closed_on": st.one_of(st.none(), st.dates(D(2026, 1, 1), D(2026, 12, 31))),
})


@given(st.lists(deal, max_size=20), st.randoms(use_true_random=False), st.sampled_from(
    [D(2026, 10, 20), D(2026, 11, 3), D(2026, 12, 4)]))
@settings(max_examples=40, deadline=None)
def test_results_do_not_depend_on_row_order(records, rnd, as_of: D) -> None:
    for i, r in enumerate(records):
        r["deal_id"] = f"D{i:03d}"
    shuffled = list(records)
    rnd.shuffle(shuffled)
    s = MetricsSettings.default(as_of)
    earlier = MetricsSettings.default(D(2026, 8, 1))

    def outcome(recs):
        deals = make_deals(recs)
        # a stored day (08-01) and today, from the same register: accuracy needs a closed
        # period with a snapshot
        then = snapshot_rows(compute_forecast(deals, None, earlier), deals, earlier)
        history = ForecastHistory().with_day(D(2026, 8, 1), then)
        forecast = compute_forecast(deals, None, s, history)
        history = history.with_day(as_of, snapshot_rows(forecast, deals, s))
        return history, forecast_rows(forecast), accuracy_rows(deals, history, s, forecast)

    assert outcome(records) == outcome(shuffled)
