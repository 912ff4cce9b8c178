"""担当者サマリー (Rep summary): what each rep carries and what needs their attention.

The report module: the table, its JSON rows (``owners``) and its tab. Exact definitions:
docs/definitions.md, "担当者サマリー". One row per rep, and a team row (``owner`` null) first:

- open deals (count, ¥) in total and per open stage of the schema (工数管理: who carries how
  much); a 保留 deal is open and counts here;
- the current period's target, won, commit landing and forecast: the 売上予測 row of that rep
  and of the base period containing as-of (its table when the pipeline computed it already,
  ``ReportInput.computed``, else :func:`~.forecast.compute_forecast`: the same numbers, never
  computed another way); 0 (target null) for a rep without a row there;
- follow-ups: the rep's deals in 要フォロー案件's table (the same way) and, per reason of
  :data:`~.followup.REASONS` in use (:func:`~.followup.active_reasons`), how many of them
  have it;
- open deals whose 次回アクション日 falls in [as-of, as-of + 7 days], and open deals whose
  受注予定日 sheetsync saw moved later on a day in [as-of − 7 days, as-of] (the deals'
  ``last_close_push``, from :func:`sheetsync.history.close_pushed_on`);
- input errors (severity error) in the register rows whose 担当者 names the rep (however
  it is spelled: :mod:`sheetsync.names`).

Reps: every 担当者 of a valid deal, every rep with a 売上予測 row in the current period (a
target, no deal yet), and every 担当者 typed in a row with an input error (matched to a rep's
spelling by :func:`~sheetsync.textnorm.match_key`), sorted by name. Every count and amount of
the team row is the sum of the reps' (an error in a row whose 担当者 is blank is nobody's: it
is in 入力エラー only); target, won, commit landing and forecast are 売上予測's team row.

The tab links each rep's name to a filter view of the register showing only their rows (on
Google; a workbook has none, so the link opens the register's 担当者 header cell and its screen
tip says how to filter), and their error count to 入力エラー filtered by them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.a1 import rowcol_to_a1
from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.names import spellings as spelled_as
from sheetsync.report import ERRORS_TAB, errors_column
from sheetsync.reports import followup
from sheetsync.reports.base import (
    AMBER,
    RED,
    ColumnSpec,
    JsonKind,
    Language,
    Report,
    ReportInput,
    TabContext,
    check_language,
    json_rows,
    records,
)
from sheetsync.reports.forecast import REPORT as FORECAST
from sheetsync.reports.forecast import TEAM, compute_forecast, forecast_periods
from sheetsync.schema import Label
from sheetsync.tabspec import CondFormat, FilterLink, FilterView, Link, PageSetup, TabSpec
from sheetsync.textnorm import match_key

#: days ahead (次回アクション日) and back (受注予定日 pushed) the summary looks
WINDOW_DAYS = 7

#: the JSON contract's keys (``owners`` rows), in order; ``open_by_stage`` and
#: ``followups_by_reason`` are objects (stage value → {count, amount}; reason → count)
OWNERS_KEYS: dict[str, str] = {
    "owner": "text",
    "open_count": "int",
    "open_amount": "int",
    "open_by_stage": "object",
    "period": "text",
    "target": "int",
    "won": "int",
    "commit_landing": "int",
    "forecast": "int",
    "followups": "int",
    "followups_by_reason": "object",
    "next_actions_7d": "int",
    "close_pushed_7d": "int",
    "input_errors": "int",
}
#: the keys inside each ``open_by_stage`` entry
STAGE_KEYS = ("count", "amount")
#: the period columns, taken as they are from the 売上予測 row of the rep and period
PERIOD_COLUMNS = ("target", "won", "commit_landing", "forecast")
#: the frame's columns per open stage and per reason: ``open_count:<stage>``,
#: ``open_amount:<stage>``, ``followups:<reason>``
STAGE_COUNT, STAGE_AMOUNT, REASON_COUNT = "open_count:", "open_amount:", "followups:"
#: tab-only columns: the 担当者 spellings a filter must match (register, 入力エラー)
SPELLINGS, ERROR_SPELLINGS = "_spellings", "_error_spellings"


# -- the table -----------------------------------------------------------------------------


def open_stages(settings: MetricsSettings, present: Iterable[Any] = ()) -> list[str]:
    """The open stages in the schema's order (hold stages included), then any other open
    stage value ``present`` in the deals, sorted.

    >>> import datetime as dt
    >>> open_stages(MetricsSettings.default(dt.date(2026, 5, 1)))
    ['lead', 'meeting', 'proposal', 'quote', 'negotiation', 'on_hold']
    """
    closed = settings.closed_stages
    stages = [s for s in settings.stage_probability if s not in closed]
    stages += sorted(s for s in settings.hold_stages if s not in stages)
    stages += sorted({str(s) for s in present if s is not None} - set(stages) - closed)
    return stages


def compute_owners(data: ReportInput) -> pd.DataFrame:
    """The 担当者サマリー table: the team row (``owner`` None) then one row per rep by name.

    Columns ``owner``, ``open_count``, ``open_amount``, ``open_count:<stage>`` and
    ``open_amount:<stage>`` per open stage, ``period``, ``target`` (``Int64``), ``won``,
    ``commit_landing``, ``forecast``, ``followups``, ``followups:<reason>`` per reason,
    ``next_actions_7d``, ``close_pushed_7d``, ``input_errors`` (int64), and the spellings a
    filter must match (:data:`SPELLINGS`, :data:`ERROR_SPELLINGS`: tuples).

    >>> import datetime as dt
    >>> from sheetsync.metrics.frames import make_deals
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = make_deals([
    ...     {"owner": "佐藤", "stage": "proposal", "amount": 1000,
    ...      "expected_close": "2026-06-30", "next_action": "call",
    ...      "next_action_date": "2026-05-03", "last_activity": "2026-04-30"},
    ...     {"owner": "鈴木", "stage": "won", "amount": 300, "closed_on": "2026-04-10"},
    ... ])
    >>> df = compute_owners(ReportInput(d, s))
    >>> df[["owner", "open_count", "open_amount", "won", "next_actions_7d"]].values.tolist()
    [[None, 1, 1000, 300, 1], ['佐藤', 1, 1000, 0, 1], ['鈴木', 0, 0, 300, 0]]
    """
    deals, settings = data.deals, data.settings
    as_of = pd.Timestamp(settings.as_of)
    window = pd.Timedelta(days=WINDOW_DAYS)
    _, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    owner = frames.text(deals, "owner")
    stage = frames.text(deals, "stage")
    amount, _ = frames.amounts(deals)
    stages = open_stages(settings, stage[open_].unique())

    per_deal: dict[str, np.ndarray] = {
        "open_count": open_.astype("int64"),
        "open_amount": np.where(open_, amount, 0),
    }
    for st in stages:
        here = open_ & (stage == st).to_numpy()
        per_deal[STAGE_COUNT + st] = here.astype("int64")
        per_deal[STAGE_AMOUNT + st] = np.where(here, amount, 0)
    due = frames.dates(deals, "next_action_date")
    per_deal["next_actions_7d"] = (open_ & ((due >= as_of) & (due <= as_of + window))
                                   .to_numpy()).astype("int64")
    pushed = frames.dates(deals, "last_close_push")
    per_deal["close_pushed_7d"] = (open_ & ((pushed >= as_of - window) & (pushed <= as_of))
                                   .to_numpy()).astype("int64")
    counts = pd.DataFrame(per_deal).groupby(owner.to_numpy(), sort=False).sum()

    stale = data.computed.get(followup.REPORT.key)
    if stale is None:
        stale = followup.compute_stale(deals, settings)
    reasons = [*followup.active_reasons(settings)]
    listed = stale[["owner", "reasons"]].explode("reasons")
    by_reason = (pd.crosstab(listed["owner"], listed["reasons"])
                 .reindex(columns=reasons, fill_value=0)
                 .rename(columns={r: REASON_COUNT + r for r in reasons}))
    by_reason["followups"] = stale.groupby("owner", sort=False).size()

    periods = forecast_periods(settings)
    key = periods.base[periods.current].key
    fc = data.computed.get(FORECAST.key)
    if fc is None:
        fc = compute_forecast(deals, data.targets, settings)
    fc = fc[fc["period"] == key]
    period_rows = {o: row for o, row in zip(fc["owner"], fc[list(PERIOD_COLUMNS)].itertuples(
        index=False))}

    names = pd.unique(pd.concat([owner.dropna(), fc["owner"].dropna()]).astype(str))
    known = {match_key(o): o for o in names}
    spellings, error_spellings, errors = _rep_rows(data, known)

    reps = sorted({*names, *errors})
    out = pd.DataFrame({"owner": pd.Series([None, *reps], dtype=object)})
    value_columns = [*per_deal, "followups", *(REASON_COUNT + r for r in reasons),
                     "input_errors"]
    table = counts.join(by_reason, how="outer").reindex(reps).fillna(0)
    table["input_errors"] = [errors.get(r, 0) for r in reps]
    for col in value_columns:
        values = table[col].to_numpy(dtype="int64") if reps else np.zeros(0, dtype="int64")
        out[col] = np.concatenate([[values.sum()], values]).astype("int64")
    out["period"] = key
    team = period_rows.get(None)
    for i, col in enumerate(PERIOD_COLUMNS):
        cells = [team[i] if team is not None else None]
        cells += [period_rows[r][i] if r in period_rows else (None if col == "target" else 0)
                  for r in reps]
        if col == "target":
            out[col] = pd.array(cells, dtype="Int64")
        else:
            out[col] = np.array([0 if v is None or pd.isna(v) else v for v in cells],
                                dtype="int64")
    out[SPELLINGS] = [(), *(spellings.get(r, (r,)) for r in reps)]
    out[ERROR_SPELLINGS] = [(), *(error_spellings.get(r, ()) for r in reps)]
    first = ["owner", "open_count", "open_amount",
             *(c for st in stages for c in (STAGE_COUNT + st, STAGE_AMOUNT + st)),
             "period", *PERIOD_COLUMNS, "followups", *(REASON_COUNT + r for r in reasons),
             "next_actions_7d", "close_pushed_7d", "input_errors", SPELLINGS, ERROR_SPELLINGS]
    return out[first]


def _rep_rows(data: ReportInput, known: Mapping[str, str]
              ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, int]]:
    """Per rep (a ``known`` spelling by match key, else the spelling typed most often): the
    texts typed in the register's 担当者 cells, the same trimmed (as 入力エラー shows them),
    and the count of input errors in their rows."""
    shown = {**spelled_as(data.row_owners.values()), **known}

    def rep_of(typed: str) -> str:
        return shown.get(match_key(typed), typed.strip())

    spellings: dict[str, dict[str, None]] = {}
    for typed in set(data.row_owners.values()):
        spellings.setdefault(rep_of(typed), {})[typed] = None
    errors: dict[str, int] = {}
    error_spellings: dict[str, dict[str, None]] = {}
    for issue in data.issues:
        typed = data.row_owners.get(issue.row) if issue.row is not None else None
        if not issue.is_error or typed is None:
            continue
        rep = rep_of(typed)
        errors[rep] = errors.get(rep, 0) + 1
        error_spellings.setdefault(rep, {})[typed.strip()] = None
    return ({r: tuple(sorted(s)) for r, s in spellings.items()},
            {r: tuple(sorted(s)) for r, s in error_spellings.items()}, errors)


def stage_columns(df: pd.DataFrame) -> list[str]:
    """The open stages of :func:`compute_owners`' table, in its order."""
    return [c.removeprefix(STAGE_COUNT) for c in df.columns if c.startswith(STAGE_COUNT)]


