"""`sheetsync demo` builds its workbook through backdated runs, the reps' edits between them
(issue 13 #4): today's register stays exactly the demo, and the history tabs are filled."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.config import Config, load_config
from sheetsync.demo import build_demo, write_demo_config, write_demo_workbook
from sheetsync.demo.generate import Deal
from sheetsync.demo.past import demo_run_days
from sheetsync.demo.runs import DemoHistory
from sheetsync.grid import Grid
from sheetsync.history import read_snapshot
from sheetsync.pipeline import RunResult
from sheetsync.schema import load_schema
from sheetsync.validate import validate_register

TODAY = dt.date(2026, 12, 4)  # a Friday; FY2026-Q3 (Oct–Dec) is the current quarter
SCHEMA = load_schema()

#: the Deal attributes behind each tracked field (the register's columns sheetsync follows)
TRACKED: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal_id",), "created_on": ("created_on",), "owner": ("owner",),
    "client": ("client",), "client_contact": ("contact",), "deal_name": ("name", "phase2"),
    "stage": ("stage",), "rank": ("rank",), "probability": ("probability",),
    "amount": ("amount",), "expected_close": ("expected_close",), "closed_on": ("closed_on",),
    "lead_source": ("lead_source",), "last_activity": ("last_activity",),
    "next_action": ("formula_like", "hold_action", "next_action"),
    "next_action_date": ("next_action_date",), "loss_reason": ("loss_reason",),
    "notes": ("note",),
}


@dataclass
class Built:
    folder: Path
    data: bytes  # the workbook right after today's run (before anything else touched it)
    result: RunResult
    stats: Any
    runs: dict[dt.date, RunResult]
    history: DemoHistory

    @property
    def json(self) -> dict[str, Any]:
        return self.result.to_json()

    def grid(self, tab: str) -> Grid:
        path = self.folder / "copy.xlsx"
        path.write_bytes(self.data)
        return WorkbookBackend(path).read([tab]).grids[tab]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("history")
    write_demo_config(folder / "config.yaml")
    config = load_config(folder / "config.yaml")
    runs: dict[dt.date, RunResult] = {}
    result, stats = build_demo(config, today=TODAY, on_day=runs.__setitem__)
    return Built(folder, (folder / "deals.xlsx").read_bytes(), result, stats, runs,
                 DemoHistory(today=TODAY))


def cells(data: bytes) -> dict[str, list[list[tuple[Any, str]]]]:
    """Every cell of every tab: (value, number format)."""
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
            for ws in wb.worksheets}


def history_rows(built: Built) -> list[list[Any]]:
    rows = built.grid("変更履歴").rows
    return [r for r in rows[2:] if r and r[0] is not None]


def typed(deal: Deal, field: str) -> tuple[Any, ...]:
    return tuple(getattr(deal, a) for a in TRACKED[field])


# ---------------------------------------------------------------------------------- days


def test_the_runs_are_weekly_lately_and_where_forecast_accuracy_looks() -> None:
    # FY2026-Q2 ended on 2026-09-30 (a Wednesday): the Fridays on or before it, and on or
    # before 4 weeks (09-02) and 8 weeks (08-05) earlier; then the last three Fridays
    assert demo_run_days(TODAY) == [dt.date(2026, 7, 31), dt.date(2026, 8, 28),
                                    dt.date(2026, 9, 25), dt.date(2026, 11, 13),
                                    dt.date(2026, 11, 20), dt.date(2026, 11, 27), TODAY]
    # a Monday early in a quarter: its end (09-30) is on or after 09-28, which is weekly
    assert demo_run_days(dt.date(2026, 10, 5)) == [
        dt.date(2026, 8, 3), dt.date(2026, 8, 31), dt.date(2026, 9, 14), dt.date(2026, 9, 21),
        dt.date(2026, 9, 28), dt.date(2026, 10, 5)]


def test_every_backdated_day_ran(built: Built) -> None:
    assert sorted(built.runs) == demo_run_days(TODAY)[:-1]
    assert all(r.as_of == day for day, r in built.runs.items())
    assert built.result.as_of == TODAY


# ----------------------------------------------------------------------- today's register


def test_todays_register_is_the_demo_cell_for_cell(built: Built, tmp_path: Path) -> None:
    single = tmp_path / "single.xlsx"
    stats = write_demo_workbook(single, today=TODAY)
    expected = single.read_bytes()
    got, want = cells(built.data), cells(expected)
    for tab in ("案件一覧", "目標", "メモ"):
        assert got[tab] == want[tab], tab
    # the three sheets are the very bytes the single write produced
    with zipfile.ZipFile(io.BytesIO(built.data)) as got, zipfile.ZipFile(single) as want:
        for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                     "xl/worksheets/sheet3.xml"):
            assert got.read(part) == want.read(part), part
    assert built.stats == stats.__class__(**{**stats.__dict__, "path": built.stats.path})


def test_earlier_registers_hold_only_the_deliberate_errors(built: Built) -> None:
    final_errors = Counter(e.code for e in built.result.report.errors)
    for day, result in built.runs.items():
        errors = result.report.errors
        present = [d for d in (p.on(day) for p in built.history.pasts) if d is not None]
        # one invalid cell per marked row (the two rows sharing an ID: one error each)
        assert len(errors) == sum(1 for d in present if d.invalid), day
        assert set(Counter(e.code for e in errors)) <= set(final_errors), day
    assert len(built.result.report.errors) == len(built.stats.invalid_cells) == 9


def test_a_value_that_stays_keeps_its_form(built: Built) -> None:
    history = built.history
    days = history.days
    seen = 0
    for before, after in itertools.pairwise(days):
        old = {i: (p.on(before), row) for i, (p, row) in enumerate(
            zip(history.pasts, _rows_by_index(history, before)))}
        new = {i: (p.on(after), row) for i, (p, row) in enumerate(
            zip(history.pasts, _rows_by_index(history, after)))}
        for index, (deal, row) in old.items():
            later, later_row = new[index]
            if deal is None or later is None:
                continue
            for field in TRACKED:
                if typed(deal, field) == typed(later, field):
                    assert row[field] == later_row[field], (before, deal.deal_id, field)
                    seen += 1
    assert seen > 10_000


def _rows_by_index(history: DemoHistory, day: dt.date) -> list[dict[str, Any] | None]:
    rows = iter(history.rows_on(day))
    return [next(rows) if p.on(day) is not None else None for p in history.pasts]


# ----------------------------------------------------------------------------- history


def test_history_rows_are_exactly_the_edits_between_runs(built: Built) -> None:
    """Every row of 変更履歴 is a value a rep changed (never a form: 120万円 → ¥1,200,000 is
    no change), on the day of the first run that saw it."""
    history = built.history
    label = {f.name: f.label("ja") for f in SCHEMA.fields}
    ids = Counter(d.deal_id for d in history.book.deals)
    expected: set[tuple[dt.date, str, str]] = set()
    for before, after in itertools.pairwise(history.days):
        for past in history.pasts:
            old, new = past.on(before), past.on(after)
            if old is None or new is None or ids[new.deal_id] > 1:
                continue
            expected |= {(after, new.deal_id, label[f]) for f in TRACKED
                         if typed(old, f) != typed(new, f)}
    got = {(r[0], r[1], r[2]) for r in history_rows(built)}
    assert got == expected
    assert len(got) > 800


def test_the_history_shows_what_a_forecast_meeting_talks_about(built: Built) -> None:
    rows = history_rows(built)
    days = {r[0] for r in rows}
    assert days == set(demo_run_days(TODAY)[1:])  # every run after the first saw edits
    by_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for r in rows:
        by_day[r[0]][r[2]] += 1
    assert sum(1 for c in by_day.values() if c["フェーズ"]) >= 5
    stage_moves = {(r[3], r[4]) for r in rows if r[2] == "フェーズ"}
    assert {("初回商談", "提案"), ("提案", "見積提出")} <= stage_moves
    assert any(new == "受注" for _, new in stage_moves)
    assert any(new == "失注" for _, new in stage_moves)

    def day(text: Any) -> dt.date:
        return dt.datetime.strptime(text, "%Y/%m/%d").date()

    dates = [(day(r[3]), day(r[4])) for r in rows if r[2] == "受注予定日" and r[3] and r[4]]
    assert sum(1 for old, new in dates if new > old) >= 20  # slips
    assert any(new < old for old, new in dates)  # pulled in
    amounts = [(int(r[3].strip("¥").replace(",", "")), int(r[4].strip("¥").replace(",", "")))
               for r in rows if r[2] == "見込金額" and r[3] and r[4]]
    assert any(new > old for old, new in amounts) and any(new < old for old, new in amounts)
    assert sum(1 for r in rows if r[2] == "完了日") >= 10


def test_deals_pushed_twice_or_more_are_followed_up(built: Built) -> None:
    snapshot = read_snapshot(built.grid("_sheetsync_state"))
    pushes = Counter(e.close_pushes for e in snapshot.entries.values())
    assert sum(n for count, n in pushes.items() if count >= 2) >= 3
    twice = {i for i, e in snapshot.entries.items() if e.close_pushes >= 2}
    flagged = {row["deal_id"] for row in built.json["stale"] if "close_pushed" in row["reasons"]}
    stages = built.result.checked.validation.deals.set_index("deal_id")["stage"]
    open_twice = {i for i in twice if stages[i] not in ("won", "lost")}
    assert flagged == open_twice and flagged


# ------------------------------------------------------------------ what the user sees


def test_the_history_reports_are_filled(built: Built) -> None:
    data = built.json
    team = next(r for r in data["forecast"] if r["owner"] is None and r["period"] == "FY2026-Q3")
    assert team["forecast_change_7d"] is not None and team["commit_landing_change_7d"] is not None
    accuracy = {(r["weeks_before"], r["snapshot_date"]): r for r in data["forecast_accuracy"]
                if r["owner"] is None and r["period"] == "FY2026-Q2"}
    assert set(accuracy) == {(4, "2026-08-28"), (8, "2026-07-31")}
    assert all(r["accuracy"] is not None and r["commit_deals"] for r in accuracy.values())
    funnel = [r for r in data["funnel"] if r["dimension"] == "total"]
    assert [r["stage"] for r in funnel] == ["lead", "meeting", "proposal", "quote", "negotiation"]
    assert all(r["entered"] and r["advanced"] for r in funnel)
    assert sum(r["lost"] for r in funnel) >= 5
    assert sum(1 for r in funnel if r["median_days"] is not None) >= 3
    calibration = next(r for r in data["calibration"] if r["dimension"] == "total")
    assert calibration["n"] >= 10 and 0 < calibration["won"] < calibration["n"]


def test_rerunning_the_demo_gives_the_same_workbook(tmp_path: Path, monkeypatch: Any) -> None:
    """`sheetsync demo --force` over a demo folder rebuilds exactly the same workbook (the
    run time pinned: the note rows say when it ran)."""
    monkeypatch.setattr(Config, "now", lambda self: dt.datetime(
        2026, 12, 4, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    folder = tmp_path / "demo-en"
    args = ["demo", str(folder), "--language", "en", "--as-of", TODAY.isoformat()]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    before = (folder / "deals.xlsx").read_bytes()
    again = CliRunner().invoke(cli, [*args, "--force"], catch_exceptions=False)
    assert again.exit_code == 0 and again.output == first.output
    after, earlier = cells((folder / "deals.xlsx").read_bytes()), cells(before)
    assert list(after) == list(earlier)
    assert {"Change history", "Forecast history", "Funnel", "_sheetsync_forecast"} <= set(after)
    assert after == earlier
    history = WorkbookBackend(folder / "deals.xlsx").read(["Change history"]).grids
    observed = {r[0] for r in history["Change history"].rows[2:] if r and r[0]}
    assert observed == set(demo_run_days(TODAY)[1:])


def test_the_english_register_has_the_same_past(tmp_path: Path) -> None:
    """Same deals, same days, same edits: only the labels (and the forms drawn) differ."""
    ja, en = DemoHistory(today=TODAY), DemoHistory(today=TODAY, language="en")
    day = ja.days[2]
    assert [p.on(day) for p in ja.pasts] == [p.on(day) for p in en.pasts]
    path = tmp_path / "en.xlsx"
    en.write(path, day)
    grid = WorkbookBackend(path).read(["Deals"]).grids["Deals"]
    present = [d for d in (p.on(day) for p in en.pasts) if d is not None]
    result = validate_register(grid, SCHEMA, language="en", owners=None, as_of=day)
    assert result.report.rows == len(present) < len(en.book.deals)
    assert len(result.report.errors) == sum(1 for d in present if d.invalid)
