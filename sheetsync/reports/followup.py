"""要フォロー案件 (follow-up): open deals that need a rep's attention, money at risk first.

The report module: the table, its JSON rows (``stale``) and its tab. Exact definitions:
docs/definitions.md, "要フォロー案件".

Reasons, always listed in this order (:data:`REASONS`):

- ``no_update``: days since the last update exceed the stage's limit (``stale_by_stage``,
  else ``stale_default_days``); the last update is the latest of 最終接触日,
  ``last_observed_change`` (the last change sheetsync observed that counts as an update — one
  that only moves 受注予定日 later does not, see :mod:`sheetsync.history`) and 登録日. With
  none of them known, ``days_since_update`` is null and the deal is ``no_update``.
- ``overdue_close``: 受注予定日 is before as-of.
- ``no_next_action``: 次回アクション is blank (or only spaces).
- ``next_action_overdue``: 次回アクション is filled and 次回アクション日 is before as-of.
- ``close_pushed``: 受注予定日 was moved later at least ``stale_max_close_pushes`` times.
- ``unrealistic_close`` (only with ``stale_unrealistic_close``): fewer days left to
  受注予定日 (as-of or later) than the team's median days from the deal's stage to 受注
  (ファネル's ``days_to_won``, from enough won deals: :func:`~.funnel.days_to_won`).
- ``hold_review_due``: a deal parked in a hold stage (保留) whose 次回アクション日 — its review
  date — is before as-of. A parked deal gets no other reason.

Each row carries what a rep needs to act: probability, ``impact`` (影響額 = amount ×
probability / 100, rounded half up to the yen; null without an amount), the next action and
its date, the last contact, the days in the current stage (``days_in_stage_at_least`` when
counted from sheetsync's first sighting) and the close pushes.

Order: ``impact`` descending (blank last); then ``days_since_update`` descending (unknown
first: nothing is known about the deal at all); then 案件ID, then register row — a total
order, so the row order of the input never shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.probability import deal_probability
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.reports.base import (
    AMBER,
    GREY,
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
    is_missing,
    json_rows,
    records,
)
from sheetsync.reports.funnel import days_to_won
from sheetsync.schema import Label
from sheetsync.tabspec import CondFormat, Link, TabSpec

STALE_COLUMNS = (
    "deal_id",
    "deal_name",
    "client",
    "client_contact",
    "owner",
    "stage",
    "amount",
    "probability",
    "impact",
    "days_since_update",
    "reasons",
    "expected_close",
    "next_action",
    "next_action_date",
    "last_activity",
    "days_in_stage",
    "days_in_stage_at_least",
    "close_pushes",
    "_row",
)
REASONS = ("no_update", "overdue_close", "no_next_action", "next_action_overdue",
           "close_pushed", "unrealistic_close", "hold_review_due")
#: reasons a team switches on in the config (off: never given, and never listed)
OPTIONAL_REASONS = {"unrealistic_close": "stale_unrealistic_close"}
#: probability is taken to 1/10,000 of a percentage point, as the forecast's weighted sum
_UNITS = 1_000_000


def compute_stale(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    """The 要フォロー案件 table: open deals with at least one reason, money at risk first.

    Columns :data:`STALE_COLUMNS`; ``reasons`` is a list of reason codes in :data:`REASONS`
    order; ``amount``, ``impact``, ``days_since_update``, ``days_in_stage`` and
    ``close_pushes`` are ``Int64`` (``<NA>`` when unknown), ``probability`` float (percent),
    ``days_in_stage_at_least`` ``boolean``, the dates datetime64. The change history's columns
    (``last_observed_change``, ``stage_since``, ``close_pushes``,
    ``stage_since_first_sighting``: :func:`sheetsync.history.stale_columns`) are used when
    present; without them the history's figures are unknown.

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"deal_id": "D1", "stage": "proposal", "last_activity": "2026-04-01",
    ...      "expected_close": "2026-04-30", "next_action": "call", "amount": 1_000_000},
    ...     {"deal_id": "D2", "stage": "proposal", "last_activity": "2026-04-30",
    ...      "expected_close": "2026-06-30", "next_action": "visit"},
    ... ])
    >>> rows = compute_stale(d, s)[["deal_id", "impact", "days_since_update", "reasons"]]
    >>> rows.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'deal_id': 'D1', 'impact': 400000, 'days_since_update': 30,
      'reasons': ['no_update', 'overdue_close']}]
    """
    _, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    hold = frames.hold_mask(deals, settings.hold_stages) & open_
    active = open_ & ~hold
    as_of = pd.Timestamp(settings.as_of)
    stage = frames.text(deals, "stage")

    observed = frames.dates(deals, "last_observed_change")
    # a backdated run (--as-of before a later run) does not know what that run observed
    observed = observed.mask(observed > as_of)
    candidates = [frames.dates(deals, "last_activity"), frames.dates(deals, "created_on"),
                  observed]
    last_update = pd.concat(candidates, axis=1).max(axis=1, skipna=True)
    days = frames.day_count(as_of, last_update)
    limit = stage.map(dict(settings.stale_by_stage)).fillna(settings.stale_default_days)
    limit = limit.astype("int64").to_numpy()
    days_np = days.to_numpy(dtype="float64", na_value=np.nan)
    no_update = np.isnan(days_np) | (days_np > limit)

    expected_close = frames.dates(deals, "expected_close")
    overdue = (expected_close < as_of).to_numpy()
    action = frames.text(deals, "next_action").str.strip()
    action = action.where(action.notna() & (action != ""), None)
    blank = action.isna().to_numpy()
    action_date = frames.dates(deals, "next_action_date")
    late = (action_date < as_of).to_numpy()
    pushes = (pd.array(deals["close_pushes"], dtype="Int64") if "close_pushes" in deals.columns
              else pd.array([pd.NA] * len(deals), dtype="Int64"))
    pushed = (pushes >= settings.stale_max_close_pushes).fillna(False).to_numpy(dtype=bool)

    unrealistic = np.zeros(len(deals), dtype=bool)
    if settings.stale_unrealistic_close:
        median = stage.map(days_to_won(deals, settings)).astype("float64").to_numpy()
        left = frames.day_count(expected_close, pd.Series(as_of, index=deals.index))
        left_np = left.to_numpy(dtype="float64", na_value=np.nan)
        unrealistic = (left_np >= 0) & (left_np < median)  # NaN (unknown) never matches

    flags = np.column_stack([no_update & active, overdue & active, blank & active,
                             ~blank & late & active, pushed & active, unrealistic & active,
                             late & hold])
    sel = flags.any(axis=1)

    amount = (pd.to_numeric(deals["amount"]).astype("Int64") if "amount" in deals.columns
              else pd.Series(pd.NA, index=deals.index, dtype="Int64"))
    probability = deal_probability(deals, settings).to_numpy(dtype="float64")
    since = frames.dates(deals, "stage_since")
    in_stage = frames.day_count(as_of, since)
    # a backdated run (--as-of before the day sheetsync saw the stage begin) knows nothing
    in_stage = in_stage.mask(in_stage < 0)
    first = (pd.array(deals["stage_since_first_sighting"], dtype="boolean")
             if "stage_since_first_sighting" in deals.columns
             else pd.array([pd.NA] * len(deals), dtype="boolean"))
    first = first.copy()
    first[in_stage.isna().to_numpy()] = pd.NA
    out = pd.DataFrame(
        {
            "deal_id": frames.text(deals, "deal_id").to_numpy()[sel],
            "deal_name": frames.text(deals, "deal_name").to_numpy()[sel],
            "client": frames.text(deals, "client").to_numpy()[sel],
            "client_contact": frames.text(deals, "client_contact").to_numpy()[sel],
            "owner": frames.text(deals, "owner").to_numpy()[sel],
            "stage": stage.to_numpy()[sel],
            "amount": amount.array[sel],
            "probability": probability[sel],
            "impact": impacts(amount.array[sel], probability[sel]),
            "days_since_update": days.array[sel],
            "reasons": _reason_lists(flags[sel]),
            "expected_close": expected_close.to_numpy()[sel],
            "next_action": action.to_numpy()[sel],
            "next_action_date": action_date.to_numpy()[sel],
            "last_activity": frames.dates(deals, "last_activity").to_numpy()[sel],
            "days_in_stage": in_stage.array[sel],
            "days_in_stage_at_least": first[sel],
            "close_pushes": pushes[sel],
            "_row": deals["_row"].to_numpy(dtype="int64")[sel],
        }
    )
    for c in ("deal_id", "deal_name", "client", "client_contact", "owner", "stage",
              "next_action"):
        out[c] = out[c].astype(object)
    # sort keys: negate for descending; blank impact last (-1), unknown days first (+inf)
    impact = out["impact"].to_numpy(dtype="float64", na_value=-1.0)
    d = days_np[sel]
    order = np.lexsort(
        (
            out["_row"].to_numpy(),
            out["deal_id"].fillna("").to_numpy(dtype=str),
            -np.where(np.isnan(d), np.inf, d),
            -impact,
        )
    )
    return out.iloc[order].reset_index(drop=True)[list(STALE_COLUMNS)]


def active_reasons(settings: MetricsSettings) -> tuple[str, ...]:
    """The reasons in use: :data:`REASONS` without the optional ones the config leaves off
    (what the rep summary counts per reason, so its columns stay as they were).

    >>> import datetime as dt
    >>> "unrealistic_close" in active_reasons(MetricsSettings.default(dt.date(2026, 5, 1)))
    False
    """
    return tuple(r for r in REASONS
                 if r not in OPTIONAL_REASONS or getattr(settings, OPTIONAL_REASONS[r]))


def impacts(amount: Sequence[Any], probability: Sequence[float]) -> pd.arrays.IntegerArray:
    """影響額 per deal: amount × probability / 100 in whole yen, rounded half up (the
    probability taken to 1/10,000 of a point, as the forecast's weighted sum); ``<NA>``
    where the amount is blank.

    >>> impacts([1_000_001, None, 5], [50.0, 80.0, 10.0]).tolist()
    [500001, <NA>, 1]
    """
    given = pd.array(amount, dtype="Int64")
    known = ~given.isna()
    yen = given.to_numpy(dtype="int64", na_value=0)  # amounts are ≥ 0
    units = np.rint(np.asarray(probability, dtype="float64") * (_UNITS // 100)).astype("int64")
    # amount × units overflows int64 above ~9e12 yen: split the amount so it never does
    hi, lo = np.divmod(yen, _UNITS)
    out = hi * units + (lo * units + _UNITS // 2) // _UNITS
    result = pd.array(out, dtype="Int64")
    result[~known] = pd.NA
    return result


def _reason_lists(flags: np.ndarray) -> list[list[str]]:
    # a few distinct combinations: build each list once, share nothing between rows
    codes = flags @ (1 << np.arange(len(REASONS)))
    table: dict[int, list[str]] = {}
    for c in set(codes.tolist()):
        table[c] = [r for i, r in enumerate(REASONS) if c >> i & 1]
    return [list(table[c]) for c in codes.tolist()]


#: the JSON contract's keys (``stale`` rows), in order: the original six, then what the
#: follow-up redesign added (docs/definitions.md, "The JSON contract")
STALE_KEYS: dict[str, JsonKind] = {
    "deal_id": "text",
    "owner": "text",
    "stage": "text",
    "amount": "int",
    "days_since_update": "int",
    "reasons": "list",
    "probability": "float",
    "impact": "int",
    "expected_close": "text",
    "next_action": "text",
    "next_action_date": "text",
    "last_activity": "text",
    "days_in_stage": "int",
    "days_in_stage_at_least": "bool",
    "close_pushes": "int",
}
_DATE_KEYS = ("expected_close", "next_action_date", "last_activity")


def stale_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``stale`` rows of the JSON contract from :func:`compute_stale`'s table (dates as
    ``YYYY-MM-DD``, probability in percent as in 受注確率, unknown as null)."""
    shown = df.assign(**{k: _iso_dates(df[k]) for k in _DATE_KEYS})
    return json_rows(shown, STALE_KEYS)


def _iso_dates(values: pd.Series) -> pd.Series:
    s = pd.to_datetime(values)
    return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)


