"""``sheetsync jobs export``: each target is valid and means the job's schedule exactly."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sheetsync.cli import cli
from sheetsync.cron import parse_cron, to_utc
from sheetsync.errors import ConfigError
from sheetsync.export import ExportContext, export_job, github_schedule
from sheetsync.jobs import load_job, parse_job
from sheetsync.oncalendar import to_oncalendar

TODAY = dt.date(2026, 11, 26)
UTC = dt.timezone.utc

CONFIG = """\
spreadsheet:
  backend: google
  key: 1AbCdEf
timezone: {zone}
"""
JOB = """\
name: {name}
cron: "{cron}"
config: ../config.yaml
command: {command}
description: Refresh the tabs.
"""


def make_job(tmp_path: Path, cron: str = "0 8-20 * * 1-5", zone: str = "Asia/Tokyo",
             command: str = "run", name: str = "weekday-hourly"):
    (tmp_path / "config.yaml").write_text(CONFIG.format(zone=zone), encoding="utf-8")
    (tmp_path / "jobs").mkdir(exist_ok=True)
    path = tmp_path / "jobs" / f"{name}.yaml"
    path.write_text(JOB.format(name=name, cron=cron, command=command), encoding="utf-8")
    return load_job(path)


def context(tmp_path: Path) -> ExportContext:
    return ExportContext(tmp_path.resolve(), "/srv/sales/.venv/bin/sheetsync", TODAY)


# -------------------------------------------------------------------------------- cron


def test_crontab_line_fields_equal_the_cron_expression(tmp_path: Path) -> None:
    job = make_job(tmp_path)
    text = export_job(job, "cron", context(tmp_path))
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "CRON_TZ=Asia/Tokyo"
    entry = lines[1].split()
    assert entry[:5] == job.cron.text.split() == ["0", "8-20", "*", "*", "1-5"]
    command = " ".join(entry[5:])
    assert command.startswith(f"cd {tmp_path.resolve()} && flock -n ")
    assert ("/srv/sales/.venv/bin/sheetsync schedule --once jobs/weekday-hourly.yaml "
            f">> {tmp_path.resolve() / 'sheetsync.log'} 2>&1") in command
    assert "machine's own time zone must be" in text


def test_crontab_escapes_percent(tmp_path: Path) -> None:
    project = tmp_path / "100%"
    project.mkdir()
    job = make_job(project)
    line = export_job(job, "cron", context(project)).splitlines()[-1]
    assert "100\\%" in line and "100%" not in line.replace("100\\%", "")


# ----------------------------------------------------------------------------- systemd

ONCALENDAR = [  # the documented table of sheetsync.oncalendar
    ("0 8-20 * * 1-5", ["Mon..Fri *-*-* 08..20:00:00"]),
    ("*/15 * * * *", ["*-*-* *:00/15:00"]),
    ("30 2 * * *", ["*-*-* 02:30:00"]),
    ("0 9 1 * *", ["*-*-01 09:00:00"]),
    ("0 8-20/3 * * *", ["*-*-* 08,11,14,17,20:00:00"]),
    ("0 0 * * sat,sun", ["Sat,Sun *-*-* 00:00:00"]),
    ("0 12 * jan,jul *", ["*-01,07-* 12:00:00"]),
    ("5,35 9-17 * * mon-fri", ["Mon..Fri *-*-* 09..17:05,35:00"]),
    ("0 0 1,15 * 5", ["*-*-01,15 00:00:00", "Fri *-*-* 00:00:00"]),
    ("0 18 * * 0", ["Sun *-*-* 18:00:00"]),
    ("0 6 * * 5-7", ["Fri..Sun *-*-* 06:00:00"]),
    ("10-40/10 */6 2-4 * *", ["*-*-02..04 00/6:10,20,30,40:00"]),
]


@pytest.mark.parametrize(("expr", "expected"), ONCALENDAR, ids=[e for e, _ in ONCALENDAR])
def test_oncalendar_table(expr: str, expected: list[str]) -> None:
    assert to_oncalendar(parse_cron(expr)) == expected
    assert to_oncalendar(parse_cron(expr), "Asia/Tokyo") == [f"{e} Asia/Tokyo"
                                                             for e in expected]


def _systemd_times(calendar: str, base: dt.datetime, n: int) -> list[dt.datetime]:
    out = subprocess.run(
        ["systemd-analyze", "calendar", f"--iterations={n}",
         f"--base-time={base.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC", calendar],
        capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        check=True).stdout
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w{3} (\S+ \S+) UTC", out)
    return [dt.datetime.fromisoformat(t).replace(tzinfo=UTC) for t in found]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC"])
@pytest.mark.parametrize("expr", [e for e, _ in ONCALENDAR])
def test_oncalendar_fires_when_cron_does(expr: str, zone: str) -> None:
    """systemd-analyze's own next elapses equal the cron expression's fire times."""
    cron = parse_cron(expr)
    base = dt.datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)
    n = 15
    expected = [t.astimezone(UTC) for t in itertools.islice(
        cron.fire_times(base, zoneinfo.ZoneInfo(zone)), n)]
    got = sorted({t for calendar in to_oncalendar(cron, zone)
                  for t in _systemd_times(calendar, base, n)})[:n]
    assert got == expected


def test_systemd_service_and_timer(tmp_path: Path) -> None:
    job = make_job(tmp_path)
    text = export_job(job, "systemd", context(tmp_path))
    parts = re.split(r"^# --- (\S+) ---$", text, flags=re.M)
    files = dict(zip(parts[1::2], parts[2::2]))
    service = files["sheetsync-weekday-hourly.service"]
    timer = files["sheetsync-weekday-hourly.timer"]
    assert "Type=oneshot" in service
    assert f"WorkingDirectory={tmp_path.resolve()}" in service
    assert ("ExecStart=/srv/sales/.venv/bin/sheetsync schedule --once "
            "jobs/weekday-hourly.yaml") in service
    assert "OnCalendar=Mon..Fri *-*-* 08..20:00:00 Asia/Tokyo" in timer.splitlines()
    assert "Persistent=true" in timer and "Unit=sheetsync-weekday-hourly.service" in timer
    assert "WantedBy=timers.target" in timer


# -------------------------------------------------------------------------- kubernetes


def test_kubernetes_cronjob(tmp_path: Path) -> None:
    job = make_job(tmp_path, cron="0 8-20 * * 1-7")
    docs = list(yaml.safe_load_all(export_job(job, "kubernetes", context(tmp_path))))
    config_map, cron_job = (d for d in docs if d)
    assert config_map["kind"] == "ConfigMap"
    assert config_map["data"]["config.yaml"] == (tmp_path / "config.yaml").read_text()
    inner = parse_job(config_map["data"]["job.yaml"], Path("/etc/sheetsync/job.yaml"),
                      check_config=False)
    assert (inner.name, inner.cron.text, inner.command, inner.config_ref) == (
        "weekday-hourly", "0 8-20 * * 1-7", "run", "config.yaml")
    assert cron_job["apiVersion"] == "batch/v1" and cron_job["kind"] == "CronJob"
    spec = cron_job["spec"]
    assert spec["schedule"] == "0 8-20 * * 0-6"  # 7 (Sunday) written as 0 for Kubernetes
    assert spec["timeZone"] == "Asia/Tokyo"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["command"] == ["sheetsync", "schedule", "--once",
                                    "/etc/sheetsync/job.yaml"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert volumes["google-key"]["secret"]["secretName"] == "sheetsync-google-key"
    assert volumes["google-key"]["secret"]["defaultMode"] == 0o440
    assert volumes["config"]["configMap"]["name"] == config_map["metadata"]["name"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["GOOGLE_APPLICATION_CREDENTIALS"] == mounts["google-key"] + "/key.json"
    assert mounts["config"] == "/etc/sheetsync"
    assert container["image"] == "ghcr.io/your-org/sheetsync:0.1.0"


def test_kubernetes_warns_about_a_local_workbook(tmp_path: Path) -> None:
    job = make_job(tmp_path)
    (tmp_path / "config.yaml").write_text("spreadsheet: {path: deals.xlsx}\n")
    job = load_job(job.path)
    assert "# WARNING: ../config.yaml uses the workbook backend" in export_job(
        job, "kubernetes", context(tmp_path))


# ---------------------------------------------------------------------- github actions


def _github(tmp_path: Path, **kwargs) -> dict:
    job = make_job(tmp_path, **kwargs)
    return yaml.safe_load(export_job(job, "github-actions", context(tmp_path)))


def test_github_workflow(tmp_path: Path) -> None:
    doc = _github(tmp_path)
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert [s["cron"] for s in on["schedule"]] == ["0 23 * * 0-4", "0 0-11 * * 1-5"]
    assert "workflow_dispatch" in on
    assert doc["concurrency"] == {"group": "sheetsync-weekday-hourly",
                                  "cancel-in-progress": False}
    steps = doc["jobs"]["sheetsync"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert "actions/checkout@v4" in uses and "actions/setup-python@v5" in uses
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "pip install" in runs
    key_step = next(s for s in steps if "secrets." in str(s.get("env", "")))
    assert key_step["env"]["GOOGLE_KEY"] == "${{ secrets.SHEETSYNC_GOOGLE_KEY }}"
    assert "GOOGLE_APPLICATION_CREDENTIALS=" in key_step["run"]
    assert steps[-1]["run"] == "sheetsync schedule --once jobs/weekday-hourly.yaml"


def test_github_validate_job_prints_annotations(tmp_path: Path) -> None:
    doc = _github(tmp_path, command="validate")
    last = doc["jobs"]["sheetsync"]["steps"][-1]["run"]
    assert last == "sheetsync validate --config config.yaml --format github || [ $? -eq 1 ]"


@pytest.mark.parametrize(("zone", "expr", "expected"), [
    ("Asia/Tokyo", "0 8-20 * * 1-5", ["0 23 * * 0-4", "0 0-11 * * 1-5"]),
    ("Asia/Tokyo", "30 9 * * *", ["30 0 * * *"]),
    ("Asia/Tokyo", "0 8-20 * * *", ["0 0-11,23 * * *"]),  # same day fields: one entry
    ("Asia/Tokyo", "0 7 10,20 * *", ["0 22 9,19 * *"]),
    ("Asia/Tokyo", "0 7 13 * fri", ["0 22 12 * 4"]),
    ("Asia/Kolkata", "0,45 9 * * mon", ["30 3 * * mon", "15 4 * * mon"]),
    ("Pacific/Honolulu", "0 18-20 * * 5", ["0 4-6 * * 6"]),
    ("UTC", "*/15 8-17 * * 1-5", ["*/15 8-17 * * 1-5"]),
])
def test_github_utc_conversion_table(tmp_path: Path, zone: str, expr: str,
                                     expected: list[str]) -> None:
    assert github_schedule(make_job(tmp_path, cron=expr, zone=zone), TODAY) == expected


def _utc_times(exprs: list[str], zone: str, start: dt.datetime, days: int) -> list:
    end = start + dt.timedelta(days=days)
    times = set()
    for expr in exprs:
        for t in parse_cron(expr).fire_times(start, zoneinfo.ZoneInfo(zone)):
            if t >= end:
                break
            times.add(t.astimezone(UTC))
    return sorted(times)


@pytest.mark.parametrize(("zone", "expr"), [
    ("Asia/Tokyo", "0 8-20 * * 1-5"),
    ("Asia/Tokyo", "*/20 0-10,22-23 * * sat,sun"),
    ("Asia/Tokyo", "15 3,9 5-20 jan-jun *"),
    ("Asia/Tokyo", "0 7 13 * fri"),
    ("Asia/Kolkata", "0,15,30,45 4-6 * * 1-5"),
    ("Asia/Kathmandu", "0 0 * * 0"),
    ("Pacific/Honolulu", "30 14-23 * * 5-6"),
])
def test_github_utc_conversion_is_exact(zone: str, expr: str) -> None:
    """Over 10 weeks, the UTC expressions fire at exactly the local schedule's instants."""
    from sheetsync.cron import fixed_utc_offset

    offset = fixed_utc_offset(zone, TODAY)
    assert offset is not None
    utc_exprs = to_utc(parse_cron(expr), offset)
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert _utc_times(utc_exprs, "UTC", start, 70) == _utc_times([expr], zone, start, 70)


