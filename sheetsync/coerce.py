"""Cell coercion: what reps type → typed values. Pure functions, no I/O.

Every parser takes one cell value as the backend read it (``str``, ``int``, ``float``,
``bool``, ``date``/``datetime``, :class:`~sheetsync.grid.PercentValue` or ``None``) and
returns the typed value, or raises :class:`CoercionError` carrying a stable ``code`` and the
parameters its message needs. Ambiguous or impossible input is an error, never a guess.

>>> parse_money("１２０万円"), parse_money("1.2億"), parse_money("￥1,200,000円")
(1200000, 120000000, 1200000)
>>> parse_percent("８０％"), parse_percent(PercentValue(0.8))
(80.0, 80.0)
>>> parse_date("令和8年3月31日"), parse_date("R8.3.31")
(datetime.date(2026, 3, 31), datetime.date(2026, 3, 31))
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .grid import PercentValue, serial_to_datetime
from .textnorm import nfkc


class CoercionError(ValueError):
    """A cell value that cannot be read as the column's type.

    ``code`` is a stable slug (``invalid_money``, ``impossible_date`` …); ``params`` fill the
    message template in :mod:`sheetsync.messages`.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# Dates outside this range are almost certainly a typo or a number in the wrong column.
MIN_DATE = dt.date(1950, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
_MONEY_TOLERANCE = 1e-6
#: the largest amount a cell may hold: 1兆円 (10^12 yen). Far above any deal — a larger
#: number is a typo, or a date or phone number in the amount column — and low enough that a
#: whole sheet of such deals (1,048,576 rows, Excel's limit; fewer on Google) sums exactly in
#: 64-bit integers: no total in any tab can wrap around.
MAX_AMOUNT = 10**12

# ---------------------------------------------------------------------------------- money

_MONEY_UNITS = {"兆": 10**12, "億": 100_000_000, "万": 10_000, "千": 1_000, "k": 1_000,
                "m": 1_000_000}
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONEY_PART = re.compile(rf"({_NUMBER})([兆億万千kKM]?)")


#: a whole amount, optionally with ¥, one unit and 円 — ASCII digits after NFKC
_MONEY_FAST = re.compile(r"¥?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)([億万千]?)円?")


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def parse_money(value: Any) -> int:
    """Read an amount in JPY as a non-negative integer.

    Accepts number cells and text such as ``1,200,000``, ``¥1,200,000``, ``120万円``,
    ``1.2億``, ``1億2,000万円``, ``1200千円``, ``1,200K``, in full or half width.

    >>> parse_money("1億2,000万円")
    120000000
    """
    if isinstance(value, bool):
        raise CoercionError("invalid_money")
    if isinstance(value, (int, float)) and not isinstance(value, PercentValue):
        return _whole_yen(Decimal(repr(float(value))) if isinstance(value, float) else value)
    if not isinstance(value, str):
        raise CoercionError("invalid_money")
    if match := _MONEY_FAST.fullmatch(value if value.isascii() else nfkc(value)):
        # the forms reps type most (1,200,000 / ¥1,200,000 / 120万円 / 1200千円): what the
        # general reading below gives for them, without its passes over the text
        digits, unit = match.groups()
        return _whole_yen(int(digits.replace(",", "")) * (_MONEY_UNITS[unit] if unit else 1))
    return _read_money_text(value)


def _read_money_text(value: str) -> int:
    """The general reading of an amount typed as text (every form :func:`parse_money`
    accepts; tests/test_coerce_fast.py keeps its fast path equal to this)."""
    text = re.sub(r"\s+", "", nfkc(value))
    if text.startswith(("-", "−", "▲", "△")) or (text.startswith("(") and text.endswith(")")):
        raise CoercionError("negative_money")
    body = text.removeprefix("¥").removesuffix("円").removesuffix("JPY").removesuffix("jpy")
    total = Decimal(0)
    last_scale: int | None = None
    pos = 0
    for match in _MONEY_PART.finditer(body):
        if match.start() != pos:
            raise CoercionError("invalid_money")
        pos = match.end()
        unit = match.group(2)
        scale = _MONEY_UNITS[unit.lower()] if unit else 1
        # Compound amounts must go from larger to smaller units: 1億2000万 but not 2000万1億.
        if last_scale is not None and scale >= last_scale:
            raise CoercionError("invalid_money")
        last_scale = scale
        try:
            total += _decimal(match.group(1)) * scale
        except InvalidOperation as exc:  # pragma: no cover - the regex only lets digits through
            raise CoercionError("invalid_money") from exc
    if pos != len(body) or pos == 0:
        raise CoercionError("invalid_money")
    return _whole_yen(total)


def _whole_yen(amount: Decimal | int) -> int:
    if isinstance(amount, int):
        if amount < 0:
            raise CoercionError("negative_money")
        if amount > MAX_AMOUNT:
            raise CoercionError("money_too_large")
        return amount
    if not amount.is_finite():
        raise CoercionError("invalid_money")
    if amount < 0:
        raise CoercionError("negative_money")
    if amount > MAX_AMOUNT:
        raise CoercionError("money_too_large")
    rounded = int(amount.to_integral_value())
    # A float from a formula (1320000.0000000002) is a whole yen; 1.5 yen is not.
    if abs(amount - rounded) > Decimal(str(_MONEY_TOLERANCE)):
        raise CoercionError("fractional_money")
    return rounded


# -------------------------------------------------------------------------------- percent

_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)(%)?$")


