"""Variants of a workbook's existing cell styles, added through :class:`StyleMerger`.

``schema apply`` and ``fix --apply`` change how a rep's cell is shown, not how the rep
styled it: the cell's ``cellXfs`` entry is cloned with only the number format changed (or,
for the register's header, the font made bold and a light fill added when the cell has
none), so the fonts, fills, borders and alignment the reps chose survive. A clone equal to
an existing entry reuses it (the merger compares canonically), so applying twice adds
nothing the second time.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .package import local, xml_escape
from .render import HEADER_FILL
from .styles import StyleMerger

_NO_FILL = ("none", "gray125", "")


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def element_xml(el: ET.Element, attrs: dict[str, str] | None = None,
                first: str = "", drop: tuple[str, ...] = ("extLst",)) -> str:
    """``el`` as an unprefixed fragment (attributes replaced by ``attrs`` when given;
    ``first`` inserted as the first child; children named in ``drop`` and foreign-namespace
    children and attributes left out)."""
    ns = _ns(el.tag)
    items = attrs if attrs is not None else {k: v for k, v in el.attrib.items() if "}" not in k}
    text = "".join(f' {k}="{xml_escape(v, attr=True)}"' for k, v in items.items())
    children = first + "".join(element_xml(c) for c in el
                               if _ns(c.tag) == ns and local(c.tag) not in drop)
    body = xml_escape(el.text.strip()) if el.text and el.text.strip() else ""
    tag = local(el.tag)
    if children or body:
        return f"<{tag}{text}>{body}{children}</{tag}>"
    return f"<{tag}{text}/>"


class XfCloner:
    """Cell-style variants (by ``cellXfs`` index), registered with ``merger``."""

    def __init__(self, merger: StyleMerger) -> None:
        self.merger = merger
        self.xfs = merger.containers["cellXfs"]
        self._formats: dict[tuple[int, str], int] = {}
        self._headers: dict[int, int] = {}

    def _xf(self, index: int) -> ET.Element | None:
        children = self.xfs.children
        return children[index] if 0 <= index < len(children) else \
            (children[0] if children else None)

    def _register(self, index: int, xml: str) -> int:
        """The index of ``xml``: ``index`` itself when it already is that style."""
        key_of = self.xfs.keys
        original = key_of[index] if 0 <= index < len(self.xfs.children) else None
        found = self.xfs.index_of(xml)
        if original is not None and key_of[found] == original:
            return index
        return found

    def with_format(self, index: int, code: str) -> int:
        """Style ``index`` with number format ``code``."""
        key = (index, code)
        if key not in self._formats:
            el = self._xf(index)
            fmt = str(self.merger.num_fmt_id(code))
            attrs = {k: v for k, v in el.attrib.items() if "}" not in k} if el is not None \
                else {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0",
                      "xfId": "0"}
            attrs["numFmtId"] = fmt
            attrs["applyNumberFormat"] = "1"
            xml = element_xml(el, attrs) if el is not None else \
                "<xf" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + "/>"
            self._formats[key] = self._register(index, xml)
        return self._formats[key]

    def header(self, index: int) -> int:
        """Style ``index`` in bold, with a light fill unless it already has a fill."""
        if index not in self._headers:
            el = self._xf(index)
            attrs = {k: v for k, v in el.attrib.items() if "}" not in k} if el is not None \
                else {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0",
                      "xfId": "0"}
            attrs["fontId"] = str(self._bold(_int(attrs.get("fontId"))))
            attrs["applyFont"] = "1"
            if not self._has_fill(_int(attrs.get("fillId"))):
                attrs["fillId"] = str(self.merger.containers["fills"].index_of(
                    f'<fill><patternFill patternType="solid"><fgColor rgb="{HEADER_FILL}"/>'
                    f'<bgColor indexed="64"/></patternFill></fill>'))
                attrs["applyFill"] = "1"
            xml = element_xml(el, attrs) if el is not None else \
                "<xf" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + "/>"
            self._headers[index] = self._register(index, xml)
        return self._headers[index]

    def _bold(self, font_id: int) -> int:
        fonts = self.merger.containers["fonts"]
        if not 0 <= font_id < len(fonts.children):
            font_id = 0
        if not fonts.children:
            return fonts.index_of("<font><b/></font>")
        font = fonts.children[font_id]
        for child in font:
            if local(child.tag) == "b" and child.get("val", "1").lower() not in ("0", "false"):
                return font_id
        xml = element_xml(font, first="<b/>", drop=("extLst", "b"))
        found = fonts.index_of(xml)
        return found

    def _has_fill(self, fill_id: int) -> bool:
        fills = self.merger.containers["fills"].children
        if fill_id <= 1 or fill_id >= len(fills):
            return False
        for child in fills[fill_id]:
            if local(child.tag) == "patternFill":
                return child.get("patternType", "") not in _NO_FILL
            return True  # a gradient fill
        return False


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0
