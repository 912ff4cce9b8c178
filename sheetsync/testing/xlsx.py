"""Write typed grids to a real ``.xlsx`` (openpyxl), for tests and benchmarks.

The inverse of the workbook backend's reader: dates become date cells (``yyyy/mm/dd``),
:class:`~sheetsync.grid.PercentValue` a ``0%``-formatted number, text starting with ``=``
stays text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

from ..grid import Grid, PercentValue


def write_grids(path: Path, grids: Iterable[Grid]) -> None:
    """Write each grid as a tab of a new workbook at ``path`` (streamed: fine at 100k rows)."""
    wb = openpyxl.Workbook(write_only=True)
    for grid in grids:
        ws = wb.create_sheet(grid.name)
        for row in grid.rows:
            ws.append([_cell(ws, value) for value in row])
    wb.save(path)


def _cell(ws: object, value: object) -> object:
    if isinstance(value, PercentValue):
        cell = WriteOnlyCell(ws, value=float(value))
        cell.number_format = "0%"
        return cell
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy/mm/dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy/mm/dd"
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value
