"""ファネル (Funnel & calibration): where deals move on, stall or are lost, and whether they
win as often as their probability says.

The report module: its table, its JSON rows (``funnel`` and, from :mod:`.calibration`,
``calibration``) and its tab. Exact definitions: docs/definitions.md, "ファネル". Everything
comes from what sheetsync observed — each deal's stage path (:mod:`sheetsync.stage_paths`:
the stage of its first sighting, then every change of stage a run saw) — never from dates a
rep typed about the past.

Per open stage of the schema, in its order (保留 and any other hold stage is not a step: see
:func:`~.calibration.funnel_stages`), for the team, per rep and per lead source:

- ``entered``: deals sheetsync saw in the stage (first sighting there, or a move into it) on
  a day in 受注率's window — a deal once, even if it came back;
- of those, ``advanced``: seen later in a later stage or 受注; ``lost``: not advanced and now
  失注; ``still_open``: neither (open — parked in 保留 or moved back included);
- ``conversion`` = advanced / (advanced + lost), with its Wilson 95 % bounds;
- of the same deals, ``won_later``: now 受注; ``lost_later``: now 失注 (whether they were lost
  in the stage or after moving on; parked in 保留 and then lost included) — and
  ``win_rate_from_stage`` = won_later / (won_later + lost_later), with its Wilson 95 % bounds:
  of the deals seen at the stage that have since closed, the share won. What
  ``forecast.probabilities: observed`` weights an open deal at the stage with
  (:func:`observed_stage_rates`: the team's rate, once :data:`MIN_OBSERVED` deals closed;
  ``in_forecast`` marks those team rows — false on every row by default);
- ``median_days``: the median length of the stays in the stage sheetsync saw begin (a move
  into it) and end (a move out of it, 保留 included), begun in the window (``median_days_n``
  stays);
- ``days_to_won``: the median days from a deal's first move into the stage (seen, not its
  first sighting) to its move to 受注, over the deals won with 完了日 in the window
  (``days_to_won_n``). ``stale.unrealistic_close`` compares 受注予定日 with the team's figure.

Days count between the runs that saw the moves (a weekly schedule measures in weeks). A
deal's rep and lead source are today's. A deal removed from the register leaves the funnel.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.metrics import frames
from sheetsync.metrics.probability import deal_probability
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.metrics.stats import wilson_interval
from sheetsync.reports.base import (
    AMBER,
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
from sheetsync.reports.calibration import (
    CALIBRATION_KEYS,
    compute_calibration,
    funnel_stages,
)
from sheetsync.reports.win_rate import window_start
from sheetsync.schema import Label
from sheetsync.stage_paths import SeenPath, Step, steps_of
from sheetsync.tabspec import CondFormat, PageSetup, TabSpec

#: the JSON contract's keys (``funnel`` rows), in order
FUNNEL_KEYS: dict[str, JsonKind] = {
    "dimension": "text",
    "key": "text",
    "stage": "text",
    "entered": "int",
    "advanced": "int",
    "lost": "int",
    "still_open": "int",
    "conversion": "float",
    "wilson_low": "float",
    "wilson_high": "float",
    "median_days": "float",
    "median_days_n": "int",
    "days_to_won": "float",
    "days_to_won_n": "int",
    "won_later": "int",
    "lost_later": "int",
    "win_rate_from_stage": "float",
    "win_rate_from_stage_wilson_low": "float",
    "win_rate_from_stage_wilson_high": "float",
    "in_forecast": "bool",
}
#: the funnel's rates, each with its Wilson bounds: (rate, its numerator, the other
#: outcome that makes its denominator, low, high)
_RATES = (("conversion", "advanced", "lost", "wilson_low", "wilson_high"),
          ("win_rate_from_stage", "won_later", "lost_later",
           "win_rate_from_stage_wilson_low", "win_rate_from_stage_wilson_high"))
#: fewer observed changes of stage than this in the window: the tab says the history is
#: too short (its figures stay, blank where nothing was observed)
MIN_TRANSITIONS = 10
#: ``unrealistic_close`` needs the team's days to 受注 from at least this many won deals
MIN_WON_FOR_MEDIAN = 5
#: ``forecast.probabilities: observed`` uses a stage's win rate from the stage once this many
#: deals seen at it have since closed (the team's ``won_later`` + ``lost_later``)
MIN_OBSERVED = 20
_OUTCOMES = ("advanced", "lost", "still_open")
_CLOSES = ("won_later", "lost_later")


# -- each deal's journey ---------------------------------------------------------------------


@dataclass
class Journey:
    """What one deal's path says: per stage entered in the window, its outcome; the stays
    seen begin and end (stage, days); the days from a stage to 受注 (stage, days); how it
    closed in the end (``won_later`` or ``lost_later``; None while open)."""

    owner: str | None
    source: str | None
    entries: list[tuple[str, str]] = field(default_factory=list)
    stays: list[tuple[str, int]] = field(default_factory=list)
    to_won: list[tuple[str, int]] = field(default_factory=list)
    transitions: int = 0
    closed: str | None = None


@dataclass
class Journeys:
    """The deals' journeys: one :class:`Journey` per deal seen in two stages or more
    (``moved``), and the deals seen in one open stage only — in the window, still there —
    counted per (rep, lead source, stage) (``still``: most deals, no object each)."""

    moved: list[Journey] = field(default_factory=list)
    still: Counter[tuple[str | None, str | None, str]] = field(default_factory=Counter)

    @property
    def transitions(self) -> int:
        return sum(j.transitions for j in self.moved)


def journeys(deals: pd.DataFrame, settings: MetricsSettings,
             paths: list[SeenPath] | None = None) -> Journeys:
    """The deals' :class:`Journeys` (``paths``: their :func:`~sheetsync.stage_paths.steps_of`,
    when known already)."""
    order = {s: i for i, s in enumerate(funnel_stages(settings))}
    start = window_start(settings.as_of, settings.window_months)
    window_day = start.toordinal()
    closed_on = frames.dates(deals, "closed_on")
    won_inside = ((closed_on >= pd.Timestamp(start))
                  & (closed_on <= pd.Timestamp(settings.as_of))).tolist()
    owners = frames.text(deals, "owner").tolist()
    sources = frames.text(deals, "lead_source").tolist()
    out = Journeys()
    won_rank = len(order)  # 受注 is past every stage
    for i, seen in enumerate(steps_of(deals, settings.as_of) if paths is None else paths):
        steps = seen.steps
        if len(steps) == 1:  # seen in one stage only (most deals): still there, if open
            if steps[0].stage in order and seen.day(0) >= window_day:
                out.still[(owners[i], sources[i], steps[0].stage)] += 1
        elif steps:
            out.moved.append(_journey(steps, window_day - seen.first_day, order, settings,
                                      won_rank, won_inside[i], owners[i], sources[i]))
    return out


def _journey(steps: tuple[Step, ...], start: int, order: Mapping[str, int],
             settings: MetricsSettings, won_rank: int, won_inside: bool, owner: str | None,
             source: str | None) -> Journey:
    """One deal's journey; ``start``: the window's first day, as an offset from the deal's
    first sighting (the days of ``steps``)."""
    stages = [s.stage for s in steps]
    offsets = [s.offset for s in steps]
    won_stages = settings.won_stages
    first: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage in order and stage not in first:
            first[stage] = i
    # the furthest stage seen after each step (受注 furthest of all), in one pass backwards
    n = len(stages)
    after = [-1] * n
    for i in range(n - 2, -1, -1):
        nxt = stages[i + 1]
        reach = won_rank if nxt in won_stages else order.get(nxt, -1)
        after[i] = after[i + 1] if after[i + 1] > reach else reach
    final = stages[-1]
    lost = final in settings.lost_stages
    entries = [(stage, "advanced" if after[i] > order[stage] else
                "lost" if lost else "still_open")
               for stage, i in first.items() if offsets[i] >= start]
    stays = [(stages[i], offsets[i + 1] - offsets[i]) for i in range(1, n - 1)
             if offsets[i] >= start and stages[i] in order]
    transitions = sum(1 for i in range(1, n) if offsets[i] >= start)
    to_won = ([(stage, offsets[-1] - offsets[i]) for stage, i in first.items() if i >= 1]
              if won_inside and final in won_stages else [])
    # how it ended, for every stage entered (once each, however often it came back): the
    # path's last step — a deal lost, reopened and won is won; parked, then lost, is lost
    closed = "won_later" if final in won_stages else "lost_later" if lost else None
    return Journey(owner, source, entries, stays, to_won, transitions, closed)


# -- the funnel table ------------------------------------------------------------------------


def compute_funnel(deals: pd.DataFrame, settings: MetricsSettings) -> pd.DataFrame:
    """The funnel table: columns :data:`FUNNEL_KEYS`; the team (``dimension`` "total", key
    None), then per rep by name, then per lead source (the schema's order, unknown ones
    after, a blank 流入経路 as key None last) — each with one row per funnel stage. A rep or
    source appears once one of its deals entered a stage or was won in the window.

    >>> from sheetsync.stage_paths import STEPS_COLUMN, seen_path
    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> day = dt.date(2026, 11, 1)
    >>> d = frames.make_deals([
    ...     {"owner": "佐藤", "stage": "won", "closed_on": "2026-11-20",
    ...      STEPS_COLUMN: seen_path("lead;proposal:5;won:19@,", day)},
    ...     {"owner": "佐藤", "stage": "lost", "closed_on": "2026-11-20",
    ...      STEPS_COLUMN: seen_path("proposal;lost:19@,B", day)}])
    >>> row = compute_funnel(d, s).iloc[2]  # the team at 提案
    >>> row["stage"], int(row["entered"]), int(row["advanced"]), int(row["lost"])
    ('proposal', 2, 1, 1)
    >>> float(row["median_days"]), float(row["days_to_won"])
    (14.0, 14.0)
    """
    return _funnel_table(journeys(deals, settings), settings)


def _funnel_table(found: Journeys, settings: MetricsSettings) -> pd.DataFrame:
    stages = funnel_stages(settings)
    Key = tuple[str, str | None]
    outcomes: dict[Key, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(_OUTCOMES, 0)))
    closes: dict[Key, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(_CLOSES, 0)))
    stays: dict[Key, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    to_won: dict[Key, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))

    def groups(owner: str | None, source: str | None) -> list[Key]:
        keys: list[Key] = [("total", None), ("lead_source", source)]
        return keys if owner is None else [*keys, ("owner", owner)]

    for (owner, source, stage), n in found.still.items():
        for g in groups(owner, source):
            outcomes[g][stage]["still_open"] += n
    for j in found.moved:
        if not (j.entries or j.stays or j.to_won):
            continue
        for g in groups(j.owner, j.source):
            for stage, outcome in j.entries:
                outcomes[g][stage][outcome] += 1
                if j.closed is not None:
                    closes[g][stage][j.closed] += 1
            for stage, days in j.stays:
                stays[g][stage].append(days)
            for stage, days in j.to_won:
                to_won[g][stage].append(days)
    present = set(outcomes) | set(stays) | set(to_won)
    rank = {k: i for i, k in enumerate(settings.lead_sources)}
    order: list[Key] = [("total", None)]
    order += sorted(k for k in present if k[0] == "owner")  # type: ignore[type-var]
    order += sorted((k for k in present if k[0] == "lead_source" and k[1] is not None),
                    key=lambda k: (rank.get(k[1], len(rank)), k[1]))  # type: ignore[arg-type]
    if ("lead_source", None) in present:
        order.append(("lead_source", None))
    rows: list[dict[str, Any]] = []
    for dimension, key in order:
        g = (dimension, key)
        for stage in stages:
            counts = outcomes[g][stage]
            here, won = stays[g][stage], to_won[g][stage]
            rows.append({"dimension": dimension, "key": key, "stage": stage,
                         "entered": sum(counts.values()), **counts,
                         "median_days": _median(here), "median_days_n": len(here),
                         "days_to_won": _median(won), "days_to_won_n": len(won),
                         **closes[g][stage]})
    derived = {k for rate in _RATES for k in (rate[0], *rate[3:])} | {"in_forecast"}
    out = pd.DataFrame(rows, columns=[k for k in FUNNEL_KEYS if k not in derived])
    for rate, numerator, other, low, high in _RATES:
        hits = out[numerator].to_numpy(dtype="int64")
        resolved = hits + out[other].to_numpy(dtype="int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rate] = np.where(resolved > 0, hits / np.maximum(resolved, 1), np.nan)
        out[low], out[high] = wilson_interval(hits, resolved)
    out["in_forecast"] = _usable(out) & (settings.probabilities == "observed")
    for c in ("dimension", "key", "stage"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out[list(FUNNEL_KEYS)]


def _median(values: list[int]) -> float:
    return float(np.median(values)) if values else np.nan


# -- what the forecast takes from it ---------------------------------------------------------


def _usable(table: pd.DataFrame) -> np.ndarray:
    """The funnel rows whose ``win_rate_from_stage`` ``forecast.probabilities: observed``
    uses: the team's, once :data:`MIN_OBSERVED` deals seen at the stage have closed."""
    closed = (table["won_later"].to_numpy(dtype="int64")
              + table["lost_later"].to_numpy(dtype="int64"))
    return (table["dimension"] == "total").to_numpy() & (closed >= MIN_OBSERVED)


