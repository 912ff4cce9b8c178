"""Fiscal periods: fiscal years, quarter and month keys, and the 目標 tab's period labels.

A fiscal year is named by the calendar year in which it starts: with start month 4, FY2026
is 2026-04-01 … 2027-03-31; with start month 1 it is calendar 2026. Keys are canonical
strings: ``FY2026`` (year), ``FY2026-H1`` (first half, 上期: 2026-04 … 2026-09 with start
month 4), ``FY2026-Q3`` (quarter 3 of FY2026: 2026-10 … 2026-12) and ``2026-10`` (a
calendar month).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sheetsync.errors import SheetsyncError
from sheetsync.messages import quote

Kind = Literal["year", "half", "quarter", "month"]
_KIND_ORDER = {"year": 0, "half": 1, "quarter": 2, "month": 3}
YEAR_MIN, YEAR_MAX = 1900, 2999


class PeriodError(SheetsyncError, ValueError):
    """A period label that is not understood. ``code`` is a stable slug, ``params`` the details.

    Codes: ``period_empty``, ``period_unrecognized``, ``period_ambiguous``,
    ``period_year_missing``, ``period_year_digits``, ``period_year_out_of_range``,
    ``period_quarter_out_of_range``, ``period_half_out_of_range``,
    ``period_month_out_of_range``.
    ``params`` always holds ``text`` (the label as given).
    """

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        self.code = code
        self.params = params
        super().__init__(period_error_message(code, params, "en"))


@dataclass(frozen=True, order=True)
class Period:
    """One fiscal year, fiscal quarter or calendar month. ``end`` is inclusive.

    ``fiscal_year`` is the fiscal year the period belongs to (for a month: the FY containing
    it). Periods sort by start date, a year before its first half before its first quarter
    before its first month.
    """

    start: dt.date
    _rank: int = field(repr=False)
    kind: Kind = field(compare=False)
    fiscal_year: int = field(compare=False)
    end: dt.date = field(compare=False)
    key: str = field(compare=False)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def covers(self, other: Period) -> bool:
        """Whether ``other`` lies entirely within this period."""
        return self.start <= other.start and other.end <= self.end


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, the day clamped to the month's length.

    >>> add_months(dt.date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _check_start_month(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, got {start_month}")


def fiscal_year_of(day: dt.date, start_month: int = 4) -> int:
    """The fiscal year containing ``day``.

    >>> fiscal_year_of(dt.date(2026, 3, 31)), fiscal_year_of(dt.date(2026, 4, 1))
    (2025, 2026)
    >>> fiscal_year_of(dt.date(2026, 3, 31), 1)
    2026
    """
    _check_start_month(start_month)
    return day.year - (1 if day.month < start_month else 0)


def year_period(fiscal_year: int, start_month: int = 4) -> Period:
    """The whole fiscal year ``FY{fiscal_year}``."""
    _check_start_month(start_month)
    start = dt.date(fiscal_year, start_month, 1)
    end = add_months(start, 12) - dt.timedelta(days=1)
    return Period(start, 0, "year", fiscal_year, end, f"FY{fiscal_year}")


def half_period(fiscal_year: int, half: int, start_month: int = 4) -> Period:
    """Half ``half`` (1 = 上期, 2 = 下期) of ``FY{fiscal_year}``.

    >>> p = half_period(2026, 2)
    >>> p.key, p.start, p.end
    ('FY2026-H2', datetime.date(2026, 10, 1), datetime.date(2027, 3, 31))
    """
    _check_start_month(start_month)
    if half not in (1, 2):
        raise ValueError(f"half must be 1 or 2, got {half}")
    start = add_months(dt.date(fiscal_year, start_month, 1), 6 * (half - 1))
    end = add_months(start, 6) - dt.timedelta(days=1)
    return Period(start, 1, "half", fiscal_year, end, f"FY{fiscal_year}-H{half}")


def quarter_period(fiscal_year: int, quarter: int, start_month: int = 4) -> Period:
    """Quarter ``quarter`` (1–4) of ``FY{fiscal_year}``.

    >>> p = quarter_period(2026, 3)
    >>> p.key, p.start, p.end
    ('FY2026-Q3', datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    """
    _check_start_month(start_month)
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    start = add_months(dt.date(fiscal_year, start_month, 1), 3 * (quarter - 1))
    end = add_months(start, 3) - dt.timedelta(days=1)
    return Period(start, 2, "quarter", fiscal_year, end, f"FY{fiscal_year}-Q{quarter}")


def month_period(year: int, month: int, start_month: int = 4) -> Period:
    """Calendar month ``year-month``; its ``fiscal_year`` depends on ``start_month``."""
    start = dt.date(year, month, 1)
    end = add_months(start, 1) - dt.timedelta(days=1)
    fy = fiscal_year_of(start, start_month)
    return Period(start, 3, "month", fy, end, f"{year}-{month:02d}")


def period_of(day: dt.date, kind: Kind, start_month: int = 4) -> Period:
    """The period of granularity ``kind`` that contains ``day``."""
    fy = fiscal_year_of(day, start_month)
    if kind == "year":
        return year_period(fy, start_month)
    if kind == "half":
        return half_period(fy, (day.month - start_month) % 12 // 6 + 1, start_month)
    if kind == "quarter":
        return quarter_period(fy, (day.month - start_month) % 12 // 3 + 1, start_month)
    return month_period(day.year, day.month, start_month)


def fiscal_periods(
    as_of: dt.date, start_month: int = 4, kind: Literal["quarter", "month"] = "quarter"
) -> list[Period]:
    """The periods of the fiscal year containing ``as_of``, in order.

    >>> [p.key for p in fiscal_periods(dt.date(2026, 4, 1))]
    ['FY2026-Q1', 'FY2026-Q2', 'FY2026-Q3', 'FY2026-Q4']
    >>> [p.key for p in fiscal_periods(dt.date(2026, 3, 31), 4, "month")][:2]
    ['2025-04', '2025-05']
    """
    return year_periods(fiscal_year_of(as_of, start_month), start_month, kind)


def year_periods(
    fiscal_year: int, start_month: int = 4, kind: Literal["quarter", "month"] = "quarter"
) -> list[Period]:
    """The base periods (quarters or months) of ``FY{fiscal_year}``, in order.

    >>> [p.key for p in year_periods(2027, 1)]
    ['FY2027-Q1', 'FY2027-Q2', 'FY2027-Q3', 'FY2027-Q4']
    """
    if kind == "quarter":
        return [quarter_period(fiscal_year, q, start_month) for q in range(1, 5)]
    first = dt.date(fiscal_year, start_month, 1)
    return [period_of(add_months(first, i), "month", start_month) for i in range(12)]


def period_positions(
    dates: pd.Series, fiscal_year: int, start_month: int, kind: Literal["quarter", "month"]
) -> np.ndarray:
    """Vectorised: for each date, its 0-based period index within ``fiscal_year``, else -1.

    -1 for ``NaT`` and for dates outside the fiscal year.
    """
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates)
    known = dates.notna().to_numpy()
    year = dates.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    month = dates.dt.month.to_numpy(dtype="float64", na_value=np.nan)
    year = np.where(known, year, 0).astype("int64")
    month = np.where(known, month, 1).astype("int64")
    offset = (month - start_month) % 12
    fy = year - (month < start_month)
    pos = offset // 3 if kind == "quarter" else offset
    return np.where(known & (fy == fiscal_year), pos, -1)


# --- parsing the 目標 tab's period labels ----------------------------------------------------

_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ー"})
_Q = r"(?:Q(\d+)|第(\d+)四半期|(\d+)Q)"
# H1/H2, 上期/下期, 上半期/下半期, 第1半期 (上 and 下 become 1 and 2 when parsed)
_H = r"(?:H(\d+)|([上下])半?期|第(\d+)半期)"
_ACCEPTED: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"FY(\d+)"), "year"),
    (re.compile(r"FY(\d+)[-/_]?" + _Q), "quarter"),
    (re.compile(r"FY(\d+)[-/_]?" + _H), "half"),
    (re.compile(r"(\d+)年度"), "year"),
    (re.compile(r"(\d+)年度[-/_]?" + _Q), "quarter"),
    (re.compile(r"(\d+)年度[-/_]?" + _H), "half"),
    (re.compile(r"(\d{4})[-/](\d+)"), "month"),
    (re.compile(r"(\d{4})年(\d+)月"), "month"),
]
# forms that look like a period but could mean two different things
_AMBIGUOUS = [
    re.compile(r"\d{4}年?[-/_]?" + _Q),  # 2026Q3: calendar or fiscal quarter?
    re.compile(r"\d{4}年?[-/_]?" + _H),  # 2026上期: calendar or fiscal half?
    re.compile(r"\d{4}年?"),  # 2026: calendar or fiscal year?
]
_YEARLESS = re.compile(r"(?:" + _Q + r"|" + _H + r"|\d+月)")
_HALF_WORDS = {"上": 1, "下": 2}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return re.sub(r"\s+", "", text).upper()


def parse_period(text: str, fiscal_year_start_month: int = 4) -> Period:
    """Parse a period label from the 目標 tab.

    Accepted (after NFKC normalisation, spaces ignored, case-insensitive): ``FY2026-Q3``,
    ``FY2026Q3``, ``2026年度Q3``, ``2026年度 第3四半期`` (fiscal quarters); ``2026-10``,
    ``2026/10``, ``2026年10月`` (calendar months); ``FY2026-H1``, ``FY2026H2``,
    ``2026年度上期``, ``2026年度 下半期``, ``2026年度H1`` (fiscal halves); ``FY2026``,
    ``2026年度`` (fiscal years). Anything else raises :class:`PeriodError`: ``2026Q3``,
    ``2026上期`` and ``2026`` are ambiguous (calendar or fiscal?), ``FY26`` has a two-digit
    year, ``Q3``/``上期``/``10月`` lack a year.

    >>> parse_period("２０２６年度 第３四半期").key
    'FY2026-Q3'
    >>> parse_period("2026年度上期").key, parse_period("fy2026-h2").key
    ('FY2026-H1', 'FY2026-H2')
    >>> parse_period("2026/1", 4).fiscal_year
    2025
    >>> parse_period("2026-13")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    sheetsync.metrics.periods.PeriodError: month 13 is not 1-12 in '2026-13'
    """
    _check_start_month(fiscal_year_start_month)
    raw = "" if text is None else str(text)
    norm = _normalise(raw)
    if not norm:
        raise PeriodError("period_empty", {"text": raw})
    for pattern, kind in _ACCEPTED:
        m = pattern.fullmatch(norm)
        if not m:
            continue
        groups = [g for g in m.groups() if g is not None]
        if len(groups[0]) != 4:
            # FY26 could be named by its start or its end year: only four digits are safe
            raise PeriodError("period_year_digits", {"text": raw})
        year = int(groups[0])
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise PeriodError("period_year_out_of_range", {"text": raw, "year": year})
        if kind == "year":
            return year_period(year, fiscal_year_start_month)
        number = _HALF_WORDS.get(groups[1]) or int(groups[1])
        if kind == "half":
            if number not in (1, 2):
                raise PeriodError("period_half_out_of_range", {"text": raw, "half": number})
            return half_period(year, number, fiscal_year_start_month)
        if kind == "quarter":
            if not 1 <= number <= 4:
                raise PeriodError("period_quarter_out_of_range", {"text": raw, "quarter": number})
            return quarter_period(year, number, fiscal_year_start_month)
        if not 1 <= number <= 12:
            raise PeriodError("period_month_out_of_range", {"text": raw, "month": number})
        return month_period(year, number, fiscal_year_start_month)
    if any(p.fullmatch(norm) for p in _AMBIGUOUS):
        raise PeriodError("period_ambiguous", {"text": raw})
    if _YEARLESS.fullmatch(norm):
        raise PeriodError("period_year_missing", {"text": raw})
    raise PeriodError("period_unrecognized", {"text": raw})


_MESSAGES: dict[str, dict[str, str]] = {
    "period_empty": {
        "ja": "期間が空です。例: FY2026-Q3、2026-10、2026年10月、2026年度上期、2026年度",
        "en": "the period is empty; write e.g. FY2026-Q3, 2026-10, FY2026-H1 or FY2026",
    },
    "period_unrecognized": {
        "ja": "期間「{text}」を読み取れません。"
        "例: FY2026-Q3、2026年度Q3、2026-10、2026年10月、2026年度上期、FY2026",
        "en": "cannot read period '{text}'; write e.g. FY2026-Q3, 2026-10, FY2026-H1 or FY2026",
    },
    "period_ambiguous": {
        "ja": "期間「{text}」は暦年か年度か曖昧です。"
        "FY2026-Q3、2026年度Q3、2026-10 のように書いてください",
        "en": "period '{text}' is ambiguous (calendar or fiscal?); write FY2026-Q3, FY2026 "
        "or 2026-10",
    },
    "period_year_missing": {
        "ja": "期間「{text}」に年がありません。例: FY2026-Q3、2026年10月",
        "en": "period '{text}' has no year; write e.g. FY2026-Q3 or 2026-10",
    },
    "period_year_digits": {
        "ja": "期間「{text}」の年は4桁で書いてください（例: FY2026-Q3）",
        "en": "write the year of '{text}' with four digits, e.g. FY2026-Q3",
    },
    "period_year_out_of_range": {
        "ja": "期間「{text}」の年 {year} は範囲外です",
        "en": "year {year} is out of range in '{text}'",
    },
    "period_quarter_out_of_range": {
        "ja": "期間「{text}」の四半期 {quarter} は 1〜4 ではありません",
        "en": "quarter {quarter} is not 1-4 in '{text}'",
    },
    "period_half_out_of_range": {
        "ja": "期間「{text}」の半期 {half} は 1〜2（上期・下期）ではありません",
        "en": "half {half} is not 1-2 in '{text}'",
    },
    "period_month_out_of_range": {
        "ja": "期間「{text}」の月 {month} は 1〜12 ではありません",
        "en": "month {month} is not 1-12 in '{text}'",
    },
}


def period_error_message(code: str, params: dict[str, Any], language: str = "ja") -> str:
    """The rendered message for a :class:`PeriodError` code, in ``language`` (ja or en); a
    long typed ``text`` is quoted by its beginning and its length, as cell values are."""
    templates = _MESSAGES.get(code, _MESSAGES["period_unrecognized"])
    lang = "en" if language == "en" else "ja"
    values = {"text": "", **params}
    values["text"] = quote(values["text"], lang)
    return templates.get(language, templates["en"]).format(**values)
