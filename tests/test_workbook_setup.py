"""`schema apply` on a workbook: WorkbookBackend.apply_setup edits the package surgically."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
import yaml
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync.backends.base import ReadResult, SheetEditor
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook.sheet_xml import WorksheetXml
from sheetsync.backends.workbook.validation import LISTS_TAB, MARKER, render_rule
from sheetsync.demo import REPS, write_demo_workbook
from sheetsync.dictionary import DICTIONARY_TAB, dictionary_tab
from sheetsync.dictionary import headers as dictionary_headers
from sheetsync.enforce import RegisterSetup, Rule, plan_setup
from sheetsync.errors import BackendError, FileChangedError
from sheetsync.grid import CellValue, Grid, date_to_serial
from sheetsync.schema import Schema, default_schema_text, load_schema, parse_schema
from sheetsync.tabspec import Column, TabSpec
from sheetsync.validate import validate_register

TODAY = dt.date(2026, 11, 26)
REGISTER = "案件一覧"
DICTIONARY = DICTIONARY_TAB("ja")
SCHEMA = load_schema()
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FIRST_DATE, LAST_DATE = date_to_serial(dt.date(1950, 1, 1)), date_to_serial(dt.date(2199, 12, 31))


# -- fixtures and helpers ----------------------------------------------------------------

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo workbook, plus what reps add: a rule and notes of their own, a chart, a name."""
    path = tmp_path / "deals.xlsx"
    write_demo_workbook(path, today=TODAY)
    wb = openpyxl.load_workbook(path)
    reg = wb[REGISTER]
    dv = DataValidation(type="list", formula1='"済,未"', allow_blank=True)
    reg.add_data_validation(dv)
    dv.add("S4:S400")  # the column sheetsync does not know
    reg["B10"].comment = Comment("要確認", "rep")
    reg["H3"].comment = Comment("ヨミは毎週更新", "manager")  # a managed header cell
    targets = wb["目標"]
    chart = BarChart()
    chart.add_data(Reference(targets, min_col=3, min_row=1, max_row=5), titles_from_data=True)
    targets.add_chart(chart, "F2")
    wb.defined_names["担当者一覧"] = DefinedName("担当者一覧", attr_text="目標!$B$2:$B$5")
    wb.save(path)
    return path


def plan(backend: WorkbookBackend, *, strict: bool = False, owners: tuple[str, ...] = REPS,
         protect: tuple[str, ...] = (DICTIONARY,)) -> tuple[ReadResult, RegisterSetup]:
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", owners=owners, as_of=TODAY)
    assert result.header is not None
    setup = plan_setup(grid, result.header, SCHEMA, language="ja", owners=owners,
                       strict=strict, protect_tabs=list(protect),
                       tabs=[dictionary_tab(SCHEMA, "ja", "as of 2026-11-26", list(owners))])
    return read, setup


def apply(path: Path, **kwargs: object) -> RegisterSetup:
    backend = WorkbookBackend(path, register_tab=REGISTER)
    read, setup = plan(backend, **kwargs)  # type: ignore[arg-type]
    backend.apply_setup(setup, read)
    return setup


def letter(setup: RegisterSetup, field: str) -> str:
    col = next(c.column for c in setup.columns if c.field == field)
    return openpyxl.utils.get_column_letter(col + 1)


def ours(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, DataValidation]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation
            if (dv.errorTitle or "").startswith(MARKER)}


