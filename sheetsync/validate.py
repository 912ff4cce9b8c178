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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .a1 import rowcol_to_a1
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
from .textnorm import company_key, match_key, nfkc

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
        self._letters: dict[int, str] = {}

    def cell(
        self, fld: Field, sheet_row: int, raw: CellValue, code: str,
        severity: Severity = Severity.ERROR, column_field: str | None = None, **params: Any,
    ) -> None:
        name = column_field or fld.name
        col = self.header.columns.get(name)
        column = self.header.labels.get(name) or fld.label(self.language)
        key = (code, raw.__class__, raw, column, *sorted(params.items()))
        message = self._messages.get(key)
        if message is None:
            message = render(code, self.language, value=display_value(raw), column=column,
                             **params)
            self._messages[key] = message
        cell = None
        if col is not None:
            letters = self._letters.get(col)
            if letters is None:
                letters = self._letters[col] = rowcol_to_a1(1, col + 1)[:-1]
            cell = f"{letters}{sheet_row}"
        self.issues.append(
            Issue(
                code=code,
                message=message,
                tab=self.tab,
                cell=cell,
                row=sheet_row,
                column=column,
                value=raw,
                severity=severity,
                field=name,
            )
        )
        if severity is Severity.ERROR:
            self.bad_rows.add(sheet_row)


def _padded(rows: list[list[CellValue]], width: int) -> list[list[CellValue]]:
    """``rows`` with the short ones (trailing empties trimmed by the backend) padded."""
    if all(len(row) >= width for row in rows):
        return rows
    return [row if len(row) >= width else [*row, *([None] * (width - len(row)))]
            for row in rows]


#: parsed value of a cell that failed to parse (its error is in the report)
INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()


_NUMERIC = frozenset({bool, int, float, PercentValue})


def _parse_column(
    rows: Sequence[Sequence[CellValue]], col: int, parser: Parser
) -> tuple[list[Any], list[tuple[int, CellValue, CoercionError]]]:
    """Parse column ``col`` of ``rows``: typed values (``None`` blank, ``INVALID`` bad).

    Each distinct value is parsed once; the per-cell work is a dictionary lookup done in C
    (``map``), which is what makes 100,000-row registers validate in well under a second.
    Every row must be at least ``col + 1`` cells wide (see :func:`_padded`).
    """
    column = [row[col] for row in rows]
    kinds = set(map(type, column))
    if parser in (parse_text, parse_string) and kinds <= {str, type(None)}:
        # text columns (IDs, names) are mostly distinct: trimming is all there is to do —
        # unless an ID or a name is too long or a formula's error value (then: one by one)
        trimmed = [None if v is None else (v.strip() or None) for v in column]
        if parser is parse_text or not any(
                v is not None and (len(v) > MAX_STRING or v[0] == "#") for v in trimmed):
            return trimmed, []
    if (bool in kinds or PercentValue in kinds) and len(kinds & _NUMERIC) > 1:
        # 1 == 1.0 == True and 0.8 == PercentValue(0.8) hash alike but parse differently
        keys: list[Any] = [(type(v), v) for v in column]
        distinct = {k: k[1] for k in keys}
    else:
        keys = column
        distinct = {v: v for v in set(column)}
    results: dict[Any, Any] = {}
    failures: dict[Any, CoercionError] = {}
    for key, raw in distinct.items():
        if raw is None or (raw.__class__ is str and not raw.strip()):
            results[key] = None
            continue
        if raw.__class__ is Uncalculated:  # never a blank, in any column
            results[key] = INVALID
            failures[key] = CoercionError("formula_without_value")
            continue
        try:
            results[key] = parser(raw)
        except CoercionError as exc:
            results[key] = INVALID
            failures[key] = exc
    values = list(map(results.__getitem__, keys))
    bad = []
    if failures:
        bad = [(i, column[i], failures[k]) for i, k in enumerate(keys) if k in failures]
    return values, bad


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
    body = _padded(grid.rows[header.row:], max(header.columns.values(), default=-1) + 1)
    parsed_all: dict[str, list[Any]] = {}
    errors_at: list[tuple[Field, int, CellValue, CoercionError]] = []
    filled = np.zeros(len(body), dtype=bool)
    all_filled = False
    for fld in fields:
        col = header.columns.get(fld.name)
        if col is None:
            continue
        values, bad = _parse_column(body, col, field_parser(fld, language, owners))
        if fld.roster and not owners:
            # no roster: one rep however the space is typed, shown as most reps write it
            values = canonical(values, spellings(values))
        parsed_all[fld.name] = values
        errors_at.extend((fld, index, raw, exc) for index, raw, exc in bad)
        if all_filled or None not in values:
            all_filled = True  # a column with no blank cell: no row is blank
        else:
            filled |= np.array(values, dtype=object) != None  # noqa: E711 - elementwise
    if all_filled:
        filled[:] = True

    # -- rows: everything below the header with at least one mapped cell filled ----------
    keep_index = np.flatnonzero(filled)
    first = header.row + 1
    sheet_rows = (keep_index + first).tolist()
    dense = len(keep_index) == len(body)
    kept_rows = body if dense else [body[i] for i in keep_index.tolist()]
    parsed: dict[str, list[Any]] = {}
    for fld in fields:
        values = parsed_all.get(fld.name)
        if values is None:
            parsed[fld.name] = [None] * len(kept_rows)
        else:
            parsed[fld.name] = values if dense else [values[i] for i in keep_index.tolist()]
    report.rows = len(kept_rows)
    out = _Collector(grid.name, language, header)
    for fld, index, raw, exc in errors_at:
        out.cell(fld, first + index, raw, exc.code, **exc.params)

    needed = _check_required(schema, header, sheet_rows, kept_rows, parsed, out)
    # A missing column that only some stages require is an error only when a row needs it.
    report.extend(
        replace(i, severity=Severity.WARNING)
        if i.code == "missing_column" and i.field not in needed
        and not schema.field(i.field or "").required else i
        for i in header_issues
    )
    _check_unique(schema, sheet_rows, parsed, out, grid, header)

    valid_mask = [r not in out.bad_rows for r in sheet_rows]
    deals = _frame(schema, sheet_rows, parsed, valid_mask)
    _warn(schema, deals, out, as_of, grid, header)

    out.issues.sort(key=lambda i: (i.row or 0, header.columns.get(i.field or "", -1)))
    report.extend(out.issues)
    report.excluded_rows = len(out.bad_rows)
    return ValidationResult(
        report, deals, header, grid.name, parsed, sheet_rows, set(out.bad_rows)
    )


