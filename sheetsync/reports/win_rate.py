"""受注率 (win rate): closed deals in a trailing window, by total, owner and lead source.

The report module: the table, its JSON rows and its tab.

Exact definitions: docs/definitions.md, "受注率", which states these details too:

- Window: 完了日 in [as_of − window_months, as_of], both ends inclusive; the start is whole
  calendar months back with the day clamped (2026-03-31 − 1 month = 2026-02-28).
- A blank amount adds nothing to ``won_amount``/``lost_amount`` (counted as 0) but is left out
  of ``avg_won_amount``, which is ``won_amount`` over the won deals *with* an amount, rounded
  half up to a yen (null when there is none). Lost deals often have no amount, so
  ``win_rate_amount`` only weighs the lost deals whose amount was entered.
- ``avg_cycle_days`` is a float (mean of whole days), null when no won deal has 登録日.
- Rows: the total (always, key None), then owners sorted by name, then lead sources in
  ``settings.lead_sources`` order, unknown ones sorted after, the blank group (key None) last.
  Owners and sources without a closed deal in the window have no row.
- Every sum is an integer sum, so the result does not depend on row order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.periods import add_months
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stats import Z95, wilson_interval
from sheetsync.reports.base import (
    ColumnSpec,
    JsonKind,
    Report,
    ReportInput,
    TabContext,
    check_language,
    columns,
    json_rows,
    records,
)
from sheetsync.schema import Label
from sheetsync.tabspec import TabSpec

#: the JSON contract's keys, in order
WIN_RATE_KEYS: dict[str, JsonKind] = {
    "dimension": "text",
    "key": "text",
    "won": "int",
    "lost": "int",
    "win_rate": "float",
    "won_amount": "int",
    "lost_amount": "int",
    "win_rate_amount": "float",
    "avg_won_amount": "int",
    "avg_cycle_days": "float",
    "wilson_low": "float",
    "wilson_high": "float",
}
WIN_RATE_COLUMNS = tuple(WIN_RATE_KEYS)
_SUMS = ("won", "lost", "won_amount", "lost_amount", "won_known", "cycle_sum", "cycle_n")


def window_start(as_of: dt.date, window_months: int) -> dt.date:
    """First day of the trailing window (inclusive).

    >>> window_start(dt.date(2026, 3, 31), 1)
    datetime.date(2026, 2, 28)
    """
    return add_months(as_of, -window_months)


def _closed_in_window(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    won, lost, _ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    closed_on = frames.dates(deals, "closed_on")
    start = pd.Timestamp(window_start(settings.as_of, settings.window_months))
    end = pd.Timestamp(settings.as_of)
    inside = ((closed_on >= start) & (closed_on <= end)).to_numpy() & (won | lost)
    amount, known = frames.amounts(deals)
    cycle = frames.day_count(closed_on, frames.dates(deals, "created_on"))
    has_cycle = cycle.notna().to_numpy() & won
    cycle_days = cycle.fillna(0).to_numpy(dtype="int64")
    return pd.DataFrame(
        {
            "owner": frames.text(deals, "owner").to_numpy()[inside],
            "lead_source": frames.text(deals, "lead_source").to_numpy()[inside],
            "won": won[inside].astype("int64"),
            "lost": lost[inside].astype("int64"),
            "won_amount": np.where(won, amount, 0)[inside],
            "lost_amount": np.where(lost, amount, 0)[inside],
            "won_known": (won & known)[inside].astype("int64"),
            "cycle_sum": np.where(has_cycle, cycle_days, 0)[inside],
            "cycle_n": has_cycle[inside].astype("int64"),
        }
    )


def _source_order(keys: list[str], preferred: tuple[str, ...]) -> list[str]:
    rank = {k: i for i, k in enumerate(preferred)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def compute_win_rate(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    """The 受注率 table: columns :data:`WIN_RATE_COLUMNS`, one row per group.

    ``dimension`` is ``"total"`` (key None), ``"owner"`` or ``"lead_source"`` (key None for
    a blank lead source). Counts and money are ``int64`` (``avg_won_amount``: ``Int64``);
    ratios and ``avg_cycle_days`` are ``float64``, ``NaN`` when undefined.

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 3, 31))
    >>> d = make_deals([
    ...     {"owner": "佐藤", "stage": "won", "amount": 300, "closed_on": "2026-03-31",
    ...      "created_on": "2026-03-01", "lead_source": "referral"},
    ...     {"owner": "佐藤", "stage": "lost", "amount": 100, "closed_on": "2025-03-31"},
    ... ])
    >>> r = compute_win_rate(d, s).iloc[0]
    >>> r["won"], r["lost"], float(r["win_rate"]), float(r["win_rate_amount"]), r["avg_cycle_days"]
    (np.int64(1), np.int64(1), 0.5, 0.75, np.float64(30.0))
    """
    closed = _closed_in_window(deals, settings)
    parts: list[pd.DataFrame] = []

    total = closed[list(_SUMS)].sum().to_frame().T.astype("int64")
    total.insert(0, "key", pd.Series([None], dtype=object))
    total.insert(0, "dimension", "total")
    parts.append(total)

    by_owner = closed.dropna(subset=["owner"]).groupby("owner", sort=False)[list(_SUMS)].sum()
    by_owner = by_owner.reindex(sorted(by_owner.index))
    parts.append(_group_frame("owner", by_owner))

    by_source = closed.groupby("lead_source", sort=False, dropna=False)[list(_SUMS)].sum()
    named = [k for k in by_source.index if isinstance(k, str)]
    order = _source_order(named, settings.lead_sources)
    blank = [k for k in by_source.index if not isinstance(k, str)]
    parts.append(_group_frame("lead_source", by_source.reindex(order + blank[:1])))

    out = pd.concat(parts, ignore_index=True)
    won = out["won"].to_numpy(dtype="int64")
    lost = out["lost"].to_numpy(dtype="int64")
    n = won + lost
    won_amount = out["won_amount"].to_numpy(dtype="int64")
    lost_amount = out["lost_amount"].to_numpy(dtype="int64")
    won_known = out["won_known"].to_numpy(dtype="int64")
    cycle_n = out["cycle_n"].to_numpy(dtype="int64")
    value = won_amount + lost_amount
    with np.errstate(divide="ignore", invalid="ignore"):
        out["win_rate"] = np.where(n > 0, won / n, np.nan)
        out["win_rate_amount"] = np.where(value > 0, won_amount / value, np.nan)
        # half up, exactly: floor((2·sum + count) / (2·count))
        avg = (2 * won_amount + won_known) // np.where(won_known > 0, 2 * won_known, 1)
        out["avg_won_amount"] = pd.array(
            [int(a) if c > 0 else None for a, c in zip(avg, won_known, strict=True)], dtype="Int64"
        )
        cycle_sum = out["cycle_sum"].to_numpy(dtype="int64")
        out["avg_cycle_days"] = np.where(cycle_n > 0, cycle_sum / np.maximum(cycle_n, 1), np.nan)
    low, high = wilson_interval(won, n)
    out["wilson_low"] = low
    out["wilson_high"] = high
    for c in ("won", "lost", "won_amount", "lost_amount"):
        out[c] = out[c].astype("int64")
    return out[list(WIN_RATE_COLUMNS)]


def _group_frame(dimension: str, sums: pd.DataFrame) -> pd.DataFrame:
    keys = [k if isinstance(k, str) else None for k in sums.index]
    frame = sums.reset_index(drop=True).astype("int64")
    frame.insert(0, "key", pd.Series(keys, dtype=object))
    frame.insert(0, "dimension", dimension)
    return frame


def win_rate_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``win_rate`` rows of the JSON contract."""
    return json_rows(df, WIN_RATE_KEYS)


