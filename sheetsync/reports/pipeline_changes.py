"""パイプライン増減 (Pipeline changes): how the current period's open pipeline moved, and why.

Exact definitions: docs/definitions.md, "パイプライン増減". Between ``from`` = as-of −
``pipeline_changes.days`` and ``to`` = as-of, for the base period containing as-of (quarter or
month), per owner and for the team::

    start + new + pulled_in + increased − decreased − slipped − won − lost − removed = end

``start`` / ``end``: the open pipeline 売上予測 places in the period on ``from`` / on ``to`` —
Σ 見込金額 (a blank amount is ¥0, as in 売上予測's pipeline; 保留 is out) of the register as it
stood that day (:mod:`sheetsync.rewind`), placed by
:func:`~sheetsync.reports.forecast.place_deals` as of that day.

Each deal is compared as it stood on ``from`` and on ``to``; what happened in between counts
only through where it ended:

- in the period on both days: its amount's change is ``increased`` or ``decreased``;
- only on ``from``: it left with its amount on ``from`` — ``won``, ``lost``, ``removed`` (gone
  from the register, or its row now fails validation), else ``slipped`` (期ズレ: 受注予定日 moved
  to another period, or put on 保留);
- only on ``to``: it arrived with its amount on ``to`` — ``pulled_in`` when it was open
  elsewhere on ``from`` (受注予定日 moved in from a later period; overdue in the previous
  period and carried over, 繰越; back from 保留), else ``new`` (first seen in the window, or
  back: reopened, or its row fixed);
- on neither day: a deal that closed in the window into this period (won with 完了日 in it,
  lost with 受注予定日 in it) arrives as above and leaves as ``won`` / ``lost``, both with its
  amount on ``to`` — a deal entered and won in the same week is new and won.

So every deal's buckets add up to its end minus its start, and the identity holds exactly for
each owner row and for the team. A deal counts in its latest owner's row. When the history
does not reach back to ``from`` (the first run, retention), ``from`` is the earliest day it
reaches and the tab's note says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.coerce import CoercionError
from sheetsync.history import Unreadable
from sheetsync.metrics import frames
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.names import canonical, spellings
from sheetsync.reports.base import (
    AMBER,
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
from sheetsync.reports.forecast import forecast_periods, place_deals
from sheetsync.rewind import ChangeLog, Past, PastCell, earliest_day, register_now, register_on
from sheetsync.schema import Label, Schema
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, TabSpec
from sheetsync.validate import Parser, field_parser

#: the buckets, in the identity's order (inflows first)
BUCKETS = ("new", "pulled_in", "increased", "decreased", "slipped", "won", "lost", "removed")
INFLOWS = frozenset({"new", "pulled_in", "increased"})
#: the deal list's order: what hurts first, slips at the top
LIST_ORDER = ("slipped", "lost", "removed", "decreased", "won", "pulled_in", "new", "increased")

#: the JSON contract: ``pipeline_changes`` is one object with these keys
PIPELINE_CHANGES_KEYS: dict[str, JsonKind] = {"from": "text", "to": "text", "rows": "list",
                                              "deals": "list"}
#: … its ``rows`` (the team, ``owner`` null, first)
ROW_KEYS: dict[str, JsonKind] = {"period": "text", "owner": "text", "start": "int",
                                 **{b: "int" for b in BUCKETS}, "end": "int"}
#: … and its ``deals``: every deal in a bucket (one entry per deal and bucket)
DEAL_KEYS: dict[str, JsonKind] = {
    "deal_id": "text",
    "deal_name": "text",
    "client": "text",
    "owner": "text",
    "bucket": "text",
    "amount": "int",
    "amount_before": "int",
    "amount_after": "int",
    "expected_close_before": "text",
    "expected_close_after": "text",
    "stage_before": "text",
    "stage_after": "text",
    "pushes": "int",
}
SECTION = "section"

# a deal's state on one day
ABSENT, INVALID, OPEN, HOLD, WON, LOST = range(6)


# -- one day's side ------------------------------------------------------------------------


def _read(schema: Schema, name: str, cell: PastCell, language: str,
          parsers: dict[str, Parser] | None = None) -> tuple[Any, Any]:
    """(the value read, what the tab shows) for one cell of a row that failed validation: a
    readable cell as its value, an unreadable one as typed (value None). ``parsers`` keeps
    each field's parser between calls (building one is the costly part)."""
    if cell is None or isinstance(cell, Unreadable) or not schema.has_field(name):
        return None, cell.typed if isinstance(cell, Unreadable) else None
    parsers = {} if parsers is None else parsers
    parse = parsers.get(name)
    if parse is None:
        parse = parsers[name] = field_parser(schema.field(name), language)
    try:
        value = parse(cell)
    except CoercionError:
        return None, str(cell)
    return value, value


