"""The commented ``config.yaml`` that ``sheetsync demo`` writes next to its workbook."""

from __future__ import annotations

from pathlib import Path

import yaml

from .generate import REPS

#: the demo reps' example addresses (example.co.jp is reserved: nothing is ever delivered)
DEMO_EMAILS = ("sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe")

#: in the first line of a config written by `sheetsync demo`
DEMO_MARKER = "(sheetsync demo)"

_CONFIG_TEMPLATE = {
    "ja": """\
# sheetsync の設定ファイル (sheetsync demo) 。全項目の説明は config.example.yaml を参照。
spreadsheet:
  backend: workbook            # workbook（ローカルの .xlsx）| google（Google スプレッドシート）
  path: {path}{path_pad}# このファイルからの相対パス
  # key: 1AbC…                 # google: スプレッドシートのキーまたは URL
  # credentials: sa.json       # google: サービスアカウントの鍵
# schema: schemas/deal_register.yaml   # 省略時は同梱の標準スキーマ
language: {language}                 # ja | en: タブ名とメッセージの言語
timezone: Asia/Tokyo         # 「今日」を決めるタイムゾーン
fiscal_year_start_month: 4   # 期首月（4 = 4月始まり: FY2026 = 2026/4/1〜2027/3/31）
owners:                      # 担当者の名簿: 担当者列はこのどれか（空なら誰でも可）
{owners}
forecast:
  period: quarter            # 売上予測の単位: quarter（四半期）| month（月）
stale:
  default_days: 14           # この日数より更新のない進行中案件を要フォローに
  by_stage:                  # フェーズごとの日数（フェーズの値: lead, meeting, proposal …）
    lead: 30
    negotiation: 7
win_rate:
  window_months: 12          # 受注率の集計期間（直近の月数）
notify:                      # sheetsync notify: 担当者ごとのフォロー通知（--dry-run で送らず表示）
  top: 5                     # 1通に載せる要フォロー案件の数（影響額の大きい順）
  owner_emails:              # 担当者 → メールアドレス（例のアドレス: 実在しません）
{owner_emails}
  managers: [manager@example.co.jp]   # チームのまとめを受け取る人
  # email:                   # 実際に送るときの SMTP サーバー（config.example.yaml を参照）
  #   host: smtp.example.co.jp
  #   password_env: SHEETSYNC_SMTP_PASSWORD
""",
    "en": """\
# sheetsync configuration (sheetsync demo). config.example.yaml documents every key.
spreadsheet:
  backend: workbook            # workbook (a local .xlsx) | google (a Google Sheet)
  path: {path}{path_pad}# relative to this file
  # key: 1AbC…                 # google: spreadsheet key or full URL
  # credentials: sa.json       # google: service-account key
# schema: schemas/deal_register.yaml   # omit to use the packaged default schema
language: {language}                 # ja | en: tab names and messages
timezone: Asia/Tokyo         # the zone that decides what "today" is
fiscal_year_start_month: 4   # 4 = April: FY2026 = 2026-04-01 … 2027-03-31
owners:                      # the team roster: Owner must be one of these (empty = anyone)
{owners}
forecast:
  period: quarter            # forecast per quarter | month
stale:
  default_days: 14           # open deals not updated for longer need follow-up
  by_stage:                  # per-stage limits, by stage value (lead, meeting, proposal …)
    lead: 30
    negotiation: 7
win_rate:
  window_months: 12          # win rate over closed deals of the last N months
notify:                      # sheetsync notify: each rep's digest (--dry-run prints, sends nothing)
  top: 5                     # follow-ups per digest, biggest impact first
  owner_emails:              # owner → mail address (example addresses: they do not exist)
{owner_emails}
  managers: [manager@example.co.jp]   # who gets the team digest
  # email:                   # the SMTP server, to really send (see config.example.yaml)
  #   host: smtp.example.co.jp
  #   password_env: SHEETSYNC_SMTP_PASSWORD
""",
}


def _yaml_scalar(text: str) -> str:
    dumped = yaml.safe_dump(text, allow_unicode=True, default_flow_style=True, width=1000)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def write_demo_config(
    path: Path, workbook_name: str = "deals.xlsx", language: str = "ja"
) -> None:
    """Write a commented ``config.yaml`` for the demo workbook (which sits next to it)."""
    if language not in ("ja", "en"):
        raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
    workbook = _yaml_scalar(workbook_name)
    text = _CONFIG_TEMPLATE[language].format(
        path=workbook,
        path_pad=" " * max(1, 23 - len(workbook)),
        language=language,
        owners="\n".join(f"  - {_yaml_scalar(rep)}" for rep in REPS),
        owner_emails="\n".join(f"    {_yaml_scalar(rep)}: {user}@example.co.jp"
                                for rep, user in zip(REPS, DEMO_EMAILS)),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