_CELL_RE = re.compile(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def stored_cells(path: Path, part: str = "xl/worksheets/sheet1.xml") -> dict[str, str]:
    """Each cell's stored content (value, inline string, formula) — styles left out."""
    xml = zipfile.ZipFile(path).read(part).decode()
    types = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*?\st="(\w+)"', xml))
    return {ref: types.get(ref, "n") + ":" + body for ref, body in _CELL_RE.findall(xml) if body}


def note_parts(path: Path) -> tuple[ET.Element, ET.Element]:
    """The register's comments part and VML drawing, parsed as namespace-aware XML."""
    with zipfile.ZipFile(path) as z:
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        targets = {t.rsplit("/", 1)[-1]: posixpath.normpath(
            posixpath.join("xl/worksheets", t) if not t.startswith("/") else t[1:])
            for t in re.findall(r'Target="([^"]+)"', rels)}
        comments = next(v for k, v in targets.items() if k.endswith(".xml"))
        vml = next(v for k, v in targets.items() if k.endswith(".vml"))
        return ET.fromstring(z.read(comments)), ET.fromstring(z.read(vml))


def check_notes(path: Path) -> set[str]:
    """Every comment has its VML note shape (and no shape is left over); the refs."""
    comments, vml = note_parts(path)
    refs = {c.get("ref") for c in comments.iter(f"{{{MAIN}}}comment")}
    shapes = set()
    for shape in vml.iter("{urn:schemas-microsoft-com:vml}shape"):
        data = shape.find("{urn:schemas-microsoft-com:office:excel}ClientData")
        assert data is not None and data.get("ObjectType") == "Note"
        row = int(data.findtext("{urn:schemas-microsoft-com:office:excel}Row", "-1"))
        col = int(data.findtext("{urn:schemas-microsoft-com:office:excel}Column", "-1"))
        shapes.add(f"{openpyxl.utils.get_column_letter(col + 1)}{row + 1}")
    assert shapes == refs
    ids = [s.get("id") for s in vml.iter("{urn:schemas-microsoft-com:vml}shape")]
    assert len(ids) == len(set(ids))
    return {r for r in refs if r}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


# -- the rules ---------------------------------------------------------------------------

def test_the_workbook_backend_is_a_sheet_editor(demo: Path) -> None:
    assert isinstance(WorkbookBackend(demo), SheetEditor)


@pytest.mark.parametrize("strict", [False, True])
def test_validation_rules_have_the_right_ranges_types_lists_and_prompts(
        demo: Path, strict: bool) -> None:
    setup = apply(demo, strict=strict)
    ws = openpyxl.load_workbook(demo)[REGISTER]
    rules = ours(ws)
    with_rule = [c for c in setup.columns if c.rule]
    assert len(rules) == len(with_rule) == 11

    def rule(field: str) -> DataValidation:
        col = letter(setup, field)
        return rules[f"{col}4:{col}1048576"]

    labels = [c.label("ja") for c in next(f for f in SCHEMA.fields if f.name == "stage").choices]
    assert rule("stage").type == "list"
    assert rule("stage").formula1 == '"' + ",".join(labels) + '"'
    assert rule("owner").formula1 == '"' + ",".join(REPS) + '"'
    assert rule("rank").formula1 == '"A,B,C,D"'
    assert rule("lead_source").formula1.startswith('"Web問い合わせ,展示会,')
    prob = rule("probability")
    assert (prob.type, prob.operator, prob.formula1, prob.formula2) == \
        ("decimal", "between", "0", "1")
    amount = rule("amount")
    assert (amount.type, amount.operator, amount.formula1) == \
        ("decimal", "greaterThanOrEqual", "0")
    for field in ("expected_close", "closed_on", "created_on", "last_activity",
                  "next_action_date"):
        d = rule(field)
        assert (d.type, d.operator, d.formula1, d.formula2) == \
            ("date", "between", str(FIRST_DATE), str(LAST_DATE))
    for col in with_rule:
        dv = rule(col.field)
        assert dv.errorStyle == ("stop" if strict else "warning")
        assert dv.allow_blank and dv.showErrorMessage and dv.showInputMessage
        assert dv.promptTitle == col.rule.title  # type: ignore[union-attr]
        assert dv.prompt == col.rule.help  # type: ignore[union-attr]
        assert dv.error
    assert "0%〜100%" in prob.error


def test_prompts_are_cut_to_excels_limits() -> None:
    rule = Rule("list", ("A", "B"), help="説明" * 200, title="とても長い項目名" * 6)
    xml = render_rule(rule, "A2:A1048576")
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', xml))
    assert len(attrs["promptTitle"]) == 32 and attrs["promptTitle"].endswith("…")
    assert len(attrs["prompt"]) == 255 and attrs["prompt"].endswith("…")
    assert len(attrs["errorTitle"]) <= 32 and attrs["errorTitle"].startswith(MARKER)


def test_a_long_list_goes_to_a_hidden_lists_tab(demo: Path) -> None:
    roster = tuple(f"営業担当者 第{i:02d}号" for i in range(40))  # 12 × 40 > 255 characters
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    read, setup = plan(backend, owners=roster)
    backend.apply_setup(setup, read)
    wb = openpyxl.load_workbook(demo)
    col = letter(setup, "owner")
    dv = ours(wb[REGISTER])[f"{col}4:{col}1048576"]
    assert dv.formula1 == f"'{LISTS_TAB}'!$A$2:$A$41"
    lists = wb[LISTS_TAB]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists["A"]][1:] == list(roster)
    before = demo.read_bytes()
    read, setup = plan(backend, owners=roster)
    assert backend.apply_setup(setup, read).requests == 0
    assert demo.read_bytes() == before


