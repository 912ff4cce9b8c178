"""Errors the emulator answers with, in Google's JSON shape."""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

MSG_NOT_FOUND = "Requested entity was not found."
MSG_PERMISSION = "The caller does not have permission"
MSG_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MSG_INTERNAL = "Internal error encountered."
MSG_UNAVAILABLE = "The service is currently unavailable."
#: Google refuses a request body over 10 MiB before reading it (documented nowhere but in its
#: answer: https://github.com/scrt-hq/psgsuite/issues/62); the limits page only recommends
#: 2 MB "to speed up requests" (https://developers.google.com/sheets/api/limits)
MAX_PAYLOAD_BYTES = 10_485_760
MSG_PAYLOAD_TOO_LARGE = f"Request payload size exceeds the limit: {MAX_PAYLOAD_BYTES} bytes."


def quota_message(write: bool) -> str:
    """Google's per-minute quota message for a read or a write request."""
    kind = "Write" if write else "Read"
    return (
        f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per "
        "minute per user' of service 'sheets.googleapis.com' for consumer "
        "'project_number:000000000000'."
    )


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "status"}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def field_violation(field: str, message: str) -> ApiError:
    """A 400 for a malformed request body, with Google's ``BadRequest`` details."""
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}],
        }
    ]
    return ApiError(400, message, details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


class RequestError(Exception):
    """A problem inside one request of a batch; the caller prefixes ``Invalid requests[i]``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
