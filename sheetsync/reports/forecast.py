"""売上予測 (forecast): the ヨミ表 a manager defends in the weekly ヨミ会.

Exact definitions: docs/definitions.md, "売上予測". In short, per period × owner plus a
team row per period: target, 受注済 (won), the open pipeline by confidence, and the landings
— コミット着地 = won + commit (≥ 80 %), ベストケース着地 = won + best case (≥ 50 %), 加重着地 =
won + weighted.

Placement: a won deal falls in the period of its 完了日; an open deal in the period of its
受注予定日 but never in the past — an overdue deal (受注予定日 before as-of) falls in the period
containing as-of and counts as 予定日超過 there. Lost and on-hold (保留) deals fall nowhere.
A period that ended before as-of is ``closed`` (実績確定): only target and won count.

Periods: every base period (quarter or month) of the fiscal year containing as-of and of the
next one, then the halves and the years of both. Halves and years sum their base periods.

Details (docs/definitions.md states them too):

- ``weighted`` is computed exactly — Σ amount × probability with the probability taken to
  1/10,000 of a percentage point — and rounded half up once per owner row (what
  ``=ROUND(SUMPRODUCT(...)/100, 0)`` gives). A team row, a half and a year are sums of those
  rounded rows, so every additive column adds up exactly: team = Σ owners, year = H1 + H2.
- A blank amount counts as 0; an open deal without 受注予定日 falls in no period.
- Owners listed: those with a won or open deal placed in a period shown, or with a target
  (at any granularity) in one.
- Row order: the team rows (base periods of both years, then FY…-H1, FY…-H2, FY… of each),
  then period by period (same order) the owners, sorted by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.forecast_snapshots import ForecastHistory
from sheetsync.metrics import frames
from sheetsync.metrics.periods import (
    Period,
    fiscal_year_of,
    half_period,
    period_positions,
    year_period,
    year_periods,
)
from sheetsync.metrics.probability import deal_probability
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.targets import map_targets, rollup_targets
from sheetsync.reports.base import (
    AMBER,
    DARK_GREEN,
    GREEN,
    GREY,
    GREY_TEXT,
    ColumnSpec,
    JsonKind,
    Report,
    ReportInput,
    TabContext,
    check_language,
    columns,
    is_missing,
    json_rows,
    records,
)
from sheetsync.reports.funnel import weighted_probability
from sheetsync.schema import Label
from sheetsync.tabspec import ChartSpec, CondFormat, TabSpec

#: the JSON contract's keys, in order (docs/definitions.md, "The JSON contract")
FORECAST_KEYS: dict[str, JsonKind] = {
    "period": "text",
    "owner": "text",
    "target": "int",
    "won": "int",
    "pipeline": "int",
    "weighted": "int",
    "commit": "int",
    "best_case": "int",
    "forecast": "int",
    "attainment": "float",
    "forecast_attainment": "float",
    "gap": "int",
    "coverage": "float",
    "commit_landing": "int",
    "best_case_landing": "int",
    "commit_attainment": "float",
    "remaining": "int",
    "commit_gap": "int",
    "overdue_count": "int",
    "overdue_amount": "int",
    "closed": "bool",
    # since 予測の推移 (docs/definitions.md, "予測の推移"): vs the snapshot of a week ago
    "forecast_change_7d": "int",
    "commit_landing_change_7d": "int",
}
FORECAST_COLUMNS = tuple(FORECAST_KEYS)
#: the 前週比 columns, compared with the latest snapshot on or before as-of − this many days
CHANGE_DAYS = 7
CHANGES = {"forecast_change_7d": "forecast", "commit_landing_change_7d": "commit_landing"}
#: the frame's extra column: "base" (quarter or month), "half" or "year"
LEVEL = "level"

#: probability precision: 1 unit = 1/10,000 of a percentage point, so 100 % = 1,000,000 units
_UNITS = 1_000_000
_SUMS = ("won", "pipeline", "w_quot", "w_rem", "commit", "best_case", "overdue_count",
         "overdue_amount")
#: columns that mean nothing once a period is over (実績確定)
_OPEN_ONLY = ("pipeline", "weighted", "commit", "best_case", "overdue_count",
              "overdue_amount", "coverage")


# -- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastPeriods:
    """The periods of the forecast: ``base`` (quarters or months of two fiscal years), then
    ``totals`` (H1, H2 and the year of each); ``current`` indexes the base period holding
    as-of."""

    base: tuple[Period, ...]
    totals: tuple[Period, ...]
    current: int

    @property
    def all(self) -> tuple[Period, ...]:
        return self.base + self.totals

    @property
    def fiscal_years(self) -> tuple[int, int]:
        first = self.base[0].fiscal_year
        return first, first + 1


def forecast_periods(settings: MetricsSettings) -> ForecastPeriods:
    """The periods shown for ``settings.as_of``.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> p = forecast_periods(s)
    >>> [q.key for q in p.base][:5], p.base[p.current].key
    (['FY2026-Q1', 'FY2026-Q2', 'FY2026-Q3', 'FY2026-Q4', 'FY2027-Q1'], 'FY2026-Q3')
    >>> [q.key for q in p.totals]
    ['FY2026-H1', 'FY2026-H2', 'FY2026', 'FY2027-H1', 'FY2027-H2', 'FY2027']
    """
    sm, kind = settings.fiscal_year_start_month, settings.period
    fy = fiscal_year_of(settings.as_of, sm)
    base = tuple(year_periods(fy, sm, kind) + year_periods(fy + 1, sm, kind))
    totals = tuple(p for y in (fy, fy + 1)
                   for p in (half_period(y, 1, sm), half_period(y, 2, sm), year_period(y, sm)))
    current = next(i for i, p in enumerate(base) if p.contains(settings.as_of))
    return ForecastPeriods(base, totals, current)


def _positions(dates: pd.Series, periods: ForecastPeriods, settings: MetricsSettings
               ) -> np.ndarray:
    """Index into ``periods.base`` of each date's period; -1 outside them (or unknown)."""
    first, second = periods.fiscal_years
    sm, kind = settings.fiscal_year_start_month, settings.period
    per_year = len(periods.base) // 2
    p0 = period_positions(dates, first, sm, kind)
    p1 = period_positions(dates, second, sm, kind)
    return np.where(p0 >= 0, p0, np.where(p1 >= 0, p1 + per_year, -1))