# -- formats, header, notes, freeze, protection -----------------------------------------

def test_formats_go_on_the_planned_spans_only(demo: Path) -> None:
    before = openpyxl.load_workbook(demo)[REGISTER]
    setup = apply(demo)
    after = openpyxl.load_workbook(demo)[REGISTER]
    prob = next(c for c in setup.columns if c.field == "probability")
    assert prob.kept_rows  # plain 80s: a percent format would show them as 8000 %
    formatted = 0
    for column in setup.columns:
        rows = {r for a, b in column.format_rows for r in range(a, b + 1)}
        for row in range(1, setup.last_row + 1):
            new = after.cell(row, column.column + 1).number_format
            old = before.cell(row, column.column + 1).number_format
            if row in rows:
                assert new == column.number_format, (column.field, row)
                formatted += 1
            else:
                assert new == old, (column.field, row)
    assert formatted > 1500
    grid = WorkbookBackend(demo).read().grids[REGISTER]
    for row in prob.kept_rows:
        assert type(grid.cell(row, prob.column + 1)) in (int, str)  # still what was typed


def test_header_is_bold_filled_frozen_and_noted(demo: Path) -> None:
    setup = apply(demo)
    ws = openpyxl.load_workbook(demo)[REGISTER]
    assert ws.freeze_panes == "A4"
    for col in range(1, 19):  # every header cell, managed or not
        assert ws.cell(3, col).font.b
        assert ws.cell(3, col).fill.fill_type == "solid"
    assert not ws["A1"].font.b or ws["A1"].font.sz == 14  # the title row is left alone
    rank = letter(setup, "rank")
    for column in setup.columns:
        cell = ws[f"{letter(setup, column.field)}3"]
        if column.field == "rank":  # someone else's note stays, sheetsync adds none
            assert cell.comment.text == "ヨミは毎週更新"
            assert cell.comment.author == "manager"
        elif column.note:
            assert cell.comment.text == column.note
            assert cell.comment.author == "sheetsync"
    assert rank == "H"
    assert ws["B10"].comment.text == "要確認" and ws["B10"].comment.author == "rep"
    refs = check_notes(demo)  # openpyxl's VML (ns0: prefixes) with sheetsync's shapes added
    assert refs == {"B10", "H3"} | {f"{letter(setup, c.field)}3" for c in setup.columns
                                    if c.note and c.field != "rank"}


