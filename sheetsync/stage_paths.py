"""Each deal's stage path: the stages sheetsync saw it in, and when (ファネル, issue 13).

The snapshot (:mod:`sheetsync.history`) keeps per deal one short text, ``stage_path``: the
stage of the first sighting, then every change of stage a run observed, each with its day
counted from the first sighting and — on a move from an open stage to a closed one — the
受注確率 and 確度 the deal carried when it was last seen open::

    lead;meeting:14;proposal:30;won:51@35,B

reads: first seen at リード; seen at 初回商談 14 days later, at 提案 after 30 days, 受注 after
51 days, when its last open observation said 受注確率 35 % and 確度 B (either may be blank:
``@,B``, ``@35,``, ``@,``). A cell that failed validation (or is blank) is no stage: the path
only records stages of the schema, so a typo and its correction add no step. 変更履歴 ages out
under retention; the path does not, so the funnel and the calibration keep their history
(about 30 characters per deal).

A state tab written before the path existed has none: :func:`seed_paths` rebuilds each
deal's path once from the フェーズ rows of 変更履歴 (as far back as it reaches), and the
受注確率 and 確度 of a close from the later changes undone. Pure functions; the pipeline calls
them around :func:`sheetsync.history.observe`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from itertools import repeat
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import pandas as pd

from .coerce import CoercionError, parse_percent
from .grid import CellValue, Grid
from .history import (
    _HISTORY_HEADERS,
    Entry,
    Observation,
    Snapshot,
    _existing_rows,
    split_signature,
)
from .schema import Schema
from .textnorm import is_blank

#: the deals frame's column holding each deal's path (:class:`SeenPath`)
STEPS_COLUMN = "stage_steps"
_SAFE = "_-."  # besides letters and digits, what a stage or rank value keeps as typed


class Step(NamedTuple):
    """One stage a deal was seen in: from ``offset`` days after its first sighting. On a
    close, ``carried`` = (受注確率 text, 確度 value) of its last open observation ("" when
    blank); None on every other step."""

    stage: str
    offset: int = 0
    carried: tuple[str, str] | None = None


class SeenPath(NamedTuple):
    """A deal's steps with the day of its first sighting, as an ordinal
    (:meth:`datetime.date.toordinal`): step ``i`` was seen on ``first_day + steps[i].offset``
    — whole-day arithmetic without a date object per step, which counts at 100,000 deals."""

    first_day: int
    steps: tuple[Step, ...]

    def day(self, i: int) -> int:
        return self.first_day + self.steps[i].offset

    def date(self, i: int) -> dt.date:
        """The day step ``i`` was seen."""
        return dt.date.fromordinal(self.day(i))


def format_path(steps: Sequence[Step]) -> str:
    """The snapshot's text for ``steps``.

    >>> format_path([Step("lead"), Step("proposal", 14), Step("won", 30, ("35", "B"))])
    'lead;proposal:14;won:30@35,B'
    """
    parts = []
    for s in steps:
        part = quote(s.stage, safe=_SAFE) + (f":{s.offset}" if s.offset else "")
        if s.carried is not None:
            part += f"@{quote(s.carried[0], safe=_SAFE)},{quote(s.carried[1], safe=_SAFE)}"
        parts.append(part)
    return ";".join(parts)


@lru_cache(maxsize=1 << 16)
def parse_path(text: str | None) -> tuple[Step, ...]:
    """The steps of a path text (a malformed step is skipped, never guessed at).

    >>> parse_path("lead;proposal:14;won:30@35,B")[2]
    Step(stage='won', offset=30, carried=('35', 'B'))
    >>> parse_path(""), parse_path("lead;:x;quote:3")
    ((), (Step(stage='lead', offset=0, carried=None), Step(stage='quote', offset=3, carried=None)))
    """
    steps: list[Step] = []
    plain = "%" not in (text or "")  # nothing quoted: no need to unquote (most paths)
    for part in (text or "").split(";"):
        head, at, tail = part.partition("@")
        stage, colon, offset = head.partition(":")
        carried = None
        if at:
            prob, comma, rank = tail.partition(",")
            if not comma:
                continue
            carried = (prob, rank) if plain else (unquote(prob), unquote(rank))
        if not stage or (colon and not offset.isdigit()):
            continue
        steps.append(Step(stage if plain else unquote(stage), int(offset) if colon else 0,
                          carried))
    return tuple(steps)


@lru_cache(maxsize=1 << 16)  # deals first seen on one day often share their path
def seen_path(path: str | None, first_seen: dt.date) -> SeenPath:
    """The steps of ``path`` from the first sighting on ``first_seen``.

    >>> seen = seen_path("lead;won:3@,A", dt.date(2026, 11, 1))
    >>> seen.steps[1].stage, seen.date(1), seen.steps[1].carried
    ('won', datetime.date(2026, 11, 4), ('', 'A'))
    """
    return SeenPath(first_seen.toordinal(), parse_path(path))


# ----------------------------------------------------------------------------- a run


def _probability_text(text: str) -> str:
    """A snapshot's 受注確率 text as carried: the number, or "" when blank or unreadable."""
    try:
        float(text)
    except ValueError:
        return ""
    return text


