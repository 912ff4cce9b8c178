"""Ready-to-use manifests for one job on the schedulers teams already run.

``sheetsync jobs export --target cron|systemd|kubernetes|github-actions [JOB]``.
Every target runs the same thing: ``sheetsync schedule --once JOBFILE`` (one run, one log
line, exit 0 unless the configuration is broken (2) or the spreadsheet could not be reached
(3)), except a GitHub ``validate`` job, which prints annotations instead. Every target
also promises what the built-in scheduler does: no overlapping runs, missed runs
coalesced, at most :data:`~sheetsync.schedule.MISFIRE_GRACE_SECONDS` late.

Time zones — the job's cron is meant in its config's ``timezone``:

- cron: a ``CRON_TZ=`` line (cronie) and a comment for crons that ignore it;
- systemd: the zone is the suffix of ``OnCalendar=`` (:mod:`sheetsync.oncalendar`);
- Kubernetes: ``spec.timeZone`` (Kubernetes ≥ 1.27);
- GitHub Actions evaluates cron in UTC only: for a zone whose offset never changes (Asia/
  Tokyo) the expression is converted exactly with :func:`sheetsync.cron.to_utc`, split into
  several ``- cron:`` entries where runs move to another UTC day; a zone with daylight
  saving time, or a shift cron cannot express (day 1 moving to "the last day of the
  previous month"), is refused with a :class:`ConfigError` — never approximated.

Secrets — a ``notify`` job also needs the variables its config names (the SMTP password,
the webhook URLs: :func:`notify_secrets`; their names only, never a value):

- cron: the entry loads ``/etc/sheetsync/<job>.env`` (``set -a && . FILE && set +a``);
- systemd: ``EnvironmentFile=/etc/sheetsync/<job>.env``;
- Kubernetes: one ``env`` entry per variable from the Secret ``sheetsync-<job>-notify``;
- GitHub Actions: the run step's ``env:`` maps each variable to the repository secret of
  the same name.

A ``run`` or ``validate`` job's manifest has none of this.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import Config, load_config
from .cron import CronError, fixed_utc_offset, portable_text, to_utc
from .errors import ConfigError
from .jobs import Job
from .oncalendar import to_oncalendar
from .schedule import MISFIRE_GRACE_SECONDS

TARGETS = ("cron", "systemd", "kubernetes", "github-actions")
IMAGE_PLACEHOLDER = "ghcr.io/your-org/sheetsync:0.1.0"
KEY_SECRET = "sheetsync-google-key"
GITHUB_SECRET = "SHEETSYNC_GOOGLE_KEY"
#: cron and systemd: where a notify job's secrets live (``<dir>/<job>.env``, mode 600)
ENV_FILE_DIR = "/etc/sheetsync"


@dataclass(frozen=True)
class ExportContext:
    """Where the job runs: ``project_dir`` (the ``cd`` target, job paths are relative to
    it), the ``sheetsync`` executable for cron/systemd, and today (for the UTC check)."""

    project_dir: Path
    executable: str
    today: dt.date

    @classmethod
    def detect(cls, project_dir: Path | None = None) -> ExportContext:
        """The current directory and the ``sheetsync`` next to the running Python."""
        beside = Path(sys.executable).with_name("sheetsync")
        exe = str(beside) if beside.exists() else (shutil.which("sheetsync") or "sheetsync")
        return cls((project_dir or Path.cwd()).resolve(), exe, dt.date.today())

    def job_file(self, job: Job) -> str:
        """The job file relative to the project directory (absolute if outside it)."""
        path = job.path.resolve()
        try:
            return path.relative_to(self.project_dir).as_posix()
        except ValueError:
            return str(path)

    def config_file(self, job: Job) -> str:
        path = job.config_path.resolve()
        try:
            return path.relative_to(self.project_dir).as_posix()
        except ValueError:
            return str(path)


def export_job(job: Job, target: str, ctx: ExportContext) -> str:
    """The manifest text for ``target`` (one of :data:`TARGETS`)."""
    render = {"cron": crontab, "systemd": systemd, "kubernetes": kubernetes,
              "github-actions": github_actions}.get(target)
    if render is None:
        raise ConfigError(f"--target: {target!r} is not one of {', '.join(TARGETS)}")
    return render(job, ctx)


def _once(job: Job, ctx: ExportContext, exe: str) -> str:
    return f"{shlex.quote(exe)} schedule --once {shlex.quote(ctx.job_file(job))}"


def _title(job: Job, what: str) -> list[str]:
    """Comment lines: what this is, and the job's description if it has one."""
    lines = [f'sheetsync job "{job.name}" {what}.']
    if job.description:
        lines.append(" ".join(job.description.split()))
    return lines


