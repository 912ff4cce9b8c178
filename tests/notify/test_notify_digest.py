"""`sheetsync notify`'s pure parts: what each person is told, and how it is written.

Digests built from hand-made rows (impact order, top N, names matched like the roster, the
cells to fix, the team's slips and reps behind target), the subject and bodies in ja and en,
the Slack / Google Chat JSON, the retry policy, the note-row marker, and config errors that
never repeat a secret.
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import re
from email import policy
from pathlib import Path

import pytest

from sheetsync.config import parse_config
from sheetsync.errors import ConfigError
from sheetsync.grid import Grid
from sheetsync.history import SNAPSHOT_TAB, Snapshot, read_snapshot, snapshot_tab
from sheetsync.issues import Issue
from sheetsync.lease import Lease, note_markers, read_lease
from sheetsync.notify import state
from sheetsync.notify.channels import SendError, mail_message
from sheetsync.notify.chat import chat_payload, message_text, slack_payload
from sheetsync.notify.delivery import RetryPolicy, deliver, redacting
from sheetsync.notify.digest import (
    CellLink,
    DigestInput,
    PeriodLine,
    RepDigest,
    rep_digests,
    team_digest,
)
from sheetsync.notify.render import MessageContext, html_body, subject, text_body

AS_OF = dt.date(2026, 12, 4)


def _link(tab: str, cell: str) -> CellLink:
    return CellLink(f"https://docs.google.com/spreadsheets/d/KEY/edit#gid=7&range={cell}",
                    f"{tab}!{cell}")


def _row(deal_id: str, owner: str, impact: int | None, row: int, reasons=("no_update",),
         **extra):
    return {"deal_id": deal_id, "deal_name": f"案件{deal_id}", "client": "株式会社ABC",
            "owner": owner, "stage": "negotiation", "amount": None if impact is None else
            impact * 2, "probability": 50.0, "impact": impact, "reasons": list(reasons),
            "expected_close": dt.date(2026, 11, 30), "next_action": "契約書レビュー",
            "next_action_date": dt.date(2026, 10, 15), "last_activity": dt.date(2026, 10, 1),
            "days_since_update": 64, "close_pushes": 0, "_row": row, **extra}


FORECAST = [
    {"period": "FY2026-Q3", "owner": None, "target": 20_000_000, "won": 5_000_000,
     "commit_landing": 12_300_000, "best_case_landing": 15_000_000, "forecast": 14_000_000},
    {"period": "FY2026-Q3", "owner": "佐藤 健", "target": 8_000_000, "won": 1_000_000,
     "commit_landing": 3_000_000, "best_case_landing": 4_000_000, "forecast": 3_500_000},
    {"period": "FY2026-Q3", "owner": "鈴木", "target": 5_000_000, "won": 6_000_000,
     "commit_landing": 6_000_000, "best_case_landing": 6_000_000, "forecast": 6_000_000},
    {"period": "FY2026-Q3", "owner": "高橋", "target": 9_000_000, "won": 0,
     "commit_landing": 1_000_000, "best_case_landing": 2_000_000, "forecast": 1_500_000},
    {"period": "FY2026-Q4", "owner": "佐藤 健", "target": 1, "won": 0,
     "commit_landing": 0, "best_case_landing": 0, "forecast": 0},
]


def _inputs(**kwargs) -> DigestInput:
    stale = [
        _row("D-1", "佐藤 健", 100, 10),
        _row("D-2", "佐藤　健", 900, 11, ("overdue_close", "close_pushed")),  # full-width space
        _row("D-3", "佐藤健", None, 12),  # no amount: last
        _row("D-4", "佐藤 健", 500, 13, ("next_action_overdue",)),
        _row("D-5", "高橋", 700, 14, ("overdue_close",)),
        _row("D-6", "鈴木", 50, 15, ("close_pushed",)),
    ]
    errors = [
        (Issue("invalid_date", "日付ではありません", "案件一覧", "H12", 12, "受注予定日", "3/31"),
         "佐藤　健"),
        (Issue("invalid_choice", "選択肢にありません", "案件一覧", "F20", 20, "フェーズ", "様子見"),
         "高橋"),
        (Issue("bad_period", "期間が読めません", "目標", "A3", 3, "期間", "3Q"), None),
    ]
    base = dict(as_of=AS_OF, period="FY2026-Q3", forecast=FORECAST, stale=stale, errors=errors,
                reps={"佐藤健": "佐藤 健", "鈴木": "鈴木", "高橋": "高橋", "田中": "田中"},
                link=_link, top=2)
    base.update(kwargs)
    return DigestInput(**base)


def test_a_reps_digest_is_their_top_followups_by_impact_their_line_and_their_cells() -> None:
    sato, suzuki, takahashi, tanaka = rep_digests(_inputs())
    assert sato.owner == "佐藤 健" and sato.total == 4  # three spellings, one rep
    assert [f.deal_id for f in sato.followups] == ["D-2", "D-4"]  # top 2 by impact
    assert [f.deal_id for f in rep_digests(_inputs(top=5))[0].followups] == [
        "D-2", "D-4", "D-1", "D-3"]  # blank impact last
    first = sato.followups[0]
    assert first.reasons == ("overdue_close", "close_pushed")
    assert first.next_action == "契約書レビュー" and first.next_action_date == dt.date(2026, 10, 15)
    assert first.link.ref == "案件一覧!A11" and first.link.url.endswith("range=A11")
    assert [c.cell for c in sato.errors] == ["H12"] and sato.errors[0].value == "3/31"
    assert sato.period == PeriodLine("FY2026-Q3", 8_000_000, 1_000_000, 3_000_000, 4_000_000,
                                     3_500_000)
    assert sato.period.shortfall == 5_000_000
    assert suzuki.period.shortfall == -1_000_000  # exceeded
    assert [c.cell for c in takahashi.errors] == ["F20"]
    assert tanaka.empty and tanaka.period is None


def test_the_team_digest_has_the_team_line_the_reps_behind_and_the_biggest_slips() -> None:
    team = team_digest(_inputs(top=3))
    assert team.owner is None and team.total == 6
    assert team.period.commit_landing == 12_300_000 and team.period.target == 20_000_000
    assert team.behind_owners == ("高橋", "佐藤 健")  # shortfall 8,000,000 then 5,000,000
    assert [f.deal_id for f in team.slips] == ["D-2", "D-5", "D-6"]  # pushed/overdue, by impact
    assert [(x.owner, x.followups, x.errors) for x in team.loads] == [
        ("佐藤 健", 4, 1), ("高橋", 1, 1), ("鈴木", 1, 0)]
    assert [c.cell for c in team.errors] == ["H12", "F20", "目標!A3"]


def test_rows_without_an_impact_column_fall_back_to_amount_times_probability() -> None:
    rows = [{k: v for k, v in _row("D-9", "佐藤 健", 0, 9).items() if k != "impact"}
            | {"amount": 3_000_000, "probability": 40.0},
            {k: v for k, v in _row("D-8", "佐藤 健", 0, 8).items() if k != "impact"}
            | {"amount": 2_000_000, "probability": 80.0}]
    (sato, *_) = rep_digests(_inputs(stale=rows, top=5))
    assert [(f.deal_id, f.impact) for f in sato.followups] == [("D-8", 1_600_000),
                                                               ("D-9", 1_200_000)]


def test_subjects_in_both_languages() -> None:
    line = PeriodLine("FY2026-Q3", 20_000_000, 0, 12_300_000, 0, 0)
    assert subject(RepDigest("佐藤", 5, (), (), line), "ja") == (
        "【要フォロー】佐藤さん 5件（FY2026-Q3 コミット着地 ¥12,300,000 / 目標 ¥20,000,000）")
    sato = rep_digests(_inputs())[0]
    assert subject(sato, "ja") == ("【要フォロー】佐藤 健さん 4件・入力エラー 1件（FY2026-Q3 "
                                   "コミット着地 ¥3,000,000 / 目標 ¥8,000,000）")
    assert subject(sato, "en") == ("[Follow-up] 佐藤 健: 4 deals, 1 input errors (FY2026-Q3 "
                                   "commit landing ¥3,000,000 / target ¥8,000,000)")
    team = team_digest(_inputs())
    assert subject(team, "ja") == ("【チーム】要フォロー 6件・目標未達 2名（FY2026-Q3 コミット着地 "
                                   "¥12,300,000 / 目標 ¥20,000,000）")
    assert subject(team, "en").startswith("[Team] 6 follow-ups, 2 reps behind target (")
    no_target = RepDigest("田中", 1, (), (), PeriodLine("FY2026-Q3", None, 0, 0, 0, 0))
    assert subject(no_target, "ja").endswith("（FY2026-Q3 コミット着地 ¥0 / 目標なし）")


def test_the_bodies_say_what_to_do_and_link_each_row() -> None:
    sato = rep_digests(_inputs())[0]
    ctx = MessageContext("ja", AS_OF, "https://docs.google.com/spreadsheets/d/KEY/edit",
                         {"negotiation": "交渉"})
    text = text_body(sato, ctx)
    assert text.startswith("佐藤 健さん、今週のフォローです（基準日 2026/12/04）。\n")
    assert ("FY2026-Q3: 目標 ¥8,000,000 ・ 受注済 ¥1,000,000 ・ コミット着地 ¥3,000,000"
            "（不足 ¥5,000,000） ・ 加重着地 ¥3,500,000") in text
    assert ("■ 要フォロー案件 4件 — 影響額の大きい順に上位2件\n"
            "1. D-2 案件D-2 / 株式会社ABC\n") in text
    assert "   交渉 ・ ¥1,800 × 50% = 影響額 ¥900 ・ 受注予定日 2026/11/30" in text
    assert "   次回アクション: 契約書レビュー（期日 2026/10/15） ・ 最終接触 2026/10/01" in text
    assert "https://docs.google.com/spreadsheets/d/KEY/edit#gid=7&range=A11" in text
    assert "- H12 受注予定日「3/31」: 日付ではありません" in text
    en = text_body(sato, MessageContext("en", AS_OF, "", {"negotiation": "Negotiation"}))
    assert en.startswith("佐藤 健, your follow-ups (as of 2026-12-04).")
    assert "Next action: 契約書レビュー (by 2026-10-15)" in en
    html = html_body(sato, ctx)
    assert '<a href="https://docs.google.com/spreadsheets/d/KEY/edit#gid=7&amp;range=A11">D-2</a>' \
        in html
    assert '<html lang="ja">' in html and "H12</a>" in html


def test_what_reps_typed_is_escaped_in_html_and_chat() -> None:
    row = _row("D-1", "佐藤 健", 100, 10, deal_name="<script>alert(1)</script> & co")
    sato = rep_digests(_inputs(stale=[row]))[0]
    html = html_body(sato, MessageContext())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    slack = slack_payload(sato, MessageContext())["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in slack
    chat = chat_payload(sato, MessageContext())["text"]
    assert "<script>" not in chat and "＜script＞" in chat


def test_slack_and_chat_messages_mention_the_rep_and_link_the_rows() -> None:
    sato = rep_digests(_inputs())[0]
    slack = slack_payload(sato, MessageContext(), mention="U012AB3CD")
    assert set(slack) == {"text", "unfurl_links", "unfurl_media"}
    lines = slack["text"].splitlines()
    assert lines[0] == f"<@U012AB3CD> *{subject(sato, 'ja')}*"
    assert any(x.startswith("1. *<https://docs.google.com/spreadsheets/d/KEY/edit#gid=7&range="
                            "A11|D-2>* 案件D-2 / 株式会社ABC") for x in lines)
    chat = chat_payload(sato, MessageContext(), mention="1234567890")
    assert set(chat) == {"text"}
    assert chat["text"].startswith(f"<users/1234567890> *{subject(sato, 'ja')}*")
    team = team_digest(_inputs())
    assert "*目標未達の担当者 2名*\n• 高橋: 目標 ¥9,000,000" in message_text(team, MessageContext(),
                                                                  "slack")
    workbook = CellLink("file:///x/deals.xlsx#'案件一覧'!A11", "案件一覧!A11")
    local = rep_digests(_inputs(link=lambda tab, cell: workbook))[0]
    assert "*D-2 (案件一覧!A11)*" in message_text(local, MessageContext(), "slack")


def test_a_mail_is_multipart_utf8_with_an_encoded_subject() -> None:
    sato = rep_digests(_inputs())[0]
    ctx = MessageContext(as_of=AS_OF)
    message = mail_message(sender="営業管理 <sheetsync@example.co.jp>", to="sato@example.co.jp",
                           subject=subject(sato, "ja"), text=text_body(sato, ctx),
                           html=html_body(sato, ctx))
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"Subject: =?utf-8?b?" in head and b"\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject(sato, "ja")
    assert parsed["From"].addresses[0].display_name == "営業管理"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, rich = parsed.iter_parts()
    assert (plain.get_content_type(), plain.get_content_charset()) == ("text/plain", "utf-8")
    assert (rich.get_content_type(), rich.get_content_charset()) == ("text/html", "utf-8")
    assert "契約書レビュー" in plain.get_content() and "契約書レビュー" in rich.get_content()


def test_retries_back_off_and_stop() -> None:
    waits: list[float] = []
    answers = [SendError("HTTP 429", retryable=True, retry_after=3.0),
               SendError("HTTP 500", retryable=True), None]

    def send() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    policy = RetryPolicy(attempts=4, backoff_seconds=1.0, max_wait_seconds=10.0)
    assert deliver(send, policy, waits.append).ok and waits == [3.0, 2.0]

    def broken() -> None:
        raise SendError("HTTP 500", retryable=True)

    waits.clear()
    outcome = deliver(broken, policy, waits.append)
    assert (outcome.ok, outcome.tries, waits) == (False, 4, [1.0, 2.0, 4.0])
    assert outcome.error == "HTTP 500; gave up after 4 tries"

    def refused() -> None:
        raise SendError("HTTP 404", retryable=False)

    assert deliver(refused, policy, waits.append).tries == 1
    assert RetryPolicy(4, 1.0, 10.0).wait(1, 600.0) == 10.0  # Retry-After capped


def test_redacting_hides_webhook_urls_and_their_parts_from_log_records(caplog) -> None:
    url = "http://127.0.0.1:9/v1/spaces/AAA/messages?key=K-123&token=T-456"
    caplog.set_level(logging.DEBUG)
    with redacting([url, "pw-secret"]):
        logging.getLogger("urllib3.connectionpool").debug(
            '%s "POST %s HTTP/1.1" 500 4', "http://127.0.0.1:9",
            "/v1/spaces/AAA/messages?key=K-123&token=T-456")
        logging.getLogger("sheetsync.notify").warning("login with %s failed", "pw-secret")
    logging.getLogger("urllib3.connectionpool").debug("after: %s", url)  # filter removed
    texts = [r.getMessage() for r in caplog.records]
    assert "T-456" not in texts[0] and "K-123" not in texts[0] and "[secret]" in texts[0]
    assert "pw-secret" not in texts[1]
    assert url in texts[2]


def test_the_notified_marker_sits_beside_the_lease_and_survives_a_rewrite() -> None:
    lease = Lease("host:job", dt.datetime(2026, 12, 4, 1, tzinfo=dt.timezone.utc))
    days = {"3f9c2a1b": "2026-12-04", "3f9c2a1b/佐藤健": "2026-12-03"}
    tab = snapshot_tab(Snapshot(), lease, [state.marker(days)])
    grid = Grid(SNAPSHOT_TAB, [[tab.note], [c.header for c in tab.columns]])
    assert tab.note.endswith(lease.encode())
    assert read_lease(grid) == lease  # the lease is still read
    assert state.notified(grid) == days
    assert note_markers(grid) == {"notified": state.marker(days)}
    again = state.state_tab(grid, state.with_day(days, "x", AS_OF))
    assert again.note.endswith(lease.encode()) and '"x":"2026-12-04"' in again.note
    assert state.sent_on(days, ["3f9c2a1b"], AS_OF) == "3f9c2a1b"
    assert state.sent_on(days, ["3f9c2a1b/佐藤健"], AS_OF) is None
    old = state.with_day({"old": "2026-01-01"}, "new", AS_OF)
    assert old == {"new": "2026-12-04"}  # forgotten after KEEP_DAYS
    assert read_snapshot(grid).entries == {}


@pytest.mark.parametrize(("text", "message", "secret"), [
    ("notify: {slack: {webhook_env: 'https://hooks.slack.com/services/T0/B0/XyZsecret'}}",
     "notify.slack.webhook_env: must be the name of an environment variable", "XyZsecret"),
    ("notify: {google_chat: {webhook_env: 'key=AIzaSecret&token=tok'}}",
     "notify.google_chat.webhook_env: must be the name", "AIzaSecret"),
    ("notify: {email: {password_env: 'hunter2 hunter2'}}",
     "notify.email.password_env: must be the name", "hunter2"),
    ("notify: {email: {password: hunter2}}",
     "notify.email.password: unknown key; did you mean 'password_env'?", "hunter2"),
])
def test_a_secret_written_in_the_config_is_never_repeated(text, message, secret) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("c.yaml"))
    assert message in str(info.value) and secret not in str(info.value)


def test_notify_config_keys_and_defaults() -> None:
    config = parse_config("notify: {owner_emails: {佐藤　健: sato@example.co.jp}}\n",
                          Path("c.yaml"))
    n = config.notify
    assert (n.top, n.managers, n.timeout_seconds) == (5, [], 30.0)
    assert (n.email.host, n.email.port, n.email.security, n.email.from_) == (
        None, None, "starttls", None)
    assert (n.retry.attempts, n.retry.backoff_seconds, n.retry.max_wait_seconds) == (4, 2.0, 60.0)
    assert n.slack.webhook_env is None and n.google_chat.mentions == {}
    with pytest.raises(ConfigError, match=re.escape("notify.owner_emails.佐藤: not a mail "
                                                    "address")):
        parse_config("notify: {owner_emails: {佐藤: sato}}", Path("c.yaml"))
    with pytest.raises(ConfigError, match=r"notify\.managers\.0: not a mail address"):
        parse_config("notify: {managers: ['a@b.co\\nBcc: x@y.z']}", Path("c.yaml"))


def test_the_client_contact_is_named_next_to_the_client() -> None:
    row = _row("D-1", "佐藤 健", 100, 10, client_contact="山田 太郎 様")
    sato = rep_digests(_inputs(stale=[row]))[0]
    ja = text_body(sato, MessageContext("ja", AS_OF, "", {}))
    assert "1. D-1 案件D-1 / 株式会社ABC（山田 太郎 様）\n" in ja
    en = text_body(sato, MessageContext("en", AS_OF, "", {}))
    assert "1. D-1 案件D-1 / 株式会社ABC (山田 太郎 様)\n" in en
    assert "株式会社ABC（山田 太郎 様）" in html_body(sato, MessageContext())
    assert "株式会社ABC（山田 太郎 様）" in slack_payload(sato, MessageContext())["text"]
