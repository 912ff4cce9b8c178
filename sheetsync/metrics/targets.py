"""Targets at the forecast's granularity.

The 目標 tab may give targets per month, per quarter or per fiscal year. :func:`map_targets`
brings them to the forecast granularity and returns the problems as :class:`Issue` values:

- ``period: quarter``: monthly targets are summed into their quarter (the months given; a
  missing month adds nothing); quarterly targets are used as they are.
- ``period: month``: a quarterly target cannot be split into months: it is dropped and
  reported (``target_not_splittable``, an error: the forecast shows no target for it).
- A yearly (``FY2026``) or half-year (``FY2026-H1``, 上期/下期) target is never split: it stays
  keyed ``FY2026`` / ``FY2026-H1`` in the result, the target of the forecast's year or half
  row (:func:`rollup_targets` fills the ones not given from their parts).
- A half or year target given alongside every one of its parts with another total is a
  warning (``target_mismatch``): the explicit target is the one shown.
- The same period and owner twice (``FY2026-Q3`` and ``2026年度Q3`` are the same period) is an
  error reported once (``target_duplicate``); none of those rows is used, and a quarter that
  would sum a duplicated month is left without a target too — a wrong target is worse than
  none. A quarter given both directly and as months is ``target_mixed_granularity``, likewise
  unused.
- A label that does not parse is reported with the :class:`PeriodError` code; a row without a
  target amount is ignored (the 目標 tab parser reports it).

Owner: ``None`` or blank is the team target; other names are matched as written (trimmed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from sheetsync.issues import Issue, Severity
from sheetsync.metrics.periods import (
    Period,
    PeriodError,
    half_period,
    parse_period,
    period_error_message,
    period_of,
    year_period,
    year_periods,
)

_TEAM_LABEL = {"ja": "チーム", "en": "team"}
_PERIOD_LABEL = {"ja": "期間", "en": "Period"}
_MESSAGES = {
    "target_duplicate": {
        "ja": "期間 {period}・担当者 {owner} の目標が {count} 行あります（{rows}）。"
        "どれも使いません。1行にまとめてください",
        "en": "{count} target rows for period {period}, owner {owner} ({rows}); none is used — "
        "keep one row",
    },
    "target_not_splittable": {
        "ja": "四半期の目標 {period} は月に按分できません（予測は月単位です）。"
        "月ごとの目標を入力してください",
        "en": "quarterly target {period} cannot be split into months (forecast period is month); "
        "give one target per month",
    },
    "target_mixed_granularity": {
        "ja": "{period}・担当者 {owner} の目標が四半期と月の両方で入力されています（{rows}）。"
        "どちらも使いません",
        "en": "target for {period}, owner {owner} is given both per quarter and per month "
        "({rows}); neither is used",
    },
    "target_mismatch": {
        "ja": "{period}・担当者 {owner} の目標 {given} が {parts} の合計 {total} と一致しません。"
        "{period} には入力された {given} を表示します",
        "en": "the {period} target for owner {owner} is {given}, but {parts} add up to {total}; "
        "{given} is shown for {period}",
    },
}


def _message(code: str, language: str, **params: Any) -> str:
    templates = _MESSAGES[code]
    return templates.get(language, templates["en"]).format(**params)


def _owner(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    name = str(value).strip()
    return name or None


def _rows_text(rows: list[Any], language: str) -> str:
    known = [str(r) for r in rows if r is not None]
    if not known:
        return "-"
    return ("行 " if language == "ja" else "rows ") + ", ".join(known)


def map_targets(
    targets: pd.DataFrame | None,
    *,
    fiscal_year_start_month: int = 4,
    period: Literal["quarter", "month"] = "quarter",
    tab: str = "目標",
    language: str = "ja",
) -> tuple[pd.DataFrame, list[Issue]]:
    """Targets at ``period`` granularity: ``(DataFrame[period, owner, target], issues)``.

    ``targets`` has ``period`` (a label :func:`parse_period` accepts), ``owner`` (None for the
    team) and ``target`` (int); optional ``_row``/``_cell`` locate each row for the issues.
    The result is sorted by period then owner (team first) and is a fixed point: mapping it
    again gives the same table and no issues.

    >>> from sheetsync.metrics.frames import make_targets
    >>> t = make_targets([{"period": "2026-10", "target": 3},
    ...                   {"period": "2026年11月", "target": 4}])
    >>> df, issues = map_targets(t)
    >>> df.to_dict("records"), issues
    ([{'period': 'FY2026-Q3', 'owner': None, 'target': 7}], [])
    """
    issues: list[Issue] = []
    empty = pd.DataFrame(
        {
            "period": pd.Series([], dtype=object),
            "owner": pd.Series([], dtype=object),
            "target": pd.array([], dtype="Int64"),
        }
    )
    if targets is None or len(targets) == 0:
        return empty, issues
    label = _PERIOD_LABEL.get(language, "Period")
    team = _TEAM_LABEL.get(language, "team")

    def issue(code: str, message: str, row: Any, cell: Any, value: Any,
              severity: Severity = Severity.ERROR) -> Issue:
        return Issue(
            code=code,
            message=message,
            tab=tab,
            cell=cell,
            row=row,
            column=label,
            value=value,
            severity=severity,
            field="period",
        )

    # 1. parse every row; key rows by (canonical period, owner)
    by_key: dict[tuple[Period, str | None], list[tuple[int, Any, Any, Any]]] = defaultdict(list)
    has_row = "_row" in targets.columns
    has_cell = "_cell" in targets.columns
    for i, rec in enumerate(targets.to_dict("records")):
        row = int(rec["_row"]) if has_row and pd.notna(rec["_row"]) else None
        cell = rec["_cell"] if has_cell and isinstance(rec["_cell"], str) else None
        amount = rec.get("target")
        if amount is None or pd.isna(amount):
            continue
        try:
            p = parse_period(rec.get("period"), fiscal_year_start_month)
        except PeriodError as err:
            msg = period_error_message(err.code, err.params, language)
            issues.append(issue(err.code, msg, row, cell, rec.get("period")))
            continue
        by_key[(p, _owner(rec.get("owner")))].append((i, row, cell, int(amount)))

    # 2. duplicates: reported once per (period, owner); none of the rows is used
    poisoned: set[tuple[Period, str | None]] = set()
    clean: dict[tuple[Period, str | None], tuple[int, Any, Any, int]] = {}
    for (p, owner), items in sorted(by_key.items(), key=lambda kv: kv[1][0][0]):
        if len(items) > 1:
            rows = [it[1] for it in items]
            msg = _message(
                "target_duplicate",
                language,
                period=p.key,
                owner=owner or team,
                count=len(items),
                rows=_rows_text(rows, language),
            )
            issues.append(issue("target_duplicate", msg, items[0][1], items[0][2], p.key))
            poisoned.add((p, owner))
        else:
            clean[(p, owner)] = items[0]

    # 3. bring every target to the output granularity
    native: dict[tuple[Period, str | None], int] = {}
    from_months: dict[tuple[Period, str | None], list[tuple[int, Any, int]]] = defaultdict(list)
    blocked: set[tuple[Period, str | None]] = set()
    for (p, owner), (_, row, cell, amount) in sorted(clean.items(), key=lambda kv: kv[1][0]):
        if p.kind in ("year", "half") or p.kind == period:
            native[(p, owner)] = amount
        elif p.kind == "month":  # period == "quarter"
            q = period_of(p.start, "quarter", fiscal_year_start_month)
            from_months[(q, owner)].append((row, cell, amount))
        else:  # a quarter with period == "month"
            msg = _message("target_not_splittable", language, period=p.key)
            issues.append(issue("target_not_splittable", msg, row, cell, p.key))
    for p, owner in poisoned:
        if p.kind == "month" and period == "quarter":
            blocked.add((period_of(p.start, "quarter", fiscal_year_start_month), owner))
        else:
            blocked.add((p, owner))
    for key, parts in from_months.items():
        if key in native:
            rows = [clean[key][1], *(r for r, _, _ in parts)]
            msg = _message(
                "target_mixed_granularity",
                language,
                period=key[0].key,
                owner=key[1] or team,
                rows=_rows_text(rows, language),
            )
            issues.append(
                issue("target_mixed_granularity", msg, clean[key][1], clean[key][2], key[0].key)
            )
            blocked.add(key)
        else:
            native[key] = sum(a for _, _, a in parts)

    kept = sorted(
        ((p, owner, amount) for (p, owner), amount in native.items() if (p, owner) not in blocked),
        key=lambda t: (t[0], t[1] is not None, t[1] or ""),
    )
    # 4. a half/year given with all of its parts: the parts must add up to it
    usable = {(p.key, owner): amount for p, owner, amount in kept}
    mismatches: list[Issue] = []
    for p, owner, amount in kept:
        if p.kind not in ("year", "half") or (p, owner) not in clean:
            continue
        parts = _parts(p, fiscal_year_start_month, period)
        total = _explicit_total(usable, parts, owner, fiscal_year_start_month, period)
        if total is None or total == amount:
            continue
        _, row, cell, _ = clean[(p, owner)]
        msg = _message(
            "target_mismatch", language, period=p.key, owner=owner or team,
            given=_yen(amount), total=_yen(total), parts="・".join(q.key for q in parts)
            if language == "ja" else " + ".join(q.key for q in parts),
        )
        mismatches.append(issue("target_mismatch", msg, row, cell, p.key, Severity.WARNING))
    issues += sorted(mismatches, key=lambda i: i.row or 0)  # in the tab's order
    if not kept:
        return empty, issues
    out = pd.DataFrame(
        {
            "period": pd.Series([p.key for p, _, _ in kept], dtype=object),
            "owner": pd.Series([o for _, o, _ in kept], dtype=object),
            "target": pd.array([a for _, _, a in kept], dtype="Int64"),
        }
    )
    return out, issues


def _yen(amount: int) -> str:
    return f"¥{amount:,}"


def _parts(p: Period, start_month: int, period: Literal["quarter", "month"]) -> list[Period]:
    """What a half or year is the sum of: a year its two halves, a half its base periods."""
    if p.kind == "year":
        return [half_period(p.fiscal_year, h, start_month) for h in (1, 2)]
    return [q for q in year_periods(p.fiscal_year, start_month, period) if p.covers(q)]


def _explicit_total(
    given: Mapping[tuple[str, str | None], int],
    parts: Sequence[Period],
    owner: str | None,
    start_month: int,
    period: Literal["quarter", "month"],
) -> int | None:
    """Σ of ``parts``' targets for ``owner`` when every part has one (a half without its own
    target counts as the sum of its base periods, when all are given); else None."""
    total = 0
    for part in parts:
        value = given.get((part.key, owner))
        if value is None and part.kind == "half":
            value = _explicit_total(given, _parts(part, start_month, period), owner,
                                    start_month, period)
        if value is None:
            return None
        total += value
    return total


def rollup_targets(
    mapped: pd.DataFrame | None,
    fiscal_years: Iterable[int],
    *,
    fiscal_year_start_month: int = 4,
    period: Literal["quarter", "month"] = "quarter",
) -> dict[tuple[str, str | None], int]:
    """Targets of every base period, half and year of ``fiscal_years``, per owner and team
    (owner ``None``), from :func:`map_targets`' result. Only known targets are in the result.

    - an owner's base period: as given;
    - an owner's half: as given, else the sum of its base periods when every one has one;
      a year: as given, else the sum of its halves when both have one (given or summed);
    - the team (owner ``None``): its own row when given; else, when the team has a row of
      its own for a part of the period (a quarter of a half, say), the sum of its parts
      (each the team's own or summed the same way) when every part has one; else the sum of
      the owners' targets for the period (those known).

    >>> from sheetsync.metrics.frames import make_targets
    >>> t = make_targets([{"period": "FY2026-Q1", "owner": "佐藤", "target": 100},
    ...                   {"period": "FY2026-Q2", "owner": "佐藤", "target": 200},
    ...                   {"period": "2026年度下期", "owner": "佐藤", "target": 600}])
    >>> mapped, _ = map_targets(t)
    >>> r = rollup_targets(mapped, [2026])
    >>> r[("FY2026-H1", "佐藤")], r[("FY2026", "佐藤")], r[("FY2026", None)]
    (300, 900, 900)
    """
    sm = fiscal_year_start_month
    given: dict[tuple[str, str | None], int] = {}
    if mapped is not None and len(mapped):
        for key, owner, target in mapped[["period", "owner", "target"]].itertuples(
                index=False, name=None):
            if target is not None and not pd.isna(target):
                given[(str(key), _owner(owner))] = int(target)
    owners = sorted({o for _, o in given if o is not None})
    out: dict[tuple[str, str | None], int] = {}

    def put(key: str, owner: str | None, value: int | None) -> None:
        if value is not None:
            out[(key, owner)] = value

    def total(keys: Sequence[str], owner: str | None) -> int | None:
        values = [out.get((k, owner)) for k in keys]
        return None if any(v is None for v in values) else sum(values)  # type: ignore[misc]

    for fy in fiscal_years:
        bases = year_periods(fy, sm, period)
        halves = [half_period(fy, h, sm) for h in (1, 2)]
        year = year_period(fy, sm)
        halves_parts = [[b.key for b in bases if h.covers(b)] for h in halves]
        for owner in owners:
            for b in bases:
                put(b.key, owner, given.get((b.key, owner)))
            for h, parts in zip(halves, halves_parts):
                put(h.key, owner, given.get((h.key, owner), total(parts, owner)))
            put(year.key, owner, given.get((year.key, owner),
                                           total([h.key for h in halves], owner)))
        team_keys = {k for k, o in given if o is None}
        for p, parts in ([(b, []) for b in bases] + list(zip(halves, halves_parts))
                         + [(year, [h.key for h in halves])]):
            if (p.key, None) in given:
                put(p.key, None, given[(p.key, None)])
                continue
            inner = {q.key for q in (*bases, *halves) if p.covers(q) and q.key != p.key}
            if inner & team_keys:
                put(p.key, None, total(parts, None))
                continue
            by_owner = [out[(p.key, o)] for o in owners if (p.key, o) in out]
            put(p.key, None, sum(by_owner) if by_owner else None)
    return out