def _rank_text(text: str) -> str:
    return "" if text.startswith("?") else text


def track_stages(before: Snapshot, observation: Observation, *, day: dt.date,
                 stages: Collection[str], closed: Collection[str]) -> Observation:
    """``observation`` with every deal's path brought up to date: a first sighting starts
    one (at its stage, if valid), a stage other than the path's last adds a step on ``day``
    (on a close from an open stage seen in the previous run, with what the deal carried
    then). ``stages``: the schema's stage values; ``closed``: its closed ones. A path
    unknown in ``before`` (an old state tab not seeded) stays unknown. Only the deals that
    did not keep their entry as it was are looked at (first sightings and changes: what
    :func:`~sheetsync.history.observe` says it looked at).

    >>> from sheetsync.history import Current, observe
    >>> def seen(stage, prob, when, snap):
    ...     cur = Current(("deal_id", "stage", "probability", "rank"),
    ...                   {"D": "\\t".join(["D", stage, prob, "B"])})
    ...     obs = track_stages(snap, observe(snap, cur, observed_at=when), day=when,
    ...                        stages={"proposal", "won", "lost"}, closed={"won", "lost"})
    ...     return obs.snapshot
    >>> snap = seen("proposal", "", dt.date(2026, 11, 1), Snapshot())
    >>> snap = seen("won", "100", dt.date(2026, 11, 9), snap)
    >>> snap.entries["D"].path
    'proposal;won:8@,B'
    """
    after = observation.snapshot
    held = after.held_columns
    origin = held.origin if held is not None else None
    if held is None or origin is None or origin.before is not before:
        return _track_entries(before, observation, day=day, stages=stages, closed=closed)
    at = after.fields.index("stage") if "stage" in after.fields else None
    paths = list(held.paths)
    for i in origin.looked:
        parts = split_signature(held.values[i]) if at is not None else []
        stage = parts[at] if at is not None and at < len(parts) else ""
        j = origin.at[i]
        paths[i] = _next_path(paths[i], stage, held.first_seen[i],
                              partial(before.values_at, origin.columns, j), first=j < 0,
                              day=day, stages=stages, closed=closed)
    if paths == held.paths:
        return observation
    columns = replace(held, paths=paths, source=None, origin=None)
    return Observation(Snapshot(fields=after.fields, columns=columns), observation.changes)


def _next_path(path: str | None, stage: str, first_seen: dt.date,
               previous: Callable[[], Mapping[str, str]], *, first: bool, day: dt.date,
               stages: Collection[str], closed: Collection[str]) -> str | None:
    """The path of a deal that did not keep its entry as it was, now at ``stage``:
    ``previous`` gives its values in the snapshot before (``first``: it had none)."""
    if first:  # first sighting
        return format_path([Step(stage)] if stage in stages else [])
    if path is None or stage not in stages:
        return path
    steps = parse_path(path)
    last = steps[-1] if steps else None
    if last is not None and last.stage == stage:
        return path
    carried = None
    if stage in closed and last is not None and last.stage not in closed:
        values = previous()
        if values.get("stage") == last.stage:
            carried = (_probability_text(values.get("probability", "")),
                       _rank_text(values.get("rank", "")))
    offset = max((day - first_seen).days, last.offset if last else 0)
    return format_path([*steps, Step(stage, offset, carried)])