def _check_required(
    schema: Schema,
    header: HeaderMap,
    sheet_rows: list[int],
    rows: list[list[CellValue]],
    parsed: dict[str, list[Any]],
    out: _Collector,
) -> set[str]:
    """Flag blank required cells; return the unusable fields some row needed."""
    language = out.language
    needed: set[str] = set()
    for fld in schema.fields:
        values = parsed[fld.name]
        col = header.columns.get(fld.name)
        usable = fld.name not in header.unusable
        # one issue per cell: the first rule that needs it names the reason
        flagged: dict[int, tuple[str, dict[str, Any]]] = {}
        if None not in values:
            continue
        if fld.required:
            flagged.update((i, ("required", {})) for i, v in enumerate(values) if v is None)
        for rule in rules_in_order(fld):
            on_values = parsed[rule.on]
            # the reason depends only on the rule and the triggering value: word it once
            reasons: dict[Any, tuple[str, dict[str, Any]]] = {}
            for i, v in enumerate(values):
                if v is None and i not in flagged and on_values[i] in rule.values:
                    on = on_values[i]
                    if on not in reasons:
                        reasons[on] = required_when_issue(schema, fld, rule, on, language,
                                                          header.labels.get(rule.on))
                    flagged[i] = reasons[on]
        for i, (code, params) in sorted(flagged.items()):
            if not usable:
                # the missing column was reported once; its rows just cannot count
                out.bad_rows.add(sheet_rows[i])
                if code != "required":
                    needed.add(fld.name)
                continue
            row = rows[i]
            raw = row[col] if col is not None and col < len(row) else None
            out.cell(fld, sheet_rows[i], raw, code, **params)
    return needed


def _check_unique(
    schema: Schema,
    sheet_rows: list[int],
    parsed: dict[str, list[Any]],
    out: _Collector,
    grid: Grid,
    header: HeaderMap,
) -> None:
    for fld in schema.fields:
        if not fld.unique:
            continue
        values = parsed[fld.name]
        present = [i for i, v in enumerate(values) if v is not None and v is not INVALID]
        keys = _match_keys([values[i] for i in present])
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
    open_deals: pd.DataFrame,
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
    for client, contact, owner, sheet_row in zip(
            open_deals["client"].tolist(), open_deals["client_contact"].tolist(),
            open_deals["owner"].tolist(), open_deals["_row"].tolist()):
        if not isinstance(contact, str) or not contact.strip() or not isinstance(client, str):
            continue
        key = (client_keys[client], contact_key(contact))
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
    """:func:`match_key` of many values at once (one NFKC pass over all of them)."""
    if not all(isinstance(v, str) for v in values):
        return [match_key(v) if isinstance(v, str) else v for v in values]
    # \0 survives NFKC and case folding untouched, so it can separate the values
    joined = nfkc("\0".join(values)).casefold()
    return _NOT_SEPARATOR_SPACE.sub("", joined).split("\0") if values else []


_NOT_SEPARATOR_SPACE = re.compile(r"[^\S\x00]+")


def empty_deals(schema: Schema) -> pd.DataFrame:
    """A deals frame with no rows but every column and dtype of the contract."""
    return _frame(schema, [], {f.name: [] for f in schema.fields}, [])


