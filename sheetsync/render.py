"""Terminal output: readable tables for people, JSON and GitHub annotations for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .issues import Issue, Report, Severity
from .validate import display_value

_T = {
    "severity": ("種別", "Severity"),
    "cell": ("セル", "Cell"),
    "column": ("列", "Column"),
    "value": ("入力値", "Value"),
    "problem": ("内容", "Problem"),
    "error": ("エラー", "error"),
    "warning": ("警告", "warning"),
    "period": ("期間", "Period"),
    "owner": ("担当者", "Owner"),
    "target": ("目標", "Target"),
    "won": ("受注", "Won"),
    "weighted": ("加重見込", "Weighted"),
    "forecast": ("予測", "Forecast"),
    "attainment": ("予測達成率", "Fcst / target"),
    "gap": ("不足", "Gap"),
    "team": ("チーム計", "Team"),
    "deal_id": ("案件ID", "Deal ID"),
    "client": ("顧客名", "Client"),
    "stage": ("フェーズ", "Stage"),
    "amount": ("金額", "Amount"),
    "days": ("未更新日数", "Days idle"),
    "reasons": ("理由", "Reasons"),
}
_REASONS = {
    "no_update": ("更新なし", "no update"),
    "overdue_close": ("受注予定日超過", "overdue close"),
    "no_next_action": ("次回アクションなし", "no next action"),
}


def t(key: str, language: str) -> str:
    ja, en = _T[key]
    return en if language == "en" else ja


def dumps(data: Any) -> str:
    """JSON for machines: UTF-8 text as is, stable key order, 2-space indent."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def summary_line(report: Report, tab: str, language: str) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    if language == "en":
        return (f"{tab}: {report.rows} rows · {errors} errors · {warnings} warnings · "
                f"{report.excluded_rows} rows excluded")
    return (f"{tab}: {report.rows}行 ・ エラー {errors}件 ・ 警告 {warnings}件 ・ "
            f"{report.excluded_rows}行を集計から除外")


def issues_table(issues: Sequence[Issue], language: str, limit: int | None = None) -> Table:
    """The issues as a terminal table: severity, cell, column, value as typed, problem."""
    table = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False, expand=False)
    table.add_column(t("severity", language), no_wrap=True)
    table.add_column(t("cell", language), no_wrap=True)
    table.add_column(t("column", language), no_wrap=True, max_width=14)
    table.add_column(t("value", language), max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column(t("problem", language), overflow="fold", ratio=1)
    shown = issues if limit is None else issues[:limit]
    for issue in shown:
        error = issue.severity is Severity.ERROR
        where = f"{issue.tab}!{issue.cell}" if issue.cell else issue.tab
        table.add_row(
            Text(t("error" if error else "warning", language),
                 style="bold red" if error else "yellow"),
            where,
            issue.column or "",
            display_value(issue.value),
            issue.message,
        )
    return table


def print_report(console: Console, report: Report, tab: str, language: str) -> None:
    """``sheetsync validate --format table``."""
    if report.issues:
        ordered = sorted(report.issues, key=lambda i: (i.severity is not Severity.ERROR,
                                                       i.tab != tab, i.row or 0))
        console.print(issues_table(ordered, language))
    style = "bold red" if report.errors else ("yellow" if report.warnings else "bold green")
    console.print(Text(summary_line(report, tab, language), style=style))


def github_annotations(report: Report, location: str) -> Iterable[str]:
    """GitHub Actions workflow commands, one per issue (``::error file=…,line=…::msg``)."""
    for issue in report.issues:
        kind = "error" if issue.severity is Severity.ERROR else "warning"
        where = f"{issue.tab}!{issue.cell}" if issue.cell else issue.tab
        props = [f"file={_escape_property(location)}"]
        if issue.row:
            props.append(f"line={issue.row}")
        props.append(f"title={_escape_property(f'{issue.code} at {where}')}")
        yield f"::{kind} {','.join(props)}::{_escape_data(f'{where}: {issue.message}')}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def yen(value: Any) -> str:
    if value is None or value != value:
        return "—"
    amount = int(value)
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def ratio(value: Any) -> str:
    if value is None or value != value:
        return "—"
    return f"{float(value) * 100:.1f}%"


def forecast_table(rows: list[dict[str, Any]], language: str, period: str | None = None) -> Table:
    """Forecast rows (JSON shape) for one period (all when ``None``) as a terminal table."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for key, justify in (("period", "left"), ("owner", "left"), ("target", "right"),
                         ("won", "right"), ("weighted", "right"), ("forecast", "right"),
                         ("attainment", "right"), ("gap", "right")):
        table.add_column(t(key, language), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        if period is not None and row["period"] != period:
            continue
        below = row["forecast_attainment"] is not None and row["forecast_attainment"] < 1
        table.add_row(
            row["period"],
            Text(row["owner"] or t("team", language), style="bold" if row["owner"] is None
                 else ""),
            yen(row["target"]), yen(row["won"]), yen(row["weighted"]), yen(row["forecast"]),
            Text(ratio(row["forecast_attainment"]), style="red" if below else "green"),
            yen(row["gap"]),
        )
    return table


def stale_table(rows: list[dict[str, Any]], language: str, limit: int = 10,
                details: dict[str, dict[str, Any]] | None = None) -> Table:
    """The most urgent stale deals (JSON shape) as a terminal table."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for key, justify in (("deal_id", "left"), ("owner", "left"), ("stage", "left"),
                         ("amount", "right"), ("days", "right"), ("reasons", "left")):
        table.add_column(t(key, language), justify=justify, no_wrap=key != "reasons")  # type: ignore[arg-type]
    lang = 1 if language == "en" else 0
    for row in rows[:limit]:
        reasons = ("、" if lang == 0 else ", ").join(_REASONS[r][lang] for r in row["reasons"])
        stage = (details or {}).get(row["stage"], {}).get("label", row["stage"])
        days = row["days_since_update"]
        table.add_row(row["deal_id"], row["owner"], stage, yen(row["amount"]),
                      "—" if days is None else str(days), reasons)
    return table
