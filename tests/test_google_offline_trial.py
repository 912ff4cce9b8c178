"""README's "Try it offline against the emulator", as separate processes, as from a shell."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path


def test_emulator_load_demo_and_run_from_a_shell(tmp_path: Path) -> None:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "sheetsync.testing.emulator", "--port", "0",
         "--key-out", "key.json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None
        base_url = emulator.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        loaded = subprocess.run(
            [sys.executable, "-m", "sheetsync.testing.load_demo", "--endpoint", base_url,
             "--key", "key.json", "--as-of", "2026-05-01"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert loaded.returncode == 0, loaded.stderr
        key = loaded.stdout.strip()
        assert len(key.splitlines()) == 1 and len(key) > 20
        (tmp_path / "config.yaml").write_text(
            f"spreadsheet:\n  backend: google\n  key: {key}\n  credentials: key.json\n"
            f"  endpoint: {base_url}\n", encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "sheetsync", "run", "--config", "config.yaml",
             "--as-of", "2026-05-01", "--format", "json"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert run.returncode == 1, run.stderr  # the demo has deliberate input errors
        out = json.loads(run.stdout)
        assert out["validation"]["rows"] > 250 and "売上予測" in out["tabs_written"]
        private = json.loads((tmp_path / "key.json").read_text())
        assert private["private_key_id"] not in run.stdout + run.stderr + loaded.stderr
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
    assert emulator.returncode == 0
