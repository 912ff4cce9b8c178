"""Merge the few cell styles sheetsync's tabs need into a workbook's ``styles.xml``.

The original ``styles.xml`` is edited as text: new ``<font>``/``<fill>``/``<border>``/
``<numFmt>``/``<xf>``/``<dxf>`` elements are appended to their containers and the ``count``
attributes updated; every existing byte stays as it was, so the indices the rep-owned tabs
use keep their meaning. A style that already exists (the same element, compared
canonically, e.g. the one appended by the previous run) is reused, never appended twice:
running twice gives the same indices, hence byte-identical sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from .package import local, xml_escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# the order of <styleSheet> children (ECMA-376 CT_Stylesheet)
_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
          "dxfs", "tableStyles", "colors", "extLst"]
_CHILD = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border",
          "cellStyleXfs": "xf", "cellXfs": "xf", "dxfs": "dxf"}
# what a valid stylesheet must hold before anything is appended
_MINIMUM = {
    "fonts": ['<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'],
    "fills": ['<fill><patternFill patternType="none"/></fill>',
              '<fill><patternFill patternType="gray125"/></fill>'],
    "borders": ["<border><left/><right/><top/><bottom/><diagonal/></border>"],
    "cellStyleXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'],
    "cellXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'],
}

MINIMAL_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{MAIN_NS}"><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()

#: ECMA-376 built-in formats sheetsync may use (code → id); others become custom numFmts
_BUILTIN_IDS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                "0.00%": 10, "@": 49}
_FONT_KEEP = ("sz", "name", "family", "charset", "scheme")


@dataclass(frozen=True)
class XfSpec:
    """A cell style: number format code, font variant, fill colour, bottom border."""

    num_fmt: str | None = None
    font: str = "base"  # base | bold | italic_grey | link
    fill: str | None = None  # ARGB
    bottom_border: bool = False


@dataclass(frozen=True)
class DxfSpec:
    """A conditional-format style: background fill and/or font colour (ARGB)."""

    fill: str | None = None
    font_color: str | None = None


def argb(colour: str) -> str:
    """``#F8D7DA`` / ``F8D7DA`` / ``FFF8D7DA`` → ``FFF8D7DA``."""
    text = colour.strip().lstrip("#").upper()
    if not re.fullmatch(r"[0-9A-F]{6}([0-9A-F]{2})?", text):
        raise ValueError(f"not a hex RGB colour: {colour!r}")
    return text if len(text) == 8 else "FF" + text


def _key(el: ET.Element) -> tuple[object, ...]:
    attrs = tuple(sorted((local(k), v) for k, v in el.attrib.items()))
    return (local(el.tag), attrs, (el.text or "").strip(), tuple(_key(c) for c in el))


def _parse_fragment(xml: str) -> ET.Element:
    return ET.fromstring(xml.replace(">", f' xmlns="{MAIN_NS}">', 1)
                         if not xml.split(">", 1)[0].endswith("/")
                         else xml.replace("/>", f' xmlns="{MAIN_NS}"/>', 1))


class _Container:
    """Existing children of one container of the original stylesheet, and what is added."""

    def __init__(self, name: str, el: ET.Element | None):
        self.name = name
        self.children = [c for c in el if local(c.tag) == _CHILD[name]] if el is not None else []
        self.keys = [_key(c) for c in self.children]
        self.added: list[str] = []

    def index_of(self, xml: str) -> int:
        key = _key(_parse_fragment(xml))
        for i, k in enumerate(self.keys):
            if k == key:
                return i
        self.keys.append(key)
        self.added.append(xml)
        return len(self.keys) - 1

    def ensure_minimum(self) -> None:
        for xml in _MINIMUM.get(self.name, [])[len(self.keys):]:
            self.keys.append(_key(_parse_fragment(xml)))
            self.added.append(xml)


