"""What every report shares: its inputs, its column declarations, and the Report record.

A report is one module under :mod:`sheetsync.reports` that computes its frame from the
validated deals, declares its columns (ja/en labels, kinds, widths, number formats) and turns
the frame into its tab (:class:`~sheetsync.tabspec.TabSpec`) and its JSON rows. The pipeline,
the JSON output and the backends only iterate :data:`sheetsync.reports.REPORTS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from sheetsync.forecast_snapshots import ForecastHistory
from sheetsync.issues import Issue
from sheetsync.metrics.settings import MetricsSettings
from sheetsync.rewind import ChangeLog
from sheetsync.schema import Label
from sheetsync.tabspec import Column, ColumnKind, TabSpec

Language = Literal["ja", "en"]
JsonKind = Literal["int", "float", "bool", "text", "list"]

#: conditional fills and fonts (hex RGB), shared so the tabs read alike
RED = "#F8D7DA"
AMBER = "#FFE0B2"
YELLOW = "#FFF3CD"
GREEN = "#D4EDDA"
DARK_GREEN = "#1E7B34"
GREY = "#EDEDED"
GREY_TEXT = "#6B6B6B"


def check_language(language: str) -> Language:
    """``language`` if it is ``ja`` or ``en``; ``ValueError`` otherwise."""
    if language not in ("ja", "en"):
        raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
    return language  # type: ignore[return-value]


@dataclass(frozen=True)
class ReportInput:
    """What every report computes from: the validated deals (with the change history's
    columns when known), the targets at the forecast's granularity, and the settings; for
    reports that count problems per rep, the register's validation issues and the 担当者
    typed in each register row (1-based row → text, see :func:`sheetsync.report.row_owners`);
    and ``computed``, the tables of the reports computed before this one (by JSON key), which
    a report may take instead of computing them again; ``forecast_history``, the forecast
    snapshots stored by earlier runs (:mod:`sheetsync.forecast_snapshots`)."""

    deals: pd.DataFrame
    settings: MetricsSettings
    targets: pd.DataFrame | None = None
    issues: Sequence[Issue] = ()
    row_owners: Mapping[int, str] = field(default_factory=dict)
    computed: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    forecast_history: ForecastHistory = field(default_factory=ForecastHistory)
    #: what the register's past is rebuilt from (パイプライン増減); None: no history known
    change_log: ChangeLog | None = None


@dataclass(frozen=True)
class TabContext:
    """What a tab needs besides its frame: language, the note row, where links point, and
    how schema values are shown."""

    language: Language = "ja"
    note: str | None = None
    register_tab: str = "案件一覧"
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    source_labels: Mapping[str, str] = field(default_factory=dict)
    #: where the register's header is (1-based row) and each field's column in it (0-based):
    #: what a filter on the register needs (unknown: links go to the tab, unfiltered)
    register_header_row: int = 1
    register_columns: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a report's tab: its key in the frame, ja/en headers, kind, width and
    (optionally) a number format per language."""

    key: str
    ja: str
    en: str
    kind: ColumnKind = "text"
    width: float | None = None
    formats: Mapping[str, str] | None = None  # language → number format pattern

    def header(self, language: Language) -> str:
        return self.en if language == "en" else self.ja

    def column(self, language: Language) -> Column:
        fmt = (self.formats or {}).get(language)
        return Column(key=self.key, header=self.header(language), kind=self.kind,
                      width=self.width, number_format=fmt)


def columns(specs: Sequence[ColumnSpec], language: Language) -> list[Column]:
    """The tab columns of ``specs`` in ``language``."""
    return [s.column(language) for s in specs]


@dataclass(frozen=True)
class Report:
    """One report: its JSON key, its tab's name, and the three functions that make it (a
    fourth when its tab shows a second table with a JSON key of its own)."""

    key: str
    title: Label
    compute: Callable[[ReportInput], pd.DataFrame]
    #: the report's JSON value: a list of rows (or one object, e.g. ``pipeline_changes``)
    json_rows: Callable[[pd.DataFrame], list[dict[str, Any]] | dict[str, Any]]
    tab: Callable[[pd.DataFrame, TabContext], TabSpec]
    #: further top-level JSON keys the same frame gives (key → value), e.g. ファネル's
    #: ``calibration`` beside ``funnel``
    more_json: Callable[[pd.DataFrame], dict[str, Any]] | None = None

    def tab_name(self, language: str) -> str:
        return self.title(language)


# -- frame → cells and JSON -------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, NA, NaT and NaN are missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def json_column(series: pd.Series, kind: JsonKind) -> list[Any]:
    """A frame column as JSON values: ints, floats, bools, text or lists; None if missing."""
    values = series.astype(object).tolist()
    if kind == "list":
        return [list(v) for v in values]
    if kind == "int":
        return [None if is_missing(v) else int(v) for v in values]
    if kind == "float":
        return [None if is_missing(v) else float(v) for v in values]
    if kind == "bool":
        return [None if is_missing(v) else bool(v) for v in values]
    return [None if is_missing(v) else str(v) for v in values]


def json_rows(df: pd.DataFrame, keys: Mapping[str, JsonKind]) -> list[dict[str, Any]]:
    """``df`` as JSON rows with ``keys`` in order (each converted as its kind)."""
    names = list(keys)
    data = [json_column(df[k], keys[k]) for k in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*data, strict=True)]


def cell_values(series: pd.Series, kind: ColumnKind) -> list[Any]:
    """A column as plain cells (vectorised): None for missing, int for money and counts."""
    missing = series.isna().to_numpy()
    if kind in ("money", "int"):
        numbers = pd.to_numeric(series)
        if not pd.api.types.is_integer_dtype(numbers):  # float with NaN: round to whole yen
            numbers = numbers.astype("Float64").round()
        values = numbers.fillna(0).astype("int64").tolist()
    elif kind in ("ratio", "number"):
        values = pd.to_numeric(series).astype("float64").tolist()
    elif kind == "date":
        values = pd.to_datetime(series).dt.date.astype(object).tolist()
    else:
        values = series.astype(object).tolist()
    if missing.any():
        return [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def records(df: pd.DataFrame, cols: Sequence[Column]) -> list[list[Any]]:
    """The rows of ``df`` as tab cells, one list per row, in the order of ``cols``."""
    data = [cell_values(df[c.key], c.kind) for c in cols]
    if not data or len(df) == 0:
        return []
    return [list(row) for row in zip(*data, strict=True)]
