"""sheetsync.forked: work on the second core in a forked child — its result, its errors, a
child that dies, when it is used at all — and a run whose independent reports are computed
in a child gives exactly the JSON of a run that computes them here."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import threading

import pytest

from sheetsync import forked, pipeline
from sheetsync.config import parse_config
from sheetsync.demo import write_demo_workbook

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="forks only on Linux")


@pytest.fixture
def always_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork whatever the size (the test runner's own threads aside)."""
    monkeypatch.setattr(forked, "can_fork", lambda rows: True)


@needs_fork
def test_the_work_runs_in_a_child_and_its_result_comes_back(always_fork) -> None:
    here = os.getpid()
    pending = forked.start(lambda: {"pid": os.getpid(), "rows": [1, "二", None]}, 0)
    result = pending.result()
    assert result["pid"] != here and result["rows"] == [1, "二", None]


@needs_fork
def test_an_error_in_the_child_is_raised_here(always_fork) -> None:
    def work() -> None:
        raise ValueError("見込金額が読めません")

    with pytest.raises(ValueError, match="見込金額が読めません"):
        forked.start(work, 0).result()


@needs_fork
def test_a_child_that_dies_leaves_the_work_to_this_process(always_fork) -> None:
    here = os.getpid()

    def work() -> int:
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGKILL)  # killed, out of memory: no answer
        return os.getpid()

    assert forked.start(work, 0).result() == here


@needs_fork
def test_a_cancelled_child_is_ended_and_reaped(always_fork) -> None:
    pending = forked.start(lambda: threading.Event().wait(60), 0)
    pid = pending._pid
    assert pid is not None
    pending.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # nothing left to reap: no zombie


def test_small_registers_and_threaded_processes_work_here() -> None:
    assert not forked.can_fork(forked.MIN_ROWS - 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.can_fork(10 * forked.MIN_ROWS)  # e.g. the scheduler's workers
    finally:
        stop.set()
        thread.join()
    here = os.getpid()
    assert forked.start(os.getpid, 10).result() == here


@needs_fork
def test_a_run_with_reports_computed_beside_gives_the_same_json(tmp_path, monkeypatch) -> None:
    today = dt.date(2026, 11, 26)
    write_demo_workbook(tmp_path / "deals.xlsx", today=today)
    config = parse_config("language: ja\n", tmp_path / "config.yaml")
    pipeline.run(config, as_of=today - dt.timedelta(days=7))  # パイプライン増減 has a start
    here = pipeline.run(config, as_of=today, dry_run=True).to_json()
    children = []
    start = forked.start

    def start_and_note(work, rows):  # type: ignore[no-untyped-def]
        pending = start(work, rows)
        children.append(pending._pid)
        return pending

    monkeypatch.setattr(forked, "can_fork", lambda rows: True)
    monkeypatch.setattr(forked, "start", start_and_note)
    beside = pipeline.run(config, as_of=today, dry_run=True).to_json()
    assert children and children[0] is not None  # the reports were computed in a child
    assert beside == here
    assert here["pipeline_changes"]["rows"] and here["funnel"] and here["win_rate"]


@needs_fork
def test_a_child_cut_off_mid_answer_leaves_the_work_to_this_process(always_fork,
                                                                    monkeypatch) -> None:
    """An answer cut short (the child killed while writing it) is no answer."""
    here = os.getpid()
    real_dumps = forked.pickle.dumps

    def half(obj, protocol=None):  # type: ignore[no-untyped-def]
        whole = real_dumps(obj, protocol=protocol)
        return whole[: len(whole) // 2] if os.getpid() != here else whole

    monkeypatch.setattr(forked.pickle, "dumps", half)
    assert forked.start(lambda: ("pid", os.getpid()), 0).result() == ("pid", here)


@needs_fork
def test_a_result_that_cannot_be_sent_back_is_worked_out_here(always_fork) -> None:
    here = os.getpid()

    def work():  # type: ignore[no-untyped-def]
        if os.getpid() != here:
            return lambda: "no pickle for me"
        return "here"

    assert forked.start(work, 0).result() == "here"