def test_notes_in_a_workbook_without_comments(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = REGISTER
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額"])
    ws.append(["D1", "a", "c", "佐藤", "提案", 100])
    wb.save(path)
    setup = apply(path, protect=())
    refs = check_notes(path)
    assert refs == {f"{letter(setup, c.field)}1" for c in setup.columns if c.note}
    once = path.read_bytes()
    apply(path, protect=())
    assert path.read_bytes() == once
    ws = openpyxl.load_workbook(path)[REGISTER]
    assert ws["A1"].comment.author == "sheetsync"


@pytest.mark.parametrize(("frozen", "expected"), [
    (None, "A2"), ("C2", "C2"), ("A5", "A5"), ("B1", "B2"), ("A2", "A2")])
def test_freeze_keeps_what_the_reps_set(tmp_path: Path, frozen: str | None,
                                         expected: str) -> None:
    path = tmp_path / "small.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = REGISTER
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額"])
    ws.append(["D1", "a", "c", "佐藤", "提案", 100])
    ws.freeze_panes = frozen
    wb.save(path)
    apply(path, protect=())
    assert openpyxl.load_workbook(path)[REGISTER].freeze_panes == expected


def test_owned_tabs_are_protected_without_password_and_the_register_never(
        demo: Path) -> None:
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    backend.write([TabSpec("売上予測", [Column("a", "A")], [["x"]])], backend.read())
    apply(demo, protect=(DICTIONARY, "売上予測", "存在しない"))
    wb = openpyxl.load_workbook(demo)
    for name in (DICTIONARY, "売上予測"):
        assert wb[name].protection.sheet
        assert not wb[name].protection.password
    for name in (REGISTER, "目標", "メモ"):
        assert not wb[name].protection.sheet  # protect_header is a no-op on workbooks
    before = demo.read_bytes()
    read, setup = plan(backend, protect=(REGISTER,))
    with pytest.raises(BackendError, match="register"):
        backend.apply_setup(setup, read)
    assert demo.read_bytes() == before


def test_the_field_dictionary_tab_is_written(demo: Path) -> None:
    apply(demo)
    grid = WorkbookBackend(demo).read([DICTIONARY]).grids[DICTIONARY]
    labels = [row[0] for row in grid.rows[2:]]
    assert labels == [f.label("ja") for f in SCHEMA.fields]
    assert grid.rows[1][0] == "項目名"


def dictionary_rows(grid: Grid, language: str = "ja") -> dict[str, dict[str, CellValue]]:
    """The 項目定義 tab's rows by field key, each as header → cell."""
    head = [str(h) for h in grid.rows[1]]
    key = head.index(dictionary_headers(language)["name"])
    return {str(r[key]): dict(zip(head, r)) for r in grid.rows[2:]}


def team_schema(hold: dict[str, object]) -> Schema:
    """The default schema with 保留 replaced by a team's own parked stage."""
    data = yaml.safe_load(default_schema_text())
    data["fields"][5]["choices"][5] = hold
    return parse_schema(yaml.safe_dump(data, allow_unicode=True), "team.yaml")


def test_hold_is_in_the_stage_dropdown_and_explained_in_the_dictionary(demo: Path) -> None:
    setup = apply(demo)
    ws = openpyxl.load_workbook(demo)[REGISTER]
    col = letter(setup, "stage")
    dv = ours(ws)[f"{col}4:{col}1048576"]
    assert dv.formula1 == '"リード,初回商談,提案,見積提出,交渉,保留,受注,失注"'
    assert "保留：" in dv.prompt and "見直し日" in dv.prompt
    assert "保留：" in ws[f"{col}3"].comment.text
    rows = dictionary_rows(WorkbookBackend(demo).read([DICTIONARY]).grids[DICTIONARY])
    stage = rows["stage"]
    assert "交渉 (80%)・保留 (予測・フォロー対象外)・受注 (100%)" in str(stage["選択肢"])
    assert "保留：" in str(stage["説明"]) and "見直し日" in str(stage["説明"])
    assert rows["next_action_date"]["必須"] == "フェーズが保留の場合は必須"


def test_a_team_hold_stage_is_what_the_dropdown_and_dictionary_show(tmp_path: Path) -> None:
    schema = team_schema({"value": "frozen", "ja": "凍結", "en": "Paused", "hold": True})
    path = tmp_path / "team.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = REGISTER
    ws.append(["Deal ID", "Deal name", "Client", "Owner", "Stage", "Next action date",
               "Expected close"])
    ws.append(["D1", "a", "c", "Kim", "Paused", "2026/12/1", "2027/3/31"])
    wb.save(path)
    backend = WorkbookBackend(path, register_tab=REGISTER)
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, schema, language="en")
    assert result.header is not None and result.report.valid
    setup = plan_setup(grid, result.header, schema, language="en",
                       tabs=[dictionary_tab(schema, "en", "note")])
    backend.apply_setup(setup, read)
    dv = ours(openpyxl.load_workbook(path)[REGISTER])["E2:E1048576"]
    assert dv.formula1 == '"Lead,First meeting,Proposal,Quote sent,Negotiation,Paused,Won,Lost"'
    tab = DICTIONARY_TAB("en")
    rows = dictionary_rows(WorkbookBackend(path).read([tab]).grids[tab], "en")
    assert "Paused (out of forecasts and follow-ups)" in str(rows["stage"]["Allowed values"])
    assert "On hold" not in str(rows["stage"]["Allowed values"])
    assert rows["next_action_date"]["Required"] == "required when Stage is Paused"


