"""Settings the metric functions need, resolved by the caller from config and schema.

The metric functions never read config files or the clock: everything they depend on is in
one frozen :class:`MetricsSettings` value, so a run is reproducible from its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

PeriodKind = Literal["quarter", "month"]

#: the default schema's values (docs/definitions.md), repeated here only so tests can build
#: settings quickly
DEFAULT_STAGE_PROBABILITY: Mapping[str, float] = MappingProxyType(
    {
        "lead": 10.0,
        "meeting": 20.0,
        "proposal": 40.0,
        "quote": 60.0,
        "negotiation": 80.0,
        "won": 100.0,
        "lost": 0.0,
    }
)
DEFAULT_RANK_PROBABILITY: Mapping[str, float] = MappingProxyType(
    {"A": 80.0, "B": 50.0, "C": 20.0, "D": 5.0}
)
DEFAULT_LEAD_SOURCES: tuple[str, ...] = (
    "web_inquiry",
    "trade_show",
    "referral",
    "outbound_call",
    "existing_customer",
    "partner",
    "other",
)


def _frozen(mapping: Mapping[str, float] | Mapping[str, int]) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class MetricsSettings:
    """Everything the metrics depend on besides the deals and the targets.

    ``stage_probability`` maps a stage *value* to its default win probability in percent;
    ``won_stages``/``lost_stages`` are the closed stages (every other stage is open);
    ``rank_probability`` maps a 確度 rank to percent; ``stale_by_stage`` maps a stage value
    to its no-update limit in days (``stale_default_days`` otherwise). ``lead_sources`` only
    fixes the row order of the win-rate tab (schema order); unknown sources sort after it.
    ``commit_probability``/``best_case_probability`` are the forecast thresholds (≥, percent).
    ``hold_stages`` are open stages that park a deal (保留): out of every forecast column and
    every follow-up rule but ``hold_review_due``. ``stale_max_close_pushes``: a deal whose
    受注予定日 was moved later this many times is ``close_pushed``. ``probabilities``
    (``configured`` | ``observed``) and ``stale_unrealistic_close``: ファネル's two uses.

    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> s.fiscal_year_start_month, s.period, sorted(s.won_stages)
    (4, 'quarter', ['won'])
    """

    as_of: dt.date
    fiscal_year_start_month: int = 4
    period: PeriodKind = "quarter"
    stage_probability: Mapping[str, float] = field(default_factory=dict)
    won_stages: frozenset[str] = frozenset()
    lost_stages: frozenset[str] = frozenset()
    rank_probability: Mapping[str, float] = field(default_factory=dict)
    stale_default_days: int = 14
    stale_by_stage: Mapping[str, int] = field(default_factory=dict)
    stale_max_close_pushes: int = 2
    window_months: int = 12
    lead_sources: tuple[str, ...] = ()
    commit_probability: float = 80.0
    best_case_probability: float = 50.0
    hold_stages: frozenset[str] = frozenset()
    #: ファネル: ``observed`` weights the forecast with the team's win rates from the stage
    #: (:func:`sheetsync.reports.funnel.weighted_probability`); ``configured`` does not
    probabilities: Literal["configured", "observed"] = "configured"
    #: 要フォロー案件: flag ``unrealistic_close`` (off by default)
    stale_unrealistic_close: bool = False
    #: 予測の推移: forecast accuracy is measured this many weeks before each period's end
    accuracy_weeks: tuple[int, ...] = (4, 8)
    #: パイプライン増減 compares the register this many days ago with today
    pipeline_changes_days: int = 7

    def __post_init__(self) -> None:
        if isinstance(self.as_of, dt.datetime):
            object.__setattr__(self, "as_of", self.as_of.date())
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError(
                f"fiscal_year_start_month must be 1..12, got {self.fiscal_year_start_month}"
            )
        if self.period not in ("quarter", "month"):
            raise ValueError(f"period must be 'quarter' or 'month', got {self.period!r}")
        if self.probabilities not in ("configured", "observed"):
            raise ValueError("probabilities must be 'configured' or 'observed', "
                             f"got {self.probabilities!r}")
        if self.window_months < 0:
            raise ValueError(f"window_months must be >= 0, got {self.window_months}")
        # read-only copies: a frozen dataclass should not hold a dict the caller can mutate
        for name in ("stage_probability", "rank_probability", "stale_by_stage"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "won_stages", frozenset(self.won_stages))
        object.__setattr__(self, "lost_stages", frozenset(self.lost_stages))
        object.__setattr__(self, "hold_stages", frozenset(self.hold_stages) - self.closed_stages)
        object.__setattr__(self, "lead_sources", tuple(self.lead_sources))
        object.__setattr__(self, "accuracy_weeks", tuple(self.accuracy_weeks))

    @property
    def closed_stages(self) -> frozenset[str]:
        return self.won_stages | self.lost_stages

    @classmethod
    def default(cls, as_of: dt.date, **overrides: object) -> MetricsSettings:
        """The default schema's stages, ranks and lead sources (for tests and the demo)."""
        values: dict[str, object] = {
            "as_of": as_of,
            "stage_probability": DEFAULT_STAGE_PROBABILITY,
            "won_stages": frozenset({"won"}),
            "lost_stages": frozenset({"lost"}),
            "hold_stages": frozenset({"on_hold"}),
            "rank_probability": DEFAULT_RANK_PROBABILITY,
            "lead_sources": DEFAULT_LEAD_SOURCES,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
