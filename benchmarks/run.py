"""A full `sheetsync run` on 10,000 and 100,000 deals: time and peak memory per phase.

    python benchmarks/run.py                    # workbook and emulator, 10k and 100k
    python benchmarks/run.py --sizes 10000      # one size
    python benchmarks/run.py --backends workbook

Phases are the pipeline's own (read, validate, compute, render, write — render builds the
tabs' cells from the computed tables), timed by
``RunResult.timings``; peak memory per phase is tracemalloc's peak between phase starts
(a second, traced run, so tracing does not slow the timed one). Targets (issue 4): the
100,000-deal run end to end in under 10 s on the workbook backend, compute under 1 s.
Each backend is run once to create the change-history snapshot ("1st" line), then timed
on the runs that follow (what a scheduled job does every time).

The register is the synthetic one of ``benchmarks/registers.py`` with 3 % messy-but-valid
cells and 0.5 % invalid ones, plus a 目標 tab; the workbook is written once and cached in
the system temp directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registers import make_register

from sheetsync import pipeline
from sheetsync.config import parse_config
from sheetsync.grid import Grid
from sheetsync.testing.xlsx import write_grids

AS_OF = dt.date(2026, 11, 26)
PHASES = ("read", "validate", "compute", "render", "write")


def targets_grid() -> Grid:
    rows: list[list[object]] = [["期間", "担当者", "目標金額"]]
    for q in range(1, 5):
        rows.append([f"FY2026-Q{q}", None, 3_000_000_000])
    return Grid("目標", rows)


def cached_workbook(size: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"sheetsync-bench-{size}.xlsx"
    if not path.exists():
        start = time.perf_counter()
        grid = make_register(size, messy=0.03, invalid=0.005, seed=size)
        write_grids(path, [grid, targets_grid()])
        print(f"  (wrote {path.name} in {time.perf_counter() - start:.1f} s, once)")
    return path


def run_once(config, traced: bool) -> tuple[dict[str, float], dict[str, float], int]:
    peaks: dict[str, float] = {}
    current = [""]

    def progress(phase: str) -> None:
        if traced and current[0]:
            peaks[current[0]] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.reset_peak()
        current[0] = phase

    gc.collect()
    if traced:
        tracemalloc.start()
    result = pipeline.run(config, as_of=AS_OF, progress=progress)
    if traced:
        peaks[current[0]] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return dict(result.timings), peaks, result.report.rows


def workbook_config(size: int, folder: Path):
    shutil.copyfile(cached_workbook(size), folder / "deals.xlsx")  # each run writes its copy
    return parse_config("language: ja\n", folder / "config.yaml")


def emulator_config(size: int, folder: Path, emulator):
    from sheetsync.backends.workbook import WorkbookBackend
    from sheetsync.testing.load import load_grids  # the Google backend's loader

    read = WorkbookBackend(cached_workbook(size)).read()
    key = load_grids(emulator, list(read.grids.values()))
    creds = folder / "key.json"
    emulator.write_service_account_key(creds, edit_all=True)
    text = (f"spreadsheet: {{backend: google, key: {key}, credentials: key.json, "
            f"endpoint: '{emulator.base_url}'}}\n")
    return parse_config(text, folder / "config.yaml")


def report(backend: str, size: int, timings: dict[str, float], peaks: dict[str, float],
           rows: int) -> None:
    total = sum(timings.values())
    parts = "  ".join(f"{p} {timings.get(p, 0):6.2f}s/{peaks.get(p, 0):6.0f}MB" for p in PHASES)
    print(f"{backend:<13} {size:>8,} rows={rows:>7,}  {parts}   total {total:6.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["workbook", "emulator"],
                        choices=["workbook", "emulator"])
    args = parser.parse_args()
    print("phase: seconds / peak MB (tracemalloc)")
    totals: dict[tuple[str, int], float] = {}
    for size in args.sizes:
        for backend in args.backends:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                if backend == "workbook":
                    # the first run creates the change-history snapshot; a scheduled job
                    # then runs against it every time: that steady state is what is timed
                    config = workbook_config(size, folder)
                    first, _, _ = run_once(config, traced=False)
                    report(f"{backend} 1st", size, first, {}, 0)
                    timings, _, rows = run_once(config, traced=False)
                    _, peaks, _ = run_once(config, traced=True)
                else:
                    from sheetsync.testing.emulator import Emulator

                    with Emulator() as emulator:
                        config = emulator_config(size, folder, emulator)
                        first, _, _ = run_once(config, traced=False)
                        report(f"{backend} 1st", size, first, {}, 0)
                        timings, _, rows = run_once(config, traced=False)
                        _, peaks, _ = run_once(config, traced=True)
                report(backend, size, timings, peaks, rows)
                totals[(backend, size)] = sum(timings.values())
    for (backend, size), total in totals.items():
        if (backend, 10_000) in totals and size != 10_000:
            ratio = total / totals[(backend, 10_000)]
            print(f"{backend}: {size:,} rows took {ratio:.1f}× the 10,000-row run "
                  f"({size // 10_000}× the rows)")


if __name__ == "__main__":
    main()
