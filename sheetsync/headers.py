"""Find the header row of a tab and map its columns to schema fields.

Headers match a field's name, ja/en label or an alias after NFKC, case folding and removal
of spaces; column order does not matter and extra columns are ignored. A title row or a
blank row above the header is fine.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from .a1 import rowcol_to_a1
from .grid import CellValue, Grid
from .issues import Issue, Severity
from .messages import join, render
from .schema import Field
from .textnorm import is_blank, match_key

#: how far down the header row may sit (title rows, notes, blank rows above it)
HEADER_SEARCH_ROWS = 20


@dataclass
class HeaderMap:
    """Where each field's column is. ``row`` is the 1-based header row."""

    row: int
    columns: dict[str, int] = field(default_factory=dict)  # field name → 0-based column
    labels: dict[str, str] = field(default_factory=dict)  # field name → header as written
    unusable: set[str] = field(default_factory=set)  # fields missing or ambiguous

    def has(self, name: str) -> bool:
        return name in self.columns


def _header_text(value: CellValue) -> str:
    return "" if value is None else str(value).strip()


def _lookup(fields: Sequence[Field]) -> dict[str, Field]:
    return {key: fld for fld in fields for key in fld.keys()}


def find_header_row(grid: Grid, fields: Sequence[Field]) -> int | None:
    """1-based row whose cells name the most fields (at least two), or ``None``."""
    lookup = _lookup(fields)
    best_row, best_score = None, 1
    for index, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS], start=1):
        names = {lookup[k].name for v in row if (k := match_key(_header_text(v))) in lookup}
        if len(names) > best_score:
            best_row, best_score = index, len(names)
    return best_row


def map_headers(
    grid: Grid, fields: Sequence[Field], language: str
) -> tuple[HeaderMap | None, list[Issue]]:
    """Map the header row of ``grid`` to ``fields``; problems come back as issues.

    Every required (or conditionally required) field without a usable column gets one
    ``missing_column`` error naming the closest header found, if any.
    """
    row = find_header_row(grid, fields)
    if row is None:
        examples = join([f.label(language) for f in fields if f.required][:3], language)
        return None, [
            Issue(
                code="no_header_row",
                message=render("no_header_row", language, rows=HEADER_SEARCH_ROWS,
                               examples=examples),
                tab=grid.name,
            )
        ]
    lookup = _lookup(fields)
    issues: list[Issue] = []
    seen: dict[str, list[int]] = {}
    unmatched: list[tuple[int, str]] = []
    header = grid.rows[row - 1]
    for col, value in enumerate(header):
        text = _header_text(value)
        if not text:
            continue
        fld = lookup.get(match_key(text))
        if fld is None:
            unmatched.append((col, text))
        else:
            seen.setdefault(fld.name, []).append(col)
    mapping = HeaderMap(row=row)
    by_name = {f.name: f for f in fields}
    for name, cols in seen.items():
        fld = by_name[name]
        if len(cols) > 1:
            cells = join([rowcol_to_a1(row, c + 1) for c in cols], language)
            issues.append(
                Issue(
                    code="duplicate_column",
                    message=render("duplicate_column", language, column=fld.label(language),
                                   cells=cells),
                    tab=grid.name,
                    cell=rowcol_to_a1(row, cols[1] + 1),
                    row=row,
                    column=fld.label(language),
                    value=_header_text(header[cols[1]]),
                    field=name,
                )
            )
            mapping.unusable.add(name)
            continue
        mapping.columns[name] = cols[0]
        mapping.labels[name] = _header_text(header[cols[0]])
    for fld in fields:
        if fld.name in seen:
            continue
        mapping.unusable.add(fld.name)
        if fld.required or fld.required_when:
            issues.append(_missing(grid.name, row, fld, unmatched, language))
    return mapping, issues


def _missing(
    tab: str, row: int, fld: Field, unmatched: list[tuple[int, str]], language: str
) -> Issue:
    keys = fld.keys()
    best: tuple[float, int, str] | None = None
    for col, text in unmatched:
        key = match_key(text)
        score = max(difflib.SequenceMatcher(None, key, k).ratio() for k in keys)
        if score >= 0.6 and (best is None or score > best[0]):
            best = (score, col, text)
    label = fld.label(language)
    if best is not None:
        closest = render("missing_column_closest", language, header=best[2],
                         cell=rowcol_to_a1(row, best[1] + 1), column=label)
    else:
        others = [fld.label("en" if language == "ja" else "ja"), *fld.aliases]
        closest = render("missing_column_none", language, column=label,
                         aliases=join(list(dict.fromkeys(others))[:4], language))
    return Issue(
        code="missing_column",
        message=render("missing_column", language, column=label, closest=closest),
        tab=tab,
        cell=rowcol_to_a1(row, best[1] + 1) if best else None,
        row=row,
        column=label,
        value=best[2] if best else None,
        field=fld.name,
    )


def blank_header_issues(
    grid: Grid, mapping: HeaderMap, language: str
) -> list[Issue]:
    """Warn about columns that hold data below a blank header cell."""
    header = grid.rows[mapping.row - 1]
    width = grid.width
    issues = []
    for col in range(width):
        if col < len(header) and not is_blank(header[col]):
            continue
        if any(col < len(r) and not is_blank(r[col]) for r in grid.rows[mapping.row:]):
            cell = rowcol_to_a1(mapping.row, col + 1)
            issues.append(
                Issue(
                    code="blank_header",
                    message=render("blank_header", language, cell=cell),
                    tab=grid.name,
                    cell=cell,
                    row=mapping.row,
                    severity=Severity.WARNING,
                )
            )
    return issues
