"""Terminal output: readable tables for people, JSON and GitHub annotations for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .issues import Issue, Report, Severity
from .reports.followup import REASON_LABELS
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
    "won": ("受注済", "Won"),
    "commit_landing": ("コミット着地", "Commit"),
    "best_case_landing": ("ベストケース", "Best case"),
    "forecast": ("加重着地", "Weighted"),
    "commit_attainment": ("達成見込率", "Commit %"),
    "commit_gap": ("不足", "Shortfall"),
    "overdue": ("予定日超過", "Overdue"),
    "team": ("チーム合計", "Team"),  # as the 売上予測 tab says
    "deal_id": ("案件ID", "Deal ID"),
    "client": ("顧客名", "Client"),
    "stage": ("フェーズ", "Stage"),
    "amount": ("金額", "Amount"),
    "impact": ("影響額", "Impact"),
    "days": ("未更新", "Idle"),
    "reasons": ("理由", "Reasons"),
}


def t(key: str, language: str) -> str:
    ja, en = _T[key]
    return en if language == "en" else ja


def dumps(data: Any) -> str:
    """JSON for machines: UTF-8 text as is, stable key order, 2-space indent (see
    :func:`iter_json`)."""
    return "".join(iter_json(data))


def write_json(data: Any, stream: TextIO | None = None) -> None:
    """:func:`dumps` written to ``stream`` (standard output) as it is made, with a final
    newline: a 100,000-deal run's JSON (38 MB) is never held whole. ``data`` may be an
    iterator of (key, value) pairs, each made as it is written (see RunResult.json_items).
    """
    def write(text: str) -> None:
        if stream is None:
            click.echo(text, nl=False)
        else:
            stream.write(text)

    batch: list[str] = []
    size = 0
    for piece in iter_json(data):
        batch.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            write("".join(batch))
            batch.clear()
            size = 0
    batch.append("\n")
    write("".join(batch))


def _flat(value: Any) -> bool:
    """A scalar, a list of scalars, or an object whose values are either: one line."""
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list, tuple)) or _flat_list(v)
                   for v in value.values())
    if isinstance(value, (list, tuple)):
        return _flat_list(value)
    return True


def _flat_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not any(
        isinstance(v, (dict, list, tuple)) for v in value)


_ONE_LINE = json.JSONEncoder(ensure_ascii=False, default=str)


def iter_json(data: Any, level: int = 0) -> Iterator[str]:
    """The JSON text of ``data`` in pieces: objects and arrays that hold objects or arrays
    are laid out with a 2-space indent, the rest (a row of a report: an object of scalars and
    lists of scalars) on one line each, encoded by the json module's C encoder — one line
    per deal, and several times faster than ``json.dumps(indent=2)``'s Python encoder.

    >>> print(dumps({"as_of": "2026-12-04", "stale": [{"deal_id": "D-1", "reasons": ["x"]}],
    ...              "empty": [], "pipeline_changes": {"from": "2026-11-27",
    ...                                                "rows": [{"owner": None, "new": 0}]}}))
    {
      "as_of": "2026-12-04",
      "stale": [
        {"deal_id": "D-1", "reasons": ["x"]}
      ],
      "empty": [],
      "pipeline_changes": {
        "from": "2026-11-27",
        "rows": [
          {"owner": null, "new": 0}
        ]
      }
    }
    """
    items: Iterable[tuple[str, Any]] | None = None
    if isinstance(data, dict):
        if not data or (level > 0 and _flat(data)):
            yield _ONE_LINE.encode(data)
            return
        items = data.items()
    elif isinstance(data, Iterator):  # (key, value) pairs, made as they are written
        items = data
    if items is not None:
        inner = "\n" + "  " * (level + 1)
        head = "{"
        for key, value in items:
            yield f"{head}{inner}{_ONE_LINE.encode(str(key))}: "
            yield from iter_json(value, level + 1)
            head = ","
        yield "{}" if head == "{" else "\n" + "  " * level + "}"
        return
    if isinstance(data, (list, tuple)) and data and not _flat_list(data):
        inner = "\n" + "  " * (level + 1)
        head = "["
        for value in data:
            yield head + inner
            yield from iter_json(value, level + 1)
            head = ","
        yield "\n" + "  " * level + "]"
        return
    yield _ONE_LINE.encode(data)


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


def compact_yen(value: Any, language: str) -> str:
    """Money for a narrow terminal column: 万円 in Japanese, millions of yen in English.

    >>> compact_yen(45_230_000, "ja"), compact_yen(45_230_000, "en"), compact_yen(None, "ja")
    ('4,523', '¥45.2M', '—')
    """
    if value is None or value != value:
        return "—"
    amount = int(value)
    if language == "en":
        return f"¥{amount / 1e6:,.1f}M"
    return f"{round(amount / 10_000):,}"


def shortfall(value: Any, language: str) -> str:
    """不足 as people read it: the shortfall, or by how much the target is exceeded.

    >>> shortfall(-2_770_000, "ja"), shortfall(4_600_000, "en")
    ('超過 277', '¥4.6M')
    """
    if value is None or value != value:
        return "—"
    amount = int(value)
    if amount < 0:
        return ("over " if language == "en" else "超過 ") + compact_yen(-amount, language)
    return compact_yen(amount, language)


_FORECAST_HEADERS = {
    "owner": ("担当者", "Owner"),
    "target": ("目標", "Target"),
    "won": ("受注済", "Won"),
    "commit_landing": ("コミット\n着地", "Commit\nlanding"),
    "best_case_landing": ("ベスト\nケース", "Best\ncase"),
    "forecast": ("加重\n着地", "Weighted\nlanding"),
    "commit_attainment": ("達成\n見込率", "Commit\n%"),
    "commit_gap": ("不足", "Short-\nfall"),
    "overdue_count": ("予定日\n超過", "Over-\ndue"),
}


def forecast_table(rows: list[dict[str, Any]], language: str, period: str) -> Table:
    """The ヨミ表 of one period for a terminal (80–100 columns): per rep and the team, from
    受注済 to the landings, 達成見込率 and 不足; money in 万円 (ja) or ¥M (en), the unit in
    the caption."""
    en = language == "en"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption_justify="right",
                  caption="(¥ millions)" if en else "（単位: 万円）")
    for key, (ja, label_en) in _FORECAST_HEADERS.items():
        justify = "left" if key == "owner" else "right"
        table.add_column(label_en if en else ja, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        if row["period"] != period:
            continue
        attainment = row["commit_attainment"]
        gap = row["commit_gap"]
        overdue = row["overdue_count"]
        table.add_row(
            Text(row["owner"] or t("team", language), style="bold" if row["owner"] is None
                 else ""),
            *(compact_yen(row[k], language).removeprefix("¥").removesuffix("M") if en
              else compact_yen(row[k], language)
              for k in ("target", "won", "commit_landing", "best_case_landing", "forecast")),
            Text(ratio(attainment), style="green" if attainment is not None
                 and attainment >= 1 else "red" if attainment is not None else ""),
            Text(shortfall(gap, language).replace("¥", "").replace("M", ""),
                 style="green" if gap is not None and gap < 0 else ""),
            "—" if not overdue else str(overdue),
        )
    return table


def stale_table(rows: list[dict[str, Any]], language: str, limit: int = 10,
                details: dict[str, dict[str, Any]] | None = None) -> Table:
    """The deals with the most money at risk (JSON ``stale`` rows, already in that order) as
    a terminal table for 80–100 columns: 影響額 (amount × probability: what ranks them), the
    days without an update, and the reasons by their short labels (the amount and the rest
    are in the tab). Every column but the reasons keeps its width (an amount is never cut);
    a reason's label is never broken."""
    en = language == "en"
    caption = "Impact = amount × win probability" if en else "影響額 = 見込金額 × 受注確率"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption=caption, caption_justify="right")
    for key, justify in (("deal_id", "left"), ("owner", "left"), ("stage", "left"),
                         ("impact", "right"), ("days", "right")):
        table.add_column(t(key, language), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    # as wide as the longest label; joined by a space, where Japanese can wrap too
    widest = max(cell_len(label(language)) for label in REASON_LABELS.values())
    table.add_column(t("reasons", language), overflow="fold", ratio=1, min_width=widest)
    for row in rows[:limit]:
        reasons = (", " if en else " ").join(REASON_LABELS[r](language) for r in row["reasons"])
        stage = (details or {}).get(row["stage"], {}).get("label", row["stage"])
        days = row["days_since_update"]
        table.add_row(row["deal_id"], row["owner"], stage, yen(row["impact"]),
                      "—" if days is None else str(days), reasons)
    return table
