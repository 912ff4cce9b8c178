"""CI smoke step: what a new user runs, on this checkout, as the README says it.

    python .ci/smoke.py

1. a fresh virtual environment and ``python -m pip install .`` (not editable) from the root;
2. ``sheetsync demo`` in a temporary folder;
3. the README's "Try it offline against the emulator" block, extracted from README.md and run
   unchanged by bash from the repository root with that environment first on PATH — the
   root first on ``sys.path`` shadows the installed package, as it does for a user.

Whatever happens, the emulator the block started is stopped (the block runs in its own
process group) and the files the block writes at the root (key.json, config.yaml) are
removed; the step refuses to start if they exist already, so nobody's own config is lost.
Exit 0 when every step worked, 1 otherwise, with the step's output.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme import README, ROOT, fenced_block

TRIAL_HEADING = "Try it offline against the emulator"
#: What the trial writes at the repository root (also in .gitignore).
TRIAL_WRITES = ("key.json", "config.yaml")


class SmokeError(Exception):
    """A smoke step failed; the message says which and shows its output."""


def trial_script(readme: Path = README, port: int | None = None) -> str:
    """The README's trial block, with its emulator port replaced by ``port`` if given (the
    test suite must not depend on a fixed port; CI runs the block unchanged)."""
    block = fenced_block(readme.read_text(encoding="utf-8"), TRIAL_HEADING)
    return block if port is None else block.replace(str(trial_port(block)), str(port))


def trial_port(block: str) -> int:
    found = re.search(r"--port (\d+)", block)
    if found is None:
        raise SmokeError("the README's trial block starts no emulator (`--port N`)")
    return int(found.group(1))


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def user_env(bin_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A new user's environment with the virtual environment ``bin_dir`` activated."""
    env = {k: v for k, v in (base if base is not None else os.environ).items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return env


def run_trial(root: Path, env: Mapping[str, str], *, script: str | None = None,
              timeout: float = 300) -> str:
    """Run the trial block with bash from ``root``; returns its output (stdout and stderr).

    Raises :class:`SmokeError` when the block fails: its exit status is not 0 (the last
    command stops the emulator, so it fails when the emulator died), a step printed an
    error or a traceback, or the run wrote nothing.
    """
    script = trial_script() if script is None else script
    present = [name for name in TRIAL_WRITES if (root / name).exists()]
    if present:
        raise SmokeError(f"{root / present[0]} exists; the README's trial would overwrite it. "
                         "Move it away (or run on a clean clone).")
    port = trial_port(script)
    deadline = time.monotonic() + 120
    while not port_is_free(port):  # another run of this step on the machine
        if time.monotonic() > deadline:
            raise SmokeError(f"port {port} stayed busy for 2 minutes; the trial needs it")
        time.sleep(1)
    with tempfile.TemporaryDirectory(prefix="sheetsync-trial-") as folder:
        path, log = Path(folder) / "trial.sh", Path(folder) / "trial.log"
        path.write_text(script, encoding="utf-8")
        try:
            # output to a file, not a pipe: an emulator left running would hold a pipe open
            with log.open("w", encoding="utf-8") as out, \
                    _process_group(["bash", str(path)], root, env, out) as process:
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    raise SmokeError(f"the trial took more than {timeout:.0f} s:\n"
                                     + log.read_text(encoding="utf-8")) from None
        finally:
            for name in TRIAL_WRITES:
                (root / name).unlink(missing_ok=True)
        output = log.read_text(encoding="utf-8")
    problems = []
    if process.returncode != 0:
        problems.append(f"exit status {process.returncode}")
    if "Traceback" in output:
        problems.append("a traceback")
    if re.search(r"^(sheetsync|load_demo): ", output, re.M):
        problems.append("an error message")
    if not re.search(r"^(書き込み|Wrote): ", output, re.M):
        problems.append("no 'written' line from `sheetsync run`")
    if problems:
        raise SmokeError(f"the README's trial failed ({', '.join(problems)}):\n{output}")
    return output


@contextmanager
def _process_group(argv: list[str], cwd: Path, env: Mapping[str, str], out: IO[str]
                   ) -> Iterator[subprocess.Popen[str]]:
    """Start ``argv`` in a process group of its own; on leaving, stop whatever of that group
    is still running (the block's background emulator when the block stopped early)."""
    process = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                               stdout=out, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        yield process
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            if _group_gone(process.pid, 5):
                break
        if process.poll() is None:
            process.wait(5)


def _group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _step(title: str, action: Callable[[], object]) -> None:
    started = time.monotonic()
    print(f"smoke: {title} …", flush=True)
    action()
    print(f"smoke: {title}: ok ({time.monotonic() - started:.1f} s)", flush=True)


def _check(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=None if env is None else dict(env),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise SmokeError(f"`{' '.join(argv)}` exited {done.returncode}:\n{done.stdout}")
    return done.stdout


def main() -> int:
    started = time.monotonic()
    had_build = (ROOT / "build").exists()
    with tempfile.TemporaryDirectory(prefix="sheetsync-smoke-") as folder:
        tmp = Path(folder)
        venv = tmp / "venv"
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        env = user_env(bin_dir)
        python = str(bin_dir / "python")
        try:
            _step("fresh virtual environment",
                  lambda: _check([sys.executable, "-m", "venv", str(venv)], tmp))
            _step("python -m pip install . (not editable)",
                  lambda: _check([python, "-m", "pip", "install", "-q", "."], ROOT, env))
            (tmp / "demo").mkdir()
            _step("sheetsync demo in a temporary folder",
                  lambda: _demo(tmp / "demo", bin_dir, env))
            _step("README: Try it offline against the emulator (from the repository root)",
                  lambda: run_trial(ROOT, env))
        except SmokeError as exc:
            print(f"smoke: FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            if not had_build:  # pip's in-tree build folder; stale, it would leak into wheels
                shutil.rmtree(ROOT / "build", ignore_errors=True)
    print(f"smoke: all steps ok in {time.monotonic() - started:.1f} s")
    return 0


def _demo(folder: Path, bin_dir: Path, env: Mapping[str, str]) -> None:
    output = _check([str(bin_dir / "sheetsync"), "demo"], folder, env)
    if not (folder / "sheetsync-demo" / "deals.xlsx").is_file():
        raise SmokeError(f"`sheetsync demo` wrote no sheetsync-demo/deals.xlsx:\n{output}")


if __name__ == "__main__":
    sys.exit(main())
