"""``spreadsheets.batchUpdate``: every request applied to a copy, committed only if all pass.

A failing request answers 400 ``Invalid requests[i].kind: …`` like Google and leaves the
spreadsheet untouched. Request kinds the discovery document knows but the emulator does not
implement answer 400 saying so, so a client never believes they worked.
"""

from __future__ import annotations

from typing import Any

from . import batch_cells, batch_metadata, batch_sheets  # noqa: F401  (register handlers)
from ._schema_data import SCHEMAS
from .batch_common import HANDLERS, Context
from .errors import ApiError, RequestError
from .state import Spreadsheet, State

IMPLEMENTED = frozenset(HANDLERS)


def apply_requests(
    state: State, ss: Spreadsheet, requests: list[dict[str, Any]], account: str
) -> list[dict[str, Any]]:
    """Apply ``requests`` to ``ss`` (a private copy) in order; return the replies."""
    ctx = Context(state=state, ss=ss, account=account)
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        kinds = [k for k, v in (request or {}).items() if v is not None]
        if len(kinds) != 1:
            raise ApiError(
                400,
                f"Invalid requests[{i}]: "
                + ("No request set." if not kinds else "Only one kind of request may be set."),
            )
        kind = kinds[0]
        fn = HANDLERS.get(kind)
        if fn is None:
            if kind in SCHEMAS["Request"]:
                raise ApiError(
                    400, f"Invalid requests[{i}].{kind}: not implemented by the sheetsync emulator."
                )
            raise ApiError(
                400,
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': "
                "Cannot find field.",
            )
        try:
            reply = fn(ctx, request[kind])
        except RequestError as err:
            raise ApiError(400, f"Invalid requests[{i}].{kind}: {err.message}") from None
        replies.append(reply or {})
    return replies
