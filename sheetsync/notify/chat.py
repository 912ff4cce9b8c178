"""A digest as a Slack or Google Chat message (the JSON an incoming webhook takes). Pure.

Both take ``{"text": …}`` with ``*bold*`` and ``<url|label>`` links; a rep is mentioned as
``<@U012AB3CD>`` on Slack and ``<users/123456789>`` on Google Chat when ``notify.slack.mentions``
/ ``notify.google_chat.mentions`` maps their name. Links to a workbook (``file:``) cannot be
opened from a chat, so the cell is named instead (``案件一覧!A12``).

>>> rep = RepDigest("佐藤", 0, (), (), None)
>>> slack_payload(rep, MessageContext(), mention="U012AB3CD")["text"].splitlines()[0]
'<@U012AB3CD> *【要フォロー】佐藤さん 0件*'
>>> chat_payload(rep, MessageContext(), mention="users/42")["text"].splitlines()[0]
'<users/42> *【要フォロー】佐藤さん 0件*'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .digest import CellLink, Digest, FixCell, FollowUp, RepDigest, TeamDigest
from .render import (
    MessageContext,
    followup_lines,
    period_text,
    subject,
    top_note,
    word,
)

Flavour = str  # "slack" | "google_chat"


def _escape(text: str, flavour: Flavour) -> str:
    """Text that cannot be read as markup: Slack's three escapes; Chat has none, so its
    angle brackets become full-width ones."""
    if flavour == "slack":
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("<", "＜").replace(">", "＞")


def _link(link: CellLink, label: str, flavour: Flavour) -> str:
    if link.is_web:
        return f"<{link.url}|{_escape(label, flavour)}>"
    return f"{_escape(label, flavour)} ({_escape(link.ref, flavour)})"


def mention_markup(value: str | None, flavour: Flavour) -> str:
    """How a configured member ID is written to mention them.

    >>> mention_markup("U012AB3CD", "slack"), mention_markup("123", "google_chat")
    ('<@U012AB3CD>', '<users/123>')
    >>> mention_markup("<!subteam^S1>", "slack"), mention_markup("users/all", "google_chat")
    ('<!subteam^S1>', '<users/all>')
    """
    if not value:
        return ""
    value = value.strip()
    if value.startswith("<"):
        return value
    if flavour == "slack":
        return f"<@{value.removeprefix('@')}>"
    return f"<{value if value.startswith('users/') else 'users/' + value}>"


def _followup(n: int, f: FollowUp, ctx: MessageContext, flavour: Flavour, owner: bool
              ) -> list[str]:
    lines = followup_lines(n, f, ctx, owner)
    title = lines[0].split(" ", 1)[1].removeprefix(f.deal_id).strip()
    head = f"{n}. *{_link(f.link, f.deal_id, flavour)}* {_escape(title, flavour)}"
    return [head, *("    " + _escape(x.strip(), flavour) for x in lines[1:4])]


def _fix(c: FixCell, ctx: MessageContext, flavour: Flavour) -> str:
    typed = f" “{c.value}”" if ctx.language == "en" else f"「{c.value}」"
    text = f"{c.column or ''}{typed if c.value else ''}: {c.message}"
    return f"• {_link(c.link, c.cell, flavour)} {_escape(text, flavour)}"


def message_text(digest: Digest, ctx: MessageContext, flavour: Flavour,
                 mention: str | None = None) -> str:
    """The message: the subject in bold (after the mention), then the digest."""
    lang = ctx.language
    who = mention_markup(mention, flavour)
    lines = [(who + " " if who else "") + f"*{_escape(subject(digest, lang), flavour)}*"]
    if digest.period is not None:
        lines.append(_escape(period_text(digest.period, lang), flavour))
    if isinstance(digest, TeamDigest):
        for owner, line in zip(digest.behind_owners, digest.behind):
            if owner == digest.behind_owners[0]:
                behind = word("behind", lang, n=len(digest.behind))
                lines.append(f"*{_escape(behind, flavour)}*")
            rest = period_text(line, lang).split(": ", 1)[1]
            lines.append(f"• {_escape(owner, flavour)}: {_escape(rest, flavour)}")
        if digest.slips:
            lines.append(f"*{_escape(word('slips', lang), flavour)}* "
                         f"({_escape(word('slips_note', lang), flavour)})")
            for n, f in enumerate(digest.slips, 1):
                lines += _followup(n, f, ctx, flavour, owner=True)
        return "\n".join(lines)
    if digest.followups:
        note = top_note(digest, lang)
        lines.append(f"*{_escape(word('followups', lang, n=digest.total), flavour)}*"
                     + (f" ({_escape(note, flavour)})" if note else ""))
        for n, f in enumerate(digest.followups, 1):
            lines += _followup(n, f, ctx, flavour, owner=False)
    if digest.errors:
        lines.append(f"*{_escape(word('fix', lang, n=len(digest.errors)), flavour)}*")
        lines += [_fix(c, ctx, flavour) for c in digest.errors]
    return "\n".join(lines)


def slack_payload(digest: Digest, ctx: MessageContext, mention: str | None = None
                  ) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook (links are not unfurled)."""
    return {"text": message_text(digest, ctx, "slack", mention),
            "unfurl_links": False, "unfurl_media": False}


def chat_payload(digest: Digest, ctx: MessageContext, mention: str | None = None
                 ) -> dict[str, Any]:
    """The JSON body for a Google Chat incoming webhook."""
    return {"text": message_text(digest, ctx, "google_chat", mention)}


PAYLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    "slack": slack_payload, "google_chat": chat_payload}

__all__ = ["PAYLOADS", "RepDigest", "chat_payload", "mention_markup", "message_text",
           "slack_payload"]
