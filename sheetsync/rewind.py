"""The register as it was on a past day: today's values with the later changes undone.

sheetsync keeps no copy of the register per day. What it keeps is enough to rebuild one:

- the **snapshot** of what the last run saw (:mod:`sheetsync.history`): per 案件ID its values
  and the day it was first seen;
- every field-level change a run observed (**変更履歴**: when, 案件ID, field, old value) — and
  the changes of the run in progress, not yet written;
- the last-seen values of every deal that disappeared (a removal in 変更履歴 names only the
  deal), kept for :data:`KEEP_DAYS` days in the hidden tab ``_sheetsync_removed``.

:func:`register_on` rebuilds each deal as it stood at the end of a day: its values now (or
when it was removed), every field set back to the old value of the first change observed
after that day. A deal first seen after it was not there yet. The rebuilt rows are validated
again exactly as the register is, so a row that failed validation then counts as it counted
then: nowhere.

How far back that reaches (:func:`earliest_day`): not before the earliest first sighting
known (the first run), not before the oldest day 変更履歴 still holds once its retention cut
it, and not before a removal whose values were not kept (one recorded before the removed tab
existed, or kept too long ago).

Pure functions; the pipeline does the I/O (:func:`build_change_log` gathers what it read).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, filterfalse, repeat
from operator import le
from typing import Any

import numpy as np
import pandas as pd

from .grid import CellValue, Grid
from .history import (
    _ESCAPES,
    _HISTORY_HEADERS,
    REMOVED,
    Change,
    HistoryValue,
    Observation,
    Retention,
    Snapshot,
    Unreadable,
    _existing_rows,
    read_snapshot,
    split_signature,
    stored_value,
)
from .schema import Schema
from .tabspec import Column, TabSpec
from .textnorm import is_blank
from .validate import ValidationResult, empty_deals, validate_register

REMOVED_TAB = "_sheetsync_removed"
REMOVED_VERSION = "sheetsync-removed v1"
#: the longest window パイプライン増減 looks back (``pipeline_changes.days``)
MAX_DAYS = 92
#: a removed deal's values are kept this many days: enough for the longest window
KEEP_DAYS = MAX_DAYS + 1
_REMOVED_COLUMNS = ("deal_id", "removed_at", "first_seen", "close_pushes", "values")
_VALUES_PREFIX = "values:"

#: a cell as a rebuilt row holds it: what the register could hold, or an unreadable value
PastCell = HistoryValue


@dataclass(frozen=True)
class Tombstone:
    """A deal as the last run before its removal saw it: ``values`` are the snapshot's texts
    by field name (:func:`sheetsync.history.normalised_text`)."""

    deal_id: str
    removed_at: dt.datetime
    first_seen: dt.date
    close_pushes: int
    values: Mapping[str, str]

    @property
    def day(self) -> dt.date:
        return self.removed_at.date()


@dataclass(frozen=True)
class Event:
    """One change observed: ``field`` (schema name; None when the deal was removed) and the
    value before it, as a cell the register could hold (変更履歴's text as shown, which the
    register's own parsers read back: ``¥1,200,000``, ``2026/10/20``, ``提案``)."""

    at: dt.datetime
    deal_id: str
    field: str | None
    old: PastCell = None


@dataclass(frozen=True)
class ChangeLog:
    """Everything the register's past is rebuilt from (see the module's docstring).

    ``snapshot`` is the snapshot after the run's observation (the register now);
    ``header`` maps each field the register has to its header as written; ``rows`` maps
    each tracked 案件ID to its register row; ``history_rows`` and ``oldest_history`` say how
    many rows 変更履歴 held when read and the oldest day among them (for retention)."""

    snapshot: Snapshot
    schema: Schema
    events: tuple[Event, ...] = ()
    tombstones: tuple[Tombstone, ...] = ()
    language: str = "ja"
    owners: tuple[str, ...] = ()
    header: Mapping[str, str] = field(default_factory=dict)
    rows: Mapping[str, int] = field(default_factory=dict)
    history_rows: int = 0
    oldest_history: dt.date | None = None
    retention: Retention = field(default_factory=Retention)
    #: each tracked deal's cells as the snapshot holds them (:func:`_snapshot_cells`), kept
    #: once made: :func:`register_on` and :func:`register_now` ask for the same ones
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Past:
    """The register at the end of ``day``: ``deals`` are the rows valid then (the validated
    deals contract, one per 案件ID); ``invalid`` the cells of the deals present whose row
    failed validation (cells as rebuilt, unreadable ones as :class:`Unreadable`)."""

    day: dt.date
    deals: pd.DataFrame
    invalid: Mapping[str, Mapping[str, PastCell]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- stamps


def stamp(value: object) -> dt.datetime | None:
    """A stamp as a naive datetime (a date is its midnight); None when it is not one.

    >>> stamp(dt.date(2026, 12, 4)), stamp("2026-12-04T09:30"), stamp("x")
    (datetime.datetime(2026, 12, 4, 0, 0), datetime.datetime(2026, 12, 4, 9, 30), None)
    """
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str) and value.strip():
        try:
            return stamp(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _day(value: object) -> dt.date | None:
    at = stamp(value)
    return at.date() if at is not None else None


# ------------------------------------------------------------------ removed deals' tab


def read_tombstones(grid: Grid | None) -> list[Tombstone]:
    """The removed deals the hidden tab keeps (none when the tab does not exist)."""
    if grid is None:
        return []
    rows = grid.rows
    start = next((i + 1 for i, row in enumerate(rows[:5])
                  if row and str(row[0]).strip() == _REMOVED_COLUMNS[0]), None)
    if start is None:
        return []
    header = rows[start - 1]
    width = len(_REMOVED_COLUMNS)
    values_header = str(header[width - 1]) if len(header) >= width and header[width - 1] else ""
    if not values_header.startswith(_VALUES_PREFIX):
        return []
    fields = values_header.removeprefix(_VALUES_PREFIX).split(",")
    out = []
    for row in rows[start:]:
        row = [*row, *([None] * (width - len(row)))]
        deal_id, removed, first, pushes, values = row[:width]
        at, first_seen = stamp(removed), _day(first)
        if is_blank(deal_id) or at is None or first_seen is None:
            continue
        try:
            count = int(pushes or 0)
        except (TypeError, ValueError):
            count = 0
        texts = split_signature(str(values or ""))
        out.append(Tombstone(str(deal_id), at, first_seen, count,
                             dict(zip(fields, texts, strict=False))))
    return out


def removed_tab(tombstones: Iterable[Tombstone], fields: Sequence[str]) -> TabSpec:
    """The hidden tab keeping removed deals' last-seen values (text cells only, like the
    snapshot, so both backends read back exactly what was written)."""
    rows = [
        [t.deal_id, t.removed_at.isoformat(timespec="minutes"), t.first_seen.isoformat(),
         t.close_pushes, "\t".join(t.values.get(f, "").translate(_ESCAPES) for f in fields)]
        for t in sorted(tombstones, key=lambda t: (t.removed_at, t.deal_id))
    ]
    columns = [Column(key, key, "int" if key == "close_pushes" else "text")
               for key in _REMOVED_COLUMNS[:-1]]
    columns.append(Column("values", _VALUES_PREFIX + ",".join(fields), "text"))
    return TabSpec(name=REMOVED_TAB, columns=columns, rows=rows,
                   note=f"{REMOVED_VERSION} — written by sheetsync; do not edit", hidden=True)


def kept_tombstones(tombstones: Iterable[Tombstone], as_of: dt.date) -> list[Tombstone]:
    """The tombstones still kept on ``as_of`` (removed within :data:`KEEP_DAYS` days), each
    once.

    >>> t = Tombstone("D1", dt.datetime(2026, 9, 1), dt.date(2026, 8, 1), 0, {})
    >>> kept = kept_tombstones([t, t], dt.date(2026, 12, 3))
    >>> len(kept), kept_tombstones([t], dt.date(2026, 12, 4))
    (1, [])
    """
    limit = as_of - dt.timedelta(days=KEEP_DAYS)
    seen: dict[tuple[str, dt.datetime], Tombstone] = {}
    for t in tombstones:
        if t.day >= limit:
            seen.setdefault((t.deal_id, t.removed_at), t)
    return list(seen.values())


def tombstones_of(state: Grid | Snapshot | None, changes: Sequence[Change]
                  ) -> list[Tombstone]:
    """Tombstones for the deals this run saw removed, from the snapshot as read (their last
    values): ``state`` is that snapshot, or the state tab it is read from."""
    removed = {c.deal_id: c.observed_at for c in changes if c.field is None}
    if not removed or state is None:
        return []
    snapshot = state if isinstance(state, Snapshot) else read_snapshot(state)
    out = []
    for deal_id, observed in removed.items():
        entry = snapshot.entry(deal_id)
        at = stamp(observed)
        if entry is not None and at is not None:
            out.append(Tombstone(deal_id, at, entry.first_seen, entry.close_pushes,
                                 snapshot.values_of(entry)))
    return out


# ------------------------------------------------------------------------------ events


def read_events(history: Grid | None, changes: Sequence[Change], schema: Schema,
                language: str) -> tuple[list[Event], int, dt.date | None]:
    """The changes observed: 変更履歴's rows (in either language; a row `sheetsync fix`
    wrote is a correction of how a value is typed, never of the value, and is skipped) and
    this run's ``changes``. Also how many rows 変更履歴 held and its oldest day."""
    labels: dict[str, str | None] = {REMOVED.ja: None, REMOVED.en: None}
    for fld in schema.fields:
        labels[fld.label("ja")] = labels[fld.label("en")] = fld.name
    events: list[Event] = []
    rows = _existing_rows(history, len(_HISTORY_HEADERS))
    oldest: dt.date | None = None
    for when, deal_id, label, old, _new, _owner, kind in rows:
        at = stamp(when)
        if at is not None and (oldest is None or at.date() < oldest):
            oldest = at.date()
        if at is None or is_blank(deal_id) or not is_blank(kind):
            continue
        key = str(label).strip() if label is not None else ""
        if key not in labels:
            continue
        name = labels[key]
        events.append(Event(at, str(deal_id).strip(), name, None if name is None else old))
    for change in changes:
        at = stamp(change.observed_at)
        if at is None:
            continue
        old: PastCell = None
        if change.field is not None and schema.has_field(change.field):
            old = stored_value(change.old, schema.field(change.field), language)
        elif change.field is not None:
            continue
        events.append(Event(at, change.deal_id, change.field, old))
    return events, len(rows), oldest


def build_change_log(
    *,
    observation: Observation,
    schema: Schema,
    validation: ValidationResult,
    state: Grid | Snapshot | None,
    history: Grid | None,
    removed: Grid | None,
    language: str,
    owners: Sequence[str] = (),
    retention: Retention | None = None,
) -> ChangeLog:
    """What a run read and observed, gathered for :func:`register_on`: ``state``,
    ``history`` and ``removed`` are the hidden state tab (or the snapshot read from it),
    変更履歴 and the removed deals' tab as read (None when absent)."""
    events, count, oldest = read_events(history, observation.changes, schema, language)
    tombstones = [*read_tombstones(removed), *tombstones_of(state, observation.changes)]
    header = validation.header
    labels = dict(header.labels) if header is not None else {}
    ids = validation.values.get("deal_id", [])
    rows = _TrackedRows(ids, validation.rows, observation.snapshot.columns.index)
    return ChangeLog(
        snapshot=observation.snapshot, schema=schema, events=tuple(events),
        tombstones=tuple(tombstones), language=language, owners=tuple(owners),
        header={name: labels.get(name) or schema.field(name).label(language)
                for name in (header.columns if header is not None else ())},
        rows=rows, history_rows=count, oldest_history=oldest, retention=retention or Retention(),
    )


class _TrackedRows(Mapping[str, int]):
    """Each tracked 案件ID's register row (``rows[i]`` is ``ids[i]``'s), made when first
    asked for: パイプライン増減 asks only when it lists a deal, and at 100,000 deals the
    dict costs 0.02 s."""

    def __init__(self, ids: Sequence[Any], rows: Sequence[int], tracked: Container[Any]
                 ) -> None:
        self._made: tuple[Sequence[Any], Sequence[int], Container[Any]] = (ids, rows, tracked)

    @cached_property
    def _rows(self) -> dict[str, int]:
        ids, rows, tracked = self._made
        # the tracked 案件IDs are text: a look-up per row in C says which rows are theirs
        return dict(compress(zip(ids, rows), map(tracked.__contains__, ids)))

    def __getitem__(self, deal_id: str) -> int:
        return self._rows[deal_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return repr(self._rows)


# ------------------------------------------------------------------------- the past


def earliest_day(log: ChangeLog, as_of: dt.date, since: dt.date) -> dt.date:
    """The earliest day whose register :func:`register_on` can rebuild, looking back from
    ``as_of`` to ``since`` (never after ``as_of``).

    >>> from sheetsync.schema import load_schema
    >>> log = ChangeLog(Snapshot(), load_schema())
    >>> earliest_day(log, dt.date(2026, 12, 4), dt.date(2026, 11, 27))  # nothing seen yet
    datetime.date(2026, 12, 4)
    """
    firsts = [*log.snapshot.columns.first_seen, *(t.first_seen for t in log.tombstones)]
    days = [min(firsts, default=as_of)]
    if log.history_rows >= log.retention.rows:  # the cap was reached: older rows are gone
        days.append(log.oldest_history or as_of)
    if log.retention.days is not None:
        days.append(as_of - dt.timedelta(days=log.retention.days + 1))
    kept = {(t.deal_id, t.day) for t in log.tombstones}
    days += [e.at.date() for e in log.events
             if e.field is None and e.at.date() > since and (e.deal_id, e.at.date()) not in kept]
    return min(max(days), as_of)


def snapshot_cells(values: Mapping[str, str], schema: Schema, language: str,
                   memo: dict[tuple[str, str], PastCell] | None = None
                   ) -> dict[str, PastCell]:
    """A deal's snapshot texts as the cells they stand for (:func:`history.stored_value`).
    ``memo`` keeps each (field, text)'s cell between calls (the cells are immutable values,
    and a register repeats its texts)."""
    if memo is None:
        return {f.name: stored_value(values.get(f.name, ""), f, language)
                for f in schema.fields}
    out: dict[str, PastCell] = {}
    for f in schema.fields:
        key = (f.name, values.get(f.name, ""))
        cell = memo.get(key, _UNSEEN)
        if cell is _UNSEEN:
            cell = memo[key] = stored_value(key[1], f, language)
        out[f.name] = cell
    return out


_UNSEEN: Any = object()


def register_on(log: ChangeLog, day: dt.date, today: pd.DataFrame) -> Past:
    """Every deal as it stood at the end of ``day`` (see the module's docstring).

    ``today`` is the validated deals frame of the register now: a deal unchanged since
    ``day`` is taken from it as it is.
    """
    changed: dict[str, list[Event]] = defaultdict(list)
    for event in log.events:
        if event.field is not None and event.at.date() > day:
            changed[event.deal_id].append(event)
    language = log.language
    snapshot = log.snapshot
    held = snapshot.columns
    # there on ``day`` (not first seen after it), then: changed since, or as they are now
    there = list(compress(held.ids, map(le, held.first_seen, repeat(day))))
    unchanged = list(filterfalse(changed.__contains__, there)) if changed else there
    rebuilt: dict[str, dict[str, PastCell]] = {
        deal_id: _undone(snapshot_cells(snapshot.values_at(held, held.index[deal_id]),
                                        log.schema, language), changed[deal_id])
        for deal_id in compress(there, map(changed.__contains__, there))}
    covered = set(rebuilt) | set(unchanged)
    for t in sorted(log.tombstones, key=lambda t: t.removed_at):
        # the life this tombstone ends covers ``day``; a deal there on ``day`` under the
        # same 案件ID now (or in another such life) cannot have been removed since
        if t.deal_id in covered or t.first_seen > day or t.day <= day:
            continue
        covered.add(t.deal_id)
        rebuilt[t.deal_id] = _undone(
            snapshot_cells(t.values, log.schema, language),
            [e for e in changed.get(t.deal_id, ()) if e.at <= t.removed_at])

    # every deal there on ``day`` unchanged: the same 案件IDs as the snapshot's
    kept = held.index if len(unchanged) == len(held.ids) else set(unchanged)
    same, valid_now = _rows_of(today, kept)
    invalid: dict[str, dict[str, PastCell]] = {}
    invalid.update(_snapshot_cells(log, filterfalse(valid_now.__contains__, unchanged)))
    frame, broken = _validated(rebuilt, log)
    invalid.update({d: rebuilt[d] for d in broken})
    columns = list(empty_deals(log.schema).columns)
    parts = [p[columns] for p in (same.reindex(columns=columns), frame) if len(p)]
    deals = pd.concat(parts, ignore_index=True) if parts else empty_deals(log.schema)
    return Past(day, deals, invalid)


def register_now(log: ChangeLog, today: pd.DataFrame, as_of: dt.date) -> Past:
    """The register now as :func:`register_on` gives a past day: the tracked deals of
    ``today`` (the validated deals frame), and the cells of those whose row fails."""
    held = log.snapshot.columns
    deals, valid = _rows_of(today, held.index)
    invalid = _snapshot_cells(log, filterfalse(valid.__contains__, held.ids))
    return Past(as_of, deals, invalid)


def _rows_of(today: pd.DataFrame, ids: Container[Any]) -> tuple[pd.DataFrame, set[Any]]:
    """The rows of the deals frame ``today`` whose 案件ID is one of ``ids``, and their
    案件IDs (a look-up per row in the snapshot's own index, not a hash table built again)."""
    if not len(today):
        return today, set()
    column = today["deal_id"].astype(object) if "deal_id" in today.columns else pd.Series([])
    found = column.tolist()
    mask = np.fromiter(map(ids.__contains__, found), dtype=bool, count=len(found))
    return today[mask], set(compress(found, mask))


def _snapshot_cells(log: ChangeLog, ids: Iterable[str]) -> dict[str, dict[str, PastCell]]:
    """The cells of the tracked deals ``ids`` as the snapshot holds them, each deal's made
    once per ``log`` (:attr:`ChangeLog.memo`; each (field, text) read once)."""
    snapshot = log.snapshot
    held = snapshot.columns
    made_of = (snapshot, log.schema, log.language)
    if any(a is not b for a, b in zip(log.memo.get("of", ()), made_of)) or not log.memo:
        log.memo.clear()  # a copy of the log (dataclasses.replace) with other contents
        log.memo["of"] = made_of
    deals: dict[str, dict[str, PastCell]] = log.memo.setdefault("deals", {})
    texts: dict[tuple[str, str], PastCell] = log.memo.setdefault("texts", {})
    out = {}
    for deal_id in ids:
        cells = deals.get(deal_id)
        if cells is None:
            cells = deals[deal_id] = snapshot_cells(
                snapshot.values_at(held, held.index[deal_id]), log.schema, log.language,
                texts)
        out[deal_id] = cells
    return out


def _undone(cells: dict[str, PastCell], events: Iterable[Event]) -> dict[str, PastCell]:
    """``cells`` with each field set to its value before the first of ``events``."""
    out = dict(cells)
    for event in sorted(events, key=lambda e: e.at, reverse=True):
        if event.field in out:
            out[event.field] = event.old
    return out


def _validated(rebuilt: Mapping[str, Mapping[str, PastCell]], log: ChangeLog
               ) -> tuple[pd.DataFrame, list[str]]:
    """The rebuilt rows validated as the register is: (valid rows, 案件IDs of the others)."""
    if not rebuilt:
        return empty_deals(log.schema), []
    names = list(log.header) or [f.name for f in log.schema.fields]
    header = [log.header.get(n) or log.schema.field(n).label(log.language) for n in names]
    ids = list(rebuilt)

    def cell(value: PastCell) -> CellValue:
        return value.typed if isinstance(value, Unreadable) else value

    rows: list[list[CellValue]] = [header]
    rows += [[cell(rebuilt[d].get(n)) for n in names] for d in ids]
    result = validate_register(Grid("past", rows), log.schema, language=log.language,
                               owners=log.owners)
    deals = result.deals
    by_row = {r: ids[r - 2] for r in range(2, len(ids) + 2)}
    valid = [by_row[int(r)] for r in deals["_row"].tolist()]
    deals = deals.assign(deal_id=pd.Series(valid, index=deals.index, dtype=object))
    return deals, [d for d in ids if d not in set(valid)]
