"""Developer metadata: create, update and delete through data filters."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from . import fieldmask, shapes
from .batch_common import Context, Reply, as_int, dimension_range, handler, mask, sheet_of
from .errors import RequestError
from .state import Sheet


def _all(ctx: Context) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """Every metadata entry with the list that holds it (for reading: see :func:`_owned`)."""
    for item in ctx.ss.developer_metadata:
        yield ctx.ss.developer_metadata, item
    for sheet in ctx.ss.sheets:
        yield from _of_sheet(sheet)


def _of_sheet(sheet: Sheet) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
    for item in sheet.extra.get("developerMetadata", []):
        yield sheet.extra["developerMetadata"], item
    for meta in (*sheet.row_meta.values(), *sheet.col_meta.values()):
        for item in meta.get("developerMetadata", []):
            yield meta["developerMetadata"], item


def _owned(
    ctx: Context, filters: list[dict[str, Any]]
) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """The entries matching any of ``filters``, with their lists, in sheets made this
    version's own (so they may be changed)."""
    for sheet in list(ctx.ss.sheets):
        if any(matches(item, f) for _, item in _of_sheet(sheet) for f in filters):
            ctx.ss.own(sheet)
    return [(holder, item) for holder, item in _all(ctx) if any(matches(item, f) for f in filters)]


def _location(
    ctx: Context, location: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if location.get("spreadsheet"):
        return ctx.ss.developer_metadata, {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in location:
        sheet = sheet_of(ctx, location["sheetId"])
        return sheet.extra.setdefault("developerMetadata", []), {
            "locationType": "SHEET",
            "sheetId": sheet.sheet_id,
        }
    if "dimensionRange" in location:
        sheet, dimension, start, end = dimension_range(ctx, location["dimensionRange"])
        meta = sheet.dimension_meta(dimension).setdefault(start, {})
        rng = {"dimension": dimension, "startIndex": start, "endIndex": end}
        if sheet.sheet_id:
            rng = {"sheetId": sheet.sheet_id, **rng}
        kind = "ROW" if dimension == "ROWS" else "COLUMN"
        return meta.setdefault("developerMetadata", []), {
            "locationType": kind,
            "dimensionRange": rng,
        }
    raise RequestError("A developer metadata location is required.")


def matches(item: dict[str, Any], data_filter: dict[str, Any]) -> bool:
    lookup = data_filter.get("developerMetadataLookup")
    if lookup is None:
        return False
    if "metadataId" in lookup and item.get("metadataId") != as_int(lookup["metadataId"]):
        return False
    for key in ("metadataKey", "metadataValue", "visibility"):
        if key in lookup and item.get(key) != lookup[key]:
            return False
    location = item.get("location", {})
    if "locationType" in lookup and location.get("locationType") != lookup["locationType"]:
        return False
    wanted = lookup.get("metadataLocation", {})
    if wanted.get("spreadsheet") and location.get("locationType") != "SPREADSHEET":
        return False
    if "sheetId" in wanted and location.get("sheetId") != as_int(wanted["sheetId"]):
        return False
    return True


@handler("createDeveloperMetadata")
def create_metadata(ctx: Context, body: dict[str, Any]) -> Reply:
    given = copy.deepcopy(body.get("developerMetadata", {}))
    if given.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise RequestError("Developer metadata visibility must be DOCUMENT or PROJECT.")
    if not given.get("metadataKey"):
        raise RequestError("Developer metadata must have a key.")
    taken = {item.get("metadataId") for _, item in _all(ctx)}
    if "metadataId" in given:
        metadata_id = as_int(given["metadataId"])
        if metadata_id in taken:
            raise RequestError(f"Developer metadata with ID {metadata_id} already exists.")
    else:
        metadata_id = ctx.state.new_int_id({t for t in taken if isinstance(t, int)})
    holder, location = _location(ctx, given.get("location", {}))
    stored = {"metadataId": metadata_id, "metadataKey": given["metadataKey"]}
    if "metadataValue" in given:
        stored["metadataValue"] = given["metadataValue"]
    stored["location"] = location
    stored["visibility"] = given["visibility"]
    holder.append(stored)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(stored)}}


@handler("updateDeveloperMetadata")
def update_metadata(ctx: Context, body: dict[str, Any]) -> Reply:
    filters = body.get("dataFilters") or []
    if not filters:
        raise RequestError("At least one data filter is required.")
    paths = mask(body)
    given = body.get("developerMetadata", {})
    updated = []
    for holder, item in _owned(ctx, filters):
        new = copy.deepcopy(item)
        fieldmask.update(new, given, paths)
        new["metadataId"] = item["metadataId"]
        moves = any(p[0] in ("location", "*") for p in paths)
        if moves and "location" in given:
            holder.remove(item)
            target, location = _location(ctx, given.get("location", {}))
            new["location"] = location
            target.append(new)
        else:
            new["location"] = item["location"]
            holder[holder.index(item)] = new
        updated.append(copy.deepcopy(new))
    return {"updateDeveloperMetadata": {"developerMetadata": updated}}


@handler("deleteDeveloperMetadata")
def delete_metadata(ctx: Context, body: dict[str, Any]) -> Reply:
    data_filter = body.get("dataFilter")
    if not data_filter:
        raise RequestError("A data filter is required.")
    deleted = []
    for holder, item in _owned(ctx, [data_filter]):
        holder.remove(item)
        deleted.append(item)
    reply = {"deletedDeveloperMetadata": deleted} if deleted else {}
    return {"deleteDeveloperMetadata": shapes.drop_nulls(reply)}
