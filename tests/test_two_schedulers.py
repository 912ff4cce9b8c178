"""Two scheduler processes on one (emulated) Google spreadsheet never both write one slot."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.demo import write_demo_workbook
from sheetsync.testing.load import load_grids


def test_two_scheduler_processes_never_both_write_in_one_slot(emulator, service_account_key,
                                                             tmp_path: Path):
    write_demo_workbook(tmp_path / "demo.xlsx", today=dt.date(2026, 11, 26))
    key = load_grids(emulator, WorkbookBackend(tmp_path / "demo.xlsx").read().grids)
    (tmp_path / "config.yaml").write_text(
        f"spreadsheet: {{backend: google, key: {key}, credentials: {service_account_key.name},"
        f" endpoint: '{emulator.base_url}'}}\n", encoding="utf-8")
    service_account_key.rename(tmp_path / service_account_key.name)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "hourly.yaml").write_text(
        "name: hourly\ncron: '0 * * * *'\nconfig: ../config.yaml\ncommand: run\n",
        encoding="utf-8")
    emulator.reset_log()

    def start(runner: str) -> subprocess.Popen:
        env = {**os.environ, "SHEETSYNC_RUNNER": runner}
        return subprocess.Popen(
            [sys.executable, "-m", "sheetsync", "schedule", "--once", "jobs/hourly.yaml"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first, second = start("machine-a"), start("machine-b")  # the same slot, at once
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    logs = "".join(err for _, err in outputs)
    statuses = sorted(line.split("status=")[1].split()[0] for line in logs.splitlines()
                      if "job=hourly" in line)
    # one runner wrote (the demo has input errors: status "invalid"), the other skipped
    assert statuses == ["invalid", "skipped"], logs
    writes = emulator.log.count("spreadsheets.batchUpdate", status=200)
    assert writes == 1
    assert "another runner" in logs or "written by another sheetsync run" in logs
