"""Issue 10 #10: the CLI in the team's language, `schema show` with ./config.yaml, what
`schema apply` says each backend's protection is, and the CLI modules without an import
circle."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync import cli_messages
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google.credentials import credentials_from_file
from sheetsync.backends.workbook import WorkbookBackend
from sheetsync.cli import cli
from sheetsync.cli_messages import translate
from sheetsync.config import NotifyEmailConfig, parse_config
from sheetsync.demo import write_demo_workbook
from sheetsync.errors import SheetsyncError, StateTabError
from sheetsync.notify import dispatch
from sheetsync.notify.channels import SmtpChannel, webhook_url
from sheetsync.tabspec import Column, TabSpec
from sheetsync.testing.emulator import Emulator

TODAY = dt.date(2026, 11, 26)


def config(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


# ------------------------------------------------------------------ errors in ja / en


@pytest.mark.parametrize(("language", "expected"), [
    ("ja", "sheetsync: ワークブックが見つかりません: {path}\n"),
    ("en", "sheetsync: workbook not found: {path}\n"),
])
def test_a_backend_error_is_in_the_configs_language(tmp_path, language, expected):
    path = config(tmp_path, f"spreadsheet: {{path: nope.xlsx}}\nlanguage: {language}\n")
    result = invoke("validate", "-c", str(path))
    assert result.exit_code == 3
    assert result.output == expected.format(path=tmp_path / "nope.xlsx")


def test_a_config_problem_found_after_loading_is_in_ja(tmp_path):
    path = config(tmp_path, "spreadsheet: {backend: google}\nlanguage: ja\n")
    result = invoke("run", "-c", str(path))
    assert result.exit_code == 2
    assert result.output == (f"sheetsync: {path}: spreadsheet.key: backend が google のときは"
                             "必須です（スプレッドシートのキーまたは URL）\n")


def test_a_config_that_cannot_be_read_is_reported_in_english(tmp_path):
    path = config(tmp_path, "language: ja\nlangauge: ja\n")
    result = invoke("validate", "-c", str(path))
    assert result.exit_code == 2 and result.output.startswith(f"sheetsync: {path}: langauge")


def test_the_register_tab_missing_in_ja(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "deals.xlsx")
    path = config(tmp_path, "language: ja\n")
    result = invoke("validate", "-c", str(path))
    assert result.exit_code == 3
    assert result.output == (f"sheetsync: {tmp_path / 'deals.xlsx'}: 案件一覧のタブ 案件一覧 / "
                             "Deals が見つかりません（あるタブ: Sheet1）。別の名前なら設定の "
                             "tabs.register で指定してください\n")


@pytest.mark.parametrize(("env", "hint"), [
    ("ja", "（`sheetsync validate --help` を参照）"),
    ("en", " (see `sheetsync validate --help`)"),
    (None, " (see `sheetsync validate --help`)"),  # no config: English
])
def test_usage_errors_from_the_console_script(tmp_path, env, hint):
    if env is not None:
        config(tmp_path, f"language: {env}\n")
    proc = subprocess.run([sys.executable, "-m", "sheetsync", "validate", "--as-of", "3/31"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    mine = ("「3/31」は日付として読めません（YYYY-MM-DD で指定してください）" if env == "ja"
            else "'3/31' is not a date (use YYYY-MM-DD)")
    # click's own words ("Invalid value for …") stay as click writes them
    assert proc.stderr == f"sheetsync: Invalid value for '--as-of': {mine}{hint}\n"


def test_a_usage_error_follows_the_config_named_on_the_command_line(tmp_path):
    path = config(tmp_path, "language: ja\n", "team.yaml")
    proc = subprocess.run([sys.executable, "-m", "sheetsync", "run", "-c", str(path),
                           "--format", "xml"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("（`sheetsync run --help` を参照）")
    assert "'xml' is not one of" in proc.stderr  # click's wording, untouched


# ------------------------------------------ the catalogue matches what the code raises


def _raised(action) -> str:
    with pytest.raises(SheetsyncError) as info:
        action()
    return str(info.value)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "deals.xlsx"
    write_demo_workbook(path, today=TODAY)
    return path


def _tab() -> TabSpec:
    return TabSpec(name="売上予測", columns=[Column("period", "期間")], rows=[["FY2026-Q3"]])


def test_the_workbooks_messages_are_all_translated(tmp_path, book):
    messages = [
        _raised(lambda: WorkbookBackend(tmp_path / "nope.xlsx").read()),
        _raised(lambda: WorkbookBackend(tmp_path).read()),
    ]
    backend = WorkbookBackend(book, register_tab="案件一覧")
    read = backend.read()
    messages.append(_raised(lambda: backend.write(
        [TabSpec(name="案件一覧", columns=[Column("a", "a")])], read)))
    lock = book.with_name("~$deals.xlsx")
    lock.write_bytes(b"")
    messages.append(_raised(lambda: backend.write([_tab()], read)))
    lock.unlink()
    wb = openpyxl.load_workbook(book)
    wb["案件一覧"]["A5"] = "edited by a rep"
    wb.save(book)
    messages.append(_raised(lambda: backend.write([_tab()], read)))
    for message in messages:
        ja = translate(message, "ja")
        assert ja != message and not re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", ja), message


def test_googles_messages_are_translated(emulator: Emulator, service_account_key: Path,
                                         tmp_path: Path):
    creds = credentials_from_file(service_account_key)
    missing = _raised(lambda: GoogleBackend("1NoSuchSpreadsheetKeyXYZ", creds,
                                            endpoint=emulator.base_url).read())
    assert translate(missing, "ja") == (
        "スプレッドシート 1NoSuchSpreadsheetKeyXYZ が見つかりません: 設定の spreadsheet.key を"
        "確認してください（シートの URL にある長い ID）")
    emulator.strict_auth = True
    owner = emulator.make_service_account("owner@demo.iam.gserviceaccount.com")
    sid = emulator.create_spreadsheet("private", ["案件一覧"], owner=owner["client_email"])
    stranger = tmp_path / "stranger.json"
    emulator.write_service_account_key(stranger, "sheetsync@demo.iam.gserviceaccount.com")
    backend = GoogleBackend(sid, credentials_from_file(stranger), endpoint=emulator.base_url)
    assert translate(_raised(lambda: backend.read()), "ja") == (
        f"スプレッドシート {sid} は サービスアカウント sheetsync@demo.iam.gserviceaccount.com と"
        "共有されていません: 編集者として共有してください")
    unreachable = GoogleBackend("1SomeSpreadsheetKeyXYZ", creds,
                                endpoint="http://127.0.0.1:9", retry_seconds=0.2)
    ja = translate(_raised(lambda: unreachable.read()), "ja")
    assert re.fullmatch(r"127\.0\.0\.1:9 に接続できません（spreadsheets\.get: lost the "
                        r"connection、\d+回・[\d.]+秒試行）。ネットワーク（または設定の "
                        r"spreadsheet\.endpoint）を確認してください", ja), ja


#: one message per catalogue entry, as the code words it
SAMPLES = [
    "workbook not found: /x/deals.xlsx",
    "/x is a folder, not an .xlsx workbook",
    "cannot open /x/deals.xlsx: permission denied (is it locked by another program?)",
    "cannot read /x/deals.xlsx: Input/output error",
    "/x/deals.xlsx changed on disk since it was read at 10:04:05; nothing was written. "
    "Run again to use the current file.",
    "/x/deals.xlsx is open in Excel or LibreOffice (lock file ~$deals.xlsx); close it and run "
    "again — or delete the lock file if no one has it open. Nothing was written.",
    "cannot write /x/deals.xlsx: permission denied (read-only, or locked by another "
    "program?); nothing was written",
    "cannot write /x/deals.xlsx: No space left on device; nothing was written",
    "refusing to write tab '案件一覧': it is the register tab, which belongs to the reps; "
    "nothing was written",
    "/x/deals.xlsx: register tab 案件一覧 / Deals not found (tabs present: Sheet1); set "
    "tabs.register in the config if it has another name",
    "/x/config.yaml: stale.by_stage.foo: not a stage (stages: lead, won)",
    "/x/config.yaml: spreadsheet.key: required for backend google (the spreadsheet key or "
    "its full URL)",
    "/x/deals.xlsx: no header row in 案件一覧; nothing to apply the schema to (run "
    "`sheetsync validate`)",
    "skipped: another runner (host:42) holds this spreadsheet until 2026-11-26 10:00 JST; "
    "nothing was written",
    "skipped: the spreadsheet changed after this run read it (another runner wrote it, or "
    "someone saved it); nothing was written",
    "tabs of the spreadsheet were deleted while sheetsync was writing, twice; nothing was "
    "written — run again",
    "The spreadsheet 1abc is not shared with the account sheetsync runs as: share the sheet "
    "with it as Editor",
    "The spreadsheet 1abc was not found: check spreadsheet.key in the config (the long id in "
    "the sheet's URL)",
    "The Google Sheets API is not enabled for the Cloud project of the service account a@b: "
    "enable it in the Google Cloud console (APIs & Services) and run again",
    "Google refused the credentials of the service account a@b (HTTP 401): check the key "
    "file (a deleted or disabled key must be replaced by a new JSON key)",
    "The spreadsheet 1abc was written by another sheetsync run after this run read it; "
    "nothing was written. Run again to use the current state.",
    "Google Sheets API quota exhausted after 5 attempts over 61.0 s; try again later",
    "could not reach sheets.googleapis.com for values.batchGet (timed out) after 1 attempt "
    "over 60.2 s; check the network (or spreadsheet.endpoint in the config)",
    "could not get an access token for the service account a@b: the token endpoint (the "
    "key's token_uri) failed or was unreachable after 3 attempts over 2.0 s; check the "
    "network",
    "credentials file not found: /x/sa.json",
    "no Google credentials found: set spreadsheet.credentials in the config to a "
    "service-account key file, or GOOGLE_APPLICATION_CREDENTIALS, or run where Application "
    "Default Credentials exist (Cloud Run, GKE, gcloud auth application-default login)",
    "/x/deals.xlsx already exists (edits in it would be lost); pass --force to overwrite it",
    "'3/31' is not a date (use YYYY-MM-DD)",
    # notify (config.py, notify/channels.py, notify/dispatch.py)
    "/x/config.yaml: notify.slack.webhook_env: must be the name of an environment variable "
    "(e.g. SHEETSYNC_SLACK_WEBHOOK) that holds the secret, never the secret",
    "/x/config.yaml: notify.owner_emails.佐藤 健: not a mail address (name@example.co.jp) "
    "(got 'sato')",
    "/x/config.yaml: notify.email.from: must be one address, optionally with a name: "
    '"sheetsync <sheetsync@example.co.jp>" (got \'sheetsync\')',
    "/x/config.yaml: notify.email.host: not set; mail cannot be sent (set notify.email, or "
    "use --dry-run)",
    '/x/config.yaml: notify.email.from: not set (the sender address, e.g. "sheetsync '
    '<sheetsync@example.co.jp>")',
    "/x/config.yaml: notify.email.password_env: not set (the name of the environment "
    "variable holding the SMTP password)",
    "/x/config.yaml: notify.email.password_env: the environment variable "
    "SHEETSYNC_SMTP_PASSWORD is not set",
    "/x/config.yaml: notify.google_chat.webhook_env: the environment variable "
    "SHEETSYNC_CHAT_WEBHOOK does not hold an http(s) URL",
    "/x/config.yaml: notify.email.security: none would send the password to "
    "smtp.example.co.jp unencrypted; use starttls or ssl",
    "--owner '山田': no such 担当者 in the register or the roster (担当者: 佐藤 健, 鈴木 美咲)",
    "already sent on 2026-12-04 for this config; nothing was sent (--force sends again)",
    # a damaged state tab (history.py)
    str(StateTabError("_sheetsync_state", "missing_chunks", "178 chunks expected, 120 found")),
]


def test_every_catalogue_entry_translates_a_message_the_code_writes():
    used = set()
    for message in SAMPLES:
        matches = [i for i, (pattern, _) in enumerate(cli_messages.compiled())
                   if pattern.fullmatch(message)]
        assert matches, message
        used.add(matches[0])
        ja = translate(message, "ja")
        assert ja != message and "{" not in ja, message
        assert translate(message, "en") == message
    assert used == set(range(len(cli_messages.compiled())))  # no entry without a sample


# ------------------------------------------------------------- notify's config errors


def _notify_config_errors() -> list[str]:
    """Every notify config error, raised by the code itself (config.py and notify/)."""
    def parse(text: str) -> str:
        return _raised(lambda: parse_config(text, Path("/x/config.yaml")))

    def smtp(env: dict[str, str], **email: str) -> str:
        settings = NotifyEmailConfig.model_validate(email)
        return _raised(lambda: SmtpChannel.from_config(settings, env, "/x/config.yaml"))

    def hook(env: dict[str, str]) -> str:
        return _raised(lambda: webhook_url("SHEETSYNC_SLACK_WEBHOOK", env, "/x/config.yaml",
                                           "notify.slack.webhook_env"))

    mail = {"host": "smtp.example.co.jp", "from": "sheetsync@example.co.jp"}
    login = {**mail, "username": "u@example.co.jp", "password_env": "SHEETSYNC_SMTP_PASSWORD"}
    roster = parse_config("owners: [佐藤 健]", Path("/x/config.yaml"))
    return [
        parse("notify: {slack: {webhook_env: 'https://hooks.slack.com/services/T/B/secret'}}"),
        parse("notify: {email: {password_env: 'hunter2 hunter2'}}"),
        parse("notify: {owner_emails: {佐藤 健: sato}}"),
        parse("notify: {managers: [manager-at-example.co.jp]}"),
        parse("notify: {email: {from: sheetsync}}"),
        smtp({}, **{"from": "sheetsync@example.co.jp"}),
        smtp({}, host="smtp.example.co.jp"),
        smtp({}, **{**mail, "username": "u@example.co.jp"}),
        smtp({}, **login),
        smtp({"SHEETSYNC_SMTP_PASSWORD": "pw"}, **login, security="none"),
        hook({}),
        hook({"SHEETSYNC_SLACK_WEBHOOK": "xoxb-not-a-url"}),
        _raised(lambda: dispatch._select([], "山田", roster)),
    ]


def test_notifys_config_errors_are_all_translated():
    for message in _notify_config_errors():
        ja = translate(message, "ja")
        assert ja != message and not re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", ja), message
        for secret in ("services/T/B/secret", "hunter2", "xoxb"):  # values, never repeated
            assert secret not in ja, ja


NOTIFY_SECRET = "xoxb-1234-sheetsync-test-secret"


def test_a_notify_config_error_under_ja_names_the_variable_never_its_value(book, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_TEST_SLACK", NOTIFY_SECRET)
    path = config(book.parent, "spreadsheet: {path: deals.xlsx}\nlanguage: ja\n"
                               "notify: {slack: {webhook_env: SHEETSYNC_TEST_SLACK}}\n")
    result = invoke("notify", "-c", str(path), "--as-of", TODAY.isoformat())
    assert result.exit_code == 2
    assert result.output == (f"sheetsync: {path}: notify.slack.webhook_env: 環境変数 "
                             "SHEETSYNC_TEST_SLACK の値が http(s) の URL ではありません\n")
    assert NOTIFY_SECRET not in result.output + result.stderr


@pytest.mark.parametrize(("language", "expected"), [
    ("ja", "notify.managers.0: メールアドレスではありません（name@example.co.jp の形で書いて"
           "ください。入力値: 'manager-at-example'）"),
    ("en", "notify.managers.0: not a mail address (name@example.co.jp) "
           "(got 'manager-at-example')"),
])
def test_a_notify_setting_rejected_on_reading_is_in_the_language_the_config_states(
        tmp_path, language, expected):
    path = config(tmp_path, f"language: {language}\nnotify: {{managers: [manager-at-example]}}\n")
    result = invoke("notify", "-c", str(path), "--dry-run")
    assert result.exit_code == 2
    assert result.output == f"sheetsync: {path}: {expected}\n"


# ------------------------------------------------------------------------ schema show


def _labels(output: str) -> list[str]:
    return [row["label"] for row in json.loads(output)]


def test_schema_show_uses_config_yaml_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    packaged = invoke("schema", "show", "-f", "json")
    assert packaged.exit_code == 0, packaged.output
    assert "案件ID" in _labels(packaged.output)
    config(tmp_path, "language: en\nowners: [Sato, Suzuki]\n")
    team = invoke("schema", "show", "-f", "json")
    assert team.exit_code == 0, team.output
    assert "Deal ID" in _labels(team.output)
    owner = next(row for row in json.loads(team.output) if row["name"] == "owner")
    assert "Sato" in json.dumps(owner, ensure_ascii=False)


def test_schema_show_with_a_missing_config_named_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("schema", "show", "-c", "team.yaml")
    assert result.exit_code == 2 and "team.yaml: config file not found" in result.output


# ------------------------------------------------------- schema apply: protection words


@pytest.mark.parametrize(("language", "line"), [
    ("ja", "保護（パスワードなし）: 売上予測, 予測の推移, パイプライン増減, 受注率, "
           "要フォロー案件, 担当者サマリー, ファネル, 入力エラー"),
    ("en", "Protected (no password): Field definitions"),
])
def test_schema_apply_on_a_workbook_says_the_protection_has_no_password(book, language, line):
    path = config(book.parent, f"spreadsheet: {{path: deals.xlsx}}\nlanguage: {language}\n")
    if language == "ja":
        assert invoke("run", "-c", str(path), "--as-of", TODAY.isoformat()).exit_code == 1
    result = invoke("schema", "apply", "-c", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert line in " ".join(result.output.split())  # however the terminal wraps it
    assert "警告のみ" not in result.output and "warning only" not in result.output


def test_the_cli_modules_import_without_a_circle():
    code = ("import sys, sheetsync.cli_schema; "
            "assert 'sheetsync.cli' not in sys.modules, 'cli_schema imports cli'; "
            "import sheetsync.cli as c; "
            "assert {'schema', 'fix'} <= set(c.cli.commands)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
