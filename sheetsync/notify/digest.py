"""What each person is told: a rep's digest and the team's, built from a run's results. Pure.

A **rep's digest** holds their follow-ups ranked by impact (影響額, blank last; at most
``top``), their line of the current period (target, won, コミット着地 …) and the cells of their
rows that fail validation, each with a link. The **team digest** (managers) holds the team's
line, the reps behind target (コミット着地 below 目標, biggest shortfall first) and the biggest
slips (follow-ups with ``close_pushed`` or ``overdue_close``, by impact).

Rows are matched to reps by :func:`~sheetsync.textnorm.match_key` (``佐藤　健`` = ``佐藤 健``),
as the roster is. Rows of 要フォロー案件 are read with whatever keys they carry: ``impact``,
``next_action``, ``next_action_date`` and ``last_activity`` when the report has them (the
deal's own cells otherwise, see :func:`sheetsync.notify.dispatch.followup_records`).

>>> link = lambda tab, cell: CellLink(None, f"{tab}!{cell}")
>>> row = {"deal_id": "D-1", "deal_name": "導入", "client": "ABC", "owner": "佐藤　健",
...        "stage": "proposal", "amount": 1_000_000, "impact": 400_000,
...        "reasons": ["no_update"], "_row": 12}
>>> inputs = DigestInput(as_of=dt.date(2026, 12, 4), period="FY2026-Q3", forecast=[],
...                      stale=[row], errors=[], reps={"佐藤健": "佐藤 健"}, link=link)
>>> (digest,) = rep_digests(inputs)
>>> digest.owner, digest.total, digest.followups[0].link.ref
('佐藤 健', 1, '案件一覧!A12')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..issues import Issue
from ..textnorm import match_key

#: the follow-up reasons that make a deal a "slip" in the team digest
SLIP_REASONS = ("close_pushed", "overdue_close")


@dataclass(frozen=True)
class CellLink:
    """Where a cell opens: ``url`` (a web address, or a ``file:`` URI for a workbook) and
    ``ref`` (``案件一覧!A12``, what a reader sees when the URL cannot be opened from a message)."""

    url: str | None
    ref: str

    @property
    def is_web(self) -> bool:
        return bool(self.url) and self.url.startswith(("https://", "http://"))  # type: ignore[union-attr]


@dataclass(frozen=True)
class FollowUp:
    """One deal a rep should act on (a row of 要フォロー案件)."""

    deal_id: str
    deal_name: str | None
    client: str | None
    client_contact: str | None  # 先方担当者, as typed
    owner: str | None
    stage: str | None  # the schema value (``negotiation``)
    amount: int | None
    probability: float | None
    impact: int | None
    reasons: tuple[str, ...]
    expected_close: dt.date | None
    next_action: str | None
    next_action_date: dt.date | None
    last_activity: dt.date | None
    days_since_update: int | None
    close_pushes: int | None
    link: CellLink


@dataclass(frozen=True)
class FixCell:
    """A cell of the rep's rows that fails validation: what is typed and what is wrong."""

    cell: str
    column: str | None
    value: str
    message: str
    link: CellLink


@dataclass(frozen=True)
class PeriodLine:
    """One owner's (or the team's) current period, from 売上予測."""

    period: str
    target: int | None
    won: int | None
    commit_landing: int | None
    best_case_landing: int | None
    forecast: int | None

    @property
    def shortfall(self) -> int | None:
        """目標 − コミット着地 (negative: exceeded); ``None`` without a target."""
        if self.target is None or self.commit_landing is None:
            return None
        return self.target - self.commit_landing


@dataclass(frozen=True)
class RepDigest:
    """A rep's digest. ``total`` counts all their follow-ups; ``followups`` the top ones."""

    owner: str
    total: int
    followups: tuple[FollowUp, ...]
    errors: tuple[FixCell, ...]
    period: PeriodLine | None

    @property
    def empty(self) -> bool:
        return not self.total and not self.errors


@dataclass(frozen=True)
class RepLoad:
    """A rep's share of the team's work: follow-ups and cells to fix."""

    owner: str
    followups: int
    errors: int


@dataclass(frozen=True)
class TeamDigest:
    """The managers' digest."""

    period: PeriodLine | None
    total: int
    behind: tuple[PeriodLine, ...]  # owner lines, biggest shortfall first
    behind_owners: tuple[str, ...]
    slips: tuple[FollowUp, ...]
    loads: tuple[RepLoad, ...]
    errors: tuple[FixCell, ...]
    owner: None = None

    @property
    def empty(self) -> bool:
        return False  # the team line is always worth sending


Digest = RepDigest | TeamDigest


@dataclass(frozen=True)
class DigestInput:
    """What digests are built from (JSON-shaped rows of a run, see :mod:`.dispatch`).

    ``stale``: 要フォロー案件 rows (with ``_row``, the register row); ``forecast``: 売上予測's
    JSON rows; ``errors``: each validation error with the owner of its row (``None`` when
    the row names nobody); ``reps``: match key → the name as shown; ``link(tab, cell)``.
    """

    as_of: dt.date
    period: str | None
    forecast: Sequence[Mapping[str, Any]]
    stale: Sequence[Mapping[str, Any]]
    errors: Sequence[tuple[Issue, str | None]]
    reps: Mapping[str, str]
    link: Callable[[str, str], CellLink]
    register_tab: str = "案件一覧"
    top: int = 5


