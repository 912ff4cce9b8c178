"""``python -m sheetsync.testing.emulator --port PORT [--key-out FILE] [--strict-auth]``.

Prints the base URL as the first line on stdout, serves on 127.0.0.1 until SIGTERM or
Ctrl-C, then exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .emulator import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sheetsync.testing.emulator",
        description="Local Google Sheets API v4 emulator (with an OAuth token endpoint).",
    )
    parser.add_argument(
        "--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument("--key-out", type=Path, help="write a service-account key JSON here")
    parser.add_argument(
        "--strict-auth",
        action="store_true",
        help="accept only tokens issued by /token and apply per-spreadsheet sharing",
    )
    args = parser.parse_args(argv)
    emulator = Emulator(args.port, strict_auth=args.strict_auth).start()
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.key_out is not None:
        info = emulator.make_service_account(edit_all=True)
        args.key_out.write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(emulator.base_url, flush=True)
    if args.key_out is not None:
        print(f"key for {info['client_email']} written to {args.key_out}", file=sys.stderr)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