# -------------------------------------------------------------------------- notify secrets


@dataclass(frozen=True)
class Secret:
    """One environment variable a notify job reads: its name and what it holds."""

    variable: str
    what: str

    @property
    def described(self) -> str:
        return f"{self.variable}: {self.what}"


@dataclass(frozen=True)
class NotifySecrets:
    """What a notify job needs from its scheduler. ``secrets``: the variables, in the order
    mail, Slack, Google Chat; ``sends``: whether any channel is configured at all;
    ``notes``: settings that will stop notify (or that it ignores), as comment lines."""

    secrets: tuple[Secret, ...]
    sends: bool
    notes: tuple[str, ...]
    config_ref: str

    @property
    def names(self) -> list[str]:
        return [s.variable for s in self.secrets]

    def listing(self, indent: str) -> list[str]:
        """One line per variable: ``A: the SMTP password (notify.email.password_env)``."""
        return [f"{indent}{s.described}" for s in self.secrets]

    def idle_note(self) -> str:
        """The comment when no variable is needed: nothing to send, or no secret needed."""
        if self.sends:
            return ("notify needs no secret variable: mail goes out without a login and no "
                    "Slack or Google Chat webhook is configured.")
        return (f"NOTE: notify has nothing to send until a channel is configured in "
                f"{self.config_ref}: notify.email (host; password_env when it logs in), "
                "notify.slack.webhook_env or notify.google_chat.webhook_env "
                "(config.example.yaml).")


def notify_secrets(job: Job) -> NotifySecrets | None:
    """The variables a ``notify`` job reads (``None`` for any other command), from its
    config as :func:`~sheetsync.config.load_config` reads it — names only: a value set in
    this environment is never looked at."""
    if job.command != "notify":
        return None
    return _secrets_of(load_config(job.config_path), job.config_ref)


def _secrets_of(config: Config, config_ref: str) -> NotifySecrets:
    n = config.notify
    mail = n.email
    secrets: list[Secret] = []
    notes: list[str] = []
    if mail.password_env and mail.username:
        secrets.append(Secret(mail.password_env,
                              "the SMTP password (notify.email.password_env)"))
    elif mail.password_env:
        notes.append(f"NOTE: notify.email.password_env ({mail.password_env}) is not used: "
                     "notify.email.username is not set, so mail goes out without a login.")
    elif mail.username:
        notes.append("NOTE: notify.email.username is set but notify.email.password_env is "
                     "not: notify stops (exit 2) until it names the variable holding the "
                     "SMTP password.")
    if (n.owner_emails or n.managers) and not mail.host:
        notes.append("NOTE: notify.owner_emails / notify.managers are set but "
                     "notify.email.host is not: notify stops (exit 2) until it is.")
    for key, label in (("slack", "Slack"), ("google_chat", "Google Chat")):
        variable = getattr(n, key).webhook_env
        if variable:
            secrets.append(Secret(variable, f"the {label} webhook URL "
                                            f"(notify.{key}.webhook_env)"))
    unique: dict[str, Secret] = {}
    for secret in secrets:  # one variable for two channels is provided once
        unique.setdefault(secret.variable, secret)
    sends = bool(mail.host or n.slack.webhook_env or n.google_chat.webhook_env)
    return NotifySecrets(tuple(unique.values()), sends, tuple(notes), config_ref)


def env_file(job: Job) -> str:
    """Where cron and systemd read a notify job's secrets from."""
    return f"{ENV_FILE_DIR}/{job.name}.env"


def secret_name(job: Job) -> str:
    """The Kubernetes Secret holding a notify job's variables (one key per variable)."""
    return f"sheetsync-{job.name}-notify"


# -------------------------------------------------------------------------------- cron


def crontab(job: Job, ctx: ExportContext) -> str:
    """A crontab entry (``crontab -e``) with ``CRON_TZ`` and a log redirect."""
    project = shlex.quote(str(ctx.project_dir))
    log = shlex.quote(str(ctx.project_dir / "sheetsync.log"))
    lock = shlex.quote(f".sheetsync-{job.name}.lock")
    secrets = notify_secrets(job)
    load = ""
    if secrets is not None and secrets.secrets:
        load = f"set -a && . {shlex.quote(env_file(job))} && set +a && "
    command = (f"cd {project} && {load}flock -n {lock} {_once(job, ctx, ctx.executable)} "
               f">> {log} 2>&1")
    command = command.replace("%", "\\%")  # cron turns a bare % into a newline
    head = [
        *_title(job, "as a crontab entry (add it with crontab -e)"),
        f"{job.cron.text!r} is meant in {job.timezone}, the timezone of "
        f"{ctx.config_file(job)}. CRON_TZ is",
        "honoured by cronie (RHEL, Fedora, Arch, Alpine) and applies to every line below it;",
        "Debian/Ubuntu cron ignores it: there the machine's own time zone must be",
        f"{job.timezone}. flock -n (util-linux) skips a slot while the previous run is",
        "still going. Exit status: 0 (also with input errors), 2 config, 3 spreadsheet.",
        *_cron_secret_notes(job, secrets),
    ]
    return "\n".join([*(f"# {line}" for line in head), f"CRON_TZ={job.timezone}",
                      f"{job.cron.text} {command}", ""])


