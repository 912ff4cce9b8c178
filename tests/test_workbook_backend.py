"""The workbook backend: atomic, splicing writes that never touch the register."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync.backends.base import Backend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook import write as xlsx_write
from sheetsync.backends.workbook import zip_copy as xlsx_zip
from sheetsync.errors import AccessDeniedError, BackendError, FileChangedError, NotFoundError
from sheetsync.grid import PercentValue
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, TabSpec

REGISTER = "案件一覧"
HEADERS = ["案件ID", "案件名", "担当者", "フェーズ", "見込金額", "受注予定日"]


def make_workbook(path: Path, rows: int = 20) -> Path:
    """A register as reps keep it, with things sheetsync must never disturb."""
    wb = openpyxl.Workbook()
    reg = wb.active
    reg.title = REGISTER
    reg.append(HEADERS)
    for i in range(rows):
        reg.append([f"D{i + 1:04d}", f"案件 {i}", ["佐藤", "鈴木"][i % 2], "提案",
                    (i + 1) * 100_000, dt.date(2026, 4, 1) + dt.timedelta(days=i)])
    reg["B3"].comment = Comment("要確認", "rep")
    dv = DataValidation(type="list", formula1='"提案,受注,失注"', allow_blank=True)
    reg.add_data_validation(dv)
    dv.add(f"D2:D{rows + 1}")
    reg.conditional_formatting.add(f"E2:E{rows + 1}", CellIsRule(
        operator="greaterThan", formula=["1000000"], fill=openpyxl.styles.PatternFill(
            "solid", start_color="FFFF00", end_color="FFFF00")))
    reg.freeze_panes = "A2"
    targets = wb.create_sheet("目標")
    targets.append(["期間", "担当者", "目標金額"])
    targets.append(["FY2026-Q1", "佐藤", 5_000_000])
    targets.append(["FY2026-Q1", "鈴木", 4_000_000])
    chart = BarChart()
    chart.add_data(Reference(targets, min_col=3, min_row=1, max_row=3), titles_from_data=True)
    targets.add_chart(chart, "E2")
    memo = wb.create_sheet("メモ")
    memo["A1"] = "hidden rep memo"
    memo.sheet_state = "hidden"
    wb.defined_names["担当者一覧"] = DefinedName("担当者一覧", attr_text="目標!$B$2:$B$3")
    reg.defined_names["_xlnm.Print_Area"] = DefinedName(
        "_xlnm.Print_Area", localSheetId=0, attr_text=f"'{REGISTER}'!$A$1:$F${rows + 1}")
    wb.save(path)
    return path


def forecast_spec(note: str = "as of 2026-03-31 · 2 rows excluded") -> TabSpec:
    return TabSpec(
        name="売上予測",
        columns=[Column("period", "期間"), Column("owner", "担当者"),
                 Column("target", "目標", "money"), Column("won", "受注", "money"),
                 Column("forecast", "予測", "money"), Column("attainment", "達成率", "ratio"),
                 Column("deals", "件数", "int")],
        rows=[["FY2026-Q1", "佐藤", 5_000_000, 1_000_000, 4_500_000, 0.2, 3],
              ["FY2026-Q1", "鈴木", 4_000_000, 4_200_000, 4_300_000, 1.05, 2],
              ["FY2026-Q1", None, 9_000_000, 5_200_000, 8_800_000, None, 5]],
        note=note,
        conditional=[CondFormat("forecast", "lt", threshold_column="target"),
                     CondFormat("attainment", "lt", 1.0, fill="#FFF3CD", font="#9C0006")],
        chart=ChartSpec("目標と実績", "period", ("target", "won", "forecast"), (0, 3)),
    )


def stale_spec() -> TabSpec:
    return TabSpec(
        name="要フォロー案件",
        columns=[Column("deal_id", "案件ID"), Column("amount", "見込金額", "money"),
                 Column("due", "受注予定日", "date"), Column("seen", "確認", "datetime"),
                 Column("reasons", "理由"), Column("link", "リンク")],
        rows=[["D0001", 100_000, dt.date(2026, 3, 1), dt.datetime(2026, 3, 2, 9, 30),
               "no_update,overdue_close", Link("案件一覧!A2", REGISTER, "A2")],
              ["=HYPERLINK(\"x\")", 2.5, dt.datetime(2026, 3, 1, 15, 0), None,
               "+81 3-1234", Link("it's here", "it's", "B7")],
              ["-1", None, None, None, "@mention", None],
              ["  spaced  ", True, "n/a", None, "line1\nline2", "a & <b>"]],
        conditional=[CondFormat("reasons", "contains", "overdue")],
        freeze_columns=1,
    )


def snapshot_spec() -> TabSpec:
    return TabSpec(name="_snapshot", columns=[Column("k", "key"), Column("v", "value")],
                   rows=[["D0001", "x"]], hidden=True)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every member's CRC checks out
        return {n: z.read(n) for n in z.namelist()}


def sheet_part(path: Path, name: str) -> str:
    """The zip member of tab ``name``."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(name)}"[^>]*r:id="(\w+)"', wb)
    assert rid, wb
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|'
                       rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    t = target.group(1) or target.group(2)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "deals.xlsx")


