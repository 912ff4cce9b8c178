"""The fast paths of validation (issue 14) give exactly what the general ones give.

Validation reads each distinct value of a column once and selects rows with array
operations; text columns are trimmed in bulk; dates and amounts in the forms reps type most
skip the general reading. Each property here compares a fast path with the plain per-value
reading it replaces, on values built to hit the edges (full-width digits, era dates,
impossible days, 1 == 1.0 == True, blank texts, formulas' error values, \\0 in a name).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.coerce import (
    MAX_STRING,
    CoercionError,
    _read_date_text,
    _read_money_text,
    parse_date,
    parse_money,
    parse_percent,
    parse_string,
    parse_text,
)
from sheetsync.grid import Grid, PercentValue, Uncalculated
from sheetsync.names import canonical, spellings
from sheetsync.schema import load_schema
from sheetsync.textnorm import (
    _COMPANY_FORMS,
    _COMPANY_FORMS_ALL,
    company_key,
    company_keys,
    match_key,
)
from sheetsync.validate import (
    INVALID,
    _canonical,
    _codes,
    _columns,
    _match_keys,
    _parse_column,
    _trimmed,
    _trimmed_by_value,
    _typed_column,
    field_parser,
    validate_register,
)

FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
SCHEMA = load_schema()


def outcome(parser, value: Any) -> tuple[Any, ...]:
    """What a parser does with ``value``: its result, or its error code and parameters."""
    try:
        return ("ok", parser(value))
    except CoercionError as exc:
        return ("error", exc.code, exc.params)


def maybe_full_width(draw, text: str) -> str:
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def typed_dates(draw) -> str:
    """Dates as reps type them — and near misses (a 日 too many, a 13th month, day 30 of
    February, an era year 0 or past the era's end, a space, a weekday)."""
    year = draw(st.sampled_from([1949, 1950, 1989, 2019, 2026, 2199, 2200]))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    pad = draw(st.booleans())
    m, d = (f"{month:02d}", f"{day:02d}") if pad else (str(month), str(day))
    sep1, sep2 = draw(st.sampled_from("/-.")), draw(st.sampled_from("/-."))
    era = draw(st.sampled_from(["R", "r", "H", "S", "令和", "平成", "昭和", "令", "㋿"]))
    era_year = draw(st.sampled_from(["0", "1", "8", "31", "64", "65", "元", "100"]))
    text = draw(st.sampled_from([
        f"{year}{sep1}{m}{sep2}{d}", f"{year}年{m}月{d}日", f"{year}年{m}月{d}",
        f"{year}{month:02d}{day:02d}", f"{era}{era_year}.{m}.{d}",
        f"{era}{era_year}年{m}月{d}日", f"{era}{era_year}/{m}/{d}", f"{year}/{m}/{d}日",
        f"{m}/{d}", f"{year % 100:02d}/{m}/{d}", f" {year}/{m}/{d} ", f"{year}/{m}/{d}(月)",
        f"{year}-{m}-{d}T10:00", f"{year}{month:02d}{day:02d}1",
    ]))
    return maybe_full_width(draw, text)


@st.composite
def typed_amounts(draw) -> str:
    digits = draw(st.integers(0, 10**13))
    grouped = f"{digits:,}"
    unit = draw(st.sampled_from(["", "万", "千", "億", "兆", "k", "M"]))
    text = draw(st.sampled_from([
        str(digits), grouped, f"¥{grouped}", f"￥{grouped}円", f"{digits}{unit}円",
        f"{digits}{unit}", f"¥{digits}{unit}", f"{grouped}{unit}", f"-{digits}",
        f"{digits}.5{unit}", f"1億{digits}万円", f"{grouped[:-1]}", f" {grouped} ",
        f"{digits}JPY", f"({digits})", f"{digits},",
    ]))
    return maybe_full_width(draw, text)


@settings(max_examples=600)
@given(typed_dates())
def test_a_typed_date_reads_as_the_general_reading_reads_it(text):
    assert outcome(parse_date, text) == outcome(_read_date_text, text)


@settings(max_examples=600)
@given(typed_amounts())
def test_a_typed_amount_reads_as_the_general_reading_reads_it(text):
    assert outcome(parse_money, text) == outcome(_read_money_text, text)


@given(st.text(max_size=12))
def test_any_text_reads_as_the_general_reading_reads_it(text):
    assert outcome(parse_date, text) == outcome(_read_date_text, text)
    assert outcome(parse_money, text) == outcome(_read_money_text, text)


def test_the_fast_forms_by_hand():
    assert parse_date("2026/3/31") == parse_date("２０２６年３月３１日") == dt.date(2026, 3, 31)
    assert parse_date("R8.3.31") == parse_date("令和8年3月31日") == dt.date(2026, 3, 31)
    assert parse_date("H31/4/30") == dt.date(2019, 4, 30)
    assert outcome(parse_date, "H31/5/1") == ("error", "impossible_date", {})
    assert outcome(parse_date, "2026/2/30") == ("error", "impossible_date", {})
    assert outcome(parse_date, "2200/1/1") == ("error", "date_out_of_range", {})
    assert parse_money("120万円") == parse_money("１２０万円") == 1_200_000
    assert parse_money("￥1,200,000円") == parse_money("1200千円") == 1_200_000
    assert outcome(parse_money, "12,34,5") == ("error", "invalid_money", {})
    assert outcome(parse_money, "2兆円") == ("error", "money_too_large", {})


# ------------------------------------------------------------------ one column, in bulk

CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from([0.0, 1.0, 0.5, 80.0]),
    st.sampled_from([PercentValue(0.8), PercentValue(1.0), PercentValue(0.0)]),
    st.dates(dt.date(1949, 12, 30), dt.date(1950, 1, 2)) | st.just(dt.date(2026, 3, 31)),
    st.just(dt.datetime(2026, 3, 31, 9, 30)),
    st.sampled_from(["", "  ", "A", " a ", "120万円", "2026/3/31", "80%", "受注", "#N/A",
                     "x" * (MAX_STRING + 1), "佐藤\u3000健", "\u3000"]),
    st.just(Uncalculated("=SUM(A1:A2)")), st.just("=SUM(A1:A2)"),
)


