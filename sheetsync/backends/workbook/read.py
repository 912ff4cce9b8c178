"""A fast reader for ``.xlsx`` workbooks: tabs, and the cells of the tabs asked for.

openpyxl builds an object per cell and takes 11–14 s (``read_only=True``) for a
100,000 × 17 register; this reader scans the sheet XML (as bytes, in 4 MB slices) with one
regular expression and caches the conversions a register repeats (owners, stages, dates):
about 1.5 s for the same file (``benchmarks/workbook_io.py``). The values are those of
``openpyxl.load_workbook(data_only=True)``, normalised to the grid contract of
:mod:`sheetsync.grid`:

* numbers → ``int`` when integral, else ``float``; with a date/time format → ``date``
  (``datetime`` when there is a time part, 1900 or 1904 date system); with a percent
  format → :class:`~sheetsync.grid.PercentValue`;
* strings (shared, inline, rich text without phonetic runs, formula results) → ``str``;
  an empty string is an empty cell (``None``);
* booleans → ``bool``; error values → their text (``"#N/A"``);
* formulas → their cached value; without one, :class:`~sheetsync.grid.Uncalculated` (the
  formula's text), which validation reports rather than reading as blank.

A damaged file is refused, never read in part (:class:`DamagedError`, one line, exit 3): a
part the workbook lists but the zip lacks, a sheet or string table cut short (its closing
tag missing), a row beyond 1,048,576 or a column beyond XFD (Excel's limits: a hostile
``<row r="2000000000">`` would otherwise allocate gigabytes), a cell text longer than
32,767 characters, a part that is not well-formed XML (a tag lost or broken inside it). The
small parts (workbook, styles, relationships) are parsed as XML; the big ones are scanned,
which is what keeps a 100,000-row read near 1.5 s, and checked by expat as they are (its
C parser, no callbacks: ~0.45 s for a 67 MB sheet, which a part of 8 MB or more spends in a
child process on another core while this one scans).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from queue import Full, Queue
from xml.etree import ElementTree as ET
from xml.parsers import expat

from ...errors import BackendError
from ...grid import CellValue, Grid, PercentValue, TabInfo, Uncalculated, serial_to_datetime
from ..number_format import DATE, OTHER, PERCENT, classify_format_id
from .package import (
    REL_SHARED_STRINGS,
    REL_STYLES,
    Package,
    local,
    parse_attrs,
)
from .text import TextCache, decode, rich_text

# 1904 date system: serial 0 is 1904-01-01, i.e. serial 1462 of the 1900 system
DAYS_1904 = 1462
#: Excel's limits: what no real workbook exceeds
MAX_ROWS, MAX_COLUMNS, MAX_CELL_CHARS = 1_048_576, 16_384, 32_767


class DamagedError(BackendError):
    """The workbook is damaged: a part is missing, cut short, or beyond Excel's limits."""

T_N, T_S, T_INLINE, T_STR, T_B, T_E, T_D = range(7)
_TYPE_CODES = {"n": T_N, "s": T_S, "inlineStr": T_INLINE, "str": T_STR, "b": T_B, "e": T_E,
               "d": T_D}

