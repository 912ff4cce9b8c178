"""`sheetsync fix`: messy-but-valid register values rewritten in canonical form.

The only place sheetsync changes a rep's values, and only on request: ``120万円`` → the
number 1200000 with the ``¥#,##0`` format, ``R8.3.31`` → a date cell, ``80%`` typed as text
→ a percent-formatted 0.8, ``Ａ``/``Won`` → the choice's label, stray spaces trimmed. Invalid
cells are never touched (a person must decide what they meant). Pure planning; the backend
re-reads each cell just before writing and skips any a rep changed meanwhile.

Every edit names what it does (:data:`KINDS`): ``受注 `` → ``受注`` looks like no change at
all, and text ``2026/10/20`` → the date 2026/10/20 barely more, so the preview and 変更履歴
say 空白除去 and 文字列→日付. The kinds follow from the steps the column's parser takes to
read the cell (trimming, NFKC width folding, case folding, a unit, a type), not from
comparing the texts afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .a1 import rowcol_to_a1
from .coerce import _MONEY_PART
from .grid import CellValue, Grid, PercentValue
from .history import show_value
from .schema import Label, Schema
from .textnorm import match_key, nfkc
from .validate import INVALID, ValidationResult

_FORMAT = {"money": "¥#,##0", "date": "yyyy/mm/dd", "percent": "0%"}


@dataclass(frozen=True)
class FixKind:
    """What a fix does to a cell: a stable ``code`` (JSON) and a label for people."""

    code: str
    label: Label


TRIM = FixKind("trim", Label("空白除去", "spaces trimmed"))
FULL_WIDTH = FixKind("full_width", Label("全角→半角", "full-width → half-width"))
HALF_WIDTH_KANA = FixKind("half_width_kana", Label("半角カナ→全角", "half-width kana → full-width"))
CASE = FixKind("case", Label("大文字小文字", "letter case"))
#: another spelling of the choice (an alias, the value, the other language's label) or of
#: the rep's name in the roster → the spelling the sheet uses
LABEL = FixKind("label", Label("表記統一", "canonical label"))
UNIT = FixKind("unit", Label("単位換算", "unit conversion"))
TEXT_TO_NUMBER = FixKind("text_to_number", Label("文字列→数値", "text → number"))
TEXT_TO_DATE = FixKind("text_to_date", Label("文字列→日付", "text → date"))
NUMBER_TO_DATE = FixKind("number_to_date", Label("数値→日付", "number → date"))
TIME_DROPPED = FixKind("time_dropped", Label("時刻除去", "time removed"))
TEXT_TO_PERCENT = FixKind("text_to_percent", Label("文字列→パーセント", "text → percent"))
NUMBER_TO_PERCENT = FixKind("number_to_percent", Label("数値→パーセント", "number → percent"))
NUMBER_TO_TEXT = FixKind("number_to_text", Label("数値→文字列", "number → text"))

#: every kind of fix, by code
KINDS: dict[str, FixKind] = {k.code: k for k in (
    TRIM, FULL_WIDTH, HALF_WIDTH_KANA, CASE, LABEL, UNIT, TEXT_TO_NUMBER, TEXT_TO_DATE,
    NUMBER_TO_DATE, TIME_DROPPED, TEXT_TO_PERCENT, NUMBER_TO_PERCENT, NUMBER_TO_TEXT)}


def kind_text(kinds: Sequence[FixKind], language: str) -> str:
    """The kinds of one edit as the preview and 変更履歴 name them.

    >>> kind_text([FULL_WIDTH, UNIT], "ja"), kind_text([TRIM], "en")
    ('全角→半角・単位換算', 'spaces trimmed')
    """
    return ("・" if language == "ja" else ", ").join(k.label(language) for k in kinds)


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
    kinds: tuple[FixKind, ...] = ()  # what the edit does, in the order it does it
    field_type: str | None = None  # the schema type of the column

    @property
    def cell(self) -> str:
        return rowcol_to_a1(self.row, self.column + 1)

    def describe(self) -> tuple[str, str]:
        """(old, new) the way the sheet shows them (the new value with its format), as
        変更履歴 shows them too (:func:`~sheetsync.history.show_value`)."""
        field_type = self.field_type or (
            "money" if self.number_format == _FORMAT["money"] else None)
        return show_value(self.old, field_type), show_value(self.new, field_type)

    def kind(self, language: str) -> str:
        """What the edit does, in ``language`` (``空白除去``, ``文字列→日付`` …)."""
        return kind_text(self.kinds, language)


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


Fix = tuple[Any, tuple[FixKind, ...]]


def _canonical(column: str, raw: CellValue, parsed: Any, label: str | None) -> Fix | None:
    """The canonical cell value and what turning ``raw`` into it does, or ``None`` when
    ``raw`` already is canonical (``column``: the field's type, or ``roster``)."""
    if column == "money":
        if not isinstance(raw, str):
            return None
        return parsed, (*_folding(raw), UNIT if _has_unit(raw) else TEXT_TO_NUMBER)
    if column == "date":
        if isinstance(raw, dt.datetime):
            return (parsed, (TIME_DROPPED,)) if raw.time() != dt.time() else None
        if isinstance(raw, dt.date):
            return None
        if isinstance(raw, str):
            return parsed, (*_folding(raw), TEXT_TO_DATE)
        return parsed, (NUMBER_TO_DATE,)  # a serial number (or 20260331) in a number cell
    if column == "percent":
        if isinstance(raw, PercentValue):
            return None
        new = PercentValue(parsed / 100)
        if isinstance(raw, str):
            return new, (*_folding(raw), TEXT_TO_PERCENT)
        return new, (NUMBER_TO_PERCENT,)
    if column == "enum":
        if label is None or raw == label:
            return None
        return label, _respelling(raw, label) if isinstance(raw, str) else (NUMBER_TO_TEXT,)
    if column == "roster":  # the roster's spelling (or, with no roster, most reps')
        if not isinstance(raw, str) or raw == parsed:
            return None
        return parsed, _respelling(raw, parsed)
    if isinstance(raw, str):  # text is only ever trimmed
        return (parsed, (TRIM,)) if raw != parsed else None
    return None


def _folding(raw: str) -> tuple[FixKind, ...]:
    """What reading ``raw`` folds away before it parses it: surrounding spaces, and the
    characters NFKC changes (full-width digits, letters, ％ and ￥; half-width katakana)."""
    kinds = [TRIM] if raw.strip() != raw else []
    changed = [c for c in raw if nfkc(c) != c]
    widths = {unicodedata.east_asian_width(c) for c in changed}
    if "F" in widths:
        kinds.append(FULL_WIDTH)
    if "H" in widths:
        kinds.append(HALF_WIDTH_KANA)
    return tuple(kinds)


def _has_unit(raw: str) -> bool:
    """Whether an amount is written with a unit (万, 億, 千, k …) the parser multiplies by."""
    return any(m.group(2) for m in _MONEY_PART.finditer(re.sub(r"\s+", "", nfkc(raw))))


def _respelling(raw: str, target: str) -> tuple[FixKind, ...]:
    """``raw`` selected ``target`` by its key (NFKC, case folded, spaces removed): which of
    those steps it took — or, when the keys differ, another spelling altogether (an alias,
    the value, the other language's label)."""
    kinds = list(_folding(raw))
    text = nfkc(raw.strip())
    if match_key(text) != match_key(target):
        return (*kinds, LABEL)
    if text.casefold() != target.casefold():  # the same key: the spaces inside differ
        # removed when the label has none; else the name as the roster spaces it
        kinds.append(LABEL if any(c.isspace() for c in target) else TRIM)
    if "".join(text.split()) != "".join(target.split()):  # the same key: the case differs
        kinds.append(CASE)
    # NFKC may also have mapped a character of neither width (㈱ → (株)): a spelling
    return tuple(dict.fromkeys(kinds)) or (LABEL,)


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
        column = "roster" if fld.roster and fld.type != "enum" else fld.type
        labels = {c.value: c.label(language) for c in fld.choices}
        values = result.values.get(fld.name, [])
        for i, parsed in enumerate(values):
            if parsed is None or parsed is INVALID:
                continue
            row = result.rows[i]
            raw = grid.cell(row, col + 1)
            fix = _canonical(column, raw, parsed, labels.get(parsed))
            if fix is None or (fix[0] == raw and type(fix[0]) is type(raw)):
                continue
            new, kinds = fix
            edits.append(CellEdit(grid.name, row, col, fld.name,
                                  header.labels.get(fld.name, fld.label(language)), raw, new,
                                  _FORMAT.get(fld.type), kinds, fld.type))
    edits.sort(key=lambda e: (e.row, e.column))
    return edits
