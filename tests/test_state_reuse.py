"""The state tab written back as read when nothing in it changed (issue 14): a run that sees
no edit writes the cells it read — on both backends, the same cells encoding would give —
and any change (an edit, a deal added or removed, a field list changed, a path seeded) is
encoded again. A snapshot's entries compare without the fingerprint format v2 no longer
stores; the v1 writer computes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import history, pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.history import (
    SNAPSHOT_TAB,
    Entry,
    Snapshot,
    fingerprint,
    fingerprint_of,
    read_snapshot,
    snapshot_tab,
    snapshot_tab_v1,
    state_text,
)
from sheetsync.packed import pack
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
          "最終接触日", "次回アクション", "次回アクション日"]
DAY1, DAY2, DAY3 = dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)
REGISTER = Grid("案件一覧", [HEADER, *[
    [f"D-{i}", "更改", f"{name}社", owner, "提案", "120万円", dt.date(2026, 12, 20),
     dt.date(2026, 10, 1), "訪問", dt.date(2026, 12, 31)]
    for i, (name, owner) in enumerate([("A", "佐藤"), ("B", "鈴木"), ("C", "高橋"),
                                       ("D", "田中")], start=1)]])
STAGE = HEADER.index("フェーズ")


def tab_grid(tab: Any) -> Grid:
    """A tab as a backend reads it back: the note, the header, the rows."""
    return Grid(tab.name, [[tab.note], [c.header for c in tab.columns], *tab.rows])


class Sheet:
    """The register on one backend: a workbook file, or a spreadsheet in the emulator."""

    def __init__(self, kind: str, folder: Path, request: pytest.FixtureRequest) -> None:
        if kind == "workbook":
            self.path = folder / "deals.xlsx"
            write_grids(self.path, [REGISTER])
            text = "language: ja\n"
        else:
            self.emulator = request.getfixturevalue("emulator")
            key = request.getfixturevalue("service_account_key")
            self.sid = load_grids(self.emulator, [REGISTER])
            (folder / "key.json").write_bytes(key.read_bytes())
            text = (f"language: ja\nspreadsheet: {{backend: google, key: {self.sid}, "
                    f"credentials: key.json, endpoint: '{self.emulator.base_url}'}}\n")
        self.kind = kind
        (folder / "config.yaml").write_text(text, encoding="utf-8")
        self.config = parse_config(text, folder / "config.yaml")

    def backend(self) -> Any:
        if self.kind == "workbook":
            return WorkbookBackend(self.path)
        return GoogleBackend.from_config(self.config)

    def set_stage(self, row: int, stage: str) -> None:
        """The フェーズ of the register's ``row`` (1: the first deal) typed anew."""
        if self.kind == "workbook":
            wb = openpyxl.load_workbook(self.path)
            wb["案件一覧"].cell(row + 1, STAGE + 1).value = stage
            wb.save(self.path)
            return
        sheet_id = next(s["properties"]["sheetId"]
                        for s in self.emulator.get_spreadsheet(self.sid)["sheets"]
                        if s["properties"]["title"] == "案件一覧")
        self.emulator.batch_update(self.sid, [{"updateCells": {
            "range": {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": row + 1,
                      "startColumnIndex": STAGE, "endColumnIndex": STAGE + 1},
            "fields": "userEnteredValue", "rows": [{"values": [cell_data(stage)]}]}}])


@pytest.fixture(params=["workbook", "google"])
def sheet(request: pytest.FixtureRequest, tmp_path: Path) -> Sheet:
    return Sheet(request.param, tmp_path, request)


def state_cells(sheet: Sheet) -> list[Any]:
    """The state tab's column A after the note row: the header cell, then the chunks."""
    grid = sheet.backend().read([SNAPSHOT_TAB]).grids[SNAPSHOT_TAB]
    return [row[0] if row else None for row in grid.rows[1:]]