_ROW_R_RE = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)""")
_CELL_R_RE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]{1,3})\$?\d*["']""")
_DIMENSION_RE = re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["']([^"']*)["']""")
_ROOT_PREFIX_RE = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(worksheet|sst|chartsheet)[\s>/]")
_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


@dataclass
class SheetEntry:
    """One ``<sheet>`` of workbook.xml."""

    name: str
    sheet_id: int
    index: int
    state: str  # visible | hidden | veryHidden
    rid: str
    part: str | None
    rel_type: str = ""

    @property
    def is_worksheet(self) -> bool:
        return self.rel_type.endswith("/worksheet")


@dataclass
class WorkbookInfo:
    part: str
    sheets: list[SheetEntry] = field(default_factory=list)
    date1904: bool = False
    styles_part: str | None = None
    shared_strings_part: str | None = None


def read_workbook_info(pkg: Package) -> WorkbookInfo:
    """Sheets (name, order, state, part), date system, styles and shared strings parts."""
    part = pkg.workbook_part()
    root = _parse_xml(pkg, part)
    rels = {rel.id: rel for rel in pkg.rels(part)}
    info = WorkbookInfo(part=part)
    for rel in rels.values():
        if rel.is_type(REL_STYLES) or rel.is_type(REL_SHARED_STRINGS):
            if not rel.part or not pkg.has(rel.part):
                # without them dates read as numbers and text as blanks: refuse instead
                raise damaged(pkg, rel.part or rel.id, "listed but missing from the file")
            if rel.is_type(REL_STYLES):
                info.styles_part = rel.part
            else:
                info.shared_strings_part = rel.part
    for el in root:
        name = local(el.tag)
        if name == "workbookPr":
            info.date1904 = el.get("date1904", "0").strip().lower() in ("1", "true")
        elif name == "sheets":
            for sheet in el:
                if local(sheet.tag) != "sheet":
                    continue
                rid = next((v for k, v in sheet.attrib.items() if local(k) == "id"), "")
                rel = rels.get(rid)
                info.sheets.append(SheetEntry(
                    name=sheet.get("name", ""),
                    sheet_id=int(sheet.get("sheetId", "0") or 0),
                    index=len(info.sheets),
                    state=sheet.get("state", "visible") or "visible",
                    rid=rid,
                    part=rel.part if rel else None,
                    rel_type=rel.type if rel else "",
                ))
    return info


def _parse_xml(pkg: Package, part: str) -> ET.Element:
    try:
        return ET.fromstring(pkg.read(part))
    except ET.ParseError as exc:
        raise damaged(pkg, part, str(exc)) from exc


def damaged(pkg: Package, part: str, problem: str) -> DamagedError:
    """The one-line refusal of a damaged workbook (nothing is read, nothing written)."""
    return DamagedError(f"{pkg.path}: the workbook is damaged ({part}: {problem}); nothing "
                        "was written — let Excel repair it, or use the .bak copy if there is one")


def _ends_with(data: bytes, tag: bytes) -> bool:
    """Whether ``data`` ends (whitespace aside) with the closing ``tag``: a part cut short
    does not."""
    return data[-len(tag) - 64:].rstrip().endswith(tag)


def read_style_kinds(pkg: Package, part: str | None) -> list[int]:
    """For each ``cellXfs`` index: DATE, PERCENT or OTHER."""
    if not part:
        return []
    root = _parse_xml(pkg, part)
    custom: dict[int, str] = {}
    kinds: list[int] = []
    for el in root:
        name = local(el.tag)
        if name == "numFmts":
            for fmt in el:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif name == "cellXfs":
            for xf in el:
                try:
                    fmt_id = int(xf.get("numFmtId", "0") or 0)
                except ValueError:
                    fmt_id = 0
                kinds.append(fmt_id)
    return [classify_format_id(fmt_id, custom) for fmt_id in kinds]


def _prefix(head: bytes) -> str:
    m = _ROOT_PREFIX_RE.search(head)
    return m.group(1).decode() + ":" if m and m.group(1) else ""


def read_shared_strings(pkg: Package, part: str | None) -> list[str | None]:
    """The shared string table (``None`` for empty strings)."""
    if not part:
        return []
    data = pkg.read(part)
    prefix = _prefix(data[:2048])
    if not _ends_with(data, f"</{prefix}sst>".encode()) and not re.search(
            rb"<(?:\w+:)?sst\b[^>]*/>\s*$", data[-256:]):
        raise damaged(pkg, part, "the shared string table is cut short")
    p = re.escape(prefix)
    # fast path: one <t> (Japanese Excel adds phonetic runs and properties after it)
    pattern = re.compile(
        rf"<{p}si(?:\s[^>]*)?(?:/>|>(?:<{p}t(?: xml:space=\"preserve\")?>([^<]*)</{p}t>"
        rf"(?:<{p}rPh\b[^>]*>.*?</{p}rPh>|<{p}phoneticPr\b[^>]*/>)*|(.*?))</{p}si>)", re.S)
    texts = TextCache()
    out: list[str | None] = []
    append = out.append
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise damaged(pkg, part, f"not UTF-8 at byte {exc.start}") from None
    for plain, other in pattern.findall(text):
        if plain:
            append(texts[plain])
        elif other:
            append(rich_text(other, prefix) or None)
        else:
            append(None)
    try:
        expat.ParserCreate().Parse(data, True)
    except expat.ExpatError as exc:
        raise damaged(pkg, part, not_well_formed(exc)) from None
    expected = len(re.findall(rf"<{p}si[\s/>]".encode(), data))
    if expected != len(out):
        raise damaged(pkg, part, f"{expected - len(out)} of {expected} shared strings "
                                 "cannot be read")
    if any(v is not None and len(v) > MAX_CELL_CHARS for v in out):
        raise damaged(pkg, part, f"a shared string is longer than {MAX_CELL_CHARS:,} "
                                 "characters (Excel's limit)")
    return out


_PATTERNS: dict[str, tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]] = {}
CHUNK = 1 << 22  # scan the sheet XML in slices of about 4 MB, cut at a <row>


def _sheet_patterns(prefix: str) -> tuple[re.Pattern[bytes], re.Pattern[bytes],
                                           re.Pattern[bytes]]:
    pats = _PATTERNS.get(prefix)
    if pats is None:
        p = re.escape(prefix)
        cell = re.compile(
            rf"<{p}(?:c(?: r=\"([A-Z]+)\d*\")?([^>/]*)"
            rf"(?:/>|>(?:<{p}v>([^<]*)</{p}v>|<{p}is><{p}t>([^<]*)</{p}t></{p}is>|(.*?))</{p}c>)"
            rf"|(row\b[^>]*)>)".encode(),
            re.S,
        )
        value = re.compile(rf"<{p}v(?:\s[^>]*)?>([^<]*)</{p}v>".encode())
        inline = re.compile(rf"<{p}is(?:\s[^>]*)?>(.*?)</{p}is>".encode(), re.S)
        pats = _PATTERNS[prefix] = (cell, value, inline)
    return pats


def column_index(letters: str | bytes) -> int:
    """0-based column index of column letters (``A`` → 0, ``AA`` → 26)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