TITLE = Label("要フォロー案件", "Follow-up")
#: short, so several fit one cell; each names the field a rep has to fix
REASON_LABELS: dict[str, Label] = {
    "no_update": Label("更新なし", "No update"),
    "overdue_close": Label("予定日超過", "Overdue close"),
    "no_next_action": Label("次回未定", "No next action"),
    "next_action_overdue": Label("次回期限切れ", "Action overdue"),
    "close_pushed": Label("予定日延期", "Close pushed"),
    "unrealistic_close": Label("予定日早すぎ", "Close too soon"),
    "hold_review_due": Label("見直し日超過", "Review due"),
}
REASON_SEPARATOR = Label("・", ", ")
#: the reasons column is coloured by the first matching reason: most serious first
REASON_FILLS: tuple[tuple[str, str], ...] = (
    ("overdue_close", RED),
    ("close_pushed", RED),
    ("no_update", AMBER),
    ("unrealistic_close", AMBER),
    ("next_action_overdue", YELLOW),
    ("no_next_action", YELLOW),
    ("hold_review_due", GREY),
)
#: what a manager reads first on the left (案件ID frozen): whose deal, what is at risk, why,
#: what happens next; the inputs of the figures to the right
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("deal_id", "案件ID", "Deal ID", "text", 11),
    ColumnSpec("deal_name", "案件名", "Deal name", "text", 20),
    ColumnSpec("client", "顧客名", "Client", "text", 16),
    ColumnSpec("client_contact", "先方担当者", "Client contact", "text", 12),
    ColumnSpec("owner", "担当者", "Owner", "text", 10),
    ColumnSpec("stage", "フェーズ", "Stage", "text", 9),
    ColumnSpec("impact", "影響額", "Impact", "money", 13),
    ColumnSpec("reasons", "理由", "Reasons", "text", 16),
    ColumnSpec("next_action", "次回アクション", "Next action", "text", 18),
    ColumnSpec("next_action_date", "次回期日", "Next due", "date", 12),
    ColumnSpec("days_since_update", "未更新日数", "Days idle", "int", 8),
    ColumnSpec("last_activity", "最終接触日", "Last contact", "date", 12),
    ColumnSpec("expected_close", "受注予定日", "Expected close", "date", 12),
    ColumnSpec("close_pushes", "延期回数", "Pushes", "int", 8),
    ColumnSpec("days_in_stage", "滞留日数", "Days in stage", "int", 8),
    ColumnSpec("amount", "見込金額", "Amount", "money", 13),
    ColumnSpec("probability", "受注確率", "Win %", "ratio", 8),
)
#: a lower bound of the days in stage is shown ``≥12``; figure spaces (as wide as a digit)
#: before it line the bounds up and make them sort as numbers among themselves
AT_LEAST = "≥"
_FIGURE_SPACE = "\u2007"