# -- placing deals -------------------------------------------------------------------------


def place_deals(deals: pd.DataFrame, settings: MetricsSettings,
                periods: ForecastPeriods | None = None) -> pd.DataFrame:
    """One row per deal: ``pos`` (its base period's index, -1 when it falls in none),
    ``overdue`` and ``probability``. Won deals by 完了日; open deals by 受注予定日, moved to
    the current period when it is before as-of; lost and on-hold deals nowhere.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> d = frames.make_deals([
    ...     {"stage": "proposal", "expected_close": "2025-06-30"},  # overdue, previous FY
    ...     {"stage": "proposal", "expected_close": "2027-05-01"},  # next FY
    ...     {"stage": "won", "closed_on": "2026-05-01", "expected_close": "2026-12-01"},
    ...     {"stage": "on_hold", "expected_close": "2026-12-31"},
    ... ])
    >>> place_deals(d, s)[["pos", "overdue"]].values.tolist()
    [[2, True], [4, False], [0, False], [-1, False]]
    """
    periods = periods or forecast_periods(settings)
    won, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    open_ = open_ & ~frames.hold_mask(deals, settings.hold_stages)
    as_of = pd.Timestamp(settings.as_of)
    close = frames.dates(deals, "expected_close")
    late = (close < as_of).to_numpy()
    effective = close.where(~late, as_of)
    pos = np.where(won, _positions(frames.dates(deals, "closed_on"), periods, settings),
                   np.where(open_, _positions(effective, periods, settings), -1))
    placed = pd.DataFrame({
        "pos": pos.astype("int64"),
        "open": open_ & (pos >= 0),
        "won": won & (pos >= 0),
        "overdue": open_ & late & (pos >= 0),
        "probability": deal_probability(deals, settings).to_numpy(dtype="float64"),
    }, index=deals.index)
    if settings.probabilities == "observed":  # ファネル: only the weighted sum takes them
        placed["weight"] = weighted_probability(deals, settings).to_numpy(dtype="float64")
    return placed


