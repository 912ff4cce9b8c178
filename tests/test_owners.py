"""担当者サマリー (Rep summary): a hand-computed register, the property that it agrees with the
other tabs, its tab, and the same JSON on both backends with close dates pushed between runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.issues import Issue, Severity
from sheetsync.metrics import MetricsSettings, make_deals, make_targets
from sheetsync.reports import ReportInput, TabContext
from sheetsync.reports.followup import REASONS, active_reasons, compute_stale
from sheetsync.reports.forecast import compute_forecast, forecast_periods, forecast_rows
from sheetsync.reports.owners import (
    OWNERS_KEYS,
    compute_owners,
    open_stages,
    owners_rows,
    owners_tab,
)
from sheetsync.tabspec import FilterLink, Link
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids
from sheetsync.textnorm import match_key

D = dt.date
AS_OF = D(2026, 12, 4)
S = MetricsSettings.default(AS_OF)
#: the follow-up reasons the summary counts by default (an optional one is off)
IN_USE = active_reasons(S)


def _issue(row: int | None, severity: Severity = Severity.ERROR) -> Issue:
    return Issue("invalid_date", "…", "案件一覧", cell=f"H{row}" if row else None, row=row,
                 severity=severity)


# -- hand-computed --------------------------------------------------------------------------

HAND_DEALS = make_deals([
    # 佐藤: commit deal, action in 4 days, 受注予定日 pushed 4 days ago
    {"deal_id": "D1", "owner": "佐藤", "stage": "negotiation", "amount": 1_000_000,
     "expected_close": "2026-12-20", "last_activity": "2026-12-01", "next_action": "電話",
     "next_action_date": "2026-12-08", "last_close_push": "2026-11-30", "_row": 2},
    # 佐藤: overdue (in the current quarter), pushed 8 days ago (outside the 7 days)
    {"deal_id": "D2", "owner": "佐藤", "stage": "proposal", "amount": 2_000_000,
     "expected_close": "2026-11-15", "last_activity": "2026-12-03", "next_action": "見積",
     "next_action_date": "2026-12-10", "last_close_push": "2026-11-26", "_row": 3},
    # 鈴木: untouched for 64 days, no next action, no amount, next quarter
    {"deal_id": "D3", "owner": "鈴木", "stage": "lead", "expected_close": "2027-02-10",
     "last_activity": "2026-10-01", "_row": 4},
    {"deal_id": "D4", "owner": "鈴木", "stage": "won", "amount": 500_000,
     "closed_on": "2026-11-01", "_row": 5},
    {"deal_id": "D5", "owner": "佐藤", "stage": "lost", "amount": 300_000,
     "closed_on": "2026-11-20", "_row": 6},
    # 鈴木: on hold, its review date passed
    {"deal_id": "D6", "owner": "鈴木", "stage": "on_hold", "amount": 700_000,
     "expected_close": "2027-01-31", "last_activity": "2026-12-02", "next_action": "再提案",
     "next_action_date": "2026-12-01", "_row": 7},
    # 高橋: Aヨミ (rank A = 80 %), its action exactly 7 days ahead
    {"deal_id": "D7", "owner": "高橋", "stage": "quote", "rank": "A", "amount": 400_000,
     "expected_close": "2026-12-25", "last_activity": "2026-12-04", "next_action": "訪問",
     "next_action_date": "2026-12-11", "_row": 8},
])
HAND_TARGETS = make_targets([{"period": "FY2026-Q3", "owner": "佐藤", "target": 3_000_000},
                             {"period": "FY2026-Q3", "owner": None, "target": 5_000_000}])
HAND_ROW_OWNERS = {2: "佐藤", 3: "佐藤", 4: "鈴木", 5: "鈴木", 6: "佐藤", 7: "鈴木", 8: "高橋",
                   9: "佐藤\u3000", 10: " 鈴木", 11: "田中"}
HAND_ISSUES = [_issue(9), _issue(9), _issue(10), _issue(10, Severity.WARNING), _issue(11),
               _issue(None), _issue(12)]  # tab-level and blank-owner errors are nobody's


def _zero_stages(**given: tuple[int, int]) -> dict[str, dict[str, int]]:
    out = {s: {"count": 0, "amount": 0} for s in open_stages(S)}
    for stage, (count, amount) in given.items():
        out[stage] = {"count": count, "amount": amount}
    return out


def _reasons(**given: int) -> dict[str, int]:
    return {r: given.get(r, 0) for r in IN_USE}


def test_hand_computed_summary() -> None:
    frame = compute_owners(ReportInput(HAND_DEALS, S, HAND_TARGETS, HAND_ISSUES,
                                       HAND_ROW_OWNERS))
    rows = owners_rows(frame)
    # the pipeline hands over the tables computed before: the same numbers
    computed = {"forecast": compute_forecast(HAND_DEALS, HAND_TARGETS, S),
                "stale": compute_stale(HAND_DEALS, S)}
    assert owners_rows(compute_owners(ReportInput(
        HAND_DEALS, S, HAND_TARGETS, HAND_ISSUES, HAND_ROW_OWNERS, computed))) == rows
    assert [r["owner"] for r in rows] == [None, "佐藤", "田中", "鈴木", "高橋"]
    assert all(list(r) == list(OWNERS_KEYS) for r in rows)
    team, sato, tanaka, suzuki, takahashi = rows
    assert sato == {
        "owner": "佐藤", "open_count": 2, "open_amount": 3_000_000,
        "open_by_stage": _zero_stages(proposal=(1, 2_000_000), negotiation=(1, 1_000_000)),
        "period": "FY2026-Q3", "target": 3_000_000, "won": 0, "commit_landing": 1_000_000,
        "forecast": 1_600_000,  # 1,000,000 × 80 % + 2,000,000 × 40 %
        "followups": 1, "followups_by_reason": _reasons(overdue_close=1),
        "next_actions_7d": 2, "close_pushed_7d": 1, "input_errors": 2,
    }
    assert suzuki == {
        "owner": "鈴木", "open_count": 2, "open_amount": 700_000,
        "open_by_stage": _zero_stages(lead=(1, 0), on_hold=(1, 700_000)),
        "period": "FY2026-Q3", "target": None, "won": 500_000, "commit_landing": 500_000,
        "forecast": 500_000,
        "followups": 2,
        "followups_by_reason": _reasons(no_update=1, no_next_action=1, hold_review_due=1),
        "next_actions_7d": 0, "close_pushed_7d": 0, "input_errors": 1,
    }
    assert takahashi == {
        "owner": "高橋", "open_count": 1, "open_amount": 400_000,
        "open_by_stage": _zero_stages(quote=(1, 400_000)),
        "period": "FY2026-Q3", "target": None, "won": 0, "commit_landing": 400_000,
        "forecast": 320_000, "followups": 0, "followups_by_reason": _reasons(),
        "next_actions_7d": 1, "close_pushed_7d": 0, "input_errors": 0,
    }
    # a rep who only appears in a row with an error
    assert tanaka == {
        "owner": "田中", "open_count": 0, "open_amount": 0, "open_by_stage": _zero_stages(),
        "period": "FY2026-Q3", "target": None, "won": 0, "commit_landing": 0, "forecast": 0,
        "followups": 0, "followups_by_reason": _reasons(), "next_actions_7d": 0,
        "close_pushed_7d": 0, "input_errors": 1,
    }
    assert team == {
        "owner": None, "open_count": 5, "open_amount": 4_100_000,
        "open_by_stage": _zero_stages(lead=(1, 0), proposal=(1, 2_000_000),
                                      quote=(1, 400_000), negotiation=(1, 1_000_000),
                                      on_hold=(1, 700_000)),
        "period": "FY2026-Q3", "target": 5_000_000,  # the team's own target, not a sum
        "won": 500_000, "commit_landing": 1_900_000, "forecast": 2_420_000,
        "followups": 3,
        "followups_by_reason": _reasons(no_update=1, overdue_close=1, no_next_action=1,
                                        hold_review_due=1),
        "next_actions_7d": 3, "close_pushed_7d": 1, "input_errors": 4,
    }


def test_empty_register_has_a_team_row_of_zeros() -> None:
    rows = owners_rows(compute_owners(ReportInput(make_deals([]), S)))
    assert len(rows) == 1 and rows[0]["owner"] is None and rows[0]["open_count"] == 0
    assert rows[0]["target"] is None and rows[0]["forecast"] == 0
    tab = owners_tab(compute_owners(ReportInput(make_deals([]), S)), TabContext())
    assert len(tab.rows) == 1 and tab.filter_views == ()


# -- the tab --------------------------------------------------------------------------------


def _hand_tab(language: str = "ja", note: str | None = "基準日 2026-12-04"):
    frame = compute_owners(ReportInput(HAND_DEALS, S, HAND_TARGETS, HAND_ISSUES,
                                       HAND_ROW_OWNERS))
    return owners_tab(frame, TabContext(
        language=language, note=note, register_tab="案件一覧",  # type: ignore[arg-type]
        stage_labels={"lead": "リード", "negotiation": "交渉", "on_hold": "保留"},
        register_header_row=1, register_columns={"deal_id": 0, "owner": 3}))


def test_tab_columns_team_first_and_formats() -> None:
    tab = _hand_tab()
    assert tab.name == "担当者サマリー" and tab.header_row == 2 and tab.freeze_columns == 1
    assert tab.page is not None and tab.page.orientation == "landscape"
    keys = [c.key for c in tab.columns]
    # the first printed page: the name, the period's money, the week's to-dos, the errors
    assert keys[:11] == ["owner", "period", "target", "won", "commit_landing", "forecast",
                         "followups", "next_actions_7d", "close_pushed_7d", "input_errors",
                         "errors_link"]
    # then the follow-ups by reason, then the open pipeline by stage
    assert keys.index("open_count") == 11 + len(IN_USE) == 11 + len(REASONS) - 1
    assert keys[-2 * len(open_stages(S)) - 2:][:4] == [
        "open_count", "open_amount", "open_count:lead", "open_amount:lead"]
    assert [k.removeprefix("followups:") for k in keys if k.startswith("followups:")] == list(
        IN_USE)
    headers = {c.key: c.header for c in tab.columns}
    assert headers["open_count:lead"] == "リードの件数" and headers["open_amount:on_hold"] == (
        "保留の金額")
    assert headers["followups:overdue_close"].startswith("要フォロー：")
    kinds = {c.key: c.kind for c in tab.columns}
    assert {kinds[k] for k in ("open_amount", "open_amount:quote", "target", "won",
                               "commit_landing", "forecast")} == {"money"}
    assert {kinds[k] for k in ("open_count", "followups", "input_errors")} == {"int"}
    rows = [dict(zip(keys, r, strict=True)) for r in tab.rows]
    assert rows[0]["owner"] == Link("チーム合計", "案件一覧", "A1")
    assert rows[0]["input_errors"] == 4 and rows[0]["open_amount"] == 4_100_000
    assert rows[0]["errors_link"] == Link("入力エラーを見る", "入力エラー", "A1")
    assert [r["owner"].text for r in rows] == ["チーム合計", "佐藤", "田中", "鈴木", "高橋"]
    assert rows[3]["target"] is None and type(rows[1]["target"]) is int
    rules = {(c.column, c.op, c.value) for c in tab.conditional}
    assert ("input_errors", "gt", 0.0) in rules
    en = _hand_tab("en", None)
    assert en.name == "Rep summary" and en.header_row == 1
    assert en.rows[0][0] == Link("Team", "案件一覧", "A1")
    assert {c.key: c.header for c in en.columns}["open_count:negotiation"] == "交渉 deals"


def test_names_link_to_filter_views_of_their_rows() -> None:
    tab = _hand_tab()
    keys = [c.key for c in tab.columns]
    rows = [dict(zip(keys, r, strict=True)) for r in tab.rows]
    sato = rows[1]["owner"]
    assert isinstance(sato, FilterLink)
    assert (sato.text, sato.tab, sato.cell, sato.view) == ("佐藤", "案件一覧", "D1", "deals:佐藤")
    assert "「担当者」列のフィルター" in sato.tip and "佐藤" in sato.tip
    views = {v.key: v for v in tab.filter_views or ()}
    assert set(views) == {"deals:佐藤", "deals:田中", "deals:鈴木", "deals:高橋",
                          "errors:佐藤", "errors:田中", "errors:鈴木"}
    deals = views["deals:佐藤"]
    assert (deals.tab, deals.header_row, deals.column) == ("案件一覧", 1, 3)
    assert deals.values == ("佐藤", "佐藤\u3000")  # every spelling typed in the register
    assert views["deals:鈴木"].values == (" 鈴木", "鈴木")
    errors = views["errors:鈴木"]
    # 入力エラー copies 担当者 trimmed; its header is under the note row
    assert (errors.tab, errors.header_row, errors.column, errors.values) == (
        "入力エラー", 2, 7, ("鈴木",))
    link = rows[1]["errors_link"]
    assert isinstance(link, FilterLink) and link.view == "errors:佐藤" and link.cell == "H2"
    assert rows[4]["errors_link"] is None  # 高橋 has no error: no link, no view
    assert deals.title == "佐藤の案件" and errors.title == "鈴木の入力エラー"


def test_without_the_register_header_names_link_to_the_tab() -> None:
    frame = compute_owners(ReportInput(HAND_DEALS, S, row_owners=HAND_ROW_OWNERS))
    tab = owners_tab(frame, TabContext(register_tab="Deals", register_header_row=3))
    assert tab.rows[1][0] == Link("佐藤", "Deals", "A3")
    assert all(v.key.startswith("errors:") for v in tab.filter_views or ())


# -- agrees with the other tabs (property) -------------------------------------------------

OWNERS = ["A", "B", "佐藤"]
STAGES = ["lead", "meeting", "proposal", "quote", "negotiation", "won", "lost", "on_hold"]
dates = st.one_of(st.none(), st.dates(D(2025, 10, 1), D(2027, 9, 30)))
deal = st.fixed_dictionaries({
    "owner": st.sampled_from(OWNERS),
    "stage": st.sampled_from(STAGES),
    "rank": st.one_of(st.none(), st.sampled_from("ABCD")),
    "probability": st.one_of(st.none(), st.integers(0, 400).map(lambda q: q / 4)),
    "amount": st.one_of(st.none(), st.integers(0, 10**10)),
    "expected_close": dates,
    "closed_on": dates,
    "created_on": dates,
    "last_activity": dates,
    "next_action_date": dates,
    "last_observed_change": dates,
    "last_close_push": dates,
    "next_action": st.one_of(st.none(), st.sampled_from(["", "call"])),
})


@st.composite
def cases(draw: st.DrawFn) -> tuple[ReportInput, list[dict[str, Any]]]:
    records = draw(st.lists(deal, max_size=20))
    for i, r in enumerate(records):
        r["deal_id"], r["_row"] = f"D{i:03d}", i + 2
    s = MetricsSettings.default(draw(st.dates(D(2026, 1, 1), D(2027, 3, 31))),
                                period=draw(st.sampled_from(["quarter", "month"])),
                                stale_unrealistic_close=draw(st.booleans()))
    current = forecast_periods(s)
    key = current.base[current.current].key
    pairs = draw(st.lists(st.tuples(st.sampled_from([key, "FY2026", "FY2027-Q1"]),
                                    st.one_of(st.none(), st.sampled_from([*OWNERS, "C"]))),
                          unique=True))
    targets = make_targets([{"period": k, "owner": o, "target": draw(st.integers(0, 10**9))}
                            for k, o in pairs])
    # rows with errors below the valid ones: their 担当者 as typed (another spelling, a
    # name with no valid deal, blank) and a few issues each
    bad = draw(st.lists(st.sampled_from(["A", " a ", "佐藤\u3000", "D", None]), max_size=6))
    row_owners = {r["_row"]: r["owner"] for r in records}
    issues = []
    for i, typed in enumerate(bad):
        row = len(records) + 2 + i
        if typed is not None:
            row_owners[row] = typed
        for severity in draw(st.lists(st.sampled_from(list(Severity)), max_size=3)):
            issues.append(_issue(row, severity))
    data = ReportInput(make_deals(records), s, targets, issues, row_owners)
    return data, records


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: columns that are the sum of the reps' in the team row (target is 売上予測's team target)
ADDITIVE = ("open_count", "open_amount", "won", "commit_landing", "forecast", "followups",
            "next_actions_7d", "close_pushed_7d", "input_errors")


@FAST
@given(cases())
def test_summary_agrees_with_the_other_tabs(case: tuple[ReportInput, list[dict]]) -> None:
    data, records = case
    s = data.settings
    rows = owners_rows(compute_owners(data))
    team, reps = rows[0], rows[1:]
    assert team["owner"] is None and all(r["owner"] is not None for r in reps)
    assert [r["owner"] for r in reps] == sorted(r["owner"] for r in reps)
    # Σ reps = team, for every additive column, every stage and every reason
    for col in ADDITIVE:
        assert team[col] == sum(r[col] for r in reps), col
    for stage, cell in team["open_by_stage"].items():
        for part in ("count", "amount"):
            assert cell[part] == sum(r["open_by_stage"][stage][part] for r in reps)
    for reason, n in team["followups_by_reason"].items():
        assert n == sum(r["followups_by_reason"][reason] for r in reps)
    for row in rows:
        assert row["open_count"] == sum(c["count"] for c in row["open_by_stage"].values())
        assert row["open_amount"] == sum(c["amount"] for c in row["open_by_stage"].values())
    # a rep's open count: their deals in the register that are open and valid
    closed = s.won_stages | s.lost_stages
    for r in reps:
        mine = [d for d in records if d["owner"] == r["owner"] and d["stage"] not in closed]
        assert r["open_count"] == len(mine)
        assert r["open_amount"] == sum(d["amount"] or 0 for d in mine)
    # the period columns: 売上予測's row of that rep (or team) and the current period
    periods = forecast_periods(s)
    key = periods.base[periods.current].key
    forecast = {r["owner"]: r for r in forecast_rows(compute_forecast(data.deals, data.targets,
                                                                      s)) if r["period"] == key}
    for row in rows:
        assert row["period"] == key
        expected = forecast.get(row["owner"])
        for col in ("target", "won", "commit_landing", "forecast"):
            assert row[col] == (expected[col] if expected else (None if col == "target"
                                                                 else 0)), col
    # follow-ups by reason: counts in 要フォロー案件's table
    stale = compute_stale(data.deals, s)
    for row in rows:
        table = stale if row["owner"] is None else stale[stale["owner"] == row["owner"]]
        assert row["followups"] == len(table)
        assert list(row["followups_by_reason"]) == list(active_reasons(s))
        for reason in active_reasons(s):
            assert row["followups_by_reason"][reason] == sum(reason in rs
                                                             for rs in table["reasons"])
    # input errors: the errors in rows whose 担当者 is the rep, however it is spelled
    for r in reps:
        expected_errors = sum(
            1 for i in data.issues if i.is_error and i.row in data.row_owners
            and match_key(data.row_owners[i.row]) == match_key(r["owner"]))
        assert r["input_errors"] == expected_errors
    # the date windows, from the definitions
    as_of = pd.Timestamp(s.as_of)
    for r in reps:
        mine = [d for d in records if d["owner"] == r["owner"] and d["stage"] not in closed]
        assert r["next_actions_7d"] == sum(
            1 for d in mine if d["next_action_date"] is not None
            and 0 <= (pd.Timestamp(d["next_action_date"]) - as_of).days <= 7)
        assert r["close_pushed_7d"] == sum(
            1 for d in mine if d["last_close_push"] is not None
            and 0 <= (as_of - pd.Timestamp(d["last_close_push"])).days <= 7)


# -- both backends, with 受注予定日 pushed between runs -----------------------------------------

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "見込金額", "受注予定日",
          "完了日", "次回アクション", "次回アクション日", "最終接触日", "失注理由"]


def register(pushed: bool) -> Grid:
    """A small register: two spellings of one rep, a rep whose only row is invalid, and
    D1's 受注予定日 pushed from 12/15 to 1/20 when ``pushed``."""
    rows: list[list[Any]] = [HEADER]
    rows += [
        ["D1", "基幹刷新", "ABC商事", "佐藤 健", "交渉", "A", 1_200_000,
         D(2027, 1, 20) if pushed else D(2026, 12, 15), None, "稟議確認", D(2026, 12, 2),
         D(2026, 11, 18), None],
        ["D2", "保守更改", "DEF工業", "佐藤\u3000健", "提案", None, 800_000, D(2026, 12, 20),
         None, "見積", D(2026, 11, 25), D(2026, 11, 10), None],
        ["D3", "新規開拓", "GHI物産", "佐藤 健", "リード", None, None, D(2027, 2, 1), None,
         None, None, D(2026, 10, 1), None],
        ["D4", "増設", "JKL電機", "鈴木", "受注", None, 500_000, D(2026, 11, 1),
         D(2026, 11, 1), None, None, None, None],
        ["D5", "移行", "MNO銀行", "鈴木", "見積提出", "B", "abc", D(2026, 12, 10), None,
         "訪問", D(2026, 12, 1), D(2026, 11, 19), None],  # amount not readable: an error
        ["D6", "調査", "PQR", "田中", "交渉", None, 300_000, "12/24", None, None, None,
         None, None],  # no year: an error
    ]
    return Grid("案件一覧", rows)


