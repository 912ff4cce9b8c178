"""The one orchestration path: read → validate → compute → write, in a single batch.

:func:`check` is the read-only half (``sheetsync validate``); :func:`run` does everything
and writes every owned tab in the backend's one atomic write (none with ``dry_run``).
Both return values; the CLI only renders them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import forked
from .backends import Backend, ReadResult, WriteResult, open_backend
from .config import Config
from .dictionary import DICTIONARY_TAB
from .errors import (
    ChangedSinceReadSkip,
    ConfigError,
    FileChangedError,
    LeaseHeldError,
    TabMissingError,
)
from .forecast_snapshots import (
    FORECAST_SNAPSHOT_TAB,
    ForecastHistory,
    SnapshotRetention,
    forecast_snapshot_tab,
    read_forecast_history,
)
from .gcpause import paused_gc
from .grid import Grid
from .history import (
    HISTORY_TAB,
    SNAPSHOT_TAB,
    Change,
    Observation,
    Retention,
    close_pushed_on,
    current_values,
    history_tab,
    observe,
    read_snapshot,
    snapshot_tab,
    stale_columns,
)
from .issues import Issue, Report
from .lease import Lease, default_runner, new_lease, note_markers, read_lease
from .metrics.settings import MetricsSettings
from .names import spellings
from .report import ERRORS_TAB, errors_tab, row_owners, run_note
from .reports import REPORTS, ReportInput, TabContext
from .reports.forecast_history import updated_history
from .rewind import REMOVED_TAB, ChangeLog, build_change_log, kept_tombstones, removed_tab
from .schema import Schema, load_schema
from .stage_paths import schema_stages, seed_paths, steps_column, track_stages
from .tabspec import TabSpec
from .targets_tab import TARGETS_TITLE, read_targets
from .validate import ValidationResult, validate_register

Progress = Callable[[str], None]


def _quiet(_phase: str) -> None:
    return None


@dataclass
class Checked:
    """What ``validate`` produces: the register's verdict (plus the targets tab's)."""

    config: Config
    schema: Schema
    as_of: dt.date
    read: ReadResult
    register: Grid
    validation: ValidationResult
    targets: pd.DataFrame
    target_issues: list[Issue]
    backend: Backend
    timings: dict[str, float] = field(default_factory=dict)
    as_of_given: bool = False

    @property
    def report(self) -> Report:
        """Register report with the targets tab's issues added (they count as errors too)."""
        base = self.validation.report
        return Report(rows=base.rows, excluded_rows=base.excluded_rows,
                      issues=[*base.issues, *self.target_issues])

    @property
    def location(self) -> str:
        return self.backend.describe()


@dataclass
class RunResult:
    """Everything a run computed, and what it wrote. ``frames`` holds each report's table
    by its JSON key (:data:`~sheetsync.reports.REPORTS`)."""

    checked: Checked
    run_at: dt.datetime
    settings: MetricsSettings
    frames: dict[str, pd.DataFrame]
    tabs: list[TabSpec]
    changes: list[Change] = field(default_factory=list)
    written: WriteResult | None = None

    @property
    def forecast(self) -> pd.DataFrame:
        return self.frames["forecast"]

    @property
    def win_rate(self) -> pd.DataFrame:
        return self.frames["win_rate"]

    @property
    def stale(self) -> pd.DataFrame:
        return self.frames["stale"]

    @property
    def as_of(self) -> dt.date:
        return self.checked.as_of

    @property
    def report(self) -> Report:
        return self.checked.report

    @property
    def timings(self) -> dict[str, float]:
        return self.checked.timings

    def to_json(self) -> dict[str, Any]:
        """The JSON contract (docs/definitions.md, plus ``tabs_written``): one key per report."""
        return dict(self.json_items())

    def json_items(self) -> Iterator[tuple[str, Any]]:
        """:meth:`to_json`'s keys and values in order, each made when it is asked for (the
        CLI writes one before it makes the next: render.write_json)."""
        yield "as_of", self.as_of.isoformat()
        yield "validation", self.report.to_json()
        for report in REPORTS:
            yield report.key, report.json_rows(self.frames[report.key])
            if report.more_json is not None:
                yield from report.more_json(self.frames[report.key]).items()
        yield "tabs_written", self.written.tabs if self.written else []


@contextmanager
def _phase(timings: dict[str, float], name: str, progress: Progress) -> Iterator[None]:
    progress(name)
    start = time.perf_counter()
    try:
        with paused_gc():
            yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _candidates(configured: str | None, ja: str, en: str) -> list[str]:
    return [configured] if configured else list(dict.fromkeys([ja, en]))


