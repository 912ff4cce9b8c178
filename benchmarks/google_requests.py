"""Google through the emulator: requests, bytes and client memory of a `sheetsync run`.

    python benchmarks/google_requests.py              # 2,000, 10,000 and 100,000 deals
    python benchmarks/google_requests.py --sizes 10000 50000

(Not ``google.py``: with ``benchmarks/`` on ``sys.path``, as every script here puts it, a
module named ``google`` would hide the ``google`` namespace package of google-auth.)

The emulator runs as a separate process (``python -m sheetsync.testing.emulator``) behind a
counting proxy in this process: every Sheets API request the client sends passes through it,
with its headers as sent, and it records the method, the request body's bytes and the
answer's bytes twice — on the wire (gzip-encoded when the client asks as Google wants it
asked: ``Accept-Encoding: gzip`` and ``gzip`` in the User-Agent, which sheetsync does and
a plain gspread client does not) and as decoded JSON. The token endpoint is not
a Sheets API request and is left out of the counts.

Per size: the synthetic register of ``benchmarks/registers.py`` (3 % messy cells, 0.5 %
invalid) and a 目標 tab are loaded straight into the emulator; `sheetsync run` (the real
CLI, in a subprocess) runs once to create the history snapshot, then once more — the
steady state a scheduled job sees every time — and that run is measured: its requests, the
bytes its reads received (on the wire and decoded), their ratios to the register's own
values (one plain ``values:batchGet`` of the register tab alone, as JSON: the least any
tool must decode), and the client's peak RSS (``wait4``'s ``ru_maxrss`` of that subprocess).

Next to it, the anchor a team would write instead: a plain gspread job doing the same
read and writes as a gspread-dataframe script does — ``open_by_key``, ``get_all_values`` of
every tab sheetsync reads that exists, then per tab sheetsync writes ``worksheet.clear()``
and ``worksheet.update()`` with the values sheetsync wrote (formats, charts and atomicity
aside; a tab whose values pass Google's 10 MiB request limit in several updates). Syncs
per minute are what the per-user quota of 60 read and 60 write requests a minute allows
(the smaller of the two).

Never run by the test suite (it takes minutes at 100,000 deals).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from registers import make_register  # noqa: E402
from run import measured, targets_grid  # noqa: E402

from sheetsync.testing.load import load_grids_over_http  # noqa: E402

AS_OF = dt.date(2026, 11, 26)
ANCHOR_BODY_BYTES = 9_000_000
QUOTA_PER_MINUTE = 60  # read requests and write requests, each, per minute per user
REGISTER = "案件一覧"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
        "proxy-connection", "te", "upgrade"}


@dataclass
class Logged:
    method: str
    kind: str
    sent: int
    #: the answer's bytes on the wire (gzip-encoded when the client asked as Google wants)
    received: int
    #: the answer's JSON bytes once decoded (= received when it came plain)
    decoded: int = 0

    @property
    def category(self) -> str:
        if self.kind == "token":
            return "token"
        return "write" if self.method in ("POST", "PUT", "DELETE") and not self.kind.endswith(
            ("batchGet", "Get", "get")) else "read"


def kind_of(method: str, path: str) -> str:
    """``spreadsheets.get``, ``values.batchUpdate`` … from a request line.

    >>> kind_of("GET", "/v4/spreadsheets/abc/values:batchGet")
    'values.batchGet'
    >>> kind_of("POST", "/v4/spreadsheets/abc:batchUpdate")
    'spreadsheets.batchUpdate'
    """
    if path.startswith("/token"):
        return "token"
    if m := re.search(r"/values:(\w+)$", path):
        return f"values.{m.group(1)}"
    if "/values/" in path:
        return {"GET": "values.get", "PUT": "values.update"}.get(method, "values.other") + (
            ".clear" if path.endswith(":clear") else "")
    if m := re.search(r"/v4/spreadsheets/[^/:]+:(\w+)$", path):
        return f"spreadsheets.{m.group(1)}"
    if re.search(r"/v4/spreadsheets/[^/:]+$", path):
        return "spreadsheets.get"
    if path.rstrip("/") == "/v4/spreadsheets":
        return "spreadsheets.create"
    return "other"


@dataclass
class Proxy:
    """A counting HTTP proxy in front of ``upstream`` (http://host:port)."""

    upstream: str
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        parts = urlsplit(self.upstream)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                # passed on as the client sent them (Accept-Encoding, User-Agent): the
                # answer comes back gzip-encoded only if the client asked as Google wants
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn = http.client.HTTPConnection(host, port, timeout=600)
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()  # http.client does not decode: the wire bytes
                conn.close()
                zipped = (answer.getheader("Content-Encoding") or "").lower() == "gzip"
                decoded = len(gzip.decompress(data)) if zipped and data else len(data)
                self.send_response(answer.status, answer.reason)
                for k, v in answer.getheaders():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                path = self.path.split("?")[0]
                with proxy.lock:
                    proxy.log.append(Logged(self.command, kind_of(self.command, path),
                                            len(body), len(data), decoded))

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self) -> list[Logged]:
        with self.lock:
            out, self.log = self.log, []
        return [e for e in out if e.kind != "token"]


