"""パイプライン増減 over backdated runs on real registers (issue 13 #2): every bucket, the
identity, the deal list and the "history too short" cases, computed by hand from the edits
made between the runs; the same on the workbook and on Google (the emulator), whatever the
order of the register's rows."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.reports.pipeline_changes import BUCKETS, INFLOWS
from sheetsync.rewind import REMOVED_TAB
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日", "完了日",
          "失注理由", "次回アクション日"]
Rows = list[list[Any]]


def deal(deal_id: str, owner: str, stage: str, amount: Any, close: D | None, *,
         closed: D | None = None, reason: str | None = None, review: D | None = None
         ) -> list[Any]:
    return [deal_id, f"{deal_id}更改", f"{deal_id}社", owner, stage, amount, close, closed,
            reason, review]


def edit(rows: Rows, which: str, /, **cells: Any) -> Rows:
    """``rows`` with the named cells of one deal changed (``deal_id=…`` renames it)."""
    names = {"deal_id": "案件ID", "owner": "担当者", "stage": "フェーズ", "amount": "見込金額",
             "close": "受注予定日", "closed": "完了日", "reason": "失注理由",
             "review": "次回アクション日"}
    out = [list(r) for r in rows]
    row = next(r for r in out if r[0] == which)
    for key, value in cells.items():
        row[HEADER.index(names[key])] = value
    return out


def drop(rows: Rows, deal_id: str) -> Rows:
    return [list(r) for r in rows if r[0] != deal_id]


#: (as-of day, the reps' edit before that day's run)
Step = tuple[D, Callable[[Rows], Rows]]


def run_steps(steps: Sequence[Step], start: Rows, run: Callable[[D, Rows], dict[str, Any]],
              ) -> list[dict[str, Any]]:
    rows, outputs = start, []
    for day, change in steps:
        rows = change(rows)
        outputs.append(run(day, rows))
    return outputs


def workbook_runner(folder: Path, config: str = "language: ja\n", *,
                    shuffle: random.Random | None = None) -> Callable[[D, Rows], dict[str, Any]]:
    path = folder / "deals.xlsx"
    cfg = parse_config(config, folder / "config.yaml")

    def run(day: D, rows: Rows) -> dict[str, Any]:
        rows = [list(r) for r in rows]
        if shuffle is not None:
            shuffle.shuffle(rows)
        grid = Grid("案件一覧", [HEADER, *rows])
        if not path.exists():
            write_grids(path, [grid])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            current = WorkbookBackend(path).read().grids
            write_grids(path, [grid, *[g for n, g in current.items() if n != "案件一覧"]])
        return pipeline.run(cfg, as_of=day).to_json()

    return run


def google_runner(emulator: Emulator, key_file: Path, folder: Path
                  ) -> Callable[[D, Rows], dict[str, Any]]:
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    state: dict[str, Any] = {}

    def run(day: D, rows: Rows) -> dict[str, Any]:
        grid = [HEADER, *rows]
        if not state:
            state["sid"] = sid = load_grids(emulator, {"案件一覧": grid})
            state["config"] = parse_config(
                f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
                f"endpoint: '{emulator.base_url}'}}\nlanguage: ja\n", folder / "config.yaml")
        else:
            sheet = next(s["properties"]["sheetId"]
                         for s in emulator.get_spreadsheet(state["sid"])["sheets"]
                         if s["properties"]["title"] == "案件一覧")
            width = len(HEADER)
            emulator.batch_update(state["sid"], [{"updateCells": {
                "range": {"sheetId": sheet},
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                "rows": [{"values": [cell_data(v) for v in [*r, *[None] * (width - len(r))]]}
                         for r in [*grid, [], []]]}}])  # blank rows clear a removed deal's
        out = pipeline.run(state["config"], as_of=day).to_json()
        out["tab"] = GoogleBackend.from_config(state["config"]).read(
            ["パイプライン増減"]).grids["パイプライン増減"].rows[1:]
        return out

    return run


def rows_of(out: dict[str, Any]) -> dict[str | None, dict[str, int]]:
    """``pipeline_changes`` rows by owner (None: the team), without the zero buckets."""
    return {r["owner"]: {k: v for k, v in r.items() if k not in ("owner", "period") and v}
            for r in out["pipeline_changes"]["rows"]}


def assert_adds_up(out: dict[str, Any]) -> None:
    """The identity on every row, and each row's bucket = the sum of its deals'."""
    pc = out["pipeline_changes"]
    for row in pc["rows"]:
        flows = sum(row[b] if b in INFLOWS else -row[b] for b in BUCKETS)
        assert row["start"] + flows == row["end"], row
        for b in BUCKETS:
            mine = [d["amount"] for d in pc["deals"]
                    if d["bucket"] == b and (row["owner"] is None or d["owner"] == row["owner"])]
            assert sum(mine) == row[b], (row["owner"], b)


# -- the main history: one edit of each kind -----------------------------------------------------

M = 1_000_000
START: Rows = [
    deal("D-01", "佐藤", "交渉", 1 * M, D(2026, 12, 10)),  # pushed within Q3, then out of it
    deal("D-02", "佐藤", "提案", 2 * M, D(2027, 2, 10)),  # Q4, pulled into Q3
    deal("D-03", "鈴木", "見積提出", 3 * M, D(2026, 12, 15)),  # raised
    deal("D-04", "鈴木", "交渉", 4 * M, D(2026, 12, 10)),  # cut
    deal("D-05", "佐藤", "交渉", 5 * M, D(2026, 12, 5)),  # won
    deal("D-06", "鈴木", "提案", 600_000, D(2026, 12, 28)),  # lost
    deal("D-07", "佐藤", "リード", 700_000, D(2026, 12, 18)),  # deleted
    deal("D-09", "佐藤", "提案", 900_000, D(2026, 12, 12)),  # untouched
    deal("D-10", "鈴木", "提案", 1_100_000, D(2027, 1, 20)),  # untouched, Q4
    deal("D-11", "佐藤", "交渉", 1 * M, D(2026, 12, 11)),  # raised before the last window
]
STEPS: list[Step] = [
    (D(2026, 11, 20), lambda r: r),  # the first run: first sightings only
    (D(2026, 11, 25), lambda r: edit(edit(r, "D-01", close=D(2026, 12, 20)),
                                     "D-11", amount=1_200_000)),
    (D(2026, 12, 1), lambda r: [
        *edit(edit(edit(r, "D-01", close=D(2027, 1, 15)), "D-03", amount=3_500_000),
              "D-06", stage="失注", closed=D(2026, 11, 30), reason="価格"),
        deal("D-08", "鈴木", "提案", 800_000, D(2026, 12, 22))]),
    (D(2026, 12, 4), lambda r: drop(edit(edit(edit(
        r, "D-02", close=D(2026, 12, 25)), "D-04", amount=3 * M),
        "D-05", stage="受注", closed=D(2026, 12, 3)), "D-07")),
    (D(2026, 12, 4), lambda r: r),  # run again the same day, no edit
]


def test_buckets_over_four_runs_on_a_workbook(tmp_path: Path) -> None:
    outs = run_steps(STEPS, START, workbook_runner(tmp_path))
    for out in outs:
        assert_adds_up(out)
        assert out["pipeline_changes"]["rows"][0]["period"] == "FY2026-Q3"
    first, second, third, fourth, again = (o["pipeline_changes"] for o in outs)

    # 11-20, the first run: nothing known before today — the window is the day itself
    assert (first["from"], first["to"]) == ("2026-11-20", "2026-11-20")
    # Q3's open pipeline: D-01 1.0 + D-03 3.0 + D-04 4.0 + D-05 5.0 + D-06 0.6 + D-07 0.7
    # + D-09 0.9 + D-11 1.0 = 16.2 M (D-02 and D-10 are in Q4)
    assert rows_of(outs[0]) == {None: {"start": 16_200_000, "end": 16_200_000},
                                "佐藤": {"start": 8_600_000, "end": 8_600_000},
                                "鈴木": {"start": 7_600_000, "end": 7_600_000}}

    # 11-25: 7 days back is 11-18, before the first run: the window starts on 11-20. D-01's
    # date moved within Q3 (no bucket); D-11 went 1.0 → 1.2 M
    assert (second["from"], second["to"]) == ("2026-11-20", "2026-11-25")
    assert rows_of(outs[1])[None] == {"start": 16_200_000, "increased": 200_000,
                                      "end": 16_400_000}

    # 12-01, window 11-24 → 12-01 (the register on 11-24 is the first run's): D-01 slipped to
    # Q4 (1.0), D-11 +0.2 and D-03 +0.5, D-06 lost (0.6), D-08 new (0.8)
    assert (third["from"], third["to"]) == ("2026-11-24", "2026-12-01")
    assert rows_of(outs[2]) == {
        None: {"start": 16_200_000, "new": 800_000, "increased": 700_000,
               "slipped": 1_000_000, "lost": 600_000, "end": 16_100_000},
        "佐藤": {"start": 8_600_000, "increased": 200_000, "slipped": 1_000_000,
                "end": 7_800_000},
        "鈴木": {"start": 7_600_000, "new": 800_000, "increased": 500_000, "lost": 600_000,
                "end": 8_300_000},
    }

    # 12-04, window 11-27 → 12-04: the register on 11-27 is the 11-25 run's (D-11 at 1.2 M,
    # D-01 on 12-20: start 16.4 M). Since: D-01 slipped, D-03 +0.5, D-06 lost, D-08 new
    # (12-01); D-02 pulled in (2.0), D-04 −1.0, D-05 won (5.0), D-07 deleted (0.7) (12-04).
    # 16.4 + 0.8 + 2.0 + 0.5 − 1.0 − 1.0 − 5.0 − 0.6 − 0.7 = 11.4 M = D-02 2.0 + D-03 3.5
    # + D-04 3.0 + D-08 0.8 + D-09 0.9 + D-11 1.2
    assert (fourth["from"], fourth["to"]) == ("2026-11-27", "2026-12-04")
    assert rows_of(outs[3]) == {
        None: {"start": 16_400_000, "new": 800_000, "pulled_in": 2_000_000,
               "increased": 500_000, "decreased": 1_000_000, "slipped": 1_000_000,
               "won": 5_000_000, "lost": 600_000, "removed": 700_000, "end": 11_400_000},
        "佐藤": {"start": 8_800_000, "pulled_in": 2_000_000, "slipped": 1_000_000,
                "won": 5_000_000, "removed": 700_000, "end": 4_100_000},
        "鈴木": {"start": 7_600_000, "new": 800_000, "increased": 500_000,
                "decreased": 1_000_000, "lost": 600_000, "end": 7_300_000},
    }
    # end is 売上予測's pipeline of the period now, for the team and each rep
    pipeline_now = {r["owner"]: r["pipeline"] for r in outs[3]["forecast"]
                    if r["period"] == "FY2026-Q3"}
    assert {o: r["end"] for o, r in rows_of(outs[3]).items()} == pipeline_now

    # the deal list: slips first, then lost, removed, decreased, won, pulled in, new, raised
    listed = [(d["deal_id"], d["bucket"], d["amount"]) for d in fourth["deals"]]
    assert listed == [("D-01", "slipped", 1_000_000), ("D-06", "lost", 600_000),
                      ("D-07", "removed", 700_000), ("D-04", "decreased", 1_000_000),
                      ("D-05", "won", 5_000_000), ("D-02", "pulled_in", 2_000_000),
                      ("D-08", "new", 800_000), ("D-03", "increased", 500_000)]
    by_id = {d["deal_id"]: d for d in fourth["deals"]}
    assert by_id["D-01"] == {
        "deal_id": "D-01", "deal_name": "D-01更改", "client": "D-01社", "owner": "佐藤",
        "bucket": "slipped", "amount": 1_000_000, "amount_before": 1_000_000,
        "amount_after": 1_000_000, "expected_close_before": "2026-12-20",
        "expected_close_after": "2027-01-15", "stage_before": "negotiation",
        "stage_after": "negotiation", "pushes": 2}  # pushed on 11-25 and on 12-01
    assert (by_id["D-07"]["amount_before"], by_id["D-07"]["amount_after"],
            by_id["D-07"]["stage_before"], by_id["D-07"]["stage_after"]) == (
        700_000, None, "lead", None)
    assert (by_id["D-08"]["amount_before"], by_id["D-08"]["expected_close_before"]) == (None,
                                                                                         None)
    assert (by_id["D-05"]["stage_before"], by_id["D-05"]["stage_after"]) == ("negotiation",
                                                                             "won")
    # the same day again, without an edit: the same figures (D-07's values now come from the
    # removed deals' tab, its removal from 変更履歴)
    assert again == fourth

    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    removed = list(wb[REMOVED_TAB].iter_rows(min_row=3, values_only=True))
    assert [r[:4] for r in removed] == [("D-07", "2026-12-04T00:00", "2026-11-20", 0)]
    assert wb[REMOVED_TAB].sheet_state == "hidden"


def test_the_tab_a_manager_reads(tmp_path: Path) -> None:
    run_steps(STEPS[:4], START, workbook_runner(tmp_path))
    ws = openpyxl.load_workbook(tmp_path / "deals.xlsx")["パイプライン増減"]
    rows = list(ws.iter_rows(values_only=True))
    assert "パイプライン増減 FY2026-Q3: 2026/11/27 → 2026/12/04（7日間）" in rows[0][0]
    header = list(rows[1])
    assert header[:4] == ["区分", "チーム合計", "佐藤", "鈴木"]
    gap = header.index(None)
    assert header[gap + 1:gap + 4] == ["増減区分", "担当者", "増減額"]
    # the waterfall, top to bottom: outflows negative, the team first
    bridge = [r[:4] for r in rows[2:12]]
    assert bridge == [
        ("開始 11/27", 16_400_000, 8_800_000, 7_600_000),
        ("新規", 800_000, 0, 800_000),
        ("前倒し", 2_000_000, 2_000_000, 0),
        ("増額", 500_000, 0, 500_000),
        ("減額", -1_000_000, 0, -1_000_000),
        ("期ズレ", -1_000_000, -1_000_000, 0),
        ("受注", -5_000_000, -5_000_000, 0),
        ("失注", -600_000, 0, -600_000),
        ("削除・除外", -700_000, -700_000, 0),
        ("終了 12/04", 11_400_000, 4_100_000, 7_300_000),
    ]
    assert ws.cell(3, 2).number_format == '¥#,##0;"▲¥"#,##0;"-"'
    first = rows[2][gap + 1:]
    assert first[:4] == ("期ズレ", "佐藤", -1_000_000, "D-01")
    assert first[6:] == ("交渉", "交渉", 1_000_000, 1_000_000, dt.datetime(2026, 12, 20),
                         dt.datetime(2027, 1, 15), 2)
    assert ws.cell(3, gap + 5).hyperlink is not None  # D-01 opens its register row
    assert ws._charts  # the team's waterfall as a column chart, under the table


# -- combined cases -------------------------------------------------------------------------------

COMBINED_START: Rows = [
    deal("C-01", "佐藤", "交渉", 1 * M, D(2026, 12, 15)),  # raised and slipped at once
    deal("C-02", "佐藤", "提案", 2 * M, D(2026, 12, 20)),  # moved out, then back
    deal("C-03", "鈴木", "提案", 3 * M, D(2026, 12, 18)),  # 保留, then back
    deal("C-04", "鈴木", "交渉", 4 * M, D(2026, 12, 10)),  # handed over to 佐藤
    deal("C-05", "佐藤", "見積提出", 500_000, D(2026, 12, 12)),  # amount made unreadable
    deal("C-06", "鈴木", "提案", 600_000, D(2026, 12, 14)),  # 案件ID changed
    deal("C-08", "佐藤", "提案", 800_000, D(2027, 1, 15)),  # Q4, won early in Q3
    deal("C-09", "鈴木", "リード", 900_000, D(2026, 12, 5)),  # amount cleared
    deal("C-10", "鈴木", "リード", None, D(2026, 12, 9)),  # amount filled in
    deal("C-11", "佐藤", "交渉", 1 * M, D(2026, 12, 16)),  # raised twice in the window
]
COMBINED: list[Step] = [
    (D(2026, 11, 20), lambda r: r),
    (D(2026, 12, 1), lambda r: [
        *edit(edit(edit(edit(edit(edit(
            r, "C-01", amount=1_500_000, close=D(2027, 1, 20)),
            "C-02", close=D(2027, 1, 10)),
            "C-03", stage="保留", review=D(2026, 12, 15)),
            "C-04", owner="佐藤"),
            "C-09", amount=None),
            "C-11", amount=1_200_000),
        deal("C-07", "佐藤", "交渉", 700_000, D(2026, 12, 20))]),  # new, won on 12-04
    (D(2026, 12, 4), lambda r: edit(edit(edit(edit(edit(edit(edit(edit(
        r, "C-02", close=D(2026, 12, 22)),
        "C-03", stage="提案"),
        "C-05", amount="abc"),
        "C-06", deal_id="C-06B"),
        "C-07", stage="受注", closed=D(2026, 12, 3)),
        "C-08", stage="受注", closed=D(2026, 12, 4)),
        "C-10", amount=1_100_000),
        "C-11", amount=1_500_000)),
]


def test_combined_cases(tmp_path: Path) -> None:
    out = run_steps(COMBINED, COMBINED_START, workbook_runner(tmp_path))[-1]
    assert_adds_up(out)
    pc = out["pipeline_changes"]
    assert (pc["from"], pc["to"]) == ("2026-11-27", "2026-12-04")
    # start (the first run's register): C-01 1.0 + C-02 2.0 + C-03 3.0 + C-04 4.0 + C-05 0.5
    # + C-06 0.6 + C-09 0.9 + C-11 1.0 (+ C-10 blank: ¥0) = 13.0 M; end: C-02 2.0 + C-03 3.0
    # + C-04 4.0 + C-06B 0.6 + C-10 1.1 + C-11 1.5 (+ C-09 blank) = 12.2 M
    assert rows_of(out) == {
        None: {"start": 13 * M, "new": 1_300_000, "pulled_in": 800_000,
               "increased": 1_600_000, "decreased": 900_000, "slipped": 1 * M,
               "won": 1_500_000, "removed": 1_100_000, "end": 12_200_000},
        # C-04 is 佐藤's now: his start has its 4.0 M, 鈴木's has not
        "佐藤": {"start": 8_500_000, "new": 700_000, "pulled_in": 800_000,
                "increased": 500_000, "slipped": 1 * M, "won": 1_500_000, "removed": 500_000,
                "end": 7_500_000},
        "鈴木": {"start": 4_500_000, "new": 600_000, "increased": 1_100_000,
                "decreased": 900_000, "removed": 600_000, "end": 4_700_000},
    }
    listed = {(d["deal_id"], d["bucket"]): d for d in pc["deals"]}
    assert sorted(listed) == sorted([
        ("C-01", "slipped"),  # leaves with its amount on from; the raise is not counted
        ("C-05", "removed"),  # its row fails validation now
        ("C-06", "removed"), ("C-06B", "new"),  # a changed 案件ID
        ("C-07", "new"), ("C-07", "won"),  # entered and won in the window
        ("C-08", "pulled_in"), ("C-08", "won"),  # a Q4 deal won in Q3
        ("C-09", "decreased"), ("C-10", "increased"),  # blank counts ¥0
        ("C-11", "increased"),  # 1.0 → 1.2 → 1.5 M: +0.5 M from the amount on from
    ])  # C-02 (out and back), C-03 (保留 and back), C-04 (new owner) moved nothing
    c01 = listed[("C-01", "slipped")]
    assert (c01["amount"], c01["amount_before"], c01["amount_after"]) == (M, M, 1_500_000)
    c05 = listed[("C-05", "removed")]
    assert (c05["amount"], c05["amount_before"], c05["amount_after"], c05["stage_after"]) == (
        500_000, 500_000, None, "quote")  # unreadable: null; the rest of the row still reads
    assert listed[("C-07", "won")]["amount"] == listed[("C-07", "new")]["amount"] == 700_000
    assert listed[("C-11", "increased")]["amount"] == 500_000
    assert [d["deal_id"] for d in pc["deals"]][:3] == ["C-01", "C-06", "C-05"]  # slips first
    # the tab shows what was typed where it could not be read
    ws = openpyxl.load_workbook(tmp_path / "deals.xlsx")["パイプライン増減"]
    header = [c.value for c in ws[2]]
    amount_after = header.index("金額（後）") + 1
    c05_row = next(r for r in range(3, ws.max_row + 1)
                   if ws.cell(r, header.index("案件ID") + 1).value == "C-05")
    assert ws.cell(c05_row, amount_after).value == "abc"


def test_a_window_across_the_start_of_a_month(tmp_path: Path) -> None:
    """With monthly periods a week often starts in the previous month: deals overdue there
    are carried over into this one (pulled in, 繰越) — 売上予測 places them here now."""
    start = [
        deal("M-01", "佐藤", "交渉", 1 * M, D(2026, 11, 28)),  # November's on 11-25
        deal("M-02", "佐藤", "交渉", 2 * M, D(2026, 11, 10)),  # overdue: November's on 11-25
        deal("M-03", "鈴木", "提案", 3 * M, D(2026, 12, 15)),  # December's throughout
        deal("M-04", "鈴木", "提案", 400_000, D(2026, 11, 29)),  # won on 11-30: November's
        deal("M-05", "鈴木", "提案", 500_000, D(2026, 11, 27)),  # won on 12-01: December's
    ]
    steps: list[Step] = [
        (D(2026, 11, 20), lambda r: r),
        (D(2026, 12, 2), lambda r: edit(edit(r, "M-04", stage="受注", closed=D(2026, 11, 30)),
                                        "M-05", stage="受注", closed=D(2026, 12, 1))),
    ]
    out = run_steps(steps, start, workbook_runner(tmp_path, "forecast: {period: month}\n"))[-1]
    assert_adds_up(out)
    pc = out["pipeline_changes"]
    assert (pc["from"], pc["to"], pc["rows"][0]["period"]) == ("2026-11-25", "2026-12-02",
                                                                "2026-12")
    assert rows_of(out)[None] == {"start": 3 * M, "pulled_in": 3_500_000, "won": 500_000,
                                  "end": 6 * M}
    assert [(d["deal_id"], d["bucket"]) for d in pc["deals"]] == [
        ("M-05", "won"), ("M-02", "pulled_in"), ("M-01", "pulled_in"), ("M-05", "pulled_in")]
    ws = openpyxl.load_workbook(tmp_path / "deals.xlsx")["パイプライン増減"]
    header = [c.value for c in ws[2]]
    col = header.index("増減区分") + 1
    assert [ws.cell(r, col).value for r in range(3, 7)] == [
        "受注", "前倒し（繰越）", "前倒し（繰越）", "前倒し（繰越）"]  # same 受注予定日


# -- history too short -----------------------------------------------------------------------------


def test_retention_days_shortens_the_window(tmp_path: Path) -> None:
    """変更履歴 keeps 3 days: on 12-04 only changes from 12-01 on are sure to be there, so the
    window starts on 11-30 (the register then is the 11-27 run's), not on 11-27."""
    start = [deal("R-01", "佐藤", "提案", 1 * M, D(2026, 12, 20))]
    steps: list[Step] = [
        (D(2026, 11, 20), lambda r: r),
        (D(2026, 11, 27), lambda r: edit(r, "R-01", amount=2 * M)),  # before the window now
        (D(2026, 12, 4), lambda r: edit(r, "R-01", amount=5 * M)),
    ]
    outs = run_steps(steps, start, workbook_runner(tmp_path, "history: {retention_days: 3}\n"))
    pc = outs[-1]["pipeline_changes"]
    assert (pc["from"], pc["to"]) == ("2026-11-30", "2026-12-04")
    assert rows_of(outs[-1])[None] == {"start": 2 * M, "increased": 3 * M, "end": 5 * M}
    note = openpyxl.load_workbook(tmp_path / "deals.xlsx")["パイプライン増減"]["A1"].value
    assert "履歴不足: 変更履歴は2026/11/30からのため" in note


def test_a_removal_without_its_values_shortens_the_window(tmp_path: Path) -> None:
    """A deal removed while its values were not kept (before the removed deals' tab existed —
    here the tab is deleted after the run that saw the removal): the register before that
    day cannot be rebuilt, so the window starts on the day of the removal."""
    start = [deal("X-01", "佐藤", "提案", 1 * M, D(2026, 12, 20)),
             deal("X-02", "鈴木", "提案", 2 * M, D(2026, 12, 21))]
    runner = workbook_runner(tmp_path)
    path = tmp_path / "deals.xlsx"

    def forget_removed(rows: Rows) -> Rows:
        wb = openpyxl.load_workbook(path)
        del wb[REMOVED_TAB]
        wb.save(path)
        return edit(rows, "X-02", amount=3 * M)

    steps: list[Step] = [
        (D(2026, 11, 20), lambda r: r),
        (D(2026, 12, 1), lambda r: drop(r, "X-01")),
        (D(2026, 12, 4), forget_removed),
    ]
    outs = run_steps(steps, start, runner)
    assert outs[1]["pipeline_changes"]["from"] == "2026-11-24"  # values kept: the full week
    assert rows_of(outs[1])[None] == {"start": 3 * M, "removed": 1 * M, "end": 2 * M}
    pc = outs[2]["pipeline_changes"]
    assert (pc["from"], pc["to"]) == ("2026-12-01", "2026-12-04")
    assert rows_of(outs[2])[None] == {"start": 2 * M, "increased": 1 * M, "end": 3 * M}


def test_the_first_run_says_the_history_is_too_short(tmp_path: Path) -> None:
    out = run_steps(STEPS[:1], START, workbook_runner(tmp_path, "language: en\n"))[0]
    assert out["pipeline_changes"]["from"] == out["pipeline_changes"]["to"] == "2026-11-20"
    ws = openpyxl.load_workbook(tmp_path / "deals.xlsx")["Pipeline changes"]
    assert ws["A1"].value.endswith(
        "Pipeline changes FY2026-Q3: 2026/11/20 → 2026/11/20 (0 days) · History too short: "
        "changes are known from 2026/11/20, so this starts there, not on 2026/11/13 "
        "(7 days before)")
    assert [c.value for c in ws[2]][:2] == ["Bucket", "Team"]
    assert [ws.cell(r, 1).value for r in range(3, 13)] == [
        "Start 11/20", "New", "Pulled in", "Increased", "Decreased", "Slipped", "Won", "Lost",
        "Removed", "End 11/20"]


# -- the same whatever the row order, and on Google ---------------------------------------------


def test_the_order_of_the_register_rows_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = run_steps(STEPS[:4], START, workbook_runner(tmp_path / "a"))
    shuffled = run_steps(STEPS[:4], START,
                         workbook_runner(tmp_path / "b", shuffle=random.Random(13)))
    assert [o["pipeline_changes"] for o in plain] == [o["pipeline_changes"] for o in shuffled]


def test_the_same_on_google(emulator: Emulator, service_account_key: Path,
                            tmp_path: Path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    on_workbook = run_steps(STEPS[:4], START, workbook_runner(tmp_path / "wb"))
    on_google = run_steps(STEPS[:4], START,
                          google_runner(emulator, service_account_key, tmp_path / "gs"))
    for wb, gs in zip(on_workbook, on_google, strict=True):
        assert json.dumps(wb["pipeline_changes"]) == json.dumps(gs["pipeline_changes"])
    tab = on_google[-1]["tab"]
    assert tab[0][:4] == ["区分", "チーム合計", "佐藤", "鈴木"]
    assert tab[1][:2] == ["開始 11/27", 16_400_000] and tab[10][:2] == ["終了 12/04", 11_400_000]


@pytest.mark.parametrize("days", [0, 93, "7.5"])
def test_the_window_is_a_bounded_number_of_days(tmp_path: Path, days: object) -> None:
    from sheetsync.errors import ConfigError

    with pytest.raises(ConfigError, match=r"pipeline_changes\.days"):
        parse_config(f"pipeline_changes: {{days: {days}}}\n", tmp_path / "config.yaml")
