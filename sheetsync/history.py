"""Change history: what changed in the register between runs, observed by sheetsync.

A spreadsheet does not record when a row last changed, so every run compares the register
with the last-seen **snapshot** (per 案件ID: normalised values, a fingerprint, first seen,
last changed, when the current stage began and how often 受注予定日 was pushed back) kept
in a hidden tab of the same spreadsheet, and records field-level changes in **変更履歴**.
Both are written in the run's single atomic write, so a run on any machine continues
where the last one left off. Pure functions; the pipeline does the I/O.

Rules: a deal's first sighting is not a change (it only enters the snapshot); a deal that
disappears is recorded once as removed; a changed 案件ID is a removal plus a first sighting;
running twice with no edits records nothing. Rows whose 案件ID is blank, invalid or
duplicated are not tracked (there is no identity to compare).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from .grid import CellValue, Grid
from .schema import Field, Label, Schema
from .tabspec import Column, TabSpec
from .textnorm import is_blank
from .validate import INVALID, ValidationResult, display_value

SNAPSHOT_TAB = "_sheetsync_state"
HISTORY_TAB = Label("変更履歴", "Change history")
SNAPSHOT_VERSION = "sheetsync-snapshot v1"

#: a normalised value longer than this is stored shortened with a hash of the whole, so one
#: snapshot cell stays far below Google's 50,000-character limit
LONG_VALUE = 300
_SEP = "\x1f"

_SNAPSHOT_COLUMNS = ("deal_id", "fingerprint", "first_seen", "last_changed", "stage_since",
                     "close_pushes", "values")
_HISTORY_HEADERS = {
    "observed_at": Label("日時", "Observed at"),
    "deal_id": Label("案件ID", "Deal ID"),
    "field": Label("項目", "Field"),
    "old": Label("変更前", "Old value"),
    "new": Label("変更後", "New value"),
    "owner": Label("担当者", "Owner"),
}
REMOVED = Label("（削除）", "(removed)")


@dataclass(frozen=True)
class Entry:
    """The snapshot of one deal."""

    fingerprint: str
    first_seen: dt.date
    last_changed: dt.date | None
    stage_since: dt.date | None
    close_pushes: int
    values: str  # JSON object: field name → normalised text

    def fields(self) -> dict[str, str]:
        return json.loads(self.values) if self.values else {}


@dataclass
class Snapshot:
    entries: dict[str, Entry] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Change:
    """One observed change of one field of one deal (``field`` is the schema name, or
    ``None`` for a removed deal)."""

    observed_at: dt.datetime | dt.date
    deal_id: str
    field: str | None
    old: str
    new: str
    owner: str


@dataclass
class Observation:
    snapshot: Snapshot
    changes: list[Change]


# ----------------------------------------------------------------------- normalisation


def _canonical(value: Any, raw: CellValue) -> str:
    if value is None:
        return ""
    if value is INVALID:
        text = "?" + display_value(raw)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    if len(text) > LONG_VALUE:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        text = f"{text[:LONG_VALUE - 20]}…#{digest}"
    return text


def current_values(result: ValidationResult, grid: Grid, schema: Schema
                   ) -> dict[str, tuple[dict[str, str], str]]:
    """Normalised values of every trackable row: 案件ID → (field → text, signature).

    Each distinct cell value is normalised once per column (registers repeat values).
    """
    if result.header is None or not result.rows:
        return {}
    names = [f.name for f in schema.fields]
    header = result.header
    columns: list[list[str]] = []
    for name in names:
        values = result.values.get(name) or [None] * len(result.rows)
        texts = {v: _canonical(v, None) for v in set(values) if v is not INVALID}
        out: list[str] = list(map(texts.get, values))  # type: ignore[arg-type]
        if INVALID in values:  # a bad cell is tracked as typed
            col = header.columns.get(name)
            for i, value in enumerate(values):
                if value is INVALID and col is not None:
                    row = grid.rows[result.rows[i] - 1]
                    out[i] = _canonical(INVALID, row[col] if col < len(row) else None)
        columns.append(out)
    ids = result.values.get("deal_id", [])
    seen: dict[str, int] = {}
    for deal_id in ids:
        if isinstance(deal_id, str) and deal_id:
            seen[deal_id] = seen.get(deal_id, 0) + 1
    tracked: dict[str, tuple[dict[str, str], str]] = {}
    for i, row_values in enumerate(zip(*columns)):
        deal_id = ids[i]
        if not isinstance(deal_id, str) or not deal_id or seen[deal_id] > 1:
            continue
        signature = _SEP.join(row_values)
        tracked[deal_id] = (dict(zip(names, row_values)), signature)
    return tracked


def fingerprint(signature: str) -> str:
    return hashlib.blake2b(signature.encode("utf-8"), digest_size=8).hexdigest()


# ----------------------------------------------------------------------------- observing


def observe(
    snapshot: Snapshot,
    current: dict[str, tuple[dict[str, str], str]],
    *,
    observed_at: dt.datetime | dt.date,
    owners: dict[str, str] | None = None,
) -> Observation:
    """Compare ``current`` with ``snapshot``; return the next snapshot and the changes.

    ``observed_at`` stamps the changes; its date becomes ``last_changed``.
    """
    day = observed_at.date() if isinstance(observed_at, dt.datetime) else observed_at
    owners = owners or {}
    entries: dict[str, Entry] = {}
    changes: list[Change] = []
    for deal_id, (values, signature) in current.items():
        print_ = fingerprint(signature)
        before = snapshot.entries.get(deal_id)
        if before is None:  # first sighting: not a change
            entries[deal_id] = Entry(print_, day, None, day, 0, _dumps(values))
            continue
        if before.fingerprint == print_:
            entries[deal_id] = before
            continue
        old = before.fields()
        changed = [name for name in values if old.get(name, "") != values[name]]
        changed += [name for name in old if name not in values and old[name]]
        if not changed:  # only the fingerprint's form changed (e.g. a new schema field)
            entries[deal_id] = replace(before, fingerprint=print_, values=_dumps(values))
            continue
        owner = values.get("owner", "") or owners.get(deal_id, "")
        for name in changed:
            changes.append(Change(observed_at, deal_id, name, old.get(name, ""),
                                  values.get(name, ""), owner))
        stage_since = before.stage_since
        if "stage" in changed:
            stage_since = day
        pushes = before.close_pushes
        if "expected_close" in changed and _later(old.get("expected_close", ""),
                                                  values.get("expected_close", "")):
            pushes += 1
        entries[deal_id] = Entry(print_, before.first_seen, day, stage_since, pushes,
                                 _dumps(values))
    for deal_id, before in snapshot.entries.items():
        if deal_id not in current:
            old = before.fields()
            changes.append(Change(observed_at, deal_id, None, old.get("deal_name", ""), "",
                                  old.get("owner", "")))
    changes.sort(key=lambda c: c.deal_id)  # stable: fields stay in schema order
    return Observation(Snapshot(entries), changes)


def _later(old: str, new: str) -> bool:
    try:
        return dt.date.fromisoformat(new) > dt.date.fromisoformat(old)
    except ValueError:
        return False


def _dumps(values: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in values.items() if v}, ensure_ascii=False,
                      separators=(",", ":"))


# ----------------------------------------------------------------- snapshot ⇄ hidden tab


def read_snapshot(grid: Grid | None) -> Snapshot:
    """The snapshot stored in the hidden tab (empty when the tab does not exist yet)."""
    if grid is None:
        return Snapshot()
    rows = grid.rows
    start = next((i + 1 for i, row in enumerate(rows[:5])
                  if row and str(row[0]).strip() == _SNAPSHOT_COLUMNS[0]), None)
    if start is None:
        return Snapshot()
    entries = {}
    for row in rows[start:]:
        cells = [*row, *([None] * (len(_SNAPSHOT_COLUMNS) - len(row)))]
        deal_id, print_, first, last, since, pushes, values = cells[:7]
        if is_blank(deal_id) or is_blank(print_):
            continue
        first_seen = _date(first)
        if first_seen is None:
            continue
        entries[str(deal_id)] = Entry(
            fingerprint=str(print_), first_seen=first_seen, last_changed=_date(last),
            stage_since=_date(since), close_pushes=int(pushes or 0),
            values=str(values or ""),
        )
    return Snapshot(entries)


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


def snapshot_tab(snapshot: Snapshot) -> TabSpec:
    """The hidden tab holding the snapshot (text cells only: identical on both backends)."""
    rows = [
        [deal_id, e.fingerprint, e.first_seen.isoformat(),
         e.last_changed.isoformat() if e.last_changed else None,
         e.stage_since.isoformat() if e.stage_since else None, e.close_pushes, e.values]
        for deal_id, e in sorted(snapshot.entries.items())
    ]
    columns = [Column(key, key, "int" if key == "close_pushes" else "text")
               for key in _SNAPSHOT_COLUMNS]
    return TabSpec(
        name=SNAPSHOT_TAB,
        columns=columns,
        rows=rows,
        note=f"{SNAPSHOT_VERSION} — written by sheetsync; do not edit",
        hidden=True,
    )


# ------------------------------------------------------------------------ 変更履歴 tab


@dataclass(frozen=True)
class Retention:
    rows: int = 20_000
    days: int | None = None


def history_tab(
    existing: Grid | None,
    changes: Sequence[Change],
    *,
    schema: Schema,
    language: str,
    note: str,
    as_of: dt.date,
    retention: Retention = Retention(),
) -> TabSpec:
    """変更履歴: new changes on top of the rows already there (carried over as they are),
    newest first, capped by ``retention``."""
    keys = list(_HISTORY_HEADERS)
    columns = [
        Column("observed_at", _HISTORY_HEADERS["observed_at"](language), "datetime", 17),
        Column("deal_id", _HISTORY_HEADERS["deal_id"](language), "text", 14),
        Column("field", _HISTORY_HEADERS["field"](language), "text", 14),
        Column("old", _HISTORY_HEADERS["old"](language), "text", 24),
        Column("new", _HISTORY_HEADERS["new"](language), "text", 24),
        Column("owner", _HISTORY_HEADERS["owner"](language), "text", 12),
    ]
    new_rows = []
    for c in changes:
        fld = schema.field(c.field) if c.field and schema.has_field(c.field) else None
        label = fld.label(language) if fld else (c.field or REMOVED(language))
        new_rows.append([c.observed_at, c.deal_id, label, shown(fld, c.old, language),
                         shown(fld, c.new, language), c.owner])
    old_rows = _existing_rows(existing, len(keys))
    rows = new_rows + old_rows
    if retention.days is not None:
        limit = as_of - dt.timedelta(days=retention.days)
        rows = [r for r in rows if not _older(r[0], limit)]
    return TabSpec(name=HISTORY_TAB(language), columns=columns, rows=rows[: retention.rows],
                   note=note, freeze_columns=2)


def shown(fld: Field | None, text: str, language: str) -> str:
    """A normalised value the way people read it: choice labels, yen with separators."""
    if fld is None or not text or text.startswith("?"):
        return text.removeprefix("?")
    if fld.type == "enum":
        choice = next((c for c in fld.choices if c.value == text), None)
        return choice.label(language) if choice else text
    if fld.type == "money" and text.isdigit():
        return f"¥{int(text):,}"
    if fld.type == "percent":
        return f"{text}%"
    return text


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
    """``deals`` with ``last_observed_change``, ``stage_since`` and ``close_pushes`` from the
    snapshot (after this run's observation)."""
    ids = deals["deal_id"].tolist()
    entries = [snapshot.entries.get(i) for i in ids]

    def dates(attr: str) -> pd.Series:
        return pd.to_datetime(pd.Series(
            [getattr(e, attr) if e is not None else None for e in entries],
            index=deals.index, dtype=object)).astype("datetime64[ns]")

    return deals.assign(
        last_observed_change=dates("last_changed"),
        stage_since=dates("stage_since"),
        close_pushes=pd.array([e.close_pushes if e is not None else pd.NA for e in entries],
                              dtype="Int64"),
    )