@pytest.mark.parametrize(("zone", "expr", "words"), [
    ("Europe/London", "0 8 * * 1-5", "Europe/London changes its UTC offset"),
    ("America/New_York", "0 8 * * 1-5", "daylight saving time"),
    ("Asia/Tokyo", "0 8 1 * *", "day 1 moves to the last day of the previous month"),
    ("Pacific/Honolulu", "0 20 28 * *", "day 28 may move to the 1st of the next month"),
    ("Asia/Tokyo", "0 8 * 4 *", "may be in another month"),
])
def test_github_refuses_what_utc_cron_cannot_express(tmp_path: Path, zone: str, expr: str,
                                                    words: str) -> None:
    job = make_job(tmp_path, cron=expr, zone=zone)
    with pytest.raises(ConfigError, match=words) as err:
        github_schedule(job, TODAY)
    assert str(err.value).startswith(f"{job.path}: cron: ")


# --------------------------------------------------------------------------------- CLI


def test_cli_export_default_named_and_ambiguous(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    make_job(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["jobs", "export", "--target", "cron"])
    assert result.exit_code == 0, result.stderr
    assert "\n0 8-20 * * 1-5 cd " in result.stdout
    make_job(tmp_path, name="nightly", cron="0 2 * * *")
    result = runner.invoke(cli, ["jobs", "export", "-t", "systemd"])
    assert result.exit_code == 2
    assert "2 jobs; name the one to export (nightly, weekday-hourly)" in result.stderr
    result = runner.invoke(cli, ["jobs", "export", "-t", "systemd", "nightly"])
    assert result.exit_code == 0
    assert "OnCalendar=*-*-* 02:00:00 Asia/Tokyo" in result.stdout


def test_cli_export_refusal_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_job(tmp_path, zone="Europe/Berlin")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["jobs", "export", "-t", "github-actions"])
    assert result.exit_code == 2
    assert result.stderr.startswith("sheetsync: ") and "Europe/Berlin" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------ notify's secrets