TITLE = Label("受注率", "Win rate")
GROUPS = {
    "total": Label("全体", "Total"),
    "owner": Label("担当者", "Owner"),
    "lead_source": Label("流入経路", "Lead source"),
    "blank": Label("（未入力）", "(blank)"),
}
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("dimension", "区分", "Dimension", "text", 10),
    ColumnSpec("key", "対象", "Group", "text", 16),
    ColumnSpec("won", "受注件数", "Won", "int", 9),
    ColumnSpec("lost", "失注件数", "Lost", "int", 9),
    ColumnSpec("win_rate", "受注率", "Win rate", "ratio", 9),
    ColumnSpec("wilson_low", "受注率 下限(95%)", "Win rate low (95%)", "ratio", 14),
    ColumnSpec("wilson_high", "受注率 上限(95%)", "Win rate high (95%)", "ratio", 14),
    ColumnSpec("won_amount", "受注金額", "Won amount", "money", 15),
    ColumnSpec("lost_amount", "失注金額", "Lost amount", "money", 15),
    ColumnSpec("win_rate_amount", "金額ベース受注率", "Win rate by value", "ratio", 14),
    ColumnSpec("avg_won_amount", "平均受注金額", "Avg won amount", "money", 15),
    ColumnSpec("avg_cycle_days", "平均リードタイム(日)", "Avg cycle (days)", "number", 14),
)


def win_rate_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """受注率 / Win rate: total, owners, lead sources (shown by their label when known).

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> win_rate_tab(compute_win_rate(make_deals([]), s), TabContext()).rows
    [['全体', '全体', 0, 0, None, None, None, 0, 0, None, None, None]]
    """
    lang = check_language(context.language)
    cols = columns(TAB_COLUMNS, lang)
    rows = records(df, cols)
    labels = dict(context.source_labels)
    for row in rows:
        dimension, key = row[0], row[1]
        if dimension == "total":
            row[1] = GROUPS["total"](lang)
        elif key is None:
            row[1] = GROUPS["blank"](lang)
        elif dimension == "lead_source":
            row[1] = labels.get(key, key)
        row[0] = GROUPS[dimension](lang)
    return TabSpec(name=TITLE(lang), columns=cols, rows=rows, note=context.note,
                   freeze_columns=2)


def _compute(data: ReportInput) -> pd.DataFrame:
    return compute_win_rate(data.deals, data.settings)


REPORT = Report(key="win_rate", title=TITLE, compute=_compute, json_rows=win_rate_rows,
                tab=win_rate_tab)

__all__ = ["REPORT", "WIN_RATE_COLUMNS", "WIN_RATE_KEYS", "Z95", "compute_win_rate",
           "wilson_interval", "win_rate_rows", "win_rate_tab", "window_start"]
