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

from sheetsync.grid import Grid
from sheetsync.schema import load_schema
from sheetsync.validate import validate_register

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
