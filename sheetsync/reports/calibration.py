"""Calibration: did the deals win as often as their probability said? (ファネル, issue 13)

Exact definitions: docs/definitions.md, "ファネル". The deals: those closed (受注 or 失注)
with 完了日 in 受注率's window (:func:`~.win_rate.window_start`) that sheetsync saw open — the
last step of their stage path (:mod:`sheetsync.stage_paths`) is that close, from an open
stage seen the run before. What each carried then is its probability as the forecast computes
it (:func:`~sheetsync.metrics.probability.deal_probability`): the 受注確率 it had, else its
確度's, else the stage's. A deal closed straight from a hold stage (保留) carried no forecast
probability and is left out.

Rows (:data:`CALIBRATION_KEYS`): the total, then per stage of the last open observation
(every open stage of the funnel, in the schema's order), per 確度 rank at that observation
(every rank; the deals without one as key null, when any), per rep (by name): ``n`` deals,
``won``, ``assumed`` (the mean probability carried, a fraction), ``observed`` (won / n) with
its Wilson 95 % bounds, and the Brier score (the mean of (probability − outcome)², 0 =
perfect, 0.25 = a coin toss at 50 %).

The calibration weights nothing: ``forecast.probabilities: observed`` takes the funnel's
win rate from the stage (:func:`sheetsync.reports.funnel.observed_stage_rates`) — of the deals
*seen at* a stage, the share won — not these rates of the deals *last seen open* at it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.probability import deal_probability
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stats import wilson_interval
from sheetsync.reports.base import JsonKind, json_rows
from sheetsync.reports.win_rate import window_start
from sheetsync.stage_paths import SeenPath, steps_of

#: the JSON contract's keys (``calibration`` rows), in order
CALIBRATION_KEYS: dict[str, JsonKind] = {
    "dimension": "text",
    "key": "text",
    "n": "int",
    "won": "int",
    "assumed": "float",
    "observed": "float",
    "wilson_low": "float",
    "wilson_high": "float",
    "brier": "float",
}


def funnel_stages(settings: MetricsSettings) -> list[str]:
    """The funnel's stages: the open stages in the schema's order, hold stages (保留) left
    out — parking a deal is not a step towards 受注.

    >>> import datetime as dt
    >>> funnel_stages(MetricsSettings.default(dt.date(2026, 12, 4)))
    ['lead', 'meeting', 'proposal', 'quote', 'negotiation']
    """
    out = settings.closed_stages | settings.hold_stages
    return [s for s in settings.stage_probability if s not in out]


@dataclass(frozen=True)
class Carried:
    """One calibrated deal: the stage and 確度 of its last open observation, the probability
    it carried then (percent) and whether it was won."""

    owner: str | None
    stage: str
    rank: str | None
    probability: float
    won: bool


def carried(deals: pd.DataFrame, settings: MetricsSettings,
            paths: list[SeenPath] | None = None) -> list[Carried]:
    """The deals calibration counts (see the module), in the frame's order (``paths``: the
    deals' :func:`~sheetsync.stage_paths.steps_of`, when known already)."""
    won, lost, _ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    closed_on = frames.dates(deals, "closed_on")
    start = pd.Timestamp(window_start(settings.as_of, settings.window_months))
    inside = ((closed_on >= start) & (closed_on <= pd.Timestamp(settings.as_of))).to_numpy()
    counted = (inside & (won | lost)).tolist()
    won_list = won.tolist()
    stage = frames.text(deals, "stage").tolist()
    owner = frames.text(deals, "owner").tolist()
    found: list[tuple[str | None, str, str, str, bool]] = []
    for i, seen in enumerate(steps_of(deals, settings.as_of) if paths is None else paths):
        steps = seen.steps
        if not counted[i] or len(steps) < 2:
            continue
        last, before = steps[-1], steps[-2]
        if (last.carried is None or last.stage != stage[i] or before.stage in
                settings.closed_stages or before.stage in settings.hold_stages):
            continue
        found.append((owner[i], before.stage, *last.carried, won_list[i]))
    # what the forecast made of those values: deal_probability, on all of them at once
    then = pd.DataFrame({
        "stage": pd.Series([st for _, st, _, _, _ in found], dtype=object),
        "rank": pd.Series([rank or None for _, _, _, rank, _ in found], dtype=object),
        "probability": pd.Series([float(given) if given else np.nan
                                  for _, _, given, _, _ in found], dtype="float64"),
    })
    probability = deal_probability(then, settings).tolist()
    return [Carried(o, st, rank or None, p, w)
            for (o, st, _, rank, w), p in zip(found, probability, strict=True)]


