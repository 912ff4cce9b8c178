"""`schema apply` and `fix --apply` on Google Sheets: the requests of the one batchUpdate.

**apply_setup** (:func:`setup_requests`) puts a :class:`~sheetsync.enforce.RegisterSetup`
into the register tab, appended to the batch that rewrites ``setup.tabs`` (the 項目定義 tab,
rendered exactly as ``write`` renders a tab, behind the same write-generation
compare-and-set):

* ``repeatCell`` of ``userEnteredFormat.numberFormat`` over each column's ``format_rows``
  span (the mask names the number format only: fonts, fills and borders stay);
* ``setDataValidation`` on each managed column from ``first_data_row`` to the end of the
  grid: ``ONE_OF_LIST`` (a dropdown, ``showCustomUi``), ``DATE_IS_VALID``,
  ``NUMBER_GREATER_THAN_EQ`` or ``NUMBER_BETWEEN``; ``strict`` rejects other input, else it
  is accepted with a warning; the field's description is the ``inputMessage``. **Google
  holds one rule per cell**: a rule someone set inside a managed column is replaced by
  sheetsync's (the workbook keeps both). Rules on the columns sheetsync does not manage are
  never touched. A column that stops being managed (a field dropped from the schema, an
  emptied roster) keeps the rule sheetsync last set there: remove it in the sheet;
* header notes: ``updateCells`` of ``note`` on each managed header cell. The note reads
  ``sheetsync:`` then the field's description (like the author line Excel shows on a
  comment) — that prefix is how sheetsync tells its notes from people's: a header note
  without it is left as it is, and sheetsync's notes on columns it no longer manages are
  removed;
* the header row bold on a light fill (``repeatCell`` masked to
  ``textFormat.bold,backgroundColor``: the font, its colour and size stay; a fill a rep chose
  is replaced) over its non-blank cells, and ``frozenRowCount`` raised to the header row
  (a larger freeze, and any column freeze, stay);
* warning-only protected ranges — each owned tab of ``protect_tabs`` that exists, and the
  register's header row when ``protect_header`` — whose description starts with
  ``sheetsync``. Protected ranges with such a description are deleted first, so applying
  twice leaves one set; the others are left alone. Ids are derived from the sheet id
  (:func:`~.render.protection_id`), so applying twice gives an identical sheet.

Everything the batch needs to know about the sheet — frozen rows, protected ranges, the
notes near the top of each tab — comes from the metadata read of ``read`` (see
:data:`~.read.SPREADSHEET_FIELDS`; :func:`sheet_states`). Values are never written.

**edit_cells** (:func:`check_edits`, :func:`edit_requests`): the edited tabs are read
again just before the write — ``spreadsheets.get`` for number-format types (and which cells
hold formulas) and one ``values:batchGet`` with :data:`~.read.VALUE_PARAMS`, typed by
:func:`~.read.typed_rows` exactly as ``read`` types them — and an edit is kept only
when its cell holds ``edit.old``: the same value of the same kind (``"80"`` ≠ ``80``; a
``PercentValue`` equals only a ``PercentValue``) and no formula. Each kept edit is one
``updateCells`` with the typed ``userEnteredValue`` (text as ``stringValue``, never a
formula; numbers; dates as serial numbers; a ``PercentValue`` as its fraction) and, when the
edit has a number format (or the value needs one: a date, a percentage), that
``userEnteredFormat.numberFormat`` — nothing else of the cell's format changes.

The Sheets API has no conditional cell write: a cell a rep changes in the instant between
that re-read and the batchUpdate is overwritten. The re-read is the last thing before the
write, so that window is one round trip.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...enforce import ColumnSetup, RegisterSetup, Rule
from ...errors import BackendError
from ...fixes import CellEdit, EditCheck, split_edits
from ...grid import Grid, PercentValue, TabInfo, date_to_serial
from ...headers import HEADER_SEARCH_ROWS
from ...textnorm import is_blank
from ..number_format import default_format
from .render import (
    HEADER_FILL,
    LEGACY_PROTECTION_NOTE,
    PROTECTION_NOTE,
    dumps,
    protection_id,
    rgb,
)

#: sheetsync's header notes start with this line; notes without it belong to people
NOTE_PREFIX = "sheetsync:\n"
#: every protected range sheetsync adds has a description starting with this
PROTECTION_MARKER = "sheetsync"
HEADER_PROTECTION_NOTE = ("sheetsync: the header row sheetsync reads — rename or move "
                          "columns only together with the schema")

#: the re-read of `fix --apply`: number-format types and formulas of the edited tabs
EDIT_FIELDS = (
    "sheets(properties(sheetId,title,sheetType),"
    "data(startRow,startColumn,rowData(values(userEnteredValue(formulaValue),"
    "effectiveFormat(numberFormat(type))))))"
)
#: what `schema apply` needs when the read it is given came from elsewhere
STATE_FIELDS = (
    "sheets(properties(sheetId,title,sheetType,gridProperties),"
    "protectedRanges(protectedRangeId,description),"
    "conditionalFormats(ranges(sheetId)),charts(chartId),filterViews(filterViewId,title),"
    "data(startRow,startColumn,rowData(values(note))))"
)

_KNOWN_TYPES = {"¥#,##0": "CURRENCY", "#,##0": "NUMBER", "#,##0.0": "NUMBER", "0%": "PERCENT",
                "0.0%": "PERCENT", "yyyy/mm/dd": "DATE", "yyyy/mm/dd hh:mm": "DATE_TIME"}
_LITERAL_RE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


# -- what the metadata read tells ---------------------------------------------------------

@dataclass(frozen=True)
class SheetState:
    """What `schema apply` needs to know about a tab beyond its :class:`TabInfo`."""

    sheet_id: int
    row_count: int
    column_count: int
    frozen_rows: int = 0
    protections: tuple[tuple[int, str], ...] = ()  # (protectedRangeId, description)
    conditional_rules: int = 0
    charts: tuple[int, ...] = ()
    is_grid: bool = True
    #: notes in the first HEADER_SEARCH_ROWS rows: (0-based row, 0-based column) → text
    notes: Mapping[tuple[int, int], str] = field(default_factory=dict)
    #: the tab's filter views: (filterViewId, title)
    filter_views: tuple[tuple[int, str], ...] = ()


def sheet_states(meta: Mapping[str, Any]) -> dict[str, SheetState]:
    """Each tab's :class:`SheetState` (title → state) from a ``spreadsheets.get`` answer
    with :data:`~.read.SPREADSHEET_FIELDS` (or :data:`STATE_FIELDS`)."""
    out: dict[str, SheetState] = {}
    for sheet in meta.get("sheets") or ():
        props = sheet.get("properties") or {}
        grid = props.get("gridProperties") or {}
        notes: dict[tuple[int, int], str] = {}
        for data in sheet.get("data") or ():
            r0 = int(data.get("startRow", 0))
            c0 = int(data.get("startColumn", 0))
            rows = data.get("rowData") or ()
            for r in range(max(0, min(len(rows), HEADER_SEARCH_ROWS - r0))):
                for c, cell in enumerate(rows[r].get("values") or (), start=c0):
                    # (a cell without a note may be an int: see read.parse_metadata)
                    if cell and type(cell) is dict and cell.get("note"):
                        notes[(r0 + r, c)] = str(cell["note"])
        out[str(props.get("title", ""))] = SheetState(
            sheet_id=int(props.get("sheetId", 0)),
            row_count=int(grid.get("rowCount", 0)),
            column_count=int(grid.get("columnCount", 0)),
            frozen_rows=int(grid.get("frozenRowCount", 0)),
            protections=tuple((int(p.get("protectedRangeId", 0)), str(p.get("description", "")))
                              for p in sheet.get("protectedRanges") or ()),
            notes=notes,
            conditional_rules=len(sheet.get("conditionalFormats") or ()),
            charts=tuple(int(c["chartId"]) for c in sheet.get("charts") or ()
                         if "chartId" in c),
            is_grid=props.get("sheetType", "GRID") == "GRID",
            filter_views=tuple((int(v["filterViewId"]), str(v.get("title", "")))
                               for v in sheet.get("filterViews") or () if "filterViewId" in v),
        )
    return out


def is_ours(description: str) -> bool:
    """Whether a protected range's description marks it as sheetsync's."""
    return description.startswith(PROTECTION_MARKER) or description == LEGACY_PROTECTION_NOTE


# -- number formats and rules -------------------------------------------------------------

def number_format_type(pattern: str) -> str:
    """The ``NumberFormat.type`` of a pattern (what tells a date or a percentage apart).

    >>> [number_format_type(p) for p in ("¥#,##0", "yyyy/mm/dd", "0%", "#,##0", "hh:mm")]
    ['CURRENCY', 'DATE', 'PERCENT', 'NUMBER', 'TIME']
    """
    known = _KNOWN_TYPES.get(pattern)
    if known:
        return known
    bare = _LITERAL_RE.sub("", pattern).lower()
    if "%" in bare:
        return "PERCENT"
    dated = "y" in bare or "d" in bare
    timed = "h" in bare or "s" in bare or "am/pm" in bare
    if dated:
        return "DATE_TIME" if timed else "DATE"
    if timed:
        return "TIME"
    if any(sign in pattern for sign in "¥￥$€£"):
        return "CURRENCY"
    return "NUMBER"


def number_format(pattern: str) -> dict[str, str]:
    return {"type": number_format_type(pattern), "pattern": pattern}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def rule_json(rule: Rule) -> dict[str, Any]:
    """A ``DataValidationRule`` for ``rule``."""
    condition: dict[str, Any]
    if rule.kind == "list":
        condition = {"type": "ONE_OF_LIST",
                     "values": [{"userEnteredValue": v} for v in rule.values]}
    elif rule.kind == "date":
        condition = {"type": "DATE_IS_VALID"}
    elif rule.kind == "number_min":
        condition = {"type": "NUMBER_GREATER_THAN_EQ",
                     "values": [{"userEnteredValue": _number_text(rule.minimum or 0)}]}
    else:
        condition = {"type": "NUMBER_BETWEEN",
                     "values": [{"userEnteredValue": _number_text(rule.minimum or 0)},
                                {"userEnteredValue": _number_text(rule.maximum or 0)}]}
    out: dict[str, Any] = {"condition": condition, "strict": rule.strict}
    if rule.kind == "list":
        out["showCustomUi"] = True
    if rule.help:
        out["inputMessage"] = rule.help
    return out


# -- schema apply ------------------------------------------------------------------------

@dataclass
class SetupPlan:
    """The setup requests (JSON texts) and the tabs whose protection they set."""

    requests: list[str]
    protected: list[str]


def _range(sheet_id: int, r0: int | None, r1: int | None, c0: int | None,
           c1: int | None) -> dict[str, int]:
    out = {"sheetId": sheet_id}
    for key, value in (("startRowIndex", r0), ("endRowIndex", r1),
                       ("startColumnIndex", c0), ("endColumnIndex", c1)):
        if value is not None:
            out[key] = value
    return out


def _runs(columns: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted columns → [start, stop) runs of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for c in sorted(set(columns)):
        if runs and runs[-1][1] == c:
            runs[-1] = (runs[-1][0], c + 1)
        else:
            runs.append((c, c + 1))
    return runs


def _formats(column: ColumnSetup, sheet: SheetState) -> list[str]:
    if not column.number_format or column.column >= sheet.column_count:
        return []
    fmt = number_format(column.number_format)
    out = []
    for first, last in column.format_rows:
        r0, r1 = first - 1, min(last, sheet.row_count)
        if r0 >= r1:
            continue
        out.append(dumps({"repeatCell": {
            "range": _range(sheet.sheet_id, r0, r1, column.column, column.column + 1),
            "cell": {"userEnteredFormat": {"numberFormat": fmt}},
            "fields": "userEnteredFormat.numberFormat"}}))
    return out


def _header_cells(setup: RegisterSetup, grid: Grid | None, sheet: SheetState) -> list[int]:
    if grid is not None and 0 < setup.header_row <= len(grid.rows):
        cells = [c for c, v in enumerate(grid.rows[setup.header_row - 1]) if not is_blank(v)]
    else:
        cells = [c.column for c in setup.columns]
    return [c for c in cells if c < sheet.column_count]


def _notes(setup: RegisterSetup, sheet: SheetState) -> list[str]:
    row = setup.header_row - 1
    planned = {c.column: NOTE_PREFIX + c.note for c in setup.columns
               if c.note and c.column < sheet.column_count}
    current = {c: text for (r, c), text in sheet.notes.items() if r == row}
    out = []
    for column in sorted(set(planned) | set(current)):
        now, wanted = current.get(column), planned.get(column)
        if now is not None and not now.startswith(NOTE_PREFIX):
            continue  # a person's note: theirs
        if now == wanted:
            continue
        cell = {"note": wanted} if wanted else {}
        out.append(dumps({"updateCells": {
            "start": {"sheetId": sheet.sheet_id, "rowIndex": row, "columnIndex": column},
            "rows": [{"values": [cell]}], "fields": "note"}}))
    return out


def _find(tabs: Sequence[TabInfo], name: str) -> TabInfo | None:
    for info in tabs:
        if info.name == name:
            return info
    folded = name.casefold()
    return next((t for t in tabs if t.name.casefold() == folded), None)


def setup_requests(setup: RegisterSetup, read_tabs: Sequence[TabInfo], grid: Grid | None,
                   states: Mapping[str, SheetState], *, rewritten: Iterable[str] = (),
                   refused: Iterable[str | None] = ()) -> SetupPlan:
    """The requests putting ``setup`` into the register (see the module docstring).

    ``rewritten`` names the tabs the same batch deletes and re-adds (``setup.tabs``: their
    protection comes with their rendering); ``refused`` the tabs never to protect (the
    register). Raises :class:`BackendError` when the register is missing or would be
    protected.
    """
    sheet = states.get(setup.tab)
    if sheet is None:
        raise BackendError(f"register tab {setup.tab!r} not found; nothing was written")
    never = {n.casefold() for n in (setup.tab, *refused) if n}
    replaced = {n.casefold() for n in rewritten}
    requests: list[str] = []
    for column in setup.columns:
        requests += _formats(column, sheet)
    first = setup.first_data_row - 1
    for column in setup.columns:
        if column.rule is None or first >= sheet.row_count \
                or column.column >= sheet.column_count:
            continue
        requests.append(dumps({"setDataValidation": {
            "range": _range(sheet.sheet_id, first, None, column.column, column.column + 1),
            "rule": rule_json(column.rule)}}))
    header = setup.header_row - 1
    style = {"textFormat": {"bold": True}, "backgroundColor": rgb(HEADER_FILL)}
    for c0, c1 in _runs(_header_cells(setup, grid, sheet)):
        requests.append(dumps({"repeatCell": {
            "range": _range(sheet.sheet_id, header, header + 1, c0, c1),
            "cell": {"userEnteredFormat": style},
            "fields": "userEnteredFormat.textFormat.bold,userEnteredFormat.backgroundColor"}}))
    requests += _notes(setup, sheet)
    if sheet.frozen_rows < setup.header_row:
        requests.append(dumps({"updateSheetProperties": {
            "properties": {"sheetId": sheet.sheet_id,
                           "gridProperties": {"frozenRowCount": setup.header_row}},
            "fields": "gridProperties.frozenRowCount"}}))

    # protections: sheetsync's own go first, then the fresh set
    foreign: set[int] = set()
    for title, state in states.items():
        if title.casefold() in replaced:
            continue  # deleted with its tab
        for pr_id, description in state.protections:
            if is_ours(description):
                requests.append(dumps({"deleteProtectedRange": {"protectedRangeId": pr_id}}))
            else:
                foreign.add(pr_id)

    def protect(sheet_id: int, part: str, rng: dict[str, int], description: str) -> None:
        body: dict[str, Any] = {"range": rng, "warningOnly": True, "description": description}
        pr_id = protection_id(sheet_id, part)
        if pr_id not in foreign:  # else Google picks one
            body = {"protectedRangeId": pr_id, **body}
        requests.append(dumps({"addProtectedRange": {"protectedRange": body}}))

    protected: list[str] = []
    for name in setup.protect_tabs:
        if name.casefold() in never:
            raise BackendError(f"refusing to protect tab {name!r}: it is the register tab, "
                               "which the reps edit; nothing was written")
        info = _find(read_tabs, name)
        if name.casefold() in replaced or info is None or info.name.casefold() in replaced:
            continue
        if info.name in protected:
            continue
        protect(info.tab_id, "", {"sheetId": info.tab_id}, PROTECTION_NOTE)
        protected.append(info.name)
    if setup.protect_header:
        protect(sheet.sheet_id, "header",
                _range(sheet.sheet_id, header, header + 1, None, None), HEADER_PROTECTION_NOTE)
    return SetupPlan(requests, protected)


# -- fix --apply -------------------------------------------------------------------------

def formula_cells(sheet: Mapping[str, Any]) -> set[tuple[int, int]]:
    """The 0-based (row, column) of every cell holding a formula, from an
    :data:`EDIT_FIELDS` answer's sheet."""
    found: set[tuple[int, int]] = set()
    for data in sheet.get("data") or ():
        r0 = int(data.get("startRow", 0))
        c0 = int(data.get("startColumn", 0))
        for r, row in enumerate(data.get("rowData") or (), start=r0):
            for c, cell in enumerate(row.get("values") or (), start=c0):
                if cell and (cell.get("userEnteredValue") or {}).get("formulaValue"):
                    found.add((r, c))
    return found


