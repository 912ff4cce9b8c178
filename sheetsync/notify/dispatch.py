"""`sheetsync notify`: compute what `run` computes, then send each rep and manager a digest.

:func:`send_digests` is the one entry point (the CLI and jobs call it):

1. :func:`sheetsync.pipeline.run` with ``dry_run=True`` — read, validate, compute; no tab is
   written (a scheduled call honours another runner's lease, as a scheduled run does);
2. build the digests (:mod:`.digest`) and one message per recipient and channel:
   ``email`` to each rep in ``notify.owner_emails`` and to each of ``notify.managers``;
   ``slack`` / ``google_chat`` (when their webhook is set) one message per rep and one for
   the team. A rep with no follow-up and no cell to fix gets nothing;
3. with ``dry_run``, stop there: the messages are returned, nothing is sent or recorded;
4. refuse (``refused``, exit 0) when this config already sent today (:mod:`.state`) unless
   ``force``; check every channel's settings (a missing variable is a
   :class:`~sheetsync.errors.ConfigError` before anything goes out); claim the day;
5. send each message with retries (:mod:`.delivery`); one failing recipient never stops the
   others. When every message failed, the day's claim is given back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import pipeline
from ..backends import Backend, ReadResult
from ..config import Config
from ..errors import ConfigError, FileChangedError, SheetsyncError
from ..history import SNAPSHOT_TAB
from ..issues import Issue
from ..names import spellings
from ..reports.base import is_missing
from ..reports.forecast import forecast_periods
from ..textnorm import match_key
from ..validate import display_value
from . import state
from .channels import SmtpChannel, WebhookChannel, mail_message, redacted, webhook_url
from .chat import PAYLOADS, message_text
from .delivery import RetryPolicy, deliver, redacting
from .digest import (
    CellLink,
    Digest,
    DigestInput,
    RepDigest,
    TeamDigest,
    rep_digests,
    team_digest,
)
from .render import MessageContext, html_body, subject, text_body

log = logging.getLogger("sheetsync.notify")

CHANNELS = ("email", "slack", "google_chat")
#: how many times the day's claim is tried when someone writes the spreadsheet meanwhile
_CLAIM_TRIES = 3


@dataclass
class Message:
    """One digest to one recipient through one channel, and what became of it."""

    channel: str
    to: str  # a mail address, or a webhook's variable (``$SHEETSYNC_SLACK_WEBHOOK``)
    digest: Digest
    subject: str
    text: str  # the mail's plain text, or the chat message
    html: str | None = None
    payload: dict[str, Any] | None = None
    status: str = "planned"  # planned | sent | failed
    tries: int = 0
    error: str | None = None

    @property
    def owner(self) -> str | None:
        return self.digest.owner

    def to_json(self) -> dict[str, Any]:
        """The contract's digest object: ``channel``, ``to``, ``owner``, ``subject``,
        ``followups`` (deal IDs) and ``errors`` (cells)."""
        d = self.digest
        followups = d.slips if isinstance(d, TeamDigest) else d.followups
        return {"channel": self.channel, "to": self.to, "owner": d.owner,
                "subject": self.subject, "followups": [f.deal_id for f in followups],
                "errors": [c.cell for c in d.errors]}


@dataclass
class NotifyResult:
    """What `sheetsync notify` did. ``refused``: why nothing was sent (already sent today);
    ``unreached``: reps with something to do whom no channel reaches; ``unmatched``: names in
    ``notify.owner_emails`` that match no 担当者."""

    as_of: dt.date
    language: str
    messages: list[Message]
    dry_run: bool = False
    refused: str | None = None
    unreached: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(m.status == "sent" for m in self.messages)

    @property
    def failed(self) -> int:
        return sum(m.status == "failed" for m in self.messages)

    def to_json(self) -> dict[str, Any]:
        """``{"digests": […], "sent": n, "failed": n}`` — never a secret: webhooks appear as
        their variable's name."""
        return {"digests": [m.to_json() for m in self.messages], "sent": self.sent,
                "failed": self.failed}


