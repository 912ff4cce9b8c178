"""Change history: what changed in the register between runs, observed by sheetsync.

A spreadsheet does not record when a row last changed, so every run compares the register
with the last-seen **snapshot** (per 案件ID: normalised values, a fingerprint, first seen,
last changed, when the current stage began and how often 受注予定日 was pushed back) kept
in a hidden tab of the same spreadsheet, and records field-level changes in **変更履歴**.
Both are written in the run's single atomic write, so a run on any machine continues
where the last one left off. Pure functions; the pipeline does the I/O.

What 変更履歴 shows of a value — observed by a run (from the snapshot's text, read back by
:func:`stored_value`) or written by `sheetsync fix` (the cell as typed and as written) — is
decided by one function, :func:`show_value`.

Rules: a deal's first sighting is not a change (it only enters the snapshot); a deal that
disappears is recorded once as removed; a changed 案件ID is a removal plus a first sighting;
running twice with no edits records nothing. Rows whose 案件ID is blank, invalid or
duplicated are not tracked (there is no identity to compare).

What the snapshot keeps for 要フォロー案件 (docs/definitions.md, "要フォロー案件"):

- ``last_changed``: the last day a change that counts as an **update** was observed. Every
  change is recorded in 変更履歴, but one that only moves 受注予定日 later is not an update —
  a deal that only slips must not look freshly worked on (it counts in ``close_pushes``).
- ``close_pushes``: how many times 受注予定日 was seen moved to a later date.
- ``stage_since``: the day the current stage was first seen — the day of the observed stage
  change, or the deal's first sighting. Counted from the first sighting it is only a lower
  bound (:func:`stale_columns` says which: ``stage_since_first_sighting``).

And for ファネル: ``stage_path``, the stages the deal was seen in and when, in one short
text (:mod:`sheetsync.stage_paths`; a state tab written before it has none and is seeded).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import chain, repeat
from operator import eq, is_
from typing import Any, Union

import numpy as np
import pandas as pd

from .errors import StateTabError
from .grid import CellValue, Grid, PercentValue
from .lease import Lease
from .packed import PackedError, is_packed_header, pack, unpack
from .schema import Field, Label, Schema
from .tabspec import Column, TabSpec
from .textnorm import is_blank
from .validate import INVALID, ValidationResult, display_value

SNAPSHOT_TAB = "_sheetsync_state"
HISTORY_TAB = Label("変更履歴", "Change history")
_STATE_KIND = "sheetsync-state"
_STATE_FORMAT = 2
#: the state tab's format, as its note row and header state it (sheetsync.packed)
SNAPSHOT_VERSION = f"{_STATE_KIND} v{_STATE_FORMAT}"
#: what versions before format v2 wrote in the note row (one row per deal)
SNAPSHOT_VERSION_V1 = "sheetsync-snapshot v1"
#: header of the values column: the field names its tab-joined values follow
_VALUES_PREFIX = "values:"

#: a normalised value longer than this is stored shortened with a hash of the whole, so one
#: snapshot cell stays far below Google's 50,000-character limit
LONG_VALUE = 300

_SNAPSHOT_COLUMNS = ("deal_id", "fingerprint", "first_seen", "last_changed", "stage_since",
                     "close_pushes", "values")
#: the column after them holding each deal's stage path (absent from older state tabs)
_PATH_COLUMN = "stage_path"
#: format v2's columns before the stage path and the values (no fingerprint: fingerprint_of)
_PACKED_COLUMNS = ("deal_id", "first_seen", "last_changed", "stage_since", "close_pushes")
_HISTORY_HEADERS = {
    "observed_at": Label("日時", "Observed at"),
    "deal_id": Label("案件ID", "Deal ID"),
    "field": Label("項目", "Field"),
    "old": Label("変更前", "Old value"),
    "new": Label("変更後", "New value"),
    "owner": Label("担当者", "Owner"),
    # what `sheetsync fix` did to the cell (空白除去, 文字列→日付 …); blank for a rep's edit
    "kind": Label("修正内容", "Fix"),
}
#: the header of the column naming a fix's kind (変更履歴 and the `fix` preview)
KIND_HEADER = _HISTORY_HEADERS["kind"]
REMOVED = Label("（削除）", "(removed)")
#: the snapshot stores a cell that failed validation as typed, behind this prefix
_UNREADABLE = "?"


@dataclass(frozen=True)
class Entry:
    """The snapshot of one deal. ``values`` is its signature: the normalised value of every
    field (in :attr:`Snapshot.fields` order), escaped and joined by tabs. ``fingerprint`` is
    :func:`fingerprint` of ``values`` — blank when it was not computed (format v2 does not
    store it: :func:`fingerprint_of` gives it); entries are compared without it."""

    fingerprint: str = field(compare=False)
    first_seen: dt.date
    last_changed: dt.date | None
    stage_since: dt.date | None
    close_pushes: int
    values: str
    #: the stages seen and when (:mod:`sheetsync.stage_paths`); None: unknown (a state tab
    #: written before paths existed, until :func:`~sheetsync.stage_paths.seed_paths`)
    path: str | None = None


@dataclass(frozen=True, eq=False)
class SnapshotColumns:
    """A snapshot as columns: item ``i`` of every list belongs to deal ``ids[i]``. What the
    state tab is read into and a run compares and updates — at 100,000 deals an
    :class:`Entry` per deal costs more (0.15 s to build) than reading the tab's text."""

    ids: list[str]
    first_seen: list[dt.date]
    last_changed: list[dt.date | None]
    stage_since: list[dt.date | None]
    close_pushes: list[int]
    values: list[str]
    paths: list[str | None]
    #: the columns these hold row for row, in another order (:func:`observe`: no deal
    #: changed, came or went) — so a snapshot that kept every row is known to hold what was
    #: read without comparing it
    source: SnapshotColumns | None = None
    #: how :func:`observe` made them from the snapshot before (:class:`_Origin`)
    origin: _Origin | None = field(default=None, repr=False)

    @cached_property
    def index(self) -> dict[str, int]:
        """Each 案件ID's position."""
        return dict(zip(self.ids, range(len(self.ids))))

    def entry(self, i: int) -> Entry:
        return Entry("", self.first_seen[i], self.last_changed[i], self.stage_since[i],
                     self.close_pushes[i], self.values[i], self.paths[i])

    def entries(self) -> dict[str, Entry]:
        """One :class:`Entry` per deal (the fingerprint left blank: :func:`fingerprint_of`)."""
        return dict(zip(self.ids, map(Entry, repeat(""), self.first_seen, self.last_changed,
                                      self.stage_since, self.close_pushes, self.values,
                                      self.paths)))

    @classmethod
    def of(cls, entries: dict[str, Entry]) -> SnapshotColumns:
        """The columns of ``entries``, in their order."""
        rows = list(entries.values())
        return cls(list(entries), [e.first_seen for e in rows], [e.last_changed for e in rows],
                   [e.stage_since for e in rows], [e.close_pushes for e in rows],
                   [e.values for e in rows], [e.path for e in rows])

    def lists(self) -> list[list[Any]]:
        """The columns after ``ids``, in :class:`Entry`'s order (what :func:`_set_row` sets)."""
        return [self.first_seen, self.last_changed, self.stage_since, self.close_pushes,
                self.values, self.paths]

    def gathered(self, at: list[int]) -> list[list[Any]]:
        """:meth:`lists` for the rows at positions ``at`` (-1: a row of None)."""
        return [list(map([*column, None].__getitem__, at)) for column in self.lists()]


