"""Render a :class:`~sheetsync.tabspec.TabSpec` as Sheets API ``batchUpdate`` requests.

The choices mirror the workbook renderer (:mod:`sheetsync.backends.workbook.render`): a note
row in italic grey, a bold, filled, bordered header frozen below it, number formats by column
(its own pattern, else :data:`~sheetsync.tabspec.NUMBER_FORMATS` by kind), column widths
(:func:`~sheetsync.backends.columns.column_widths`, characters → pixels), internal links,
conditional formats with a not-blank guard and a chart at its anchor (else right of the
table).

Printing: the Sheets API has no print settings. The frozen header is what Google repeats on
every printed page, and a tab with a note and a :class:`~sheetsync.tabspec.PageSetup` gets
a link in the note row to a PDF export with that setup (:func:`print_link_formula`).

Requests are JSON *text*, not dicts: the data rows of a big tab are encoded once, with the
JSON of repeated values (owners, stages, dates) cached per column, so a 100,000-row tab
costs no per-cell dict and no second serialisation. Values go in one ``updateCells``
(``fields: userEnteredValue``); formats are per column (``repeatCell``), plus short runs for
cells that differ from their column (a date in a text column, a link).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gspread.utils import rowcol_to_a1

from ...grid import date_to_serial
from ...tabspec import (
    NUMBER_FORMATS,
    ChartSpec,
    Column,
    CondFormat,
    FilterLink,
    Link,
    PageSetup,
    TabSpec,
)
from ..cell_width import display_width
from ..columns import column_widths, plain_value
from ..number_format import DATE, PERCENT, classify_format

HEADER_FILL = "#DDEBF7"
NOTE_COLOUR = "#595959"
LINK_COLOUR = "#0563C1"
MAX_CELL_CHARS = 50_000  # Google's limit for one cell
PIXELS_PER_CHARACTER, PIXEL_PADDING = 7, 5  # Excel's default font: 7 px per digit + 5 px
CHART_OFFSET_X = 16  # a chart right of the table keeps this gap from it
DEFAULT_COLUMN_PIXELS, DEFAULT_ROW_PIXELS = 100, 21  # Google's defaults for a new sheet
EXPORT_URL = "https://docs.google.com/spreadsheets/d/{key}/export"
#: the print link's label: (language, fits one page wide) → text with the orientation
PRINT_LABELS = {
    ("ja", True): "印刷用PDF（{o}・1ページ幅）", ("ja", False): "印刷用PDF（{o}）",
    ("en", True): "Print PDF ({o}, 1 page wide)", ("en", False): "Print PDF ({o})",
}
ORIENTATIONS = {"ja": {"landscape": "横", "portrait": "縦"},
                "en": {"landscape": "landscape", "portrait": "portrait"}}
#: the description of sheetsync's protected ranges starts with "sheetsync" (how `schema apply`
#: tells its own protections from the ones people set)
PROTECTION_NOTE = "sheetsync: written by sheetsync — edits here are replaced on the next run"
#: what earlier versions wrote (still recognised as sheetsync's)
LEGACY_PROTECTION_NOTE = "Written by sheetsync: edits here are replaced on the next run"

NUMBER_TYPES = {"int": "NUMBER", "number": "NUMBER", "money": "CURRENCY", "ratio": "PERCENT",
                "date": "DATE", "datetime": "DATE_TIME"}
_OPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C, no ASCII escaping
_EMPTY = "{}"


def dumps(obj: Any) -> str:
    """Compact JSON, UTF-8 text kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def rgb(colour: str) -> dict[str, float]:
    """``#F8D7DA`` → Google's ``Color`` (fractions of 1).

    >>> rgb("#FF0000")
    {'red': 1.0, 'green': 0.0, 'blue': 0.0}
    """
    h = colour.lstrip("#")[-6:]
    return {name: int(h[i:i + 2], 16) / 255 for name, i in (("red", 0), ("green", 2),
                                                             ("blue", 4))}


#: the text format of a link cell (blue, underlined), as the workbook shows links
LINK_FORMAT = {"foregroundColor": rgb(LINK_COLOUR), "underline": True}


