"""Write a zip whose unchanged members are copied as stored (no decompress/recompress).

Recompressing a 100,000-row register sheet costs about a second and is pointless: the part
does not change. :func:`copy_member` copies the compressed bytes of a member as they are;
the zip module still writes the central directory. When the raw copy is not possible (an
unusual member, or a Python whose zipfile internals differ), the member is recompressed —
slower, same content.
"""

from __future__ import annotations

import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from queue import Queue

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ZIP64_LIMIT = (1 << 31) - 1
FAST_COMPRESS_SIZE = 1 << 20


def _raw_bytes(src: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    fp = src.fp
    if fp is None or info.flag_bits & 0x1:  # encrypted
        return None
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    name_len, extra_len = fields[10], fields[11]
    fp.seek(name_len + extra_len, 1)
    raw = fp.read(info.compress_size)
    return raw if len(raw) == info.compress_size else None


def _can_write_raw(dst: zipfile.ZipFile, size: int, compressed: int) -> bool:
    return (size < _ZIP64_LIMIT and compressed < _ZIP64_LIMIT
            and hasattr(dst, "filelist") and hasattr(dst, "start_dir"))


def copy_member(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile) -> None:
    """Add ``info`` of ``src`` to ``dst`` unchanged (raw copy when possible)."""
    raw = None
    if (_can_write_raw(dst, info.file_size, info.compress_size)
            and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
        raw = _raw_bytes(src, info)
    if raw is None:
        write_member(dst, info, src.read(info))
        return
    out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out.compress_type = info.compress_type
    out.external_attr = info.external_attr
    out.create_system = info.create_system
    out.flag_bits = info.flag_bits & 0x800  # keep only the UTF-8 name flag
    out.CRC = info.CRC
    out.compress_size = info.compress_size
    out.file_size = info.file_size
    _append_raw(dst, out, raw)


def _append_raw(dst: zipfile.ZipFile, out: zipfile.ZipInfo, raw: bytes) -> None:
    fp = dst.fp
    assert fp is not None
    fp.seek(dst.start_dir)
    out.header_offset = fp.tell()
    fp.write(out.FileHeader(False))
    fp.write(raw)
    dst.start_dir = fp.tell()
    dst.filelist.append(out)
    dst.NameToInfo[out.filename] = out
    dst._didModify = True


@dataclass(frozen=True)
class Deflated:
    """A part compressed before its zip is written: the raw deflate stream, the CRC-32 and
    the size of the text it holds."""

    data: bytes
    crc: int
    size: int


def deflate_text(pieces: Iterable[str], batch: int = 1 << 18) -> Deflated:
    """UTF-8 text given in pieces, deflated as it comes — a 50 MB sheet is never held
    whole, as text or as bytes. As :func:`write_member` does: level 6, level 1 for a part
    above :data:`FAST_COMPRESS_SIZE`. A big part is compressed by a worker thread while
    the pieces are made (zlib lets go of the interpreter while it compresses: on two
    cores the compressing hides behind the rendering).

    >>> part = deflate_text(["<a>", "テキスト", "</a>"])
    >>> zlib.decompress(part.data, -15).decode(), part.size
    ('<a>テキスト</a>', 19)
    """
    head: list[bytes] = []  # the start, until it is known to be a big part
    held = 0
    crc = size = 0
    worker: _Compressor | None = None
    texts: list[str] = []
    chars = 0

    def feed(data: bytes) -> None:
        nonlocal crc, size, held, worker
        crc = zlib.crc32(data, crc)
        size += len(data)
        if worker is None:
            head.append(data)
            held += len(data)
            if held <= FAST_COMPRESS_SIZE:
                return
            worker = _Compressor()
            for b in head:
                worker.put(b)
            head.clear()
            return
        worker.put(data)

    try:
        for piece in pieces:
            texts.append(piece)
            chars += len(piece)
            if chars >= batch:
                feed("".join(texts).encode("utf-8", "replace"))
                texts.clear()
                chars = 0
        if texts:
            feed("".join(texts).encode("utf-8", "replace"))
    except BaseException:
        if worker is not None:
            worker.stop()
        raise
    if worker is not None:
        return Deflated(worker.finish(), crc, size)
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = [comp.compress(b) for b in head]
    out.append(comp.flush())
    return Deflated(b"".join(out), crc, size)


class _Compressor:
    """Level-1 raw deflate of the bytes :meth:`put` in order, in a worker thread."""

    def __init__(self) -> None:
        self.queue: Queue[bytes | None] = Queue(maxsize=8)  # ≤ ~6 MB waiting
        self.out: list[bytes] = []
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="sheetsync-deflate",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        comp = zlib.compressobj(1, zlib.DEFLATED, -15)
        try:
            while (data := self.queue.get()) is not None:
                if not self.failure:
                    self.out.append(comp.compress(data))
            if not self.failure:
                self.out.append(comp.flush())
        except BaseException as exc:  # handed to finish()
            self.failure.append(exc)
            while self.queue.get() is not None:
                pass

    def put(self, data: bytes) -> None:
        self.queue.put(data)

    def finish(self) -> bytes:
        self.queue.put(None)
        self.thread.join()
        if self.failure:
            raise self.failure[0]
        return b"".join(self.out)

    def stop(self) -> None:
        self.failure.append(RuntimeError("stopped"))
        self.queue.put(None)
        self.thread.join()


def write_deflated(dst: zipfile.ZipFile, like: zipfile.ZipInfo | str, part: Deflated) -> None:
    """Add a part :func:`deflate_text` compressed under ``like``'s name (date, attributes)."""
    info = _member_info(like)
    if not _can_write_raw(dst, part.size, len(part.data)):
        write_member(dst, like, zlib.decompress(part.data, -15))
        return
    info.compress_type = zipfile.ZIP_DEFLATED
    info.CRC = part.crc
    info.compress_size = len(part.data)
    info.file_size = part.size
    _append_raw(dst, info, part.data)


def _member_info(like: zipfile.ZipInfo | str) -> zipfile.ZipInfo:
    if isinstance(like, str):
        return zipfile.ZipInfo(like, date_time=(1980, 1, 1, 0, 0, 0))
    info = zipfile.ZipInfo(like.filename, date_time=like.date_time)
    info.external_attr = like.external_attr
    info.create_system = like.create_system
    return info


def write_member(dst: zipfile.ZipFile, like: zipfile.ZipInfo | str, data: bytes) -> None:
    """Add ``data`` under ``like``'s name (and date, attributes), deflated."""
    info = _member_info(like)
    info.compress_type = zipfile.ZIP_DEFLATED
    # a big part (a large owned tab) compresses 3x faster at level 1, ~25 % larger
    dst.writestr(info, data, compresslevel=1 if len(data) > FAST_COMPRESS_SIZE else 6)
