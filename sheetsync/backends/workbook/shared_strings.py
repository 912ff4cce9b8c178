"""The shared-string table as the writer extends it: append only.

A text that repeats in a column of an owned tab (an owner, a stage, a reason, an error
message) is written once in ``sharedStrings.xml`` and referenced by its index (``t="s"``)
instead of inline in every cell. The table is shared with the register and the reps' tabs,
whose parts are copied byte for byte: every entry keeps its index, new texts are appended,
and a text the table already holds as a plain entry is reused, so running again adds nothing
that is already there. A text seen once in a column stays inline (deal IDs, names): it would
only grow the table.

>>> sst = SharedStrings(('<sst xmlns="m" count="3" uniqueCount="2"><si><t>佐藤</t></si>'
...                      '<si><r><t>太字</t></r></si></sst>').encode())
>>> sst.index("佐藤"), sst.index("鈴木"), sst.index("鈴木"), sst.index("太字")
(0, 2, 2, 3)
>>> print(sst.to_bytes().decode().replace("</si>", "</si>\\n"))
<sst xmlns="m" uniqueCount="4"><si><t>佐藤</t></si>
<si><r><t>太字</t></r></si>
<si><t>鈴木</t></si>
<si><t>太字</t></si>
</sst>
"""

from __future__ import annotations

import re

from ...errors import BackendError
from .text import decode, encode

MAX_CELL_CHARS = 32767
_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sst\b([^>]*?)(/?)>")
_COUNT_RE = re.compile(rb"""\s(count|uniqueCount)\s*=\s*(["'])\d*\2""")


def si_element(text: str, prefix: str = "") -> str:
    """One ``<si>`` entry holding ``text`` (cut at Excel's 32,767 characters)."""
    text = text[:MAX_CELL_CHARS]
    space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()
                                                 or "\n" in text or "\t" in text) else ""
    return f"<{prefix}si><{prefix}t{space}>{encode(text)}</{prefix}t></{prefix}si>"


class SharedStrings:
    """A table being extended (:meth:`index`); :meth:`to_bytes` is the new part."""

    def __init__(self, xml: bytes | None = None) -> None:
        self.xml = xml
        self.prefix = ""
        self.count = 0
        self.known: dict[str, int] = {}
        self.added: list[str] = []
        if xml is not None:
            self._read(xml)

    def _read(self, xml: bytes) -> None:
        root = _ROOT_RE.search(xml)
        if root is None:
            raise BackendError("the shared string table is damaged (no <sst>)")
        self.prefix = root.group(1).decode() + ":" if root.group(1) else ""
        p = re.escape(self.prefix.encode())
        entries = re.findall(rb"<" + p + rb"si\b[^>]*?(?:/>|>(.*?)</" + p + rb"si>)", xml, re.S)
        self.count = len(entries)
        plain = re.compile(rb"<" + p + rb"t(?:\s[^>]*)?>([^<]*)</" + p + rb"t>")
        for i, inner in enumerate(entries):
            m = plain.fullmatch(inner)
            if m is not None:  # rich text and phonetic runs are never reused
                self.known.setdefault(decode(m.group(1).decode("utf-8")), i)

    def get(self, text: str) -> int | None:
        """The index of ``text`` when the table has it (None: it would be added)."""
        return self.known.get(text)

    def index(self, text: str) -> int:
        """The index of ``text``, appended when the table does not hold it yet."""
        found = self.known.get(text)
        if found is None:
            found = self.known[text] = self.count + len(self.added)
            self.added.append(text)
        return found

    @property
    def changed(self) -> bool:
        return bool(self.added)

    def to_bytes(self) -> bytes:
        """The table with the added texts at its end: the bytes before them unchanged but
        for ``uniqueCount`` (``count``, the number of references, is optional and dropped:
        only Excel knows it, and Excel recounts on its next save)."""
        total = self.count + len(self.added)
        new = "".join(si_element(t, self.prefix) for t in self.added).encode("utf-8")
        if self.xml is None:
            return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    + f'uniqueCount="{total}">'.encode() + new + b"</sst>")
        xml = self.xml
        root = _ROOT_RE.search(xml)
        assert root is not None
        attrs = _COUNT_RE.sub(b"", root.group(2)).rstrip()
        head = xml[:root.start()] + b"<" + (self.prefix.encode()) + b"sst" + attrs \
            + f' uniqueCount="{total}"'.encode()
        if root.group(3):  # <sst/>
            return head + b">" + new + b"</" + self.prefix.encode() + b"sst>" \
                + xml[root.end():]
        close = xml.rindex(b"</" + self.prefix.encode() + b"sst>")
        return head + b">" + xml[root.end():close] + new + xml[close:]