# ----------------------------------------------------------------------------- inputs


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return value
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def followup_records(stale: pd.DataFrame, deals: pd.DataFrame) -> list[dict[str, Any]]:
    """要フォロー案件's rows as plain dicts; the deal's own next action, its date, the last
    contact and the probability cell fill in what the report does not carry."""
    rows = [{k: _value(v) for k, v in row.items()} for row in stale.to_dict("records")]
    wanted = [c for c in ("next_action", "next_action_date", "last_activity", "probability")
              if c not in stale.columns and c in deals.columns]
    if wanted and rows:
        by_row = {int(r["_row"]): r for r in deals[["_row", *wanted]].to_dict("records")}
        for row in rows:
            extra = by_row.get(int(row["_row"]), {})
            for key in wanted:
                row[key] = _value(extra.get(key))
    return rows


def error_owners(checked: pipeline.Checked) -> list[tuple[Issue, str | None]]:
    """Every validation error with the 担当者 typed in its row (``None`` when the error is
    not in a register row, or the row names nobody)."""
    register = checked.register
    header = checked.validation.header
    col = header.columns.get("owner") if header is not None else None
    out: list[tuple[Issue, str | None]] = []
    for issue in checked.report.errors:
        owner = None
        if issue.tab == register.name and issue.row is not None and col is not None:
            row = register.rows[issue.row - 1] if 0 < issue.row <= len(register.rows) else []
            text = display_value(row[col]).strip() if col < len(row) else ""
            owner = text or None
        out.append((issue, owner))
    return out


def cell_linker(backend: Backend, read: ReadResult) -> Callable[[str, str], CellLink]:
    """``link(tab, cell)``: the full URL of a cell (Google: the sheet's URL with
    ``#gid=…&range=A12``; a workbook: its ``file:`` URI with the ``#'Tab'!A12`` anchor)."""
    where = backend.describe()

    def link(tab: str, cell: str) -> CellLink:
        ref = f"{tab}!{cell}"
        if not cell:
            return CellLink(None, tab)
        anchor = backend.link(read, tab, cell)
        if anchor.startswith(("https://", "http://")):
            return CellLink(anchor, ref)
        if where.startswith(("https://", "http://")):
            return CellLink(where + anchor, ref)
        return CellLink(Path(where).resolve().as_uri() + anchor, ref)

    return link


def digest_input(result: pipeline.RunResult) -> DigestInput:
    """What the digests are built from, taken from a run's results."""
    checked = result.checked
    config = checked.config
    deals = checked.validation.deals
    names = deals["owner"].tolist() if "owner" in deals.columns else []
    shown = spellings(names, config.owners)
    order = [match_key(n) for n in config.owners]
    reps = {k: shown[k] for k in [*order, *sorted(set(shown) - set(order),
                                                  key=lambda k: shown[k])]}
    periods = forecast_periods(result.settings)
    return DigestInput(
        as_of=result.as_of, period=periods.base[periods.current].key,
        forecast=result.to_json()["forecast"],
        stale=followup_records(result.stale, deals),
        errors=error_owners(checked), reps=reps,
        link=cell_linker(checked.backend, checked.read),
        register_tab=checked.register.name, top=config.notify.top)


def message_context(result: pipeline.RunResult) -> MessageContext:
    checked = result.checked
    language = checked.config.language
    return MessageContext(
        language=language, as_of=result.as_of, location=checked.backend.describe(),
        stage_labels={c.value: c.label(language) for c in checked.schema.stage_field.choices})


# ----------------------------------------------------------------------------- planning


