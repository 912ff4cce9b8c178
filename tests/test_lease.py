"""The run lease on a real workbook: scheduled runners skip, nobody interleaves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.config import parse_config
from sheetsync.errors import FileChangedError, LeaseHeldError
from sheetsync.grid import Grid
from sheetsync.history import SNAPSHOT_TAB
from sheetsync.lease import read_lease
from sheetsync.testing.xlsx import write_grids

JST = dt.timezone(dt.timedelta(hours=9), "JST")
T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=JST)
AS_OF = dt.date(2026, 11, 26)


@pytest.fixture
def book(tmp_path) -> Path:
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", [
        ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"],
        ["D-1", "更改", "A社", "佐藤", "リード", dt.date(2026, 12, 1)]])])
    (tmp_path / "config.yaml").write_text("schedule: {lease_minutes: 10}\n", encoding="utf-8")
    return tmp_path


def config(book: Path):
    return parse_config((book / "config.yaml").read_text(), book / "config.yaml")


def lease_in(book: Path):
    ws = openpyxl.load_workbook(book / "deals.xlsx")[SNAPSHOT_TAB]
    return read_lease(Grid(SNAPSHOT_TAB, [list(r) for r in ws.iter_rows(values_only=True)]))


def test_a_scheduled_runner_skips_while_another_holds_the_lease(book):
    pipeline.run(config(book), as_of=AS_OF, run_at=T0, runner="host-a:1", respect_lease=True)
    lease = lease_in(book)
    assert lease.owner == "host-a:1" and lease.expires == T0 + dt.timedelta(minutes=10)
    before = (book / "deals.xlsx").read_bytes()
    with pytest.raises(LeaseHeldError, match=r"host-a:1.*until 2026-11-26 09:10 JST"):
        pipeline.run(config(book), as_of=AS_OF, run_at=T0 + dt.timedelta(minutes=5),
                     runner="host-b:2", respect_lease=True)
    assert (book / "deals.xlsx").read_bytes() == before
    # the holder itself may run again; after expiry anyone may
    pipeline.run(config(book), as_of=AS_OF, run_at=T0 + dt.timedelta(minutes=6),
                 runner="host-a:1", respect_lease=True)
    pipeline.run(config(book), as_of=AS_OF, run_at=T0 + dt.timedelta(minutes=17),
                 runner="host-b:2", respect_lease=True)
    assert lease_in(book).owner == "host-b:2"


def test_a_manual_run_is_not_blocked_by_a_lease(book):
    pipeline.run(config(book), as_of=AS_OF, run_at=T0, runner="host-a:1", respect_lease=True)
    result = CliRunner().invoke(cli, ["run", "-c", str(book / "config.yaml")])
    assert result.exit_code == 0, result.output


class _Interleaved:
    """The real workbook backend, with another runner's whole run squeezed in between this
    run's read and its write (what two schedulers firing together can do)."""

    def __init__(self, book: Path, other) -> None:
        self.real = WorkbookBackend(book / "deals.xlsx")
        self.other = other

    def __getattr__(self, name):
        return getattr(self.real, name)

    def write(self, tabs, read):
        self.other()
        return self.real.write(tabs, read)


def test_two_runners_never_both_write_one_slot(book):
    def runner_a(minutes=0):
        pipeline.run(config(book), as_of=AS_OF, run_at=T0 + dt.timedelta(minutes=minutes),
                     runner="host-a:1", respect_lease=True)

    backend = _Interleaved(book, runner_a)
    with pytest.raises(LeaseHeldError, match="changed after this run read it"):
        pipeline.run(config(book), as_of=AS_OF, run_at=T0, runner="host-b:2",
                     respect_lease=True, backend=backend)
    assert lease_in(book).owner == "host-a:1"  # A's write stands, B wrote nothing
    # unscheduled, the same race is an error the user sees (exit 3), never a silent overwrite
    # (A runs a minute later: an identical rerun would leave the file byte-identical)
    backend = _Interleaved(book, lambda: runner_a(1))
    with pytest.raises(FileChangedError):
        pipeline.run(config(book), as_of=AS_OF, run_at=T0, runner="host-b:2",
                     backend=backend)
