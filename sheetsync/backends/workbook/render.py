"""Render a :class:`~sheetsync.tabspec.TabSpec` as SpreadsheetML worksheet XML.

The sheet XML is written directly (openpyxl would take seconds for the large owned tabs
such as the hidden snapshot): note row, bold/filled/bordered header frozen below it, number
formats by column (its own pattern, else by kind), column widths that fit, internal
hyperlinks, conditional formats, the page setup (:mod:`.page`) and the ``<drawing>``
reference of the chart. Text is an inline string, or when it repeats in its column and the
writer passes the workbook's table, a shared string (:mod:`.shared_strings`) — either way a
value starting with ``=``, ``+``, ``-`` or ``@`` stays text, never a formula. Charts are
drawn by openpyxl (:mod:`.chart`). The output depends only on the spec, the style indices
and the table, so rendering the same spec twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...errors import BackendError
from ...grid import date_to_serial
from ...tabspec import NUMBER_FORMATS, CondFormat, FilterLink, Link, TabSpec
from ..columns import column_widths, plain_value
from .package import xml_escape
from .page import page_setup, sheet_properties
from .read import DAYS_1904
from .shared_strings import SharedStrings
from .styles import DxfSpec, StyleMerger, XfSpec
from .text import encode

HEADER_FILL = "FFDDEBF7"
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_LINKS = 65530  # Excel's limit of hyperlinks per sheet
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "="}


def column_letter(index: int) -> str:
    """0-based column index → letters (0 → ``A``, 26 → ``AA``)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote_sheet(name: str) -> str:
    """``Tab`` → ``'Tab'`` with ``'`` doubled, as in Excel references."""
    return "'" + name.replace("'", "''") + "'"


def internal_link(tab: str, cell: str) -> str:
    """``#'Tab'!A12``: an Excel hyperlink to a cell of the same workbook."""
    return f"#{quote_sheet(tab)}!{cell}"


@dataclass
class SheetStyles:
    """The style indices one tab uses (from :class:`StyleMerger`): ``by_kind`` for a value
    whose type differs from its column's (a date in a text column), ``by_column`` for the
    data cells of each column (its own number format, if any)."""

    header: int
    note: int
    link: int
    by_kind: dict[str, int]
    dxf: list[int] = field(default_factory=list)
    by_column: list[int] = field(default_factory=list)


def kind_xf(kind: str) -> XfSpec:
    return XfSpec(num_fmt=NUMBER_FORMATS.get(kind))


def collect_styles(spec: TabSpec, merger: StyleMerger) -> SheetStyles:
    """Register the styles ``spec`` needs with ``merger``."""
    kinds = {"text", "date", "datetime"} | {c.kind for c in spec.columns}
    return SheetStyles(
        header=merger.xf(XfSpec(font="bold", fill=HEADER_FILL, bottom_border=True)),
        note=merger.xf(XfSpec(font="italic_grey")),
        link=merger.xf(XfSpec(font="link")),
        by_kind={k: merger.xf(kind_xf(k)) for k in sorted(kinds)},
        dxf=[merger.dxf(DxfSpec(cf.fill, cf.font)) for cf in spec.conditional],
        by_column=[merger.xf(XfSpec(num_fmt=c.pattern)) for c in spec.columns],
    )


# -- the sheet -------------------------------------------------------------------------

def _number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))


# a text that can go into ``<t>`` as it is: no escape, no entity, no space to preserve
_CARE_RE = re.compile("\\A\\s|\\s\\Z|[\n\t&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x")


def _string_tail(style: int, text: str) -> str:
    """What follows ``<c r="A1"`` for a text cell ("" for an empty string: no cell)."""
    if not text:
        return ""
    if len(text) <= MAX_CELL_CHARS and _CARE_RE.search(text) is None:  # nothing to escape
        return (f' s="{style}" t="inlineStr"><is><t>{text}</t></is></c>' if style
                else f' t="inlineStr"><is><t>{text}</t></is></c>')
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS]
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace()
                                        or "\n" in text or "\t" in text) else ""
    return f' {s.strip()} t="inlineStr"><is><t{space}>{encode(text)}</t></is></c>' if s \
        else f' t="inlineStr"><is><t{space}>{encode(text)}</t></is></c>'