def parse_percent(value: Any) -> float:
    """Read a percentage in 0–100.

    ``80``, ``80%``, ``８０％`` and a percent-formatted cell holding ``0.8`` all give 80.
    A plain number strictly between 0 and 1 is ambiguous (0.8 % or 80 %?) and an error.
    """
    if isinstance(value, bool):
        raise CoercionError("invalid_percent")
    if isinstance(value, PercentValue):
        result = float(value) * 100
        # 0.1 * 100 = 10.000000000000002: keep what the rep saw in the cell
        result = round(result, 9)
    elif isinstance(value, (int, float)):
        result = _float(value, "percent_out_of_range")
        if 0 < result < 1:
            raise CoercionError("ambiguous_percent", suggestion=_fmt_number(result * 100))
    elif isinstance(value, str):
        text = re.sub(r"\s+", "", nfkc(value))
        match = _PERCENT_RE.match(text)
        if not match:
            if text.startswith("-") and _PERCENT_RE.match(text[1:]):
                raise CoercionError("percent_out_of_range")
            raise CoercionError("invalid_percent")
        result = float(match.group(1))
        if not match.group(2) and 0 < result < 1:
            raise CoercionError("ambiguous_percent", suggestion=_fmt_number(result * 100))
    else:
        raise CoercionError("invalid_percent")
    if not math.isfinite(result) or result < 0 or result > 100:
        raise CoercionError("percent_out_of_range")
    return result


def _fmt_number(number: float) -> str:
    return f"{number:.10g}"


def _float(value: int | float, code: str) -> float:
    """``float(value)``; an integer too large for a float (a 400-digit number cell) is the
    error ``code``, not an ``OverflowError``."""
    try:
        return float(value)
    except OverflowError:
        raise CoercionError(code) from None


# ---------------------------------------------------------------------------------- dates

# (era start, last valid day) — an era year before the start or after the end is impossible.
_ERAS: dict[str, tuple[dt.date, dt.date]] = {
    "令和": (dt.date(2019, 5, 1), dt.date(9999, 12, 31)),
    "平成": (dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    "昭和": (dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
}
_ERA_ALIASES = {"r": "令和", "令": "令和", "h": "平成", "平": "平成", "s": "昭和", "昭": "昭和"}
_ERA_ALIASES.update({name: name for name in _ERAS})

_SEP = r"[/\-.]"
_YMD_RE = re.compile(rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})$")
_YMD_KANJI_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA_RE = re.compile(
    rf"^(令和|平成|昭和|令|平|昭|r|h|s)(\d{{1,3}}|元)(?:年(\d{{1,2}})月(\d{{1,2}})日?|"
    rf"{_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}}))$"
)
#: 2026/3/31, 2026-03-31, 2026.3.31, 2026年3月31日, 20260331 as typed (ASCII digits after
#: NFKC; no space, weekday or time): year, then month and day of one of the three forms
_YMD_FAST = re.compile(
    r"([0-9]{4})(?:[/\-.]([0-9]{1,2})[/\-.]([0-9]{1,2})|年([0-9]{1,2})月([0-9]{1,2})日?"
    r"|([0-9]{2})([0-9]{2}))"
)
#: R8.3.31, 令和8年3月31日, H31/4/30 as typed
_ERA_FAST = re.compile(
    r"(令和|平成|昭和|令|平|昭|[RrHhSs])([0-9]{1,3}|元)"
    r"(?:年([0-9]{1,2})月([0-9]{1,2})日?|[/\-.]([0-9]{1,2})[/\-.]([0-9]{1,2}))"
)
_NO_YEAR_RE = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{1,2}})$|^(\d{{1,2}})月(\d{{1,2}})日?$")
_SHORT_YEAR_RE = re.compile(rf"^(\d{{2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})$")
_TIME_SUFFIX_RE = re.compile(
    r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)
_WEEKDAY_RE = re.compile(
    r"[(（][月火水木金土日](?:曜日?)?[)）]|\((?:mon|tue|wed|thu|fri|sat|sun)\)"
)


