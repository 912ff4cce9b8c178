"""`schema apply` on Google Sheets: GoogleBackend.apply_setup against the emulator's state.

Mirrors tests/test_workbook_setup.py: the rules with their ranges and lists, formats on the
planned spans only, header style, notes and freeze, warning-only protections, idempotence,
foreign rules/notes/protections left alone, values untouched — plus the request budget
(the two reads of ``read`` and one batchUpdate).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from sheetsync.backends.base import ReadResult, SheetEditor
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google import http_client as google_http
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.google.register_setup import (
    HEADER_PROTECTION_NOTE,
    NOTE_PREFIX,
    number_format_type,
)
from sheetsync.backends.google.render import LEGACY_PROTECTION_NOTE, PROTECTION_NOTE
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.demo import REPS, write_demo_workbook
from sheetsync.dictionary import DICTIONARY_TAB, dictionary_tab
from sheetsync.dictionary import headers as dictionary_headers
from sheetsync.enforce import RegisterSetup, plan_setup
from sheetsync.errors import BackendError, FileChangedError
from sheetsync.grid import CellValue, Grid
from sheetsync.schema import default_schema_text, load_schema, parse_schema
from sheetsync.tabspec import Column, TabSpec
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids
from sheetsync.validate import validate_register

TODAY = dt.date(2026, 11, 26)
REGISTER = "案件一覧"
DICTIONARY = DICTIONARY_TAB("ja")
SCHEMA = load_schema()
HEADER = 2  # 0-based: the demo's header is row 3
FOREIGN_LIST = ["済", "未"]


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(google_http, "BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture(scope="module")
def demo_grids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grid]:
    path = tmp_path_factory.mktemp("demo") / "deals.xlsx"
    write_demo_workbook(path, today=TODAY)
    return WorkbookBackend(path).read().grids


def ids_of(emulator: Emulator, sid: str) -> dict[str, int]:
    return {s["properties"]["title"]: s["properties"]["sheetId"]
            for s in emulator.get_spreadsheet(sid)["sheets"]}


@pytest.fixture
def demo(emulator: Emulator, demo_grids: dict[str, Grid]) -> str:
    """The demo register in the emulator, plus what people add: a rule of their own on the
    column sheetsync does not know (S), one inside a managed column, notes, a protection."""
    sid = load_grids(emulator, demo_grids)
    ids = ids_of(emulator, sid)
    emulator.batch_update(sid, [
        {"setDataValidation": {
            "range": {"sheetId": 0, "startRowIndex": 3, "endRowIndex": 200,
                      "startColumnIndex": 18, "endColumnIndex": 19},
            "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
                {"userEnteredValue": v} for v in FOREIGN_LIST]}, "showCustomUi": True}}},
        {"setDataValidation": {  # inside フェーズ (G): Google keeps one rule per cell
            "range": {"sheetId": 0, "startRowIndex": 4, "endRowIndex": 5,
                      "startColumnIndex": 6, "endColumnIndex": 7},
            "rule": {"condition": {"type": "NOT_BLANK"}}}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 9, "columnIndex": 1},
                         "rows": [{"values": [{"note": "要確認"}]}], "fields": "note"}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": HEADER, "columnIndex": 7},
                         "rows": [{"values": [{"note": "ヨミは毎週更新"}]}], "fields": "note"}},
        {"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": ids["目標"]}, "description": "経営企画のみ編集"}}},
        {"repeatCell": {  # a rep's style on a header cell: the font colour stays
            "range": {"sheetId": 0, "startRowIndex": HEADER, "endRowIndex": HEADER + 1,
                      "startColumnIndex": 0, "endColumnIndex": 1},
            "cell": {"userEnteredFormat": {"textFormat": {"foregroundColor": {"red": 1}}}},
            "fields": "userEnteredFormat.textFormat.foregroundColor"}},
    ])
    return sid


def backend_for(emulator: Emulator, key: Path, sid: str) -> GoogleBackend:
    return GoogleBackend(sid, credentials_from_file(key), endpoint=emulator.base_url,
                         register_tab=REGISTER)


def plan(backend: GoogleBackend, *, strict: bool = False, owners: tuple[str, ...] = REPS,
         protect: tuple[str, ...] = (DICTIONARY,), note: str = "as of 2026-11-26"
         ) -> tuple[ReadResult, RegisterSetup]:
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, SCHEMA, language="ja", owners=owners, as_of=TODAY)
    assert result.header is not None
    info = read.tab(REGISTER)
    setup = plan_setup(grid, result.header, SCHEMA, language="ja", owners=owners,
                       strict=strict, protect_tabs=list(protect),
                       row_count=info.row_count if info else None,
                       tabs=[dictionary_tab(SCHEMA, "ja", note, list(owners))])
    for tab in setup.tabs:
        tab.protected = bool(protect)
    return read, setup


def apply(emulator: Emulator, key: Path, sid: str, **kwargs: Any) -> RegisterSetup:
    backend = backend_for(emulator, key, sid)
    read, setup = plan(backend, **kwargs)
    backend.apply_setup(setup, read)
    return setup


def sheet(emulator: Emulator, sid: str, title: str = REGISTER) -> dict[str, Any]:
    ss = emulator.get_spreadsheet(sid, include_grid_data=True)
    return next(s for s in ss["sheets"] if s["properties"]["title"] == title)


def cell_grid(sheet_json: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [row.get("values", []) for row in sheet_json["data"][0].get("rowData", [])]


def at(grid: list[list[dict[str, Any]]], row: int, col: int) -> dict[str, Any]:
    """The cell at 0-based ``row``, ``col`` ({} when empty)."""
    if row >= len(grid) or col >= len(grid[row]):
        return {}
    return grid[row][col]


def column_of(setup: RegisterSetup, field: str) -> int:
    return next(c.column for c in setup.columns if c.field == field)


# -- the rules ---------------------------------------------------------------------------

def test_the_google_backend_is_a_sheet_editor(emulator: Emulator,
                                              service_account_key: Path) -> None:
    sid = emulator.create_spreadsheet("x", [REGISTER])
    assert isinstance(backend_for(emulator, service_account_key, sid), SheetEditor)


@pytest.mark.parametrize("strict", [False, True])
def test_validation_rules_have_the_right_ranges_conditions_lists_and_help(
        emulator: Emulator, service_account_key: Path, demo: str, strict: bool) -> None:
    setup = apply(emulator, service_account_key, demo, strict=strict)
    register = sheet(emulator, demo)
    grid = cell_grid(register)
    rows = register["properties"]["gridProperties"]["rowCount"]
    with_rule = [c for c in setup.columns if c.rule]
    assert len(with_rule) == 11
    labels = [c.label("ja") for c in next(f for f in SCHEMA.fields if f.name == "stage").choices]
    expected_lists = {"stage": labels, "owner": list(REPS), "rank": ["A", "B", "C", "D"]}
    for column in with_rule:
        assert column.rule is not None
        rules = [at(grid, r, column.column).get("dataValidation") for r in range(rows)]
        assert rules[:setup.first_data_row - 1] == [None] * (setup.first_data_row - 1)
        body = rules[setup.first_data_row - 1:]
        assert all(r == body[0] for r in body), column.field  # one rule down to the last row
        rule = body[0]
        assert rule is not None
        assert bool(rule.get("strict")) is strict
        assert rule["inputMessage"] == column.rule.help and rule["inputMessage"]
        condition = rule["condition"]
        if column.rule.kind == "list":
            assert condition["type"] == "ONE_OF_LIST" and rule["showCustomUi"] is True
            values = [v["userEnteredValue"] for v in condition["values"]]
            assert values == list(column.rule.values)
            if column.field in expected_lists:
                assert values == expected_lists[column.field]
        elif column.rule.kind == "date":
            assert condition == {"type": "DATE_IS_VALID"}
        elif column.rule.kind == "number_min":
            assert condition == {"type": "NUMBER_GREATER_THAN_EQ",
                                 "values": [{"userEnteredValue": "0"}]}
        else:
            assert condition == {"type": "NUMBER_BETWEEN", "values": [
                {"userEnteredValue": "0"}, {"userEnteredValue": "1"}]}
    assert {c.field for c in with_rule} >= {"stage", "owner", "rank", "lead_source",
                                            "probability", "amount", "expected_close"}


def test_foreign_rules_outside_managed_columns_survive_and_inside_are_replaced(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    setup = apply(emulator, service_account_key, demo)
    grid = cell_grid(sheet(emulator, demo))
    assert 18 not in {c.column for c in setup.columns}  # S: 社内メモ, not in the schema
    for row in range(3, 200):
        rule = at(grid, row, 18)["dataValidation"]
        assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == FOREIGN_LIST
    assert "dataValidation" not in at(grid, 200, 18)
    stage = column_of(setup, "stage")
    assert stage == 6
    # Google holds one rule per cell: sheetsync's replaced the rep's NOT_BLANK in フェーズ
    assert at(grid, 4, stage)["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"


# -- formats, header, notes, freeze --------------------------------------------------------

def test_formats_go_on_the_planned_spans_only(emulator: Emulator, service_account_key: Path,
                                              demo: str) -> None:
    before = cell_grid(sheet(emulator, demo))
    setup = apply(emulator, service_account_key, demo)
    after = cell_grid(sheet(emulator, demo))
    prob = next(c for c in setup.columns if c.field == "probability")
    assert prob.kept_rows  # plain 80s: a percent format would show them as 8000 %
    formatted = 0
    for column in setup.columns:
        rows = {r for a, b in column.format_rows for r in range(a, b + 1)}
        for row in range(1, setup.last_row + 1):
            new = at(after, row - 1, column.column).get("userEnteredFormat", {}).get(
                "numberFormat")
            old = at(before, row - 1, column.column).get("userEnteredFormat", {}).get(
                "numberFormat")
            if row in rows:
                assert column.number_format is not None
                assert new == {"type": number_format_type(column.number_format),
                               "pattern": column.number_format}, (column.field, row)
                formatted += 1
            else:
                assert new == old, (column.field, row)
    assert formatted > 1500
    grid = backend_for(emulator, service_account_key, demo).read().grids[REGISTER]
    for row in prob.kept_rows:
        assert type(grid.cell(row, prob.column + 1)) in (int, str)  # still what was typed


def test_header_is_bold_filled_frozen_and_noted(emulator: Emulator, service_account_key: Path,
                                                demo: str) -> None:
    setup = apply(emulator, service_account_key, demo)
    register = sheet(emulator, demo)
    assert register["properties"]["gridProperties"]["frozenRowCount"] == 3
    grid = cell_grid(register)
    for col in range(19):  # every header cell, managed or not
        fmt = at(grid, HEADER, col)["userEnteredFormat"]
        assert fmt["textFormat"]["bold"] is True and fmt["backgroundColor"]
    assert at(grid, HEADER, 0)["userEnteredFormat"]["textFormat"]["foregroundColor"] == \
        {"red": 1}  # the rep's font colour stays
    assert "userEnteredFormat" not in at(grid, 0, 0)  # the title row is left alone
    assert "userEnteredFormat" not in at(grid, HEADER, 19)
    for column in setup.columns:
        note = at(grid, HEADER, column.column).get("note")
        if column.field == "rank":  # someone else's note stays, sheetsync adds none
            assert note == "ヨミは毎週更新"
        elif column.note:
            assert note == NOTE_PREFIX + column.note
    assert at(grid, 9, 1)["note"] == "要確認"
    notes = {(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
             if cell.get("note")}
    assert notes == {(9, 1), (HEADER, 7)} | {(HEADER, c.column) for c in setup.columns
                                             if c.note}


@pytest.mark.parametrize(("frozen", "expected"), [
    ({}, {"frozenRowCount": 1}), ({"frozenRowCount": 4}, {"frozenRowCount": 4}),
    ({"frozenColumnCount": 2}, {"frozenRowCount": 1, "frozenColumnCount": 2}),
    ({"frozenRowCount": 1}, {"frozenRowCount": 1})])
def test_freeze_keeps_what_the_reps_set(emulator: Emulator, service_account_key: Path,
                                        frozen: dict[str, int], expected: dict[str, int]
                                        ) -> None:
    sid = emulator.create_spreadsheet("small", {REGISTER: [
        ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額"],
        ["D1", "a", "c", "佐藤", "提案", 100]]})
    if frozen:
        emulator.batch_update(sid, [{"updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": frozen},
            "fields": ",".join(f"gridProperties.{k}" for k in frozen)}}])
    apply(emulator, service_account_key, sid, protect=())
    grid = sheet(emulator, sid)["properties"]["gridProperties"]
    assert {k: v for k, v in grid.items() if k.startswith("frozen")} == expected


def test_stale_sheetsync_notes_are_removed_and_a_changed_roster_replaces_the_rule(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    apply(emulator, service_account_key, demo)
    setup = apply(emulator, service_account_key, demo, owners=("佐藤 健", "新人 太郎"))
    owner = column_of(setup, "owner")
    grid = cell_grid(sheet(emulator, demo))
    rule = at(grid, 3, owner)["dataValidation"]
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == ["佐藤 健", "新人 太郎"]
    # a note sheetsync wrote on a column that no longer gets one is removed
    emulator.batch_update(demo, [{"updateCells": {
        "start": {"sheetId": 0, "rowIndex": HEADER, "columnIndex": 18},
        "rows": [{"values": [{"note": NOTE_PREFIX + "an old description"}]}],
        "fields": "note"}}])
    apply(emulator, service_account_key, demo)
    assert "note" not in at(cell_grid(sheet(emulator, demo)), HEADER, 18)


# -- protections -----------------------------------------------------------------------

def test_owned_tabs_and_the_header_row_get_warning_only_protections(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    backend = backend_for(emulator, service_account_key, demo)
    backend.write([TabSpec("売上予測", [Column("a", "A")], [["x"]])], backend.read([]))
    read, setup = plan(backend, protect=(DICTIONARY, "売上予測", "存在しない"))
    result = backend.apply_setup(setup, read)
    assert result.tabs == [DICTIONARY, REGISTER, "売上予測"] and result.requests == 1
    ss = emulator.get_spreadsheet(demo)
    protections = {s["properties"]["title"]: s.get("protectedRanges", [])
                   for s in ss["sheets"]}
    ids = ids_of(emulator, demo)
    for name in (DICTIONARY, "売上予測"):
        (pr,) = protections[name]
        assert pr["warningOnly"] is True and pr["range"] == {"sheetId": ids[name]}
        assert pr["description"].startswith("sheetsync")
    (header,) = protections[REGISTER]
    assert header["warningOnly"] is True and header["description"].startswith("sheetsync")
    assert header["range"] == {"startRowIndex": HEADER, "endRowIndex": HEADER + 1}
    (foreign,) = protections["目標"]  # a manager's protection: left alone
    assert foreign["description"] == "経営企画のみ編集" and not foreign.get("warningOnly")
    assert protections["メモ"] == []
    read, setup = plan(backend, protect=(REGISTER,))
    with pytest.raises(BackendError, match="register"):
        backend.apply_setup(setup, read)


def test_older_sheetsync_protections_are_replaced(emulator: Emulator,
                                                  service_account_key: Path,
                                                  demo: str) -> None:
    ids = ids_of(emulator, demo)
    emulator.batch_update(demo, [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": ids["メモ"]}, "warningOnly": True,
        "description": LEGACY_PROTECTION_NOTE}}}, {"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": ids["メモ"]}, "warningOnly": True,
            "description": PROTECTION_NOTE}}}])
    apply(emulator, service_account_key, demo, protect=(DICTIONARY, "メモ"))
    (pr,) = sheet(emulator, demo, "メモ").get("protectedRanges", [])
    assert pr["description"] == PROTECTION_NOTE


# -- idempotence, values, requests -------------------------------------------------------

def test_applying_twice_gives_an_identical_spreadsheet_and_one_set_of_protections(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    apply(emulator, service_account_key, demo)
    once = emulator.snapshot(demo)
    apply(emulator, service_account_key, demo)  # planned afresh from what the first left
    twice = emulator.snapshot(demo)
    generations = [[m["metadataValue"] for m in s.pop("developerMetadata")]
                   for s in (once, twice)]
    assert generations == [["1"], ["2"]]
    assert twice == once
    protections = [(s["properties"]["title"], p["description"]) for s in twice["sheets"]
                   for p in s.get("protectedRanges", [])]
    assert sorted(protections) == sorted([(DICTIONARY, PROTECTION_NOTE),
                                          ("目標", "経営企画のみ編集"),
                                          (REGISTER, HEADER_PROTECTION_NOTE)])


def test_cell_values_are_untouched(emulator: Emulator, service_account_key: Path,
                                   demo: str) -> None:
    def values() -> dict[str, list[list[Any]]]:
        return {t: emulator.get_values(demo, f"'{t}'", value_render_option="UNFORMATTED_VALUE")
                for t in (REGISTER, "目標", "メモ")}

    before = values()
    grids_before = backend_for(emulator, service_account_key, demo).read(["目標", "メモ"]).grids
    apply(emulator, service_account_key, demo)
    assert values() == before
    grids = backend_for(emulator, service_account_key, demo).read().grids
    assert {n: grids[n] for n in grids_before} == grids_before


def test_one_batch_update_after_the_two_reads(emulator: Emulator, service_account_key: Path,
                                              demo: str) -> None:
    backend = backend_for(emulator, service_account_key, demo)
    emulator.reset_log()
    read, setup = plan(backend)
    backend.apply_setup(setup, read)
    assert emulator.log.reads == 2 and emulator.log.writes == 1
    assert emulator.log.count("spreadsheets.batchUpdate") == 1


def test_a_read_from_elsewhere_costs_one_more_metadata_read(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    read, setup = plan(backend_for(emulator, service_account_key, demo))
    other = backend_for(emulator, service_account_key, demo)
    emulator.reset_log()
    other.apply_setup(setup, read)
    assert emulator.log.reads == 1 and emulator.log.count("spreadsheets.get") == 1
    assert emulator.log.writes == 1 and emulator.log.count("spreadsheets.batchUpdate") == 1
    assert sheet(emulator, demo)["properties"]["gridProperties"]["frozenRowCount"] == 3


def test_the_field_dictionary_tab_is_written(emulator: Emulator, service_account_key: Path,
                                             demo: str) -> None:
    apply(emulator, service_account_key, demo)
    grid = backend_for(emulator, service_account_key, demo).read([DICTIONARY]).grids[DICTIONARY]
    assert [row[0] for row in grid.rows[2:]] == [f.label("ja") for f in SCHEMA.fields]
    assert grid.rows[1][0] == "項目名"


def dictionary_rows(grid: Grid, language: str = "ja") -> dict[str, dict[str, CellValue]]:
    """The 項目定義 tab's rows by field key, each as header → cell."""
    head = [str(h) for h in grid.rows[1]]
    key = head.index(dictionary_headers(language)["name"])
    return {str(r[key]): dict(zip(head, r)) for r in grid.rows[2:]}