def write(path: Path, *specs: TabSpec) -> None:
    backend = WorkbookBackend(path, register_tab=REGISTER)
    backend.write(list(specs), backend.read([REGISTER]))


# -- protocol, read --------------------------------------------------------------------------

def test_is_a_backend(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    assert isinstance(backend, Backend)
    assert backend.describe() == str(book)
    result = backend.read()
    assert backend.link(result, REGISTER, "A12") == "#'案件一覧'!A12"
    assert backend.link(result, "it's", "B2") == "#'it''s'!B2"
    assert [(t.name, t.index, t.hidden) for t in result.tabs] == [
        (REGISTER, 0, False), ("目標", 1, False), ("メモ", 2, True)]
    rows = result.grids[REGISTER].rows
    assert rows[0] == HEADERS
    assert rows[1] == ["D0001", "案件 0", "佐藤", "提案", 100_000, dt.date(2026, 4, 1)]
    assert result.tabs[0].row_count == 21 and result.tabs[0].column_count == 6


# -- write: content -----------------------------------------------------------------------------

def test_written_tabs_have_values_types_and_formats(book: Path) -> None:
    write(book, forecast_spec(), stale_spec(), snapshot_spec())
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [REGISTER, "目標", "メモ", "売上予測", "要フォロー案件", "_snapshot"]
    fc = wb["売上予測"]
    assert fc["A1"].value == "as of 2026-03-31 · 2 rows excluded"
    assert fc["A1"].font.i
    assert [c.value for c in fc[2]] == ["期間", "担当者", "目標", "受注", "予測", "達成率", "件数"]
    header = fc["A2"]
    assert header.font.b and header.fill.fgColor.rgb == "FFDDEBF7"
    assert header.border.bottom.style == "thin"
    assert fc.freeze_panes == "A3"
    assert fc["C3"].value == 5_000_000 and fc["C3"].number_format == "¥#,##0"
    assert fc["F3"].value == 0.2 and fc["F3"].number_format == "0.0%"
    assert fc["G3"].number_format == "#,##0"
    assert fc["F5"].value is None
    assert fc.column_dimensions["A"].width >= 11
    rules = {str(r.sqref): [x.formula for x in r.rules] for r in fc.conditional_formatting}
    assert rules == {"E3:E5": [["AND(ISNUMBER(E3),ISNUMBER(C3),E3<C3)"]],
                     "F3:F5": [["AND(ISNUMBER(F3),F3<1)"]]}
    assert len(fc._charts) == 1
    chart = fc._charts[0]
    assert chart.title.tx.rich.p[0].r[0].t == "目標と実績"
    assert [s.val.numRef.f for s in chart.series] == [
        "'売上予測'!$C$3:$C$5", "'売上予測'!$D$3:$D$5", "'売上予測'!$E$3:$E$5"]
    assert chart.series[0].cat.strRef.f == "'売上予測'!$A$3:$A$5"
    assert chart.series[0].tx.strRef.f == "'売上予測'!C2"

    st = wb["要フォロー案件"]
    assert st.freeze_panes == "B2"
    assert st["C2"].value == dt.datetime(2026, 3, 1) and st["C2"].number_format == "yyyy/mm/dd"
    assert st["D2"].number_format == "yyyy/mm/dd hh:mm"
    assert st["F2"].hyperlink.location == "'案件一覧'!A2"
    assert st["F2"].font.u == "single"
    assert st["F3"].hyperlink.location == "'it''s'!B7"
    for ref, text in [("A3", '=HYPERLINK("x")'), ("E3", "+81 3-1234"), ("A4", "-1"),
                      ("E4", "@mention"), ("A5", "  spaced  "), ("E5", "line1\nline2")]:
        assert st[ref].data_type == "s" and st[ref].value == text, ref
    assert st["B5"].value is True
    assert wb["_snapshot"].sheet_state == "hidden"
    assert openpyxl.load_workbook(book, data_only=True)["要フォロー案件"]["A3"].value == \
        '=HYPERLINK("x")'


def test_read_back_through_the_backend(book: Path) -> None:
    write(book, forecast_spec(), stale_spec())
    result = WorkbookBackend(book).read(["売上予測", "要フォロー案件"])
    fc = result.grids["売上予測"].rows
    assert fc[2] == ["FY2026-Q1", "佐藤", 5_000_000, 1_000_000, 4_500_000, PercentValue(0.2), 3]
    assert isinstance(fc[2][5], PercentValue)
    st = result.grids["要フォロー案件"].rows
    assert st[1] == ["D0001", 100_000, dt.date(2026, 3, 1), dt.datetime(2026, 3, 2, 9, 30),
                     "no_update,overdue_close", "案件一覧!A2"]
    # a datetime in a date column is shown as a date and keeps its time
    assert st[2][:3] == ['=HYPERLINK("x")', 2.5, dt.datetime(2026, 3, 1, 15, 0)]
    assert st[4][:2] == ["  spaced  ", True]


def test_numpy_pandas_and_odd_values(book: Path) -> None:
    import decimal

    import numpy as np
    import pandas as pd

    spec = TabSpec("型", [Column("a", "A", "int"), Column("b", "B", "number"),
                         Column("c", "C", "date"), Column("d", "D")],
                   rows=[[np.int64(7), np.float64(2.5), pd.Timestamp("2026-03-31"), np.bool_(True)],
                         [pd.NA, float("nan"), pd.NaT, decimal.Decimal("1.25")],
                         [None, float("inf"), dt.date(2026, 1, 1), dt.timedelta(days=1)]])
    write(book, spec)
    rows = WorkbookBackend(book).read(["型"]).grids["型"].rows
    assert rows[1:] == [[7, 2.5, dt.date(2026, 3, 31), True], [None, None, None, 1.25],
                        [None, None, dt.date(2026, 1, 1), "1 day, 0:00:00"]]


def test_widths_count_wide_characters_double(book: Path) -> None:
    spec = TabSpec("幅", [Column("a", "A"), Column("b", "B"), Column("c", "C", width=33)],
                   rows=[["x" * 10, "案" * 10, "y"], ["z" * 500, None, None]])
    write(book, spec)
    ws = openpyxl.load_workbook(book)["幅"]
    assert ws.column_dimensions["A"].width == 60  # capped
    assert ws.column_dimensions["B"].width == 22  # 10 wide characters + padding
    assert ws.column_dimensions["C"].width == 33


# -- write: what must not change ----------------------------------------------------------------

def test_everything_else_is_byte_identical(book: Path) -> None:
    before = parts(book)
    write(book, forecast_spec(), stale_spec(), snapshot_spec())
    after = parts(book)
    changed = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
               "xl/styles.xml", "docProps/app.xml"}
    for name, data in before.items():
        if name not in changed:
            assert after[name] == data, name
    register = sheet_part(book, REGISTER)
    assert after[register] == before[register]
    assert b"dataValidation" in after[register] and b"legacyDrawing" in after[register]
    assert any(n.startswith("xl/charts/") and after[n] == before[n] for n in before)
    wb = openpyxl.load_workbook(book)
    assert wb.defined_names["担当者一覧"].attr_text == "目標!$B$2:$B$3"
    assert wb[REGISTER].print_area == "'案件一覧'!$A$1:$F$21"
    assert b'localSheetId="0"' in after["xl/workbook.xml"]
    assert wb[REGISTER]["B3"].comment.text == "要確認"
    assert len(wb["目標"]._charts) == 1
    assert wb["メモ"].sheet_state == "hidden"
    assert wb[REGISTER].data_validations.dataValidation[0].formula1 == '"提案,受注,失注"'
    # the styles the reps' cells use keep their indices: only appended to
    old, new = before["xl/styles.xml"].decode(), after["xl/styles.xml"].decode()
    for tag in ("fonts", "fills", "borders", "cellXfs"):
        old_body = re.search(rf"<{tag}[^>]*>(.*)</{tag}>", old, re.S).group(1)
        new_body = re.search(rf"<{tag}[^>]*>(.*)</{tag}>", new, re.S).group(1)
        assert new_body.startswith(old_body), tag


