"""Number formats: which cells hold dates, which percentages; the format a value needs.

Excel and Google read the same format codes (``yyyy/mm/dd``, ``0%``), so both backends
classify a column's pattern here; the built-in format ids only occur in ``.xlsx`` packages.

A number cell is a date when its style's number format is a date format (the rule openpyxl's
``is_date_format`` applies: the first section, quoted literals and ``[...]`` locale/colour
groups removed, contains ``d m y h s``), a percentage when that section contains ``%``.
Built-in format ids are those of ECMA-376 §18.8.30, plus the East Asian built-ins (27–36,
50–58) that Japanese Excel uses for ``2026年3月31日``-style dates without writing them out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..grid import PercentValue
from ..tabspec import NUMBER_FORMATS

OTHER = 0
DATE = 1
PERCENT = 2

#: ECMA-376 built-in number formats that matter for classification (id → format code)
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
    # East Asian locale built-ins (ja-JP shown): all dates or times
    27: '[$-411]ge.m.d',
    28: '[$-411]ggge"年"m"月"d"日"',
    29: '[$-411]ggge"年"m"月"d"日"',
    30: "m/d/yy",
    31: 'yyyy"年"m"月"d"日"',
    32: 'h"時"mm"分"',
    33: 'h"時"mm"分"ss"秒"',
    34: 'yyyy"年"m"月"',
    35: 'm"月"d"日"',
    36: '[$-411]ge.m.d',
    50: '[$-411]ge.m.d',
    51: '[$-411]ggge"年"m"月"d"日"',
    52: 'yyyy"年"m"月"',
    53: 'm"月"d"日"',
    54: '[$-411]ggge"年"m"月"d"日"',
    55: 'yyyy"年"m"月"',
    56: 'm"月"d"日"',
    57: '[$-411]ge.m.d',
    58: '[$-411]ggge"年"m"月"d"日"',
}

# the same stripping as openpyxl.styles.numbers.STRIP_RE
_STRIP_RE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_RE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_PERCENT_RE = re.compile(r"(?<![_\\])%")


def classify_format(code: str | None) -> int:
    """``DATE``, ``PERCENT`` or ``OTHER`` for a number format code.

    >>> classify_format("yyyy/mm/dd"), classify_format("0.0%"), classify_format("#,##0")
    (1, 2, 0)
    """
    if not code:
        return OTHER
    first = _STRIP_RE.sub("", code.split(";")[0])
    if first.lower() == "general":
        return OTHER
    if _DATE_RE.search(first):
        return DATE
    if _PERCENT_RE.search(first):
        return PERCENT
    return OTHER


def classify_format_id(num_fmt_id: int, custom: dict[int, str]) -> int:
    """Classify a style's ``numFmtId`` given the package's custom ``numFmts``."""
    code = custom.get(num_fmt_id)
    if code is None:
        code = BUILTIN_FORMATS.get(num_fmt_id)
    return classify_format(code)


def default_format(value: Any) -> str | None:
    """The number format a value needs to read back as itself (dates, percentages)."""
    if isinstance(value, PercentValue):
        return "0%"
    if isinstance(value, dt.datetime):
        return NUMBER_FORMATS["datetime"]
    if isinstance(value, dt.date):
        return NUMBER_FORMATS["date"]
    return None