def _frame(
    schema: Schema, sheet_rows: list[int], parsed: dict[str, list[Any]], mask: list[bool]
) -> pd.DataFrame:
    keep = np.fromiter(mask, dtype=bool, count=len(mask))
    columns: dict[str, Any] = {"_row": np.asarray(sheet_rows, dtype=np.int64)[keep]}
    for fld in schema.fields:
        values = parsed[fld.name]
        columns[fld.name] = _typed_column(fld, values, keep)
    return pd.DataFrame(columns)


def _typed_column(fld: Field, values: list[Any], keep: np.ndarray) -> Any:
    # rows with an INVALID cell are never kept, so only None needs handling here
    kept = values if keep.all() else [v for v, k in zip(values, keep.tolist()) if k]
    if fld.type == "date":
        nat = np.iinfo(np.int64).min
        ordinals = {d: d.toordinal() - _EPOCH_ORDINAL for d in set(kept) if d is not None}
        ordinals[None] = nat
        days = np.fromiter(map(ordinals.__getitem__, kept), dtype=np.int64, count=len(kept))
        out = np.full(days.shape, np.datetime64("NaT", "ns"))
        ok = days != nat
        out[ok] = days[ok].astype("datetime64[D]").astype("datetime64[ns]")
        return out
    if fld.type in ("money", "integer"):
        return pd.array(kept, dtype="Int64")
    if fld.type in ("percent", "number"):
        return np.array([np.nan if v is None else v for v in kept], dtype=np.float64)
    return np.array(kept, dtype=object)


def _warn(
    schema: Schema,
    deals: pd.DataFrame,
    out: _Collector,
    as_of: dt.date | None,
    grid: Grid,
    header: HeaderMap,
) -> None:
    """Warnings never exclude a row: several owners on one client, closed-stage contradictions."""
    if deals.empty:
        return
    language = out.language
    stage = schema.stage_field
    stage_info = {c.value: c for c in stage.choices}

    def raw(name: str, sheet_row: int) -> CellValue:
        col = header.columns.get(name)
        return grid.cell(sheet_row, col + 1) if col is not None else None

    # several owners approaching one client at once; a parked (hold) deal is open but
    # nobody is approaching the client with it, so it does not count
    active_stages = schema.open_stages() - schema.hold_stages()
    open_deals = deals[deals["stage"].isin(active_stages)]
    if not open_deals.empty and {"client", "owner"} <= set(header.columns):
        clients = open_deals["client"].tolist()
        keys = {c: company_key(c) for c in set(clients)}
        owners_of: dict[str, dict[str, None]] = defaultdict(dict)
        first_row: dict[str, int] = {}
        for client, owner, sheet_row in zip(clients, open_deals["owner"].tolist(),
                                            open_deals["_row"].tolist()):
            key = keys[client]
            owners_of[key][owner] = None
            first_row[key] = min(first_row.get(key, sheet_row), sheet_row)
        for key, owner_set in owners_of.items():
            if len(owner_set) < 2:
                continue
            owners = list(owner_set)
            first = first_row[key]
            out.cell(
                schema.field("client"), first, raw("client", first), "multiple_owners",
                severity=Severity.WARNING, owners=join(owners, language),
            )
        if schema.has_field("client_contact") and "client_contact" in header.columns:
            _same_contact_warnings(schema, open_deals, keys, out, raw, language)

    closed = deals[deals["stage"].isin(schema.closed_stages())
                   & (deals["probability"].notna() | deals["rank"].notna())]
    rank_field = schema.field("rank")
    rank_probability = {c.value: c.probability for c in rank_field.choices}
    for sheet_row, stage_value, probability, rank in zip(
        closed["_row"].tolist(), closed["stage"].tolist(), closed["probability"].tolist(),
        closed["rank"].tolist(),
    ):
        info = stage_info[stage_value]
        label = info.label(language)
        if not np.isnan(probability) and probability != info.probability:
            out.cell(
                schema.field("probability"), sheet_row, raw("probability", sheet_row),
                "closed_probability_mismatch", severity=Severity.WARNING, stage=label,
                percent=f"{probability:g}", expected=f"{info.probability:g}",
            )
        pct = rank_probability.get(rank) if rank is not None else None
        if pct is not None and (
            (info.outcome == "won" and pct < 50) or (info.outcome == "lost" and pct > 50)
        ):
            out.cell(
                rank_field, sheet_row, raw("rank", sheet_row), "closed_rank_mismatch",
                severity=Severity.WARNING, stage=label,
            )

    if as_of is None:
        return
    limit = np.datetime64(as_of, "ns")
    for name in ("closed_on", "created_on", "last_activity"):
        if name not in header.columns:
            continue
        late = deals[deals[name] > limit]
        for sheet_row in late["_row"]:
            sheet_row = int(sheet_row)
            out.cell(
                schema.field(name), sheet_row, raw(name, sheet_row), "future_date",
                severity=Severity.WARNING, as_of=as_of.strftime("%Y/%m/%d"),
            )