def observed_stage_rates(deals: pd.DataFrame, settings: MetricsSettings) -> dict[str, float]:
    """Per stage whose team funnel row is :func:`_usable`, its ``win_rate_from_stage`` in
    percent: what ``forecast.probabilities: observed`` weights that stage's open deals with.

    >>> import datetime as dt
    >>> from sheetsync.stage_paths import STEPS_COLUMN, seen_path
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> day = dt.date(2026, 11, 1)
    >>> d = frames.make_deals(  # 20 deals seen at 提案: 6 won from 交渉, 14 lost
    ...     [{"stage": "won", "closed_on": "2026-11-20",
    ...       STEPS_COLUMN: seen_path("proposal;negotiation:7;won:19@,", day)}] * 6
    ...     + [{"stage": "lost", "closed_on": "2026-11-20",
    ...         STEPS_COLUMN: seen_path("proposal;lost:19@,", day)}] * 14)
    >>> observed_stage_rates(d, s)
    {'proposal': 30.0}
    >>> observed_stage_rates(d.iloc[1:], s)  # 19 closed: not enough
    {}
    """
    # only a deal whose path ends in a close counts in won_later / lost_later: the funnel of
    # those alone has the team's figures, at a fraction of the cost
    paths = steps_of(deals, settings.as_of)
    closed = settings.closed_stages
    keep = [i for i, seen in enumerate(paths)
            if len(seen.steps) > 1 and seen.steps[-1].stage in closed]
    table = _funnel_table(journeys(deals.iloc[keep], settings, [paths[i] for i in keep]),
                          settings)
    mine = table[_usable(table)]
    return {str(k): float(v) * 100 for k, v in zip(mine["stage"], mine["win_rate_from_stage"],
                                                   strict=True)}