DAYS = [(D(2026, 11, 20), False), (D(2026, 11, 26), True), (D(2026, 12, 3), True),
        (D(2026, 12, 4), True)]


def _run_workbook(folder: Path) -> list[dict[str, Any]]:
    path = folder / "deals.xlsx"
    config = parse_config("language: ja\n", folder / "config.yaml")
    out = []
    for day, pushed in DAYS:
        if not path.exists():
            write_grids(path, [register(pushed)])
        else:  # the reps' edit: only the register changes, sheetsync's tabs stay
            from sheetsync.backends.workbook import WorkbookBackend

            current = WorkbookBackend(path).read().grids
            write_grids(path, [register(pushed),
                               *[g for n, g in current.items() if n != "案件一覧"]])
        out.append(pipeline.run(config, as_of=day).to_json())
    return out


def _run_google(emulator, key_file: Path, folder: Path) -> list[dict[str, Any]]:
    sid = load_grids(emulator, {"案件一覧": register(False)})
    folder.joinpath("key.json").write_bytes(key_file.read_bytes())
    config = parse_config(
        f"spreadsheet: {{backend: google, key: {sid}, credentials: key.json, "
        f"endpoint: '{emulator.base_url}'}}\n", folder / "config.yaml")
    sheet_id = next(s["properties"]["sheetId"] for s in emulator.get_spreadsheet(sid)["sheets"]
                    if s["properties"]["title"] == "案件一覧")
    out = []
    for day, pushed in DAYS:
        rows = register(pushed).rows
        width = max(len(r) for r in rows)
        emulator.batch_update(sid, [{"updateCells": {
            "range": {"sheetId": sheet_id},
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            "rows": [{"values": [cell_data(v) for v in [*r, *([None] * (width - len(r)))]]}
                     for r in rows]}}])
        out.append(pipeline.run(config, as_of=day).to_json())
    return out


