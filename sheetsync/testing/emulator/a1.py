"""A1 notation: parsing ranges the way the Sheets API accepts them, and writing them back.

Accepted: ``Sheet1``, ``'My ''tab'''``, ``A1``, ``A1:B2``, ``$A$1``, ``A:C``, ``2:5``,
``A2:C`` (to the end of the columns), ``A2:2`` (to the end of the row), reversed corners
(``D4:A1``), named ranges (``Totals``, also ``Sheet1!Totals``), with or without a tab
name. A range without a tab name means the first tab. Tab names match case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gspread.utils import column_letter_to_index, rowcol_to_a1

from .errors import ApiError
from .state import Sheet, Spreadsheet

_SIDE = r"\$?([A-Za-z]{1,3})?\$?([0-9]+)?"
_CELLS_RE = re.compile(rf"^{_SIDE}(?::{_SIDE})?$")
_CELL_LIKE_RE = re.compile(r"([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)")


@dataclass(frozen=True)
class Bounds:
    """Zero-based, end-exclusive bounds; ``None`` means unbounded on that side."""

    r0: int | None = None
    r1: int | None = None
    c0: int | None = None
    c1: int | None = None


@dataclass(frozen=True)
class Target:
    """A parsed range: the sheet it names and its bounds (not yet clipped to the grid)."""

    sheet: Sheet
    bounds: Bounds
    text: str

    def clipped(self) -> tuple[int, int, int, int]:
        """Bounds clipped to the grid: (r0, r1, c0, c1), end-exclusive."""
        b, s = self.bounds, self.sheet
        r0 = b.r0 or 0
        c0 = b.c0 or 0
        r1 = s.row_count if b.r1 is None else min(b.r1, s.row_count)
        c1 = s.col_count if b.c1 is None else min(b.c1, s.col_count)
        return r0, max(r1, r0), c0, max(c1, c0)

    def grid_error(self) -> ApiError:
        return ApiError(
            400,
            f"Range ({self.display()}) exceeds grid limits. Max rows: {self.sheet.row_count}, "
            f"max columns: {self.sheet.col_count}",
        )

    def display(self) -> str:
        """The range as Google echoes it in messages: tab name plus the cells asked for."""
        b = self.bounds
        return format_range(
            self.sheet.title,
            b.r0 or 0,
            b.r1 if b.r1 is not None else self.sheet.row_count,
            b.c0 or 0,
            b.c1 if b.c1 is not None else self.sheet.col_count,
        )


def quote_title(title: str) -> str:
    """A tab name as Google writes it in a range.

    Bare when made of letters (any script), digits and ``_``, not starting with a digit and
    not looking like a cell reference (``D3``, ``R1C1``); quoted (``'My ''tab'''``) otherwise.
    """
    plain = bool(title) and all(ch.isalnum() or ch == "_" for ch in title)
    if plain and not title[0].isdigit() and not _CELL_LIKE_RE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cell_a1(row: int, col: int) -> str:
    """Zero-based row/column to ``A1``."""
    return str(rowcol_to_a1(row + 1, col + 1))


def column_letters(col: int) -> str:
    return cell_a1(0, col)[:-1]


def format_range(title: str | None, r0: int, r1: int, c0: int, c1: int) -> str:
    """``'My tab'!A1:B2`` (``Sheet1!A1`` for one cell) from end-exclusive bounds."""
    r1, c1 = max(r1, r0 + 1), max(c1, c0 + 1)
    cells = cell_a1(r0, c0)
    if (r1 - r0, c1 - c0) != (1, 1):
        cells += ":" + cell_a1(r1 - 1, c1 - 1)
    return cells if title is None else f"{quote_title(title)}!{cells}"


def format_grid_range(ss: Spreadsheet, grid_range: dict) -> str:
    sheet = ss.sheet_by_id(int(grid_range.get("sheetId", 0)))
    if sheet is None:
        return ""
    r0, r1, c0, c1 = grid_bounds(sheet, grid_range)
    return format_range(sheet.title, r0, r1, c0, c1)


def grid_bounds(sheet: Sheet, grid_range: dict) -> tuple[int, int, int, int]:
    """A ``GridRange``'s bounds, with missing ends meaning the whole grid."""
    return (
        int(grid_range.get("startRowIndex", 0)),
        int(grid_range.get("endRowIndex", sheet.row_count)),
        int(grid_range.get("startColumnIndex", 0)),
        int(grid_range.get("endColumnIndex", sheet.col_count)),
    )


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """``'My tab'!A1:B2`` → (``My tab``, ``A1:B2``); a bare part is returned as cells."""
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(name), None
                if rest.startswith("!"):
                    return "".join(name), rest[1:] or None
                raise ValueError(text)
            name.append(ch)
            i += 1
        raise ValueError(text)
    if "!" in text:
        name, _, cells = text.rpartition("!")
        return name, cells or None
    return None, text


