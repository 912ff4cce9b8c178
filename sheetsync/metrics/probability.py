"""The win probability of each deal, as docs/definitions.md defines it (shared by every
report)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings


def deal_probability(deals: pd.DataFrame, settings: MetricsSettings) -> pd.Series:
    """Win probability in percent per deal: won 100, lost 0; an open deal takes its 受注確率,
    else its 確度 rank's %, else its stage's default (else 0).

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"stage": "proposal", "rank": "A", "probability": 30.0},
    ...     {"stage": "proposal", "rank": "A"},
    ...     {"stage": "proposal"},
    ...     {"stage": "won", "probability": 30.0},
    ... ])
    >>> deal_probability(d, s).tolist()
    [30.0, 80.0, 40.0, 100.0]
    """
    won, lost, _ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    if "probability" in deals.columns:
        given = pd.to_numeric(deals["probability"], errors="coerce").astype("float64")
    else:
        given = pd.Series(np.nan, index=deals.index)
    by_rank = frames.text(deals, "rank").map(dict(settings.rank_probability)).astype("float64")
    by_stage = frames.text(deals, "stage").map(dict(settings.stage_probability))
    prob = given.fillna(by_rank).fillna(by_stage.astype("float64")).fillna(0.0).clip(0.0, 100.0)
    prob = prob.where(~won, 100.0).where(~lost, 0.0)
    return prob.rename("probability")