class _Reader:
    """:func:`_read` for one schema and language, each (field, cell) read once: the rows
    that fail validation repeat their owners, stages and dates (and at 100,000 deals a few
    thousand of them are read for each side of the window)."""

    def __init__(self, schema: Schema, language: str) -> None:
        self.schema = schema
        self.language = language
        self.parsers: dict[str, Parser] = {}
        self.seen: dict[tuple[str, type, PastCell], tuple[Any, Any]] = {}

    def __call__(self, name: str, cell: PastCell) -> tuple[Any, Any]:
        key = (name, type(cell), cell)
        try:
            return self.seen[key]
        except KeyError:
            pass
        except TypeError:  # a cell that cannot be a key: read every time
            return _read(self.schema, name, cell, self.language, self.parsers)
        out = self.seen[key] = _read(self.schema, name, cell, self.language, self.parsers)
        return out


def _side(past: Past, settings: MetricsSettings, period: str, schema: Schema | None,
          language: str) -> pd.DataFrame:
    """Per 案件ID (the index): ``state``, ``in_period`` (open and placed in ``period`` as of
    ``settings.as_of``), ``amount`` (blank = 0) and what the deal list shows of it."""
    deals = past.deals
    periods = forecast_periods(settings)
    target = next(i for i, p in enumerate(periods.base) if p.key == period)
    won, lost, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    hold = frames.hold_mask(deals, settings.hold_stages)
    placed = place_deals(deals, settings, periods)
    amount, known = frames.amounts(deals)
    close = frames.dates(deals, "expected_close")
    valid = pd.DataFrame({
        "state": np.select([won, lost, hold, open_], [WON, LOST, HOLD, OPEN], ABSENT),
        "in_period": (placed["open"] & (placed["pos"] == target)).to_numpy(),
        "amount": amount,
        "shown_amount": pd.array(np.where(known, amount, 0), dtype="Int64").astype(object),
        "close": close.to_numpy(),
        "closed_on": frames.dates(deals, "closed_on").to_numpy(),
        "stage": frames.text(deals, "stage").to_numpy(),
        "owner": frames.text(deals, "owner").to_numpy(),
        "deal_name": frames.text(deals, "deal_name").to_numpy(),
        "client": frames.text(deals, "client").to_numpy(),
    }, index=pd.Index(deals["deal_id"].astype(object).tolist(), dtype=object))
    valid.loc[~known, "shown_amount"] = None
    valid["json_amount"] = valid["shown_amount"]
    valid["shown_close"] = _day_objects(close)
    valid["json_close"] = valid["shown_close"]
    valid["json_stage"] = valid["stage"]
    valid["shown_stage"] = valid["stage"]
    broken = []
    read = _Reader(schema, language) if schema is not None else None
    for deal_id, cells in past.invalid.items() if read is not None else ():
        amount_value, amount_shown = read("amount", cells.get("amount"))
        close_value, close_shown = read("expected_close", cells.get("expected_close"))
        stage_value, stage_shown = read("stage", cells.get("stage"))
        texts = {k: read(k, cells.get(k))[1] for k in ("owner", "deal_name", "client")}
        owner = read("owner", cells.get("owner"))[0]
        broken.append({
            "deal_id": deal_id, "state": INVALID, "in_period": False, "amount": 0,
            "shown_amount": amount_shown, "json_amount": amount_value,
            "close": pd.NaT, "closed_on": pd.NaT, "stage": stage_value, "owner": owner,
            "deal_name": texts["deal_name"], "client": texts["client"],
            "shown_close": close_shown, "json_close": close_value,
            "json_stage": stage_value, "shown_stage": stage_shown,
        })
    if not broken:
        return valid
    extra = pd.DataFrame(broken).set_index("deal_id")
    extra.index = extra.index.astype(object)
    return pd.concat([valid, extra[valid.columns]])


