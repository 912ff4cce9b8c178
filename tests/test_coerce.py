"""Every accepted and rejected form of docs/definitions.md's "What reps may type", plus
properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.coerce import (
    CoercionError,
    parse_date,
    parse_money,
    parse_number,
    parse_percent,
    parse_text,
)
from sheetsync.grid import PercentValue, date_to_serial
from sheetsync.schema import load_schema
from sheetsync.validate import field_parser

FULL_WIDTH = str.maketrans("0123456789,.%", "０１２３４５６７８９，．％")


def code_of(parser, value) -> str:
    with pytest.raises(CoercionError) as info:
        parser(value)
    return info.value.code


# ------------------------------------------------------------------------------ money


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1200000", 1_200_000),
        ("1,200,000", 1_200_000),
        ("¥1,200,000", 1_200_000),
        ("￥1,200,000円", 1_200_000),
        ("120万円", 1_200_000),
        ("120万", 1_200_000),
        ("1.2億", 120_000_000),
        ("３００万円", 3_000_000),
        ("1200千円", 1_200_000),
        ("1億2,000万円", 120_000_000),
        (" ¥ 1,200,000 ", 1_200_000),
        ("0", 0),
        ("1,200K", 1_200_000),
        ("1.5M", 1_500_000),
        (1_200_000, 1_200_000),
        (1_200_000.0, 1_200_000),
        (1_320_000.0000000002, 1_320_000),  # a formula's float is still whole yen
    ],
)
def test_money_accepted(typed, expected):
    assert parse_money(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "invalid_money"),
        ("-5", "negative_money"),
        ("▲5,000", "negative_money"),
        (-5, "negative_money"),
        ("12,34,5", "invalid_money"),
        ("1,2345", "invalid_money"),
        ("1.5", "fractional_money"),
        (1.5, "fractional_money"),
        ("¥¥100", "invalid_money"),
        ("2000万1億", "invalid_money"),  # units must go from larger to smaller
        ("$100", "invalid_money"),
        ("約120万", "invalid_money"),
        ("120万円(税抜)", "invalid_money"),
        ("円", "invalid_money"),
        (True, "invalid_money"),
        (dt.date(2026, 1, 1), "invalid_money"),
        (float("nan"), "invalid_money"),
    ],
)
def test_money_rejected(typed, code):
    assert code_of(parse_money, typed) == code


@given(st.integers(min_value=0, max_value=10**12))
def test_money_round_trips_through_every_form(amount):
    forms = [str(amount), f"{amount:,}", f"¥{amount:,}", f"￥{amount:,}円",
             f"{amount:,}".translate(FULL_WIDTH) + "円", amount, float(amount)]
    if amount % 10_000 == 0:
        forms += [f"{amount // 10_000}万円", f"{amount // 10_000}万"]
    if amount % 1_000 == 0:
        forms.append(f"{amount // 1_000}千円")
    if amount % 100_000_000 == 0:
        forms.append(f"{amount // 100_000_000}億")
    if amount % 10_000 == 0 and amount >= 100_000_000:
        oku, man = divmod(amount // 10_000, 10_000)
        forms.append(f"{oku}億{man:,}万円" if man else f"{oku}億円")
    for form in forms:
        if isinstance(form, float) and form > 2**53:
            continue
        assert parse_money(form) == amount, form


# ---------------------------------------------------------------------------- percent


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(80, 80.0), ("80", 80.0), ("80%", 80.0), ("８０％", 80.0), (PercentValue(0.8), 80.0),
     (PercentValue(0.1), 10.0), ("50.5%", 50.5), ("0", 0.0), (100, 100.0), (1, 1.0),
     ("0.5%", 0.5)],
)
def test_percent_accepted(typed, expected):
    assert parse_percent(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [(120, "percent_out_of_range"), ("120%", "percent_out_of_range"),
     ("-5", "percent_out_of_range"), (PercentValue(1.2), "percent_out_of_range"),
     (0.8, "ambiguous_percent"), ("0.8", "ambiguous_percent"), ("abc", "invalid_percent"),
     ("80％以上", "invalid_percent"), (True, "invalid_percent")],
)
def test_percent_rejected(typed, code):
    assert code_of(parse_percent, typed) == code


@given(st.integers(min_value=0, max_value=100))
def test_percent_round_trips(pct):
    for form in (pct, str(pct), f"{pct}%", f"{pct}%".translate(FULL_WIDTH),
                 PercentValue(pct / 100)):
        assert parse_percent(form) == pct


# ------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "typed",
    ["2026/3/31", "2026-03-31", "2026.3.31", "2026年3月31日", "令和8年3月31日", "R8.3.31",
     "r8/3/31", "令8.3.31", "２０２６／３／３１", "20260331", 20260331, 46112, 46112.0, "46112",
     dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 0, 0), dt.datetime(2026, 3, 31, 15, 30),
     "2026/3/31 10:00", "2026-03-31T10:00:00Z", "2026/3/31(火)", " 2026/03/31 "],
)
def test_date_accepted(typed):
    assert parse_date(typed) == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("令和元年5月1日", dt.date(2019, 5, 1)), ("H31.4.30", dt.date(2019, 4, 30)),
     ("平成元年1月8日", dt.date(1989, 1, 8)), ("S64.1.7", dt.date(1989, 1, 7))],
)
def test_era_dates(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [("3/31", "date_without_year"), ("3月31日", "date_without_year"),
     ("2026/2/30", "impossible_date"), ("2026/13/1", "impossible_date"),
     ("令和1年4月30日", "impossible_date"),  # Reiwa began on 2019-05-01
     ("H32.1.1", "impossible_date"), ("26/3/31", "ambiguous_year"),
     ("来週", "invalid_date"), ("abc", "invalid_date"), (2026, "date_out_of_range"),
     ("1900/1/1", "date_out_of_range"), (True, "invalid_date"), (-3, "date_out_of_range")],
)
def test_date_rejected(typed, code):
    assert code_of(parse_date, typed) == code


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_date_round_trips_through_every_form(day):
    forms = [day, dt.datetime.combine(day, dt.time()), date_to_serial(day),
             f"{day.year}/{day.month}/{day.day}", day.isoformat(), f"{day:%Y.%m.%d}",
             f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}",
             f"{day.year}/{day.month}/{day.day}".translate(FULL_WIDTH)]
    if day >= dt.date(2019, 5, 1):
        era = day.year - 2018
        forms += [f"令和{era}年{day.month}月{day.day}日", f"R{era}.{day.month}.{day.day}"]
    for form in forms:
        assert parse_date(form) == day, form


# ------------------------------------------------------------------------ enums, text


@pytest.fixture(scope="module")
def schema():
    return load_schema()


@pytest.mark.parametrize(
    ("field", "typed", "value"),
    [("stage", "受注", "won"), ("stage", "受注 ", "won"), ("stage", "Won", "won"),
     ("stage", "WON", "won"), ("stage", "won", "won"), ("stage", "交渉中", "negotiation"),
     ("stage", "First meeting", "meeting"), ("stage", "firstmeeting", "meeting"),
     ("rank", "Ａ", "A"), ("rank", "a", "A"), ("rank", "Bヨミ", "B"),
     ("lead_source", "Web問い合わせ", "web_inquiry"), ("lead_source", "展示会", "trade_show"),
     ("lead_source", "trade show", "trade_show"), ("lead_source", "ＷＥＢ", "web_inquiry")],
)
def test_enum_accepted(schema, field, typed, value):
    assert field_parser(schema.field(field), "ja")(typed) == value


def test_enum_rejected_lists_allowed_values(schema):
    with pytest.raises(CoercionError) as info:
        field_parser(schema.field("stage"), "ja")("様子見")
    assert info.value.code == "invalid_choice"
    assert "リード" in info.value.params["choices"] and "失注" in info.value.params["choices"]


def test_roster(schema):
    parse = field_parser(schema.field("owner"), "ja", ["佐藤 健", "Tanaka"])
    assert parse("佐藤　健") == "佐藤 健"  # full-width space
    assert parse("tanaka") == "Tanaka"
    assert code_of(parse, "鈴木") == "not_in_roster"


@pytest.mark.parametrize(
    ("typed", "text"),
    [("  見積提出 ", "見積提出"), ("=IMPORTXML(A1)", "=IMPORTXML(A1)"), ("+81", "+81"),
     ("@here", "@here"), (1001, "1001"), (1001.0, "1001"), (1.5, "1.5"),
     (dt.date(2026, 3, 31), "2026-03-31"), (True, "TRUE")],
)
def test_text_is_never_evaluated(typed, text):
    assert parse_text(typed) == text


@pytest.mark.parametrize(
    "typed",
    ["100000000000億", "1.1兆円", 1e19, 5 * 10**18, 10**400, "9" * 400, 10**12 + 1,
     "1,000,000,000,001"],
)
def test_amounts_above_one_cho_yen_are_a_cell_error(typed):
    """Issue 11 #3: a typo of a few digits must be a cell error, never a wrapped total."""
    assert code_of(parse_money, typed) == "money_too_large"
    assert parse_money("1兆円") == parse_money(10**12) == 10**12


@pytest.mark.parametrize("huge", [10**400, -(10**400), "9" * 400])
def test_huge_numbers_in_other_columns_are_cell_errors(huge):
    """A 400-digit number cell raised OverflowError from float() (issue 11 #3)."""
    assert code_of(parse_percent, huge) == "percent_out_of_range"
    assert code_of(parse_date, huge) in ("date_out_of_range", "invalid_date")
    assert code_of(parse_number, huge) == "invalid_number"


def test_number():
    assert parse_number("１，２３４．５") == 1234.5
    assert code_of(parse_number, "1,2") == "invalid_number"


# -------------------------------------------------------------------- nothing crashes

CELLS = st.one_of(
    st.text(), st.text(alphabet="0123456789,.¥￥円万億千kKM%％-年月日/令和R元 　()"),
    st.integers(), st.integers(min_value=10**300, max_value=10**420),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.dates(), st.datetimes(),
    st.floats(min_value=-10, max_value=10).map(PercentValue),
)


@settings(max_examples=400)
@given(CELLS)
def test_no_input_crashes_a_parser(value):
    for parser in (parse_money, parse_percent, parse_date, parse_number, parse_text):
        try:
            parser(value)
        except CoercionError:
            pass
