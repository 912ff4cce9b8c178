"""A full `sheetsync run` on 10,000 and 100,000 deals: seconds per phase, from the CLI, and
peak memory — beside the floor, a calamine read of the same register.

    python benchmarks/run.py                          # workbook, 10k and 100k
    python benchmarks/run.py --sizes 300000 --repeat 2
    python benchmarks/run.py --backends workbook emulator --memory

For each size and backend:

- **phases** (in process, min of ``--repeat`` runs): the pipeline's own — read, validate,
  history (the snapshot compared, the change log gathered), compute (every report), render
  (the tabs' cells), write — timed by ``RunResult.timings``. ``--memory`` adds tracemalloc's
  peak per phase (a separate, traced run: tracing slows the timed one down).
- **cli** (workbook only): ``sheetsync run`` as a user types it, in a child process with a
  bytecode cache, as an installed package has (:func:`installed_env`): wall seconds (min of
  ``--repeat``) and the child's peak RSS (``os.wait4``'s ``ru_maxrss``), checked against
  issue 14's targets (100,000 deals < 5 s and < 400 MB; 300,000 < 15 s and < 1 GB).
- **floor**: python-calamine (Rust) reading the register's values, nothing else — no
  validation, no tabs written. ``× floor`` is how many of those reads a whole run costs; a
  regression shows there first. Install it with ``pip install -e '.[bench]'``.

Each run is timed in the steady state: a first run creates the change-history snapshot (the
"1st" line), and what a scheduled job does every time is the runs that follow. The register
is the synthetic one of ``benchmarks/registers.py`` (3 % messy-but-valid cells, 0.5 % invalid
ones, a 目標 tab), written once and cached in the system temp directory. Never a test: the
machine decides the seconds; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registers import make_register

from sheetsync import pipeline
from sheetsync.config import Config, parse_config
from sheetsync.grid import Grid
from sheetsync.testing.xlsx import write_grids

AS_OF = dt.date(2026, 11, 26)
PHASES = ("read", "validate", "history", "compute", "render", "write")
REGISTER = "案件一覧"
#: issue 14: rows → (CLI wall seconds, peak RSS MB)
TARGETS = {100_000: (5.0, 400), 300_000: (15.0, 1024)}


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


# -- in process ------------------------------------------------------------------------------


def run_once(config: Config, traced: bool) -> tuple[dict[str, float], dict[str, float], int]:
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


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per phase, the fastest of the runs (the machine is shared: the min is the signal)."""
    return {p: min(r.get(p, 0.0) for r in runs) for p in PHASES}


def workbook_config(size: int, folder: Path) -> Config:
    shutil.copyfile(cached_workbook(size), folder / "deals.xlsx")  # each run writes its copy
    (folder / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    return parse_config("language: ja\n", folder / "config.yaml")


def emulator_config(size: int, folder: Path, emulator) -> Config:  # type: ignore[no-untyped-def]
    from sheetsync.backends.workbook import WorkbookBackend
    from sheetsync.testing.load import load_grids  # the Google backend's loader

    read = WorkbookBackend(cached_workbook(size)).read()
    key = load_grids(emulator, list(read.grids.values()))
    creds = folder / "key.json"
    emulator.write_service_account_key(creds, edit_all=True)
    text = (f"spreadsheet: {{backend: google, key: {key}, credentials: key.json, "
            f"endpoint: '{emulator.base_url}'}}\n")
    return parse_config(text, folder / "config.yaml")


def in_process(config: Config, repeat: int, memory: bool
               ) -> tuple[dict[str, float], dict[str, float], dict[str, float], int]:
    """(the first run's phases, the steady state's best phases, peaks, rows)."""
    first, _, _ = run_once(config, traced=False)
    runs, rows = [], 0
    for _ in range(repeat):
        timings, _, rows = run_once(config, traced=False)
        runs.append(timings)
    peaks = run_once(config, traced=True)[1] if memory else {}
    return first, best(runs), peaks, rows


# -- from the CLI ----------------------------------------------------------------------------


#: Runs the command it is given (argv[2:], in the folder argv[1]) and prints its wall
#: seconds, peak RSS in KiB and exit code, then the tail of its stderr. The CLI is measured
#: as this small launcher's child, never as the benchmark's own: a child of a big process
#: inherits its parent's resident pages in ``ru_maxrss`` (Linux counts the pages mapped at
#: fork, or the whole parent under vfork, until exec), which made a 410 MB run read as 666 MB
#: after the in-process phases had grown this process.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         cwd=sys.argv[1])
err = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
sys.stdout.write(err.decode(errors="replace")[-2000:])
"""


#: where the measured CLI keeps its bytecode (benchmarks/startup.py's "warm" setting)
PYCACHE = Path(tempfile.gettempdir()) / "sheetsync-bench-pyc"


@functools.cache
def installed_env() -> dict[str, str]:
    """The environment a CLI run is measured in: with a bytecode cache, as an installed
    package has (pip compiles ``.pyc`` files at install). A checkout run with
    ``PYTHONDONTWRITEBYTECODE=1`` compiles sheetsync's ~100 modules on every start
    (0.1 s); benchmarks/startup.py measures that "cold" case on its own."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    subprocess.run([sys.executable, "-c", "import sheetsync.cli, sheetsync.pipeline"],
                   env=env, check=True)  # the cache filled before anything is measured
    return env


