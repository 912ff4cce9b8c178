"""The run lease: which runner last wrote the spreadsheet, and until when it holds it.

Two machines scheduling the same spreadsheet must not both write in one slot. Every run's
single write records a lease — owner and expiry — in the hidden state tab's note row, and
the write itself is conditional on nothing else having written since the read (workbook:
the file's hash; Google: a generation counter in developer metadata), so two runners can
never interleave. A scheduled run that finds another runner's unexpired lease skips with a
clear log line instead of redoing the slot's work.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
from dataclasses import dataclass

from .grid import Grid

_MARK = "lease="
#: a marker of the note row: `` · name={json}`` (the lease is the last one)
_MARKER = re.compile(r" · ([a-z_]+)=")


@dataclass(frozen=True)
class Lease:
    owner: str
    expires: dt.datetime  # aware, UTC

    def held_by_other(self, me: str, now: dt.datetime) -> bool:
        return self.owner != me and self.expires > now

    def encode(self) -> str:
        return _MARK + json.dumps({"owner": self.owner, "expires": self.expires.isoformat()},
                                  ensure_ascii=False, separators=(",", ":"))


def default_runner() -> str:
    """This process as a lease owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def new_lease(owner: str, now: dt.datetime, minutes: float) -> Lease:
    return Lease(owner, now.astimezone(dt.timezone.utc) + dt.timedelta(minutes=minutes))


def read_lease(state: Grid | None) -> Lease | None:
    """The lease recorded in the state tab's note row, if any (a damaged one is ignored)."""
    if state is None or not state.rows or not state.rows[0]:
        return None
    note = state.rows[0][0]
    if not isinstance(note, str) or _MARK not in note:
        return None
    try:
        data = json.loads(note[note.index(_MARK) + len(_MARK):])
        expires = dt.datetime.fromisoformat(data["expires"])
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.timezone.utc)
        return Lease(str(data["owner"]), expires)
    except (ValueError, KeyError, TypeError):
        return None


def note_markers(state: Grid | None) -> dict[str, str]:
    """Every ``name={json}`` marker of the state tab's note row but the lease, by name, as
    written (``{"notified": 'notified={"a1b2c3d4":"2026-12-07"}'}``): what `sheetsync notify`
    records there, which a run's rewrite of the tab carries over unchanged."""
    if state is None or not state.rows or not state.rows[0]:
        return {}
    note = state.rows[0][0]
    if not isinstance(note, str):
        return {}
    found: dict[str, str] = {}
    decoder = json.JSONDecoder()
    for match in _MARKER.finditer(note):
        name = match.group(1)
        if name == _MARK[:-1] or name in found:
            continue
        try:
            _, end = decoder.raw_decode(note, match.end())
        except ValueError:
            continue  # damaged: dropped, as a damaged lease is ignored
        found[name] = note[match.start() + 3:end]
    return found