def test_the_register_is_refused_as_a_setup_tab(demo: Path) -> None:
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    read, setup = plan(backend)
    setup.tabs = [TabSpec(REGISTER, [Column("a", "A")], [["x"]])]
    before = demo.read_bytes()
    with pytest.raises(BackendError, match="register"):
        backend.apply_setup(setup, read)
    assert demo.read_bytes() == before


# -- idempotence and politeness ----------------------------------------------------------

def test_applying_twice_gives_identical_bytes_and_one_set_of_rules(demo: Path) -> None:
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    read, setup = plan(backend)
    assert backend.apply_setup(setup, read).requests == 1
    once = demo.read_bytes()
    read, again = plan(backend)  # planned afresh from what the first apply left
    result = backend.apply_setup(again, read)
    assert result.requests == 0
    assert demo.read_bytes() == once
    wb = openpyxl.load_workbook(demo)
    assert len(ours(wb[REGISTER])) == 11
    assert len(wb[REGISTER].data_validations.dataValidation) == 12
    notes = [c for c in (wb[REGISTER].cell(3, i).comment for i in range(1, 19)) if c]
    assert len(notes) == sum(1 for c in setup.columns if c.note)  # rank: the manager's
    comments, _ = note_parts(demo)
    authors = [a.text for a in comments.iter(f"{{{MAIN}}}author")]
    assert authors.count("sheetsync") == 1
    check_notes(demo)


def test_a_changed_roster_replaces_the_rule_instead_of_adding_one(demo: Path) -> None:
    apply(demo)
    setup = apply(demo, owners=("佐藤 健", "新人 太郎"))
    ws = openpyxl.load_workbook(demo)[REGISTER]
    col = letter(setup, "owner")
    rules = ours(ws)
    assert len(rules) == 11
    assert rules[f"{col}4:{col}1048576"].formula1 == '"佐藤 健,新人 太郎"'


def test_foreign_rules_notes_charts_and_names_survive(demo: Path) -> None:
    before = members(demo)
    apply(demo)
    after = members(demo)
    wb = openpyxl.load_workbook(demo)
    foreign = [dv for dv in wb[REGISTER].data_validations.dataValidation
               if not (dv.errorTitle or "").startswith(MARKER)]
    assert [(str(dv.sqref), dv.formula1) for dv in foreign] == [("S4:S400", '"済,未"')]
    # every part but the register, the shared parts and the new ones keeps its bytes
    changed = {n for n in before if after.get(n) != before[n]}
    assert changed <= {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml",
                       "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "docProps/app.xml", "xl/comments/comment1.xml",
                       "xl/drawings/commentsDrawing1.vml"}
    charts = [n for n in before if n.startswith(("xl/charts/", "xl/drawings/drawing"))]
    assert charts and all(after[n] == before[n] for n in charts)
    # every defined name keeps its bytes (the written tabs' print titles are added)
    names = re.findall(rb"<definedName\b.*?</definedName>", before["xl/workbook.xml"])
    assert names and all(n in after["xl/workbook.xml"] for n in names)
    assert wb["目標"]._charts or "xl/charts/chart1.xml" in after


