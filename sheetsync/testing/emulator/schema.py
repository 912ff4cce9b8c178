"""Reject request bodies Google would reject: unknown fields, wrong types, bad enum values.

Messages follow Google's JSON-to-proto parser, e.g. ``Invalid JSON payload received. Unknown
name "titel" at 'requests[0].add_sheet.properties': Cannot find field.``
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._schema_data import SCHEMAS
from .errors import ApiError, field_violation

_PROTO_TYPES = {
    "integer": "TYPE_INT32",
    "number": "TYPE_DOUBLE",
    "boolean": "TYPE_BOOL",
    "string": "TYPE_STRING",
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def validate(value: Any, schema: str, path: str = "") -> None:
    """Check ``value`` against a schema of the discovery document; raise 400 if invalid."""
    _check(value, schema, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _unknown(name: str, path: str) -> ApiError:
    where = f" at '{path}'" if path else ""
    message = f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.'
    return field_violation(path, message)


def _invalid(path: str, type_name: str, value: Any) -> ApiError:
    shown = json.dumps(value, ensure_ascii=False)
    return field_violation(path, f"Invalid value at '{path}' ({type_name}), {shown}")


def _check(value: Any, type_: str, path: str) -> None:
    if value is None or type_ == "any":
        return
    if type_.startswith("["):
        if not isinstance(value, list):
            raise _invalid(path, "type.googleapis.com/google.protobuf.ListValue", value)
        inner = type_[1:-1]
        for i, item in enumerate(value):
            _check(item, inner, f"{path}[{i}]")
        return
    if type_.startswith("enum:"):
        allowed = type_[5:].split("|")
        if not isinstance(value, str) or value not in allowed:
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
        _check(item, field_type, _join(path, snake(name)))


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
