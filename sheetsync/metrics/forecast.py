"""売上予測 (forecast): won, pipeline and weighted pipeline per period and owner, against target.

Exact definitions (DESIGN.md, "Computed tabs"). Choices DESIGN.md leaves open:

- Money columns are integers. ``weighted`` is computed exactly — Σ amount × probability
  with the probability taken to 1/10,000 of a percentage point — and rounded **half up once,
  at the end of each row's sum** (what ``=ROUND(SUMPRODUCT(...)/100, 0)`` gives). Because
  every row is rounded on its own, a team row's ``weighted``/``forecast``/``gap`` may differ
  from the sum of its owner rows by at most half a yen per owner row.
- A blank amount counts as 0 (it adds nothing to any sum).
- A deal whose stage has no default probability and no 受注確率/確度 counts at 0 %.
- Owners listed: those with an open or won deal falling in the fiscal year, or with a target
  (at any granularity) in it. Lost deals never fall in a period.
- Row order: the team rows (one per period), then period by period the owners, sorted by name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.periods import fiscal_periods, fiscal_year_of, period_positions
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.targets import map_targets

FORECAST_COLUMNS = (
    "period",
    "owner",
    "target",
    "won",
    "pipeline",
    "weighted",
    "commit",
    "best_case",
    "forecast",
    "attainment",
    "forecast_attainment",
    "gap",
    "coverage",
)
#: probability precision: 1 unit = 1/10,000 of a percentage point, so 100 % = 1,000,000 units
_UNITS = 1_000_000
_ADDITIVE = ("won", "pipeline", "w_quot", "w_rem", "commit", "best_case")


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


def _round_half_up(quot: np.ndarray, rem: np.ndarray) -> np.ndarray:
    """``quot + rem / _UNITS`` rounded half up, exactly (``rem`` may exceed ``_UNITS``)."""
    carry, rem = np.divmod(rem, _UNITS)
    return quot + carry + (2 * rem >= _UNITS).astype("int64")


def _contributions(deals: pd.DataFrame, settings: MetricsSettings, fy: int) -> pd.DataFrame:
    """One row per deal falling in a period of ``fy``: period index, owner, summands."""
    won, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    sm, kind = settings.fiscal_year_start_month, settings.period
    pos_won = period_positions(frames.dates(deals, "closed_on"), fy, sm, kind)
    pos_open = period_positions(frames.dates(deals, "expected_close"), fy, sm, kind)
    pos = np.where(won, pos_won, np.where(open_, pos_open, -1))
    keep = pos >= 0
    amount, _ = frames.amounts(deals)
    prob = deal_probability(deals, settings).to_numpy(dtype="float64")
    units = np.rint(prob * (_UNITS / 100)).astype("int64")
    # amount × units overflows int64 above ~9e12 yen: split the amount so it never does
    hi, lo = np.divmod(amount, _UNITS)
    w_quot = hi * units + (lo * units) // _UNITS
    w_rem = (lo * units) % _UNITS
    op = open_ & keep
    commit = op & (units >= round(settings.commit_probability * _UNITS / 100))
    best = op & (units >= round(settings.best_case_probability * _UNITS / 100))
    zero = np.zeros_like(amount)
    return pd.DataFrame(
        {
            "pos": pos[keep],
            "owner": frames.text(deals, "owner").to_numpy()[keep],
            "won": np.where(won, amount, zero)[keep],
            "pipeline": np.where(op, amount, zero)[keep],
            "w_quot": np.where(op, w_quot, zero)[keep],
            "w_rem": np.where(op, w_rem, zero)[keep],
            "commit": np.where(commit, amount, zero)[keep],
            "best_case": np.where(best, amount, zero)[keep],
        }
    )


def _targets_by_period(
    targets: pd.DataFrame | None, settings: MetricsSettings, keys: list[str], fy: int
) -> tuple[dict[str, int | None], dict[tuple[str, str], int], set[str]]:
    """``(team target per period key, owner target per (key, owner), owners with a target)``."""
    mapped, _ = map_targets(
        targets, fiscal_year_start_month=settings.fiscal_year_start_month, period=settings.period
    )
    in_fy = set(keys) | {f"FY{fy}"}
    team_given: dict[str, int] = {}
    by_owner: dict[tuple[str, str], int] = {}
    owners: set[str] = set()
    for key, owner, target in mapped.itertuples(index=False, name=None):
        if key not in in_fy:
            continue
        if owner is None:
            team_given[key] = int(target)
        else:
            owners.add(owner)
            by_owner[(key, owner)] = int(target)
    team: dict[str, int | None] = {}
    for key in keys:
        if key in team_given:
            team[key] = team_given[key]
        else:
            parts = [t for (k, _), t in by_owner.items() if k == key]
            team[key] = sum(parts) if parts else None
    return team, by_owner, owners


def compute_forecast(
    deals: pd.DataFrame, targets: pd.DataFrame | None, settings: MetricsSettings
) -> pd.DataFrame:
    """The 売上予測 table for the fiscal year containing ``settings.as_of``.

    One row per period × owner plus a team row (``owner`` None, over all deals) per period;
    columns :data:`FORECAST_COLUMNS`. Money columns are ``int64`` (``target``/``gap``:
    ``Int64``, ``<NA>`` without a target); ratios are ``float64``, ``NaN`` when undefined.
    ``targets`` may be at any granularity (see :func:`map_targets`, which also reports the
    problems with them; call it yourself to show those).

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals, make_targets
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"owner": "佐藤", "stage": "won", "amount": 300, "closed_on": "2026-04-10"},
    ...     {"owner": "佐藤", "stage": "proposal", "amount": 1000, "expected_close": "2026-06-30"},
    ... ])
    >>> t = make_targets([{"period": "FY2026-Q1", "owner": "佐藤", "target": 1000}])
    >>> row = compute_forecast(d, t, s).iloc[0]
    >>> row["period"], row["owner"], row["won"], row["weighted"], row["forecast"], row["gap"]
    ('FY2026-Q1', None, np.int64(300), np.int64(400), np.int64(700), np.int64(300))
    >>> float(row["attainment"]), float(row["coverage"])
    (0.3, 1.4285714285714286)
    """
    sm = settings.fiscal_year_start_month
    fy = fiscal_year_of(settings.as_of, sm)
    periods = fiscal_periods(settings.as_of, sm, settings.period)
    keys = [p.key for p in periods]
    n = len(keys)
    contrib = _contributions(deals, settings, fy)
    team_target, owner_target, target_owners = _targets_by_period(targets, settings, keys, fy)
    owners = sorted(set(contrib["owner"].dropna().unique()) | target_owners)

    team = contrib.groupby("pos")[list(_ADDITIVE)].sum().reindex(range(n), fill_value=0)
    grid = pd.MultiIndex.from_product([range(n), owners], names=["pos", "owner"])
    per_owner = (
        contrib.dropna(subset=["owner"])
        .groupby(["pos", "owner"])[list(_ADDITIVE)]
        .sum()
        .reindex(grid, fill_value=0)
    )
    sums = pd.concat([team, per_owner], ignore_index=True)
    row_keys = keys + [keys[pos] for pos, _ in grid]
    row_owners: list[str | None] = [None] * n + [owner for _, owner in grid]
    targets_col = [team_target[k] for k in keys] + [
        owner_target.get((keys[pos], owner)) for pos, owner in grid
    ]

    out = pd.DataFrame(
        {"period": pd.Series(row_keys, dtype=object), "owner": pd.Series(row_owners, dtype=object)}
    )
    target = pd.array(targets_col, dtype="Int64")
    won = sums["won"].to_numpy(dtype="int64")
    pipeline = sums["pipeline"].to_numpy(dtype="int64")
    weighted = _round_half_up(
        sums["w_quot"].to_numpy(dtype="int64"), sums["w_rem"].to_numpy(dtype="int64")
    )
    forecast = won + weighted
    t = target.to_numpy(dtype="float64", na_value=np.nan)
    positive = t > 0  # NaN compares False: no target means no ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(positive, won / t, np.nan)
        forecast_attainment = np.where(positive, forecast / t, np.nan)
        coverage = np.where(t > won, pipeline / (t - won), np.nan)
    out["target"] = target
    out["won"] = won
    out["pipeline"] = pipeline
    out["weighted"] = weighted
    out["commit"] = sums["commit"].to_numpy(dtype="int64")
    out["best_case"] = sums["best_case"].to_numpy(dtype="int64")
    out["forecast"] = forecast
    out["attainment"] = attainment
    out["forecast_attainment"] = forecast_attainment
    out["gap"] = target - pd.array(forecast, dtype="Int64")
    out["coverage"] = coverage
    return out[list(FORECAST_COLUMNS)]
