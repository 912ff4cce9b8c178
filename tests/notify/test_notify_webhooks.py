"""`sheetsync notify` to Slack and Google Chat webhooks — a real HTTP server on 127.0.0.1.

One message per rep and one for the team on each webhook, with mentions; 429 and 500 answers
retried with backoff; a webhook that keeps failing does not stop the other (exit 3); a 404
is not retried; the webhook URLs (whose path and query are the secret) appear nowhere — not
in the output, the JSON, the errors or any log record.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from click.testing import CliRunner
from notify_servers import AS_OF, Project, WebhookSink

from sheetsync.cli import cli

SLACK_PATH = "/services/T0001/B0002/slackSecretToken123"
CHAT_PATH = "/v1/spaces/AAAA/messages"
CHAT_QUERY = "?key=chatSecretKey456&token=chatSecretToken789"
SECRETS = ("slackSecretToken123", "chatSecretKey456", "chatSecretToken789")


@pytest.fixture
def hooks(webhook_server: WebhookSink, demo_project: Project, monkeypatch
          ) -> tuple[WebhookSink, Any]:
    monkeypatch.setenv("TEST_SLACK_HOOK", webhook_server.base_url + SLACK_PATH)
    monkeypatch.setenv("TEST_CHAT_HOOK", webhook_server.base_url + CHAT_PATH + CHAT_QUERY)
    config = demo_project.config("""
slack:
  webhook_env: TEST_SLACK_HOOK
  mentions: {佐藤 健: U012AB3CD}
google_chat:
  webhook_env: TEST_CHAT_HOOK
  mentions: {鈴木　美咲: users/1234567890}
