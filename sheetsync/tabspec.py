"""What sheetsync writes: backend-neutral descriptions of the tabs it owns.

Metrics and reports build :class:`TabSpec` values; each backend renders them (openpyxl
styles and charts, or Google ``updateCells``/``addChart`` requests). Layout is fixed:
row 1 holds the note (as-of date, run time, excluded rows) when there is one, the next row
is the frozen, styled header, data follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["text", "int", "number", "money", "ratio", "date", "datetime"]

#: number formats, shared by both backends (Excel and Google accept the same patterns)
NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "number": "#,##0.0",
    "money": "¥#,##0",
    "ratio": "0.0%",
    "date": "yyyy/mm/dd",
    "datetime": "yyyy/mm/dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    """One output column. ``width`` is in characters; ``None`` lets the backend choose."""

    key: str
    header: str
    kind: ColumnKind = "text"
    width: float | None = None
    #: overrides :data:`NUMBER_FORMATS` for this column (a pattern both Excel and Google
    #: read, e.g. ``¥#,##0;"超過 ¥"#,##0;¥0`` or ``0.0"倍"``)
    number_format: str | None = None

    @property
    def pattern(self) -> str | None:
        """The number format of the column's cells (None: text, no format)."""
        return self.number_format or NUMBER_FORMATS.get(self.kind)


@dataclass(frozen=True)
class Link:
    """A cell that links to a cell of another tab of the same spreadsheet."""

    text: str
    tab: str
    cell: str  # A1 notation in ``tab``


@dataclass(frozen=True)
class FilterView:
    """A saved view of a tab showing only the rows whose column ``column`` (0-based) holds
    one of ``values`` exactly, below the header in row ``header_row`` (1-based).

    ``key`` names it within a run (what a :class:`FilterLink` points at); ``title`` is what
    people see. Google makes it a filter view (``addFilterView``); a workbook has no such
    thing and ignores it (its :class:`FilterLink` opens ``tab!cell`` instead).
    """

    key: str
    title: str
    tab: str
    header_row: int
    column: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class FilterLink(Link):
    """A link to the filter view ``view`` (a :attr:`FilterView.key` of the same run) where
    the backend has filter views (Google); elsewhere a link to ``tab!cell``, with ``tip``
    as its screen tip (Excel shows it on hover: how to filter there by hand)."""

    view: str = ""
    tip: str = ""


@dataclass(frozen=True)
class CondFormat:
    """Colour a column's data cells when ``value op threshold`` holds.

    ``op``: ``lt``/``le``/``gt``/``ge`` compare numbers (blank cells never match);
    ``contains`` matches text; ``eq`` matches exactly.
    ``threshold_column`` (optional) compares against another column of the same row instead
    of a constant (e.g. forecast below target).
    """

    column: str
    op: Literal["lt", "le", "gt", "ge", "eq", "contains"]
    value: float | str | None = None
    threshold_column: str | None = None
    fill: str = "#F8D7DA"  # hex RGB background
    font: str | None = None  # hex RGB font colour


@dataclass(frozen=True)
class ChartSpec:
    """A chart drawn from ``data_rows`` (0-based indices into ``TabSpec.rows``, contiguous).

    ``anchor`` places its top-left corner: ``(row, column)``, 0-based, ``row`` an index into
    ``TabSpec.rows`` (the report leaves that many blank rows free for it) and ``column`` a
    column index. ``None`` puts it right of the table, level with the header. The size is
    ``width_px`` × ``height_px`` (Google pixels; the workbook converts at 96 dpi).
    """

    title: str
    category_column: str
    series_columns: tuple[str, ...]
    data_rows: tuple[int, int]  # [start, stop)
    kind: Literal["column", "line"] = "column"
    anchor: tuple[int, int] | None = None
    width_px: int = 760
    height_px: int = 340


@dataclass(frozen=True)
class PageSetup:
    """How a tab prints: orientation, fit to ``fit_width`` pages wide (0: no fitting; height
    is never fitted), the header row (and the note above it) repeated on every page.

    The workbook stores it as the sheet's page setup and print titles. Google Sheets has no
    print settings in its API: the Google backend freezes the header (Google repeats frozen
    rows when printing) and puts a link in the note row to a PDF export made with exactly
    these settings.
    """

    orientation: Literal["landscape", "portrait"] = "landscape"
    fit_width: int = 1
    repeat_header: bool = True


@dataclass
class TabSpec:
    """A whole tab owned by sheetsync, rewritten in full on every run."""

    name: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None
    hidden: bool = False
    conditional: list[CondFormat] = field(default_factory=list)
    chart: ChartSpec | None = None
    freeze_columns: int = 0
    #: protect the tab against casual edits (Google: warning only; Excel: no password)
    protected: bool = False
    #: print settings (None: the backend's defaults; hidden tabs are never printed)
    page: PageSetup | None = field(default_factory=PageSetup)
    #: the filter views this tab's links open (None: the tab manages none). Writing a tab
    #: that declares them (even an empty tuple) replaces every filter view sheetsync made
    #: before in the spreadsheet; people's own filter views are never touched.
    filter_views: tuple[FilterView, ...] | None = None

    @property
    def header_row(self) -> int:
        """1-based row of the header."""
        return 2 if self.note else 1

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def column_index(self, key: str) -> int:
        """0-based index of the column with ``key``."""
        for i, col in enumerate(self.columns):
            if col.key == key:
                return i
        raise KeyError(key)


CellOut = Any  # None | str | int | float | bool | dt.date | dt.datetime | Link
__all__ = [
    "NUMBER_FORMATS",
    "CellOut",
    "ChartSpec",
    "Column",
    "ColumnKind",
    "CondFormat",
    "FilterLink",
    "FilterView",
    "Link",
    "PageSetup",
    "TabSpec",
    "dt",
]
