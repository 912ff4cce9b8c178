"""gzip on the wire, as Google does it (issue 14).

Google's APIs answer gzip-encoded only when a request both accepts gzip
(``Accept-Encoding``) and carries the string ``gzip`` in its User-Agent (its performance
guide; the recorded gspread traffic, sent as ``python-requests/…``, came back plain). The
emulator does exactly that, and sheetsync's HTTP client asks for it: the reads of a run
arrive compressed, and what sheetsync reads is the same as without.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.google.http_client import user_agent
from sheetsync.cli import cli
from sheetsync.grid import Grid
from sheetsync.testing.emulator import Emulator
from sheetsync.testing.load import load_grids

AS_OF = dt.date(2026, 11, 26)
ROOT = Path(__file__).resolve().parent.parent
HEADER = ["案件ID", "会社名", "担当者", "フェーズ", "金額", "確度", "受注予定日", "最終更新日"]


def _register(n: int = 60) -> Grid:
    rows: list[list[object]] = [HEADER]
    for i in range(n):
        rows.append([f"D-{i:04d}", f"株式会社テスト{i % 7}", ["佐藤", "鈴木", "高橋"][i % 3],
                     ["提案", "見積", "交渉"][i % 3], 1_000_000 + 10_000 * i, 0.5,
                     dt.date(2026, 12, 1) + dt.timedelta(days=i % 40),
                     dt.date(2026, 11, 1) + dt.timedelta(days=i % 20)])
    return Grid("案件一覧", rows)


def _plain_backend(backend: GoogleBackend) -> GoogleBackend:
    """``backend`` with the User-Agent of a client that does not ask for gzip."""
    backend.http.session.headers["User-Agent"] = requests.utils.default_user_agent()
    return backend


def test_the_client_says_gzip_in_its_user_agent_and_accepts_it(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = load_grids(emulator, [_register(3)])
    backend = GoogleBackend(sid, credentials_from_file(service_account_key),
                            endpoint=emulator.base_url)
    headers = backend.http.session.headers
    agent = str(headers["User-Agent"])
    assert agent.startswith("sheetsync/") and "(gzip)" in agent
    # whatever requests put there stays (gspread and google-auth add no agent of their own)
    assert agent.endswith(requests.utils.default_user_agent())
    assert "gzip" in str(headers["Accept-Encoding"])
    assert user_agent(agent) == agent  # not prefixed twice


def test_reads_arrive_gzip_encoded_and_read_the_same_as_plain(
        emulator: Emulator, service_account_key: Path) -> None:
    sid = load_grids(emulator, [_register()])
    creds = credentials_from_file(service_account_key)
    emulator.reset_log()
    zipped = GoogleBackend(sid, creds, endpoint=emulator.base_url).read(["案件一覧"])
    reads = [e for e in emulator.log if e.category == "read"]
    assert [e.kind for e in reads] == ["spreadsheets.get", "values.batchGet"]
    for entry in reads:
        assert entry.content_encoding == "gzip"
        assert 0 < entry.wire_bytes < entry.response_bytes
    emulator.reset_log()
    plain = _plain_backend(GoogleBackend(sid, creds, endpoint=emulator.base_url)).read(
        ["案件一覧"])
    reads_plain = [e for e in emulator.log if e.category == "read"]
    assert [e.content_encoding for e in reads_plain] == [None, None]
    assert [e.wire_bytes for e in reads_plain] == [e.response_bytes for e in reads_plain]
    # the same JSON once decoded, so the same grids, tabs and version (a hash of the answers)
    assert [e.response_bytes for e in reads_plain] == [e.response_bytes for e in reads]
    assert plain.grids == zipped.grids and plain.tabs == zipped.tabs
    assert plain.version == zipped.version
    rows = zipped.grids["案件一覧"].rows
    assert rows[0] == HEADER and len(rows) == 61
    assert rows[1][6] == dt.date(2026, 12, 1) and rows[2][4] == 1_010_000


@pytest.mark.parametrize(("accept", "agent", "zipped"), [
    ("gzip, deflate", "sheetsync/0.1.0 (gzip) python-requests/2.32.3", True),
    ("gzip", "my program (gzip)", True),
    ("gzip, deflate", "python-requests/2.32.3", False),   # gspread's default: plain
    ("identity", "my program (gzip)", False),
    ("gzip;q=0, identity", "my program (gzip)", False),
])
def test_the_emulator_gzips_only_when_both_headers_ask(
        emulator: Emulator, accept: str, agent: str, zipped: bool) -> None:
    sid = load_grids(emulator, [_register(5)])
    url = f"{emulator.base_url}/v4/spreadsheets/{sid}/values:batchGet"
    params = {"ranges": "'案件一覧'", "valueRenderOption": "UNFORMATTED_VALUE"}
    headers = {"Authorization": "Bearer t", "Accept-Encoding": accept, "User-Agent": agent}
    with requests.get(url, params=params, headers=headers, stream=True, timeout=30) as r:
        wire = r.raw.read(decode_content=False)
        encoding = r.headers.get("Content-Encoding")
        assert int(r.headers["Content-Length"]) == len(wire)
    body = gzip.decompress(wire) if zipped else wire
    assert encoding == ("gzip" if zipped else None)
    assert wire[:2] == b"\x1f\x8b" if zipped else wire[:1] == b"{"
    data = json.loads(body)
    assert data["valueRanges"][0]["values"][1][:2] == ["D-0000", "株式会社テスト0"]
    # the same bytes as a plain request's, once decoded
    plain = requests.get(url, params=params, timeout=30,
                         headers={"Authorization": "Bearer t", "Accept-Encoding": "identity"})
    assert plain.headers.get("Content-Encoding") is None and plain.content == body


def test_an_error_answer_is_gzipped_too_and_still_read_as_google_json(
        emulator: Emulator) -> None:
    url = f"{emulator.base_url}/v4/spreadsheets/no-such-sheet-0000"
    r = requests.get(url, headers={"Authorization": "Bearer t",
                                   "User-Agent": user_agent(None)}, timeout=30)
    assert r.status_code == 404 and r.headers["Content-Encoding"] == "gzip"
    assert r.json()["error"]["code"] == 404


def test_a_cli_run_reads_gzip_encoded(emulator: Emulator, service_account_key: Path,
                                      tmp_path: Path) -> None:
    """The real CLI: both reads come compressed, far smaller than their JSON."""
    spec = importlib.util.spec_from_file_location("bench_registers",
                                                  ROOT / "benchmarks" / "registers.py")
    assert spec is not None and spec.loader is not None
    registers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(registers)
    sid = load_grids(emulator, [registers.make_register(300, messy=0.03, seed=300)])
    config = tmp_path / "google.yaml"
    config.write_text(f"spreadsheet:\n  backend: google\n  key: '{sid}'\n"
                      f"  credentials: {service_account_key.name}\n"
                      f"  endpoint: '{emulator.base_url}'\n", encoding="utf-8")
    emulator.reset_log()
    result = CliRunner().invoke(cli, ["run", "--as-of", AS_OF.isoformat(), "--config",
                                      str(config), "--format", "json"])
    assert result.exit_code in (0, 1), result.output  # 1: the register's input errors
    assert json.loads(result.output)["validation"]["rows"] == 300
    reads = [e for e in emulator.log if e.category == "read"]
    assert len(reads) == 2 and all(e.content_encoding == "gzip" for e in reads)
    meta = reads[0]
    assert meta.kind == "spreadsheets.get" and meta.wire_bytes * 5 < meta.response_bytes
    writes = [e for e in emulator.log if e.category == "write"]
    assert [e.status for e in writes] == [200]
