"""Pure metric functions: forecast, win rate and stale deals, and the tabs showing them.

No I/O and no clock: the pipeline validates the register, then calls, e.g.::

    settings = MetricsSettings(as_of=..., stage_probability=..., ...)
    targets, target_issues = map_targets(raw_targets, fiscal_year_start_month=4)
    forecast = compute_forecast(deals, targets, settings)
    payload = {"forecast": forecast_rows(forecast), ...}
    tab = forecast_tab(forecast, language="ja", note="…", register_tab="案件一覧")
"""

from sheetsync.metrics.forecast import FORECAST_COLUMNS, compute_forecast, deal_probability
from sheetsync.metrics.frames import make_deals, make_targets
from sheetsync.metrics.json import forecast_rows, stale_rows, win_rate_rows
from sheetsync.metrics.periods import (
    Period,
    PeriodError,
    add_months,
    fiscal_periods,
    fiscal_year_of,
    parse_period,
    period_error_message,
    period_of,
)
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stale import REASONS, STALE_COLUMNS, compute_stale
from sheetsync.metrics.targets import map_targets
from sheetsync.metrics.winrate import WIN_RATE_COLUMNS, compute_win_rate, wilson_interval

__all__ = [
    "FORECAST_COLUMNS",
    "REASONS",
    "STALE_COLUMNS",
    "WIN_RATE_COLUMNS",
    "MetricsSettings",
    "Period",
    "PeriodError",
    "add_months",
    "compute_forecast",
    "compute_stale",
    "compute_win_rate",
    "deal_probability",
    "fiscal_periods",
    "fiscal_year_of",
    "forecast_rows",
    "make_deals",
    "make_targets",
    "map_targets",
    "parse_period",
    "period_error_message",
    "period_of",
    "stale_rows",
    "wilson_interval",
    "win_rate_rows",
]
