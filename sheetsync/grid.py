"""The typed grid every backend reads a tab into.

A cell value is one of: ``None`` (empty), ``str``, ``int``, ``float``, ``bool``,
``datetime.date``, ``datetime.datetime`` or :class:`PercentValue` (a number shown with a
percent format, e.g. ``0.8`` displayed as ``80%``). Formulas are read as their cached value
(a workbook's formula without one is :class:`Uncalculated`, a ``str`` holding the formula).
Both backends produce the same grid for the same cells: that is the backend contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union


class PercentValue(float):
    """A number cell formatted as a percentage: ``PercentValue(0.8)`` is shown as 80 %."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"PercentValue({float(self)!r})"


class Uncalculated(str):
    """A formula whose result the file does not hold (saved by a program that does not
    calculate, or a formula never recalculated): its text is the formula, ``=SUM(B2:B9)``.
    Validation reports it instead of reading it as a blank cell. Google always answers with
    the result, so only a workbook can hold one."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Uncalculated({str(self)!r})"


# (Union spelled out: this alias is evaluated at runtime on Python 3.10 too)
CellValue = Union[None, str, int, float, bool, dt.date, dt.datetime, PercentValue]  # noqa: UP007

# Spreadsheet serial numbers count days from this date (Lotus 1-2-3 / Excel / Google Sheets).
SERIAL_EPOCH = dt.datetime(1899, 12, 30)


def serial_to_datetime(serial: float) -> dt.date | dt.datetime:
    """Convert a spreadsheet serial number to a date (or datetime when it has a time part).

    >>> serial_to_datetime(43831)
    datetime.date(2020, 1, 1)
    >>> serial_to_datetime(43831.5)
    datetime.datetime(2020, 1, 1, 12, 0)
    """
    # round to the millisecond: serials are floats and 12:00 must stay 12:00; the rounding
    # carries into the second (00:00:59.9996 is 00:01:00, not 00:00:59)
    day, fraction = divmod(float(serial), 1)
    value = SERIAL_EPOCH + dt.timedelta(days=int(day), milliseconds=round(fraction * 86_400_000))
    if value.time() == dt.time(0, 0):
        return value.date()
    return value


def date_to_serial(value: dt.date | dt.datetime) -> float | int:
    """Inverse of :func:`serial_to_datetime`.

    >>> date_to_serial(dt.date(2020, 1, 1))
    43831
    """
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - SERIAL_EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return (value - SERIAL_EPOCH.date()).days


@dataclass(frozen=True)
class TabInfo:
    """What a backend knows about a tab without reading its cells."""

    name: str
    tab_id: int
    index: int
    hidden: bool = False
    row_count: int = 0
    column_count: int = 0


@dataclass
class Grid:
    """The cells of one tab, row-major; rows may be ragged (trailing empties trimmed)."""

    name: str
    rows: list[list[CellValue]] = field(default_factory=list)

    def cell(self, row: int, column: int) -> CellValue:
        """Value at 1-based ``row`` and ``column``; ``None`` outside the data."""
        if row < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        if column < 1 or column > len(values):
            return None
        return values[column - 1]

    @property
    def width(self) -> int:
        return max(map(len, self.rows), default=0)

    @classmethod
    def from_rows(cls, name: str, rows: Sequence[Sequence[Any]]) -> Grid:
        return cls(name, [list(r) for r in rows])
