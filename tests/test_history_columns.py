"""The snapshot held as columns (issue 14) observes exactly what it observed held as entries.

Reading the state tab into lists, comparing and updating them column by column, and looking
only at the deals that did not keep their row must give the same next snapshot, the same
changes and the same stage paths as the per-deal comparison, whatever the snapshot is held
as, whatever the register's order, and once a caller has built the entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.grid import Grid
from sheetsync.history import (
    Current,
    Entry,
    Snapshot,
    observe,
    read_snapshot,
    snapshot_tab,
    stale_columns,
)
from sheetsync.stage_paths import format_path, seen_path, steps_column, track_stages
from sheetsync.tabspec import TabSpec

FIELDS = ("deal_id", "stage", "probability", "rank", "expected_close")
STAGES = frozenset({"lead", "proposal", "quote", "won", "lost"})
CLOSED = frozenset({"won", "lost"})
DAY = dt.date(2026, 11, 20)

_IDS = st.sampled_from([f"D-{i}" for i in range(8)])
_ROW = st.tuples(st.sampled_from(["lead", "proposal", "won", "lost", "?提案", ""]),
                 st.sampled_from(["", "40", "100"]), st.sampled_from(["A", "B", ""]),
                 st.sampled_from(["2026-12-01", "2027-01-15", ""]))
_DAYS = st.dates(dt.date(2026, 10, 1), dt.date(2026, 11, 19))
_PATHS = st.sampled_from(["", "lead", "lead;proposal:3", "proposal;won:5@40,B"])


def _signature(deal_id: str, row: tuple[str, ...]) -> str:
    return "\t".join([deal_id, *row])


@st.composite
def _snapshots(draw: st.DrawFn) -> Snapshot:
    rows = draw(st.dictionaries(_IDS, _ROW, max_size=6))
    with_paths = draw(st.booleans())  # a state tab written before paths has none
    entries = {}
    for deal_id, row in sorted(rows.items()):
        first = draw(_DAYS)
        entries[deal_id] = Entry("", first, draw(st.none() | st.just(first)), first,
                                 draw(st.integers(0, 2)), _signature(deal_id, row),
                                 draw(_PATHS) if with_paths else None)
    return Snapshot(entries, FIELDS)


@st.composite
def _registers(draw: st.DrawFn, snapshot: Snapshot) -> Current:
    """The snapshot's deals, some edited, some gone, some new, in any order."""
    kept = [d for d in snapshot.entries if draw(st.booleans()) or draw(st.booleans())]
    new = draw(st.lists(st.sampled_from([f"N-{i}" for i in range(4)]), max_size=3,
                        unique=True))
    ids = draw(st.permutations(kept + new)) if draw(st.booleans()) else kept + new
    signatures = {}
    for deal_id in ids:
        entry = snapshot.entries.get(deal_id)
        if entry is not None and draw(st.booleans()):
            signatures[deal_id] = entry.values  # unchanged
        else:
            signatures[deal_id] = _signature(deal_id, draw(_ROW))
    return Current(FIELDS, signatures)


def tab_grid(tab: TabSpec) -> Grid:
    """A tab as a backend reads it back: the note, the header, the rows."""
    return Grid(tab.name, [[tab.note], [c.header for c in tab.columns], *tab.rows])


def _as_read(snapshot: Snapshot) -> Snapshot:
    """The snapshot as a run reads it: from the state tab, held as columns."""
    return read_snapshot(tab_grid(snapshot_tab(snapshot)))


