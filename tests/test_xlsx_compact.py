"""The writer's compact XML (issue 14): texts that repeat in a column go through the workbook's
shared-string table (append only: every existing entry keeps its index, the register's part
stays byte for byte), a cell right after the previous one has no reference, and each tab is
deflated as it is rendered. openpyxl, LibreOffice and sheetsync's own reader read the same
values as before."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from test_workbook_backend import REGISTER, make_workbook, parts, sheet_part, write

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook.zip_copy import FAST_COMPRESS_SIZE, deflate_text
from sheetsync.grid import Grid
from sheetsync.tabspec import Column, Link, TabSpec
from sheetsync.testing.xlsx import write_grids

TAB = "要フォロー案件"
OWNERS = ["佐藤", "鈴木", "高橋"]
STAGES = ["提案", "交渉", "見積提出"]


def follow_up(n: int = 60) -> TabSpec:
    """Repeated texts (owners, stages), unique ones (IDs, names), gaps in the middle of a
    row, links, money, dates, and texts that need escaping or keep their spaces."""
    rows = []
    for i in range(n):
        rows.append([
            Link(f"D{i:04d}", REGISTER, f"A{i + 2}"),
            f"案件 {i}",
            OWNERS[i % 3],
            None if i % 4 == 0 else STAGES[i % 3],  # a gap: the next cell names its place
            (i + 1) * 10_000,
            dt.date(2026, 12, 1) + dt.timedelta(days=i % 7),
            None if i % 5 else "R&D <至急>",
            " 先頭に空白" if i % 2 else "=1+1",
        ])
    return TabSpec(name=TAB, columns=[
        Column("deal_id", "案件ID"), Column("deal_name", "案件名"), Column("owner", "担当者"),
        Column("stage", "フェーズ"), Column("amount", "見込金額", "money"),
        Column("close", "受注予定日", "date"), Column("note", "備考"), Column("memo", "メモ")],
        rows=rows, note="基準日 2026-12-04")


def expected(spec: TabSpec) -> list[list[object]]:
    """The tab's cells as a reader shows them: note, header, the rows (links as text)."""
    out: list[list[object]] = [[spec.note], [c.header for c in spec.columns]]
    for row in spec.rows:
        values = [v.text if isinstance(v, Link) else v for v in row]
        while values and values[-1] is None:
            values.pop()
        out.append(values)
    return out


def openpyxl_rows(path: Path, name: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)[name]
    rows = []
    for row in ws.iter_rows(values_only=True):
        values = [v.date() if isinstance(v, dt.datetime) else v for v in row]
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_table(path: Path) -> Path:
    """``path`` with a shared-string table as Excel keeps one (the reps' 佐藤 and 鈴木, and a
    rich-text entry), referenced by the 目標 tab's 担当者 cells."""
    items = ("<si><t>佐藤</t></si><si><t>鈴木</t></si>"
             "<si><r><rPr><b/></rPr><t>太字</t></r></si>")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst '
                                       f'xmlns="{SST_NS}" count="3" uniqueCount="3">{items}'
                                       "</sst>").encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    )).encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        'formats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')).encode()
    targets = sheet_part(path, "目標")
    members[targets] = re.sub(
        rb'<c r="B([23])"([^>]*?) t="inlineStr"><is><t>(\S+?)</t></is></c>',
        lambda m: (b'<c r="B' + m.group(1) + b'"' + m.group(2) + b' t="s"><v>'
                   + (b"0" if m.group(3).decode() == "佐藤" else b"1") + b"</v></c>"),
        members[targets])
    assert members[targets].count(b't="s"') == 2
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def entries(sst: bytes) -> list[bytes]:
    return re.findall(rb"<si>.*?</si>", sst, re.S)


def test_repeats_are_shared_unique_texts_inline_and_every_reader_agrees(tmp_path: Path
                                                                         ) -> None:
    book = with_table(make_workbook(tmp_path / "deals.xlsx"))
    before = parts(book)
    spec = follow_up()
    write(book, spec)
    after = parts(book)
    register = sheet_part(book, REGISTER)
    assert after[register] == before[register]
    targets = sheet_part(book, "目標")
    assert after[targets] == before[targets]
    assert openpyxl_rows(book, "目標")[1:] == [["FY2026-Q1", "佐藤", 5_000_000],
                                             ["FY2026-Q1", "鈴木", 4_000_000]]
    # append only: the register's texts keep their indices
    old, new = entries(before["xl/sharedStrings.xml"]), entries(after["xl/sharedStrings.xml"])
    assert new[:len(old)] == old
    added = [re.sub(rb"<[^>]+>", b"", e).decode() for e in new[len(old):]]
    # owners were in the table already (the register's 佐藤/鈴木): reused, not added again
    assert "佐藤" not in added and "鈴木" not in added
    assert {"高橋", "提案", "交渉", "見積提出", " 先頭に空白", "=1+1"} <= set(added)
    assert not any(a.startswith("案件 ") or a.startswith("D0") for a in added)  # once each
    assert len(added) == len(set(added))
    count = re.search(rb'uniqueCount="(\d+)"', after["xl/sharedStrings.xml"])
    assert count is not None and int(count.group(1)) == len(new)
    xml = after[sheet_part(book, TAB)].decode()
    assert '<t xml:space="preserve"> 先頭に空白</t>' in after["xl/sharedStrings.xml"].decode()
    assert "R&amp;D &lt;至急&gt;" in xml  # seen in 12 rows of 60, but 4 apart: still text
    data = xml[xml.index('<row r="3"'):xml.index("</sheetData>")]
    # only the 案件ID (a link: the hyperlink names its cell) and a cell after a gap (フェーズ
    # blank every 4th row, 備考 in 4 rows of 5) carry a reference
    assert data.count('<c r="') == sum(1 + (i % 4 == 0) + (i % 5 != 0) for i in range(60))
    assert data.count("<c") == sum(sum(v is not None for v in row) for row in spec.rows)
    # the cell after a gap (stage blank every 4th row) names its place: E, not D
    assert re.search(r'<row r="3"><c r="A3"[^>]*>.*?</c><c[ >].*?</c><c[ >].*?</c>'
                     r'<c r="E3"', data)
    want = expected(spec)
    assert openpyxl_rows(book, TAB) == want
    read = WorkbookBackend(book).read([TAB]).grids[TAB].rows
    assert [[v for v in row] for row in read] == want
    links = openpyxl.load_workbook(book)[TAB]
    assert links["A3"].hyperlink.location == "'案件一覧'!A2"
    assert links["A3"].value == "D0000" and links["A62"].hyperlink.location == "'案件一覧'!A61"
    # a second run with the same tab adds nothing and writes the same bytes
    write(book, spec)
    again = parts(book)
    assert again["xl/sharedStrings.xml"] == after["xl/sharedStrings.xml"]
    assert again[sheet_part(book, TAB)] == after[sheet_part(book, TAB)]


