"""``sheetsync`` command line: parse options, call the library, render the result.

Exceptions become exit codes in one place (:class:`~sheetsync.cli_options.SheetsyncGroup`):
configuration and usage errors exit 2, an unreachable or unwritable spreadsheet exits 3,
validation errors in the data exit 1, a clean run exits 0. The options several commands
share live in :mod:`sheetsync.cli_options`; the commands that write into the register
(`schema`, `fix`) in :mod:`sheetsync.cli_schema`, registered below.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli_messages import aborted, translate, usage_hint
from .cli_options import (
    EXIT_BACKEND,
    EXIT_CLEAN,
    EXIT_INVALID,
    EXIT_USAGE,
    SheetsyncGroup,
    as_of_option,
    config_option,
    format_option,
    new_console,
    open_config,
    remember_language,
    usage_language,
)
from .cli_schema import fix, schema_group
from .errors import SheetsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from . import pipeline
    from .config import Config

# Start-up: importing this module loads click and the small cli_* modules only. Each command
# imports what it works with (the pipeline — pandas, numpy, pydantic —, rich, a backend) in
# its body, so `sheetsync --help` and `--version` answer before any of it is loaded, and a
# workbook run never loads gspread or google-auth (tests/test_cli_startup.py).


def _progress(console: Console, language: str) -> pipeline.Progress:
    """A one-line status on stderr for interactive terminals; silent otherwise."""
    from rich.console import Console

    from . import pipeline

    err = Console(stderr=True, highlight=False)
    if not err.is_terminal:
        return pipeline._quiet
    labels = {"read": ("読み込み中", "reading"), "validate": ("検証中", "validating"),
              "compute": ("集計中", "computing"), "render": ("タブ作成中", "building tabs"),
              "write": ("書き込み中", "writing"),
              "history": ("履歴を作成中", "building the history")}

    def show(phase: str) -> None:
        ja, en = labels.get(phase, (phase, phase))
        err.print(f"[dim]… {en if language == 'en' else ja}[/dim]", end="\r")

    return show


# -------------------------------------------------------------------------------- commands


@click.group(cls=SheetsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetsync")
def cli() -> None:
    """sheetsync keeps a shared deal register (案件管理) honest.

    It checks every row of the register against the schema, then writes back the tabs
    managers read: forecast vs target, win rates, deals needing follow-up, input errors.
    """


@cli.command()
@config_option
@format_option("table", "json", "github")
@as_of_option
def validate(config_path: Path, fmt: str, as_of: dt.date | None) -> None:
    """Check the register and report every problem. Read-only.

    Exit code 0: clean (warnings allowed); 1: errors found; 2: bad config; 3: the
    spreadsheet could not be read.
    """
    from . import pipeline
    from .render import github_annotations, print_report, summary_line, write_json

    config = open_config(config_path)
    checked = pipeline.check(config, as_of=as_of, progress=_progress(new_console(),
                                                                     config.language))
    report = checked.report
    if fmt == "json":
        write_json(report.to_json())
    elif fmt == "github":
        for line in github_annotations(report, checked.location):
            click.echo(line)
        click.echo(summary_line(report, checked.register.name, config.language))
    else:
        print_report(new_console(), report, checked.register.name, config.language)
    sys.exit(EXIT_INVALID if report.errors else EXIT_CLEAN)


@cli.command()
@config_option
@format_option("table", "json")
@as_of_option
@click.option("--dry-run", is_flag=True, help="Compute and print, but write nothing.")
def run(config_path: Path, fmt: str, as_of: dt.date | None, dry_run: bool) -> None:
    """Validate, compute every tab and write them back in one atomic step.

    Writes 売上予測, 受注率, 要フォロー案件 and 入力エラー (names follow `language`);
    the register itself is never modified.
    """
    from . import pipeline
    from .render import write_json

    config = open_config(config_path)
    console = new_console()
    result = pipeline.run(config, as_of=as_of, dry_run=dry_run,
                          progress=_progress(console, config.language))
    if fmt == "json":
        write_json(result.json_items())
    else:
        _print_run(console, result, config, dry_run)
    sys.exit(EXIT_INVALID if result.report.errors else EXIT_CLEAN)


def _print_run(console: Console, result: pipeline.RunResult, config: Config,
               dry_run: bool) -> None:
    from .render import forecast_table, stale_table, summary_line
    from .reports import report
    from .reports.forecast import landing_line

    language = config.language
    # only what is printed: the forecast rows and the first 10 follow-ups (the whole JSON
    # would build every follow-up row — 66,000 of them at 100,000 deals, 1.5 s)
    forecast_rows = report("forecast").json_rows(result.frames["forecast"])
    stale_frame = result.frames["stale"]
    data = {"forecast": forecast_rows,
            "stale": report("stale").json_rows(stale_frame.head(10))}
    team = _current_team_row(data["forecast"], result)
    period = team["period"] if team else None
    en = language == "en"
    console.print(f"[bold]{'Forecast' if en else '売上予測'}[/bold] "
                  f"({period or '-'}; {'as of' if en else '基準日'} {result.as_of})")
    if team is not None:
        # one line, never broken inside an amount (the terminal wraps it if it must)
        console.print(landing_line(team, language), soft_wrap=True)
        console.print(forecast_table(data["forecast"], language, team["period"]))
    stale, count = data["stale"], len(stale_frame)
    details = {c.value: {"label": c.label(language)}
               for c in result.checked.schema.stage_field.choices}
    title = "Deals needing follow-up" if en else "要フォロー案件"
    console.print(f"[bold]{title}[/bold] ({count}{'' if en else '件'}"
                  f"{', top 10' if en and count > 10 else ''}"
                  f"{'、上位10件' if not en and count > 10 else ''})")
    if stale:
        console.print(stale_table(stale, language, 10, details))
    console.print(summary_line(result.report, result.checked.register.name, language))
    if dry_run:
        console.print("[yellow]--dry-run: nothing was written.[/yellow]" if en else
                      "[yellow]--dry-run: 何も書き込んでいません。[/yellow]")
    elif result.written:
        tabs = ", ".join(result.written.tabs)
        console.print(f"{'Wrote' if en else '書き込み'}: {tabs} → {result.written.location}")


def _current_team_row(rows: list[dict[str, Any]], result: pipeline.RunResult
                      ) -> dict[str, Any] | None:
    """The team row of the period containing as-of (JSON shape)."""
    from .reports.forecast import current_row

    return current_row(rows, result.settings)


@cli.command("notify")
@config_option
@as_of_option
@click.option("--owner", metavar="NAME",
              help="Only this rep's digest (matched like 担当者: 佐藤　健 = 佐藤 健).")
@click.option("--dry-run", is_flag=True,
              help="Print every digest; send nothing and record nothing.")
@click.option("--force", is_flag=True,
              help="Send even though this config already sent today.")
@format_option("text", "json")
def notify_command(config_path: Path, as_of: dt.date | None, owner: str | None,
                   dry_run: bool, force: bool, fmt: str) -> None:
    """Send each rep their digest, and the managers the team's (notify: in the config).

    A rep gets their top follow-ups by impact (reasons, next action, a link to the row),
    their line of the current period and the cells they must fix; managers get the team
    line, the reps behind target and the biggest slips. Mail over SMTP, Slack and Google
    Chat webhooks. Computes what `run` computes; never writes a computed tab.

    Once a business day per config (the day is kept in the spreadsheet): a second call is
    refused with exit code 0 unless --force. Exit code 3 when a message could not be sent
    after retries (the others are sent), 2 for a configuration problem.
    """
    from .notify import send_digests
    from .notify.output import result_text
    from .render import write_json

    config = open_config(config_path)
    result = send_digests(config, as_of=as_of, owner=owner, dry_run=dry_run, force=force,
                          progress=_progress(new_console(), config.language))
    if result.refused:
        click.echo(f"sheetsync: {translate(result.refused, config.language)}", err=True)
    if fmt == "json":
        write_json(result.to_json())
    else:
        click.echo(result_text(result), nl=False)
    sys.exit(EXIT_BACKEND if result.failed else EXIT_CLEAN)


@cli.command()
@click.argument("directory", required=False, default="sheetsync-demo",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--language", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
              help="Language of the demo's tabs and messages.")
@as_of_option(help="Build the demo as of this day and run as of it, so the same day gives "
                   "the same output (default: today in Asia/Tokyo).")
@click.option("--force", is_flag=True,
              help="Overwrite an existing deals.xlsx/config.yaml in DIRECTORY (edits in them "
                   "are lost).")
def demo(directory: Path, language: str, as_of: dt.date | None, force: bool) -> None:
    """Write a demo register to DIRECTORY (default ./sheetsync-demo) and run on it.

    Creates DIRECTORY/deals.xlsx (about 300 deals, a few deliberate input errors, a 目標
    tab) and DIRECTORY/config.yaml, runs the whole job on it as a team's weekly runs would
    have since the summer (the reps' edits between them: 変更履歴, 前週比, パイプライン増減 and
    the funnel have something to show), then today's run, and tells you what to open.
    When DIRECTORY already holds either file (you may have edited it), nothing is written
    unless you pass --force.
    """
    from .config import Config
    from .demo import build_demo, write_demo_config

    remember_language(language)
    workbook = directory / "deals.xlsx"
    config_path = directory / "config.yaml"
    existing = [p for p in (workbook, config_path) if p.exists()]
    if existing and not force:
        raise SheetsyncError(f"{existing[0]} already exists (edits in it would be lost); "
                             "pass --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    today = as_of or Config().today()  # the demo config's zone is the default one
    write_demo_config(config_path, workbook.name, language=language)
    config = open_config(config_path)
    console = new_console()
    # weekly runs since the summer, the reps' edits between them: today's run comes last
    result, stats = build_demo(config, today=today, language=language,
                               progress=_progress(console, language))
    # dropdowns, formats and header notes, so opening the demo shows the rules at work
    from .apply import apply_schema

    setup = apply_schema(config)
    _print_demo(console, result, stats, workbook, config_path, language, setup.setup)


def _print_demo(console: Console, result: pipeline.RunResult, stats: Any, workbook: Path,
                config_path: Path, language: str, setup: Any) -> None:
    from .reports.forecast import landing_line

    data = result.to_json()
    en = language == "en"
    team = _current_team_row(data["forecast"], result)
    report = result.report
    console.print(("[bold]sheetsync demo[/bold] — " if en else "[bold]sheetsync デモ[/bold] — ")
                  + (f"{stats.deals} deals, {len(stats.reps)} reps" if en else
                     f"{stats.deals}件の案件・担当者{len(stats.reps)}名"))
    if team is not None:
        console.print("  " + landing_line(team, language), soft_wrap=True)
    stale = len(data["stale"])
    console.print(f"  Deals needing follow-up: {stale}" if en else f"  要フォロー案件: {stale}件")
    console.print(
        f"  Input errors: {len(report.errors)} · warnings: {len(report.warnings)}" if en else
        f"  入力エラー: {len(report.errors)}件 ・ 警告: {len(report.warnings)}件")
    if result.written:
        visible = [t for t in result.written.tabs if not t.startswith("_")]
        console.print(("  Tabs written: " if en else "  書き込んだタブ: ") + ", ".join(visible))
    rules = sum(1 for c in setup.columns if c.rule is not None)
    console.print(f"  Schema applied: {rules} columns with dropdowns/rules, formats, header "
                  "notes, a Field definitions tab" if en else
                  f"  スキーマを適用: {rules}列に入力規則・書式・見出しのメモ、項目定義タブ")
    console.print(("Open " if en else "開いてください: ") + f"[bold]{workbook.resolve()}[/bold]")
    console.print(("Run it again: " if en else "再実行: ")
                  + f"sheetsync run --config {config_path}")


@cli.command("schedule")
@click.argument("job_files", nargs=-1, metavar="[JOBS]...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--once", is_flag=True,
              help="Run each job once, in order, and exit (what cron calls).")
def schedule_command(job_files: tuple[Path, ...], once: bool) -> None:
    """Run jobs (default: jobs/*.yaml) on their cron schedules, in the foreground.

    One log line per run on stderr. Never two runs at once; missed runs are coalesced;
    SIGTERM/SIGINT lets the run in progress finish, then exits 0. A bad job file exits 2
    before anything runs.

    With --once, exit code 0 when every job ran (input errors are data: they are in the
    log line and the 入力エラー tab) or was skipped; 2 when a job's configuration is broken;
    3 when a spreadsheet could not be reached or written.
    """
    from . import schedule as scheduling
    from .jobs import find_job_files, load_jobs

    jobs = load_jobs(job_files or find_job_files())
    scheduling.configure_logging()
    if once:
        sys.exit(scheduling.run_once(jobs)[1])
    sys.exit(scheduling.serve(jobs))


@cli.group("jobs")
def jobs_group() -> None:
    """Job files (jobs/*.yaml): export them to the scheduler you already run."""


@jobs_group.command("export")
@click.option("--target", "-t", required=True,
              type=click.Choice(["cron", "systemd", "kubernetes", "github-actions"]),
              help="Scheduler to write a manifest for.")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory the job runs in, for cron/systemd (default: the current one).")
@click.argument("job", required=False)
def jobs_export(target: str, project_dir: Path | None, job: str | None) -> None:
    """Print a ready manifest for JOB (a job name or file; default: the only job).

    cron: a crontab entry; systemd: a .service and a .timer; kubernetes: a ConfigMap and
    a CronJob (key from a Secret); github-actions: a workflow (cron converted to UTC).
    """
    from .export import ExportContext, export_job
    from .jobs import select_job

    chosen = select_job(job)
    click.echo(export_job(chosen, target, ExportContext.detect(project_dir)), nl=False)


cli.add_command(schema_group)
cli.add_command(fix)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors are one line, never a traceback.

    Under ``language: ja`` sheetsync's own words are Japanese (the hint, a message sheetsync
    wrote such as a bad --as-of); click's own usage wording stays as click writes it.
    """
    try:
        code = cli.main(args=argv, prog_name="sheetsync", standalone_mode=False)
    except click.UsageError as exc:
        language = usage_language(exc.ctx)
        if isinstance(exc, click.BadParameter):
            exc.message = translate(exc.message, language)
        command = exc.ctx.command_path if exc.ctx else "sheetsync"
        click.echo(f"sheetsync: {exc.format_message()}{usage_hint(command, language)}",
                   err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        click.echo(f"sheetsync: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(f"sheetsync: {aborted(usage_language(None))}", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def entry() -> None:
    """The ``sheetsync`` command and ``python -m sheetsync``: :func:`main`, then a quick exit.

    Once a command is done, tearing the interpreter down frees every object of pandas,
    numpy and pydantic one by one: 0.2–0.3 s after the last line is printed, on every
    command. Here the exit handlers still run (log files flushed, temporary folders removed),
    both streams are flushed, and the process ends without that teardown. The normal exit is
    kept when another thread is still running, or under a profiler or a tracer (coverage,
    pyinstrument, cProfile write their results after the program returns).
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    if (not isinstance(code, int) or sys.gettrace() is not None
            or sys.getprofile() is not None or _other_threads()):
        sys.exit(code)
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`sheetsync run | head`)
            pass
    os._exit(code)


def _other_threads() -> bool:
    import threading

    return any(t is not threading.main_thread() and not t.daemon and t.is_alive()
               for t in threading.enumerate())


if __name__ == "__main__":  # pragma: no cover
    entry()
