"""Fiscal periods, period labels of the 目標 tab, and targets at the forecast granularity."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.metrics import (
    PeriodError,
    add_months,
    fiscal_periods,
    fiscal_year_of,
    make_targets,
    map_targets,
    parse_period,
    period_error_message,
    period_of,
)
from sheetsync.metrics.periods import period_positions, quarter_period

D = dt.date


@pytest.mark.parametrize(
    ("day", "start", "fy"),
    [
        (D(2026, 3, 31), 4, 2025),
        (D(2026, 4, 1), 4, 2026),
        (D(2026, 3, 31), 1, 2026),
        (D(2026, 4, 1), 1, 2026),
        (D(2026, 1, 1), 1, 2026),
        (D(2025, 12, 31), 1, 2025),
        (D(2026, 9, 30), 10, 2025),
        (D(2026, 10, 1), 10, 2026),
        (D(2026, 11, 30), 12, 2025),
        (D(2026, 12, 1), 12, 2026),
    ],
)
def test_fiscal_year_of_boundaries(day: dt.date, start: int, fy: int) -> None:
    assert fiscal_year_of(day, start) == fy


def test_quarter_periods_start_4() -> None:
    q3 = quarter_period(2026, 3, 4)
    assert (q3.key, q3.start, q3.end, q3.kind) == (
        "FY2026-Q3",
        D(2026, 10, 1),
        D(2026, 12, 31),
        "quarter",
    )
    q4 = quarter_period(2026, 4, 4)
    assert (q4.start, q4.end) == (D(2027, 1, 1), D(2027, 3, 31))
    assert period_of(D(2027, 3, 31), "quarter", 4).key == "FY2026-Q4"
    assert period_of(D(2027, 4, 1), "quarter", 4).key == "FY2027-Q1"


def test_quarter_periods_start_1_and_11() -> None:
    first = fiscal_periods(D(2026, 3, 31), 1)[0]
    assert (first.start, first.end) == (
        D(2026, 1, 1),
        D(2026, 3, 31),
    )
    # start month 11: Q2 of FY2026 spans the new calendar year's Feb–Apr
    q = quarter_period(2026, 2, 11)
    assert (q.start, q.end) == (D(2027, 2, 1), D(2027, 4, 30))
    assert period_of(D(2027, 1, 31), "quarter", 11).key == "FY2026-Q1"


def test_fiscal_periods_lists() -> None:
    assert [p.key for p in fiscal_periods(D(2026, 3, 31), 4)] == [
        "FY2025-Q1",
        "FY2025-Q2",
        "FY2025-Q3",
        "FY2025-Q4",
    ]
    months = fiscal_periods(D(2026, 4, 1), 4, "month")
    assert [p.key for p in months] == [f"2026-{m:02d}" for m in range(4, 13)] + [
        "2027-01",
        "2027-02",
        "2027-03",
    ]
    assert {p.fiscal_year for p in months} == {2026}
    assert months[-1].end == D(2027, 3, 31)
    year = period_of(D(2026, 4, 1), "year", 4)
    assert (year.key, year.start, year.end) == ("FY2026", D(2026, 4, 1), D(2027, 3, 31))
    assert period_of(D(2026, 2, 1), "year", 1).end == D(2026, 12, 31)


def test_add_months_clamps_the_day() -> None:
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2026, 3, 31), -12) == D(2025, 3, 31)
    assert add_months(D(2024, 2, 29), -12) == D(2023, 2, 28)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_months(D(2026, 5, 31), 1) == D(2026, 6, 30)


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)),
    st.integers(1, 12),
    st.sampled_from(["quarter", "month"]),
)
def test_period_positions_match_period_of(day: dt.date, start: int, kind: str) -> None:
    periods = fiscal_periods(day, start, kind)  # type: ignore[arg-type]
    fy = fiscal_year_of(day, start)
    dates = pd.Series(pd.to_datetime([day, None, add_months(day, 12)]))
    pos = period_positions(dates, fy, start, kind)  # type: ignore[arg-type]
    assert periods[pos[0]].contains(day)
    assert periods[pos[0]].key == period_of(day, kind, start).key  # type: ignore[arg-type]
    assert pos[1] == -1 and pos[2] == -1


@pytest.mark.parametrize(
    ("text", "key", "kind"),
    [
        ("FY2026-Q3", "FY2026-Q3", "quarter"),
        ("FY2026Q3", "FY2026-Q3", "quarter"),
        ("fy2026-q3", "FY2026-Q3", "quarter"),
        ("FY2026 Q3", "FY2026-Q3", "quarter"),
        ("ＦＹ２０２６－Ｑ３", "FY2026-Q3", "quarter"),
        ("2026年度Q3", "FY2026-Q3", "quarter"),
        ("2026年度 第3四半期", "FY2026-Q3", "quarter"),
        ("２０２６年度　第３四半期", "FY2026-Q3", "quarter"),
        ("2026-10", "2026-10", "month"),
        ("2026/10", "2026-10", "month"),
        ("2026/1", "2026-01", "month"),
        ("2026年10月", "2026-10", "month"),
        ("２０２６年１０月", "2026-10", "month"),
        (" 2026-10 ", "2026-10", "month"),
        ("FY2026", "FY2026", "year"),
        ("2026年度", "FY2026", "year"),
        ("FY2026-H1", "FY2026-H1", "half"),
        ("FY2026H2", "FY2026-H2", "half"),
        ("ｆｙ２０２６－ｈ２", "FY2026-H2", "half"),
        ("2026年度上期", "FY2026-H1", "half"),
        ("2026年度 下期", "FY2026-H2", "half"),
        ("2026年度上半期", "FY2026-H1", "half"),
        ("2026年度　下半期", "FY2026-H2", "half"),
        ("2026年度H2", "FY2026-H2", "half"),
        ("2026年度 第2半期", "FY2026-H2", "half"),
    ],
)
def test_parse_period_accepts(text: str, key: str, kind: str) -> None:
    p = parse_period(text, 4)
    assert (p.key, p.kind) == (key, kind)
    assert parse_period(p.key, 4) == p  # canonical keys parse to themselves


def test_parse_period_fiscal_year_of_months_and_bounds() -> None:
    jan = parse_period("2027年1月", 4)
    assert (jan.fiscal_year, jan.start, jan.end) == (2026, D(2027, 1, 1), D(2027, 1, 31))
    assert parse_period("2027-01", 1).fiscal_year == 2027
    assert parse_period("2026-02", 4).end == D(2026, 2, 28)
    q = parse_period("FY2026-Q1", 1)
    assert (q.start, q.end) == (D(2026, 1, 1), D(2026, 3, 31))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "period_empty"),
        ("   ", "period_empty"),
        ("2026-13", "period_month_out_of_range"),
        ("2026年13月", "period_month_out_of_range"),
        ("2026/0", "period_month_out_of_range"),
        ("FY2026-Q5", "period_quarter_out_of_range"),
        ("FY2026-Q0", "period_quarter_out_of_range"),
        ("2026年度 第5四半期", "period_quarter_out_of_range"),
        ("2026Q3", "period_ambiguous"),
        ("2026-Q3", "period_ambiguous"),
        ("2026年第3四半期", "period_ambiguous"),
        ("2026", "period_ambiguous"),
        ("2026年", "period_ambiguous"),
        ("FY26-Q3", "period_year_digits"),
        ("FY26", "period_year_digits"),
        ("Q3", "period_year_missing"),
        ("10月", "period_year_missing"),
        ("第3四半期", "period_year_missing"),
        ("1800-01", "period_year_out_of_range"),
        ("2026/10/01", "period_unrecognized"),
        ("2026.10", "period_unrecognized"),
        ("next quarter", "period_unrecognized"),
        ("FY2026-H3", "period_half_out_of_range"),
        ("2026年度 第3半期", "period_half_out_of_range"),
        ("2026上期", "period_ambiguous"),
        ("2026年下半期", "period_ambiguous"),
        ("2026H1", "period_ambiguous"),
        ("上期", "period_year_missing"),
        ("H2", "period_year_missing"),
        ("FY2026-上期X", "period_unrecognized"),
    ],
)
def test_parse_period_rejects_with_stable_code(text: str, code: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, 4)
    assert info.value.code == code
    assert info.value.params["text"] == text
    for language in ("ja", "en"):
        assert period_error_message(info.value.code, info.value.params, language)


def test_period_ordering() -> None:
    keys = ["2026-10", "FY2026-Q3", "FY2026", "2026-04", "FY2026-Q1", "FY2026-H2", "FY2026-H1"]
    ordered = sorted(parse_period(k, 4) for k in keys)
    assert [p.key for p in ordered] == [
        "FY2026", "FY2026-H1", "FY2026-Q1", "2026-04", "FY2026-H2", "FY2026-Q3", "2026-10"]


@pytest.mark.parametrize("start", [1, 4, 10])
def test_halves_split_the_year_into_its_quarters(start: int) -> None:
    from sheetsync.metrics.periods import half_period, year_period, year_periods

    year = year_period(2026, start)
    h1, h2 = half_period(2026, 1, start), half_period(2026, 2, start)
    quarters = year_periods(2026, start)
    assert (h1.start, h2.end) == (year.start, year.end)
    assert h1.end + dt.timedelta(days=1) == h2.start
    assert all(h1.covers(q) for q in quarters[:2]) and all(h2.covers(q) for q in quarters[2:])
    assert period_of(quarters[2].start, "half", start) == h2


# --- map_targets ---------------------------------------------------------------------------


def _records(df: pd.DataFrame) -> list[tuple]:
    return [(p, o, int(t)) for p, o, t in df[["period", "owner", "target"]].itertuples(index=False)]


def test_monthly_targets_sum_into_quarter_year_is_kept() -> None:
    t = make_targets(
        [
            {"period": "2026-10", "owner": "佐藤", "target": 100},
            {"period": "2026年11月", "owner": "佐藤", "target": 200},
            {"period": "FY2026-Q3", "owner": "鈴木", "target": 500},
            {"period": "FY2026", "owner": None, "target": 10_000},
            {"period": "2026-04", "owner": " ", "target": 7},
        ]
    )
    mapped, issues = map_targets(t, fiscal_year_start_month=4, period="quarter")
    assert issues == []
    assert _records(mapped) == [
        ("FY2026", None, 10_000),
        ("FY2026-Q1", None, 7),
        ("FY2026-Q3", "佐藤", 300),
        ("FY2026-Q3", "鈴木", 500),
    ]
    again, more = map_targets(mapped, fiscal_year_start_month=4, period="quarter")
    assert more == [] and _records(again) == _records(mapped)


def test_quarter_targets_are_not_split_into_months() -> None:
    t = make_targets(
        [
            {"period": "FY2026-Q3", "owner": "佐藤", "target": 300, "_row": 5, "_cell": "A5"},
            {"period": "2026-10", "owner": "佐藤", "target": 100, "_row": 6},
        ]
    )
    mapped, issues = map_targets(t, period="month", language="en", tab="Targets")
    assert _records(mapped) == [("2026-10", "佐藤", 100)]
    assert [(i.code, i.row, i.cell, i.tab, i.value) for i in issues] == [
        ("target_not_splittable", 5, "A5", "Targets", "FY2026-Q3")
    ]
    assert "cannot be split" in issues[0].message and issues[0].is_error


def test_duplicate_targets_are_one_error_and_unused() -> None:
    t = make_targets(
        [
            {"period": "FY2026-Q3", "owner": "佐藤", "target": 300, "_row": 3},
            {"period": "2026年度 第3四半期", "owner": "佐藤 ", "target": 300, "_row": 4},
            {"period": "FY2026-Q3", "owner": "佐藤", "target": 999, "_row": 7},
            {"period": "FY2026-Q3", "owner": "鈴木", "target": 50, "_row": 8},
            {"period": "FY2026-Q3", "owner": None, "target": 1, "_row": 9},
            {"period": "FY2026-Q3", "owner": "", "target": 2, "_row": 10},
        ]
    )
    mapped, issues = map_targets(t)
    assert _records(mapped) == [("FY2026-Q3", "鈴木", 50)]
    assert [(i.code, i.row) for i in issues] == [("target_duplicate", 3), ("target_duplicate", 9)]
    assert "3 行" in issues[0].message or "行 3, 4, 7" in issues[0].message


def test_duplicate_month_blocks_its_quarter_and_mixed_granularity() -> None:
    t = make_targets(
        [
            {"period": "2026-10", "owner": "A", "target": 1, "_row": 2},
            {"period": "2026/10", "owner": "A", "target": 1, "_row": 3},
            {"period": "2026-11", "owner": "A", "target": 5, "_row": 4},
            {"period": "FY2026-Q2", "owner": "B", "target": 10, "_row": 5},
            {"period": "2026-07", "owner": "B", "target": 3, "_row": 6},
            {"period": "2026-07", "owner": "C", "target": 3, "_row": 7},
        ]
    )
    mapped, issues = map_targets(t)
    assert _records(mapped) == [("FY2026-Q2", "C", 3)]
    assert sorted((i.code, i.row) for i in issues) == [
        ("target_duplicate", 2),
        ("target_mixed_granularity", 5),
    ]


def test_bad_labels_and_missing_amounts() -> None:
    t = make_targets(
        [
            {"period": "2026Q3", "owner": "A", "target": 1, "_row": 2},
            {"period": "FY2026-Q1", "owner": "A", "target": None, "_row": 3},
        ]
    )
    mapped, issues = map_targets(t, language="ja")
    assert mapped.empty and list(mapped.columns) == ["period", "owner", "target"]
    assert [(i.code, i.row, i.value, i.column) for i in issues] == [
        ("period_ambiguous", 2, "2026Q3", "期間")
    ]
    assert map_targets(None)[0].empty


def test_half_and_year_targets_are_kept_and_mismatches_are_warnings() -> None:
    from sheetsync.issues import Severity
    from sheetsync.metrics import rollup_targets

    t = make_targets(
        [
            {"period": "FY2026-Q1", "owner": "A", "target": 100, "_row": 2, "_cell": "A2"},
            {"period": "FY2026-Q2", "owner": "A", "target": 200, "_row": 3, "_cell": "A3"},
            # 上期 = Q1 + Q2 = 300, but 350 is given: shown, and a warning
            {"period": "2026年度上期", "owner": "A", "target": 350, "_row": 4, "_cell": "A4"},
            {"period": "FY2026-H2", "owner": "A", "target": 500, "_row": 5, "_cell": "A5"},
            # the year = 350 + 500: consistent, no warning
            {"period": "2026年度", "owner": "A", "target": 850, "_row": 6, "_cell": "A6"},
            # B gives halves only: B's year is their sum
            {"period": "FY2026-H1", "owner": "B", "target": 10, "_row": 7, "_cell": "A7"},
            {"period": "FY2026-H2", "owner": "B", "target": 20, "_row": 8, "_cell": "A8"},
            # C gives a year that its halves (given) contradict
            {"period": "FY2026-H1", "owner": "C", "target": 1, "_row": 9, "_cell": "A9"},
            {"period": "FY2026-H2", "owner": "C", "target": 1, "_row": 10, "_cell": "A10"},
            {"period": "FY2026", "owner": "C", "target": 5, "_row": 11, "_cell": "A11"},
        ]
    )
    for language in ("ja", "en"):
        mapped, issues = map_targets(t, language=language, tab="目標")
        assert [(i.code, i.cell, i.severity) for i in issues] == [
            ("target_mismatch", "A4", Severity.WARNING),
            ("target_mismatch", "A11", Severity.WARNING),
        ]
        assert "¥350" in issues[0].message and "¥300" in issues[0].message
    assert ("FY2026-H1", "A", 350) in _records(mapped)
    again, more = map_targets(mapped)
    assert _records(again) == _records(mapped) and [i.code for i in more] == [
        "target_mismatch", "target_mismatch"]
    rolled = rollup_targets(mapped, [2026])
    assert rolled[("FY2026-H1", "A")] == 350  # the explicit one is shown
    assert rolled[("FY2026", "B")] == 30 and rolled[("FY2026", "C")] == 5
    assert rolled[("FY2026", None)] == 850 + 30 + 5
    assert ("FY2026-Q3", "A") not in rolled


def test_month_targets_roll_up_to_halves_with_month_periods() -> None:
    from sheetsync.metrics import rollup_targets

    t = make_targets([{"period": f"2026-{m:02d}", "owner": "A", "target": m}
                      for m in range(4, 10)])
    mapped, issues = map_targets(t, period="month")
    assert issues == []
    rolled = rollup_targets(mapped, [2026], period="month")
    assert rolled[("FY2026-H1", "A")] == sum(range(4, 10))
    assert ("FY2026-H2", "A") not in rolled and ("FY2026", "A") not in rolled
