"""The CLI's JSON is written as it is made (render.write_json): the same data as
``json.dumps`` of the contract, laid out with one report row per line.

A 100,000-deal run's JSON is 30–40 MB: ``json.dumps(indent=2)`` held it whole (twice, with
its UTF-8 copy) and encoded it with the json module's Python encoder — 627 MB peak RSS
against 398 MB for the same run printing a table (``benchmarks/google_requests.py`` runs
with ``--format json``).
"""

from __future__ import annotations

import io
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.render import dumps, iter_json, write_json

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8), st.sampled_from(["佐藤", "a\nb", "\"q\"", "\\"]))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                         max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_reads_back_as_itself(data) -> None:
    text = dumps(data)
    assert json.loads(text) == data
    out = io.StringIO()
    write_json(data, out)
    assert out.getvalue() == text + "\n"


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=5), documents, max_size=5))
def test_pairs_given_one_by_one_are_the_object(data) -> None:
    assert "".join(iter_json(iter(data.items()))) == dumps(data)


def test_a_row_is_one_line_and_the_layout_indents_the_rest() -> None:
    rows = [{"deal_id": f"D-{i}", "amount": i * 1000, "reasons": ["no_update"]}
            for i in range(3)]
    text = dumps({"as_of": "2026-12-04", "stale": rows, "funnel": {"team": rows[:1]}})
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert lines[1] == '  "as_of": "2026-12-04",'
    assert lines[3] == '    {"deal_id": "D-0", "amount": 0, "reasons": ["no_update"]},'
    assert '      {"deal_id": "D-0", "amount": 0, "reasons": ["no_update"]}' in lines
    assert json.loads(text)["stale"] == rows


def test_values_json_cannot_hold_are_written_as_before() -> None:
    import datetime as dt

    text = dumps({"day": dt.date(2026, 12, 4), "rate": math.nan, "rows": [{"x": math.inf}]})
    assert text == ('{\n  "day": "2026-12-04",\n  "rate": NaN,\n  "rows": [\n'
                    '    {"x": Infinity}\n  ]\n}')
    assert json.dumps(dt.date(2026, 12, 4), default=str) in text  # as json.dumps did
