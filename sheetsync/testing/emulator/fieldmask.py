"""Google field masks: partial responses (``fields=``) and masked updates (``"fields"``).

Syntax: comma-separated paths; ``a.b`` and ``a/b`` select nested fields; ``a(b,c)`` selects
several sub-fields of ``a``; ``*`` selects everything at its level. Example:
``sheets(properties(sheetId,title)),properties.title``.
"""

from __future__ import annotations

from typing import Any

# A mask tree: field name → sub-tree, or None for "the whole field".
Mask = dict[str, "Mask | None"]


class MaskError(ValueError):
    """The mask text is not valid."""


def parse(text: str) -> Mask:
    tree: Mask = {}
    pos = _parse_list(text.replace(" ", ""), 0, tree)
    if pos != len(text.replace(" ", "")):
        raise MaskError(text)
    return tree


def _merge(tree: Mask, path: list[str], sub: Mask | None) -> None:
    node = tree
    for i, name in enumerate(path):
        last = i == len(path) - 1
        if name in node and node[name] is None:
            return  # already selecting the whole field
        if last:
            if sub is None:
                node[name] = None
            else:
                existing = node.setdefault(name, {})
                assert existing is not None
                for k, v in sub.items():
                    _merge(existing, [k], v)
        else:
            child = node.setdefault(name, {})
            assert child is not None
            node = child


def _parse_list(text: str, pos: int, tree: Mask) -> int:
    while True:
        path: list[str] = []
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        raw = text[start:pos]
        if not raw:
            raise MaskError(text)
        path = [p for p in raw.replace("/", ".").split(".")]
        if any(not p for p in path):
            raise MaskError(text)
        sub: Mask | None = None
        if pos < len(text) and text[pos] == "(":
            sub = {}
            pos = _parse_list(text, pos + 1, sub)
            if pos >= len(text) or text[pos] != ")":
                raise MaskError(text)
            pos += 1
        _merge(tree, path, sub)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return pos


def apply(obj: Any, mask: Mask | None) -> Any:
    """Keep only the masked fields of a JSON value (lists are masked element-wise)."""
    if mask is None or ("*" in mask and mask["*"] is None):
        return obj
    if isinstance(obj, list):
        return [apply(item, mask) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if key in mask:
            out[key] = apply(value, mask[key])
        elif "*" in mask:
            out[key] = apply(value, mask["*"])
    return out


def paths(text: str) -> list[list[str]]:
    """A write mask (``"gridProperties/rowCount,title"``) as a list of paths."""
    if text.strip() == "*":
        return [["*"]]
    out: list[list[str]] = []

    def walk(tree: Mask, prefix: list[str]) -> None:
        for name, sub in tree.items():
            if sub is None:
                out.append([*prefix, name])
            else:
                walk(sub, [*prefix, name])

    walk(parse(text), [])
    return out


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (much faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: json_copy(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def update(target: dict[str, Any], source: dict[str, Any], mask_paths: list[list[str]]) -> None:
    """Copy the masked fields from ``source`` into ``target``; absent ones are cleared.

    Only ``target`` itself is changed in place: a nested object on a masked path is
    replaced by a changed copy (the old one may be shared with another version)."""
    for path in mask_paths:
        if path == ["*"]:
            target.clear()
            target.update(json_copy(source))
            continue
        _set_path(target, source, path)


def _set_path(target: dict[str, Any], source: Any, path: list[str]) -> None:
    name, rest = path[0], path[1:]
    src = source.get(name) if isinstance(source, dict) else None
    if not rest:
        if src is None:
            target.pop(name, None)
        else:
            target[name] = json_copy(src)
        return
    child = target.get(name)
    if not isinstance(child, dict):
        if src is None:
            return
        child = {}
    else:
        child = dict(child)
    _set_path(child, src if isinstance(src, dict) else {}, rest)
    if child:
        target[name] = child
    else:
        target.pop(name, None)
