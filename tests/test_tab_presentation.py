"""How owned tabs are presented and printed, on both backends: page setup and print titles
(workbook), the print link (Google), chart anchor and size, per-column number formats,
``le``/``ge`` conditional formats and column widths that fit."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import gspread
import openpyxl
import pytest
from google.oauth2.service_account import Credentials
from gspread.utils import ValueRenderOption
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.backends.cell_width import display_width, number_width
from sheetsync.backends.columns import MAX_WIDTH, column_width, column_widths
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google import write as google_write
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.google.render import pixels, print_link_column, render_tab
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook.page import edit_print_titles
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, PageSetup, TabSpec
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.emulator.numfmt import format_value
from sheetsync.testing.fixtures import emulator_http_client

REGISTER = "案件一覧"
GAP_JA = '¥#,##0;"超過 ¥"#,##0;¥0'
GAP_EN = '¥#,##0;"over ¥"#,##0;¥0'
TIMES_JA, TIMES_EN = '0.0"倍"', '0.0"x"'
NOTE = "2026-05-01 時点 · 除外 2 行"
DRAWING_NS = {"xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"}
EMU_PER_PIXEL = 9525
LANDSCAPE = PageSetup()  # the default: landscape, one page wide, header repeated


def forecast_tab(name: str = "売上予測", note: str | None = NOTE, *, hidden: bool = False,
                 page: PageSetup | None = LANDSCAPE, gap: str = GAP_JA,
                 times: str = TIMES_JA) -> TabSpec:
    """A ヨミ表-like tab using every presentation field; rows 4.. are left free for the chart
    anchored at data row 5, column B."""
    columns = [Column("period", "期間"), Column("target", "目標", "money"),
               Column("gap", "不足（コミット）", "money", number_format=gap),
               Column("coverage", "カバレッジ", "ratio", number_format=times),
               Column("attainment", "達成率", "ratio"),
               Column("overdue", "予定日超過件数", "int", width=4)]
    rows: list[list[Any]] = [
        ["FY2026-Q1", 110_000_000, -300_000, 2.4, 0.95, 3],
        ["FY2026-Q2", 30_000_000, 12_000_000, 0.8, 1.0, 0],
        ["FY2026-Q3", 30_000_000, 0, None, 1.25, None],
    ] + [[None] * 6 for _ in range(20)]
    return TabSpec(
        name, columns, rows, note=note, hidden=hidden, page=page,
        conditional=[CondFormat("attainment", "le", 1.0),
                     CondFormat("coverage", "ge", 2.0, fill="#D4EDDA")],
        chart=ChartSpec("目標", "period", ("target",), (0, 3), anchor=(5, 1), width_px=640,
                        height_px=300),
        freeze_columns=1)


# -- widths ----------------------------------------------------------------------------------

def header_width(col: Column) -> float:
    """The width a bold header needs (+ 2 characters), as widths are rounded."""
    return round(display_width(col.header) * 1.1 + 2, 2)


def test_number_width_measures_what_the_pattern_shows() -> None:
    assert number_width(-300_000, GAP_JA) == display_width("超過 ¥300,000") == 13
    assert number_width(-300_000, GAP_EN) == len("over ¥300,000")
    assert number_width(0, GAP_JA) == len("¥0")
    assert number_width(2.4, TIMES_JA) == display_width("2.4倍")
    assert number_width(1_200_000, "¥#,##0") == len("¥1,200,000")
    assert number_width(-0.5, "0.0%") == len("-50.0%")
    assert number_width(12.5, None) == len("12.5")


def test_widths_fit_headers_and_values_and_a_given_width_is_a_minimum() -> None:
    spec = forecast_tab()
    widths = column_widths(spec)
    for col, width in zip(spec.columns, widths):
        assert width >= header_width(col), col.key  # no cut header
    assert widths[2] >= display_width("超過 ¥300,000") + 2  # no #### for a negative gap
    assert widths[5] == header_width(spec.columns[5])  # the given 4 is less than that
    wide = TabSpec("w", [Column("a", "A", width=80), Column("b", "B", width=12),
                         Column("c", "C")], [["x", "y" * 20, "z" * 500]])
    assert column_widths(wide) == [80, 22, MAX_WIDTH]  # given > cap wins; cap otherwise


# -- workbook --------------------------------------------------------------------------------

def make_book(path: Path) -> Path:
    """A register with a user's defined names (one global, one local print area)."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    reg = wb.active
    reg.title = REGISTER
    reg.append(["案件ID", "金額"])
    reg.append(["D-1", 100])
    wb.defined_names["担当者一覧"] = DefinedName("担当者一覧", attr_text="'案件一覧'!$A$2:$A$9")
    reg.defined_names["_xlnm.Print_Area"] = DefinedName(
        "_xlnm.Print_Area", localSheetId=0, attr_text="'案件一覧'!$A$1:$B$2")
    wb.save(path)
    return path


