"""Header notes: cell comments written by sheetsync into a worksheet's comments part.

A comment needs three things in an ``.xlsx``: an entry in the sheet's comments part
(``xl/commentsN.xml``), a shape in its legacy VML drawing (where Excel keeps the box's size
and position) and a ``<legacyDrawing>`` in the sheet. Existing parts are edited as text.

sheetsync's comments are the ones whose author is :data:`AUTHOR`. On every apply those are
removed (with their VML shapes) and written again; comments by anyone else are kept byte
for byte, and a header cell that already has someone else's comment gets no note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..cell_width import display_width
from .package import parse_attrs
from .read import column_index
from .text import decode, encode

AUTHOR = "sheetsync"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

_VML_NS = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
           "x": "urn:schemas-microsoft-com:office:excel"}
_DECLARE = "".join(f' xmlns:{k}="{v}"' for k, v in _VML_NS.items())
_VML_HEAD = (
    f"<xml{_DECLARE}>"
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>')
_SHAPETYPE = (
    '<v:shapetype{ns} id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_CHARS_PER_LINE = 36
_LINE_PT = 13.5


def _split_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref.strip())
    if m is None:
        return -1, -1
    return int(m.group(2)) - 1, column_index(m.group(1))


@dataclass
class CommentsEdit:
    """The result of merging sheetsync's notes into a comments part."""

    xml: bytes
    written: dict[str, str]  # ref → note written by sheetsync
    removed: set[str] = field(default_factory=set)  # refs of sheetsync's previous notes
    foreign: set[str] = field(default_factory=set)  # refs with someone else's comment


def merge_comments(existing: bytes | None, notes: dict[str, str]) -> CommentsEdit:
    """Replace sheetsync's comments by ``notes`` (ref → text) in a comments part."""
    text = existing.decode("utf-8") if existing else (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{MAIN_NS}"><authors></authors><commentList></commentList>'
        '</comments>')
    pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?comments[\s>]", text)
    p = pm.group(1) + ":" if pm and pm.group(1) else ""
    pe = re.escape(p)
    if not re.search(rf"<{pe}authors\b", text):
        start = text.index(">", pm.start() if pm else 0) + 1
        text = text[:start] + f"<{p}authors></{p}authors>" + text[start:]
    text = re.sub(rf"<{pe}authors\b([^>]*?)/>", rf"<{p}authors\1></{p}authors>", text)
    if not re.search(rf"<{pe}commentList\b", text):
        end = text.rindex(f"</{p}comments>")
        text = text[:end] + f"<{p}commentList></{p}commentList>" + text[end:]
    text = re.sub(rf"<{pe}commentList\b([^>]*?)/>", rf"<{p}commentList\1></{p}commentList>",
                  text)

    authors_m = re.search(rf"<{pe}authors\b[^>]*>(.*?)</{pe}authors>", text, re.S)
    assert authors_m is not None
    authors = [decode(a) for a in re.findall(rf"<{pe}author\b[^>]*>(.*?)</{pe}author>",
                                             authors_m.group(1), re.S)]
    ours = authors.index(AUTHOR) if AUTHOR in authors else None

    removed: set[str] = set()
    foreign: set[str] = set()

    def keep(m: re.Match[str]) -> str:
        attrs = parse_attrs(m.group(1))
        ref = attrs.get("ref", "")
        try:
            author = int(attrs.get("authorId", "-1"))
        except ValueError:
            author = -1
        if ours is not None and author == ours:
            removed.add(ref.upper())
            return ""
        foreign.add(ref.upper())
        return m.group(0)

    text = re.sub(rf"<{pe}comment\b([^>]*?)(?:/>|>.*?</{pe}comment>)", keep, text,
                  flags=re.S)
    written = {ref: note for ref, note in notes.items() if ref.upper() not in foreign}
    if written and ours is None:
        ours = len(authors)
        end = text.index(f"</{p}authors>")
        text = text[:end] + f"<{p}author>{AUTHOR}</{p}author>" + text[end:]
    added = "".join(
        f'<{p}comment ref="{ref}" authorId="{ours}"><{p}text><{p}t xml:space="preserve">'
        f"{encode(note)}</{p}t></{p}text></{p}comment>" for ref, note in written.items())
    end = text.index(f"</{p}commentList>")
    text = text[:end] + added + text[end:]
    return CommentsEdit(text.encode("utf-8"), written, removed, foreign)


def _shape(shape_id: int, ref: str, note: str, ns: str) -> str:
    row, col = _split_ref(ref)
    lines = sum(max(1, math.ceil(display_width(line) / _CHARS_PER_LINE))
                for line in note.split("\n"))
    height = max(60.0, round(lines * _LINE_PT + 8, 2))
    return (
        f'<v:shape{ns} id="_x0000_s{shape_id}" type="#_x0000_t202" '
        f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:200pt;'
        f'height:{height:g}pt;z-index:{shape_id - 1024};visibility:hidden" '
        'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
        '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>"
        "</x:ClientData></v:shape>")


_SHAPE_RE = re.compile(r"<([\w.-]+):shape\b[^>]*>.*?</\1:shape>", re.S)
_ROW_RE = re.compile(r"<(?:[\w.-]+:)?Row>\s*(\d+)\s*</(?:[\w.-]+:)?Row>")
_COLUMN_RE = re.compile(r"<(?:[\w.-]+:)?Column>\s*(\d+)\s*</(?:[\w.-]+:)?Column>")


def merge_vml(existing: bytes | None, removed: set[str], written: dict[str, str]) -> bytes:
    """The VML drawing with the note shapes of ``removed`` dropped and ``written`` added."""
    text = existing.decode("utf-8", "replace") if existing else _VML_HEAD + "</xml>"
    cells = {_split_ref(ref) for ref in removed}

    def keep(m: re.Match[str]) -> str:
        shape = m.group(0)
        if 'ObjectType="Note"' not in shape:
            return shape
        row = _ROW_RE.search(shape)
        col = _COLUMN_RE.search(shape)
        if row and col and (int(row.group(1)), int(col.group(1))) in cells:
            return ""
        return shape

    text = _SHAPE_RE.sub(keep, text)
    if not written:
        return text.encode("utf-8")
    # VML written by openpyxl declares its namespaces (as ns0, ns1…) on each element:
    # sheetsync's shapes then declare v/o/x themselves
    root = re.search(r"<xml\b[^>]*>", text)
    declared = root is not None and all(f'xmlns:{k}="{v}"' in root.group(0)
                                        for k, v in _VML_NS.items())
    ns = "" if declared else _DECLARE
    if 'id="_x0000_t202"' not in text:
        m = _SHAPE_RE.search(text)
        pos = m.start() if m else text.rindex("</xml>")
        text = text[:pos] + _SHAPETYPE.format(ns=ns) + text[pos:]
    ids = [int(n) for n in re.findall(r'id="_x0000_s(\d+)"', text)]
    next_id = max([*ids, 1024]) + 1
    shapes = []
    for ref, note in written.items():
        shapes.append(_shape(next_id, ref, note, ns))
        next_id += 1
    end = text.rindex("</xml>")
    return (text[:end] + "".join(shapes) + text[end:]).encode("utf-8")

