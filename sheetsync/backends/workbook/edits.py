"""`fix --apply` on a workbook: typed values written into cells still holding the value
the plan was made from.

:func:`check_edits` re-reads the edited tabs from the current file bytes with the reader
of :mod:`.read` (the same typing as every read) and keeps an edit only when its cell
holds ``edit.old`` — the same value *and* the same kind (``"80"`` ≠ ``80``, a
:class:`~sheetsync.grid.PercentValue` only equals a ``PercentValue``). A cell holding a
formula is skipped too, whatever its cached value: replacing it would drop the formula (and
break the cells sharing it). :func:`write_edits` then replaces the ``<c>`` element of each
applied edit, in the sheet XML as text:

* ``str`` → an inline string (never a formula, whatever it starts with);
* ``int``/``float`` → a number; ``PercentValue`` → its fraction;
* ``datetime.date``/``datetime`` → a serial number (1900 or 1904 date system);

with ``edit.number_format`` on the cell's style (cloned, so the rep's font and fill stay;
a date or percent value with no format gets ``yyyy/mm/dd`` or ``0%``, so it reads back as
what was written). The cell keeps its reference and style; every other cell, tab and part
keeps its bytes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...fixes import CellEdit, EditCheck, split_edits
from ...grid import PercentValue, date_to_serial
from ...tabspec import TabSpec
from ..number_format import default_format
from .package import Package
from .parts import (
    PackageEdit,
    find_sheet,
    guard_tabs,
    save_styles,
    styles_merger,
    with_tabs,
    worksheet_part,
)
from .read import DAYS_1904, read_tabs
from .sheet_xml import CellOp, WorksheetXml, cell_style, has_formula
from .style_variants import XfCloner
from .text import encode


def check_edits(data: bytes, path: Path, edits: Sequence[CellEdit]) -> EditCheck:
    """Split ``edits`` by whether their cell (in ``data``) still holds ``edit.old``."""
    if not edits:
        return EditCheck()
    pkg = Package(data, path)
    info, _, grids = read_tabs(pkg, {e.tab for e in edits})
    elements: dict[str, dict[tuple[int, int], str]] = {}
    for tab in {e.tab for e in edits}:
        entry = find_sheet(info, tab)
        if entry is not None and entry.is_worksheet and entry.part and pkg.has(entry.part):
            sheet = WorksheetXml(pkg.read(entry.part), entry.part)
            if sheet.has_formulas():
                elements[tab] = sheet.cells({(e.row, e.column) for e in edits
                                             if e.tab == tab})
    return split_edits(edits, grids, lambda e: has_formula(
        elements.get(e.tab, {}).get((e.row, e.column))))


def _number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a cell")
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def cell_xml(prefix: str, ref: str, style: int, value: Any, date1904: bool) -> str:
    """A ``<c>`` element holding ``value`` typed (text is always an inline string)."""
    p = prefix
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<{p}c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, PercentValue):
        return f'<{p}c r="{ref}"{s}><{p}v>{_number(float(value))}</{p}v></{p}c>'
    if isinstance(value, (int, float)):
        return f'<{p}c r="{ref}"{s}><{p}v>{_number(value)}</{p}v></{p}c>'
    if isinstance(value, dt.date):
        serial = date_to_serial(value) - (DAYS_1904 if date1904 else 0)
        return f'<{p}c r="{ref}"{s}><{p}v>{_number(serial)}</{p}v></{p}c>'
    text = str(value)
    space = ' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace()
                                        or "\n" in text or "\t" in text) else ""
    return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{encode(text)}</{p}t>'
            f"</{p}is></{p}c>")


def write_edits(data: bytes, path: Path, applied: Sequence[CellEdit],
                tabs: Sequence[TabSpec], register_tab: str | None = None) -> bytes:
    """``data`` with ``applied`` written and ``tabs`` spliced in (``tabs`` may name neither
    ``register_tab`` nor an edited tab)."""
    guard_tabs(tabs, [register_tab, *sorted({e.tab for e in applied})])
    pkg, info = with_tabs(Package(data, path), tabs)
    if not applied:
        return pkg.data
    edit = PackageEdit(pkg)
    merger = styles_merger(edit, info)
    cloner = XfCloner(merger)
    for tab in sorted({e.tab for e in applied}):
        part = worksheet_part(pkg, info, tab)
        sheet = WorksheetXml(edit.read(part), part)
        ops: dict[int, dict[int, CellOp]] = {}
        for e in applied:
            if e.tab == tab:
                ops.setdefault(e.row, {})[e.column] = _value_op(
                    cloner, e, sheet.prefix, info.date1904)
        sheet.edit_cells(ops)
        edit.set(part, sheet.to_bytes())
    save_styles(edit, info, merger)
    return edit.build()


def _value_op(cloner: XfCloner, e: CellEdit, prefix: str, date1904: bool) -> CellOp:
    def op(element: str | None, ref: str) -> str:
        style = cell_style(element)
        fmt = e.number_format or default_format(e.new)
        if fmt:
            style = cloner.with_format(style, fmt)
        return cell_xml(prefix, ref, style, e.new, date1904)
    return op