@dataclass(frozen=True, eq=False)
class _Origin:
    """How :func:`observe` made a snapshot's columns: from ``before`` (the snapshot compared
    with, as ``columns``), deal ``i`` from its row ``at[i]`` (-1: first sighting); ``looked``
    are the deals that did not keep their row as it was (first sightings and changes) —
    the only ones :func:`~sheetsync.stage_paths.track_stages` has to look at."""

    before: Snapshot
    columns: SnapshotColumns
    at: list[int]
    looked: list[int]


class Snapshot:
    """What the last run saw, per 案件ID (:class:`Entry`), with the fields its values follow.

    Held either as ``entries`` or as columns (:class:`SnapshotColumns`: what the state tab
    is read into and :func:`observe` returns). ``entries`` of a snapshot held as columns are
    built when first asked for, and from then on are what it holds (a caller may change
    that dict); :attr:`columns` of one held as entries are built on each call."""

    def __init__(self, entries: dict[str, Entry] | None = None, fields: tuple[str, ...] = (),
                 packed: _Packed | None = None, *, columns: SnapshotColumns | None = None
                 ) -> None:
        self._entries = entries if entries is not None or columns is not None else {}
        self._columns = columns if entries is None else None
        self.fields = tuple(fields)
        #: the state tab's cells this snapshot was read from (format v2), kept so a snapshot
        #: that did not change is written back as it was read (:func:`snapshot_tab`)
        self.packed = packed

    @property
    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            assert self._columns is not None
            self._entries = self._columns.entries()
            if self.packed is not None and self.packed.columns is self._columns:
                self.packed.entries = dict(self._entries)  # the very objects read
            self._columns = None
        return self._entries

    @property
    def columns(self) -> SnapshotColumns:
        return self._columns if self._columns is not None else SnapshotColumns.of(self._entries)

    @property
    def held_columns(self) -> SnapshotColumns | None:
        """The columns this snapshot is held as (None: held as entries)."""
        return self._columns

    def __len__(self) -> int:
        return len(self._columns.ids) if self._columns is not None else len(self.entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self.fields == other.fields and self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Snapshot({len(self)} deals, fields={self.fields!r})"

    def values_of(self, entry: Entry) -> dict[str, str]:
        return dict(zip(self.fields, split_signature(entry.values)))

    def entry(self, deal_id: str) -> Entry | None:
        """The entry of ``deal_id`` (None: not tracked), without building every entry."""
        if self._columns is None:
            return self.entries.get(deal_id)
        i = self._columns.index.get(deal_id)
        return None if i is None else self._columns.entry(i)

    def values_at(self, columns: SnapshotColumns, i: int) -> dict[str, str]:
        """The values of deal ``i`` of ``columns`` (this snapshot's, passed in: a snapshot
        held as entries builds its columns on each call) by field name."""
        return dict(zip(self.fields, split_signature(columns.values[i])))


@dataclass(eq=False)
class _Packed:
    """A v2 state tab's header and chunk cells, with what they hold (the columns read, the
    fields): the cells stand for a snapshot with the same fields held as those columns (or
    as the same rows reordered: :attr:`SnapshotColumns.source`), or — once the snapshot
    read built its entries — per 案件ID the very same :class:`Entry` objects."""

    header: str
    chunks: list[str]
    columns: SnapshotColumns
    fields: tuple[str, ...]
    entries: dict[str, Entry] | None = None

    def holds(self, snapshot: Snapshot) -> bool:
        if snapshot.fields != self.fields:
            return False
        columns = snapshot.held_columns
        if columns is not None:
            return columns is self.columns or columns.source is self.columns
        entries, mine = snapshot.entries, self.entries
        return (mine is not None and len(entries) == len(mine)
                and all(map(is_, map(mine.get, entries), entries.values())))


@dataclass(frozen=True)
class Change:
    """One observed change of one field of one deal (``field`` is the schema name, or
    ``None`` for a removed deal). ``old``, ``new`` and ``owner`` are the snapshot's texts
    (``60`` for 60 %, ``?abc`` for an unreadable ``abc``): :meth:`recorded` turns them into
    the cell values 変更履歴 shows."""

    observed_at: dt.datetime | dt.date
    deal_id: str
    field: str | None
    old: str
    new: str
    owner: str

    def recorded(self, schema: Schema, language: str) -> Recorded:
        fld = _field(schema, self.field or "deal_name")  # a removal shows the deal's name
        owner = _field(schema, "owner")
        return Recorded(self.observed_at, self.deal_id, self.field,
                        stored_value(self.old, fld, language),
                        stored_value(self.new, fld, language),
                        stored_value(self.owner, owner, language))


@dataclass(frozen=True)
class Unreadable:
    """A cell that failed validation, kept as typed (never as a guess at what it meant)."""

    typed: str


#: a value 変更履歴 shows: a cell value as typed or as written by `fix`, or an unreadable one
HistoryValue = Union[CellValue, Unreadable]  # noqa: UP007  (evaluated at runtime on 3.10)


@dataclass(frozen=True)
class Recorded:
    """One row of 変更履歴 before it is rendered: the values as cells hold them, and for a
    change `sheetsync fix` made, what kind of fix it was (in the team's language)."""

    observed_at: dt.datetime | dt.date
    deal_id: str
    field: str | None
    old: HistoryValue
    new: HistoryValue
    owner: HistoryValue
    kind: str = ""


@dataclass
class Observation:
    snapshot: Snapshot
    changes: list[Change]
    #: the snapshot the register was compared with (as read), when the caller keeps it
    before: Snapshot | None = None


@dataclass
class Current:
    """The register now: 案件ID → signature, with the fields the signatures follow."""

    fields: tuple[str, ...]
    signatures: dict[str, str]

    def values(self, deal_id: str) -> dict[str, str]:
        return dict(zip(self.fields, split_signature(self.signatures[deal_id])))


# ----------------------------------------------------------------------- normalisation

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
_ESCAPED = re.compile(r"\\[\\tnr]")


def split_signature(signature: str) -> list[str]:
    """The field values of a signature (inverse of the escaping in :func:`normalised_text`)."""
    return [_ESCAPED.sub(lambda m: _UNESCAPES[m.group()], part) if "\\" in part else part
            for part in signature.split("\t")]


def cell_value(parsed: Any, raw: CellValue) -> HistoryValue:
    """A validated cell as history keeps it: the parsed value, or for a cell that failed
    validation (``INVALID``) an :class:`Unreadable` holding what was typed."""
    return Unreadable(display_value(raw)) if parsed is INVALID else parsed


def normalised_text(value: Any, raw: CellValue) -> str:
    """A parsed cell value as the snapshot stores it (``INVALID`` cells as typed, with ``?``)."""
    value = cell_value(value, raw)
    if value is None:
        return ""
    if isinstance(value, Unreadable):
        text = _UNREADABLE + value.typed
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    if len(text) > LONG_VALUE:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        text = f"{text[:LONG_VALUE - 20]}…#{digest}"
    return text.translate(_ESCAPES)


def current_values(result: ValidationResult, grid: Grid, schema: Schema) -> Current:
    """The signature of every trackable row (a unique, valid 案件ID).

    Each column is normalised on its own (:func:`_column_texts`: each distinct value once,
    registers repeat values) and rows are joined in C (``map``), so a 100,000-row register
    takes a fraction of a second.
    """
    names = tuple(f.name for f in schema.fields)
    if result.header is None or not result.rows:
        return Current(names, {})
    header = result.header
    count = len(result.rows)

    def typed(name: str) -> Callable[[int], CellValue]:
        col = header.columns.get(name)

        def raw(i: int) -> CellValue:  # what row i of the column holds as typed
            row = grid.rows[result.rows[i] - 1]
            return row[col] if col is not None and col < len(row) else None
        return raw

    columns = [_column_texts(result.values.get(name), count, typed(name)) for name in names]
    ids = result.values.get("deal_id", [])
    signatures = dict(zip(ids, map("\t".join, zip(*columns))))
    if len(signatures) < len(ids):  # an 案件ID more than once: none of its rows is tracked
        counts = Counter(i for i in ids if isinstance(i, str) and i)
        for deal_id, repeated in counts.items():
            if repeated > 1:
                del signatures[deal_id]
    for bad in [k for k in signatures if not isinstance(k, str) or not k]:
        del signatures[bad]
    return Current(names, signatures)


def _column_texts(values: list[Any] | None, count: int, raw: Callable[[int], CellValue]
                  ) -> list[str]:
    """A column's values as the snapshot stores them (:func:`normalised_text`): text that
    normalises to itself as it is (IDs, names: mostly distinct), any other value normalised
    once per distinct value, a cell that failed validation as typed (``raw`` gives what
    row ``i`` holds; a few per column, each typed text normalised once)."""
    if not values:  # no such column
        return [""] * count
    if _plain_column(values):
        return values
    distinct = set(values)
    if len(distinct) == 1 and INVALID not in distinct:  # one value (a column left blank)
        return [normalised_text(values[0], None)] * len(values)
    if _plain_text(distinct):  # text with blanks
        return ["" if v is None else v for v in values]
    texts = {v: normalised_text(v, None) for v in distinct if v is not INVALID}
    out: list[str] = list(map(texts.get, values))  # type: ignore[arg-type]
    if INVALID in distinct:  # a bad cell is tracked as typed: the Nones of ``out``
        typed: dict[tuple[type, CellValue], str] = {}
        i = -1
        while (i := _index(out, None, i + 1)) >= 0:
            cell = raw(i)
            key = (type(cell), cell)
            text = typed.get(key)
            if text is None:
                text = typed[key] = normalised_text(INVALID, cell)
            out[i] = text
    return out


def _index(items: list[Any], item: Any, start: int) -> int:
    """The position of the first ``item`` from ``start`` on (a scan in C), -1 if none."""
    try:
        return items.index(item, start)
    except ValueError:
        return -1


def _plain_column(values: list[Any]) -> bool:
    """True when every value is text that normalises to itself (checked on the column
    joined: one pass in C, no set of 100,000 names)."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # a blank, a number, a date …
        return False
    return (not any(c in joined for c in "\\\t\n\r")
            and max(map(len, values), default=0) <= LONG_VALUE)


def _plain_text(values: Collection[Any]) -> bool:
    """True when every value is text (or blank) that normalises to itself."""
    if not set(map(type, values)) <= {str, type(None)}:
        return False
    texts = [v for v in values if v is not None]
    joined = "\x00".join(texts)
    return (not any(c in joined for c in "\\\t\n\r")
            and max(map(len, texts), default=0) <= LONG_VALUE)


def fingerprint(signature: str) -> str:
    return hashlib.blake2b(signature.encode("utf-8"), digest_size=8).hexdigest()


def fingerprint_of(entry: Entry) -> str:
    """The entry's fingerprint (computed from its values when it was not)."""
    return entry.fingerprint or fingerprint(entry.values)


# ----------------------------------------------------------------------------- showing


def show_value(value: HistoryValue, field_type: str | None = None) -> str:
    """The text 変更履歴 and the `fix` preview show for a cell value — the one place that
    decides it, so a unit is never added twice and no internal marker shows.

    Text is shown as typed (``６０％`` stays ``６０％``), a percent cell as its percentage, a
    date as the register formats it, an amount in a money column as yen, an unreadable cell
    as typed:

    >>> show_value("６０％", "percent"), show_value(PercentValue(0.6), "percent")
    ('６０％', '60%')
    >>> show_value(1200000, "money"), show_value(dt.date(2026, 10, 20), "date")
    ('¥1,200,000', '2026/10/20')
    >>> show_value(Unreadable("高橋さん"), "string"), show_value(None)
    ('高橋さん', '')
    """
    if isinstance(value, Unreadable):
        return value.typed
    if (field_type == "money" and isinstance(value, (int, float))
            and not isinstance(value, bool) and float(value).is_integer()):
        return f"¥{int(value):,}"
    return display_value(value)


def stored_value(text: str, fld: Field | None, language: str) -> HistoryValue:
    """The cell value a snapshot text stands for (the inverse of :func:`normalised_text`,
    read with the field's type): a choice as its label, an amount as a number, a percentage
    as a percent cell, a date as a date, an unreadable cell as :class:`Unreadable`. Text the
    field's type cannot read (the schema changed since) stays text.

    >>> from sheetsync.schema import load_schema
    >>> stored_value("60", load_schema().field("probability"), "ja")
    PercentValue(0.6)
    >>> stored_value("won", load_schema().field("stage"), "en")
    'Won'
    """
    if not text:
        return None
    if fld is None:
        return text
    # a free-text field never fails validation: there a leading "?" is the rep's
    if text.startswith(_UNREADABLE) and (fld.type not in ("string", "text") or fld.roster):
        return Unreadable(text.removeprefix(_UNREADABLE))
    try:
        if fld.type == "enum":
            choice = next((c for c in fld.choices if c.value == text), None)
            return choice.label(language) if choice else text
        if fld.type == "money" or fld.type == "integer":
            return int(text)
        if fld.type == "percent":
            return PercentValue(float(text) / 100)
        if fld.type == "number":
            return float(text)
        if fld.type == "date":
            return dt.date.fromisoformat(text)
    except ValueError:
        return text
    return text


# ----------------------------------------------------------------------------- observing


def observe(snapshot: Snapshot, current: Current, *, observed_at: dt.datetime | dt.date
            ) -> Observation:
    """Compare ``current`` with ``snapshot``; return the next snapshot and the changes.

    ``observed_at`` stamps the changes; its date becomes ``last_changed``. The comparison
    runs on columns (each deal's signature against the snapshot's, aligned by 案件ID; the
    next snapshot's columns gathered from the snapshot's): only deals seen for the first time
    or changed are looked at one by one. The next snapshot says which those were
    (:class:`_Origin`, what :func:`~sheetsync.stage_paths.track_stages` looks at).
    """
    day = observed_at.date() if isinstance(observed_at, dt.datetime) else observed_at
    ids = list(current.signatures)
    signatures = list(current.signatures.values())
    before = snapshot.columns
    # where each deal of the register is in the snapshot (-1: first sighting), and whether
    # its signature is the same — each one pass in C over the whole register; a register
    # in the snapshot's order (by 案件ID, as most are) needs no look-up
    in_order = ids == before.ids
    at_array = (np.arange(len(ids)) if in_order else np.fromiter(
        map(before.index.get, ids, repeat(-1)), dtype=np.intp, count=len(ids)))
    at = at_array.tolist()
    unchanged = np.zeros(len(ids), dtype=bool)
    if snapshot.fields == current.fields:
        old = before.values if in_order else map([*before.values, None].__getitem__, at)
        unchanged = np.fromiter(map(eq, old, signatures), dtype=bool, count=len(ids))
    # right where unchanged
    columns = [list(c) for c in before.lists()] if in_order else before.gathered(at)
    looked = np.flatnonzero(~unchanged).tolist()
    changes: list[Change] = []
    for i in looked:
        if at[i] < 0:  # first sighting: not a change
            _set_row(columns, i, Entry("", day, None, day, 0, signatures[i]))
            continue
        _set_row(columns, i, _observed(snapshot, before.entry(at[i]), current, ids[i],
                                       observed_at, day, changes))
    seen = np.zeros(len(before.ids), dtype=bool)
    seen[at_array[at_array >= 0]] = True
    for j in np.flatnonzero(~seen).tolist():  # gone from the register: removed, once
        old_values = snapshot.values_at(before, j)
        changes.append(Change(observed_at, before.ids[j], None,
                              old_values.get("deal_name", ""), "", old_values.get("owner", "")))
    changes.sort(key=lambda c: c.deal_id)  # stable: fields stay in schema order
    same_rows = not looked and len(ids) == len(before.ids)
    after = SnapshotColumns(ids, *columns, source=before if same_rows else None,
                            origin=_Origin(snapshot, before, at, looked))
    return Observation(Snapshot(fields=current.fields, columns=after), changes)


def _set_row(columns: list[list[Any]], i: int, entry: Entry) -> None:
    """Row ``i`` of :meth:`SnapshotColumns.lists`-ordered ``columns`` set to ``entry``."""
    for column, value in zip(columns, (entry.first_seen, entry.last_changed,
                                       entry.stage_since, entry.close_pushes, entry.values,
                                       entry.path)):
        column[i] = value


def _observed(snapshot: Snapshot, before: Entry, current: Current, deal_id: str,
              observed_at: dt.datetime | dt.date, day: dt.date, changes: list[Change]
              ) -> Entry:
    """The entry of a deal whose signature changed, its changes appended to ``changes``."""
    signature = current.signatures[deal_id]
    old = snapshot.values_of(before)
    new = current.values(deal_id)
    changed = [name for name in current.fields if old.get(name, "") != new[name]]
    entry = replace(before, values=signature)
    if not changed:  # only the schema's field list changed
        return entry
    changes.extend(Change(observed_at, deal_id, name, old.get(name, ""), new[name],
                          new.get("owner", "")) for name in changed)
    pushed = "expected_close" in changed and _later(old.get("expected_close", ""),
                                                    new["expected_close"])
    return replace(
        entry, last_changed=before.last_changed if is_slip_only(changed, pushed) else day,
        stage_since=day if "stage" in changed else before.stage_since,
        close_pushes=before.close_pushes + pushed,
    )


def is_slip_only(changed: Sequence[str], pushed: bool) -> bool:
    """True when the only change of a deal moves 受注予定日 later: recorded, counted as a
    push, but not an update (a slipping deal must not drop off 要フォロー案件).

    >>> is_slip_only(["expected_close"], True), is_slip_only(["expected_close"], False)
    (True, False)
    >>> is_slip_only(["expected_close", "next_action"], True)
    False
    """
    return pushed and list(changed) == ["expected_close"]


def _later(old: str, new: str) -> bool:
    try:
        return dt.date.fromisoformat(new) > dt.date.fromisoformat(old)
    except ValueError:
        return False


# ----------------------------------------------------------------- snapshot ⇄ hidden tab
#
# Format v2 (this version writes it): the note row, then one header cell stating the format,
# the number of deals, the number of chunks and the SHA-256 of the text (sheetsync.packed),
# then the text in zlib-compressed base64 chunks of at most 32,000 characters, one cell per
# row in column A — about 170 cells at 100,000 deals instead of 800,000. The text is a line
# of column names, then the columns one after the other, one line per deal in each (by
# 案件ID; a column of like values compresses well and reads back with one split):
#
#     deal_id  first_seen  last_changed  stage_since  close_pushes  [stage_path]
#     values:<the fields, comma-joined>
#
# dates as ISO text (blank: none), the values as the deal's signature (escaped: one line).
# The fingerprint is not stored: it is the hash of the values (fingerprint_of).
# Format v1 (one row per deal, a column per item: what earlier versions wrote) is read as
# before and written as v2 by the next run that writes.


def read_snapshot(grid: Grid | None) -> Snapshot:
    """The snapshot stored in the hidden tab (empty when the tab does not exist yet), in
    either format. A tab that cannot be read — edited, truncated, written by a newer
    version — raises :class:`~sheetsync.errors.StateTabError`: a run then writes nothing,
    rather than start the history again (every deal seen anew)."""
    if grid is None:
        return Snapshot()
    head = next((i for i, row in enumerate(grid.rows[:5])
                 if row and is_packed_header(row[0], _STATE_KIND)), None)
    if head is not None:
        return _read_packed(grid, head)
    start = next((i + 1 for i, row in enumerate(grid.rows[:5])
                  if row and str(row[0]).strip() == _SNAPSHOT_COLUMNS[0]), None)
    if start is None:
        raise StateTabError(grid.name, "no_header", "neither a v2 header nor v1 columns")
    return _read_v1(grid.rows, start)


def _read_packed(grid: Grid, head: int) -> Snapshot:
    cells = [row[0] if row else None for row in grid.rows[head + 1:]]
    try:
        packed = unpack(_STATE_KIND, grid.rows[head][0], cells)
    except PackedError as exc:
        raise StateTabError(grid.name, exc.code, exc.detail) from None
    if packed.version != _STATE_FORMAT:
        raise StateTabError(grid.name, "newer_format",
                            f"format v{packed.version}, written by a newer sheetsync: upgrade")
    if not packed.text and not packed.records:  # an empty snapshot (no deal tracked yet)
        return Snapshot()
    lines = packed.text.split("\n")
    names = lines[0].split("\t")
    fixed = list(_PACKED_COLUMNS)
    if names[:len(fixed)] != fixed or names[len(fixed):-1] not in ([], [_PATH_COLUMN]) \
            or not names[-1].startswith(_VALUES_PREFIX):
        raise StateTabError(grid.name, "bad_columns", " ".join(names)[:200])
    fields = tuple(names[-1].removeprefix(_VALUES_PREFIX).split(","))
    n = packed.records
    if len(lines) != 1 + n * len(names):
        raise StateTabError(grid.name, "record_count",
                            f"{n} deals stated, {(len(lines) - 1) / len(names):g} found")
    ids, firsts, lasts, sinces, pushes, *rest = (lines[1 + k * n:1 + (k + 1) * n]
                                                 for k in range(len(names)))
    try:  # each distinct text read once (a few hundred days, a few counts)
        days = {t: dt.date.fromisoformat(t) for t in {*firsts, *lasts, *sinces} if t}
        counts = list(map({t: int(t) for t in dict.fromkeys(pushes)}.__getitem__, pushes))
    except ValueError as exc:
        raise StateTabError(grid.name, "bad_record", str(exc)) from None
    if "" in days or "" in firsts:
        raise StateTabError(grid.name, "bad_record", "a deal without first_seen")
    escaped = "\\" in packed.text  # else nothing to unescape (one scan in C)
    if escaped and any("\\" in i for i in ids):
        ids = [_unescape(i) for i in ids]
    values = rest[-1]
    paths: Any = [None] * n
    if len(rest) == 2:
        paths = [_unescape(p) if "\\" in p else p for p in rest[0]] if escaped else rest[0]
    # the fingerprint is not kept: nothing reads it but a v1 tab's writer (fingerprint_of)
    columns = SnapshotColumns(ids, list(map(days.__getitem__, firsts)),
                              list(map(days.get, lasts)), list(map(days.get, sinces)), counts,
                              values, paths)
    header = grid.rows[head][0]
    chunks = list(cells)
    while chunks and not chunks[-1]:  # blank cells after the last chunk (unpack ignored them)
        chunks.pop()
    return Snapshot(fields=fields, columns=columns,
                    packed=_Packed(header, chunks, columns, fields)
                    if isinstance(header, str) and header == header.strip() else None)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: _UNESCAPES[m.group()], text)