def check(
    config: Config,
    *,
    as_of: dt.date | None = None,
    progress: Progress = _quiet,
    backend: Backend | None = None,
) -> Checked:
    """Read the register (and targets) and validate them. Never writes."""
    timings: dict[str, float] = {}
    schema = load_schema(config.schema_path)
    as_of_given = as_of is not None
    as_of = as_of or config.today()
    register_names = _candidates(config.tabs.register_tab, schema.title.ja, schema.title.en)
    target_names = _candidates(config.tabs.targets, TARGETS_TITLE.ja, TARGETS_TITLE.en)
    state_names = [SNAPSHOT_TAB, HISTORY_TAB(config.language), FORECAST_SNAPSHOT_TAB]
    state_names.append(REMOVED_TAB)  # パイプライン増減: removed deals' values
    with _phase(timings, "read", progress):
        backend = backend or open_backend(config, register_tab=None)
        read = backend.read([*register_names, *target_names, *state_names])
    register_name = next((n for n in register_names if n in read.grids), None)
    if register_name is None:
        present = ", ".join(t.name for t in read.tabs) or "(none)"
        wanted = " / ".join(register_names)
        raise TabMissingError(
            f"{backend.describe()}: register tab {wanted} not found (tabs present: {present}); "
            "set tabs.register in the config if it has another name"
        )
    _protect_register(backend, register_name)
    register = read.grids[register_name]
    with _phase(timings, "validate", progress):
        validation = validate_register(
            register, schema, language=config.language, owners=config.owners, as_of=as_of
        )
        target_grid = next((read.grids[n] for n in target_names if n in read.grids), None)
        targets, target_issues = read_targets(
            target_grid, language=config.language,
            fiscal_year_start_month=config.fiscal_year_start_month,
            period=config.forecast.period,
            owner_spellings=spellings(_owners(validation), config.owners),
        )
    return Checked(config, schema, as_of, read, register, validation, targets, target_issues,
                   backend, timings, as_of_given)


def _owners(validation: ValidationResult) -> list[Any]:
    deals = validation.deals
    return deals["owner"].tolist() if "owner" in deals.columns else []


def _protect_register(backend: Backend, name: str) -> None:
    # The backend refuses to write the register tab once it knows its name.
    setter = getattr(backend, "set_register_tab", None)
    if setter is not None:
        setter(name)
    elif hasattr(backend, "register_tab"):
        backend.register_tab = name  # type: ignore[attr-defined]


def metrics_settings(config: Config, schema: Schema, as_of: dt.date) -> MetricsSettings:
    """Resolve config + schema into the metrics' settings (stage names → schema values)."""
    stage = schema.stage_field
    by_stage: dict[str, int] = {}
    for name, days in config.stale.by_stage.items():
        try:
            by_stage[stage.choice(name).value] = days
        except KeyError:
            allowed = ", ".join(c.value for c in stage.choices)
            raise ConfigError(
                f"{config.source}: stale.by_stage.{name}: not a stage (stages: {allowed})"
            ) from None
    return MetricsSettings(
        as_of=as_of,
        fiscal_year_start_month=config.fiscal_year_start_month,
        period=config.forecast.period,
        stage_probability={c.value: c.probability or 0.0 for c in stage.choices},
        won_stages=frozenset(c.value for c in stage.choices if c.closed and c.outcome == "won"),
        lost_stages=frozenset(c.value for c in stage.choices
                              if c.closed and c.outcome == "lost"),
        rank_probability={c.value: c.probability or 0.0 for c in schema.field("rank").choices},
        stale_default_days=config.stale.default_days,
        stale_by_stage=by_stage,
        stale_max_close_pushes=config.stale.max_close_pushes,
        window_months=config.win_rate.window_months,
        lead_sources=tuple(c.value for c in schema.field("lead_source").choices),
        hold_stages=schema.hold_stages(),
        pipeline_changes_days=config.pipeline_changes.days,
        probabilities=config.forecast.probabilities,
        stale_unrealistic_close=config.stale.unrealistic_close,
        accuracy_weeks=tuple(config.forecast_accuracy.weeks_before),
    )