def _round_half_up(quot: np.ndarray, rem: np.ndarray) -> np.ndarray:
    """``quot + rem / _UNITS`` rounded half up, exactly (``rem`` may exceed ``_UNITS``)."""
    carry, rem = np.divmod(rem, _UNITS)
    return quot + carry + (2 * rem >= _UNITS).astype("int64")


def _units(placed: pd.DataFrame) -> np.ndarray:
    return np.rint(placed["probability"].to_numpy() * (_UNITS / 100)).astype("int64")


def _at_least(units: np.ndarray, percent: float) -> np.ndarray:
    return units >= round(percent * _UNITS / 100)


def commit_mask(placed: pd.DataFrame, settings: MetricsSettings) -> np.ndarray:
    """The deals counted in ``commit`` (Aヨミ): open, placed in a period, probability ≥
    ``settings.commit_probability`` — exactly as the sums count them (``placed``:
    :func:`place_deals`)."""
    return placed["open"].to_numpy() & _at_least(_units(placed), settings.commit_probability)


def _summands(deals: pd.DataFrame, placed: pd.DataFrame, settings: MetricsSettings
              ) -> np.ndarray:
    """Per deal, the integer summands of :data:`_SUMS` (zero for deals placed nowhere)."""
    amount, _ = frames.amounts(deals)
    units = _units(placed)
    # amount × units overflows int64 above ~9e12 yen: split the amount so it never does
    hi, lo = np.divmod(amount, _UNITS)
    weights = (np.rint(placed["weight"].to_numpy() * (_UNITS / 100)).astype("int64")
               if "weight" in placed.columns else units)
    w_quot = hi * weights + (lo * weights) // _UNITS
    w_rem = (lo * weights) % _UNITS
    op = placed["open"].to_numpy()
    commit = op & _at_least(units, settings.commit_probability)
    best = op & _at_least(units, settings.best_case_probability)
    late = placed["overdue"].to_numpy()
    zero = np.zeros_like(amount)
    return np.column_stack([
        np.where(placed["won"].to_numpy(), amount, zero),
        np.where(op, amount, zero),
        np.where(op, w_quot, zero),
        np.where(op, w_rem, zero),
        np.where(commit, amount, zero),
        np.where(best, amount, zero),
        late.astype("int64"),
        np.where(late, amount, zero),
    ])


# -- the table -----------------------------------------------------------------------------


