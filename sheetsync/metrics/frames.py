"""The validated-deals DataFrame contract, a builder for it, and column accessors.

The pipeline hands the metrics one row per register row that passed validation. Columns and
dtypes (others may be present and are ignored):

- ``_row`` int: 1-based row in the register tab
- ``deal_id``, ``deal_name``, ``client``, ``owner``, ``stage`` (schema value), ``rank``,
  ``lead_source`` (schema value), ``next_action``, ``loss_reason``, ``notes``: str or missing
- ``probability`` float 0–100 or NaN; ``amount`` ``Int64`` (``<NA>`` when blank)
- ``expected_close``, ``closed_on``, ``created_on``, ``last_activity``, ``next_action_date``
  and the optional ``last_observed_change``: datetime64 at midnight, ``NaT`` when blank

The accessors below tolerate a missing optional column (all blank) and object-dtype input,
so the metric functions stay total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

TEXT_COLUMNS = (
    "deal_id",
    "deal_name",
    "client",
    "owner",
    "stage",
    "rank",
    "lead_source",
    "next_action",
    "loss_reason",
    "notes",
)
DATE_COLUMNS = ("expected_close", "closed_on", "created_on", "last_activity", "next_action_date")
DEAL_COLUMNS = ("_row", *TEXT_COLUMNS, "probability", "amount", *DATE_COLUMNS)


def make_deals(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A validated-deals DataFrame with the contract's dtypes from plain dicts.

    Missing keys are blank; a missing ``_row`` is the record's position + 2 (row 1 is the
    header). Dates may be
    ``date`` objects or ISO strings. Extra keys become extra columns (``last_observed_change``
    is converted to datetime64).

    >>> df = make_deals([{"deal_id": "D1", "stage": "won", "amount": 100}])
    >>> df.loc[0, "_row"], str(df["amount"].dtype), df.loc[0, "closed_on"]
    (np.int64(2), 'Int64', NaT)
    """
    rows = [dict(r) for r in records]
    extra = list(dict.fromkeys(k for r in rows for k in r if k not in DEAL_COLUMNS))
    raw = {c: [r.get(c) for r in rows] for c in (*DEAL_COLUMNS, *extra)}
    data: dict[str, Any] = {
        "_row": pd.Series(
            [i + 2 if v is None else int(v) for i, v in enumerate(raw["_row"])], dtype="int64"
        ),
        "probability": pd.Series(
            [np.nan if v is None else float(v) for v in raw["probability"]], dtype="float64"
        ),
        "amount": pd.Series(pd.array(raw["amount"], dtype="Int64")),
    }
    for c in TEXT_COLUMNS:
        data[c] = pd.Series(raw[c], dtype=object)
    for c in (*DATE_COLUMNS, *(c for c in extra if c == "last_observed_change")):
        data[c] = _to_dates(raw[c])
    for c in extra:
        data.setdefault(c, pd.Series(raw[c], dtype=object))
    return pd.DataFrame(data, columns=[*DEAL_COLUMNS, *extra], index=pd.RangeIndex(len(rows)))


def _to_dates(values: list[Any]) -> pd.Series:
    s = pd.to_datetime(pd.Series(values, dtype=object))
    return s.astype("datetime64[ns]").dt.normalize()


def make_targets(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A targets DataFrame (``period``, ``owner`` or None for the team, ``target`` Int64).

    >>> make_targets([{"period": "FY2026-Q1", "target": 1000}]).loc[0, "owner"] is None
    True
    """
    rows = [dict(r) for r in records]
    extra = [k for r in rows for k in r if k not in ("period", "owner", "target")]
    columns = ["period", "owner", "target", *dict.fromkeys(extra)]
    df = pd.DataFrame({c: [r.get(c) for r in rows] for c in columns}, columns=columns)
    df["period"] = df["period"].astype(object)
    df["owner"] = df["owner"].astype(object).where(df["owner"].notna(), None)
    df["target"] = pd.array([r.get("target") for r in rows], dtype="Int64")
    return df


# --- accessors used by the metric modules ----------------------------------------------------


def text(deals: pd.DataFrame, column: str) -> pd.Series:
    """A text column as object dtype with ``None`` for missing (absent column: all None)."""
    if column not in deals.columns:
        return pd.Series([None] * len(deals), index=deals.index, dtype=object)
    s = deals[column].astype(object)
    return s.where(s.notna(), None)


def dates(deals: pd.DataFrame, column: str) -> pd.Series:
    """A date column as datetime64 (absent column: all ``NaT``)."""
    if column not in deals.columns:
        return pd.Series(pd.NaT, index=deals.index, dtype="datetime64[ns]")
    s = deals[column]
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s)
    return s


def amounts(deals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(amount as int64 with blanks as 0, known mask)``."""
    s = deals["amount"] if "amount" in deals.columns else pd.Series(pd.NA, index=deals.index)
    s = pd.to_numeric(s).astype("Int64")
    known = s.notna().to_numpy()
    return s.fillna(0).to_numpy(dtype="int64"), known


def stage_masks(
    deals: pd.DataFrame, won_stages: Iterable[str], lost_stages: Iterable[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(won, lost, open)`` boolean masks by stage value."""
    stage = text(deals, "stage")
    won = stage.isin(list(won_stages)).to_numpy()
    lost = stage.isin(list(lost_stages)).to_numpy() & ~won
    return won, lost, ~(won | lost)


def hold_mask(deals: pd.DataFrame, hold_stages: Iterable[str]) -> np.ndarray:
    """Deals parked in a hold stage (保留): open, but out of every forecast."""
    return text(deals, "stage").isin(list(hold_stages)).to_numpy()


def day_count(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days ``later - earlier`` as ``Int64`` (``<NA>`` where either is unknown)."""
    return (later - earlier).dt.days.astype("Int64")
