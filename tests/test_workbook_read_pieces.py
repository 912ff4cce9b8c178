"""Reading a sheet as it is inflated (issue 14): the register's XML arrives in pieces from a
worker thread (:meth:`Package.pieces`) and is parsed piece by piece
(:func:`parse_sheet_pieces`). Whatever the cut, the grid is the one the whole part gives,
and a damaged or cut part is refused with the same words."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.backends.workbook import read as reader
from sheetsync.backends.workbook.package import Package
from sheetsync.errors import BackendError

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(path: Path, rows: int = 60) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(["案件ID", "案件名", "見込金額", "受注確率", "受注予定日", "メモ"])
    for i in range(rows):
        ws.append([f"D-{i:04d}", f"更改 {i} <&>", 1_200_000 + i, 0.6 if i % 2 else None,
                   dt.date(2026, 1 + i % 12, 1 + i % 28), "長い" * (i % 7)])
        ws.cell(row=i + 2, column=4).number_format = "0%"
        ws.cell(row=i + 2, column=5).number_format = "yyyy/mm/dd"
    ws.cell(row=rows + 5, column=9, value="離れたセル")  # a gap, then a far cell
    wb.save(path)
    return path


def _converter(pkg: Package) -> reader._Converter:
    info = reader.read_workbook_info(pkg)
    return reader._Converter(reader.read_shared_strings(pkg, info.shared_strings_part),
                             reader.read_style_kinds(pkg, info.styles_part), info.date1904)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Package:
    path = _workbook(tmp_path_factory.mktemp("pieces") / "deals.xlsx")
    return Package(path.read_bytes(), path)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 40_000), max_size=12),
       window=st.sampled_from([64, 700, 1 << 22]))
def test_any_cut_gives_the_grid_of_the_whole_part(book: Package, cuts: list[int], window: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    xml = book.read(SHEET)
    whole = reader.parse_sheet(xml, _converter(book))
    monkeypatch.setattr(reader, "CHUNK", window)  # many windows, each ending at a <row
    pieces = reader.parse_sheet_pieces(_split(xml, cuts), _converter(book))
    assert pieces == whole
    assert whole[0][:2] == ["案件ID", "案件名"] and whole[1][1] == "更改 0 <&>"
    assert len(whole) == 65 and whole[-1][8] == "離れたセル"


def test_the_pieces_are_the_part(book: Package) -> None:
    assert b"".join(book.pieces(SHEET, size=1000)) == book.read(SHEET)
    grids = reader.read_tabs(book)[2]
    assert grids["案件一覧"].rows == reader.parse_sheet(book.read(SHEET), _converter(book))


@pytest.mark.parametrize(("keep", "words"), [
    (0.5, "the sheet is cut short"),        # inside the data
    (-30, "the sheet is cut short"),        # after </sheetData>, before </worksheet>
])
def test_a_part_cut_short_is_refused_in_pieces_as_whole(book: Package, keep: float,
                                                        words: str) -> None:
    xml = book.read(SHEET)
    cut = xml[:int(len(xml) * keep)] if keep > 0 else xml[:int(keep)]
    with pytest.raises(reader.SheetDamage, match=words):
        reader.parse_sheet(cut, _converter(book))
    with pytest.raises(reader.SheetDamage, match=words):
        reader.parse_sheet_pieces(_split(cut, [100, 5000, 9000]), _converter(book))


def test_data_cut_short_and_empty_data_in_pieces(book: Package) -> None:
    xml = book.read(SHEET)
    end = xml.index(b"</sheetData>")
    no_end = xml[:end] + xml[end + len(b"</sheetData>"):]
    for pieces in ([no_end], _split(no_end, [300, 3000])):
        with pytest.raises(reader.SheetDamage, match="the sheet's data is cut short"):
            reader.parse_sheet_pieces(pieces, _converter(book))
    start = xml.index(b"<sheetData")
    empty = xml[:start] + b"<sheetData/>" + xml[end + len(b"</sheetData>"):]
    assert reader.parse_sheet_pieces(_split(empty, [start + 3, start + 20]),
                                     _converter(book)) == []


def _inflaters() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sheetsync-inflate"]


def test_damaged_compressed_bytes_are_refused_as_read_refuses_them(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", rows=3000)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(SHEET)
    body = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = body + info.compress_size // 2
    data[middle:middle + 64] = bytes(64)  # the deflate stream garbled in the middle
    pkg = Package(bytes(data), path)
    with pytest.raises(BackendError) as whole:
        pkg.read(SHEET)
    with pytest.raises(BackendError) as pieces:
        b"".join(pkg.pieces(SHEET, size=4096))
    assert str(pieces.value) == str(whole.value)
    assert "the workbook is damaged (xl/worksheets/sheet1.xml: " in str(pieces.value)
    assert not _inflaters()


def test_a_reader_that_stops_early_ends_the_worker(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", rows=3000)
    pkg = Package(path.read_bytes(), path)
    pieces = pkg.pieces(SHEET, size=512)
    first = next(pieces)
    assert first == pkg.read(SHEET)[:512]
    pieces.close()  # what a refused part does: the parser raises, the generator is closed
    assert not _inflaters()
    with pytest.raises(BackendError, match=r"part xl/worksheets/sheet9.xml is missing"):
        next(pkg.pieces("xl/worksheets/sheet9.xml"))
