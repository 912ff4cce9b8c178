"""A digest as a mail: its subject, its plain text and its HTML, in the team's language. Pure.

>>> line = PeriodLine("FY2026-Q3", 20_000_000, 8_000_000, 12_300_000, 15_000_000, 14_000_000)
>>> rep = RepDigest("佐藤", 5, (), (), line)
>>> subject(rep, "ja")
'【要フォロー】佐藤さん 5件（FY2026-Q3 コミット着地 ¥12,300,000 / 目標 ¥20,000,000）'
>>> subject(rep, "en")
'[Follow-up] 佐藤: 5 deals (FY2026-Q3 commit landing ¥12,300,000 / target ¥20,000,000)'
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..reports.followup import REASON_LABELS
from .digest import CellLink, Digest, FixCell, FollowUp, PeriodLine, RepDigest, TeamDigest

_WORDS = {
    "followups": ("要フォロー案件 {n}件", "{n} deals to follow up"),
    "top": ("影響額の大きい順に上位{n}件", "top {n} by impact"),
    "fix": ("直してほしいセル {n}件", "{n} cells to fix"),
    "nothing": ("要フォロー案件はありません。", "No deal needs a follow-up."),
    "target": ("目標", "target"),
    "won": ("受注済", "won"),
    "commit": ("コミット着地", "commit landing"),
    "forecast": ("加重着地", "weighted"),
    "short": ("不足", "short"),
    "over": ("超過", "over"),
    "no_target": ("目標なし", "no target"),
    "impact": ("影響額", "impact"),
    "close": ("受注予定日", "close"),
    "pushed": ("延期{n}回", "pushed {n}×"),
    "next": ("次回アクション", "Next action"),
    "none": ("未定", "none"),
    "last": ("最終接触", "last contact"),
    "idle": ("{n}日更新なし", "{n} days idle"),
    "reasons": ("理由", "Why"),
    "behind": ("目標未達の担当者 {n}名", "{n} reps behind target"),
    "behind_note": ("コミット着地が目標に届かない", "commit landing below target"),
    "slips": ("大きな遅れ", "Biggest slips"),
    "slips_note": ("受注予定日の超過・延期、影響額順", "overdue or pushed close dates, by impact"),
    "loads": ("担当者ごと", "By rep"),
    "load": ("要フォロー {f}件", "{f} follow-ups"),
    "load_errors": ("・入力エラー {e}件", ", {e} input errors"),
    "errors_total": ("入力エラー 計{n}件", "{n} input errors in all"),
    "owner": ("担当", "owner"),
    "as_of": ("基準日", "as of"),
}


def word(key: str, language: str, **params: object) -> str:
    """One of the digests' words or phrases in ``language``.

    >>> word("followups", "ja", n=3), word("followups", "en", n=3)
    ('要フォロー案件 3件', '3 deals to follow up')
    """
    ja, en = _WORDS[key]
    return (en if language == "en" else ja).format(**params)


def top_note(digest: RepDigest, language: str) -> str:
    """``影響額の大きい順に上位5件`` when the rep has more follow-ups than are shown."""
    shown = len(digest.followups)
    return word("top", language, n=shown) if digest.total > shown else ""


def load_text(followups: int, errors: int, language: str) -> str:
    """``要フォロー 16件・入力エラー 3件`` (the errors only when there are some)."""
    text = word("load", language, f=followups)
    return text + (word("load_errors", language, e=errors) if errors else "")


def yen(value: int | None) -> str:
    """``¥1,234,000`` (``-¥5`` for a negative amount, ``-`` for none)."""
    if value is None:
        return "-"
    return f"-¥{-value:,}" if value < 0 else f"¥{value:,}"


def day(value: dt.date | None, language: str) -> str:
    if value is None:
        return "-"
    return value.isoformat() if language == "en" else value.strftime("%Y/%m/%d")


def reason_labels(reasons: tuple[str, ...], language: str) -> str:
    """Reason codes as the short labels of 要フォロー案件 (the code when it has none)."""
    labels = [REASON_LABELS[r](language) if r in REASON_LABELS else r for r in reasons]
    return (", " if language == "en" else "・").join(labels)


@dataclass(frozen=True)
class MessageContext:
    """What a message needs besides its digest: language, as-of, where the spreadsheet is
    (``location``: its URL or the workbook's path) and how stages are shown."""

    language: str = "ja"
    as_of: dt.date | None = None
    location: str = ""
    stage_labels: Mapping[str, str] = field(default_factory=dict)

    def stage(self, value: str | None) -> str:
        return self.stage_labels.get(value, value) if value else "-"


# ------------------------------------------------------------------------------ subject


def _period_tail(line: PeriodLine | None, language: str) -> str:
    if line is None:
        return ""
    goal = (f"{word('target', language)} {yen(line.target)}" if line.target is not None
            else word("no_target", language))
    inner = f"{line.period} {word('commit', language)} {yen(line.commit_landing)} / {goal}"
    return f" ({inner})" if language == "en" else f"（{inner}）"


def subject(digest: Digest, language: str) -> str:
    """The subject line (a mail's, or the first line of a chat message)."""
    en = language == "en"
    if isinstance(digest, TeamDigest):
        behind = len(digest.behind)
        head = (f"[Team] {digest.total} follow-ups, {behind} reps behind target" if en else
                f"【チーム】要フォロー {digest.total}件・目標未達 {behind}名")
        return head + _period_tail(digest.period, language)
    errors = len(digest.errors)
    if en:
        head = f"[Follow-up] {digest.owner}: {digest.total} deals"
        head += f", {errors} input errors" if errors else ""
    else:
        head = f"【要フォロー】{digest.owner}さん {digest.total}件"
        head += f"・入力エラー {errors}件" if errors else ""
    return head + _period_tail(digest.period, language)


# ---------------------------------------------------------------------------- plain text


def period_text(line: PeriodLine, language: str) -> str:
    """``FY2026-Q3: 目標 ¥… ・ 受注済 ¥… ・ コミット着地 ¥…（不足 ¥…）・ 加重着地 ¥…``"""
    sep = " · " if language == "en" else " ・ "
    commit = f"{word('commit', language)} {yen(line.commit_landing)}"
    short = line.shortfall
    if short is not None and short != 0:
        which = word("short" if short > 0 else "over", language)
        commit += f" ({which} {yen(abs(short))})" if language == "en" else (
            f"（{which} {yen(abs(short))}）")
    parts = [f"{word('target', language)} {yen(line.target)}" if line.target is not None
             else word("no_target", language),
             f"{word('won', language)} {yen(line.won)}", commit,
             f"{word('forecast', language)} {yen(line.forecast)}"]
    return f"{line.period}: " + sep.join(parts)


def _link_text(link: CellLink) -> str:
    return link.url if link.is_web else f"→ {link.ref}"  # type: ignore[return-value]


def followup_lines(n: int, f: FollowUp, ctx: MessageContext, owner: bool = False
                    ) -> list[str]:
    lang = ctx.language
    en = lang == "en"
    title = " ".join(x for x in (f.deal_id, f.deal_name or "") if x)
    if f.client:
        title += f" / {f.client}"
        if f.client_contact:  # whom to call there
            title += f" ({f.client_contact})" if en else f"（{f.client_contact}）"
    if owner and f.owner:
        who = f"{word('owner', lang)} {f.owner}"
        title += f" ({who})" if en else f"（{who}）"
    sep = " · " if en else " ・ "
    money = yen(f.amount)
    if f.probability is not None and f.amount is not None:
        money += f" × {f.probability:g}%"
    if f.impact is not None:
        money += f" = {word('impact', lang)} {yen(f.impact)}"
    facts = [ctx.stage(f.stage), money, f"{word('close', lang)} {day(f.expected_close, lang)}"]
    if f.close_pushes:
        facts.append(word("pushed", lang, n=f.close_pushes))
    action = f.next_action or word("none", lang)
    if f.next_action_date is not None:
        action += (f" (by {day(f.next_action_date, lang)})" if en
                   else f"（期日 {day(f.next_action_date, lang)}）")
    contact = []
    if f.last_activity is not None:
        contact.append(f"{word('last', lang)} {day(f.last_activity, lang)}")
    if f.days_since_update is not None and "no_update" in f.reasons:
        contact.append(word("idle", lang, n=f.days_since_update))
    colon = ": "
    return [
        f"{n}. {title}",
        "   " + sep.join(facts),
        f"   {word('reasons', lang)}{colon}{reason_labels(f.reasons, lang)}",
        f"   {word('next', lang)}{colon}{action}" + (sep + sep.join(contact) if contact else ""),
        f"   {_link_text(f.link)}",
    ]


def _fix_lines(cells: tuple[FixCell, ...], ctx: MessageContext) -> list[str]:
    out = []
    for c in cells:
        typed = f" “{c.value}”" if ctx.language == "en" else f"「{c.value}」"
        out.append(f"- {c.cell} {c.column or ''}{typed if c.value else ''}: {c.message}")
        out.append(f"  {_link_text(c.link)}")
    return out


def _as_of_text(ctx: MessageContext) -> str:
    if ctx.as_of is None:
        return ""
    if ctx.language == "en":
        return f" (as of {day(ctx.as_of, 'en')})"
    return f"（基準日 {day(ctx.as_of, 'ja')}）"


def text_body(digest: Digest, ctx: MessageContext) -> str:
    """The plain-text part: what a rep (or a manager) reads first."""
    lines = _team_text(digest, ctx) if isinstance(digest, TeamDigest) else _rep_text(digest, ctx)
    lines += ["", f"sheetsync · {ctx.location}" if ctx.location else "sheetsync"]
    return "\n".join(lines) + "\n"


def _heading(title: str, note: str, _lang: str) -> str:
    return f"■ {title} — {note}" if note else f"■ {title}"


def _rep_text(d: RepDigest, ctx: MessageContext) -> list[str]:
    lang = ctx.language
    en = lang == "en"
    lines = [(f"{d.owner}, your follow-ups{_as_of_text(ctx)}." if en
              else f"{d.owner}さん、今週のフォローです{_as_of_text(ctx)}。"), ""]
    if d.period is not None:
        lines += [period_text(d.period, lang), ""]
    if d.followups:
        lines.append(_heading(word("followups", lang, n=d.total), top_note(d, lang), lang))
        for n, f in enumerate(d.followups, 1):
            lines += followup_lines(n, f, ctx)
        lines.append("")
    else:
        lines += [word("nothing", lang), ""]
    if d.errors:
        lines.append(_heading(word("fix", lang, n=len(d.errors)), "", lang))
        lines += _fix_lines(d.errors, ctx)
        lines.append("")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _team_text(d: TeamDigest, ctx: MessageContext) -> list[str]:
    lang = ctx.language
    en = lang == "en"
    lines = [(f"The team's week{_as_of_text(ctx)}." if en
              else f"チームのまとめです{_as_of_text(ctx)}。"), ""]
    if d.period is not None:
        lines += [period_text(d.period, lang), ""]
    if d.behind:
        lines.append(_heading(word("behind", lang, n=len(d.behind)), word("behind_note", lang),
                              lang))
        for owner, line in zip(d.behind_owners, d.behind):
            lines.append(f"- {owner}: {period_text(line, lang).split(': ', 1)[1]}")
        lines.append("")
    if d.slips:
        lines.append(_heading(word("slips", lang), word("slips_note", lang), lang))
        for n, f in enumerate(d.slips, 1):
            lines += followup_lines(n, f, ctx, owner=True)
        lines.append("")
    if d.loads:
        lines.append(_heading(word("loads", lang), "", lang))
        lines += [f"- {load.owner}: {load_text(load.followups, load.errors, lang)}"
                  for load in d.loads]
        lines.append("")
    if d.errors:
        lines.append(word("errors_total", lang, n=len(d.errors)))
    return lines[:-1] if lines and lines[-1] == "" else lines


# ---------------------------------------------------------------------------------- HTML


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _a(link: CellLink, text: str) -> str:
    if not link.url:
        return _e(text)
    return f'<a href="{_e(link.url)}">{_e(text)}</a>'


def html_body(digest: Digest, ctx: MessageContext) -> str:
    """The HTML part: the same content as :func:`text_body`, links clickable."""
    lang = ctx.language
    parts = [f'<html lang="{lang}"><head><meta charset="utf-8"></head>'
             '<body style="font-family:sans-serif;line-height:1.5">']
    if isinstance(digest, TeamDigest):
        parts += _team_html(digest, ctx)
    else:
        parts += _rep_html(digest, ctx)
    where = (f' · <a href="{_e(ctx.location)}">{_e(ctx.location)}</a>'
             if ctx.location.startswith(("https://", "http://"))
             else f" · {_e(ctx.location)}" if ctx.location else "")
    parts.append(f'<p style="color:#6b6b6b;font-size:small">sheetsync{where}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _followup_html(f: FollowUp, ctx: MessageContext, owner: bool = False) -> str:
    lines = followup_lines(0, f, ctx, owner)
    title = lines[0].split(" ", 1)[1]
    details = [_e(x.strip()) for x in lines[1:4]]
    return (f"<li><b>{_a(f.link, f.deal_id)}</b> {_e(title.removeprefix(f.deal_id).strip())}"
            f"<br>{details[0]}<br>{details[1]}<br>{details[2]}"
            f'{"" if f.link.is_web else " (" + _e(f.link.ref) + ")"}</li>')


def _period_html(line: PeriodLine, lang: str) -> str:
    return f"<p><b>{_e(period_text(line, lang))}</b></p>"


def _rep_html(d: RepDigest, ctx: MessageContext) -> list[str]:
    lang = ctx.language
    out = [f"<p>{_e(_rep_text(d, ctx)[0])}</p>"]
    if d.period is not None:
        out.append(_period_html(d.period, lang))
    if d.followups:
        note = top_note(d, lang)
        out.append(f"<h3>{_e(word('followups', lang, n=d.total))}"
                   + (f" <small>({_e(note)})</small>" if note else "") + "</h3>")
        out.append("<ol>" + "".join(_followup_html(f, ctx) for f in d.followups) + "</ol>")
    else:
        out.append(f"<p>{_e(word('nothing', lang))}</p>")
    if d.errors:
        out.append(f"<h3>{_e(word('fix', lang, n=len(d.errors)))}</h3>")
        out.append(_fix_html(d.errors, ctx))
    return out


def _fix_html(cells: tuple[FixCell, ...], ctx: MessageContext) -> str:
    items = []
    for c in cells:
        typed = f" “{c.value}”" if ctx.language == "en" else f"「{c.value}」"
        items.append(f"<li><b>{_a(c.link, c.cell)}</b> {_e(c.column or '')}"
                     f"{_e(typed) if c.value else ''}: {_e(c.message)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _team_html(d: TeamDigest, ctx: MessageContext) -> list[str]:
    lang = ctx.language
    out = [f"<p>{_e(_team_text(d, ctx)[0])}</p>"]
    if d.period is not None:
        out.append(_period_html(d.period, lang))
    if d.behind:
        out.append(f"<h3>{_e(word('behind', lang, n=len(d.behind)))} "
                   f"<small>({_e(word('behind_note', lang))})</small></h3>")
        out.append("<ul>" + "".join(
            f"<li><b>{_e(owner)}</b>: {_e(period_text(line, lang).split(': ', 1)[1])}</li>"
            for owner, line in zip(d.behind_owners, d.behind)) + "</ul>")
    if d.slips:
        out.append(f"<h3>{_e(word('slips', lang))} <small>({_e(word('slips_note', lang))})"
                   "</small></h3>")
        out.append("<ol>" + "".join(_followup_html(f, ctx, owner=True) for f in d.slips)
                   + "</ol>")
    if d.loads:
        out.append(f"<h3>{_e(word('loads', lang))}</h3><ul>" + "".join(
            f"<li>{_e(x.owner)}: {_e(load_text(x.followups, x.errors, lang))}</li>"
            for x in d.loads) + "</ul>")
    if d.errors:
        out.append(f"<p>{_e(word('errors_total', lang, n=len(d.errors)))}</p>")
    return out