def _read_v1(rows: list[list[CellValue]], start: int) -> Snapshot:
    """The snapshot of a v1 tab (one row per deal, from ``rows[start]``): read as every
    earlier version read it — a row without 案件ID, fingerprint or first_seen is skipped."""
    header = rows[start - 1]
    values_header = str(header[6]) if len(header) > 6 and header[6] else ""
    fields = tuple(values_header.removeprefix(_VALUES_PREFIX).split(",")) if (
        values_header.startswith(_VALUES_PREFIX)) else ()
    entries = {}
    dates: dict[CellValue, dt.date | None] = {}  # a few hundred distinct dates at most

    def date_of(value: CellValue) -> dt.date | None:
        day = dates.get(value, _NO_DATE)
        if day is _NO_DATE:
            day = dates[value] = _date(value)
        return day  # type: ignore[return-value]

    width = len(_SNAPSHOT_COLUMNS)
    has_path = len(header) > width and str(header[width] or "").strip() == _PATH_COLUMN
    for row in rows[start:]:
        if len(row) < width + 1:
            row = [*row, *([None] * (width + 1 - len(row)))]
        deal_id, print_, first, last, since, pushes, values, path = row[:width + 1]
        if deal_id is None or print_ is None:
            continue
        first_seen = date_of(first)
        if first_seen is None:
            continue
        entries[str(deal_id)] = Entry(
            fingerprint=str(print_), first_seen=first_seen, last_changed=date_of(last),
            stage_since=date_of(since), close_pushes=int(pushes or 0),
            values=str(values or ""),
            path=("" if path is None else str(path)) if has_path else None,
        )
    return Snapshot(entries, fields)


