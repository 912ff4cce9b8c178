"""Issue 11 #8 and #9 on Google: messages that say what happened, and a run that cannot stall.

Before: a 502 storm at the token endpoint was blamed on the key file; an ``authorized_user``
file sent its token request to Google's real token URL even with ``endpoint:`` set (and was
then reported as a network problem); one stalled request could hold a run ~5 minutes (read
timeout 300 s, ``retry_seconds`` checked only between attempts).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.backends.google import http_client
from sheetsync.cli import cli
from sheetsync.grid import Grid
from sheetsync.testing.load import load_grids

REGISTER = Grid("案件一覧", [["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "受注予定日"],
                         ["D-1", "更改", "A社", "佐藤", "リード", "2026/12/20"]])


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(http_client, "BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr(http_client, "BACKOFF_CAP_SECONDS", 0.05)


def _config(tmp_path: Path, emulator, credentials: Path, retry: float = 30) -> Path:
    key = load_grids(emulator, {"案件一覧": REGISTER})
    config = tmp_path / "config.yaml"
    config.write_text(
        f"language: en\nspreadsheet: {{backend: google, key: '{key}', credentials: "
        f"'{credentials}', endpoint: '{emulator.base_url}', retry_seconds: {retry}}}\n",
        encoding="utf-8")
    return config


def _validate(config: Path):
    return CliRunner().invoke(cli, ["validate", "-c", str(config), "-f", "json"])


def test_a_few_502s_from_the_token_endpoint_are_retried(tmp_path, emulator,
                                                        service_account_key) -> None:
    config = _config(tmp_path, emulator, service_account_key)
    emulator.faults.fail_next(3, 502, kinds={"token"}, retry_after=None)
    result = _validate(config)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 1


def test_a_502_storm_at_the_token_endpoint_is_not_blamed_on_the_key(
        tmp_path, emulator, service_account_key) -> None:
    config = _config(tmp_path, emulator, service_account_key, retry=1)
    emulator.faults.fail_next(10_000, 502, kinds={"token"}, retry_after=None)
    result = _validate(config)
    assert result.exit_code == 3
    assert "could not get an access token" in result.output
    assert "check the key file" not in result.output and "refused" not in result.output
    emulator.faults.clear()


def test_an_authorized_user_file_asks_the_configured_endpoint_for_its_token(
        tmp_path, emulator) -> None:
    user = tmp_path / "adc.json"
    user.write_text(json.dumps({"type": "authorized_user", "client_id": "id.apps",
                                "client_secret": "secret", "refresh_token": "1//token"}))
    config = _config(tmp_path, emulator, user, retry=2)
    before = emulator.log.count("token") if hasattr(emulator, "log") else None
    result = _validate(config)
    # the emulator, like Google for a bad grant, refuses it: a verdict on the credentials,
    # reached at the configured endpoint — not a network problem at oauth2.googleapis.com
    assert result.exit_code == 3
    assert "refused the credentials" in result.output, result.output
    assert "network" not in result.output and "oauth2.googleapis.com" not in result.output
    if before is not None:
        assert emulator.log.count("token") > before
    assert "secret" not in result.output and "1//token" not in result.output


def test_a_stalled_request_cannot_outlast_retry_seconds(tmp_path, emulator, monkeypatch,
                                                        service_account_key) -> None:
    config = _config(tmp_path, emulator, service_account_key, retry=1)
    monkeypatch.setattr(http_client, "MIN_READ_SECONDS", 1.0)
    emulator.faults.latency = 30.0  # every answer takes 30 s: a stalled connection
    start = time.monotonic()
    try:
        result = _validate(config)
    finally:
        emulator.faults.latency = 0.0
    elapsed = time.monotonic() - start
    assert result.exit_code == 3, result.output
    # the first request (the token's) stalls: it is given up on, with a clear line
    assert "after 1 attempt over 1." in result.output
    assert elapsed < 15  # bounded by retry_seconds (1 s here), not by the 300 s read timeout