def number_format(kind: str) -> dict[str, str]:
    """The ``NumberFormat`` of a column kind (:data:`NUMBER_FORMATS`)."""
    return {"type": NUMBER_TYPES[kind], "pattern": NUMBER_FORMATS[kind]}


def column_number_format(column: Column) -> dict[str, str] | None:
    """The ``NumberFormat`` of a column's data cells (None: text, no format).

    A pattern of its own (``Column.number_format``) is typed by what it shows: a date or
    percent pattern as the kind's date/percent type, else ``CURRENCY`` for money and
    ``NUMBER`` for the rest — so ``0.0"倍"`` on a ratio column is a number, not a percent.

    >>> column_number_format(Column("c", "カバー率", "ratio", number_format='0.0"倍"'))
    {'type': 'NUMBER', 'pattern': '0.0"倍"'}
    """
    if column.number_format is None:
        return number_format(column.kind) if column.kind in NUMBER_TYPES else None
    shown = classify_format(column.number_format)
    if shown == DATE:
        kind_type = NUMBER_TYPES.get(column.kind, "")
        fmt_type = kind_type if kind_type in ("DATE", "DATE_TIME") else "DATE"
    elif shown == PERCENT:
        fmt_type = "PERCENT"
    else:
        fmt_type = "CURRENCY" if column.kind == "money" else "NUMBER"
    return {"type": fmt_type, "pattern": column.number_format}


def pixels(characters: float) -> int:
    """A column width in characters → pixels (as Excel shows a workbook column)."""
    return round(characters * PIXELS_PER_CHARACTER + PIXEL_PADDING)


def hyperlink_formula(link: Link, sheet_ids: Mapping[str, int],
                      view_ids: Mapping[str, int] | None = None) -> str | None:
    """``=HYPERLINK("#gid=<id>&range=<A1>","<text>")``, or None when the tab is unknown; a
    :class:`~sheetsync.tabspec.FilterLink` whose view has an id in ``view_ids`` opens that
    filter view instead (``#gid=<id>&fvid=<view id>``).

    >>> hyperlink_formula(FilterLink("佐藤", "案件一覧", "D1", view="deals:佐藤"),
    ...                   {"案件一覧": 7}, {"deals:佐藤": 42})
    '=HYPERLINK("#gid=7&fvid=42","佐藤")'
    """
    gid = sheet_ids.get(link.tab)
    if gid is None:
        return None
    text = link.text[:MAX_CELL_CHARS // 2].replace('"', '""')
    view = view_ids.get(link.view) if isinstance(link, FilterLink) and view_ids else None
    if view is not None:
        return f'=HYPERLINK("#gid={gid}&fvid={view}","{text}")'
    cell = link.cell.replace('"', "")
    return f'=HYPERLINK("#gid={gid}&range={cell}","{text}")'


def print_page(spec: TabSpec) -> PageSetup | None:
    """The page setup a print link is made for: tabs with a note (the row it sits in) and a
    page setup that are not hidden."""
    return spec.page if spec.note and not spec.hidden else None


def print_language(note: str) -> str:
    """``ja`` for a note with non-ASCII text (sheetsync's Japanese tabs), else ``en``: the
    note is in the team's language, so the link next to it is too."""
    return "en" if note.isascii() else "ja"


def print_label(page: PageSetup, language: str) -> str:
    """The link's text, e.g. ``印刷用PDF（横・1ページ幅）`` or
    ``Print PDF (landscape, 1 page wide)``.

    >>> print_label(PageSetup(orientation="portrait", fit_width=0), "en")
    'Print PDF (portrait)'
    """
    template = PRINT_LABELS[(language, page.fit_width > 0)]
    return template.format(o=ORIENTATIONS[language][page.orientation])


def print_link_formula(key: str, sheet_id: int, page: PageSetup, label: str) -> str:
    """``=HYPERLINK(url, label)`` to a PDF export of tab ``sheet_id`` with ``page``'s setup:
    A4, its orientation, fit to the page width unless ``fit_width`` is 0 (Google's export
    fits one page wide or not at all), frozen rows repeated, no gridlines."""
    flags = {"portrait": page.orientation == "portrait", "fitw": page.fit_width > 0,
             "fzr": page.repeat_header, "gridlines": False}
    query = "&".join(f"{k}={str(v).lower()}" for k, v in flags.items())
    url = f"{EXPORT_URL.format(key=key)}?format=pdf&gid={sheet_id}&{query}&size=A4"
    text = label.replace('"', '""')
    return f'=HYPERLINK("{url}","{text}")'


def print_link_column(note: str, widths: list[int]) -> int:
    """0-based column of the print link: the first whose left edge lies right of where the
    note's text ends (its width by :func:`~.cell_width.display_width` + 2 characters, as
    columns are sized), so the note overflowing from A1 is not cut. ``widths`` are the
    table's column widths in pixels; columns after them have Google's default width.

    >>> print_link_column("as of 2026-05-01", [100, 60, 60])
    2
    """
    end = pixels(display_width(note) + 2.0)
    left, column = 0, 0
    while column < 1 or left < end:
        left += widths[column] if column < len(widths) else DEFAULT_COLUMN_PIXELS
        column += 1
    return column


def protection_id(sheet_id: int, part: str = "") -> int:
    """A stable id for sheetsync's protected range of a tab (``part``: which one), so
    rewriting the tab or applying the schema again gives the same state."""
    return (zlib.crc32(f"sheetsync-protection:{sheet_id}:{part}".encode()) & 0x7FFFFFFF) or 1


def chart_id(sheet_id: int) -> int:
    """A stable chart id for the chart of a tab (ids are chosen, so reruns are identical)."""
    return (zlib.crc32(f"sheetsync-chart:{sheet_id}".encode()) & 0x7FFFFFFF) or 1


def _string_cell(text: str) -> str:
    if not text:
        return _EMPTY
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS]
    return '{"userEnteredValue":{"stringValue":' + _encode(text) + "}}"