_NO_DATE: Any = object()


def _date(value: CellValue) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def state_text(snapshot: Snapshot) -> str:
    """The snapshot as format v2's text (before compression): a line of column names, then
    each column, one line per deal (by 案件ID); empty for an empty snapshot.

    >>> day = dt.date(2026, 11, 1)
    >>> snap = Snapshot({"D-2": Entry("", day, None, day, 0, "D-2\\t提案", "proposal"),
    ...                  "D-1": Entry("", day, day, day, 1, "D-1\\t見積", "quote")},
    ...                 ("deal_id", "stage"))
    >>> state_text(snap).split("\\n")[1:]
    ['D-1', 'D-2', '2026-11-01', '2026-11-01', '2026-11-01', '', '2026-11-01', '2026-11-01', \
'1', '0', 'quote', 'proposal', 'D-1\\t見積', 'D-2\\t提案']
    """
    if not len(snapshot):
        return ""
    held = snapshot.columns
    order = [i for _, i in sorted(zip(held.ids, range(len(held.ids))))]  # by 案件ID
    ids = list(map(held.ids.__getitem__, order))
    first_seen, last_changed, stage_since, close_pushes, values, paths = (
        list(map(column.__getitem__, order)) for column in held.lists())
    # a state tab read without paths is written back without them, so they are still known
    # to be missing (and seeded) on the next run
    has_paths = any(p is not None for p in paths)
    names = [*_PACKED_COLUMNS, *([_PATH_COLUMN] if has_paths else []),
             _VALUES_PREFIX + ",".join(snapshot.fields)]
    iso: dict[dt.date | None, str] = {None: ""}

    def day(value: dt.date | None) -> str:
        text = iso.get(value)
        if text is None:
            text = iso[value] = value.isoformat()  # type: ignore[union-attr]
        return text

    columns: list[list[str]] = [
        _escaped(ids),
        list(map(day, first_seen)),
        list(map(day, last_changed)),
        list(map(day, stage_since)),
        list(map(str, close_pushes)),
    ]
    if has_paths:
        columns.append(_escaped([p or "" for p in paths]))
    columns.append(values)
    return "\n".join(chain(["\t".join(names)], *columns))