class _Texts(dict[bytes, "str | None"]):
    """UTF-8 raw text → decoded value (``None`` for empty), cached."""

    def __init__(self, texts: TextCache):
        super().__init__()
        self.texts = texts

    def __missing__(self, raw: bytes) -> str | None:
        # most inline texts of a register are unique (deal names, IDs): decode directly,
        # the bytes key is the cache
        value = self[raw] = decode(raw.decode("utf-8", "replace")) or None
        return value


class _Converter:
    """Turns a cell's raw ``<v>`` text into a grid value, caching dates and strings."""

    def __init__(self, strings: list[str | None], style_kinds: list[int], date1904: bool):
        self.strings = strings
        self.style_kinds = style_kinds
        self.offset = DAYS_1904 if date1904 else 0
        self.texts = _Texts(TextCache())
        self.dates: dict[bytes, CellValue] = {}
        # no reference back to the converter: a cycle would keep its caches (a register's
        # texts, tens of MB at 100,000 deals) alive until a full collection
        self.kinds = _Kinds(style_kinds)

    def number(self, v: bytes, skind: int) -> CellValue:
        if skind == OTHER:
            try:
                return int(v)  # amounts, counts: integral text, the common case
            except ValueError:
                if b"." not in v and b"E" not in v and b"e" not in v:
                    raise  # "inf", "nan", "12x": text, as before
                f = float(v)
                return int(f) if f.is_integer() else f
        if skind == PERCENT:
            return PercentValue(float(v))
        found = self.dates.get(v)
        if found is None:
            try:
                found = serial_to_datetime(float(v) + self.offset)
            except (OverflowError, ValueError):
                f = float(v)
                found = int(f) if f.is_integer() else f
            self.dates[v] = found
        return found

    def value(self, v: bytes, tcode: int, skind: int) -> CellValue:
        """Any ``<v>`` text (non-empty) → value."""
        try:
            if tcode == T_N:
                return self.number(v, skind)
            if tcode == T_S:
                return self.strings[int(v)]
            if tcode == T_B:
                return v.strip() in (b"1", b"true")
            if tcode == T_D:
                return _iso_date(self.texts[v] or "")
            return self.texts[v]
        except (ValueError, IndexError, OverflowError):
            return self.texts[v]


