"""In-memory model of spreadsheets, sheets, cells, accounts and permissions.

Everything is stored in the API's own JSON shapes (``SheetProperties``, ``CellData``,
``GridRange`` …) so that responses and field masks need no translation. Cells are sparse:
``Sheet.cells[(row, col)]`` holds only the writable parts of a ``CellData``
(``userEnteredValue``, ``userEnteredFormat``, ``note``, ``dataValidation``,
``textFormatRuns``, ``hyperlink``); effective and formatted values are computed when read.
"""

from __future__ import annotations

import contextlib
import gc
import random
import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .fieldmask import json_copy

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
MAX_CELLS = 10_000_000
DEFAULT_ROW_PIXELS = 21
DEFAULT_COLUMN_PIXELS = 100

# As Google answers for a new spreadsheet (copied from the recorded traffic).
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme(kind: str, red: float = 0, green: float = 0, blue: float = 0) -> dict[str, Any]:
    rgb = {k: v for k, v in (("red", red), ("green", green), ("blue", blue)) if v}
    return {"colorType": kind, "color": {"rgbColor": rgb}}


SPREADSHEET_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme("TEXT"),
        _theme("BACKGROUND", 1, 1, 1),
        _theme("ACCENT1", 0.25882354, 0.52156866, 0.95686275),
        _theme("ACCENT2", 0.91764706, 0.2627451, 0.20784314),
        _theme("ACCENT3", 0.9843137, 0.7372549, 0.015686275),
        _theme("ACCENT4", 0.20392157, 0.65882355, 0.3254902),
        _theme("ACCENT5", 1, 0.42745098, 0.003921569),
        _theme("ACCENT6", 0.27450982, 0.7411765, 0.7764706),
        _theme("LINK", 0.06666667, 0.33333334, 0.8),
    ],
}

# Sheet-level lists/objects shown in ``spreadsheets.get`` only when not empty, in this order.
SHEET_EXTRAS = (
    "merges",
    "conditionalFormats",
    "filterViews",
    "protectedRanges",
    "basicFilter",
    "charts",
    "bandedRanges",
    "developerMetadata",
    "rowGroups",
    "columnGroups",
)

Cell = dict[str, Any]