def test_replacing_keeps_position_and_is_idempotent(book: Path) -> None:
    write(book, forecast_spec(), stale_spec())
    wb_xml = parts(book)["xl/workbook.xml"].decode()
    entries = re.findall(r"<sheet [^>]*>", wb_xml)
    first = parts(book)
    # a rep moves nothing; sheetsync runs again with the same data, then with new data
    write(book, forecast_spec(), stale_spec())
    second = parts(book)
    assert re.findall(r"<sheet [^>]*>", second["xl/workbook.xml"].decode()) == entries
    for name in ("売上予測", "要フォロー案件"):
        part = sheet_part(book, name)
        assert second[part] == first[part]
    assert second == first  # the whole package, styles included
    bytes_second = book.read_bytes()
    write(book, forecast_spec(), stale_spec())
    assert book.read_bytes() == bytes_second

    changed = forecast_spec("as of 2026-04-01")
    changed.rows = changed.rows[:2]
    write(book, changed)
    third = parts(book)
    assert re.findall(r"<sheet [^>]*>", third["xl/workbook.xml"].decode()) == entries
    assert [n for n in third if n.startswith("xl/charts/")] == \
        [n for n in first if n.startswith("xl/charts/")]
    wb = openpyxl.load_workbook(book)
    assert wb["売上予測"]["A1"].value == "as of 2026-04-01"
    assert wb["売上予測"].max_row == 4


