"""Surgical edits of one worksheet part, as text: every byte not edited stays as it was.

The part is split around ``<sheetData>`` into a head (``sheetPr`` … ``cols``), the cell data
and a tail (``sheetProtection`` … ``extLst``). Top-level elements of the head and tail are
found, replaced or inserted in the order ECMA-376 prescribes (``CT_Worksheet``); cells are
edited row by row through :class:`CellOp` callbacks, which may also create cells (and rows)
that are not in the file. Used by ``schema apply`` (formats, validation, freeze, notes,
protection) and ``fix --apply`` (typed values) — never by the ordinary tab writes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import BackendError
from .read import column_index
from .render import column_letter

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"

#: children of <worksheet> in schema order (mc:AlternateContent wraps oleObjects/controls)
ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
         "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
         "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
         "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
         "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
         "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
         "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "AlternateContent",
         "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"]
_HEAD = set(ORDER[:ORDER.index("sheetData")])

#: ``(existing <c> element or None, cell reference) → new element`` (None: leave as is)
CellOp = Callable[[str | None, str], str | None]

_REF_RE = re.compile(r"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d*)["']""")
_ROW_R_RE = re.compile(r"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_SPANS_RE = re.compile(r"""(\sspans\s*=\s*)(["'])(\d+):(\d+)\2""")
_S_RE = re.compile(r"""\ss\s*=\s*(["'])(\d*)\1""")


def cell_style(element: str | None) -> int:
    """The ``s`` attribute (cellXfs index) of a ``<c>`` element; 0 when absent."""
    if not element:
        return 0
    m = _S_RE.search(element, 0, max(element.find(">"), 0) or len(element))
    try:
        return int(m.group(2)) if m and m.group(2) else 0
    except ValueError:
        return 0


def with_style(element: str, style: int) -> str:
    """``element`` with its ``s`` attribute set to ``style`` (removed when 0)."""
    end = element.index(">")
    if element[end - 1] == "/":
        end -= 1
    start, rest = element[:end], element[end:]
    attr = f' s="{style}"' if style else ""
    if _S_RE.search(start):
        start = _S_RE.sub(lambda _m: attr, start, count=1)
    else:
        ref = _REF_RE.search(start)
        if ref is not None:  # keep `s` right after `r`, where Excel writes it
            start = start[:ref.end()] + attr + start[ref.end():]
        else:
            start += attr
    return start + rest


_HEAD_S_RE = re.compile(r'(<(?:[\w.-]+:)?c r="[A-Za-z]{1,3}\d+")(?: s="(\d*)")?(?=[\s/>])')


def restyle(element: str, style_for: Callable[[int], int]) -> str | None:
    """``element`` with its style ``s`` replaced by ``style_for(s)``; ``None`` when that
    is the same style (one regular-expression match in the common ``<c r=… s=…`` case)."""
    m = _HEAD_S_RE.match(element)
    if m is None:
        old = cell_style(element)
        new = style_for(old)
        return with_style(element, new) if new != old else None
    old = int(m.group(2)) if m.group(2) else 0
    new = style_for(old)
    if new == old:
        return None
    return m.group(1) + (f' s="{new}"' if new else "") + element[m.end():]


def has_value(element: str | None) -> bool:
    """Whether a ``<c>`` element holds a value (a ``<v>`` or an inline string)."""
    if not element or element.endswith("/>"):
        return False
    return bool(re.search(r"<(?:[\w.-]+:)?(?:v|is)[\s>]", element))


def has_formula(element: str | None) -> bool:
    """Whether a ``<c>`` element holds a formula (``<f>``)."""
    return bool(element) and re.search(r"<(?:[\w.-]+:)?f[\s>/]", element or "") is not None


@dataclass
class _Span:
    start: int
    end: int
    text: str


class WorksheetXml:
    """A worksheet part being edited; :meth:`to_bytes` gives the new part."""

    def __init__(self, xml: bytes, name: str = "worksheet") -> None:
        self.name = name
        text = xml.decode("utf-8")
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]", text)
        if pm is None:
            raise BackendError(f"{name}: not a worksheet")
        self.prefix = pm.group(1) + ":" if pm.group(1) else ""
        self.root_tag = text[pm.start():text.index(">", pm.start()) + 1]
        p = re.escape(self.prefix)
        sd = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", text)
        if sd is None:
            raise BackendError(f"{name}: the worksheet has no <sheetData>")
        if sd.group(1):  # <sheetData/>
            self.head = text[:sd.start()] + f"<{self.prefix}sheetData>"
            self.data = ""
            self.tail = f"</{self.prefix}sheetData>" + text[sd.end():]
        else:
            close = text.index(f"</{self.prefix}sheetData>", sd.end())
            self.head, self.data, self.tail = text[:sd.end()], text[sd.end():close], \
                text[close:]
        self._row_re = re.compile(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)", re.S)
        self._cell_re = re.compile(
            rf"<{p}c\b(?:\s+r=\"([A-Za-z]{{1,3}})\d+\")?([^>]*?)(?:/>|>.*?</{p}c>)", re.S)
        self._start_re = re.compile(rf"<{p}c r=\"([A-Za-z]{{1,3}})\d+\"")
        self._letters: list[str] = []
        self._columns: dict[str, int] = {}

    def to_bytes(self) -> bytes:
        return (self.head + self.data + self.tail).encode("utf-8")

    # -- top-level elements ----------------------------------------------------------
    def _find(self, text: str, name: str) -> _Span | None:
        p = re.escape(self.prefix)
        m = re.search(rf"<{p}{name}(?=[\s/>])[^>]*?(/?)>", text)
        if m is None:
            return None
        if m.group(1):
            return _Span(m.start(), m.end(), m.group(0))
        close = f"</{self.prefix}{name}>"
        end = text.find(close, m.end())
        if end < 0:
            raise BackendError(f"{self.name}: unclosed <{name}>")
        end += len(close)
        return _Span(m.start(), end, text[m.start():end])

    def element(self, name: str) -> str | None:
        """The text of the top-level element ``name`` (the first one), or ``None``."""
        found = self._find(self.head if name in _HEAD else self.tail, name)
        return found.text if found else None

    def elements(self, name: str) -> list[str]:
        """Every top-level element ``name`` of the tail (e.g. conditionalFormatting)."""
        out, text = [], self.tail
        while (found := self._find(text, name)) is not None:
            out.append(found.text)
            text = text[found.end:]
        return out

    def set_element(self, name: str, xml: str | None) -> None:
        """Replace the element ``name`` by ``xml`` (insert it in order; ``None`` removes)."""
        in_head = name in _HEAD
        text = self.head if in_head else self.tail
        found = self._find(text, name)
        if found is not None:
            text = text[:found.start] + (xml or "") + text[found.end:]
        elif xml:
            pos = self._insert_at(text, name, in_head)
            text = text[:pos] + xml + text[pos:]
        if in_head:
            self.head = text
        else:
            self.tail = text

    def _insert_at(self, text: str, name: str, in_head: bool) -> int:
        p = re.escape(self.prefix)
        later = ORDER[ORDER.index(name) + 1:]
        best = None
        for sibling in later:
            pattern = rf"<(?:[\w.-]+:)?{sibling}(?=[\s/>])" if sibling == "AlternateContent" \
                else rf"<{p}{sibling}(?=[\s/>])"
            m = re.search(pattern, text)
            if m and (best is None or m.start() < best):
                best = m.start()
        if best is not None:
            return best
        if in_head:  # before <sheetData>
            return re.search(rf"<{p}sheetData\b", text).start()  # type: ignore[union-attr]
        return text.rindex(f"</{self.prefix}worksheet>")

    def rel_attr(self, rid: str) -> str:
        """`` r:id="rId1"`` using the root's prefix for relationships (declared if needed)."""
        m = re.search(rf'xmlns:([\w.-]+)\s*=\s*["\']({re.escape(REL_NS)}|'
                      rf'{re.escape(REL_NS_STRICT)})["\']', self.root_tag)
        if m:
            return f' {m.group(1)}:id="{rid}"'
        return f' xmlns:r="{REL_NS}" r:id="{rid}"'

    # -- cells -----------------------------------------------------------------------
    def has_formulas(self) -> bool:
        """Whether any cell of the sheet holds a formula (a quick scan)."""
        return re.search(rf"<{re.escape(self.prefix)}f[\s>/]", self.data) is not None

    def cells(self, refs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The ``<c>`` elements at (1-based row, 0-based column) ``refs`` that exist."""
        found: dict[tuple[int, int], str] = {}

        def op_for(key: tuple[int, int]) -> CellOp:
            def op(element: str | None, ref: str) -> None:
                if element is not None:
                    found[key] = element
            return op

        ops: dict[int, dict[int, CellOp]] = {}
        for key in refs:
            ops.setdefault(key[0], {})[key[1]] = op_for(key)
        self._walk(ops, None, edit=False)
        return found

    def edit_cells(self, ops: dict[int, dict[int, CellOp]],
                   row_ops: dict[int, CellOp] | None = None) -> None:
        """Apply ``ops[row][column]`` to those cells (creating them when the op returns an
        element for a missing cell) and ``row_ops[row]`` to every other existing cell of
        ``row``. Rows and cells keep their order; untouched rows keep their bytes."""
        self._walk(ops, row_ops or {}, edit=True)

    def _walk(self, ops: dict[int, dict[int, CellOp]], row_ops: dict[int, CellOp] | None,
              *, edit: bool) -> None:
        row_ops = row_ops or {}
        wanted = sorted(set(ops) | set(row_ops))
        if not wanted:
            return
        row_re = self._row_re
        out: list[str] = []
        pos = 0
        last = 0
        k = 0  # next index into wanted
        max_row = max_col = 0
        data = self.data
        for m in row_re.finditer(data):
            rm = _ROW_R_RE.search(m.group(1))
            number = int(rm.group(1)) if rm else last + 1
            last = number
            while k < len(wanted) and wanted[k] < number:  # rows missing from the file
                new = self._new_row(wanted[k], ops.get(wanted[k], {}))
                if new:
                    out.append(data[pos:m.start()])
                    pos = m.start()
                    out.append(new)
                    max_row = max(max_row, wanted[k])
                    max_col = max(max_col, max(ops.get(wanted[k]) or [0]) + 1)
                k += 1
            if k < len(wanted) and wanted[k] == number:
                k += 1
                new_row, top = self._edit_row(m, number, ops.get(number, {}),
                                              row_ops.get(number))
                if new_row is not None and edit:
                    out.append(data[pos:m.start()])
                    out.append(new_row)
                    pos = m.end()
                    max_row, max_col = max(max_row, number), max(max_col, top)
            if k >= len(wanted):
                break
        tail_rows = []
        while k < len(wanted):
            new = self._new_row(wanted[k], ops.get(wanted[k], {}))
            if new:
                tail_rows.append(new)
                max_row = max(max_row, wanted[k])
                max_col = max(max_col, max(ops.get(wanted[k]) or [0]) + 1)
            k += 1
        if not edit:
            return
        out.append(data[pos:])
        out.extend(tail_rows)
        self.data = "".join(out)
        if max_row:
            self._widen_dimension(max_row, max_col)

    def _new_row(self, number: int, ops: dict[int, CellOp]) -> str:
        cells = []
        for col in sorted(ops):
            new = ops[col](None, f"{self._letter(col)}{number}")
            if new:
                cells.append(new)
        if not cells:
            return ""
        return f'<{self.prefix}row r="{number}">{"".join(cells)}</{self.prefix}row>'

    def _letter(self, col: int) -> str:
        letters = self._letters
        while col >= len(letters):
            letters.append(column_letter(len(letters)))
        return letters[col]

    def _fast_row(self, attrs: str, body: str, number: int,
                  ops: dict[int, CellOp]) -> tuple[str | None, int] | None:
        """Edit a row whose cells all have ``r`` as first attribute, in column order (how
        Excel, LibreOffice and openpyxl write them) without visiting every cell in Python;
        ``None`` for any other row, which :meth:`_edit_row` scans cell by cell."""
        p = self.prefix
        found = [(m.start(), m.group(1)) for m in self._start_re.finditer(body)]
        if len(found) != body.count(f"<{p}c ") + body.count(f"<{p}c>") \
                + body.count(f"<{p}c/"):
            return None
        columns = self._columns
        try:
            cols = [columns[letters] for _, letters in found]
        except KeyError:
            for _, letters in found:
                if letters not in columns:
                    columns[letters] = column_index(letters)
            cols = [columns[letters] for _, letters in found]
        if cols != sorted(cols) or len(set(cols)) != len(cols):
            return None
        close = f"</{p}c>"

        def end_of(start: int) -> int:
            gt = body.find(">", start)
            return gt + 1 if body[gt - 1] == "/" else body.find(close, gt) + len(close)

        after_last = end_of(found[-1][0]) if found else 0
        spots = []
        added = []
        for col in sorted(ops):
            i = bisect_left(cols, col)
            if i < len(cols) and cols[i] == col:
                start = found[i][0]
                spots.append((start, end_of(start), col))
            else:
                at = found[i][0] if i < len(cols) else after_last
                spots.append((at, at, col))
                added.append(col)
        spots.sort()
        pieces: list[str] = []
        pos = 0
        for start, end, col in spots:
            element = body[start:end] if end > start else None
            new = ops[col](element, f"{self._letter(col)}{number}")
            if new is not None and new != element:
                pieces.append(body[pos:start])
                pieces.append(new)
                pos = end
            elif element is None and col in added:
                added.remove(col)
        if not pieces:
            return None, 0
        pieces.append(body[pos:])
        if added:
            attrs = _widen_spans(attrs, min(added) + 1, max(added) + 1)
        top = max(cols[-1] + 1 if cols else 0, max(added) + 1 if added else 0)
        return f"<{p}row{attrs}>{''.join(pieces)}</{p}row>", top

    def _edit_row(self, m: re.Match[str], number: int, ops: dict[int, CellOp],
                  row_op: CellOp | None) -> tuple[str | None, int]:
        """The new ``<row>`` element (``None`` when unchanged) and its last column + 1."""
        attrs, body = m.group(1), m.group(2) or ""
        if row_op is None and ops:
            fast = self._fast_row(attrs, body, number, ops)
            if fast is not None:
                return fast
        columns = self._columns
        pieces: list[str] = []
        pos = 0
        col = -1
        todo = sorted(ops)
        k = 0
        changed = False
        added: list[int] = []
        top = 0
        end_of_cells = 0
        for cm in self._cell_re.finditer(body):
            letters = cm.group(1)
            if letters is None:
                ref = _REF_RE.search(cm.group(2))
                letters = ref.group(1) if ref else None
            if letters is None:
                col += 1
            else:
                col = columns.get(letters, -1)
                if col < 0:
                    col = columns[letters] = column_index(letters)
            while k < len(todo) and todo[k] < col:
                new = ops[todo[k]](None, f"{self._letter(todo[k])}{number}")
                if new:
                    pieces.append(body[pos:cm.start()])
                    pos = cm.start()
                    pieces.append(new)
                    changed = True
                    added.append(todo[k])
                k += 1
            op: CellOp | None = None
            if k < len(todo) and todo[k] == col:
                op = ops[todo[k]]
                k += 1
            elif row_op is not None:
                op = row_op
            if op is not None:
                new = op(cm.group(0), f"{self._letter(col)}{number}")
                if new is not None and new != cm.group(0):
                    pieces.append(body[pos:cm.start()])
                    pieces.append(new)
                    pos = cm.end()
                    changed = True
            end_of_cells = cm.end()
            top = max(top, col + 1)
        tail_cells = []
        while k < len(todo):
            new = ops[todo[k]](None, f"{self._letter(todo[k])}{number}")
            if new:
                tail_cells.append(new)
                added.append(todo[k])
                changed = True
            k += 1
        if not changed:
            return None, top
        if added:
            top = max(top, max(added) + 1)
        pieces.append(body[pos:end_of_cells])  # pos never passes the last cell's end
        pieces.extend(tail_cells)
        pieces.append(body[end_of_cells:])
        if added:
            attrs = _widen_spans(attrs, min(added) + 1, max(added) + 1)
        return f"<{self.prefix}row{attrs}>{''.join(pieces)}</{self.prefix}row>", top

    def _widen_dimension(self, max_row: int, max_col: int) -> None:
        dim = self.element("dimension")
        if dim is None:
            return
        m = re.search(r"""ref\s*=\s*["']([^"']*)["']""", dim)
        if m is None:
            return
        refs = re.findall(r"\$?([A-Za-z]{1,3})\$?(\d+)", m.group(1))
        if not refs:
            return
        first_col, first_row = refs[0]
        last_col, last_row = refs[-1]
        new_col = max(column_index(last_col), max_col - 1)
        new_row = max(int(last_row), max_row)
        if new_col == column_index(last_col) and new_row == int(last_row):
            return
        ref = f"{first_col}{first_row}:{column_letter(new_col)}{new_row}"
        self.set_element("dimension", dim[:m.start(1)] + ref + dim[m.end(1):])


def _widen_spans(attrs: str, low: int, high: int) -> str:
    m = _SPANS_RE.search(attrs)
    if m is None:
        return attrs
    a, b = int(m.group(3)), int(m.group(4))
    if low >= a and high <= b:
        return attrs
    return attrs[:m.start()] + f'{m.group(1)}"{min(a, low)}:{max(b, high)}"' + attrs[m.end():]