def compute_forecast(
    deals: pd.DataFrame, targets: pd.DataFrame | None, settings: MetricsSettings,
    history: ForecastHistory | None = None,
) -> pd.DataFrame:
    """The 売上予測 table: columns :data:`FORECAST_COLUMNS` plus ``level``; the 前週比 columns
    from the stored snapshots ``history`` (:func:`add_changes`; none: empty).

    Money columns are ``Int64`` (``<NA>`` where undefined: no target, or a closed period's
    pipeline); ratios ``float64`` (``NaN`` when undefined); ``closed`` bool. ``targets`` is
    :func:`~sheetsync.metrics.targets.map_targets`' result (any granularity).

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals, make_targets
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"owner": "佐藤", "stage": "won", "amount": 300, "closed_on": "2026-04-10"},
    ...     {"owner": "佐藤", "stage": "negotiation", "amount": 1000,
    ...      "expected_close": "2026-04-30"},
    ... ])
    >>> t = make_targets([{"period": "FY2026-Q1", "owner": "佐藤", "target": 1000}])
    >>> row = compute_forecast(d, t, s).iloc[0]
    >>> row["period"], int(row["won"]), int(row["commit_landing"]), int(row["commit_gap"])
    ('FY2026-Q1', 300, 1300, -300)
    >>> int(row["overdue_count"]), float(row["commit_attainment"]), bool(row["closed"])
    (1, 1.3, False)
    """
    periods = forecast_periods(settings)
    placed = place_deals(deals, settings, periods)
    keep = (placed["pos"] >= 0).to_numpy()
    owner = frames.text(deals, "owner").to_numpy()[keep]
    owner_key = np.array(["" if o is None else str(o) for o in owner], dtype=object)
    codes, names = pd.factorize(pd.Series(owner_key, dtype=object), sort=True)
    n_base = len(periods.base)
    acc = np.zeros((len(names), n_base, len(_SUMS)), dtype="int64")
    np.add.at(acc, (codes, placed["pos"].to_numpy()[keep]),
              _summands(deals, placed, settings)[keep])
    # weighted: exact per owner and period, rounded once; everything above is a sum of those
    weighted = _round_half_up(acc[..., 2], acc[..., 3])
    sums = np.concatenate([acc[..., :2], weighted[..., None], acc[..., 4:]], axis=2)
    keys = ("won", "pipeline", "weighted", "commit", "best_case", "overdue_count",
            "overdue_amount")

    first, second = periods.fiscal_years
    mapped, _ = map_targets(targets, fiscal_year_start_month=settings.fiscal_year_start_month,
                            period=settings.period)  # a fixed point: mapped targets pass as is
    target = rollup_targets(mapped, [first, second],
                            fiscal_year_start_month=settings.fiscal_year_start_month,
                            period=settings.period)
    shown = {p.key for p in periods.all}
    owners = sorted({str(n) for n in names if n != ""}
                    | {o for (k, o) in target if o is not None and k in shown})
    by_name = {str(n): i for i, n in enumerate(names)}
    zeros = np.zeros((n_base, len(keys)), dtype="int64")
    groups: list[tuple[str | None, np.ndarray]] = [(None, sums.sum(axis=0))]
    groups += [(o, sums[by_name[o]] if o in by_name else zeros) for o in owners]
    cover = np.array([[t.covers(b) for b in periods.base] for t in periods.totals], dtype="int64")
    per_group = [np.concatenate([base, cover @ base]) for _, base in groups]  # all × keys

    all_periods = periods.all
    order = [(0, j) for j in range(len(all_periods))]
    order += [(g, j) for j in range(len(all_periods)) for g in range(1, len(groups))]
    values = np.array([per_group[g][j] for g, j in order], dtype="int64").reshape(-1, len(keys))
    out = pd.DataFrame({
        "period": pd.Series([all_periods[j].key for _, j in order], dtype=object),
        "owner": pd.Series([groups[g][0] for g, _ in order], dtype=object),
    })
    for i, key in enumerate(keys):
        out[key] = values[:, i]
    out["target"] = pd.array([target.get((all_periods[j].key, groups[g][0]))
                              for g, j in order], dtype="Int64")
    out["closed"] = [all_periods[j].end < settings.as_of for _, j in order]
    out[LEVEL] = [_level(all_periods[j]) for _, j in order]
    out = add_changes(_derive(out), history or ForecastHistory(), settings.as_of)
    return out[[*FORECAST_COLUMNS, LEVEL]]