def _number_cell(number: str) -> str:
    return '{"userEnteredValue":{"numberValue":' + number + "}}"


def _float_text(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _date_kind(value: dt.date) -> str:
    timed = isinstance(value, dt.datetime) and value.time() != dt.time(0)
    return "datetime" if timed else "date"


@dataclass(frozen=True)
class Residue:
    """What an existing sheet holds that rewriting it in place must remove first: its grid
    size, its conditional format rules (how many), its charts and sheetsync's protected
    ranges (ids)."""

    row_count: int
    column_count: int
    conditional_rules: int = 0
    charts: tuple[int, ...] = ()
    protections: tuple[int, ...] = ()


@dataclass
class RenderedTab:
    """One tab's requests, ready for any sheet id (the final tab or a staging tab).

    ``rows`` holds the JSON ``RowData`` of every data row and ``row_bytes`` their UTF-8
    sizes, so a write can be split into requests under a size limit without re-encoding.
    """

    spec: TabSpec
    rows: list[str]
    row_bytes: list[int]
    runs: list[tuple[int, int, int, str]]  # (column, first row, stop row, format key)
    widths: list[int]
    row_count: int
    column_count: int
    sheet_ids: Mapping[str, int]
    link_targets: frozenset[str]
    #: the spreadsheet key (print links need it) and the print link's column, if any
    key: str | None = None
    print_column: int | None = None
    #: filter view key → id (links to filter views)
    view_ids: Mapping[str, int] | None = None

    # -- sheet and layout ---------------------------------------------------------------
    def add_sheet(self, sheet_id: int, title: str, index: int, hidden: bool) -> str:
        grid: dict[str, int] = {"rowCount": self.row_count, "columnCount": self.column_count,
                                "frozenRowCount": self.spec.header_row}
        if 0 < self.spec.freeze_columns < self.column_count:
            grid["frozenColumnCount"] = self.spec.freeze_columns
        props: dict[str, Any] = {"sheetId": sheet_id, "title": title, "index": index,
                                 "gridProperties": grid}
        if hidden:
            props["hidden"] = True
        return dumps({"addSheet": {"properties": props}})

    def layout_requests(self, sheet_id: int, data_formats: bool = True) -> list[str]:
        """Column widths, note and header rows, and (``data_formats``) the number/link
        formats of the data."""
        spec = self.spec
        out: list[str] = []
        start = 0
        while start < len(self.widths):  # one request per run of equal widths
            stop = start
            while stop < len(self.widths) and self.widths[stop] == self.widths[start]:
                stop += 1
            out.append(dumps({"updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": start,
                          "endIndex": stop},
                "properties": {"pixelSize": self.widths[start]}, "fields": "pixelSize"}}))
            start = stop
        header = {"textFormat": {"bold": True}, "backgroundColor": rgb(HEADER_FILL),
                  "borders": {"bottom": {"style": "SOLID"}}, "verticalAlignment": "MIDDLE"}
        rows = []
        if spec.note:
            rows.append({"values": self._note_row(sheet_id)})
        rows.append({"values": [{"userEnteredValue": {"stringValue": c.header},
                                 "userEnteredFormat": header} for c in spec.columns]})
        out.append(dumps({"updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}, "rows": rows,
            "fields": "userEnteredValue,userEnteredFormat"}}))
        first = spec.first_data_row - 1
        if not data_formats:
            return out
        if spec.rows:
            for c, col in enumerate(spec.columns):
                fmt = column_number_format(col)
                if fmt is not None:
                    out.append(self._repeat(sheet_id, c, first, first + len(spec.rows), fmt))
        for c, r0, r1, key in self.runs:
            out.append(self._repeat(sheet_id, c, first + r0, first + r1, key))
        return out

    def relayout_requests(self, sheet_id: int) -> list[str]:
        """What a staging tab pasted onto ``sheet_id`` (``copyPaste``: values and formats)
        lacks: the column widths, and the note and header rows again — the print link names
        the final sheet id. The data's number formats came with the paste."""
        return self.layout_requests(sheet_id, data_formats=False)

    def _note_row(self, sheet_id: int) -> list[dict[str, Any]]:
        """The note cell, and the print link where :func:`print_link_column` puts it —
        to the PDF of ``sheet_id``, the tab's final id (a staged tab keeps its staging id)."""
        spec = self.spec
        assert spec.note is not None
        cells: list[dict[str, Any]] = [{
            "userEnteredValue": {"stringValue": spec.note[:MAX_CELL_CHARS]},
            "userEnteredFormat": {"textFormat": {"italic": True,
                                                 "foregroundColor": rgb(NOTE_COLOUR)}}}]
        page = print_page(spec)
        if page is None or self.key is None or self.print_column is None:
            return cells
        label = print_label(page, print_language(spec.note))
        cells += [{}] * (self.print_column - 1)
        cells.append({
            "userEnteredValue": {"formulaValue": print_link_formula(self.key, sheet_id, page,
                                                                    label)},
            "userEnteredFormat": {"textFormat": LINK_FORMAT}})
        return cells

    def _repeat(self, sheet_id: int, column: int, r0: int, r1: int,
                key: str | dict[str, str]) -> str:
        """``repeatCell`` over rows ``[r0, r1)`` of a column: the link format (``"link"``),
        a kind's number format, or a ``NumberFormat`` given as is."""
        if key == "link":
            fmt: dict[str, Any] = {"textFormat": LINK_FORMAT}
            fields = "userEnteredFormat.textFormat"
        else:
            fmt = {"numberFormat": key if isinstance(key, dict) else number_format(key)}
            fields = "userEnteredFormat.numberFormat"
        return dumps({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                      "startColumnIndex": column, "endColumnIndex": column + 1},
            "cell": {"userEnteredFormat": fmt}, "fields": fields}})

    # -- data -----------------------------------------------------------------------------
    def data_request(self, sheet_id: int, start: int, stop: int) -> str:
        """``updateCells`` writing data rows ``[start, stop)``."""
        row_index = self.spec.first_data_row - 1 + start
        return ('{"updateCells":{"start":{"sheetId":' + str(sheet_id) + ',"rowIndex":'
                + str(row_index) + ',"columnIndex":0},"rows":['
                + ",".join(self.rows[start:stop]) + '],"fields":"userEnteredValue"}}')

    def data_bytes(self, start: int, stop: int) -> int:
        return sum(self.row_bytes[start:stop]) + (stop - start) + 110

    def value_rows(self) -> tuple[list[str], list[int]]:
        """The data rows as plain JSON values for ``values:batchUpdate`` (``USER_ENTERED``:
        text gets a leading apostrophe, so it stays text), and their UTF-8 sizes — about
        half the bytes of ``CellData``, used to fill big staging tabs."""
        return _Encoder(self.spec, self.sheet_ids, VALUES, self.view_ids).encode()

    # -- conditional formats and chart ----------------------------------------------------
    def finish_requests(self, sheet_id: int) -> list[str]:
        """Conditional format rules, the chart and the (warning-only) protection — they refer
        to the final sheet id."""
        out = [dumps(r) for n, cf in enumerate(self.spec.conditional)
               if (r := conditional_request(cf, self.spec, sheet_id, n)) is not None]
        if self.spec.chart is not None:
            out.append(dumps(chart_request(self.spec, sheet_id)))
        if getattr(self.spec, "protected", False):
            out.append(dumps({"addProtectedRange": {"protectedRange": {
                "protectedRangeId": protection_id(sheet_id), "range": {"sheetId": sheet_id},
                "warningOnly": True, "description": PROTECTION_NOTE}}}))
        return out

    def reset_requests(self, sheet_id: int, title: str, hidden: bool,
                       residue: Residue) -> list[str]:
        """Empty the existing sheet ``sheet_id`` for this tab, keeping the sheet itself: its
        id — what a rep's formula pointing at the tab (``='売上予測'!F2``) is tied to, and
        what a deleted sheet would break for good (``#REF!``) — its position, and its grid
        (grown when the tab needs more, never shrunk under a reference)."""
        grid: dict[str, int] = {
            "rowCount": max(residue.row_count, self.row_count),
            "columnCount": max(residue.column_count, self.column_count),
            "frozenRowCount": self.spec.header_row,
            "frozenColumnCount": (self.spec.freeze_columns
                                  if 0 < self.spec.freeze_columns < self.column_count else 0)}
        out = [dumps({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "title": title, "hidden": hidden,
                           "gridProperties": grid},
            "fields": "title,hidden,gridProperties(rowCount,columnCount,frozenRowCount,"
                      "frozenColumnCount)"}}),
            # values, formats, notes, validation: everything a cell holds
            dumps({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "*"}})]
        out += [dumps({"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}})
                for _ in range(residue.conditional_rules)]
        out += [dumps({"deleteEmbeddedObject": {"objectId": chart}})
                for chart in residue.charts]
        out += [dumps({"deleteProtectedRange": {"protectedRangeId": pid}})
                for pid in residue.protections]
        return out

    def rewrite_requests(self, sheet_id: int, title: str, hidden: bool,
                         residue: Residue) -> list[str]:
        """Everything that writes this tab over the existing sheet ``sheet_id``, in place."""
        out = self.reset_requests(sheet_id, title, hidden, residue)
        out += self.layout_requests(sheet_id)
        if self.rows:
            out.append(self.data_request(sheet_id, 0, len(self.rows)))
        out += self.finish_requests(sheet_id)
        return out

    def requests(self, sheet_id: int, title: str, index: int, hidden: bool) -> list[str]:
        """Everything that writes this tab as a new sheet, in order."""
        out = [self.add_sheet(sheet_id, title, index, hidden)]
        out += self.layout_requests(sheet_id)
        if self.rows:
            out.append(self.data_request(sheet_id, 0, len(self.rows)))
        out += self.finish_requests(sheet_id)
        return out


def _formula_operand(value: float | str | None) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool) or value is None:
        raise ValueError(f"conditional format needs a number or text value, not {value!r}")
    return _float_text(float(value)) or "0"


def conditional_request(cf: CondFormat, spec: TabSpec, sheet_id: int, index: int = 0
                        ) -> dict[str, Any] | None:
    """``addConditionalFormatRule`` for ``cf`` over the data cells (None without data).

    ``index`` is the rule's priority (0 first), as the workbook orders its rules.
    """
    if not spec.rows:
        return None
    try:
        c = spec.column_index(cf.column)
        other = spec.column_index(cf.threshold_column) if cf.threshold_column else None
    except KeyError as exc:
        raise ValueError(f"tab {spec.name!r}: conditional format on unknown column "
                         f"{exc.args[0]!r}") from exc
    first = spec.first_data_row
    cell = rowcol_to_a1(first, c + 1)
    if cf.op == "contains":
        condition: dict[str, Any] = {"type": "TEXT_CONTAINS", "values": [
            {"userEnteredValue": str(cf.value if cf.value is not None else "")}]}
    elif other is not None:
        ref = rowcol_to_a1(first, other + 1)
        formula = (f"=AND(ISNUMBER({cell}),ISNUMBER({ref}),{cell}{_OPS[cf.op]}{ref})"
                   if cf.op != "eq" else f'=AND({cell}<>"",{cell}={ref})')
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
    elif cf.op == "eq":
        if isinstance(cf.value, str):
            condition = {"type": "TEXT_EQ", "values": [{"userEnteredValue": cf.value}]}
        else:
            condition = {"type": "NUMBER_EQ",
                         "values": [{"userEnteredValue": _formula_operand(cf.value)}]}
    else:
        # NUMBER_LESS would colour blank cells (blank counts as 0): undefined ratios stay plain
        formula = f"=AND(ISNUMBER({cell}),{cell}{_OPS[cf.op]}{_formula_operand(cf.value)})"
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
    fmt: dict[str, Any] = {"backgroundColor": rgb(cf.fill)}
    if cf.font:
        fmt["textFormat"] = {"foregroundColor": rgb(cf.font)}
    grid_range = {"sheetId": sheet_id, "startRowIndex": first - 1,
                  "endRowIndex": first - 1 + len(spec.rows), "startColumnIndex": c,
                  "endColumnIndex": c + 1}
    return {"addConditionalFormatRule": {"index": index, "rule": {
        "ranges": [grid_range], "booleanRule": {"condition": condition, "format": fmt}}}}


def chart_anchor(spec: TabSpec, chart: ChartSpec) -> tuple[int, int, int]:
    """0-based (row, column) of the chart's anchor cell and its x offset in pixels: data row
    ``anchor[0]``, column ``anchor[1]``; else right of the table, level with the header.

    >>> chart_anchor(TabSpec("t", [], note="n"), ChartSpec("c", "a", ("b",), (0, 1),
    ...                                                    anchor=(4, 1)))
    (6, 1, 0)
    """
    if chart.anchor is not None:
        row, column = chart.anchor
        return spec.first_data_row - 1 + row, column, 0
    return spec.header_row - 1, len(spec.columns), CHART_OFFSET_X


def chart_room(spec: TabSpec, chart: ChartSpec, widths: list[int]) -> tuple[int, int]:
    """(rows, columns) the grid needs so the whole chart lies on it, given the table's
    column widths in pixels (other columns and rows have Google's default size)."""
    row, column, offset = chart_anchor(spec, chart)
    rows = row + math.ceil(chart.height_px / DEFAULT_ROW_PIXELS) + 1
    covered = -offset
    while covered < chart.width_px:
        covered += widths[column] if column < len(widths) else DEFAULT_COLUMN_PIXELS
        column += 1
    return rows, column


def chart_request(spec: TabSpec, sheet_id: int) -> dict[str, Any]:
    """``addChart``: a basic column/line chart at :func:`chart_anchor`, ``width_px`` ×
    ``height_px``, series titled by their header cells, categories from the category
    column over ``data_rows``."""
    chart = spec.chart
    assert chart is not None
    try:
        cat = spec.column_index(chart.category_column)
        series_cols = [spec.column_index(k) for k in chart.series_columns]
    except KeyError as exc:
        raise ValueError(f"tab {spec.name!r}: chart on unknown column {exc.args[0]!r}") \
            from exc
    start, stop = chart.data_rows
    first = spec.first_data_row - 1 + start  # 0-based row of the first data row charted
    stop_row = spec.first_data_row - 1 + max(stop, start + 1)
    with_header = start == 0  # the header row sits just above: it titles the series
    r0 = spec.header_row - 1 if with_header else first

    def source(column: int) -> dict[str, Any]:
        return {"sourceRange": {"sources": [{
            "sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": stop_row,
            "startColumnIndex": column, "endColumnIndex": column + 1}]}}

    basic: dict[str, Any] = {
        "chartType": "LINE" if chart.kind == "line" else "COLUMN",
        "legendPosition": "BOTTOM_LEGEND",
        "axis": [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}],
        "domains": [{"domain": source(cat)}],
        "series": [{"series": source(c), "targetAxis": "LEFT_AXIS",
                    # a point on each value: a single snapshot is a dot, not nothing
                    **({"pointStyle": {"shape": "CIRCLE"}} if chart.kind == "line" else {})}
                   for c in series_cols],
        "headerCount": 1 if with_header else 0,
    }
    row, column, offset = chart_anchor(spec, chart)
    return {"addChart": {"chart": {
        "chartId": chart_id(sheet_id),
        "spec": {"title": chart.title, "basicChart": basic},
        "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": column},
            "offsetXPixels": offset, "widthPixels": chart.width_px,
            "heightPixels": chart.height_px}},
    }}}


