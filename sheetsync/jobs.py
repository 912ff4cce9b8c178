"""Job files (``jobs/*.yaml``) and running one job once.

A job file names one scheduled job::

    name: weekday-hourly          # lowercase letters, digits, '-' (names units and objects)
    cron: "0 8-20 * * 1-5"        # 5 fields, evaluated in the config's timezone
    config: ../config.yaml        # relative to this file
    command: run                  # validate | run | notify
    description: Every weekday hour from 8:00 to 20:00   # optional

Parsing is strict: an unknown key, a bad cron expression, a missing config file or an
unknown command is a :class:`~sheetsync.errors.ConfigError` naming the file and the key.
``as_of`` is refused on purpose: a scheduled job always runs on "today".

:func:`run_job` runs a job once through :mod:`sheetsync.pipeline` and returns a
:class:`JobOutcome` whatever happens to the spreadsheet: a scheduler keeps going after a
failed run and simply logs it.

>>> job = parse_job("name: nightly\\ncron: '0 2 * * *'\\nconfig: c.yaml\\ncommand: validate\\n",
...                 Path("jobs/nightly.yaml"), check_config=False)
>>> job.name, job.cron.text, job.command, job.config_ref
('nightly', '0 2 * * *', 'validate', 'c.yaml')
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import socket
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import pipeline
from .config import Config, load_config, read_text
from .cron import Cron, CronError, parse_cron
from .errors import ConfigError, LeaseHeldError, SheetsyncError
from .yamlfile import load_yaml

JOB_KEYS = ("name", "cron", "config", "command", "description")
REQUIRED_KEYS = ("name", "cron", "config", "command")
COMMANDS = ("validate", "run", "notify")
JOBS_DIR = Path("jobs")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

Status = Literal["ok", "invalid", "skipped", "failed"]


@dataclass(frozen=True)
class Job:
    """One parsed job file. ``config`` is the configuration as loaded when the job was read
    (its timezone drives the schedule); :func:`run_job` reloads it for every run."""

    name: str
    cron: Cron
    command: Literal["validate", "run", "notify"]
    path: Path
    config_ref: str
    config_path: Path
    config: Config = field(compare=False)
    description: str | None = None

    @property
    def timezone(self) -> str:
        """The time zone the cron expression is evaluated in (the config's)."""
        return self.config.timezone


# ------------------------------------------------------------------------------ parsing


def load_job(path: str | Path) -> Job:
    """Read and check one job file; raises :class:`ConfigError` naming file and key."""
    path = Path(path)
    return parse_job(read_text(path, "job"), path)


def parse_job(text: str, path: Path, *, check_config: bool = True) -> Job:
    """Parse job YAML ``text`` as if read from ``path``.

    ``check_config=False`` skips loading the config file (doctests, export previews); the
    job then carries a default :class:`Config`.
    """
    data = load_yaml(text, path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping with the keys {', '.join(JOB_KEYS)}")
    for key in data:
        _check_key(path, key)
    for key in REQUIRED_KEYS:
        if key not in data or data[key] is None or data[key] == "":
            raise ConfigError(f"{path}: {key}: missing (required)")
    values = {key: _text(path, key, data[key]) for key in JOB_KEYS if data.get(key) is not None}
    name = values["name"]
    if not _NAME.match(name):
        raise ConfigError(f"{path}: name: {name!r} must be 1-40 lowercase letters, digits or "
                          "'-' (it names systemd units and Kubernetes objects)")
    try:
        cron = parse_cron(values["cron"])
    except CronError as exc:
        raise ConfigError(f"{path}: cron: {values['cron']!r} is not a valid cron "
                          f"expression ({exc})") from None
    command = values["command"]
    if command not in COMMANDS:
        raise ConfigError(f"{path}: command: {command!r} is not one of {', '.join(COMMANDS)}")
    config_ref = values["config"]
    config_path = (path.parent / config_ref).resolve()
    config = _load_job_config(path, config_ref, config_path) if check_config else Config()
    return Job(name, cron, command, path, config_ref, config_path, config,  # type: ignore[arg-type]
               values.get("description"))


def _check_key(path: Path, key: Any) -> None:
    if key == "as_of":
        raise ConfigError(f"{path}: as_of: not allowed: a scheduled job always runs on "
                          "today's date in the config's timezone")
    if key not in JOB_KEYS:
        close = difflib.get_close_matches(str(key), JOB_KEYS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(JOB_KEYS)}"
        raise ConfigError(f"{path}: {key}: unknown key; {hint}")


def _text(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {key}: must be text (got {value!r})")
    return value.strip()


def _load_job_config(path: Path, ref: str, config_path: Path) -> Config:
    if not config_path.is_file():
        raise ConfigError(f"{path}: config: {ref} not found (looked for {config_path})")
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: config: {exc}") from None


def find_job_files(directory: Path = JOBS_DIR) -> list[Path]:
    """``directory/*.yaml`` in name order; a :class:`ConfigError` when there are none."""
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise ConfigError(f"{directory}/*.yaml: no job files found; pass job files "
                          "(e.g. jobs/weekday-hourly.yaml) or run where jobs/ is")
    return files


def load_jobs(paths: Sequence[str | Path]) -> list[Job]:
    """Load every file (stopping at the first bad one); job names must be unique."""
    jobs: list[Job] = []
    for path in paths:
        job = load_job(path)
        other = next((j for j in jobs if j.name == job.name), None)
        if other is not None:
            raise ConfigError(f"{job.path}: name: {job.name!r} is already used by "
                              f"{other.path}")
        jobs.append(job)
    return jobs


def select_job(which: str | None, directory: Path = JOBS_DIR) -> Job:
    """One job: a job file path, a job name in ``directory``, or the only job there."""
    if which and (which.endswith((".yaml", ".yml")) or "/" in which or Path(which).is_file()):
        return load_job(which)
    jobs = load_jobs(find_job_files(directory))
    if which is None:
        if len(jobs) == 1:
            return jobs[0]
        names = ", ".join(j.name for j in jobs)
        raise ConfigError(f"{directory}: {len(jobs)} jobs; name the one to export ({names})")
    for job in jobs:
        if job.name == which:
            return job
    names = ", ".join(j.name for j in jobs)
    raise ConfigError(f"{directory}: no job named {which!r} (jobs: {names})")


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class JobOutcome:
    """What one run of a job did. ``exit_code`` is what ``sheetsync run``/``validate``/
    ``notify`` would have exited with (0 ok or skipped, 1 input errors, 2 config, 3
    spreadsheet — or, for ``notify``, a message that could not be sent)."""

    job: str
    command: str
    started: dt.datetime
    finished: dt.datetime
    duration: float
    status: Status
    exit_code: int
    rows: int | None = None
    errors: int | None = None
    warnings: int | None = None
    tabs: tuple[str, ...] = ()
    message: str = ""

    def log_line(self) -> str:
        """``job=… status=… duration=1.2s rows=… errors=… warnings=… tabs=…`` (+ message)."""
        def num(value: int | None) -> str:
            return "-" if value is None else str(value)

        line = (f"job={self.job} command={self.command} status={self.status} "
                f"duration={self.duration:.1f}s rows={num(self.rows)} "
                f"errors={num(self.errors)} warnings={num(self.warnings)} "
                f"tabs={len(self.tabs)}")
        if self.message:
            line += ' message="' + self.message.replace('"', "'").replace("\n", " ") + '"'
        return line


def runner_name(job: Job) -> str:
    """This machine and job as the owner of the spreadsheet's run lease: ``host:job``.

    Stable across runs (unlike a pid), so ``schedule --once`` from cron never skips
    because of its own previous run; another machine — or another job writing the same
    spreadsheet — is a different runner and skips while the lease holds.
    ``$SHEETSYNC_RUNNER`` overrides it (several runners on one host, or a stable name for a
    fleet that should count as one runner).
    """
    return os.environ.get("SHEETSYNC_RUNNER") or f"{socket.gethostname()}:{job.name}"


def run_job(job: Job, *, progress: pipeline.Progress = pipeline._quiet) -> JobOutcome:
    """Run ``job`` once on today's date; never raises a :class:`SheetsyncError`.

    Input errors are data (status ``invalid``); another runner holding the spreadsheet's
    lease (or writing it between this run's read and write) is ``skipped``; a broken
    config or an unreachable spreadsheet is ``failed``. ``notify`` sends the digests
    (:func:`sheetsync.notify.send_digests`): ``skipped`` when this config already sent today,
    ``failed`` (exit code 3) when a message could not be sent, else ``ok`` — input errors are
    in the digests, not a status.
    """
    zone = zoneinfo.ZoneInfo(job.timezone)
    started = dt.datetime.now(zone)
    clock = time.perf_counter()

    def outcome(status: Status, code: int, **kwargs: Any) -> JobOutcome:
        return JobOutcome(job.name, job.command, started, dt.datetime.now(zone),
                          time.perf_counter() - clock, status, code, **kwargs)

    try:
        config = load_config(job.config_path)
        if job.command == "notify":
            return _notify(job, config, outcome, progress)
        if job.command == "run":
            result = pipeline.run(config, progress=progress, runner=runner_name(job),
                                  respect_lease=True)
            report = result.report
            tabs = tuple(result.written.tabs) if result.written else ()
        else:
            report = pipeline.check(config, progress=progress).report
            tabs = ()
    except LeaseHeldError as exc:
        return outcome("skipped", 0, message=str(exc))
    except SheetsyncError as exc:
        return outcome("failed", exc.exit_code, message=str(exc))
    errors = len(report.errors)
    return outcome("invalid" if errors else "ok", 1 if errors else 0, rows=report.rows,
                   errors=errors, warnings=len(report.warnings), tabs=tabs)


def _notify(job: Job, config: Config, outcome: Any, progress: pipeline.Progress) -> JobOutcome:
    from .notify import send_digests

    result = send_digests(config, progress=progress, runner=runner_name(job),
                          respect_lease=True)
    message = f"sent={result.sent} failed={result.failed}"
    if result.refused:
        return outcome("skipped", 0, message=result.refused)
    if result.failed:
        failed = "; ".join(f"{m.channel} → {m.to}: {m.error}" for m in result.messages
                           if m.status == "failed")
        return outcome("failed", 3, message=f"{message}: {failed}")
    return outcome("ok", 0, message=message)
