"""Issue 11 #5: hostile config and job files are refused fast, in one short line, exit 2.

Before: a YAML alias bomb under stale.by_stage aborted the process after 70 s; the same under
owners exited 2 with a 312 MB error line; 5,000 nested brackets were a RecursionError
traceback; a 5 MB owner name kept `validate` busy for minutes; `lease_minutes: .inf` or 1e308
passed, then every run crashed in the lease.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import cli

# nine aliases of nine aliases …: 9^9 values once expanded
CASES = {
    "alias bomb under stale.by_stage": (
        "\n".join(f"x{i}: &x{i} " + ("[" + ", ".join([f"*x{i-1}"] * 9) + "]" if i else
                                      "{a: 1, b: 2}") for i in range(9))
        + "\nstale: {by_stage: *x8}\n", "expands to more than"),
    "alias bomb under owners": (
        "\n".join(f"x{i}: &x{i} " + ("[" + ", ".join([f"*x{i-1}"] * 9) + "]" if i else
                                      "[佐藤, 鈴木]") for i in range(9))
        + "\nowners: *x8\n", "expands to more than"),
    "5,000 nested brackets": ("owners: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    "a 5 MB owner name": ("owners: [" + "佐" * 300_000 + "]\n", None),
    "lease_minutes: .inf": ("schedule: {lease_minutes: .inf}\n", "lease_minutes"),
    "lease_minutes: 1e308": ("schedule: {lease_minutes: 1e308}\n", "lease_minutes"),
    "retry_seconds: .nan": ("spreadsheet: {retry_seconds: .nan}\n", "retry_seconds"),
    "a huge file": ("# " + "x" * 1_100_000 + "\n", "larger than"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_config_is_one_short_line_exit_2(tmp_path: Path, case: str) -> None:
    text, expected = CASES[case]
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", "-c", str(config)])
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, (case, result.output[:300])
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, (case, result.output[:300])
    assert lines[0].startswith("sheetsync: ") and str(config) in lines[0]
    if expected:
        assert expected in lines[0], lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert elapsed < 30  # a guard against hanging, not a speed measurement


def test_a_job_file_is_read_with_the_same_bounds(tmp_path: Path) -> None:
    job = tmp_path / "bomb.yaml"
    job.write_text("name: x\ncron: '0 9 * * 1'\nconfig: c.yaml\n" + "command: " + "[" * 3000
                   + "]" * 3000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["schedule", "--once", str(job)])
    assert result.exit_code == 2
    assert "nested more than" in result.output and len(result.output) < 400


def test_a_device_is_not_read_to_the_end(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    result = CliRunner().invoke(cli, ["validate", "-c", "/dev/zero"])
    assert result.exit_code == 2 and "larger than" in result.output


@pytest.mark.parametrize(("schema", "expected"), [
    ("/dev/zero", "larger than"),
    ("bomb.yaml", "expands to more than"),
    ("deep.yaml", "nested more than"),
])
def test_a_hostile_schema_file_is_one_short_line_exit_2(tmp_path: Path, schema: str,
                                                        expected: str) -> None:
    if schema == "/dev/zero" and not Path(schema).exists():
        pytest.skip("no /dev/zero here")
    (tmp_path / "bomb.yaml").write_text(CASES["alias bomb under owners"][0], encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("fields: " + "[" * 3000 + "]" * 3000 + "\n",
                                        encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"schema: {schema}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-c", str(config)])
    assert result.exit_code == 2, result.output[:300]
    assert expected in result.output and len(result.output) < 400