def plan_messages(config: Config, reps: list[RepDigest], team: TeamDigest | None,
                  ctx: MessageContext) -> tuple[list[Message], list[str]]:
    """One message per recipient and channel (every rep with something to do, the team);
    and the reps with something to do whom no channel reaches."""
    settings = config.notify
    emails = {match_key(name): address for name, address in settings.owner_emails.items()}
    hooks = {name: hook for name, hook in (("slack", settings.slack),
                                           ("google_chat", settings.google_chat))
             if hook.webhook_env}
    messages: list[Message] = []
    unreached: list[str] = []
    lang = ctx.language

    def mail(to: str, digest: Digest) -> Message:
        return Message("email", to, digest, subject(digest, lang), text_body(digest, ctx),
                       html=html_body(digest, ctx))

    for digest in reps:
        if digest.empty:
            continue
        address = emails.get(match_key(digest.owner))
        if address:
            messages.append(mail(address, digest))
        for name, hook in hooks.items():
            mentions = {match_key(k): v for k, v in hook.mentions.items()}
            mention = mentions.get(match_key(digest.owner))
            messages.append(Message(
                name, redacted(hook.webhook_env or ""), digest, subject(digest, lang),
                message_text(digest, ctx, name, mention),
                payload=PAYLOADS[name](digest, ctx, mention)))
        if not address and not hooks:
            unreached.append(digest.owner)
    if team is not None:
        messages += [mail(address, team) for address in settings.managers]
        for name, hook in hooks.items():
            messages.append(Message(
                name, redacted(hook.webhook_env or ""), team, subject(team, lang),
                message_text(team, ctx, name), payload=PAYLOADS[name](team, ctx)))
    return messages, unreached


def _select(reps: list[RepDigest], owner: str, config: Config) -> RepDigest:
    key = match_key(owner)
    for digest in reps:
        if match_key(digest.owner) == key:
            return digest
    known = ", ".join(d.owner for d in reps) or "(none)"
    raise ConfigError(f"--owner {owner!r}: no such 担当者 in the register or the roster "
                      f"(担当者: {known})")


# ------------------------------------------------------------------------------ sending


@dataclass
class _Senders:
    """The channels this send needs, checked before anything goes out."""

    smtp: SmtpChannel | None
    hooks: dict[str, WebhookChannel]
    secrets: list[str]


def _senders(config: Config, messages: list[Message], env: Mapping[str, str]) -> _Senders:
    settings = config.notify
    used = {m.channel for m in messages}
    smtp = None
    secrets: list[str] = []
    if "email" in used:
        smtp = SmtpChannel.from_config(settings.email, env, config.source,
                                       settings.timeout_seconds)
        if smtp.password:
            secrets.append(smtp.password)
    hooks = {}
    for name in ("slack", "google_chat"):
        variable = getattr(settings, name).webhook_env
        if name in used and variable:
            url = webhook_url(variable, env, config.source, f"notify.{name}.webhook_env")
            hooks[name] = WebhookChannel(url, redacted(variable), settings.timeout_seconds)
            secrets.append(url)
    return _Senders(smtp, hooks, secrets)


def _send(message: Message, senders: _Senders, policy: RetryPolicy,
          sleep: Callable[[float], None]) -> None:
    if message.channel == "email":
        smtp = senders.smtp
        assert smtp is not None and message.html is not None
        mail = mail_message(sender=smtp.sender, to=message.to, subject=message.subject,
                            text=message.text, html=message.html)
        outcome = deliver(lambda: smtp.send(mail), policy, sleep)
    else:
        hook = senders.hooks[message.channel]
        payload = message.payload or {"text": message.text}
        outcome = deliver(lambda: hook.send(payload), policy, sleep)
    message.tries = outcome.tries
    if outcome.ok:
        message.status = "sent"
        log.info("notify: sent %s → %s (%s)", message.channel, message.to,
                 message.owner or "team")
    else:
        message.status, message.error = "failed", outcome.error
        log.warning("notify: %s → %s (%s) failed: %s", message.channel, message.to,
                    message.owner or "team", outcome.error)