def _string_cell(ref: str, style: int, text: str) -> str:
    tail = _string_tail(style, text)
    return f'<c r="{ref}"{tail}' if tail else ""


class _RowWriter:
    """Cells of one tab → ``<c>`` elements, with the tab's styles and date system."""

    def __init__(self, spec: TabSpec, styles: SheetStyles, date1904: bool):
        self.styles = styles
        self.offset = DAYS_1904 if date1904 else 0
        self.kinds = [c.kind for c in spec.columns]
        self.kind_xf = list(styles.by_column) or [styles.by_kind.get(k, 0)
                                                  for k in self.kinds]
        self.letters = [column_letter(i) for i in range(max(len(spec.columns), 1))]
        self.links: list[tuple[str, Link]] = []

    def letter(self, i: int) -> str:
        while i >= len(self.letters):
            self.letters.append(column_letter(len(self.letters)))
        return self.letters[i]

    def cell(self, value: Any, ref: str, i: int) -> str:
        value = plain_value(value)
        if value is None:
            return ""
        kind = self.kinds[i] if i < len(self.kinds) else "text"
        style = self.kind_xf[i] if i < len(self.kind_xf) else 0
        if isinstance(value, str):
            return _string_cell(ref, style, value)
        if isinstance(value, Link):
            if len(self.links) >= MAX_LINKS:  # Excel's limit: keep the text, drop the link
                return _string_cell(ref, style, value.text)
            self.links.append((ref, value))
            return _string_cell(ref, self.styles.link, value.text)
        if isinstance(value, bool):
            s = f' s="{style}"' if style else ""
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.date):
            if kind not in ("date", "datetime"):  # a date in another column: a date format
                timed = isinstance(value, dt.datetime) and value.time() != dt.time(0)
                style = self.styles.by_kind["datetime" if timed else "date"]
            serial = date_to_serial(value) - self.offset
            return f'<c r="{ref}" s="{style}"><v>{_number(serial)}</v></c>'
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s}><v>{_number(value)}</v></c>'


@dataclass(frozen=True)
class _Layout:
    """Per column of a tab's data: its letter, its style's ``s`` attribute, the start of a
    number cell, and the style of a date cell (a date in a column of another kind keeps the
    date format)."""

    letters: list[str]
    kind_xf: list[int]
    style_attr: list[str]
    number_head: list[str]
    date_xf: list[int]


def _layout(w: _RowWriter, width: int) -> _Layout:
    kind_xf = w.kind_xf + [0] * (width - len(w.kind_xf))
    style_attr = [f' s="{x}"' if x else "" for x in kind_xf]
    return _Layout(
        letters=[w.letter(i) for i in range(width)],
        kind_xf=kind_xf,
        style_attr=style_attr,
        number_head=[f"<c{a}><v>" for a in style_attr],
        date_xf=[x if k in ("date", "datetime") else w.styles.by_kind["date"]
                 for x, k in zip(kind_xf, w.kinds + ["text"] * (width - len(w.kinds)))])


#: rows rendered at a time, column by column (bounds what is held: ~1–2 MB of cells)
ROW_BLOCK = 2048


def _inline(style_attr: str, style: int, text: str) -> str:
    """The ``<c>`` element (no reference) of a non-empty inline text: ``"<c" +``
    :func:`_string_tail`, with one regex scan for the common text that needs nothing.

    >>> _inline(' s="3"', 3, "佐藤") == "<c" + _string_tail(3, "佐藤")
    True
    """
    if len(text) <= MAX_CELL_CHARS and _CARE_RE.search(text) is None:
        return f'<c{style_attr} t="inlineStr"><is><t>{text}</t></is></c>'
    return "<c" + _string_tail(style, text)


class _TextCells(dict[Any, str]):
    """One column's texts → their ``<c>`` element (``""``: no cell). A text the column
    holds more than once (``promoted``: text → its shared-string element) is inline the
    first time and shared from then on; without a shared-string table every text is
    inline."""

    def __init__(self, style_attr: str, style: int, promoted: dict[str, str] | None):
        super().__init__({None: "", "": ""})
        self.style_attr, self.style, self.promoted = style_attr, style, promoted

    def __missing__(self, text: str) -> str:
        element = _inline(self.style_attr, self.style, text)
        if self.promoted is None:
            self[text] = element
        else:
            shared = self.promoted.get(text)
            if shared is not None:  # the next time it is a reference into the table
                self[text] = shared
        return element