def _day_objects(days: pd.Series) -> list[Any]:
    """Each day of a datetime column as a ``datetime.date`` (None where missing).

    >>> _day_objects(pd.Series(pd.to_datetime(["2026-12-04", None])))
    [datetime.date(2026, 12, 4), None]
    """
    stamps = days.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(stamps)
    # each distinct day made a date once (a register has a few hundred of them)
    distinct, at = np.unique(stamps[~missing], return_inverse=True)
    out = np.full(len(stamps), None, dtype=object)
    out[~missing] = np.array([None, *(pd.Timestamp(d).date() for d in distinct)],
                             dtype=object)[1:][at]
    return out.tolist()


# -- the buckets -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Window:
    """The days compared: ``start`` (JSON ``from``), ``end`` (``to``, as-of) and ``asked``
    (as-of − ``pipeline_changes.days``: later than ``start`` when the history is short)."""

    start: dt.date
    end: dt.date
    asked: dt.date
    period: str

    @property
    def short(self) -> bool:
        return self.start > self.asked


def window(settings: MetricsSettings, log: ChangeLog | None) -> Window:
    """The window for ``settings.as_of`` (no history: it starts and ends on as-of).

    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> w = window(s, None)
    >>> w.start, w.asked, w.period, w.short
    (datetime.date(2026, 12, 4), datetime.date(2026, 11, 27), 'FY2026-Q3', True)
    """
    to = settings.as_of
    asked = to - dt.timedelta(days=settings.pipeline_changes_days)
    start = to if log is None else max(asked, earliest_day(log, to, asked))
    periods = forecast_periods(settings)
    return Window(start, to, asked, periods.base[periods.current].key)


def _flows(before: pd.DataFrame, after: pd.DataFrame, win: Window,
           settings: MetricsSettings) -> pd.DataFrame:
    """One row per deal and bucket it falls in: ``deal_id``, ``bucket``, ``amount`` (≥ 0)."""
    ids = before.index.union(after.index)
    f = before.reindex(ids)
    t = after.reindex(ids)
    f_state = f["state"].fillna(ABSENT).to_numpy(dtype="int64")
    t_state = t["state"].fillna(ABSENT).to_numpy(dtype="int64")
    f_in = f["in_period"].fillna(False).to_numpy(dtype=bool)
    t_in = t["in_period"].fillna(False).to_numpy(dtype=bool)
    f_amt = f["amount"].fillna(0).to_numpy(dtype="int64")
    t_amt = t["amount"].fillna(0).to_numpy(dtype="int64")

    periods = forecast_periods(settings)
    period = periods.base[periods.current]
    first, last = pd.Timestamp(period.start), pd.Timestamp(period.end)
    closed_on = pd.to_datetime(t["closed_on"]).to_numpy(dtype="datetime64[ns]")
    close = pd.to_datetime(t["close"]).to_numpy(dtype="datetime64[ns]")
    to = np.datetime64(pd.Timestamp(win.end))
    effective = np.where(close < to, to, close)  # an open deal's placement: never the past
    lands = np.where(t_state == WON, (closed_on >= first) & (closed_on <= last),
                     (effective >= first) & (effective <= last))
    in_window = (closed_on > np.datetime64(pd.Timestamp(win.start))) & (closed_on <= to)
    was_open = np.isin(f_state, [OPEN, HOLD])
    closing = (~f_in & ~t_in & np.isin(t_state, [WON, LOST]) & lands
               & (was_open | (np.isin(f_state, [ABSENT, INVALID]) & in_window)))

    arrival = np.where(was_open, "pulled_in", "new")
    departure = np.select([np.isin(t_state, [ABSENT, INVALID]), t_state == WON,
                           t_state == LOST], ["removed", "won", "lost"], "slipped")
    both = f_in & t_in
    delta = t_amt - f_amt
    parts = [
        (both & (delta > 0), "increased", delta),
        (both & (delta < 0), "decreased", -delta),
        (f_in & ~t_in, departure, f_amt),
        (~f_in & t_in, arrival, t_amt),
        (closing, arrival, t_amt),
        (closing, np.where(t_state == WON, "won", "lost"), t_amt),
    ]
    out = []
    for mask, bucket, amount in parts:
        if mask.any():
            out.append(pd.DataFrame({
                "deal_id": ids.to_numpy()[mask],
                "bucket": np.broadcast_to(np.asarray(bucket, dtype=object), mask.shape)[mask],
                "amount": np.broadcast_to(amount, mask.shape)[mask].astype("int64"),
            }))
    if not out:
        return pd.DataFrame({"deal_id": pd.Series(dtype=object),
                             "bucket": pd.Series(dtype=object),
                             "amount": pd.Series(dtype="int64")})
    flows = pd.concat(out, ignore_index=True)
    return flows.groupby(["deal_id", "bucket"], as_index=False, sort=False)["amount"].sum()


