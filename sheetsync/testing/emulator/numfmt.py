"""Number formats: render a number the way a ``NumberFormat`` {type, pattern} shows it.

Supported: Google's "automatic" display of plain numbers, number patterns with ``0``/``#``
placeholders, thousands separators, percent, scientific, quoted or ``[$¥]`` literals and
``positive;negative;zero`` sections; date/time patterns (``yyyy``, ``yy``, ``m``/``mm``/
``mmm``/``mmmm`` months, ``d``/``dd``/``ddd``/``dddd``, ``h``/``hh``, minutes, ``ss``,
``am/pm``). Colours (``[Red]``), conditions and fraction patterns are ignored. Halves round
away from zero, as Sheets shows them (``2.25`` with ``0.0"倍"`` → ``2.3倍``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from functools import lru_cache
from typing import Any

SERIAL_EPOCH = dt.datetime(1899, 12, 30)

DEFAULT_PATTERNS = {
    "TEXT": "@",
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
    "SCIENTIFIC": "0.00E+00",
}
DATE_TYPES = {"DATE", "TIME", "DATE_TIME"}

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def serial_to_datetime(serial: float) -> dt.datetime:
    return SERIAL_EPOCH + dt.timedelta(days=serial)


def date_to_serial(value: dt.date | dt.datetime) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - SERIAL_EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def general(value: float) -> str:
    """A number as Google shows it without a format: ``1234.5``, ``2``, ``0.3333333333``."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "#NUM!"
    mag = abs(value)
    if mag >= 1e15 or mag < 1e-10:
        mantissa, exp = f"{value:.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{exp[0]}{int(exp[1:]):02d}"
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    digits = len(text.replace("-", "").replace(".", "").lstrip("0"))
    if digits > 15:
        text = f"{value:.15g}"
    return text if text not in ("-0", "") else "0"


def is_date_format(fmt: dict[str, Any] | None) -> bool:
    if not fmt:
        return False
    if fmt.get("type") in DATE_TYPES:
        return True
    pattern = fmt.get("pattern")
    return bool(pattern) and _is_date_pattern(pattern)


def format_value(value: float, fmt: dict[str, Any] | None) -> str:
    """Render ``value`` with a ``NumberFormat``; no format gives the automatic display."""
    if not fmt:
        return general(value)
    return _format_cached(float(value), fmt.get("type"), fmt.get("pattern"))


@lru_cache(maxsize=65536)
def _format_cached(value: float, type_: str | None, pattern: str | None) -> str:
    if not pattern and type_ in (None, "NUMBER_FORMAT_TYPE_UNSPECIFIED"):
        return general(value)
    pattern = pattern or DEFAULT_PATTERNS.get(type_ or "", "")
    if not pattern or pattern.lower() == "general":
        return general(value)
    sections = _split_sections(pattern)
    if value < 0 and len(sections) > 1:
        section, value, sign = sections[1], -value, ""
    elif value == 0 and len(sections) > 2:
        section, sign = sections[2], ""
    else:
        section, sign = sections[0], "-" if value < 0 else ""
        value = abs(value)
    if _is_date_pattern(section):
        return sign + _format_date(value, section)
    if "@" in section and not re.search(r"[0#?]", section):
        return sign + general(value)
    return sign + _format_number(value, section)


