"""What `sheetsync notify` prints as text: with ``--dry-run`` every message in full, else one
line per message sent or failed, then the count. Never a secret: a webhook is named by its
variable (``$SHEETSYNC_SLACK_WEBHOOK``)."""

from __future__ import annotations

from .dispatch import Message, NotifyResult

_CHANNEL = {"email": ("メール", "email"), "slack": ("Slack", "Slack"),
            "google_chat": ("Google Chat", "Google Chat")}


def _channel(name: str, language: str) -> str:
    ja, en = _CHANNEL.get(name, (name, name))
    return en if language == "en" else ja


def _who(message: Message, language: str) -> str:
    if message.owner:
        return message.owner
    return "team" if language == "en" else "チーム"


def message_text(message: Message, language: str) -> str:
    """A message in full: the header line, the subject (mail), the text."""
    en = language == "en"
    head = f"── {_channel(message.channel, language)} → {message.to} ({_who(message, language)})"
    lines = [head]
    if message.channel == "email":
        lines.append(("Subject: " if en else "件名: ") + message.subject)
        lines.append("")
    lines.append(message.text.rstrip("\n"))
    return "\n".join(lines)


def result_text(result: NotifyResult) -> str:
    """The whole text output of one call."""
    lang = result.language
    en = lang == "en"
    out: list[str] = []
    if result.refused:
        return ""  # said on stderr by the CLI: nothing else to show
    if result.dry_run:
        for message in result.messages:
            out += [message_text(message, lang), ""]
    else:
        for m in result.messages:
            word = {"sent": ("送信", "sent"), "failed": ("失敗", "FAILED")}.get(
                m.status, (m.status, m.status))[1 if en else 0]
            line = f"{word}: {_channel(m.channel, lang)} → {m.to} ({_who(m, lang)})"
            if m.error:
                line += f" — {m.error}"
            out.append(line)
    for name in result.unreached:
        out.append(f"no address or channel for {name}: nothing sent to them" if en
                   else f"宛先なし: {name}（notify.owner_emails にも Slack・Chat にも"
                        "届け先がありません）")
    for name in result.unmatched:
        out.append(f"notify.owner_emails: {name} matches no owner in the register" if en
                   else f"notify.owner_emails: {name} は案件一覧の担当者と一致しません")
    if result.dry_run:
        n = len(result.messages)
        out.append(f"--dry-run: {n} messages, nothing sent" if en
                   else f"--dry-run: {n}通（何も送信していません）")
    elif not result.messages:
        out.append("nothing to send" if en else "送る内容はありません")
    else:
        out.append(f"sent {result.sent}, failed {result.failed}" if en
                   else f"送信 {result.sent}件・失敗 {result.failed}件")
    return "\n".join(out) + "\n"
