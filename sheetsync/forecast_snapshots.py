"""予測の推移's store: one forecast snapshot per day, kept in a hidden tab of the spreadsheet.

Every run that writes stores the day's snapshot of 売上予測 — for every period not yet closed,
the team and each rep: won, pipeline, weighted, commit, best case, the three landings, and
the 案件IDs counted in commit (Aヨミ) — in the hidden tab ``_sheetsync_forecast``, in the run's
one atomic write (never with ``--dry-run``). A later run of the same day replaces that day.
What is built from it (前週比, forecast accuracy, the chart): :mod:`sheetsync.reports.
forecast_history`. Pure functions; the pipeline does the I/O.

The tab holds one row per day × period × owner, oldest day first. It is kept small:

- a rep with nothing in a period (every figure 0, no commit deal) has no row: the day's team
  row of that period says the period was in the snapshot, so a missing rep row reads as zeros;
- commit deal IDs are stored once per day: on the rep's row of the deal's base period (quarter
  or month). A half or a year has the union of its base periods, the team the union of its
  reps plus the IDs on its own row (deals whose 担当者 is blank, if any);
- an ID list is sorted, comma-joined (``L:D-1,D-2``; ``\\`` and ``,`` in an ID escaped), and
  stored zlib-compressed in base64 (``Z:…``) when that text exceeds
  :data:`PLAIN_CHARS`; a text longer than :data:`CELL_CHARS` (30,000) continues in the next
  cells of the row (``commit_ids``, ``commit_ids_2``, …), so no cell nears Excel's limit of
  32,767 characters or Google's of 50,000;
- retention: days older than ``history.retention_days`` are dropped, and the oldest days
  (whole days, never part of one) while the tab holds more than ``history.forecast_rows``.

>>> day = dt.date(2026, 12, 4)
>>> rows = [PeriodSnapshot("FY2026-Q3", None, won=100, forecast=180),
...         PeriodSnapshot("FY2026-Q3", "佐藤", won=100, forecast=180, commit_ids=("D-2", "D-1"))]
>>> store = ForecastHistory().with_day(day, rows)
>>> back = read_forecast_history(Grid("t", [[None], *snapshot_tab_rows(store)]))
>>> back.values(day, "FY2026-Q3", "佐藤").commit_ids, back.values(day, "FY2026-Q3", "鈴木").won
(('D-1', 'D-2'), 0)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .grid import CellValue, Grid
from .metrics.periods import Period, PeriodError, parse_period
from .tabspec import Column, TabSpec

FORECAST_SNAPSHOT_TAB = "_sheetsync_forecast"
FORECAST_SNAPSHOT_VERSION = "sheetsync-forecast v1"
#: the figures of a snapshot row, as 売上予測 computes them (docs/definitions.md, "売上予測")
AMOUNTS = ("won", "pipeline", "weighted", "commit", "best_case", "commit_landing",
           "best_case_landing", "forecast")
_HEAD = ("day", "period", "owner", *AMOUNTS)
IDS_HEADER = "commit_ids"
#: an ID list longer than this is stored compressed
PLAIN_CHARS = 1_000
#: a cell holds at most this many characters of an ID list (an Excel cell holds 32,767, a
#: Google one 50,000)
CELL_CHARS = 30_000
_PLAIN, _PACKED = "L:", "Z:"


@dataclass(frozen=True)
class PeriodSnapshot:
    """One period × owner (``None``: the team) of one day's snapshot. ``commit_ids`` are the
    IDs stored on this row (see the module's notes), sorted."""

    period: str
    owner: str | None
    won: int = 0
    pipeline: int = 0
    weighted: int = 0
    commit: int = 0
    best_case: int = 0
    commit_landing: int = 0
    best_case_landing: int = 0
    forecast: int = 0
    commit_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "commit_ids", tuple(sorted(set(self.commit_ids))))

    @property
    def empty(self) -> bool:
        """Every figure 0 and no commit deal: a rep's row that need not be stored."""
        return not self.commit_ids and not any(getattr(self, k) for k in AMOUNTS)


@dataclass(frozen=True)
class SnapshotRetention:
    """How much of the store is kept: days newer than ``days`` before as-of (``None``: no
    limit), and at most ``rows`` rows (the oldest days go first, whole)."""

    days: int | None = None
    rows: int = 50_000


Day = Mapping[tuple[str, "str | None"], PeriodSnapshot]


