"""sheetsync's filter views on Google Sheets: their ids, and the requests that replace them.

A tab may declare :class:`~sheetsync.tabspec.FilterView` values (担当者サマリー declares one
per rep on the register, and one per rep with input errors on 入力エラー) and link to them
(:class:`~sheetsync.tabspec.FilterLink`: ``#gid=<sheet>&fvid=<view>``). When a write includes
such a tab, the run's one batchUpdate replaces sheetsync's filter views:

- every filter view whose title starts with :data:`TITLE_PREFIX` is deleted first (while
  every sheet it may sit on still exists), wherever it is;
- the declared ones are added last (once every tab has its final sheet id), titled
  ``sheetsync: <title>``.

Filter views people made (any other title) are never touched. Ids are chosen, not left to
Google: derived from the view's key (:func:`view_ids`), so a rep's bookmark of their view
keeps working from run to run; an id a person's view already holds is stepped over.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence

from gspread.utils import rowcol_to_a1

from ...tabspec import FilterView
from .render import dumps

#: every filter view sheetsync adds has a title starting with this; others are people's
TITLE_PREFIX = "sheetsync: "


def is_ours(title: str) -> bool:
    """Whether a filter view's title marks it as sheetsync's.

    >>> is_ours("sheetsync: 佐藤の案件"), is_ours("佐藤の案件（自分用）")
    (True, False)
    """
    return title.startswith(TITLE_PREFIX)


def view_ids(views: Iterable[FilterView], taken: Iterable[int]) -> dict[str, int]:
    """A stable id per view key (a positive int32 from the key), stepping over ``taken``
    (the ids of people's filter views) and over each other.

    >>> ids = view_ids([FilterView("deals:佐藤", "t", "案件一覧", 1, 3, ("佐藤",))], ())
    >>> ids == view_ids([FilterView("deals:佐藤", "other", "x", 2, 0, ())], ())
    True
    """
    used = set(taken)
    out: dict[str, int] = {}
    for view in views:
        if view.key in out:
            continue
        candidate = zlib.crc32(f"sheetsync-filter-view:{view.key}".encode()) & 0x7FFFFFFF
        while candidate in used or candidate == 0:
            candidate = (candidate + 1) & 0x7FFFFFFF
        used.add(candidate)
        out[view.key] = candidate
    return out


def criteria(view: FilterView) -> dict[str, object]:
    """The ``FilterCriteria`` showing only the rows whose cell holds one of ``view.values``:
    ``TEXT_EQ`` for one spelling, else a custom formula over the column's first data cell
    (how a filter formula refers to its column).

    >>> criteria(FilterView("k", "t", "案件一覧", 1, 3, ("佐藤",)))
    {'condition': {'type': 'TEXT_EQ', 'values': [{'userEnteredValue': '佐藤'}]}}
    >>> criteria(FilterView("k", "t", "案件一覧", 1, 3, ("佐藤 健", "佐藤　健")))["condition"]
    ... # doctest: +NORMALIZE_WHITESPACE
    {'type': 'CUSTOM_FORMULA',
     'values': [{'userEnteredValue': '=OR($D2="佐藤 健",$D2="佐藤　健")'}]}
    """
    values = list(dict.fromkeys(view.values))
    if len(values) == 1:
        return {"condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": values[0]}]}}
    cell = "$" + rowcol_to_a1(view.header_row + 1, view.column + 1)
    tests = ",".join(f'{cell}="{v.replace(chr(34), chr(34) * 2)}"' for v in values)
    formula = f"=OR({tests})" if values else "=FALSE"
    return {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}}


def add_request(view: FilterView, sheet_id: int, view_id: int) -> str:
    """``addFilterView`` over ``view.tab`` from its header row down, every column."""
    rng: dict[str, int] = {"sheetId": sheet_id, "startRowIndex": view.header_row - 1}
    return dumps({"addFilterView": {"filter": {
        "filterViewId": view_id,
        "title": TITLE_PREFIX + view.title,
        "range": rng,
        "filterSpecs": [{"columnIndex": view.column, "filterCriteria": criteria(view)}],
    }}})


def delete_request(view_id: int) -> str:
    return dumps({"deleteFilterView": {"filterId": view_id}})


def replace_requests(
    views: Sequence[FilterView],
    ids: Mapping[str, int],
    sheet_ids: Mapping[str, int],
    existing: Iterable[tuple[int, str]],
) -> tuple[list[str], list[str]]:
    """``(deletes, adds)``: delete every filter view of ``existing`` (id, title) that is
    sheetsync's, add ``views`` (those whose tab is known) with ``ids``."""
    deletes = [delete_request(vid) for vid, title in existing if is_ours(title)]
    adds = [add_request(v, sheet_ids[v.tab], ids[v.key]) for v in views
            if v.tab in sheet_ids and v.key in ids]
    return deletes, adds


__all__ = ["TITLE_PREFIX", "add_request", "criteria", "delete_request", "is_ours",
           "replace_requests", "view_ids"]
