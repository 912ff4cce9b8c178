"""The demo register's past: how today's deals stood on the days of the earlier runs.

``sheetsync demo`` builds its workbook the way a team's grows — a run a week, the reps'
edits in between (:mod:`.runs`). Today's register is the demo exactly as :mod:`.generate`
draws it; its past is derived backwards from it, with a random stream of its own (one per
deal), so no value of today's register moves:

- a deal is not in the register before its 登録日;
- a deal won or lost since the first run was open before its 完了日 — entered a few days
  after it, at the latest by the weekly update: at the stage before (受注 mostly from 交渉,
  失注 from any stage), with the 受注確率 and 確度 that stage suggests, a 受注予定日 near the
  close — a won deal mostly closed later than expected; the date is cleared when it closes —
  and now and then a 見込金額 trimmed at the end;
- reps log a contact every one to three weeks up to the deal's 最終接触日: each moves
  最終接触日 and sets the next 次回アクション and its date; about one in five moves the deal on
  a stage (so before it, the deal was at the previous stage, with a lower 受注確率 or 確度, an
  amount not yet estimated or another estimate), a few revise the amount. A deal on 保留 was
  parked on its 最終接触日;
- 受注予定日 slips: about four in ten open deals past 初回商談 had an earlier date, pushed
  once or twice (``close_pushes``, 期ズレ), on a day the date was near or past; a few were
  pulled in;
- a row with a deliberate error stays as it is, and the row reusing another's 案件ID is there
  whenever that one is (a pair of rows is never seen as one deal that vanished).

A deal's past is a list of :class:`Version` (from which day the row held which values);
:func:`demo_run_days` says on which days the runs are dated.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..metrics.periods import period_of
from . import pools
from .generate import PROBABILITIES, Deal

#: weekly runs back from today (as of today − 7 × k for k = 0 … WEEKS): 前週比, パイプライン増減
WEEKS = 3
#: and the weekly day on or before the previous quarter's end − N weeks, for each N: its
#: end (the last view of that quarter, where the current one's trend starts) and what
#: forecast accuracy looks at (forecast_accuracy.weeks_before's default)
ANCHOR_WEEKS = (0, 4, 8)

_STEPS = ("lead", "meeting", "proposal", "quote", "negotiation")
_LOWER_RANK = {"A": "B", "B": "C", "C": "D", "D": "D"}
_GAP_DAYS = (7, 21)  # between two contacts a rep logs
_STAGE_MOVE = 0.22  # a logged contact moved the deal on a stage
_AMOUNT_REVISED = 0.05  # a logged contact revised the amount (no stage move)
_SLIP = {"lead": 0.15, "meeting": 0.25, "proposal": 0.4, "quote": 0.45, "negotiation": 0.45,
         "on_hold": 0.35}
_SLIP_CLOSED = 0.3  # a deal won or lost since the first run had its date pushed before
_TWICE = 0.4  # a pushed date was pushed once before
_PULL_IN = 0.06
_PARKED = 0.8  # a 保留 deal was parked on its 最終接触日 (else: before the first run)
_CLOSE_LAG_DAYS = (0, 0, 0, 1, 2, 3, 4, 6)  # from 完了日 to the day the rep entered it


@dataclass(frozen=True)
class Version:
    """The values a deal's row held from ``since`` until the next version's day."""

    since: dt.date
    deal: Deal


@dataclass(frozen=True)
class Past:
    """One deal over time: in the register from ``appears``; its versions, oldest first
    (the last is today's deal)."""

    appears: dt.date
    versions: tuple[Version, ...]

    def on(self, day: dt.date) -> Deal | None:
        """The deal as its row stood at the end of ``day`` (None: not in the register)."""
        if day < self.appears:
            return None
        days = [v.since for v in self.versions]
        return self.versions[max(bisect.bisect_right(days, day) - 1, 0)].deal


def demo_run_days(today: dt.date, start_month: int = 4) -> list[dt.date]:
    """The days the demo's runs are dated, oldest first, ``today`` last: weekly for the last
    :data:`WEEKS` weeks, and the weekly day (today − 7 × k) on or before the end of the
    previous quarter − N weeks for each N of :data:`ANCHOR_WEEKS`.

    >>> [f"{d:%m-%d}" for d in demo_run_days(dt.date(2026, 12, 4))]
    ['07-31', '08-28', '09-25', '11-13', '11-20', '11-27', '12-04']
    """
    days = {today - dt.timedelta(weeks=k) for k in range(WEEKS + 1)}
    end = period_of(today, "quarter", start_month).start - dt.timedelta(days=1)
    for weeks in ANCHOR_WEEKS:
        back = (today - (end - dt.timedelta(weeks=weeks))).days
        days.add(today - dt.timedelta(weeks=math.ceil(back / 7)))
    return sorted(days)


def demo_pasts(deals: Sequence[Deal], *, today: dt.date, horizon: dt.date, seed: int
               ) -> list[Past]:
    """Each deal's past (same order as ``deals``), as far back as ``horizon`` (the first
    run's day: what came before it is never seen)."""
    pasts = [_Past(deal, random.Random(f"past-{seed}/{index}"), today, horizon).build()
             for index, deal in enumerate(deals)]
    # the row copied from another without changing its 案件ID is there whenever that one is
    copy = next((i for i, d in enumerate(deals) if d.invalid == "duplicate_id"), None)
    original = next((i for i, d in enumerate(deals) if d.invalid == "duplicate_id_original"),
                    None)
    if copy is not None and original is not None:
        both = min(pasts[copy].appears, pasts[original].appears)
        pasts[copy] = replace(pasts[copy], appears=both)
        pasts[original] = replace(pasts[original], appears=both)
    return pasts


def _revised(amount: int, rng: random.Random,
             factors: Sequence[float] = (0.7, 0.8, 0.9, 1.1, 1.2, 1.3, 1.5)) -> int:
    """Another estimate of ``amount``, rounded the way people round."""
    raw = amount * rng.choice(factors)
    step = 10_000 if raw < 1_000_000 else 100_000 if raw < 10_000_000 else 1_000_000
    value = max(300_000, round(raw / step) * step)
    return value if value != amount else amount + step


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date | None:
    """A random day in ``[start, end]`` (None when it is empty)."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(0, span)) if span >= 0 else None


Transform = Callable[[Deal], Deal]


class _Past:
    """Derives one deal's past: plans its events (contacts, a close, slips, parking) with
    its own random stream, then undoes them from today's values backwards."""

    def __init__(self, deal: Deal, rng: random.Random, today: dt.date, horizon: dt.date
                 ) -> None:
        self.deal = deal
        self.rng = rng
        self.today = today
        self.horizon = horizon
        # (day, order on that day, what the row held before it), undone latest first
        self.events: list[tuple[dt.date, int, Transform]] = []
        self.actions = (deal.next_action is not None or deal.hold_action is not None
                        or deal.formula_like is not None
                        or (deal.closed_on is not None and rng.random() < 0.8))
        self.action_dates = deal.next_action_date is not None or (
            deal.closed_on is not None and self.actions)

    def build(self) -> Past:
        deal = self.deal
        static = deal.invalid is not None or (
            deal.closed_on is not None and deal.closed_on <= self.horizon)
        if not static:
            self._plan()
        versions: list[Version] = []
        current = deal
        # latest first; on one day, the close before the contact before a slip (undone in
        # the reverse of the order they were made)
        for day, _, undo in sorted(self.events, key=lambda e: (-e[0].toordinal(), e[1])):
            versions.append(Version(day, current))
            current = undo(current)
        versions.append(Version(deal.created_on, current))
        return Past(deal.created_on, tuple(reversed(versions)))

    # -- planning ------------------------------------------------------------------------
    def _plan(self) -> None:
        deal, rng = self.deal, self.rng
        closed = deal.closed_on
        if closed is not None:
            anchor = min(deal.last_activity or closed, closed)
            touches = self._older_touches(anchor)
            close, expected = self._close(touches[0] if touches else None)
            # entered when the rep next updated the register (the memo says: by Friday)
            lag = dt.timedelta(days=rng.choice(_CLOSE_LAG_DAYS))
            self.events.append((min(closed + lag, self.today), 0, close))
            self._touch_events(touches)
            self._slips(expected, closed - dt.timedelta(days=1), _SLIP_CLOSED)
            return
        last = deal.last_activity
        if last is None:
            touches: list[dt.date] = []
        else:
            touches = [last, *self._older_touches(last)]
        if deal.stage == "on_hold":  # parked on its 最終接触日, or before the first run
            if touches and rng.random() < _PARKED:
                self.events.append((touches[0], 1,
                                    self._park(touches[1] if len(touches) > 1 else None)))
                touches = touches[1:]
            else:
                touches = []
        self._touch_events(touches)
        if deal.expected_close is not None:
            self._slips(deal.expected_close, self.today, _SLIP[deal.stage])

    def _older_touches(self, anchor: dt.date) -> list[dt.date]:
        """Contacts logged before ``anchor``, newest first, down to the first run."""
        out: list[dt.date] = []
        day = anchor
        while day > self.horizon:
            day -= dt.timedelta(days=self.rng.randint(*_GAP_DAYS))
            if day <= self.deal.created_on:
                break
            out.append(day)
        return out

    def _touch_events(self, touches: list[dt.date]) -> None:
        for i, day in enumerate(touches):
            previous = touches[i + 1] if i + 1 < len(touches) else None
            self.events.append((day, 2, self._touch(day, previous)))

    def _slips(self, expected: dt.date | None, latest: dt.date, chance: float) -> None:
        """受注予定日 pushed from an earlier date (once or twice), or pulled in from a later
        one, on days after the first run and before ``latest``."""
        deal, rng = self.deal, self.rng
        if expected is None:
            return
        earliest = max(self.horizon + dt.timedelta(days=1),
                       deal.created_on + dt.timedelta(days=14))
        floor = deal.created_on + dt.timedelta(days=7)
        roll = rng.random()
        if roll >= chance + _PULL_IN:
            return
        day = _day_in(rng, earliest, latest)
        if day is None:
            return
        if roll >= chance:  # pulled in: the client wants it sooner
            self.events.append((day, 3, self._set_expected(
                expected + dt.timedelta(days=rng.randint(20, 70)))))
            return
        old = day + dt.timedelta(days=rng.randint(-21, 30))
        if old > expected - dt.timedelta(days=7):
            old = expected - dt.timedelta(days=rng.randint(14, 60))
        if old < floor:
            return
        self.events.append((day, 3, self._set_expected(old)))
        if rng.random() >= _TWICE:
            return
        before = _day_in(rng, earliest, day - dt.timedelta(days=7))
        if before is None:
            return
        older = before + dt.timedelta(days=rng.randint(-21, 21))
        if older > old - dt.timedelta(days=7):
            older = old - dt.timedelta(days=rng.randint(14, 45))
        if older >= floor:
            self.events.append((before, 3, self._set_expected(older)))

    # -- what a row held before an event -------------------------------------------------
    def _set_expected(self, day: dt.date) -> Transform:
        return lambda after: replace(after, expected_close=day)

    def _last_contact(self, previous: dt.date | None) -> dt.date | None:
        """最終接触日 before a contact: the one before (or the 登録日, or none yet)."""
        if self.deal.last_activity is None:
            return None
        if previous is not None:
            return previous
        return self.deal.created_on if self.rng.random() < 0.5 else None

    def _next_action(self, after: Deal, due: dt.date, previous: dt.date | None
                     ) -> dict[str, object]:
        """次回アクション and its date before a contact on ``due``: what was planned then."""
        rng = self.rng
        values: dict[str, object] = {"hold_action": None}
        if not self.actions:
            return values
        if after.next_action_date is not None and after.next_action_date <= due:
            return values  # planned before this contact, and left as it was then
        if after.formula_like is None:
            values["next_action"] = rng.randrange(len(pools.NEXT_ACTIONS["ja"]))
        if self.action_dates:
            floor = (previous or self.deal.created_on) + dt.timedelta(days=1)
            values["next_action_date"] = max(floor, due + dt.timedelta(days=rng.randint(-5, 2)))
        return values

    def _touch(self, day: dt.date, previous: dt.date | None) -> Transform:
        def undo(after: Deal) -> Deal:
            rng = self.rng
            before = replace(after, last_activity=self._last_contact(previous),
                             **self._next_action(after, day, previous))  # type: ignore[arg-type]
            if after.stage in _STEPS[1:] and rng.random() < _STAGE_MOVE:
                return self._stage_back(before)
            if before.amount is not None and rng.random() < _AMOUNT_REVISED:
                return replace(before, amount=_revised(before.amount, rng))
            return before
        return undo

    def _stage_back(self, after: Deal) -> Deal:
        rng = self.rng
        stage = _STEPS[_STEPS.index(after.stage) - 1]
        probability = after.probability
        if probability is not None:
            probability = min(probability, rng.choice(PROBABILITIES[stage]))
        rank = after.rank
        if rank is not None and rng.random() < 0.5:
            rank = _LOWER_RANK[rank]
        amount = after.amount
        if amount is not None:
            if stage in ("lead", "meeting") and rng.random() < 0.5:
                amount = None  # not estimated yet
            elif rng.random() < 0.3:
                amount = _revised(amount, rng)
        return replace(after, stage=stage, probability=probability, rank=rank, amount=amount)

    def _park(self, previous: dt.date | None) -> Transform:
        """Before a deal was put on 保留 (on its 最終接触日): at an open stage."""
        def undo(after: Deal) -> Deal:
            rng = self.rng
            stage = rng.choices(("meeting", "proposal", "quote", "negotiation"),
                                weights=(15, 40, 35, 10))[0]
            probability = (None if after.probability is None
                           else rng.choice(PROBABILITIES[stage]))
            return replace(after, stage=stage, probability=probability,
                           last_activity=self._last_contact(previous),
                           **self._next_action(after, after.last_activity or self.today,
                                               previous))  # type: ignore[arg-type]
        return undo

    def _close(self, previous: dt.date | None) -> tuple[Transform, dt.date]:
        """Before a deal was won or lost: open, at the stage before, its close expected
        (the 受注予定日 it had then, returned too)."""
        deal, rng = self.deal, self.rng
        assert deal.closed_on is not None
        won = deal.stage == "won"
        if won:  # mostly later than the date expected
            stage = rng.choices(("negotiation", "quote", "proposal"), weights=(70, 25, 5))[0]
            shift = rng.randint(-21, 7)
        elif deal.amount is None:
            stage = rng.choices(("lead", "meeting"), weights=(40, 60))[0]
            shift = rng.randint(-20, 45)
        else:
            stage = rng.choices(_STEPS, weights=(15, 30, 30, 18, 7))[0]
            shift = rng.randint(-20, 45)
        expected = max(deal.closed_on + dt.timedelta(days=shift),
                       deal.created_on + dt.timedelta(days=7))
        probability = deal.probability
        if probability is not None and not (won and probability != 100):
            probability = rng.choice(PROBABILITIES[stage])  # (a won deal left at 50 %: kept)
        rank = deal.rank
        if rank is not None:
            if won:
                rank = rank if rng.random() < 0.85 else _LOWER_RANK[rank]
            elif rank in "CD":  # marked down when lost (a lost deal still ranked A: kept)
                rank = rng.choice("CB" if rank == "C" else "CCB")
        amount = deal.amount
        if amount is not None and rng.random() < (0.3 if won else 0.15):
            amount = _revised(amount, rng, (1.05, 1.1, 1.2))  # trimmed at the end
        due = deal.closed_on

        def undo(after: Deal) -> Deal:
            values: dict[str, object] = {}
            if self.actions:
                values["next_action"] = self.rng.randrange(len(pools.NEXT_ACTIONS["ja"]))
                values["next_action_date"] = (
                    due + dt.timedelta(days=self.rng.randint(-3, 10)) if self.action_dates
                    else None)
            else:
                values.update(next_action=None, next_action_date=None)
            return replace(after, stage=stage, closed_on=None, loss_reason=None,
                           expected_close=expected, probability=probability, rank=rank,
                           amount=amount, last_activity=self._last_contact(previous),
                           **values)  # type: ignore[arg-type]
        return undo, expected
