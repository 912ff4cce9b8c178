"""The scheduler: ``schedule --once`` through click, APScheduler settings in-process, and the
foreground scheduler as a real process receiving SIGTERM/SIGINT."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zoneinfo
from pathlib import Path

import openpyxl
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner

from sheetsync import pipeline
from sheetsync.cli import cli
from sheetsync.cron import parse_cron
from sheetsync.demo import write_demo_config, write_demo_workbook
from sheetsync.errors import LeaseHeldError
from sheetsync.jobs import Job, JobOutcome, load_job, parse_job, run_job
from sheetsync.schedule import (
    MISFIRE_GRACE_SECONDS,
    add_jobs,
    cron_trigger,
    once_exit_code,
)

REPO = Path(__file__).resolve().parent.parent

JOB = """\
name: {name}
cron: "{cron}"
config: ../config.yaml
command: {command}
"""


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schedule-demo")
    write_demo_workbook(folder / "deals.xlsx", today=dt.date.today())
    write_demo_config(folder / "config.yaml")
    return folder


@pytest.fixture
def project(tmp_path: Path, demo_dir: Path) -> Path:
    for name in ("deals.xlsx", "config.yaml"):
        shutil.copy(demo_dir / name, tmp_path / name)
    (tmp_path / "jobs").mkdir()
    return tmp_path


def add_job(project: Path, name: str, command: str = "run", cron: str = "0 8-20 * * 1-5",
            folder: str = "jobs") -> Path:
    path = project / folder / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(JOB.format(name=name, cron=cron, command=command), encoding="utf-8")
    return path


def once(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.chdir(project)
    return CliRunner().invoke(cli, ["schedule", "--once", *args], catch_exceptions=False)


def run_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " job=" in line]


# ------------------------------------------------------------------------------ --once


def test_once_runs_each_job_in_order_and_logs_one_line_each(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_job(project, "b-refresh", "run")
    add_job(project, "a-check", "validate")
    before = (project / "deals.xlsx").read_bytes()
    result = once(project, monkeypatch)
    assert result.exit_code == 0, result.stderr  # input errors are data, not a failure
    lines = run_lines(result.stderr)
    assert len(lines) == 2
    assert " INFO job=a-check command=validate status=invalid " in lines[0]
    assert " INFO job=b-refresh command=run status=invalid " in lines[1]
    assert "rows=300" in lines[1] and "tabs=0" in lines[0]
    assert lines[1][:4].isdigit() and "T" in lines[1].split()[0]  # a timestamp first
    assert (project / "deals.xlsx").read_bytes() != before
    assert result.stdout == ""


def test_once_with_explicit_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_job(project, "a-check", "validate")
    job = add_job(project, "b-refresh", "validate")
    result = once(project, monkeypatch, str(job))
    assert result.exit_code == 0
    assert [" job=b-refresh " in line for line in run_lines(result.stderr)] == [True]


def test_once_unreachable_spreadsheet_exits_3_after_running_the_others(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = project / "other"
    other.mkdir()
    (other / "config.yaml").write_text("spreadsheet: {path: missing.xlsx}\n", "utf-8")
    add_job(project, "a-broken", "run", folder="other/jobs")
    broken = other / "jobs" / "a-broken.yaml"
    good = add_job(project, "b-good", "validate")
    result = once(project, monkeypatch, str(broken), str(good))
    assert result.exit_code == 3
    lines = run_lines(result.stderr)
    assert " ERROR job=a-broken command=run status=failed " in lines[0]
    assert "missing.xlsx" in lines[0]
    assert " INFO job=b-good command=validate status=invalid " in lines[1]


def test_once_bad_job_file_exits_2_and_runs_nothing(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_job(project, "a-good", "run")
    bad = add_job(project, "b-bad", "run", cron="0 8-20 * * 1-7x")
    before = (project / "deals.xlsx").read_bytes()
    result = once(project, monkeypatch)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"sheetsync: {Path('jobs') / bad.name}: cron: ")
    assert run_lines(result.stderr) == []
    assert (project / "deals.xlsx").read_bytes() == before


def test_foreground_bad_job_file_exits_2_before_scheduling(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_job(project, "a-bad", "run", cron="61 * * * *")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["schedule"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == ("sheetsync: jobs/a-bad.yaml: cron: '61 * * * *' is not a valid "
                             "cron expression (minute: '61': 61 is out of range 0-59)\n")


def test_once_no_job_files_exits_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = once(project, monkeypatch)
    assert result.exit_code == 2
    assert "no job files found" in result.stderr


def test_once_skipped_run_exits_0(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def held(*_args, **_kwargs):
        raise LeaseHeldError("runner-b@host")

    monkeypatch.setattr(pipeline, "run", held)
    add_job(project, "a-refresh", "run")
    result = once(project, monkeypatch)
    assert result.exit_code == 0
    (line,) = run_lines(result.stderr)
    assert "status=skipped" in line and 'message="skipped: another runner' in line


def outcome(status: str, code: int) -> JobOutcome:
    now = dt.datetime.now(dt.timezone.utc)
    return JobOutcome("j", "run", now, now, 0.0, status, code)  # type: ignore[arg-type]


@pytest.mark.parametrize(("codes", "expected"), [
    ([("ok", 0), ("invalid", 1), ("skipped", 0)], 0),
    ([("ok", 0), ("failed", 3)], 3),
    ([("failed", 3), ("failed", 2), ("ok", 0)], 2),
])
def test_once_exit_code_rule(codes, expected) -> None:
    assert once_exit_code([outcome(s, c) for s, c in codes]) == expected


# ------------------------------------------------------------------- triggers in-process


def job_with(cron: str, zone: str = "Asia/Tokyo") -> Job:
    job = parse_job(JOB.format(name="t", cron=cron, command="run"), Path("jobs/t.yaml"),
                    check_config=False)
    config = job.config.model_copy(update={"timezone": zone})
    return Job(job.name, job.cron, job.command, job.path, job.config_ref, job.config_path,
               config)


@pytest.mark.parametrize("expr", [
    "0 8-20 * * 1-5",        # APScheduler's from_crontab would read 1-5 as Tue-Sat
    "*/20 * * * 0,6",
    "30 9 1,15 * fri",       # both days restricted: either one
    "0 12 * jan,jul *",
    "15 7 * * 7",
    "0 0 29 2 *",
])
def test_apscheduler_trigger_matches_cron(expr: str) -> None:
    job = job_with(expr)
    zone = zoneinfo.ZoneInfo(job.timezone)
    trigger = cron_trigger(job)
    now = dt.datetime(2026, 11, 26, 12, 0, 30, tzinfo=zone)
    previous = None
    current = now
    for expected in itertools.islice(parse_cron(expr).fire_times(now, zone), 40):
        fire = trigger.get_next_fire_time(previous, current)
        assert fire == expected
        previous, current = fire, fire + dt.timedelta(seconds=1)


def test_add_jobs_settings() -> None:
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, [job_with("0 8-20 * * 1-5")])
    (job,) = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (
        1, True, MISFIRE_GRACE_SECONDS)


class _Recorder:
    """A fake runner: records start/end times and how many runs overlap."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.runs = 0

    def __call__(self, job: Job) -> JobOutcome:
        with self.lock:
            self.active += 1
            self.runs += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(self.seconds)
        with self.lock:
            self.active -= 1
        return outcome("ok", 0)


