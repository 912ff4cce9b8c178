"""Validate a register grid against a schema: every cell, every rule, never stopping early.

The engine works column by column: each distinct raw value of a column is parsed once
(registers repeat stages, owners and dates endlessly), then row rules (required,
required-when, unique, roster) run over the parsed columns. The same coercers and rule
specs back the per-row pydantic model in :mod:`sheetsync.model`; a test keeps the two in
agreement.

>>> from sheetsync.grid import Grid
>>> from sheetsync.schema import load_schema
>>> grid = Grid("案件一覧", [["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"],
...                         ["D-1", "更改", "(株)サンプル", "佐藤", "リード", "R8.3.31"]])
>>> result = validate_register(grid, load_schema())
>>> result.report.valid, result.deals.loc[0, "stage"]
(True, 'lead')
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import compress, repeat
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .a1 import column_letters
from .coerce import (
    MAX_STRING,
    CoercionError,
    parse_date,
    parse_integer,
    parse_money,
    parse_number,
    parse_percent,
    parse_string,
    parse_text,
)
from .grid import CellValue, Grid, PercentValue, Uncalculated
from .headers import HeaderMap, blank_header_issues, map_headers
from .issues import Issue, Report, Severity
from .messages import join, render
from .names import canonical, contact_key, spellings
from .schema import Field, RequiredWhen, Schema
from .textnorm import company_keys, match_key, nfkc

Parser = Callable[[Any], Any]

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass
class ValidationResult:
    """The report plus the typed rows that passed (the metrics' input)."""

    report: Report
    deals: pd.DataFrame
    header: HeaderMap | None = None
    tab: str = ""
    # Parsed value of every cell of every non-blank row, valid or not (field → list),
    # aligned with ``rows``; used by `fix` and the change history.
    values: dict[str, list[Any]] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    row_errors: set[int] = field(default_factory=set)  # sheet rows with at least one error


def display_value(value: CellValue) -> str:
    """A raw cell value the way a rep would recognise it in a message."""
    if value is None:
        return ""
    if isinstance(value, PercentValue):
        return f"{float(value) * 100:g}%"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d %H:%M") if value.time() != dt.time() else (
            value.strftime("%Y/%m/%d"))
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d")
    return str(value)


def field_parser(fld: Field, language: str, owners: Sequence[str] = ()) -> Parser:
    """The coercer for one field: raw cell value → typed value, or ``CoercionError``."""
    if fld.type == "enum":
        lookup = {k: c.value for c in fld.choices for k in c.keys()}
        allowed = join([c.label(language) for c in fld.choices], language)

        def parse_choice(value: Any) -> str:
            key = match_key(parse_text(value))
            try:
                return lookup[key]
            except KeyError:
                raise CoercionError("invalid_choice", choices=allowed) from None

        return parse_choice
    if fld.roster and owners:
        roster = {match_key(o): o for o in owners}
        names = join(list(owners), language)

        def parse_owner(value: Any) -> str:
            text = parse_text(value)
            try:
                return roster[match_key(text)]
            except KeyError:
                raise CoercionError("not_in_roster", choices=names) from None

        return parse_owner
    base: Parser = {
        "string": parse_string,
        "text": parse_text,
        "money": parse_money,
        "percent": parse_percent,
        "date": parse_date,
        "number": parse_number,
        "integer": parse_integer,
    }[fld.type]
    if fld.min is None and fld.max is None:
        return base

    def parse_bounded(value: Any) -> Any:
        result = base(value)
        if fld.min is not None and result < fld.min:
            raise CoercionError("below_min", min=f"{fld.min:g}")
        if fld.max is not None and result > fld.max:
            raise CoercionError("above_max", max=f"{fld.max:g}")
        return result

    return parse_bounded


def condition_text(schema: Schema, fld: Field, language: str) -> str:
    """Human wording of a field's required-when rules: 'フェーズが受注・失注'."""
    parts = []
    for rule in fld.required_when:
        on = schema.field(rule.on)
        labels = [c.label(language) for c in on.choices if c.value in rule.values]
        if language == "en":
            parts.append(f"{on.label('en')} is {' / '.join(labels)}")
        else:
            parts.append(f"{on.label('ja')}が{'・'.join(labels)}")
    return (" or " if language == "en" else "、または").join(parts)


#: The field that holds a parked deal's review date (docs/definitions.md: for 保留,
#: 次回アクション日 is the review date). A blank one on a hold row gets its own message: the
#: generic "required when フェーズが保留" would not tell the rep that the date asked for is
#: when to look again.
REVIEW_DATE_FIELD = "next_action_date"
HOLD_REVIEW_CODE = "hold_review_date_required"


def required_when_issue(
    schema: Schema,
    fld: Field,
    rule: RequiredWhen,
    on_value: Any,
    language: str,
    stage_column: str | None = None,
) -> tuple[str, dict[str, str]]:
    """The code and message parameters for blank ``fld`` that ``rule`` requires.

    ``on_value`` is the row's value of ``rule.on``; ``stage_column`` the stage header as
    written in the sheet (the schema label when ``None``).

    >>> from sheetsync.schema import load_schema
    >>> schema = load_schema()
    >>> fld = schema.field("next_action_date")
    >>> required_when_issue(schema, fld, fld.required_when[0], "on_hold", "ja")
    ('hold_review_date_required', {'stage': '保留', 'stage_column': 'フェーズ'})
    >>> fld = schema.field("loss_reason")
    >>> required_when_issue(schema, fld, fld.required_when[0], "lost", "en")
    ('required_when', {'condition': 'Stage is Lost'})
    """
    if fld.name == REVIEW_DATE_FIELD and rule.on == "stage" and on_value in schema.hold_stages():
        stage = schema.stage_field
        label = next(c.label(language) for c in stage.choices if c.value == on_value)
        return HOLD_REVIEW_CODE, {"stage": label,
                                  "stage_column": stage_column or stage.label(language)}
    return "required_when", {"condition": condition_text(schema, fld, language)}


def rules_in_order(fld: Field) -> list[RequiredWhen]:
    """``fld``'s required-when rules, the stage's first.

    A blank cell gets one issue, from the first rule that needs it. Every other rule words
    the same ``required_when`` message, so this order only decides that a parked deal gets
    the review-date message whatever order the schema lists its rules in.
    """
    return sorted(fld.required_when, key=lambda rule: rule.on != "stage")


