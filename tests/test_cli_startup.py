"""Start-up: what `sheetsync` loads before it does any work (issue 14).

Structural checks, never timed ones (the seconds are printed by benchmarks/startup.py):
importing the CLI, `--help` and `--version` load neither pandas nor numpy nor pydantic nor
gspread/google-auth; a workbook `validate` never loads gspread or google-auth; `--help`
still lists every command with its short help; the local A1 helper writes what gspread's
does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gspread.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.a1 import column_letters, rowcol_to_a1
from sheetsync.cli import cli

#: what a command loads when it needs it, and `--help` must not: the data stack, the config
#: model, the Google client and the spreadsheet libraries
HEAVY = ("pandas", "numpy", "pydantic", "gspread", "google", "google_auth_oauthlib",
         "requests", "openpyxl", "yaml", "rich")
#: never on the workbook path, whatever the command
GOOGLE = ("gspread", "google", "google_auth_oauthlib")

_LOADED = """
import json, sys
{body}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


def loaded_after(body: str, cwd: Path | None = None) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``body``."""
    proc = subprocess.run([sys.executable, "-c", _LOADED.format(body=body)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_main(*args: str) -> str:
    """A body that calls the console entry point with ``args`` (its output goes to stderr,
    so the module list printed after it stays the last stdout line)."""
    return ("import contextlib, sheetsync.cli\n"
            "with contextlib.redirect_stdout(sys.stderr):\n"
            "    try:\n"
            f"        sheetsync.cli.main({list(args)!r})\n"
            "    except SystemExit:\n"
            "        pass\n")


def test_importing_the_cli_loads_no_heavy_package():
    loaded = loaded_after("import sheetsync.cli")
    assert {"sheetsync", "click"} <= loaded  # the probe itself works
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("schema", "--help"),
                                  ("jobs", "--help"), ("run", "--help")])
def test_help_and_version_load_no_heavy_package(args):
    loaded = loaded_after(run_main(*args))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_every_command_with_its_short_help():
    proc = subprocess.run([sys.executable, "-m", "sheetsync", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listing = proc.stdout.split("Commands:", 1)[1]
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in listing.splitlines()
             if line.strip()}
    assert set(lines) == {"demo", "fix", "jobs", "notify", "run", "schedule", "schema",
                          "validate"}
    assert set(lines) == set(cli.commands)
    for name, command in cli.commands.items():
        # click cuts the help to the terminal's width: what it shows begins the full line
        full = command.get_short_help_str(limit=1_000)
        shown = lines[name].removesuffix("...")
        assert len(shown) >= 20 and full.startswith(shown), (name, lines[name])
    assert lines["validate"] == "Check the register and report every problem."


def test_a_workbook_validate_never_loads_google(tmp_path: Path):
    """The workbook path reads, validates and reports without gspread or google-auth (it
    used to import gspread just to name a cell)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日"])
    ws.append(["D-1", "更改", "(株)A", "佐藤", "提案", "120万円", "2026/2/30"])
    wb.save(tmp_path / "deals.xlsx")
    (tmp_path / "config.yaml").write_text("spreadsheet: {path: deals.xlsx}\n",
                                          encoding="utf-8")
    body = run_main("validate", "-c", str(tmp_path / "config.yaml"), "--format", "json")
    loaded = loaded_after(body, cwd=tmp_path)
    assert {"pandas", "openpyxl"} & loaded  # it did read and validate
    assert loaded.isdisjoint(GOOGLE), sorted(loaded & set(GOOGLE))
    # and the answer names the cell as before: the impossible date at G2
    proc = subprocess.run([sys.executable, "-m", "sheetsync", "validate", "-c",
                           str(tmp_path / "config.yaml"), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    errors = json.loads(proc.stdout)["errors"]
    assert [(e["cell"], e["code"]) for e in errors] == [("G2", "impossible_date")]


@given(st.integers(1, 1_048_576), st.integers(1, 18_278))
def test_a1_is_what_gspread_writes(row: int, column: int):
    assert rowcol_to_a1(row, column) == gspread.utils.rowcol_to_a1(row, column)
    assert column_letters(column) == gspread.utils.rowcol_to_a1(1, column)[:-1]


@pytest.mark.parametrize(("row", "column"), [(0, 1), (1, 0), (-3, 2)])
def test_a1_refuses_what_is_not_a_cell(row: int, column: int):
    with pytest.raises(ValueError, match="must be 1 or more"):
        rowcol_to_a1(row, column)


# -- the quick exit (sheetsync.cli.entry) ------------------------------------------------------

_ENTRY = """
import atexit, sys, threading, time
import sheetsync.cli
atexit.register(lambda: print("exit handlers ran", flush=True))
if {thread!r}:
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished", flush=True))
                     ).start()
sys.argv = ["sheetsync", *{args!r}]
sheetsync.cli.entry()
"""


def _entry(*args: str, thread: bool = False, cwd: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _ENTRY.format(args=list(args), thread=thread)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_the_quick_exit_keeps_the_exit_code_the_output_and_the_exit_handlers(tmp_path: Path):
    """The process ends without the interpreter's teardown, but everything a user or a
    caller sees is as before: every line printed (here a JSON document of the whole demo
    report, through a pipe), the command's exit code, and the exit handlers run."""
    demo = subprocess.run([sys.executable, "-m", "sheetsync", "demo", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    proc = _entry("validate", "--format", "json", cwd=tmp_path / "d")
    assert proc.returncode == 1, proc.stderr  # the demo has input errors, as designed
    document, _, rest = proc.stdout.rpartition("}")
    assert rest.strip() == "exit handlers ran"
    report = json.loads(document + "}")
    assert report["errors"] and all(e["cell"] for e in report["errors"])
    version = _entry("--version")
    assert version.returncode == 0
    assert version.stdout.splitlines() == [version.stdout.splitlines()[0], "exit handlers ran"]
    assert version.stdout.startswith("sheetsync, version ")
    missing = _entry("validate", "-c", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("none.yaml: config file not found")


def test_the_quick_exit_waits_for_a_running_thread():
    proc = _entry("--version", thread=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["thread finished", "exit handlers ran"]