def parse_cells(cells: str) -> Bounds | None:
    """``A1:B2``-style cell part → bounds, or None when it is not A1 notation."""
    text = cells.strip()
    m = _CELLS_RE.match(text)
    if not m:
        return None
    c_a, r_a, c_b, r_b = m.groups()
    if ":" not in text:
        if not (c_a and r_a):
            return None
        c_b, r_b = c_a, r_a
    rows = [int(r) - 1 for r in (r_a, r_b) if r]
    cols = [column_letter_to_index(c.upper()) - 1 for c in (c_a, c_b) if c]
    if any(r < 0 for r in rows):
        return None
    rows.sort()
    cols.sort()
    full_a, full_b = bool(c_a and r_a), bool(c_b and r_b)
    if full_a and full_b:  # A1:B2
        return Bounds(rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)
    if full_a and c_b:  # A2:C — down to the last row
        return Bounds(rows[0], None, cols[0], cols[-1] + 1)
    if full_a and r_b:  # A2:5 — to the last column
        return Bounds(rows[0], rows[-1] + 1, cols[0], None)
    if c_a and c_b and not (r_a or r_b):  # A:C
        return Bounds(None, None, cols[0], cols[-1] + 1)
    if r_a and r_b and not (c_a or c_b):  # 2:5
        return Bounds(rows[0], rows[-1] + 1, None, None)
    return None


def resolve(ss: Spreadsheet, text: str) -> Target:
    """Find the sheet and bounds a range names; 400 ``Unable to parse range`` otherwise."""
    err = ApiError(400, f"Unable to parse range: {text}")
    try:
        name, cells = split_sheet(text.strip())
    except ValueError:
        raise err from None
    if name is not None:
        sheet = ss.sheet_by_title(name)
        if sheet is None:
            raise err
        if cells is None:
            return Target(sheet, Bounds(), text)
        bounds = parse_cells(cells)
        if bounds is not None:
            return Target(sheet, bounds, text)
        named = ss.named_range(cells)
        if named is not None and int(named["range"].get("sheetId", 0)) == sheet.sheet_id:
            return _named_target(ss, named, text)
        raise err
    assert cells is not None
    bounds = parse_cells(cells)
    if bounds is not None:
        if not ss.sheets:
            raise err
        return Target(ss.first_sheet(), bounds, text)
    sheet = ss.sheet_by_title(cells)
    if sheet is not None:
        return Target(sheet, Bounds(), text)
    named = ss.named_range(cells)
    if named is not None:
        return _named_target(ss, named, text)
    raise err


def _named_target(ss: Spreadsheet, named: dict, text: str) -> Target:
    gr = named["range"]
    sheet = ss.sheet_by_id(int(gr.get("sheetId", 0)))
    if sheet is None:
        raise ApiError(400, f"Unable to parse range: {text}")
    return Target(
        sheet,
        Bounds(
            gr.get("startRowIndex"),
            gr.get("endRowIndex"),
            gr.get("startColumnIndex"),
            gr.get("endColumnIndex"),
        ),
        text,
    )