def _track_entries(before: Snapshot, observation: Observation, *, day: dt.date,
                   stages: Collection[str], closed: Collection[str]) -> Observation:
    """:func:`track_stages` for an observation held as entries: a deal whose entry is not
    the one of ``before`` is looked at — the very object, or an equal one under the same
    fields (what :func:`~sheetsync.history.observe` kept, once its entries were built)."""
    after = observation.snapshot
    entries: dict[str, Entry] = {}
    at = after.fields.index("stage") if "stage" in after.fields else None
    same_fields = after.fields == before.fields
    for deal_id, entry in after.entries.items():
        old = before.entries.get(deal_id)
        if old is entry or (same_fields and old == entry):  # unchanged: its path too
            entries[deal_id] = entry
            continue
        parts = split_signature(entry.values) if at is not None else []
        stage = parts[at] if at is not None and at < len(parts) else ""
        path = _next_path(entry.path, stage, entry.first_seen,
                          partial(before.values_of, old),  # type: ignore[arg-type]
                          first=old is None, day=day, stages=stages, closed=closed)
        entries[deal_id] = entry if path == entry.path else replace(entry, path=path)
    return Observation(Snapshot(entries, after.fields), observation.changes)


def steps_column(deals: pd.DataFrame, snapshot: Snapshot) -> pd.DataFrame:
    """``deals`` with :data:`STEPS_COLUMN`: each tracked deal's :class:`SeenPath` (None for
    a deal sheetsync does not track)."""
    held = snapshot.columns
    # each tracked deal's, then the register's deals' (in C: map, gather by position)
    seen = [*map(seen_path, held.paths, held.first_seen), None]
    at = map(held.index.get, deals["deal_id"].tolist(), repeat(-1))
    steps = list(map(seen.__getitem__, at))
    return deals.assign(**{STEPS_COLUMN: pd.Series(steps, index=deals.index, dtype=object)})


# ------------------------------------------------------------- seeding an old state tab


@dataclass(frozen=True)
class _Row:
    when: dt.datetime
    field: str
    old: CellValue
    new: CellValue


def seed_paths(snapshot: Snapshot, history: Grid | None, schema: Schema) -> Snapshot:
    """``snapshot`` with the path of every deal that has none (a state tab written before
    paths existed) rebuilt from 変更履歴 (``history``, as read; either language): the stage
    before its first フェーズ change since the first sighting, then each change; a close from
    an open stage carries the 受注確率 and 確度 of the snapshot's values with every later
    change of them undone. Rows `sheetsync fix` wrote (修正内容 filled) are corrections, not
    changes. A path already there is kept as it is.

    >>> from sheetsync.schema import load_schema
    >>> snap = Snapshot({"D": Entry("f", dt.date(2026, 11, 1), None, dt.date(2026, 11, 8), 0,
    ...                  "D\\twon\\t100\\tA")}, ("deal_id", "stage", "probability", "rank"))
    >>> head = ["日時", "案件ID", "項目", "変更前", "変更後", "担当者", "修正内容"]
    >>> grid = Grid("変更履歴", [head,
    ...     [dt.datetime(2026, 11, 8, 9), "D", "フェーズ", "提案", "受注", "佐藤", None],
    ...     [dt.datetime(2026, 11, 8, 9), "D", "受注確率", "40%", "100%", "佐藤", None]])
    >>> seed_paths(snap, grid, load_schema()).entries["D"].path
    'proposal;won:7@40,A'
    """
    if None not in snapshot.columns.paths:  # every path known (no entry built to say so)
        return snapshot
    rows = _history_rows(history, schema)
    stage_field = schema.stage_field
    closed = schema.closed_stages()
    entries = dict(snapshot.entries)
    for deal_id, entry in snapshot.entries.items():
        if entry.path is not None:
            continue
        values = snapshot.values_of(entry)
        mine = [r for r in rows.get(deal_id, ()) if r.when.date() >= entry.first_seen]
        changes = [(r, _choice(stage_field, r.old), _choice(stage_field, r.new))
                   for r in mine if r.field == "stage"]
        first = changes[0][1] if changes else values.get("stage", "")
        steps: list[Step] = []
        if first and not first.startswith("?") and first in schema_stages(schema):
            steps.append(Step(first))
        for row, _, new in changes:
            if new is None or (steps and steps[-1].stage == new):
                continue
            carried = None
            if new in closed and steps and steps[-1].stage not in closed:
                carried = _carried_before(row.when, mine, values, schema)
            offset = max((row.when.date() - entry.first_seen).days,
                         steps[-1].offset if steps else 0)
            steps.append(Step(new, offset, carried))
        entries[deal_id] = replace(entry, path=format_path(steps))
    return Snapshot(entries, snapshot.fields)