def _cell_kind(attrs: bytes, style_kinds: list[int]) -> tuple[int, int]:
    """(type code, style kind) of a cell's attributes."""
    a = parse_attrs(attrs.decode("utf-8", "replace"))
    tcode = _TYPE_CODES.get(a.get("t", "n"), T_N)
    try:
        s = int(a.get("s", "0") or 0)
    except ValueError:
        s = 0
    skind = style_kinds[s] if 0 <= s < len(style_kinds) else OTHER
    return tcode, skind


class _Kinds(dict[bytes, tuple[int, int]]):
    """A cell's attributes → :func:`_cell_kind`, cached (unless they hold its reference)."""

    def __init__(self, style_kinds: list[int]):
        super().__init__()
        self.style_kinds = style_kinds

    def __missing__(self, attrs: bytes) -> tuple[int, int]:
        found = _cell_kind(attrs, self.style_kinds)
        if b"r=" not in attrs:
            self[attrs] = found
        return found


def _iso_date(text: str) -> CellValue:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            t = dt.time.fromisoformat(text.strip())
        except ValueError:
            return text or None
        return serial_to_datetime((t.hour * 3600 + t.minute * 60 + t.second
                                   + t.microsecond / 1e6) / 86400)
    value = value.replace(tzinfo=None)
    return value.date() if value.time() == dt.time(0) else value


class SheetDamage(ValueError):
    """What is wrong with a sheet's XML (the caller names the file and the part)."""


class _Columns(dict[bytes, int]):
    def __missing__(self, letters: bytes) -> int:
        ci = column_index(letters)
        if ci >= MAX_COLUMNS:
            raise SheetDamage(f"column {letters.decode('ascii', 'replace')} is beyond XFD")
        self[letters] = ci
        return ci


def parse_sheet(xml: bytes, conv: _Converter) -> list[list[CellValue]]:
    """Rows of one worksheet part: gaps filled with ``None``, trailing empties trimmed.
    :class:`SheetDamage` when the part is cut short or beyond Excel's limits."""
    return parse_sheet_pieces((xml,), conv)


def _windows(pieces: Iterable[bytes], pb: bytes) -> Iterator[tuple[bytes, int, int]]:
    """``(buffer, start, stop)``: the sheet's data in slices of about :data:`CHUNK` that
    end at a ``<row``, as the pieces of the part arrive; raises :class:`SheetDamage` when
    the part or its data is cut short (checked once its end is seen)."""
    source = iter(pieces)
    buf = b""
    data_open, row_open = b"<" + pb + b"sheetData", b"<" + pb + b"row"
    data_close, root_close = b"</" + pb + b"sheetData>", b"</" + pb + b"worksheet>"

    def drained(tail: bytes) -> bytes:  # the part's last bytes, the rest read and dropped
        for piece in source:
            tail = (tail + piece)[-1024:]
        return tail

    while True:  # the <sheetData> tag, whole
        start = buf.find(data_open)
        if start >= 0 and buf.find(b">", start) >= 0:
            break
        piece = next(source, None)
        if piece is None:
            break
        buf += piece
    if start < 0 or buf.find(b">", start) < 0:
        if not _ends_with(buf, root_close):
            raise SheetDamage("the sheet is cut short")
        return
    if re.match(rb"<(?:\w+:)?sheetData\b[^>]*/>", buf[start:start + 256]):  # no data
        if not _ends_with(drained(buf[-1024:]), root_close):
            raise SheetDamage("the sheet is cut short")
        return
    pos = start
    end = buf.find(data_close, pos)
    while end < 0:
        piece = next(source, None)
        if piece is None:
            break
        cut = buf.rfind(row_open, pos)
        if cut > pos:  # the complete rows so far
            yield buf, pos, cut
            pos = cut
        buf = buf[pos:] + piece
        pos = 0
        end = buf.find(data_close)
    if end < 0:  # the part ended inside its data
        if not _ends_with(buf, root_close):
            raise SheetDamage("the sheet is cut short")
        raise SheetDamage("the sheet's data is cut short")
    while pos < end:
        stop = buf.find(row_open, pos + CHUNK, end) if pos + CHUNK < end else end
        if stop < 0:
            stop = end
        yield buf, pos, stop
        pos = stop
    if not _ends_with(drained(buf[-1024:]), root_close):
        raise SheetDamage("the sheet is cut short")


