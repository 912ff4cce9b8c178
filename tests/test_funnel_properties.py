"""ファネル's invariants over random stage paths (hypothesis), and the stage path itself: what
a run adds to it, what it never adds, and that its text reads back as written."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.history import Current, Snapshot, observe
from sheetsync.metrics import MetricsSettings, make_deals
from sheetsync.reports.base import ReportInput
from sheetsync.reports.funnel import MIN_OBSERVED, REPORT, compute_report, observed_stage_rates
from sheetsync.stage_paths import (
    STEPS_COLUMN,
    Step,
    format_path,
    parse_path,
    seen_path,
    track_stages,
)

D = dt.date
AS_OF = D(2026, 12, 4)
OPEN = ["lead", "meeting", "proposal", "quote", "negotiation"]
STAGES = [*OPEN, "on_hold", "won", "lost"]
S = MetricsSettings.default(AS_OF, window_months=6)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def deal(draw: st.DrawFn) -> dict[str, Any]:
    stages = [draw(st.sampled_from(STAGES))]
    for _ in range(draw(st.integers(0, 5))):
        stages.append(draw(st.sampled_from([s for s in STAGES if s != stages[-1]])))
    offsets = sorted(draw(st.lists(st.integers(0, 200), min_size=len(stages),
                                   max_size=len(stages))))
    offsets[0] = 0
    steps = []
    for i, (stage, offset) in enumerate(zip(stages, offsets, strict=True)):
        carried = None
        if stage in ("won", "lost") and i and stages[i - 1] not in ("won", "lost"):
            carried = (draw(st.sampled_from(["", "35", "90"])),
                       draw(st.sampled_from(["", "A", "B"])))
        steps.append(Step(stage, offset, carried))
    first = draw(st.dates(D(2026, 1, 1), D(2026, 11, 30)))
    path = seen_path(format_path(steps), first)
    return {
        "owner": draw(st.sampled_from(["佐藤", "鈴木", None])),
        "lead_source": draw(st.sampled_from(["web_inquiry", "referral", None])),
        "stage": stages[-1],
        "closed_on": path.date(len(stages) - 1) if stages[-1] in ("won", "lost") else None,
        STEPS_COLUMN: path,
    }


def report(records: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    frame = compute_report(ReportInput(make_deals(records), S))
    return REPORT.json_rows(frame), REPORT.more_json(frame)["calibration"]  # type: ignore[misc]


@FAST
@given(st.lists(deal(), max_size=25), st.randoms(use_true_random=False))
def test_invariants_and_row_order(records: list[dict[str, Any]], rnd: random.Random) -> None:
    funnel, calibration = report(records)
    for r in funnel:
        assert r["entered"] == r["advanced"] + r["lost"] + r["still_open"]
        assert (r["conversion"] is None) == (r["advanced"] + r["lost"] == 0)
        assert (r["median_days"] is None) == (r["median_days_n"] == 0)
        assert (r["days_to_won"] is None) == (r["days_to_won_n"] == 0)
        # win rate from the stage: of the deals that entered, those closed since; a deal
        # lost in the stage is one of them
        closed = r["won_later"] + r["lost_later"]
        assert r["lost"] <= r["lost_later"] and closed <= r["entered"]
        assert (r["win_rate_from_stage"] is None) == (closed == 0)
        if closed:
            assert (r["win_rate_from_stage_wilson_low"] <= r["win_rate_from_stage"]
                    <= r["win_rate_from_stage_wilson_high"])
        assert r["in_forecast"] is False  # configured: no rate is in use
    team = {r["stage"]: r for r in funnel if r["dimension"] == "total"}
    assert list(team) == OPEN
    for stage, row in team.items():  # every deal is in exactly one lead-source group
        for key in ("entered", "advanced", "lost", "still_open", "median_days_n",
                    "won_later", "lost_later"):
            assert row[key] == sum(r[key] for r in funnel
                                   if r["dimension"] == "lead_source" and r["stage"] == stage)
    total = next(r for r in calibration if r["dimension"] == "total")
    for dimension in ("stage", "rank"):  # every calibrated deal was last seen at an open stage
        assert total["n"] == sum(r["n"] for r in calibration if r["dimension"] == dimension)
    assert total["n"] >= sum(r["n"] for r in calibration if r["dimension"] == "owner")
    for r in calibration:
        if r["n"]:
            assert 0 <= r["brier"] <= 1 and 0 <= r["assumed"] <= 1
            assert r["wilson_low"] <= r["observed"] <= r["wilson_high"]
    assert observed_stage_rates(make_deals(records), S) == {
        s: r["win_rate_from_stage"] * 100 for s, r in team.items()
        if r["won_later"] + r["lost_later"] >= MIN_OBSERVED}
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert json.dumps(report(shuffled)) == json.dumps((funnel, calibration))


@given(st.lists(st.tuples(st.text(min_size=1, max_size=6), st.integers(0, 999),
                          st.one_of(st.none(), st.tuples(st.text(max_size=4),
                                                         st.text(max_size=4)))),
                max_size=6))
def test_a_path_reads_back_as_written(parts: list[tuple[str, int, Any]]) -> None:
    steps = tuple(Step(stage, offset, carried) for stage, offset, carried in parts)
    assert parse_path(format_path(steps)) == steps


# -- what a run adds to the path -------------------------------------------------------------

FIELDS = ("deal_id", "stage", "probability", "rank")
SCHEMA_STAGES = frozenset(STAGES)
CLOSED = frozenset({"won", "lost"})


def runs(*seen: tuple[D, str, str, str]) -> str | None:
    """The path after runs that saw deal D at (day, stage, 受注確率, 確度)."""
    snap = Snapshot()
    for day, stage, probability, rank in seen:
        current = Current(FIELDS, {"D": "\t".join(["D", stage, probability, rank])})
        snap = track_stages(snap, observe(snap, current, observed_at=day), day=day,
                            stages=SCHEMA_STAGES, closed=CLOSED).snapshot
    return snap.entries["D"].path


def test_a_typo_and_its_correction_add_no_step() -> None:
    assert runs((D(2026, 11, 1), "proposal", "", ""), (D(2026, 11, 2), "?提案x", "", ""),
                (D(2026, 11, 3), "proposal", "", ""), (D(2026, 11, 9), "quote", "", "B")
                ) == "proposal;quote:8"


def test_a_close_carries_the_last_open_observation() -> None:
    assert runs((D(2026, 11, 1), "proposal", "", "C"), (D(2026, 11, 5), "negotiation", "70", "A"),
                (D(2026, 11, 9), "won", "100", "A")) == "proposal;negotiation:4;won:8@70,A"
    # seen in an unreadable stage just before: not known to be open then, nothing carried
    assert runs((D(2026, 11, 1), "proposal", "", ""), (D(2026, 11, 5), "?交渉中", "70", ""),
                (D(2026, 11, 9), "lost", "", "")) == "proposal;lost:8"
    # an unreadable 受注確率 is carried as blank (the forecast had none)
    assert runs((D(2026, 11, 1), "quote", "?abc", "B"), (D(2026, 11, 3), "won", "", "B")
                ) == "quote;won:2@,B"


def test_reopened_and_parked_deals_keep_every_step() -> None:
    assert runs((D(2026, 11, 1), "negotiation", "", ""), (D(2026, 11, 2), "lost", "", ""),
                (D(2026, 11, 4), "negotiation", "", ""), (D(2026, 11, 6), "on_hold", "", ""),
                (D(2026, 11, 8), "negotiation", "80", ""), (D(2026, 11, 9), "won", "100", "")
                ) == "negotiation;lost:1@,;negotiation:3;on_hold:5;negotiation:7;won:8@80,"


def test_a_first_sighting_without_a_stage_starts_an_empty_path() -> None:
    assert runs((D(2026, 11, 1), "", "", "")) == ""
    assert runs((D(2026, 11, 1), "", "", ""), (D(2026, 11, 4), "lead", "", "")) == "lead:3"
    # a run as of an earlier day than the last one never puts a step before it
    assert runs((D(2026, 11, 10), "lead", "", ""), (D(2026, 11, 12), "meeting", "", ""),
                (D(2026, 11, 11), "proposal", "", "")) == "lead;meeting:2;proposal:2"