def test_a_workbook_without_a_table_gets_one(tmp_path: Path) -> None:
    book = tmp_path / "deals.xlsx"
    write_grids(book, [Grid(REGISTER, [["案件ID", "担当者"], ["D1", "佐藤"], ["D2", "佐藤"]])])
    assert "xl/sharedStrings.xml" not in parts(book)  # written with inline strings
    register = sheet_part(book, REGISTER)
    before = parts(book)[register]
    spec = follow_up(9)
    write(book, spec)
    after = parts(book)
    assert after[register] == before
    assert "xl/sharedStrings.xml" in after
    assert b"/sharedStrings" in after["xl/_rels/workbook.xml.rels"]
    assert b'PartName="/xl/sharedStrings.xml"' in after["[Content_Types].xml"]
    assert openpyxl_rows(book, TAB) == expected(spec)
    assert openpyxl_rows(book, REGISTER) == [["案件ID", "担当者"], ["D1", "佐藤"], ["D2", "佐藤"]]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_reads_the_same_cells(tmp_path: Path) -> None:
    book = make_workbook(tmp_path / "deals.xlsx")
    spec = follow_up()
    write(book, spec)
    out = tmp_path / "csv"
    proc = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,"
         "false,false,-1", "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    with (out / f"deals-{TAB}.csv").open(encoding="utf-8", newline="") as f:
        rows = [[c for c in row] for row in csv.reader(f)]
    rows = [row[:max((i + 1 for i, c in enumerate(row) if c), default=0)] for row in rows]
    assert rows[0] == [spec.note] and rows[1] == [c.header for c in spec.columns]
    for i, (got, row) in enumerate(zip(rows[2:], spec.rows, strict=True)):
        assert got[0] == f"D{i:04d}" and got[2] == OWNERS[i % 3]
        assert got[3] == ("" if i % 4 == 0 else STAGES[i % 3])  # the gap stays a gap
        assert got[4].replace(",", "").replace("¥", "").replace("￥", "") == str(row[4])
        assert got[7] == row[7]


def test_deflating_as_it_renders_is_plain_deflate(tmp_path: Path) -> None:
    small = deflate_text(["<a>", "テキスト" * 10, "</a>"])
    big = deflate_text("<row>" + str(i) + "行目</row>" for i in range(200_000))
    text = "".join("<row>" + str(i) + "行目</row>" for i in range(200_000)).encode()
    assert len(text) > FAST_COMPRESS_SIZE
    assert zlib.decompress(big.data, -15) == text and big.size == len(text)
    assert big.crc == zlib.crc32(text)
    assert zlib.decompress(small.data, -15).decode() == "<a>" + "テキスト" * 10 + "</a>"
    # the same bytes zipfile writes at level 6 for a small part
    with zipfile.ZipFile(tmp_path / "z.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("a.xml", ("<a>" + "テキスト" * 10 + "</a>").encode())
    with zipfile.ZipFile(tmp_path / "z.zip") as z:
        info = z.getinfo("a.xml")
        assert info.compress_size == len(small.data) and info.CRC == small.crc


def test_a_big_part_compressed_beside_the_rendering_is_level_one_deflate() -> None:
    """A big part goes through the worker thread: the bytes level-1 deflate gives for the
    whole text at once; pieces that fail half way stop the worker (no thread left)."""
    import threading

    text = "".join(f"<row r=\"{i}\"><c><v>{i * 7}</v></c></row>" for i in range(150_000))
    big = deflate_text(text[i:i + 1000] for i in range(0, len(text), 1000))
    whole = zlib.compressobj(1, zlib.DEFLATED, -15)
    assert big.data == whole.compress(text.encode()) + whole.flush()

    def failing():
        yield text[:3_000_000]
        raise OSError("disk gone")

    before = {t.name for t in threading.enumerate()}
    with pytest.raises(OSError, match="disk gone"):
        deflate_text(failing())
    assert "sheetsync-deflate" not in {t.name for t in threading.enumerate()} - before