class _Memo(dict[Any, str]):
    """value → element, made by ``make`` the first time."""

    def __init__(self, make: Any):
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> str:
        element = self[value] = self.make(value)
        return element


def _data_rows(spec: TabSpec, w: _RowWriter, sst: SharedStrings | None = None
               ) -> Iterator[str]:
    """``<row>`` elements of the data, rendered a block of rows at a time and column by
    column: a column of one type (texts, whole numbers, dates, links) is turned into cells
    by one comprehension or a cached lookup per cell, and a cell after a gap gets its
    reference in a second, cheap pass.

    A cell right after the previous one carries no reference (``r`` is optional: a cell
    without one is in the next column, as Excel, LibreOffice and openpyxl read it), so a
    cell's XML depends on its column and value only. The bytes are those of writing the
    rows one by one (tests/test_workbook_render_fast.py keeps that writer as the
    reference): the shared-string table grows in the same order — a text is added where its
    column shows it the second time, row by row."""
    rows = spec.rows
    if not rows:
        return
    width = max([len(spec.columns)] + [len(r) for r in rows])
    data: list[Any] = [r if len(r) == width else list(r) + [None] * (width - len(r))
                       for r in rows]
    columns = list(zip(*data, strict=True))
    del data
    types = [set(map(type, col)) for col in columns]
    cutoff = _link_cutoff(columns, types, MAX_LINKS - len(w.links))
    layout = _layout(w, width)
    letters, kind_xf, style_attr = layout.letters, layout.kind_xf, layout.style_attr
    number_head, date_xf = layout.number_head, layout.date_xf
    offset = w.offset
    texts = _text_columns(columns, types, style_attr, kind_xf, sst)

    def date_maker(i: int) -> _Memo:
        head = f'<c s="{date_xf[i]}"><v>'
        return _Memo(lambda d: f"{head}{_number(date_to_serial(d) - offset)}</v></c>")

    def float_maker(i: int) -> _Memo:
        head = number_head[i]
        return _Memo(lambda v: f"{head}{_number(v)}</v></c>" if v - v == 0.0 else "")

    dates = [date_maker(i) for i in range(width)]
    floats = [float_maker(i) for i in range(width)]
    link_xf = w.styles.link
    none = type(None)
    kinds = [ts - {none} for ts in types]  # the types of a column's values
    first = spec.first_data_row
    for start in range(0, len(rows), ROW_BLOCK):
        n = min(ROW_BLOCK, len(rows) - start)
        r0 = first + start
        block_links: list[tuple[list[int], list[tuple[str, Link]]]] = []
        cells: list[list[str]] = []
        for i, col in enumerate(columns):
            values = col[start:start + n]
            ts = kinds[i]
            if not ts:
                out = [""] * n
            elif ts == {str}:
                out = list(map(texts[i].__getitem__, values))
            elif ts == {int}:
                head = number_head[i]
                out = ["" if v is None else f"{head}{v}</v></c>" for v in values]
            elif ts == {float}:
                memo = floats[i]
                out = ["" if v is None else memo[v] for v in values] if none in types[i] \
                    else list(map(memo.__getitem__, values))
            elif ts == {dt.date}:
                memo = dates[i]
                out = ["" if v is None else memo[v] for v in values]
            elif ts == {Link} and none not in types[i] and (
                    cutoff is None or (start + n - 1, i) < cutoff):  # 案件ID → its row
                refs = [f"{letters[i]}{rn}" for rn in range(r0, r0 + n)]
                block_links.append((list(range(n)), list(zip(refs, values))))
                out = [f'<c r="{ref}"{tail}' if tail else ""
                       for ref, tail in zip(refs, [_string_tail(link_xf, v.text)
                                                   for v in values])]
            else:
                out = _mixed_cells(values, i, start, r0, w, block_links, letters[i],
                                   number_head[i], texts[i], dates[i], link_xf, cutoff)
            cells.append(out)
        for i in range(1, width):  # a cell after a gap names its place
            before = cells[i - 1]
            if all(before):
                continue
            out = cells[i]
            letter = letters[i]
            for k, e in enumerate(out):
                if e and not before[k] and not e.startswith('<c r="'):
                    out[k] = f'<c r="{letter}{r0 + k}"{e[2:]}'
        if len(block_links) == 1:  # one column of links: in row order already
            w.links.extend(block_links[0][1])
        elif block_links:  # row by row, then column by column
            places = [k * width + i for i, (at, _) in enumerate(block_links) for k in at]
            found = [link for _, links in block_links for link in links]
            w.links.extend([found[j] for j in sorted(range(len(found)),
                                                     key=places.__getitem__)])
        yield "".join([f'<row r="{rn}">{body}</row>' if body else f'<row r="{rn}"/>'
                       for rn, body in zip(range(r0, r0 + n), map("".join, zip(*cells)))])


