"""The hidden state tab's share of a run (issue 14): what ``_sheetsync_state`` costs to read,
parse, compare, render and write, beside the whole run's phases.

    python benchmarks/state.py                      # workbook, 10k and 100k
    python benchmarks/state.py --sizes 100000 --repeat 5

For each size, after a first run (which creates the snapshot), in the steady state (min of
``--repeat``; the machine is shared, the min is the signal):

- **read**: the workbook read of every tab a run reads, and of the same tabs but the state
  tab — the difference is the state's share of the read phase;
- **parse**: ``read_snapshot`` on the tab as read (checksum and decompression included);
- **compare**: ``observe`` — the snapshot against the register (the diff);
- **render**: ``snapshot_tab`` — the snapshot as a tab's cells;
- **write**: the backend's write of every tab a run writes, and of the same tabs but the
  state tab (the file's old state tab then copied as stored) — the difference is the
  state's share of the write phase;
- **size**: the tab's cells, its characters, and its sheet XML in the file (uncompressed).

Uses the register of ``benchmarks/registers.py`` cached by ``benchmarks/run.py``. Runs on any
version of sheetsync (it only calls ``read_snapshot``, ``snapshot_tab`` and the pipeline), so
``PYTHONPATH=<an older checkout> python benchmarks/state.py`` measures the before.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import AS_OF, cached_workbook

from sheetsync import pipeline
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.config import parse_config
from sheetsync.gcpause import paused_gc
from sheetsync.history import SNAPSHOT_TAB, observe, read_snapshot, snapshot_tab


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` calls, with the collector paused as the pipeline's phases
    pause it, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        with paused_gc():
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
    return min(times), out


def sheet_xml_bytes(path: Path, name: str) -> int:
    """The uncompressed size of tab ``name``'s sheet XML in the workbook at ``path``."""
    from sheetsync.backends.workbook.package import Package
    from sheetsync.backends.workbook.parts import worksheet_part
    from sheetsync.backends.workbook.read import read_workbook_info

    pkg = Package(path.read_bytes(), path)
    part = worksheet_part(pkg, read_workbook_info(pkg), name)
    with zipfile.ZipFile(path) as z:
        return z.getinfo(part).file_size


def measure(size: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = folder / "deals.xlsx"
        shutil.copyfile(cached_workbook(size), book)
        (folder / "config.yaml").write_text("language: ja\n", encoding="utf-8")
        config = parse_config("language: ja\n", folder / "config.yaml")
        pipeline.run(config, as_of=AS_OF)  # the first run: the snapshot now exists
        result = pipeline.run(config, as_of=AS_OF)  # steady state: what is written each time
        tabs = result.tabs
        names = list(result.checked.read.grids)
        backend = WorkbookBackend(book)
        out: dict[str, float] = {}
        out["read_all"], read = best(lambda: backend.read(names), repeat)
        others = [n for n in names if n != SNAPSHOT_TAB]
        out["read_without"], _ = best(lambda: backend.read(others), repeat)
        grid = read.grids[SNAPSHOT_TAB]
        out["cells"] = sum(1 for row in grid.rows for v in row if v not in (None, ""))
        out["chars"] = sum(len(str(v)) for row in grid.rows for v in row if v is not None)
        out["xml"] = sheet_xml_bytes(book, SNAPSHOT_TAB)
        out["parse"], snapshot = best(lambda: read_snapshot(grid), repeat)
        checked = pipeline.check(config, as_of=AS_OF)
        current = pipeline.current_values(checked.validation, checked.register,
                                          checked.schema)
        out["compare"], observation = best(
            lambda: observe(snapshot, current, observed_at=AS_OF), repeat)
        out["render"], _ = best(lambda: snapshot_tab(observation.snapshot), repeat)
        without = [t for t in tabs if t.name != SNAPSHOT_TAB]
        copy = folder / "copy.xlsx"

        def write(specs: list[Any]) -> None:
            shutil.copyfile(book, copy)
            target = WorkbookBackend(copy)
            target.write(specs, target.read([]))

        out["write_all"], _ = best(lambda: write(tabs), repeat)
        out["write_without"], _ = best(lambda: write(without), repeat)
        out["run_total"] = sum(result.timings.values())
        out["run_read"] = result.timings.get("read", 0.0)
        out["run_write"] = result.timings.get("write", 0.0)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import sheetsync.history as history

    print(f"state format: {getattr(history, 'SNAPSHOT_VERSION', '?')} "
          f"({Path(history.__file__).parent.parent}); min of {args.repeat}; "
          f"as of {AS_OF.isoformat()}, {dt.date.today().isoformat()}")
    for size in args.sizes:
        m = measure(size, args.repeat)
        read_share = m["read_all"] - m["read_without"]
        write_share = m["write_all"] - m["write_without"]
        print(f"\n{size:,} deals — the state tab: {m['cells']:,.0f} cells, "
              f"{m['chars'] / 1e6:.1f} M characters, sheet XML {m['xml'] / 1e6:.1f} MB")
        print(f"  read    {m['read_all']:6.2f} s all tabs, {m['read_without']:6.2f} s without "
              f"the state: the state {read_share:5.2f} s "
              f"({read_share / m['read_all']:4.0%} of the read)")
        print(f"  parse   {m['parse']:6.2f} s   compare {m['compare']:6.2f} s   "
              f"render {m['render']:6.2f} s")
        print(f"  write   {m['write_all']:6.2f} s all tabs, {m['write_without']:6.2f} s without "
              f"the state: the state {write_share:5.2f} s "
              f"({write_share / m['write_all']:4.0%} of the write)")
        state = read_share + m["parse"] + m["compare"] + m["render"] + write_share
        print(f"  state in all {state:6.2f} s of a {m['run_total']:.2f} s run (in process)")


if __name__ == "__main__":
    main()