def compute_pipeline_changes(deals: pd.DataFrame, settings: MetricsSettings,
                             log: ChangeLog | None) -> pd.DataFrame:
    """The report's frame: the rows (``section`` "rows": team first, then owners by name) and
    the deal list (``section`` "deals"), each with ``from``, ``to``, ``asked`` and ``period``.

    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> df = compute_pipeline_changes(frames.make_deals([]), s, None)
    >>> df[["section", "period", "owner", "start", "end", "from"]].values.tolist()
    [['rows', 'FY2026-Q3', None, 0, 0, '2026-12-04']]
    """
    win = window(settings, log)
    if log is None:  # no history known: the register now, on a window of one day
        known = frames.text(deals, "deal_id").notna().to_numpy()
        now = Past(win.end, deals[known].drop_duplicates("deal_id"))
        before = after = _side(now, settings, win.period, None, "ja")
    else:
        schema, language = log.schema, log.language
        before = _side(register_on(log, win.start, deals),
                       dataclasses.replace(settings, as_of=win.start), win.period, schema,
                       language)
        after = _side(register_now(log, deals, win.end), settings, win.period, schema,
                      language)
    flows = _flows(before, after, win, settings)

    ids = before.index.union(after.index)
    f, t = before.reindex(ids), after.reindex(ids)
    owner = t["owner"].where(t["owner"].notna(), f["owner"])
    shown = spellings([*after["owner"].tolist(), *before["owner"].tolist()],
                      log.owners if log is not None else ())
    owner = pd.Series(canonical(owner.tolist(), shown), index=ids, dtype=object)
    start = pd.Series(np.where(f["in_period"].fillna(False).to_numpy(dtype=bool),
                               f["amount"].fillna(0).to_numpy(dtype="int64"), 0), index=ids)
    end = pd.Series(np.where(t["in_period"].fillna(False).to_numpy(dtype=bool),
                             t["amount"].fillna(0).to_numpy(dtype="int64"), 0), index=ids)
    flows["owner"] = owner.reindex(flows["deal_id"]).to_numpy()

    counted = (f["in_period"].fillna(False) | t["in_period"].fillna(False)).to_numpy(dtype=bool)
    names = sorted({o for o in owner[counted].tolist() if isinstance(o, str)}
                   | {o for o in flows["owner"].tolist() if isinstance(o, str)})
    rows = [_row(win.period, None, start.sum(), end.sum(), flows)]
    for name in names:
        mine = (owner == name).to_numpy()
        rows.append(_row(win.period, name, start[mine].sum(), end[mine].sum(),
                         flows[flows["owner"] == name]))
    out = pd.DataFrame(rows)
    out[SECTION] = "rows"
    listed = _deal_list(flows, f, t, log, settings)
    frame = pd.concat([out, listed], ignore_index=True) if len(listed) else out
    frame["from"] = win.start.isoformat()
    frame["to"] = win.end.isoformat()
    frame["asked"] = win.asked.isoformat()
    frame["push_limit"] = settings.stale_max_close_pushes
    return frame.astype(object).where(frame.notna(), None)


