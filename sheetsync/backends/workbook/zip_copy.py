"""Write a zip whose unchanged members are copied as stored (no decompress/recompress).

Recompressing a 100,000-row register sheet costs about a second and is pointless: the part
does not change. :func:`copy_member` copies the compressed bytes of a member as they are;
the zip module still writes the central directory. When the raw copy is not possible (an
unusual member, or a Python whose zipfile internals differ), the member is recompressed —
slower, same content.
"""

from __future__ import annotations

import struct
import zipfile

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


def copy_member(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile) -> None:
    """Add ``info`` of ``src`` to ``dst`` unchanged (raw copy when possible)."""
    raw = None
    if (info.file_size < _ZIP64_LIMIT and info.compress_size < _ZIP64_LIMIT
            and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            and hasattr(dst, "filelist") and hasattr(dst, "start_dir")):
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


def write_member(dst: zipfile.ZipFile, like: zipfile.ZipInfo | str, data: bytes) -> None:
    """Add ``data`` under ``like``'s name (and date, attributes), deflated."""
    if isinstance(like, str):
        info = zipfile.ZipInfo(like, date_time=(1980, 1, 1, 0, 0, 0))
    else:
        info = zipfile.ZipInfo(like.filename, date_time=like.date_time)
        info.external_attr = like.external_attr
        info.create_system = like.create_system
    info.compress_type = zipfile.ZIP_DEFLATED
    # a big part (a large owned tab) compresses 3x faster at level 1, ~25 % larger
    dst.writestr(info, data, compresslevel=1 if len(data) > FAST_COMPRESS_SIZE else 6)
