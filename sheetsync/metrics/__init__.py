"""Pure building blocks of the reports: the deals frame, fiscal periods, targets, settings,
win probability and small statistics.

No I/O and no clock. The reports themselves (their tables, tabs and JSON rows) live in
:mod:`sheetsync.reports`, one module each; the pipeline resolves the settings, e.g.::

    settings = MetricsSettings(as_of=..., stage_probability=..., ...)
    targets, target_issues = map_targets(raw_targets, fiscal_year_start_month=4)
"""

from sheetsync.metrics.frames import make_deals, make_targets
from sheetsync.metrics.periods import (
    Period,
    PeriodError,
    add_months,
    fiscal_periods,
    fiscal_year_of,
    half_period,
    parse_period,
    period_error_message,
    period_of,
    year_period,
    year_periods,
)
from sheetsync.metrics.probability import deal_probability
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stats import wilson_interval
from sheetsync.metrics.targets import map_targets, rollup_targets

__all__ = [
    "MetricsSettings",
    "Period",
    "PeriodError",
    "add_months",
    "deal_probability",
    "fiscal_periods",
    "fiscal_year_of",
    "half_period",
    "make_deals",
    "make_targets",
    "map_targets",
    "parse_period",
    "period_error_message",
    "period_of",
    "rollup_targets",
    "wilson_interval",
    "year_period",
    "year_periods",
]
