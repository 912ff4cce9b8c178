"""The fixtures of the `sheetsync notify` tests (:mod:`notify_servers`)."""

from notify_servers import (  # noqa: F401  (fixtures, found by name)
    _demo_workbook,
    demo_project,
    smtp_auth_server,
    smtp_server,
    webhook_server,
)
