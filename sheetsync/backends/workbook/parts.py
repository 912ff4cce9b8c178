"""A set of part edits on an ``.xlsx`` package, assembled into a new zip in one go.

Parts that are not edited are copied as stored (compressed bytes included); edited parts
keep their zip position, new ones are appended. Relationships and content types are edited
as text, so their other entries keep their bytes. Plus the steps ``schema apply`` and
``fix --apply`` share: find a worksheet, splice owned tabs first (exactly as the ordinary
write does), refuse tabs that name the register, open and save the styles part.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

from ...errors import BackendError
from ...tabspec import TabSpec
from .package import (
    Package,
    free_part_name,
    parse_rels,
    relative_target,
    rels_part,
    xml_escape,
)
from .read import SheetEntry, WorkbookInfo, read_workbook_info
from .styles import StyleMerger
from .write import CT_STYLES, splice
from .zip_copy import copy_member, write_member

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class PackageEdit:
    """Edits of ``pkg``'s parts; :meth:`build` gives the new package bytes."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.changed: dict[str, tuple[str, bytes]] = {}  # lower name → (name, bytes)
        self.new_order: list[str] = []
        self.taken = {i.filename.lower() for i in pkg.infos}
        types = [r.type for r in pkg.rels(pkg.workbook_part()) if "/" in r.type]
        self.rel_base = types[0].rsplit("/", 1)[0] if types else REL_NS

    def has(self, part: str) -> bool:
        return part.lower() in self.changed or self.pkg.has(part)

    def read(self, part: str) -> bytes:
        """The part's current bytes (edited or original)."""
        found = self.changed.get(part.lower())
        return found[1] if found else self.pkg.read(part)

    def set(self, part: str, data: bytes) -> None:
        """Replace or add ``part`` (a no-op when ``data`` equals what is stored)."""
        key = part.lower()
        if key not in self.changed and self.pkg.has(part) and self.pkg.read(part) == data:
            return
        if not self.pkg.has(part) and part not in self.new_order:
            self.new_order.append(part)
        self.taken.add(key)
        self.changed[key] = (self.pkg.name(part) or part, data)

    def alloc(self, pattern: str) -> str:
        """A free part name from ``pattern`` (``xl/comments{}.xml`` → ``xl/comments1.xml``)."""
        return free_part_name(pattern, self.taken)

    # -- relationships ---------------------------------------------------------------
    def rels(self, source: str) -> list[tuple[str, str, str | None]]:
        """(id, type, target part) of ``source``'s relationships, edits included."""
        rp = rels_part(source)
        if not self.has(rp):
            return []
        return [(r.id, r.type, r.part) for r in parse_rels(self.read(rp), source)]

    def add_rel(self, source: str, kind: str, target: str) -> str:
        """Add a relationship ``source`` → ``target`` of type ``…/kind``; its id."""
        rp = rels_part(source)
        text = self.read(rp).decode("utf-8") if self.has(rp) else (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>')
        used = set(re.findall(r"""\sId\s*=\s*["']([^"']+)["']""", text))
        n = 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?Relationships[\s>/]", text)
        p = pm.group(1) + ":" if pm and pm.group(1) else ""
        rel = (f'<{p}Relationship Id="{rid}" Type="{self.rel_base}/{kind}" '
               f'Target="{xml_escape(relative_target(source, target), attr=True)}"/>')
        empty = re.search(rf"<{re.escape(p)}Relationships\b([^>]*?)/>", text)
        if empty:
            text = (text[:empty.start()] + f"<{p}Relationships{empty.group(1)}>{rel}"
                    f"</{p}Relationships>" + text[empty.end():])
        else:
            end = text.rindex(f"</{p}Relationships>")
            text = text[:end] + rel + text[end:]
        self.set(rp, text.encode("utf-8"))
        return rid

    # -- content types ---------------------------------------------------------------
    def content_type(self, *, part: str | None = None, extension: str | None = None,
                     ctype: str) -> None:
        """Ensure an ``Override`` for ``part`` or a ``Default`` for ``extension``."""
        name = "[Content_Types].xml"
        text = self.read(name).decode("utf-8")
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?Types[\s>]", text)
        p = pm.group(1) + ":" if pm and pm.group(1) else ""
        if part is not None:
            if re.search(rf"""PartName\s*=\s*["']/{re.escape(part)}["']""", text, re.I):
                return
            entry = f'<{p}Override PartName="/{xml_escape(part, attr=True)}" ' \
                    f'ContentType="{ctype}"/>'
        else:
            assert extension is not None
            if re.search(rf"""Extension\s*=\s*["']{re.escape(extension)}["']""", text, re.I):
                return
            entry = f'<{p}Default Extension="{extension}" ContentType="{ctype}"/>'
        end = text.rindex(f"</{p}Types>")
        self.set(name, (text[:end] + entry + text[end:]).encode("utf-8"))

    # -- output ----------------------------------------------------------------------
    def build(self) -> bytes:
        """The new package (the original bytes when nothing changed)."""
        if not self.changed:
            return self.pkg.data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in self.pkg.infos:
                key = info.filename.lower()
                if key in self.changed:
                    write_member(dst, info, self.changed[key][1])
                else:
                    copy_member(self.pkg.zip, info, dst)
            for name in self.new_order:
                write_member(dst, name, self.changed[name.lower()][1])
        return out.getvalue()


def find_sheet(info: WorkbookInfo, name: str) -> SheetEntry | None:
    """The ``<sheet>`` named ``name`` (exactly, else case-insensitively)."""
    exact = next((s for s in info.sheets if s.name == name), None)
    if exact is not None:
        return exact
    return next((s for s in info.sheets if s.name.casefold() == name.casefold()), None)


def worksheet_part(pkg: Package, info: WorkbookInfo, name: str) -> str:
    """The part of worksheet ``name``; :class:`BackendError` when there is none."""
    entry = find_sheet(info, name)
    if entry is None:
        raise BackendError(f"{pkg.path}: there is no tab {name!r}; nothing was written")
    if not entry.is_worksheet or not entry.part or not pkg.has(entry.part):
        raise BackendError(f"{pkg.path}: tab {name!r} is not a worksheet; nothing was written")
    return pkg.name(entry.part) or entry.part


def with_tabs(pkg: Package, specs: Sequence[TabSpec]) -> tuple[Package, WorkbookInfo]:
    """``pkg`` with ``specs`` spliced in (as :meth:`WorkbookBackend.write` does)."""
    info = read_workbook_info(pkg)
    if not specs:
        return pkg, info
    spliced = Package(splice(pkg, info, specs), pkg.path)
    return spliced, read_workbook_info(spliced)


def guard_tabs(specs: Sequence[TabSpec], protected: Sequence[str | None]) -> None:
    """Refuse to write a tab named in ``protected`` (the register, the edited tabs)."""
    names = {n.casefold() for n in protected if n}
    for spec in specs:
        if spec.name.casefold() in names:
            raise BackendError(
                f"refusing to write tab {spec.name!r}: it is the register tab, which "
                "belongs to the reps; nothing was written")


def styles_merger(edit: PackageEdit, info: WorkbookInfo) -> StyleMerger:
    """A :class:`StyleMerger` on the package's styles part (a minimal one when absent)."""
    return StyleMerger(edit.read(info.styles_part) if info.styles_part else None)


def save_styles(edit: PackageEdit, info: WorkbookInfo, merger: StyleMerger) -> None:
    """Store the merged styles (creating ``xl/styles.xml`` when the package had none)."""
    data = merger.result()
    if info.styles_part:
        edit.set(info.styles_part, data)
        return
    part = "xl/styles.xml" if not edit.has("xl/styles.xml") else edit.alloc("xl/styles{}.xml")
    edit.set(part, data)
    edit.add_rel(info.part, "styles", part)
    edit.content_type(part=part, ctype=CT_STYLES)
