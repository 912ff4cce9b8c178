"""Validation at scale (issue 14): what the fast paths must not change, and what they must
not leave behind.

Each distinct value of a column is read once and its result shared by every cell holding
it; the issues are still one per cell, each at its own A1 reference, in sheet order. A
parse error is kept without its traceback, so a validation leaves no reference cycle for
the (paused) garbage collector to find.
"""

from __future__ import annotations

import datetime as dt
import gc

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.grid import Grid, PercentValue, Uncalculated
from sheetsync.schema import load_schema
from sheetsync.validate import (
    INVALID,
    _parse_column,
    _parse_column_coded,
    _typed_coded,
    _typed_column,
    field_parser,
    validate_register,
)

SCHEMA = load_schema()
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
          "完了日", "失注理由"]


def _row(i: int, stage: str = "提案", amount: object = "120万円",
         close: object = "2027/1/31") -> list[object]:
    return [f"D-{i}", f"案件{i}", f"顧客{i}", "佐藤", stage, amount, close, None, None]


def test_validation_leaves_no_reference_cycles():
    """Bad cells of every kind (enum, money, date, a formula's error value): once the
    result is dropped, nothing is left for the garbage collector."""
    rows = [_row(i) for i in range(1, 41)]
    rows[3][4] = "?"  # stage
    rows[5][5] = "abc"  # amount
    rows[7][6] = "2026/2/30"  # impossible date
    rows[9][6] = "3/31"  # no year
    rows[11][0] = "#REF!"  # an ID that is a formula's error
    grid = Grid("案件一覧", [HEADER, *rows])
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = validate_register(grid, SCHEMA, as_of=dt.date(2026, 12, 4))
        assert len(result.report.errors) == 5
        del result
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_one_bad_value_in_many_rows_is_one_issue_per_cell():
    """``abc`` typed in 見込金額 (column F) of rows 3, 5 and 9 is read once: three
    errors, each at its own cell, with the same message; the rows between are fine."""
    rows = [_row(i) for i in range(1, 10)]
    for i in (1, 3, 7):
        rows[i][5] = "abc"
    rows[5][5] = " abc "  # another raw value: its own reading, the same error
    grid = Grid("案件一覧", [HEADER, *rows])
    report = validate_register(grid, SCHEMA, as_of=dt.date(2026, 12, 4)).report
    errors = report.errors
    assert [(e.cell, e.row, e.value, e.code) for e in errors] == [
        ("F3", 3, "abc", "invalid_money"), ("F5", 5, "abc", "invalid_money"),
        ("F7", 7, " abc ", "invalid_money"), ("F9", 9, "abc", "invalid_money")]
    assert len({e.message for e in errors if e.value == "abc"}) == 1
    assert report.excluded_rows == 4


def test_issues_come_in_sheet_order_row_then_column():
    """Errors and warnings of different kinds found by different passes are listed by row,
    then by column, as a manager reads the sheet."""
    rows = [_row(i) for i in range(1, 6)]
    rows[0][6] = "来月"  # G2: invalid date
    rows[0][4] = "?"  # E2: invalid stage
    rows[2][4] = "失注"  # row 4: lost without 完了日 (H4) nor 失注理由 (I4)
    rows[2][6] = None
    rows[3][5] = "-5"  # F5: negative
    rows[4][0] = "D-1"  # A6 duplicates A2
    grid = Grid("案件一覧", [HEADER, *rows])
    issues = validate_register(grid, SCHEMA, as_of=dt.date(2026, 12, 4)).report.issues
    assert [(i.cell, i.code) for i in issues if i.cell] == [
        ("A2", "duplicate_id"), ("E2", "invalid_choice"), ("G2", "invalid_date"),
        ("H4", "required_when"), ("I4", "required_when"), ("F5", "negative_money"),
        ("A6", "duplicate_id")]


# ------------------------------------------------------------- columns as codes