def check_edits(edits: Sequence[CellEdit], grids: Mapping[str, Grid],
                formulas: Mapping[str, set[tuple[int, int]]]) -> EditCheck:
    """Split ``edits`` by whether their cell (in ``grids``, read just now) still holds
    ``edit.old`` and no formula; a second edit of the same cell is skipped."""
    return split_edits(edits, grids,
                       lambda e: (e.row - 1, e.column) in formulas.get(e.tab, ()))


def value_json(value: Any) -> dict[str, Any]:
    """A typed ``ExtendedValue`` (empty for a blank): text is a ``stringValue`` whatever
    it starts with, dates are serial numbers, a ``PercentValue`` its fraction."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):  # PercentValue included: its fraction
        number = float(value) if isinstance(value, PercentValue) else value
        if isinstance(number, float) and not math.isfinite(number):
            raise BackendError(f"cannot write {value!r} into a cell; nothing was written")
        return {"numberValue": number}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"numberValue": date_to_serial(value)}
    return {"stringValue": str(value)}


def _edit_cell(e: CellEdit) -> tuple[dict[str, Any], str]:
    cell: dict[str, Any] = {}
    uev = value_json(e.new)
    if uev:
        cell["userEnteredValue"] = uev
    fields = "userEnteredValue"
    pattern = e.number_format or default_format(e.new)
    if pattern:
        cell["userEnteredFormat"] = {"numberFormat": number_format(pattern)}
        fields += ",userEnteredFormat.numberFormat"
    return cell, fields


def edit_requests(applied: Sequence[CellEdit], sheet_ids: Mapping[str, int]) -> list[str]:
    """``updateCells`` writing the applied edits: the typed value, and the number format
    when there is one (``edit.number_format``, else what a date or a percentage needs).
    Edits of consecutive rows of one column with the same field mask share one request."""
    runs: list[tuple[CellEdit, list[dict[str, Any]], str]] = []
    last: CellEdit | None = None
    for e in sorted(applied, key=lambda e: (e.tab, e.column, e.row)):
        cell, fields = _edit_cell(e)
        if last is not None and runs and runs[-1][2] == fields and last.tab == e.tab \
                and last.column == e.column and last.row + 1 == e.row:
            runs[-1][1].append({"values": [cell]})
        else:
            runs.append((e, [{"values": [cell]}], fields))
        last = e
    return [dumps({"updateCells": {
        "start": {"sheetId": sheet_ids[first.tab], "rowIndex": first.row - 1,
                  "columnIndex": first.column},
        "rows": rows, "fields": fields}}) for first, rows, fields in runs]


def requests_size(requests: Sequence[str]) -> int:
    """Bytes ``requests`` add to a batchUpdate body."""
    return sum(len(r.encode("utf-8")) + 1 for r in requests)


def extend_batch(body: bytes, requests: Sequence[str]) -> bytes:
    """A ``BatchUpdateSpreadsheetRequest`` body with ``requests`` appended."""
    if not requests:
        return body
    if not body.endswith(b"]}"):
        raise ValueError("not a batchUpdate body built by write.batch_body")
    sep = b"" if body.endswith(b"[]}") else b","
    return body[:-2] + sep + ",".join(requests).encode("utf-8") + b"]}"


__all__ = [
    "EDIT_FIELDS",
    "NOTE_PREFIX",
    "STATE_FIELDS",
    "SetupPlan",
    "SheetState",
    "check_edits",
    "edit_requests",
    "extend_batch",
    "formula_cells",
    "is_ours",
    "number_format_type",
    "requests_size",
    "rule_json",
    "setup_requests",
    "sheet_states",
    "value_json",
]