def reasons_text(reasons: Sequence[str], language: Language = "ja") -> str:
    """Reason codes as the localised text shown in the tab.

    >>> reasons_text(["no_update", "no_next_action"])
    '更新なし・次回未定'
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


def days_in_stage_cells(days: Sequence[Any], at_least: Sequence[Any]) -> list[Any]:
    """滞留日数 as the tab shows it: the number when sheetsync saw the stage begin; ``≥N``
    (text) when counted from its first sighting of the deal; blank on that very day (``≥0``
    says nothing) and when unknown. The bounds are padded to one width with figure spaces,
    so they line up and sort as numbers do (a spreadsheet sorts numbers before text).

    >>> days_in_stage_cells([5, 12, 0, 3, None], [False, True, True, True, None])
    [5, '≥12', None, '\\u2007≥3', None]
    """
    cells: list[Any] = []
    for d, bound in zip(days, at_least, strict=True):
        if is_missing(d):
            cells.append(None)
        elif is_missing(bound) or not bound:
            cells.append(int(d))
        else:
            cells.append(f"{AT_LEAST}{int(d)}" if d > 0 else None)
    width = max((len(c) for c in cells if isinstance(c, str)), default=0)
    return [_FIGURE_SPACE * (width - len(c)) + c if isinstance(c, str) else c for c in cells]


def stale_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """要フォロー案件 / Follow-up: one row per deal, its 案件ID linking to the register row.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = frames.make_deals([{"deal_id": "D1", "stage": "lead", "_row": 12}])
    >>> tab = stale_tab(compute_stale(d, s), TabContext(stage_labels={"lead": "リード"}))
    >>> tab.rows[0][0], tab.rows[0][4], tab.rows[0][6]
    (Link(text='D1', tab='案件一覧', cell='A12'), 'リード', '更新なし・次回未定')
    """
    lang = check_language(context.language)
    specs = TAB_COLUMNS if _shows_contact(df, context) else tuple(
        c for c in TAB_COLUMNS if c.key != "client_contact")
    cols = columns(specs, lang)
    labels = dict(context.stage_labels)
    cells = [f"A{int(r)}" for r in df["_row"].tolist()]
    shown = df.assign(
        deal_id=[
            Link(text=d if isinstance(d, str) and d else c, tab=context.register_tab, cell=c)
            for d, c in zip(df["deal_id"].tolist(), cells, strict=True)
        ],
        stage=[labels.get(v, v) for v in df["stage"].tolist()],
        reasons=_reason_texts(df["reasons"].tolist(), lang),
        probability=df["probability"] / 100,
    )
    rows = records(shown, cols)
    given = {r for reasons in df["reasons"].tolist() for r in reasons}
    at = [c.key for c in cols].index("days_in_stage")
    for row, value in zip(rows, days_in_stage_cells(df["days_in_stage"].tolist(),
                                                    df["days_in_stage_at_least"].tolist()),
                          strict=True):
        row[at] = value
    return TabSpec(
        name=TITLE(lang),
        columns=cols,
        rows=rows,
        note=context.note,
        conditional=[
            # the first matching rule colours the cell: most serious reason first (an optional
            # reason's rule only when a deal has it: the tab stays as it was while it is off)
            CondFormat(column="reasons", op="contains", value=REASON_LABELS[r](lang), fill=fill)
            for r, fill in REASON_FILLS if r not in OPTIONAL_REASONS or r in given
        ],
        freeze_columns=1,
    )


def _shows_contact(df: pd.DataFrame, context: TabContext) -> bool:
    """先方担当者 is shown next to 顧客名 when the register has that column (a layout that
    does not change with the data); when where the columns are is unknown, when a deal has
    one."""
    if context.register_columns:
        return "client_contact" in context.register_columns
    return "client_contact" in df.columns and bool(df["client_contact"].notna().any())


def _compute(data: ReportInput) -> pd.DataFrame:
    return compute_stale(data.deals, data.settings)


REPORT = Report(key="stale", title=TITLE, compute=_compute, json_rows=stale_rows,
                tab=stale_tab)
