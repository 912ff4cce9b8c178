"""The demo's deals and targets, as typed values: no language, no cells.

:class:`Generator` draws about 300 deals by 6 reps over every stage — clients, amounts, dates,
ranks, next actions as indices into :mod:`.pools` — then marks the rows that carry a
deliberate warning or error, and sets targets the way a manager does. Everything is
deterministic for a given ``seed`` and ``today``; :mod:`.workbook` renders the result.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..metrics.periods import Period, fiscal_year_of, half_period, period_of, quarter_period
from ..schema import Schema
from . import pools

#: number of deal rows in the demo register (one of them reuses another row's 案件ID)
DEAL_COUNT = 300
#: the demo team, as the roster in config.yaml spells them
REPS: tuple[str, ...] = ("佐藤 健", "鈴木 美咲", "高橋 翔太", "田中 由美", "伊藤 大輔", "渡辺 彩")
_HISTORY_DAYS = 547  # 18 months of 登録日 before today

# How many deals of each stage (sums to DEAL_COUNT): a plausible funnel.
_STAGE_COUNTS: dict[str, int] = {
    "lead": 54, "meeting": 36, "proposal": 34, "quote": 24, "negotiation": 18, "on_hold": 8,
    "won": 52, "lost": 74,
}

#: the 受注確率 a rep types for a deal at each stage (one is drawn)
PROBABILITIES: dict[str, tuple[int, ...]] = {
    "lead": (10, 10, 20), "meeting": (20, 20, 30), "proposal": (30, 40, 50),
    "quote": (50, 60, 70), "negotiation": (70, 80, 90), "on_hold": (20, 30, 50),
    "won": (100,), "lost": (0,),
}


@dataclass
class Deal:
    """One deal as typed values; text fields are pool indices (rendered per language)."""

    owner: int
    client: int
    stage: str
    created_on: dt.date
    name: int = 0
    phase2: bool = False
    deal_id: str = ""
    rank: str | None = None
    probability: int | None = None
    amount: int | None = None
    expected_close: dt.date | None = None
    closed_on: dt.date | None = None
    lead_source: str | None = None
    last_activity: dt.date | None = None
    next_action: int | None = None  # index into pools.NEXT_ACTIONS; -1: the won action
    hold_action: int | None = None  # index into pools.HOLD_ACTIONS (a parked deal's review)
    formula_like: int | None = None  # index into pools.FORMULA_LIKE (overrides next_action)
    next_action_date: dt.date | None = None
    loss_reason: int | None = None
    note: int | None = None
    memo: int | None = None
    contact: tuple[int, int] | None = None  # (family, given) indices into pools.*_NAMES
    invalid: str | None = None  # the kind of deliberate error in this row
    protected: bool = False  # part of a deliberate warning: never made invalid


def _rand_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly random day in ``[start, end]`` (``start`` when the range is empty)."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(0, span)) if span > 0 else start


def _next_period(period: Period) -> Period:
    return period_of(period.end + dt.timedelta(days=1), "quarter")


def _random_amount(rng: random.Random, big: bool) -> int:
    """A B2B deal size: log-normal around 300万円, kept within 30万〜5000万円 and rounded
    the way people round; with ``big``, rarely a 1億円+ deal."""
    draw = rng.random()
    raw = math.exp(rng.gauss(math.log(3_000_000), 1.0))
    if big and draw < 0.04:
        return rng.choice((100_000_000, 120_000_000, 150_000_000))
    raw = min(max(raw, 300_000), 50_000_000)
    step = 10_000 if raw < 1_000_000 else 100_000 if raw < 10_000_000 else 1_000_000
    return max(300_000, round(raw / step) * step)


class Generator:
    """Builds the deals and the targets (language-independent); its ``rng`` goes on to the
    rendering, so one seed decides both."""

    def __init__(self, today: dt.date, seed: int, schema: Schema) -> None:
        self.today = today
        self.rng = random.Random(seed)
        self.schema = schema
        self.quarter = period_of(today, "quarter")
        self.next_quarter = _next_period(self.quarter)
        self.later_quarter = _next_period(self.next_quarter)
        self.first_day = today - dt.timedelta(days=_HISTORY_DAYS)
        rng = self.rng
        # each client has one rep; a skewed number of deals per client
        owners = [i % len(REPS) for i in range(len(pools.CLIENTS))]
        rng.shuffle(owners)
        self.client_owner = owners
        self.client_weight = [1.0 / (1 + 0.12 * i) for i in range(len(pools.CLIENTS))]
        rng.shuffle(self.client_weight)
        # the legal form as it is registered: 株式会社A for two thirds, A株式会社 otherwise
        self.client_prefix = [rng.random() < 0.66 for _ in pools.CLIENTS]
        self.shared_clients: list[int] = []
        # contacts are drawn from their own stream, so adding them moved no other value
        self.contact_rng = random.Random(f"contacts-{seed}")

    # -- deals ---------------------------------------------------------------------------

    def deals(self) -> list[Deal]:
        rng = self.rng
        stages = [s for s, n in _STAGE_COUNTS.items() for _ in range(n)]
        rng.shuffle(stages)
        clients = rng.choices(range(len(pools.CLIENTS)), weights=self.client_weight, k=len(stages))
        deals = [self._deal(stage, client) for stage, client in zip(stages, clients, strict=True)]
        deals.sort(key=lambda d: d.created_on)
        per_year: Counter[int] = Counter()
        for deal in deals:
            per_year[deal.created_on.year] += 1
            deal.deal_id = f"D-{deal.created_on.year}-{per_year[deal.created_on.year]:03d}"
        self._share_clients(deals)
        self._contacts(deals)
        self._contradictions(deals)
        self._formula_like(deals)
        self._invalid(deals)
        return deals

    def _deal(self, stage: str, client: int) -> Deal:
        rng = self.rng
        today = self.today
        closed = stage in ("won", "lost")
        deal = Deal(owner=self.client_owner[client], client=client, stage=stage,
                     created_on=today)
        deal.name = rng.randrange(len(pools.DEAL_NAMES["ja"]))
        deal.phase2 = rng.random() < 0.08
        if closed:
            closed_on = _rand_date(rng, self.first_day + dt.timedelta(days=20), today)
            cycle = rng.randint(30, 200) if stage == "won" else rng.randint(10, 150)
            created = closed_on - dt.timedelta(days=cycle)
            if created < self.first_day:
                created = _rand_date(rng, self.first_day, closed_on - dt.timedelta(days=10))
            deal.created_on, deal.closed_on = created, closed_on
        else:
            deal.expected_close = self._expected_close(stage)
            max_age = {"lead": 540, "meeting": 200, "proposal": 240, "quote": 270,
                       "negotiation": 300, "on_hold": 360}[stage]
            min_age = {"lead": 0, "meeting": 5, "proposal": 14, "quote": 20,
                       "negotiation": 30, "on_hold": 60}[stage]
            age = rng.randint(min_age, max_age) if rng.random() < 0.4 else rng.randint(
                min_age, min_age + (max_age - min_age) // 3)
            created = today - dt.timedelta(days=age)
            latest = deal.expected_close - dt.timedelta(days=14)
            deal.created_on = max(self.first_day, min(created, latest))
        deal.amount = self._amount(deal)
        deal.rank = self._rank(stage)
        if rng.random() < 0.3:
            deal.probability = self._probability(stage)
        deal.lead_source = self._lead_source()
        self._activity(deal)
        if stage == "lost":
            deal.loss_reason = rng.randrange(len(pools.LOSS_REASONS["ja"]))
        if rng.random() < 0.3:
            deal.note = rng.randrange(len(pools.NOTES["ja"]))
        if rng.random() < 0.1:
            deal.memo = rng.randrange(len(pools.MEMOS["ja"]))
        return deal

    def _expected_close(self, stage: str) -> dt.date:
        rng = self.rng
        today = self.today
        weights = {
            "lead": (15, 15, 35, 35), "meeting": (10, 20, 45, 25),
        }.get(stage, (12, 35, 38, 15))
        where = rng.choices(("overdue", "current", "next", "later"), weights=weights)[0]
        if where == "overdue":
            return today - dt.timedelta(days=rng.randint(1, 45))
        if where == "current":
            return _rand_date(rng, today, self.quarter.end)
        period = self.next_quarter if where == "next" else self.later_quarter
        return _rand_date(rng, period.start, period.end)

    def _amount(self, deal: Deal) -> int | None:
        stage = deal.stage
        blank = {"lead": 0.5, "meeting": 0.3, "lost": 0.1}.get(stage, 0.0)
        # 1億円+ deals are rare: a lost one, or an open one not expected before next quarter
        # (a won one would swamp the history the targets are set from)
        big = stage == "lost" or (
            deal.expected_close is not None and deal.expected_close > self.next_quarter.end)
        amount = _random_amount(self.rng, big)
        return None if self.rng.random() < blank else amount

    def _rank(self, stage: str) -> str | None:
        rng = self.rng
        fill = {"won": 0.6, "lost": 0.5}.get(stage, 0.7)
        choices = {
            "lead": "DDDC", "meeting": "CCDD", "proposal": "BCCB", "quote": "ABBC",
            "negotiation": "AABB", "on_hold": "BCCD", "won": "AAAB", "lost": "DDCC",
        }[stage]
        rank = rng.choice(choices)
        return rank if rng.random() < fill else None

    def _probability(self, stage: str) -> int:
        return self.rng.choice(PROBABILITIES[stage])

    def _lead_source(self) -> str | None:
        choices = self.schema.field("lead_source").choices
        weights = (30, 18, 14, 12, 14, 8, 4)[: len(choices)]
        source = self.rng.choices(choices, weights=weights)[0].value
        return None if self.rng.random() < 0.15 else source

    def _activity(self, deal: Deal) -> None:
        rng = self.rng
        today = self.today
        if deal.closed_on is not None:
            if rng.random() < 0.7:
                back = dt.timedelta(days=rng.randint(0, 5))
                deal.last_activity = max(deal.created_on, deal.closed_on - back)
            if deal.stage == "won" and deal.closed_on > today - dt.timedelta(days=30) and (
                    rng.random() < 0.5):
                deal.next_action = -1
                deal.next_action_date = today + dt.timedelta(days=rng.randint(3, 20))
            return
        if deal.stage == "on_hold":
            # parked: last touched weeks ago; the review date is set, a third of them passed
            deal.last_activity = max(deal.created_on,
                                     today - dt.timedelta(days=rng.randint(20, 90)))
            deal.hold_action = rng.randrange(len(pools.HOLD_ACTIONS["ja"]))
            deal.next_action_date = (today - dt.timedelta(days=rng.randint(1, 25))
                                     if rng.random() < 0.35
                                     else today + dt.timedelta(days=rng.randint(7, 75)))
            return
        roll = rng.random()
        if roll < 0.6:
            last = today - dt.timedelta(days=rng.randint(0, 10))
        elif roll < 0.85:  # untouched for weeks
            last = today - dt.timedelta(days=rng.randint(21, 75))
        else:
            last = None
        deal.last_activity = max(deal.created_on, last) if last else None
        if rng.random() < 0.8:
            deal.next_action = rng.randrange(len(pools.NEXT_ACTIONS["ja"]))
            if rng.random() < 0.85:
                if rng.random() < 0.8:
                    deal.next_action_date = today + dt.timedelta(days=rng.randint(1, 21))
                else:  # overdue follow-up
                    deal.next_action_date = max(
                        deal.created_on, today - dt.timedelta(days=rng.randint(1, 20)))

    # -- deliberate warnings and errors --------------------------------------------------

    def _share_clients(self, deals: list[Deal]) -> None:
        """Two clients approached by a second rep while the first has an open deal."""
        open_by_client: dict[int, list[Deal]] = defaultdict(list)
        for deal in deals:
            if deal.closed_on is None:
                open_by_client[deal.client].append(deal)
        candidates = sorted(c for c, ds in open_by_client.items() if len(ds) >= 1)
        shared = self.rng.sample(candidates, 2)
        self.shared_clients = shared
        for client in shared:
            donors = [d for d in deals if d.closed_on is None and d.client not in shared
                      and d.owner != self.client_owner[client] and not d.protected]
            donor = self.rng.choice(donors)
            donor.client = client
            donor.protected = True
            for deal in open_by_client[client]:
                deal.protected = True

    def _contacts(self, deals: list[Deal]) -> None:
        """先方担当者: one or two people per client; a lead often has nobody named yet. The
        second rep at a shared client talks to the person the first rep already talks to —
        the case ``multiple_owners_contact`` reports."""
        rng = self.contact_rng
        family, given = len(pools.FAMILY_NAMES["ja"]), len(pools.GIVEN_NAMES["ja"])
        people = [(f, g) for f in range(family) for g in range(given)]
        rng.shuffle(people)
        contacts: list[list[tuple[int, int]]] = []
        for _ in pools.CLIENTS:
            count = 2 if rng.random() < 0.35 else 1
            contacts.append([people.pop() for _ in range(count)])
        for deal in deals:
            if (deal.stage == "lead" and rng.random() < 0.5) or rng.random() < 0.1:
                continue
            deal.contact = rng.choice(contacts[deal.client])
        for client in self.shared_clients:
            owner = self.client_owner[client]
            theirs = [d for d in deals if d.client == client and d.closed_on is None
                      and d.owner == owner and d.stage != "on_hold"]
            donors = [d for d in deals if d.client == client and d.owner != owner]
            if not theirs:
                continue
            if theirs[0].contact is None:
                theirs[0].contact = contacts[client][0]
            for donor in donors:
                donor.contact = theirs[0].contact

    def _contradictions(self, deals: list[Deal]) -> None:
        """One won deal at 50 %, one lost deal ranked A: warnings, not errors."""
        won = self.rng.choice([d for d in deals if d.stage == "won" and not d.protected])
        won.probability = 50
        won.protected = True
        lost = self.rng.choice([d for d in deals if d.stage == "lost" and not d.protected])
        lost.rank = "A"
        lost.probability = None
        lost.protected = True

    def _formula_like(self, deals: list[Deal]) -> None:
        """Next actions that start with = + - @ (they must stay text)."""
        open_deals = [d for d in deals if d.closed_on is None and not d.protected]
        for index, deal in enumerate(self.rng.sample(open_deals, len(pools.FORMULA_LIKE["ja"]))):
            deal.formula_like = index
            deal.protected = True

    def _invalid(self, deals: list[Deal]) -> None:
        """One row per kind of invalid input."""
        rng = self.rng
        used: set[int] = set()

        def pick(kind: str, ok: Any) -> Deal:
            pool = [i for i, d in enumerate(deals) if not d.protected and i not in used
                    and ok(d)]
            index = rng.choice(pool)
            used.add(index)
            deals[index].invalid = kind
            return deals[index]

        def open_amount(d: Deal) -> bool:
            return d.stage in ("proposal", "quote", "negotiation")

        pick("amount_text", open_amount)
        pick("amount_negative", open_amount)
        pick("date_without_year", lambda d: d.closed_on is None)
        pick("impossible_date", lambda d: d.closed_on is None)
        pick("unknown_stage", lambda d: d.stage in ("meeting", "proposal"))
        pick("missing_client", lambda _: True)
        pick("lost_without_reason", lambda d: d.stage == "lost")
        # a row copied from an earlier one whose ID was not changed
        later = pick("duplicate_id", lambda _: True)
        earlier = [d for i, d in enumerate(deals) if i not in used and not d.protected
                   and d.created_on < later.created_on and d.owner == later.owner]
        original = rng.choice(earlier or [d for i, d in enumerate(deals) if i not in used
                                          and not d.protected])
        used.add(deals.index(original))
        original.invalid = "duplicate_id_original"
        later.deal_id = original.deal_id

    # -- targets -------------------------------------------------------------------------

    def landings(self, deals: Sequence[Deal]) -> dict[tuple[str, int], dict[str, float]]:
        """Per (quarter key, rep): ``won``, ``commit``, ``best`` (open amounts at ≥ 80 % and
        ≥ 50 %) and ``weighted``, over the valid deals, placed as 売上予測 places them
        (docs/definitions.md): won by 完了日, open by 受注予定日 but an overdue one in today's
        quarter, 保留 nowhere."""
        stage_pct = {c.value: c.probability or 0.0 for c in self.schema.stage_field.choices}
        rank_pct = {c.value: c.probability or 0.0 for c in self.schema.field("rank").choices}
        result: dict[tuple[str, int], dict[str, float]] = defaultdict(
            lambda: {"won": 0.0, "commit": 0.0, "best": 0.0, "weighted": 0.0})
        for deal in deals:
            if deal.invalid or deal.amount is None or deal.stage in ("lost", "on_hold"):
                continue
            if deal.stage == "won" and deal.closed_on is not None:
                result[(period_of(deal.closed_on, "quarter").key, deal.owner)]["won"] += \
                    deal.amount
            elif deal.closed_on is None and deal.expected_close is not None:
                pct = (deal.probability if deal.probability is not None
                       else rank_pct[deal.rank] if deal.rank else stage_pct[deal.stage])
                day = max(deal.expected_close, self.today)
                cell = result[(period_of(day, "quarter").key, deal.owner)]
                cell["weighted"] += deal.amount * pct / 100
                cell["commit"] += deal.amount if pct >= 80 else 0
                cell["best"] += deal.amount if pct >= 50 else 0
        return result

    def targets(self, deals: Sequence[Deal]) -> list[tuple[Period, int | None, int]]:
        """Targets as a manager sets them: (period, rep index or None, yen).

        This quarter, each rep's target sits between their コミット着地 and ベストケース着地
        (so the ヨミ会 is about which Bヨミ deals close) — except the rep whose commit is
        strongest, already above target (超過); the team target is the sum of the reps'
        rounded up to 500万円. Past quarters' targets are within -10 %/+30 % of what was won
        then; later quarters' sit around the team's usual level (the mean of what it won per
        quarter over the last four quarters and this quarter's commit landing), shared by
        book of business. Next fiscal year has only half-year team targets (上期・下期):
        the plan a manager sets in December, before splitting it into quarters.
        """
        rng = self.rng
        landing = self.landings(deals)
        fy = fiscal_year_of(self.today)
        quarters = [quarter_period(fy, q) for q in range(1, 5)]
        n = len(REPS)
        book = [1.0] * n
        for deal in deals:
            if not deal.invalid and deal.amount is not None and deal.stage != "lost":
                book[deal.owner] += min(deal.amount, 20_000_000)
        weights = [0.5 * b / sum(book) + 0.5 / n for b in book]

        def value(key: str, rep: int, *parts: str) -> float:
            cell = landing.get((key, rep))
            return sum(cell[p] for p in parts) if cell else 0.0

        now = self.quarter.key
        commit = [value(now, r, "won", "commit") for r in range(n)]
        best = [value(now, r, "won", "best") for r in range(n)]
        strongest = max(range(n), key=lambda r: commit[r])
        history = [self.quarter]
        for _ in range(4):
            history.insert(0, period_of(history[0].start - dt.timedelta(days=1), "quarter"))
        won = [sum(value(q.key, r, "won") for r in range(n)) for q in history[:-1]]
        level = (sum(won) / len(won) + sum(commit)) / 2

        team_rows: list[tuple[Period, int | None, int]] = []
        rep_rows: list[tuple[Period, int | None, int]] = []
        for quarter in quarters:
            if quarter == self.quarter:
                reps = []
                for r in range(n):
                    if r == strongest and commit[r] >= 2_000_000:  # rounded down: 超過
                        reps.append(math.floor(commit[r] * rng.uniform(0.8, 0.9) / 1e6) * 10**6)
                        continue
                    goal = commit[r] + rng.uniform(0.5, 0.7) * (best[r] - commit[r])
                    reps.append(max(math.ceil(goal / 1e6), 3) * 10**6)
            else:
                if quarter.end < self.today:
                    goal = sum(value(quarter.key, r, "won") for r in range(n))
                    goal *= rng.uniform(0.9, 1.3)
                else:
                    goal = level * rng.uniform(0.95, 1.1)
                goal = max(goal, 30_000_000)
                # rounded up, so the reps' targets sum to at least the goal
                reps = [math.ceil(goal * w / 1e6) * 10**6 for w in weights]
            rep_rows.extend((quarter, rep, amount) for rep, amount in enumerate(reps))
            total = sum(reps)
            rounded = math.ceil(total / 5e6) if quarter == self.quarter else round(total / 5e6)
            team_rows.append((quarter, None, rounded * 5_000_000))
        plan = max(level, 30_000_000) * 2 * rng.uniform(1.05, 1.15)
        for half in (1, 2):
            amount = math.ceil(plan * (0.95 if half == 1 else 1.05) / 1e7) * 10**7
            team_rows.append((half_period(fy + 1, half), None, amount))
        rep_rows.sort(key=lambda t: (t[1] or 0, t[0]))
        return team_rows + rep_rows
