"""Read the 目標 (targets) tab: 期間 / 担当者 / 目標金額 → a targets frame plus issues.

Cells are located and reported exactly like register cells. Period labels are parsed (and
brought to the forecast's granularity) by :func:`sheetsync.metrics.targets.map_targets`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

import pandas as pd

from .a1 import rowcol_to_a1
from .coerce import CoercionError, parse_money, parse_text
from .grid import Grid
from .headers import map_headers
from .issues import Issue
from .messages import render
from .metrics.targets import map_targets
from .names import canonical
from .schema import Field, Label
from .textnorm import is_blank
from .validate import display_value

TARGET_FIELDS: tuple[Field, ...] = (
    Field("period", Label("期間", "Period"), "string", aliases=("対象期間", "年月", "四半期"),
          required=True),
    Field("owner", Label("担当者", "Owner"), "string", aliases=("営業担当", "担当", "Rep")),
    Field("target", Label("目標金額", "Target"), "money",
          aliases=("目標", "予算", "ノルマ", "Quota", "Target amount"), required=True),
)
TARGETS_TITLE = Label("目標", "Targets")


def read_targets(
    grid: Grid | None,
    *,
    language: str = "ja",
    fiscal_year_start_month: int = 4,
    period: Literal["quarter", "month"] = "quarter",
    owner_spellings: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Targets at the forecast granularity (columns ``period, owner, target``) and issues.

    A missing tab means no targets (every target column of the forecast is empty).
    ``owner_spellings`` (:func:`sheetsync.names.spellings` of the register) makes 担当者 the
    register's spelling of the same rep (``佐藤　健`` → ``佐藤 健``), before duplicates are
    looked for.
    """
    empty = pd.DataFrame({"period": pd.Series(dtype=object), "owner": pd.Series(dtype=object),
                          "target": pd.Series(dtype="Int64")})
    if grid is None:
        return empty, []
    header, issues = map_headers(grid, TARGET_FIELDS, language)
    if header is None or not {"period", "target"} <= set(header.columns):
        return empty, issues
    records = []
    pcol, tcol = header.columns["period"], header.columns["target"]
    ocol = header.columns.get("owner")
    target_label = header.labels["target"]
    for sheet_row, row in enumerate(grid.rows[header.row:], start=header.row + 1):
        cells = [row[c] if c < len(row) else None for c in (pcol, tcol)]
        owner = row[ocol] if ocol is not None and ocol < len(row) else None
        if all(is_blank(v) for v in cells):
            continue
        raw_period, raw_target = cells
        if is_blank(raw_period):
            issues.append(_issue("required", grid.name, sheet_row, pcol, header.labels["period"],
                                 raw_period, language))
            continue
        try:
            amount = parse_money(raw_target) if not is_blank(raw_target) else None
        except CoercionError as exc:
            issues.append(_issue(exc.code, grid.name, sheet_row, tcol, target_label, raw_target,
                                 language, **exc.params))
            continue
        if amount is None:
            issues.append(_issue("required", grid.name, sheet_row, tcol, target_label,
                                 raw_target, language))
            continue
        name = None if is_blank(owner) else parse_text(owner)
        if name is not None and owner_spellings:
            name = canonical([name], owner_spellings)[0]
        records.append({
            "period": _period_text(raw_period),
            "owner": name,
            "target": amount,
            "_row": sheet_row,
            "_cell": rowcol_to_a1(sheet_row, pcol + 1),
        })
    if not records:
        return empty, issues
    frame = pd.DataFrame.from_records(records)
    mapped, period_issues = map_targets(
        frame, fiscal_year_start_month=fiscal_year_start_month, period=period, tab=grid.name,
        language=language,
    )
    return mapped, issues + period_issues


def _period_text(value: object) -> str:
    """A period label; a date cell on the 1st is the month it starts (Excel turns a typed
    ``2026/10`` into the date 2026-10-01)."""
    if isinstance(value, dt.date) and value.day == 1 and (
            not isinstance(value, dt.datetime) or value.time() == dt.time()):
        return f"{value.year}-{value.month:02d}"
    return parse_text(value)


def _issue(code: str, tab: str, row: int, col: int, column: str, value: object, language: str,
           **params: object) -> Issue:
    return Issue(
        code=code,
        message=render(code, language, value=display_value(value), column=column,  # type: ignore[arg-type]
                       **params),
        tab=tab,
        cell=rowcol_to_a1(row, col + 1),
        row=row,
        column=column,
        value=value,
    )