class _WellFormed:
    """Checks a part as XML (expat) as its pieces pass through :meth:`feed`: the scanner
    reads cells with regular expressions and would skip what it does not recognise, so a
    tag lost or broken inside a part (a ``<is>`` gone: a name read as blank) is refused
    here instead. The first error is kept and raised by :meth:`close`, once the scanner is
    done: a part cut short keeps the scanner's words for it."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.error: expat.ExpatError | None = None
        self.done = False  # every piece passed (the scanner always reads a part to its end)

    def feed(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        parse = self.parser.Parse
        for piece in pieces:
            if self.error is None:
                try:
                    parse(piece, False)
                except expat.ExpatError as exc:
                    self.error = exc
            yield piece
        self.done = True

    def abort(self) -> None:
        """The scan stopped (an error): nothing to check."""

    def close(self) -> None:
        if not self.done:  # the scanner stopped early: only what it read was checked
            return
        if self.error is None:
            try:
                self.parser.Parse(b"", True)
            except expat.ExpatError as exc:
                self.error = exc
        if self.error is not None:
            raise SheetDamage(not_well_formed(self.error))


#: expat in a child process: reads the part on stdin, prints ``code line offset`` of the
#: first error (nothing when the XML is well-formed), and reads its input to the end
_CHECKER = """
import sys
from xml.parsers import expat
parser, source, error = expat.ParserCreate(), sys.stdin.buffer, None
while True:
    chunk = source.read(1 << 20)
    if error is None:
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            error = exc
    if not chunk:
        break
if error is not None:
    sys.stdout.write(f"{error.code} {error.lineno} {error.offset}")
"""


class _WellFormedElsewhere(_WellFormed):
    """:class:`_WellFormed` done by expat in a child process, on another core, while this
    one scans: expat holds the interpreter while it parses (~0.45 s for the 67 MB register
    of 100,000 deals), a thread would not run beside the scanner. A thread of this process
    writes the pieces to the child (a pipe's write lets go of the interpreter)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.queue: Queue[bytes | None] = Queue(maxsize=4)
        self.broken = self.done = False
        self.writer = threading.Thread(target=self._write, name="sheetsync-xml-check",
                                       daemon=True)
        self.writer.start()

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while (piece := self.queue.get()) is not None:
                if not self.broken:
                    stdin.write(piece)
            stdin.close()
        except OSError:  # the child is gone: close() says so
            self.broken = True
            while self.queue.get() is not None:
                pass

    def feed(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            self.queue.put(piece)
            yield piece
        self.queue.put(None)
        self.done = True

    def close(self) -> None:
        if not self.done:  # the scanner stopped early: never wait for a part not sent
            self.abort()
            return
        self.writer.join()
        assert self.proc.stdout is not None
        out = self.proc.stdout.read().decode("ascii", "replace").split()
        code = self.proc.wait()
        if self.broken or code != 0 or (out and len(out) != 3):
            raise BackendError("the workbook's XML could not be checked (the checking "
                               f"process ended with {code}); nothing was written")
        if out:
            error = expat.ExpatError()
            error.code, error.lineno, error.offset = map(int, out)
            raise SheetDamage(not_well_formed(error))

    def abort(self) -> None:
        """The scan stopped (an error): the child is stopped, nothing is waited for."""
        self.broken = True
        self.proc.kill()
        self.proc.wait()
        while self.writer.is_alive():  # it drains what is queued up to the end marker
            try:
                self.queue.put(None, timeout=0.1)
                break
            except Full:
                continue
        self.writer.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stdin):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


#: a part at least this big (uncompressed) is checked by a child process beside the scan
PARALLEL_CHECK_BYTES = 8 << 20


def _checker(size: int | None) -> _WellFormed:
    """The check for a part of ``size`` bytes: in this process, or beside it when it is
    big and a child process can be started."""
    if size is None or size < PARALLEL_CHECK_BYTES:
        return _WellFormed()
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _CHECKER],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError:  # no child processes here: checked in this process
        return _WellFormed()
    return _WellFormedElsewhere(proc)