def test_a_run_without_edits_writes_the_cells_it_read(sheet: Sheet,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.run(sheet.config, as_of=DAY1)
    first = state_cells(sheet)
    assert first[0].startswith("sheetsync-state v2 · records=4 · chunks=1 ·")

    def no_encoding(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an unchanged snapshot was encoded again")

    with monkeypatch.context() as patched:
        patched.setattr(history, "pack", no_encoding)
        result = pipeline.run(sheet.config, as_of=DAY2)  # nothing edited
    assert result.changes == [] and SNAPSHOT_TAB in result.written.tabs
    assert state_cells(sheet) == first

    sheet.set_stage(3, "見積提出")  # D-3
    result = pipeline.run(sheet.config, as_of=DAY3)
    assert [(c.deal_id, c.field, c.old, c.new) for c in result.changes] == [
        ("D-3", "stage", "proposal", "quote")]
    after = state_cells(sheet)
    assert after != first and after[0].startswith("sheetsync-state v2 · records=4 ·")
    snapshot = read_snapshot(Grid(SNAPSHOT_TAB, [["note"], *[[c] for c in after]]))
    entry = snapshot.entries["D-3"]
    assert entry.stage_since == DAY3 and entry.last_changed == DAY3
    assert snapshot.values_of(entry)["stage"] == "quote"


def _snapshot() -> Snapshot:
    day = dt.date(2026, 11, 2)
    fields = ("deal_id", "stage", "amount")
    rows = {"D-1": "D-1\tproposal\t1200000", "D-2": "D-2\tquote\t", "D-3": "D-3\twon\t90"}
    return Snapshot({i: Entry(fingerprint(v), day, None, day, 0, v, "proposal")
                     for i, v in rows.items()}, fields)


def test_the_kept_cells_are_what_encoding_gives() -> None:
    read = read_snapshot(tab_grid(snapshot_tab(_snapshot())))
    assert read.packed is not None
    header, chunks = pack("sheetsync-state", 2, state_text(read), records=3)
    for same in (read, Snapshot(dict(reversed(list(read.entries.items()))), read.fields)):
        tab = snapshot_tab(same, read=read)
        assert tab.columns[0].header == header and tab.rows == [[c] for c in chunks]


def test_any_change_is_encoded_again() -> None:
    read = read_snapshot(tab_grid(snapshot_tab(_snapshot())))
    entries = read.entries
    day = dt.date(2026, 11, 9)
    edited = dict(entries, **{"D-2": Entry("", day, day, day, 0, "D-2\tquote\t500",
                                          "proposal")})
    added = dict(entries, **{"D-4": Entry("", day, None, day, 0, "D-4\tlead\t", "lead")})
    removed = {k: v for k, v in entries.items() if k != "D-3"}
    equal_copy = dict(entries, **{"D-1": Entry(**vars(entries["D-1"]))})  # equal, not same
    cases = [Snapshot(edited, read.fields), Snapshot(added, read.fields),
             Snapshot(removed, read.fields), Snapshot(entries, ("deal_id", "stage", "rank")),
             Snapshot(equal_copy, read.fields)]
    for snapshot in cases:
        assert not read.packed.holds(snapshot)  # type: ignore[union-attr]
        tab = snapshot_tab(snapshot, read=read)
        header, chunks = pack("sheetsync-state", 2, state_text(snapshot),
                              records=len(snapshot.entries))
        assert tab.columns[0].header == header and tab.rows == [[c] for c in chunks]
        assert read_snapshot(tab_grid(tab)).entries == snapshot.entries


def test_entries_compare_without_the_fingerprint_the_v1_writer_computes() -> None:
    snapshot = _snapshot()
    read = read_snapshot(tab_grid(snapshot_tab(snapshot)))
    assert {e.fingerprint for e in read.entries.values()} == {""}  # v2 does not store it
    assert read.entries == snapshot.entries
    assert fingerprint_of(read.entries["D-1"]) == fingerprint("D-1\tproposal\t1200000")
    v1 = snapshot_tab_v1(read)
    assert [row[1] for row in v1.rows] == [fingerprint(e.values)
                                           for _, e in sorted(snapshot.entries.items())]
    again = read_snapshot(tab_grid(v1))
    assert again.entries == snapshot.entries and again.packed is None
    assert again.entries["D-2"].fingerprint == fingerprint("D-2\tquote\t")