@dataclass(frozen=True)
class _Style:
    """How cells and rows are spelled: ``CellData`` for updateCells, or plain values."""

    empty: str
    text: Any  # str → JSON fragment
    number: Any  # JSON number text → fragment
    true: str
    false: str
    formula: Any  # formula text → fragment
    row_open: str
    row_close: str
    empty_row: str


def _values_text(text: str) -> str:
    # USER_ENTERED input: a leading apostrophe keeps any text literal (never a formula,
    # number or date); Google strips it
    if not text:
        return "null"
    return _encode("'" + text[:MAX_CELL_CHARS - 1])


CELLS = _Style(
    empty=_EMPTY, text=_string_cell, number=_number_cell,
    true='{"userEnteredValue":{"boolValue":true}}',
    false='{"userEnteredValue":{"boolValue":false}}',
    formula=lambda f: '{"userEnteredValue":{"formulaValue":' + _encode(f) + "}}",
    row_open='{"values":[', row_close="]}", empty_row=_EMPTY)
VALUES = _Style(
    empty="null", text=_values_text, number=lambda n: n, true="true", false="false",
    formula=_encode, row_open="[", row_close="]", empty_row="[]")


class _Encoder:
    """Data rows → JSON text (one style), with per-column caches and format exceptions."""

    def __init__(self, spec: TabSpec, sheet_ids: Mapping[str, int], style: _Style,
                 view_ids: Mapping[str, int] | None = None) -> None:
        self.spec = spec
        self.sheet_ids = sheet_ids
        self.view_ids = view_ids
        self.style = style
        self.kinds = [c.kind for c in spec.columns]
        self.exceptions: dict[int, list[tuple[int, str]]] = {}
        self.link_targets: set[str] = set()

    def kind(self, column: int) -> str:
        return self.kinds[column] if column < len(self.kinds) else "text"

    def mark(self, row: int, column: int, key: str) -> None:
        self.exceptions.setdefault(column, []).append((row, key))

    def date_cell(self, value: dt.date, row: int, column: int) -> str:
        if self.kind(column) not in ("date", "datetime"):
            self.mark(row, column, _date_kind(value))
        text = _float_text(float(date_to_serial(value)))
        return self.style.number(text) if text is not None else self.style.empty

    def slow(self, value: Any, row: int, column: int) -> str:
        """Any value the fast path did not handle (numpy, Decimal, Link, datetime …)."""
        style = self.style
        value = plain_value(value)
        if value is None:
            return style.empty
        if isinstance(value, bool):
            return style.true if value else style.false
        if isinstance(value, Link):
            self.link_targets.add(value.tab)
            formula = hyperlink_formula(value, self.sheet_ids, self.view_ids)
            if formula is None:
                return style.text(value.text)
            self.mark(row, column, "link")
            return style.formula(formula)
        if isinstance(value, dt.date):
            return self.date_cell(value, row, column)
        if isinstance(value, str):
            return style.text(value)
        if isinstance(value, int):
            return style.number(str(value))
        if isinstance(value, float):
            text = _float_text(value)
            return style.number(text) if text is not None else style.empty
        return style.text(str(value))

    def encode(self) -> tuple[list[str], list[int]]:
        """Every data row as JSON text, and its UTF-8 size."""
        spec = self.spec
        style = self.style
        empty, number, text_of = style.empty, style.number, style.text
        opened, closed, empty_row = style.row_open, style.row_close, style.empty_row
        width = max([len(spec.columns)] + [len(r) for r in spec.rows])
        strings: list[dict[str, str]] = [{} for _ in range(width)]
        dates: list[dict[dt.date, str]] = [{} for _ in range(width)]
        date_columns = [self.kind(i) in ("date", "datetime") for i in range(width)]
        out: list[str] = []
        sizes: list[int] = []
        slow = self.slow
        for r, values in enumerate(spec.rows):
            parts: list[str] = []
            append = parts.append
            for i, v in enumerate(values):
                t = type(v)
                if v is None:
                    append(empty)
                elif t is str:
                    cache = strings[i]
                    frag = cache.get(v)
                    if frag is None:
                        frag = cache[v] = text_of(v)
                    append(frag)
                elif t is int:
                    append(number(str(v)))
                elif t is float and v - v == 0.0:
                    append(number(_float_text(v) or "0"))
                elif t is dt.date and date_columns[i]:
                    dcache = dates[i]
                    frag = dcache.get(v)
                    if frag is None:
                        frag = dcache[v] = self.date_cell(v, r, i)
                    append(frag)
                else:
                    append(slow(v, r, i))
            while parts and parts[-1] == empty:
                parts.pop()
            text = opened + ",".join(parts) + closed if parts else empty_row
            out.append(text)
            sizes.append(len(text) if text.isascii() else len(text.encode("utf-8")))
        return out, sizes

    def runs(self) -> list[tuple[int, int, int, str]]:
        """Consecutive rows of a column sharing a format exception → one run."""
        found = []
        for column in sorted(self.exceptions):
            marks = self.exceptions[column]
            start_row, key = marks[0]
            prev = start_row
            for row, k in marks[1:]:
                if k == key and row == prev + 1:
                    prev = row
                    continue
                found.append((column, start_row, prev + 1, key))
                start_row, prev, key = row, row, k
            found.append((column, start_row, prev + 1, key))
        return found


