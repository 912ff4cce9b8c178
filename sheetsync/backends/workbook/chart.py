"""The chart of a :class:`~sheetsync.tabspec.TabSpec`, drawn by openpyxl.

openpyxl renders a one-chart workbook in memory; its drawing and chart parts are taken from
it and spliced into the real package by :mod:`.write` (which writes their rels). The
chart sits at ``ChartSpec.anchor`` (else to the right of the table, level with the header),
``width_px`` × ``height_px`` at 96 dpi, series titled by their header cells, categories as
text (``FY2026-Q1``), axes shown.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from ...tabspec import ChartSpec, TabSpec
from .render import column_letter, quote_sheet

CM_PER_INCH, DPI = 2.54, 96


def cm(px: int) -> float:
    """Pixels at 96 dpi → centimetres (openpyxl's chart size unit)."""
    return px / DPI * CM_PER_INCH


@dataclass
class ChartParts:
    """A drawing part holding one chart (its rels point at the chart as ``rId1``)."""

    drawing: bytes
    chart: bytes


def chart_cell(spec: TabSpec, chart: ChartSpec) -> tuple[int, int]:
    """0-based (row, column) of the cell under the chart's top-left corner: data row
    ``anchor[0]`` and column ``anchor[1]``, else right of the table (one column free) on
    the header row.

    >>> chart_cell(TabSpec("t", [], note="n"), ChartSpec("c", "a", ("b",), (0, 1), anchor=(4, 1)))
    (6, 1)
    """
    if chart.anchor is not None:
        row, column = chart.anchor
        return spec.first_data_row - 1 + row, column
    return spec.header_row - 1, len(spec.columns) + 1


def _anchor(spec: TabSpec, chart: ChartSpec) -> Any:
    """A one-cell drawing anchor at :func:`chart_cell`, sized in EMU from the pixels."""
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D
    from openpyxl.utils.units import pixels_to_EMU

    row, column = chart_cell(spec, chart)
    return OneCellAnchor(_from=AnchorMarker(col=column, row=row),
                         ext=XDRPositiveSize2D(pixels_to_EMU(chart.width_px),
                                               pixels_to_EMU(chart.height_px)))


def render_chart(spec: TabSpec, chart: ChartSpec) -> ChartParts:
    """Draw ``chart`` with openpyxl where :func:`chart_cell` puts it; return its parts."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference, Series
    from openpyxl.chart.data_source import AxDataSource, StrRef
    from openpyxl.chart.series import SeriesLabel

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
    drawn.width, drawn.height = cm(chart.width_px), cm(chart.height_px)
    drawn.x_axis.delete = False
    # categories under the plot area, below negative columns too (where Google draws them)
    drawn.x_axis.tickLblPos = "low"
    drawn.y_axis.delete = False
    header = spec.header_row
    for col in series_cols:
        # the values are the charted rows only (they need not start at the first data row);
        # the series is titled by its header cell, as on Google
        values = Reference(ws, min_col=col, min_row=first, max_row=max(last, first))
        series = Series(values)
        series.tx = SeriesLabel(strRef=StrRef(
            f"{quote_sheet(spec.name)}!{column_letter(col - 1)}{header}"))
        drawn.series.append(series)
    cats = f"{quote_sheet(spec.name)}!${column_letter(cat_col - 1)}${first}:" \
           f"${column_letter(cat_col - 1)}${max(last, first)}"
    for series in drawn.series:
        series.cat = AxDataSource(strRef=StrRef(f=cats))
        if chart.kind == "line":
            # straight segments (a smoothed curve shows values nobody forecast) and a marker
            # on each point (a single point is a dot, not nothing)
            series.smooth = False
            series.marker.symbol = "circle"
    ws.add_chart(drawn, _anchor(spec, chart))
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return ChartParts(drawing=z.read("xl/drawings/drawing1.xml"),
                          chart=z.read("xl/charts/chart1.xml"))