def weighted_probability(deals: pd.DataFrame, settings: MetricsSettings,
                         rates: Mapping[str, float] | None = None) -> pd.Series:
    """The probability the weighted forecast uses, in percent: with ``forecast.probabilities:
    observed``, an open deal (not on hold) at a stage with an observed rate
    (:func:`observed_stage_rates`, or ``rates``) takes that rate; every other deal keeps its
    probability (:func:`deal_probability`) — as every deal does by default.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4), probabilities="observed")
    >>> d = frames.make_deals([{"stage": "proposal", "rank": "A"}, {"stage": "quote"},
    ...                        {"stage": "won"}])
    >>> weighted_probability(d, s, {"proposal": 22.5, "won": 50.0}).tolist()
    [22.5, 60.0, 100.0]
    """
    probability = deal_probability(deals, settings)
    if settings.probabilities != "observed":
        return probability
    rates = observed_stage_rates(deals, settings) if rates is None else rates
    _, _, open_ = frames.stage_masks(deals, settings.won_stages, settings.lost_stages)
    open_ = open_ & ~frames.hold_mask(deals, settings.hold_stages)
    rate = frames.text(deals, "stage").map(dict(rates)).astype("float64")
    use = open_ & rate.notna().to_numpy()
    return probability.where(~use, rate)


