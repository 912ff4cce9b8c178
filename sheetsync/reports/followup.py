"""要フォロー案件 (stale deals): open deals that need a follow-up, most urgent first.

The report module: the table, its JSON rows (``stale``) and its tab.

Reasons (docs/definitions.md, "要フォロー案件"), always listed in this order:

- ``no_update``: days since the last update exceed the stage's limit
  (``stale_by_stage``, else ``stale_default_days``); the last update is the latest of
  最終接触日, ``last_observed_change`` (when the column exists) and 登録日. With none of them
  known, ``days_since_update`` is null and the deal is ``no_update``.
- ``overdue_close``: 受注予定日 is before as-of.
- ``no_next_action``: 次回アクション is blank (or only spaces), or 次回アクション日 is before as-of.
- ``hold_review_due``: a deal parked in a hold stage (保留) whose 次回アクション日 — its review
  date — is before as-of. A parked deal gets no other reason.

Order ("most urgent first"; docs/definitions.md states it too): more reasons first; then overdue
deals first; then ``days_since_update`` descending with unknown first; then amount descending
with blank last; then 案件ID, then register row — a total order, so row order of the input
never shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.reports.base import (
    AMBER,
    RED,
    YELLOW,
    ColumnSpec,
    JsonKind,
    Language,
    Report,
    ReportInput,
    TabContext,
    check_language,
    columns,
    json_rows,
    records,
)
from sheetsync.schema import Label
from sheetsync.tabspec import CondFormat, Link, TabSpec

STALE_COLUMNS = (
    "deal_id",
    "deal_name",
    "client",
    "owner",
    "stage",
    "amount",
    "days_since_update",
    "reasons",
    "expected_close",
    "_row",
)
REASONS = ("no_update", "overdue_close", "no_next_action", "hold_review_due")
#: added when the deals carry the change history's columns (``stage_since``, ``close_pushes``)
HISTORY_COLUMNS = ("days_in_stage", "close_pushes")


def compute_stale(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    """The 要フォロー案件 table: open deals with at least one reason, most urgent first.

    Columns :data:`STALE_COLUMNS`; ``reasons`` is a list of reason codes in :data:`REASONS`
    order, ``days_since_update`` is ``Int64`` (``<NA>`` when no date is known), ``amount``
    ``Int64``, ``expected_close`` datetime64.

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"deal_id": "D1", "stage": "proposal", "last_activity": "2026-04-01",
    ...      "expected_close": "2026-04-30", "next_action": "call"},
    ...     {"deal_id": "D2", "stage": "proposal", "last_activity": "2026-04-30",
    ...      "expected_close": "2026-06-30", "next_action": "visit"},
    ... ])
    >>> compute_stale(d, s)[["deal_id", "days_since_update", "reasons"]].to_dict("records")
    [{'deal_id': 'D1', 'days_since_update': 30, 'reasons': ['no_update', 'overdue_close']}]
    """
    _, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    hold = frames.hold_mask(deals, settings.hold_stages) & open_
    active = open_ & ~hold
    as_of = pd.Timestamp(settings.as_of)
    stage = frames.text(deals, "stage")

    candidates = [frames.dates(deals, "last_activity"), frames.dates(deals, "created_on")]
    if "last_observed_change" in deals.columns:
        candidates.append(frames.dates(deals, "last_observed_change"))
    last_update = pd.concat(candidates, axis=1).max(axis=1, skipna=True)
    days = frames.day_count(as_of, last_update)
    limit = stage.map(dict(settings.stale_by_stage)).fillna(settings.stale_default_days)
    limit = limit.astype("int64").to_numpy()
    days_np = days.to_numpy(dtype="float64", na_value=np.nan)
    no_update = np.isnan(days_np) | (days_np > limit)

    overdue = (frames.dates(deals, "expected_close") < as_of).to_numpy()
    action = frames.text(deals, "next_action")
    blank = action.isna().to_numpy() | (action.fillna("").astype(str).str.strip() == "").to_numpy()
    late = (frames.dates(deals, "next_action_date") < as_of).to_numpy()
    no_next = blank | late

    flags = np.column_stack([no_update & active, overdue & active, no_next & active,
                             late & hold])
    count = flags.sum(axis=1)
    sel = count > 0
    amount = (
        pd.to_numeric(deals["amount"]).astype("Int64")
        if "amount" in deals.columns
        else (pd.Series(pd.NA, index=deals.index, dtype="Int64"))
    )
    out = pd.DataFrame(
        {
            "deal_id": frames.text(deals, "deal_id").to_numpy()[sel],
            "deal_name": frames.text(deals, "deal_name").to_numpy()[sel],
            "client": frames.text(deals, "client").to_numpy()[sel],
            "owner": frames.text(deals, "owner").to_numpy()[sel],
            "stage": stage.to_numpy()[sel],
            "amount": amount.array[sel],
            "days_since_update": days.array[sel],
            "reasons": _reason_lists(flags[sel]),
            "expected_close": frames.dates(deals, "expected_close").to_numpy()[sel],
            "_row": deals["_row"].to_numpy(dtype="int64")[sel],
        }
    )
    if "stage_since" in deals.columns:
        in_stage = frames.day_count(as_of, frames.dates(deals, "stage_since"))
        out["days_in_stage"] = in_stage.array[sel]
    if "close_pushes" in deals.columns:
        out["close_pushes"] = pd.array(deals["close_pushes"], dtype="Int64")[sel]
    for c in ("deal_id", "deal_name", "client", "owner", "stage"):
        out[c] = out[c].astype(object)
    # sort keys: negate for descending; unknown days first (+inf), blank amount last (-1)
    d = days_np[sel]
    a = amount.to_numpy(dtype="float64", na_value=-1.0)[sel]
    order = np.lexsort(
        (
            out["_row"].to_numpy(),
            out["deal_id"].fillna("").to_numpy(dtype=str),
            -a,
            -np.where(np.isnan(d), np.inf, d),
            ~flags[sel, 1],
            -count[sel],
        )
    )
    extra = [c for c in HISTORY_COLUMNS if c in out.columns]
    return out.iloc[order].reset_index(drop=True)[[*STALE_COLUMNS, *extra]]


def _reason_lists(flags: np.ndarray) -> list[list[str]]:
    # a few distinct combinations: build each list once, share nothing between rows
    codes = flags @ (1 << np.arange(len(REASONS)))
    table = {c: [r for i, r in enumerate(REASONS) if c >> i & 1]
             for c in range(1 << len(REASONS))}
    return [list(table[c]) for c in codes.tolist()]


#: the JSON contract's keys (``stale`` rows), in order; the history's columns when present
STALE_KEYS: dict[str, JsonKind] = {
    "deal_id": "text",
    "owner": "text",
    "stage": "text",
    "amount": "int",
    "days_since_update": "int",
    "reasons": "list",
}
HISTORY_KEYS: dict[str, JsonKind] = {"days_in_stage": "int", "close_pushes": "int"}


def stale_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``stale`` rows of the JSON contract from :func:`compute_stale`'s table."""
    keys = {**STALE_KEYS, **{k: v for k, v in HISTORY_KEYS.items() if k in df.columns}}
    return json_rows(df, keys)


