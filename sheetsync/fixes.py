"""`sheetsync fix`: messy-but-valid register values rewritten in canonical form.

The only place sheetsync changes a rep's values, and only on request: ``120万円`` → the
number 1200000 with the ``¥#,##0`` format, ``R8.3.31`` → a date cell, ``80%`` typed as text
→ a percent-formatted 0.8, ``Ａ``/``Won`` → the choice's label, stray spaces trimmed. Invalid
cells are never touched (a person must decide what they meant). Pure planning; the backend
re-reads each cell just before writing and skips any a rep changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gspread.utils import rowcol_to_a1

from .grid import CellValue, Grid, PercentValue
from .schema import Schema
from .textnorm import match_key
from .validate import INVALID, ValidationResult, display_value

_FORMAT = {"money": "¥#,##0", "date": "yyyy/mm/dd", "percent": "0%"}


@dataclass(frozen=True)
class CellEdit:
    """Rewrite one cell, provided it still holds ``old`` when the write happens."""

    tab: str
    row: int  # 1-based
    column: int  # 0-based
    field: str
    label: str
    old: CellValue
    new: Any  # str | int | float | date | PercentValue
    number_format: str | None = None

    @property
    def cell(self) -> str:
        return rowcol_to_a1(self.row, self.column + 1)

    def describe(self) -> tuple[str, str]:
        """(old, new) the way the sheet shows them (the new value with its format)."""
        new = display_value(self.new)
        if self.number_format == _FORMAT["money"] and isinstance(self.new, int):
            new = f"¥{self.new:,}"
        return display_value(self.old), new


@dataclass
class EditCheck:
    """Which edits still match the spreadsheet, and what the others' cells hold now."""

    applied: list[CellEdit] = field(default_factory=list)
    skipped: list[tuple[CellEdit, CellValue]] = field(default_factory=list)


def same_value(current: CellValue, old: CellValue) -> bool:
    """Equal value and equal kind (``"80"`` ≠ ``80``, ``80`` ≠ ``80.0``, date ≠ datetime)."""
    if current is None or old is None:
        return current is None and old is None
    return type(current) is type(old) and current == old


def split_edits(edits: Sequence[CellEdit], grids: Mapping[str, Grid],
                has_formula: Callable[[CellEdit], bool]) -> EditCheck:
    """Split ``edits`` by whether their cell (in ``grids``, read just now) still holds
    ``edit.old`` and no formula; a second edit of the same cell is skipped. Both backends
    decide this way; each knows how to tell a formula cell."""
    out = EditCheck()
    seen: set[tuple[str, int, int]] = set()
    for e in edits:
        grid = grids.get(e.tab)
        current = grid.cell(e.row, e.column + 1) if grid is not None else None
        key = (e.tab, e.row, e.column)
        if grid is None or key in seen or has_formula(e) or not same_value(current, e.old):
            out.skipped.append((e, current))
            continue
        seen.add(key)
        out.applied.append(e)
    return out


def select_fields(schema: Schema, columns: Iterable[str] | None) -> set[str] | None:
    """Field names from ``--columns`` (names or labels in either language)."""
    if not columns:
        return None
    wanted = set()
    for item in columns:
        for part in str(item).split(","):
            key = match_key(part)
            if not key:
                continue
            found = next((f.name for f in schema.fields if key in f.keys()), None)
            if found is None:
                known = ", ".join(f.label("ja") for f in schema.fields)
                raise ValueError(f"--columns: {part.strip()!r} is not a column (columns: {known})")
            wanted.add(found)
    return wanted


def _canonical(kind: str, raw: CellValue, parsed: Any, label: str | None) -> Any:
    """The canonical cell value, or ``None`` when ``raw`` already is canonical."""
    if kind == "money":
        return parsed if isinstance(raw, str) else None
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return parsed if raw.time() != dt.time() else None
        return None if isinstance(raw, dt.date) else parsed
    if kind == "percent":
        return None if isinstance(raw, PercentValue) else PercentValue(parsed / 100)
    if kind == "enum":
        return label if raw != label else None
    if isinstance(raw, str):
        return parsed if raw != parsed else None
    return None


def plan_fixes(result: ValidationResult, grid: Grid, schema: Schema, *, language: str,
               fields: set[str] | None = None) -> list[CellEdit]:
    """Every valid cell whose value is not in canonical form (in sheet order)."""
    header = result.header
    if header is None:
        return []
    edits: list[CellEdit] = []
    for fld in schema.fields:
        col = header.columns.get(fld.name)
        if col is None or (fields is not None and fld.name not in fields):
            continue
        kind = "enum" if fld.type == "enum" else fld.type
        labels = {c.value: c.label(language) for c in fld.choices}
        values = result.values.get(fld.name, [])
        for i, parsed in enumerate(values):
            if parsed is None or parsed is INVALID:
                continue
            row = result.rows[i]
            raw = grid.cell(row, col + 1)
            new = _canonical(kind, raw, parsed, labels.get(parsed))
            if new is None or (new == raw and type(new) is type(raw)):
                continue
            edits.append(CellEdit(grid.name, row, col, fld.name,
                                  header.labels.get(fld.name, fld.label(language)), raw, new,
                                  _FORMAT.get(kind)))
    edits.sort(key=lambda e: (e.row, e.column))
    return edits
