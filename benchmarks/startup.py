"""Start-up: how long `sheetsync` takes before and while it does a small job (issue 14).

    python benchmarks/startup.py              # 9 runs of each command
    python benchmarks/startup.py --runs 21

Each command runs as its own process, the way a user or a scheduler starts it (the
``sheetsync`` console script of this environment, else ``python -m sheetsync``): the wall
time of the best run and the median, and the CPU time of the best run (the child's user +
system time from ``os.wait4``, so the waits of a busy machine are left out).

Two settings: **warm** — with a bytecode cache, as an installed package has (pip compiles
``.pyc`` files at install; here the cache goes to a temporary ``PYTHONPYCACHEPREFIX``, the
first run fills it and is not counted) — and **cold** — ``PYTHONDONTWRITEBYTECODE=1`` with no
cache, every module compiled on every start (a source checkout run that way).

Targets (issue 14): ``--version`` and ``--help`` < 0.3 s; ``validate`` on the 300-row demo
(written once by ``sheetsync demo`` into a temporary folder) < 1 s. Printed, never asserted:
tests/test_cli_startup.py checks the structure (what importing the CLI loads) instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"--version": 0.3, "--help": 0.3, "validate (300-row demo)": 1.0}
DEMO_DAY = "2026-12-04"


def command() -> list[str]:
    """The console script next to this interpreter, else ``python -m sheetsync``."""
    script = Path(sys.executable).with_name("sheetsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sheetsync"]


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run of ``args``."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # validate exits 1: the demo has input errors
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def environment(warm: bool, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SHEETSYNC_CONFIG", None)
    if warm:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command")
    args = parser.parse_args()
    base = command()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = folder / "demo"
        subprocess.run([*base, "demo", str(demo), "--as-of", DEMO_DAY], check=True,
                       stdout=subprocess.DEVNULL, env=environment(True, folder / "pyc"))
        commands = {
            "--version": [*base, "--version"],
            "--help": [*base, "--help"],
            "validate (300-row demo)": [*base, "validate", "-c", str(demo / "config.yaml"),
                                        "--as-of", DEMO_DAY],
        }
        print(f"{'command':<24} {'setting':<6} {'best s':>7} {'median s':>9} {'CPU s':>6}"
              f" {'target':>7}")
        for warm in (True, False):
            cache = folder / "pyc"
            if not warm:
                shutil.rmtree(cache, ignore_errors=True)
            env = environment(warm, cache)
            for name, args_ in commands.items():
                if warm:
                    timed(args_, env, folder)  # fills the bytecode cache; not counted
                runs = [timed(args_, env, folder) for _ in range(args.runs)]
                walls = [w for w, _ in runs]
                best = min(runs)
                verdict = "ok" if best[0] < TARGETS[name] else "ABOVE"
                print(f"{name:<24} {'warm' if warm else 'cold':<6} {best[0]:>7.3f}"
                      f" {statistics.median(walls):>9.3f} {best[1]:>6.3f}"
                      f" {'< ' + format(TARGETS[name], 'g') + ' s':>7} {verdict}")


if __name__ == "__main__":
    main()