def test_never_two_runs_of_a_job_at_once(caplog: pytest.LogCaptureFixture) -> None:
    slow = _Recorder(0.3)
    scheduler = BackgroundScheduler()  # a 10-thread pool: only max_instances prevents overlap
    add_jobs(scheduler, [job_with("* * * * *")], runner=slow,
             trigger_for=lambda _job: IntervalTrigger(seconds=0.1))
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        scheduler.start()
        time.sleep(1.0)
        scheduler.shutdown(wait=True)
    assert slow.max_active == 1
    assert 2 <= slow.runs <= 4  # 10 slots, one run at a time
    assert "maximum number of running instances reached" in caplog.text


def test_failed_runs_do_not_stop_the_scheduler(project: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    (project / "deals.xlsx").unlink()  # every run fails: the spreadsheet is not there
    job = load_job(add_job(project, "refresh"))
    calls = {"n": 0}

    def flaky(job: Job) -> JobOutcome:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("a bug in one run")
        return run_job(job)

    scheduler = BackgroundScheduler()
    add_jobs(scheduler, [job], runner=flaky,
             trigger_for=lambda _job: IntervalTrigger(seconds=0.1))
    with caplog.at_level(logging.INFO, logger="sheetsync"):
        scheduler.start()
        time.sleep(0.7)
        scheduler.shutdown(wait=True)
    failed = [r for r in caplog.records if "status=failed" in r.getMessage()]
    assert calls["n"] >= 3 and len(failed) >= 3
    assert any("deals.xlsx" in r.getMessage() for r in failed)
    assert any(r.exc_info and "a bug in one run" in str(r.exc_info[1]) for r in failed)


def test_missed_runs_are_coalesced() -> None:
    now = dt.datetime.now(dt.timezone.utc)
    counts = {}
    for coalesce in (True, False):
        recorder = _Recorder(0.0)
        scheduler = BackgroundScheduler()
        scheduler.start(paused=True)
        every_10s = IntervalTrigger(seconds=10, start_date=now - dt.timedelta(seconds=35))
        add_jobs(scheduler, [job_with("* * * * *")], runner=recorder,
                 trigger_for=lambda _job, t=every_10s: t)
        # four slots (-35 s, -25 s, -15 s, -5 s) were missed while "asleep"
        scheduler.modify_job("t", next_run_time=now - dt.timedelta(seconds=35),
                             **({} if coalesce else {"coalesce": False}))
        scheduler.resume()
        time.sleep(0.6)
        scheduler.shutdown(wait=True)
        counts[coalesce] = recorder.runs
    assert counts == {True: 1, False: 4}


# --------------------------------------------------------------- a real scheduler process

SCRIPT = """\
import sys, time
from pathlib import Path
from apscheduler.triggers.interval import IntervalTrigger
from sheetsync import schedule
from sheetsync.jobs import load_jobs, run_job

mode, marker = sys.argv[1], Path(sys.argv[2])
jobs = load_jobs(sys.argv[3:])

def slow_before_write(phase):
    if phase == "write":  # the run is in flight: read, computed, about to write
        marker.write_text("in flight")
        time.sleep(0.8)

def runner(job):
    return run_job(job, progress=slow_before_write)

def trigger(job):  # tests only: seconds instead of a cron schedule
    return IntervalTrigger(hours=1) if mode == "idle" else IntervalTrigger(seconds=0.2)

schedule.configure_logging()
sys.exit(schedule.serve(jobs, runner=runner, trigger_for=trigger))
"""


def _start(project: Path, args: list[str]) -> tuple[subprocess.Popen, Path]:
    log = project / "scheduler.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, *args], cwd=project, stderr=err,
                                stdout=subprocess.DEVNULL, env=env)
    return proc, log


