"""Once a business day: the day of the last send, remembered in the spreadsheet itself.

The hidden state tab (``_sheetsync_state``) has a note row that already carries the run lease
(:mod:`sheetsync.lease`). `sheetsync notify` adds a sibling marker before it::

    sheetsync-snapshot v1 — … · notified={"3f9c2a1b":"2026-12-07"} · lease={…}

Keys are **scopes**: a fingerprint of the config's recipients and channels (the same config,
on any machine, is one scope), plus ``/`` and the rep's name key for a ``--owner`` send.

A send claims its scope's day *before* sending, in the backend's normal single write of that
one tab (its snapshot rows written back as they were read, the lease unchanged; a run
rewrites the tab later and carries the marker over). The write is conditional on nothing
having been written since the read, so two runners cannot both claim a day; when every
message fails the claim is given back. Days older than :data:`KEEP_DAYS` are dropped so the
note stays short.

>>> marker({"3f9c2a1b": "2026-12-07"})
'notified={"3f9c2a1b":"2026-12-07"}'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from ..config import Config
from ..grid import Grid
from ..history import SNAPSHOT_TAB, read_snapshot, snapshot_tab
from ..lease import note_markers, read_lease
from ..tabspec import TabSpec
from ..textnorm import match_key

NAME = "notified"
#: scopes whose last send is older than this many days are forgotten
KEEP_DAYS = 35


def scope(config: Config, owner: str | None = None) -> str:
    """The guard's key: a fingerprint of who gets digests through which channel (the
    addresses, the SMTP server and sender, the webhooks' variables), and the rep for
    ``--owner``. Retries, timeouts or ``top`` do not make another scope.

    >>> from sheetsync.config import Config
    >>> scope(Config()) == scope(Config()), scope(Config(), "佐藤　健").endswith("/佐藤健")
    (True, True)
    """
    n = config.notify
    who = {"owner_emails": {match_key(k): v for k, v in sorted(n.owner_emails.items())},
           "managers": sorted(n.managers), "email": [n.email.host, n.email.from_],
           "slack": n.slack.webhook_env, "google_chat": n.google_chat.webhook_env}
    text = json.dumps(who, sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{key}/{match_key(owner)}" if owner else key


def notified(state: Grid | None) -> dict[str, str]:
    """Scope → the ISO day of its last send, from the state tab's note row."""
    text = note_markers(state).get(NAME)
    if text is None:
        return {}
    try:
        data = json.loads(text.removeprefix(f"{NAME}="))
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def marker(days: Mapping[str, str]) -> str:
    return f"{NAME}=" + json.dumps(dict(sorted(days.items())), ensure_ascii=False,
                                   separators=(",", ":"))


def sent_on(days: Mapping[str, str], scopes: list[str], day: dt.date) -> str | None:
    """The first of ``scopes`` already sent on ``day``, if any."""
    return next((s for s in scopes if days.get(s) == day.isoformat()), None)


def with_day(days: Mapping[str, str], key: str, day: dt.date | None) -> dict[str, str]:
    """``days`` with ``key`` set to ``day`` (removed for ``None``), old scopes dropped."""
    out = dict(days)
    if day is None:
        out.pop(key, None)
    else:
        out[key] = day.isoformat()
    latest = max((dt.date.fromisoformat(v) for v in out.values() if _is_day(v)), default=None)
    if latest is not None:
        limit = latest - dt.timedelta(days=KEEP_DAYS)
        out = {k: v for k, v in out.items() if _is_day(v) and dt.date.fromisoformat(v) >= limit}
    return out


def _is_day(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def state_tab(state: Grid | None, days: Mapping[str, str]) -> TabSpec:
    """The state tab as read, its note row's ``notified`` marker replaced by ``days``: the
    snapshot rows, the other markers and the lease stay exactly as they were."""
    others = {k: v for k, v in note_markers(state).items() if k != NAME}
    markers = [*others.values(), marker(days)] if days else list(others.values())
    tab = snapshot_tab(read_snapshot(state), read_lease(state), markers)
    assert tab.name == SNAPSHOT_TAB
    return tab
