"""Text of SpreadsheetML: XML entities, ``_xHHHH_`` escapes, rich-text runs.

``decode`` turns the raw text of a ``<t>``/``<v>`` element (as it sits in the file) into the
string Excel shows; ``encode`` is its inverse for writing inline strings.
"""

from __future__ import annotations

import re

_ENTITY_RE = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_X_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# characters XML 1.0 cannot carry, written as _xHHHH_ like Excel does
_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NEEDS_X_ESCAPE_RE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def _entity(m: re.Match[str]) -> str:
    dec, hexa, name = m.groups()
    if name:
        return _NAMED[name]
    try:
        return chr(int(dec) if dec else int(hexa, 16))
    except (ValueError, OverflowError):
        return m.group(0)


def _x_escape(m: re.Match[str]) -> str:
    return chr(int(m.group(1), 16))


def decode(raw: str) -> str:
    """Raw element text → displayed string (line ends, entities, ``_xHHHH_``)."""
    if "\r" in raw:  # XML end-of-line handling (a literal CR; &#13; survives)
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        raw = _ENTITY_RE.sub(_entity, raw)
    if "_x" in raw:
        raw = _X_ESCAPE_RE.sub(_x_escape, raw)
        if _SURROGATE_RE.search(raw):  # _xD83D__xDE00_ → one emoji; lone halves → U+FFFD
            raw = raw.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return raw


class TextCache(dict[str, "str | None"]):
    """raw → decoded, for the many repeated values of a register (owners, stages…)."""

    def __missing__(self, raw: str) -> str | None:
        value = decode(raw) or None
        self[raw] = value
        return value


_T_RE_CACHE: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _rich_patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    pats = _T_RE_CACHE.get(prefix)
    if pats is None:
        p = re.escape(prefix)
        phonetic = re.compile(rf"<{p}rPh\b.*?</{p}rPh>|<{p}rPh\b[^>]*/>", re.S)
        text = re.compile(rf"<{p}t(?:\s[^>]*)?(?:/>|>([^<]*)</{p}t>)")
        pats = _T_RE_CACHE[prefix] = (phonetic, text)
    return pats


def rich_text(inner: str, prefix: str = "") -> str:
    """Concatenated ``<t>`` runs of an ``<si>``/``<is>`` body, phonetic runs (rPh) left out."""
    phonetic, text = _rich_patterns(prefix)
    if "rPh" in inner:
        inner = phonetic.sub("", inner)
    return "".join(decode(t) for t in text.findall(inner))


_PLAIN_RE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x")


def encode(text: str) -> str:
    """String → element text for ``<t xml:space="preserve">`` (entities and ``_xHHHH_``).

    >>> encode("R&D <至急> _x000D_")
    'R&amp;D &lt;至急&gt; _x005F_x000D_'
    """
    if _PLAIN_RE.search(text) is None:  # most texts: nothing to escape, one scan
        return text
    if "_x" in text:
        text = _NEEDS_X_ESCAPE_RE.sub("_x005F_", text)
    if _ILLEGAL_RE.search(text):
        text = _ILLEGAL_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text