def per_cell(column: list[Any], parser) -> tuple[list[Any], list[tuple[int, Any, str]]]:
    """The reference: every cell read on its own."""
    values, bad = [], []
    for i, raw in enumerate(column):
        if raw is None or (raw.__class__ is str and not raw.strip()):
            values.append(None)
        elif raw.__class__ is Uncalculated:
            values.append(INVALID)
            bad.append((i, raw, "formula_without_value"))
        else:
            try:
                values.append(parser(raw))
            except CoercionError as exc:
                values.append(INVALID)
                bad.append((i, raw, exc.code))
    return values, bad


@settings(max_examples=300)
@given(st.lists(CELLS, max_size=40),
       st.sampled_from(["deal_id", "notes", "stage", "probability", "amount",
                        "expected_close"]))
def test_a_column_parses_as_its_cells_one_by_one(column, name):
    parser = field_parser(SCHEMA.field(name), "ja")
    values, bad = _parse_column([[v] for v in column], 0, parser)
    expected_values, expected_bad = per_cell(column, parser)
    assert [(type(v), v) for v in values] == [(type(v), v) for v in expected_values]
    assert [(i, type(raw), raw, exc.code) for i, raw, exc in bad] == [
        (i, type(raw), raw, code) for i, raw, code in expected_bad]


@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \u3000\tab#\0", max_size=6),
                          st.just("x" * (MAX_STRING + 1))), max_size=30), st.booleans())
def test_a_text_column_is_trimmed_as_each_text_would_be(column, short):
    trimmed = _trimmed(column, short=short)
    expected = [None if v is None else (parse_text(v) or None) for v in column]
    if trimmed is None:  # handed to the per-value reading: a reason must exist (a \0
        # before a # in one text looks like the start of another)
        assert short and any(v and (len(v) > MAX_STRING or v[0] == "#" or "\0#" in v)
                             for v in expected)
    else:
        assert trimmed == expected
        if short:
            assert all(v is None or parse_string(v) == v for v in trimmed)


@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \u3000\tab#=\0", max_size=4),
                          st.just("x" * (MAX_STRING + 1)), st.just(Uncalculated("=a")),
                          st.integers(0, 2)), max_size=30), st.booleans())
def test_a_repeating_text_column_is_trimmed_as_each_text_would_be(column, short):
    """Trimmed once per distinct value: the per-value reading, or handed to it (None)."""
    trimmed = _trimmed_by_value(column, short=short)
    if trimmed is None:
        assert any(type(v) not in (str, type(None)) for v in column) or (short and any(
            v and (len(v.strip()) > MAX_STRING or v.strip().startswith("#") or "\0#" in v)
            for v in column))  # (a \0 before a # looks like the start of another text)
    else:
        assert all(type(v) in (str, type(None)) for v in column)
        assert trimmed == [None if v is None else (parse_text(v) or None) for v in column]
        assert all(type(v) in (str, type(None)) for v in trimmed)


def test_trimming_by_hand():
    assert _trimmed(["D-1", None, "", " D-2\u3000"], short=True) == ["D-1", None, None, "D-2"]
    assert _trimmed(["佐藤 健", "  "], short=False) == ["佐藤 健", None]
    assert _trimmed(["#REF!"], short=True) is None  # parse_string names the error value
    assert _trimmed(["a#b", "#"], short=False) == ["a#b", "#"]