def days_to_won(deals: pd.DataFrame, settings: MetricsSettings,
                minimum: int = MIN_WON_FOR_MEDIAN) -> dict[str, float]:
    """The team's median days from each funnel stage to 受注 (``days_to_won``), for the
    stages with at least ``minimum`` such won deals — what ``unrealistic_close`` compares
    受注予定日 with."""
    pooled: dict[str, list[int]] = defaultdict(list)
    for j in journeys(deals, settings).moved:
        for stage, days in j.to_won:
            pooled[stage].append(days)
    return {s: _median(d) for s, d in pooled.items() if len(d) >= minimum}


# -- the report's frame: funnel rows, calibration rows, and what the tab says --------------

TABLE = "table"  # the frame's column telling its tables apart


def compute_report(data: ReportInput) -> pd.DataFrame:
    """One frame for the tab and both JSON keys: the funnel rows (``table`` "funnel", with
    ``in_forecast`` on the team's stages whose win rate from the stage weights the forecast),
    the calibration rows ("calibration") and one "history" row (``transitions``: stage
    changes observed in the window)."""
    deals, settings = data.deals, data.settings
    paths = steps_of(deals, settings.as_of)
    found = journeys(deals, settings, paths)
    funnel = _funnel_table(found, settings).assign(**{TABLE: "funnel"})
    calibration = compute_calibration(deals, settings, paths).assign(**{TABLE: "calibration"})
    calibration = calibration.rename(columns={"wilson_low": "observed_low",
                                              "wilson_high": "observed_high"})
    history = pd.DataFrame({TABLE: ["history"],
                            "transitions": [found.transitions]})
    return pd.concat([funnel, calibration, history], ignore_index=True)