def _text_columns(columns: list[tuple[Any, ...]], types: list[set[type]],
                  style_attr: list[str], kind_xf: list[int], sst: SharedStrings | None
                  ) -> list[_TextCells]:
    """Each column's :class:`_TextCells`. With a shared-string table, the texts a column
    holds more than once are added to it first, in the order the row-by-row writer adds
    them: by the row (then column) of their second appearance."""
    if sst is None:
        return [_TextCells(a, x, None) for a, x in zip(style_attr, kind_xf)]
    promoted: list[dict[str, str]] = []
    order: list[tuple[int, int, str]] = []
    for i, col in enumerate(columns):
        if str not in types[i]:
            promoted.append({})
            continue
        exact = col if types[i] <= {str, type(None)} else \
            [v if type(v) is str else None for v in col]
        repeated = {v for v, n in Counter(exact).items() if n > 1 and v}
        pending = {v for v in repeated if sst.get(v) is None}
        if pending:
            seen: set[str] = set()
            for r, v in enumerate(exact):
                if v in pending:
                    if v in seen:
                        order.append((r, i, v))
                        pending.discard(v)
                        if not pending:
                            break
                    else:
                        seen.add(v)
        promoted.append({v: "" for v in repeated})
    order.sort()
    for _, _, v in order:
        sst.index(v)
    cells = []
    for i, shared in enumerate(promoted):
        head = f"<c{style_attr[i]} t=\"s\"><v>"
        cells.append(_TextCells(style_attr[i], kind_xf[i],
                                {v: f"{head}{sst.index(v)}</v></c>" for v in shared}))
    return cells


def _link_cutoff(columns: list[tuple[Any, ...]], types: list[set[type]], budget: int
                 ) -> tuple[int, int] | None:
    """(row, column) of the first link cell over Excel's limit of links per sheet, counted
    row by row (it and the ones after it keep their text, not their link); None: all fit."""
    width = len(columns)
    places = [r * width + i for i, col in enumerate(columns)
              if any(issubclass(t, Link) for t in types[i])
              for r, v in enumerate(col) if isinstance(v, Link)]
    if len(places) <= budget:
        return None
    places.sort()
    return divmod(places[max(budget, 0)], width)


