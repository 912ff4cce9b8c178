"""`sheetsync fix` and 変更履歴 on both backends, ja and en, driven through the CLI
(issue 10 #2, #3, #6, #7).

One register holds what reps really type: ``６０％`` and ``90%`` as text, ``120万円``, a
date typed as text, ``受注 `` with a trailing space, an owner missing from the roster and a
note that starts with ``?``. A run starts the history, `schema apply` turns protection on,
then `fix` previews and applies, and a rep's later edit is observed by a second run.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync.backends import open_backend
from sheetsync.cli import cli
from sheetsync.config import Config, load_config
from sheetsync.grid import CellValue, Grid
from sheetsync.history import HISTORY_TAB
from sheetsync.schema import load_schema
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids
from sheetsync.testing.xlsx import write_grids

D = dt.date
SCHEMA = load_schema()
HEADERS = {
    "ja": ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注確率", "見込金額",
           "受注予定日", "最終接触日", "次回アクション", "次回アクション日", "失注理由", "備考"],
    "en": ["Deal ID", "Deal name", "Client", "Owner", "Stage", "Win probability", "Amount",
           "Expected close", "Last activity", "Next action", "Next action date",
           "Loss reason", "Notes"],
}
REGISTER = {"ja": "案件一覧", "en": "Deals"}
#: the roster, and a rep who is not (yet) on it
OWNERS = {"ja": ["佐藤", "鈴木"], "en": ["Sato", "Suzuki"]}
STRANGER = {"ja": "高橋さん", "en": "Takahashi-san"}
STAGE = {"ja": ("提案", "受注 ", "受注", "交渉"), "en": ("Proposal", "Won ", "Won", "Negotiation")}


def register(language: str) -> list[list[CellValue]]:
    owner, other = OWNERS[language][0], STRANGER[language]
    proposal, won_typed, _, _ = STAGE[language]
    return [
        HEADERS[language],
        ["D-1", "更改", "A社", owner, proposal, "６０％", "120万円", "2026/10/20",
         D(2026, 10, 1), "訪問", D(2026, 12, 1), None, "?要確認"],
        ["D-2", "増設", "B社", other, won_typed, "90%", "300万円", D(2026, 10, 20),
         D(2026, 10, 1), "請求", D(2026, 12, 1), None, None],
    ]


class Sheet:
    """The register in one backend, with a config in ``language``."""

    def __init__(self, config: Path, language: str, emulator: Emulator | None,
                 key: str | None) -> None:
        self.config_path, self.language = config, language
        self.emulator, self.key = emulator, key

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--config", str(self.config_path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.output
        return result.output

    def configure(self, extra: str) -> None:
        with self.config_path.open("a", encoding="utf-8") as f:
            f.write(extra)

    def tab(self, name: str) -> Grid:
        return open_backend(self.config).read([name]).grids[name]

    def history(self) -> list[list[CellValue]]:
        """変更履歴's rows under its header (each padded to its seven columns)."""
        rows = self.tab(HISTORY_TAB(self.language)).rows[2:]
        return [[*r, *([None] * (7 - len(r)))] for r in rows]

    def edit(self, a1: str, value: Any) -> None:
        """A rep types ``value`` into a register cell."""
        tab = REGISTER[self.language]
        if self.emulator is None:
            import openpyxl

            path = self.config.workbook_path
            wb = openpyxl.load_workbook(path)
            wb[tab][a1] = value
            wb.save(path)
        else:
            self.emulator.set_values(self.key, f"'{tab}'!{a1}", [[value]])

    def protected(self, name: str) -> bool:
        if self.emulator is None:
            import openpyxl

            return bool(openpyxl.load_workbook(self.config.workbook_path)[name].protection.sheet)
        sheet = next(s for s in self.emulator.get_spreadsheet(self.key)["sheets"]
                     if s["properties"]["title"] == name)
        return any(p.get("warningOnly") for p in sheet.get("protectedRanges", []))


@pytest.fixture(params=["workbook-ja", "workbook-en", "google-ja", "google-en"])
def sheet(request: pytest.FixtureRequest, tmp_path: Path) -> Sheet:
    kind, language = request.param.split("-")
    grid = Grid(REGISTER[language], register(language))
    owners = ", ".join(OWNERS[language])
    base = f"language: {language}\nowners: [{owners}]\n"
    config = tmp_path / "sheetsync.yaml"
    if kind == "workbook":
        write_grids(tmp_path / "deals.xlsx", [grid])
        config.write_text(base + "spreadsheet: {path: deals.xlsx}\n", encoding="utf-8")
        return Sheet(config, language, None, None)
    emulator: Emulator = request.getfixturevalue("emulator")
    key_file: Path = request.getfixturevalue("service_account_key")
    key = load_grids(emulator, [grid])
    config.write_text(base + f"spreadsheet:\n  backend: google\n  key: '{key}'\n"
                             f"  credentials: {key_file.name}\n"
                             f"  endpoint: '{emulator.base_url}'\n", encoding="utf-8")
    return Sheet(config, language, emulator, key)