def _part(df: pd.DataFrame, table: str) -> pd.DataFrame:
    return df[df[TABLE] == table].reset_index(drop=True)


def funnel_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``funnel`` rows of the JSON contract."""
    return json_rows(_part(df, "funnel"), FUNNEL_KEYS)


def calibration_json(df: pd.DataFrame) -> dict[str, Any]:
    """``{"calibration": rows}`` of the JSON contract."""
    cal = _part(df, "calibration").drop(columns=["wilson_low", "wilson_high"]).rename(
        columns={"observed_low": "wilson_low", "observed_high": "wilson_high"})
    return {"calibration": json_rows(cal, CALIBRATION_KEYS)}


# -- the tab ---------------------------------------------------------------------------------

TITLE = Label("ファネル", "Funnel")
SECTIONS = {
    "total": Label("チーム", "Team"),
    "rank": Label("確度", "Confidence"),
    "owner": Label("担当者", "Owner"),
    "lead_source": Label("流入経路", "Lead source"),
}
TEAM = Label("チーム合計", "Team")
ALL_STAGES = Label("全フェーズ", "All stages")
BLANK = Label("（未入力）", "(blank)")
TOO_SHORT = Label(
    "履歴が短すぎます：sheetsync が観測したフェーズの変化はまだ {n} 件です。"
    "実行を重ねるにつれて数字が埋まります（空欄 = まだ観測がありません）",
    "History too short: sheetsync has observed {n} changes of stage so far. The figures "
    "fill in as runs accumulate (blank = nothing observed yet)")
READING = Label("{label}: 想定 {assumed} % / 実績 {observed} %（n={n}, {low}〜{high} %）",
                "{label}: assumed {assumed} % / observed {observed} % (n={n}, {low}–{high} %)")
NO_CLOSE = Label("{label}: 受注・失注の観測はまだありません", "{label}: no close observed yet")
NOTE_SEPARATOR = Label(" ・ ", " · ")
FROM_STAGE = Label("{rate} %（n={n}, {low}〜{high} %）", "{rate} % (n={n}, {low}–{high} %)")
#: after the win rate from the stage of a team row whose rate weights the forecast
IN_FORECAST = Label(" → 加重着地に使用", " → used for the weighted landing")
#: the tab's columns: the funnel, then the calibration of the same row, then its reading
TAB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("section", "区分", "Section", "text", 9),
    ColumnSpec("key", "対象", "Group", "text", 12),
    ColumnSpec("stage", "フェーズ", "Stage", "text", 10),
    ColumnSpec("entered", "流入", "Entered", "int", 7),
    ColumnSpec("advanced", "前進", "Advanced", "int", 7),
    ColumnSpec("lost", "失注", "Lost", "int", 7),
    ColumnSpec("still_open", "進行中", "Still open", "int", 7),
    ColumnSpec("conversion", "転換率", "Conversion", "ratio", 8),
    ColumnSpec("wilson_low", "下限(95%)", "Low (95%)", "ratio", 9),
    ColumnSpec("wilson_high", "上限(95%)", "High (95%)", "ratio", 9),
    ColumnSpec("from_stage", "受注率（このフェーズから）", "Win rate from stage", "text", 20),
    ColumnSpec("median_days", "滞留日数(中央値)", "Days in stage (median)", "number", 9),
    ColumnSpec("days_to_won", "受注まで(中央値)", "Days to won (median)", "number", 9),
    ColumnSpec("n", "終了件数", "Closed", "int", 8),
    ColumnSpec("assumed", "想定", "Assumed", "ratio", 8),
    ColumnSpec("observed", "実績", "Observed", "ratio", 8),
    ColumnSpec("observed_low", "実績 下限", "Obs. low", "ratio", 9),
    ColumnSpec("observed_high", "実績 上限", "Obs. high", "ratio", 9),
    ColumnSpec("brier", "ブライアスコア", "Brier score", "number", 8,
               {"ja": "0.000", "en": "0.000"}),
    ColumnSpec("reading", "読み方", "Reading", "text", 46),
)
_FUNNEL_CELLS = ("entered", "advanced", "lost", "still_open", "conversion", "wilson_low",
                 "wilson_high", "median_days", "days_to_won")
_CALIBRATION_CELLS = ("n", "assumed", "observed", "observed_low", "observed_high", "brier")


def _percent(value: float) -> str:
    """A fraction as whole percent, rounded half up (0.225 → 23)."""
    return str(Decimal(repr(float(value) * 100)).quantize(Decimal(1), ROUND_HALF_UP))


def reading(label: str, row: Mapping[str, Any], language: Language) -> str:
    """A calibration row as a manager reads it.

    >>> reading("提案", {"n": 41, "assumed": 0.4, "observed": 9 / 41,
    ...                  "observed_low": 0.1196, "observed_high": 0.3343}, "ja")
    '提案: 想定 40 % / 実績 22 %（n=41, 12〜33 %）'
    """
    if not row["n"]:
        return NO_CLOSE(language).format(label=label)
    return READING(language).format(
        label=label, n=int(row["n"]), assumed=_percent(row["assumed"]),
        observed=_percent(row["observed"]), low=_percent(row["observed_low"]),
        high=_percent(row["observed_high"]))


def from_stage(row: Mapping[str, Any], language: Language) -> str | None:
    """A funnel row's win rate from the stage as a manager reads it, with its n (the deals
    seen at the stage that have closed since) and Wilson interval — and, when the forecast
    weights the stage with it, says so; None while none of them has closed.

    >>> from_stage({"won_later": 6, "lost_later": 14, "win_rate_from_stage": 0.3,
    ...             "win_rate_from_stage_wilson_low": 0.1455,
    ...             "win_rate_from_stage_wilson_high": 0.5190, "in_forecast": True}, "ja")
    '30 %（n=20, 15〜52 %） → 加重着地に使用'
    """
    n = int(row["won_later"]) + int(row["lost_later"])
    if not n:
        return None
    text = FROM_STAGE(language).format(
        rate=_percent(row["win_rate_from_stage"]), n=n,
        low=_percent(row["win_rate_from_stage_wilson_low"]),
        high=_percent(row["win_rate_from_stage_wilson_high"]))
    return text + (IN_FORECAST(language) if row["in_forecast"] else "")


def funnel_tab(df: pd.DataFrame, context: TabContext) -> TabSpec:
    """ファネル / Funnel: the team's funnel — each stage's conversion, win rate from the
    stage (:func:`from_stage`) and days — with that stage's calibration beside it and the
    team's total under it, then the calibration per 確度, then each rep's funnel with their
    calibration under it, then each lead source's funnel. While the history is too short,
    the note row says so.

    >>> import datetime as dt
    >>> s = MetricsSettings.default(dt.date(2026, 12, 4))
    >>> tab = funnel_tab(compute_report(ReportInput(frames.make_deals([]), s)),
    ...                  TabContext(language="en", stage_labels={"lead": "Lead"}))
    >>> tab.note[:60]
    'History too short: sheetsync has observed 0 changes of stage'
    >>> tab.rows[0][:4], tab.rows[0][-1]
    (['Team', 'Team', 'Lead', 0], 'Lead: no close observed yet')
    """
    lang = check_language(context.language)
    cols = columns(TAB_COLUMNS, lang)
    stages, sources = dict(context.stage_labels), dict(context.source_labels)
    funnel = _part(df, "funnel")
    cal = _part(df, "calibration")
    history = _part(df, "history")
    transitions = int(history["transitions"].iloc[0]) if len(history) else 0
    cal_rows = {(d, k): r for d, k, r in zip(cal["dimension"], cal["key"],
                                             cal.to_dict("records"), strict=True)}
    lines: list[dict[str, Any]] = []

    def line(section: str, key: str | None, stage: str | None,
             row: Mapping[str, Any] | None = None, calibrated: Mapping[str, Any] | None = None,
             label: str | None = None) -> None:
        cells: dict[str, Any] = {"section": SECTIONS[section](lang), "key": key,
                                 "stage": stage}
        if row is not None:
            cells.update({c: row[c] for c in _FUNNEL_CELLS})
            cells["from_stage"] = from_stage(row, lang)
        if calibrated is not None:
            cells.update({c: calibrated[c] for c in _CALIBRATION_CELLS})
            cells["reading"] = reading(label or "", calibrated, lang)
        lines.append(cells)

    def stage_label(value: str) -> str:
        return stages.get(value, value)

    shown = set()
    for row in _group(funnel, "total", None):
        cal_row = cal_rows.get(("stage", row["stage"]))
        shown.add(row["stage"])
        line("total", TEAM(lang), stage_label(row["stage"]), row, cal_row,
             stage_label(row["stage"]))
    for (d, k), cal_row in cal_rows.items():  # a stage closed from, no longer in the schema
        if d == "stage" and k not in shown:
            line("total", TEAM(lang), stage_label(k), None, cal_row, stage_label(k))
    if ("total", None) in cal_rows:
        line("total", TEAM(lang), ALL_STAGES(lang), None, cal_rows[("total", None)],
             ALL_STAGES(lang))
    for (d, k), cal_row in cal_rows.items():
        if d == "rank":
            name = k if k is not None else BLANK(lang)
            line("rank", name, None, None, cal_row,
                 SECTIONS["rank"](lang) + ("" if lang == "ja" else " ") + name)
    owners = sorted({k for k in funnel.loc[funnel["dimension"] == "owner", "key"]}
                    | {k for d, k in cal_rows if d == "owner"})
    for owner in owners:
        for row in _group(funnel, "owner", owner):
            line("owner", owner, stage_label(row["stage"]), row)
        if ("owner", owner) in cal_rows:
            line("owner", owner, ALL_STAGES(lang), None, cal_rows[("owner", owner)], owner)
    for key in _keys(funnel, "lead_source"):
        name = sources.get(key, key) if key is not None else BLANK(lang)
        for row in _group(funnel, "lead_source", key):
            line("lead_source", name, stage_label(row["stage"]), row)

    table = pd.DataFrame(lines, columns=[c.key for c in TAB_COLUMNS])
    note = context.note
    if transitions < MIN_TRANSITIONS:  # in the note row: a long text there widens no column
        short = TOO_SHORT(lang).format(n=transitions)
        note = f"{note}{NOTE_SEPARATOR(lang)}{short}" if note else short
    return TabSpec(
        name=TITLE(lang),
        columns=cols,
        rows=records(table, cols),
        note=note,
        conditional=[
            # assumed above what was observed (optimistic), or below it (pessimistic)
            CondFormat(column="assumed", op="gt", threshold_column="observed_high",
                       fill=AMBER),
            CondFormat(column="assumed", op="lt", threshold_column="observed_low",
                       fill=YELLOW),
        ],
        freeze_columns=3,
        # about 20 columns: at natural size over pages across, each repeating the three
        # columns that say which row it is
        page=PageSetup(orientation="landscape", fit_width=0),
    )


def _group(funnel: pd.DataFrame, dimension: str, key: str | None) -> list[dict[str, Any]]:
    mine = funnel[(funnel["dimension"] == dimension)
                  & (funnel["key"].isna() if key is None else funnel["key"] == key)]
    return mine.to_dict("records")


def _keys(funnel: pd.DataFrame, dimension: str) -> Iterable[str | None]:
    keys = funnel.loc[funnel["dimension"] == dimension, "key"].tolist()
    return list(dict.fromkeys(None if k is None or k != k else k for k in keys))


REPORT = Report(key="funnel", title=TITLE, compute=compute_report, json_rows=funnel_rows,
                tab=funnel_tab, more_json=calibration_json)

__all__ = ["CALIBRATION_KEYS", "FUNNEL_KEYS", "MIN_OBSERVED", "REPORT", "TAB_COLUMNS",
           "compute_funnel", "days_to_won", "from_stage", "funnel_rows", "funnel_tab",
           "journeys", "observed_stage_rates", "weighted_probability"]
