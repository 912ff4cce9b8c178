"""The built-in scheduler: run jobs on their cron schedules on one machine (APScheduler 3).

:func:`serve` is ``sheetsync schedule``: a foreground :class:`BlockingScheduler` with one
cron trigger per job, evaluated in the job config's time zone.

- **Never two runs at once.** ``max_instances=1`` per job, and one worker thread for all
  jobs: runs on this machine happen one after another (a job due while another runs starts
  when it finishes, if still within the grace time).
- **Missed runs coalesced.** ``coalesce=True``: after a pause (laptop asleep, a long run)
  the missed slots of a job become one run, started at most
  :data:`MISFIRE_GRACE_SECONDS` late; later than that the slot is skipped (logged by
  APScheduler) and the next one runs.
- **Graceful stop.** The first SIGTERM or SIGINT stops accepting runs and lets the run in
  progress *finish* (reading, computing and its one atomic write), then exits 0. A second
  signal abandons that run at once (exit 128 + signal): still nothing partial, because the
  write is one atomic step (workbook: temp file + ``os.replace``; Google: one
  ``batchUpdate``) — the spreadsheet is then as it was before the run.
- **One log line per run** (:meth:`JobOutcome.log_line`) on stderr with a timestamp; a
  failed run is logged and the scheduler keeps going. Only configuration errors found at
  start are fatal (exit 2, raised before anything is scheduled).

:func:`run_once` is ``sheetsync schedule --once`` (what cron calls): each job once, in
order. Its exit code: 0 when every job ran, was skipped (another runner holds the
spreadsheet) or found input errors (data, not a failure: they are in the log line and the
入力エラー tab); 2 when a job's configuration is broken; otherwise 3 when a spreadsheet could
not be reached or written. 2 wins over 3.

Tests drive :func:`serve` with ``trigger_for`` returning a seconds-level trigger and a
``runner`` that slows the run down; production code never passes them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
import zoneinfo
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TextIO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from .cron import CronField
from .gcpause import release
from .jobs import Job, JobOutcome, run_job

log = logging.getLogger("sheetsync.schedule")

#: A run may start this late (machine asleep, another job running) and still run.
MISFIRE_GRACE_SECONDS = 900

Runner = Callable[[Job], JobOutcome]
TriggerFactory = Callable[[Job], BaseTrigger]

# APScheduler 3 numbers weekdays from Monday = 0 (cron: Sunday = 0), so its
# ``CronTrigger.from_crontab("… 1-5")`` would run Tuesday to Saturday. Weekdays are
# therefore always handed over by name.
_APS_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron_trigger(job: Job) -> BaseTrigger:
    """The APScheduler trigger firing exactly when ``job.cron`` does, in the job's zone.

    Built from the parsed value sets (not ``from_crontab``): weekdays by name, and when
    both day fields are restricted, cron's "either day matches" rule as an OR of two
    triggers (APScheduler alone would require both).
    """
    cron = job.cron
    zone = zoneinfo.ZoneInfo(job.timezone)

    def make(day: str, weekday: str) -> CronTrigger:
        return CronTrigger(minute=_values(cron.minute), hour=_values(cron.hour), day=day,
                           month=_values(cron.month), day_of_week=weekday, timezone=zone)

    weekdays = "*" if cron.weekday.full else ",".join(
        _APS_DAYS[v] for v in sorted(cron.weekday.values))
    if cron.either_day:
        return OrTrigger([make(_values(cron.day), "*"), make("*", weekdays)])
    return make(_values(cron.day), weekdays)


def _values(field: CronField) -> str:
    return "*" if field.full else ",".join(str(v) for v in sorted(field.values))


# ------------------------------------------------------------------------------ logging


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (click's test
    runner swaps it; a handler must not keep a closed stream)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging() -> None:
    """One handler on stderr (timestamped) for sheetsync's and APScheduler's warnings."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                           "%Y-%m-%dT%H:%M:%S%z"))
    handler._sheetsync = True  # type: ignore[attr-defined]
    for name, level in (("sheetsync", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "_sheetsync", False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


def log_outcome(outcome: JobOutcome) -> None:
    """The one log line of a run (ERROR for a failed run, INFO otherwise)."""
    log.log(logging.ERROR if outcome.status == "failed" else logging.INFO, outcome.log_line())


# ---------------------------------------------------------------------------- --once


def run_once(jobs: Sequence[Job], runner: Runner = run_job) -> tuple[list[JobOutcome], int]:
    """Run each job once, in order, logging one line each; returns outcomes and exit code."""
    outcomes = []
    for job in jobs:
        outcome = runner(job)
        log_outcome(outcome)
        outcomes.append(outcome)
    return outcomes, once_exit_code(outcomes)


def once_exit_code(outcomes: Sequence[JobOutcome]) -> int:
    """0 unless a run failed: 2 for a configuration error (wins), else 3."""
    codes = {o.exit_code for o in outcomes if o.status == "failed"}
    if not codes:
        return 0
    return 2 if 2 in codes else 3


# ------------------------------------------------------------------------ foreground


class _Runs:
    """Runs in progress, and whether the scheduler is stopping (shared with the workers)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.active: list[str] = []
        self.stopping = False

    def execute(self, job: Job, runner: Runner) -> None:
        with self._cond:
            if self.stopping:  # submitted before the stop, not started: do not start it
                log.info("job=%s not started: the scheduler is stopping", job.name)
                return
            self.active.append(job.name)
        try:
            log_outcome(runner(job))
        except Exception:  # a bug must not stop the scheduler; APScheduler would hide it
            log.exception("job=%s status=failed: unexpected error", job.name)
        finally:
            with self._cond:
                self.active.remove(job.name)
                self._cond.notify_all()
            release()  # what the run kept (set aside by paused_gc) is collectable again

    def wait_idle(self) -> None:
        with self._cond:
            while self.active:
                self._cond.wait(0.2)  # a timeout keeps signals deliverable


def add_jobs(scheduler: BaseScheduler, jobs: Sequence[Job], *, runner: Runner = run_job,
             trigger_for: TriggerFactory = cron_trigger, runs: _Runs | None = None) -> _Runs:
    """Add every job to ``scheduler`` with the overlap, coalescing and grace settings."""
    runs = runs or _Runs()
    for job in jobs:
        scheduler.add_job(runs.execute, trigger_for(job), args=(job, runner), id=job.name,
                          name=job.name, max_instances=1, coalesce=True,
                          misfire_grace_time=MISFIRE_GRACE_SECONDS, replace_existing=True)
    return runs


def serve(jobs: Sequence[Job], *, runner: Runner = run_job,
          trigger_for: TriggerFactory = cron_trigger) -> int:
    """Run ``jobs`` on their schedules until SIGTERM/SIGINT; returns the exit code (0).

    Must be called from the main thread (it installs the signal handlers).
    """
    scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(max_workers=1)},
                                  timezone=dt.timezone.utc)
    triggers = {job.name: trigger_for(job) for job in jobs}
    runs = add_jobs(scheduler, jobs, runner=runner,
                    trigger_for=lambda job: triggers[job.name])

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if runs.stopping:
            log.warning("%s again: abandoning %s now; the spreadsheet stays as it was "
                        "before that run (its write is one atomic step)", name,
                        ", ".join(runs.active) or "nothing")
            logging.shutdown()
            os._exit(128 + signum)
        runs.stopping = True
        busy = ", ".join(runs.active)
        log.info("%s: stopping; %s", name, f"waiting for the run of {busy} to finish "
                 "(send it again to abandon it)" if busy else "no run in progress")
        if scheduler.running:
            scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        _log_start(jobs, triggers)
        if not runs.stopping:  # a signal may come before the loop starts
            scheduler.start()
        runs.wait_idle()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler stopped")
    return 0


def _log_start(jobs: Sequence[Job], triggers: dict[str, BaseTrigger]) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    parts: list[str] = []
    for job in jobs:
        upcoming = triggers[job.name].get_next_fire_time(None, now)
        when = upcoming.isoformat(timespec="seconds") if upcoming else "never"
        parts.append(f"{job.name} ({job.command}, {job.cron.text} {job.timezone}, "
                     f"next {when})")
    log.info("scheduler started (pid %d): %s", os.getpid(), "; ".join(parts))