def write_book(path: Path, *specs: TabSpec) -> None:
    backend = WorkbookBackend(path, register_tab=REGISTER)
    backend.write(list(specs), backend.read([REGISTER]))


def member(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def defined_names(path: Path) -> list[str]:
    return re.findall(r"<definedName\b.*?</definedName>", member(path, "xl/workbook.xml"))


def sheet_xml(path: Path, title: str) -> str:
    wb = openpyxl.load_workbook(path)
    return member(path, f"xl/worksheets/sheet{wb.sheetnames.index(title) + 1}.xml")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_book(tmp_path / "deals.xlsx")


def test_workbook_page_setup_and_print_titles(book: Path) -> None:
    user_names = defined_names(book)
    write_book(book, forecast_tab(), forecast_tab("_state", hidden=True),
               forecast_tab("Win rate", note=None, page=PageSetup("portrait", fit_width=0)),
               forecast_tab("No page", page=None))
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [REGISTER, "売上予測", "_state", "Win rate", "No page"]
    ws = wb["売上予測"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$1:$2"  # the note and the header
    portrait = wb["Win rate"]
    assert portrait.page_setup.orientation == "portrait"
    assert not portrait.sheet_properties.pageSetUpPr.fitToPage  # fit_width 0: no fitting
    assert portrait.print_title_rows == "$1:$1"
    assert portrait.print_title_cols == "$A:$A"  # over pages across: the frozen column too
    for title in ("_state", "No page"):
        assert wb[title].print_title_rows is None and wb[title].page_setup.orientation is None

    names = defined_names(book)
    assert all(n in names for n in user_names)  # byte-identical
    assert [n for n in names if n not in user_names] == [
        "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">'売上予測'!$1:$2"
        "</definedName>",
        "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"3\">'Win rate'!$A:$A,"
        "'Win rate'!$1:$1</definedName>"]

    xml = sheet_xml(book, "売上予測")  # schema order: sheetPr first, pageSetup after margins
    assert xml.index("<worksheet") < xml.index("<sheetPr><pageSetUpPr fitToPage=\"1\"/>") \
        < xml.index("<dimension")
    assert xml.index("<pageMargins") < xml.index(
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0" paperSize="9"/>') \
        < xml.index("<drawing")


def test_print_titles_are_idempotent_and_replaced_in_place(book: Path) -> None:
    write_book(book, forecast_tab(), forecast_tab("Win rate", note=None))
    first = book.read_bytes()
    workbook_xml = member(book, "xl/workbook.xml")
    write_book(book, forecast_tab(), forecast_tab("Win rate", note=None))
    assert member(book, "xl/workbook.xml") == workbook_xml
    assert book.read_bytes() == first

    # the note goes: the titles shrink to the header, where they were; hidden: none
    write_book(book, forecast_tab(note=None), forecast_tab("Win rate", hidden=True))
    names = defined_names(book)
    assert names[-1] == ("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">"
                         "'売上予測'!$1:$1</definedName>")
    assert not any('localSheetId="2"' in n for n in names)
    assert len(names) == 3


def test_a_previous_print_titles_of_an_owned_tab_is_replaced(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = REGISTER
    old = wb.create_sheet("売上予測")
    old.print_title_rows = "1:5"
    old.print_title_cols = "A:B"
    wb.save(tmp_path / "b.xlsx")
    write_book(tmp_path / "b.xlsx", forecast_tab())
    titles = [n for n in defined_names(tmp_path / "b.xlsx") if "Print_Titles" in n]
    assert titles == ["<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">"
                      "'売上予測'!$1:$2</definedName>"]


@pytest.mark.parametrize("before, after", [
    ('<sheets><sheet name="a"/></sheets><calcPr/>',
     '<sheets><sheet name="a"/></sheets><definedNames><definedName name="_xlnm.Print_Titles" '
     "localSheetId=\"0\">'a'!$1:$2</definedName></definedNames><calcPr/>"),
    ('<sheets/></sheets><functionGroups/><externalReferences><externalReference r:id="x"/>'
     '</externalReferences><calcPr/>',
     '<sheets/></sheets><functionGroups/><externalReferences><externalReference r:id="x"/>'
     '</externalReferences><definedNames><definedName name="_xlnm.Print_Titles" '
     "localSheetId=\"0\">'a'!$1:$2</definedName></definedNames><calcPr/>"),
    ('</sheets><definedNames/>',
     '</sheets><definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
     "'a'!$1:$2</definedName></definedNames>"),
])
def test_definedNames_is_created_where_the_schema_wants_it(before: str, after: str) -> None:
    assert edit_print_titles(before, "", {0: "'a'!$1:$2"}) == after


def test_removing_the_last_print_titles_drops_an_emptied_definedNames() -> None:
    text = ('<x:sheets></x:sheets><x:definedNames><x:definedName name="_xlnm.Print_Titles" '
            'localSheetId="0">\'a\'!$1:$2</x:definedName></x:definedNames><x:calcPr/>')
    assert edit_print_titles(text, "x:", {0: None}) == "<x:sheets></x:sheets><x:calcPr/>"
    kept = text.replace('localSheetId="0"', 'localSheetId="1"')
    assert edit_print_titles(kept, "x:", {0: None}) == kept


def test_workbook_chart_anchor_and_size(book: Path) -> None:
    write_book(book, forecast_tab(), _with_default_chart(forecast_tab("右")))
    anchors = []
    with zipfile.ZipFile(book) as z:
        for name in sorted(n for n in z.namelist() if re.match(r"xl/drawings/drawing\d+\.xml$",
                                                                 n)):
            root = ET.fromstring(z.read(name))
            (anchor,) = root.findall("xdr:oneCellAnchor", DRAWING_NS)
            frm, ext = anchor.find("xdr:from", DRAWING_NS), anchor.find("xdr:ext", DRAWING_NS)
            anchors.append((int(frm.findtext("xdr:row", namespaces=DRAWING_NS)),
                            int(frm.findtext("xdr:col", namespaces=DRAWING_NS)),
                            int(ext.get("cx")), int(ext.get("cy"))))
    spec = forecast_tab()
    # data row 5 → sheet row first_data_row + 5 (1-based) → 0-based first_data_row + 4
    assert anchors[0] == (spec.first_data_row - 1 + 5, 1, 640 * EMU_PER_PIXEL,
                          300 * EMU_PER_PIXEL)
    # no anchor: right of the table (one column free), level with the header
    assert anchors[1] == (spec.header_row - 1, len(spec.columns) + 1, 760 * EMU_PER_PIXEL,
                          340 * EMU_PER_PIXEL)


def _with_default_chart(spec: TabSpec) -> TabSpec:
    assert spec.chart is not None
    spec.chart = ChartSpec(spec.chart.title, spec.chart.category_column,
                           spec.chart.series_columns, spec.chart.data_rows)
    return spec


def test_workbook_number_formats_and_le_ge_rules(book: Path) -> None:
    write_book(book, forecast_tab(), forecast_tab("en", gap=GAP_EN, times=TIMES_EN))
    write_book(book, forecast_tab(), forecast_tab("en", gap=GAP_EN, times=TIMES_EN))
    wb = openpyxl.load_workbook(book)
    ws = wb["売上予測"]
    assert ws["C3"].value == -300_000 and ws["C3"].number_format == GAP_JA
    assert ws["D3"].number_format == TIMES_JA
    assert ws["B3"].number_format == "¥#,##0" and ws["E3"].number_format == "0.0%"
    assert wb["en"]["C3"].number_format == GAP_EN and wb["en"]["D3"].number_format == TIMES_EN
    styles = member(book, "xl/styles.xml")
    assert styles.count("formatCode=\"¥#,##0;&quot;超過 ¥&quot;#,##0;¥0\"") == 1  # reused
    assert styles.count("formatCode=\"0.0&quot;倍&quot;\"") == 1
    rules = {str(r.sqref): [x.formula for x in r.rules] for r in ws.conditional_formatting}
    assert rules == {"E3:E25": [["AND(ISNUMBER(E3),E3<=1)"]],
                     "D3:D25": [["AND(ISNUMBER(D3),D3>=2)"]]}
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEF"}
    for col, letter in zip(forecast_tab().columns, "ABCDEF"):
        assert widths[letter] >= header_width(col)


# -- Google ----------------------------------------------------------------------------------

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


def google_sheet(emulator: Emulator) -> str:
    return emulator.create_spreadsheet("案件管理", {REGISTER: [["案件ID"], ["D-1"]]})


def google_backend(emulator: Emulator, key: Path, sid: str) -> GoogleBackend:
    return GoogleBackend(sid, credentials_from_file(key), endpoint=emulator.base_url,
                         register_tab=REGISTER)


def sheet_of(emulator: Emulator, sid: str, title: str) -> dict[str, Any]:
    ss = emulator.get_spreadsheet(sid, include_grid_data=True)
    return next(s for s in ss["sheets"] if s["properties"]["title"] == title)


def note_row(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    return sheet["data"][0]["rowData"][0].get("values", [])


def print_link(sheet: dict[str, Any]) -> tuple[int, str, str] | None:
    """(column, formula, shown label) of the print link in row 1, or None."""
    for c, cell in enumerate(note_row(sheet)):
        formula = cell.get("userEnteredValue", {}).get("formulaValue", "")
        if "/export?format=pdf" in formula:
            return c, formula, cell["effectiveValue"]["stringValue"]
    return None


def test_google_freezes_the_header_and_links_a_print_pdf(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = google_sheet(emulator)
    backend = google_backend(emulator, service_account_key, sid)
    backend.write([forecast_tab(), forecast_tab("Win rate", note="as of 2026-05-01",
                                                page=PageSetup("portrait", fit_width=0)),
                   forecast_tab("_state", hidden=True), forecast_tab("No note", note=None),
                   forecast_tab("No page", page=None)], backend.read([REGISTER]))

    sheet = sheet_of(emulator, sid, "売上予測")
    gid = sheet["properties"]["sheetId"]
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 2  # Google repeats it
    found = print_link(sheet)
    assert found is not None
    column, formula, label = found
    assert formula == (
        f'=HYPERLINK("https://docs.google.com/spreadsheets/d/{sid}/export?format=pdf'
        f'&gid={gid}&portrait=false&fitw=true&fzr=true&gridlines=false&size=A4",'
        '"印刷用PDF（横・1ページ幅）")')
    assert label == "印刷用PDF（横・1ページ幅）"
    widths = [c.get("pixelSize", 100) for c in sheet["data"][0]["columnMetadata"]]
    assert sum(widths[:column]) >= pixels(display_width(NOTE))  # the note is not cut
    assert sum(widths[:column - 1]) < pixels(display_width(NOTE) + 2)  # the first such
    assert all("userEnteredValue" not in c for c in note_row(sheet)[1:column])

    english = sheet_of(emulator, sid, "Win rate")
    found = print_link(english)
    assert found is not None
    assert found[2] == "Print PDF (portrait)"
    assert "&portrait=true&fitw=false&fzr=true&" in found[1]
    for title in ("_state", "No note", "No page"):
        assert print_link(sheet_of(emulator, sid, title)) is None, title


def big_tab(n: int = 300) -> TabSpec:
    return TabSpec("大きい表", [Column("id", "ID"), Column("text", "本文"),
                               Column("amount", "金額", "money")],
                   [[Link(f"D-{i}", REGISTER, f"A{i + 2}"), f"行 {i} " + "あ" * 20, i * 1000]
                    for i in range(n)], note=NOTE)


def test_google_print_link_of_a_staged_tab_uses_its_final_sheet_id(
        emulator: Emulator, service_account_key: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sid = google_sheet(emulator)
    backend = google_backend(emulator, service_account_key, sid)
    backend.write([big_tab()], backend.read([REGISTER]))
    monkeypatch.setattr(google_write, "MAX_REQUEST_BYTES", 20_000)
    emulator.reset_log()
    backend.write([big_tab()], backend.read([REGISTER]))
    assert emulator.log.count("values.batchUpdate") >= 1  # it was staged
    sheet = sheet_of(emulator, sid, "大きい表")
    found = print_link(sheet)
    assert found is not None
    assert f"&gid={sheet['properties']['sheetId']}&" in found[1]
    assert f"/d/{sid}/export?" in found[1] and "&portrait=false&fitw=true&fzr=true&" in found[1]


def test_google_chart_anchor_size_and_grid_room(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = google_sheet(emulator)
    backend = google_backend(emulator, service_account_key, sid)
    short = forecast_tab("短い")
    short.rows = short.rows[:3]  # the report left no rows free: the grid still holds it
    backend.write([forecast_tab(), short, _with_default_chart(forecast_tab("右"))],
                  backend.read([REGISTER]))
    for title in ("売上予測", "短い"):
        sheet = sheet_of(emulator, sid, title)
        (chart,) = sheet["charts"]
        overlay = chart["position"]["overlayPosition"]
        assert overlay["anchorCell"]["rowIndex"] == forecast_tab().first_data_row - 1 + 5
        assert overlay["anchorCell"]["columnIndex"] == 1
        assert (overlay["widthPixels"], overlay["heightPixels"]) == (640, 300)
        grid = sheet["properties"]["gridProperties"]
        assert grid["rowCount"] >= overlay["anchorCell"]["rowIndex"] + math.ceil(300 / 21)
    (chart,) = sheet_of(emulator, sid, "右")["charts"]
    overlay = chart["position"]["overlayPosition"]
    assert overlay["anchorCell"]["rowIndex"] == 1 and overlay["anchorCell"]["columnIndex"] == 6
    assert (overlay["widthPixels"], overlay["heightPixels"]) == (760, 340)


def test_google_number_formats_render_and_le_ge_rules(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = google_sheet(emulator)
    backend = google_backend(emulator, service_account_key, sid)
    backend.write([forecast_tab(), forecast_tab("en", gap=GAP_EN, times=TIMES_EN)],
                  backend.read([REGISTER]))
    sheet = sheet_of(emulator, sid, "売上予測")
    first = sheet["data"][0]["rowData"][2]["values"]
    assert first[2]["userEnteredFormat"]["numberFormat"] == {"type": "CURRENCY",
                                                             "pattern": GAP_JA}
    assert first[3]["userEnteredFormat"]["numberFormat"] == {"type": "NUMBER",
                                                             "pattern": TIMES_JA}
    assert first[4]["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT",
                                                             "pattern": "0.0%"}
    rules = [r["booleanRule"]["condition"] for r in sheet["conditionalFormats"]]
    assert rules == [
        {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=AND(ISNUMBER(E3),E3<=1)"}]},
        {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=AND(ISNUMBER(D3),D3>=2)"}]},
    ]

    creds = Credentials.from_service_account_file(str(service_account_key), scopes=SCOPES)
    gc = gspread.Client(auth=creds, http_client=emulator_http_client(emulator.base_url))
    book = gc.open_by_key(sid)
    shown = book.worksheet("売上予測").get("C3:D5",
                                         value_render_option=ValueRenderOption.formatted)
    assert shown == [["超過 ¥300,000", "2.4倍"], ["¥12,000,000", "0.8倍"], ["¥0"]]
    shown = book.worksheet("en").get("C3:D3", value_render_option=ValueRenderOption.formatted)
    assert shown == [["over ¥300,000", "2.4x"]]


def test_emulator_rounds_halves_away_from_zero_as_sheets_does() -> None:
    fmt = {"type": "NUMBER", "pattern": TIMES_JA}
    assert [format_value(v, fmt) for v in (2.25, 2.35, -1.25, 0.05)] == [
        "2.3倍", "2.4倍", "-1.3倍", "0.1倍"]
    assert format_value(0.125, {"type": "PERCENT", "pattern": "0.0%"}) == "12.5%"
    assert format_value(0.0125, {"type": "PERCENT", "pattern": "0.0%"}) == "1.3%"


def test_print_link_column_is_right_of_the_note() -> None:
    spec = forecast_tab(note="x" * 40)
    rendered = render_tab(spec, {}, "KEY1234567890")
    assert rendered.print_column == print_link_column(spec.note or "", rendered.widths)
    assert rendered.column_count > (rendered.print_column or 0)
    assert render_tab(spec, {}).print_column is None  # no key: no link


# -- LibreOffice -----------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice or poppler not installed")
def test_libreoffice_prints_landscape_one_page_wide(book: Path, tmp_path: Path) -> None:
    wide = forecast_tab()
    wide.columns = wide.columns + [Column(f"x{i}", f"追加列{i}", "money") for i in range(14)]
    wide.rows = [r + [123_456_789] * 14 for r in wide.rows[:3]] * 40
    wide.chart = None
    write_book(book, wide)
    proc = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(book)],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(tmp_path / "pdf/deals.pdf")],
                          capture_output=True, text=True, check=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    tab_pages = sizes[1:]  # page 1 is the register
    assert tab_pages and all(float(w) > float(h) for w, h in tab_pages)  # landscape
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pdf/deals.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[1:len(sizes)]
    assert len(pages) >= 2
    for page in pages:  # every page: the header (repeated), the last column (1 page wide)
        assert "期間" in page and "追加列13" in page
    assert "###" not in text


def _width_of_every_cell(spec: TabSpec, index: int) -> float:
    """column_width's definition, each sampled cell measured (no shortcut)."""
    from sheetsync.backends.columns import (
        MIN_WIDTH,
        WIDTH_SAMPLE_ROWS,
        _value_width,
        plain_value,
    )

    col = spec.columns[index]
    best = display_width(col.header) * 1.1
    for row in spec.rows[:WIDTH_SAMPLE_ROWS]:
        if index < len(row):
            best = max(best, _value_width(plain_value(row[index]), col))
    fitted = min(MAX_WIDTH, max(MIN_WIDTH, best + 2.0))
    return round(max(fitted, float(col.width or 0.0)), 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40), st.sampled_from(
    ["佐藤", "株式会社アイウエオ", "a\nbb", "ｱｲｳ", "x" * 70, "超" * 35]),
    st.integers(-10**13, 10**13), st.floats(allow_nan=False), st.booleans(),
    st.dates()), max_size=60),
    st.sampled_from(["text", "money", "date", "ratio"]), st.sampled_from([None, 3.0, 70.0]))
def test_a_column_is_as_wide_as_its_widest_cell(values, kind, given_width) -> None:
    """Texts that cannot be the widest (2 characters a letter at most) and cells after the
    column is full are skipped: the width is still the widest cell's."""
    spec = TabSpec(name="t", columns=[Column("c", "見込金額", kind, width=given_width)],
                   rows=[[v] for v in values])
    assert column_width(spec, 0) == _width_of_every_cell(spec, 0)