def test_cell_values_are_untouched(demo: Path) -> None:
    values_before = {ws.title: [[c.value for c in row] for row in ws.iter_rows()]
                     for ws in openpyxl.load_workbook(demo)}
    stored_before = stored_cells(demo)
    grids_before = WorkbookBackend(demo).read().grids
    apply(demo)
    assert stored_cells(demo) == stored_before  # every <v> and inline string as it was
    wb = openpyxl.load_workbook(demo)
    grids = WorkbookBackend(demo).read().grids
    for name, rows in values_before.items():
        now = [[c.value for c in row] for row in wb[name].iter_rows()]
        if name != REGISTER:
            assert now == rows
            assert grids[name] == grids_before[name]
            continue
        # a serial number in a date column now shows as the date it always meant
        for r, (old_row, new_row) in enumerate(zip(rows, now, strict=True), start=1):
            for old, new in zip(old_row, new_row, strict=True):
                if isinstance(new, dt.datetime) and isinstance(old, (int, float)):
                    assert date_to_serial(new) == old, r
                else:
                    assert new == old, r


def test_custom_styles_survive_the_number_format(tmp_path: Path) -> None:
    path = tmp_path / "styled.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = REGISTER
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額"])
    ws.append(["D1", "a", "c", "佐藤", "提案", 1200000])
    ws.append(["D2", "b", "c", "佐藤", "提案", None])
    ws.append(["D3", "b", "c", "佐藤", "提案", 5])
    ws["F2"].font = Font(bold=True, color="FFFF0000")
    wb.save(path)
    apply(path, protect=())
    ws = openpyxl.load_workbook(path)[REGISTER]
    assert ws["F2"].number_format == "¥#,##0"
    assert ws["F2"].font.b and ws["F2"].font.color.rgb == "FFFF0000"
    assert ws["F3"].number_format == "¥#,##0" and ws["F3"].value is None  # an empty cell
    assert ws["F4"].number_format == "¥#,##0"


# -- failures --------------------------------------------------------------------------

def test_refuses_when_the_file_changed_since_read(demo: Path) -> None:
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    read, setup = plan(backend)
    wb = openpyxl.load_workbook(demo)
    wb[REGISTER]["A4"] = "edited by a rep"
    wb.save(demo)
    changed = demo.read_bytes()
    with pytest.raises(FileChangedError):
        backend.apply_setup(setup, read)
    assert demo.read_bytes() == changed
    assert not backend.backup_path.exists()
    assert sorted(p.name for p in demo.parent.iterdir()) == ["deals.xlsx"]


def test_refuses_while_the_workbook_is_open(demo: Path) -> None:
    backend = WorkbookBackend(demo, register_tab=REGISTER)
    read, setup = plan(backend)
    demo.with_name("~$deals.xlsx").write_bytes(b"")
    before = demo.read_bytes()
    with pytest.raises(BackendError, match="open in Excel"):
        backend.apply_setup(setup, read)
    assert demo.read_bytes() == before


# -- the sheet XML editor --------------------------------------------------------------

def test_sheet_xml_edits_keep_prefixes_order_and_other_bytes() -> None:
    xml = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<x:dimension ref="A1:B2"/><x:sheetData><x:row r="1" spans="1:2"><x:c r="A1" s="1">'
           b'<x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row><x:row r="3"><x:c r="B3"/>'
           b'</x:row></x:sheetData><x:pageMargins left="1"/></x:worksheet>')
    sheet = WorksheetXml(xml)

    def mark(element: str | None, ref: str) -> str:
        return f'<x:c r="{ref}" s="9"/>' if element is None else element.replace(">", ' t="n">', 1)

    sheet.edit_cells({1: {1: mark, 3: mark}, 2: {0: mark}, 4: {2: mark}})
    sheet.set_element("dataValidations", '<x:dataValidations count="0"></x:dataValidations>')
    out = sheet.to_bytes().decode()
    assert '<x:row r="1" spans="1:4"><x:c r="A1" s="1"><x:v>1</x:v></x:c>' \
           '<x:c t="n"><x:v>2</x:v></x:c><x:c r="D1" s="9"/></x:row>' in out
    assert '<x:row r="2"><x:c r="A2" s="9"/></x:row><x:row r="3"><x:c r="B3"/></x:row>' \
           '<x:row r="4"><x:c r="C4" s="9"/></x:row></x:sheetData>' in out
    assert '<x:dimension ref="A1:D4"/>' in out
    assert out.index("<x:dataValidations") < out.index("<x:pageMargins")
