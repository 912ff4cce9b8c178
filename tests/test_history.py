"""Change history over a sequence of edited registers, on a real workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.history import (
    _ESCAPES,
    SNAPSHOT_TAB,
    Current,
    Snapshot,
    observe,
    read_snapshot,
    snapshot_tab,
)
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
          "最終接触日", "次回アクション", "次回アクション日", "完了日", "失注理由"]


def deal(deal_id, name="更改", client="(株)A", owner="佐藤", stage="提案", amount="120万円",
         close=dt.date(2026, 12, 20), last=dt.date(2026, 10, 1)):
    return [deal_id, name, client, owner, stage, amount, close, last, "訪問",
            dt.date(2026, 12, 31), None, None]


@pytest.fixture
def book(tmp_path) -> Path:
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", [
        HEADER, deal("D-1"), deal("D-2", owner="鈴木", client="B社"),
        deal("D-3", owner="高橋", client="C社")])])
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    return tmp_path


def edit(book: Path, change) -> None:
    wb = openpyxl.load_workbook(book / "deals.xlsx")
    change(wb["案件一覧"])
    wb.save(book / "deals.xlsx")


def run(book: Path, day: dt.date, dry_run: bool = False) -> pipeline.RunResult:
    config = parse_config("language: ja\n", book / "config.yaml")
    return pipeline.run(config, as_of=day, dry_run=dry_run)


def history(book: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(book / "deals.xlsx")["変更履歴"]
    return [tuple(r) for r in ws.iter_rows(min_row=3, values_only=True)]


def row_of(sheet, deal_id: str) -> int:
    return next(c.row for c in sheet["A"] if c.value == deal_id)


def test_history_over_edits_removals_readds_and_id_changes(book):
    first = run(book, dt.date(2026, 11, 1))
    assert first.changes == [] and history(book) == []  # first sighting is not a change
    assert run(book, dt.date(2026, 11, 5)).changes == []  # no edits, nothing recorded

    def edit_d1(ws):
        r = row_of(ws, "D-1")
        ws.cell(r, 5).value = "見積提出"
        ws.cell(r, 6).value = "150万円"
        ws.cell(r, 7).value = dt.date(2027, 1, 31)  # pushed back
    edit(book, edit_d1)
    third = run(book, dt.date(2026, 11, 10))
    day3 = dt.datetime(2026, 11, 10)
    assert history(book) == [  # a rep's edit: no fix kind (the last column)
        (day3, "D-1", "フェーズ", "提案", "見積提出", "佐藤", None),
        (day3, "D-1", "見込金額", "¥1,200,000", "¥1,500,000", "佐藤", None),
        (day3, "D-1", "受注予定日", "2026/12/20", "2027/01/31", "佐藤", None),
    ]
    assert len(third.changes) == 3

    edit(book, lambda ws: ws.delete_rows(row_of(ws, "D-2")))
    run(book, dt.date(2026, 11, 12))
    assert history(book)[0] == (dt.datetime(2026, 11, 12), "D-2", "（削除）", "更改", None, "鈴木",
                                None)
    assert run(book, dt.date(2026, 11, 15)).changes == []  # a removal is recorded once

    edit(book, lambda ws: ws.append(deal("D-2", owner="鈴木", client="B社")))
    assert run(book, dt.date(2026, 11, 16)).changes == []  # back again: a first sighting

    edit(book, lambda ws: setattr(ws.cell(row_of(ws, "D-3"), 1), "value", "D-3X"))
    result = run(book, dt.date(2026, 11, 20))
    assert [(c.deal_id, c.field) for c in result.changes] == [("D-3", None)]
    assert len(history(book)) == 5
    snapshot = read_snapshot(Grid(SNAPSHOT_TAB, [list(r) for r in openpyxl.load_workbook(
        book / "deals.xlsx")[SNAPSHOT_TAB].iter_rows(values_only=True)]))
    assert set(snapshot.entries) == {"D-1", "D-2", "D-3X"}
    assert snapshot.entries["D-3X"].first_seen == dt.date(2026, 11, 20)
    assert snapshot.entries["D-1"].last_changed == dt.date(2026, 11, 10)
    assert snapshot.entries["D-1"].close_pushes == 1

    # the observed change counts as an update: D-1 was last touched by a rep on 10-01,
    # but sheetsync saw it change on 11-10
    stale = {r["deal_id"]: r for r in result.to_json()["stale"]}
    assert "D-1" not in stale or stale["D-1"]["days_since_update"] == 10
    late = run(book, dt.date(2026, 12, 1), dry_run=True).to_json()["stale"]
    d1 = next(r for r in late if r["deal_id"] == "D-1")
    assert d1["days_since_update"] == 21 and "no_update" in d1["reasons"]
    assert d1["days_in_stage"] == 21 and d1["close_pushes"] == 1
    d2 = next(r for r in late if r["deal_id"] == "D-2")
    assert d2["close_pushes"] == 0


def test_dry_run_never_writes_the_snapshot(book):
    run(book, dt.date(2026, 11, 1))
    edit(book, lambda ws: setattr(ws.cell(row_of(ws, "D-1"), 6), "value", "200万円"))
    before = (book / "deals.xlsx").read_bytes()
    dry = run(book, dt.date(2026, 11, 3), dry_run=True)
    assert [c.field for c in dry.changes] == ["amount"]  # seen, but not kept
    assert (book / "deals.xlsx").read_bytes() == before
    real = run(book, dt.date(2026, 11, 4))
    assert [(c.field, c.observed_at) for c in real.changes] == [("amount", dt.date(2026, 11, 4))]


def test_retention_caps_rows(book):
    (book / "config.yaml").write_text("history: {retention_rows: 2}\n", encoding="utf-8")
    config = parse_config((book / "config.yaml").read_text(), book / "config.yaml")
    pipeline.run(config, as_of=dt.date(2026, 11, 1))
    for i, amount in enumerate(["130万円", "140万円", "150万円"], start=2):
        edit(book, lambda ws, a=amount: setattr(ws.cell(row_of(ws, "D-1"), 6), "value", a))
        pipeline.run(config, as_of=dt.date(2026, 11, i))
    rows = history(book)
    assert [r[4] for r in rows] == ["¥1,500,000", "¥1,400,000"]  # newest first, capped at 2


def test_snapshot_round_trips_through_its_tab():
    tricky = "改行\nと\tタブと\\バックスラッシュ"
    current = Current(("deal_id", "amount", "notes"),
                      {"D-1": "\t".join(["D-1", "1200000", tricky.translate(_ESCAPES)])})
    assert current.values("D-1")["notes"] == tricky
    obs = observe(Snapshot(), current, observed_at=dt.date(2026, 11, 1))
    tab = snapshot_tab(obs.snapshot)
    assert tab.hidden
    grid = Grid(tab.name, [[tab.note], [c.header for c in tab.columns], *tab.rows])
    again = read_snapshot(grid)
    assert again.entries == obs.snapshot.entries and again.fields == current.fields
    # nothing changed: the next observation records nothing and keeps the entry
    assert observe(again, current, observed_at=dt.date(2026, 11, 2)).changes == []


def test_a_snapshot_cell_stays_far_below_googles_cell_limit():
    from sheetsync.history import current_values
    from sheetsync.schema import load_schema
    from sheetsync.validate import validate_register

    huge = "改行\n" * 20_000  # 60,000 characters, every other one needing an escape
    header = [f.label.ja for f in load_schema().fields]
    row = [huge] * len(header)
    row[0] = "D-1"
    result = validate_register(Grid("案件一覧", [header, row]), load_schema())
    current = current_values(result, Grid("案件一覧", [header, row]), load_schema())
    signature = current.signatures["D-1"]
    assert len(signature) < 11_000  # Google allows 50,000 characters per cell
    again = current.values("D-1")["notes"]
    assert again.startswith("改行\n改行") and "#" in again  # shortened, with a fingerprint