class _Collector:
    """Accumulates issues with their location, rendering messages once."""

    def __init__(self, tab: str, language: str, header: HeaderMap) -> None:
        self.tab = tab
        self.language = language
        self.header = header
        self.issues: list[Issue] = []
        self.bad_rows: set[int] = set()
        # the same bad value tends to recur down a column: render its message once
        self._messages: dict[tuple[Any, ...], str] = {}
        # each issue's place in sheet order (row, then column; see :meth:`in_order`)
        self._width = max(header.columns.values(), default=-1) + 2
        self._places: list[np.ndarray] = []

    def cell(
        self, fld: Field, sheet_row: int, raw: CellValue, code: str,
        severity: Severity = Severity.ERROR, column_field: str | None = None, **params: Any,
    ) -> None:
        self.cells(fld, [sheet_row], [raw], code, severity, column_field, **params)

    def cells(
        self, fld: Field, where: list[int], raws: list[CellValue], code: str,
        severity: Severity = Severity.ERROR, column_field: str | None = None, **params: Any,
    ) -> None:
        """One issue ``code`` (same parameters) at each sheet row of ``where``, whose cell
        holds ``raws[i]``.

        Built column-wise (tens of thousands of times on an invalid register): each
        distinct value's message rendered once, the cell references in one pass, then each
        issue given its attributes as one ``__dict__`` (what :func:`_issue` does).
        """
        name = column_field or fld.name
        col = self.header.columns.get(name)
        column = self.header.labels.get(name) or fld.label(self.language)
        messages = self._render(code, raws, column, params)
        refs = repeat(None) if col is None else map(
            column_letters(col + 1).__add__, map(str, where))
        tab = self.tab
        attributes = [
            {"code": code, "message": message, "tab": tab, "cell": ref, "row": sheet_row,
             "column": column, "value": raw, "severity": severity, "field": name}
            for message, ref, sheet_row, raw in zip(messages, refs, where, raws)]
        issues = list(map(_new_object, repeat(Issue, len(attributes))))
        for _ in map(_set_attribute, issues, repeat("__dict__"), attributes):
            pass
        self.issues += issues
        self._places.append(np.asarray(where, dtype=np.int64) * self._width
                            + (0 if col is None else col + 1))
        if severity is Severity.ERROR:
            self.bad_rows.update(where)

    def _render(self, code: str, raws: list[CellValue], column: str,
                params: dict[str, Any]) -> Iterable[str]:
        """The message of each of ``raws``: rendered once per distinct value (and type:
        ``1 == 1.0 == True`` read apart) over the whole validation."""
        extra = tuple(sorted(params.items()))
        rendered = self._messages
        kinds = set(map(type, raws))
        # values of one type: a message per distinct value, looked up per cell in C
        distinct: dict[Any, Any] = dict.fromkeys(raws) if len(kinds) == 1 else dict.fromkeys(
            zip(map(type, raws), raws))
        for value in distinct:
            raw = value if len(kinds) == 1 else value[1]
            key = (code, raw.__class__, raw, column, extra)
            message = rendered.get(key)
            if message is None:
                message = rendered[key] = render(
                    code, self.language, value=display_value(raw), column=column, **params)
            distinct[value] = message
        if len(kinds) == 1:
            return map(distinct.__getitem__, raws)
        return map(distinct.__getitem__, zip(map(type, raws), raws))

    def in_order(self) -> list[Issue]:
        """The issues by row, then by column (a cell's issues in the order found): the
        order of ``sorted(issues, key=lambda i: (i.row, columns.get(i.field, -1)))``."""
        if not self._places:
            return []
        order = np.argsort(np.concatenate(self._places), kind="stable")
        return list(map(self.issues.__getitem__, order.tolist()))


def _issue(code: str, message: str, tab: str, cell: str | None, row: int, column: str,
           value: Any, severity: Severity, name: str) -> Issue:
    """``Issue(...)`` without the frozen dataclass's nine ``object.__setattr__`` calls (an
    invalid register has tens of thousands of issues): the same object, its attributes
    given as one ``__dict__``.

    >>> _issue("required", "必須です", "案件一覧", "A2", 2, "案件ID", None, Severity.ERROR,
    ...        "deal_id") == Issue("required", "必須です", "案件一覧", "A2", 2, "案件ID", None,
    ...                            Severity.ERROR, "deal_id")
    True
    """
    issue = _new_object(Issue)
    _set_attribute(issue, "__dict__", {
        "code": code, "message": message, "tab": tab, "cell": cell, "row": row,
        "column": column, "value": value, "severity": severity, "field": name})
    return issue


_new_object = object.__new__
_set_attribute = object.__setattr__


def _columns(rows: Sequence[Sequence[CellValue]], cols: Iterable[int]
             ) -> dict[int, list[CellValue]]:
    """Columns ``cols`` of ``rows`` as lists, a short row (trailing empties trimmed by the
    backend) read as blank beyond its end.

    The rows go into one 2-D object array in C (pandas' ``to_object_array``, what
    ``DataFrame(rows)`` does), and each column out of it by ``tolist``: about 40 % less
    time than a comprehension per column, which looks up every row once per column
    (``zip(*rows)`` is slower still: it walks 100,000 iterators at once).

    >>> _columns([["D-1", "佐藤", 3], ["D-2"]], [0, 2])
    {0: ['D-1', 'D-2'], 2: [3, None]}
    """
    cols = list(cols)
    if not rows or not cols:
        return {col: [None] * len(rows) for col in cols}
    if _to_object_array is None:  # pragma: no cover - pandas without it
        return {col: [row[col] if col < len(row) else None for row in rows] for col in cols}
    matrix = _to_object_array(rows, min_width=max(cols) + 1)
    return {col: matrix[:, col].tolist() for col in cols}


try:
    from pandas._libs.lib import to_object_array as _to_object_array
except ImportError:  # pragma: no cover - a private helper pandas has had since 0.x
    _to_object_array = None


#: parsed value of a cell that failed to parse (its error is in the report)
INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()


_NUMERIC = frozenset({bool, int, float, PercentValue})