SHIPPED_DIGEST = Path(__file__).resolve().parents[1] / "jobs" / "weekly-digest.yaml"
NOTIFY_CONFIG = """\
spreadsheet:
  backend: google
  key: 1AbCdEf
notify:
  owner_emails: {佐藤 健: sato@example.co.jp}
  managers: [manager@example.co.jp]
  email:
    host: smtp.example.co.jp
    username: sheetsync@example.co.jp
    password_env: SHEETSYNC_SMTP_PASSWORD
    from: "営業管理 <sheetsync@example.co.jp>"
  slack: {webhook_env: SHEETSYNC_SLACK_WEBHOOK}
  google_chat: {webhook_env: SHEETSYNC_CHAT_WEBHOOK}
"""
NOTIFY_VARIABLES = ["SHEETSYNC_SMTP_PASSWORD", "SHEETSYNC_SLACK_WEBHOOK",
                    "SHEETSYNC_CHAT_WEBHOOK"]
#: what the variables hold while the export runs: none may reach a manifest
SECRET_VALUES = {
    "SHEETSYNC_SMTP_PASSWORD": "smtp-Pa55word-never-shown",
    "SHEETSYNC_SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/slackTokenNeverShown",
    "SHEETSYNC_CHAT_WEBHOOK": "https://chat.googleapis.com/v1/spaces/S/messages?key=chatKeyNever"
                              "Shown&token=chatTokenNeverShown",
}


