"""The state tab's format v2 (issue 14): compact chunks, a v1 tab migrated with its history
intact on both backends, a damaged tab refused with nothing written, and round trips."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.config import Config, parse_config
from sheetsync.errors import StateTabError
from sheetsync.grid import Grid
from sheetsync.history import (
    HISTORY_TAB,
    SNAPSHOT_TAB,
    Entry,
    Snapshot,
    fingerprint,
    read_snapshot,
    snapshot_tab,
    snapshot_tab_v1,
)
from sheetsync.lease import note_markers, read_lease
from sheetsync.packed import CHUNK_CHARS
from sheetsync.testing.load import cell_data, load_grids
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
          "最終接触日", "次回アクション", "次回アクション日", "完了日", "失注理由"]
DAY1, DAY2, DAY3, DAY4 = (dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16),
                          dt.date(2026, 11, 23))


def deal(deal_id: str, owner: str, client: str) -> list[Any]:
    return [deal_id, "更改", client, owner, "提案", "120万円", dt.date(2026, 12, 20),
            dt.date(2026, 10, 1), "訪問", dt.date(2026, 12, 31), None, None]


REGISTER = Grid("案件一覧", [HEADER, deal("D-1", "佐藤", "A社"), deal("D-2", "鈴木", "B社"),
                             deal("D-3", "高橋", "C社"), deal("D-4", "田中", "D社")])


def tab_grid(tab: Any) -> Grid:
    """A tab as a backend reads it back: the note, the header, the rows."""
    return Grid(tab.name, [[tab.note], [c.header for c in tab.columns], *tab.rows])


# -- the two backends, driven the same way ----------------------------------------------------


class Workbook:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "deals.xlsx"
        write_grids(self.path, [REGISTER])
        (folder / "config.yaml").write_text("language: ja\n", encoding="utf-8")
        self.config = parse_config("language: ja\n", folder / "config.yaml")
        self.config_path = folder / "config.yaml"

    def backend(self) -> WorkbookBackend:
        return WorkbookBackend(self.path)

    def edit(self, deal_id: str, label: str, value: Any) -> None:
        wb = openpyxl.load_workbook(self.path)
        ws = wb["案件一覧"]
        row = next(c.row for c in ws["A"] if c.value == deal_id)
        ws.cell(row, HEADER.index(label) + 1).value = value
        wb.save(self.path)


class Google:
    def __init__(self, folder: Path, emulator: Any, key: Path) -> None:
        self.emulator = emulator
        self.sid = load_grids(emulator, [REGISTER])
        (folder / "key.json").write_bytes(key.read_bytes())
        text = (f"language: ja\nspreadsheet: {{backend: google, key: {self.sid}, "
                f"credentials: key.json, endpoint: '{emulator.base_url}'}}\n")
        (folder / "config.yaml").write_text(text, encoding="utf-8")
        self.config = parse_config(text, folder / "config.yaml")
        self.config_path = folder / "config.yaml"

    def backend(self) -> GoogleBackend:
        return GoogleBackend.from_config(self.config)

    def sheet_id(self, title: str) -> int:
        return next(s["properties"]["sheetId"]
                    for s in self.emulator.get_spreadsheet(self.sid)["sheets"]
                    if s["properties"]["title"] == title)

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        """Cell (row, col), 0-based, of tab ``title`` set as a person would type it."""
        self.emulator.batch_update(self.sid, [{"updateCells": {
            "range": {"sheetId": self.sheet_id(title), "startRowIndex": row,
                      "endRowIndex": row + 1, "startColumnIndex": col,
                      "endColumnIndex": col + 1},
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            "rows": [{"values": [cell_data(value)]}]}}])

    def edit(self, deal_id: str, label: str, value: Any) -> None:
        rows = self.backend().read(["案件一覧"]).grids["案件一覧"].rows
        row = next(i for i, r in enumerate(rows) if r and r[0] == deal_id)
        self.set_cell("案件一覧", row, HEADER.index(label), value)


@pytest.fixture(params=["workbook", "google"])
def sheet(request: pytest.FixtureRequest, tmp_path: Path) -> Workbook | Google:
    if request.param == "workbook":
        return Workbook(tmp_path)
    return Google(tmp_path, request.getfixturevalue("emulator"),
                  request.getfixturevalue("service_account_key"))


def run(config: Config, day: dt.date) -> pipeline.RunResult:
    return pipeline.run(config, as_of=day)


def state_and_history(sheet: Workbook | Google) -> tuple[Grid, list[list[Any]]]:
    grids = sheet.backend().read([SNAPSHOT_TAB, HISTORY_TAB("ja")]).grids
    return grids[SNAPSHOT_TAB], [list(r) for r in grids[HISTORY_TAB("ja")].rows[2:]]


def write_as_v1(sheet: Workbook | Google) -> Snapshot:
    """Rewrite the state tab as versions before format v2 wrote it (through the backend's
    real write, the note's lease and markers kept); returns the snapshot it holds."""
    backend = sheet.backend()
    read = backend.read()
    state = read.grids[SNAPSHOT_TAB]
    snapshot = read_snapshot(state)
    backend.write([snapshot_tab_v1(snapshot, read_lease(state),
                                   list(note_markers(state).values()))], read)
    return snapshot


# -- a v1 spreadsheet, read and migrated -----------------------------------------------------


def test_a_v1_state_tab_is_migrated_with_its_history_intact(sheet: Workbook | Google) -> None:
    run(sheet.config, DAY1)
    sheet.edit("D-1", "フェーズ", "見積提出")  # a stage change
    sheet.edit("D-2", "受注予定日", dt.date(2027, 1, 31))  # pushed back: a slip only
    sheet.edit("D-4", "見込金額", "200万円")
    assert len(run(sheet.config, DAY2).changes) == 3
    v1 = write_as_v1(sheet)
    state, history = state_and_history(sheet)
    assert state.rows[0][0].startswith("sheetsync-snapshot v1 — ")
    assert state.rows[1][:2] == ["deal_id", "fingerprint"] and state.rows[1][7] == "stage_path"
    assert [r[0] for r in state.rows[2:]] == ["D-1", "D-2", "D-3", "D-4"]  # a row per deal
    # what the runs observed, by hand
    d1, d2, d3, d4 = (v1.entries[i] for i in ("D-1", "D-2", "D-3", "D-4"))
    assert (d1.first_seen, d1.last_changed, d1.stage_since, d1.close_pushes, d1.path) == (
        DAY1, DAY2, DAY2, 0, "proposal;quote:7")
    assert (d2.last_changed, d2.stage_since, d2.close_pushes, d2.path) == (
        None, DAY1, 1, "proposal")  # a slip is not an update
    assert (d3.last_changed, d3.stage_since, d3.close_pushes) == (None, DAY1, 0)
    assert (d4.last_changed, d4.stage_since, d4.close_pushes) == (DAY2, DAY1, 0)

    third = run(sheet.config, DAY3)  # the new version reads v1, writes v2
    assert third.changes == []
    state3, history3 = state_and_history(sheet)
    assert history3 == history  # no spurious 変更履歴 row
    assert state3.rows[0][0].startswith("sheetsync-state v2 — ")
    assert state3.rows[1][0].startswith("sheetsync-state v2 · records=4 · chunks=1 · sha256=")
    assert len(state3.rows) == 3  # note, header, one chunk
    migrated = read_snapshot(state3)
    assert migrated.entries == v1.entries and migrated.fields == v1.fields
    # 要フォロー案件 from the migrated state: D-1 and D-4 were updated a week ago (not listed);
    # D-2 only slipped and D-3 was never touched since 最終接触日 2026/10/01
    stale = {r["deal_id"]: r for r in third.to_json()["stale"]}
    assert sorted(stale) == ["D-2", "D-3"]
    assert [(stale[d]["days_since_update"], stale[d]["days_in_stage"],
             stale[d]["days_in_stage_at_least"], stale[d]["close_pushes"])
            for d in ("D-2", "D-3")] == [(46, 14, True, 1), (46, 14, True, 0)]

    sheet.edit("D-3", "見込金額", "90万円")  # then one edit is exactly one change
    fourth = run(sheet.config, DAY4)
    assert [(c.deal_id, c.field, c.old, c.new) for c in fourth.changes] == [
        ("D-3", "amount", "1200000", "900000")]
    _, history4 = state_and_history(sheet)
    assert history4[1:] == history
    assert history4[0][1:6] == ["D-3", "見込金額", "¥1,200,000", "¥900,000", "高橋"]
    after = read_snapshot(state_and_history(sheet)[0]).entries
    assert after["D-3"].last_changed == DAY4 and after["D-1"] == migrated.entries["D-1"]


def test_the_same_v2_tab_on_both_backends(emulator: Any, service_account_key: Path,
                                          tmp_path: Path) -> None:
    (tmp_path / "wb").mkdir()
    (tmp_path / "gs").mkdir()
    sheets = [Workbook(tmp_path / "wb"), Google(tmp_path / "gs", emulator, service_account_key)]
    for s in sheets:
        run(s.config, DAY1)
        s.edit("D-1", "フェーズ", "見積提出")
        run(s.config, DAY2)
    (wb, _), (gs, _) = (state_and_history(s) for s in sheets)
    assert wb.rows[1:] == gs.rows[1:]  # header and chunks, to the character


# -- a damaged tab is refused, nothing written -----------------------------------------------


def _chunk_edited(rows: list[list[Any]]) -> None:
    text = rows[2][0]
    rows[2][0] = text[:40] + ("A" if text[40] != "A" else "B") + text[41:]


def _chunk_removed(rows: list[list[Any]]) -> None:
    rows[2][0] = None


def _count_edited(rows: list[list[Any]]) -> None:
    rows[1][0] = rows[1][0].replace("records=4", "records=5")


def _header_removed(rows: list[list[Any]]) -> None:
    rows[1][0] = None


@pytest.mark.parametrize(("damage", "code"), [
    (_chunk_edited, "damaged_chunks|checksum_mismatch"), (_chunk_removed, "missing_chunks"),
    (_count_edited, "record_count"), (_header_removed, "no_header")])
def test_a_damaged_state_tab_is_refused_and_the_workbook_left_as_it_was(
        tmp_path: Path, damage: Any, code: str) -> None:
    sheet = Workbook(tmp_path)
    run(sheet.config, DAY1)
    wb = openpyxl.load_workbook(sheet.path)
    ws = wb[SNAPSHOT_TAB]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    damage(rows)
    for i, row in enumerate(rows, start=1):
        ws.cell(i, 1).value = row[0]
    wb.save(sheet.path)
    before = sheet.path.read_bytes()
    with pytest.raises(StateTabError) as caught:
        run(sheet.config, DAY2)
    assert caught.value.tab == SNAPSHOT_TAB and caught.value.code in code.split("|")
    result = CliRunner().invoke(cli, ["run", "-c", str(sheet.config_path), "--as-of",
                                      DAY2.isoformat()])
    assert result.exit_code == 3
    assert "非表示タブ _sheetsync_state を読み込めません" in result.output
    assert "何も書き込んでいません" in result.output
    assert sheet.path.read_bytes() == before


def test_a_damaged_state_tab_on_google_is_refused_and_nothing_written(
        emulator: Any, service_account_key: Path, tmp_path: Path) -> None:
    sheet = Google(tmp_path, emulator, service_account_key)
    run(sheet.config, DAY1)
    state = sheet.backend().read([SNAPSHOT_TAB]).grids[SNAPSHOT_TAB]
    rows = [list(r) for r in state.rows]
    _chunk_edited(rows)
    sheet.set_cell(SNAPSHOT_TAB, 2, 0, rows[2][0])
    before = sheet.backend().read()
    config = tmp_path / "config.yaml"
    config.write_text(config.read_text().replace("language: ja", "language: en"))
    result = CliRunner().invoke(cli, ["run", "-c", str(config), "--as-of", DAY2.isoformat(),
                                      "-f", "json"])
    assert result.exit_code == 3
    assert "the hidden tab _sheetsync_state cannot be read" in result.output
    after = sheet.backend().read()
    assert [t.name for t in after.tabs] == [t.name for t in before.tabs]
    assert after.grids == before.grids


# -- the format itself ------------------------------------------------------------------------


def _big_snapshot(n: int) -> Snapshot:
    fields = ("deal_id", "deal_name", "owner", "stage", "amount")
    day = dt.date(2026, 11, 1)
    entries = {}
    for i in range(n):
        values = "\t".join([f"D-{i:05d}", f"案件{i * 7919 % 10007}", f"担当{i % 13}",
                            "proposal", str(i * 104729 % 9_999_991)])
        entries[f"D-{i:05d}"] = Entry(fingerprint(values), day, None,
                                      day + dt.timedelta(days=i % 40), i % 3, values,
                                      f"lead;proposal:{i % 40}")
    return Snapshot(entries, fields)


def test_many_deals_take_few_cells_each_under_the_cell_limits() -> None:
    snapshot = _big_snapshot(20_000)
    tab = snapshot_tab(snapshot)
    cells = [row[0] for row in tab.rows]
    assert 2 <= len(cells) <= 30  # 20,000 deals: a few dozen cells, not 160,000
    assert max(map(len, cells)) <= CHUNK_CHARS <= 32_767  # Excel's limit, and Google's 50,000
    assert len(tab.columns) == 1 and tab.hidden
    again = read_snapshot(tab_grid(tab))
    assert again.entries == snapshot.entries and again.fields == snapshot.fields
    grid = tab_grid(tab)
    grid.rows[3], grid.rows[4] = grid.rows[4], grid.rows[3]  # two chunks swapped
    with pytest.raises(StateTabError) as caught:
        read_snapshot(grid)
    assert caught.value.code in ("damaged_chunks", "checksum_mismatch")
    del grid.rows[-1]  # the last chunk lost
    with pytest.raises(StateTabError, match="missing_chunks"):
        read_snapshot(grid)


def test_an_empty_snapshot_and_an_unknown_newer_format() -> None:
    tab = snapshot_tab(Snapshot())
    assert tab.rows == [] and read_snapshot(tab_grid(tab)).entries == {}
    grid = tab_grid(snapshot_tab(_big_snapshot(3)))
    grid.rows[1][0] = grid.rows[1][0].replace("sheetsync-state v2", "sheetsync-state v3")
    with pytest.raises(StateTabError, match="newer_format"):
        read_snapshot(grid)
    assert read_snapshot(None).entries == {}


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    fields = tuple(draw(st.lists(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), min_size=1,
                                 max_size=5, unique=True)))
    paths = draw(st.booleans())
    ids = draw(st.lists(_TEXT.filter(bool), max_size=20, unique=True))
    entries = {}
    for deal_id in ids:
        values = "\t".join(draw(_TEXT).translate(str.maketrans(
            {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})) for _ in fields)
        entries[deal_id] = Entry(fingerprint(values), draw(_DAYS), draw(st.none() | _DAYS),
                                 draw(st.none() | _DAYS), draw(st.integers(0, 500)), values,
                                 draw(_TEXT) if paths else None)
    return Snapshot(entries, fields)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_any_snapshot_round_trips_through_its_tab(snapshot: Snapshot) -> None:
    """Any 案件ID (tabs, newlines, backslashes, any script), any value and path, with or
    without paths: read back exactly — and a v1 tab of it reads the same."""
    again = read_snapshot(tab_grid(snapshot_tab(snapshot)))
    assert again.entries == snapshot.entries
    if snapshot.entries:
        assert again.fields == snapshot.fields
    # v1 reads every text back but a path of "" (no cell) — as v1 always did
    if all(e.path != "" for e in snapshot.entries.values()):
        assert read_snapshot(tab_grid(snapshot_tab_v1(snapshot))).entries == snapshot.entries