def run(
    config: Config,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress = _quiet,
    backend: Backend | None = None,
    run_at: dt.datetime | None = None,
    runner: str | None = None,
    respect_lease: bool = False,
) -> RunResult:
    """Validate, compute every tab, and write them all in one atomic step.

    ``runner`` names this process in the lease the write records (default ``host:pid``).
    With ``respect_lease`` (scheduled runs), another runner's unexpired lease — or a write
    by anyone between this run's read and write — makes the run a skip
    (:class:`~sheetsync.errors.LeaseHeldError`) instead of an error.
    """
    checked = check(config, as_of=as_of, progress=progress, backend=backend)
    timings = checked.timings
    run_at = run_at or config.now()
    runner = runner or default_runner()
    held = read_lease(checked.read.grids.get(SNAPSHOT_TAB))
    if respect_lease and held is not None and held.held_by_other(runner, run_at):
        raise LeaseHeldError(held.owner, held.expires.astimezone(run_at.tzinfo).strftime(
            "%Y-%m-%d %H:%M %Z"))
    # only a scheduled run holds the spreadsheet for its slot; a manual run's lease ends with
    # the run, so a manager refreshing at 8:55 never cancels the 9:00 job
    lease = new_lease(runner, run_at, config.schedule.lease_minutes if respect_lease else 0)
    settings = metrics_settings(config, checked.schema, checked.as_of)
    with _phase(timings, "history", progress):  # what changed since the last run
        observation = observe_changes(checked, run_at)
        deals = stale_columns(checked.validation.deals, observation.snapshot)
        deals = steps_column(deals, observation.snapshot)
        pushed = close_pushed_on(checked.read.grids.get(HISTORY_TAB(config.language)),
                                 observation.changes, checked.schema)
        deals = deals.assign(last_close_push=pd.to_datetime(
            deals["deal_id"].map(pushed), errors="coerce").astype("datetime64[ns]"))
        history_log = change_log(checked, observation)
    with _phase(timings, "compute", progress):
        frames: dict[str, pd.DataFrame] = {}  # filled in REPORTS' order: later ones reuse
        inputs = ReportInput(
            deals=deals, settings=settings, targets=checked.targets,
            issues=checked.validation.report.issues,
            row_owners=row_owners(checked.register, checked.validation.header),
            change_log=history_log,
            computed=frames, forecast_history=stored_forecasts(checked))
        compute_reports(inputs, frames)
        forecasts = updated_history(inputs)  # today's snapshot recorded: what is written
    with _phase(timings, "render", progress):
        tabs = build_tabs(checked, run_at, frames, observation, lease, forecasts)
        tabs += removed_tabs(checked, history_log)
    result = RunResult(checked, run_at, settings, frames, tabs, observation.changes)
    if not dry_run:
        with _phase(timings, "write", progress):
            try:
                result.written = checked.backend.write(tabs, checked.read)
            except FileChangedError as exc:
                if not respect_lease:
                    raise
                # a scheduled run that lost the race: the other write stands, as it should
                raise ChangedSinceReadSkip() from exc
    return result


#: reports that use no other report's result: computed on the second core (:mod:`.forked`)
#: while this process computes the others
BESIDE = frozenset({"pipeline_changes", "funnel", "win_rate"})


def compute_reports(inputs: ReportInput, frames: dict[str, pd.DataFrame]) -> None:
    """Every report's frame into ``frames`` (the dict ``inputs.computed`` is: a later report
    may reuse an earlier one's), in :data:`REPORTS`' order: those in :data:`BESIDE` in a
    forked child when the register is big enough (:func:`.forked.can_fork`), the others
    here meanwhile."""
    beside = [r for r in REPORTS if r.key in BESIDE]
    pending = forked.start(lambda: {r.key: r.compute(inputs) for r in beside},
                           len(inputs.deals))
    try:
        for report in REPORTS:
            if report.key not in BESIDE:
                frames[report.key] = report.compute(inputs)
        frames.update(pending.result())
    except BaseException:
        pending.cancel()
        raise
    ordered = {r.key: frames[r.key] for r in REPORTS}
    frames.clear()
    frames.update(ordered)


def observe_changes(checked: Checked, run_at: dt.datetime) -> Observation:
    """Compare the register with the last-seen snapshot. Changes are stamped with the run
    time, or with ``--as-of``'s date when one was given (backfills, reproducible runs).
    Each deal's stage path follows (:mod:`.stage_paths`; an older state tab's rebuilt once
    from 変更履歴)."""
    schema = checked.schema
    snapshot = seed_paths(read_snapshot(checked.read.grids.get(SNAPSHOT_TAB)),
                          checked.read.grids.get(HISTORY_TAB(checked.config.language)), schema)
    current = current_values(checked.validation, checked.register, schema)
    stamp: dt.datetime | dt.date = (
        checked.as_of if checked.as_of_given
        else run_at.replace(tzinfo=None, second=0, microsecond=0))
    day = stamp.date() if isinstance(stamp, dt.datetime) else stamp
    observation = track_stages(snapshot, observe(snapshot, current, observed_at=stamp),
                               day=day, stages=schema_stages(schema),
                               closed=schema.closed_stages())
    observation.before = snapshot  # what パイプライン増減 takes removed deals' values from
    return observation


