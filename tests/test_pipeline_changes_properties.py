"""パイプライン増減's identity for random edit sequences over several backdated runs (issue 13
#2): whatever the reps did between the runs — amounts raised, cut, cleared or made unreadable,
dates moved anywhere, stages changed (保留, 受注, 失注 and back), owners changed, deals added,
deleted or renamed, rows reordered — every row adds up exactly, every row's bucket is the sum
of its deals', and start and end are the open pipeline 売上予測 placed in the period on `from`
(the register as the last run on or before that day saw it) and on as-of.

Whole runs (the real pipeline, 変更履歴 and the hidden tabs written and read back) against an
in-memory spreadsheet, with only the two reports this needs, so that each example stays fast."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.reports import forecast, pipeline_changes
from sheetsync.reports.forecast import compute_forecast
from sheetsync.reports.pipeline_changes import BUCKETS, INFLOWS
from sheetsync.schema import load_schema
from sheetsync.testing.memory import MemoryBackend
from sheetsync.validate import validate_register

D = dt.date
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日", "完了日",
          "失注理由", "次回アクション日"]
OWNERS = ["佐藤", "鈴木", "高橋"]
STAGES = ["リード", "提案", "交渉", "保留", "受注", "失注"]
AMOUNT, CLOSE, STAGE, OWNER, CLOSED = 5, 6, 4, 3, 7

amounts = st.one_of(st.integers(0, 50).map(lambda k: k * 100_000), st.none(), st.just("abc"))
FIRST = D(2026, 12, 10)  # the first run: from here to 01-05, across the end of Q3 and of 12月
#: close dates around the runs' days, so that edits move deals in and out of the period
days = st.dates(FIRST - dt.timedelta(days=20), FIRST + dt.timedelta(days=100))


@st.composite
def a_deal(draw: st.DrawFn, deal_id: str) -> list[Any]:
    stage = draw(st.sampled_from(STAGES))
    return [deal_id, f"{deal_id}件", f"{deal_id}社", draw(st.sampled_from(OWNERS)), stage,
            draw(amounts), draw(st.one_of(days, days, st.none())),
            draw(days) if stage in ("受注", "失注") else None, "価格", D(2026, 12, 31)]


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, list[tuple[D, list[list[Any]]]]]:
    """A config and the register as each run sees it (days strictly later each time)."""
    fresh = iter(f"H-{i:02d}" for i in range(100))
    rows = [draw(a_deal(next(fresh))) for _ in range(draw(st.integers(1, 5)))]
    day = draw(st.dates(FIRST, FIRST + dt.timedelta(days=26)))
    out = [(day, [list(r) for r in rows])]
    for _ in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(0, 5))):
            op = draw(st.sampled_from(["amount", "amount", "close", "close", "stage", "owner",
                                       "add", "delete", "rename"]))
            if op == "add" or not rows:
                rows.append(draw(a_deal(next(fresh))))
                continue
            # the first deal half of the time: edits pile up on one deal across the runs
            row = rows[draw(st.one_of(st.just(0), st.integers(0, len(rows) - 1)))]
            if op == "amount":
                row[AMOUNT] = draw(amounts)
            elif op == "close":
                row[CLOSE] = draw(st.one_of(days, days, st.none()))
            elif op == "stage":
                row[STAGE] = draw(st.sampled_from(STAGES))
                row[CLOSED] = draw(days) if row[STAGE] in ("受注", "失注") else None
            elif op == "owner":
                row[OWNER] = draw(st.sampled_from(OWNERS))
            elif op == "delete":
                rows.remove(row)
            else:
                row[0] = next(fresh)
        day = day + dt.timedelta(days=draw(st.integers(1, 4)))
        order = [list(r) for r in rows]
        random.Random(draw(st.integers(0, 99))).shuffle(order)  # any row order
        out.append((day, order))
    config = (f"pipeline_changes: {{days: {draw(st.integers(2, 10))}}}\n"
              f"forecast: {{period: {draw(st.sampled_from(['quarter', 'month']))}}}\n")
    return config, out


def pipeline_on(rows: list[list[Any]], config: Any, day: D, period: str) -> int:
    """The team's open pipeline 売上予測 places in ``period`` for this register on ``day``."""
    schema = load_schema()
    deals = validate_register(Grid("案件一覧", [HEADER, *rows]), schema).deals
    settings_ = pipeline.metrics_settings(config, schema, day)
    table = compute_forecast(deals, None, settings_)
    return int(table[(table["period"] == period) & table["owner"].isna()]["pipeline"].iloc[0])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_every_row_adds_up_for_any_edits(case: tuple[str, list[tuple[D, list[list[Any]]]]]
                                         ) -> None:
    text, runs = case
    config = parse_config(text, Path("/nonexistent/config.yaml"))
    memory = MemoryBackend()
    seen: list[tuple[D, list[list[Any]]]] = []
    with mock.patch.object(pipeline, "REPORTS", (forecast.REPORT, pipeline_changes.REPORT)):
        for day, rows in runs:
            memory.set_register(Grid("案件一覧", [HEADER, *rows]))
            out = pipeline.run(config, as_of=day, backend=memory).to_json()
            seen.append((day, rows))
            pc = out["pipeline_changes"]
            start = D.fromisoformat(pc["from"])
            assert pc["to"] == day.isoformat()
            assert runs[0][0] <= start <= day
            assert start >= day - dt.timedelta(days=config.pipeline_changes.days)
            for row in pc["rows"]:
                flows = sum(row[b] if b in INFLOWS else -row[b] for b in BUCKETS)
                assert row["start"] + flows == row["end"], row
                assert all(row[b] >= 0 for b in BUCKETS)
                for b in BUCKETS:
                    assert row[b] == sum(d["amount"] for d in pc["deals"] if d["bucket"] == b
                                         and row["owner"] in (None, d["owner"]))
            team = pc["rows"][0]
            assert team["owner"] is None
            assert sum(r["start"] for r in pc["rows"][1:]) == team["start"]
            assert sum(r["end"] for r in pc["rows"][1:]) == team["end"]
            period = team["period"]
            now = next(r for r in out["forecast"] if r["period"] == period and r["owner"] is None)
            assert team["end"] == now["pipeline"]
            then = [rows_ for d, rows_ in seen if d <= start][-1]  # the register on `from`
            assert team["start"] == pipeline_on(then, config, start, period)
