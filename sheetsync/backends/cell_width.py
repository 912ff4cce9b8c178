"""How wide a cell's text is when shown: the measure both backends size columns by.

Widths are in characters of the default font's digits (Excel's column unit); East Asian
wide and full-width characters count double. A number is measured as its number format
shows it — the section for its sign, quoted text such as ``"超過 ¥"`` included — so a
column never shows ``####`` for a negative amount.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_PLACEHOLDERS = "0#?"


def display_width(text: str) -> float:
    """Width in characters of the widest line; East Asian wide characters count double.

    >>> display_width("FY2026-Q1"), display_width("売上予測"), display_width("a\\n見込金額")
    (9.0, 8.0, 8.0)
    """
    if text.isascii():
        return float(max((len(line) for line in text.split("\n")), default=0))
    best = 0
    for line in text.split("\n"):
        best = max(best, sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                             for ch in line))
    return float(best)


def split_sections(pattern: str) -> list[str]:
    """A number format's ``positive;negative;zero;text`` sections (``;`` inside quotes or
    after ``\\`` does not split).

    >>> split_sections('¥#,##0;"超過; ¥"#,##0;¥0')
    ['¥#,##0', '"超過; ¥"#,##0', '¥0']
    """
    sections, buf, quoted, i = [], [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and not quoted:
            buf.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            sections.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    sections.append("".join(buf))
    return sections


@dataclass(frozen=True)
class _Section:
    """What one section of a number format adds to a number's digits."""

    literal: float  # display width of the text it shows around the number
    digits: bool  # whether it shows the number at all
    decimals: int
    grouping: bool  # thousands separators
    scale: float  # × 100 per ``%``, ÷ 1,000 per trailing comma


@lru_cache(maxsize=256)
def _sections(pattern: str) -> tuple[_Section, ...]:
    """The sections of ``pattern``, parsed once (a column measures thousands of values)."""
    return tuple(_parse(section) for section in split_sections(pattern))


def _parse(section: str) -> _Section:
    literal, code = _parts(section)
    digits = re.sub(r"[^0#?.,%]", "", code)
    scale = 100.0 ** digits.count("%")
    digits = digits.replace("%", "")
    while digits.endswith(","):  # a trailing comma scales by 1,000
        scale /= 1000
        digits = digits[:-1]
    whole, _, fraction = digits.partition(".")
    return _Section(literal=display_width(literal), digits=bool(re.search(r"[0#?]", digits)),
                    decimals=sum(fraction.count(p) for p in _PLACEHOLDERS),
                    grouping="," in whole, scale=scale)


def _parts(section: str) -> tuple[str, str]:
    """(literal text shown, number placeholders) of one section."""
    literal: list[str] = []
    code: list[str] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            literal.append(section[i + 1:end])
            i = end + 1
            continue
        if ch == "[":  # colour/condition/locale; a [$¥-411] currency shows its symbol
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            inner = section[i + 1:end]
            if inner.startswith("$"):
                literal.append(inner[1:].split("-")[0])
            i = end + 1
            continue
        if ch in "\\_*" and i + 1 < len(section):
            # \x shows x; _x leaves the width of x; *x repeats x to fill (no width of its own)
            literal.append("" if ch == "*" else section[i + 1])
            i += 2
            continue
        if ch in _PLACEHOLDERS or ch in ".,":
            code.append(ch)
        elif ch == "%":
            code.append(ch)
            literal.append(ch)
        else:
            literal.append(ch)
        i += 1
    return "".join(literal), "".join(code)


def number_width(value: float, pattern: str | None) -> float:
    """Width of ``value`` shown with ``pattern`` (None: Google's/Excel's general display).

    >>> number_width(-300000, '¥#,##0;"超過 ¥"#,##0;¥0')   # 超過 ¥300,000
    13.0
    >>> number_width(2.4, '0.0"倍"'), number_width(0.625, "0.0%"), number_width(-5, "#,##0")
    (5.0, 5.0, 2.0)
    """
    if pattern is None or pattern.lower() == "general":
        text = repr(value) if isinstance(value, float) and not value.is_integer() \
            else str(int(value))
        return float(len(text))
    sections = _sections(pattern)
    sign = ""
    if value < 0 and len(sections) > 1:  # the negative section shows the magnitude
        section, value = sections[1], -value
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    else:
        section, sign, value = sections[0], "-" if value < 0 else "", abs(value)
    if not section.digits:
        return section.literal + len(sign)
    text = f"{value * section.scale:{',' if section.grouping else ''}.{section.decimals}f}"
    return section.literal + len(text) + len(sign)