def _row(period: str, owner: str | None, start: int, end: int, flows: pd.DataFrame
         ) -> dict[str, Any]:
    sums = flows.groupby("bucket")["amount"].sum()
    return {"period": period, "owner": owner, "start": int(start),
            **{b: int(sums.get(b, 0)) for b in BUCKETS}, "end": int(end)}


def _deal_list(flows: pd.DataFrame, f: pd.DataFrame, t: pd.DataFrame, log: ChangeLog | None,
               settings: MetricsSettings) -> pd.DataFrame:
    if flows.empty or log is None:
        return pd.DataFrame()
    ids = flows["deal_id"]
    fb, ta = f.reindex(ids), t.reindex(ids)
    pushes = {t_.deal_id: t_.close_pushes
              for t_ in sorted(log.tombstones, key=lambda x: x.removed_at)}
    held = log.snapshot.columns
    pushes.update(zip(held.ids, held.close_pushes))

    def pick(column: str) -> list[Any]:
        a, b = ta[column].tolist(), fb[column].tolist()
        return [x if not is_missing(x) else y for x, y in zip(a, b, strict=True)]

    def iso(values: pd.Series) -> list[Any]:
        return [v.isoformat() if isinstance(v, dt.date) else None for v in values.tolist()]

    listed = pd.DataFrame({
        SECTION: "deals",
        "period": None,
        "deal_id": ids.tolist(),
        "deal_name": pick("deal_name"),
        "client": pick("client"),
        "owner": flows["owner"].tolist(),
        "bucket": flows["bucket"].tolist(),
        "amount": flows["amount"].tolist(),
        "amount_before": fb["json_amount"].tolist(),
        "amount_after": ta["json_amount"].tolist(),
        "expected_close_before": iso(fb["json_close"]),
        "expected_close_after": iso(ta["json_close"]),
        "stage_before": fb["json_stage"].tolist(),
        "stage_after": ta["json_stage"].tolist(),
        "pushes": [pushes.get(d, 0) for d in ids.tolist()],
        "_row": [log.rows.get(d) for d in ids.tolist()],
        "shown_amount_before": fb["shown_amount"].tolist(),
        "shown_amount_after": ta["shown_amount"].tolist(),
        "shown_close_before": fb["shown_close"].tolist(),
        "shown_close_after": ta["shown_close"].tolist(),
        "shown_stage_before": fb["shown_stage"].tolist(),
        "shown_stage_after": ta["shown_stage"].tolist(),
    })
    order = {b: i for i, b in enumerate(LIST_ORDER)}
    listed["_order"] = listed["bucket"].map(order)
    listed = listed.sort_values(["_order", "amount", "deal_id"], ascending=[True, False, True],
                                kind="stable")
    return listed.drop(columns="_order").reset_index(drop=True)


def _compute(data: ReportInput) -> pd.DataFrame:
    return compute_pipeline_changes(data.deals, data.settings, data.change_log)


def pipeline_changes_json(df: pd.DataFrame) -> dict[str, Any]:
    """The ``pipeline_changes`` object of the JSON contract.

    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> out = pipeline_changes_json(compute_pipeline_changes(frames.make_deals([]), s, None))
    >>> out["from"], out["to"], out["rows"][0]["owner"], out["rows"][0]["new"], out["deals"]
    ('2026-12-04', '2026-12-04', None, 0, [])
    """
    rows = df[df[SECTION] == "rows"]
    deals = df[df[SECTION] == "deals"]
    return {
        "from": rows["from"].iloc[0],
        "to": rows["to"].iloc[0],
        "rows": json_rows(rows, ROW_KEYS),
        "deals": json_rows(deals, DEAL_KEYS) if len(deals) else [],
    }


# -- the tab -----------------------------------------------------------------------------------

TITLE = Label("パイプライン増減", "Pipeline changes")
LABELS: dict[str, Label] = {
    "start": Label("開始", "Start"),
    "new": Label("新規", "New"),
    "pulled_in": Label("前倒し", "Pulled in"),
    "increased": Label("増額", "Increased"),
    "decreased": Label("減額", "Decreased"),
    "slipped": Label("期ズレ", "Slipped"),
    "won": Label("受注", "Won"),
    "lost": Label("失注", "Lost"),
    "removed": Label("削除・除外", "Removed"),
    "end": Label("終了", "End"),
}
CARRIED = Label("繰越", "carried over")
WINDOW_NOTE = Label("パイプライン増減 {period}: {start} → {end}（{days}日間）",
                    "Pipeline changes {period}: {start} → {end} ({days} days)")