def measured(command: list[str], folder: Path) -> tuple[float, float, int, str]:
    """``command`` run in ``folder`` as a launcher's child, with a bytecode cache
    (:func:`installed_env`): (wall seconds, peak RSS in MB, exit code, the tail of its
    stderr)."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, str(folder), *command],
                         capture_output=True, text=True, check=True,
                         env=dict(installed_env())).stdout
    first, _, err = out.partition("\n")
    wall, maxrss, code = first.split()
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    return (float(wall), int(maxrss) / (2**20 if sys.platform == "darwin" else 2**10),
            int(code), err)


def cli_run(folder: Path) -> tuple[float, float, int]:
    """``sheetsync run`` in a child process: (wall seconds, peak RSS in MB, exit code)."""
    command = [sys.executable, "-m", "sheetsync", "run", "--config",
               str(folder / "config.yaml"), "--as-of", AS_OF.isoformat()]
    wall, rss, code, _ = measured(command, folder)
    return wall, rss, code


def cli_steady(folder: Path, repeat: int) -> tuple[float, float]:
    """Best wall and peak RSS of ``repeat`` steady-state CLI runs (the snapshot exists)."""
    walls, peaks = [], []
    for _ in range(repeat):
        wall, rss, code = cli_run(folder)
        if code not in (0, 1):  # 1: the register has validation errors, as designed
            raise SystemExit(f"sheetsync run exited {code}")
        walls.append(wall)
        peaks.append(rss)
    return min(walls), min(peaks)


# -- the floor -------------------------------------------------------------------------------


def floor_reader() -> tuple[str, Callable[[Path], int]] | None:
    """python-calamine's read of the register's values (rows), or None when not installed."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None

    def read(path: Path) -> int:
        book = CalamineWorkbook.from_path(str(path))
        return len(book.get_sheet_by_name(REGISTER).to_python())

    return "calamine", read


def floor_seconds(path: Path, repeat: int) -> tuple[str, float] | None:
    found = floor_reader()
    if found is None:
        return None
    name, read = found
    times = []
    for _ in range(max(repeat, 3)):
        gc.collect()
        start = time.perf_counter()
        read(path)
        times.append(time.perf_counter() - start)
    return name, min(times)


# -- printing --------------------------------------------------------------------------------


def phase_line(label: str, size: int, timings: dict[str, float],
               peaks: dict[str, float] | None = None) -> str:
    cells = []
    for p in PHASES:
        cell = f"{timings.get(p, 0.0):6.2f}"
        if peaks:
            cell += f"/{peaks.get(p, 0.0):4.0f}MB"
        cells.append(cell)
    total = sum(timings.get(p, 0.0) for p in PHASES)
    return f"{label:<14} {size:>8,}  " + "  ".join(cells) + f"  {total:6.2f}"


def header(memory: bool) -> str:
    width = 13 if memory else 6
    return f"{'':<14} {'deals':>8}  " + "  ".join(f"{p:>{width}}" for p in PHASES) \
        + f"  {'total':>6}"


def verdict(size: int, wall: float, rss: float) -> str:
    if size not in TARGETS:
        return ""
    t_wall, t_rss = TARGETS[size]
    ok = wall < t_wall and rss < t_rss
    return f"  target < {t_wall:g} s, < {t_rss:,} MB: {'met' if ok else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["workbook"],
                        choices=["workbook", "emulator"])
    parser.add_argument("--repeat", type=int, default=3,
                        help="steady-state runs per measure; the min is printed (default 3)")
    parser.add_argument("--memory", action="store_true",
                        help="one more, traced run: tracemalloc's peak per phase")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI runs")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"min of {args.repeat} steady-state runs (seconds"
          f"{'/tracemalloc peak' if args.memory else ''})")
    print(header(args.memory))
    summary: list[str] = []
    for size in args.sizes:
        for backend in args.backends:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                if backend == "workbook":
                    config = workbook_config(size, folder)
                    first, timings, peaks, rows = in_process(config, args.repeat, args.memory)
                else:
                    from sheetsync.testing.emulator import Emulator

                    with Emulator() as emulator:
                        config = emulator_config(size, folder, emulator)
                        first, timings, peaks, rows = in_process(config, args.repeat,
                                                                 args.memory)
                print(phase_line(f"{backend} 1st", size, first))
                print(phase_line(backend, size, timings, peaks))
                total = sum(timings.values())
                floor = floor_seconds(cached_workbook(size), args.repeat)
                line = f"{backend} {size:,} deals ({rows:,} rows read): in process {total:.2f} s"
                if floor is not None:
                    name, seconds = floor
                    line += (f" = {total / seconds:.1f}× the floor ({name} reads the register "
                             f"in {seconds:.2f} s)")
                if backend == "workbook" and not args.no_cli:
                    wall, rss = cli_steady(folder, args.repeat)
                    line += f"; CLI {wall:.2f} s, peak RSS {rss:,.0f} MB"
                    if floor is not None:
                        line += f" ({wall / floor[1]:.1f}× the floor)"
                    line += verdict(size, wall, rss)
                summary.append(line)
    if floor_reader() is None:
        summary.append("(python-calamine is not installed: pip install -e '.[bench]' for the "
                       "floor)")
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
