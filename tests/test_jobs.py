"""Job files (strict parsing, one-line errors naming file and key), cron parsing, run_job."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.config import load_config
from sheetsync.cron import CronError, parse_cron, render_field, to_utc
from sheetsync.demo import write_demo_config, write_demo_workbook
from sheetsync.errors import ConfigError, LeaseHeldError
from sheetsync.jobs import (
    find_job_files,
    load_job,
    load_jobs,
    run_job,
    runner_name,
    select_job,
)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "jobs" / "weekday-hourly.yaml"
TODAY = dt.date.today()

GOOD = """\
name: nightly
cron: "0 2 * * *"
config: ../config.yaml
command: run
description: Every night at two.
"""


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("jobs-demo")
    write_demo_workbook(folder / "deals.xlsx", today=TODAY)
    write_demo_config(folder / "config.yaml")
    return folder


@pytest.fixture
def project(tmp_path: Path, demo_dir: Path) -> Path:
    """A private project: deals.xlsx + config.yaml + jobs/ (tests that write need a copy)."""
    for name in ("deals.xlsx", "config.yaml"):
        shutil.copy(demo_dir / name, tmp_path / name)
    (tmp_path / "jobs").mkdir()
    return tmp_path


def write_job(project: Path, text: str, name: str = "nightly.yaml") -> Path:
    path = project / "jobs" / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- parsing


def test_good_job_file(project: Path) -> None:
    job = load_job(write_job(project, GOOD))
    assert (job.name, job.cron.text, job.command, job.config_ref) == (
        "nightly", "0 2 * * *", "run", "../config.yaml")
    assert job.description == "Every night at two."
    assert job.config_path.resolve() == (project / "config.yaml").resolve()
    assert job.timezone == "Asia/Tokyo"


def test_shipped_job_file_is_valid(project: Path) -> None:
    shutil.copy(SHIPPED, project / "jobs" / SHIPPED.name)
    job = load_job(project / "jobs" / SHIPPED.name)
    assert (job.name, job.cron.text, job.command, job.config_ref) == (
        "weekday-hourly", "0 8-20 * * 1-5", "run", "../config.yaml")
    assert sorted(job.cron.hour.values) == list(range(8, 21))
    assert sorted(job.cron.weekday.values) == [1, 2, 3, 4, 5]  # Monday … Friday


def test_the_documented_bad_cron_message(project: Path) -> None:
    path = write_job(project, GOOD.replace('"0 2 * * *"', '"0 8-20 * * 1-7x"'))
    with pytest.raises(ConfigError) as err:
        load_job(path)
    assert str(err.value) == (
        f"{path}: cron: '0 8-20 * * 1-7x' is not a valid cron expression (day of week: "
        "'1-7x': '7x' is not a number 0-7 or a name sun-sat)")


BAD = [
    # (replace this, with this, key named, words in the message)
    ("command: run", "command: run\ncrn: x", "crn", "did you mean 'cron'?"),
    ("command: run", "command: run\nas_of: 2026-01-01", "as_of", "today"),
    ("command: run", "command: run\nretries: 3", "retries", "known keys: name, cron"),
    ("name: nightly\n", "", "name", "missing (required)"),
    ('cron: "0 2 * * *"\n', "", "cron", "missing (required)"),
    ("config: ../config.yaml\n", "", "config", "missing (required)"),
    ("command: run\n", "", "command", "missing (required)"),
    ("name: nightly", "name: Nightly Job", "name", "lowercase letters"),
    ("name: nightly", "name: 12", "name", "must be text (got 12)"),
    ('"0 2 * * *"', '"0 2 * *"', "cron", "expected 5 fields"),
    ('"0 2 * * *"', '"0 25 * * *"', "cron", "hour: '25': 25 is out of range 0-23"),
    ('"0 2 * * *"', '"0 2 L * *"', "cron", "'L' (last)"),
    ('"0 2 * * *"', '"0 2 31 2 *"', "cron", "never fires"),
    ('"0 2 * * *"', '"5/10 2 * * *"', "cron", "write 5-59/10"),
    ('"0 2 * * *"', '"0 2 * * fri-mon"', "cron", "goes backwards"),
    ("../config.yaml", "../missing.yaml", "config", "../missing.yaml not found"),
    ("command: run", "command: sync", "command", "'sync' is not one of validate, run"),
    ("description: Every night at two.", "description: [a, b]", "description",
     "must be text"),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), BAD,
                         ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_job_file_names_file_and_key(project: Path, old: str, new: str, key: str,
                                         words: str) -> None:
    assert old in GOOD
    path = write_job(project, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_job(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message
    assert "\n" not in message


def test_broken_config_is_reported_through_the_job(project: Path) -> None:
    (project / "config.yaml").write_text("language: fr\n", encoding="utf-8")
    path = write_job(project, GOOD)
    with pytest.raises(ConfigError) as err:
        load_job(path)
    assert str(err.value).startswith(f"{path}: config: ")
    assert "language" in str(err.value)


@pytest.mark.parametrize(("text", "words"), [
    ("- name: x\n", "must be a mapping"),
    ("", "must be a mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_not_a_job_mapping(project: Path, text: str, words: str) -> None:
    path = write_job(project, text)
    with pytest.raises(ConfigError, match=words) as err:
        load_job(path)
    assert str(err.value).startswith(str(path))


def test_missing_job_file() -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: job file not found"):
        load_job("nope.yaml")


def test_job_names_must_be_unique(project: Path) -> None:
    first = write_job(project, GOOD, "a.yaml")
    second = write_job(project, GOOD, "b.yaml")
    with pytest.raises(ConfigError) as err:
        load_jobs([first, second])
    assert str(err.value) == f"{second}: name: 'nightly' is already used by {first}"


def test_find_and_select_jobs(project: Path) -> None:
    with pytest.raises(ConfigError, match="no job files found"):
        find_job_files(project / "jobs")
    write_job(project, GOOD, "b.yaml")
    assert select_job(None, project / "jobs").name == "nightly"
    write_job(project, GOOD.replace("name: nightly", "name: hourly"), "a.yaml")
    assert [p.name for p in find_job_files(project / "jobs")] == ["a.yaml", "b.yaml"]
    with pytest.raises(ConfigError, match=r"2 jobs; name the one to export \(hourly, nightly\)"):
        select_job(None, project / "jobs")
    assert select_job("hourly", project / "jobs").name == "hourly"
    assert select_job(str(project / "jobs" / "b.yaml")).name == "nightly"
    with pytest.raises(ConfigError, match="no job named 'weekly'"):
        select_job("weekly", project / "jobs")


# ------------------------------------------------------------------------------- cron


@pytest.mark.parametrize(("expr", "field", "values"), [
    ("*/15 * * * *", "minute", [0, 15, 30, 45]),
    ("0 8-20/4 * * *", "hour", [8, 12, 16, 20]),
    ("0 0 1,15 * *", "day", [1, 15]),
    ("0 0 * jan,jul-aug *", "month", [1, 7, 8]),
    ("0 0 * * MON-fri", "weekday", [1, 2, 3, 4, 5]),
    ("0 0 * * 5-7", "weekday", [0, 5, 6]),
    ("@weekly", "weekday", [0]),
])
def test_cron_fields(expr: str, field: str, values: list[int]) -> None:
    assert sorted(getattr(parse_cron(expr), field).values) == values


def test_cron_day_rule_is_or_when_both_days_are_restricted() -> None:
    both = parse_cron("0 0 13 * fri")
    assert both.matches_day(dt.date(2026, 2, 13))  # a Friday the 13th
    assert both.matches_day(dt.date(2026, 2, 20))  # the next Friday
    assert both.matches_day(dt.date(2026, 3, 13))  # a Friday too — and a 13th
    assert both.matches_day(dt.date(2026, 4, 13))  # a Monday the 13th
    one = parse_cron("0 0 * * fri")
    assert not one.matches_day(dt.date(2026, 4, 13))


def test_cron_fire_times_in_zone() -> None:
    zone = dt.timezone(dt.timedelta(hours=9))
    after = dt.datetime(2026, 11, 27, 19, 30, tzinfo=zone)  # Friday 19:30
    times = list(_take(parse_cron("0 8-20 * * 1-5").fire_times(after, zone), 3))
    assert [t.strftime("%a %H:%M") for t in times] == ["Fri 20:00", "Mon 08:00", "Mon 09:00"]


def _take(iterator, n):
    for _ in range(n):
        yield next(iterator)


def test_render_field_round_trips() -> None:
    for values in ({0}, {0, 30}, {1, 2, 3, 9}, set(range(0, 60, 5)), {8, 10, 12, 20}):
        text = render_field(values, 0, 59)
        assert parse_cron(f"{text} * * * *").minute.values == frozenset(values)


def test_to_utc_refuses_rather_than_approximates() -> None:
    with pytest.raises(CronError, match="last day of the previous month"):
        to_utc(parse_cron("0 8 1 * *"), dt.timedelta(hours=9))
    with pytest.raises(CronError, match="another month"):
        to_utc(parse_cron("0 8 * 4 *"), dt.timedelta(hours=9))
    assert to_utc(parse_cron("0 8 2-5 4 *"), dt.timedelta(hours=9)) == ["0 23 1-4 4 *"]


@pytest.mark.parametrize("module", ["cron", "oncalendar", "jobs"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"sheetsync.{module}"))
    assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------------------- run_job


def test_run_job_on_the_demo_workbook(project: Path) -> None:
    job = load_job(write_job(project, GOOD))
    expected = pipeline.check(load_config(project / "config.yaml")).report
    before = (project / "deals.xlsx").read_bytes()
    outcome = run_job(job)
    assert outcome.status == "invalid"  # the demo has deliberate input errors: data
    assert outcome.exit_code == 1
    assert (outcome.rows, outcome.errors, outcome.warnings) == (
        expected.rows, len(expected.errors), len(expected.warnings))
    assert outcome.rows == 300 and outcome.errors > 0
    assert "売上予測" in outcome.tabs and "入力エラー" in outcome.tabs
    assert outcome.finished >= outcome.started and outcome.duration > 0
    assert (project / "deals.xlsx").read_bytes() != before
    assert "売上予測" in openpyxl.load_workbook(project / "deals.xlsx").sheetnames
    line = outcome.log_line()
    assert line.startswith("job=nightly command=run status=invalid duration=")
    assert f"rows=300 errors={outcome.errors} warnings={outcome.warnings} " \
           f"tabs={len(outcome.tabs)}" in line


def test_validate_job_writes_nothing(project: Path) -> None:
    job = load_job(write_job(project, GOOD.replace("command: run", "command: validate")))
    before = (project / "deals.xlsx").read_bytes()
    outcome = run_job(job)
    assert (outcome.status, outcome.tabs, outcome.rows) == ("invalid", (), 300)
    assert (project / "deals.xlsx").read_bytes() == before


def test_missing_workbook_is_a_failed_outcome(project: Path) -> None:
    job = load_job(write_job(project, GOOD))
    (project / "deals.xlsx").unlink()
    outcome = run_job(job)
    assert (outcome.status, outcome.exit_code, outcome.rows) == ("failed", 3, None)
    assert "deals.xlsx" in outcome.message
    assert "rows=- errors=- warnings=- tabs=0 message=" in outcome.log_line()


def test_config_broken_after_start_is_a_failed_outcome(project: Path) -> None:
    job = load_job(write_job(project, GOOD))
    (project / "config.yaml").write_text("language: fr\n", encoding="utf-8")
    outcome = run_job(job)
    assert (outcome.status, outcome.exit_code) == ("failed", 2)


def test_lease_held_is_a_skip(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def held(*_args, **_kwargs):
        raise LeaseHeldError("runner-b@host", "2026-11-26T08:05:00+09:00")

    monkeypatch.setattr(pipeline, "run", held)
    before = (project / "deals.xlsx").read_bytes()
    outcome = run_job(load_job(write_job(project, GOOD)))
    assert (outcome.status, outcome.exit_code) == ("skipped", 0)
    assert "another runner (runner-b@host)" in outcome.message
    assert (project / "deals.xlsx").read_bytes() == before


def test_a_second_runner_skips_while_the_first_holds_the_lease(project: Path) -> None:
    """The lease lives in the spreadsheet: another job (another runner) writing the same
    workbook right after skips and writes nothing; the same job again does not skip."""
    first = load_job(write_job(project, GOOD))
    second = load_job(write_job(project, GOOD.replace("name: nightly", "name: other"),
                                "other.yaml"))
    assert run_job(first).status == "invalid"
    written = (project / "deals.xlsx").read_bytes()
    skipped = run_job(second)
    assert (skipped.status, skipped.exit_code, skipped.tabs) == ("skipped", 0, ())
    assert f"another runner ({runner_name(first)})" in skipped.message
    assert (project / "deals.xlsx").read_bytes() == written
    assert run_job(first).status == "invalid"  # its own lease does not stop it
