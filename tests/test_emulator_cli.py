"""``python -m sheetsync.testing.emulator`` as an independent process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import gspread
from google.oauth2.service_account import Credentials
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from sheetsync.testing.fixtures import emulator_http_client


def test_cli_prints_url_writes_key_and_stops_on_sigterm(tmp_path: Path) -> None:
    key_file = tmp_path / "sa.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sheetsync.testing.emulator",
            "--port",
            "0",
            "--key-out",
            str(key_file),
            "--strict-auth",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and int(base_url.rsplit(":", 1)[1]) > 0
        info = json.loads(key_file.read_text())
        assert info["token_uri"] == f"{base_url}/token" and info["type"] == "service_account"
        creds = Credentials.from_service_account_info(
            info, scopes=["https://www.googleapis.com/auth/spreadsheets"]
        )
        gc = gspread.Client(auth=creds, http_client=emulator_http_client(base_url))
        created = gc.http_client.request(
            "post", SPREADSHEETS_API_V4_BASE_URL, json={"properties": {"title": "cli"}}
        )
        ws = gc.open_by_key(created.json()["spreadsheetId"]).sheet1
        ws.update([["hello"]], "A1")
        assert ws.acell("A1").value == "hello"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
