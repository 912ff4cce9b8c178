"""One contract, two backends: the workbook (on ``tmp_path``) and Google (on the emulator).

Both hold the same cells, built from one list of rows: the workbook through openpyxl with
real date cells and percent formats, the Google sheet typed as a user would
(``USER_ENTERED``) with explicit number formats where typing alone would not give them.
Reading, writing then reading, and a whole ``sheetsync run`` must give the same answers.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync.backends import Backend
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.demo import write_demo_workbook
from sheetsync.grid import CellValue, Grid, PercentValue, date_to_serial
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, TabSpec
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids
from sheetsync.testing.xlsx import write_grids

D, DT, P = dt.date, dt.datetime, PercentValue
ROWS: dict[str, list[list[CellValue]]] = {
    "案件一覧": [
        ["案件ID", "登録日", "日時", "受注確率", "金額", "小数", "済", "メモ"],
        ["D-1", D(2026, 3, 31), DT(2026, 3, 31, 10, 30), P(0.8), 1200000, 1.5, True,
         '=IMPORTXML("http://x","//a")'],
        [],
        ["D-2", None, None, P(0.125), 0, -2.25, False, "+81 3-1234"],
        ["D-3", "2026/3/31", DT(2026, 1, 2, 0, 0, 30), None, 10**12, None, None,
         "東京都　千代田区"],
        ["#N/A", None, None, None, None, None, None, "末尾", None, None],
        [None, None],
    ],
    "目標": [["期間", "担当者", "目標金額"], ["FY2026-Q1", None, 30000000],
             ["FY2026-Q1", "佐藤", 12000000]],
    "メモ（非表示）": [["memo"]],
}


def expected(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """The grid contract: trailing blanks trimmed, blank rows kept inside."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def user_entered(value: CellValue) -> Any:
    """What a person types for ``value`` (USER_ENTERED input)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, PercentValue):
        return float(value)  # typed as a number; the percent format is set explicitly below
    if isinstance(value, str):
        return "'" + value  # text stays text, whatever it looks like
    return "" if value is None else value


def google_sheet(emulator: Emulator, grids: dict[str, list[list[CellValue]]]) -> str:
    sid = emulator.create_spreadsheet("contract", list(grids))
    ids = {s["properties"]["title"]: s["properties"]["sheetId"]
           for s in emulator.get_spreadsheet(sid)["sheets"]}
    formats = []
    for name, rows in grids.items():
        emulator.set_values(sid, f"'{name}'!A1", [[user_entered(v) for v in r] for r in rows],
                            value_input_option="USER_ENTERED")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, PercentValue):
                    formats.append({"repeatCell": {
                        "range": {"sheetId": ids[name], "startRowIndex": r, "endRowIndex": r + 1,
                                  "startColumnIndex": c, "endColumnIndex": c + 1},
                        "cell": {"userEnteredFormat": {"numberFormat": {
                            "type": "PERCENT", "pattern": "0%"}}},
                        "fields": "userEnteredFormat.numberFormat"}})
    formats.append({"updateSheetProperties": {
        "properties": {"sheetId": ids["メモ（非表示）"], "hidden": True}, "fields": "hidden"}})
    emulator.batch_update(sid, formats)
    return sid


def workbook_file(path: Path, grids: dict[str, list[list[CellValue]]]) -> Path:
    write_grids(path, [Grid(name, rows) for name, rows in grids.items()])
    import openpyxl  # hide the memo tab, as on the Google side

    wb = openpyxl.load_workbook(path)
    wb["メモ（非表示）"].sheet_state = "hidden"
    wb.save(path)
    return path


Factory = Callable[[dict[str, list[list[CellValue]]]], Backend]


@pytest.fixture(params=["workbook", "google"])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "workbook":
        def workbook(grids: dict[str, list[list[CellValue]]]) -> Backend:
            return WorkbookBackend(workbook_file(tmp_path / "deals.xlsx", grids),
                                   register_tab="案件一覧")
        return workbook
    emulator: Emulator = request.getfixturevalue("emulator")
    key: Path = request.getfixturevalue("service_account_key")

    def google(grids: dict[str, list[list[CellValue]]]) -> Backend:
        return GoogleBackend(google_sheet(emulator, grids), credentials_from_file(key),
                             endpoint=emulator.base_url, register_tab="案件一覧")
    return google


def owned_tabs() -> list[TabSpec]:
    columns = [Column("id", "案件ID"), Column("amount", "金額", "money"),
               Column("rate", "率", "ratio"), Column("n", "件数", "int"),
               Column("avg", "平均", "number"), Column("day", "日付", "date"),
               Column("at", "日時", "datetime"), Column("text", "備考")]
    rows = [
        [Link("D-1", "案件一覧", "A2"), 1200000, 0.625, 3, 2.5, D(2026, 3, 31),
         DT(2026, 3, 31, 10, 30), "=IMPORTXML(\"x\")"],
        [Link('a "quoted" link', "案件一覧", "A4"), 0, None, 0, None, None, None, "-5"],
        ["合計", 1200000, 1.25, 3, float("nan"), DT(2026, 4, 1), None, D(2026, 4, 2)],
        [None, None, None, None, None, None, None, True],
    ]
    return [
        TabSpec("売上予測", columns, rows, note="2026-05-01 時点",
                conditional=[CondFormat("rate", "lt", 1.0),
                             CondFormat("amount", "lt", threshold_column="n")],
                chart=ChartSpec("金額", "id", ("amount", "n"), (0, 3)), freeze_columns=1),
        TabSpec("_state", [Column("k", "key"), Column("v", "value")],
                [["a", "1"], ["b", "=2"]], hidden=True),
        TabSpec("空", [Column("k", "見出しだけ")]),
    ]


WRITTEN = {
    "売上予測": [
        ["2026-05-01 時点"],
        ["案件ID", "金額", "率", "件数", "平均", "日付", "日時", "備考"],
        ["D-1", 1200000, P(0.625), 3, 2.5, D(2026, 3, 31), DT(2026, 3, 31, 10, 30),
         "=IMPORTXML(\"x\")"],
        ['a "quoted" link', 0, None, 0, None, None, None, "-5"],
        ["合計", 1200000, P(1.25), 3, None, D(2026, 4, 1), None, D(2026, 4, 2)],
        [None, None, None, None, None, None, None, True],
    ],
    "_state": [["key", "value"], ["a", "1"], ["b", "=2"]],
    "空": [["見出しだけ"]],
}


def test_read_gives_the_contract_grids(make_backend: Factory) -> None:
    backend = make_backend(ROWS)
    read = backend.read()
    assert {name: grid.rows for name, grid in read.grids.items()} == \
        {name: expected(rows) for name, rows in ROWS.items()}
    assert [(t.name, t.index, t.hidden, t.row_count, t.column_count) for t in read.tabs] == [
        ("案件一覧", 0, False, 6, 8), ("目標", 1, False, 3, 3), ("メモ（非表示）", 2, True, 1, 1)]
    types = [type(v) for v in read.grids["案件一覧"].rows[1]]
    assert types == [str, D, DT, P, int, float, bool, str]
    partial = backend.read(["目標", "nope"])
    assert list(partial.grids) == ["目標"] and len(partial.tabs) == 3


def without_print_link(backend: Backend, rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """``rows`` of a written tab with a note, the print link Google adds to the note row
    (the workbook prints by its page setup instead) checked and left out."""
    note_row = rows[0]
    if isinstance(backend, GoogleBackend):
        assert note_row[-1] == "印刷用PDF（横・1ページ幅）"
        assert all(v is None for v in note_row[1:-1])
    else:
        assert len(note_row) == 1
    return [note_row[:1], *rows[1:]]


def test_write_then_read_gives_the_contract_grids(make_backend: Factory) -> None:
    backend = make_backend(ROWS)
    result = backend.write(owned_tabs(), backend.read(["案件一覧"]))
    assert result.tabs == ["売上予測", "_state", "空"] and result.requests == 1
    read = backend.read()
    grids = {n: read.grids[n].rows for n in WRITTEN}
    grids["売上予測"] = without_print_link(backend, grids["売上予測"])
    assert grids == WRITTEN
    assert read.grids["案件一覧"].rows == expected(ROWS["案件一覧"])  # untouched
    assert [(t.name, t.hidden) for t in read.tabs] == [
        ("案件一覧", False), ("目標", False), ("メモ（非表示）", True), ("売上予測", False),
        ("_state", True), ("空", False)]
    # a second run replaces the tabs in place
    backend.write(owned_tabs()[:1], read)
    again = backend.read()
    assert [t.name for t in again.tabs] == [t.name for t in read.tabs]
    assert without_print_link(backend, again.grids["売上予測"].rows) == WRITTEN["売上予測"]


def test_the_register_is_refused_by_both(make_backend: Factory) -> None:
    from sheetsync.errors import BackendError

    backend = make_backend(ROWS)
    with pytest.raises(BackendError, match="register tab"):
        backend.write([TabSpec("案件一覧", [Column("a", "A")])], backend.read())


def test_a_whole_run_gives_the_same_json_on_both_backends(
        emulator: Emulator, service_account_key: Path, tmp_path: Path) -> None:
    write_demo_workbook(tmp_path / "deals.xlsx", today=dt.date(2026, 5, 1))
    key = load_grids(emulator, WorkbookBackend(tmp_path / "deals.xlsx").read().grids)
    (tmp_path / "workbook.yaml").write_text("spreadsheet: {path: deals.xlsx}\n")
    (tmp_path / "google.yaml").write_text(
        f"spreadsheet:\n  backend: google\n  key: '{key}'\n"
        f"  credentials: {service_account_key.name}\n  endpoint: '{emulator.base_url}'\n")

    def run(config: str) -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(cli, ["run", "--format", "json", "--as-of", "2026-05-01",
                                          "--config", str(tmp_path / config)])
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)

    on_workbook, on_google = run("workbook.yaml"), run("google.yaml")
    assert on_google == on_workbook
    assert on_google[1]["validation"]["errors"] and on_google[1]["tabs_written"]
    # and the tabs written read back the same from both
    names = on_google[1]["tabs_written"]
    from_google = GoogleBackend(key, credentials_from_file(service_account_key),
                                endpoint=emulator.base_url).read(names)
    from_workbook = WorkbookBackend(tmp_path / "deals.xlsx").read(names)
    def cells(read: Any) -> dict[str, Any]:  # the notes hold run times (and a lease)
        return {n: g.rows[1:] for n, g in read.grids.items()}

    assert cells(from_google) == cells(from_workbook)
    # second runs (change history, snapshot) agree too
    assert run("google.yaml") == run("workbook.yaml")


# -- schema apply and fix through the CLI, on the demo register in both ----------------------

#: what the CLI takes as today (the config's time zone: Asia/Tokyo)
DEMO_TODAY = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Tokyo")).date()


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def _plan_lines(output: str) -> list[str]:
    """The plan part of `schema apply`'s output (not the closing "dry-run" or "applied to
    <location>" lines)."""
    lines = output.splitlines()
    end = next(i for i, line in enumerate(lines)
               if line.startswith(("--dry-run:", "適用しました:")))
    return lines[:end]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`schema apply --dry-run`, `schema apply` and `fix` on a workbook holding the demo."""
    folder = tmp_path_factory.mktemp("reference")
    write_demo_workbook(folder / "deals.xlsx", today=DEMO_TODAY)
    config = folder / "sheetsync.yaml"
    config.write_text("spreadsheet: {path: deals.xlsx}\n")
    plan = _cli("schema", "apply", "--dry-run", "--config", str(config)).output
    applied = _cli("schema", "apply", "--config", str(config)).output
    preview = json.loads(_cli("fix", "--config", str(config), "--format", "json").output)
    assert _plan_lines(applied) == _plan_lines(plan)
    return {"plan": _plan_lines(plan), "preview": preview}


class DemoSheet:
    """The demo register in one backend, driven through the CLI like a user would."""

    def __init__(self, kind: str, config: Path, backend: Backend,
                 edit: Callable[[str, Any], None],
                 before_recheck: Callable[[Callable[[], None]], None],
                 emulator: Emulator | None = None) -> None:
        self.kind, self.config, self.backend = kind, config, backend
        self.edit = edit  # a rep types a value into a register cell (A1)
        self.before_recheck = before_recheck  # run a rep's edit between plan and write
        self.emulator = emulator  # Google: the request log

    def register(self) -> Grid:
        return self.backend.read(["案件一覧"]).grids["案件一覧"]


@pytest.fixture(params=["workbook", "google"])
def demo_sheet(request: pytest.FixtureRequest, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> DemoSheet:
    path = tmp_path / "deals.xlsx"
    write_demo_workbook(path, today=DEMO_TODAY)
    config = tmp_path / "sheetsync.yaml"
    if request.param == "workbook":
        config.write_text("spreadsheet: {path: deals.xlsx}\n")
        import openpyxl

        def edit(a1: str, value: Any) -> None:
            wb = openpyxl.load_workbook(path)
            wb["案件一覧"][a1] = value
            wb.save(path)

        def before_recheck(action: Callable[[], None]) -> None:
            original = WorkbookBackend.edit_cells

            def edit_cells(self: WorkbookBackend, *args: Any, **kwargs: Any) -> Any:
                action()  # after the plan's read, before the backend checks the cells
                return original(self, *args, **kwargs)

            monkeypatch.setattr(WorkbookBackend, "edit_cells", edit_cells)

        return DemoSheet("workbook", config, WorkbookBackend(path), edit, before_recheck)
    emulator: Emulator = request.getfixturevalue("emulator")
    key_file: Path = request.getfixturevalue("service_account_key")
    key = load_grids(emulator, WorkbookBackend(path).read().grids)
    config.write_text(
        f"spreadsheet:\n  backend: google\n  key: '{key}'\n"
        f"  credentials: {key_file.name}\n  endpoint: '{emulator.base_url}'\n")

    def edit_google(a1: str, value: Any) -> None:
        emulator.set_values(key, f"'案件一覧'!{a1}", [[value]])

    def before_recheck_google(action: Callable[[], None]) -> None:
        # the plan's read is one values:batchGet; the check just before the write the next
        emulator.on_next("values.batchGet",
                         lambda: emulator.on_next("values.batchGet", action))

    backend = GoogleBackend(key, credentials_from_file(key_file), endpoint=emulator.base_url)
    return DemoSheet("google", config, backend, edit_google, before_recheck_google, emulator)


def _same_meaning(old: CellValue, new: CellValue) -> bool:
    """Equal, or the same number now shown with a date or percent format."""
    if new == old and (type(new) is type(old) or isinstance(new, PercentValue)):
        return True
    if isinstance(new, dt.date) and isinstance(old, (int, float)) \
            and not isinstance(old, bool):
        return date_to_serial(new) == old
    return False


def _protected_as(plan: list[str], kind: str) -> list[str]:
    """The workbook's plan as ``kind`` words it: the same plan, but each backend says what
    its protection is (the workbook's has no password; Google's only warns)."""
    if kind == "workbook":
        return plan
    return [line.replace("保護（パスワードなし）", "保護（警告のみ）") for line in plan]


def test_schema_apply_and_fix_through_the_cli(demo_sheet: DemoSheet,
                                              reference: dict[str, Any]) -> None:
    config = str(demo_sheet.config)
    plan = _protected_as(reference["plan"], demo_sheet.kind)
    assert any("保護（" in line for line in plan)
    # schema apply: the same plan, and no value changes meaning
    dry = _cli("schema", "apply", "--dry-run", "--config", config).output
    assert _plan_lines(dry) == plan
    before = demo_sheet.register()
    emulator = demo_sheet.emulator
    if emulator is not None:
        emulator.reset_log()
    applied = _cli("schema", "apply", "--config", config).output
    if emulator is not None:  # the run's two reads, then one batchUpdate
        assert (emulator.log.reads, emulator.log.writes) == (2, 1)
        assert emulator.log.count("spreadsheets.batchUpdate") == 1
    assert _plan_lines(applied) == plan
    after = demo_sheet.register()
    assert len(after.rows) == len(before.rows)
    for r, (old_row, new_row) in enumerate(zip(before.rows, after.rows), start=1):
        assert len(old_row) == len(new_row), r
        for c, (old, new) in enumerate(zip(old_row, new_row), start=1):
            assert _same_meaning(old, new), (r, c, old, new)

    # fix: the same preview; with --apply, a cell a rep changes meanwhile is skipped
    preview = json.loads(_cli("fix", "--config", config, "--format", "json").output)
    assert preview == reference["preview"]
    changes = preview["changes"]
    assert len(changes) > 50 and preview["applied"] is None
    raced = next(c for c in changes if c["column"] == "金額")
    demo_sheet.before_recheck(lambda: demo_sheet.edit(raced["cell"], "999万円"))
    if emulator is not None:
        emulator.reset_log()
    result = json.loads(_cli("fix", "--config", config, "--apply", "--format", "json").output)
    if emulator is not None:  # read, read again just before the write, write once
        assert (emulator.log.reads, emulator.log.writes) == (4, 1)
    assert result["changes"] == changes
    assert result["applied"] == [c["cell"] for c in changes if c is not raced]
    assert result["skipped"] == [{"cell": raced["cell"], "now": "999万円"}]
    # only the rep's cell is left to fix, holding what the rep typed
    again = json.loads(_cli("fix", "--config", config, "--format", "json").output)
    assert again["changes"] == [{**raced, "old": "999万円", "new": "¥9,990,000",
                                 "kind": "単位換算", "kinds": ["unit"]}]