def _wait_for(predicate, proc: subprocess.Popen, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"timed out waiting for {what}")


def _finish(proc: subprocess.Popen, timeout: float = 15) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_lets_the_run_in_flight_finish(project: Path, sig: signal.Signals) -> None:
    job = add_job(project, "refresh")
    script = project / "serve.py"
    script.write_text(SCRIPT)
    marker = project / "in-flight"
    before = (project / "deals.xlsx").read_bytes()
    proc, log = _start(project, [str(script), "fast", str(marker), str(job)])
    _wait_for(marker.exists, proc, "a run to be in flight")
    proc.send_signal(sig)
    assert _finish(proc) == 0, log.read_text()
    text = log.read_text()
    assert f"{sig.name}: stopping; waiting for the run of refresh to finish" in text
    lines = run_lines(text)
    assert len(lines) == 1 and "job=refresh command=run status=invalid" in lines[0]
    assert text.rstrip().endswith("scheduler stopped")
    assert text.index("stopping") < text.index("status=invalid")
    after = (project / "deals.xlsx").read_bytes()
    assert after != before  # fully written: it opens and has the computed tabs
    sheets = openpyxl.load_workbook(project / "deals.xlsx").sheetnames
    assert {"売上予測", "入力エラー"} <= set(sheets)
    assert not list(project.glob(".deals.xlsx.*"))  # no temp file left behind


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_when_idle_exits_0_and_touches_nothing(project: Path,
                                                      sig: signal.Signals) -> None:
    job = add_job(project, "refresh")
    script = project / "serve.py"
    script.write_text(SCRIPT)
    before = (project / "deals.xlsx").read_bytes()
    proc, log = _start(project, [str(script), "idle", str(project / "x"), str(job)])
    _wait_for(lambda: "scheduler started" in log.read_text(), proc, "the start line")
    proc.send_signal(sig)
    assert _finish(proc) == 0, log.read_text()
    assert f"{sig.name}: stopping; no run in progress" in log.read_text()
    assert (project / "deals.xlsx").read_bytes() == before


