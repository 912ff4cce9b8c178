"""The zip/OPC layer of an ``.xlsx`` file: opening it, parts, relationships, content types.

Shared by the fast reader (:mod:`.read`) and the splicing writer (:mod:`.write`).
Nothing here interprets cells.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from ...errors import BackendError

#: what reading a damaged zip member can raise
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error)

REL_OFFICE_DOCUMENT = "/officeDocument"
REL_STYLES = "/styles"
REL_SHARED_STRINGS = "/sharedStrings"

_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def local(tag: str) -> str:
    """Local name of an ElementTree tag (``{ns}name`` → ``name``)."""
    return tag.rsplit("}", 1)[-1]


def parse_attrs(tag_text: str) -> dict[str, str]:
    """Attributes of one start tag, as written (entities not decoded)."""
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR_RE.finditer(tag_text)}


def xml_escape(text: str, *, attr: bool = False) -> str:
    """Escape ``&``, ``<``, ``>`` (and quotes, tabs, newlines in attributes)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if attr:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


@dataclass(frozen=True)
class Relationship:
    """One ``<Relationship>`` of a ``.rels`` part; ``part`` is the resolved target part."""

    id: str
    type: str
    target: str
    part: str | None  # None for external targets

    def is_type(self, suffix: str) -> bool:
        return self.type.endswith(suffix)


def rels_part(part: str) -> str:
    """The relationships part of ``part`` (``xl/workbook.xml`` → ``xl/_rels/workbook.xml.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """Resolve a relationship target against its source part; returns a zip member name."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def relative_target(source_part: str, part: str) -> str:
    """The target to write in ``source_part``'s rels to reach ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


class Package:
    """A read-only view of the zip, with case-insensitive part lookup (OPC names are)."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.path = path
        self.data = data
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise BackendError(not_xlsx_message(path, data))
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise BackendError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
        self.infos = self.zip.infolist()
        self._names = {info.filename.lower(): info.filename for info in self.infos}

    def has(self, part: str) -> bool:
        return part.lower() in self._names

    def name(self, part: str) -> str | None:
        """The zip member name of ``part`` as stored (case may differ)."""
        return self._names.get(part.lower())

    def size(self, part: str) -> int | None:
        """The uncompressed size of ``part`` as the zip states it (None: no such part)."""
        name = self.name(part)
        return None if name is None else self.zip.getinfo(name).file_size

    def read(self, part: str) -> bytes:
        name = self.name(part)
        if name is None:
            raise BackendError(f"{self.path}: the workbook is damaged (part {part} is missing)")
        try:
            return self.zip.read(name)
        except _ZIP_ERRORS as exc:  # zlib.error: compressed bytes damaged
            raise BackendError(f"{self.path}: the workbook is damaged ({part}: "
                               f"{zip_error(exc)})") from exc

    def pieces(self, part: str, size: int = 1 << 22) -> Iterator[bytes]:
        """The bytes of ``part`` in pieces of ``size``, inflated by a worker thread while
        the caller works on the previous piece: zlib lets go of the interpreter while it
        inflates, so on two cores a big sheet's inflating hides behind its parsing, and the
        sheet (67 MB of XML at 100,000 deals) is never held whole. Errors as :meth:`read`."""
        name = self.name(part)
        if name is None:
            raise BackendError(f"{self.path}: the workbook is damaged (part {part} is missing)")
        queue: Queue[bytes | BaseException] = Queue(maxsize=3)
        stop = threading.Event()

        def inflate() -> None:
            try:
                with self.zip.open(name) as fh:
                    while not stop.is_set():
                        piece = fh.read(size)
                        queue.put(piece)
                        if not piece:
                            return
            except BaseException as exc:  # handed to the reader, raised there
                queue.put(exc)

        worker = threading.Thread(target=inflate, name="sheetsync-inflate", daemon=True)
        worker.start()
        try:
            while True:
                piece = queue.get()
                if isinstance(piece, _ZIP_ERRORS):
                    raise BackendError(
                        f"{self.path}: the workbook is damaged ({part}: "
                        f"{zip_error(piece)})") from piece
                if isinstance(piece, BaseException):
                    raise piece
                if not piece:
                    return
                yield piece
        finally:
            stop.set()
            while worker.is_alive():  # a reader that stopped early: let the worker end
                with contextlib.suppress(Empty):
                    queue.get(timeout=0.05)
            worker.join()

    def read_head(self, part: str, size: int = 4096) -> bytes:
        """The first ``size`` uncompressed bytes of ``part`` (cheap for huge sheets)."""
        name = self.name(part)
        if name is None:
            return b""
        try:
            with self.zip.open(name) as fh:
                return fh.read(size)
        except _ZIP_ERRORS:
            return b""

    def rels(self, part: str) -> list[Relationship]:
        """Relationships of ``part`` (``""`` for the package root); empty when none."""
        rp = "_rels/.rels" if part == "" else rels_part(part)
        if not self.has(rp):
            return []
        return parse_rels(self.read(rp), part, self.path)

    def workbook_part(self) -> str:
        for rel in self.rels(""):
            if rel.is_type(REL_OFFICE_DOCUMENT) and rel.part and self.has(rel.part):
                return rel.part
        if self.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise BackendError(not_xlsx_message(self.path, self.data))


