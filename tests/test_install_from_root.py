"""A non-editable install, used from the repository root as the README says (issue 10 #1).

``python -m …`` at the root puts the root first on ``sys.path``: the source tree's
``sheetsync`` shadows the installed one, and the source tree has no ``sheetsync._schemas``
(pyproject.toml maps ``schemas/`` there only when building). The fixture builds a wheel from a
copy of the source tree once per session and installs it, without dependencies, into a fresh
virtual environment that borrows this environment's dependencies through a ``.pth`` file (a
path listed there is added to ``sys.path`` without running its own ``.pth`` files, so this
environment's editable install, which would hide the bug, stays out).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import site
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("sheetsync", "schemas", "pyproject.toml", "README.md")


@functools.cache
def _load_ci(name: str) -> ModuleType:
    """A script of .ci/ as a module (CI and this test share how the README's trial runs)."""
    spec = importlib.util.spec_from_file_location(f"ci_{name}", ROOT / ".ci" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Install:
    def __init__(self, repo: Path, venv: Path) -> None:
        self.repo = repo
        self.bin = venv / ("Scripts" if sys.platform == "win32" else "bin")
        self.python = str(self.bin / "python")

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        smoke = _load_ci("smoke")
        env = smoke.user_env(self.bin)
        env.pop("SHEETSYNC_CONFIG", None)  # which config is read is the test's to say
        return subprocess.run([self.python, *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Install:
    base = tmp_path_factory.mktemp("noneditable")
    repo = base / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            repo.mkdir(exist_ok=True)
            shutil.copy2(source, repo / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(base / "dist"), str(repo)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    shutil.rmtree(repo / "build", ignore_errors=True)
    (wheel,) = (base / "dist").glob("sheetsync-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    install = Install(repo, venv)
    purelib = subprocess.run(
        [install.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            *site.getsitepackages()}
    Path(purelib, "_sheetsync_test_deps.pth").write_text(
        "\n".join(sorted(ours)) + "\n", encoding="utf-8")
    # this environment's pip installs into the new one (pip >= 22.3: --python)
    installed_wheel = subprocess.run(
        [sys.executable, "-m", "pip", "--python", install.python, "install", "-q",
         "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed_wheel.returncode == 0, installed_wheel.stdout + installed_wheel.stderr
    return install


def _where(install: Install, cwd: Path) -> str:
    probe = install.run("-c", "import sheetsync; print(sheetsync.__file__)", cwd=cwd)
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip()


def test_schema_show_from_the_repository_root(installed: Install) -> None:
    # the premise: at the root, the source tree is what imports, and it has no _schemas
    assert _where(installed, installed.repo).startswith(str(installed.repo))
    shown = installed.run("-m", "sheetsync", "schema", "show", cwd=installed.repo)
    assert shown.returncode == 0, shown.stderr
    assert "案件ID" in shown.stdout and "受注予定日" in shown.stdout


def test_schema_show_with_the_installed_package(installed: Install, tmp_path: Path) -> None:
    assert not _where(installed, tmp_path).startswith(str(installed.repo))
    shown = installed.run("-m", "sheetsync", "schema", "show", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "案件ID" in shown.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_readme_offline_trial_from_the_repository_root(installed: Install) -> None:
    """The README's block, as written but on a free port, with bash from the root."""
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    smoke = _load_ci("smoke")
    script = smoke.trial_script(ROOT / "README.md", port=_free_port())
    output = smoke.run_trial(installed.repo, smoke.user_env(installed.bin), script=script)
    assert "spreadsheet key: " in output
    assert not any((installed.repo / name).exists() for name in smoke.TRIAL_WRITES)


def test_load_demo_fails_loudly_without_an_emulator(installed: Install, tmp_path: Path) -> None:
    """Step 2 with nothing listening: no key on stdout, a message, a non-zero exit."""
    loaded = installed.run("-m", "sheetsync.testing.load_demo", "--endpoint",
                           f"http://127.0.0.1:{_free_port()}", "--key", "key.json",
                           "--wait", "0", "--as-of", "2026-12-04", cwd=installed.repo)
    assert loaded.returncode != 0
    assert loaded.stdout == ""
    assert "load_demo: " in loaded.stderr and "Traceback" not in loaded.stderr
    assert "is the emulator running" in loaded.stderr


def test_a_failing_trial_stops_its_emulator_and_removes_its_files(tmp_path: Path) -> None:
    """Step 2 fails: the block stops at its guard, the harness reports it, and neither the
    background emulator nor key.json / config.yaml outlive it."""
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    smoke = _load_ci("smoke")
    port = _free_port()
    script = smoke.trial_script(ROOT / "README.md", port=port)
    step2 = next(line for line in script.splitlines() if line.startswith("KEY=$("))
    script = script.replace(step2, "KEY=$(sleep 2; false)")
    with pytest.raises(smoke.SmokeError, match="step 2 failed") as failed:
        smoke.run_trial(tmp_path, smoke.user_env(Path(sys.executable).parent), script=script)
    assert "exit status 1" in str(failed.value)
    assert not any((tmp_path / name).exists() for name in smoke.TRIAL_WRITES)
    assert smoke.port_is_free(port)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # this checkout's
    return subprocess.run(["git", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=30)


def test_the_trial_files_at_the_root_are_git_ignored() -> None:
    """The README's trial writes key.json and config.yaml at the root: git ignores them
    (issue 10 #10), while config.example.yaml and a config.yaml further down stay tracked."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    top = _git("rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT:
        pytest.skip("the repository root is not a git checkout")
    for name in ("key.json", "config.yaml"):
        assert _git("check-ignore", "-q", name).returncode == 0, f"{name} is not ignored"
    for name in ("config.example.yaml", "jobs/config.yaml"):
        assert _git("check-ignore", "-q", "--no-index", name).returncode == 1, name