def test_the_note_row_keeps_the_lease_and_markers() -> None:
    from sheetsync.lease import Lease

    lease = Lease("host:1", dt.datetime(2026, 12, 4, 1, tzinfo=dt.timezone.utc))
    tab = snapshot_tab(_big_snapshot(2), lease, ['notified={"ab":"2026-12-04"}'])
    grid = tab_grid(tab)
    assert read_lease(grid) == lease
    assert note_markers(grid) == {"notified": 'notified={"ab":"2026-12-04"}'}
    assert json.loads(tab.note.split("lease=", 1)[1])["owner"] == "host:1"


def test_many_chunks_round_trip_through_both_backends(sheet: Workbook | Google) -> None:
    """A dozen chunks of up to 32,000 characters, written and read back by the real
    backends."""
    snapshot = _big_snapshot(20_000)
    backend = sheet.backend()
    backend.write([snapshot_tab(snapshot)], backend.read())
    state = sheet.backend().read([SNAPSHOT_TAB]).grids[SNAPSHOT_TAB]
    chunks = [r[0] for r in state.rows[2:]]
    assert len(chunks) > 5 and f"· chunks={len(chunks)} ·" in state.rows[1][0]
    assert {len(c) for c in chunks[:-1]} == {CHUNK_CHARS}  # full, but the last
    assert 0 < len(chunks[-1]) <= CHUNK_CHARS
    again = read_snapshot(state)
    assert again.entries == snapshot.entries and again.fields == snapshot.fields