def parse_date(value: Any) -> dt.date:
    """Read a business date.

    Accepts real date cells, serial numbers (days since 1899-12-30), ``2026/3/31``,
    ``2026-03-31``, ``2026.3.31``, ``2026年3月31日``, ``令和8年3月31日``, ``R8.3.31``,
    ``20260331``, with an optional time or weekday. ``3/31`` (no year), two-digit years and
    impossible dates are errors.

    >>> parse_date(46112)
    datetime.date(2026, 3, 31)
    """
    if isinstance(value, bool):
        raise CoercionError("invalid_date")
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, (int, float)):
        return _from_number(_float(value, "date_out_of_range"))
    if not isinstance(value, str):
        raise CoercionError("invalid_date")
    # the forms reps type most: what the general reading below gives for them, without its
    # passes over the text
    typed = value if value.isascii() else nfkc(value)
    if match := _YMD_FAST.fullmatch(typed):
        year, *parts = match.groups()
        month, day = [p for p in parts if p is not None]
        return _in_range(_make_date(int(year), int(month), int(day)))
    if match := _ERA_FAST.fullmatch(typed):
        era, year, *parts = match.groups()
        month, day = [p for p in parts if p is not None]
        return _era_date(_ERA_ALIASES[era.casefold()], year, month, day)
    return _read_date_text(value)


def _read_date_text(value: str) -> dt.date:
    """The general reading of a date typed as text (every form :func:`parse_date` accepts;
    tests/test_coerce_fast.py keeps its fast path equal to this)."""
    text = nfkc(value).strip().casefold()
    text = _WEEKDAY_RE.sub("", text).strip()
    text = _TIME_SUFFIX_RE.sub("", text).strip()
    text = re.sub(r"\s+", "", text)
    if match := (_YMD_RE.match(text) or _YMD_KANJI_RE.match(text) or _COMPACT_RE.match(text)):
        year, month, day = (int(g) for g in match.groups())
        return _in_range(_make_date(year, month, day))
    if match := _ERA_RE.match(text):
        return _era_date(_ERA_ALIASES[match.group(1)], match.group(2),
                         match.group(3) or match.group(5), match.group(4) or match.group(6))
    if _NO_YEAR_RE.match(text):
        raise CoercionError("date_without_year")
    if _SHORT_YEAR_RE.match(text):
        raise CoercionError("ambiguous_year")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        # A serial number typed as text (or pasted from another system).
        return _from_number(float(text))
    raise CoercionError("invalid_date")


def _era_date(era: str, year_text: str, month_text: str, day_text: str) -> dt.date:
    """The day of a Japanese era date: ``令和``, ``8`` (or ``元``), ``3``, ``31``."""
    era_year = 1 if year_text == "元" else int(year_text)
    start, end = _ERAS[era]
    result = _make_date(start.year + era_year - 1, int(month_text), int(day_text))
    if era_year < 1 or result < start or result > end:
        raise CoercionError("impossible_date")
    return _in_range(result)


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CoercionError("impossible_date") from exc


def _from_number(number: float) -> dt.date:
    if not math.isfinite(number):
        raise CoercionError("invalid_date")
    if number.is_integer() and 19_000_101 <= number <= 29_991_231:
        # 20260331 typed into a number cell: a yyyymmdd date, never a serial (that is year 57000)
        whole = int(number)
        return _in_range(_make_date(whole // 10_000, whole // 100 % 100, whole % 100))
    if number < 1 or number > 2_958_465:
        raise CoercionError("date_out_of_range")
    result = serial_to_datetime(number)
    if isinstance(result, dt.datetime):
        result = result.date()
    return _in_range(result)


def _in_range(value: dt.date) -> dt.date:
    if value < MIN_DATE or value > MAX_DATE:
        raise CoercionError("date_out_of_range")
    return value


# ------------------------------------------------------------------------- numbers, text


def parse_number(value: Any) -> float:
    """Read a plain number (``1,234.5``, full width allowed)."""
    if isinstance(value, bool):
        raise CoercionError("invalid_number")
    if isinstance(value, (int, float)):
        number = _float(value, "invalid_number")
    elif isinstance(value, str):
        text = re.sub(r"\s+", "", nfkc(value))
        if not re.fullmatch(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", text):
            raise CoercionError("invalid_number")
        number = float(text.replace(",", ""))  # 400 digits: inf, refused below
    else:
        raise CoercionError("invalid_number")
    if not math.isfinite(number):
        raise CoercionError("invalid_number")
    return number


def parse_integer(value: Any) -> int:
    """Read a whole number."""
    number = parse_number(value)
    if not number.is_integer():
        raise CoercionError("invalid_integer")
    return int(number)


#: what a spreadsheet shows for a formula that failed: never an ID or a name
ERROR_VALUES = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA",
})
#: the longest ID or name (a ``string`` field): a 1 MB "案件ID" is a paste gone wrong
MAX_STRING = 255


def parse_string(value: Any) -> str:
    """Read a short text — an ID, a name: trimmed like :func:`parse_text`, but a TRUE/FALSE
    cell, a formula's error value (``#N/A``) or more than :data:`MAX_STRING` characters is an
    error, not a name.

    >>> parse_string(" D-001 ")
    'D-001'
    """
    if isinstance(value, bool):
        raise CoercionError("boolean_not_text")
    text = parse_text(value)
    if text.upper() in ERROR_VALUES:
        raise CoercionError("error_value")
    if len(text) > MAX_STRING:
        raise CoercionError("text_too_long", max=MAX_STRING, length=f"{len(text):,}")
    return text


def parse_text(value: Any) -> str:
    """Read text: trimmed, never evaluated. Numbers keep their digits (``1001``, not ``1001.0``)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()
