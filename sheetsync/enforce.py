"""What `sheetsync schema apply` puts into the sheet: a backend-neutral plan.

For each register column with a rule: a number format (``¥#,##0``, ``yyyy/mm/dd``,
``0%``), a data-validation rule (dropdown of choices or of the owner roster, a valid date,
a number ≥ 0, a percentage within 0–100 %) with the field's description (and its choices',
e.g. what 保留 means) as help text, and the same text as a note on the header cell. The
dropdown lists the schema's choices in schema order, so a stage a team adds (a hold stage
too) is offered as soon as the schema has it. Plus: the header row styled and frozen,
sheetsync's own tabs (and the register's header row) protected with a warning, and the
項目定義 tab. Formats and validation are not values: no cell value changes.

A number format is only put on cells where it keeps their meaning: a plain ``80`` in a
percent column would read as 8000 % once formatted, and ``20260331`` in a date column as
a date in the year 57000 — those cells keep their format (``sheetsync fix`` rewrites them
into canonical form) and are listed in the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .coerce import CoercionError
from .dictionary import description_text
from .grid import CellValue, Grid, PercentValue, serial_to_datetime
from .headers import HeaderMap
from .schema import Field, Schema
from .tabspec import NUMBER_FORMATS, TabSpec
from .textnorm import is_blank
from .validate import field_parser

RuleKind = Literal["list", "date", "number_min", "number_between"]

#: the number format each field type gets in the register
FORMATS: dict[str, str] = {
    "money": NUMBER_FORMATS["money"],
    "date": NUMBER_FORMATS["date"],
    "percent": "0%",
}


@dataclass(frozen=True)
class Rule:
    """A data-validation rule for one column's data cells."""

    kind: RuleKind
    values: tuple[str, ...] = ()  # list: the allowed entries, as shown in the dropdown
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    strict: bool = False  # True: reject other input; False: accept it with a warning
    title: str = ""  # the field label (Excel shows it above the help text)


@dataclass(frozen=True)
class ColumnSetup:
    field: str
    column: int  # 0-based
    label: str  # the header as written in the sheet
    number_format: str | None
    format_rows: tuple[tuple[int, int], ...]  # 1-based inclusive row spans to format
    kept_rows: tuple[int, ...]  # data rows left unformatted (the format would change them)
    rule: Rule | None
    note: str | None


@dataclass
class RegisterSetup:
    """Everything `schema apply` does, for a backend to apply in one write."""

    tab: str
    header_row: int  # 1-based
    first_data_row: int
    last_row: int  # last row the formats span (the tab's current extent)
    columns: list[ColumnSetup]
    protect_header: bool = True
    protect_tabs: list[str] = field(default_factory=list)
    tabs: list[TabSpec] = field(default_factory=list)  # the 項目定義 tab

    @property
    def width(self) -> int:
        return max((c.column for c in self.columns), default=-1) + 1


def rule_for(fld: Field, language: str, owners: Sequence[str], strict: bool) -> Rule | None:
    """The validation rule of a field, if it has one (text fields have none)."""
    # the choices' own descriptions too: a rep picking 保留 from the dropdown sees what it
    # means and that it needs a review date
    help_text = description_text(fld, language)
    title = fld.label(language)
    if fld.type == "enum":
        values = tuple(c.label(language) for c in fld.choices)
        return Rule("list", values, help=help_text, strict=strict, title=title)
    if fld.roster and owners:
        return Rule("list", tuple(owners), help=help_text, strict=strict, title=title)
    if fld.type == "date":
        return Rule("date", minimum=0, help=help_text, strict=strict, title=title)
    if fld.type == "money":
        return Rule("number_min", minimum=fld.min if fld.min is not None else 0,
                    help=help_text, strict=strict, title=title)
    if fld.type == "percent":
        # a percent-formatted cell holds a fraction: 80 % is 0.8
        return Rule("number_between", minimum=0, maximum=1, help=help_text, strict=strict,
                    title=title)
    return None


def _as_formatted(value: CellValue, kind: str) -> CellValue:
    """How a backend would read ``value`` once the column's format is on its cell."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if kind == "percent" and not isinstance(value, PercentValue):
        return PercentValue(value)
    if kind == "date":
        try:
            return serial_to_datetime(value)
        except (OverflowError, ValueError):
            return value
    return value


def _keeps_meaning(parse, value: CellValue, kind: str) -> bool:
    if is_blank(value):
        return True
    shown = _as_formatted(value, kind)
    if shown is value:
        return True
    try:
        before = parse(value)
    except CoercionError:
        before = None
    try:
        after = parse(shown)
    except CoercionError:
        return False
    if isinstance(before, dt.datetime):
        before = before.date()
    return before == after


def _spans(rows: Sequence[int]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for row in rows:
        if spans and spans[-1][1] == row - 1:
            spans[-1] = (spans[-1][0], row)
        else:
            spans.append((row, row))
    return tuple(spans)


def plan_setup(
    grid: Grid,
    header: HeaderMap,
    schema: Schema,
    *,
    language: str,
    owners: Sequence[str] = (),
    strict: bool = False,
    row_count: int | None = None,
    protect_tabs: Sequence[str] = (),
    tabs: Sequence[TabSpec] = (),
) -> RegisterSetup:
    """The setup for the register ``grid`` (its header already mapped)."""
    first = header.row + 1
    last = max(row_count or 0, len(grid.rows), first)
    columns = []
    for fld in schema.fields:
        col = header.columns.get(fld.name)
        if col is None:
            continue
        number_format = FORMATS.get(fld.type)
        spans: tuple[tuple[int, int], ...] = ()
        kept: list[int] = []
        if number_format:
            parse = field_parser(fld, language, owners)
            ok = []
            for row in range(first, last + 1):
                value = grid.cell(row, col + 1)
                (ok if _keeps_meaning(parse, value, fld.type) else kept).append(row)
            spans = _spans(ok)
        note = description_text(fld, language) or None
        columns.append(ColumnSetup(
            field=fld.name, column=col, label=header.labels.get(fld.name, fld.label(language)),
            number_format=number_format, format_rows=spans, kept_rows=tuple(kept),
            rule=rule_for(fld, language, owners, strict), note=note,
        ))
    return RegisterSetup(
        tab=grid.name, header_row=header.row, first_data_row=first, last_row=last,
        columns=columns, protect_tabs=list(protect_tabs), tabs=list(tabs),
    )