class Coded(NamedTuple):
    """A parsed column as codes: cell ``i``'s value is ``table[codes[i]]``.

    A column that repeats its values (stages, dates, amounts) is worked on through its
    distinct values: a mask or a typed array of the column is the distinct values' one,
    taken by ``codes`` in one C pass — no Python call per cell.
    """

    table: list[Any]  # the distinct parsed values (None blank, INVALID bad)
    codes: np.ndarray  # intp, one per cell

    def mask(self, test: Callable[[Any], bool]) -> np.ndarray:
        """``test(value)`` of every cell as a boolean array (``test`` runs per distinct
        value)."""
        return np.fromiter(map(test, self.table), dtype=bool, count=len(self.table))[
            self.codes]

    def array(self, convert: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """``convert(value)`` of every cell as an array of ``dtype`` (``convert`` runs per
        distinct value)."""
        return np.fromiter(map(convert, self.table), dtype=dtype, count=len(self.table))[
            self.codes]

    def blank(self) -> np.ndarray:
        """Which cells are blank."""
        return self.mask(_IS_NONE)

    def has_blank(self) -> bool:
        """Whether a cell may be blank: ``None`` is among the distinct values (after
        :meth:`take`, maybe only among those of the rows left out)."""
        return any(map(operator.is_, self.table, repeat(None)))

    def take(self, rows: np.ndarray) -> Coded:
        """The cells at positions ``rows`` (indices or a boolean mask)."""
        return Coded(self.table, self.codes[rows])


_IS_NONE: Callable[[Any], bool] = partial(operator.is_, None)


def _parse_column(
    rows: Sequence[Sequence[CellValue]], col: int, parser: Parser
) -> tuple[list[Any], list[tuple[int, CellValue, CoercionError]]]:
    """Parse column ``col`` of ``rows``: typed values (``None`` blank, ``INVALID`` bad).

    Each distinct value is parsed once; the per-cell work is a dictionary lookup done in C
    (``map``), which is what makes 100,000-row registers validate in well under a second.
    Every row must be at least ``col + 1`` cells wide (:func:`_columns` reads a short row
    as blank beyond its end).
    """
    values, failed, _ = _parse_column_coded(rows, col, parser)
    bad = [(i, raw, exc) for exc, where, raws in failed for i, raw in zip(where, raws)]
    return values, sorted(bad, key=operator.itemgetter(0))


#: the cells of a column that share one parse error: the error, their positions, their raw
#: values
Failure = tuple[CoercionError, list[int], list[CellValue]]


def _parse_column_coded(
    rows: Sequence[Sequence[CellValue]], col: int, parser: Parser
) -> tuple[list[Any], list[Failure], Coded | None]:
    """:func:`_parse_column` with the failures grouped by error (positions ascending), and
    the column as :class:`Coded` when it is not text (texts are mostly distinct: codes
    would not pay)."""
    return _parse_cells([row[col] for row in rows], parser)


def _parse_cells(
    column: list[CellValue], parser: Parser
) -> tuple[list[Any], list[Failure], Coded | None]:
    """:func:`_parse_column_coded` of the cells of one column, taken out of the rows
    (:func:`_columns`)."""
    text = parser in (parse_text, parse_string)
    if text:
        # text columns (IDs, names, reps, notes): trimming is all there is to do — unless
        # an ID or a name is too long or a formula's error value (then: one by one)
        short = parser is parse_string
        if _repeats(column):
            trimmed = _trimmed_by_value(column, short=short)
        else:
            trimmed = _trimmed(column, short=short) if set(map(type, column)) <= (
                _TEXT_KINDS) else None
        if trimmed is not None:
            return trimmed, [], None
    codes, raws = _codes(column)
    table, errors = _read_distinct(raws, parser)
    if all(map(operator.is_, table, raws)):
        # every value is its own reading (dates, whole amounts typed); each code stands
        # for one type (see _codes), so every cell is its own reading too
        values = column
    else:
        values = np.fromiter(table, dtype=object, count=len(table))[codes].tolist()
    failed: list[Failure] = []
    if any(map(operator.is_not, errors, repeat(None))):
        at = np.flatnonzero(np.fromiter(map(operator.is_not, errors, repeat(None)),
                                        dtype=bool, count=len(errors))[codes])
        # the failing cells grouped by code (a stable sort keeps each group's rows in order)
        failing = codes[at]
        order = np.argsort(failing, kind="stable")
        at, failing = at[order], failing[order]
        starts = np.flatnonzero(np.diff(failing)) + 1
        for where, code in zip(np.split(at, starts), failing[np.r_[0, starts]].tolist()):
            positions = where.tolist()
            failed.append((errors[code], positions, list(map(column.__getitem__, positions))))
    return values, failed, None if text else Coded(table, codes)


def _codes(column: list[CellValue]) -> tuple[np.ndarray, list[CellValue]]:
    """Each cell's code (``codes``) and the raw value each code stands for (``raws``, in
    the order first met): cell ``i`` holds ``raws[codes[i]]``, equal and of the same type.

    One pass in C: a dictionary that numbers a value the first time it meets it. Values
    that are equal but of different types hash alike — ``1 == 1.0 == True``, ``0.8 ==
    PercentValue(0.8)``, a formula without its value and the same formula typed as text —
    and are told apart afterwards (:func:`_split_by_type`).

    >>> codes, raws = _codes(["提案", None, "提案", "受注"])
    >>> codes.tolist(), raws
    ([0, 1, 0, 2], ['提案', None, '受注'])
    >>> sorted(map(repr, _codes([1, True, 1, 1.0])[1]))
    ['1', '1.0', 'True']
    """
    codes, raws = _numbered(column)
    kinds = set(map(type, raws))
    # the types of the distinct values tell whether a number or a formula's text is among
    # them, and only then may a value stand for cells of another type
    if kinds & _NUMERIC or Uncalculated in kinds or (str in kinds and any(
            v.__class__ is str and v.startswith("=") for v in raws)):
        kinds = set(map(type, column))
        if len(kinds & _NUMERIC) > 1 or (Uncalculated in kinds and str in kinds):
            return _split_by_type(column, codes, raws, kinds)
    return codes, raws


def _numbered(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Each value's number among the distinct ``values`` (``codes``), and the distinct
    values in the order first met: ``values[i] == distinct[codes[i]]``. One pass in C (a
    dictionary that numbers a value the first time it meets it).

    >>> codes, distinct = _numbered(["佐藤", "鈴木", "佐藤"])
    >>> codes.tolist(), distinct
    ([0, 1, 0], ['佐藤', '鈴木'])
    """
    number = defaultdict(itertools.count().__next__)
    codes = np.fromiter(map(number.__getitem__, values), dtype=np.intp, count=len(values))
    return codes, list(number)


def _split_by_type(column: list[CellValue], codes: np.ndarray, raws: list[CellValue],
                   kinds: set[type]) -> tuple[np.ndarray, list[CellValue]]:
    """:func:`_codes` where a value may stand for cells of several types: a code per
    (value, type) that occurs. Even ``1`` and ``1.0``, which every parser reads alike: a
    cell that is its own reading (a whole amount) is then the reading of every cell of its
    code, so the column can be returned as it is."""
    index = {kind: i for i, kind in enumerate(kinds)}
    pairs = codes * len(index) + np.fromiter(map(index.__getitem__, map(type, column)),
                                             dtype=np.intp, count=len(column))
    if np.count_nonzero(np.bincount(pairs)) == len(raws):
        return codes, raws  # every value is typed one way only
    # the cells' first occurrences, in the order of their pairs
    _, first, codes = np.unique(pairs, return_index=True, return_inverse=True)
    return codes.reshape(-1), list(map(column.__getitem__, first.tolist()))


def _read_distinct(raws: list[CellValue], parser: Parser
                   ) -> tuple[list[Any], list[CoercionError | None]]:
    """Each distinct raw value's reading (``None`` blank, ``INVALID`` bad) and its error."""
    table: list[Any] = []
    errors: list[CoercionError | None] = []
    for raw in raws:
        if raw is None or (raw.__class__ is str and not raw.strip()):
            table.append(None)
            errors.append(None)
            continue
        if raw.__class__ is Uncalculated:  # never a blank, in any column
            table.append(INVALID)
            errors.append(CoercionError("formula_without_value"))
            continue
        try:
            table.append(parser(raw))
            errors.append(None)
        except CoercionError as exc:
            table.append(INVALID)
            # without its traceback (nor the one of the error it replaced): a traceback
            # holds this frame, whose ``errors`` holds the error — a cycle that would keep
            # the column's lists alive until the garbage collector runs, and the pipeline
            # pauses it
            errors.append(exc.with_traceback(None))
            exc.__cause__ = exc.__context__ = None
    return table, errors


_TEXT_KINDS = frozenset({str, type(None)})


def _trimmed(column: list[Any], *, short: bool) -> list[Any] | None:
    """A column of texts (``str`` or ``None`` only) trimmed as :func:`parse_text` trims,
    blanks as ``None``; ``None`` when ``short`` (a ``string`` field) and some text is too
    long or starts with ``#`` (maybe a formula's error value): those are parsed one by one.

    The checks run in C over the whole column: stripping changes no text when the total
    length does not change, and a column rarely holds an empty string.

    >>> _trimmed([" D-1 ", None, "", "D-2"], short=True)
    ['D-1', None, None, 'D-2']
    >>> _trimmed(["#N/A"], short=True) is None, _trimmed(["#N/A"], short=False)
    (True, ['#N/A'])
    """
    present = list(filter(None, column))  # the non-empty texts
    joined = "\0".join(present)
    first, *rest = joined.split(None, 1) or [""]  # stops at the first space, if any
    if (not rest and len(first) == len(joined)) or (
            sum(map(len, present)) == sum(map(len, map(str.strip, present)))):
        # no space at all (IDs), or none at either end of a text (names): nothing to trim
        trimmed = [v or None for v in column] if "" in column else column
    else:
        trimmed = [None if v is None else (v.strip() or None) for v in column]
        present = list(filter(None, trimmed))
        joined = "\0".join(present)
    if short and present:
        if (max(map(len, present)) > MAX_STRING or joined.startswith("#")
                or "\0#" in joined):
            return None
    return trimmed


def _repeats(column: list[Any], sample: int = 4096) -> bool:
    """Whether ``column`` looks like it repeats its values (reps, next actions, a blank
    notes column) rather than holding mostly distinct ones (IDs, deal names): its first
    ``sample`` cells hold at most 90 % distinct values. Only a choice of path: both give
    the same column."""
    head = column[:sample]
    return len(set(head)) <= 0.9 * len(head)


def _trimmed_by_value(column: list[Any], *, short: bool) -> list[Any] | None:
    """:func:`_trimmed` worked out once per distinct value, for a column that repeats its
    values; ``None`` also when a cell is not a text (then: one by one).

    A value equal to a text is a text: only a formula without its value (Uncalculated,
    which starts with ``=``) hides behind an equal ``str``, so the types of the distinct
    values are every cell's types unless one starts with ``=``.

    >>> _trimmed_by_value(["佐藤", " 佐藤", None, "", "佐藤"], short=True)
    ['佐藤', '佐藤', None, None, '佐藤']
    >>> _trimmed_by_value(["#N/A", "#N/A"], short=True) is None
    True
    """
    distinct = set(column)
    texts = [v for v in distinct if v is not None]
    if not set(map(type, texts)) <= _TEXT_KINDS or any(v.startswith("=") for v in texts):
        return _trimmed(column, short=short) if set(map(type, column)) <= _TEXT_KINDS else None
    reading: dict[Any, Any] = {v: v.strip() or None for v in texts}
    if short and any(r is not None and (len(r) > MAX_STRING or r.startswith("#"))
                     for r in reading.values()):
        return None
    if all(map(operator.is_, reading.values(), texts)):
        return column  # nothing to trim, no empty text
    reading[None] = None
    return list(map(reading.__getitem__, column))


def _is_none(values: Sequence[Any]) -> np.ndarray:
    """``values[i] is None`` for every ``i``, as a boolean array (one pass in C)."""
    return np.fromiter(map(operator.is_, values, repeat(None)), dtype=bool, count=len(values))


def _canonical(values: list[Any]) -> list[Any]:
    """:func:`~sheetsync.names.canonical` with the spellings of ``values`` themselves,
    worked out once per distinct value; ``values`` itself when no spelling changes.

    >>> _canonical(["佐藤 健", "佐藤　健", None, "佐藤 健"])
    ['佐藤 健', '佐藤 健', None, '佐藤 健']
    """
    shown = spellings(values)
    distinct = set(values)
    mapping = dict(zip(distinct, canonical(list(distinct), shown)))
    if all(k is v for k, v in mapping.items()):
        return values
    return list(map(mapping.__getitem__, values))


def validate_register(
    grid: Grid,
    schema: Schema,
    *,
    language: str = "ja",
    owners: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> ValidationResult:
    """Check every cell of the register ``grid``; never raises for bad data.

    Rows with any error are excluded from ``deals`` and counted in
    ``report.excluded_rows``; warnings never exclude a row.
    """
    fields = schema.fields
    header, header_issues = map_headers(grid, fields, language)
    report = Report()
    if header is None:
        report.extend(header_issues)
        return ValidationResult(report, empty_deals(schema), None, grid.name)
    report.extend(blank_header_issues(grid, header, language))

    # -- cells: parse each distinct value of each column once -----------------------------
    body = grid.rows[header.row:]
    cells = _columns(body, header.columns.values())
    parsed_all: dict[str, list[Any]] = {}
    coded_all: dict[str, Coded] = {}  # the columns that repeat their values, as codes
    failed: set[str] = set()  # the fields with a cell that does not parse
    errors_at: list[tuple[Field, list[Failure]]] = []
    filled = np.zeros(len(body), dtype=bool)
    all_filled = False
    for fld in fields:
        col = header.columns.get(fld.name)
        if col is None:
            continue
        values, bad, coded = _parse_cells(cells[col], field_parser(fld, language, owners))
        if fld.roster and not owners:
            # no roster: one rep however the space is typed, shown as most reps write it
            values, coded = _canonical(values), None
        parsed_all[fld.name] = values
        if coded is not None:
            coded_all[fld.name] = coded
        if bad:
            failed.add(fld.name)
            errors_at.append((fld, bad))
        if all_filled:
            continue
        if not (coded.has_blank() if coded is not None else None in values):
            all_filled = True  # a column with no blank cell: no row is blank
        else:
            filled |= ~(coded.blank() if coded is not None else _is_none(values))
    if all_filled:
        filled[:] = True

    # -- rows: everything below the header with at least one mapped cell filled ----------
    keep_index = np.flatnonzero(filled)
    first = header.row + 1
    sheet_rows = (keep_index + first).tolist()
    dense = len(keep_index) == len(body)
    kept_rows = body if dense else [body[i] for i in keep_index.tolist()]
    parsed: dict[str, list[Any]] = {}
    coded_rows = coded_all if dense else {
        name: coded.take(keep_index) for name, coded in coded_all.items()}
    for fld in fields:
        values = parsed_all.get(fld.name)
        if values is None:
            parsed[fld.name] = [None] * len(kept_rows)
        else:
            parsed[fld.name] = values if dense else [values[i] for i in keep_index.tolist()]
    report.rows = len(kept_rows)
    out = _Collector(grid.name, language, header)
    # a column's cells with one bad value share its error: report them together
    for fld, column_failures in errors_at:
        for exc, where, raws in column_failures:
            out.cells(fld, [first + i for i in where], raws, exc.code, **exc.params)

    needed = _check_required(schema, header, sheet_rows, kept_rows, parsed, out, coded_rows)
    # A missing column that only some stages require is an error only when a row needs it.
    report.extend(
        replace(i, severity=Severity.WARNING)
        if i.code == "missing_column" and i.field not in needed
        and not schema.field(i.field or "").required else i
        for i in header_issues
    )
    _check_unique(schema, sheet_rows, parsed, out, grid, header, failed)

    bad_rows = out.bad_rows
    if bad_rows:
        valid = ~np.isin(keep_index + first, np.fromiter(bad_rows, dtype=np.int64,
                                                         count=len(bad_rows)))
    else:
        valid = np.ones(len(sheet_rows), dtype=bool)
    valid_mask = valid.tolist()
    deals = _frame(schema, sheet_rows, parsed, valid_mask, coded_rows, valid)
    _warn(schema, deals, _KeptColumns(parsed, valid), out, as_of, grid, header,
          _kept_coded(coded_rows, valid), partial(_raw_cells, cells, first, header))

    report.extend(out.in_order())
    report.excluded_rows = len(out.bad_rows)
    return ValidationResult(
        report, deals, header, grid.name, parsed, sheet_rows, set(out.bad_rows)
    )


class _KeptColumns:
    """The parsed columns of the rows without an error: ``kept(name)`` (each selected
    once), ``kept.where(name, chosen)`` those of the kept rows ``chosen`` selects."""

    def __init__(self, parsed: dict[str, list[Any]], valid: np.ndarray) -> None:
        self._parsed = parsed
        self._valid = valid
        self._every = bool(valid.all())
        self._selected: dict[str, list[Any]] = {}

    def __call__(self, name: str) -> list[Any]:
        if self._every:
            return self._parsed[name]
        if name not in self._selected:
            self._selected[name] = list(compress(self._parsed[name], self._valid.tolist()))
        return self._selected[name]

    def where(self, name: str, chosen: np.ndarray) -> list[Any]:
        """Column ``name`` at the kept rows where ``chosen`` (one flag per kept row) is
        true: one selection from the whole column, not a selection of a selection."""
        if name in self._selected or self._every:
            return list(compress(self(name), chosen.tolist()))
        rows = np.zeros(len(self._valid), dtype=bool)
        rows[self._valid] = chosen
        return list(compress(self._parsed[name], rows.tolist()))


def _kept_coded(coded: dict[str, Coded], valid: np.ndarray) -> Callable[[str], Coded | None]:
    """``name`` → the coded column of the rows without an error (None: not coded)."""
    every = bool(valid.all())
    selected: dict[str, Coded] = {}

    def kept(name: str) -> Coded | None:
        if name not in coded or every:
            return coded.get(name)
        if name not in selected:
            selected[name] = coded[name].take(valid)
        return selected[name]

    return kept


def _check_required(
    schema: Schema,
    header: HeaderMap,
    sheet_rows: list[int],
    rows: list[list[CellValue]],
    parsed: dict[str, list[Any]],
    out: _Collector,
    coded: dict[str, Coded] | None = None,
) -> set[str]:
    """Flag blank required cells; return the unusable fields some row needed.

    ``coded``: the columns already coded (see :class:`Coded`); others are coded here when
    a rule depends on them.
    """
    language = out.language
    needed: set[str] = set()
    codes: dict[str, Coded] = dict(coded or {})  # rule.on → its values, coded

    def member(name: str, allowed: frozenset[Any]) -> np.ndarray:
        """``parsed[name][i] in allowed`` for every row, from the column coded once."""
        if name not in codes:
            distinct = list(set(parsed[name]))
            index = {v: i for i, v in enumerate(distinct)}
            codes[name] = Coded(distinct, np.fromiter(map(index.__getitem__, parsed[name]),
                                                      dtype=np.intp, count=len(parsed[name])))
        return codes[name].mask(allowed.__contains__)

    for fld in schema.fields:
        values = parsed[fld.name]
        col = header.columns.get(fld.name)
        usable = fld.name not in header.unusable
        # one issue per cell: the first rule that needs it names the reason
        flagged: dict[int, tuple[str, dict[str, Any]]] = {}
        if not (fld.required or fld.required_when):
            continue
        column_codes = codes.get(fld.name)
        if not (column_codes.has_blank() if column_codes is not None else None in values):
            continue
        # the blank cells, and those no rule has claimed yet, as arrays: each rule then
        # costs one pass in C over the value it depends on, and Python only sees the hits
        open_blank = column_codes.blank() if column_codes is not None else _is_none(values)
        if fld.required:
            flagged.update(zip(np.flatnonzero(open_blank).tolist(), repeat(("required", {}))))
            open_blank[:] = False
        for rule in rules_in_order(fld):
            if not open_blank.any():
                break
            on_values = parsed[rule.on]
            hits = np.flatnonzero(open_blank & member(rule.on, rule.values)).tolist()
            # the reason depends only on the rule and the triggering value: word it once
            reasons: dict[Any, tuple[str, dict[str, Any]]] = {}
            for i in hits:
                on = on_values[i]
                if on not in reasons:
                    reasons[on] = required_when_issue(schema, fld, rule, on, language,
                                                      header.labels.get(rule.on))
                flagged[i] = reasons[on]
            open_blank[hits] = False
        if not usable:
            # the missing column was reported once; its rows just cannot count
            out.bad_rows.update(sheet_rows[i] for i in flagged)
            if any(code != "required" for code, _ in flagged.values()):
                needed.add(fld.name)
            continue
        # the cells that share a reason (one object per rule and triggering value)
        # reported together, each batch in row order
        batches: dict[int, tuple[tuple[str, dict[str, Any]], list[int]]] = {}
        for i in sorted(flagged):
            reason = flagged[i]
            batches.setdefault(id(reason), (reason, []))[1].append(i)
        for (code, params), at in batches.values():
            out.cells(fld, [sheet_rows[i] for i in at],
                      [_cell(rows[i], col) for i in at], code, **params)
    return needed


def _cell(row: Sequence[CellValue], col: int | None) -> CellValue:
    """Cell ``col`` of ``row`` as typed (``None`` beyond a short row's end, or no column)."""
    return row[col] if col is not None and col < len(row) else None


def _member(values: Sequence[Any], allowed: frozenset[Any]) -> np.ndarray:
    """``values[i] in allowed`` for every ``i``, as a boolean array (one pass in C)."""
    return np.fromiter(map(allowed.__contains__, values), dtype=bool, count=len(values))


def _check_unique(
    schema: Schema,
    sheet_rows: list[int],
    parsed: dict[str, list[Any]],
    out: _Collector,
    grid: Grid,
    header: HeaderMap,
    failed: set[str] | None = None,
) -> None:
    """Flag the cells of a unique field whose value another row holds too. ``failed``:
    the fields with a cell that does not parse, when known (``None``: look)."""
    for fld in schema.fields:
        if not fld.unique:
            continue
        values = parsed[fld.name]
        present: Sequence[int]
        if None in values or (any(map(operator.is_, values, repeat(INVALID)))
                              if failed is None else fld.name in failed):
            present = [i for i, v in enumerate(values) if v is not None and v is not INVALID]
            keys = _match_keys([values[i] for i in present])
        else:  # every ID given and readable (the usual register): no list of positions
            present = range(len(values))
            keys = _match_keys(values)
        if len(set(keys)) == len(keys):
            continue
        counts = Counter(keys)
        positions: dict[Any, list[int]] = defaultdict(list)
        for i, key in zip(present, keys):
            if counts[key] > 1:
                positions[key].append(i)
        col = header.columns[fld.name] if fld.name in header.columns else None
        for where in positions.values():
            if len(where) < 2:
                continue
            rows_text = ", ".join(str(sheet_rows[i]) for i in where)
            for i in where:
                raw = grid.cell(sheet_rows[i], col + 1) if col is not None else None
                out.cell(fld, sheet_rows[i], raw, "duplicate_id", rows=rows_text)


def _same_contact_warnings(
    schema: Schema,
    open_deals: dict[str, list[Any]],
    client_keys: dict[str, str],
    out: _Collector,
    raw: Callable[[str, int], CellValue],
    language: str,
) -> None:
    """The sharper signal: one person at one client (same company, same contact, honorifics
    aside) approached by several reps on open deals — reported once, at the contact's first
    cell, naming the contact and the reps."""
    owners_of: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    first_row: dict[tuple[str, str], int] = {}
    contact_keys: dict[str, str] = {}
    for client, contact, owner, sheet_row in zip(
            open_deals["client"], open_deals["client_contact"], open_deals["owner"],
            open_deals["_row"]):
        if not isinstance(contact, str) or not contact.strip() or not isinstance(client, str):
            continue
        person = contact_keys.get(contact)
        if person is None:
            person = contact_keys[contact] = contact_key(contact)
        key = (client_keys[client], person)
        owners_of[key][owner] = None
        first_row[key] = min(first_row.get(key, sheet_row), sheet_row)
    for key, owner_set in owners_of.items():
        if len(owner_set) < 2:
            continue
        first = first_row[key]
        client_cell = raw("client", first)
        out.cell(schema.field("client_contact"), first, raw("client_contact", first),
                 "multiple_owners_contact", severity=Severity.WARNING,
                 client=display_value(client_cell), owners=join(list(owner_set), language))


def _match_keys(values: list[Any]) -> list[Any]:
    """:func:`match_key` of many values at once (one NFKC pass over all of them).

    >>> _match_keys(["D-1", " ｄ－１", "A 1", 7])
    ['d-1', 'd-1', 'a1', 7]
    """
    if not values:
        return []
    if not all(issubclass(kind, str) for kind in set(map(type, values))):
        return [match_key(v) if isinstance(v, str) else v for v in values]
    # \0 survives NFKC and case folding untouched, so it can separate the values
    joined = "\0".join(values)
    if joined.count("\0") != len(values) - 1:  # a value holds a \0 itself: one by one
        return [match_key(v) for v in values]
    if joined.isascii():  # NFKC leaves ASCII alone and case folding is lower()
        joined = joined.lower()
        if not any(space in joined for space in _ASCII_SPACES):
            return joined.split("\0")
    else:
        joined = nfkc(joined).casefold()
    return _NOT_SEPARATOR_SPACE.sub("", joined).split("\0")


_NOT_SEPARATOR_SPACE = re.compile(r"[^\S\x00]+")
#: the ASCII characters ``\s`` matches
_ASCII_SPACES = tuple(c for c in map(chr, range(128)) if c.isspace())


def empty_deals(schema: Schema) -> pd.DataFrame:
    """A deals frame with no rows but every column and dtype of the contract."""
    return _frame(schema, [], {f.name: [] for f in schema.fields}, [])


def _frame(
    schema: Schema, sheet_rows: list[int], parsed: dict[str, list[Any]], mask: list[bool],
    coded: dict[str, Coded] | None = None, keep: np.ndarray | None = None,
) -> pd.DataFrame:
    """The deals frame: the rows where ``mask`` is true (``keep``: the same as an array,
    when at hand). A column in ``coded`` is built from its codes."""
    if keep is None:
        keep = np.fromiter(mask, dtype=bool, count=len(mask))
    columns: dict[str, Any] = {"_row": np.asarray(sheet_rows, dtype=np.int64)[keep]}
    chosen = None if keep.all() else keep
    coded = coded or {}
    for fld in schema.fields:
        if fld.name in coded:
            columns[fld.name] = _typed_coded(fld, coded[fld.name], chosen)
        else:
            columns[fld.name] = _typed_column(fld, parsed[fld.name], chosen)
    return pd.DataFrame(columns, copy=False)  # the arrays were built for it alone


def _typed_coded(fld: Field, coded: Coded, keep: np.ndarray | None) -> Any:
    """:func:`_typed_column` of a coded column: the distinct values typed, then taken by
    the codes of the rows ``keep`` selects (all: None) — one C pass per column."""
    codes = coded.codes if keep is None else coded.codes[keep]
    # rows with an INVALID cell are never kept: its entry only has to convert
    table = [None if v is INVALID else v for v in coded.table]
    size = len(table)
    if fld.type == "date":
        nat = np.iinfo(np.int64).min
        ns = np.fromiter(((d.toordinal() - _EPOCH_ORDINAL) * _NS_PER_DAY
                          if d is not None else nat for d in table), dtype=np.int64, count=size)
        return ns[codes].view("datetime64[ns]")
    if fld.type in ("money", "integer"):
        try:
            numbers = np.fromiter(map(_NONE_AS_ZERO.get, table, table), dtype=np.int64,
                                  count=size)
        except OverflowError:  # an integer field beyond 64 bits (money stops at 1兆円)
            taken = np.fromiter(table, dtype=object, count=size)[codes].tolist()
            return pd.array(taken, dtype="Int64")
        return pd.arrays.IntegerArray(numbers[codes], _is_none(table)[codes])
    if fld.type in ("percent", "number"):
        return np.fromiter(map(_NONE_AS_NAN.get, table, table), dtype=np.float64,
                           count=size)[codes]
    texts = np.fromiter(table, dtype=object, count=size)[codes]
    if _INFERS_TEXT and fld.type in _TEXT_TYPES and np.fromiter(
            map(bool, table), dtype=bool, count=size)[codes].any():
        # texts only (blank: None, never ""), not all blank: the dtype pandas would infer
        return pd.array(texts, dtype=_TEXT_DTYPE)
    return texts


def _typed_column(fld: Field, values: list[Any], keep: Sequence[bool] | np.ndarray | None
                  ) -> Any:
    """The deals frame's column of ``fld``: ``values`` where ``keep`` is true (all: None)."""
    # rows with an INVALID cell are never kept, so only None needs handling here; every
    # column is built by one pass in C over the values (``dict.get(v, v)`` maps None only)
    if fld.type not in _TYPED:
        # texts: the column as an array, then the rows kept (a boolean index in C)
        texts = np.fromiter(values, dtype=object, count=len(values))
        if keep is not None:
            texts = texts[np.asarray(keep, dtype=bool)]
        # (any: the list first, in C — a blank column is all None, one kept text is enough)
        if _INFERS_TEXT and fld.type in _TEXT_TYPES and any(values) and any(texts):
            # texts only (blank: None, never ""), not all blank: the dtype pandas would
            # infer, without inferring it
            return pd.array(texts, dtype=_TEXT_DTYPE, copy=False)
        return texts
    if isinstance(keep, np.ndarray):
        keep = keep.tolist()
    kept = values if keep is None else list(compress(values, keep))
    count = len(kept)
    if fld.type == "date":
        # nanoseconds since 1970 of each distinct day; NaT is the smallest int64
        ns = {d: (d.toordinal() - _EPOCH_ORDINAL) * _NS_PER_DAY for d in set(kept)
              if d is not None}
        ns[None] = np.iinfo(np.int64).min
        return np.fromiter(map(ns.__getitem__, kept), dtype=np.int64,
                           count=count).view("datetime64[ns]")
    if fld.type in ("money", "integer"):
        # what pd.array(kept, dtype="Int64") gives, without its per-value inference
        try:
            numbers = np.fromiter(map(_NONE_AS_ZERO.get, kept, kept), dtype=np.int64,
                                  count=count)
        except OverflowError:  # an integer field beyond 64 bits (money stops at 1兆円)
            return pd.array(kept, dtype="Int64")
        return pd.arrays.IntegerArray(numbers, _is_none(kept))
    return np.fromiter(map(_NONE_AS_NAN.get, kept, kept), dtype=np.float64, count=count)


#: the field types whose frame column is not text
_TYPED = frozenset({"date", "money", "integer", "percent", "number"})


#: what pandas makes of a column of texts (``str`` in pandas 3, ``object`` before)
_TEXT_DTYPE = pd.DataFrame({"text": np.array(["text"], dtype=object)})["text"].dtype
_INFERS_TEXT = isinstance(_TEXT_DTYPE, pd.StringDtype)
_TEXT_TYPES = frozenset({"string", "text", "enum"})


_NS_PER_DAY = 86_400 * 10**9
_NONE_AS_ZERO: dict[Any, Any] = {None: 0}
_NONE_AS_NAN: dict[Any, Any] = {None: np.nan}


def _percent(probability: float | None) -> float:
    return np.nan if probability is None else float(probability)


def _warn(
    schema: Schema,
    deals: pd.DataFrame,
    kept: _KeptColumns,
    out: _Collector,
    as_of: dt.date | None,
    grid: Grid,
    header: HeaderMap,
    kept_coded: Callable[[str], Coded | None] | None = None,
    raw_cells: Callable[[str, list[int]], list[CellValue]] | None = None,
) -> None:
    """Warnings never exclude a row: several owners on one client, closed-stage contradictions.

    ``kept(name)`` is the parsed column of the rows in ``deals`` (in sheet order), and
    ``kept_coded(name)`` the same as codes when the column is coded (else None). Each check
    selects its rows with array operations; only the rows it warns about are visited one
    by one.
    """
    if deals.empty:
        return
    language = out.language
    stage = schema.stage_field
    stage_info = {c.value: c for c in stage.choices}
    sheet_rows = deals["_row"].to_numpy()

    def member(name: str, allowed: frozenset[Any]) -> np.ndarray:
        coded = kept_coded(name) if kept_coded is not None else None
        return coded.mask(allowed.__contains__) if coded is not None else _member(
            kept(name), allowed)

    def numbers(name: str, of: dict[Any, float]) -> np.ndarray:
        """``of`` each value of column ``name`` (NaN when not in ``of``) as floats."""
        coded = kept_coded(name) if kept_coded is not None else None
        def get(value: Any) -> float:
            return of.get(value, np.nan)

        if coded is not None:
            return coded.array(get, float)
        values = kept(name)
        return np.fromiter(map(get, values), dtype=float, count=len(values))

    def raw(name: str, sheet_row: int) -> CellValue:
        col = header.columns.get(name)
        return grid.cell(sheet_row, col + 1) if col is not None else None

    if raw_cells is None:
        def raw_cells(name: str, sheet_rows: list[int]) -> list[CellValue]:
            return [raw(name, r) for r in sheet_rows]

    # several owners approaching one client at once; a parked (hold) deal is open but
    # nobody is approaching the client with it, so it does not count
    active = member("stage", frozenset(schema.open_stages() - schema.hold_stages()))
    if active.any() and {"client", "owner"} <= set(header.columns):
        open_deals = {name: kept.where(name, active) for name in ("client", "owner")}
        open_deals["_row"] = sheet_rows[active].tolist()
        clients, owners = open_deals["client"], open_deals["owner"]
        client_codes, distinct = _numbered(clients)
        keys = dict(zip(distinct, company_keys(distinct)))
        key_codes, shown = _numbered(list(keys.values()))
        row_keys = key_codes[client_codes]
        owner_codes, _ = _numbered(owners)
        # a client has several reps when its rows' reps do not all have one code
        lowest = np.full(len(shown), len(owners), dtype=np.intp)
        highest = np.full(len(shown), -1, dtype=np.intp)
        np.minimum.at(lowest, row_keys, owner_codes)
        np.maximum.at(highest, row_keys, owner_codes)
        several = lowest != highest
        if several.any():
            at = np.flatnonzero(several[row_keys]).tolist()  # their rows, in sheet order
            shared_keys = [shown[k] for k in row_keys[at].tolist()]
            first_row = dict(zip(reversed(shared_keys),
                                 reversed([open_deals["_row"][i] for i in at])))
            owners_of: dict[str, list[Any]] = defaultdict(list)
            # each (client, rep) pair once, in the order first seen
            for key, owner in dict.fromkeys(zip(shared_keys, [owners[i] for i in at])):
                owners_of[key].append(owner)
            # one warning per client at its first row, those naming the same reps together
            by_reps: dict[str, list[int]] = defaultdict(list)
            for key, names in owners_of.items():
                by_reps[join(names, language)].append(first_row[key])
            for reps, firsts in by_reps.items():
                out.cells(schema.field("client"), firsts, raw_cells("client", firsts),
                          "multiple_owners", severity=Severity.WARNING, owners=reps)
        if schema.has_field("client_contact") and "client_contact" in header.columns:
            open_deals["client_contact"] = kept.where("client_contact", active)
            _same_contact_warnings(schema, open_deals, keys, out, raw, language)

    # closed deals with a 受注確率 or a 確度 that contradicts the outcome
    closed = member("stage", frozenset(schema.closed_stages()))
    probability = deals["probability"].to_numpy()
    rank_field = schema.field("rank")
    rank_probability = {c.value: _percent(c.probability) for c in rank_field.choices}
    ranked = ~member("rank", frozenset({None}))
    closed &= ~np.isnan(probability) | ranked
    if closed.any():
        closed_stages = kept.where("stage", closed)
        rows = sheet_rows[closed]
        # a closed stage's probability (受注 100, 失注 0) against the 受注確率 typed
        stage_probability = {v: _percent(c.probability) for v, c in stage_info.items()}
        expected = numbers("stage", stage_probability)[closed]
        typed = probability[closed]
        probability_field = schema.field("probability")
        for i in np.flatnonzero(~np.isnan(typed) & (typed != expected)).tolist():
            info = stage_info[closed_stages[i]]
            out.cell(
                probability_field, int(rows[i]), raw("probability", int(rows[i])),
                "closed_probability_mismatch", severity=Severity.WARNING,
                stage=info.label(language), percent=f"{typed[i]:g}",
                expected=f"{info.probability:g}",
            )
        # won with a 確度 below 50 %, lost with one above
        pct = numbers("rank", rank_probability)[closed]
        won = member("stage", frozenset(v for v, c in stage_info.items()
                                        if c.outcome == "won"))[closed]
        lost = member("stage", frozenset(v for v, c in stage_info.items()
                                         if c.outcome == "lost"))[closed]
        for i in np.flatnonzero((won & (pct < 50)) | (lost & (pct > 50))).tolist():
            info = stage_info[closed_stages[i]]
            out.cell(
                rank_field, int(rows[i]), raw("rank", int(rows[i])),
                "closed_rank_mismatch", severity=Severity.WARNING,
                stage=info.label(language),
            )

    if as_of is None:
        return
    limit = np.datetime64(as_of, "ns")
    for name in ("closed_on", "created_on", "last_activity"):
        if name not in header.columns:
            continue
        late = sheet_rows[deals[name].to_numpy() > limit].tolist()
        if late:
            out.cells(schema.field(name), late, raw_cells(name, late),
                      "future_date", severity=Severity.WARNING,
                      as_of=as_of.strftime("%Y/%m/%d"))


def _raw_cells(columns: dict[int, list[CellValue]], first: int, header: HeaderMap,
               name: str, sheet_rows: list[int]) -> list[CellValue]:
    """The cells of column ``name`` at ``sheet_rows`` as typed, from the columns taken
    out of the body (``columns``, by column; the body's first row is sheet row
    ``first``): one lookup per cell in C.

    >>> header = HeaderMap(row=1, columns={"closed_on": 1}, labels={})
    >>> _raw_cells({1: ["2027/1/5", None, "R9.1.5"]}, 2, header, "closed_on", [2, 4])
    ['2027/1/5', 'R9.1.5']
    """
    col = header.columns.get(name)
    if col is None or col not in columns:
        return [None] * len(sheet_rows)
    at = (np.asarray(sheet_rows, dtype=np.intp) - first).tolist()
    return list(map(columns[col].__getitem__, at))