@dataclass(frozen=True)
class ForecastHistory:
    """The stored snapshots: day → (period, owner) → :class:`PeriodSnapshot`, and how much
    of them is kept (:meth:`record` applies it)."""

    days: Mapping[dt.date, Day] = field(default_factory=dict)
    retention: SnapshotRetention = field(default_factory=SnapshotRetention)

    def __len__(self) -> int:
        """The number of stored rows."""
        return sum(len(rows) for rows in self.days.values())

    @property
    def dates(self) -> list[dt.date]:
        return sorted(self.days)

    def with_day(self, day: dt.date, rows: Iterable[PeriodSnapshot]) -> ForecastHistory:
        """The store with ``day``'s snapshot replaced by ``rows`` (reps' empty rows left out).

        >>> a = ForecastHistory().with_day(dt.date(2026, 12, 4), [PeriodSnapshot("Q", None, 1)])
        >>> b = a.with_day(dt.date(2026, 12, 4), [PeriodSnapshot("Q", None, 2),
        ...                                       PeriodSnapshot("Q", "佐藤")])
        >>> len(a), len(b), b.values(dt.date(2026, 12, 4), "Q", None).won
        (1, 1, 2)
        """
        kept = {(r.period, r.owner): r for r in rows if r.owner is None or not r.empty}
        days = {d: v for d, v in self.days.items() if d != day}
        if kept:  # a day without a row could not be told from no snapshot at all
            days[day] = kept
        return ForecastHistory(dict(sorted(days.items())), self.retention)

    def record(self, day: dt.date, rows: Iterable[PeriodSnapshot]) -> ForecastHistory:
        """``day``'s snapshot stored (:meth:`with_day`), then the store cut to its
        retention as of ``day`` (:meth:`retained`): what a run writes."""
        return self.with_day(day, rows).retained(day, self.retention)

    def retained(self, as_of: dt.date, retention: SnapshotRetention | None = None
                 ) -> ForecastHistory:
        """Days older than ``retention.days`` before ``as_of`` dropped, then the oldest days
        while more than ``retention.rows`` rows remain (the newest day always stays).

        >>> h = ForecastHistory()
        >>> for d in (1, 2, 3):
        ...     h = h.with_day(dt.date(2026, 12, d), [PeriodSnapshot("Q", None),
        ...                                           PeriodSnapshot("Q", "佐藤", 1)])
        >>> h.retained(dt.date(2026, 12, 3), SnapshotRetention(days=1)).dates
        [datetime.date(2026, 12, 2), datetime.date(2026, 12, 3)]
        >>> h.retained(dt.date(2026, 12, 3), SnapshotRetention(rows=3)).dates
        [datetime.date(2026, 12, 3)]
        """
        retention = retention or self.retention
        days = dict(self.days)
        if retention.days is not None:
            limit = as_of - dt.timedelta(days=retention.days)
            days = {d: v for d, v in days.items() if d >= limit}
        total = sum(len(v) for v in days.values())
        for day in sorted(days)[:-1]:
            if total <= retention.rows:
                break
            total -= len(days.pop(day))
        return ForecastHistory(days, self.retention)

    # -- looking things up ---------------------------------------------------------------

    def latest(self, period: str, on_or_before: dt.date) -> dt.date | None:
        """The latest day on or before ``on_or_before`` whose snapshot holds ``period``."""
        best = None
        for day, rows in self.days.items():
            if day <= on_or_before and (period, None) in rows and (best is None or day > best):
                best = day
        return best

    def values(self, day: dt.date, period: str, owner: str | None) -> PeriodSnapshot | None:
        """``owner``'s row of ``period`` on ``day``: zeros for a rep without a row when the
        day holds the period, ``None`` when it does not."""
        rows = self.days.get(day, {})
        if (period, None) not in rows:
            return None
        return rows.get((period, owner)) or PeriodSnapshot(period, owner)

    def owners(self, day: dt.date, period: str) -> set[str]:
        """The reps with a row of ``period`` on ``day``."""
        return {o for (p, o) in self.days.get(day, {}) if p == period and o is not None}

    def periods(self) -> set[str]:
        """Every period key some stored day holds."""
        return {p for rows in self.days.values() for (p, _) in rows}

    def commit_deals(self, day: dt.date, period: Period, owner: str | None,
                     start_month: int = 4) -> frozenset[str]:
        """The 案件IDs counted in commit on ``day`` in ``period`` (a half or a year: in any of
        its base periods) for ``owner`` (``None``: the whole team)."""
        ids: set[str] = set()
        for (key, row_owner), row in self.days.get(day, {}).items():
            if not row.commit_ids or (owner is not None and row_owner != owner):
                continue
            stored = period_of_key(key, start_month)
            if stored is not None and period.covers(stored):
                ids.update(row.commit_ids)
        return frozenset(ids)


_PERIODS: dict[tuple[str, int], Period | None] = {}


def period_of_key(key: str, start_month: int = 4) -> Period | None:
    """The period a stored key names (``None`` for a key no longer understood).

    >>> period_of_key("FY2026-Q3").end, period_of_key("nonsense")
    (datetime.date(2026, 12, 31), None)
    """
    cache = (key, start_month)
    if cache not in _PERIODS:
        try:
            _PERIODS[cache] = parse_period(key, start_month)
        except PeriodError:
            _PERIODS[cache] = None
    return _PERIODS[cache]


# -- commit ID lists ⇄ cell text --------------------------------------------------------------


def _escape(deal_id: str) -> str:
    return deal_id.replace("\\", "\\\\").replace(",", "\\,")


_ITEM = re.compile(r"(?:\\.|[^\\,])+", re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)