def _escaped(texts: list[str]) -> list[str]:
    """``texts`` escaped when one of them needs it (read back: :func:`_unescape` on those
    holding a backslash)."""
    if any(c in "".join(texts) for c in "\\\t\n\r"):
        return [t.translate(_ESCAPES) for t in texts]
    return texts


def snapshot_tab(snapshot: Snapshot, lease: Lease | None = None,
                 markers: Sequence[str] = (), *, read: Snapshot | None = None) -> TabSpec:
    """The hidden tab holding the snapshot, in format v2 (text cells only: identical on both
    backends); its note row also carries ``markers`` (``notified=…``, kept from the tab as
    read: :func:`sheetsync.lease.note_markers`) and, last, the run lease.

    A snapshot identical to the one read from the tab (``read``, or ``snapshot`` itself: the
    same fields and, per 案件ID, the same entries) is written as the cells read — what
    encoding it again would give, without the encoding (most runs change nothing)."""
    kept = next((b.packed for b in (snapshot, read)
                 if b is not None and b.packed is not None and b.packed.holds(snapshot)), None)
    if kept is not None:
        header, chunks = kept.header, list(kept.chunks)
    else:
        header, chunks = pack(_STATE_KIND, _STATE_FORMAT, state_text(snapshot),
                              records=len(snapshot))
    return TabSpec(
        name=SNAPSHOT_TAB,
        columns=[Column("state", header, "text", 20)],
        rows=[[chunk] for chunk in chunks],
        note=_state_note(SNAPSHOT_VERSION, lease, markers),
        hidden=True,
        page=None,
    )