def compute_calibration(deals: pd.DataFrame, settings: MetricsSettings,
                        paths: list[SeenPath] | None = None) -> pd.DataFrame:
    """The calibration table: columns :data:`CALIBRATION_KEYS`, rows as the module says.

    >>> import datetime as dt
    >>> from sheetsync.stage_paths import STEPS_COLUMN, seen_path
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> day = dt.date(2026, 11, 1)
    >>> d = frames.make_deals([
    ...     {"owner": "佐藤", "stage": "won", "closed_on": "2026-11-20",
    ...      STEPS_COLUMN: seen_path("proposal;won:19@,", day)},
    ...     {"owner": "佐藤", "stage": "lost", "closed_on": "2026-11-20",
    ...      STEPS_COLUMN: seen_path("proposal;lost:19@,B", day)}])
    >>> row = compute_calibration(d, s).iloc[0]  # ((0.4 − 1)² + (0.5 − 0)²) / 2
    >>> int(row["n"]), int(row["won"]), float(row["assumed"]), float(row["brier"])
    (2, 1, 0.45, 0.305)
    """
    rows = carried(deals, settings, paths)
    ranks = list(settings.rank_probability)
    groups: list[tuple[str, str | None, list[Carried]]] = [("total", None, rows)]
    by: dict[str, dict[str | None, list[Carried]]] = {"stage": {}, "rank": {}, "owner": {}}
    for r in rows:
        by["stage"].setdefault(r.stage, []).append(r)
        by["rank"].setdefault(r.rank, []).append(r)
        by["owner"].setdefault(r.owner, []).append(r)
    groups += [("stage", s, by["stage"].get(s, [])) for s in
               _ordered(set(by["stage"]), funnel_stages(settings), keep_all=True)]
    named = {k for k in by["rank"] if k is not None}
    groups += [("rank", k, by["rank"].get(k, [])) for k in _ordered(named, ranks, keep_all=True)]
    if None in by["rank"]:
        groups.append(("rank", None, by["rank"][None]))
    groups += [("owner", o, by["owner"][o]) for o in sorted(k for k in by["owner"] if k)]
    return _table(groups)


def _ordered(present: set[str], preferred: list[str], *, keep_all: bool) -> list[str]:
    """``preferred`` (all of it with ``keep_all``, else those present), then the others
    present, sorted."""
    head = [k for k in preferred if keep_all or k in present]
    return head + sorted(present - set(head))


def _table(groups: list[tuple[str, str | None, list[Carried]]]) -> pd.DataFrame:
    n = np.array([len(g) for _, _, g in groups], dtype="int64")
    won = np.array([sum(r.won for r in g) for _, _, g in groups], dtype="int64")
    prob = [np.array([r.probability / 100 for r in g], dtype="float64") for _, _, g in groups]
    outcome = [np.array([float(r.won) for r in g], dtype="float64") for _, _, g in groups]
    low, high = wilson_interval(won, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(n > 0, won / np.maximum(n, 1), np.nan)
    return pd.DataFrame({
        "dimension": pd.Series([d for d, _, _ in groups], dtype=object),
        "key": pd.Series([k for _, k, _ in groups], dtype=object),
        "n": n,
        "won": won,
        # fsum: exactly rounded, so the register's row order never shows in the last digit
        "assumed": [math.fsum(p) / len(p) if len(p) else np.nan for p in prob],
        "observed": observed,
        "wilson_low": low,
        "wilson_high": high,
        "brier": [math.fsum((p - y) ** 2) / len(p) if len(p) else np.nan
                  for p, y in zip(prob, outcome, strict=True)],
    })


def calibration_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``calibration`` rows of the JSON contract."""
    return json_rows(df, CALIBRATION_KEYS)
