"""The demo workbook built the way a team's grows: a run a week, the reps' edits in between.

:func:`build_demo` writes the register as it stood on each of :func:`~.past.demo_run_days`
(derived backwards from today's: :mod:`.past`) and runs sheetsync on it as of that day — a
real run of :func:`sheetsync.pipeline.run`, written by the workbook backend. Between two
runs the reps edit the register: the next day's workbook is written afresh (register, 目標,
メモ as :class:`~.workbook.DemoBook` renders them) and every tab the previous run wrote is
spliced back into it unchanged — the hidden ``_sheetsync_state``, 変更履歴, the forecast
snapshots and the rest, rendered from the very specs that run wrote, in the same order — so
each run reads what it would have read in the team's file. The last run is today's, on the
register exactly as :func:`~.workbook.write_demo_workbook` writes it.

So a new user opening the demo sees 変更履歴 with rows on the runs' days, 売上予測's 前週比,
パイプライン増減, ファネル and its calibration, and 予測の推移's accuracy for last quarter.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import pipeline
from ..backends.workbook import WorkbookBackend
from ..config import Config
from ..tabspec import TabSpec
from .past import Past, demo_pasts, demo_run_days
from .workbook import DemoBook, DemoStats

#: the time of day the backdated runs are stamped with (a scheduled morning run)
RUN_TIME = dt.time(7, 0)
#: who the backdated runs say they were (the lease note of the hidden tab)
RUNNER = "sheetsync demo"
#: the stream the earlier values' typed forms are drawn from (today's never move)
_FORMS_SEED = "past-forms-{seed}"


class DemoHistory:
    """Today's demo and its past: the register as it stood on any day since the first run."""

    def __init__(self, *, today: dt.date, seed: int = 7, language: str = "ja",
                 start_month: int = 4) -> None:
        import random

        self.book = DemoBook(today=today, seed=seed, language=language)
        self.days = demo_run_days(today, start_month)
        self.pasts: list[Past] = demo_pasts(self.book.deals, today=today,
                                            horizon=self.days[0], seed=seed)
        self._out = self.book.renderer(random.Random(_FORMS_SEED.format(seed=seed)))
        self._drawn: dict[Any, Any] = {}

    def rows_on(self, day: dt.date) -> list[dict[str, Any]]:
        """The register's rows at the end of ``day``, in today's row order."""
        rows = []
        for index, past in enumerate(self.pasts):
            deal = past.on(day)
            if deal is not None:
                rows.append(self.book.row_as(index, deal, self._out, self._drawn))
        return rows

    def write(self, path: Path, day: dt.date) -> None:
        """The workbook (register, 目標, メモ) as it stood on ``day``; today's is the demo."""
        self.book.write(path, None if day >= self.book.today else self.rows_on(day))


def _carry(path: Path, tabs: Sequence[TabSpec]) -> None:
    """Splice the tabs a run wrote into the freshly written workbook at ``path``."""
    backend = WorkbookBackend(path)
    backend.write(tabs, backend.read([]))


def build_demo(
    config: Config,
    *,
    today: dt.date,
    seed: int = 7,
    language: str = "ja",
    progress: pipeline.Progress = pipeline._quiet,
    on_day: Callable[[dt.date, pipeline.RunResult], None] | None = None,
) -> tuple[pipeline.RunResult, DemoStats]:
    """Build the demo workbook at ``config``'s path through its backdated runs; return
    today's run (the one ``sheetsync demo`` reports) and what the register holds.

    ``on_day`` is called after each backdated run (tests look at the days between).
    """
    path = config.workbook_path
    history = DemoHistory(today=today, seed=seed, language=language,
                          start_month=config.fiscal_year_start_month)
    zone = zoneinfo.ZoneInfo(config.timezone)
    tabs: list[TabSpec] = []
    progress("history")
    for day in history.days[:-1]:
        history.write(path, day)
        if tabs:
            _carry(path, tabs)
        # its tabs are written into the next day's workbook (below), not into this one:
        # nobody opens this one again
        result = pipeline.run(config, as_of=day, runner=RUNNER, dry_run=True,
                              run_at=dt.datetime.combine(day, RUN_TIME, tzinfo=zone))
        tabs = result.tabs
        if on_day is not None:
            on_day(day, result)
    stats = history.book.write(path)
    if tabs:
        _carry(path, tabs)
    return pipeline.run(config, as_of=today, progress=progress), stats