def test_hidden_state_follows_the_spec(book: Path) -> None:
    write(book, snapshot_spec())
    shown = snapshot_spec()
    shown.hidden = False
    write(book, shown)
    assert openpyxl.load_workbook(book)["_snapshot"].sheet_state == "visible"
    write(book, snapshot_spec())
    assert openpyxl.load_workbook(book)["_snapshot"].sheet_state == "hidden"


def test_register_is_never_written(book: Path) -> None:
    before = book.read_bytes()
    backend = WorkbookBackend(book, register_tab=REGISTER)
    spec = TabSpec(REGISTER, [Column("a", "A")], rows=[["x"]])
    with pytest.raises(BackendError, match="register"):
        backend.write([spec], backend.read())
    assert book.read_bytes() == before


def test_bad_tab_names_are_refused(book: Path) -> None:
    backend = WorkbookBackend(book)
    for name in ("a/b", "x" * 32, "", "'quoted'"):
        with pytest.raises(BackendError, match="tab"):
            backend.write([TabSpec(name, [Column("a", "A")])], backend.read())


def test_existing_styles_are_reused_not_duplicated(book: Path) -> None:
    from xml.etree import ElementTree as ET

    write(book, forecast_spec(), stale_spec(), snapshot_spec())
    styles = parts(book)["xl/styles.xml"]
    write(book, stale_spec())
    write(book, forecast_spec(), snapshot_spec())
    assert parts(book)["xl/styles.xml"] == styles
    root = ET.fromstring(styles)
    for container in root:
        if container.get("count") is not None:
            assert int(container.get("count")) == len(container), container.tag


# -- atomicity and refusals -----------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_backup_keeps_the_previous_bytes(book: Path) -> None:
    before = book.read_bytes()
    write(book, forecast_spec())
    backup = book.with_name("deals.xlsx.bak")
    assert backup.read_bytes() == before
    middle = book.read_bytes()
    write(book, stale_spec())
    assert backup.read_bytes() == middle
    assert leftovers(book.parent) == []