# --------------------------------------------------------------------- keys, in bulk

NAMES = st.text(alphabet="ＡBｃ 　\tk.K,・㈱株式会社(有)Co Ltd inc\n\0é1", max_size=14)


@given(st.lists(NAMES, max_size=12))
def test_company_keys_are_each_names_key(names):
    assert company_keys(names) == [company_key(n) for n in names]


#: the legal forms as first written, with ``\b`` (textnorm spells the boundary so that every
#: alternative starts with a literal character: the engine then skips positions in C)
FORMS_WITH_BOUNDARIES = re.compile(
    r"(株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|"
    r"\(株\)|\(有\)|\(同\)|\(社\)|\(財\)|"
    r"\bco\.?,?\s*ltd\.?|\bcorporation\b|\bcorp\.?|\binc\.?|\bllc\b|\bltd\.?|\bk\.?k\.?$)",
)
FORM_PIECES = st.sampled_from(["co", "c", "o", "ltd", "l", "td", ".", ",", " ", "\n", "\0",
                               "k", "k.k.", "inc", "i", "nc", "llc", "corp", "corporation",
                               "株式会社", "(株)", "社", "a", "1", "_", "é", "\u3000"])


@settings(max_examples=500)
@given(st.lists(FORM_PIECES, max_size=10).map("".join))
def test_company_forms_match_where_the_boundary_spelling_does(text):
    for ours, reference in ((_COMPANY_FORMS, FORMS_WITH_BOUNDARIES),
                            (_COMPANY_FORMS_ALL, re.compile(FORMS_WITH_BOUNDARIES.pattern.replace(
                                "$)", r"(?=\n?(?:\x00|\Z)))")))):
        assert [m.span() for m in ours.finditer(text)] == [
            m.span() for m in reference.finditer(text)]


@given(st.lists(st.one_of(NAMES, st.integers(0, 3)), max_size=12))
def test_match_keys_are_each_values_key(values):
    assert _match_keys(values) == [match_key(v) if isinstance(v, str) else v for v in values]


@given(st.lists(st.sampled_from(["佐藤 健", "佐藤　健", "佐藤健", " 鈴木", "鈴木", None]),
                max_size=20))
def test_owner_spellings_are_those_of_names_canonical(values):
    assert _canonical(values) == canonical(values, spellings(values))


def test_keys_by_hand():
    assert company_keys(["㈱サンプル", "サンプル 株式会社", "ABC K.K.", "Inc."]) == [
        "サンプル", "サンプル", "abc", "inc."]
    assert _match_keys(["D-1", "d-1 ", "Ｄ－１"]) == ["d-1", "d-1", "d-1"]


# ---------------------------------------------------------------- the typed frame


@given(st.lists(st.one_of(st.none(), st.integers(0, 10**12)), max_size=20),
       st.lists(st.booleans(), max_size=20))
def test_typed_money_is_the_nullable_integer_array(values, mask):
    keep = (mask + [True] * len(values))[:len(values)]
    typed = _typed_column(SCHEMA.field("amount"), values, keep)
    kept = [v for v, k in zip(values, keep) if k]
    expected = pd.array(kept, dtype="Int64")
    assert typed.dtype == expected.dtype
    assert typed.tolist() == expected.tolist()


@given(st.lists(st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2199, 12, 31))),
                max_size=20))
def test_typed_dates_are_datetime64(values):
    typed = _typed_column(SCHEMA.field("expected_close"), values, None)
    assert typed.dtype == np.dtype("datetime64[ns]")
    assert [None if pd.isna(t) else t.date() for t in pd.to_datetime(typed)] == values


def test_the_frame_keeps_its_types():
    """The deals frame's dtypes are those the metrics were written against."""
    grid = Grid("案件一覧", [
        ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率", "見込金額",
         "受注予定日", "完了日"],
        ["D-1", "更改", "A社", "佐藤", "提案", "B", PercentValue(0.5), "120万円",
         "R8.3.31", None],
        ["D-2", "保守", "B社", "鈴木", "受注", None, None, 500_000, None,
         dt.date(2026, 3, 1)],
    ])
    deals = validate_register(grid, SCHEMA, as_of=dt.date(2026, 4, 1)).deals
    assert str(deals["amount"].dtype) == "Int64"
    assert deals["amount"].tolist() == [1_200_000, 500_000]
    assert deals["probability"].dtype == np.float64
    assert deals["probability"].tolist()[0] == 50.0 and np.isnan(deals["probability"][1])
    assert deals["expected_close"].dtype == np.dtype("datetime64[ns]")
    assert deals["expected_close"][0] == pd.Timestamp(2026, 3, 31)
    assert pd.isna(deals["expected_close"][1])
    assert deals["stage"].tolist() == ["proposal", "won"]
    assert deals["_row"].tolist() == [2, 3]


