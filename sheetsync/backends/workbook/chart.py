"""The chart of a :class:`~sheetsync.tabspec.TabSpec`: its drawing and chart parts.

The parts are the ones openpyxl draws for the chart (:func:`render_chart_openpyxl`, which
renders a one-chart workbook in memory), written here from a template: importing openpyxl
alone costs more than the rest of a small run's write. openpyxl still draws a chart whose
texts hold characters the template does not escape the way it would (control characters).
:mod:`.write` splices the parts into the real package and writes their rels. The chart sits
at ``ChartSpec.anchor`` (else to the right of the table, level with the header),
``width_px`` × ``height_px`` at 96 dpi, series titled by their header cells, categories as
text (``FY2026-Q1``), axes shown.
"""

from __future__ import annotations

import io
import re
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


def _cells(spec: TabSpec, chart: ChartSpec) -> tuple[int, int, int, list[int]]:
    """(first row, last row, category column, series columns) of ``chart``'s data, 1-based."""
    start, stop = chart.data_rows
    try:
        cat_col = spec.column_index(chart.category_column) + 1
        series_cols = [spec.column_index(k) + 1 for k in chart.series_columns]
    except KeyError as exc:
        raise ValueError(f"tab {spec.name!r}: chart on unknown column {exc.args[0]!r}") \
            from exc
    return (spec.first_data_row + start, spec.first_data_row + stop - 1, cat_col,
            series_cols)


def render_chart_openpyxl(spec: TabSpec, chart: ChartSpec) -> ChartParts:
    """Draw ``chart`` with openpyxl where :func:`chart_cell` puts it; return its parts."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference, Series
    from openpyxl.chart.data_source import AxDataSource, StrRef
    from openpyxl.chart.series import SeriesLabel

    wb = Workbook()
    ws = wb.active
    ws.title = spec.name
    first, last, cat_col, series_cols = _cells(spec, chart)
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


# -- the same parts from a template ------------------------------------------------------

EMU_PER_PIXEL = 9525
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_LINE = '<spPr><a:ln><a:prstDash val="solid" /></a:ln></spPr>'
_AXES = ('<catAx><axId val="10" /><scaling><orientation val="minMax" /></scaling>'
         '<delete val="0" /><axPos val="l" /><majorTickMark val="none" />'
         '<minorTickMark val="none" /><tickLblPos val="low" /><crossAx val="100" />'
         '<lblOffset val="100" /></catAx><valAx><axId val="100" /><scaling>'
         '<orientation val="minMax" /></scaling><delete val="0" /><axPos val="l" />'
         '<majorGridlines /><majorTickMark val="none" /><minorTickMark val="none" />'
         '<crossAx val="10" /></valAx>')
# texts the template writes as openpyxl does; anything else is drawn by openpyxl
_TEMPLATE_SAFE = re.compile("[^\x00-\x09\x0b-\x1f\ud800-\udfff\ufffe\uffff]*")


def _text(value: str) -> str:
    """Element text escaped as openpyxl's serializer (ElementTree) escapes it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run_text(value: str) -> str:
    """A title run's ``<a:t>`` as openpyxl writes it: whitespace at either end (Python's
    idea of it, ``\x85`` and ``\u2028`` included) kept with ``xml:space="preserve"`` —
    unless the run is only whitespace, which openpyxl writes without it."""
    if not value:
        return "<a:t />"
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f"<a:t{space}>{_text(value)}</a:t>"


def _range(sheet: str, column: int, first: int, last: int) -> str:
    """An absolute reference as openpyxl's ``Reference`` writes it (one cell: no range)."""
    letter = column_letter(column - 1)
    if first == last:
        return f"{sheet}!${letter}${first}"
    return f"{sheet}!${letter}${first}:${letter}${last}"


def render_chart(spec: TabSpec, chart: ChartSpec) -> ChartParts:
    """The drawing and chart parts of ``chart`` at :func:`chart_cell`: the bytes
    :func:`render_chart_openpyxl` makes, without importing openpyxl.

    >>> from sheetsync.tabspec import Column
    >>> spec = TabSpec("t", [Column("q", "期間"), Column("won", "受注")], rows=[["Q1", 1]])
    >>> parts = render_chart(spec, ChartSpec("受注", "q", ("won",), (0, 1)))
    >>> parts == render_chart_openpyxl(spec, ChartSpec("受注", "q", ("won",), (0, 1)))
    True
    """
    if not all(_TEMPLATE_SAFE.fullmatch(t) for t in (chart.title, spec.name)):
        return render_chart_openpyxl(spec, chart)
    first, last, cat_col, series_cols = _cells(spec, chart)
    last = max(last, first)  # openpyxl's Reference: one row at least
    sheet = quote_sheet(spec.name)
    line = chart.kind == "line"
    cats = _text(f"{sheet}!${column_letter(cat_col - 1)}${first}:"
                 f"${column_letter(cat_col - 1)}${last}")
    series = []
    for n, col in enumerate(series_cols):
        marker = (f'<marker><symbol val="circle" />{_LINE}</marker>' if line else "")
        series.append(
            f'<ser><idx val="{n}" /><order val="{n}" /><tx><strRef><f>'
            f"{_text(f'{sheet}!{column_letter(col - 1)}{spec.header_row}')}</f></strRef></tx>"
            f"{_LINE}{marker}<cat><strRef><f>{cats}</f></strRef></cat><val><numRef><f>"
            f"{_text(_range(sheet, col, first, last))}</f></numRef></val>"
            + ('<smooth val="0" />' if line else "") + "</ser>")
    paragraphs = "".join(
        "<a:p><a:pPr><a:defRPr /></a:pPr><a:r>"
        + _run_text(t) + "</a:r></a:p>"
        for t in chart.title.split("\n"))
    plot = (f'<lineChart><grouping val="standard" />{"".join(series)}'
            '<axId val="10" /><axId val="100" /></lineChart>' if line else
            f'<barChart><barDir val="col" /><grouping val="clustered" />{"".join(series)}'
            '<gapWidth val="150" /><axId val="10" /><axId val="100" /></barChart>')
    chart_xml = (f'<chartSpace xmlns:a="{_A}" xmlns="{_C}"><chart><title><tx><rich>'
                 f"<a:bodyPr />{paragraphs}</rich></tx></title><plotArea>{plot}{_AXES}"
                 '</plotArea><legend><legendPos val="r" /></legend><plotVisOnly val="1" />'
                 '<dispBlanksAs val="gap" /></chart></chartSpace>')
    row, column = chart_cell(spec, chart)
    drawing = (f'<wsDr xmlns:a="{_A}" xmlns:c="{_C}" xmlns:r="{_R}" xmlns="{_XDR}">'
               f"<oneCellAnchor><from><col>{column}</col><colOff>0</colOff><row>{row}</row>"
               f'<rowOff>0</rowOff></from><ext cx="{int(chart.width_px * EMU_PER_PIXEL)}" '
               f'cy="{int(chart.height_px * EMU_PER_PIXEL)}" /><graphicFrame>'
               '<nvGraphicFramePr><cNvPr id="1" name="Chart 1" /><cNvGraphicFramePr />'
               "</nvGraphicFramePr><xfrm /><a:graphic><a:graphicData "
               f'uri="{_C}"><c:chart r:id="rId1" /></a:graphicData></a:graphic>'
               "</graphicFrame><clientData /></oneCellAnchor></wsDr>")
    return ChartParts(drawing=drawing.encode("utf-8"), chart=chart_xml.encode("utf-8"))