def _state_note(version: str, lease: Lease | None, markers: Sequence[str]) -> str:
    return (f"{version} — written by sheetsync; do not edit"
            + "".join(f" · {marker}" for marker in markers)
            + (f" · {lease.encode()}" if lease else ""))


def snapshot_tab_v1(snapshot: Snapshot, lease: Lease | None = None,
                    markers: Sequence[str] = ()) -> TabSpec:
    """The hidden tab as versions before format v2 wrote it (one row per deal): what tests
    build an older spreadsheet with. Runs write :func:`snapshot_tab`."""
    paths = any(e.path is not None for e in snapshot.entries.values())
    rows = [
        [deal_id, fingerprint_of(e), e.first_seen.isoformat(),
         e.last_changed.isoformat() if e.last_changed else None,
         e.stage_since.isoformat() if e.stage_since else None, e.close_pushes, e.values,
         *([e.path or None] if paths else [])]
        for deal_id, e in sorted(snapshot.entries.items())
    ]
    columns = [Column(key, key, "int" if key == "close_pushes" else "text")
               for key in _SNAPSHOT_COLUMNS[:-1]]
    columns.append(Column("values", _VALUES_PREFIX + ",".join(snapshot.fields), "text"))
    if paths:
        columns.append(Column(_PATH_COLUMN, _PATH_COLUMN, "text"))
    return TabSpec(name=SNAPSHOT_TAB, columns=columns, rows=rows,
                   note=_state_note(SNAPSHOT_VERSION_V1, lease, markers), hidden=True)


