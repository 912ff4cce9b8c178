"""The fast .xlsx reader gives the same grid as openpyxl (normalised to the grid contract)."""

from __future__ import annotations

import datetime as dt
import io
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.backends.number_format import DATE, OTHER, PERCENT, classify_format
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.backends.workbook.text import decode, encode
from sheetsync.errors import BackendError, NotFoundError
from sheetsync.grid import PercentValue, Uncalculated

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


# -- helpers -------------------------------------------------------------------------------

def normalise(value: Any, number_format: str) -> Any:
    """An openpyxl value, as the grid contract wants it."""
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.time):  # openpyxl: serials in [0, 1) with a date format
        value = dt.datetime.combine(dt.date(1899, 12, 30), value)
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, bool) or value is None or isinstance(value, (str, dt.date)):
        return value
    if isinstance(value, (int, float)) and classify_format(number_format) == PERCENT:
        return PercentValue(float(value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def openpyxl_grids(data: bytes) -> dict[str, list[list[Any]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # hand-made styles without a default
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
            values = [normalise(c.value, c.number_format) for c in row]
            while values and values[-1] is None:
                values.pop()
            rows.append(values)
        while rows and not rows[-1]:
            rows.pop()
        out[ws.title] = rows
    return out


def fast_grids(tmp_path: Path, data: bytes, name: str = "book.xlsx") -> dict[str, list[list[Any]]]:
    path = tmp_path / name
    path.write_bytes(data)
    result = WorkbookBackend(path).read()
    return {k: g.rows for k, g in result.grids.items()}


def typed(rows: list[list[Any]]) -> list[list[tuple[str, Any]]]:
    """Compare types too (1 vs 1.0 vs True, PercentValue vs float)."""
    return [[(type(v).__name__, v) for v in row] for row in rows]


def build_xlsx(sheets: dict[str, str], *, shared: list[str] | None = None,
               styles: str | None = None, date1904: bool = False,
               states: dict[str, str] | None = None, prefix: str = "") -> bytes:
    """A hand-made package: ``sheets`` maps names to the inside of <sheetData>."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    states = states or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        overrides = ['<Override PartName="/xl/workbook.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>']
        rels = []
        entries = []
        for i, (name, body) in enumerate(sheets.items(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml",
                       f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}>'
                       f"<{p}sheetData>{body}</{p}sheetData></{p}worksheet>")
            overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType='
                             '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                             'worksheet+xml"/>')
            rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                        f'Target="worksheets/sheet{i}.xml"/>')
            state = f' state="{states[name]}"' if name in states else ""
            entries.append(f'<{p}sheet name="{name}" sheetId="{i}"{state} r:id="rId{i}"/>')
        if shared is not None:
            items = "".join(f"<{p}si>{s}</{p}si>" for s in shared)
            z.writestr("xl/sharedStrings.xml", f'<{p}sst {xmlns}>{items}</{p}sst>')
            rels.append(f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" '
                        'Target="sharedStrings.xml"/>')
            overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="applic'
                             'ation/vnd.openxmlformats-officedocument.spreadsheetml.sharedStr'
                             'ings+xml"/>')
        if styles is not None:
            z.writestr("xl/styles.xml", f'<{p}styleSheet {xmlns}>{styles}</{p}styleSheet>')
            rels.append(f'<Relationship Id="rIdT" Type="{REL}/styles" Target="styles.xml"/>')
            overrides.append('<Override PartName="/xl/styles.xml" ContentType="application/'
                             'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
        pr = f'<{p}workbookPr date1904="1"/>' if date1904 else ""
        z.writestr("xl/workbook.xml",
                   f'<{p}workbook {xmlns} xmlns:r="{REL}">{pr}<{p}sheets>{"".join(entries)}'
                   f"</{p}sheets></{p}workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        z.writestr("_rels/.rels",
                   f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" '
                   f'ContentType="application/xml"/>{"".join(overrides)}</Types>')
    return buf.getvalue()


STYLES = (
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/>'
    '<numFmt numFmtId="165" formatCode="0.0%"/></numFmts>'
    '<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>'
    '<xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="9"/><xf numFmtId="31"/></cellXfs>'
)


# -- number formats ----------------------------------------------------------------------------

@pytest.mark.parametrize("code, kind", [
    ("yyyy/mm/dd", DATE), ("yyyy-mm-dd h:mm:ss", DATE), ('yyyy"年"m"月"d"日"', DATE),
    ("[$-411]ggge\"年\"m\"月\"d\"日\"", DATE), ("h:mm", DATE), ("[h]:mm:ss", DATE),
    ("0%", PERCENT), ("0.0%", PERCENT), ("#,##0", OTHER), ("General", OTHER), ("@", OTHER),
    ('"day"0', OTHER), ("0.00E+00", OTHER), ("[Red]#,##0", OTHER), ("¥#,##0;[Red]-¥#,##0", OTHER),
    ("0.0\\%", OTHER), (None, OTHER),
])
def test_classify_format(code: str | None, kind: int) -> None:
    assert classify_format(code) == kind


@pytest.mark.parametrize("raw, text", [
    ("a &amp; b &lt;c&gt; &quot;q&quot; &apos;", "a & b <c> \"q\" '"),
    ("&#26696;&#x4EF6;", "案件"),
    ("line1&#10;line2", "line1\nline2"),
    ("cr&#13;kept", "cr\rkept"),
    ("literal\r\nnewline", "literal\nnewline"),
    ("_x000D_x", "\rx"),
    ("_x005F_x000D_", "_x000D_"),
    ("_xD83D__xDE00_", "😀"),
])
def test_decode(raw: str, text: str) -> None:
    assert decode(raw) == text


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_encode_decode_roundtrip(text: str) -> None:
    assert decode(encode(text)) == text


# -- hand-made packages ----------------------------------------------------------------------

def test_shared_inline_rich_strings_and_types(tmp_path: Path) -> None:
    shared = [
        "<t>plain</t>",
        '<t xml:space="preserve">  padded  </t>',
        "<r><rPr><b/></rPr><t>ri</t></r><r><t xml:space=\"preserve\">ch text</t></r>",
        "<t>案件</t><rPh sb=\"0\" eb=\"2\"><t>アンケン</t></rPh><phoneticPr fontId=\"1\"/>",
        "<t>&amp;&lt;&#10;x</t>",
        "<t/>",
        "<t>_x000D_win</t>",
    ]
    body = (
        '<row r="1">'
        + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCDEFG"))
        + '</row><row r="2">'
        '<c r="A2" t="inlineStr"><is><t>inline</t></is></c>'
        '<c r="B2" t="inlineStr"><is><r><t>in</t></r><r><t>rich</t></r></is></c>'
        '<c r="C2" t="b"><v>1</v></c><c r="D2" t="b"><v>0</v></c>'
        '<c r="E2" t="e"><v>#N/A</v></c>'
        '<c r="F2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="G2"><f>1+1</f><v>2</v></c>'
        '<c r="H2"><f>1+1</f></c>'
        '<c r="I2"><v/></c>'
        '<c r="J2"><v>1.5</v></c><c r="K2"><v>3.0</v></c><c r="L2"><v>1E3</v></c>'
        '<c r="M2" t="n"><v>-7</v></c>'
        "</row>"
    )
    data = build_xlsx({"S": body}, shared=shared)
    rows = fast_grids(tmp_path, data)["S"]
    assert rows[0] == ["plain", "  padded  ", "rich text", "案件", "&<\nx", None, "\rwin"]
    assert typed(rows[1:]) == typed([[
        "inline", "inrich", True, False, "#N/A", "ab", 2, Uncalculated("=1+1"), None, 1.5, 3,
        1000, -7]])
    # openpyxl agrees (it keeps _x000D_ literally, Excel and this reader decode it), but for
    # the formula without a result, which it reads as a blank and this reader reports
    expected = openpyxl_grids(data)["S"]
    expected[0][6] = "\rwin"
    expected[1][7] = Uncalculated("=1+1")
    assert typed(rows) == typed(expected)


def test_dates_percent_and_styles(tmp_path: Path) -> None:
    body = (
        '<row r="1"><c r="A1" s="1"><v>46112</v></c><c r="B1" s="4"><v>46112.5</v></c>'
        '<c r="C1" s="2"><v>0.8</v></c><c r="D1" s="5"><v>1</v></c><c r="E1" s="3"><v>43831</v></c>'
        '<c r="F1" s="6"><v>46112</v></c><c r="G1" s="0"><v>46112</v></c>'
        '<c r="H1" s="99"><v>5</v></c><c r="I1" t="d"><v>2026-03-31T00:00:00</v></c>'
        '<c r="J1" s="1"><v>46112.25</v></c></row>'
    )
    rows = fast_grids(tmp_path, build_xlsx({"S": body}, styles=STYLES))["S"]
    assert typed(rows) == typed([[
        dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 12), PercentValue(0.8), PercentValue(1.0),
        dt.date(2020, 1, 1), dt.date(2026, 3, 31), 46112, 5, dt.date(2026, 3, 31),
        dt.datetime(2026, 3, 31, 6)]])


def test_1904_date_system(tmp_path: Path) -> None:
    body = '<row r="1"><c r="A1" s="1"><v>44650</v></c><c r="B1"><v>44650</v></c></row>'
    data = build_xlsx({"S": body}, styles=STYLES, date1904=True)
    rows = fast_grids(tmp_path, data)["S"]
    assert rows == [[dt.date(2026, 3, 31), 44650]]
    assert rows == openpyxl_grids(data)["S"]


def test_sparse_cells_and_missing_refs(tmp_path: Path) -> None:
    body = (
        '<row r="2"><c r="C2"><v>1</v></c><c r="E2"><v>2</v></c></row>'
        '<row r="3"><c><v>1</v></c><c><v>2</v></c><c r="E3"><v>5</v></c><c><v>6</v></c></row>'
        '<row><c t="inlineStr"><is><t>no row ref</t></is></c></row>'
        '<row r="7"><c r="B7" s="0"/><c r="A7"><v>9</v></c></row>'
        '<row r="9"><c r="A9" s="0"/></row>'
        '<row r="10"/>'
    )
    data = build_xlsx({"S": body})
    rows = fast_grids(tmp_path, data)["S"]
    assert rows == [[], [None, None, 1, None, 2], [1, 2, None, None, 5, 6], ["no row ref"],
                    [], [], [9]]
    assert rows == openpyxl_grids(data)["S"]


def test_prefixed_namespace_and_hidden_tabs(tmp_path: Path) -> None:
    body = '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1"><x:v>3</x:v></x:c></x:row>'
    data = build_xlsx({"A": body, "B": body, "C": ""}, shared=["<x:t>hi</x:t>"], prefix="x",
                      states={"B": "hidden", "C": "veryHidden"})
    path = tmp_path / "p.xlsx"
    path.write_bytes(data)
    result = WorkbookBackend(path).read(["A"])
    assert [(t.name, t.index, t.tab_id, t.hidden) for t in result.tabs] == [
        ("A", 0, 1, False), ("B", 1, 2, True), ("C", 2, 3, True)]
    assert list(result.grids) == ["A"]
    assert result.grids["A"].rows == [["hi", 3]]
    assert result.title == "p.xlsx"
    assert len(result.version) == 64


def test_minimal_package_without_styles_or_strings(tmp_path: Path) -> None:
    data = build_xlsx({"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    assert fast_grids(tmp_path, data) == {"S": [[1]]}


def test_not_an_xlsx(tmp_path: Path) -> None:
    for name, data, words in [
        ("csv.xlsx", "案件ID,金額\nD1,100\n".encode(), "CSV"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        ("empty.xlsx", b"", "empty"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(BackendError, match=words):
            WorkbookBackend(path).read()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("word/document.xml", "<x/>")
    (tmp_path / "doc.xlsx").write_bytes(z.getvalue())
    with pytest.raises(BackendError, match=r"not an \.xlsx"):
        WorkbookBackend(tmp_path / "doc.xlsx").read()
    with pytest.raises(NotFoundError, match="not found"):
        WorkbookBackend(tmp_path / "missing.xlsx").read()


# -- equivalence with openpyxl on random grids ---------------------------------------------

_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from(list("&<>\"' \t\n=+-@案件ｱ")),
    max_size=12,
).filter(lambda s: "_x" not in s)
_datetimes = st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 1, 1)).map(
    lambda d: d.replace(microsecond=0))
_values = st.one_of(
    st.none(), _text,
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 1, 1)),
    _datetimes,
)
_formats = st.sampled_from([None, "0.0%", "#,##0", "yyyy/mm/dd"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(_values, _formats), max_size=5), max_size=6),
       st.booleans())
def test_matches_openpyxl_on_random_grids(tmp_path_factory: pytest.TempPathFactory,
                                          grid: list[list[tuple[Any, str | None]]],
                                          date1904: bool) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Grid"
    if date1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for r, row in enumerate(grid, start=1):
        for c, (value, fmt) in enumerate(row, start=1):
            if value is None:
                continue
            if date1904 and isinstance(value, dt.date) and value.year < 1905:
                value = value.replace(year=1905)
            cell = ws.cell(r, c, value)
            if isinstance(value, str):
                cell.data_type = "s"  # a leading = must stay text
            elif fmt and not isinstance(value, (dt.date, bool)):
                # serials before 1900-03-01 differ by Excel's 1900 leap-year bug (as in
                # grid.serial_to_datetime); beyond 9999 they are not dates at all
                if fmt != "yyyy/mm/dd" or 61 <= value < 2_958_465:
                    cell.number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    ours = fast_grids(tmp_path_factory.mktemp("g"), data)["Grid"]
    assert typed(ours) == typed(openpyxl_grids(data)["Grid"])


@pytest.mark.slow
def test_read_100k_register_fast(tmp_path: Path) -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from workbook_io import write_register

    path = tmp_path / "big.xlsx"
    write_register(path, 100_000)
    start = time.process_time()
    result = WorkbookBackend(path).read()
    elapsed = time.process_time() - start
    assert len(result.grids["案件一覧"].rows) == 100_001
    assert elapsed < 2.5