def zip_error(exc: BaseException) -> str:
    """What zipfile or zlib says is wrong, in at most one short line: zipfile quotes a
    damaged local header whole ("File name in directory 'xl/styles.xml' and header
    b'…' differ", kilobytes of raw bytes).

    >>> zip_error(ValueError("File name in directory 'a.xml' and header b'a.xml\\x00…' differ."))
    "File name in directory 'a.xml' and its header differ"
    """
    text = " ".join(str(exc).split())
    if text.startswith("File name in directory") and " and header " in text:
        return text.split(" and header ", 1)[0] + " and its header differ"
    return text if len(text) <= 160 else text[:150] + "…"


def parse_rels(xml: bytes, source_part: str, path: Path | str = "") -> list[Relationship]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BackendError(f"{path}: the workbook is damaged (bad relationships: {exc})") from exc
    out = []
    for el in root:
        if local(el.tag) != "Relationship":
            continue
        target = el.get("Target", "")
        external = el.get("TargetMode", "") == "External"
        out.append(Relationship(
            id=el.get("Id", ""),
            type=el.get("Type", ""),
            target=target,
            part=None if external else resolve_target(source_part, target),
        ))
    return out


def not_xlsx_message(path: Path, data: bytes) -> str:
    """A one-line explanation of why ``data`` is not an .xlsx workbook."""
    head = data[:8]
    if not data:
        return f"{path} is empty, not an .xlsx workbook"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return (f"{path} is an old-format .xls file or a password-protected workbook; "
                "open it in Excel and save it as .xlsx without a password")
    if head.startswith(b"PK"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return f"{path} is a damaged zip file, not a readable .xlsx workbook"
        if "mimetype" in names:
            return (f"{path} is an OpenDocument file (.ods), not an .xlsx workbook; "
                    "save it as .xlsx")
        return f"{path} is a zip file but not an .xlsx workbook (no xl/workbook.xml)"
    sample = data[:2048]
    if b"<html" in sample.lower() or b"<!doctype" in sample.lower():
        return f"{path} is an HTML page, not an .xlsx workbook"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return f"{path} is not an .xlsx workbook"
    return f"{path} is a text file (CSV?), not an .xlsx workbook; save it as .xlsx"


def free_part_name(pattern: str, taken: set[str]) -> str:
    """The first free part name from ``pattern`` (``xl/comments{}.xml`` → ``xl/comments1.xml``);
    ``taken`` holds lower-cased names and gets the new one.

    >>> taken = {"xl/comments1.xml"}
    >>> free_part_name("xl/comments{}.xml", taken)
    'xl/comments2.xml'
    """
    n = 1
    while pattern.format(n).lower() in taken:
        n += 1
    name = pattern.format(n)
    taken.add(name.lower())
    return name
