"""The metric tables as :class:`TabSpec` values for the backends: 売上予測, 受注率, 要フォロー案件.

Every label shown to people (tab names, headers, reasons, group names) is in the tables
below, ja and en side by side. Cell values are plain Python values (int, float, date, str,
None, :class:`Link`); number formats come from the column kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from sheetsync.metrics.stale import REASONS
from sheetsync.tabspec import ChartSpec, Column, ColumnKind, CondFormat, Link, TabSpec

Language = Literal["ja", "en"]

TAB_NAMES: dict[str, dict[str, str]] = {
    "forecast": {"ja": "売上予測", "en": "Forecast"},
    "win_rate": {"ja": "受注率", "en": "Win rate"},
    "stale": {"ja": "要フォロー案件", "en": "Follow-up"},
}

# key: (ja header, en header, kind, width in characters)
_Spec = tuple[str, str, ColumnKind, float]
HEADERS: dict[str, dict[str, _Spec]] = {
    "forecast": {
        "period": ("期間", "Period", "text", 12),
        "owner": ("担当者", "Owner", "text", 14),
        "target": ("目標", "Target", "money", 15),
        "won": ("受注実績", "Won", "money", 15),
        "pipeline": ("パイプライン", "Pipeline", "money", 15),
        "weighted": ("加重見込", "Weighted", "money", 15),
        "commit": ("コミット(80%以上)", "Commit (≥80%)", "money", 17),
        "best_case": ("ベストケース(50%以上)", "Best case (≥50%)", "money", 20),
        "forecast": ("着地予測", "Forecast", "money", 15),
        "attainment": ("達成率", "Attainment", "ratio", 10),
        "forecast_attainment": ("予測達成率", "Forecast attainment", "ratio", 12),
        "gap": ("目標まで", "Gap to target", "money", 15),
        "coverage": ("カバレッジ", "Coverage", "ratio", 11),
    },
    "win_rate": {
        "dimension": ("区分", "Dimension", "text", 10),
        "key": ("対象", "Group", "text", 16),
        "won": ("受注件数", "Won", "int", 9),
        "lost": ("失注件数", "Lost", "int", 9),
        "win_rate": ("受注率", "Win rate", "ratio", 9),
        "wilson_low": ("受注率 下限(95%)", "Win rate low (95%)", "ratio", 14),
        "wilson_high": ("受注率 上限(95%)", "Win rate high (95%)", "ratio", 14),
        "won_amount": ("受注金額", "Won amount", "money", 15),
        "lost_amount": ("失注金額", "Lost amount", "money", 15),
        "win_rate_amount": ("金額ベース受注率", "Win rate by value", "ratio", 14),
        "avg_won_amount": ("平均受注金額", "Avg won amount", "money", 15),
        "avg_cycle_days": ("平均リードタイム(日)", "Avg cycle (days)", "number", 14),
    },
    "stale": {
        "deal_id": ("案件ID", "Deal ID", "text", 12),
        "deal_name": ("案件名", "Deal name", "text", 28),
        "client": ("顧客名", "Client", "text", 22),
        "owner": ("担当者", "Owner", "text", 12),
        "stage": ("フェーズ", "Stage", "text", 12),
        "amount": ("見込金額", "Amount", "money", 15),
        "days_since_update": ("最終更新からの日数", "Days since update", "int", 10),
        "reasons": ("理由", "Reasons", "text", 34),
        "expected_close": ("受注予定日", "Expected close", "date", 12),
        # from the change history (present once sheetsync has seen the deal change)
        "days_in_stage": ("現フェーズの日数", "Days in stage", "int", 10),
        "close_pushes": ("受注予定日の延期回数", "Close date pushed", "int", 10),
    },
}

REASON_LABELS: dict[str, dict[str, str]] = {
    "no_update": {"ja": "更新なし", "en": "No update"},
    "overdue_close": {"ja": "受注予定日超過", "en": "Overdue close"},
    "no_next_action": {"ja": "次回アクションなし", "en": "No next action"},
}
REASON_SEPARATOR = {"ja": "・", "en": ", "}
GROUP_LABELS: dict[str, dict[str, str]] = {
    "team": {"ja": "チーム合計", "en": "Team"},
    "total": {"ja": "全体", "en": "Total"},
    "owner": {"ja": "担当者", "en": "Owner"},
    "lead_source": {"ja": "流入経路", "en": "Lead source"},
    "blank": {"ja": "（未入力）", "en": "(blank)"},
}
CHART_TITLE = {"ja": "目標・受注実績・着地予測", "en": "Target, won and forecast"}

#: conditional fills (hex RGB)
RED = "#F8D7DA"
AMBER = "#FFE0B2"
YELLOW = "#FFF3CD"


def _language(language: str) -> Language:
    if language not in ("ja", "en"):
        raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
    return language  # type: ignore[return-value]


def _columns(tab: str, language: Language) -> list[Column]:
    i = 0 if language == "ja" else 1
    return [
        Column(key=k, header=spec[i], kind=spec[2], width=spec[3])
        for k, spec in HEADERS[tab].items()
    ]


def _values(series: pd.Series, kind: ColumnKind) -> list[Any]:
    """A column as plain cells (vectorised): None for missing, int for money and counts."""
    missing = series.isna().to_numpy()
    if kind in ("money", "int"):
        numbers = pd.to_numeric(series)
        if not pd.api.types.is_integer_dtype(numbers):  # float with NaN: round to whole yen
            numbers = numbers.astype("Float64").round()
        values = numbers.fillna(0).astype("int64").tolist()
    elif kind in ("ratio", "number"):
        values = pd.to_numeric(series).astype("float64").tolist()
    elif kind == "date":
        values = pd.to_datetime(series).dt.date.astype(object).tolist()
    else:
        values = series.astype(object).tolist()
    if missing.any():
        return [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def _records(df: pd.DataFrame, columns: list[Column]) -> list[list[Any]]:
    data = [_values(df[c.key], c.kind) for c in columns]
    if not data or len(df) == 0:
        return []
    return [list(row) for row in zip(*data, strict=True)]


def forecast_tab(
    df: pd.DataFrame,
    *,
    language: Language = "ja",
    note: str | None = None,
    register_tab: str | None = None,
) -> TabSpec:
    """売上予測 / Forecast: team rows first (one per period, the chart's block), then owners.

    ``register_tab`` is accepted for symmetry with the other tabs (no links here).

    >>> import datetime as dt
    >>> from sheetsync.metrics import MetricsSettings, compute_forecast, make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> tab = forecast_tab(compute_forecast(make_deals([]), None, s), language="en")
    >>> tab.name, tab.rows[0][:3], tab.chart.data_rows
    ('Forecast', ['FY2026-Q1', 'Team', None], (0, 4))
    """
    lang = _language(language)
    columns = _columns("forecast", lang)
    team = df["owner"].isna()
    ordered = pd.concat([df[team], df[~team]])
    rows = _records(ordered, columns)
    team_label = GROUP_LABELS["team"][lang]
    owner_at = 1
    for row in rows[: int(team.sum())]:
        row[owner_at] = team_label
    n_team = int(team.sum())
    chart = (
        ChartSpec(
            title=CHART_TITLE[lang],
            category_column="period",
            series_columns=("target", "won", "forecast"),
            data_rows=(0, n_team),
        )
        if n_team
        else None
    )
    return TabSpec(
        name=TAB_NAMES["forecast"][lang],
        columns=columns,
        rows=rows,
        note=note,
        conditional=[
            CondFormat(column="attainment", op="lt", value=1.0, fill=RED),
            CondFormat(column="forecast_attainment", op="lt", value=1.0, fill=RED),
            CondFormat(column="forecast", op="lt", threshold_column="target", fill=RED),
            CondFormat(column="gap", op="gt", value=0.0, fill=RED),
        ],
        chart=chart,
        freeze_columns=2,
    )


def win_rate_tab(
    df: pd.DataFrame,
    *,
    language: Language = "ja",
    note: str | None = None,
    register_tab: str | None = None,
    source_labels: Mapping[str, str] | None = None,
) -> TabSpec:
    """受注率 / Win rate: total, owners, lead sources (shown by their label when given).

    >>> import datetime as dt
    >>> from sheetsync.metrics import MetricsSettings, compute_win_rate, make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> win_rate_tab(compute_win_rate(make_deals([]), s)).rows
    [['全体', '全体', 0, 0, None, None, None, 0, 0, None, None, None]]
    """
    lang = _language(language)
    columns = _columns("win_rate", lang)
    rows = _records(df, columns)
    labels = dict(source_labels or {})
    for row in rows:
        dimension, key = row[0], row[1]
        if dimension == "total":
            row[1] = GROUP_LABELS["total"][lang]
        elif key is None:
            row[1] = GROUP_LABELS["blank"][lang]
        elif dimension == "lead_source":
            row[1] = labels.get(key, key)
        row[0] = GROUP_LABELS[dimension][lang]
    return TabSpec(
        name=TAB_NAMES["win_rate"][lang],
        columns=columns,
        rows=rows,
        note=note,
        freeze_columns=2,
    )


def reasons_text(reasons: list[str], language: Language = "ja") -> str:
    """Reason codes as the localised text shown in the tab.

    >>> reasons_text(["no_update", "no_next_action"])
    '更新なし・次回アクションなし'
    """
    lang = _language(language)
    return REASON_SEPARATOR[lang].join(REASON_LABELS[r][lang] for r in reasons)


def _reason_texts(reasons: list[list[str]], language: Language) -> list[str]:
    cache: dict[tuple[str, ...], str] = {}
    out = []
    for r in reasons:
        key = tuple(r)
        if key not in cache:
            cache[key] = reasons_text(list(key), language)
        out.append(cache[key])
    return out


def stale_tab(
    df: pd.DataFrame,
    *,
    language: Language = "ja",
    note: str | None = None,
    register_tab: str,
    stage_labels: Mapping[str, str] | None = None,
) -> TabSpec:
    """要フォロー案件 / Follow-up: one row per stale deal, its 案件ID linking to the register row.

    >>> import datetime as dt
    >>> from sheetsync.metrics import MetricsSettings, compute_stale, make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([{"deal_id": "D1", "stage": "lead", "_row": 12}])
    >>> tab = stale_tab(compute_stale(d, s), register_tab="案件一覧",
    ...                 stage_labels={"lead": "リード"})
    >>> tab.rows[0][0], tab.rows[0][4], tab.rows[0][7]
    (Link(text='D1', tab='案件一覧', cell='A12'), 'リード', '更新なし・次回アクションなし')
    """
    lang = _language(language)
    columns = [c for c in _columns("stale", lang) if c.key in df.columns]
    labels = dict(stage_labels or {})
    cells = [f"A{int(r)}" for r in df["_row"].tolist()]
    shown = df.assign(
        deal_id=[
            Link(text=d if isinstance(d, str) and d else c, tab=register_tab, cell=c)
            for d, c in zip(df["deal_id"].tolist(), cells, strict=True)
        ],
        stage=[labels.get(v, v) for v in df["stage"].tolist()],
        reasons=_reason_texts(df["reasons"].tolist(), lang),
    )
    rows = _records(shown, columns)
    return TabSpec(
        name=TAB_NAMES["stale"][lang],
        columns=columns,
        rows=rows,
        note=note,
        conditional=[
            # the first matching rule colours the cell: most serious reason first
            CondFormat(column="reasons", op="contains", value=REASON_LABELS[r][lang], fill=fill)
            for r, fill in (
                ("overdue_close", RED),
                ("no_update", AMBER),
                ("no_next_action", YELLOW),
            )
        ],
        freeze_columns=1,
    )


__all__ = [
    "HEADERS",
    "REASONS",
    "REASON_LABELS",
    "TAB_NAMES",
    "forecast_tab",
    "reasons_text",
    "stale_tab",
    "win_rate_tab",
]