def reason_columns(df: pd.DataFrame) -> list[str]:
    """The follow-up reasons of :func:`compute_owners`' table, in its order."""
    return [c.removeprefix(REASON_COUNT) for c in df.columns if c.startswith(REASON_COUNT)]


# -- JSON ----------------------------------------------------------------------------------


def owners_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``owners`` rows of the JSON contract from :func:`compute_owners`' table.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = frames.make_deals([{"owner": "佐藤", "stage": "lead", "amount": 5,
    ...                         "expected_close": "2026-06-30"}])
    >>> team, sato = owners_rows(compute_owners(ReportInput(d, s)))
    >>> sato["owner"], sato["open_by_stage"]["lead"], sato["followups_by_reason"]["no_update"]
    ('佐藤', {'count': 1, 'amount': 5}, 1)
    """
    stages, reasons = stage_columns(df), reason_columns(df)
    flat: dict[str, JsonKind] = {k: v for k, v in OWNERS_KEYS.items() if v != "object"}  # type: ignore[misc]
    keys = [*flat, *(STAGE_COUNT + s for s in stages), *(STAGE_AMOUNT + s for s in stages),
            *(REASON_COUNT + r for r in reasons)]
    plain = json_rows(df, {k: flat.get(k, "int") for k in keys})
    out = []
    for row in plain:
        nested = {
            "open_by_stage": {s: {"count": row[STAGE_COUNT + s], "amount": row[STAGE_AMOUNT + s]}
                              for s in stages},
            "followups_by_reason": {r: row[REASON_COUNT + r] for r in reasons},
        }
        out.append({k: nested[k] if k in nested else row[k] for k in OWNERS_KEYS})
    return out


# -- the tab -------------------------------------------------------------------------------

TITLE = Label("担当者サマリー", "Rep summary")
#: the tab's fixed columns (per stage and per reason columns sit between them: see
#: :data:`STAGE_HEADERS`, :data:`REASON_HEADER`)
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("owner", "担当者", "Owner", "text", 12),
    ColumnSpec("open_count", "進行中の件数", "Open deals", "int", 8),
    ColumnSpec("open_amount", "進行中の金額", "Open amount", "money", 14),
    ColumnSpec("period", "期間", "Period", "text", 10),
    ColumnSpec("target", "目標", "Target", "money", 13),
    ColumnSpec("won", "受注済", "Won", "money", 13),
    ColumnSpec("commit_landing", "コミット着地", "Commit landing", "money", 13),
    ColumnSpec("forecast", "加重着地", "Weighted landing", "money", 13),
    ColumnSpec("followups", "要フォロー", "Follow-ups", "int", 8),
    ColumnSpec("next_actions_7d", "7日以内の次回アクション", "Next actions in 7 days", "int", 8),
    ColumnSpec("close_pushed_7d", "7日以内の予定日延期", "Close pushed in 7 days", "int", 8),
    ColumnSpec("input_errors", "入力エラー", "Input errors", "int", 8),
    ColumnSpec("errors_link", "エラーの行", "Error rows", "text", 10),
)
#: headers of a stage's two columns, ``{stage}`` its label: count, amount
STAGE_HEADERS = (Label("{stage}の件数", "{stage} deals"), Label("{stage}の金額", "{stage} amount"))
#: header of a reason's column, ``{reason}`` its label in 要フォロー案件
REASON_HEADER = Label("要フォロー：{reason}", "Follow-up: {reason}")
ERRORS_LINK = Label("入力エラーを見る", "See errors")
#: filter view titles (Google prefixes them with ``sheetsync: ``)
VIEW_TITLES = {"deals": Label("{owner}の案件", "{owner}'s deals"),
               "errors": Label("{owner}の入力エラー", "{owner}'s input errors")}
#: the screen tip of a rep's link in a workbook, which cannot open a filtered view
FILTER_TIP = Label("{tab}の「{column}」列のフィルターで「{owner}」を選ぶと、その行だけになります",
                   "In {tab}, filter the {column} column on {owner} to see only their rows")


def _spec(key: str) -> ColumnSpec:
    return next(s for s in TAB_COLUMNS if s.key == key)


def tab_columns(df: pd.DataFrame, context: TabContext) -> list[ColumnSpec]:
    """The tab's columns for this table, what a manager reads on Monday first (and what the
    first printed page holds): the name, the period's money (目標 → 加重着地), the follow-ups,
    next actions and pushed dates of the week, the input errors; then the follow-ups by
    reason; then the open pipeline — its totals and each open stage's count and amount."""
    check_language(context.language)
    labels = dict(context.stage_labels)  # in the tab's language
    specs = [_spec(k) for k in ("owner", "period", *PERIOD_COLUMNS, "followups",
                                "next_actions_7d", "close_pushed_7d", "input_errors",
                                "errors_link")]
    for reason in reason_columns(df):
        label = followup.REASON_LABELS.get(reason)
        specs.append(ColumnSpec(REASON_COUNT + reason,
                                REASON_HEADER.ja.format(reason=label.ja if label else reason),
                                REASON_HEADER.en.format(reason=label.en if label else reason),
                                "int", 8))
    specs += [_spec("open_count"), _spec("open_amount")]
    count, amount = STAGE_HEADERS
    for st in stage_columns(df):
        name = labels.get(st, st)
        specs.append(ColumnSpec(STAGE_COUNT + st, count.ja.format(stage=name),
                                count.en.format(stage=name), "int", 8))
        specs.append(ColumnSpec(STAGE_AMOUNT + st, amount.ja.format(stage=name),
                                amount.en.format(stage=name), "money", 13))
    return specs


