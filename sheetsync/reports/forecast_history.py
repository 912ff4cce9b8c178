"""予測の推移 (Forecast history): how the forecast moved, and how good it turned out to be.

Exact definitions: docs/definitions.md, "予測の推移". Each run that writes stores the day's
forecast snapshot (:mod:`sheetsync.forecast_snapshots`; a later run of the same day replaces
it): for every period of 売上予測 not yet closed, the team and each rep, won, pipeline,
weighted, commit, best case, the landings and the 案件IDs counted in commit. From the stored
snapshots and today's:

- 売上予測's 前週比 columns (:func:`sheetsync.reports.forecast.add_changes`);
- ``forecast_accuracy``: per closed period × team and rep × N in
  ``forecast_accuracy.weeks_before`` (default 4 and 8), the snapshot latest on or before the
  period's end − N weeks — its forecast (加重着地) and commit landing — against the won of the
  period now: accuracy = max(0, 1 − |won − forecast| / won) (null when won is 0), bias =
  forecast − won (楽観 when > 0, 保守 when < 0), and the Aヨミ hit rate: of that snapshot's
  commit deals, the share now won with 完了日 inside the period, with its Wilson 95 %
  interval. No snapshot that old: every figure but won is null (the tab says 履歴不足);
- the trend of the current base period: the team's commit landing and forecast per stored
  day up to as-of, drawn as a line chart.

Closed periods listed: those of 売上予測 (this fiscal year's finished quarters or months and
half) and every period some stored snapshot holds that has ended before as-of; most recent
end first (a quarter before the half and the year ending with it). Reps of a period: those
with a row in one of the snapshots used, and — when a snapshot exists — those with a deal won
in the period (their forecast then was 0). A period without any snapshot that old shows the
team only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.forecast_snapshots import ForecastHistory, PeriodSnapshot, period_of_key
from sheetsync.metrics import frames
from sheetsync.metrics.periods import Period
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stats import wilson_interval
from sheetsync.reports.base import (
    AMBER,
    GREY,
    GREY_TEXT,
    ColumnSpec,
    JsonKind,
    Language,
    Report,
    ReportInput,
    TabContext,
    check_language,
    columns,
    is_missing,
    json_rows,
)
from sheetsync.reports.forecast import (
    SIGNED,
    TEAM,
    commit_mask,
    compute_forecast,
    forecast_periods,
    place_deals,
)
from sheetsync.schema import Label
from sheetsync.tabspec import ChartSpec, CondFormat, TabSpec

#: the JSON contract's keys (``forecast_accuracy`` rows), in order
ACCURACY_KEYS: dict[str, JsonKind] = {
    "period": "text",
    "owner": "text",
    "weeks_before": "int",
    "snapshot_date": "text",
    "forecast": "int",
    "commit_landing": "int",
    "won": "int",
    "accuracy": "float",
    "bias": "int",
    "commit_deals": "int",
    "commit_won": "int",
    "a_hit_rate": "float",
    "wilson_low": "float",
    "wilson_high": "float",
}
#: the frame's extra column: "accuracy" (a JSON row) or "trend" (the chart's data)
SECTION = "section"
_COLUMNS = [*ACCURACY_KEYS, SECTION]


# -- today's snapshot --------------------------------------------------------------------------


def snapshot_rows(forecast: pd.DataFrame, deals: pd.DataFrame, settings: MetricsSettings
                  ) -> list[PeriodSnapshot]:
    """Today's snapshot: one row per 売上予測 row of a period not closed, with the IDs of the
    commit deals on the rep's row of their base period (deals without 担当者: on the team's).

    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> d = make_deals([
    ...     {"deal_id": "D-1", "owner": "佐藤", "stage": "negotiation", "amount": 500,
    ...      "expected_close": "2026-12-20"},
    ...     {"deal_id": "D-2", "owner": "佐藤", "stage": "proposal", "amount": 100,
    ...      "expected_close": "2027-01-20"}])
    >>> rows = snapshot_rows(compute_forecast(d, None, s), d, s)
    >>> [(r.period, r.owner, r.commit, r.commit_ids) for r in rows if r.period == "FY2026-Q3"]
    [('FY2026-Q3', None, 500, ()), ('FY2026-Q3', '佐藤', 500, ('D-1',))]
    """
    periods = forecast_periods(settings)
    placed = place_deals(deals, settings, periods)
    committed = commit_mask(placed, settings)
    ids: dict[tuple[str, str | None], list[str]] = {}
    for pos, owner, deal_id in zip(placed["pos"].to_numpy()[committed],
                                   frames.text(deals, "owner").to_numpy()[committed],
                                   frames.text(deals, "deal_id").to_numpy()[committed],
                                   strict=True):
        if deal_id is not None:
            key = (periods.base[pos].key, None if owner in (None, "") else str(owner))
            ids.setdefault(key, []).append(str(deal_id))
    open_ = forecast[~forecast["closed"].to_numpy(dtype=bool)]
    keys = [(r["period"], None if is_missing(r["owner"]) else str(r["owner"]))
            for r in open_[["period", "owner"]].to_dict("records")]
    # every rep with a placed deal has a row in 売上予測; should one not, their IDs go on the
    # team's row, so the team's commit list is whole whatever happens
    for key in set(ids) - set(keys):
        ids.setdefault((key[0], None), []).extend(ids.pop(key))
    return [PeriodSnapshot(period, owner, *(_whole(record[k]) for k in _FIGURES),
                           commit_ids=tuple(ids.get((period, owner), ())))
            for (period, owner), record in zip(keys, open_.to_dict("records"), strict=True)]


_FIGURES = ("won", "pipeline", "weighted", "commit", "best_case", "commit_landing",
            "best_case_landing", "forecast")


def _whole(value: Any) -> int:
    return 0 if is_missing(value) else int(value)


def updated_history(data: ReportInput) -> ForecastHistory:
    """The stored snapshots with today's recorded (replacing any of the same day), kept
    within their retention: what the run writes, and what this report reads."""
    rows = snapshot_rows(_forecast(data), data.deals, data.settings)
    return data.forecast_history.record(data.settings.as_of, rows)


def _forecast(data: ReportInput) -> pd.DataFrame:
    """売上予測's table: as the pipeline computed it, else computed the same way."""
    forecast = data.computed.get("forecast")
    if forecast is None:
        forecast = compute_forecast(data.deals, data.targets, data.settings,
                                    data.forecast_history)
    return forecast