retry: {attempts: 3, backoff_seconds: 0.001, max_wait_seconds: 0.01}
""")

    def notify(*extra: str) -> Any:
        return CliRunner().invoke(cli, ["notify", "--config", str(config), "--as-of",
                                        AS_OF.isoformat(), *extra])

    return webhook_server, notify


def test_one_message_per_rep_and_one_for_the_team_on_each_webhook(hooks) -> None:
    server, notify = hooks
    result = notify("--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    reps = ["佐藤 健", "鈴木 美咲", "高橋 翔太", "田中 由美", "伊藤 大輔", "渡辺 彩"]
    assert [(d["channel"], d["to"], d["owner"]) for d in data["digests"]] == [
        *((c, f"$TEST_{'SLACK' if c == 'slack' else 'CHAT'}_HOOK", r)
          for r in reps for c in ("slack", "google_chat")),
        ("slack", "$TEST_SLACK_HOOK", None), ("google_chat", "$TEST_CHAT_HOOK", None)]
    assert (data["sent"], data["failed"]) == (14, 0)

    slack = server.to(SLACK_PATH)
    chat = server.to(CHAT_PATH)
    assert len(slack) == len(chat) == 7
    assert all(p.headers["Content-Type"] == "application/json; charset=UTF-8"
               for p in server.posts)
    assert [p.path for p in server.posts if p.path.startswith(CHAT_PATH)] == [
        CHAT_PATH + CHAT_QUERY] * 7  # the query (key, token) is sent as configured
    sato = slack[0]["text"].splitlines()
    assert sato[0] == f"<@U012AB3CD> *{data['digests'][0]['subject']}*"
    assert sato[0].count("【要フォロー】佐藤 健さん") == 1 and slack[0]["unfurl_links"] is False
    first = data["digests"][0]["followups"][0]
    assert any(line.startswith(f"1. *{first} (案件一覧!A") for line in sato)
    assert chat[1]["text"].startswith("<users/1234567890> *【要フォロー】鈴木 美咲さん")
    assert not chat[0]["text"].startswith("<")  # 佐藤 has no Chat mention
    assert slack[-1]["text"].startswith("*【チーム】要フォロー ")
    assert "目標未達の担当者" in chat[-1]["text"]


def test_429_and_500_are_retried_with_backoff(hooks) -> None:
    server, notify = hooks
    server.script[SLACK_PATH] = [429, 500]
    server.script[CHAT_PATH] = [503]
    result = notify("--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["failed"] == 0
    statuses = [p.status for p in server.posts if p.path == SLACK_PATH]
    assert [p.status for p in server.posts if p.path.startswith(CHAT_PATH)][:2] == [503, 200]
    assert statuses[:3] == [429, 500, 200] and len(statuses) == 9  # 7 messages, 2 retries
    assert len(server.to(SLACK_PATH)) == 7 and len(server.to(CHAT_PATH)) == 7


def test_a_webhook_that_keeps_failing_does_not_stop_the_other_and_no_secret_shows(
        hooks, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every request's path at DEBUG
    server, notify = hooks
    server.script[CHAT_PATH] = [500] * 100
    result = notify("--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert (data["sent"], data["failed"]) == (7, 7)
    assert len(server.to(SLACK_PATH)) == 7
    assert len([p for p in server.posts if p.path.startswith(CHAT_PATH)]) == 7 * 3
    assert "the webhook in $TEST_CHAT_HOOK answered HTTP 500; gave up after 3 tries" in (
        caplog.text)
    text = notify("--force")
    assert text.exit_code == 3
    assert ("失敗: Google Chat → $TEST_CHAT_HOOK (佐藤 健) — the webhook in $TEST_CHAT_HOOK "
            "answered HTTP 500; gave up after 3 tries") in text.stdout
    assert any("POST" in r.getMessage() for r in caplog.records if r.name.startswith("urllib3"))
    shown = [result.output, text.output, json.dumps(data), caplog.text,
             *(r.getMessage() for r in caplog.records)]
    for secret in SECRETS:
        assert not [s for s in shown if secret in s], secret


def test_a_refusing_webhook_is_not_retried_and_an_unreachable_one_names_no_url(
        hooks, monkeypatch, caplog) -> None:
    server, notify = hooks
    server.script[SLACK_PATH] = [404] * 100
    result = notify("--format", "json")
    assert result.exit_code == 3
    assert len([p for p in server.posts if p.path == SLACK_PATH]) == 7  # once each
    monkeypatch.setenv("TEST_SLACK_HOOK", "http://127.0.0.1:9" + SLACK_PATH)  # nothing there
    result = notify("--force")
    assert result.exit_code == 3
    assert "cannot reach the webhook in $TEST_SLACK_HOOK (ConnectionError)" in result.stdout
    for secret in SECRETS:
        assert secret not in result.output and secret not in caplog.text


def test_a_missing_or_wrong_variable_is_a_config_error_naming_only_the_variable(
        hooks, monkeypatch) -> None:
    server, notify = hooks
    monkeypatch.delenv("TEST_CHAT_HOOK")
    result = notify()
    assert result.exit_code == 2
    assert ("notify.google_chat.webhook_env: 環境変数 TEST_CHAT_HOOK が設定されていません"
            in result.stderr)
    assert not server.posts  # checked before anything was sent
    monkeypatch.setenv("TEST_CHAT_HOOK", "chatSecretKey456")
    result = notify()
    assert result.exit_code == 2
    assert "環境変数 TEST_CHAT_HOOK の値が http(s) の URL ではありません" in result.stderr
    assert "chatSecretKey456" not in result.output


def test_dry_run_sends_nothing_and_prints_every_message(hooks) -> None:
    server, notify = hooks
    result = notify("--dry-run")
    assert result.exit_code == 0, result.output
    assert not server.posts
    assert result.stdout.count("── Slack → $TEST_SLACK_HOOK") == 7
    assert result.stdout.count("── Google Chat → $TEST_CHAT_HOOK") == 7
    assert "<@U012AB3CD> *【要フォロー】佐藤 健さん" in result.stdout
    assert result.stdout.rstrip().endswith("--dry-run: 14通（何も送信していません）")
    for secret in SECRETS:
        assert secret not in result.output