def add_changes(df: pd.DataFrame, history: ForecastHistory, as_of: dt.date) -> pd.DataFrame:
    """``df`` with ``forecast_change_7d`` and ``commit_landing_change_7d``: each row's figure
    minus the same period × owner in the latest snapshot on or before as-of − 7 days (a rep
    without a row that day had 0); ``<NA>`` when there is no snapshot that old or that
    snapshot does not hold the period (a period closed by then: an older snapshot taken while
    it was open is not the week's change).

    >>> from sheetsync.forecast_snapshots import PeriodSnapshot
    >>> h = ForecastHistory().with_day(dt.date(2026, 11, 26), [
    ...     PeriodSnapshot("FY2026-Q3", None, forecast=900, commit_landing=500)])
    >>> df = pd.DataFrame({"period": ["FY2026-Q3", "FY2026-Q3", "FY2026-Q4"],
    ...                    "owner": [None, "佐藤", None], "forecast": [1000, 300, 50],
    ...                    "commit_landing": [400, 0, 0]})
    >>> out = add_changes(df, h, dt.date(2026, 12, 4))
    >>> out["forecast_change_7d"].tolist(), out["commit_landing_change_7d"].tolist()
    ([100, 300, <NA>], [-100, 0, <NA>])
    """
    cutoff = as_of - dt.timedelta(days=CHANGE_DAYS)
    day = max((d for d in history.days if d <= cutoff), default=None)
    then = [history.values(day, p, None if is_missing(o) else o) if day is not None else None
            for p, o in zip(df["period"], df["owner"], strict=True)]
    out = df.copy()
    for key, figure in CHANGES.items():
        now = out[figure].to_numpy(dtype="int64")
        out[key] = pd.array([None if s is None else int(n) - getattr(s, figure)
                             for n, s in zip(now, then, strict=True)], dtype="Int64")
    return out


def _level(period: Period) -> str:
    return period.kind if period.kind in ("half", "year") else "base"


def _derive(out: pd.DataFrame) -> pd.DataFrame:
    """Landings, ratios and differences from the sums; a closed period keeps target and won."""
    closed = out["closed"].to_numpy(dtype=bool)
    won = out["won"].to_numpy(dtype="int64")
    weighted = np.where(closed, 0, out["weighted"].to_numpy(dtype="int64"))
    commit = np.where(closed, 0, out["commit"].to_numpy(dtype="int64"))
    best = np.where(closed, 0, out["best_case"].to_numpy(dtype="int64"))
    pipeline = out["pipeline"].to_numpy(dtype="int64")
    forecast, commit_landing, best_landing = won + weighted, won + commit, won + best
    target = out["target"]
    t = target.to_numpy(dtype="float64", na_value=np.nan)
    positive = t > 0  # NaN compares False: no target means no ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attainment"] = np.where(positive, won / t, np.nan)
        out["forecast_attainment"] = np.where(positive, forecast / t, np.nan)
        out["commit_attainment"] = np.where(positive, commit_landing / t, np.nan)
        out["coverage"] = np.where((t > won) & ~closed, pipeline / (t - won), np.nan)
    out["forecast"] = forecast
    out["commit_landing"] = commit_landing
    out["best_case_landing"] = best_landing
    out["gap"] = target - pd.array(forecast, dtype="Int64")
    out["remaining"] = target - pd.array(won, dtype="Int64")
    out["commit_gap"] = target - pd.array(commit_landing, dtype="Int64")
    for key in _OPEN_ONLY:
        if key != "coverage":
            out[key] = pd.array(out[key].to_numpy(dtype="int64"), dtype="Int64")
            out.loc[closed, key] = pd.NA
    return out


