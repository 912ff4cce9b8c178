"""`sheetsync notify` by mail, through a real SMTP server on 127.0.0.1 (aiosmtpd).

What each rep receives (headers, RFC 2047 subject, both parts, charsets, links), what the
JSON says, a refused recipient that does not stop the others (exit 3), a busy server retried,
the password read from its variable and never shown.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from click.testing import CliRunner
from notify_servers import AS_OF, SMTP_PASSWORD, SMTP_USER, Project, SmtpSink

from sheetsync.cli import cli

FAST = "retry: {attempts: 3, backoff_seconds: 0.001, max_wait_seconds: 0.01}"


def _notify(project: Project, port: int, *extra: str, more: str = "") -> Any:
    config = project.config(f"""
owner_emails:
  佐藤　健: sato@example.co.jp
  鈴木 美咲: suzuki@example.co.jp
  田中 由美: tanaka@example.co.jp
managers: [manager@example.co.jp]
email: {{host: 127.0.0.1, port: {port}, security: none, from: "営業管理 <sheetsync@example.co.jp>"}}
{FAST}
{more}""")
    return CliRunner().invoke(cli, ["notify", "--config", str(config), "--as-of",
                                    AS_OF.isoformat(), *extra])


def _run_json(project: Project) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["run", "--config", str(project.folder / "config.yaml"),
                                      "--as-of", AS_OF.isoformat(), "--dry-run",
                                      "--format", "json"])
    return json.loads(result.stdout)


def test_each_rep_and_the_manager_get_a_utf8_multipart_mail(demo_project: Project,
                                                           smtp_server: SmtpSink) -> None:
    result = _notify(demo_project, smtp_server.port, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"digests", "sent", "failed"}
    assert (data["sent"], data["failed"]) == (4, 0)
    assert all(set(d) == {"channel", "to", "owner", "subject", "followups", "errors"}
               for d in data["digests"])
    assert [(d["channel"], d["to"], d["owner"]) for d in data["digests"]] == [
        ("email", "sato@example.co.jp", "佐藤 健"), ("email", "suzuki@example.co.jp", "鈴木 美咲"),
        ("email", "tanaka@example.co.jp", "田中 由美"),
        ("email", "manager@example.co.jp", None)]
    assert sorted(rcpt for _, (rcpt,) in smtp_server.envelopes) == sorted(
        d["to"] for d in data["digests"])

    # 佐藤's top five are their follow-ups of the run, by impact; their cells are their errors
    run = _run_json(demo_project)
    mine = sorted((r for r in run["stale"] if r["owner"] == "佐藤 健"),
                  key=lambda r: -(r["impact"] if r["impact"] is not None else -1))
    sato = data["digests"][0]
    assert sato["followups"] == [r["deal_id"] for r in mine[:5]]
    errors = run["validation"]["errors"]
    assert sato["errors"] and set(sato["errors"]) <= {e["cell"] for e in errors}
    head = f"【要フォロー】佐藤 健さん {len(mine)}件・入力エラー {len(sato['errors'])}件"
    assert re.fullmatch(re.escape(head) + r"（FY2026-Q3 コミット着地 ¥[\d,]+ / 目標 ¥[\d,]+）",
                        sato["subject"])

    (raw,) = [r for r, (_, rcpts) in zip(smtp_server.raw, smtp_server.envelopes)
              if rcpts == ["sato@example.co.jp"]]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and re.search(rb"^Subject: =\?utf-8\?[bq]\?", head, re.M | re.I)
    (mail,) = smtp_server.to("sato@example.co.jp")
    assert mail["Subject"] == sato["subject"]
    assert mail["To"] == "sato@example.co.jp"
    assert mail["From"].addresses[0].display_name == "営業管理"
    assert mail["From"].addresses[0].addr_spec == "sheetsync@example.co.jp"
    assert mail["Message-ID"] and mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    plain, rich = mail.iter_parts()
    assert (plain.get_content_type(), plain.get_content_charset()) == ("text/plain", "utf-8")
    assert (rich.get_content_type(), rich.get_content_charset()) == ("text/html", "utf-8")
    text, html = plain.get_content(), rich.get_content()
    top = mine[0]
    assert top["deal_id"] in text and top["deal_id"] in html
    row = next(r for r in run["stale"] if r["deal_id"] == top["deal_id"])
    assert row["reasons"]
    # the workbook's links: the cell named in the text, a file: URI with the cell in the HTML
    assert re.search(r"→ 案件一覧!A\d+", text)
    workbook_uri = (demo_project.folder / "deals.xlsx").resolve().as_uri()
    assert f'href="{workbook_uri}#&#x27;案件一覧&#x27;!A' in html
    for cell in sato["errors"]:
        assert f"- {cell} " in text and f">{cell}</a>" in html

    (team,) = smtp_server.to("manager@example.co.jp")
    assert team["Subject"].startswith("【チーム】要フォロー ")
    assert "目標未達の担当者" in team.get_body(("plain",)).get_content()


def test_a_refused_recipient_does_not_stop_the_others(demo_project: Project,
                                                     smtp_server: SmtpSink) -> None:
    smtp_server.refuse.add("tanaka@example.co.jp")
    result = _notify(demo_project, smtp_server.port)
    assert result.exit_code == 3, result.output
    assert smtp_server.attempts["tanaka@example.co.jp"] == 1  # 550: permanent, not retried
    received = sorted(r for _, (r,) in smtp_server.envelopes)
    assert received == ["manager@example.co.jp", "sato@example.co.jp", "suzuki@example.co.jp"]
    assert ("失敗: メール → tanaka@example.co.jp (田中 由美) — recipient refused (550 5.1.1 "
            "<tanaka@example.co.jp>: no such user)") in result.stdout
    assert result.stdout.rstrip().endswith("送信 3件・失敗 1件")


def test_a_busy_server_is_tried_again(demo_project: Project, smtp_server: SmtpSink) -> None:
    smtp_server.busy["suzuki@example.co.jp"] = 2  # 451 twice, then accepted
    result = _notify(demo_project, smtp_server.port, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["failed"] == 0
    assert smtp_server.attempts["suzuki@example.co.jp"] == 3
    assert len(smtp_server.to("suzuki@example.co.jp")) == 1

    smtp_server.busy["sato@example.co.jp"] = 99  # busy for good: gives up after 3 tries
    again = _notify(demo_project, smtp_server.port, "--force", "--format", "json")
    assert again.exit_code == 3
    assert json.loads(again.stdout)["failed"] == 1
    assert smtp_server.attempts["sato@example.co.jp"] == 1 + 3


def test_the_password_comes_from_its_variable_and_is_never_shown(
        demo_project: Project, smtp_auth_server: SmtpSink, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    more = f"""email:
  host: 127.0.0.1
  port: {smtp_auth_server.port}
  security: none
  username: {SMTP_USER}
  password_env: TEST_SMTP_PASSWORD
  from: sheetsync <{SMTP_USER}>"""
    config = demo_project.config(f"owner_emails: {{佐藤 健: sato@example.co.jp}}\n{FAST}\n"
                                 + more)
    args = ["notify", "--config", str(config), "--as-of", AS_OF.isoformat()]

    missing = CliRunner().invoke(cli, args)
    assert missing.exit_code == 2
    assert ("notify.email.password_env: 環境変数 TEST_SMTP_PASSWORD が設定されていません"
            in missing.stderr)  # the config's language (ja); names the variable only
    assert not smtp_auth_server.raw

    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-" + SMTP_PASSWORD)
    wrong = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert wrong.exit_code == 3 and json.loads(wrong.stdout)["failed"] == 1
    assert "login refused by 127.0.0.1 (535)" in caplog.text  # the log line of the failure

    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    ok = CliRunner().invoke(cli, args)  # the failed day was given back: not refused
    assert ok.exit_code == 0, ok.output
    assert smtp_auth_server.logins[-1] == (SMTP_USER, SMTP_PASSWORD)
    assert len(smtp_auth_server.to("sato@example.co.jp")) == 1
    shown = [missing.output, wrong.output, ok.output, caplog.text,
             *(r.getMessage() for r in caplog.records)]
    for text in shown:
        assert SMTP_PASSWORD not in text


def test_mail_cannot_go_without_a_server_or_over_plain_text_to_another_host(
        demo_project: Project, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "x")
    no_server = demo_project.config("owner_emails: {佐藤 健: sato@example.co.jp}")
    result = CliRunner().invoke(cli, ["notify", "-c", str(no_server), "--as-of", "2026-12-04"])
    assert result.exit_code == 2
    assert "notify.email.host: 設定されていないため、メールを送れません" in result.stderr
    plain = demo_project.config("""owner_emails: {佐藤 健: sato@example.co.jp}
email: {host: smtp.example.co.jp, security: none, username: u@example.co.jp,
        password_env: TEST_SMTP_PASSWORD}""", name="plain.yaml")
    result = CliRunner().invoke(cli, ["notify", "-c", str(plain), "--as-of", "2026-12-04"])
    assert result.exit_code == 2
    assert ("security: none ではパスワードが暗号化されずに smtp.example.co.jp へ送られます"
            in result.stderr)
