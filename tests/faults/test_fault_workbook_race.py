"""Issue 11 #1 and #7: a rep's save is never lost to a run, and a killed run leaves nothing
behind that the next run does not clean up.

A rep's Excel saves the way Excel does: writes a temp file, then ``os.replace`` onto the
workbook. Each test lands that save at one step of the run's commit (see
``sheetsync.backends.workbook.commit``) by wrapping the file-system call of that step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.errors import FileChangedError
from sheetsync.grid import Grid
from sheetsync.testing.xlsx import write_grids

REGISTER = [["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日"],
            ["D-1", "更改", "A社", "佐藤", "提案", 1_000_000, "2026/12/20"]]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", REGISTER)])
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    return tmp_path / "deals.xlsx"


class Rep:
    """A rep with the workbook open in Excel: they change 案件名 of D-1, and save as Excel
    saves — a temp file, then a rename over the workbook."""

    def __init__(self, book: Path, value: str) -> None:
        self.book = book
        wb = openpyxl.load_workbook(book)
        wb["案件一覧"]["B2"] = value
        temp = book.with_name("~excel-edit.xlsx")
        wb.save(temp)
        self.data = temp.read_bytes()
        temp.unlink()
        self.saved = False

    def save(self) -> None:
        temp = self.book.with_name("~excel-save.tmp")
        temp.write_bytes(self.data)
        os.replace(temp, self.book)
        self.saved = True


def run(book: Path) -> None:
    config = parse_config("language: ja\n", book.with_name("config.yaml"))
    pipeline.run(config, as_of=None)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith((".tmp", ".old")) and not p.name.startswith("~"))


def test_a_save_right_after_the_run_links_its_file_survives(book, monkeypatch):
    """The issue's reproduction: right after the run's (real) link, the rep's save lands."""
    real_link = os.link
    rep = Rep(book, "担当者が保存した版")

    def link(src, dst, *args, **kwargs):
        real_link(src, dst, *args, **kwargs)
        if Path(dst) == book and not rep.saved:
            rep.save()

    monkeypatch.setattr(os, "link", link)
    run(book)
    assert rep.saved and book.read_bytes() == rep.data  # the rep's edit is in the workbook
    assert leftovers(book.parent) == []


def test_a_save_between_the_check_and_the_set_aside_wins(book, monkeypatch):
    real_rename = os.rename
    rep = Rep(book, "チェック直後の保存")

    def rename(src, dst, *args, **kwargs):
        if Path(src) == book and not rep.saved:
            rep.save()
        real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    before_bak = book.with_name("deals.xlsx.bak").exists()
    with pytest.raises(FileChangedError, match="nothing was written"):
        run(book)
    assert book.read_bytes() == rep.data
    assert book.with_name("deals.xlsx.bak").exists() is before_bak
    assert leftovers(book.parent) == []


def test_a_save_while_the_workbook_is_set_aside_wins(book, monkeypatch):
    original = book.read_bytes()
    real_link = os.link
    rep = Rep(book, "退避中の保存")

    def link(src, dst, *args, **kwargs):
        if Path(dst) == book and not rep.saved:  # the workbook's name is free: the rep saves
            rep.save()
        real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(FileChangedError):
        run(book)
    assert book.read_bytes() == rep.data  # the save stands
    assert book.with_name("deals.xlsx.bak").read_bytes() == original  # the version read
    assert leftovers(book.parent) == []


def test_without_a_race_the_run_writes_and_keeps_the_backup(book):
    original = book.read_bytes()
    run(book)
    assert "売上予測" in openpyxl.load_workbook(book).sheetnames
    assert book.with_name("deals.xlsx.bak").read_bytes() == original
    assert leftovers(book.parent) == []


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from sheetsync import pipeline
    from sheetsync.config import load_config

    book = Path(sys.argv[1])
    real_link = os.link

    def link(src, dst, *args, **kwargs):
        if Path(dst) == book:  # the workbook is set aside, the new file not yet in place
            os.kill(os.getpid(), signal.SIGKILL)
        real_link(src, dst, *args, **kwargs)

    os.link = link
    pipeline.run(load_config(book.with_name("config.yaml")))
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_run_killed_mid_commit_is_undone_by_the_next_run(book):
    original = book.read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED_RUN, str(book)], capture_output=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not book.exists()  # the kill left the workbook set aside …
    assert any(n.endswith(".old") for n in leftovers(book.parent))
    assert any(n.endswith(".tmp") for n in leftovers(book.parent))
    read = WorkbookBackend(book).read()  # … and the next run puts it back first
    assert book.read_bytes() == original and read.grids["案件一覧"].rows[1][0] == "D-1"
    assert leftovers(book.parent) == []
    run(book)  # and then writes as usual
    assert leftovers(book.parent) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_temp_file_of_a_run_killed_before_its_commit_is_removed(book):
    """Issue 11 #7: a kill while the new file is written left a file-sized hidden temp."""
    script = KILLED_RUN.replace("if Path(dst) == book:", "if True:").replace(
        "os.link = link", "os.rename = lambda *a, **k: link(None, None)")
    original = book.read_bytes()
    proc = subprocess.run([sys.executable, "-c", script, str(book)], capture_output=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert book.read_bytes() == original  # killed before touching the workbook
    (temp,) = leftovers(book.parent)
    assert temp.endswith(".tmp") and book.with_name(temp).stat().st_size > 1000
    run(book)
    assert leftovers(book.parent) == []