def test_second_signal_abandons_the_run_and_leaves_the_file_untouched(project: Path) -> None:
    job = add_job(project, "refresh")
    script = project / "serve.py"
    script.write_text(SCRIPT)
    marker = project / "in-flight"
    before = (project / "deals.xlsx").read_bytes()
    proc, log = _start(project, [str(script), "fast", str(marker), str(job)])
    _wait_for(marker.exists, proc, "a run to be in flight")
    proc.send_signal(signal.SIGTERM)
    _wait_for(lambda: "stopping" in log.read_text(), proc, "the stopping line")
    proc.send_signal(signal.SIGTERM)
    assert _finish(proc) == 128 + signal.SIGTERM
    assert "SIGTERM again: abandoning refresh now" in log.read_text()
    assert (project / "deals.xlsx").read_bytes() == before


def test_cli_scheduler_process_starts_and_stops_on_sigterm(project: Path) -> None:
    add_job(project, "yearly", cron="0 0 1 1 *")
    proc, log = _start(project, ["-m", "sheetsync", "schedule"])
    _wait_for(lambda: "scheduler started" in log.read_text(), proc, "the start line")
    assert "yearly (run, 0 0 1 1 * Asia/Tokyo, next " in log.read_text()
    proc.send_signal(signal.SIGTERM)
    assert _finish(proc) == 0, log.read_text()
    assert log.read_text().rstrip().endswith("scheduler stopped")


def test_the_scheduler_lets_each_run_s_leftovers_go() -> None:
    """A long-lived scheduler gives back what paused_gc set aside after each job: a reference
    cycle a run made while the collector was paused does not live as long as the process."""
    import gc
    import weakref

    from sheetsync.gcpause import paused_gc
    from sheetsync.schedule import _Runs

    refs = []

    def runner(job: Job) -> JobOutcome:
        with paused_gc():
            cycle: list[object] = []
            cycle.append(cycle)
            refs.append(weakref.ref(cycle_holder := _Holder(cycle)))
            del cycle, cycle_holder
        return outcome("ok", 0)

    _Runs().execute(job_with("0 9 * * *"), runner)
    assert gc.get_freeze_count() == 0  # given back to the collector
    gc.collect()  # its next full collection
    assert refs and refs[0]() is None


class _Holder:
    def __init__(self, cycle: list[object]) -> None:
        self.cycle = cycle
        cycle.append(self)