#: (cell, kinds) of the planned fixes, in sheet order
PLANNED = [
    ("F2", ["full_width", "text_to_percent"]),
    ("G2", ["unit"]),
    ("H2", ["text_to_date"]),
    ("E3", ["trim"]),
    ("F3", ["text_to_percent"]),
    ("G3", ["unit"]),
]
KIND_LABELS = {
    "ja": ["全角→半角・文字列→パーセント", "単位換算", "文字列→日付", "空白除去",
           "文字列→パーセント", "単位換算"],
    "en": ["full-width → half-width, text → percent", "unit conversion", "text → date",
           "spaces trimmed", "text → percent", "unit conversion"],
}


def label(language: str, name: str) -> str:
    return SCHEMA.field(name).label(language)


def prepare(sheet: Sheet) -> None:
    sheet.cli("run", "--as-of", "2026-11-01")  # the first run starts 変更履歴
    sheet.cli("schema", "apply")  # the team puts the schema into the sheet


def test_fix_history_shows_each_unit_once(sheet: Sheet) -> None:
    """#2: ６０％ and 90% typed as text were shown as ６０％% and 90%%."""
    prepare(sheet)
    sheet.cli("fix", "--apply")
    rows = {(r[1], r[2]): r[3:5] for r in sheet.history()}
    probability = label(sheet.language, "probability")
    assert rows[("D-1", probability)] == ["６０％", "60%"]
    assert rows[("D-2", probability)] == ["90%", "90%"]
    assert rows[("D-1", label(sheet.language, "amount"))] == ["120万円", "¥1,200,000"]
    assert rows[("D-1", label(sheet.language, "expected_close"))] == ["2026/10/20",
                                                                      "2026/10/20"]


def test_history_never_shows_the_unreadable_marker(sheet: Sheet) -> None:
    """#3: an owner missing from the roster was shown as ?高橋さん."""
    prepare(sheet)
    language, stranger = sheet.language, STRANGER[sheet.language]
    # a rep's edits, observed by a run: the owner outside the roster is shown as typed,
    # and a note that starts with "?" keeps it
    sheet.edit("E3", STAGE[language][3])
    sheet.edit("M2", "?確認済")
    sheet.cli("run", "--as-of", "2026-11-02")
    assert [r[1:] for r in sheet.history()] == [
        ["D-1", label(language, "notes"), "?要確認", "?確認済", OWNERS[language][0], None],
        ["D-2", label(language, "stage"), STAGE[language][2], STAGE[language][3], stranger,
         None],
    ]
    # and so do the rows `fix --apply` adds
    sheet.cli("fix", "--apply")
    rows = sheet.history()
    assert len(rows) == 2 + len(PLANNED) - 1  # E3 needs no fix any more
    assert {r[5] for r in rows if r[1] == "D-2"} == {stranger}
    sheet.cli("run", "--as-of", "2026-11-03")  # the fixes changed no value's meaning
    assert sheet.history() == rows


@pytest.mark.parametrize("protect", [True, False])
def test_fix_apply_protects_history_exactly_as_a_run_does(sheet: Sheet, protect: bool) -> None:
    """#6: `fix --apply` rewrote 変更履歴 without the protection a run keeps on it."""
    if not protect:
        sheet.configure("enforce: {protect_tabs: false}\n")
    prepare(sheet)
    history = HISTORY_TAB(sheet.language)
    assert sheet.protected(history) is protect
    sheet.cli("fix", "--apply")
    assert len(sheet.history()) == len(PLANNED)
    assert sheet.protected(history) is protect
    sheet.cli("run", "--as-of", "2026-11-02")
    assert sheet.protected(history) is protect


def test_fix_names_the_kind_of_each_change(sheet: Sheet) -> None:
    """#7: the preview and 変更履歴 listed changes that look identical without saying what
    changes."""
    prepare(sheet)
    language = sheet.language
    preview = json.loads(sheet.cli("fix", "--format", "json"))
    changes = preview["changes"]
    assert [(c["cell"], c["kinds"]) for c in changes] == PLANNED
    assert [c["kind"] for c in changes] == KIND_LABELS[language]
    # the keys there were are still there, meaning what they meant
    assert set(preview) == {"changes", "applied", "skipped"}
    assert all(set(c) == {"cell", "column", "old", "new", "kind", "kinds"} for c in changes)
    date = next(c for c in changes if c["cell"] == "H2")
    assert (date["column"], date["old"], date["new"]) == (
        label(language, "expected_close"), "2026/10/20", "2026/10/20")
    table = sheet.cli("fix")
    header = next(line for line in table.splitlines() if line.strip())
    assert header.split()[-1] == ("修正内容" if language == "ja" else "Fix")
    assert ("文字列→日付" if language == "ja" else "text → date") in table

    applied = json.loads(sheet.cli("fix", "--apply", "--format", "json"))
    assert applied["applied"] == [cell for cell, _ in PLANNED]
    assert applied["changes"] == changes
    history = sheet.tab(HISTORY_TAB(language))
    assert history.rows[1][6] == ("修正内容" if language == "ja" else "Fix")
    stamp, = {r[0] for r in sheet.history()}
    assert isinstance(stamp, dt.datetime)
    assert [r[6] for r in sheet.history()] == KIND_LABELS[language]
