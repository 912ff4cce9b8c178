"""Reject request bodies Google would reject: unknown fields, wrong types, bad enum values.

Messages follow Google's JSON-to-proto parser, e.g. ``Invalid JSON payload received. Unknown
name "titel" at 'requests[0].add_sheet.properties': Cannot find field.``
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from ._schema_data import SCHEMAS
from .errors import field_violation

_PROTO_TYPES = {
    "integer": "TYPE_INT32",
    "number": "TYPE_DOUBLE",
    "boolean": "TYPE_BOOL",
    "string": "TYPE_STRING",
}


@lru_cache(maxsize=4096)
def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


class _Invalid(Exception):
    """Raised by the fast pass (no paths tracked); the slow pass then builds the message."""


def validate(value: Any, schema: str, path: str = "") -> None:
    """Check ``value`` against a schema of the discovery document; raise 400 if invalid."""
    try:
        _check(value, schema, None)
    except _Invalid:
        _check(value, schema, path)  # again, tracking where, to raise Google's message


def _unknown(name: str, path: str | None) -> Exception:
    if path is None:
        return _Invalid()
    where = f" at '{path}'" if path else ""
    message = f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.'
    return field_violation(path, message)


def _invalid(path: str | None, type_name: str, value: Any) -> Exception:
    if path is None:
        return _Invalid()
    shown = json.dumps(value, ensure_ascii=False)
    return field_violation(path, f"Invalid value at '{path}' ({type_name}), {shown}")


def _check(value: Any, type_: str, path: str | None) -> None:
    if value is None or type_ == "any":
        return
    if type_[0] == "[":
        if not isinstance(value, list):
            raise _invalid(path, "type.googleapis.com/google.protobuf.ListValue", value)
        inner = type_[1:-1]
        if inner == "any":
            return
        for i, item in enumerate(value):
            _check(item, inner, None if path is None else f"{path}[{i}]")
        return
    if type_.startswith("enum:"):
        if not isinstance(value, str) or value not in _enum(type_):
            raise _invalid(path, "TYPE_ENUM", value)
        return
    if type_ in _PROTO_TYPES:
        if not _scalar_ok(value, type_):
            raise _invalid(path, _PROTO_TYPES[type_], value)
        return
    fields = SCHEMAS.get(type_)
    if fields is None:
        return
    if not isinstance(value, dict):
        raise _invalid(path, f"type.googleapis.com/google.apps.sheets.v4.{type_}", value)
    for name, item in value.items():
        field_type = fields.get(name)
        if field_type is None:
            raise _unknown(name, path)
        if path is None:
            _check(item, field_type, None)
        else:
            _check(item, field_type, f"{path}.{snake(name)}" if path else snake(name))


@lru_cache(maxsize=1024)
def _enum(type_: str) -> frozenset[str]:
    return frozenset(type_[5:].split("|"))


def _scalar_ok(value: Any, type_: str) -> bool:
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if type_ == "integer":
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) is not None
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value in ("NaN", "Infinity", "-Infinity")
        return True
    return False
