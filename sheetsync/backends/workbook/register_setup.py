"""`schema apply` on a workbook: a :class:`~sheetsync.enforce.RegisterSetup` put into the
``.xlsx`` package surgically, in one new package.

What changes, and nothing else:

* the register's sheet XML — the ``s`` attribute of the cells in each column's
  ``format_rows`` (the cell's style cloned with the new number format; an empty cell gets a
  ``<c r=… s=…/>``), the header row's cells (bold, and a light fill unless a rep already
  filled them), ``<dataValidations>`` (see :mod:`.validation` for how sheetsync's
  rules are told from others), the ``<pane>`` freezing the rows down to the header (a larger
  freeze, or a column freeze, the reps set is kept) and ``<legacyDrawing>``;
* the register's comments part and VML drawing (header notes, :mod:`.comments`);
* ``<sheetProtection>`` on the owned tabs of ``protect_tabs`` that exist. Excel has no
  warning-only protection: the protection has no password, so *Review → Unprotect Sheet* is
  one click for a manager who needs to override. A tab that already has a
  ``<sheetProtection>`` keeps it as it is. The next ordinary write of an owned tab renders it
  afresh, without protection, until `schema apply` runs again;
* ``setup.tabs`` (the 項目定義 tab) and, when a dropdown list is too long for Excel's
  inline lists, the hidden ``_sheetsync_lists`` tab — spliced exactly as ``write`` does;
* ``styles.xml`` (styles appended), relationships and content types (entries appended).

``protect_header`` is a no-op on workbooks: Excel cannot lock a row without protecting the
whole sheet, which would lock the register for the reps. Cell values never change; applying
the same setup twice gives a byte-identical file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...enforce import ColumnSetup, RegisterSetup
from ...errors import BackendError
from ...tabspec import Column, TabSpec
from .comments import CT_COMMENTS, CT_VML, merge_comments, merge_vml
from .package import Package, parse_attrs
from .parts import (
    PackageEdit,
    find_sheet,
    guard_tabs,
    save_styles,
    styles_merger,
    with_tabs,
    worksheet_part,
)
from .read import WorkbookInfo
from .render import PROTECTION, column_letter
from .sheet_xml import CellOp, WorksheetXml, has_value, restyle
from .style_variants import XfCloner
from .validation import (
    LISTS_TAB,
    MAX_ROW,
    inline_list,
    list_range,
    merge_validations,
    render_rule,
)


@dataclass
class SetupOutcome:
    """The new package and the tabs it wrote or edited (in order)."""

    data: bytes
    tabs: list[str]


def lists_tab(columns: list[ColumnSetup]) -> tuple[TabSpec | None, dict[str, str]]:
    """The hidden tab holding the dropdown lists too long to be inline, and the reference
    of each such list (field → ``'_sheetsync_lists'!$A$2:$A$9``)."""
    long = [c for c in columns if c.rule and c.rule.kind == "list"
            and inline_list(c.rule.values) is None]
    if not long:
        return None, {}
    refs = {c.field: list_range(i, len(c.rule.values)) for i, c in enumerate(long)
            if c.rule}
    height = max(len(c.rule.values) for c in long if c.rule)
    rows = [[c.rule.values[r] if c.rule and r < len(c.rule.values) else None for c in long]
            for r in range(height)]
    return TabSpec(LISTS_TAB, [Column(c.field, c.label) for c in long], rows,
                   hidden=True), refs


def setup_package(data: bytes, path: Path, setup: RegisterSetup,
                  register_tab: str | None = None) -> SetupOutcome:
    """``data`` (the ``.xlsx`` at ``path``) with ``setup`` applied."""
    pkg = Package(data, path)
    extra, list_refs = lists_tab(setup.columns)
    specs = list(setup.tabs) + ([extra] if extra else [])
    guard_tabs(specs, [setup.tab, register_tab])
    for name in setup.protect_tabs:
        if name.casefold() in {setup.tab.casefold(), (register_tab or "").casefold()}:
            raise BackendError(f"refusing to protect tab {name!r}: it is the register tab, "
                               "which the reps edit; nothing was written")
    pkg, info = with_tabs(pkg, specs)
    part = worksheet_part(pkg, info, setup.tab)
    edit = PackageEdit(pkg)
    merger = styles_merger(edit, info)
    sheet = WorksheetXml(pkg.read(part), part)
    _formats(sheet, setup, XfCloner(merger))
    rules = [render_rule(c.rule, _column_range(c, setup), list_ref=list_refs.get(c.field),
                         date1904=info.date1904) for c in setup.columns if c.rule]
    current = sheet.element("dataValidations")
    merged = merge_validations(current, sheet.prefix, rules)
    if merged != current:
        sheet.set_element("dataValidations", merged)
    freeze_rows(sheet, setup.header_row)
    _notes(edit, sheet, part, setup)
    edit.set(part, sheet.to_bytes())
    protected = _protect(edit, pkg, info, setup.protect_tabs)
    save_styles(edit, info, merger)
    tabs = [s.name for s in specs] + [setup.tab] + [t for t in protected if t not in
                                                      {s.name for s in specs}]
    return SetupOutcome(edit.build(), tabs)


def _column_range(column: ColumnSetup, setup: RegisterSetup) -> str:
    letter = column_letter(column.column)
    return f"{letter}{setup.first_data_row}:{letter}{MAX_ROW}"


def _formats(sheet: WorksheetXml, setup: RegisterSetup, cloner: XfCloner) -> None:
    p = sheet.prefix
    ops: dict[int, dict[int, CellOp]] = {}
    for column in setup.columns:
        if not column.number_format or not column.format_rows:
            continue
        op = _format_op(cloner, column.number_format, p)
        for first, last in column.format_rows:
            for row in range(first, last + 1):
                ops.setdefault(row, {})[column.column] = op

    def header(element: str | None, ref: str) -> str | None:
        if element is None or not has_value(element):
            return None
        return restyle(element, cloner.header)

    sheet.edit_cells(ops, {setup.header_row: header})


def _format_op(cloner: XfCloner, code: str, prefix: str) -> CellOp:
    def style_for(style: int) -> int:
        return cloner.with_format(style, code)

    def op(element: str | None, ref: str) -> str | None:
        if element is None:
            new = style_for(0)
            return f'<{prefix}c r="{ref}" s="{new}"/>' if new else None
        return restyle(element, style_for)
    return op


# -- freeze ----------------------------------------------------------------------------

def _pane(p: str, x: int, y: int) -> str:
    top_left = f"{column_letter(x)}{y + 1}"
    if x:
        return (f'<{p}pane xSplit="{x}" ySplit="{y}" topLeftCell="{top_left}" '
                f'activePane="bottomRight" state="frozen"/><{p}selection pane="topRight"/>'
                f'<{p}selection pane="bottomLeft"/><{p}selection pane="bottomRight" '
                f'activeCell="{top_left}" sqref="{top_left}"/>')
    return (f'<{p}pane ySplit="{y}" topLeftCell="{top_left}" activePane="bottomLeft" '
            f'state="frozen"/><{p}selection pane="bottomLeft" activeCell="{top_left}" '
            f'sqref="{top_left}"/>')


def freeze_rows(sheet: WorksheetXml, rows: int) -> None:
    """Freeze the first ``rows`` rows in the first sheet view, keeping a larger row
    freeze and any column freeze; untouched when already frozen that far."""
    p = sheet.prefix
    pe = re.escape(p)
    views = sheet.element("sheetViews")
    if views is None:
        sheet.set_element("sheetViews", f'<{p}sheetViews><{p}sheetView workbookViewId="0">'
                                        f'{_pane(p, 0, rows)}</{p}sheetView></{p}sheetViews>')
        return
    view = re.search(rf"<{pe}sheetView\b([^>]*?)(/?)>", views)
    if view is None:
        return
    if view.group(2):  # <sheetView …/>
        body, rest = "", view.end()
        open_tag, close = f"<{p}sheetView{view.group(1)}>", f"</{p}sheetView>"
    else:
        rest = views.index(f"</{p}sheetView>", view.end())
        body = views[view.end():rest]
        open_tag, close = view.group(0), ""
    pane = re.search(rf"<{pe}pane\b([^>]*?)(?:/>|>\s*</{pe}pane>)", body)
    x = y = 0
    if pane is not None:
        attrs = parse_attrs(pane.group(1))
        if attrs.get("state", "split") in ("frozen", "frozenSplit"):
            x, y = _int(attrs.get("xSplit")), _int(attrs.get("ySplit"))
            if y >= rows:
                return
    body = re.sub(rf"<{pe}(?:pane|selection)\b[^>]*?(?:/>|>.*?</{pe}(?:pane|selection)>)",
                  "", body, flags=re.S)
    sheet.set_element("sheetViews", views[:view.start()] + open_tag + _pane(p, x, max(y, rows))
                      + body + close + views[rest:])


def _int(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


# -- notes -----------------------------------------------------------------------------

def _notes(edit: PackageEdit, sheet: WorksheetXml, part: str, setup: RegisterSetup) -> None:
    notes = {f"{column_letter(c.column)}{setup.header_row}": c.note
             for c in sorted(setup.columns, key=lambda c: c.column) if c.note}
    rels = edit.rels(part)
    comments = next((t for _, kind, t in rels if kind.endswith("/comments") and t
                     and edit.has(t)), None)
    if comments is None and not notes:
        return
    merged = merge_comments(edit.read(comments) if comments else None, notes)
    if comments is None and not merged.written:
        return
    if comments is None:
        comments = edit.alloc("xl/comments{}.xml")
        edit.add_rel(part, "comments", comments)
        edit.content_type(part=comments, ctype=CT_COMMENTS)
    edit.set(comments, merged.xml)

    legacy = sheet.element("legacyDrawing")
    vml = None
    if legacy is not None:
        rid = re.search(r"""(?:^|\s)[\w.-]*:?id\s*=\s*["']([^"']+)["']""", legacy[1:])
        vml = next((t for i, _, t in rels if rid and i == rid.group(1) and t
                    and edit.has(t)), None)
    if vml is None:
        if not merged.written:
            return
        vml = edit.alloc("xl/drawings/vmlDrawing{}.vml")
        rid_new = edit.add_rel(part, "vmlDrawing", vml)
        edit.content_type(extension="vml", ctype=CT_VML)
        sheet.set_element("legacyDrawing",
                          f"<{sheet.prefix}legacyDrawing{sheet.rel_attr(rid_new)}/>")
        existing = None
    else:
        existing = edit.read(vml)
    edit.set(vml, merge_vml(existing, merged.removed, merged.written))


# -- protection ------------------------------------------------------------------------

def _protect(edit: PackageEdit, pkg: Package, info: WorkbookInfo,
             names: list[str]) -> list[str]:
    done = []
    for name in names:
        entry = find_sheet(info, name)
        if entry is None or not entry.is_worksheet or not entry.part \
                or not pkg.has(entry.part):
            continue
        sheet = WorksheetXml(edit.read(entry.part), entry.part)
        if sheet.element("sheetProtection") is not None:
            continue
        sheet.set_element("sheetProtection", PROTECTION.format(p=sheet.prefix))
        edit.set(entry.part, sheet.to_bytes())
        done.append(entry.name)
    return done