def test_an_issue_built_fast_is_an_issue():
    """validate's _issue sets the frozen Issue's attributes at once: every field, no other."""
    from dataclasses import fields

    from sheetsync.issues import Issue, Severity
    from sheetsync.validate import _issue

    values = ("future_date", "m", "案件一覧", "J5", 5, "完了日", dt.date(2027, 1, 1),
              Severity.WARNING, "closed_on")
    fast, plain = _issue(*values), Issue(*values)
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert vars(fast) == vars(plain) and list(vars(fast)) == [f.name for f in fields(Issue)]


@given(st.lists(st.lists(CELLS, max_size=6), max_size=12),
       st.lists(st.integers(0, 7), max_size=4))
def test_columns_are_the_cells_of_each_row(rows, cols):
    """Columns taken from the rows in one 2-D array: the very objects each row holds, a
    short row read as blank beyond its end."""
    columns = _columns(rows, cols)
    assert list(columns) == list(dict.fromkeys(cols))
    for col, cells in columns.items():
        expected = [row[col] if col < len(row) else None for row in rows]
        assert len(cells) == len(expected)
        assert all(a is b for a, b in zip(cells, expected))


@given(st.lists(CELLS, max_size=40))
def test_codes_stand_for_cells_of_one_type(column):
    """Every cell is its code's raw value: equal, and of the same type (1, 1.0, True and
    PercentValue(1.0) hash alike); equal values of one type share a code."""
    codes, raws = _codes(column)
    assert len(codes) == len(column)
    for cell, code in zip(column, codes.tolist()):
        raw = raws[code]
        assert type(raw) is type(cell) and (raw is cell or raw == cell)
    if len(column):
        assert sorted(set(codes.tolist())) == list(range(len(raws)))


def test_codes_by_type_by_hand():
    codes, raws = _codes([1, 1.0, True, PercentValue(1.0), 1, None, True])
    assert [type(raws[c]) for c in codes.tolist()] == [int, float, bool, PercentValue, int,
                                                        type(None), bool]
    assert codes[0] == codes[4] and codes[2] == codes[6]
    codes, raws = _codes(["=A1", Uncalculated("=A1"), "=A1"])
    assert [type(raws[c]) for c in codes.tolist()] == [str, Uncalculated, str]


def test_percent_cells_mixed_with_numbers_keep_their_meaning():
    """0.8 typed and 0.8 shown as 80 % hash alike: they still read apart."""
    column = [[0.8], [PercentValue(0.8)], [True], [1]]
    values, bad = _parse_column(column, 0, parse_percent)
    assert values == [INVALID, 80.0, INVALID, 1.0]
    assert [(i, exc.code) for i, _, exc in bad] == [(0, "ambiguous_percent"),
                                                    (2, "invalid_percent")]


# ------------------------------------------------------------------- warnings, in bulk

OWNER_HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日", "完了日",
                "失注理由", "次回アクション日", "見込金額"]


@settings(max_examples=200)
@given(st.lists(st.tuples(
    st.sampled_from(["株式会社A", "(株)A", "Ａ 株式会社", "B", "B Co., Ltd.", "C", "c"]),
    st.sampled_from(["佐藤", "鈴木", "田中"]),
    st.sampled_from(["提案", "受注", "保留"])), max_size=25))
def test_several_owners_warning_is_the_per_client_reading(deals):
    """The multiple-owner warning, found with arrays, is the plain reading: per client key
    (company_key) over the open deals that are not on hold, the reps in the order first
    seen, reported at the key's first row when there are two or more."""
    rows = [[f"D-{i}", "x", client, owner, stage,
             "2027/1/31" if stage != "受注" else None, "2026/1/5" if stage == "受注" else None,
             None, "2027/1/31", "120万円"]
            for i, (client, owner, stage) in enumerate(deals)]
    result = validate_register(Grid("案件一覧", [OWNER_HEADER, *rows]), SCHEMA)
    assert result.report.valid
    found = [(i.row, i.value, i.message) for i in result.report.warnings
             if i.code == "multiple_owners"]
    reps: dict[str, list[str]] = {}
    first: dict[str, tuple[int, str]] = {}
    for sheet_row, (client, owner, stage) in enumerate(deals, start=2):
        if stage != "提案":
            continue
        key = company_key(client)
        first.setdefault(key, (sheet_row, client))
        if owner not in reps.setdefault(key, []):
            reps[key].append(owner)
    expected = sorted((first[k][0], first[k][1], "・".join(names))
                      for k, names in reps.items() if len(names) > 1)
    assert [(row, value) for row, value, _ in found] == [(r, v) for r, v, _ in expected]
    assert all(names in message for (_, _, message), (_, _, names) in zip(found, expected))