SHORT_NOTE = Label(
    "履歴不足: 変更履歴は{start}からのため、設定の{asked}（{days}日前）ではなく{start}からの増減",
    "History too short: changes are known from {start}, so this starts there, not on {asked} "
    "({days} days before)")
#: the chart shows the flows only — next to the start and end (hundreds of millions) a
#: week's movements would be invisible; start and end are the table's first and last rows
CHART_TITLE = Label("{period} パイプラインの増減内訳（チーム・{start}→{end}）",
                    "{period} pipeline changes by kind (team, {start} → {end})")
#: ¥ with a sign: ▲ reads as minus in a Japanese report; nothing for zero
_SIGNED = {"ja": '¥#,##0;"▲¥"#,##0;"-"', "en": '¥#,##0;-¥#,##0;"-"'}
#: a push count; none pushed reads as blank
_PUSHES = {"ja": '0"回";-0"回";""', "en": '0;-0;""'}
#: the bridge (left): bucket label, the team, then one column per owner (their names)
BRIDGE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("label", "区分", "Bucket", "text", 18),
    ColumnSpec("team", "チーム合計", "Team", "money", 15, _SIGNED),
)
#: the deal list (right of the bridge)
DEAL_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("d_bucket", "増減区分", "Change", "text", 14),
    ColumnSpec("d_owner", "担当者", "Owner", "text", 10),
    ColumnSpec("d_amount", "増減額", "Amount", "money", 15, _SIGNED),
    ColumnSpec("d_deal_id", "案件ID", "Deal ID", "text", 12),
    ColumnSpec("d_deal_name", "案件名", "Deal name", "text", 22),
    ColumnSpec("d_client", "顧客名", "Client", "text", 18),
    ColumnSpec("d_stage_before", "フェーズ（前）", "Stage before", "text", 11),
    ColumnSpec("d_stage_after", "フェーズ（後）", "Stage after", "text", 11),
    ColumnSpec("d_amount_before", "金額（前）", "Amount before", "money", 13),
    ColumnSpec("d_amount_after", "金額（後）", "Amount after", "money", 13),
    ColumnSpec("d_close_before", "受注予定日（前）", "Close before", "date", 12),
    ColumnSpec("d_close_after", "受注予定日（後）", "Close after", "date", 12),
    ColumnSpec("d_pushes", "延期回数", "Close pushes", "int", 8, _PUSHES),
)
#: every fixed column of the tab (owners' columns are named after them)
TAB_COLUMNS: tuple[ColumnSpec, ...] = BRIDGE_COLUMNS + DEAL_COLUMNS
#: blank rows under the bridge for its chart (≈ 300 px)
CHART_ROWS = 16


def _date_text(iso: str) -> str:
    return iso.replace("-", "/")


def _short_date(iso: str) -> str:
    """``2026-11-27`` → ``11/27``: what the waterfall's first and last rows are dated."""
    return iso[5:].replace("-", "/")


def _bridge(rows: pd.DataFrame, lang: Language) -> list[list[Any]]:
    """The waterfall read top to bottom: start, the inflows, the outflows (negative), end;
    the team's column, then each owner's."""
    records = rows.to_dict("records")
    first = records[0]
    start = f"{LABELS['start'](lang)} {_short_date(first['from'])}"
    end = f"{LABELS['end'](lang)} {_short_date(first['to'])}"
    out = [[start, *(r["start"] for r in records)]]
    for b in BUCKETS:
        sign = 1 if b in INFLOWS else -1
        out.append([LABELS[b](lang), *(sign * int(r[b]) for r in records)])
    out.append([end, *(r["end"] for r in records)])
    return out