def test_same_owners_json_on_both_backends(emulator, service_account_key, tmp_path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    workbook = _run_workbook(tmp_path / "wb")
    google = _run_google(emulator, service_account_key, tmp_path / "gs")
    assert json.dumps([r["owners"] for r in workbook], ensure_ascii=False) == json.dumps(
        [r["owners"] for r in google], ensure_ascii=False)
    by_day = [{r["owner"]: r for r in run["owners"]} for run in google]
    # the push is seen by the run of 11/26, then read back from 変更履歴 by later runs
    assert [day["佐藤 健"]["close_pushed_7d"] for day in by_day] == [0, 1, 1, 0]
    assert [day[None]["close_pushed_7d"] for day in by_day] == [0, 1, 1, 0]
    last = by_day[-1]
    assert list(last) == [None, "佐藤 健", "田中", "鈴木"]
    sato = last["佐藤 健"]
    assert (sato["open_count"], sato["open_amount"], sato["input_errors"]) == (3, 2_000_000, 0)
    assert sato["open_by_stage"]["negotiation"] == {"count": 1, "amount": 1_200_000}
    assert (last["鈴木"]["input_errors"], last["田中"]["input_errors"]) == (1, 1)
    assert last["田中"]["open_count"] == 0  # its only row is invalid
    assert last[None]["input_errors"] == len(google[-1]["validation"]["errors"]) == 2