def not_well_formed(exc: expat.ExpatError) -> str:
    """What expat found, in a line: ``not well-formed XML (mismatched tag at line 2, byte
    5,120 of the line)``."""
    what = expat.ErrorString(exc.code) if exc.code else str(exc)
    return f"not well-formed XML ({what} at line {exc.lineno:,}, byte {exc.offset:,} of " \
           "the line)"


def parse_sheet_pieces(pieces: Iterable[bytes], conv: _Converter,
                       size: int | None = None) -> list[list[CellValue]]:
    """:func:`parse_sheet` of a part given in pieces (:meth:`Package.pieces`); the part is
    checked as XML as it is scanned (:class:`_WellFormed`; ``size``, the part's size when
    known, lets a big one be checked on another core)."""
    check = _checker(size)
    try:
        rows = _scan_sheet(check.feed(pieces), conv)
    except BaseException:
        check.abort()
        raise
    check.close()
    return rows


def _scan_sheet(pieces: Iterable[bytes], conv: _Converter) -> list[list[CellValue]]:
    source = iter(pieces)
    head = b""
    for piece in source:  # the root element's namespace prefix is in the first 2 KB
        head += piece
        if len(head) >= 2048:
            break
    prefix = _prefix(head[:2048])
    cell_re, value_re, inline_re = _sheet_patterns(prefix)
    pb = prefix.encode()

    rows: list[list[CellValue]] = []
    cur: list[CellValue] = []
    last = -1
    ci = -1
    colmap = _Columns()
    kinds = conv.kinds
    texts = conv.texts
    strings = conv.strings
    number = conv.number
    dates = conv.dates
    value_of = conv.value
    row_r = _ROW_R_RE.search
    val: CellValue

    for xml, pos, stop in _windows(itertools.chain((head,), source), pb):
        for col, attrs, v, it, other, rowtag in cell_re.findall(xml, pos, stop):
            if rowtag:
                m = row_r(rowtag)
                idx = int(m.group(1)) - 1 if m else last + 1
                if idx >= MAX_ROWS:
                    raise SheetDamage(f"row {idx + 1:,} is beyond Excel's {MAX_ROWS:,}")
                n = len(rows)
                if idx >= n:
                    if idx > n:
                        rows.extend([] for _ in range(idx - n))
                    cur = []
                    rows.append(cur)
                else:
                    cur = rows[idx]
                last = idx
                ci = -1
                continue
            if col:
                ci = colmap[col]
            elif b"r=" in attrs:
                m = _CELL_R_RE.search(attrs)
                ci = colmap[m.group(1).upper()] if m else ci + 1
            else:
                ci += 1
            if ci >= MAX_COLUMNS:
                raise SheetDamage(f"a cell is beyond column XFD in row {last + 1:,}")
            if it:
                val = texts[it]
            else:
                tcode, skind = kinds[attrs]
                if other:
                    if tcode == T_INLINE:
                        m = inline_re.search(other)
                        val = (rich_text(m.group(1).decode("utf-8", "replace"), prefix)
                               or None) if m else None
                        if val is None:
                            continue
                        _place(cur, ci, val)
                        continue
                    m = value_re.search(other)
                    v = m.group(1) if m else b""
                    if not v and b"<" + pb + b"f" in other:
                        # a formula without its result: say so, never read it as blank
                        _place(cur, ci, _uncalculated(other, prefix))
                        continue
                if not v:
                    continue
                if tcode == T_S:
                    try:
                        val = strings[int(v)]
                    except (ValueError, IndexError):
                        val = None
                elif tcode == T_N and skind == OTHER:
                    try:
                        val = int(v)
                    except ValueError:
                        try:
                            val = number(v, OTHER)
                        except ValueError:
                            val = texts[v]
                elif tcode == T_N and skind == DATE and v in dates:
                    val = dates[v]
                else:
                    val = value_of(v, tcode, skind)
            if val is None:
                continue
            if type(val) is str and len(val) > MAX_CELL_CHARS:
                raise SheetDamage(f"a cell in row {last + 1:,} holds more than "
                                  f"{MAX_CELL_CHARS:,} characters (Excel's limit)")
            n = len(cur)
            if ci == n:
                cur.append(val)
            elif ci > n:
                cur.extend([None] * (ci - n))
                cur.append(val)
            else:
                cur[ci] = val

    while rows and not rows[-1]:
        rows.pop()
    return rows