def stored_forecasts(checked: Checked) -> ForecastHistory:
    """The forecast snapshots earlier runs stored (予測の推移), with their retention."""
    history = checked.config.history
    return read_forecast_history(checked.read.grids.get(FORECAST_SNAPSHOT_TAB),
                                 SnapshotRetention(history.retention_days, history.forecast_rows))


def change_log(checked: Checked, observation: Observation) -> ChangeLog:
    """What パイプライン増減 rebuilds the register's past from (:mod:`.rewind`): the changes
    observed (変更履歴 and this run's), the snapshot, the removed deals' last values."""
    config = checked.config
    grids = checked.read.grids
    return build_change_log(
        observation=observation, schema=checked.schema, validation=checked.validation,
        state=(observation.before if observation.before is not None
               else grids.get(SNAPSHOT_TAB)),
        history=grids.get(HISTORY_TAB(config.language)),
        removed=grids.get(REMOVED_TAB), language=config.language, owners=config.owners,
        retention=Retention(config.history.retention_rows, config.history.retention_days))


def removed_tabs(checked: Checked, log: ChangeLog) -> list[TabSpec]:
    """The hidden tab keeping removed deals' last values (:mod:`.rewind`): written when it
    has deals to keep, or exists and must be emptied."""
    kept = kept_tombstones(log.tombstones, checked.as_of)
    if not kept and REMOVED_TAB not in checked.read.grids:
        return []
    return [removed_tab(kept, log.snapshot.fields)]


def build_tabs(
    checked: Checked,
    run_at: dt.datetime,
    frames: dict[str, pd.DataFrame],
    observation: Observation,
    lease: Lease | None = None,
    forecasts: ForecastHistory | None = None,
) -> list[TabSpec]:
    """Every tab sheetsync owns, in the order they appear in the spreadsheet: the reports',
    then 入力エラー, 変更履歴, the hidden snapshot and (given ``forecasts``) the hidden
    forecast snapshots."""
    language = checked.config.language
    schema = checked.schema
    report = checked.report
    note = run_note(
        language=language, as_of=checked.as_of, run_at=run_at,
        excluded_rows=report.excluded_rows, errors_tab=ERRORS_TAB(language),
    )
    register = checked.register.name
    stage_labels = {c.value: c.label(language) for c in schema.stage_field.choices}
    source_labels = {c.value: c.label(language) for c in schema.field("lead_source").choices}
    header = checked.validation.header
    context = TabContext(language=language, note=note, register_tab=register,  # type: ignore[arg-type]
                         stage_labels=stage_labels, source_labels=source_labels,
                         register_header_row=header.row if header else 1,
                         register_columns=dict(header.columns) if header else {})
    tabs = [report.tab(frames[report.key], context) for report in REPORTS]
    tabs += [
        errors_tab(report.issues, language=language, note=note, register=checked.register,
                   header=checked.validation.header),
        history_tab(
            checked.read.grids.get(HISTORY_TAB(language)), observation.changes, schema=schema,
            language=language, note=note, as_of=checked.as_of,
            retention=Retention(checked.config.history.retention_rows,
                                checked.config.history.retention_days),
        ),
        snapshot_tab(observation.snapshot, lease,
                     list(note_markers(checked.read.grids.get(SNAPSHOT_TAB)).values()),
                     read=observation.before),
    ]
    if forecasts is not None:
        tabs.append(forecast_snapshot_tab(forecasts))
    protect_owned_tabs(checked, tabs)
    return tabs


def protect_owned_tabs(checked: Checked, tabs: list[TabSpec]) -> None:
    """Once the team has put the schema into the sheet (`schema apply` wrote 項目定義, with
    ``enforce.protect_tabs``), every visible tab sheetsync writes keeps its protection — a
    run's tabs, and 変更履歴 when `fix --apply` rewrites it: a rewritten tab would otherwise
    lose it."""
    if (checked.config.enforce.protect_tabs
            and checked.read.tab(DICTIONARY_TAB(checked.config.language))):
        for tab in tabs:
            tab.protected = not tab.hidden