def render_tab(spec: TabSpec, sheet_ids: Mapping[str, int], key: str | None = None,
               view_ids: Mapping[str, int] | None = None) -> RenderedTab:
    """Encode ``spec`` once; ``sheet_ids`` (tab name → sheet id) resolves its links, ``key``
    (the spreadsheet's) makes its print link (none without a key), ``view_ids`` (filter
    view key → id) its links to filter views."""
    enc = _Encoder(spec, sheet_ids, CELLS, view_ids)
    rows, sizes = enc.encode()
    widths = [pixels(w) for w in column_widths(spec)]
    width = max([len(spec.columns), 1] + [len(r) for r in spec.rows])
    n_rows = spec.header_row + max(len(spec.rows), 1)
    if spec.chart is not None:
        chart_rows, chart_columns = chart_room(spec, spec.chart, widths)
        n_rows, width = max(n_rows, chart_rows), max(width, chart_columns)
    print_column = None
    if key is not None and spec.note and print_page(spec) is not None:
        print_column = print_link_column(spec.note, widths)
        width = max(width, print_column + 1)
    return RenderedTab(spec=spec, rows=rows, row_bytes=sizes, runs=enc.runs(),
                       widths=widths, row_count=n_rows, column_count=width,
                       sheet_ids=sheet_ids, link_targets=frozenset(enc.link_targets),
                       key=key, print_column=print_column, view_ids=view_ids)