def encode_ids(ids: Iterable[str]) -> str:
    """The text an ID list is stored as: ``L:`` + sorted IDs joined by commas, or ``Z:`` +
    that text zlib-compressed in base64 when it is longer than :data:`PLAIN_CHARS`.

    >>> encode_ids(["D-2", "D-1", "A,B"]), encode_ids([])
    ('L:A\\\\,B,D-1,D-2', '')
    >>> encode_ids(f"D-{i:05d}" for i in range(5000))[:2]
    'Z:'
    """
    items = sorted(set(ids))
    if not items:
        return ""
    plain = ",".join(map(_escape, items))
    if len(plain) <= PLAIN_CHARS:
        return _PLAIN + plain
    packed = base64.b64encode(zlib.compress(plain.encode("utf-8"), 9)).decode("ascii")
    return _PACKED + packed if len(packed) < len(plain) else _PLAIN + plain


def decode_ids(text: str) -> tuple[str, ...]:
    """The IDs :func:`encode_ids` stored (``()`` for a blank or unreadable text).

    >>> decode_ids(encode_ids(["A,B", "C\\\\D", "E"])), decode_ids("garbage")
    (('A,B', 'C\\\\D', 'E'), ())
    >>> ids = [f"D-{i:05d}" for i in range(5000)]
    >>> decode_ids(encode_ids(ids)) == tuple(ids)
    True
    """
    if text.startswith(_PACKED):
        try:
            text = _PLAIN + zlib.decompress(base64.b64decode(text[2:], validate=True)
                                            ).decode("utf-8")
        except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
            return ()
    if not text.startswith(_PLAIN):
        return ()
    return tuple(_ESCAPED.sub(r"\1", item) for item in _ITEM.findall(text[2:]))


def split_cells(text: str, size: int = CELL_CHARS) -> list[str]:
    """``text`` in pieces of at most ``size`` characters (one per cell).

    >>> split_cells("abcdefg", 3), split_cells("")
    (['abc', 'def', 'g'], [])
    """
    return [text[i:i + size] for i in range(0, len(text), size)]


# -- the hidden tab ---------------------------------------------------------------------------


def snapshot_tab_rows(history: ForecastHistory) -> list[list[Any]]:
    """The hidden tab's header and data rows (no note row)."""
    data = []
    for day, rows in history.days.items():
        for row in rows.values():
            cells = split_cells(encode_ids(row.commit_ids))
            data.append([day.isoformat(), row.period, row.owner,
                         *(getattr(row, k) for k in AMOUNTS), *cells])
    width = max((len(r) for r in data), default=len(_HEAD) + 1)
    return [_header(width - len(_HEAD)), *data]


def _header(id_columns: int) -> list[str]:
    ids = [IDS_HEADER] + [f"{IDS_HEADER}_{i}" for i in range(2, max(id_columns, 1) + 1)]
    return [*_HEAD, *ids]


def forecast_snapshot_tab(history: ForecastHistory) -> TabSpec:
    """The hidden tab ``_sheetsync_forecast`` holding ``history`` (dates and IDs as text,
    figures as whole numbers: identical on both backends)."""
    header, *rows = snapshot_tab_rows(history)
    columns = [Column(key, key, "int" if key in AMOUNTS else "text", 12) for key in header]
    return TabSpec(name=FORECAST_SNAPSHOT_TAB, columns=columns, rows=rows,
                   note=f"{FORECAST_SNAPSHOT_VERSION} — written by sheetsync; do not edit",
                   hidden=True, page=None)


def read_forecast_history(grid: Grid | None,
                          retention: SnapshotRetention | None = None) -> ForecastHistory:
    """The snapshots stored in the hidden tab (empty when there is none yet), to be kept
    within ``retention``. A row that cannot be read (an edited cell) is skipped, never
    guessed at."""
    retention = retention or SnapshotRetention()
    if grid is None:
        return ForecastHistory(retention=retention)
    rows = grid.rows
    start = next((i + 1 for i, row in enumerate(rows[:5])
                  if row and str(row[0]).strip() == _HEAD[0]), None)
    if start is None:
        return ForecastHistory(retention=retention)
    days: dict[dt.date, dict[tuple[str, str | None], PeriodSnapshot]] = {}
    width = len(_HEAD)
    for row in rows[start:]:
        if len(row) < width:
            continue
        day, period = _day(row[0]), row[1]
        figures = [_whole(v) for v in row[3:width]]
        if day is None or not isinstance(period, str) or not period or None in figures:
            continue
        owner = None if row[2] is None or str(row[2]) == "" else str(row[2])
        text = "".join(str(v) for v in row[width:] if v is not None)
        snap = PeriodSnapshot(period, owner, *figures,  # type: ignore[arg-type]
                              commit_ids=decode_ids(text))
        days.setdefault(day, {})[(period, owner)] = snap
    return ForecastHistory(dict(sorted(days.items())), retention)


def _day(value: CellValue) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _whole(value: CellValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


__all__ = [
    "AMOUNTS",
    "CELL_CHARS",
    "FORECAST_SNAPSHOT_TAB",
    "ForecastHistory",
    "PeriodSnapshot",
    "SnapshotRetention",
    "decode_ids",
    "encode_ids",
    "forecast_snapshot_tab",
    "read_forecast_history",
    "split_cells",
]