class _Session:
    """The ``request(method, url, json=, data=, headers=)`` that load_grids_over_http uses."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base
        self.s = requests.Session()
        self.s.headers["Authorization"] = "Bearer benchmark"

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        url = url.replace("https://sheets.googleapis.com", self.base)
        r = self.s.request(method, url, **kwargs)
        r.raise_for_status()
        return r


def start_emulator(folder: Path) -> tuple[subprocess.Popen[str], str, Path]:
    key = folder / "sa.json"
    proc = subprocess.Popen([sys.executable, "-m", "sheetsync.testing.emulator", "--port", "0",
                             "--key-out", str(key)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert proc.stdout is not None
    base = proc.stdout.readline().strip()
    return proc, base, key


def run_cli(config: Path) -> tuple[int, float, float]:
    """`sheetsync run` in a subprocess: (exit code, seconds, peak RSS MB), measured as
    benchmarks/run.py measures it (a launcher's child, not this big process's)."""
    command = [sys.executable, "-m", "sheetsync", "run", "--as-of", AS_OF.isoformat(),
               "--config", str(config), "--format", "json"]
    seconds, rss, code, err = measured(command, config.parent)
    if code not in (0, 1):
        raise RuntimeError(f"sheetsync run exited {code}: {err}")
    return code, seconds, rss


def anchor_job(base: str, key_file: Path, sid: str, read_tabs: list[str],
               written: dict[str, list[list[Any]]]) -> None:
    """The plain gspread job: read what sheetsync reads, write what it writes, tab by tab."""
    import gspread
    from google.oauth2.service_account import Credentials

    from sheetsync.testing.fixtures import emulator_http_client

    creds = Credentials.from_service_account_file(
        str(key_file), scopes=["https://www.googleapis.com/auth/spreadsheets"])
    client = gspread.Client(auth=creds, http_client=emulator_http_client(base))
    book = client.open_by_key(sid)
    sheets = {ws.title: ws for ws in book.worksheets()}
    for name in read_tabs:
        if name in sheets:
            sheets[name].get_all_values()
    for name, values in written.items():
        ws = sheets[name]
        ws.clear()
        # one update per tab, cut where a body would pass Google's 10 MiB request limit
        # (a bigger one is refused: 400 "Request payload size exceeds the limit")
        first = 0
        while first < len(values):
            size, stop = 0, first
            while stop < len(values) and (stop == first or size < ANCHOR_BODY_BYTES):
                # (requests encodes json= bodies ASCII-only: 日本語 as \uXXXX escapes)
                size += len(json.dumps(values[stop])) + 1
                stop += 1
            ws.update(values[first:stop], f"A{first + 1}", value_input_option="USER_ENTERED")
            first = stop


def summarise(entries: list[Logged]) -> dict[str, Any]:
    reads = [e for e in entries if e.category == "read"]
    writes = [e for e in entries if e.category == "write"]
    per_minute = QUOTA_PER_MINUTE / max(len(reads), len(writes), 1)
    return {"requests": len(entries), "reads": len(reads), "writes": len(writes),
            "read_mb": sum(e.received for e in reads) / 1e6,
            "decoded_mb": sum(e.decoded for e in reads) / 1e6,
            "read_wire_mb": [e.received / 1e6 for e in reads],
            "read_decoded_mb": [e.decoded / 1e6 for e in reads],
            "sent_mb": sum(e.sent for e in writes) / 1e6,
            "largest_write_mb": max((e.sent for e in writes), default=0) / 1e6,
            "syncs_per_minute": per_minute,
            "kinds": [e.kind for e in entries],
            "sizes": [(e.received if e.category == "read" else e.sent) / 1e6 for e in entries]}


def measure(size: int, folder: Path) -> dict[str, Any]:
    proc, emulator_base, key = start_emulator(folder)
    try:
        proxy = Proxy(emulator_base)
        base = proxy.start()
        grid = make_register(size, messy=0.03, invalid=0.005, seed=size)
        sid = load_grids_over_http(_Session(emulator_base), [grid, targets_grid()],
                                   title=f"bench {size}")
        del grid
        config = folder / "google.yaml"
        config.write_text(f"spreadsheet:\n  backend: google\n  key: '{sid}'\n"
                          f"  credentials: {key.name}\n  endpoint: '{base}'\n"
                          # the emulator (pure Python) takes minutes on a 100,000-deal batch
                          "  retry_seconds: 1800\n",
                          encoding="utf-8")
        session = _Session(base)
        values = session.request("get", f"{base}/v4/spreadsheets/{sid}/values:batchGet",
                                 params={"ranges": [f"'{REGISTER}'"],
                                         "valueRenderOption": "UNFORMATTED_VALUE",
                                         "dateTimeRenderOption": "SERIAL_NUMBER",
                                         "prettyPrint": "false"})
        register_mb = len(values.content) / 1e6
        proxy.take()
        run_cli(config)  # the first run: creates the snapshot and every tab
        first = summarise(proxy.take())
        code, seconds, rss = run_cli(config)
        steady = summarise(proxy.take())
        # what sheetsync wrote, as plain values, for the anchor job to write again
        meta = session.request("get", f"{base}/v4/spreadsheets/{sid}",
                               params={"fields": "sheets.properties.title"}).json()
        titles = [s["properties"]["title"] for s in meta["sheets"]]
        owned = [t for t in titles if t not in (REGISTER, "目標")]
        got = session.request("get", f"{base}/v4/spreadsheets/{sid}/values:batchGet",
                              params={"ranges": [f"'{t}'" for t in owned],
                                      "valueRenderOption": "FORMULA"}).json()
        if "valueRanges" not in got:
            raise RuntimeError(f"reading back the tabs sheetsync wrote: {str(got)[:500]}")
        written = {t: r.get("values") or [[""]] for t, r in zip(owned, got["valueRanges"])}
        del got
        proxy.take()
        read_tabs = [REGISTER, "目標", "_sheetsync_state", "変更履歴", "_sheetsync_forecast",
                     "_sheetsync_removed"]
        anchor_job(base, key, sid, read_tabs, written)
        anchor = summarise(proxy.take())
    finally:
        proc.terminate()
        proc.wait()
    return {"size": size, "register_mb": register_mb, "first": first, "steady": steady,
            "seconds": seconds, "rss_mb": rss, "anchor": anchor, "exit": code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000, 100_000])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    cores = os.cpu_count()
    print(f"sheetsync run against the emulator behind a counting proxy — {cores} CPU cores, "
          f"Python {sys.version.split()[0]}")
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="sheetsync-google-bench-") as tmp:
            r = measure(size, Path(tmp))
        results.append(r)
        s, a, f = r["steady"], r["anchor"], r["first"]
        reg = r["register_mb"] or float("nan")
        print(f"\n{size:,} deals (register values {r['register_mb']:.2f} MB as JSON)")
        print(f"  {'':<22}{'requests':>9}{'reads':>7}{'writes':>7}{'wire MB':>9}"
              f"{'× register':>11}{'JSON MB':>9}{'× register':>11}{'sent MB':>9}"
              f"{'max MB':>8}{'syncs/min':>10}")
        for label, x in (("sheetsync (1st run)", f), ("sheetsync (steady)", s),
                         ("gspread anchor", a)):
            print(f"  {label:<22}{x['requests']:>9}{x['reads']:>7}{x['writes']:>7}"
                  f"{x['read_mb']:>9.2f}{x['read_mb'] / reg:>10.2f}×"
                  f"{x['decoded_mb']:>9.1f}{x['decoded_mb'] / reg:>10.2f}×"
                  f"{x['sent_mb']:>9.1f}{x['largest_write_mb']:>8.1f}"
                  f"{x['syncs_per_minute']:>10.1f}")
        reads = [k for k in s["kinds"] if k in ("spreadsheets.get", "values.batchGet")]
        print("  steady reads, wire / JSON: " + " + ".join(
            f"{k} {w:.2f} / {d:.1f} MB ({w / reg:.2f}× / {d / reg:.2f}×)"
            for k, w, d in zip(reads, s["read_wire_mb"], s["read_decoded_mb"])))
        print("  steady run: " + " + ".join(
            f"{k} ({mb:.1f} MB)" for k, mb in zip(s["kinds"], s["sizes"])))
        print(f"  steady run: {r['seconds']:.1f} s wall, client peak RSS {r['rss_mb']:.0f} MB, "
              f"reads {s['read_mb'] / reg:.2f}× the register's values on the wire "
              f"({s['decoded_mb'] / reg:.2f}× decoded); requests vs the anchor "
              f"{s['requests']} / {a['requests']}")
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