@lru_cache(maxsize=1024)
def _split_sections(pattern: str) -> tuple[str, ...]:
    sections, buf, quoted, i = [], [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(pattern):
            buf.append(pattern[i : i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            sections.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    sections.append("".join(buf))
    return tuple(sections)


def _strip_literals(section: str) -> str:
    section = re.sub(r'"[^"]*"', "", section)
    section = re.sub(r"\\.", "", section)
    return re.sub(r"\[[^\]]*\]", "", section)


@lru_cache(maxsize=1024)
def _is_date_pattern(section: str) -> bool:
    return bool(re.search(r"[dmyhsDMYHS]", _strip_literals(section)))


@lru_cache(maxsize=1024)
def _tokens(section: str) -> tuple[tuple[str, str], ...]:
    """Split a pattern into ('lit', text) and ('code', text) tokens."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "[":
            j = section.find("]", i)
            j = len(section) if j < 0 else j
            inner = section[i + 1 : j]
            if inner.startswith("$"):
                out.append(("lit", inner[1:].split("-")[0]))
            elif inner.lower() in ("h", "hh", "m", "mm", "s", "ss"):
                out.append(("code", "[" + inner.lower() + "]"))
            i = j + 1
        elif ch in "_*" and i + 1 < len(section):
            out.append(("lit", " " if ch == "_" else ""))
            i += 2
        else:
            out.append(("code", ch))
            i += 1
    return tuple(out)


def _fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, a half rounded away from zero as Sheets shows it
    (``0.125`` → ``0.13``, ``2.25`` → ``2.3``; Python's ``f"{x:.1f}"`` rounds half to even).
    The shortest repr is rounded, not the binary value: ``2.675`` → ``2.68``.

    >>> _fixed(2.25, 1), _fixed(0.125, 2), _fixed(2.675, 2), _fixed(1e20, 0)
    ('2.3', '0.13', '2.68', '100000000000000000000')
    """
    if not math.isfinite(value):
        return f"{value:.{places}f}"
    with decimal.localcontext() as ctx:
        ctx.prec = 400  # exact for any double
        step = decimal.Decimal(1).scaleb(-places)
        return f"{decimal.Decimal(repr(value)).quantize(step, decimal.ROUND_HALF_UP):f}"


def _format_number(value: float, section: str) -> str:
    tokens = _tokens(section)
    code = "".join(t for kind, t in tokens if kind == "code")
    value *= 100 ** code.count("%")
    m = re.search(r"[0#?,.]*[0#?][0#?,.]*(?:[eE][+-][0#?]+)?", code)
    if not m:
        return "".join(t for _, t in tokens)
    number_code = m.group(0)
    sci = re.search(r"[eE][+-]([0#?]+)$", number_code)
    mant_code = number_code[: sci.start()] if sci else number_code
    while mant_code.endswith(","):
        value /= 1000
        mant_code = mant_code[:-1]
    int_code, _, frac_code = mant_code.partition(".")
    grouping = "," in int_code
    int_code = int_code.replace(",", "")
    min_int = int_code.count("0")
    min_frac, max_frac = frac_code.count("0"), len(frac_code.replace(",", ""))
    exponent = 0
    if sci:
        if value:
            exponent = math.floor(math.log10(abs(value)))
            value /= 10**exponent
    rounded = _fixed(value, max_frac)
    int_part, _, frac_part = rounded.partition(".")
    frac_part = frac_part.rstrip("0").ljust(min_frac, "0") if max_frac else ""
    int_part = int_part.lstrip("0").rjust(min_int, "0")
    if grouping and int_part:
        int_part = f"{int(int_part):,}"
    text = int_part + ("." + frac_part if frac_part or (frac_code and min_frac) else "")
    if frac_code and not frac_part and not min_frac and not int_part:
        text = "0"
    if sci:
        assert sci is not None
        text += f"E{'-' if exponent < 0 else '+'}{abs(exponent):0{len(sci.group(1))}d}"
    # literals before/after the number placeholders stay where they were
    pre, post, seen, done = [], [], False, False
    for kind, t in tokens:
        is_placeholder = kind == "code" and (t in "0#?.," or (sci is not None and t in "eE+-"))
        if is_placeholder and not done:
            seen = True
            continue
        if seen:
            done = True
        piece = t if kind == "lit" else ("%" if t == "%" else t)
        (post if seen else pre).append(piece)
    return "".join(pre) + text + "".join(post)


@lru_cache(maxsize=1024)
def _date_codes(section: str) -> tuple[tuple[tuple[str, str, bool], ...], bool]:
    """A date pattern as (kind, text, means-minutes) tokens, and whether it has AM/PM."""
    codes: list[tuple[str, str]] = []
    for kind, t in _tokens(section):  # group runs of the same code letter
        if (
            kind == "code"
            and codes
            and codes[-1][0] == "code"
            and codes[-1][1][0].lower() == t.lower()
            and t.isalpha()
        ):
            codes[-1] = ("code", codes[-1][1] + t)
        else:
            codes.append((kind, t))
    codes = _ampm(codes)
    ampm = any(k == "code" and t in ("am/pm", "a/p") for k, t in codes)
    marked = tuple((k, t, _is_minute(codes, i)) for i, (k, t) in enumerate(codes))
    return marked, ampm


def _format_date(serial: float, section: str) -> str:
    when = serial_to_datetime(serial)
    # round to the nearest second, as Sheets does for display
    when = (when + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    codes, ampm = _date_codes(section)
    out: list[str] = []
    for kind, t, minute in codes:
        if kind == "lit":
            out.append(t)
            continue
        low = t.lower()
        if low.startswith("y"):
            out.append(f"{when.year % 100:02d}" if len(low) <= 2 else f"{when.year:04d}")
        elif low.startswith("m") and minute and len(low) <= 2:
            out.append(f"{when.minute:02d}" if len(low) == 2 else str(when.minute))
        elif low.startswith("m"):
            n = len(low)
            out.append(
                str(when.month)
                if n == 1
                else f"{when.month:02d}"
                if n == 2
                else _MONTHS[when.month - 1][:3]
                if n == 3
                else _MONTHS[when.month - 1][0]
                if n == 5
                else _MONTHS[when.month - 1]
            )
        elif low.startswith("d"):
            n = len(low)
            out.append(
                str(when.day)
                if n == 1
                else f"{when.day:02d}"
                if n == 2
                else _DAYS[when.weekday()][:3]
                if n == 3
                else _DAYS[when.weekday()]
            )
        elif low.startswith("h"):
            hour = when.hour % 12 or 12 if ampm else when.hour
            out.append(f"{hour:02d}" if len(low) >= 2 else str(hour))
        elif low.startswith("s"):
            out.append(f"{when.second:02d}" if len(low) >= 2 else str(when.second))
        elif low == "am/pm":
            out.append("AM" if when.hour < 12 else "PM")
        elif low == "a/p":
            out.append("A" if when.hour < 12 else "P")
        elif low.startswith("["):
            total = serial * 24
            out.append(str(int(total)) if "h" in low else str(int(total * 60)))
        else:
            out.append(t)
    return "".join(out)


def _ampm(codes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge the characters of ``am/pm`` and ``a/p`` into one code token."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(codes):
        joined = "".join(t for _, t in codes[i : i + 5]).lower()
        if joined.startswith("am/pm"):
            n, taken = 0, 0
            while taken < 5:
                taken += len(codes[i + n][1])
                n += 1
            out.append(("code", "am/pm"))
            i += n
            continue
        if joined.startswith("a/p"):
            out.append(("code", "a/p"))
            i += 3
            continue
        out.append(codes[i])
        i += 1
    return out


def _is_minute(codes: list[tuple[str, str]], i: int) -> bool:
    """``m`` means minutes right after an hour code or right before a seconds code."""
    for j in range(i - 1, -1, -1):
        kind, t = codes[j]
        if kind == "code" and t[:1].isalpha():
            if t[0].lower() == "h" or t.lower().startswith("[h"):
                return True
            break
    for j in range(i + 1, len(codes)):
        kind, t = codes[j]
        if kind == "code" and t[:1].isalpha():
            return t[0].lower() == "s"
    return False