def _uncalculated(inner: bytes, prefix: str) -> Uncalculated:
    """The formula of a cell without a cached value (``=`` and its text, when stored)."""
    m = re.search(rf"<{re.escape(prefix)}f\b[^>]*>([^<]*)</{re.escape(prefix)}f>".encode(),
                  inner)
    text = m.group(1).decode("utf-8", "replace") if m else ""
    return Uncalculated("=" + decode(text) if text else "=…")


def _place(row: list[CellValue], ci: int, val: CellValue) -> None:
    n = len(row)
    if ci >= n:
        row.extend([None] * (ci - n))
        row.append(val)
    else:
        row[ci] = val


def dimension(head: bytes) -> tuple[int, int]:
    """(rows, columns) from a sheet's ``<dimension ref>`` (0, 0 when absent)."""
    m = _DIMENSION_RE.search(head)
    if not m:
        return 0, 0
    refs = _REF_RE.findall(m.group(1).decode("ascii", "replace"))
    if not refs:
        return 0, 0
    letters, row = refs[-1]
    return int(row), column_index(letters) + 1


def read_tabs(pkg: Package, names: Iterable[str] | None = None,
              ) -> tuple[WorkbookInfo, list[TabInfo], dict[str, Grid]]:
    """Every tab's metadata, and the grids of ``names`` (all tabs when ``None``)."""
    info = read_workbook_info(pkg)
    wanted = None if names is None else set(names)
    todo = [s for s in info.sheets if wanted is None or s.name in wanted]
    conv: _Converter | None = None
    if any(s.is_worksheet and s.part and pkg.has(s.part) for s in todo):
        conv = _Converter(
            read_shared_strings(pkg, info.shared_strings_part),
            read_style_kinds(pkg, info.styles_part),
            info.date1904,
        )
    grids: dict[str, Grid] = {}
    tabs: list[TabInfo] = []
    for sheet in info.sheets:
        hidden = sheet.state in ("hidden", "veryHidden")
        if sheet in todo:
            rows: list[list[CellValue]] = []
            if not sheet.rel_type or (sheet.is_worksheet
                                      and (not sheet.part or not pkg.has(sheet.part))):
                raise damaged(pkg, sheet.part or f"{info.part} {sheet.rid or '(no r:id)'}",
                              f"tab {sheet.name!r} has no sheet data in the file")
            if conv is not None and sheet.is_worksheet and sheet.part:
                try:
                    rows = parse_sheet_pieces(pkg.pieces(sheet.part), conv,
                                              pkg.size(sheet.part))
                except SheetDamage as exc:
                    raise damaged(pkg, sheet.part, f"tab {sheet.name!r}: {exc}") from None
            grid = Grid(sheet.name, rows)
            grids[sheet.name] = grid
            n_rows, n_cols = len(rows), grid.width
        elif sheet.is_worksheet and sheet.part:
            n_rows, n_cols = dimension(pkg.read_head(sheet.part))
        else:
            n_rows = n_cols = 0
        tabs.append(TabInfo(sheet.name, sheet.sheet_id, sheet.index, hidden, n_rows, n_cols))
    return info, tabs, grids