def _cron_secret_notes(job: Job, secrets: NotifySecrets | None) -> list[str]:
    if secrets is None:
        return []
    if not secrets.secrets:
        return [secrets.idle_note(), *secrets.notes]
    path = env_file(job)
    return [
        "notify reads these secrets from the environment:",
        *secrets.listing("  "),
        f"Put them in {path}, one NAME='value' line each (single quotes:",
        "a webhook URL holds & and ?), owned by the user of this crontab, mode 600 (chmod",
        "600). The entry loads it (set -a && . FILE && set +a) before flock. Not as crontab",
        "variables: cron does no quoting there, and they would reach every entry below.",
        "Without the file the entry stops before sheetsync starts (cron mails the error).",
        *secrets.notes,
    ]


# ----------------------------------------------------------------------------- systemd


def systemd(job: Job, ctx: ExportContext) -> str:
    """A ``.service`` + ``.timer`` pair (separated by ``# --- file ---`` markers)."""
    unit = f"sheetsync-{job.name}"
    calendars = to_oncalendar(job.cron, job.timezone)
    check = " ".join(shlex.quote(c) for c in calendars)
    head = [
        *(f"# {line}" for line in _title(job, "as a systemd service + timer")),
        f"# Save the two parts as /etc/systemd/system/{unit}.service and {unit}.timer, then:",
        f"#   systemctl daemon-reload && systemctl enable --now {unit}.timer",
        f"# Check the schedule: systemd-analyze calendar --iterations=5 {check}",
        f"# Logs: journalctl -u {unit}.service",
        "# A timer never starts its service while it is still running (no overlap);",
        "# Persistent=true runs a slot missed while the machine was off once at boot.",
    ]
    secrets = notify_secrets(job)
    if secrets is not None and secrets.secrets:
        head += [f"# Before enabling: create {env_file(job)} (root-owned, mode 600) "
                 "defining",
                 f"#   {', '.join(secrets.names)} (see EnvironmentFile= below)."]
    elif secrets is not None:
        head += [f"# {line}" for line in (secrets.idle_note(), *secrets.notes)]
    head.append("")
    exe = ctx.executable
    if not Path(exe).is_absolute():
        exe = f"/usr/bin/env {exe}"  # systemd wants an absolute path
    service = [
        f"# --- {unit}.service ---",
        "[Unit]",
        f"Description=sheetsync job {job.name} ({job.command})",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={ctx.project_dir}",
        f"ExecStart={exe} schedule --once {ctx.job_file(job)}",
        "# Run as an unprivileged user who may read the config and the key:",
        "#User=sales",
        "#Environment=GOOGLE_APPLICATION_CREDENTIALS=/etc/sheetsync/google-key.json",
        *_systemd_secrets(job, secrets),
        "TimeoutStartSec=30min",
        "",
    ]
    timer = [
        f"# --- {unit}.timer ---",
        "[Unit]",
        f"Description=Schedule of sheetsync job {job.name} (cron {job.cron.text}, "
        f"{job.timezone})",
        "",
        "[Timer]",
        *(f"OnCalendar={c}" for c in calendars),
        "Persistent=true",
        f"Unit={unit}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ]
    return "\n".join(head + service + timer)


def _systemd_secrets(job: Job, secrets: NotifySecrets | None) -> list[str]:
    if secrets is None or not secrets.secrets:
        return []
    return [
        "# notify's secrets. The file must define, one NAME='value' line each:",
        *(f"#{line}" for line in secrets.listing("   ")),
        "# Root-owned, mode 600: systemd reads it before switching to User=. Without it the",
        "# service does not start.",
        f"EnvironmentFile={env_file(job)}",
        *(f"# {note}" for note in secrets.notes),
    ]


# -------------------------------------------------------------------------- kubernetes


class _Dumper(yaml.SafeDumper):
    """Block literals for multi-line text (the embedded config stays readable), no
    anchors/aliases (``&id001``) for repeated label dicts."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _config_notes(job: Job, where: str, workbook: str) -> list[str]:
    notes = []
    spreadsheet = job.config.spreadsheet
    if spreadsheet.backend == "workbook":
        notes.append(f"WARNING: {job.config_ref} uses the workbook backend (a local .xlsx): "
                     f"{workbook} — use backend: google.")
    if spreadsheet.credentials:
        notes.append(f"NOTE: remove spreadsheet.credentials from {job.config_ref}: "
                     "GOOGLE_APPLICATION_CREDENTIALS below points at the key.")
    if job.config.schema_:
        notes.append(f"NOTE: the config names the schema file {job.config.schema_}; "
                     f"{where} must have it at that path.")
    return notes


def kubernetes(job: Job, ctx: ExportContext) -> str:
    """A ConfigMap (config + job file) and a CronJob; the key comes from a Secret."""
    name = f"sheetsync-{job.name}"
    labels = {"app.kubernetes.io/name": "sheetsync", "app.kubernetes.io/instance": job.name}
    job_file = _dump({"name": job.name, "cron": job.cron.text, "command": job.command,
                      "config": "config.yaml",
                      **({"description": job.description} if job.description else {})})
    config_text = job.config_path.read_text(encoding="utf-8")
    config_map = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"config.yaml": config_text, "job.yaml": job_file},
    }
    key_dir = "/var/run/secrets/sheetsync"
    secrets = notify_secrets(job)
    env: list[dict[str, Any]] = [{"name": "GOOGLE_APPLICATION_CREDENTIALS",
                                  "value": f"{key_dir}/key.json"}]
    if secrets is not None:
        env += [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name(job),
                                                              "key": name}}}
                for name in secrets.names]
    cron_job = {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "schedule": portable_text(job.cron),
            "timeZone": job.timezone,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": MISFIRE_GRACE_SECONDS,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": 1800,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                            "fsGroup": 10001},
                        "containers": [{
                            "name": "sheetsync",
                            "image": IMAGE_PLACEHOLDER,
                            "command": ["sheetsync", "schedule", "--once",
                                        "/etc/sheetsync/job.yaml"],
                            "workingDir": "/etc/sheetsync",
                            "env": env,
                            "volumeMounts": [
                                {"name": "config", "mountPath": "/etc/sheetsync",
                                 "readOnly": True},
                                {"name": "google-key", "mountPath": key_dir,
                                 "readOnly": True},
                            ],
                        }],
                        "volumes": [
                            {"name": "config", "configMap": {"name": name}},
                            {"name": "google-key",
                             "secret": {"secretName": KEY_SECRET, "defaultMode": 0o440}},
                        ],
                    },
                },
            }},
        },
    }
    head = [
        *_title(job, "as a Kubernetes CronJob (timeZone needs Kubernetes >= 1.27)"),
        f"1. Image: replace {IMAGE_PLACEHOLDER} with an image of this project "
        "(README: Kubernetes).",
        f"2. Key: kubectl create secret generic {KEY_SECRET} "
        "--from-file=key.json=path/to/service-account.json",
        *_kubernetes_secret_steps(job, secrets),
        f"{4 if secrets is not None and secrets.secrets else 3}. kubectl apply -f "
        "this-file.yaml",
        f"Schedule {job.cron.text!r} in {job.timezone}; concurrencyPolicy Forbid: never two "
        "runs at once;",
        f"a run that cannot start within {MISFIRE_GRACE_SECONDS}s of its slot is skipped.",
        *_config_notes(job, "the container", "the container has no such file"),
    ]
    # 0440 reads better than 288 (YAML 1.1 octal, as Kubernetes reads it)
    cron_job_text = _dump(cron_job).replace("defaultMode: 288", "defaultMode: 0440")
    return ("\n".join(f"# {line}" for line in head) + "\n---\n" + _dump(config_map)
            + "---\n" + cron_job_text)


def _kubernetes_secret_steps(job: Job, secrets: NotifySecrets | None) -> list[str]:
    if secrets is None:
        return []
    if not secrets.secrets:
        return [secrets.idle_note(), *secrets.notes]
    literals = " ".join(f"--from-literal={name}='...'" for name in secrets.names)
    return [
        "3. notify's secrets, one key per variable (the container gets each under its name):",
        f"   kubectl create secret generic {secret_name(job)} {literals}",
        *secrets.listing("   "),
        *secrets.notes,
    ]


# ---------------------------------------------------------------------- github actions


def github_schedule(job: Job, today: dt.date) -> list[str]:
    """The job's cron as UTC expressions for ``on.schedule`` (exact, or ConfigError)."""
    offset = fixed_utc_offset(job.timezone, today)
    if offset is None:
        raise ConfigError(
            f"{job.path}: cron: GitHub Actions evaluates cron in UTC, and {job.timezone} "
            "changes its UTC offset during the year (daylight saving time), so no fixed "
            f"schedule matches {job.cron.text!r} all year; use --target kubernetes, systemd "
            "or cron (they take a time zone)")
    try:
        return to_utc(job.cron, offset)
    except CronError as exc:
        raise ConfigError(
            f"{job.path}: cron: {job.cron.text!r} in {job.timezone} cannot be written in "
            f"UTC for GitHub Actions: {exc}") from None


def _offset_text(zone: str, today: dt.date) -> str:
    offset = fixed_utc_offset(zone, today) or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def github_actions(job: Job, ctx: ExportContext) -> str:
    """A workflow: UTC ``schedule``, ``workflow_dispatch``, a non-overlapping concurrency
    group, the key from a repository secret written to a file."""
    crons = github_schedule(job, ctx.today)
    q = json.dumps
    head = [
        *_title(job, "as a GitHub Actions workflow"),
        f"Save as .github/workflows/sheetsync-{job.name}.yml; add the repository secret",
        f"{GITHUB_SECRET} (Settings > Secrets and variables > Actions) = the service-account",
        "key JSON. GitHub evaluates cron in UTC:",
        f"{job.cron.text!r} in {job.timezone} ({_offset_text(job.timezone, ctx.today)}) is "
        + " plus ".join(repr(c) for c in crons) + " in UTC.",
        "Scheduled runs may start late when GitHub is busy; the concurrency group keeps",
        "one run at a time and at most one waiting (a coalesced run).",
        *_config_notes(job, "the runner",
                       "what a run writes to it is lost when the runner ends"),
    ]
    secrets = notify_secrets(job)
    head += _github_secret_notes(job, secrets)
    if _min_gap(job) < 5:
        head.append("NOTE: GitHub starts scheduled workflows at most every 5 minutes.")
    if job.command == "validate":
        step = [
            "      - name: Validate (annotations; input errors do not fail the workflow)",
            f"        run: sheetsync validate --config {shlex.quote(ctx.config_file(job))} "
            "--format github || [ $? -eq 1 ]",
        ]
    else:
        step = [f"      - name: Run job {job.name}"]
        if secrets is not None and secrets.secrets:
            step += ["        env:",
                     *(f"          {name}: ${{{{ secrets.{name} }}}}" for name in secrets.names)]
        step.append(f"        run: sheetsync schedule --once {shlex.quote(ctx.job_file(job))}")
    lines = [
        *(f"# {line}" for line in head),
        f"name: {q('sheetsync ' + job.name)}",
        "on:",
        "  schedule:",
        *(f"    - cron: {q(c)}" for c in crons),
        "  workflow_dispatch: {}",
        "concurrency:",
        f"  group: {q('sheetsync-' + job.name)}",
        "  cancel-in-progress: false",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  sheetsync:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 30",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.11"',
        "      - name: Install sheetsync",
        "        run: python -m pip install .",
        "      - name: Write the service-account key to a file",
        "        env:",
        f"          GOOGLE_KEY: ${{{{ secrets.{GITHUB_SECRET} }}}}",
        "        run: |",
        "          umask 077",
        '          printf \'%s\' "$GOOGLE_KEY" > "$RUNNER_TEMP/google-key.json"',
        '          echo "GOOGLE_APPLICATION_CREDENTIALS=$RUNNER_TEMP/google-key.json"'
        ' >> "$GITHUB_ENV"',
        *step,
        "",
    ]
    return "\n".join(lines)


def _github_secret_notes(job: Job, secrets: NotifySecrets | None) -> list[str]:
    if secrets is None:
        return []
    if not secrets.secrets:
        return [secrets.idle_note(), *secrets.notes]
    for name in secrets.names:
        if name.upper().startswith("GITHUB_"):
            raise ConfigError(
                f"{job.config_ref}: {name}: GitHub Actions secret names cannot start with "
                "GITHUB_; name the variable otherwise in the notify: section")
    return [
        "notify's secrets: add these repository secrets too (same place, same names); the",
        "last step passes each to notify as the variable of that name:",
        *secrets.listing("  "),
        *secrets.notes,
    ]


def _min_gap(job: Job) -> int:
    """Smallest gap in minutes between two runs within an hour (60 for one per hour)."""
    minutes = sorted(job.cron.minute.values)
    gaps = [b - a for a, b in itertools.pairwise(minutes)] + [60 - minutes[-1] + minutes[0]]
    return min(gaps)
