"""要フォロー案件 (stale deals): open deals that need a follow-up, most urgent first.

Reasons (DESIGN.md, "Computed tabs"), always listed in this order:

- ``no_update``: days since the last update exceed the stage's limit
  (``stale_by_stage``, else ``stale_default_days``); the last update is the latest of
  最終接触日, ``last_observed_change`` (when the column exists) and 登録日. With none of them
  known, ``days_since_update`` is null and the deal is ``no_update``.
- ``overdue_close``: 受注予定日 is before as-of.
- ``no_next_action``: 次回アクション is blank (or only spaces), or 次回アクション日 is before as-of.

Order ("most urgent first"; DESIGN.md leaves it open): more reasons first; then overdue
deals first; then ``days_since_update`` descending with unknown first; then amount descending
with blank last; then 案件ID, then register row — a total order, so row order of the input
never shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings

STALE_COLUMNS = (
    "deal_id",
    "deal_name",
    "client",
    "owner",
    "stage",
    "amount",
    "days_since_update",
    "reasons",
    "expected_close",
    "_row",
)
REASONS = ("no_update", "overdue_close", "no_next_action")
#: added when the deals carry the change history's columns (``stage_since``, ``close_pushes``)
HISTORY_COLUMNS = ("days_in_stage", "close_pushes")


def compute_stale(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    """The 要フォロー案件 table: open deals with at least one reason, most urgent first.

    Columns :data:`STALE_COLUMNS`; ``reasons`` is a list of reason codes in :data:`REASONS`
    order, ``days_since_update`` is ``Int64`` (``<NA>`` when no date is known), ``amount``
    ``Int64``, ``expected_close`` datetime64.

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"deal_id": "D1", "stage": "proposal", "last_activity": "2026-04-01",
    ...      "expected_close": "2026-04-30", "next_action": "call"},
    ...     {"deal_id": "D2", "stage": "proposal", "last_activity": "2026-04-30",
    ...      "expected_close": "2026-06-30", "next_action": "visit"},
    ... ])
    >>> compute_stale(d, s)[["deal_id", "days_since_update", "reasons"]].to_dict("records")
    [{'deal_id': 'D1', 'days_since_update': 30, 'reasons': ['no_update', 'overdue_close']}]
    """
    _, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    as_of = pd.Timestamp(settings.as_of)
    stage = frames.text(deals, "stage")

    candidates = [frames.dates(deals, "last_activity"), frames.dates(deals, "created_on")]
    if "last_observed_change" in deals.columns:
        candidates.append(frames.dates(deals, "last_observed_change"))
    last_update = pd.concat(candidates, axis=1).max(axis=1, skipna=True)
    days = frames.day_count(as_of, last_update)
    limit = stage.map(dict(settings.stale_by_stage)).fillna(settings.stale_default_days)
    limit = limit.astype("int64").to_numpy()
    days_np = days.to_numpy(dtype="float64", na_value=np.nan)
    no_update = np.isnan(days_np) | (days_np > limit)

    overdue = (frames.dates(deals, "expected_close") < as_of).to_numpy()
    action = frames.text(deals, "next_action")
    blank = action.isna().to_numpy() | (action.fillna("").astype(str).str.strip() == "").to_numpy()
    late = (frames.dates(deals, "next_action_date") < as_of).to_numpy()
    no_next = blank | late

    flags = np.column_stack([no_update, overdue, no_next]) & open_[:, None]
    count = flags.sum(axis=1)
    sel = count > 0
    amount = (
        pd.to_numeric(deals["amount"]).astype("Int64")
        if "amount" in deals.columns
        else (pd.Series(pd.NA, index=deals.index, dtype="Int64"))
    )
    out = pd.DataFrame(
        {
            "deal_id": frames.text(deals, "deal_id").to_numpy()[sel],
            "deal_name": frames.text(deals, "deal_name").to_numpy()[sel],
            "client": frames.text(deals, "client").to_numpy()[sel],
            "owner": frames.text(deals, "owner").to_numpy()[sel],
            "stage": stage.to_numpy()[sel],
            "amount": amount.array[sel],
            "days_since_update": days.array[sel],
            "reasons": _reason_lists(flags[sel]),
            "expected_close": frames.dates(deals, "expected_close").to_numpy()[sel],
            "_row": deals["_row"].to_numpy(dtype="int64")[sel],
        }
    )
    if "stage_since" in deals.columns:
        in_stage = frames.day_count(as_of, frames.dates(deals, "stage_since"))
        out["days_in_stage"] = in_stage.array[sel]
    if "close_pushes" in deals.columns:
        out["close_pushes"] = pd.array(deals["close_pushes"], dtype="Int64")[sel]
    for c in ("deal_id", "deal_name", "client", "owner", "stage"):
        out[c] = out[c].astype(object)
    # sort keys: negate for descending; unknown days first (+inf), blank amount last (-1)
    d = days_np[sel]
    a = amount.to_numpy(dtype="float64", na_value=-1.0)[sel]
    order = np.lexsort(
        (
            out["_row"].to_numpy(),
            out["deal_id"].fillna("").to_numpy(dtype=str),
            -a,
            -np.where(np.isnan(d), np.inf, d),
            ~flags[sel, 1],
            -count[sel],
        )
    )
    extra = [c for c in HISTORY_COLUMNS if c in out.columns]
    return out.iloc[order].reset_index(drop=True)[[*STALE_COLUMNS, *extra]]


def _reason_lists(flags: np.ndarray) -> list[list[str]]:
    # at most 7 distinct combinations: build each list once, share nothing between rows
    codes = flags @ np.array([1, 2, 4])
    table = {c: [r for i, r in enumerate(REASONS) if c >> i & 1] for c in range(8)}
    return [list(table[c]) for c in codes.tolist()]