# ----------------------------------------------------------------------------- building


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _impact(row: Mapping[str, Any]) -> int | None:
    """影響額 as 要フォロー案件 has it; before the report had the column: amount × probability."""
    if "impact" in row:
        return _int(row["impact"])
    amount, probability = row.get("amount"), row.get("probability")
    if amount is None:
        return None
    return round(amount * probability / 100) if probability is not None else int(amount)


def followup(row: Mapping[str, Any], inputs: DigestInput) -> FollowUp:
    """One row of 要フォロー案件 as a :class:`FollowUp`."""
    cell = f"A{int(row['_row'])}"
    deal_id = row.get("deal_id") or cell
    probability = row.get("probability")
    return FollowUp(
        deal_id=str(deal_id), deal_name=row.get("deal_name"), client=row.get("client"),
        client_contact=row.get("client_contact"),
        owner=row.get("owner"), stage=row.get("stage"), amount=_int(row.get("amount")),
        probability=None if probability is None else float(probability),
        impact=_impact(row), reasons=tuple(row.get("reasons") or ()),
        expected_close=row.get("expected_close"), next_action=row.get("next_action"),
        next_action_date=row.get("next_action_date"),
        last_activity=row.get("last_activity"),
        days_since_update=_int(row.get("days_since_update")),
        close_pushes=_int(row.get("close_pushes")),
        link=inputs.link(inputs.register_tab, cell),
    )


def by_impact(followups: Sequence[FollowUp]) -> list[FollowUp]:
    """Impact descending, blank last; ties keep their order (the report's)."""
    return sorted(followups, key=lambda f: (f.impact is None, -(f.impact or 0)))


def fix_cell(issue: Issue, inputs: DigestInput) -> FixCell:
    from ..validate import display_value

    cell = issue.cell or ""
    return FixCell(cell=cell if issue.tab == inputs.register_tab else f"{issue.tab}!{cell}",
                   column=issue.column, value=display_value(issue.value), message=issue.message,
                   link=inputs.link(issue.tab, cell))


def period_line(rows: Sequence[Mapping[str, Any]], period: str | None, owner: str | None
                ) -> PeriodLine | None:
    """The 売上予測 row of ``period`` for ``owner`` (``None``: the team), matched by key."""
    if period is None:
        return None
    key = None if owner is None else match_key(owner)
    for row in rows:
        name = row.get("owner")
        if row.get("period") != period or (name is None) != (key is None):
            continue
        if key is None or match_key(str(name)) == key:
            return PeriodLine(period, _int(row.get("target")), _int(row.get("won")),
                              _int(row.get("commit_landing")),
                              _int(row.get("best_case_landing")), _int(row.get("forecast")))
    return None


def _owner_key(value: Any) -> str | None:
    return match_key(value) if isinstance(value, str) and value.strip() else None


def rep_digests(inputs: DigestInput) -> list[RepDigest]:
    """Every rep's digest, in the order of ``inputs.reps`` (empty ones included)."""
    followups: dict[str, list[FollowUp]] = {key: [] for key in inputs.reps}
    for row in inputs.stale:
        key = _owner_key(row.get("owner"))
        if key in followups:
            followups[key].append(followup(row, inputs))
    errors: dict[str, list[FixCell]] = {key: [] for key in inputs.reps}
    for issue, owner in inputs.errors:
        key = _owner_key(owner)
        if key in errors:
            errors[key].append(fix_cell(issue, inputs))
    return [RepDigest(owner=name, total=len(followups[key]),
                      followups=tuple(by_impact(followups[key])[: inputs.top]),
                      errors=tuple(errors[key]),
                      period=period_line(inputs.forecast, inputs.period, name))
            for key, name in inputs.reps.items()]


def team_digest(inputs: DigestInput, reps: Sequence[RepDigest] | None = None) -> TeamDigest:
    """The managers' digest: team line, reps behind target, biggest slips, who carries what."""
    reps = list(rep_digests(inputs)) if reps is None else list(reps)
    behind = [(r.owner, r.period) for r in reps
              if r.period is not None and (r.period.shortfall or 0) > 0]
    behind.sort(key=lambda pair: -(pair[1].shortfall or 0))
    everything = [followup(row, inputs) for row in inputs.stale]
    slips = [f for f in everything if any(r in SLIP_REASONS for r in f.reasons)]
    loads = [RepLoad(r.owner, r.total, len(r.errors)) for r in reps if not r.empty]
    return TeamDigest(
        period=period_line(inputs.forecast, inputs.period, None),
        total=len(everything),
        behind=tuple(line for _, line in behind),
        behind_owners=tuple(owner for owner, _ in behind),
        slips=tuple(by_impact(slips)[: inputs.top]),
        loads=tuple(sorted(loads, key=lambda x: (-x.followups, -x.errors))),
        errors=tuple(fix_cell(issue, inputs) for issue, _ in inputs.errors),
    )