def _run(before: Snapshot, current: Current) -> tuple[dict[str, Entry], list[tuple]]:
    observation = track_stages(before, observe(before, current, observed_at=DAY), day=DAY,
                               stages=STAGES, closed=CLOSED)
    changes = [(c.deal_id, c.field, c.old, c.new) for c in observation.changes]
    return observation.snapshot.entries, changes


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_columns_and_entries_observe_the_same(data: st.DataObject) -> None:
    snapshot = data.draw(_snapshots())
    current = data.draw(_registers(snapshot))
    as_entries = _run(snapshot, current)
    assert _run(_as_read(snapshot), current) == as_entries
    built = _as_read(snapshot)
    assert built.entries == snapshot.entries  # entries built before observing
    assert _run(built, current) == as_entries


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_track_stages_after_the_entries_were_built(data: st.DataObject) -> None:
    """A caller that looks at the observed entries before the paths are tracked gets the
    paths the columns give."""
    snapshot = _as_read(data.draw(_snapshots()))
    current = data.draw(_registers(snapshot))
    observed = observe(snapshot, current, observed_at=DAY)
    expected = track_stages(snapshot, observe(snapshot, current, observed_at=DAY), day=DAY,
                            stages=STAGES, closed=CLOSED).snapshot.entries
    assert len(observed.snapshot.entries) == len(current.signatures)  # built here
    tracked = track_stages(snapshot, observed, day=DAY, stages=STAGES, closed=CLOSED)
    assert tracked.snapshot.entries == expected


def test_a_path_that_does_not_end_at_the_stage_only_moves_on_a_change() -> None:
    """A seeded path whose last stage is not the deal's (history cut by retention) gets a
    step when the deal changes, not while it stays as it was."""
    old = Entry("", DAY - dt.timedelta(days=9), None, DAY, 0, "D\tquote\t\tB\t", "proposal")
    snapshot = _as_read(Snapshot({"D": old}, FIELDS))
    same = Current(FIELDS, {"D": old.values})
    edited = Current(FIELDS, {"D": "D\tquote\t\tA\t"})
    for current, path in ((same, "proposal"), (edited, "proposal;quote:9")):
        entries, _ = _run(snapshot, current)
        assert entries["D"].path == path


def _reference_stale(deals: pd.DataFrame, snapshot: Snapshot) -> pd.DataFrame:
    """stale_columns as it was written per deal, before the columns."""
    entries = [snapshot.entries.get(i) for i in deals["deal_id"].tolist()]

    def dates(attr: str) -> pd.Series:
        return pd.to_datetime(pd.Series(
            [getattr(e, attr) if e is not None else None for e in entries],
            index=deals.index, dtype=object)).astype("datetime64[ns]")

    from_first = [pd.NA if e is None or e.stage_since is None
                  else e.stage_since <= e.first_seen for e in entries]
    return deals.assign(
        last_observed_change=dates("last_changed"), stage_since=dates("stage_since"),
        close_pushes=pd.array([e.close_pushes if e is not None else pd.NA for e in entries],
                              dtype="Int64"),
        stage_since_first_sighting=pd.array(from_first, dtype="boolean"))


@settings(max_examples=100, deadline=None)
@given(_snapshots(), st.lists(st.sampled_from([f"D-{i}" for i in range(10)] + ["X"]),
                              max_size=8))
def test_stale_and_steps_columns_per_deal(snapshot: Snapshot, ids: list[str]) -> None:
    deals = pd.DataFrame({"deal_id": pd.array(ids, dtype=object)},
                         index=pd.RangeIndex(3, 3 + len(ids)))
    read = _as_read(snapshot)
    for held in (snapshot, read):
        pd.testing.assert_frame_equal(stale_columns(deals, held),
                                      _reference_stale(deals, snapshot))
        steps = steps_column(deals, held)["stage_steps"].tolist()
        entries = [snapshot.entries.get(i) for i in ids]
        assert steps == [None if e is None else seen_path(e.path, e.first_seen)
                         for e in entries]


def test_an_unchanged_register_in_another_order_keeps_the_cells_read() -> None:
    day = dt.date(2026, 11, 1)
    snapshot = _as_read(Snapshot({
        f"D-{i}": Entry("", day, None, day, 0, f"D-{i}\tlead\t\t\t", format_path([]))
        for i in range(5)}, FIELDS))
    current = Current(FIELDS, {f"D-{i}": f"D-{i}\tlead\t\t\t" for i in (3, 1, 4, 0, 2)})
    observation = observe(snapshot, current, observed_at=DAY)
    assert snapshot.packed is not None and snapshot.packed.holds(observation.snapshot)
    assert observation.changes == []
    moved = replace(observation.snapshot.entries["D-3"], close_pushes=1)
    assert not snapshot.packed.holds(
        Snapshot({**observation.snapshot.entries, "D-3": moved}, FIELDS))