# ------------------------------------------------------------------------ 変更履歴 tab


@dataclass(frozen=True)
class Retention:
    rows: int = 20_000
    days: int | None = None


def history_tab(
    existing: Grid | None,
    changes: Sequence[Change | Recorded],
    *,
    schema: Schema,
    language: str,
    note: str,
    as_of: dt.date,
    retention: Retention = Retention(),
) -> TabSpec:
    """変更履歴: new changes (a run's :class:`Change`, or what `fix` wrote as
    :class:`Recorded`) on top of the rows already there (carried over as they are), newest
    first, capped by ``retention``. Every value is shown by :func:`show_value`."""
    widths = {"observed_at": 17, "deal_id": 14, "field": 14, "old": 24, "new": 24,
              "owner": 12, "kind": 16}
    columns = [Column(key, head(language), "datetime" if key == "observed_at" else "text",
                      widths[key]) for key, head in _HISTORY_HEADERS.items()]
    owner = _field(schema, "owner")
    new_rows = []
    for change in changes:
        r = change.recorded(schema, language) if isinstance(change, Change) else change
        fld = _field(schema, r.field) if r.field else None
        label = fld.label(language) if fld else (r.field or REMOVED(language))
        field_type = fld.type if fld else None
        new_rows.append([r.observed_at, r.deal_id, label, show_value(r.old, field_type),
                         show_value(r.new, field_type),
                         show_value(r.owner, owner.type if owner else None), r.kind or None])
    old_rows = _existing_rows(existing, len(columns))
    rows = new_rows + old_rows
    if retention.days is not None:
        limit = as_of - dt.timedelta(days=retention.days)
        rows = [r for r in rows if not _older(r[0], limit)]
    return TabSpec(name=HISTORY_TAB(language), columns=columns, rows=rows[: retention.rows],
                   note=note, freeze_columns=2)


