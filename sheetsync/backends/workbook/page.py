"""How an owned tab prints in a workbook: page setup in its sheet XML, print titles in
``workbook.xml``.

A :class:`~sheetsync.tabspec.PageSetup` becomes ``<sheetPr><pageSetUpPr fitToPage="1"/>``
(when fitting to a page width), ``<pageSetup>`` (A4, orientation, ``fitToWidth``,
``fitToHeight="0"``: never fit the height) and a ``_xlnm.Print_Titles`` defined name that
repeats rows 1 through the header on every page (and the frozen columns, when the tab is
not fitted to one page wide). Hidden tabs are never printed: they get
none of it.

``workbook.xml`` is edited as text (:func:`edit_print_titles`): only the print titles of
the tabs being written change, in place when they exist; every other defined name keeps
its bytes, and writing the same tabs twice gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ...a1 import column_letters as get_column_letter
from ...tabspec import PageSetup, TabSpec
from .package import parse_attrs, xml_escape

PRINT_TITLES = "_xlnm.Print_Titles"
A4 = 9  # ECMA-376 paperSize


def _page(spec: TabSpec) -> PageSetup | None:
    """The page setup that applies: none for hidden tabs."""
    return None if spec.hidden else spec.page


def sheet_properties(spec: TabSpec) -> str:
    """``<sheetPr>`` (the worksheet's first child) asking to fit to pages, or ``""``."""
    page = _page(spec)
    if page is None or page.fit_width <= 0:
        return ""
    return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'


def page_setup(spec: TabSpec) -> str:
    """``<pageSetup>`` (after ``<pageMargins>``), or ``""`` without a page setup.

    >>> page_setup(TabSpec("t", []))
    '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0" paperSize="9"/>'
    """
    page = _page(spec)
    if page is None:
        return ""
    fit = (f' fitToWidth="{page.fit_width}" fitToHeight="0"' if page.fit_width > 0 else "")
    return f'<pageSetup orientation="{page.orientation}"{fit} paperSize="{A4}"/>'


def print_titles(spec: TabSpec) -> str | None:
    """The print titles reference of ``spec`` (rows 1 through the header), or None. A tab
    not fitted to one page wide prints over several pages across: its frozen columns (the
    name of each row) are repeated on each of them too.

    >>> print_titles(TabSpec("売上'予測", [], note="as of"))
    "'売上''予測'!$1:$2"
    >>> print_titles(TabSpec("Reps", [], freeze_columns=1, page=PageSetup(fit_width=0)))
    "'Reps'!$A:$A,'Reps'!$1:$1"
    """
    page = _page(spec)
    if page is None or not page.repeat_header:
        return None
    quoted = "'" + spec.name.replace("'", "''") + "'"
    rows = f"{quoted}!$1:${spec.header_row}"
    if page.fit_width == 1 or spec.freeze_columns <= 0:
        return rows
    last = get_column_letter(spec.freeze_columns)
    return f"{quoted}!$A:${last},{rows}"


def _element(p: str, sheet: int, ref: str) -> str:
    return (f'<{p}definedName name="{PRINT_TITLES}" localSheetId="{sheet}">'
            f"{xml_escape(ref)}</{p}definedName>")


def edit_print_titles(text: str, p: str, titles: Mapping[int, str | None]) -> str:
    """``workbook.xml`` text with the print titles of the written tabs set.

    ``titles`` maps the position (``localSheetId``) of every written tab to its reference,
    or None for none. An existing print titles name of such a tab is replaced where it is
    (or removed); new ones go at the end of ``<definedNames>``, which is created when
    missing (and dropped when this leaves it empty). ``p`` is the namespace prefix
    (``"x:"`` or ``""``).
    """
    pending = {k: v for k, v in titles.items() if v is not None}
    ep = re.escape(p)
    found = re.search(rf"<{ep}definedNames\b[^>]*?(/?)>", text)
    if found is not None and not found.group(1):
        close = text.index(f"</{p}definedNames>", found.end())
        body = text[found.end():close]
        new_body = re.sub(rf"<{ep}definedName\b([^>]*?)(?:/>|>.*?</{ep}definedName>)",
                          lambda m: _replace(m, p, titles, pending), body, flags=re.S)
        new_body += "".join(_element(p, k, v) for k, v in sorted(pending.items()))
        if new_body.strip() or not body.strip():
            return text[:found.end()] + new_body + text[close:]
        return text[:found.start()] + text[close + len(f"</{p}definedNames>"):]
    if not pending:
        return text
    names = "".join(_element(p, k, v) for k, v in sorted(pending.items()))
    if found is not None:  # <definedNames/>
        return (text[:found.start()] + f"<{p}definedNames>{names}</{p}definedNames>"
                + text[found.end():])
    at = _names_position(text, p)
    return text[:at] + f"<{p}definedNames>{names}</{p}definedNames>" + text[at:]


def _replace(m: re.Match[str], p: str, titles: Mapping[int, str | None],
             pending: dict[int, str]) -> str:
    attrs = parse_attrs(m.group(1))
    sheet = attrs.get("localSheetId", "")
    if attrs.get("name", "").lower() != PRINT_TITLES.lower() or not sheet.isdigit() \
            or int(sheet) not in titles:
        return m.group(0)
    ref = pending.pop(int(sheet), None)  # a second one for the same tab is dropped
    return _element(p, int(sheet), ref) if ref is not None else ""


def _names_position(text: str, p: str) -> int:
    """Where a new ``<definedNames>`` goes: after ``</sheets>``, ``<functionGroups>`` and
    ``<externalReferences>`` (ECMA-376 CT_Workbook order)."""
    at = text.index(f"</{p}sheets>") + len(f"</{p}sheets>")
    ep = re.escape(p)
    for name in ("functionGroups", "externalReferences"):
        m = re.search(rf"<{ep}{name}\b[^>]*?/>|<{ep}{name}\b.*?</{ep}{name}>", text[at:],
                      flags=re.S)
        if m is not None:
            at += m.end()
    return at