def owners_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """担当者サマリー / Rep summary: the team row first, each rep's name linking to the
    register filtered to their rows, their input errors to 入力エラー filtered the same way.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 5, 1))
    >>> d = frames.make_deals([{"owner": "佐藤", "stage": "lead", "expected_close": "2026-06-30"}])
    >>> tab = owners_tab(compute_owners(ReportInput(d, s, row_owners={2: "佐藤"})),
    ...                  TabContext(register_columns={"owner": 3}))
    >>> tab.rows[0][0], tab.rows[1][0].view, tab.rows[1][0].cell
    (Link(text='チーム合計', tab='案件一覧', cell='A1'), 'deals:佐藤', 'D1')
    >>> [(v.title, v.column, v.values) for v in tab.filter_views]
    [('佐藤の案件', 3, ('佐藤',))]
    """
    lang = check_language(context.language)
    specs = tab_columns(df, context)
    cols = [s.column(lang) for s in specs]
    register, header_row = context.register_tab, context.register_header_row
    owner_col = context.register_columns.get("owner")
    errors_tab = ERRORS_TAB(lang)
    errors_header = 2 if context.note else 1
    errors_owner = errors_column("owner")
    views: list[FilterView] = []
    names: list[Any] = []
    links: list[Any] = []
    for owner, count, spelled, error_spelled in zip(
            df["owner"], df["input_errors"], df[SPELLINGS], df[ERROR_SPELLINGS]):
        if owner is None:
            names.append(Link(TEAM(lang), register, f"A{header_row}"))
            links.append(Link(ERRORS_LINK(lang), errors_tab, "A1") if count else None)
            continue
        if owner_col is None:
            names.append(Link(owner, register, f"A{header_row}"))
        else:
            view = FilterView(f"deals:{owner}", VIEW_TITLES["deals"](lang).format(owner=owner),
                              register, header_row, owner_col, tuple(spelled) or (owner,))
            views.append(view)
            names.append(FilterLink(
                owner, register, rowcol_to_a1(header_row, owner_col + 1), view=view.key,
                tip=FILTER_TIP(lang).format(tab=register, column=_owner_header(lang),
                                            owner=owner)))
        if not count:
            links.append(None)
            continue
        view = FilterView(f"errors:{owner}", VIEW_TITLES["errors"](lang).format(owner=owner),
                          errors_tab, errors_header, errors_owner,
                          tuple(error_spelled) or (owner,))
        views.append(view)
        links.append(FilterLink(
            ERRORS_LINK(lang), errors_tab, rowcol_to_a1(errors_header, errors_owner + 1),
            view=view.key, tip=FILTER_TIP(lang).format(tab=errors_tab,
                                                       column=_owner_header(lang), owner=owner)))
    shown = df.assign(owner=names, errors_link=links)
    return TabSpec(
        name=TITLE(lang),
        columns=cols,
        rows=records(shown, cols),
        note=context.note,
        conditional=[
            CondFormat(column="input_errors", op="gt", value=0.0, fill=RED),
            CondFormat(column="close_pushed_7d", op="gt", value=0.0, fill=AMBER),
        ],
        freeze_columns=1,
        filter_views=tuple(views),
        # about 30 columns: at natural size over pages across (each repeating the names),
        # since one page wide would print them too small to read
        page=PageSetup(orientation="landscape", fit_width=0),
    )


def _owner_header(language: Language) -> str:
    return "担当者" if language == "ja" else "Owner"


REPORT = Report(key="owners", title=TITLE, compute=compute_owners, json_rows=owners_rows,
                tab=owners_tab)

__all__ = ["OWNERS_KEYS", "REPORT", "TAB_COLUMNS", "compute_owners", "open_stages",
           "owners_rows", "owners_tab"]