def _field(schema: Schema, name: str) -> Field | None:
    return schema.field(name) if schema.has_field(name) else None


def _existing_rows(grid: Grid | None, width: int) -> list[list[CellValue]]:
    if grid is None:
        return []
    first = _HISTORY_HEADERS["observed_at"]
    start = next((i + 1 for i, row in enumerate(grid.rows[:5])
                  if row and str(row[0]).strip() in (first.ja, first.en)), None)
    if start is None:
        return []
    rows = []
    for row in grid.rows[start:]:
        if all(is_blank(v) for v in row):
            continue
        rows.append([*row[:width], *([None] * (width - len(row)))])
    return rows


def _older(value: CellValue, limit: dt.date) -> bool:
    day = _date(value)
    return day is not None and day < limit


def stale_columns(deals: pd.DataFrame, snapshot: Snapshot) -> pd.DataFrame:
    """``deals`` with what the snapshot (after this run's observation) knows of each deal:
    ``last_observed_change`` (the last observed update, see :func:`is_slip_only`),
    ``stage_since``, ``close_pushes`` and ``stage_since_first_sighting`` — true when the
    current stage is counted from the deal's first sighting (no stage change seen since), so
    the days in stage are a lower bound; ``<NA>`` for an untracked deal.
    """
    held = snapshot.columns
    at = np.fromiter(map(held.index.get, deals["deal_id"].tolist(), repeat(-1)),
                     dtype=np.intp, count=len(deals))
    untracked = at < 0
    first_seen, last_changed, stage_since = (
        _stamps(column)[at] for column in (held.first_seen, held.last_changed,
                                            held.stage_since))
    pushes = np.fromiter(held.close_pushes, dtype=np.int64, count=len(held.ids))
    pushes = np.append(pushes, 1)[at]  # 1 where untracked: what pd.array gives under <NA>

    def dates(stamps: np.ndarray) -> pd.Series:
        return pd.Series(stamps.view("datetime64[ns]"), index=deals.index)

    # a stage change seen on the first-sighting day also gives stage_since == first_seen:
    # counted as a lower bound then, which is still true (the bound happens to be exact)
    unknown = untracked | (stage_since == _NAT)
    from_first = (stage_since <= first_seen) & ~unknown
    return deals.assign(
        last_observed_change=dates(last_changed),
        stage_since=dates(stage_since),
        close_pushes=pd.arrays.IntegerArray(pushes, untracked.copy()),
        stage_since_first_sighting=pd.arrays.BooleanArray(from_first, unknown),
    )


#: NaT as int64 nanoseconds
_NAT = np.iinfo(np.int64).min


def _stamps(days: list[dt.date | None]) -> np.ndarray:
    """``days`` as int64 nanoseconds (None: NaT), one more NaT at the end (what position -1
    gives): each distinct day converted once (a snapshot has a few hundred)."""
    ns = {d: pd.Timestamp(d).as_unit("ns").value for d in set(days) if d is not None}
    out = np.fromiter(map(ns.get, days, repeat(_NAT)), dtype=np.int64, count=len(days))
    return np.append(out, _NAT)


def close_pushed_on(existing: Grid | None, changes: Sequence[Change], schema: Schema
                    ) -> dict[str, dt.date]:
    """Per 案件ID, the latest day sheetsync saw its 受注予定日 moved to a later date: from this
    run's ``changes`` and the rows of 変更履歴 already there (``existing``, in either
    language). A row `sheetsync fix` wrote (its 修正内容 filled) is a correction, not a push.

    >>> from sheetsync.schema import load_schema
    >>> old = Grid("変更履歴", [["note"], ["日時", "案件ID", "項目", "変更前", "変更後"],
    ...     [dt.datetime(2026, 11, 30, 9), "D1", "受注予定日", "2026/12/01", "2027/01/15"],
    ...     [dt.datetime(2026, 11, 29, 9), "D2", "受注予定日", "2026/12/01", "2026/11/15"]])
    >>> new = [Change(dt.date(2026, 12, 4), "D3", "expected_close", "2026-12-01", "2026-12-20",
    ...        "佐藤")]
    >>> sorted(close_pushed_on(old, new, load_schema()).items())
    [('D1', datetime.date(2026, 11, 30)), ('D3', datetime.date(2026, 12, 4))]
    """
    pushed: dict[str, dt.date] = {}

    def seen(deal_id: str, when: dt.date | None) -> None:
        if when is not None and (deal_id not in pushed or pushed[deal_id] < when):
            pushed[deal_id] = when

    for change in changes:
        if change.field == "expected_close" and _later(change.old, change.new):
            stamp = change.observed_at
            seen(change.deal_id, stamp.date() if isinstance(stamp, dt.datetime) else stamp)
    fld = _field(schema, "expected_close")
    if fld is None:
        return pushed
    labels = {fld.label("ja"), fld.label("en")}
    for row in _existing_rows(existing, len(_HISTORY_HEADERS)):
        when, deal_id, label, old, new, _owner, kind = row
        if (deal_id is None or str(label) not in labels or not is_blank(kind)
                or not _shown_later(old, new)):
            continue
        seen(str(deal_id), _date(when))
    return pushed


def _shown_later(old: CellValue, new: CellValue) -> bool:
    """Whether 変更履歴's ``new`` date (as :func:`show_value` shows it) is after ``old``."""
    def day(value: CellValue) -> dt.date | None:
        if isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        try:
            return dt.datetime.strptime(str(value).strip(), "%Y/%m/%d").date()
        except ValueError:
            return None

    before, after = day(old), day(new)
    return before is not None and after is not None and after > before