class StyleMerger:
    """Collects the styles the owned tabs need; :meth:`result` gives the new styles.xml."""

    def __init__(self, styles_xml: bytes | None) -> None:
        self.text = (styles_xml or MINIMAL_STYLES).decode("utf-8")
        root = ET.fromstring(self.text.encode("utf-8"))
        found = {local(el.tag): el for el in root}
        self.containers = {name: _Container(name, found.get(name)) for name in _CHILD}
        for c in self.containers.values():
            c.ensure_minimum()
        self.custom_formats: dict[str, int] = {}
        used = [163]
        for el in self.containers["numFmts"].children:
            try:
                fmt_id = int(el.get("numFmtId", ""))
            except ValueError:
                continue
            used.append(fmt_id)
            self.custom_formats.setdefault(el.get("formatCode", ""), fmt_id)
        self.next_format_id = max(used) + 1
        self._base_font = self._font_parts(self.containers["fonts"])
        self.xfs: dict[XfSpec, int] = {}
        self.dxfs: dict[DxfSpec, int] = {}

    # -- building blocks -------------------------------------------------------------
    @staticmethod
    def _font_parts(fonts: _Container) -> list[str]:
        base = fonts.children[0] if fonts.children else _parse_fragment(_MINIMUM["fonts"][0])
        parts = []
        for name in _FONT_KEEP:
            for child in base:
                if local(child.tag) == name:
                    attrs = "".join(f' {local(k)}="{xml_escape(v, attr=True)}"'
                                    for k, v in child.attrib.items() if "}" not in k)
                    parts.append(f"<{name}{attrs}/>")
        return parts

    def _font(self, variant: str) -> int:
        if variant == "base":
            return 0
        head = {"bold": "<b/>", "italic_grey": "<i/>", "link": '<u val="single"/>'}[variant]
        colour = {"italic_grey": '<color rgb="FF595959"/>',
                  "link": '<color rgb="FF0563C1"/>'}.get(variant, "")
        # CT_Font children in schema order: b, i, u … sz, color, name, family, charset, scheme
        sz = [p for p in self._base_font if p.startswith("<sz")]
        rest = [p for p in self._base_font if not p.startswith("<sz")]
        return self.containers["fonts"].index_of(f"<font>{head}{''.join(sz)}{colour}"
                                                 f"{''.join(rest)}</font>")

    def _fill(self, colour: str | None) -> int:
        if colour is None:
            return 0
        c = argb(colour)
        return self.containers["fills"].index_of(
            f'<fill><patternFill patternType="solid"><fgColor rgb="{c}"/>'
            f'<bgColor indexed="64"/></patternFill></fill>')

    def _border(self, bottom: bool) -> int:
        if not bottom:
            return 0
        return self.containers["borders"].index_of(
            '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom>'
            "<diagonal/></border>")

    def num_fmt_id(self, code: str | None) -> int:
        if not code:
            return 0
        if code in _BUILTIN_IDS:
            return _BUILTIN_IDS[code]
        if code not in self.custom_formats:
            fmt_id = self.next_format_id
            self.next_format_id += 1
            self.custom_formats[code] = fmt_id
            self.containers["numFmts"].added.append(
                f'<numFmt numFmtId="{fmt_id}" formatCode="{xml_escape(code, attr=True)}"/>')
        return self.custom_formats[code]

    # -- public ----------------------------------------------------------------------
    def xf(self, spec: XfSpec) -> int:
        """The ``cellXfs`` index of ``spec`` (0, the workbook default, for the plain style)."""
        if spec == XfSpec():
            return 0
        if spec not in self.xfs:
            fmt = self.num_fmt_id(spec.num_fmt)
            font, fill, border = self._font(spec.font), self._fill(spec.fill), \
                self._border(spec.bottom_border)
            apply = "".join(f' {name}="1"' for name, on in (
                ("applyNumberFormat", fmt), ("applyFont", font), ("applyFill", fill),
                ("applyBorder", border)) if on)
            self.xfs[spec] = self.containers["cellXfs"].index_of(
                f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="{border}" '
                f'xfId="0"{apply}/>')
        return self.xfs[spec]

    def dxf(self, spec: DxfSpec) -> int:
        """The ``dxfs`` index of a conditional-format style."""
        if spec not in self.dxfs:
            font = f'<font><color rgb="{argb(spec.font_color)}"/></font>' \
                if spec.font_color else ""
            fill = ""
            if spec.fill:
                c = argb(spec.fill)
                fill = (f'<fill><patternFill patternType="solid"><fgColor rgb="{c}"/>'
                        f'<bgColor rgb="{c}"/></patternFill></fill>')
            self.dxfs[spec] = self.containers["dxfs"].index_of(f"<dxf>{font}{fill}</dxf>")
        return self.dxfs[spec]

    def result(self) -> bytes:
        """The merged styles.xml (the original bytes when nothing had to be added)."""
        text = self.text
        prefix_m = re.search(r"<(?:([A-Za-z_][\w.-]*):)?styleSheet[\s>]", text)
        prefix = prefix_m.group(1) + ":" if prefix_m and prefix_m.group(1) else ""
        for name in _ORDER:
            c = self.containers.get(name)
            if c is None or not c.added:
                continue
            text = _append(text, prefix, name, c.added, len(c.children) + len(c.added))
        return text.encode("utf-8")


def _prefixed(xml: str, prefix: str) -> str:
    return re.sub(r"<(/?)([A-Za-z])", rf"<\1{prefix}\2", xml) if prefix else xml


def _append(text: str, prefix: str, name: str, added: list[str], count: int) -> str:
    p = re.escape(prefix)
    body = _prefixed("".join(added), prefix)
    m = re.search(rf"<{p}{name}(\s[^>]*?)?(/?)>", text)
    if m is None:  # the container is missing: insert it before its first later sibling
        later = _ORDER[_ORDER.index(name) + 1:]
        pos = None
        for sibling in later:
            s = re.search(rf"<{p}{sibling}[\s/>]", text)
            if s:
                pos = s.start()
                break
        if pos is None:
            pos = text.rindex(f"</{prefix}styleSheet>")
        element = f'<{prefix}{name} count="{count}">{body}</{prefix}{name}>'
        return text[:pos] + element + text[pos:]
    attrs = m.group(1) or ""
    if re.search(r"\scount\s*=", attrs):
        attrs = re.sub(r"""(\scount\s*=\s*)(["'])[^"']*\2""", rf'\g<1>"{count}"', attrs)
    else:
        attrs += f' count="{count}"'
    open_tag = f"<{prefix}{name}{attrs}>"
    if m.group(2):  # self-closing container
        return text[:m.start()] + open_tag + body + f"</{prefix}{name}>" + text[m.end():]
    close = text.index(f"</{prefix}{name}>", m.end())
    return text[:m.start()] + open_tag + text[m.end():close] + body + text[close:]
