"""The workbook's chart draws exactly the rows a report charts (``ChartSpec.data_rows``).

パイプライン増減 charts its eight buckets, not the start and end rows above and below them:
values and categories must cover the same rows, and the series keeps its header as title.
"""

from __future__ import annotations

import re

import pytest

from sheetsync.backends.workbook.chart import render_chart
from sheetsync.tabspec import ChartSpec, Column, TabSpec

ROWS = [["Start", 100], ["New", 5], ["Slipped", -7], ["End", 98]]


def _refs(start: int, stop: int) -> dict[str, list[str]]:
    spec = TabSpec(name="Pipeline changes",
                   columns=[Column("label", "Bucket"), Column("team", "Team", "money")],
                   rows=ROWS, note="As of 2026-12-04")
    chart = ChartSpec(title="t", category_column="label", series_columns=("team",),
                      data_rows=(start, stop), anchor=(len(ROWS) + 1, 0))
    xml = render_chart(spec, chart).chart.decode()
    series = xml[xml.index("<ser>"):]  # the chart's own title has a <tx> too
    refs = {part: re.findall(rf"<{part}>.*?<f>(.*?)</f>", series, re.S)
            for part in ("tx", "cat", "val")}
    # the header row is 2 (a note above it), so data rows are 3..6
    assert spec.header_row == 2 and spec.first_data_row == 3
    return refs


@pytest.mark.parametrize(("start", "stop", "rows"), [
    (0, 4, "$3:$B$6"),   # every row (the other reports' charts)
    (1, 3, "$4:$B$5"),   # the middle rows only: New and Slipped
])
def test_values_and_categories_cover_the_charted_rows(start, stop, rows):
    refs = _refs(start, stop)
    assert refs["val"] == [f"'Pipeline changes'!$B{rows}"]
    assert refs["cat"] == [f"'Pipeline changes'!$A{rows.replace('$B', '$A')}"]
    assert refs["tx"] == ["'Pipeline changes'!B2"]  # titled by its header cell
