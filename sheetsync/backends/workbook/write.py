"""Splice sheetsync's tabs into an existing ``.xlsx`` package, touching nothing else.

The owned tabs are rendered (:mod:`.render`) and written into a copy of the original
zip: an owned tab that exists is replaced in place (same position, ``sheetId`` and
``r:id``; the drawing/chart parts only it used are dropped), a new one is appended. Every
other part — the register's sheet XML, images and charts of rep-owned tabs, defined names,
data validation — is copied as stored. The few shared parts that must change are edited as
text, keeping their other bytes: ``sharedStrings.xml`` (texts that repeat in the written
tabs appended, every index kept: :mod:`.shared_strings`), ``styles.xml`` (styles appended),
``workbook.xml`` (new ``<sheet>`` entries, ``state``, the print titles of the written tabs:
:mod:`.page`), its rels, ``[Content_Types].xml``, ``calcChain.xml`` (entries of
replaced tabs removed) and ``docProps/app.xml`` (the sheet list, ``TitlesOfParts``, dropped
when tabs are added: it is optional and Excel rebuilds it).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import BackendError
from ...tabspec import TabSpec
from .chart import render_chart
from .package import (
    Package,
    Relationship,
    free_part_name,
    parse_attrs,
    relative_target,
    xml_escape,
)
from .page import edit_print_titles, print_titles
from .read import SheetEntry, WorkbookInfo
from .render import SheetStyles, collect_styles, sheet_pieces
from .shared_strings import SharedStrings
from .styles import StyleMerger
from .zip_copy import Deflated, copy_member, deflate_text, write_deflated, write_member

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_SHARED_STRINGS = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                     "sharedStrings+xml")
_BAD_NAME_CHARS = set("[]:*?/\\")


def check_sheet_name(name: str) -> None:
    """Refuse names Excel cannot hold (1–31 characters, none of ``[]:*?/\\``)."""
    problem = None
    if not name or len(name) > 31:
        problem = "must have 1 to 31 characters"
    elif _BAD_NAME_CHARS & set(name):
        problem = "may not contain any of [ ] : * ? / \\"
    elif name.startswith("'") or name.endswith("'"):
        problem = "may not start or end with an apostrophe"
    elif name.casefold() == "history":
        problem = "'History' is reserved by Excel"
    if problem:
        raise BackendError(f"cannot write tab {name!r}: a tab name {problem}")


@dataclass
class _Plan:
    spec: TabSpec
    entry: SheetEntry | None
    part: str
    rid: str
    sheet_id: int
    drawing: str | None = None
    chart: str | None = None


class Splicer:
    """One write: plan the parts, render, edit the shared parts, assemble the zip."""

    def __init__(self, pkg: Package, info: WorkbookInfo) -> None:
        self.pkg = pkg
        self.info = info
        self.wb_part = info.part
        self.wb_rels = pkg.rels(info.part)
        types = [r.type for r in self.wb_rels if "/" in r.type]
        self.rel_base = types[0].rsplit("/", 1)[0] if types else REL_NS
        # lower name → (name, bytes or a part deflated as it was rendered)
        self.changed: dict[str, tuple[str, bytes | Deflated]] = {}
        self.new_order: list[str] = []
        self.deleted: set[str] = set()
        self.new_rels: list[str] = []  # <Relationship> elements for workbook.xml.rels
        self.retarget: dict[str, str] = {}  # rid → new worksheet part
        self.removed_rids: set[str] = set()
        self.overrides: dict[str, str] = {}  # part → content type to ensure
        self._rels_cache: dict[str, list[Relationship]] = {}

    # -- package graph ---------------------------------------------------------------
    def _rels(self, part: str) -> list[Relationship]:
        key = part.lower()
        if key not in self._rels_cache:
            self._rels_cache[key] = self.pkg.rels(part)
        return self._rels_cache[key]

    def _closure(self, start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for rel in self._rels(todo.pop()):
                if rel.part and self.pkg.has(rel.part) and rel.part.lower() not in seen:
                    seen.add(rel.part.lower())
                    todo.append(rel.part)
        return seen

    def _reachable(self, skip_sources: set[str], skip_edges: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = [""]
        while todo:
            source = todo.pop()
            if source.lower() in skip_sources:
                continue
            for rel in self._rels(source):
                if source == self.wb_part and rel.id in skip_edges:
                    continue
                if rel.part and self.pkg.has(rel.part) and rel.part.lower() not in seen:
                    seen.add(rel.part.lower())
                    todo.append(rel.part)
        return seen

    # -- planning --------------------------------------------------------------------
    def _match(self, specs: Sequence[TabSpec]) -> list[tuple[TabSpec, SheetEntry | None]]:
        exact = {s.name: s for s in self.info.sheets}
        folded = {s.name.casefold(): s for s in self.info.sheets}
        seen: set[str] = set()
        out = []
        for spec in specs:
            check_sheet_name(spec.name)
            if spec.name.casefold() in seen:
                raise BackendError(f"tab {spec.name!r} is listed twice in one write")
            seen.add(spec.name.casefold())
            out.append((spec, exact.get(spec.name) or folded.get(spec.name.casefold())))
        return out

    def _plan(self, specs: Sequence[TabSpec]) -> list[_Plan]:
        matched = self._match(specs)
        replaced = [e for _, e in matched if e is not None]
        candidates: set[str] = set()
        skip_sources: set[str] = set()
        skip_edges: set[str] = set()
        for entry in replaced:
            if not entry.part or not self.pkg.has(entry.part):
                continue
            candidates |= self._closure(entry.part)
            skip_sources.add(entry.part.lower())
            if not entry.is_worksheet:
                candidates.add(entry.part.lower())
                skip_edges.add(entry.rid)
        reachable = self._reachable(skip_sources, skip_edges)
        gone = {c for c in candidates if c not in reachable}
        for entry in replaced:  # the replaced sheets' own rels are rewritten or dropped
            if entry.part:
                gone.add(posixpath.join(posixpath.dirname(entry.part), "_rels",
                                        posixpath.basename(entry.part) + ".rels").lower())
        for part in list(gone):
            folder, name = posixpath.split(part)
            gone.add(posixpath.join(folder, "_rels", name + ".rels").lower())
        self.deleted = {n for n in gone if self.pkg.has(n)}
        self.taken = {i.filename.lower() for i in self.pkg.infos} - self.deleted

        next_id = max([s.sheet_id for s in self.info.sheets] + [0]) + 1
        plans = []
        for spec, entry in matched:
            if entry is not None and entry.is_worksheet and entry.part \
                    and self.pkg.has(entry.part):
                part = self.pkg.name(entry.part) or entry.part
                plan = _Plan(spec, entry, part, entry.rid, entry.sheet_id)
            elif entry is not None:
                part = self._alloc("xl/worksheets/sheet{}.xml")
                self.retarget[entry.rid] = part
                plan = _Plan(spec, entry, part, entry.rid, entry.sheet_id)
            else:
                part = self._alloc("xl/worksheets/sheet{}.xml")
                plan = _Plan(spec, None, part, self._new_rid(), next_id)
                next_id += 1
                self.new_rels.append(self._rel_xml(plan.rid, "worksheet", self.wb_part, part))
            self.overrides[part] = CT_WORKSHEET
            if spec.chart is not None and spec.chart.data_rows[1] > spec.chart.data_rows[0]:
                plan.drawing = self._alloc("xl/drawings/drawing{}.xml")
                plan.chart = self._alloc("xl/charts/chart{}.xml")
            plans.append(plan)
        return plans

    def _alloc(self, pattern: str) -> str:
        return free_part_name(pattern, self.taken)

    def _new_rid(self) -> str:
        used = {r.id for r in self.wb_rels} | set(re.findall(r'Id="([^"]+)"',
                                                             "".join(self.new_rels)))
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        return f"rId{n}"

    def _rel_xml(self, rid: str, kind: str, source: str, target: str) -> str:
        return (f'<Relationship Id="{rid}" Type="{self.rel_base}/{kind}" '
                f'Target="{xml_escape(relative_target(source, target), attr=True)}"/>')

    def _set(self, part: str, data: bytes | Deflated) -> None:
        key = part.lower()
        self.deleted.discard(key)
        if not self.pkg.has(part) and part not in self.new_order:
            self.new_order.append(part)
        self.changed[key] = (self.pkg.name(part) or part, data)

    # -- building ----------------------------------------------------------------------
    def build(self, specs: Sequence[TabSpec]) -> bytes:
        plans = self._plan(specs)
        merger = StyleMerger(self.pkg.read(self.info.styles_part)
                             if self.info.styles_part else None)
        styles = [collect_styles(p.spec, merger) for p in plans]
        sst_part = self.info.shared_strings_part
        if sst_part and not self.pkg.has(sst_part):
            sst_part = None
        self.strings = SharedStrings(self.pkg.read(sst_part) if sst_part else None)
        for plan, st in zip(plans, styles):
            self._render(plan, st)
        self._edit_shared_strings(sst_part)
        merged = merger.result()
        if self.info.styles_part:
            if merged != self.pkg.read(self.info.styles_part):
                self._set(self.info.styles_part, merged)
        else:
            part = "xl/styles.xml" if "xl/styles.xml" not in self.taken \
                else self._alloc("xl/styles{}.xml")
            self.taken.add(part.lower())
            self._set(part, merged)
            self.new_rels.append(self._rel_xml(self._new_rid(), "styles", self.wb_part, part))
            self.overrides[part] = CT_STYLES
        self._edit_calc_chain(plans)
        self._edit_workbook(plans)
        self._edit_workbook_rels()
        self._edit_content_types()
        if any(p.entry is None for p in plans):
            self._edit_app_xml()
        return self._assemble()

    def _render(self, plan: _Plan, st: SheetStyles) -> None:
        spec = plan.spec
        drawing_rid = "rId1" if plan.chart else None
        self._set(plan.part, deflate_text(sheet_pieces(spec, st, date1904=self.info.date1904,
                                                       drawing_rid=drawing_rid,
                                                       strings=self.strings)))
        if spec.chart is None or plan.drawing is None or plan.chart is None:  # no chart
            return
        parts = render_chart(spec, spec.chart)
        self._set(plan.drawing, parts.drawing)
        self._set(plan.chart, parts.chart)
        self._set(_rels_of(plan.part), _rels_doc(
            self._rel_xml("rId1", "drawing", plan.part, plan.drawing)))
        self._set(_rels_of(plan.drawing), _rels_doc(
            self._rel_xml("rId1", "chart", plan.drawing, plan.chart)))
        self.overrides[plan.drawing] = CT_DRAWING
        self.overrides[plan.chart] = CT_CHART

    def _edit_shared_strings(self, part: str | None) -> None:
        """The texts the tabs share appended to the table (created when there is none)."""
        if not self.strings.changed:
            return
        if part is None:
            part = "xl/sharedStrings.xml" if "xl/sharedstrings.xml" not in self.taken \
                else self._alloc("xl/sharedStrings{}.xml")
            self.taken.add(part.lower())
            self.new_rels.append(self._rel_xml(self._new_rid(), "sharedStrings", self.wb_part,
                                               part))
            self.overrides[part] = CT_SHARED_STRINGS
        self._set(part, self.strings.to_bytes())

    def _edit_workbook(self, plans: list[_Plan]) -> None:
        text = self.pkg.read(self.wb_part).decode("utf-8")
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?workbook[\s>]", text)
        p = pm.group(1) + ":" if pm and pm.group(1) else ""
        root_tag = text[pm.start():text.index(">", pm.start())] if pm else ""
        rm = re.search(rf'xmlns:([\w.-]+)\s*=\s*["\']({re.escape(REL_NS)}|'
                       rf'{re.escape(REL_NS_STRICT)})["\']', root_tag)
        r_prefix, r_decl = (rm.group(1), "") if rm else ("r", f' xmlns:r="{REL_NS}"')

        opened = re.search(rf"<{re.escape(p)}sheets\b[^>]*?(/?)>", text)
        if opened is None:
            raise BackendError(f"{self.pkg.path}: the workbook is damaged (no <sheets>)")
        if opened.group(1):  # <sheets/>
            text = text[:opened.start()] + f"<{p}sheets></{p}sheets>" + text[opened.end():]
            opened = re.search(rf"<{re.escape(p)}sheets\b[^>]*>", text)
            assert opened is not None
        close = text.index(f"</{p}sheets>", opened.end())
        tags = list(re.finditer(rf"<{re.escape(p)}sheet\b([^>]*?)(/?)>",
                                text[opened.end():close]))
        by_index = {plan.entry.index: plan for plan in plans if plan.entry is not None}
        hidden = [s.state != "visible" for s in self.info.sheets]
        pieces = []
        pos = 0
        for k, m in enumerate(tags):
            plan = by_index.get(k)
            if plan is None:
                continue
            attrs = m.group(1)
            was = self.info.sheets[k].state
            state = (was if was != "visible" else "hidden") if plan.spec.hidden else None
            hidden[k] = state is not None
            attrs = re.sub(r"""\sstate\s*=\s*(["'])[^"']*\1""", "", attrs)
            if plan.entry and plan.entry.name != plan.spec.name:
                new_name = f' name="{xml_escape(plan.spec.name, attr=True)}"'
                attrs = re.sub(r"""\sname\s*=\s*(["'])[^"']*\1""",
                               lambda _m, n=new_name: n, attrs)
            attrs = attrs.rstrip() + (f' state="{state}"' if state else "")
            pieces.append((m.start(), m.end(), f"<{p}sheet{attrs}{m.group(2)}>"))
        block = text[opened.end():close]
        new_block = ""
        for start, end, repl in pieces:
            new_block += block[pos:start] + repl
            pos = end
        new_block += block[pos:]
        for plan in plans:
            if plan.entry is None:
                # state last, where an in-place replacement puts it: the second run's
                # workbook.xml is then byte-identical to the first's
                state = ' state="hidden"' if plan.spec.hidden else ""
                new_block += (f'<{p}sheet name="{xml_escape(plan.spec.name, attr=True)}" '
                              f'sheetId="{plan.sheet_id}"{r_decl} '
                              f'{r_prefix}:id="{plan.rid}"{state}/>')
                hidden.append(plan.spec.hidden)
        if all(hidden):
            raise BackendError("cannot write: every tab of the workbook would be hidden")
        text = text[:opened.end()] + new_block + text[close:]
        text = _fix_active_tab(text, p, hidden)
        text = edit_print_titles(text, p, self._print_titles(plans, len(tags)))
        self._set(self.wb_part, text.encode("utf-8"))

    @staticmethod
    def _print_titles(plans: list[_Plan], n_sheets: int) -> dict[int, str | None]:
        """Position in ``<sheets>`` (``localSheetId``) → print titles, for every written
        tab; new tabs come after the ``n_sheets`` existing ones, in plan order."""
        titles: dict[int, str | None] = {}
        added = n_sheets
        for plan in plans:
            if plan.entry is not None:
                position = plan.entry.index
            else:
                position, added = added, added + 1
            titles[position] = print_titles(plan.spec)
        return titles

    def _edit_workbook_rels(self) -> None:
        if not (self.new_rels or self.retarget or self.removed_rids):
            return
        rels_name = _rels_of(self.wb_part)
        text = self.pkg.read(rels_name).decode("utf-8") if self.pkg.has(rels_name) else \
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' \
            f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?Relationships[\s>]", text)
        p = pm.group(1) + ":" if pm and pm.group(1) else ""

        def edit(m: re.Match[str]) -> str:
            attrs = parse_attrs(m.group(0))
            rid = attrs.get("Id", "")
            if rid in self.removed_rids:
                return ""
            if rid in self.retarget:
                return (f'<{p}Relationship Id="{rid}" Type="{self.rel_base}/worksheet" '
                        f'Target="{relative_target(self.wb_part, self.retarget[rid])}"/>')
            return m.group(0)

        text = re.sub(rf"<{re.escape(p)}Relationship\b[^>]*?(?:/>|>.*?</{re.escape(p)}"
                      rf"Relationship>)", edit, text, flags=re.S)
        added = "".join(self.new_rels)
        if p:
            added = added.replace("<Relationship ", f"<{p}Relationship ")
        if re.search(rf"<{re.escape(p)}Relationships\b[^>]*/>", text):
            text = re.sub(rf"<{re.escape(p)}Relationships\b([^>]*?)/>",
                          rf"<{p}Relationships\1>{added}</{p}Relationships>", text)
        else:
            end = text.rindex(f"</{p}Relationships>")
            text = text[:end] + added + text[end:]
        self._set(rels_name, text.encode("utf-8"))

    def _edit_content_types(self) -> None:
        name = "[Content_Types].xml"
        text = self.pkg.read(name).decode("utf-8")
        original = text
        pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?Types[\s>]", text)
        p = pm.group(1) + ":" if pm and pm.group(1) else ""
        present: set[str] = set()

        def keep(m: re.Match[str]) -> str:
            part = parse_attrs(m.group(0)).get("PartName", "").lstrip("/").lower()
            if part in self.deleted:
                return ""
            present.add(part)
            return m.group(0)

        text = re.sub(rf"<{re.escape(p)}Override\b[^>]*?(?:/>|>\s*</{re.escape(p)}Override>)",
                      keep, text)
        added = "".join(
            f'<{p}Override PartName="/{xml_escape(part, attr=True)}" ContentType="{ct}"/>'
            for part, ct in self.overrides.items() if part.lower() not in present)
        end = text.rindex(f"</{p}Types>")
        text = text[:end] + added + text[end:]
        if text != original:
            self._set(name, text.encode("utf-8"))

    def _edit_app_xml(self) -> None:
        for rel in self._rels(""):
            if rel.type.endswith("/extended-properties") and rel.part and \
                    self.pkg.has(rel.part):
                text = self.pkg.read(rel.part).decode("utf-8")
                new = re.sub(r"<((?:[\w.-]+:)?)(HeadingPairs|TitlesOfParts)\b.*?</\1\2>", "",
                             text, flags=re.S)
                if new != text:
                    self._set(rel.part, new.encode("utf-8"))

    def _edit_calc_chain(self, plans: list[_Plan]) -> None:
        ids = {p.sheet_id for p in plans if p.entry is not None}
        chain = next((r for r in self.wb_rels if r.type.endswith("/calcChain") and r.part
                      and self.pkg.has(r.part)), None)
        if not ids or chain is None or chain.part is None:
            return
        result = filter_calc_chain(self.pkg.read(chain.part), ids)
        if result is None:
            self.deleted.add(chain.part.lower())
            self.removed_rids.add(chain.id)
        elif result != self.pkg.read(chain.part):
            self._set(chain.part, result)

    def _assemble(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            written: set[str] = set()
            for info in self.pkg.infos:
                key = info.filename.lower()
                if key in self.deleted:
                    continue
                if key in self.changed:
                    if key not in written:
                        _write(dst, info, self.changed[key][1])
                        written.add(key)
                    continue
                copy_member(self.pkg.zip, info, dst)
            for name in self.new_order:
                if name.lower() not in written:
                    _write(dst, name, self.changed[name.lower()][1])
                    written.add(name.lower())
        return out.getvalue()


def _write(dst: zipfile.ZipFile, like: zipfile.ZipInfo | str, data: bytes | Deflated) -> None:
    if isinstance(data, Deflated):
        write_deflated(dst, like, data)
    else:
        write_member(dst, like, data)


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _rels_doc(*rels: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>').encode()


def _fix_active_tab(text: str, p: str, hidden: list[bool]) -> str:
    """Point ``activeTab`` at a visible tab when the active one was hidden."""
    m = re.search(rf"<{re.escape(p)}workbookView\b([^>]*?)(/?)>", text)
    if m is None:
        return text
    attrs = m.group(1)
    am = re.search(r"""\sactiveTab\s*=\s*["'](\d+)["']""", attrs)
    active = int(am.group(1)) if am else 0
    if active < len(hidden) and not hidden[active]:
        return text
    first = hidden.index(False)
    if am:
        attrs = attrs[:am.start()] + f' activeTab="{first}"' + attrs[am.end():]
    else:
        attrs = attrs.rstrip() + f' activeTab="{first}"'
    return text[:m.start()] + f"<{p}workbookView{attrs}{m.group(2)}>" + text[m.end():]


def filter_calc_chain(xml: bytes, sheet_ids: set[int]) -> bytes | None:
    """calcChain.xml without the entries of ``sheet_ids``; ``None`` when nothing is left."""
    text = xml.decode("utf-8")
    pm = re.search(r"<(?:([A-Za-z_][\w.-]*):)?calcChain[\s>]", text)
    p = re.escape(pm.group(1) + ":" if pm and pm.group(1) else "")
    entries = list(re.finditer(rf"<{p}c\b([^>]*?)(?:/>|>\s*</{p}c>)", text))
    if not entries:
        return xml
    current: int | None = None
    kept = []
    removed = False
    for m in entries:
        attrs = parse_attrs(m.group(1))
        if "i" in attrs:
            try:
                current = int(attrs["i"])
            except ValueError:
                current = None
        if current is not None and current in sheet_ids:
            removed = True
            continue
        explicit = "i" in attrs or current is None
        tag = m.group(0)
        if not explicit:
            tag = re.sub(r"(/?>)", rf' i="{current}"\1', tag, count=1)
        kept.append(tag)
    if not removed:
        return xml
    if not kept:
        return None
    return (text[:entries[0].start()] + "".join(kept) + text[entries[-1].end():]).encode()


def splice(pkg: Package, info: WorkbookInfo, specs: Sequence[TabSpec]) -> bytes:
    """The bytes of the new package: ``pkg`` with ``specs`` written."""
    return Splicer(pkg, info).build(specs)