def forecast_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``forecast`` rows of the JSON contract (``level`` is not part of it).

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> row = forecast_rows(compute_forecast(frames.make_deals([]), None, s))[0]
    >>> row["period"], row["won"], row["commit_landing"], row["target"], row["closed"]
    ('FY2026-Q1', 0, 0, None, False)
    """
    return json_rows(df, FORECAST_KEYS)


# -- the tab -------------------------------------------------------------------------------

_SHORTFALL = {"ja": '¥#,##0;"超過 ¥"#,##0;¥0', "en": '¥#,##0;"over ¥"#,##0;¥0'}
_MULTIPLE = {"ja": '0.0"倍"', "en": '0.0"x"'}
# overdue deals only ever sit in the current period: elsewhere a blank reads better than 0件
_COUNT = {"ja": '#,##0"件";-#,##0"件";""', "en": '#,##0;-#,##0;""'}
_MONEY_OR_BLANK = {"ja": '¥#,##0;-¥#,##0;""', "en": '¥#,##0;-¥#,##0;""'}
#: a change, signed: +¥1,200,000 / -¥300,000 / ¥0
SIGNED = {"ja": '+¥#,##0;-¥#,##0;¥0', "en": '+¥#,##0;-¥#,##0;¥0'}
#: the tab's columns, in the order a manager reads a ヨミ表 (the JSON has more: commit,
#: best_case, weighted, forecast_attainment and gap are what the landings are made of)
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("period", "期間", "Period", "text", 10),
    ColumnSpec("owner", "担当者", "Owner", "text", 10),
    ColumnSpec("target", "目標", "Target", "money", 13),
    ColumnSpec("won", "受注済", "Won", "money", 13),
    ColumnSpec("attainment", "達成率", "Attainment", "ratio", 8),
    ColumnSpec("remaining", "残り", "Remaining", "money", 13, _SHORTFALL),
    ColumnSpec("commit_landing", "コミット着地", "Commit landing", "money", 13),
    ColumnSpec("commit_landing_change_7d", "コミット前週比", "Commit vs last week", "money",
               13, SIGNED),
    ColumnSpec("commit_attainment", "達成見込率", "Commit attainment", "ratio", 8),
    ColumnSpec("commit_gap", "不足", "Shortfall", "money", 13, _SHORTFALL),
    ColumnSpec("best_case_landing", "ベストケース着地", "Best-case landing", "money", 13),
    ColumnSpec("forecast", "加重着地", "Weighted landing", "money", 13),
    ColumnSpec("forecast_change_7d", "加重前週比", "Weighted vs last week", "money", 13, SIGNED),
    ColumnSpec("pipeline", "パイプライン", "Pipeline", "money", 13),
    ColumnSpec("coverage", "カバレッジ", "Coverage", "number", 8, _MULTIPLE),
    ColumnSpec("overdue_count", "予定日超過", "Overdue", "int", 8, _COUNT),
    ColumnSpec("overdue_amount", "予定日超過金額", "Overdue amount", "money", 13,
               _MONEY_OR_BLANK),
    ColumnSpec("closed", "状態", "Status", "text", 8),
)
TITLE = Label("売上予測", "Forecast")
TEAM = Label("チーム合計", "Team")
CLOSED = Label("実績確定", "Closed")
CHART_TITLE = Label("目標・受注済・コミット着地・加重着地",
                    "Target, won, commit landing and weighted landing")
#: blank rows left between the team rows and the owners for the chart (≈ 340 px tall)
CHART_ROWS = 19


def forecast_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """売上予測 / Forecast: the team rows, the chart under them, then the owners.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> tab = forecast_tab(compute_forecast(frames.make_deals([]), None, s),
    ...                    TabContext(language="en"))
    >>> tab.name, tab.rows[0][:3], tab.chart.data_rows, tab.chart.anchor
    ('Forecast', ['FY2026-Q1', 'Team', None], (0, 8), (15, 0))
    """
    lang = check_language(context.language)
    cols = columns(TAB_COLUMNS, lang)
    team = df["owner"].isna().to_numpy()
    shown = df.assign(closed=np.where(df["closed"].to_numpy(dtype=bool), CLOSED(lang), None))
    team_rows = records(shown[team], cols)
    for row in team_rows:
        row[1] = TEAM(lang)
    owner_rows = records(shown[~team], cols)
    n_base = int(((df[LEVEL] == "base").to_numpy() & team).sum())
    rows = team_rows
    chart = None
    if n_base:
        anchor = len(team_rows) + 1
        rows = team_rows + [[] for _ in range(CHART_ROWS)]
        chart = ChartSpec(
            title=CHART_TITLE(lang),
            category_column="period",
            series_columns=("target", "won", "commit_landing", "forecast"),
            data_rows=(0, n_base),
            anchor=(anchor, 0),
            width_px=760,
            height_px=340,
        )
    return TabSpec(
        name=TITLE(lang),
        columns=cols,
        rows=rows + owner_rows,
        note=context.note,
        conditional=[
            CondFormat(column="closed", op="eq", value=CLOSED(lang), fill=GREY,
                       font=GREY_TEXT),
            CondFormat(column="commit_gap", op="lt", value=0.0, fill=GREEN, font=DARK_GREEN),
            CondFormat(column="commit_gap", op="gt", value=0.0, fill=AMBER),
            CondFormat(column="remaining", op="lt", value=0.0, fill=GREEN, font=DARK_GREEN),
            CondFormat(column="commit_attainment", op="ge", value=1.0, fill=GREEN,
                       font=DARK_GREEN),
            CondFormat(column="attainment", op="ge", value=1.0, fill=GREEN, font=DARK_GREEN),
            CondFormat(column="overdue_count", op="gt", value=0.0, fill=AMBER),
            # a landing that fell since last week is the question of the ヨミ会
            CondFormat(column="commit_landing_change_7d", op="lt", value=0.0, fill=AMBER),
            CondFormat(column="forecast_change_7d", op="lt", value=0.0, fill=AMBER),
        ],
        chart=chart,
        freeze_columns=2,
    )


def _compute(data: ReportInput) -> pd.DataFrame:
    return compute_forecast(data.deals, data.targets, data.settings, data.forecast_history)


REPORT = Report(key="forecast", title=TITLE, compute=_compute, json_rows=forecast_rows,
                tab=forecast_tab)


# -- the summary line ------------------------------------------------------------------------


def current_row(rows: list[dict[str, Any]], settings: MetricsSettings) -> dict[str, Any] | None:
    """The team row (JSON shape) of the base period containing ``settings.as_of``."""
    periods = forecast_periods(settings)
    key = periods.base[periods.current].key
    return next((r for r in rows if r["period"] == key and r["owner"] is None), None)


def landing_line(row: dict[str, Any], language: str) -> str:
    """The current period as managers say it: from commit to best case, weighted aside.

    >>> landing_line({"period": "FY2026-Q3", "commit_landing": 33_100_000,
    ...               "best_case_landing": 95_800_000, "forecast": 103_000_000,
    ...               "target": 110_000_000}, "ja")
    'FY2026-Q3 着地見込み ¥33,100,000〜¥95,800,000（加重 ¥103,000,000）/ 目標 ¥110,000,000'
    >>> landing_line({"period": "FY2026-Q3", "commit_landing": 1, "best_case_landing": 2,
    ...               "forecast": 3, "target": None}, "en")
    'FY2026-Q3 landing ¥1–¥2 (weighted ¥3) / no target'
    """
    def yen(v: int) -> str:
        return f"-¥{-v:,}" if v < 0 else f"¥{v:,}"

    low, high, weighted = row["commit_landing"], row["best_case_landing"], row["forecast"]
    target = row["target"]
    if language == "en":
        tail = f"target {yen(target)}" if target is not None else "no target"
        return (f"{row['period']} landing {yen(low)}–{yen(high)} (weighted {yen(weighted)}) "
                f"/ {tail}")
    tail = f"目標 {yen(target)}" if target is not None else "目標なし"
    return f"{row['period']} 着地見込み {yen(low)}〜{yen(high)}（加重 {yen(weighted)}）/ {tail}"
