"""sheetsync's data-validation rules as SpreadsheetML ``<dataValidation>`` elements.

**How sheetsync recognises its own rules.** Every rule it writes carries an ``errorTitle``
that starts with :data:`MARKER` (``sheetsync``; Excel shows it as the title of the error
dialog, e.g. ``sheetsync: フェーズ``). On every apply, the ``<dataValidations>`` element
keeps every rule whose ``errorTitle`` does not start with the marker byte for byte, drops
the ones that do, and appends the fresh ones — one rule per managed column, covering the
column from the first data row to row 1,048,576. Rules sheetsync did not create are never
changed (where one overlaps a managed column, Excel applies the first rule it finds).

Lists: an inline list (``"A,B,C"``) when the entries joined are at most 255 characters and
contain no comma or double quote (Excel's limits); otherwise the rule points at a column of
the hidden tab :data:`LISTS_TAB`, which sheetsync owns and rewrites on each apply.
Dates: between 1950-01-01 and 2199-12-31. Numbers: ``decimal`` ≥ minimum, or between.
Help: ``promptTitle`` is the field label (≤ 32 characters), ``prompt`` the description
(≤ 255), ``error`` a short sentence in the team's language (Japanese when the label or the
help contains Japanese text, English otherwise).
"""

from __future__ import annotations

import datetime as dt
import re

from ...enforce import Rule
from ...grid import date_to_serial
from .package import parse_attrs, xml_escape
from .read import DAYS_1904
from .render import quote_sheet

MARKER = "sheetsync"
LISTS_TAB = "_sheetsync_lists"
MAX_ROW = 1_048_576
MAX_INLINE_LIST = 255
MAX_TITLE = 32
MAX_PROMPT = 255
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)

_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def inline_list(values: tuple[str, ...]) -> str | None:
    """The ``"A,B,C"`` formula of a list rule, or ``None`` when Excel cannot hold it."""
    if any("," in v or '"' in v for v in values):
        return None
    joined = ",".join(values)
    if len(joined) > MAX_INLINE_LIST:
        return None
    return f'"{joined}"'


def list_range(column: int, count: int) -> str:
    """The reference to a list written in column ``column`` (0-based) of the lists tab."""
    letters = ""
    n = column + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{quote_sheet(LISTS_TAB)}!${letters}$2:${letters}${count + 1}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _error_text(rule: Rule) -> str:
    ja = bool(_JA_RE.search(rule.title + rule.help))
    if rule.kind == "list":
        return "一覧から選んでください。" if ja else "Choose a value from the list."
    if rule.kind == "date":
        return "日付を入力してください（例: 2026/3/31）。" if ja else \
            "Enter a date (e.g. 2026/3/31)."
    low = rule.minimum if rule.minimum is not None else 0
    if rule.kind == "number_min":
        return f"{_number(low)} 以上の数値を入力してください。" if ja else \
            f"Enter a number of at least {_number(low)}."
    high = rule.maximum if rule.maximum is not None else 0
    if 0 <= low <= high <= 1:  # a percent-formatted column holds fractions
        lo, hi = f"{low * 100:g}%", f"{high * 100:g}%"
    else:
        lo, hi = _number(low), _number(high)
    return f"{lo}〜{hi} の値を入力してください。" if ja else f"Enter a value from {lo} to {hi}."


def render_rule(rule: Rule, sqref: str, *, list_ref: str | None = None,
                date1904: bool = False) -> str:
    """One ``<dataValidation>`` element (unprefixed) for ``rule`` over ``sqref``."""
    formulas: list[str] = []
    operator = ""
    if rule.kind == "list":
        kind = "list"
        formulas.append(list_ref or inline_list(rule.values) or '""')
    elif rule.kind == "date":
        kind, operator = "date", "between"
        offset = DAYS_1904 if date1904 else 0
        formulas += [str(date_to_serial(FIRST_DATE) - offset),
                     str(date_to_serial(LAST_DATE) - offset)]
    elif rule.kind == "number_min":
        kind, operator = "decimal", "greaterThanOrEqual"
        formulas.append(_number(rule.minimum or 0))
    else:
        kind, operator = "decimal", "between"
        formulas += [_number(rule.minimum or 0), _number(rule.maximum or 0)]
    attrs = {
        "type": kind,
        "errorStyle": "stop" if rule.strict else "warning",
        "operator": operator,
        "allowBlank": "1",
        "showInputMessage": "1" if (rule.help or rule.title) else "",
        "showErrorMessage": "1",
        "errorTitle": truncate(f"{MARKER}: {rule.title}" if rule.title else MARKER, MAX_TITLE),
        "error": _error_text(rule),
        "promptTitle": truncate(rule.title, MAX_TITLE),
        "prompt": truncate(rule.help, MAX_PROMPT),
        "sqref": sqref,
    }
    text = "".join(f' {k}="{xml_escape(v, attr=True)}"' for k, v in attrs.items() if v)
    body = "".join(f"<formula{i}>{xml_escape(f)}</formula{i}>"
                   for i, f in enumerate(formulas, start=1))
    return f"<dataValidation{text}>{body}</dataValidation>"


def is_ours(element: str) -> bool:
    """Whether a ``<dataValidation>`` element was written by sheetsync (its marker)."""
    start = element[:element.index(">") + 1]
    return parse_attrs(start).get("errorTitle", "").startswith(MARKER)


def merge_validations(existing: str | None, prefix: str, ours: list[str]) -> str | None:
    """The new ``<dataValidations>`` element: foreign rules kept as they are, sheetsync's
    replaced by ``ours`` (``None`` when no rule is left)."""
    p = re.escape(prefix)
    kept: list[str] = []
    head_attrs = ""
    if existing:
        head = re.match(rf"<{p}dataValidations\b([^>]*?)/?>", existing)
        head_attrs = head.group(1) if head else ""
        for m in re.finditer(rf"<{p}dataValidation\b[^>]*?(?:/>|>.*?</{p}dataValidation>)",
                             existing, re.S):
            if not is_ours(m.group(0)):
                kept.append(m.group(0))
    if prefix:
        ours = [re.sub(r"<(/?)([A-Za-z])", rf"<\1{prefix}\2", x) for x in ours]
    items = kept + ours
    if not items:
        return None
    count = f' count="{len(items)}"'
    if re.search(r"\scount\s*=", head_attrs):
        head_attrs = re.sub(r"""\scount\s*=\s*(["'])[^"']*\1""", count, head_attrs)
    else:
        head_attrs = count + head_attrs
    return f"<{prefix}dataValidations{head_attrs}>{''.join(items)}</{prefix}dataValidations>"
