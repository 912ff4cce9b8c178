"""Load the demo register into a Google-shaped API (the emulator) and print the new key.

``python -m sheetsync.testing.load_demo --endpoint http://127.0.0.1:8765 --key key.json``

It writes the demo workbook (as ``sheetsync demo`` does) to a temporary folder, reads it
with the workbook backend, creates a spreadsheet through the API with the key's service
account (the real google-auth JWT flow against the key's ``token_uri``) and writes the same
cells with one batchUpdate. The only line on stdout is the spreadsheet key, so a shell can
capture it: ``KEY=$(python -m sheetsync.testing.load_demo …)``. On any failure stdout stays
empty, a message goes to stderr and the exit code is non-zero (2 usage, 3 the API or the key
file); it waits a little for the key file, which the emulator started just before writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import gspread

from ..backends.google.credentials import credentials_from_file
from ..backends.google.http_client import sheets_http_client
from ..backends.workbook import WorkbookBackend
from ..demo import write_demo_workbook
from ..errors import SheetsyncError
from .load import load_grids_over_http


def load_demo(endpoint: str | None, key_path: Path, *, today: dt.date,
              language: str = "ja", seed: int = 7, wait_seconds: float = 0.0) -> str:
    """Create a spreadsheet holding the demo register; returns its key.

    ``wait_seconds``: how long to wait for ``key_path`` to appear — the emulator started in
    the background a moment ago may not have written it yet.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deals.xlsx"
        write_demo_workbook(path, today=today, seed=seed, language=language)
        grids = WorkbookBackend(path).read().grids
    _wait_for_file(key_path, wait_seconds)
    creds = credentials_from_file(key_path)
    client = gspread.Client(auth=creds, http_client=sheets_http_client(
        endpoint=endpoint, retry_seconds=30))
    title = "案件管理 (sheetsync demo)" if language == "ja" else "Deals (sheetsync demo)"
    return load_grids_over_http(client.http_client, grids, title)


def _wait_for_file(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sheetsync.testing.load_demo",
        description="Create a spreadsheet holding sheetsync's demo register; print its key.")
    parser.add_argument("--endpoint", help="API root, e.g. the emulator's http://127.0.0.1:8765 "
                        "(default: Google)")
    parser.add_argument("--key", type=Path, required=True, help="service-account key JSON")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        metavar="YYYY-MM-DD", help="the demo's today (default: today)")
    parser.add_argument("--language", choices=("ja", "en"), default="ja")
    parser.add_argument("--wait", type=float, default=15.0, metavar="SECONDS",
                        help="how long to wait for the key file to appear (default 15)")
    args = parser.parse_args(argv)
    try:
        key = load_demo(args.endpoint, args.key, today=args.as_of or dt.date.today(),
                        language=args.language, wait_seconds=args.wait)
    except SheetsyncError as exc:
        # Fail loudly: nothing on stdout, so `KEY=$(…)` is empty and the caller can tell.
        print(f"load_demo: {exc}", file=sys.stderr)
        if args.endpoint:
            print(f"load_demo: is the emulator running at {args.endpoint}? Start it first: "
                  f"python -m sheetsync.testing.emulator --port PORT --key-out {args.key} &",
                  file=sys.stderr)
        return exc.exit_code
    print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