def _shipped_digest(tmp_path: Path, config: str) -> None:
    (tmp_path / "jobs").mkdir()
    shutil.copy(SHIPPED_DIGEST, tmp_path / "jobs" / "weekly-digest.yaml")
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")


def _export_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Each target's manifest of the shipped weekly-digest job, from the command line, with
    the secrets' variables set to values that must never show."""
    for name, value in SECRET_VALUES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    out = {}
    for target in ("cron", "systemd", "kubernetes", "github-actions"):
        result = CliRunner().invoke(cli, ["jobs", "export", "-t", target, "weekly-digest"])
        assert result.exit_code == 0, result.output
        for value in SECRET_VALUES.values():
            for part in re.split(r"[/?&=]", value):
                assert len(part) < 12 or part not in result.output, (target, part)
        out[target] = result.stdout
    return out


def _comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.startswith("#"))


def test_an_exported_notify_job_carries_the_variables_its_config_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _shipped_digest(tmp_path, NOTIFY_CONFIG)
    manifests = _export_all(tmp_path, monkeypatch)
    env_file = "/etc/sheetsync/weekly-digest.env"

    # cron: the entry loads the env file (exported) before flock; the comment lists it
    cron = manifests["cron"]
    (entry,) = [line for line in cron.splitlines() if line.startswith("30 8 * * 1 ")]
    assert entry.startswith(f"30 8 * * 1 cd {tmp_path.resolve()} && set -a && . {env_file} "
                            "&& set +a && flock -n .sheetsync-weekly-digest.lock ")
    assert entry.endswith(" schedule --once jobs/weekly-digest.yaml "
                          f">> {tmp_path.resolve() / 'sheetsync.log'} 2>&1")
    notes = _comments(cron)
    assert f"Put them in {env_file}, one NAME='value' line each" in notes
    assert "mode 600" in notes
    for name in NOTIFY_VARIABLES:
        assert re.search(rf"^#   {name}: ", notes, re.M), name
        assert name not in entry  # names in the comment, the file on the line

    # systemd: EnvironmentFile= in [Service], the comment names what it must define
    parts = re.split(r"^# --- (\S+) ---$", manifests["systemd"], flags=re.M)
    files = dict(zip(parts[1::2], parts[2::2]))
    service = files["sheetsync-weekly-digest.service"]
    section = service.split("[Service]\n", 1)[1]
    assert f"EnvironmentFile={env_file}" in section.splitlines()
    assert "EnvironmentFile" not in files["sheetsync-weekly-digest.timer"]
    for name in NOTIFY_VARIABLES:
        assert re.search(rf"^#   {name}: ", _comments(section), re.M), name
    assert ", ".join(NOTIFY_VARIABLES) in _comments(parts[0])  # the header says it too

    # kubernetes: one env entry per variable from the job's Secret, and how to create it
    text = manifests["kubernetes"]
    config_map, cron_job = (d for d in yaml.safe_load_all(text) if d)
    (container,) = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = container["env"]
    assert env[0] == {"name": "GOOGLE_APPLICATION_CREDENTIALS",
                      "value": "/var/run/secrets/sheetsync/key.json"}
    assert env[1:] == [{"name": name, "valueFrom": {"secretKeyRef": {
        "name": "sheetsync-weekly-digest-notify", "key": name}}} for name in NOTIFY_VARIABLES]
    (create,) = [line for line in text.splitlines()
                 if "kubectl create secret generic sheetsync-weekly-digest-notify" in line]
    assert re.findall(r"--from-literal=(\w+)='\.\.\.'", create) == NOTIFY_VARIABLES
    assert "# 4. kubectl apply -f this-file.yaml" in text
    assert config_map["data"]["config.yaml"] == NOTIFY_CONFIG  # names only, as written

    # GitHub Actions: the run step maps each variable to the repository secret of its name
    doc = yaml.safe_load(manifests["github-actions"])
    steps = doc["jobs"]["sheetsync"]["steps"]
    assert steps[-1]["run"] == "sheetsync schedule --once jobs/weekly-digest.yaml"
    assert steps[-1]["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in NOTIFY_VARIABLES}
    assert [s for s in steps[:-1] if any(n in str(s) for n in NOTIFY_VARIABLES)] == []
    notes = _comments(manifests["github-actions"])
    assert "add these repository secrets too" in notes
    for name in NOTIFY_VARIABLES:
        assert re.search(rf"^#   {name}: ", notes, re.M), name


def test_a_notify_job_with_no_channel_says_so_and_asks_for_no_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _shipped_digest(tmp_path, CONFIG.format(zone="Asia/Tokyo"))
    manifests = _export_all(tmp_path, monkeypatch)
    for target, text in manifests.items():
        assert "# NOTE: notify has nothing to send until a channel is configured in " \
               "../config.yaml" in text, target
        assert "EnvironmentFile" not in text and "set -a" not in text, target
        assert "secretKeyRef" not in text and "secrets.SHEETSYNC_S" not in text, target
    cron_job = list(yaml.safe_load_all(manifests["kubernetes"]))[-1]
    (container,) = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert [e["name"] for e in container["env"]] == ["GOOGLE_APPLICATION_CREDENTIALS"]
    assert "env" not in yaml.safe_load(manifests["github-actions"])["jobs"]["sheetsync"][
        "steps"][-1]


@pytest.mark.parametrize("command", ["run", "validate"])
def test_only_a_notify_job_gets_the_secrets(tmp_path: Path, command: str) -> None:
    """A run/validate job of a config naming notify's variables exports exactly as one
    without them."""
    plain = {t: export_job(make_job(tmp_path, command=command), t, context(tmp_path))
             for t in ("cron", "systemd", "kubernetes", "github-actions")}
    (tmp_path / "config.yaml").write_text(NOTIFY_CONFIG, encoding="utf-8")
    job = load_job(tmp_path / "jobs" / "weekday-hourly.yaml")
    for target, text in plain.items():
        with_notify = export_job(job, target, context(tmp_path))
        if target == "kubernetes":  # the embedded config differs, nothing else
            with_notify = with_notify.replace(
                "\n".join("    " + line for line in NOTIFY_CONFIG.splitlines()),
                "\n".join("    " + line for line in CONFIG.format(
                    zone="Asia/Tokyo").splitlines()))
        assert with_notify == text, target
        for name in NOTIFY_VARIABLES:
            assert name not in with_notify.replace(NOTIFY_CONFIG, ""), (target, name)


def test_github_refuses_a_variable_github_cannot_hold_as_a_secret(tmp_path: Path) -> None:
    _shipped_digest(tmp_path, "notify: {slack: {webhook_env: GITHUB_SLACK_HOOK}}\n")
    job = load_job(tmp_path / "jobs" / "weekly-digest.yaml")
    with pytest.raises(ConfigError, match="GITHUB_SLACK_HOOK: GitHub Actions secret names "
                                          "cannot start with GITHUB_"):
        export_job(job, "github-actions", context(tmp_path))
    assert "key: GITHUB_SLACK_HOOK" in export_job(job, "kubernetes", context(tmp_path))
