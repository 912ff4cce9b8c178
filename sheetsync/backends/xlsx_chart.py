"""The chart of a :class:`~sheetsync.tabspec.TabSpec`, drawn by openpyxl.

openpyxl renders a one-chart workbook in memory; its drawing and chart parts are taken from
it and spliced into the real package by :mod:`.xlsx_write` (which writes their rels). The
chart sits to the right of the table, series titled by their header cells, categories as
text (``FY2026-Q1``), axes shown.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from ..tabspec import ChartSpec, TabSpec
from .xlsx_render import column_letter, quote_sheet


@dataclass
class ChartParts:
    """A drawing part holding one chart (its rels point at the chart as ``rId1``)."""

    drawing: bytes
    chart: bytes


def render_chart(spec: TabSpec, chart: ChartSpec) -> ChartParts:
    """Draw ``chart`` with openpyxl, to the right of the table; return its parts."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.data_source import AxDataSource, StrRef

    wb = Workbook()
    ws = wb.active
    ws.title = spec.name
    start, stop = chart.data_rows
    first = spec.first_data_row + start
    last = spec.first_data_row + stop - 1
    try:
        cat_col = spec.column_index(chart.category_column) + 1
        series_cols = [spec.column_index(k) + 1 for k in chart.series_columns]
    except KeyError as exc:
        raise ValueError(f"tab {spec.name!r}: chart on unknown column {exc.args[0]!r}") \
            from exc
    if chart.kind == "line":
        drawn: Any = LineChart()
    else:
        drawn = BarChart()
        drawn.type = "col"
    drawn.title = chart.title
    drawn.width, drawn.height = 20, 10
    drawn.x_axis.delete = False
    drawn.y_axis.delete = False
    header = spec.header_row
    for col in series_cols:
        drawn.add_data(Reference(ws, min_col=col, min_row=header, max_row=max(last, header)),
                       titles_from_data=True)
    cats = f"{quote_sheet(spec.name)}!${column_letter(cat_col - 1)}${first}:" \
           f"${column_letter(cat_col - 1)}${max(last, first)}"
    for series in drawn.series:
        series.cat = AxDataSource(strRef=StrRef(f=cats))
    ws.add_chart(drawn, f"{column_letter(len(spec.columns) + 1)}{header}")
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return ChartParts(drawing=z.read("xl/drawings/drawing1.xml"),
                          chart=z.read("xl/charts/chart1.xml"))
