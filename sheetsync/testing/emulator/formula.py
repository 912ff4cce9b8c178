"""A deliberately small formula evaluator.

Evaluated: number/string/boolean literals; cell and range references (``A1``, ``$B$2``,
``A1:B3``, ``A:A``, ``'My tab'!C4``); operators ``+ - * / ^ &``, unary minus, postfix ``%``
and comparisons ``= <> < > <= >=``; functions ``SUM AVERAGE MIN MAX COUNT COUNTA ROUND ABS
IF AND OR NOT CONCATENATE LEN NA HYPERLINK``. ``NA()`` is the ``#N/A`` error; ``IF`` uses
only the branch it takes (``IF(A1>0, A1, NA())``); ``HYPERLINK(url, label)`` shows ``label``
(or ``url``) and sets the cell's ``hyperlink``. Anything else (other functions, array
results, named ranges inside formulas) is kept as the formula with an ``#ERROR!`` effective
value whose message says the emulator does not evaluate it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "Loading...",
}


PARSE_ERROR = "Formula parse error."


class FormulaError(Exception):
    """An error value produced while evaluating (``#DIV/0!`` …)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Ref:
    """A cell or range reference inside a formula (end-exclusive; rows None = whole column)."""

    sheet: str | None
    r0: int | None
    r1: int | None
    c0: int
    c1: int


#: error literals in a formula (``=#REF!+1``) and the error each evaluates to
_ERROR_KINDS = {"#REF!": "REF", "#N/A": "N_A", "#VALUE!": "VALUE", "#DIV/0!": "DIVIDE_BY_ZERO",
                "#NAME?": "NAME", "#NUM!": "NUM", "#NULL!": "NULL_VALUE"}
_ERROR_MESSAGES = {"#REF!": "Reference does not exist."}


def deleted_sheet_references(title: str) -> re.Pattern[str]:
    """References to the sheet ``title`` in formula text (quoted or not, cells, ranges or
    columns): what Google turns into ``#REF!`` when that sheet is deleted."""
    quoted = "'" + re.escape(title.replace("'", "''")) + "'"
    plain = re.escape(title)
    cell = (r"\$?[A-Za-z]{1,3}\$?[0-9]+(?::\$?[A-Za-z]{1,3}\$?[0-9]+)?"
            r"|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}")
    return re.compile(rf"(?:{quoted}|(?<![A-Za-z0-9_.']){plain})!(?:{cell})(?![A-Za-z0-9_(])")


# The getter receives (sheet title or None, r0, r1, c0, c1) and returns rows of plain values.
RangeGetter = Callable[[Ref], list[list[Any]]]

_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?
        (?:\$?[A-Za-z]{1,3}\$?[0-9]+(?::\$?[A-Za-z]{1,3}\$?[0-9]+)?
         |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3})(?![A-Za-z0-9_(]))
  | (?P<err>\#(?:REF!|N/A|VALUE!|DIV/0!|NAME\?|NUM!|NULL!))
  | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>(),%;])
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError("ERROR", PARSE_ERROR)
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _parse_ref(text: str) -> Ref:
    sheet = None
    if "!" in text:
        sheet, _, text = text.rpartition("!")
        if sheet.startswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
    parts = [p.replace("$", "") for p in text.split(":")]
    coords = [re.fullmatch(r"([A-Za-z]+)([0-9]*)", p) for p in parts]
    cols = [_col(m.group(1)) for m in coords if m]
    rows = [int(m.group(2)) - 1 for m in coords if m and m.group(2)]
    if len(rows) == len(parts):
        return Ref(sheet, min(rows), max(rows) + 1, min(cols), max(cols) + 1)
    return Ref(sheet, None, None, min(cols), max(cols) + 1)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], get: RangeGetter) -> None:
        self.tokens = tokens
        self.i = 0
        self.get = get
        self.hyperlink: str | None = None

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise FormulaError("ERROR", PARSE_ERROR)
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.comparison()
        if self.peek() is not None:
            raise FormulaError("ERROR", PARSE_ERROR)
        return value

    def comparison(self) -> Any:
        left = self.concat()
        while (tok := self.peek()) and tok[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.take()
            left = _compare(tok[1], scalar(left), scalar(self.concat()))
        return left

    def concat(self) -> Any:
        left = self.additive()
        while (tok := self.peek()) and tok[1] == "&":
            self.take()
            left = to_text(scalar(left)) + to_text(scalar(self.additive()))
        return left

    def additive(self) -> Any:
        left = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.take()
            a, b = to_number(scalar(left)), to_number(scalar(self.term()))
            left = a + b if tok[1] == "+" else a - b
        return left

    def term(self) -> Any:
        left = self.power()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.take()
            a, b = to_number(scalar(left)), to_number(scalar(self.power()))
            if tok[1] == "*":
                left = a * b
            elif b == 0:
                raise FormulaError("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
            else:
                left = a / b
        return left

    def power(self) -> Any:
        left = self.unary()
        while (tok := self.peek()) and tok[1] == "^":
            self.take()
            left = to_number(scalar(left)) ** to_number(scalar(self.unary()))
        return left

    def unary(self) -> Any:
        tok = self.peek()
        if tok and tok[1] in ("-", "+"):
            self.take()
            value = to_number(scalar(self.unary()))
            return -value if tok[1] == "-" else value
        value = self.primary()
        while (tok := self.peek()) and tok[1] == "%":
            self.take()
            value = to_number(scalar(value)) / 100
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            return self.get(_parse_ref(text))
        if kind == "err":  # an error literal, e.g. what a deleted sheet's reference became
            raise FormulaError(_ERROR_KINDS[text], _ERROR_MESSAGES.get(text, text))
        if kind == "op" and text == "(":
            value = self.comparison()
            self.take(")")
            return value
        if kind == "name":
            upper = text.upper()
            if self.peek() == ("op", "("):
                self.take("(")
                args: list[Any] = []
                if self.peek() != ("op", ")"):
                    args.append(self.argument())
                    while self.peek() in (("op", ","), ("op", ";")):
                        self.take()
                        args.append(self.argument())
                self.take(")")
                return self.call(upper, args)
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            raise FormulaError("ERROR", f"Named range '{text}' is not evaluated by the emulator.")
        raise FormulaError("ERROR", PARSE_ERROR)

    def argument(self) -> Any:
        """One function argument; an error value in it is kept (as :class:`_Failed`) and
        raised only if the function uses it — ``IF(A1>0, A1, NA())`` is fine when A1>0."""
        start = self.i
        try:
            return self.comparison()
        except FormulaError as err:
            if err.message == PARSE_ERROR:
                raise
            self.i = self._argument_end(start)
            return _Failed(err)

    def _argument_end(self, start: int) -> int:
        depth, i = 0, start
        while i < len(self.tokens):
            token = self.tokens[i]
            if token == ("op", "("):
                depth += 1
            elif token == ("op", ")"):
                if depth == 0:
                    return i
                depth -= 1
            elif depth == 0 and token in (("op", ","), ("op", ";")):
                return i
            i += 1
        return i

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "IF" and 2 <= len(args) <= 3:  # only the branch taken matters
            chosen = _if([_raised(args[0]), *args[1:]])
            return scalar(_raised(chosen))
        for arg in args:
            _raised(arg)
        if name == "HYPERLINK":
            if not 1 <= len(args) <= 2:
                raise FormulaError("N_A", "Wrong number of arguments to HYPERLINK.")
            url = to_text(scalar(args[0]))
            self.hyperlink = url
            return to_text(scalar(args[1])) if len(args) == 2 else url
        func = _FUNCTIONS.get(name)
        if func is None:
            raise FormulaError("ERROR", f"The sheetsync emulator does not evaluate {name}().")
        return func(args)


class _Failed:
    """An argument whose evaluation gave an error value."""

    def __init__(self, error: FormulaError) -> None:
        self.error = error


def _raised(value: Any) -> Any:
    if isinstance(value, _Failed):
        raise value.error
    return value


def scalar(value: Any) -> Any:
    """A range used where one value is expected: its top-left cell."""
    if isinstance(value, list):
        return value[0][0] if value and value[0] else None
    return value


def to_number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        raise FormulaError(
            "VALUE",
            f"Function expects number values. But '{value}' is a text and cannot "
            "be coerced to a number.",
        ) from None


def to_text(value: Any) -> str:
    from .numfmt import general

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return general(value)
    return str(value)


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.casefold(), b.casefold()
    elif isinstance(a, str) != isinstance(b, str):
        if op in ("=", "<>"):
            return (op == "<>") ^ (a == b)
        a, b = (1, 0) if isinstance(a, str) else (0, 1)
    else:
        a, b = to_number(a), to_number(b)
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]


def _flat(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        if isinstance(arg, list):
            out.extend(v for row in arg for v in row)
        else:
            out.append(arg)
    return out


def _numbers(args: list[Any]) -> list[float]:
    out = []
    for arg in args:
        if isinstance(arg, list):  # in ranges only real numbers count
            out.extend(
                float(v)
                for row in arg
                for v in row
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            )
        else:
            out.append(to_number(arg))
    return out


def _average(args: list[Any]) -> float:
    nums = _numbers(args)
    if not nums:
        raise FormulaError(
            "DIVIDE_BY_ZERO", "Evaluation of function AVERAGE caused a divide by zero error."
        )
    return sum(nums) / len(nums)


def _round(args: list[Any]) -> float:
    value = to_number(scalar(args[0]))
    places = int(to_number(scalar(args[1]))) if len(args) > 1 else 0
    factor = 10.0**places
    return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)


def _na(args: list[Any]) -> Any:
    if args:
        raise FormulaError(
            "N_A",
            f"Wrong number of arguments to NA. Expected 0 arguments, but got {len(args)} "
            "arguments.",
        )
    raise FormulaError("N_A", "Value not available.")


def _if(args: list[Any]) -> Any:
    if not 2 <= len(args) <= 3:
        raise FormulaError("N_A", "Wrong number of arguments to IF.")
    cond = scalar(args[0])
    truthy = bool(to_number(cond)) if not isinstance(cond, str) else cond.upper() == "TRUE"
    return args[1] if truthy else (args[2] if len(args) == 3 else False)


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "SUM": lambda a: sum(_numbers(a)),
    "AVERAGE": _average,
    "MIN": lambda a: min(_numbers(a), default=0.0),
    "MAX": lambda a: max(_numbers(a), default=0.0),
    "COUNT": lambda a: float(len(_numbers([x if isinstance(x, list) else [[x]] for x in a]))),
    "COUNTA": lambda a: float(sum(1 for v in _flat(a) if v not in (None, ""))),
    "ROUND": _round,
    "ABS": lambda a: abs(to_number(scalar(a[0]))),
    "IF": _if,
    "AND": lambda a: all(bool(to_number(v)) for v in _flat(a) if v not in (None, "")),
    "OR": lambda a: any(bool(to_number(v)) for v in _flat(a) if v not in (None, "")),
    "NOT": lambda a: not bool(to_number(scalar(a[0]))),
    "CONCATENATE": lambda a: "".join(to_text(v) for v in _flat(a)),
    "LEN": lambda a: float(len(to_text(scalar(a[0])))),
    "NA": _na,
}


def evaluate(formula: str, get: RangeGetter) -> tuple[Any, str | None]:
    """Evaluate ``=…``; returns (value, hyperlink). Raises :class:`FormulaError`."""
    body = formula[1:] if formula.startswith("=") else formula
    parser = _Parser(_tokenize(body), get)
    value = scalar(parser.parse())
    if isinstance(value, float) and not math.isfinite(value):
        raise FormulaError("NUM", "The result is not a finite number.")
    return value, parser.hyperlink