def _mixed_cells(values: tuple[Any, ...], i: int, start: int, r0: int, w: _RowWriter,
                 block_links: list[tuple[list[int], list[tuple[str, Link]]]], letter: str,
                 number_head: str,
                 texts: _TextCells, dates: _Memo, link_xf: int,
                 cutoff: tuple[int, int] | None) -> list[str]:
    """One column's cells when its values are of several types (or links): each as the
    row-by-row writer makes it; links are collected with their row and column, and from
    ``cutoff`` on a link is its text only."""
    out = []
    at: list[int] = []  # the rows (in the block) of the links
    links: list[tuple[str, Link]] = []
    for k, v in enumerate(values):
        t = type(v)
        if v is None:
            e = ""
        elif cutoff is not None and isinstance(v, Link) and (start + k, i) >= cutoff:
            style = w.kind_xf[i] if i < len(w.kind_xf) else 0
            e = _string_cell(f"{letter}{r0 + k}", style, v.text)
        elif t is str:
            e = texts[v]
        elif t is int:
            e = f"{number_head}{v}</v></c>"
        elif t is float and v - v == 0.0:
            e = f"{number_head}{_number(v)}</v></c>"
        elif t is dt.date:
            e = dates[v]
        elif t is Link:
            ref = f"{letter}{r0 + k}"
            at.append(k)
            links.append((ref, v))
            tail = _string_tail(link_xf, v.text)
            e = f'<c r="{ref}"{tail}' if tail else ""
        else:  # datetimes, booleans, numpy scalars, other links: with their reference
            held = len(w.links)
            e = w.cell(v, f"{letter}{r0 + k}", i)
            if len(w.links) > held:  # a link: in the tab's order, with the others
                at.extend([k] * (len(w.links) - held))
                links.extend(w.links[held:])
                del w.links[held:]
        out.append(e)
    if links:
        block_links.append((at, links))
    return out


def _pane(spec: TabSpec) -> str:
    ys, xs = spec.header_row, spec.freeze_columns
    top_left = f"{column_letter(xs)}{ys + 1}"
    if xs:
        return (f'<pane xSplit="{xs}" ySplit="{ys}" topLeftCell="{top_left}" '
                'activePane="bottomRight" state="frozen"/><selection pane="topRight"/>'
                '<selection pane="bottomLeft"/>'
                f'<selection pane="bottomRight" activeCell="{top_left}" sqref="{top_left}"/>')
    return (f'<pane ySplit="{ys}" topLeftCell="{top_left}" activePane="bottomLeft" '
            f'state="frozen"/><selection pane="bottomLeft" activeCell="{top_left}" '
            f'sqref="{top_left}"/>')


def _formula_value(value: float | str | None) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool) or value is None:
        raise ValueError(f"conditional format needs a number or text value, not {value!r}")
    return _number(value)


def conditional_rule(cf: CondFormat, spec: TabSpec, dxf: int, priority: int) -> str:
    """One ``<conditionalFormatting>`` element for ``cf`` (empty when there is no data)."""
    first, last = spec.first_data_row, spec.first_data_row + len(spec.rows) - 1
    if last < first:
        return ""
    try:
        col = column_letter(spec.column_index(cf.column))
        other = column_letter(spec.column_index(cf.threshold_column)) \
            if cf.threshold_column else None
    except KeyError as exc:
        raise ValueError(f"tab {spec.name!r}: conditional format on unknown column "
                         f"{exc.args[0]!r}") from exc
    cell = f"{col}{first}"
    sqref = f"{col}{first}:{col}{last}"
    head = f'<cfRule type="{{t}}" dxfId="{dxf}" priority="{priority}"{{extra}}>'
    if cf.op == "contains":
        text = str(cf.value if cf.value is not None else "")
        quoted = _formula_value(text)
        rule = (head.format(t="containsText", extra=' operator="containsText" text="'
                            + xml_escape(text, attr=True) + '"')
                + f"<formula>{xml_escape(f'NOT(ISERROR(SEARCH({quoted},{cell})))')}</formula>")
    elif other is not None:
        op = _OPS[cf.op]
        ref = f"{other}{first}"
        formula = (f"AND(ISNUMBER({cell}),ISNUMBER({ref}),{cell}{op}{ref})" if cf.op != "eq"
                   else f"AND({cell}<>\"\",{cell}={ref})")
        rule = head.format(t="expression", extra="") + \
            f"<formula>{xml_escape(formula)}</formula>"
    elif cf.op == "eq":
        rule = head.format(t="cellIs", extra=' operator="equal"') + \
            f"<formula>{xml_escape(_formula_value(cf.value))}</formula>"
    else:
        # cellIs would colour blank cells (blank counts as 0): undefined ratios stay plain
        formula = f"AND(ISNUMBER({cell}),{cell}{_OPS[cf.op]}{_formula_value(cf.value)})"
        rule = head.format(t="expression", extra="") + \
            f"<formula>{xml_escape(formula)}</formula>"
    return f'<conditionalFormatting sqref="{sqref}">{rule}</cfRule></conditionalFormatting>'


