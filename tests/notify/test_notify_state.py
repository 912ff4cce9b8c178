"""Once a business day, remembered in the spreadsheet: the ``notified=`` marker of the hidden
state tab, on the workbook and on the emulated Google Sheet; ``--dry-run`` never sends nor
records; ``command: notify`` in a job.

A second call the same day is refused (exit 0, nothing sent) unless ``--force``; a new day
sends; a call whose every message failed gives the day back. The state tab's snapshot rows
are written back as they were read, and a later `run` keeps the marker.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from notify_servers import AS_OF, Project, SmtpSink

from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.config import load_config
from sheetsync.grid import Grid
from sheetsync.history import SNAPSHOT_TAB, read_snapshot
from sheetsync.jobs import load_job, run_job
from sheetsync.lease import read_lease
from sheetsync.notify import state
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids


def _config(project: Project, port: int, spreadsheet: str | None = None,
            name: str = "config.yaml") -> Path:
    return project.config(f"""
owner_emails: {{佐藤 健: sato@example.co.jp, 鈴木 美咲: suzuki@example.co.jp}}
managers: [manager@example.co.jp]
email: {{host: 127.0.0.1, port: {port}, security: none, from: sheetsync@example.co.jp}}
retry: {{attempts: 2, backoff_seconds: 0.001, max_wait_seconds: 0.01}}
""", name=name, spreadsheet=spreadsheet)


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _notify(config: Path, *extra: str, as_of: str = AS_OF.isoformat()) -> Any:
    return _invoke("notify", "--config", str(config), "--as-of", as_of, "--format", "json",
                   *extra)


def _state(path: Path) -> Grid:
    return WorkbookBackend(path).read([SNAPSHOT_TAB]).grids[SNAPSHOT_TAB]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_once_a_day_on_the_workbook(demo_project: Project, smtp_server: SmtpSink) -> None:
    config = _config(demo_project, smtp_server.port)
    ran = _invoke("run", "--config", str(config), "--as-of", AS_OF.isoformat())
    assert ran.exit_code == 1, ran.output  # the demo's deliberate input errors
    before = _state(demo_project.workbook)
    lease = read_lease(before)

    first = _notify(config)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["sent"] == 3 and len(smtp_server.raw) == 3
    after = _state(demo_project.workbook)
    assert after.rows[1:] == before.rows[1:]  # the snapshot rows, written back unchanged
    assert read_snapshot(after).entries == read_snapshot(before).entries
    assert read_lease(after) == lease
    scope = state.scope(load_config(config))
    assert state.notified(after) == {scope: "2026-12-04"}
    assert f'notified={{"{scope}":"2026-12-04"}} · lease=' in after.rows[0][0]

    second = _notify(config)
    assert second.exit_code == 0
    assert json.loads(second.stdout) == {"digests": [], "sent": 0, "failed": 0}
    assert ("この設定では 2026-12-04 に送信済みです。何も送信していません（--force を付けると"
            "もう一度送ります）") in second.stderr
    assert len(smtp_server.raw) == 3

    forced = _notify(config, "--force")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["sent"] == 3
    assert len(smtp_server.raw) == 6

    # a run rewrites the state tab: the marker stays, so the guard still holds
    ran = _invoke("run", "--config", str(config), "--as-of", AS_OF.isoformat())
    assert ran.exit_code == 1
    assert state.notified(_state(demo_project.workbook)) == {scope: "2026-12-04"}
    assert _notify(config).exit_code == 0 and len(smtp_server.raw) == 6

    next_day = _notify(config, as_of="2026-12-07")
    assert next_day.exit_code == 0 and json.loads(next_day.stdout)["sent"] == 3
    assert state.notified(_state(demo_project.workbook)) == {scope: "2026-12-07"}


def test_dry_run_sends_nothing_and_records_nothing(demo_project: Project,
                                                  smtp_server: SmtpSink) -> None:
    config = _config(demo_project, smtp_server.port)
    digest = _digest(demo_project.workbook)
    result = _invoke("notify", "--config", str(config), "--as-of", AS_OF.isoformat(),
                     "--dry-run")
    assert result.exit_code == 0, result.output
    assert not smtp_server.raw and not smtp_server.attempts
    assert _digest(demo_project.workbook) == digest  # not even the state tab
    assert result.stdout.count("── メール → ") == 3
    assert "件名: 【要フォロー】佐藤 健さん " in result.stdout
    # and a real send afterwards is not refused
    assert json.loads(_notify(config).stdout)["sent"] == 3


def test_owner_sends_one_digest_and_has_its_own_guard(demo_project: Project,
                                                     smtp_server: SmtpSink) -> None:
    config = _config(demo_project, smtp_server.port)
    one = _notify(config, "--owner", "佐藤　健")
    assert one.exit_code == 0
    assert [d["to"] for d in json.loads(one.stdout)["digests"]] == ["sato@example.co.jp"]
    assert json.loads(_notify(config, "--owner", "佐藤健").stdout)["sent"] == 0  # refused
    assert json.loads(_notify(config).stdout)["sent"] == 3  # the team's send still goes
    assert json.loads(_notify(config, "--owner", "鈴木 美咲").stdout)["sent"] == 0  # sent today
    unknown = _notify(config, "--owner", "山田")
    assert unknown.exit_code == 2
    assert "--owner '山田': 案件一覧にも担当者リスト（owners）にもない担当者です" in unknown.stderr


def test_a_day_whose_every_message_failed_is_given_back(demo_project: Project,
                                                       smtp_server: SmtpSink) -> None:
    config = _config(demo_project, smtp_server.port)
    smtp_server.refuse |= {"sato@example.co.jp", "suzuki@example.co.jp",
                           "manager@example.co.jp"}
    failed = _notify(config)
    assert failed.exit_code == 3
    assert json.loads(failed.stdout) | {"digests": []} == {"digests": [], "sent": 0,
                                                           "failed": 3}
    assert state.notified(_state(demo_project.workbook)) == {}
    smtp_server.refuse.clear()
    assert json.loads(_notify(config).stdout)["sent"] == 3  # not refused: nothing went


def test_once_a_day_on_google(demo_project: Project, smtp_server: SmtpSink,
                              emulator: Emulator, service_account_key: Path) -> None:
    key = load_grids(emulator, WorkbookBackend(demo_project.workbook).read().grids)
    (demo_project.folder / service_account_key.name).write_bytes(
        service_account_key.read_bytes())
    spreadsheet = (f"spreadsheet:\n  backend: google\n  key: '{key}'\n"
                   f"  credentials: {service_account_key.name}\n"
                   f"  endpoint: '{emulator.base_url}'")
    config = _config(demo_project, smtp_server.port, spreadsheet=spreadsheet,
                     name="google.yaml")
    assert _invoke("run", "--config", str(config), "--as-of", AS_OF.isoformat()).exit_code == 1
    backend = GoogleBackend.from_config(load_config(config))

    def read() -> tuple[Grid, int]:
        got = backend.read([SNAPSHOT_TAB])
        return got.grids[SNAPSHOT_TAB], got.tab(SNAPSHOT_TAB).tab_id

    before, sheet_id = read()
    first = _notify(config)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["sent"] == 3
    after, same_id = read()
    assert same_id == sheet_id  # rewritten in place
    assert after.rows[1:] == before.rows[1:]
    assert read_lease(after) == read_lease(before)
    assert state.notified(after) == {state.scope(load_config(config)): "2026-12-04"}

    second = _notify(config)
    assert second.exit_code == 0 and json.loads(second.stdout)["sent"] == 0
    assert "この設定では 2026-12-04 に送信済みです" in second.stderr
    assert json.loads(_notify(config, "--force").stdout)["sent"] == 3
    assert len(smtp_server.raw) == 6

    # on Google every link opens the cell in the browser
    mail = smtp_server.to("sato@example.co.jp")[0]
    url = f"https://docs.google.com/spreadsheets/d/{key}/edit#gid="
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"{url}{backend.read().tab('案件一覧').tab_id}&range=A" in text
    assert f'href="{url}' in html and "&amp;range=A" in html


def test_a_notify_job_sends_once_a_day(demo_project: Project, smtp_server: SmtpSink,
                                       monkeypatch) -> None:
    config = _config(demo_project, smtp_server.port)
    jobs = demo_project.folder / "jobs"
    jobs.mkdir()
    (jobs / "weekly-digest.yaml").write_text(
        "name: weekly-digest\ncron: '30 8 * * 1'\nconfig: ../config.yaml\ncommand: notify\n",
        encoding="utf-8")
    job = load_job(jobs / "weekly-digest.yaml")
    assert job.command == "notify" and job.config_path == config.resolve()
    first = run_job(job)
    assert (first.status, first.exit_code, first.message) == ("ok", 0, "sent=3 failed=0")
    assert len(smtp_server.raw) == 3
    second = run_job(job)
    assert (second.status, second.exit_code) == ("skipped", 0)
    assert "already sent on" in second.log_line() and len(smtp_server.raw) == 3


def test_the_shipped_weekly_digest_job() -> None:
    root = Path(__file__).resolve().parents[2]
    from sheetsync.jobs import parse_job

    path = root / "jobs" / "weekly-digest.yaml"
    job = parse_job(path.read_text(encoding="utf-8"), path, check_config=False)
    assert (job.name, job.cron.text, job.command) == ("weekly-digest", "30 8 * * 1", "notify")
