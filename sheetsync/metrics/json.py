"""The metric tables as plain JSON-ready rows (DESIGN.md, "Machine-readable output").

Ratios are fractions (0.625), money and counts are ``int``, undefined is ``None``; keys appear
in the contract's order. ``avg_cycle_days`` is a float (a mean of days).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sheetsync.metrics.winrate import WIN_RATE_COLUMNS

_FORECAST_MONEY = ("target", "won", "pipeline", "weighted", "commit", "best_case", "forecast")
_FORECAST_RATIO = ("attainment", "forecast_attainment")
FORECAST_KEYS = (
    "period",
    "owner",
    *_FORECAST_MONEY,
    *_FORECAST_RATIO,
    "gap",
    "coverage",
)
WIN_RATE_KEYS = WIN_RATE_COLUMNS
STALE_KEYS = ("deal_id", "owner", "stage", "amount", "days_since_update", "reasons")

_INT = {
    *_FORECAST_MONEY,
    "gap",
    "won",
    "lost",
    "won_amount",
    "lost_amount",
    "avg_won_amount",
    "amount",
    "days_since_update",
    "days_in_stage",
    "close_pushes",
}
_FLOAT = {
    *_FORECAST_RATIO,
    "coverage",
    "win_rate",
    "win_rate_amount",
    "avg_cycle_days",
    "wilson_low",
    "wilson_high",
}


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _column(series: pd.Series, key: str) -> list[Any]:
    values = series.astype(object).tolist()
    if key in _INT:
        return [None if _missing(v) else int(v) for v in values]
    if key in _FLOAT:
        return [None if _missing(v) else float(v) for v in values]
    if key == "reasons":
        return [list(v) for v in values]
    return [None if _missing(v) else str(v) for v in values]


def _rows(df: pd.DataFrame, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    columns = [_column(df[k], k) for k in keys]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def forecast_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``forecast`` rows of the JSON contract from :func:`compute_forecast`'s table.

    >>> import datetime as dt
    >>> from sheetsync.metrics import MetricsSettings, compute_forecast, make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> forecast_rows(compute_forecast(make_deals([]), None, s))[0]
    ... # doctest: +NORMALIZE_WHITESPACE
    {'period': 'FY2026-Q1', 'owner': None, 'target': None, 'won': 0, 'pipeline': 0,
     'weighted': 0, 'commit': 0, 'best_case': 0, 'forecast': 0, 'attainment': None,
     'forecast_attainment': None, 'gap': None, 'coverage': None}
    """
    return _rows(df, FORECAST_KEYS)


def win_rate_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``win_rate`` rows of the JSON contract from :func:`compute_win_rate`'s table."""
    return _rows(df, WIN_RATE_KEYS)


def stale_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``stale`` rows of the JSON contract from :func:`compute_stale`'s table."""
    extra = tuple(k for k in ("days_in_stage", "close_pushes") if k in df.columns)
    return _rows(df, STALE_KEYS + extra)