_ATTR_SPECIAL_RE = re.compile('[&<>"\r\n\t]')


def _attr_text(text: str) -> str:
    """``text`` for an attribute value (:func:`.package.xml_escape`; most need nothing)."""
    return xml_escape(text, attr=True) if _ATTR_SPECIAL_RE.search(text) else text


#: Excel has no warning-only protection: this one has no password (one click to undo) and
#: still lets people resize, sort and filter
PROTECTION = ('<{p}sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" '
              'formatRows="0" sort="0" autoFilter="0"/>')


def render_sheet(spec: TabSpec, styles: SheetStyles, *, date1904: bool = False,
                 drawing_rid: str | None = None) -> bytes:
    """The worksheet part for ``spec``."""
    return "".join(sheet_pieces(spec, styles, date1904=date1904, drawing_rid=drawing_rid)
                   ).encode("utf-8", "replace")


def sheet_pieces(spec: TabSpec, styles: SheetStyles, *, date1904: bool = False,
                 drawing_rid: str | None = None,
                 strings: SharedStrings | None = None) -> Iterator[str]:
    """The worksheet part for ``spec`` as pieces of text, row by row: the writer deflates
    them as they come (:func:`.zip_copy.deflate_text`), never holding a big tab's XML.
    With ``strings``, a text that repeats in a column is a reference into that table."""
    w = _RowWriter(spec, styles, date1904)
    n_cols = max([len(spec.columns)] + [len(r) for r in spec.rows])
    if spec.header_row + len(spec.rows) > MAX_ROWS or n_cols > MAX_COLUMNS:
        raise BackendError(f"tab {spec.name!r} is larger than an Excel sheet "
                         f"({MAX_ROWS:,} rows × {MAX_COLUMNS:,} columns)")
    last_row = spec.header_row + len(spec.rows)
    dim = f"A1:{column_letter(max(n_cols, 1) - 1)}{last_row}"
    yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    yield f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
    yield sheet_properties(spec)
    yield f'<dimension ref="{dim}"/>'
    yield f'<sheetViews><sheetView workbookViewId="0">{_pane(spec)}</sheetView></sheetViews>'
    yield '<sheetFormatPr defaultRowHeight="15"/>'
    if spec.columns:
        yield "<cols>"
        for i, width in enumerate(column_widths(spec)):
            yield f'<col min="{i + 1}" max="{i + 1}" width="{width:g}" customWidth="1"/>'
        yield "</cols>"
    yield "<sheetData>"
    if spec.note:
        yield f'<row r="1">{_string_cell("A1", styles.note, spec.note)}</row>'
    hr = spec.header_row
    yield f'<row r="{hr}">'
    for i, col in enumerate(spec.columns):
        yield _string_cell(f"{w.letter(i)}{hr}", styles.header, col.header)
    yield "</row>"
    yield from _data_rows(spec, w, strings)
    yield "</sheetData>"
    if spec.protected:
        yield PROTECTION.format(p="")
    for n, cf in enumerate(spec.conditional):
        yield conditional_rule(cf, spec, styles.dxf[n], n + 1)
    if w.links:
        yield "<hyperlinks>"
        tabs: dict[str, str] = {}  # tab → its escaped "'Tab'!" (one tab, thousands of links)
        for ref, link in w.links:
            where = tabs.get(link.tab)
            if where is None:
                where = tabs[link.tab] = xml_escape(f"{quote_sheet(link.tab)}!", attr=True)
            location = where + _attr_text(link.cell)
            # Excel cannot open a filter view: a FilterLink goes to its cell, and its tip
            # (the screen tip Excel shows on hover) says how to filter there
            tip = link.tip if isinstance(link, FilterLink) and link.tip else ""
            tooltip = f' tooltip="{xml_escape(tip[:255], attr=True)}"' if tip else ""
            yield (f'<hyperlink ref="{ref}" location="{location}"'
                   f'{tooltip} display="{_attr_text(link.text[:255])}"/>')
        yield "</hyperlinks>"
    yield ('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
           'footer="0.3"/>')
    yield page_setup(spec)
    if drawing_rid:
        yield f'<drawing r:id="{drawing_rid}"/>'
    yield "</worksheet>"
