"""Cell values in and out: parsing typed input, and rendering what a cell shows.

Input (``valueInputOption``): ``RAW`` stores strings as strings and JSON numbers/booleans as
numbers/booleans. ``USER_ENTERED`` parses strings like the Sheets UI does in the en_US
locale: numbers (``1,234.5``, ``1e3``), percents (``80%``), currency (``$1,200``, ``¥1,200``),
booleans (``TRUE``), dates (``2026-03-31``, ``2026/3/31``, ``3/31/2026``, optionally with a
time), times (``10:30``), formulas (``=…``); a leading ``'`` forces text. Parsed dates,
percents, currency and grouped numbers also set the cell's number format, as Sheets does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .formula import ERROR_TEXT, FormulaError, Ref, evaluate
from .numfmt import date_to_serial, format_value, general, is_date_format
from .state import Sheet, Spreadsheet

_NUMBER_RE = re.compile(
    r"^(?P<sign>[+-])?(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<frac>[0-9]*))?"
    r"(?P<exp>[eE][+-]?[0-9]+)?$"
)
_CURRENCY_SYMBOLS = "$¥￥€£"
_ISO_DATE_RE = re.compile(r"^([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})(?:[ T](.+))?$")
_US_DATE_RE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: (.+))?$")
_TIME_RE = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*([AaPp][Mm])?$")


def num_out(value: float | int) -> float | int:
    """Numbers as Google's JSON writes them: integral values without ``.0``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def parse_input(value: Any, option: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A value from a ``values.*`` request → (``userEnteredValue`` or None, numberFormat).

    None as the value means "clear the cell's value" (empty string input).
    """
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, (int, float)):
        return {"numberValue": value}, None
    if value is None:
        return None, None
    text = str(value) if not isinstance(value, str) else value
    if text == "":
        return None, None
    if option == "RAW":
        return {"stringValue": text}, None
    return parse_user_entered(text)


def parse_user_entered(text: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if text.startswith("'"):
        return ({"stringValue": text[1:]} if text[1:] else None), None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    number = _parse_number(stripped)
    if number is not None:
        return number
    when = _parse_date(stripped)
    if when is not None:
        return when
    return {"stringValue": text}, None


def _parse_number(text: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    symbol = ""
    body = text
    sign = ""
    if body[:1] in "+-" and body[1:2] in _CURRENCY_SYMBOLS and body[1:2]:
        sign, body = body[0], body[1:]
    if body[:1] and body[:1] in _CURRENCY_SYMBOLS:
        symbol, body = body[0], body[1:].strip()
    percent = body.endswith("%")
    if percent:
        body = body[:-1].strip()
    m = _NUMBER_RE.match(sign + body)
    if not m or not (m.group("int") or m.group("frac")):
        return None
    grouped = "," in (m.group("int") or "")
    value = float((sign + body).replace(",", ""))
    decimals = len(m.group("frac") or "")
    if percent:
        value /= 100
        pattern = "0%" if not decimals else "0.00%"
        return {"numberValue": value}, {"type": "PERCENT", "pattern": pattern}
    if symbol:
        sym = "¥" if symbol == "￥" else symbol
        frac = ".00" if (decimals or sym == "$") else ""
        return {"numberValue": value}, {"type": "CURRENCY", "pattern": f'"{sym}"#,##0{frac}'}
    if m.group("exp"):
        return {"numberValue": value}, {"type": "SCIENTIFIC", "pattern": "0.00E+00"}
    if grouped:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return {"numberValue": value}, {"type": "NUMBER", "pattern": pattern}
    return {"numberValue": value}, None


def _parse_time(text: str) -> tuple[float, str] | None:
    m = _TIME_RE.match(text.strip())
    if not m:
        return None
    hour, minute, second, ampm = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), m.group(4)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    pattern = ("h" if ampm else "hh") + ":mm" + (":ss" if m.group(3) else "")
    pattern += " am/pm" if ampm else ""
    return (hour * 3600 + minute * 60 + second) / 86400, pattern


def _parse_date(text: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    m = _ISO_DATE_RE.match(text)
    if m:
        y, sep, mo, d, rest = m.groups()
        year, month, day = int(y), int(mo), int(d)
        padded = mo.startswith("0") or d.startswith("0")
        pattern = f"yyyy{sep}mm{sep}dd" if padded else f"yyyy{sep}m{sep}d"
    else:
        m = _US_DATE_RE.match(text)
        if m:
            mo, d, y, rest = m.groups()
            year, month, day = int(y), int(mo), int(d)
            padded = mo.startswith("0") or d.startswith("0")
            pattern = "mm/dd/yyyy" if padded else "m/d/yyyy"
        else:
            t = _parse_time(text)
            if t is None:
                return None
            return {"numberValue": t[0]}, {"type": "TIME", "pattern": t[1]}
    try:
        serial = date_to_serial(dt.date(year, month, day))
    except ValueError:
        return None
    if rest:
        t = _parse_time(rest)
        if t is None:
            return None
        return {"numberValue": serial + t[0]}, {"type": "DATE_TIME", "pattern": f"{pattern} {t[1]}"}
    return {"numberValue": serial}, {"type": "DATE", "pattern": pattern}


class Renderer:
    """Computes effective and formatted values of one spreadsheet (cached per request)."""

    def __init__(self, ss: Spreadsheet) -> None:
        self.ss = ss
        self._cache: dict[tuple[int, int, int], tuple[dict[str, Any] | None, str | None]] = {}
        self._visiting: set[tuple[int, int, int]] = set()

    def effective(
        self, sheet: Sheet, row: int, col: int
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(effectiveValue, hyperlink from a HYPERLINK formula) of a cell."""
        cell = sheet.cell(row, col)
        uev = cell.get("userEnteredValue") if cell else None
        if not uev:
            return None, None
        if "formulaValue" not in uev:
            return uev, None
        key = (sheet.sheet_id, row, col)
        if key in self._cache:
            return self._cache[key]
        if key in self._visiting:
            raise FormulaError(
                "REF",
                "Circular dependency detected. To resolve with iterative calculation, "
                "see File > Settings.",
            )
        self._visiting.add(key)
        try:
            value, link = evaluate(uev["formulaValue"], lambda ref: self._range(sheet, ref))
            result = (_to_extended(value), link)
        except FormulaError as err:
            result = ({"errorValue": {"type": err.kind, "message": err.message}}, None)
        finally:
            self._visiting.discard(key)
        self._cache[key] = result
        return result

    def _range(self, here: Sheet, ref: Ref) -> list[list[Any]]:
        sheet = here if ref.sheet is None else self.ss.sheet_by_title(ref.sheet)
        if sheet is None:
            raise FormulaError("REF", f"Unresolved sheet name '{ref.sheet}'.")
        r0 = ref.r0 or 0
        r1 = ref.r1 if ref.r1 is not None else 1 + max((r for r, _ in sheet.cells), default=-1)
        if r1 > sheet.row_count or ref.c1 > sheet.col_count:
            raise FormulaError("REF", "Reference does not exist.")
        rows = []
        for r in range(r0, r1):
            row = []
            for c in range(ref.c0, ref.c1):
                eff, _ = self.effective(sheet, r, c)
                row.append(_to_python(eff))
            rows.append(row)
        return rows

    def formatted(self, sheet: Sheet, row: int, col: int) -> str | None:
        eff, _ = self.effective(sheet, row, col)
        if eff is None:
            return None
        return self.format_extended(eff, self.number_format(sheet, row, col))

    @staticmethod
    def number_format(sheet: Sheet, row: int, col: int) -> dict[str, Any] | None:
        cell = sheet.cell(row, col)
        fmt = (cell or {}).get("userEnteredFormat") or {}
        return fmt.get("numberFormat")

    @staticmethod
    def format_extended(eff: dict[str, Any], number_format: dict[str, Any] | None) -> str:
        if "numberValue" in eff:
            return format_value(eff["numberValue"], number_format)
        if "boolValue" in eff:
            return "TRUE" if eff["boolValue"] else "FALSE"
        if "errorValue" in eff:
            return ERROR_TEXT.get(eff["errorValue"].get("type", "ERROR"), "#ERROR!")
        return str(eff.get("stringValue", ""))

    def render(self, sheet: Sheet, row: int, col: int, value_render: str, dt_render: str) -> Any:
        """The value ``values.get`` shows for a cell ("" when empty)."""
        if value_render == "FORMATTED_VALUE":
            return self.formatted(sheet, row, col) or ""
        if value_render == "FORMULA":
            cell = sheet.cell(row, col)
            uev = (cell or {}).get("userEnteredValue") or {}
            if "formulaValue" in uev:
                return uev["formulaValue"]
        eff, _ = self.effective(sheet, row, col)
        if eff is None:
            return ""
        if "numberValue" in eff:
            fmt = self.number_format(sheet, row, col)
            if dt_render == "FORMATTED_STRING" and is_date_format(fmt):
                return format_value(eff["numberValue"], fmt)
            return num_out(eff["numberValue"])
        if "boolValue" in eff:
            return eff["boolValue"]
        if "errorValue" in eff:
            return self.format_extended(eff, None)
        return eff.get("stringValue", "")


def _to_extended(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def _to_python(eff: dict[str, Any] | None) -> Any:
    if eff is None:
        return None
    if "errorValue" in eff:
        err = eff["errorValue"]
        raise FormulaError(err.get("type", "ERROR"), err.get("message", ""))
    for key in ("numberValue", "boolValue", "stringValue"):
        if key in eff:
            return eff[key]
    return None


__all__ = ["Renderer", "general", "num_out", "parse_input", "parse_user_entered"]