CELLS = st.one_of(
    st.none(), st.sampled_from(["", " ", "提案", "受注", "?", "A", "z", "120万円", "abc",
                                "-5", "R8.3.31", "2026/2/30", "3/31", "80%", "0.8", "=A1"]),
    st.integers(-2, 3), st.sampled_from([0.5, 1.0, 80.0, 1.5]), st.booleans(),
    st.builds(PercentValue, st.sampled_from([0.3, 0.8, 1.0])),
    st.dates(dt.date(1949, 12, 1), dt.date(2027, 1, 31)),
    st.just(Uncalculated("=A1")),
)
CODED_FIELDS = ["stage", "rank", "probability", "amount", "expected_close", "closed_on"]


@settings(max_examples=300)
@given(st.lists(CELLS, max_size=30), st.sampled_from(CODED_FIELDS),
       st.lists(st.booleans(), max_size=30))
def test_a_coded_column_is_its_values(column, name, mask):
    """The codes take the distinct readings back to every cell's reading, the errors are
    the per-value path's, and the frame's column built from the codes is the one built
    from the values, for any rows kept."""
    fld = SCHEMA.field(name)
    parser = field_parser(fld, "ja")
    rows = [[v] for v in column]
    values, failed, coded = _parse_column_coded(rows, 0, parser)
    assert coded is not None
    assert [coded.table[c] for c in coded.codes.tolist()] == values
    # the same objects where it matters (INVALID, None); equal values otherwise — a column
    # whose every value is its own reading is returned as it is, so two equal dates typed
    # in two cells stay two objects
    assert all(a is b if b is INVALID or b is None else (a == b and type(a) is type(b))
               for a, b in zip(np.array(coded.table, dtype=object)[coded.codes], values))
    # the failures grouped by error: each cell once, rows ascending in a group, one error
    # object per distinct raw value
    cells = [(i, type(raw), raw, exc.code) for exc, where, raws in failed
             for i, raw in zip(where, raws)]
    assert all(where == sorted(where) for _, where, _ in failed)
    assert len({id(exc) for exc, _, _ in failed}) == len(failed)
    plain_values, plain_bad = _parse_column(rows, 0, parser)
    assert values == plain_values
    assert sorted(cells) == [(i, type(r), r, e.code) for i, r, e in plain_bad]
    assert [i for i, *_ in plain_bad] == sorted(i for i, *_ in cells)
    assert coded.blank().tolist() == [v is None for v in values]
    assert coded.has_blank() == (None in values)
    # the frame keeps rows without an error only
    chosen = (mask + [True] * len(values))[:len(values)]
    keep = np.array([m and v is not INVALID for m, v in zip(chosen, values)], dtype=bool)
    from_codes = _typed_coded(fld, coded, keep)
    from_values = _typed_column(fld, values, keep.tolist())
    assert pd.Series(from_codes).equals(pd.Series(from_values))
    assert pd.Series(from_codes).dtype == pd.Series(from_values).dtype
    assert pd.Series(_typed_coded(fld, coded.take(keep), None)).equals(pd.Series(from_values))


def test_codes_by_hand():
    """120万円 typed twice and ¥1,200,000 once: two distinct raw values, one reading each;
    the blank and the bad one have their own codes."""
    rows = [["120万円"], [None], ["¥1,200,000"], ["abc"], ["120万円"]]
    rows.append(["abc"])
    values, failed, coded = _parse_column_coded(rows, 0, field_parser(
        SCHEMA.field("amount"), "ja"))
    assert values == [1_200_000, None, 1_200_000, INVALID, 1_200_000, INVALID]
    assert [(exc.code, where, raws) for exc, where, raws in failed] == [
        ("invalid_money", [3, 5], ["abc", "abc"])]
    assert len(coded.table) == 4 and coded.codes[0] == coded.codes[4] != coded.codes[2]
    assert coded.codes[3] == coded.codes[5]
    assert coded.blank().tolist() == [False, True, False, False, False, False]