class Sheet:
    """One tab: its properties, sparse cells, row/column metadata and sheet-level objects.

    Copy-on-write: :meth:`fork` makes a version sharing this one's cells. The forked
    version copies the cell dict itself on its first change and each stored cell (shallow)
    the first time it changes that cell; everything else (properties, metadata, sheet-level
    objects) is copied at once — it is small. So cells must be changed only through
    :meth:`writable_cell`, :meth:`mutable_cells`, :meth:`prune` or by assigning ``cells``
    (``cells`` and :meth:`cell` are for reading), and only at their top level: a nested
    object of a cell (its ``userEnteredFormat`` …) is replaced, never changed in place.
    """

    def __init__(
        self,
        properties: dict[str, Any],
        cells: dict[tuple[int, int], Cell] | None = None,
        row_meta: dict[int, dict[str, Any]] | None = None,
        col_meta: dict[int, dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.properties = properties
        self._cells: dict[tuple[int, int], Cell] = {} if cells is None else cells
        self._shared_dict = False  # _cells is also another version's dict
        # ids of the cells this version made (None: not a fork, every cell is its own)
        self._private: set[int] | None = None
        self.row_meta: dict[int, dict[str, Any]] = {} if row_meta is None else row_meta
        self.col_meta: dict[int, dict[str, Any]] = {} if col_meta is None else col_meta
        self.extra: dict[str, Any] = {} if extra is None else extra

    def __repr__(self) -> str:
        return f"Sheet({self.sheet_id!r}, {self.title!r}, {len(self._cells)} cells)"

    # copy-on-write -----------------------------------------------------------------------
    def fork(self) -> Sheet:
        """A new version of this sheet that shares its cells until either changes them."""
        self._shared_dict = True
        self._private = set()  # cells made so far are now shared with the fork
        forked = Sheet(
            json_copy(self.properties),
            self._cells,
            json_copy(self.row_meta),
            json_copy(self.col_meta),
            json_copy(self.extra),
        )
        forked._shared_dict = True
        forked._private = set()
        return forked

    @property
    def cells(self) -> dict[tuple[int, int], Cell]:
        """The stored cells, for reading only (see :meth:`mutable_cells`)."""
        return self._cells

    @cells.setter
    def cells(self, value: dict[tuple[int, int], Cell]) -> None:
        """Replace the cell dict (a new dict; the cells in it may still be shared)."""
        self._cells = value
        self._shared_dict = False

    def mutable_cells(self) -> dict[tuple[int, int], Cell]:
        """The cell dict, to add, remove or move cells — never to change one in place."""
        if self._shared_dict:
            self._cells = dict(self._cells)
            self._shared_dict = False
        return self._cells

    def cell(self, row: int, col: int) -> Cell | None:
        return self._cells.get((row, col))

    def writable_cell(self, row: int, col: int) -> Cell:
        """The cell at (row, col), created if missing, safe to change in place."""
        cells = self._cells if not self._shared_dict else self.mutable_cells()
        key = (row, col)
        cell = cells.get(key)
        private = self._private
        if cell is None:
            cell = cells[key] = {}
            if private is not None:
                private.add(id(cell))
        elif private is not None and id(cell) not in private:
            cell = cells[key] = dict(cell)  # nested parts are never changed in place
            private.add(id(cell))
        return cell

    def prune(self, row: int, col: int) -> None:
        """Forget a cell that no longer holds anything."""
        if not self._cells.get((row, col), True):
            del self.mutable_cells()[(row, col)]

    # grid ----------------------------------------------------------------------------------
    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def is_grid(self) -> bool:
        return self.properties.get("sheetType", "GRID") == "GRID"

    @property
    def grid(self) -> dict[str, Any]:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        if not self.is_grid:
            return 0
        return int(self.properties.get("gridProperties", {}).get("rowCount", 0))

    @row_count.setter
    def row_count(self, value: int) -> None:
        self.grid["rowCount"] = value

    @property
    def col_count(self) -> int:
        if not self.is_grid:
            return 0
        return int(self.properties.get("gridProperties", {}).get("columnCount", 0))

    @col_count.setter
    def col_count(self, value: int) -> None:
        self.grid["columnCount"] = value

    def cells_in(
        self, r0: int, r1: int, c0: int, c1: int
    ) -> Iterator[tuple[tuple[int, int], Cell]]:
        """Stored cells inside rows [r0, r1) and columns [c0, c1), unordered."""
        cells = self._cells
        area = (r1 - r0) * (c1 - c0)
        if area <= len(cells):
            for r in range(r0, r1):
                for c in range(c0, c1):
                    cell = cells.get((r, c))
                    if cell is not None:
                        yield (r, c), cell
        else:
            for key, cell in list(cells.items()):
                if r0 <= key[0] < r1 and c0 <= key[1] < c1:
                    yield key, cell

    def dimension_meta(self, dimension: str) -> dict[int, dict[str, Any]]:
        return self.row_meta if dimension == "ROWS" else self.col_meta

    def dimension_size(self, dimension: str) -> int:
        return self.row_count if dimension == "ROWS" else self.col_count


@dataclass(eq=False)
class Spreadsheet:
    """A spreadsheet with its sheets, named ranges, metadata, owner and sharing.

    A write request works on :meth:`clone` — a new version sharing every sheet with the
    stored one — and calls :meth:`own` on each sheet before changing it; the new version
    replaces the stored one only when the whole request succeeded (all-or-nothing).
    """

    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    # ids of the sheets still shared with the version this one was cloned from
    _shared: set[int] = field(default_factory=set, repr=False)

    @property
    def title(self) -> str:
        return str(self.properties.get("title", ""))

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def first_sheet(self) -> Sheet:
        return self.sheets[0]

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            if sheet.properties.get("index") != i:
                self.own(sheet).properties["index"] = i

    def total_cells(self) -> int:
        return sum(s.row_count * s.col_count for s in self.sheets)

    def named_range(self, name: str) -> dict[str, Any] | None:
        for nr in self.named_ranges:
            if nr.get("name", "").casefold() == name.casefold():
                return nr
        return None

    def clone(self) -> Spreadsheet:
        """A new version for one write request; its sheets are shared until :meth:`own`."""
        copied = Spreadsheet(
            spreadsheet_id=self.spreadsheet_id,
            properties=json_copy(self.properties),
            sheets=list(self.sheets),
            named_ranges=json_copy(self.named_ranges),
            developer_metadata=json_copy(self.developer_metadata),
            owner=self.owner,
            permissions=dict(self.permissions),
        )
        copied._shared = {id(s) for s in self.sheets}
        return copied

    def own(self, sheet: Sheet) -> Sheet:
        """``sheet`` made this version's own (forked if still shared): safe to change."""
        if id(sheet) not in self._shared:
            return sheet
        self._shared.discard(id(sheet))
        forked = sheet.fork()
        for i, candidate in enumerate(self.sheets):
            if candidate is sheet:
                self.sheets[i] = forked
                break
        return forked


@dataclass
class Account:
    """A service account the emulator issued a key for."""

    email: str
    key_id: str
    public_key_pem: bytes
    client_id: str
    edit_all: bool = False


@dataclass
class Token:
    """An access token issued by ``/token``: its account, expiry and scopes."""

    email: str
    expires_at: float
    scopes: tuple[str, ...] = ()


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_resume = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the emulator works (process-wide, like
    :func:`gc.disable`; resumed when the last pauser is done, unless something else had
    paused it first).

    The stored spreadsheets are millions of small acyclic JSON objects: a full collection
    walking them on every burst of allocations costs more than the request itself.
    """
    global _gc_pausers, _gc_resume
    with _gc_lock:
        if _gc_pausers == 0 and gc.isenabled():
            gc.disable()
            _gc_resume = True
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_resume:
                _gc_resume = False
                gc.enable()


_ID_CHARS = string.ascii_letters + string.digits + "-_"


class State:
    """Every spreadsheet, account and access token of one emulator, behind one lock."""

    def __init__(self, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}

    def clear(self) -> None:
        with self.lock:
            self.spreadsheets.clear()
            self.accounts.clear()
            self.tokens.clear()

    # ids -------------------------------------------------------------------------------
    def new_spreadsheet_id(self) -> str:
        while True:
            sid = "1" + "".join(self.rng.choice(_ID_CHARS) for _ in range(43))
            if sid not in self.spreadsheets:
                return sid

    def new_int_id(self, taken: set[int] | None = None) -> int:
        while True:
            value = self.rng.randrange(1, 2**31 - 1)
            if not taken or value not in taken:
                return value

    def new_token(self, email: str, lifetime: int, scopes: tuple[str, ...]) -> str:
        token = "ya29.emu-" + "".join(self.rng.choice(_ID_CHARS) for _ in range(40))
        self.tokens[token] = Token(email, time.time() + lifetime, scopes)
        return token

    # spreadsheets ------------------------------------------------------------------------
    def new_spreadsheet(self, title: str, owner: str | None = None) -> Spreadsheet:
        """A spreadsheet as Google makes it: one ``Sheet1`` of 1000 × 26 with id 0."""
        ss = Spreadsheet(
            spreadsheet_id=self.new_spreadsheet_id(),
            properties=default_spreadsheet_properties(title),
            owner=owner,
        )
        ss.sheets.append(new_sheet(0, "Sheet1", 0))
        return ss

    def get(self, spreadsheet_id: str) -> Spreadsheet | None:
        return self.spreadsheets.get(spreadsheet_id)


def default_spreadsheet_properties(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "locale": "en_US",
        "autoRecalc": "ON_CHANGE",
        "timeZone": "Etc/GMT",
        "defaultFormat": json_copy(DEFAULT_FORMAT),
        "spreadsheetTheme": json_copy(SPREADSHEET_THEME),
    }


def new_sheet(
    sheet_id: int,
    title: str,
    index: int,
    rows: int = DEFAULT_ROWS,
    cols: int = DEFAULT_COLUMNS,
) -> Sheet:
    return Sheet(
        properties={
            "sheetId": sheet_id,
            "title": title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": cols},
        }
    )