# -- accuracy ----------------------------------------------------------------------------------


def closed_periods(history: ForecastHistory, forecast: pd.DataFrame | None,
                   settings: MetricsSettings) -> list[Period]:
    """The periods ended before as-of that 売上予測 shows or some snapshot holds, the most
    recent end first (then the shorter period first)."""
    keys = set(history.periods())
    if forecast is not None:
        keys |= set(forecast.loc[forecast["closed"].to_numpy(dtype=bool), "period"])
    found = [p for k in keys if (p := period_of_key(k, settings.fiscal_year_start_month))
             is not None and p.end < settings.as_of]
    return sorted(found, key=lambda p: (-p.end.toordinal(), -p.start.toordinal(), p.key))


def _won_deals(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    won, _, _ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    amount, _ = frames.amounts(deals)
    owner = frames.text(deals, "owner")
    return pd.DataFrame({
        "deal_id": frames.text(deals, "deal_id").to_numpy()[won],
        "owner": [None if o in (None, "") else str(o) for o in owner.to_numpy()[won]],
        "closed_on": frames.dates(deals, "closed_on").to_numpy()[won],
        "amount": amount[won],
    })


def accuracy_rows(deals: pd.DataFrame, history: ForecastHistory, settings: MetricsSettings,
                  forecast: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The ``forecast_accuracy`` rows (module notes; docs/definitions.md, "予測の推移")."""
    won = _won_deals(deals, settings)
    out: list[dict[str, Any]] = []
    for period in closed_periods(history, forecast, settings):
        inside = won[(won["closed_on"] >= pd.Timestamp(period.start))
                     & (won["closed_on"] <= pd.Timestamp(period.end))]
        won_ids = {str(i) for i in inside["deal_id"] if i is not None}
        won_by = inside.groupby("owner", dropna=True)["amount"].sum().to_dict()
        days = {n: history.latest(period.key, period.end - dt.timedelta(weeks=n))
                for n in settings.accuracy_weeks}
        used = [d for d in days.values() if d is not None]
        owners = set().union(*(history.owners(d, period.key) for d in used))
        if used:
            owners |= {str(o) for o in won_by}
        for owner in [None, *sorted(owners)]:
            actual = int(inside["amount"].sum()) if owner is None else int(won_by.get(owner, 0))
            for n in settings.accuracy_weeks:
                out.append(_accuracy(period, owner, n, days[n], actual, history, won_ids,
                                     settings))
    return out


def _accuracy(period: Period, owner: str | None, weeks: int, day: dt.date | None, won: int,
              history: ForecastHistory, won_ids: set[str], settings: MetricsSettings
              ) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_COLUMNS)
    row.update(period=period.key, owner=owner, weeks_before=weeks, won=won, section="accuracy")
    snap = history.values(day, period.key, owner) if day is not None else None
    if day is None or snap is None:
        return row  # history too short: nothing is invented
    commit = history.commit_deals(day, period, owner, settings.fiscal_year_start_month)
    hits = len(commit & won_ids)
    low, high = wilson_interval(hits, len(commit))
    row.update(
        snapshot_date=day.isoformat(), forecast=snap.forecast,
        commit_landing=snap.commit_landing,
        accuracy=max(0.0, 1 - abs(won - snap.forecast) / won) if won else None,
        bias=snap.forecast - won, commit_deals=len(commit), commit_won=hits,
        a_hit_rate=hits / len(commit) if commit else None,
        wilson_low=None if np.isnan(low) else float(low),
        wilson_high=None if np.isnan(high) else float(high),
    )
    return row


# -- trend -------------------------------------------------------------------------------------


def trend_rows(history: ForecastHistory, settings: MetricsSettings) -> list[dict[str, Any]]:
    """The team's current base period on every stored day up to as-of, oldest first."""
    periods = forecast_periods(settings)
    key = periods.base[periods.current].key
    out = []
    for day in history.dates:
        snap = history.values(day, key, None)
        if day > settings.as_of or snap is None:
            continue
        row: dict[str, Any] = dict.fromkeys(_COLUMNS)
        row.update(period=key, snapshot_date=day.isoformat(), forecast=snap.forecast,
                   commit_landing=snap.commit_landing, won=snap.won, section="trend")
        out.append(row)
    return out


def compute_forecast_history(data: ReportInput) -> pd.DataFrame:
    """The report's frame: the ``forecast_accuracy`` rows (``section`` "accuracy"), then
    the current period's trend (``section`` "trend"); columns :data:`ACCURACY_KEYS` and
    ``section``.

    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> df = compute_forecast_history(ReportInput(make_deals([]), s))
    >>> df[["period", "weeks_before", "snapshot_date", SECTION]].values.tolist()[:2]
    [['FY2026-Q2', 4, None, 'accuracy'], ['FY2026-Q2', 8, None, 'accuracy']]
    >>> df[df[SECTION] == "trend"][["period", "snapshot_date", "forecast"]].values.tolist()
    [['FY2026-Q3', '2026-12-04', 0]]
    """
    history = updated_history(data)
    rows = accuracy_rows(data.deals, history, data.settings, _forecast(data))
    rows += trend_rows(history, data.settings)
    data: dict[str, Any] = {}
    for key in _COLUMNS:
        values = [r[key] for r in rows]
        kind = ACCURACY_KEYS.get(key, "text")
        if kind == "int":
            data[key] = pd.array(values, dtype="Int64")
        elif kind == "float":
            data[key] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            data[key] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=_COLUMNS, index=pd.RangeIndex(len(rows)))


def accuracy_json(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``forecast_accuracy`` rows of the JSON contract (the trend is the tab's only)."""
    return json_rows(df[df[SECTION] == "accuracy"], ACCURACY_KEYS)


# -- the tab -----------------------------------------------------------------------------------

TITLE = Label("予測の推移", "Forecast history")
TOO_SHORT = Label("履歴不足", "History too short")
TREND = Label("推移", "Trend")
OPTIMISTIC, CONSERVATIVE, EXACT = (Label("楽観", "Optimistic"), Label("保守", "Conservative"),
                                   Label("一致", "Exact"))
CHART_TITLE = Label("{period} コミット着地・加重着地の推移",
                    "{period}: commit landing and weighted landing over time")
#: rows the chart covers (≈ 340 px tall): the accuracy rows start below them
CHART_ROWS = 19
#: the trend rows fill the first columns (期間 … 受注済); the chart sits right of them
TREND_WIDTH = 7

TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("period", "期間", "Period", "text", 10),
    ColumnSpec("owner", "担当者", "Owner", "text", 10),
    ColumnSpec("basis", "時点", "When", "text", 13),
    ColumnSpec("snapshot_date", "予測日", "Snapshot", "date", 15),
    ColumnSpec("forecast", "加重着地", "Weighted landing", "money", 13),
    ColumnSpec("commit_landing", "コミット着地", "Commit landing", "money", 13),
    ColumnSpec("won", "受注済", "Won", "money", 13),
    ColumnSpec("accuracy", "予測精度", "Accuracy", "ratio", 8),
    ColumnSpec("bias", "乖離", "Bias", "money", 13, SIGNED),
    ColumnSpec("tendency", "傾向", "Tendency", "text", 11),
    ColumnSpec("a_hit_rate", "Aヨミ的中率", "Commit hit rate", "ratio", 9),
    ColumnSpec("hits", "的中/Aヨミ", "Won/commit", "text", 9),
    ColumnSpec("wilson", "95%区間", "95% range", "text", 11),
)


def _basis(weeks: Any, language: Language) -> str:
    if is_missing(weeks):
        return TREND(language)
    return f"{int(weeks)}週前" if language == "ja" else f"{int(weeks)} weeks before"


def _tendency(bias: Any, language: Language) -> str | None:
    if is_missing(bias):
        return None
    return (OPTIMISTIC if bias > 0 else CONSERVATIVE if bias < 0 else EXACT)(language)


def _range(low: Any, high: Any, language: Language) -> str | None:
    if is_missing(low) or is_missing(high):
        return None
    dash = "〜" if language == "ja" else "–"
    return f"{low * 100:.0f}%{dash}{high * 100:.0f}%"


def _cells(record: dict[str, Any], language: Language) -> list[Any]:
    def value(key: str) -> Any:
        v = record[key]
        return None if is_missing(v) else v

    day = value("snapshot_date")
    deals, hits = value("commit_deals"), value("commit_won")
    return [
        record["period"],
        TEAM(language) if value("owner") is None else record["owner"],
        _basis(record["weeks_before"], language),
        dt.date.fromisoformat(day) if day else TOO_SHORT(language),
        *(None if value(k) is None else int(value(k)) for k in ("forecast", "commit_landing",
                                                                 "won")),
        value("accuracy"),
        None if value("bias") is None else int(value("bias")),
        _tendency(value("bias"), language),
        value("a_hit_rate"),
        None if deals is None else f"{int(hits)}/{int(deals)}",
        _range(value("wilson_low"), value("wilson_high"), language),
    ]


def forecast_history_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """予測の推移 / Forecast history: the current period's trend on top (the team's landings
    per snapshot, oldest first) with its line chart on their right, then the accuracy rows.

    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> tab = forecast_history_tab(compute_forecast_history(ReportInput(make_deals([]), s)),
    ...                            TabContext(language="en"))
    >>> tab.rows[0][:4], tab.chart.kind, tab.chart.data_rows, tab.chart.anchor
    (['FY2026-Q3', 'Team', 'Trend', datetime.date(2026, 12, 4)], 'line', (0, 1), (0, 7))
    >>> tab.rows[CHART_ROWS + 1][:4]
    ['FY2026-Q2', 'Team', '4 weeks before', 'History too short']
    """
    lang = check_language(context.language)
    records = df.to_dict("records")
    accuracy = [_cells(r, lang) for r in records if r[SECTION] == "accuracy"]
    trend = [_cells(r, lang) for r in records if r[SECTION] == "trend"]
    # the chart's data start right under the header (both backends title the series with
    # it); the chart sits right of the trend's columns, over blank cells only
    rows: list[list[Any]] = trend + [[] for _ in range(max(CHART_ROWS - len(trend), 0) + 1)]
    rows += accuracy
    chart = None
    if trend:
        chart = ChartSpec(
            title=CHART_TITLE(lang).format(period=trend[0][0]),
            category_column="snapshot_date",
            series_columns=("commit_landing", "forecast"),
            data_rows=(0, len(trend)),
            kind="line",
            anchor=(0, TREND_WIDTH),
            width_px=760,
            height_px=340,
        )
    return TabSpec(
        name=TITLE(lang),
        columns=columns(TAB_COLUMNS, lang),
        rows=rows,
        note=context.note,
        conditional=[
            CondFormat(column="snapshot_date", op="eq", value=TOO_SHORT(lang), fill=GREY,
                       font=GREY_TEXT),
            # an optimistic forecast is the one that hurts: a manager asks why
            CondFormat(column="tendency", op="eq", value=OPTIMISTIC(lang), fill=AMBER),
        ],
        chart=chart,
        freeze_columns=2,
    )


REPORT = Report(key="forecast_accuracy", title=TITLE, compute=compute_forecast_history,
                json_rows=accuracy_json, tab=forecast_history_tab)
