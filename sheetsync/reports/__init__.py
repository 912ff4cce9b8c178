"""The reports sheetsync computes and writes, one module each, and the one list of them.

Each report module (:mod:`.forecast`, :mod:`.win_rate`, :mod:`.followup`, :mod:`.owners`)
computes its frame from the validated deals, declares its columns (ja/en labels, kinds,
widths, formats), and builds its tab and its JSON rows; it ends with a
:class:`~.base.Report` named ``REPORT``. The pipeline computes every report of
:data:`REPORTS`, the JSON output has one top-level key per report (``Report.key``) and the
tabs are written in this order. Adding a report means
adding one module and one entry here::

    inputs = ReportInput(deals, settings, targets)
    frames = {r.key: r.compute(inputs) for r in REPORTS}
    payload = {r.key: r.json_rows(frames[r.key]) for r in REPORTS}
    tabs = [r.tab(frames[r.key], TabContext(language="ja", note="…")) for r in REPORTS]
"""

from __future__ import annotations

from sheetsync.reports import (
    followup,
    forecast,
    forecast_history,
    funnel,
    owners,
    pipeline_changes,
    win_rate,
)
from sheetsync.reports.base import Report, ReportInput, TabContext

#: every report, in the order of their tabs
REPORTS: tuple[Report, ...] = (forecast.REPORT, forecast_history.REPORT,
                               pipeline_changes.REPORT, win_rate.REPORT,
                               followup.REPORT, owners.REPORT, funnel.REPORT)


def report(key: str) -> Report:
    """The report whose JSON key is ``key`` (``KeyError`` if none)."""
    for r in REPORTS:
        if r.key == key:
            return r
    raise KeyError(key)


def tab_names(language: str) -> list[str]:
    """The names of the reports' tabs in ``language``."""
    return [r.tab_name(language) for r in REPORTS]


__all__ = ["REPORTS", "Report", "ReportInput", "TabContext", "report", "tab_names"]
