"""Normalising request objects into the shapes Google stores and answers with."""

from __future__ import annotations

import struct
from typing import Any

GRID_RANGE_KEYS = ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")


def drop_nulls(value: Any) -> Any:
    """JSON ``null`` means "not set" in requests: remove it everywhere."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value if v is not None]
    return value


def float32(value: float) -> float | int:
    """The shortest decimal that reads back as the same 32-bit float (Google's colours)."""
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            number = float(text)
            return int(number) if number.is_integer() else number
    return f32


def color(value: dict[str, Any] | None) -> dict[str, Any]:
    """Colour channels are stored with 8 bits; zero channels are omitted."""
    out: dict[str, Any] = {}
    for key in ("red", "green", "blue"):
        channel = float((value or {}).get(key, 0) or 0)
        channel = min(max(channel, 0.0), 1.0)
        stored = float32(int(channel * 255 + 1e-9) / 255)
        if stored:
            out[key] = stored
    alpha = (value or {}).get("alpha")
    if alpha is not None and alpha != 1:
        out["alpha"] = float32(float(alpha))
    return out


def color_style(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    if "themeColor" in value:
        return {"themeColor": value["themeColor"]}
    if value.get("rgbColor") is None:
        return None
    return {"rgbColor": color(value["rgbColor"])}


_CHANNELS = frozenset({"red", "green", "blue", "alpha"})
# CellData/format fields that hold no colour: not walked
_COLOURLESS = frozenset(
    {"userEnteredValue", "effectiveValue", "formattedValue", "note", "hyperlink", "numberFormat"}
)


def normalize_colors(obj: Any) -> Any:
    """Quantise every ``*Color``/``*ColorStyle`` inside a format or property object.

    Parts without colours are returned as they are (not copied): copy before storing."""
    if isinstance(obj, list):
        items: list[Any] | None = None
        for i, value in enumerate(obj):
            new = normalize_colors(value)
            if items is None and new is not value:
                items = obj[:i]
            if items is not None:
                items.append(new)
        return obj if items is None else items
    if not isinstance(obj, dict) or obj.keys() <= _COLOURLESS:
        return obj
    out: dict[str, Any] | None = None
    for i, (key, value) in enumerate(obj.items()):
        if key in _COLOURLESS or not isinstance(value, (dict, list)):
            new, keep = value, True
        elif key.endswith("ColorStyle") and isinstance(value, dict):
            new = color_style(value)
            keep = new is not None
        elif (key.endswith("Color") or key == "color") and (
            isinstance(value, dict) and (not value or set(value) <= _CHANNELS)
        ):
            new, keep = color(value), True
        else:
            new, keep = normalize_colors(value), True
        if out is None and (new is not value or not keep):
            out = dict(list(obj.items())[:i])
        if out is not None and keep:
            out[key] = new
    return obj if out is None else out


#: (plain colour, its style twin) inside a CellFormat, by path: Google stores and returns
#: both forms whichever one a request sets (a ``…Style`` wins when both are set)
COLOR_TWINS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    ((), "backgroundColor", "backgroundColorStyle"),
    (("textFormat",), "foregroundColor", "foregroundColorStyle"),
    *((("borders", side), "color", "colorStyle") for side in ("top", "bottom", "left", "right")),
)


def mirror_color_styles(fmt: Any) -> Any:
    """A CellFormat with each colour in both forms, as Google keeps it: ``backgroundColor``
    ↔ ``backgroundColorStyle: {rgbColor}``, ``textFormat.foregroundColor`` ↔
    ``foregroundColorStyle``, border ``color`` ↔ ``colorStyle``. A theme colour style has
    no plain twin. Returns ``fmt`` itself when there is nothing to add.

    >>> mirror_color_styles({"backgroundColor": {"red": 1.0}})
    {'backgroundColor': {'red': 1.0}, 'backgroundColorStyle': {'rgbColor': {'red': 1.0}}}
    """
    if not isinstance(fmt, dict):
        return fmt
    out = fmt
    for path, plain, style in COLOR_TWINS:
        holder: Any = out
        for key in path:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or (plain not in holder and style not in holder):
            continue
        twin = dict(holder)
        if isinstance(twin.get(style), dict) and "rgbColor" in twin[style]:
            twin[plain] = twin[style]["rgbColor"]  # the style wins
        elif isinstance(twin.get(plain), dict) and style not in twin:
            twin[style] = {"rgbColor": twin[plain]}
        else:
            continue
        if out is fmt:
            out = dict(fmt)
        parent = out
        for key in path[:-1]:
            parent[key] = dict(parent[key])
            parent = parent[key]
        if path:
            parent[path[-1]] = twin
        else:
            out = {**out, **twin}
    return out


def color_twin_paths(paths: list[list[str]]) -> list[list[str]]:
    """A field mask with the twin of every colour field it names added (setting
    ``userEnteredFormat.backgroundColor`` also sets its style, and the other way round)."""
    out = [list(p) for p in paths]
    for p in paths:
        for path, plain, style in COLOR_TWINS:
            for given, twin in ((plain, style), (style, plain)):
                if p == ["userEnteredFormat", *path, given]:
                    extra = ["userEnteredFormat", *path, twin]
                    if extra not in out:
                        out.append(extra)
    return out


def mirror_cell_colors(data: Any) -> Any:
    """Cell data (or a list of rows of it) with :func:`mirror_color_styles` applied to each
    ``userEnteredFormat``."""
    if isinstance(data, list):
        return [mirror_cell_colors(d) for d in data]
    if not isinstance(data, dict):
        return data
    if "values" in data and isinstance(data["values"], list):
        return {**data, "values": [mirror_cell_colors(v) for v in data["values"]]}
    fmt = data.get("userEnteredFormat")
    mirrored = mirror_color_styles(fmt)
    return data if mirrored is fmt else {**data, "userEnteredFormat": mirrored}


def grid_range(value: dict[str, Any]) -> dict[str, Any]:
    """A ``GridRange`` as Google echoes it: indices kept, ``sheetId`` only when not 0."""
    out: dict[str, Any] = {}
    sheet_id = int(value.get("sheetId", 0) or 0)
    if sheet_id:
        out["sheetId"] = sheet_id
    for key in GRID_RANGE_KEYS:
        if key in value:
            out[key] = int(value[key])
    return out


def sheet_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Drop the defaults Google does not show (false flags, zero frozen counts …)."""
    props = normalize_colors(props)
    for key in ("hidden", "rightToLeft"):
        if not props.get(key):
            props.pop(key, None)
    grid = props.get("gridProperties")
    if isinstance(grid, dict):
        for key in list(grid):
            if key not in ("rowCount", "columnCount") and not grid[key]:
                del grid[key]
    for key in ("tabColor", "tabColorStyle"):
        if key in props and not props[key]:
            del props[key]
    return props
