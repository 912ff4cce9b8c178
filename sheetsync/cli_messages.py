"""The CLI's own one-line messages in the team's language (``language: ja`` | ``en``).

sheetsync raises its errors in English — what logs, jobs and tests read. The command line
shows them in the language of the config it loaded: :data:`_JA` pairs the English message
of each configuration or spreadsheet problem a team meets with its Japanese text. Whatever
is not listed stays as it is: another message, the words of the OS or of Google quoted in a
message, and click's own usage wording. A config rejected when it is read is reported in
the ``language:`` it states (so a bad ``notify:`` address reads in Japanese under
``language: ja``); when even that cannot be read the language is English.

>>> translate("workbook not found: deals.xlsx", "ja")
'ワークブックが見つかりません: deals.xlsx'
>>> translate("workbook not found: deals.xlsx", "en")
'workbook not found: deals.xlsx'
>>> translate("something sheetsync never says", "ja")
'something sheetsync never says'
>>> usage_hint("sheetsync run", "ja")
'（`sheetsync run --help` を参照）'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

#: "after 3 attempts over 1.5 s", as google/http_client.py says how long it tried
_SPENT = r"after (?P<attempts>\d+) attempts? over (?P<seconds>[\d.]+) s"
_SPENT_JA = "{attempts}回・{seconds}秒試行"


def _who(text: str) -> str:
    """The account phrase of google/credentials.py ``describe_identity``, in Japanese."""
    if text.startswith("the service account "):
        return "サービスアカウント " + text.removeprefix("the service account ")
    return {"the account sheetsync runs as": "sheetsync を実行しているアカウント"}.get(text, text)


def _at(time: str | None) -> str:
    return f"（{time}）" if time else ""


def _lease(m: re.Match[str]) -> str:
    until = f"（{m['until']} まで）" if m["until"] else ""
    return (f"スキップしました: 別の実行（{m['holder']}）がこのスプレッドシートを"
            f"使用中です{until}。何も書き込んでいません")


Template = str | Callable[[re.Match[str]], str]

#: (the English message as sheetsync writes it, its Japanese text); groups named ``who``
#: go through :func:`_who`
_JA: list[tuple[str, Template]] = [
    # -- the workbook (backends/workbook/backend.py)
    (r"workbook not found: (?P<path>.+)", "ワークブックが見つかりません: {path}"),
    (r"(?P<path>.+) is a folder, not an \.xlsx workbook",
     "{path} はフォルダーです（.xlsx のワークブックではありません）"),
    (r"cannot open (?P<path>.+): permission denied \(is it locked by another program\?\)",
     "{path} を開けません: アクセスが拒否されました（別のプログラムがロックしていませんか）"),
    (r"cannot read (?P<path>.+?): (?P<reason>.+)", "{path} を読み込めません: {reason}"),
    (r"(?P<path>.+) changed on disk since it was read(?: at (?P<at>[\d:]+))?; nothing was "
     r"written\. Run again to use the current file\.",
     lambda m: f"{m['path']} は読み込んだ後に{_at(m['at'])}変更されました。"
               "何も書き込んでいません。もう一度実行すると今のファイルを使います。"),
    (r"(?P<path>.+) is open in Excel or LibreOffice \(lock file (?P<lock>.+)\); close it and "
     r"run again — or delete the lock file if no one has it open\. Nothing was written\.",
     "{path} は Excel か LibreOffice で開かれています（ロックファイル {lock}）。閉じてから"
     "再実行してください（誰も開いていなければロックファイルを削除してください）。"
     "何も書き込んでいません。"),
    (r"cannot write (?P<path>.+): permission denied \(read-only, or locked by another "
     r"program\?\); nothing was written",
     "{path} に書き込めません: アクセスが拒否されました（読み取り専用か、別のプログラムが"
     "ロックしていませんか）。何も書き込んでいません"),
    (r"cannot write (?P<path>.+?): (?P<reason>.+); nothing was written",
     "{path} に書き込めません: {reason}。何も書き込んでいません"),
    (r"refusing to write tab '(?P<tab>.+)': it is the register tab, which belongs to the "
     r"reps; nothing was written",
     "タブ「{tab}」には書き込みません: 担当者が入力する案件一覧のタブです。何も書き込んでいません"),
    # -- the run (pipeline.py, apply.py, backends/__init__.py)
    (r"(?P<where>.+): register tab (?P<tab>.+) not found \(tabs present: (?P<present>.*)\); "
     r"set tabs\.register in the config if it has another name",
     "{where}: 案件一覧のタブ {tab} が見つかりません（あるタブ: {present}）。"
     "別の名前なら設定の tabs.register で指定してください"),
    (r"(?P<source>.+): stale\.by_stage\.(?P<name>[^:]+): not a stage \(stages: (?P<stages>.+)\)",
     "{source}: stale.by_stage.{name}: フェーズではありません（フェーズ: {stages}）"),
    (r"(?P<source>.+): spreadsheet\.key: required for backend google \(the spreadsheet key or "
     r"its full URL\)",
     "{source}: spreadsheet.key: backend が google のときは必須です"
     "（スプレッドシートのキーまたは URL）"),
    (r"(?P<where>.+): no header row in (?P<tab>.+); nothing to apply the schema to \(run "
     r"`sheetsync validate`\)",
     "{where}: {tab} に見出し行がありません。スキーマを適用できません"
     "（`sheetsync validate` で確認してください）"),
    (r"the hidden tab (?P<tab>\S+) cannot be read \((?P<why>.+)\); nothing was written\. "
     r"Put back the tab from an earlier version of the spreadsheet \(Google: File › Version "
     r"history; a workbook: the \.bak copy sheetsync keeps beside it\), or delete the tab "
     r"(?P=tab) to start the change history again \(every deal is then seen for the first "
     r"time\)",
     "非表示タブ {tab} を読み込めません（{why}）。何も書き込んでいません。スプレッドシートの"
     "以前の版からこのタブを戻すか（Google: ファイル › 版の履歴、ワークブック: sheetsync が隣に"
     "残す .bak のコピー）、タブ {tab} を削除して変更履歴を最初からやり直してください"
     "（すべての案件が初めて見た案件になります）"),
    (r"skipped: another runner \((?P<holder>.+)\) holds this spreadsheet"
     r"(?: until (?P<until>.+))?; nothing was written", _lease),
    (r"skipped: the spreadsheet changed after this run read it \(another runner wrote it, or "
     r"someone saved it\); nothing was written",
     "スキップ: 読み込んだ後にスプレッドシートが変更されました（別の実行の書き込みか、"
     "誰かの保存）。何も書き込んでいません"),
    # -- Google (backends/google/http_client.py, credentials.py)
    (r"tabs of the spreadsheet were deleted while sheetsync was writing, twice; nothing was "
     r"written — run again",
     "sheetsync の書き込み中にスプレッドシートのタブが削除されました（2回）。何も書き込んで"
     "いません。もう一度実行してください"),
    (r"The spreadsheet (?P<key>\S+) is not shared with (?P<who>.+): share the sheet with it "
     r"as Editor",
     "スプレッドシート {key} は {who} と共有されていません: 編集者として共有してください"),
    (r"The spreadsheet (?P<key>\S+) was not found: check spreadsheet\.key in the config "
     r"\(the long id in the sheet's URL\)",
     "スプレッドシート {key} が見つかりません: 設定の spreadsheet.key を確認してください"
     "（シートの URL にある長い ID）"),
    (r"The Google Sheets API is not enabled for the Cloud project of (?P<who>.+): enable it "
     r"in the Google Cloud console \(APIs & Services\) and run again",
     "{who} の Cloud プロジェクトで Google Sheets API が有効になっていません: "
     "Google Cloud コンソール（API とサービス）で有効にしてから再実行してください"),
    (r"Google refused the credentials of (?P<who>.+) \((?P<reason>[^()]+)\): check the key "
     r"file \(a deleted or disabled key must be replaced by a new JSON key\)",
     "Google が {who} の認証情報を拒否しました（{reason}）: 鍵ファイルを確認してください"
     "（削除・無効化された鍵は新しい JSON 鍵に置き換えてください）"),
    (r"The spreadsheet (?P<key>\S+) was written by another sheetsync run after this run read "
     r"it; nothing was written\. Run again to use the current state\.",
     "スプレッドシート {key} は、読み込んだ後に別の sheetsync の実行が書き込みました。"
     "何も書き込んでいません。もう一度実行すると今の状態を使います。"),
    (rf"Google Sheets API quota exhausted {_SPENT}; try again later",
     f"Google Sheets API の割り当てを使い切りました（{_SPENT_JA}）。"
     "しばらくしてから再実行してください"),
    (rf"could not reach (?P<host>\S+) for (?P<name>.+?) \((?P<failure>.+)\) {_SPENT}; check "
     r"the network \(or spreadsheet\.endpoint in the config\)",
     f"{{host}} に接続できません（{{name}}: {{failure}}、{_SPENT_JA}）。ネットワーク"
     "（または設定の spreadsheet.endpoint）を確認してください"),
    (rf"could not get an access token for (?P<who>.+): the token endpoint \(the key's "
     rf"token_uri\) failed or was unreachable {_SPENT}; check the network",
     f"{{who}} のアクセストークンを取得できません: トークンエンドポイント（鍵の token_uri）が"
     f"失敗したか接続できません（{_SPENT_JA}）。ネットワークを確認してください"),
    (r"credentials file not found: (?P<path>.+)", "認証情報のファイルが見つかりません: {path}"),
    (r"no Google credentials found: set spreadsheet\.credentials in the config to a "
     r"service-account key file, or GOOGLE_APPLICATION_CREDENTIALS, or run where Application "
     r"Default Credentials exist \(Cloud Run, GKE, gcloud auth application-default login\)",
     "Google の認証情報が見つかりません: 設定の spreadsheet.credentials にサービスアカウントの"
     "鍵ファイルを指定するか、GOOGLE_APPLICATION_CREDENTIALS を設定するか、アプリケーションの"
     "デフォルト認証情報がある環境（Cloud Run、GKE、gcloud auth application-default login）"
     "で実行してください"),
    # -- notify: its config (config.py, read with the file) and its channels (notify/)
    (r"(?P<path>.+?): (?P<key>notify\.[\w.]+): must be the name of an environment variable "
     r"\(e\.g\. (?P<example>\w+)\) that holds the secret, never the secret",
     "{path}: {key}: 秘密の値そのものではなく、値を入れた環境変数の名前を書いてください"
     "（例: {example}）"),
    (r"(?P<path>.+?): (?P<key>notify\.(?:owner_emails|managers)\..+?): not a mail address "
     r"\(name@example\.co\.jp\) \(got (?P<got>.*)\)",
     "{path}: {key}: メールアドレスではありません（name@example.co.jp の形で書いてください。"
     "入力値: {got}）"),
    (r"(?P<path>.+?): notify\.email\.from: must be one address, optionally with a name: "
     r"(?P<example>\".+\") \(got (?P<got>.*)\)",
     "{path}: notify.email.from: 送信元のアドレスを1つ書いてください。名前も付けられます: "
     "{example}（入力値: {got}）"),
    (r"(?P<source>.+?): notify\.email\.host: not set; mail cannot be sent \(set "
     r"notify\.email, or use --dry-run\)",
     "{source}: notify.email.host: 設定されていないため、メールを送れません（notify.email を"
     "設定するか、--dry-run で内容だけ確認してください）"),
    (r"(?P<source>.+?): notify\.email\.from: not set \(the sender address, e\.g\. "
     r"(?P<example>\".+\")\)",
     "{source}: notify.email.from: 設定されていません（送信元のアドレス。例: {example}）"),
    (r"(?P<source>.+?): notify\.email\.password_env: not set \(the name of the environment "
     r"variable holding the SMTP password\)",
     "{source}: notify.email.password_env: 設定されていません（SMTP のパスワードを入れた"
     "環境変数の名前を書いてください）"),
    (r"(?P<source>.+?): (?P<key>notify\.[\w.]+): the environment variable (?P<variable>\w+) "
     r"is not set",
     "{source}: {key}: 環境変数 {variable} が設定されていません"),
    (r"(?P<source>.+?): (?P<key>notify\.[\w.]+): the environment variable (?P<variable>\w+) "
     r"does not hold an http\(s\) URL",
     "{source}: {key}: 環境変数 {variable} の値が http(s) の URL ではありません"),
    (r"(?P<source>.+?): notify\.email\.security: none would send the password to "
     r"(?P<host>.+) unencrypted; use starttls or ssl",
     "{source}: notify.email.security: none ではパスワードが暗号化されずに {host} へ"
     "送られます。starttls か ssl を指定してください"),
    (r"--owner (?P<owner>.+): no such 担当者 in the register or the roster "
     r"\(担当者: (?P<known>.*)\)",
     lambda m: f"--owner {m['owner']}: 案件一覧にも担当者リスト（owners）にもない担当者です"
               f"（担当者: {'なし' if m['known'] == '(none)' else m['known']}）"),
    (r"already sent on (?P<day>[\d-]+) for this config; nothing was sent "
     r"\(--force sends again\)",
     "この設定では {day} に送信済みです。何も送信していません（--force を付けると"
     "もう一度送ります）"),
    # -- the command line itself (cli.py, cli_options.py)
    (r"(?P<path>.+) already exists \(edits in it would be lost\); pass --force to "
     r"overwrite it",
     "{path} は既にあります（編集した内容が失われます）。上書きするには --force を付けてください"),
    (r"'(?P<value>.*)' is not a date \(use YYYY-MM-DD\)",
     "「{value}」は日付として読めません（YYYY-MM-DD で指定してください）"),
]


@cache
def compiled() -> list[tuple[re.Pattern[str], Template]]:
    """:data:`_JA` compiled, once, when a message is first translated (not at import: every
    command imports this module, few ever show an error)."""
    return [(re.compile(pattern, re.S), template) for pattern, template in _JA]


def translate(message: str, language: str) -> str:
    """``message`` (English, as sheetsync raised it) in ``language``; unchanged when it is
    English or not one of sheetsync's known messages."""
    if language != "ja":
        return message
    for pattern, template in compiled():
        m = pattern.fullmatch(message)
        if m is None:
            continue
        if callable(template):
            return template(m)
        groups = {k: _who(v) if k == "who" else v for k, v in m.groupdict().items()}
        return template.format(**groups)
    return message


def usage_hint(command: str, language: str) -> str:
    """Where to read more after a usage error: `` (see `sheetsync run --help`)``."""
    if language == "ja":
        return f"（`{command} --help` を参照）"
    return f" (see `{command} --help`)"


def aborted(language: str) -> str:
    return "中断しました" if language == "ja" else "aborted"