def _claim(backend: Backend, read: ReadResult, key: str, day: dt.date | None,
           scopes: list[str], check: dt.date | None) -> str | None:
    """Write ``key``'s day into the state tab (conditional on the read). Re-read and try
    again when someone wrote meanwhile; returns the scope found already sent on ``check``
    (someone claimed it first), else ``None``."""
    for attempt in range(_CLAIM_TRIES):
        grid = read.grids.get(SNAPSHOT_TAB)
        days = state.notified(grid)
        if check is not None and (hit := state.sent_on(days, scopes, check)):
            return hit
        try:
            backend.write([state.state_tab(grid, state.with_day(days, key, day))], read)
            return None
        except FileChangedError:
            if attempt == _CLAIM_TRIES - 1:
                raise
            read = backend.read([SNAPSHOT_TAB])
    return None


def send_digests(
    config: Config,
    *,
    as_of: dt.date | None = None,
    owner: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    backend: Backend | None = None,
    runner: str | None = None,
    respect_lease: bool = False,
    progress: pipeline.Progress = pipeline._quiet,
) -> NotifyResult:
    """Build every digest and send it (see the module's docstring for the steps).

    ``env`` holds the secrets' variables (default ``os.environ``); ``sleep`` waits between
    tries. Raises :class:`~sheetsync.errors.ConfigError` for a channel that cannot work and
    :class:`~sheetsync.errors.BackendError` when the spreadsheet cannot be read or the day
    cannot be recorded; a failed send is a ``failed`` message, never an exception.
    """
    env = os.environ if env is None else env
    result = pipeline.run(config, as_of=as_of, dry_run=True, backend=backend, runner=runner,
                          respect_lease=respect_lease, progress=progress)
    inputs = digest_input(result)
    ctx = message_context(result)
    reps = rep_digests(inputs)
    team = team_digest(inputs, reps)
    if owner is not None:
        reps, team = [_select(reps, owner, config)], None
    messages, unreached = plan_messages(config, reps, team, ctx)
    known = set(inputs.reps)
    unmatched = [n for n in config.notify.owner_emails if match_key(n) not in known]
    for name in unmatched:
        log.warning("notify: notify.owner_emails: %s matches no 担当者", name)
    outcome = NotifyResult(result.as_of, config.language, messages, dry_run, None, unreached,
                           unmatched)
    if dry_run or not messages:
        return outcome
    checked = result.checked
    day = result.as_of
    scopes = [state.scope(config)] + ([state.scope(config, owner)] if owner else [])
    days = state.notified(checked.read.grids.get(SNAPSHOT_TAB))
    if not force and (state.sent_on(days, scopes, day)):
        return _refuse(outcome, day)
    senders = _senders(config, messages, env)
    key = scopes[-1]
    before = days.get(key)
    if _claim(checked.backend, checked.read, key, day, scopes, None if force else day):
        return _refuse(outcome, day)
    policy = RetryPolicy.from_config(config.notify.retry)
    with redacting(senders.secrets):
        for message in messages:
            _send(message, senders, policy, sleep)
    if outcome.failed and not outcome.sent:
        _release(checked.backend, key, before)
    return outcome


def _refuse(outcome: NotifyResult, day: dt.date) -> NotifyResult:
    outcome.refused = (f"already sent on {day.isoformat()} for this config; nothing was sent "
                       "(--force sends again)")
    log.info("notify: %s", outcome.refused)
    outcome.messages = []
    return outcome


def _release(backend: Backend, key: str, before: str | None) -> None:
    """Give the day back after every send failed, so the next call may send today."""
    try:
        read = backend.read([SNAPSHOT_TAB])
        days = state.notified(read.grids.get(SNAPSHOT_TAB))
        restored = dict(days)
        if before is None:
            restored.pop(key, None)
        else:
            restored[key] = before
        backend.write([state.state_tab(read.grids.get(SNAPSHOT_TAB), restored)], read)
    except SheetsyncError as exc:  # the sends' failure is what the caller must hear about
        log.warning("notify: every send failed and today's mark could not be removed (%s); "
                    "pass --force to send again today", type(exc).__name__)
