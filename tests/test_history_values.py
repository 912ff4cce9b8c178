"""One function shows every value of 変更履歴 (issue 10 #2, #3): a unit appears once, the
snapshot's marker for an unreadable cell never appears, and a value reads the same whether a
run observed it (from the snapshot) or `fix` wrote it."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.fixes import plan_fixes
from sheetsync.grid import Grid, PercentValue
from sheetsync.history import (
    SNAPSHOT_TAB,
    Change,
    Recorded,
    Unreadable,
    current_values,
    history_tab,
    normalised_text,
    observe,
    read_snapshot,
    show_value,
    stored_value,
)
from sheetsync.schema import load_schema
from sheetsync.validate import INVALID, validate_register

SCHEMA = load_schema()
AS_OF = dt.date(2026, 11, 1)
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注確率", "見込金額",
          "受注予定日", "備考"]


def tab_rows(changes, language="ja", owners_schema=SCHEMA):
    tab = history_tab(None, changes, schema=owners_schema, language=language, note="",
                      as_of=AS_OF)
    return [r[1:] for r in tab.rows]


@pytest.mark.parametrize(("value", "field_type", "text"), [
    ("６０％", "percent", "６０％"),  # text as typed: no second unit
    ("90%", "percent", "90%"),
    (PercentValue(0.6), "percent", "60%"),
    (PercentValue(0.125), "percent", "12.5%"),
    (80, "percent", "80"),  # a plain number cell, as it shows
    ("120万円", "money", "120万円"),
    (1200000, "money", "¥1,200,000"),
    (dt.date(2026, 10, 20), "date", "2026/10/20"),
    (dt.datetime(2026, 10, 20, 9, 30), "date", "2026/10/20 09:30"),
    ("2026/10/20", "date", "2026/10/20"),
    (Unreadable("高橋さん"), "string", "高橋さん"),
    (Unreadable("?abc"), "money", "?abc"),  # typed with a question mark: kept
    ("?要確認", "text", "?要確認"),
    (None, "money", ""),
    (True, None, "TRUE"),
])
def test_show_value(value, field_type, text) -> None:
    assert show_value(value, field_type) == text


def test_fix_rows_show_the_cell_as_typed_and_as_written() -> None:
    grid = Grid("案件一覧", [HEADER, ["D-1", "a", "A社", "高橋さん", "受注 ", "６０％", "120万円",
                                     "2026/10/20", None],
                            ["D-2", "b", "B社", "佐藤", "提案", "90%", "1,000,000", None, None]])
    result = validate_register(grid, SCHEMA, language="ja", owners=["佐藤"], as_of=AS_OF)
    edits = plan_fixes(result, grid, SCHEMA, language="ja")
    owners = {1: Unreadable("高橋さん"), 2: "佐藤"}
    rows = tab_rows([Recorded(dt.datetime(2026, 11, 1, 9), f"D-{e.row - 1}", e.field,
                              e.old, e.new, owners[e.row - 1], e.kind("ja")) for e in edits])
    assert rows == [
        ["D-1", "フェーズ", "受注 ", "受注", "高橋さん", "空白除去"],
        ["D-1", "受注確率", "６０％", "60%", "高橋さん", "全角→半角・文字列→パーセント"],
        ["D-1", "見込金額", "120万円", "¥1,200,000", "高橋さん", "単位換算"],
        ["D-1", "受注予定日", "2026/10/20", "2026/10/20", "高橋さん", "文字列→日付"],
        ["D-2", "受注確率", "90%", "90%", "佐藤", "文字列→パーセント"],
        ["D-2", "見込金額", "1,000,000", "¥1,000,000", "佐藤", "文字列→数値"],
    ]
    # what a preview shows is what 変更履歴 shows
    assert [list(e.describe()) for e in edits] == [r[2:4] for r in rows]


def test_a_run_never_shows_the_unreadable_marker() -> None:
    at = dt.date(2026, 11, 2)
    owner = SCHEMA.field("owner")
    assert normalised_text(INVALID, "高橋さん") == "?高橋さん"  # the snapshot keeps its format
    changes = [
        Change(at, "D-1", "stage", "proposal", "won", "?高橋さん"),
        Change(at, "D-1", "amount", "?abc", "1200000", "?高橋さん"),
        Change(at, "D-1", "owner", "?高橋さん", "佐藤", "佐藤"),
        Change(at, "D-1", "notes", "?要確認", "?確認済", "佐藤"),  # a rep's own "?"
        Change(at, "D-2", None, "更改", "", "?高橋さん"),  # removed
    ]
    assert tab_rows(changes) == [
        ["D-1", "フェーズ", "提案", "受注", "高橋さん", None],
        ["D-1", "見込金額", "abc", "¥1,200,000", "高橋さん", None],
        ["D-1", "担当者", "高橋さん", "佐藤", "佐藤", None],
        ["D-1", "備考", "?要確認", "?確認済", "佐藤", None],
        ["D-2", "（削除）", "更改", "", "高橋さん", None],
    ]
    assert tab_rows(changes[:1], "en")[0] == ["D-1", "Stage", "Proposal", "Won", "高橋さん",
                                              None]
    assert stored_value("?高橋さん", owner, "ja") == Unreadable("高橋さん")


@pytest.mark.parametrize(("column", "raw"), [
    ("受注確率", "６０％"), ("受注確率", "90%"), ("受注確率", 80), ("見込金額", "120万円"),
    ("見込金額", "1,000,000"), ("受注予定日", "2026/10/20"), ("受注予定日", 46315),
    ("受注予定日", "令和8年10月20日"), ("受注予定日", dt.datetime(2026, 10, 20, 9, 30)),
    ("フェーズ", "受注 "), ("フェーズ", "Won"), ("確度", "Ａ"), ("備考", "  メモ "),
])
def test_a_value_reads_the_same_from_the_snapshot_as_fix_writes_it(column, raw) -> None:
    """A run shows a value from the snapshot's text; fix shows the cell it writes. The two
    agree, so 変更履歴 reads the same whichever recorded the change."""
    header = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率",
              "見込金額", "受注予定日", "備考"]
    row: list = ["D-1", "a", "A社", "佐藤", "提案", "B", PercentValue(0.5), 100, None, None]
    row[header.index(column)] = raw
    grid = Grid("案件一覧", [header, row])
    result = validate_register(grid, SCHEMA, language="ja", as_of=AS_OF)
    (edit,) = plan_fixes(result, grid, SCHEMA, language="ja")
    text = current_values(result, grid, SCHEMA).values("D-1")[edit.field]
    fld = SCHEMA.field(edit.field)
    assert show_value(stored_value(text, fld, "ja"), fld.type) == edit.describe()[1]


def test_old_snapshots_are_read_as_before() -> None:
    """A snapshot written before this change (same format): read, compared, shown."""
    fields = ",".join(f.name for f in SCHEMA.fields)
    values = "\t".join({"deal_id": "D-1", "owner": "?高橋さん", "stage": "proposal",
                        "probability": "60", "amount": "1200000",
                        "expected_close": "2026-10-20"}.get(f.name, "") for f in SCHEMA.fields)
    grid = Grid(SNAPSHOT_TAB, [
        ["sheetsync-snapshot v1 — written by sheetsync; do not edit"],
        ["deal_id", "fingerprint", "first_seen", "last_changed", "stage_since",
         "close_pushes", "values:" + fields],
        ["D-1", "0123456789abcdef", "2026-10-01", None, "2026-10-01", 0, values],
    ])
    snapshot = read_snapshot(grid)
    register = Grid("案件一覧", [HEADER, ["D-1", None, None, "高橋さん", "提案", "６０％",
                                         "120万円", "2026/10/20", None]])
    result = validate_register(register, SCHEMA, language="ja", owners=["佐藤"], as_of=AS_OF)
    current = current_values(result, register, SCHEMA)
    assert observe(snapshot, current, observed_at=AS_OF).changes == []  # nothing changed
    register.rows[1][4] = "受注"
    result = validate_register(register, SCHEMA, language="ja", owners=["佐藤"], as_of=AS_OF)
    changes = observe(snapshot, current_values(result, register, SCHEMA),
                      observed_at=AS_OF).changes
    assert tab_rows(changes) == [["D-1", "フェーズ", "提案", "受注", "高橋さん", None]]
    assert tab_rows([Change(AS_OF, "D-1", "probability", "60", "80", "?高橋さん")]) == [
        ["D-1", "受注確率", "60%", "80%", "高橋さん", None]]