def schema_stages(schema: Schema) -> frozenset[str]:
    """The stage values of ``schema``."""
    return frozenset(c.value for c in schema.stage_field.choices)


def _choice(fld: Any, value: CellValue) -> str | None:
    if is_blank(value):
        return None
    try:
        return str(fld.choice(str(value)).value)
    except KeyError:
        return None


def _carried_before(when: dt.datetime, rows: Sequence[_Row], values: Mapping[str, str],
                    schema: Schema) -> tuple[str, str]:
    """受注確率 and 確度 just before the run at ``when``: today's values with every change
    observed at or after it undone (the earliest such change's old value)."""
    out = {"probability": values.get("probability", ""), "rank": values.get("rank", "")}
    for name in out:
        later = [r for r in rows if r.field == name and r.when >= when]
        if not later:
            continue
        old = min(later, key=lambda r: r.when).old
        if name == "probability":
            out[name] = _percent_text(old)
        else:
            out[name] = _choice(schema.field("rank"), old) or ""
    return (_probability_text(out["probability"]), _rank_text(out["rank"]))


def _percent_text(value: CellValue) -> str:
    if is_blank(value):
        return ""
    try:
        return f"{parse_percent(value):g}"
    except CoercionError:
        return ""


def _history_rows(grid: Grid | None, schema: Schema) -> dict[str, list[_Row]]:
    """変更履歴's rows of フェーズ, 受注確率 and 確度 by 案件ID, oldest first (a rep's edits
    only: a row with 修正内容 is `sheetsync fix`'s correction)."""
    labels: dict[str, str] = {}
    for name in ("stage", "probability", "rank"):
        if schema.has_field(name):
            fld = schema.field(name)
            labels[fld.label("ja")] = labels[fld.label("en")] = name
    out: dict[str, list[_Row]] = {}
    for row in _existing_rows(grid, len(_HISTORY_HEADERS)):
        when, deal_id, label, old, new, _owner, kind = row
        name = labels.get(str(label)) if label is not None else None
        stamp = _stamp(when)
        if name is None or deal_id is None or stamp is None or not is_blank(kind):
            continue
        out.setdefault(str(deal_id), []).append(_Row(stamp, name, old, new))
    for rows in out.values():
        rows.sort(key=lambda r: r.when)  # stable: a run's rows keep their order
    return out


def _stamp(value: CellValue) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str) and value.strip():
        for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
    return None


def steps_of(deals: pd.DataFrame, as_of: dt.date) -> list[SeenPath]:
    """Per deal (in the frame's order), its path up to ``as_of`` (a step seen after it — a
    backfill run after later runs — is left out); no steps without :data:`STEPS_COLUMN`."""
    none = SeenPath(0, ())
    if STEPS_COLUMN not in deals.columns:
        return [none] * len(deals)
    last = as_of.toordinal()
    out = []
    for seen in deals[STEPS_COLUMN]:
        if not isinstance(seen, SeenPath) or not seen.steps:
            out.append(none)
        elif seen.first_day + seen.steps[-1].offset <= last:
            out.append(seen)
        else:
            out.append(SeenPath(seen.first_day, tuple(
                s for s in seen.steps if seen.first_day + s.offset <= last)))
    return out
