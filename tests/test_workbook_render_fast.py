"""The workbook writer's fast paths write what the straightforward ones write (issue 14).

- Cells: :func:`render._data_rows` renders a block of rows column by column; the bytes, the
  links (and Excel's limit on them) and the shared strings it adds — in the same order —
  are those of the row-by-row writer (:func:`rows_one_by_one`), for any mix of
  values: texts that repeat or need escaping, gaps, numbers, dates, datetimes, booleans,
  numpy scalars, links and filter links, rows shorter than the header.
- Charts: :func:`chart.render_chart` writes from a template the parts openpyxl draws
  (:func:`chart.render_chart_openpyxl`), without importing openpyxl.

A 100,000-deal run writes the same workbook as before, byte for byte: the rendering is a
refactoring (``benchmarks/run.py`` measures its speed; no test here is timed).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.backends.workbook import render
from sheetsync.backends.workbook.chart import render_chart, render_chart_openpyxl
from sheetsync.backends.workbook.shared_strings import SharedStrings
from sheetsync.backends.workbook.styles import StyleMerger
from sheetsync.grid import date_to_serial
from sheetsync.tabspec import ChartSpec, Column, FilterLink, Link, TabSpec

KINDS = ["text", "money", "date", "datetime", "int", "ratio"]
TEXTS = ["佐藤", "鈴木", "交渉", "", " 先頭に空白", "末尾 ", "R&D <至急>", "a\nb", "tab\there",
         "_x000D_", "=1+1", "\x01制御", "長い" * 5]
SST = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
       'openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>佐藤</t>'
       '</si><si><t>交渉</t></si></sst>').encode()

values = st.one_of(
    st.none(),
    st.sampled_from(TEXTS),
    st.text(max_size=6),
    st.integers(-10**17, 10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2040, 1, 1)),
    st.booleans(),
    st.builds(np.int64, st.integers(-1000, 1000)),
    st.builds(lambda t, n: Link(t, "案件一覧", f"A{n}"), st.sampled_from(TEXTS),
              st.integers(2, 99)),
    st.builds(lambda t: FilterLink(t, "案件一覧", "A1", view="v", tip="絞り込み"),
              st.sampled_from(TEXTS)),
)


@st.composite
def tabs(draw: st.DrawFn) -> TabSpec:
    """A tab whose columns are mostly of one type (the fast paths) or mixed."""
    n_cols = draw(st.integers(1, 6))
    cols = [Column(f"c{i}", f"列{i}", draw(st.sampled_from(KINDS)),
                   number_format=draw(st.sampled_from([None, "#,##0"])))
            for i in range(n_cols)]
    column_values = []
    for _ in range(n_cols + draw(st.integers(0, 1))):  # a column past the header, at times
        pick = draw(st.sampled_from(["one", "mixed"]))
        if pick == "one":
            kind = draw(st.sampled_from([
                st.sampled_from(TEXTS), st.integers(0, 5), st.floats(-2, 2),
                st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 9)),
                st.builds(lambda n: Link(f"D{n}", "案件一覧", f"A{n}"), st.integers(2, 9))]))
            column_values.append(st.one_of(st.none(), kind) if draw(st.booleans()) else kind)
        else:
            column_values.append(values)
    n_rows = draw(st.integers(0, 12))
    rows = []
    for _ in range(n_rows):
        row = [draw(v) for v in column_values]
        rows.append(row[:draw(st.integers(0, len(row)))] if draw(st.booleans()) else row)
    return TabSpec(name="要フォロー案件", columns=cols, rows=rows,
                   note=draw(st.sampled_from([None, "基準日 2026-12-04"])))


def rows_one_by_one(spec: TabSpec, w: render._RowWriter, sst: SharedStrings | None = None
                    ) -> Iterator[str]:
    """The reference: the writer sheetsync had before :func:`render._data_rows`, a row at a
    time, each cell as it comes (built once per distinct value; the first cell after a gap
    names its place; a text shared from its second sighting in its column)."""
    width = max([len(spec.columns)] + [len(r) for r in spec.rows])
    layout = render._layout(w, width)
    letters, kind_xf, style_attr = layout.letters, layout.kind_xf, layout.style_attr
    number_head, date_xf = layout.number_head, layout.date_xf
    # per column: value → its whole <c> element without a reference ("" for no cell); with
    # a shared-string table, texts seen once so far are in ``once`` (inline)
    strings: list[dict[str, str]] = [{} for _ in range(width)]
    once: list[dict[str, str]] = [{} for _ in range(width)]

    def shared_cell(i: int, text: str) -> str:
        assert sst is not None
        return f'<c{style_attr[i]} t="s"><v>{sst.index(text)}</v></c>'

    dates: list[dict[dt.date, str]] = [{} for _ in range(width)]
    offset = w.offset
    cell = w.cell
    links = w.links
    link_xf = w.styles.link
    for r, values in enumerate(spec.rows, start=spec.first_data_row):
        rn = str(r)
        parts = []
        append = parts.append
        expected = 0  # the column a cell without a reference lands in
        for i, v in enumerate(values):
            if v is None:
                continue
            t = type(v)
            if t is str:
                cache = strings[i]
                element = cache.get(v)
                if element is None:
                    if v in once[i]:  # the second time in this column: shared from now on
                        element = cache[v] = shared_cell(i, v)
                    elif not v:
                        element = cache[v] = ""
                    else:  # the first time: inline (the same however full the table is)
                        element = "<c" + render._string_tail(kind_xf[i], v)
                        if sst is not None:
                            once[i][v] = element
                        else:
                            cache[v] = element
                if not element:
                    continue
            elif t is int:
                element = f"{number_head[i]}{v}</v></c>"
            elif t is float and v - v == 0.0:
                element = f"{number_head[i]}{render._number(v)}</v></c>"
            elif t is dt.date:
                dcache = dates[i]
                element = dcache.get(v)
                if element is None:
                    serial = date_to_serial(v) - offset
                    element = dcache[v] = f'<c s="{date_xf[i]}"><v>{render._number(serial)}</v></c>'
            elif t is Link and len(links) < render.MAX_LINKS:  # 案件ID → its register row
                ref = f"{letters[i]}{rn}"
                links.append((ref, v))
                tail = render._string_tail(link_xf, v.text)
                if tail:
                    append(f'<c r="{ref}"{tail}')
                    expected = i + 1
                continue
            else:  # datetimes, booleans, numpy scalars, other links: with their reference
                element = cell(v, f"{letters[i]}{rn}", i)
                if element:
                    append(element)
                    expected = i + 1
                continue
            if i != expected:
                element = f'<c r="{letters[i]}{rn}"{element[2:]}'
            append(element)
            expected = i + 1
        yield f'<row r="{rn}">{"".join(parts)}</row>' if parts else f'<row r="{rn}"/>'


def _render(fn, spec: TabSpec, table: bool, date1904: bool = False
            ) -> tuple[str, list[tuple[str, Link]], list[str]]:
    styles = render.collect_styles(spec, StyleMerger(None))
    writer = render._RowWriter(spec, styles, date1904)
    sst = SharedStrings(SST) if table else None
    xml = "".join(fn(spec, writer, sst))
    return xml, writer.links, (sst.added if sst is not None else [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=tabs(), table=st.booleans(), date1904=st.booleans(),
       block=st.sampled_from([1, 3, render.ROW_BLOCK]))
def test_cells_column_by_column_are_the_row_by_row_cells(spec, table, date1904, block):
    """Blocks of 1 and 3 rows as well as the real size: many block edges."""
    saved = render.ROW_BLOCK
    render.ROW_BLOCK = block
    try:
        assert _render(render._data_rows, spec, table, date1904) == \
            _render(rows_one_by_one, spec, table, date1904)
    finally:
        render.ROW_BLOCK = saved


def test_a_repeated_text_is_shared_in_the_row_by_row_order():
    """Two columns whose texts repeat at different rows: the table grows row by row (鈴木's
    second sighting, row 2 of column B, comes before 高橋's, row 3 of column A), so the
    indices are 2 then 3 — whatever order the columns are rendered in."""
    spec = TabSpec(name="t", columns=[Column("a", "A"), Column("b", "B")],
                   rows=[["高橋", "鈴木"], ["x", "鈴木"], ["高橋", "y"], ["高橋", "鈴木"]])
    xml, _, added = _render(render._data_rows, spec, table=True)
    assert added == ["鈴木", "高橋"]  # 佐藤 and 交渉 (indices 0 and 1) were in the table
    # row 4: 高橋 is entry 3 and 鈴木 entry 2; the first sightings stay inline
    assert '<row r="5"><c t="s"><v>3</v></c><c t="s"><v>2</v></c></row>' in xml
    assert '<row r="2"><c t="inlineStr"><is><t>高橋</t></is></c><c t="inlineStr">' in xml


def test_links_over_excels_limit_keep_their_text(monkeypatch):
    """Excel keeps 65,530 links a sheet: from the first one over (row by row, two link
    columns) a link is its text, with its reference — as the row-by-row writer does."""
    monkeypatch.setattr(render, "MAX_LINKS", 5)
    rows = [[Link(f"D{r}", "案件一覧", f"A{r}"), None, Link(f"E{r}", "案件一覧", f"B{r}")]
            for r in range(4)]
    spec = TabSpec(name="t", columns=[Column("a", "A"), Column("g", "G"),
                                      Column("b", "B")], rows=rows)
    fast = _render(render._data_rows, spec, table=False)
    assert fast == _render(rows_one_by_one, spec, table=False)
    xml, links, _ = fast
    # rows 2–3 (A2, C2, A3, C3) and A4 keep their links; C4, A5, C5 are their text
    assert [ref for ref, _ in links] == ["A2", "C2", "A3", "C3", "A4"]
    assert '<c r="C4" t="inlineStr"><is><t>E2</t></is></c>' in xml


# -- charts ----------------------------------------------------------------------------------

names = st.text(st.sampled_from("売上予測 'A&<>-_1"), min_size=1, max_size=12)
titles = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20) \
    | st.sampled_from(["", " ", "a\nb", "FY2026-Q3 コミット着地・加重着地の推移", "R&D <見込>"])


@settings(max_examples=150, deadline=None)
@given(name=names, title=titles, kind=st.sampled_from(["column", "line"]),
       n_series=st.integers(1, 4), start=st.integers(0, 5), length=st.integers(1, 6),
       anchor=st.none() | st.tuples(st.integers(0, 30), st.integers(0, 10)),
       note=st.booleans(), size=st.tuples(st.integers(1, 2000), st.integers(1, 2000)))
def test_the_chart_template_writes_what_openpyxl_draws(name, title, kind, n_series, start,
                                                        length, anchor, note, size):
    cols = [Column("period", "期間")] + [Column(f"s{i}", f"系列{i}", "money")
                                        for i in range(n_series)]
    rows = [[f"FY2026-Q{r % 4 + 1}"] + [r * 1000] * n_series for r in range(start + length)]
    spec = TabSpec(name=name, columns=cols, rows=rows, note="基準日" if note else None)
    chart = ChartSpec(title, "period", tuple(c.key for c in cols[1:]),
                      (start, start + length), kind=kind, anchor=anchor,
                      width_px=size[0], height_px=size[1])
    assert render_chart(spec, chart) == render_chart_openpyxl(spec, chart)


def test_writing_a_chart_does_not_import_openpyxl():
    code = ("import sys\n"
            "from sheetsync.backends.workbook.chart import render_chart\n"
            "from sheetsync.tabspec import ChartSpec, Column, TabSpec\n"
            "spec = TabSpec('t', [Column('q', '期間'), Column('w', '受注', 'money')],"
            " rows=[['Q1', 1], ['Q2', 2]])\n"
            "parts = render_chart(spec, ChartSpec('受注', 'q', ('w',), (0, 2)))\n"
            "assert b'$B$2:$B$3' in parts.chart, parts.chart\n"
            "print('openpyxl' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
