"""Validation speed and memory: sheetsync vs pandera (lazy=True, the same checks).

    python benchmarks/validate.py            # 10,000 and 100,000 rows
    python benchmarks/validate.py --quick    # 10,000 rows only

Each register is a typed grid as a backend reads it (strings, numbers, dates); the time
includes parsing every cell (``120万円`` → 1200000) and building the typed deals frame.
pandera gets the same grid as a DataFrame (its construction is timed too) and a schema with
the same checks: required, unique 案件ID, enum membership, the same cell parsers as element
checks, and the required-when rules as a dataframe check; ``lazy=True`` collects every
failure case, which is what an input-error tab needs. Variants: clean; 3 % of cells
messy-but-valid; 3 % invalid. Targets (issue 2): 100,000 rows < 1 s clean, < 1.5 s with
3 % messy cells, peak < 400 MB; ≥ pandera on clean, ≥ 10× pandera on messy data.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registers import HEADER, make_register

from sheetsync.coerce import CoercionError, parse_date, parse_money, parse_percent
from sheetsync.grid import Grid
from sheetsync.schema import load_schema
from sheetsync.validate import field_parser, validate_register

SCHEMA = load_schema()
VARIANTS = {"clean": (0.0, 0.0), "3% messy-valid": (0.03, 0.0), "3% invalid": (0.0, 0.03)}


def run_sheetsync(grid: Grid) -> int:
    result = validate_register(grid, SCHEMA, language="ja")
    return len(result.report.errors)


def _ok(parser):
    def check(value) -> bool:
        if value is None or (isinstance(value, str) and not value.strip()):
            return True
        try:
            parser(value)
        except CoercionError:
            return False
        return True
    return check


def pandera_schema():
    import pandera.pandas as pa

    def element(parser):
        ok = _ok(parser)
        return pa.Check(lambda s: s.map(ok), error=parser.__name__)

    def enum(name):
        return element(field_parser(SCHEMA.field(name), "ja"))

    stage = field_parser(SCHEMA.field("stage"), "ja")

    def required_when(df: pd.DataFrame) -> pd.Series:
        stages = df["フェーズ"].map(lambda v: _safe(stage, v))
        blank = df.isna()
        need_amount = stages.isin(["proposal", "quote", "negotiation", "won"])
        need_close = stages.isin(["lead", "meeting", "proposal", "quote", "negotiation"])
        need_closed_on = stages.isin(["won", "lost"])
        need_reason = stages == "lost"
        return ~((need_amount & blank["見込金額"]) | (need_close & blank["受注予定日"])
                 | (need_closed_on & blank["完了日"]) | (need_reason & blank["失注理由"]))

    date = element(parse_date)
    columns = {
        "案件ID": pa.Column(object, nullable=False, unique=True),
        "案件名": pa.Column(object, nullable=False),
        "顧客名": pa.Column(object, nullable=False),
        "担当者": pa.Column(object, nullable=False),
        "フェーズ": pa.Column(object, checks=enum("stage"), nullable=False),
        "確度": pa.Column(object, checks=enum("rank"), nullable=True),
        "受注確率": pa.Column(object, checks=element(parse_percent), nullable=True),
        "見込金額": pa.Column(object, checks=element(parse_money), nullable=True),
        "受注予定日": pa.Column(object, checks=date, nullable=True),
        "完了日": pa.Column(object, checks=date, nullable=True),
        "流入経路": pa.Column(object, checks=enum("lead_source"), nullable=True),
        "登録日": pa.Column(object, checks=date, nullable=True),
        "最終接触日": pa.Column(object, checks=date, nullable=True),
        "次回アクション": pa.Column(object, nullable=True),
        "次回アクション日": pa.Column(object, checks=date, nullable=True),
        "失注理由": pa.Column(object, nullable=True),
        "備考": pa.Column(object, nullable=True),
    }
    return pa.DataFrameSchema(columns, checks=pa.Check(required_when, error="required_when"))


def _safe(parser, value):
    try:
        return parser(value)
    except CoercionError:
        return None


def run_pandera(grid: Grid, schema) -> int:
    import pandera.errors as pe

    frame = pd.DataFrame(grid.rows[1:], columns=HEADER, dtype=object)
    try:
        schema.validate(frame, lazy=True)
    except pe.SchemaErrors as exc:
        return len(exc.failure_cases)
    return 0


def measure(func, *args) -> tuple[float, float, int]:
    """(best seconds of 3 — 1 for slow runs, peak MB over one traced run, result)."""
    times = []
    result = 0
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        result = func(*args)
        times.append(time.perf_counter() - start)
        if times[-1] > 5:
            break
    gc.collect()
    tracemalloc.start()
    func(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows only")
    parser.add_argument("--no-pandera", action="store_true")
    parser.add_argument("--pandera-max-rows", type=int, default=100_000,
                        help="skip pandera on the invalid variant above this size "
                             "(it takes minutes)")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    schema = None if args.no_pandera else pandera_schema()
    print(f"{'rows':>8} {'variant':<15} {'sheetsync s':>11} {'rows/s':>10} {'peak MB':>8}"
          f" {'errors':>7} │ {'pandera s':>9} {'rows/s':>9} {'peak MB':>8} {'failures':>8}"
          f" │ {'speed-up':>8}")
    for size in sizes:
        for name, (messy, invalid) in VARIANTS.items():
            grid = make_register(size, messy=messy, invalid=invalid)
            secs, peak, errors = measure(run_sheetsync, grid)
            line = (f"{size:>8,} {name:<15} {secs:>11.3f} {size / secs:>10,.0f} {peak:>8.1f}"
                    f" {errors:>7,}")
            skip = schema is None or (invalid and size > args.pandera_max_rows)
            if skip:
                print(line + " │ (pandera skipped)")
                continue
            p_secs, p_peak, failures = measure(run_pandera, grid, schema)
            print(line + f" │ {p_secs:>9.3f} {size / p_secs:>9,.0f} {p_peak:>8.1f}"
                         f" {failures:>8,} │ {p_secs / secs:>7.1f}×")


if __name__ == "__main__":
    main()