TITLE = Label("要フォロー案件", "Follow-up")
REASON_LABELS: dict[str, Label] = {
    "no_update": Label("更新なし", "No update"),
    "overdue_close": Label("受注予定日超過", "Overdue close"),
    "no_next_action": Label("次回アクションなし", "No next action"),
    "hold_review_due": Label("保留の見直し日超過", "Hold review due"),
}
REASON_SEPARATOR = Label("・", ", ")
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("deal_id", "案件ID", "Deal ID", "text", 12),
    ColumnSpec("deal_name", "案件名", "Deal name", "text", 28),
    ColumnSpec("client", "顧客名", "Client", "text", 22),
    ColumnSpec("owner", "担当者", "Owner", "text", 12),
    ColumnSpec("stage", "フェーズ", "Stage", "text", 12),
    ColumnSpec("amount", "見込金額", "Amount", "money", 15),
    ColumnSpec("days_since_update", "最終更新からの日数", "Days since update", "int", 10),
    ColumnSpec("reasons", "理由", "Reasons", "text", 34),
    ColumnSpec("expected_close", "受注予定日", "Expected close", "date", 12),
    # from the change history (present once sheetsync has seen the deal change)
    ColumnSpec("days_in_stage", "現フェーズの日数", "Days in stage", "int", 10),
    ColumnSpec("close_pushes", "受注予定日の延期回数", "Close date pushed", "int", 10),
)


def reasons_text(reasons: Sequence[str], language: Language = "ja") -> str:
    """Reason codes as the localised text shown in the tab.

    >>> reasons_text(["no_update", "no_next_action"])
    '更新なし・次回アクションなし'
    """
    lang = check_language(language)
    return REASON_SEPARATOR(lang).join(REASON_LABELS[r](lang) for r in reasons)


def _reason_texts(reasons: list[list[str]], language: Language) -> list[str]:
    cache: dict[tuple[str, ...], str] = {}
    out = []
    for r in reasons:
        key = tuple(r)
        if key not in cache:
            cache[key] = reasons_text(key, language)
        out.append(cache[key])
    return out


def stale_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """要フォロー案件 / Follow-up: one row per deal, its 案件ID linking to the register row.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = frames.make_deals([{"deal_id": "D1", "stage": "lead", "_row": 12}])
    >>> tab = stale_tab(compute_stale(d, s), TabContext(stage_labels={"lead": "リード"}))
    >>> tab.rows[0][0], tab.rows[0][4], tab.rows[0][7]
    (Link(text='D1', tab='案件一覧', cell='A12'), 'リード', '更新なし・次回アクションなし')
    """
    lang = check_language(context.language)
    cols = [c for c in columns(TAB_COLUMNS, lang) if c.key in df.columns]
    labels = dict(context.stage_labels)
    cells = [f"A{int(r)}" for r in df["_row"].tolist()]
    shown = df.assign(
        deal_id=[
            Link(text=d if isinstance(d, str) and d else c, tab=context.register_tab, cell=c)
            for d, c in zip(df["deal_id"].tolist(), cells, strict=True)
        ],
        stage=[labels.get(v, v) for v in df["stage"].tolist()],
        reasons=_reason_texts(df["reasons"].tolist(), lang),
    )
    return TabSpec(
        name=TITLE(lang),
        columns=cols,
        rows=records(shown, cols),
        note=context.note,
        conditional=[
            # the first matching rule colours the cell: most serious reason first
            CondFormat(column="reasons", op="contains", value=REASON_LABELS[r](lang), fill=fill)
            for r, fill in (
                ("overdue_close", RED),
                ("no_update", AMBER),
                ("no_next_action", YELLOW),
                ("hold_review_due", YELLOW),
            )
        ],
        freeze_columns=1,
    )


def _compute(data: ReportInput) -> pd.DataFrame:
    return compute_stale(data.deals, data.settings)


REPORT = Report(key="stale", title=TITLE, compute=_compute, json_rows=stale_rows,
                tab=stale_tab)