@pytest.mark.parametrize("where", ["zip", "replace", "render"])
def test_failure_mid_write_leaves_the_file_unchanged(book: Path, where: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read = backend.read()
    before = book.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if where == "zip":
        monkeypatch.setattr(xlsx_write, "write_member", boom)
    elif where == "render":
        monkeypatch.setattr(xlsx_write, "render_chart", boom)
    else:
        # the last step puts the new file at the workbook's name (no-replace link)
        real_link = os.link

        def link(src: str, dst: str, *args: object, **kwargs: object) -> None:
            if Path(dst) == book:
                boom()
            real_link(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "link", link)
    with pytest.raises((OSError, BackendError)):
        backend.write([forecast_spec(), stale_spec()], read)
    assert book.read_bytes() == before
    assert leftovers(book.parent) == []


def test_refuses_when_the_file_changed_since_read(book: Path) -> None:
    backend = WorkbookBackend(book, register_tab=REGISTER)
    read = backend.read()
    wb = openpyxl.load_workbook(book)
    wb[REGISTER]["A2"] = "edited by a rep"
    wb.save(book)
    edited = book.read_bytes()
    with pytest.raises(FileChangedError) as err:
        backend.write([forecast_spec()], read)
    message = str(err.value)
    assert "changed on disk since it was read at" in message
    assert re.search(r"\d\d:\d\d:\d\d", message) and "nothing was written" in message
    assert book.read_bytes() == edited
    assert not book.with_name("deals.xlsx.bak").exists()


def test_refuses_when_the_file_changes_during_the_write(book: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = WorkbookBackend(book)
    read = backend.read()
    real = xlsx_write.splice

    def splice_and_edit(*args: object) -> bytes:
        out = real(*args)  # type: ignore[arg-type]
        book.write_bytes(book.read_bytes() + b"")  # same bytes: still fine
        with zipfile.ZipFile(book, "a") as z:
            z.writestr("customXml/item9.xml", "<x/>")
        return out

    monkeypatch.setattr("sheetsync.backends.workbook.backend.splice", splice_and_edit)
    with pytest.raises(FileChangedError):
        backend.write([forecast_spec()], read)
    assert b"customXml/item9.xml" in book.read_bytes()
    assert leftovers(book.parent) == []


def test_clear_errors_for_missing_locked_and_open_files(book: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFoundError, match="workbook not found"):
        WorkbookBackend(tmp_path / "nope.xlsx").read()
    backend = WorkbookBackend(book)
    read = backend.read()
    lock = book.with_name("~$deals.xlsx")
    lock.write_bytes(b"")
    with pytest.raises(BackendError, match="open in Excel"):
        backend.write([forecast_spec()], read)
    lock.unlink()

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    real_open = os.open

    def no_temp_file(path: str, *args: object, **kwargs: object) -> int:
        if str(path).endswith(".tmp"):
            denied()
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_temp_file)
    with pytest.raises(AccessDeniedError, match="permission denied"):
        backend.write([forecast_spec()], read)
    monkeypatch.undo()
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(AccessDeniedError, match="permission denied"):
        backend.read()


def test_symlinked_workbook_stays_a_link(book: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    before = book.read_bytes()
    write(link, stale_spec())
    assert link.is_symlink() and book.read_bytes() != before
    assert link.with_name("link.xlsx.bak").read_bytes() == before


def test_raw_copy_falls_back_to_recompressing(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = parts(book)
    monkeypatch.setattr(xlsx_zip, "_raw_bytes", lambda src, info: None)
    write(book, stale_spec())
    after = parts(book)
    assert after[sheet_part(book, REGISTER)] == before[sheet_part(book, REGISTER)]


# -- unusual packages ----------------------------------------------------------------------------

def minimal_package(date1904: bool = False) -> bytes:
    """A workbook without styles.xml, sharedStrings.xml or docProps."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType='
                   '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
                   '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                   f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        pr = '<workbookPr date1904="1"/>' if date1904 else ""
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}">{pr}<sheets>'
                   f'<sheet name="{REGISTER}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}"><Relationship '
                   f'Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                   "</Relationships>")
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData>'
                   '<row r="1"><c r="A1" t="inlineStr"><is><t>案件ID</t></is></c></row>'
                   '<row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>')
    return buf.getvalue()


@pytest.mark.parametrize("date1904", [False, True])
def test_minimal_package_and_1904_dates(tmp_path: Path, date1904: bool) -> None:
    path = tmp_path / "min.xlsx"
    path.write_bytes(minimal_package(date1904))
    write(path, stale_spec(), forecast_spec())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [REGISTER, "要フォロー案件", "売上予測"]
    assert wb["要フォロー案件"]["C2"].value == dt.datetime(2026, 3, 1)
    assert wb["要フォロー案件"]["C2"].number_format == "yyyy/mm/dd"
    rows = WorkbookBackend(path).read().grids["要フォロー案件"].rows
    assert rows[1][2] == dt.date(2026, 3, 1)
    assert WorkbookBackend(path).read().grids[REGISTER].rows == [["案件ID"], [1]]


def test_owned_tab_replaces_a_chartsheet_or_calc_chain_entries(tmp_path: Path) -> None:
    path = tmp_path / "calc.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = REGISTER
    wb.active["A1"] = 1
    old = wb.create_sheet("売上予測")
    old["A1"] = "=1+1"
    wb.save(path)
    # add a calcChain that lists the formula of the owned tab (as Excel would)
    data = parts(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            body = data[info.filename]
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http:'
                                    b'//schemas.openxmlformats.org/officeDocument/2006/relation'
                                    b'ships/calcChain" Target="calcChain.xml"/></Relationships>')
            z.writestr(info, body)
        z.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main"><c r="A1" i="2"/></calcChain>')
    path.write_bytes(buf.getvalue())
    write(path, forecast_spec())
    after = parts(path)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert openpyxl.load_workbook(path).sheetnames == [REGISTER, "売上予測"]


def test_chartsheet_with_an_owned_name_becomes_a_worksheet(tmp_path: Path) -> None:
    path = tmp_path / "cs.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = REGISTER
    wb.active.append([1, 2])
    cs = wb.create_chartsheet("売上予測")
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=1, max_col=2, min_row=1))
    cs.add_chart(chart)
    wb.create_sheet("後ろ")
    wb.save(path)
    write(path, forecast_spec())
    after = parts(path)
    assert not any(n.startswith("xl/chartsheets/") for n in after)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [REGISTER, "売上予測", "後ろ"]
    assert wb["売上予測"]["A3"].value == "FY2026-Q1"


def test_dropping_a_chart_removes_its_parts(book: Path) -> None:
    before = {n for n in parts(book) if n.startswith(("xl/charts/", "xl/drawings/"))}
    write(book, forecast_spec())
    assert {n for n in parts(book) if n.startswith("xl/charts/")} - before
    plain = forecast_spec()
    plain.chart = None
    write(book, plain)
    assert {n for n in parts(book) if n.startswith(("xl/charts/", "xl/drawings/"))} == before
    empty = forecast_spec()
    empty.chart = ChartSpec("空", "period", ("won",), (0, 0))
    write(book, empty)
    assert {n for n in parts(book) if n.startswith(("xl/charts/", "xl/drawings/"))} == before
    assert openpyxl.load_workbook(book)["売上予測"]._charts == []


def test_app_xml_sheet_list_is_dropped_only_when_tabs_are_added(book: Path) -> None:
    titles = ('<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>'
              'ワークシート</vt:lpstr></vt:variant><vt:variant><vt:i4>3</vt:i4></vt:variant>'
              '</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="3" baseType="lpstr">'
              '<vt:lpstr>案件一覧</vt:lpstr><vt:lpstr>目標</vt:lpstr><vt:lpstr>メモ</vt:lpstr>'
              "</vt:vector></TitlesOfParts>")
    data = parts(book)
    app = data["docProps/app.xml"].decode()
    app = re.sub(r"<Properties ([^>]*)>", lambda m: m.group(0).replace(
        ">", ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">',
        1) + titles if "xmlns:vt" not in m.group(0) else m.group(0) + titles, app, count=1)
    assert "<TitlesOfParts>" in app
    buf = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            z.writestr(info, app.encode() if info.filename == "docProps/app.xml"
                       else data[info.filename])
    book.write_bytes(buf.getvalue())
    write(book, TabSpec("目標", [Column("a", "A")], rows=[["replaced in place"]]))
    assert parts(book)["docProps/app.xml"].decode() == app
    write(book, forecast_spec())
    new_app = parts(book)["docProps/app.xml"].decode()
    assert "TitlesOfParts" not in new_app and "HeadingPairs" not in new_app
    assert openpyxl.load_workbook(book).sheetnames[-1] == "売上予測"


def test_style_merger_on_a_prefixed_stylesheet_without_containers() -> None:
    from xml.etree import ElementTree as ET

    from sheetsync.backends.workbook.styles import DxfSpec, StyleMerger, XfSpec

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    original = (f'<x:styleSheet xmlns:x="{main}"><x:fonts count="1"><x:font><x:sz val="10"/>'
                '<x:name val="Meiryo"/></x:font></x:fonts><x:cellXfs count="1"><x:xf numFmtId="0" '
                'fontId="0"/></x:cellXfs><x:dxfs count="0"/></x:styleSheet>').encode()
    merger = StyleMerger(original)
    header = merger.xf(XfSpec("0.0%", "bold", "#DDEBF7", True))
    assert merger.xf(XfSpec("0.0%", "bold", "#DDEBF7", True)) == header
    assert merger.dxf(DxfSpec("#F8D7DA")) == 0
    root = ET.fromstring(merger.result())
    ns = {"x": main}
    for tag in ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs"):
        el = root.find(f"x:{tag}", ns)
        assert el is not None and int(el.get("count")) == len(el), tag
    assert [child.tag.split("}")[1] for child in root] == [
        "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "dxfs"]
    assert root.find("x:fonts/x:font[2]/x:name", ns).get("val") == "Meiryo"  # base font kept
    assert root.find("x:fonts/x:font[2]/x:b", ns) is not None
    assert header == 1


def test_filter_calc_chain_keeps_other_sheets() -> None:
    xml = (b'<calcChain xmlns="m"><c r="A1" i="1"/><c r="A2"/><c r="B1" i="2"/><c r="B2"/>'
           b'<c r="C1" i="3" l="1"/></calcChain>')
    out = xlsx_write.filter_calc_chain(xml, {2})
    assert out == (b'<calcChain xmlns="m"><c r="A1" i="1"/><c r="A2" i="1"/>'
                   b'<c r="C1" i="3" l="1"/></calcChain>')
    assert xlsx_write.filter_calc_chain(xml, {9}) == xml
    assert xlsx_write.filter_calc_chain(xml, {1, 2, 3}) is None


# -- other programs open the result --------------------------------------------------------------

def soffice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", *args],
        capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_workbook_saved_by_libreoffice(book: Path, tmp_path: Path) -> None:
    """Another writer's package (shared strings, its own styles): read, splice, reopen."""
    out = tmp_path / "lo"
    proc = soffice(tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
                   str(book))
    assert proc.returncode == 0, proc.stderr
    path = out / "deals.xlsx"
    from test_xlsx_read import openpyxl_grids

    before = parts(path)
    assert "xl/sharedStrings.xml" in before
    result = WorkbookBackend(path).read()
    assert {k: g.rows for k, g in result.grids.items()} == openpyxl_grids(path.read_bytes())
    write(path, forecast_spec(), stale_spec())
    after = parts(path)
    register = sheet_part(path, REGISTER)
    assert after[register] == before[register]
    wb = openpyxl.load_workbook(path)
    assert wb["売上予測"]["C3"].number_format == "¥#,##0"
    assert wb["売上予測"]["A2"].font.b
    again = tmp_path / "again"
    proc = soffice(tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
                   str(again), str(path))
    assert proc.returncode == 0, proc.stderr
    assert "売上予測" in openpyxl.load_workbook(again / "deals.xlsx").sheetnames


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_written_file(book: Path, tmp_path: Path) -> None:
    write(book, forecast_spec(), stale_spec(), snapshot_spec())
    out = tmp_path / "converted"
    proc = soffice(tmp_path, "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,"
                   "false,true,false,false,false,4", "--outdir", str(out), str(book))
    assert proc.returncode == 0, proc.stderr
    csv = (out / "deals-売上予測.csv").read_text(encoding="utf-8")
    assert "FY2026-Q1" in csv and "5000000" in csv.replace(",", "").replace("¥", "")
