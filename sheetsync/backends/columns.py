"""The columns of an owned tab as both backends lay them out: the plain value of a cell and
a width that fits.

The workbook writes widths in characters, Google in pixels (``google.render.pixels``); both
start from :func:`column_widths`, so a tab looks the same in Excel and in Sheets. A column is
as wide as its bold header or its widest sampled value, as its number format shows it
(:mod:`.cell_width`), plus 2 characters of padding.

>>> from sheetsync.tabspec import Column, TabSpec
>>> amount = Column("amount", "見込金額", kind="money")
>>> column_widths(TabSpec(name="t", columns=[amount], rows=[[120_000_000]]))   # ¥120,000,000
[14.0]
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
from typing import Any

from ..tabspec import Column, Link, TabSpec
from .cell_width import display_width, number_width

MAX_WIDTH = 60.0
MIN_WIDTH = 6.0
#: rows measured per column: enough for any real tab, cheap for the 100,000-row snapshot
WIDTH_SAMPLE_ROWS = 5000


def plain_value(value: Any) -> Any:
    """numpy/pandas/Decimal scalars → Python values; NaN/NaT/NA/inf → None."""
    t = type(value)
    if value is None or t in _PLAIN_TYPES:
        return value
    if t is float:
        return value if math.isfinite(value) else None
    name = t.__name__
    if name in ("NAType", "NaTType"):
        return None
    if isinstance(value, bool) or (name in ("bool_", "bool") and "numpy" in t.__module__):
        return bool(value)
    if isinstance(value, (dt.date, Link)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        f = float(value)
        return f if math.isfinite(f) else None
    return str(value)


_PLAIN_TYPES = frozenset({str, bool, int, dt.date, dt.datetime, Link})


def _value_width(value: Any, column: Column) -> float:
    """Display width of one (plain) value in ``column``, as its number format shows it."""
    if value is None:
        return 0.0
    if isinstance(value, Link):
        return display_width(value.text)
    if isinstance(value, str):
        return display_width(value)
    if isinstance(value, bool):
        return 5.0
    if isinstance(value, dt.datetime):
        return 16.0 if column.kind != "date" else 10.0
    if isinstance(value, dt.date):
        return 10.0
    if isinstance(value, (int, float)):
        if column.kind in ("date", "datetime"):
            return 16.0 if column.kind == "datetime" else 10.0
        return number_width(value, column.pattern)
    return float(len(str(value)))


def column_width(spec: TabSpec, index: int) -> float:
    """Width of column ``index``: wide enough for its bold header and the sampled values
    (+ 2 characters of padding), at least the given ``Column.width``; capped at
    :data:`MAX_WIDTH` unless the given width is larger."""
    col = spec.columns[index]
    best = display_width(col.header) * 1.1  # bold
    seen: set[tuple[type, Any]] = set()  # a value measured once (owners, stages repeat)
    widest = MAX_WIDTH - 2.0  # a value this wide fills the column: nothing can widen it
    for row in spec.rows[:WIDTH_SAMPLE_ROWS]:
        if index < len(row):
            value = row[index]
            if value.__class__ is str and 2 * len(value) <= best:
                continue  # no character is wider than 2: it cannot be the widest
            try:
                key = (type(value), value)
                if key in seen:
                    continue
                seen.add(key)
            except TypeError:  # unhashable: measured every time
                pass
            w = _value_width(plain_value(value), col)
            if w > best:
                best = w
                if best >= widest:
                    break
    fitted = min(MAX_WIDTH, max(MIN_WIDTH, best + 2.0))
    return round(max(fitted, float(col.width or 0.0)), 2)


def column_widths(spec: TabSpec) -> list[float]:
    """Widths (characters) of the columns of ``spec``: see :func:`column_width`."""
    return [column_width(spec, i) for i in range(len(spec.columns))]
