"""The schema as pydantic v2 models: one typed row, and a whole register.

:func:`build_row_model` turns a :class:`~sheetsync.schema.Schema` into a model class with
one field per column (raw cell values in, typed values out, through the same coercers the
bulk validator uses) and the cross-field rules (required, required-when) as a model
validator. :func:`build_register_model` adds uniqueness of the key field. Use them to check
single rows from other tools, or to export a JSON Schema; :func:`sheetsync.validate.
validate_register` is the fast path for whole registers and gives the same verdicts.

>>> from sheetsync.schema import load_schema
>>> Row = build_row_model(load_schema())
>>> row = Row.model_validate({"deal_id": "D-1", "deal_name": "更改", "client": "(株)サンプル",
...                           "owner": "佐藤", "stage": "受注", "amount": "120万円",
...                           "closed_on": "R8.3.31"})
>>> row.stage, row.amount, row.closed_on
('won', 1200000, datetime.date(2026, 3, 31))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    RootModel,
    create_model,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from .coerce import CoercionError
from .messages import render
from .schema import Field, Schema
from .textnorm import is_blank, match_key
from .validate import display_value, field_parser, required_when_issue, rules_in_order

_PYTHON_TYPES: dict[str, Any] = {
    "string": str,
    "text": str,
    "money": int,
    "percent": float,
    "date": dt.date,
    "number": float,
    "integer": int,
}


def _annotation(fld: Field, language: str, owners: Sequence[str]) -> Any:
    parser = field_parser(fld, language, owners)
    label = fld.label(language)

    def coerce(value: Any) -> Any:
        if is_blank(value):
            return None
        try:
            return parser(value)
        except CoercionError as exc:
            message = render(exc.code, language, value=display_value(value), column=label,
                             **exc.params)
            raise PydanticCustomError(exc.code, message) from None

    if fld.type == "enum":
        python_type: Any = Literal[tuple(c.value for c in fld.choices)]  # type: ignore[misc]
    else:
        python_type = _PYTHON_TYPES[fld.type]
    description = fld.description(language) if fld.description else None
    return (
        Annotated[Optional[python_type], BeforeValidator(coerce)],  # noqa: UP045 - runtime type
        PydanticField(default=None, title=label, description=description),
    )


def build_row_model(
    schema: Schema, *, language: str = "ja", owners: Sequence[str] = ()
) -> type[BaseModel]:
    """A pydantic model class for one register row of ``schema``."""
    fields = {fld.name: _annotation(fld, language, owners) for fld in schema.fields}

    def check_rules(row: BaseModel) -> BaseModel:
        for fld in schema.fields:
            if getattr(row, fld.name) is not None:
                continue
            label = fld.label(language)
            if fld.required:
                raise PydanticCustomError(
                    "required", render("required", language, column=label)
                )
            for rule in rules_in_order(fld):
                on_value = getattr(row, rule.on)
                if on_value in rule.values:
                    code, params = required_when_issue(schema, fld, rule, on_value, language)
                    raise PydanticCustomError(
                        code, render(code, language, column=label, **params),
                    )
        return row

    model = create_model(  # type: ignore[call-overload]
        _model_name(schema),
        __config__=ConfigDict(extra="ignore", frozen=True),
        __validators__={"check_rules": model_validator(mode="after")(check_rules)},
        **fields,
    )
    model.__doc__ = f"One row of {schema.title(language)} ({schema.source})."
    return model


def build_register_model(
    schema: Schema, *, language: str = "ja", owners: Sequence[str] = ()
) -> type[RootModel]:
    """A pydantic model for a list of rows, adding uniqueness of unique fields."""
    row_model = build_row_model(schema, language=language, owners=owners)
    unique = [f for f in schema.fields if f.unique]

    def check_unique(register: RootModel) -> RootModel:
        for fld in unique:
            seen: dict[Any, int] = {}
            for index, row in enumerate(register.root):
                value = getattr(row, fld.name)
                if value is None:
                    continue
                key = match_key(value) if isinstance(value, str) else value
                if key in seen:
                    rows = f"{seen[key] + 1}, {index + 1}"
                    raise PydanticCustomError(
                        "duplicate_id",
                        render("duplicate_id", language, column=fld.label(language),
                               value=value, rows=rows),
                    )
                seen[key] = index
        return register

    return create_model(  # type: ignore[call-overload]
        f"{_model_name(schema)}Register",
        __base__=RootModel[list[row_model]],  # type: ignore[valid-type]
        __validators__={"check_unique": model_validator(mode="after")(check_unique)},
    )


def _model_name(schema: Schema) -> str:
    return "".join(part.capitalize() for part in schema.name.split("_")) + "Row"
