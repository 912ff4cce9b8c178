"""Problems found in the data, as values.

One frozen :class:`Issue` type is used everywhere: validation, the 入力エラー tab, the JSON
output, the terminal table, GitHub annotations and the tests. ``code`` is a stable
snake_case slug; ``message`` is already rendered in the team's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem at one place.

    ``row`` is the 1-based sheet row (the header row's number + n), ``cell`` the A1
    reference (``"H12"``), ``column`` the column label as written in the sheet header
    (or the schema label when the column is missing), ``value`` the cell as typed.
    Tab-level problems (a missing column) have ``row``/``cell`` set to ``None``.
    """

    code: str
    message: str
    tab: str
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    severity: Severity = Severity.ERROR
    field: str | None = None  # schema field name, when the issue concerns one

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: ``row``, ``cell``, ``column``, ``value``, ``code``, ``message``."""
        return {
            "row": self.row,
            "cell": self.cell,
            "column": self.column,
            "value": json_value(self.value),
            "code": self.code,
            "message": self.message,
            "severity": self.severity.value,
            "tab": self.tab,
        }


def json_value(value: Any) -> Any:
    """A cell value as JSON: dates as ISO strings, everything else unchanged."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, float) or value == value else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@dataclass
class Report:
    """Outcome of validating one register: counts plus every issue, in sheet order."""

    rows: int = 0
    excluded_rows: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    def to_json(self) -> dict[str, Any]:
        """The ``validation`` object of the JSON contract."""
        return {
            "rows": self.rows,
            "excluded_rows": self.excluded_rows,
            "errors": [i.to_json() for i in self.errors],
            "warnings": [i.to_json() for i in self.warnings],
        }