def list_values(grid: list[list[dict[str, Any]]], row: int, col: int) -> list[str]:
    rule = at(grid, row, col)["dataValidation"]
    assert rule["condition"]["type"] == "ONE_OF_LIST"
    return [v["userEnteredValue"] for v in rule["condition"]["values"]]


def test_hold_is_in_the_stage_dropdown_and_explained_in_the_dictionary(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    setup = apply(emulator, service_account_key, demo)
    stage = column_of(setup, "stage")
    grid = cell_grid(sheet(emulator, demo))
    assert list_values(grid, 3, stage) == ["リード", "初回商談", "提案", "見積提出", "交渉", "保留",
                                           "受注", "失注"]
    help_text = at(grid, 3, stage)["dataValidation"]["inputMessage"]
    assert "保留：" in help_text and "見直し日" in help_text
    assert "保留：" in at(grid, HEADER, stage)["note"]
    backend = backend_for(emulator, service_account_key, demo)
    rows = dictionary_rows(backend.read([DICTIONARY]).grids[DICTIONARY])
    assert "交渉 (80%)・保留 (予測・フォロー対象外)・受注 (100%)" in str(rows["stage"]["選択肢"])
    assert "保留：" in str(rows["stage"]["説明"]) and "見直し日" in str(rows["stage"]["説明"])
    assert rows["next_action_date"]["必須"] == "フェーズが保留の場合は必須"


def test_a_team_hold_stage_is_what_the_dropdown_and_dictionary_show(
        emulator: Emulator, service_account_key: Path) -> None:
    data = yaml.safe_load(default_schema_text())
    data["fields"][5]["choices"][5] = {"value": "frozen", "ja": "凍結", "en": "Paused",
                                       "hold": True}
    schema = parse_schema(yaml.safe_dump(data, allow_unicode=True), "team.yaml")
    sid = emulator.create_spreadsheet("team", {REGISTER: [
        ["Deal ID", "Deal name", "Client", "Owner", "Stage", "Next action date",
         "Expected close"],
        ["D1", "a", "c", "Kim", "Paused", "2026/12/1", "2027/3/31"]]})
    backend = backend_for(emulator, service_account_key, sid)
    read = backend.read()
    grid = read.grids[REGISTER]
    result = validate_register(grid, schema, language="en")
    assert result.header is not None and result.report.valid
    setup = plan_setup(grid, result.header, schema, language="en",
                       tabs=[dictionary_tab(schema, "en", "note")])
    backend.apply_setup(setup, read)
    assert list_values(cell_grid(sheet(emulator, sid)), 1, 4) == [
        "Lead", "First meeting", "Proposal", "Quote sent", "Negotiation", "Paused", "Won", "Lost"]
    tab = DICTIONARY_TAB("en")
    rows = dictionary_rows(backend_for(emulator, service_account_key, sid).read([tab]).grids[tab],
                           "en")
    assert "Paused (out of forecasts and follow-ups)" in str(rows["stage"]["Allowed values"])
    assert "On hold" not in str(rows["stage"]["Allowed values"])
    assert rows["next_action_date"]["Required"] == "required when Stage is Paused"


# -- failures ------------------------------------------------------------------------------

def test_the_register_is_refused_as_a_setup_tab(emulator: Emulator, service_account_key: Path,
                                                demo: str) -> None:
    backend = backend_for(emulator, service_account_key, demo)
    read, setup = plan(backend)
    setup.tabs = [TabSpec(REGISTER, [Column("a", "A")], [["x"]])]
    before = emulator.snapshot(demo)
    with pytest.raises(BackendError, match="register"):
        backend.apply_setup(setup, read)
    assert emulator.snapshot(demo) == before


def test_another_sheetsync_write_since_the_read_fails_the_whole_batch(
        emulator: Emulator, service_account_key: Path, demo: str) -> None:
    backend = backend_for(emulator, service_account_key, demo)
    read, setup = plan(backend)
    other = backend_for(emulator, service_account_key, demo)
    other.write([TabSpec("売上予測", [Column("a", "A")], [["x"]])], other.read([]))
    before = emulator.snapshot(demo)
    with pytest.raises(FileChangedError):
        backend.apply_setup(setup, read)
    assert emulator.snapshot(demo) == before


def test_a_failed_batch_changes_nothing(emulator: Emulator, service_account_key: Path,
                                        demo: str) -> None:
    backend = backend_for(emulator, service_account_key, demo)
    read, setup = plan(backend)
    before = emulator.snapshot(demo)
    emulator.faults.fail_next_batch_update(status=400)
    with pytest.raises(BackendError):
        backend.apply_setup(setup, read)
    assert emulator.snapshot(demo) == before
