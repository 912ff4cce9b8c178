"""The 入力エラー (input errors) tab and the note line every owned tab carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .grid import Grid
from .headers import HeaderMap
from .issues import Issue, Severity
from .schema import Label
from .tabspec import Column, CondFormat, Link, TabSpec
from .validate import display_value

ERRORS_TAB = Label("入力エラー", "Input errors")

_HEADERS = {
    "severity": Label("種別", "Severity"),
    "cell": Label("セル", "Cell"),
    "tab": Label("タブ", "Tab"),
    "column": Label("列", "Column"),
    "value": Label("入力値", "Value as typed"),
    "message": Label("内容", "Problem"),
    "deal_id": Label("案件ID", "Deal ID"),
    "owner": Label("担当者", "Owner"),
    "code": Label("コード", "Code"),
}
_SEVERITY = {
    Severity.ERROR: Label("エラー", "error"),
    Severity.WARNING: Label("警告", "warning"),
}


def run_note(
    *,
    language: str,
    as_of: dt.date,
    run_at: dt.datetime,
    excluded_rows: int,
    errors_tab: str,
) -> str:
    """The note row: as-of date, run time, and the rows left out of every figure."""
    stamp = run_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    if language == "en":
        text = f"As of {as_of:%Y-%m-%d} · run {stamp} by sheetsync"
        if excluded_rows:
            rows = "row" if excluded_rows == 1 else "rows"
            text += f" · {excluded_rows} {rows} excluded — see {errors_tab}"
        return text
    text = f"基準日 {as_of:%Y-%m-%d} ・ 実行 {stamp}（sheetsync）"
    if excluded_rows:
        text += f" ・ {excluded_rows}行を集計から除外 — {errors_tab} を参照"
    return text


def errors_tab(
    issues: Sequence[Issue],
    *,
    language: str,
    note: str,
    register: Grid | None,
    header: HeaderMap | None,
) -> TabSpec:
    """One row per problem, errors first, each linking to its cell.

    ``案件ID`` and ``担当者`` are copied from the register row as typed, so each rep can
    filter the tab down to their own rows.
    """
    def label(key: str) -> str:
        return _HEADERS[key](language)

    columns = [
        Column("severity", label("severity"), "text", 8),
        Column("cell", label("cell"), "text", 9),
        Column("tab", label("tab"), "text", 12),
        Column("column", label("column"), "text", 14),
        Column("value", label("value"), "text", 18),
        Column("message", label("message"), "text", 70),
        Column("deal_id", label("deal_id"), "text", 12),
        Column("owner", label("owner"), "text", 10),
        Column("code", label("code"), "text", 20),
    ]
    ordered = sorted(issues, key=lambda i: (i.severity is not Severity.ERROR, i.tab,
                                            i.row or 0))
    rows = []
    for issue in ordered:
        cell: object = issue.cell or ""
        if issue.cell:
            cell = Link(issue.cell, issue.tab, issue.cell)
        deal_id, owner = _row_context(register, header, issue)
        rows.append([
            _SEVERITY[issue.severity](language),
            cell,
            issue.tab,
            issue.column or "",
            display_value(issue.value),
            issue.message,
            deal_id,
            owner,
            issue.code,
        ])
    return TabSpec(
        name=ERRORS_TAB(language),
        columns=columns,
        rows=rows,
        note=note,
        conditional=[
            CondFormat("severity", "eq", _SEVERITY[Severity.ERROR](language), fill="#F8D7DA"),
            CondFormat("severity", "eq", _SEVERITY[Severity.WARNING](language), fill="#FFF3CD"),
        ],
    )


def errors_column(key: str) -> int:
    """0-based column of ``key`` in the 入力エラー tab (``owner``: its 担当者 column).

    >>> errors_column("owner")
    7
    """
    return list(_HEADERS).index(key)


def row_owners(grid: Grid | None, header: HeaderMap | None) -> dict[int, str]:
    """担当者 as typed in every row of the register below its header: 1-based row → the
    cell's text (not trimmed: what a filter on that column must match); blank cells left out.

    >>> from sheetsync.headers import HeaderMap
    >>> g = Grid("案件一覧", [["案件ID", "担当者"], ["D1", "佐藤 "], ["D2", None]])
    >>> row_owners(g, HeaderMap(row=1, columns={"owner": 1}))
    {2: '佐藤 '}
    """
    if grid is None or header is None or "owner" not in header.columns:
        return {}
    col = header.columns["owner"]
    out: dict[int, str] = {}
    shown: dict[str, str] = {}  # a register has a few reps and many rows: each text once
    for row, values in enumerate(grid.rows[header.row:], start=header.row + 1):
        if col < len(values) and values[col] is not None:
            value = values[col]
            if type(value) is str:
                text = shown.get(value)
                if text is None:
                    text = shown[value] = display_value(value)
            else:
                text = display_value(value)
            if text.strip():
                out[row] = text
    return out


def _row_context(grid: Grid | None, header: HeaderMap | None, issue: Issue) -> tuple[str, str]:
    if (grid is None or header is None or issue.tab != grid.name or issue.row is None
            or issue.row <= header.row):
        return "", ""
    values = []
    for name in ("deal_id", "owner"):
        col = header.columns.get(name)
        raw = grid.cell(issue.row, col + 1) if col is not None else None
        values.append(display_value(raw).strip())
    return values[0], values[1]