def _deal_cells(d: dict[str, Any], context: TabContext, lang: Language) -> list[Any]:
    bucket = d["bucket"]
    label = LABELS[bucket](lang)
    if (bucket == "pulled_in" and d["expected_close_before"] is not None
            and d["expected_close_before"] == d["expected_close_after"]):
        label += f"（{CARRIED(lang)}）" if lang == "ja" else f" ({CARRIED(lang)})"
    stages = context.stage_labels

    def stage(value: Any, known: Any) -> Any:
        return stages.get(known, known) if known is not None else value

    row = d["_row"]
    deal_id = d["deal_id"]
    return [
        label,
        d["owner"],
        (1 if bucket in INFLOWS else -1) * int(d["amount"]),
        Link(text=deal_id, tab=context.register_tab, cell=f"A{int(row)}") if row else deal_id,
        d["deal_name"],
        d["client"],
        stage(d["shown_stage_before"], d["stage_before"]),
        stage(d["shown_stage_after"], d["stage_after"]),
        d["shown_amount_before"],
        d["shown_amount_after"],
        d["shown_close_before"],
        d["shown_close_after"],
        d["pushes"],
    ]


def pipeline_changes_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """パイプライン増減 / Pipeline changes: the waterfall top left (a bucket per row; the team's
    column, then each owner's), its chart under it, the deal list on the right.

    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> tab = pipeline_changes_tab(compute_pipeline_changes(frames.make_deals([]), s, None),
    ...                            TabContext(language="en", note="As of 2026-12-04"))
    >>> [r[:2] for r in tab.rows[:3]], tab.chart.data_rows
    ([['Start 12/04', 0], ['New', 0], ['Pulled in', 0]], (1, 9))
    >>> tab.chart.title
    'FY2026-Q3 pipeline changes by kind (team, 12/04 → 12/04)'
    >>> tab.note.split(" · ")[1]
    'Pipeline changes FY2026-Q3: 2026/12/04 → 2026/12/04 (0 days)'
    """
    lang = check_language(context.language)
    rows = df[df[SECTION] == "rows"]
    deals = df[df[SECTION] == "deals"].to_dict("records")
    owners = [o for o in rows["owner"].tolist()[1:]]
    left = columns(BRIDGE_COLUMNS, lang)
    left += [Column(f"owner_{i}", name, "money", max(15.0, 2.0 * len(name) + 2),
                    _SIGNED[lang]) for i, name in enumerate(owners)]
    right = columns(DEAL_COLUMNS, lang)
    gap = Column("gap", "", "text", 2)
    bridge = _bridge(rows, lang)
    chart_at = len(bridge) + 1
    height = max(chart_at + CHART_ROWS, len(deals))
    body: list[list[Any]] = []
    for i in range(height):
        line = bridge[i] if i < len(bridge) else [None] * len(left)
        line = [*line, None]
        if i < len(deals):
            line += _deal_cells(deals[i], context, lang)
        body.append(line)
    first = rows.iloc[0]
    start, end, asked = first["from"], first["to"], first["asked"]
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
    note = WINDOW_NOTE(lang).format(period=first["period"], start=_date_text(start),
                                    end=_date_text(end), days=days)
    if start > asked:
        note += (" ・ " if lang == "ja" else " · ") + SHORT_NOTE(lang).format(
            start=_date_text(start), asked=_date_text(asked),
            days=(dt.date.fromisoformat(end) - dt.date.fromisoformat(asked)).days)
    if context.note:
        note = context.note + (" ・ " if lang == "ja" else " · ") + note
    width = sum((c.width or 10) * 7 + 5 for c in left)
    chart = ChartSpec(
        title=CHART_TITLE(lang).format(period=first["period"], start=_short_date(start),
                                       end=_short_date(end)),
        category_column="label",
        series_columns=("team",),
        data_rows=(1, len(bridge) - 1),
        anchor=(chart_at, 0),
        width_px=int(min(max(width, 360), 760)),
        height_px=300,
    )
    limit = first["push_limit"]
    return TabSpec(
        name=TITLE(lang),
        columns=[*left, gap, *right],
        rows=body,
        note=note,
        conditional=[CondFormat(column="d_pushes", op="ge", value=float(limit), fill=AMBER)],
        chart=chart,
    )


REPORT = Report(key="pipeline_changes", title=TITLE, compute=_compute,
                json_rows=pipeline_changes_json, tab=pipeline_changes_tab)
