"""`sheetsync notify`: tell each rep what to do — digests by mail, Slack and Google Chat.

- :mod:`.digest` — what each person is told (pure): a rep's top follow-ups by impact, their
  period line, the cells they must fix; the team's line, reps behind target, biggest slips;
- :mod:`.render` — a digest as a mail: subject, plain text, HTML (pure);
- :mod:`.chat` — a digest as a Slack / Google Chat webhook message (pure);
- :mod:`.channels` — SMTP (smtplib) and webhooks (requests); failures as ``SendError``;
- :mod:`.delivery` — retries with backoff; secrets kept out of log records;
- :mod:`.state` — once a business day: the ``notified=`` marker of the hidden state tab;
- :mod:`.dispatch` — :func:`send_digests`, what the CLI and jobs call;
- :mod:`.output` — the command's text output (dry-run digests, what was sent).

>>> from sheetsync.config import load_config                          # doctest: +SKIP
>>> result = send_digests(load_config("config.yaml"), dry_run=True)   # doctest: +SKIP
>>> result.to_json()["sent"]                                          # doctest: +SKIP
0
"""

from __future__ import annotations

from .dispatch import Message, NotifyResult, send_digests

__all__ = ["Message", "NotifyResult", "send_digests"]
