"""`fix --apply` on a workbook: WorkbookBackend.edit_cells writes typed values surgically."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sheetsync.backends.base import ReadResult
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook import parts as xlsx_parts
from sheetsync.demo import REPS, write_demo_workbook
from sheetsync.errors import BackendError
from sheetsync.fixes import CellEdit, plan_fixes
from sheetsync.grid import PercentValue
from sheetsync.schema import load_schema
from sheetsync.tabspec import Column, TabSpec
from sheetsync.validate import validate_register

REGISTER = "案件一覧"
SCHEMA = load_schema()
AS_OF = dt.date(2026, 3, 1)
HEADERS = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注確率", "見込金額",
           "受注予定日", "備考"]


def make_register(path: Path, *, epoch1904: bool = False) -> Path:
    wb = openpyxl.Workbook()
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = REGISTER
    ws.append(HEADERS)
    ws.append(["D1", "a", "c", "佐藤", "提案", "80%", "120万円", "R8.3.31", "  =1+1 "])
    ws.append(["D2", "b", "c", "佐藤", "提案 ", 0.5, "1,000,000", "2026/4/1", "ok"])
    ws.append(["D3", "b", "c", "佐藤", "Won", "80", 300000, dt.date(2026, 5, 1), "ok"])
    ws["F3"].number_format = "0%"
    ws["G2"].font = Font(bold=True, color="FFFF0000")
    ws["B3"].comment = Comment("要確認", "rep")
    memo = wb.create_sheet("メモ")
    memo.append(["月", "件数"])
    memo.append(["4月", 3])
    chart = BarChart()
    chart.add_data(Reference(memo, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    memo.add_chart(chart, "D2")
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_register(tmp_path / "deals.xlsx")


def plan(backend: WorkbookBackend) -> tuple[ReadResult, list[CellEdit]]:
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", as_of=AS_OF)
    return read, plan_fixes(result, grid, SCHEMA, language="ja")


def edit_at(edits: list[CellEdit], cell: str) -> CellEdit:
    return next(e for e in edits if e.cell == cell)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_canonical_rewrites_land_typed_and_formatted(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    excluded = validate_register(read.grids[REGISTER], SCHEMA, language="ja",
                                 as_of=AS_OF).report.excluded_rows
    assert {e.cell for e in edits} >= {"F2", "G2", "H2", "I2", "E3", "G3", "E4", "F4"}
    result = backend.edit_cells(edits, read)
    assert result.applied == edits and result.skipped == []
    assert result.written is not None and result.written.tabs == [REGISTER]
    grid = backend.read().grids[REGISTER]
    assert grid.cell(2, 6) == PercentValue(0.8) and isinstance(grid.cell(2, 6), PercentValue)
    assert grid.cell(2, 7) == 1_200_000 and type(grid.cell(2, 7)) is int
    assert grid.cell(2, 8) == dt.date(2026, 3, 31)
    assert grid.cell(3, 5) == "提案" and grid.cell(4, 5) == "受注"
    assert grid.cell(4, 6) == PercentValue(0.8)
    ws = openpyxl.load_workbook(book)[REGISTER]
    assert (ws["F2"].value, ws["F2"].number_format) == (0.8, "0%")
    assert (ws["G2"].value, ws["G2"].number_format) == (1_200_000, "¥#,##0")
    assert ws["G2"].font.b and ws["G2"].font.color.rgb == "FFFF0000"  # the rep's style stays
    assert ws["H2"].value == dt.datetime(2026, 3, 31) and ws["H2"].number_format == "yyyy/mm/dd"
    assert ws["B3"].comment.text == "要確認"
    # nothing left to fix, and nothing became invalid
    read, again = plan(backend)
    assert again == []
    result = validate_register(read.grids[REGISTER], SCHEMA, language="ja", as_of=AS_OF)
    assert result.report.excluded_rows == excluded  # row 4: a won deal with no 完了日


def test_formula_looking_text_stays_text(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    assert edit_at(edits, "I2").new == "=1+1"
    backend.edit_cells([edit_at(edits, "I2")], read)
    xml = zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml").decode()
    cell = re.search(r'<c r="I2".*?</c>', xml)
    assert cell and 't="inlineStr"' in cell.group(0) and "<f>" not in cell.group(0)
    ws = openpyxl.load_workbook(book)[REGISTER]
    assert ws["I2"].value == "=1+1" and ws["I2"].data_type == "s"
    assert backend.read().grids[REGISTER].cell(2, 9) == "=1+1"


def test_a_cell_changed_since_the_plan_is_skipped_and_the_others_applied(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    wb = openpyxl.load_workbook(book)
    wb[REGISTER]["G2"] = "130万円"  # a rep edits the cell meanwhile
    wb.save(book)
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [("G2", "130万円")]
    assert len(result.applied) == len(edits) - 1
    grid = backend.read().grids[REGISTER]
    assert grid.cell(2, 7) == "130万円"
    assert grid.cell(3, 7) == 1_000_000


def test_same_value_means_same_kind(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read = backend.read()

    def edit(cell: str, old: object, new: object) -> CellEdit:
        col = openpyxl.utils.column_index_from_string(cell[0]) - 1
        return CellEdit(REGISTER, int(cell[1:]), col, "x", "x", old, new)  # type: ignore[arg-type]

    edits = [edit("F4", 80, PercentValue(0.8)),  # the cell holds the text "80"
             edit("G4", "300000", 300001),  # the cell holds the number 300000
             edit("F3", 0.5, PercentValue(0.6)),  # a percent cell is a PercentValue
             edit("F3", PercentValue(0.5), PercentValue(0.55)),
             edit("G4", 300000, 300002)]
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [
        ("F4", "80"), ("G4", 300000), ("F3", PercentValue(0.5))]
    assert [e.cell for e in result.applied] == ["F3", "G4"]
    grid = backend.read().grids[REGISTER]
    assert grid.cell(3, 6) == PercentValue(0.55) and grid.cell(4, 7) == 300002


def test_a_formula_cell_is_skipped(book: Path) -> None:
    # a formula with a cached text result, as Excel saves it
    data = members(book)
    xml = data["xl/worksheets/sheet1.xml"].decode()
    xml, n = re.subn(r'<c r="G3" t="inlineStr"><is><t>1,000,000</t></is></c>',
                     '<c r="G3" t="str"><f>"1,000,000"</f><v>1,000,000</v></c>', xml)
    assert n == 1
    data["xl/worksheets/sheet1.xml"] = xml.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in data.items():
            z.writestr(name, body)
    book.write_bytes(out.getvalue())
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    result = backend.edit_cells(edits, read)
    assert [(e.cell, now) for e, now in result.skipped] == [("G3", "1,000,000")]
    assert '<f>"1,000,000"</f>' in zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml").decode()


def test_tabs_for_are_written_in_the_same_write(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    original = book.read_bytes()
    seen: list[list[CellEdit]] = []

    def history(applied: list[CellEdit]) -> list[TabSpec]:
        seen.append(applied)
        return [TabSpec("変更履歴", [Column("cell", "セル"), Column("new", "新しい値")],
                        [[e.cell, str(e.new)] for e in applied])]

    result = backend.edit_cells(edits, read, history)
    assert seen == [edits]
    assert result.written is not None and result.written.tabs == [REGISTER, "変更履歴"]
    assert backend.backup_path.read_bytes() == original  # one write: the .bak is the original
    grid = backend.read().grids["変更履歴"]
    assert [row[0] for row in grid.rows[1:]] == [e.cell for e in edits]


def test_tabs_for_may_not_name_the_register(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    before = book.read_bytes()
    with pytest.raises(BackendError, match="register"):
        backend.edit_cells(edits, read,
                           lambda applied: [TabSpec(REGISTER, [Column("a", "A")], [["x"]])])
    assert book.read_bytes() == before


def test_nothing_applied_and_no_tabs_means_no_write(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    stale = [CellEdit(e.tab, e.row, e.column, e.field, e.label, "something else", e.new,
                      e.number_format) for e in edits]
    before = book.read_bytes()
    mtime = book.stat().st_mtime_ns
    result = backend.edit_cells(stale, read, lambda applied: [])
    assert result.applied == [] and len(result.skipped) == len(stale)
    assert result.written is None
    assert book.read_bytes() == before and book.stat().st_mtime_ns == mtime
    assert not backend.backup_path.exists()
    assert backend.edit_cells([], read).written is None


@pytest.mark.parametrize("where", ["zip", "replace"])
def test_failure_mid_write_leaves_the_file_byte_identical(
        book: Path, where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    before = book.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if where == "zip":
        monkeypatch.setattr(xlsx_parts, "write_member", boom)
    else:
        # the last step puts the new file at the workbook's name (no-replace link)
        real_link = os.link

        def link(src: str, dst: str, *args: object, **kwargs: object) -> None:
            if Path(dst) == book:
                boom()
            real_link(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "link", link)
    with pytest.raises((OSError, BackendError)):
        backend.edit_cells(edits, read)
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()
                  if not p.name.endswith(".bak")) == ["deals.xlsx"]


def test_only_the_edited_cells_change(book: Path) -> None:
    before_parts = members(book)
    before = {(r, c): v for r, row in enumerate(
        WorkbookBackend(book).read().grids[REGISTER].rows, 1) for c, v in enumerate(row, 1)}
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read, edits = plan(backend)
    backend.edit_cells(edits, read)
    after_parts = members(book)
    changed = {n for n in before_parts if after_parts.get(n) != before_parts[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    edited = {(e.row, e.column + 1) for e in edits}
    grid = WorkbookBackend(book).read().grids[REGISTER]
    for (r, c), value in before.items():
        if (r, c) not in edited:
            assert grid.cell(r, c) == value and type(grid.cell(r, c)) is type(value)


def test_dates_in_a_1904_workbook(tmp_path: Path) -> None:
    path = make_register(tmp_path / "mac.xlsx", epoch1904=True)
    backend = WorkbookBackend(path, register_tab=REGISTER)
    read, edits = plan(backend)
    backend.edit_cells([edit_at(edits, "H2")], read)
    assert backend.read().grids[REGISTER].cell(2, 8) == dt.date(2026, 3, 31)
    wb = openpyxl.load_workbook(path)
    assert wb[REGISTER]["H2"].value == dt.datetime(2026, 3, 31)


def test_fix_on_the_demo_workbook(tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    write_demo_workbook(path, today=dt.date(2026, 11, 26))
    backend = WorkbookBackend(path, register_tab=REGISTER)
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", owners=REPS,
                               as_of=dt.date(2026, 11, 26))
    edits = plan_fixes(result, grid, SCHEMA, language="ja")
    assert len(edits) > 50
    out = backend.edit_cells(edits, read)
    assert out.skipped == [] and len(out.applied) == len(edits)
    read = backend.read()
    grid = read.grids[REGISTER]
    after = validate_register(grid, SCHEMA, language="ja", owners=REPS,
                              as_of=dt.date(2026, 11, 26))
    assert plan_fixes(after, grid, SCHEMA, language="ja") == []
    assert after.report.excluded_rows == result.report.excluded_rows
    for e in edits:
        assert grid.cell(e.row, e.column + 1) == e.new
