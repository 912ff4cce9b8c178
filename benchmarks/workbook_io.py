"""Workbook backend I/O: read a 100,000 × 17 register and write a few owned tabs.

    python benchmarks/workbook_io.py [--rows 100000] [--keep FILE] [--no-openpyxl]

Generates a deterministic register (mixed strings, numbers, dates, blanks; written by
openpyxl like the demo workbook), then prints seconds (wall and CPU) and peak traced memory
for ``WorkbookBackend.read`` and ``write`` beside openpyxl ``read_only=True`` on the same file.
Memory is measured in a second, separate pass (tracemalloc slows the timed code down).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.tabspec import ChartSpec, Column, CondFormat, Link, TabSpec

REGISTER = "案件一覧"
HEADERS = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率", "見込金額",
           "受注予定日", "完了日", "流入経路", "登録日", "最終接触日", "次回アクション",
           "次回アクション日", "失注理由", "備考"]
OWNERS = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺"]
STAGES = ["リード", "初回商談", "提案", "見積提出", "交渉", "受注", "失注"]
SOURCES = ["Web問い合わせ", "展示会", "紹介", "テレアポ", "既存顧客", "パートナー"]


def register_rows(n: int, seed: int = 20260331) -> Iterator[list[Any]]:
    """``n`` deals, always the same for the same seed."""
    rnd = random.Random(seed)
    base = dt.date(2025, 4, 1)
    for i in range(n):
        stage = rnd.choice(STAGES)
        closed = stage in ("受注", "失注")
        yield [
            f"D{i + 1:06d}",
            f"{rnd.choice(['基幹', '会計', '人事', '販売'])}システム導入 {i % 997}",
            f"株式会社{rnd.randint(1, 3000)}商事", rnd.choice(OWNERS), stage,
            rnd.choice("ABCD"), rnd.choice([None, 20, 50, 80]),
            rnd.randint(1, 500) * 10_000,
            base + dt.timedelta(days=rnd.randint(0, 700)),
            base + dt.timedelta(days=rnd.randint(0, 400)) if closed else None,
            rnd.choice(SOURCES), base - dt.timedelta(days=rnd.randint(0, 300)),
            base + dt.timedelta(days=rnd.randint(0, 300)),
            rnd.choice(["電話フォロー", "訪問", "見積送付", None]),
            base + dt.timedelta(days=rnd.randint(0, 400)),
            "価格" if stage == "失注" else None,
            rnd.choice([None, "特になし", "要確認 & 折り返し <至急>"]),
        ]


def write_register(path: Path, n: int) -> Path:
    """A register of ``n`` deals (plus a 目標 tab) as an .xlsx written by openpyxl."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(REGISTER)
    ws.append(HEADERS)
    for row in register_rows(n):
        ws.append(row)
    targets = wb.create_sheet("目標")
    targets.append(["期間", "担当者", "目標金額"])
    for owner in OWNERS:
        targets.append(["FY2026-Q1", owner, 30_000_000])
    wb.save(path)
    return path


def owned_tabs(n_errors: int = 3000) -> list[TabSpec]:
    """Tabs like the ones a run writes: forecast with chart, stale deals, input errors."""
    forecast = TabSpec(
        "売上予測",
        [Column("period", "期間"), Column("owner", "担当者"), Column("target", "目標", "money"),
         Column("won", "受注", "money"), Column("forecast", "予測", "money"),
         Column("attainment", "達成率", "ratio")],
        rows=[[f"FY2026-Q{q}", o, 30_000_000, 10_000_000 * q, 25_000_000, q / 4]
              for q in range(1, 5) for o in [*OWNERS, None]],
        note="as of 2026-03-31",
        conditional=[CondFormat("forecast", "lt", threshold_column="target")],
        chart=ChartSpec("目標と実績", "period", ("target", "won", "forecast"), (0, 7)),
    )
    stale = TabSpec(
        "要フォロー案件",
        [Column("deal_id", "案件ID"), Column("owner", "担当者"), Column("amount", "金額", "money"),
         Column("days", "経過日数", "int"), Column("reasons", "理由"), Column("link", "リンク")],
        rows=[[f"D{i:06d}", OWNERS[i % 6], i * 1000, i % 90, "no_update",
               Link("開く", REGISTER, f"A{i + 1}")] for i in range(1, 2001)],
        conditional=[CondFormat("reasons", "contains", "overdue")],
    )
    errors = TabSpec(
        "入力エラー",
        [Column("cell", "セル"), Column("column", "列"), Column("value", "入力値"),
         Column("message", "内容"), Column("link", "リンク")],
        rows=[[f"H{i + 2}", "見込金額", "abc", "金額として読めません（例: 1,200,000 / 120万円）",
               Link("開く", REGISTER, f"H{i + 2}")] for i in range(n_errors)],
    )
    return [forecast, stale, errors]


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def openpyxl_read(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb[REGISTER].iter_rows(values_only=True))
    wb.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="reuse/keep the generated register here")
    ap.add_argument("--no-openpyxl", action="store_true", help="skip the openpyxl baseline")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = args.keep or Path(tmp) / "register.xlsx"
        if not source.exists():
            t, _, _ = measure(lambda: write_register(source, args.rows))
            print(f"generated {args.rows:,} × {len(HEADERS)} register in {t:.1f} s "
                  f"({source.stat().st_size / 1e6:.1f} MB)")
        path = Path(tmp) / "deals.xlsx"
        shutil.copy(source, path)
        backend = WorkbookBackend(path, register_tab=REGISTER)

        wall, cpu, result = measure(lambda: backend.read())
        rows = len(result.grids[REGISTER].rows) - 1
        read_mem = peak_mb(lambda: backend.read())
        print(f"read   {wall:6.2f} s wall {cpu:6.2f} s cpu  peak {read_mem:6.0f} MB  "
              f"({rows:,} rows, {rows / wall:,.0f} rows/s)")

        tabs = owned_tabs()
        wall_w, cpu_w, _ = measure(lambda: backend.write(tabs, backend.read([])))
        write_mem = peak_mb(lambda: backend.write(tabs, backend.read([])))
        print(f"write  {wall_w:6.2f} s wall {cpu_w:6.2f} s cpu  peak {write_mem:6.0f} MB  "
              f"({len(tabs)} tabs, {sum(len(t.rows) for t in tabs):,} rows; register spliced "
              "byte-for-byte)")

        if not args.no_openpyxl:
            wall_o, cpu_o, _ = measure(lambda: openpyxl_read(path))
            print(f"openpyxl read_only {wall_o:6.2f} s wall {cpu_o:6.2f} s cpu  "
                  f"→ fast reader is {wall_o / wall:.1f}× faster (cpu {cpu_o / cpu:.1f}×)")


if __name__ == "__main__":
    main()
