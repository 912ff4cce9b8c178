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


def mirror_pair(holder: dict[str, Any], plain: str, style: str) -> dict[str, Any]:
    """``holder`` with ``plain`` (a Color) and ``style`` (a ColorStyle) made twins, as the
    discovery document describes them: the style takes precedence when both are set, an
    ``rgbColor`` style fills the plain colour and a plain colour fills ``{"rgbColor": …}``.
    A theme colour style has no plain twin here (a plain colour beside it is dropped).
    Returns ``holder`` itself when there is nothing to change.

    >>> mirror_pair({"color": {"red": 1.0}}, "color", "colorStyle")
    {'color': {'red': 1.0}, 'colorStyle': {'rgbColor': {'red': 1.0}}}
    >>> mirror_pair({"color": {"red": 1.0}, "colorStyle": {"rgbColor": {"blue": 1.0}}},
    ...             "color", "colorStyle")
    {'color': {'blue': 1.0}, 'colorStyle': {'rgbColor': {'blue': 1.0}}}
    """
    given_style = holder.get(style)
    if isinstance(given_style, dict) and given_style:
        if "rgbColor" in given_style:
            if holder.get(plain) == given_style["rgbColor"]:
                return holder
            return {**holder, plain: given_style["rgbColor"]}
        if plain in holder:  # a theme colour: the style wins, no plain twin
            return {k: v for k, v in holder.items() if k != plain}
        return holder
    if isinstance(holder.get(plain), dict):
        return {**holder, style: {"rgbColor": holder[plain]}}
    return holder


def mirror_color_styles(fmt: Any) -> Any:
    """A CellFormat with each colour in both forms, as Google keeps it: ``backgroundColor``
    ↔ ``backgroundColorStyle: {rgbColor}``, ``textFormat.foregroundColor`` ↔
    ``foregroundColorStyle``, border ``color`` ↔ ``colorStyle`` (see :func:`mirror_pair`).
    Returns ``fmt`` itself when there is nothing to add.

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
        twin = mirror_pair(holder, plain, style)
        if twin is holder:
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
            out = twin
    return out


def color_twin_paths(
    paths: list[list[str]], prefix: tuple[str, ...] = ("userEnteredFormat",)
) -> list[list[str]]:
    """A field mask with the twin of every colour field it names under the CellFormat at
    ``prefix`` added (setting ``userEnteredFormat.backgroundColor`` also sets its style,
    and the other way round)."""
    out = [list(p) for p in paths]
    for p in paths:
        for path, plain, style in COLOR_TWINS:
            for given, twin in ((plain, style), (style, plain)):
                if p == [*prefix, *path, given]:
                    extra = [*prefix, *path, twin]
                    if extra not in out:
                        out.append(extra)
    return out


def _mirror_runs(runs: Any) -> Any:
    """``textFormatRuns`` with each run's TextFormat colour in both forms."""
    if not isinstance(runs, list):
        return runs
    out = []
    for run in runs:
        fmt = run.get("format") if isinstance(run, dict) else None
        if isinstance(fmt, dict):
            mirrored = mirror_pair(fmt, "foregroundColor", "foregroundColorStyle")
            if mirrored is not fmt:
                run = {**run, "format": mirrored}
        out.append(run)
    return out if any(a is not b for a, b in zip(out, runs)) else runs


def mirror_cell_colors(data: Any) -> Any:
    """Cell data (or a list of rows of it) with :func:`mirror_color_styles` applied to each
    ``userEnteredFormat`` and :func:`mirror_pair` to each text run's format."""
    if isinstance(data, list):
        return [mirror_cell_colors(d) for d in data]
    if not isinstance(data, dict):
        return data
    if "values" in data and isinstance(data["values"], list):
        return {**data, "values": [mirror_cell_colors(v) for v in data["values"]]}
    out = data
    fmt = data.get("userEnteredFormat")
    mirrored = mirror_color_styles(fmt)
    if mirrored is not fmt:
        out = {**out, "userEnteredFormat": mirrored}
    runs = data.get("textFormatRuns")
    mirrored_runs = _mirror_runs(runs)
    if mirrored_runs is not runs:
        out = {**out, "textFormatRuns": mirrored_runs}
    return out


def mirror_rule_colors(rule: dict[str, Any]) -> dict[str, Any]:
    """A conditional format rule with its colours in both forms: the boolean rule's
    CellFormat and the gradient's interpolation points (``color`` ↔ ``colorStyle``)."""
    boolean = rule.get("booleanRule")
    if isinstance(boolean, dict) and isinstance(boolean.get("format"), dict):
        fmt = mirror_color_styles(boolean["format"])
        if fmt is not boolean["format"]:
            rule = {**rule, "booleanRule": {**boolean, "format": fmt}}
    gradient = rule.get("gradientRule")
    if isinstance(gradient, dict):
        points = {
            key: mirror_pair(point, "color", "colorStyle")
            for key, point in gradient.items()
            if isinstance(point, dict)
        }
        if any(points[k] is not gradient[k] for k in points):
            rule = {**rule, "gradientRule": {**gradient, **points}}
    return rule


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
