"""A realistic demo register: the workbook and config that ``sheetsync demo`` writes.

:func:`write_demo_workbook` writes an ``.xlsx`` the way a real sales team's register looks
after 18 months of hand editing: a title row above the header, an alias or two in the
header, a column sheetsync does not know, about 300 deals by 6 reps over every stage, and
every messy-but-valid form of DESIGN.md's "What reps type" (¥/￥/円/万/億/千円 amounts,
full-width digits, 令和 dates, serial numbers, stage aliases with trailing spaces, percent
cells, text that starts with ``=``). A handful of cells are plainly invalid — one of each
kind — and :class:`DemoStats` names them, so a test can check that validation finds exactly
those. A 目標 (targets) tab and a tab sheetsync does not own complete the workbook.

Everything is deterministic for a given ``seed`` and ``today``; the ``en`` variant has the
same rows and the same problems as the ``ja`` one, with English headers and tab names.

>>> import datetime as dt, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     stats = write_demo_workbook(Path(tmp) / "deals.xlsx", today=dt.date(2026, 11, 26))
>>> stats.deals, len(stats.reps), len(stats.invalid_cells)
(300, 6, 9)
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .grid import date_to_serial
from .metrics.periods import Period, fiscal_year_of, half_period, period_of, quarter_period
from .schema import Choice, Schema, load_schema

__all__ = ["DEAL_COUNT", "REPS", "DemoStats", "write_demo_config", "write_demo_workbook"]

#: number of deal rows in the demo register (one of them reuses another row's 案件ID)
DEAL_COUNT = 300
#: the demo team, as the roster in config.yaml spells them
REPS: tuple[str, ...] = ("佐藤 健", "鈴木 美咲", "高橋 翔太", "田中 由美", "伊藤 大輔", "渡辺 彩")
_FULL_WIDTH_SPACE_REP = 0  # 佐藤 is sometimes typed as 佐藤　健 (full-width space)

# Row layout of the register tab: title, blank, header, data.
_TITLE_ROW = 1
_HEADER_ROW = 3
_FIRST_DATA_ROW = _HEADER_ROW + 1
_DATE_FORMAT = "yyyy/mm/dd"
_YEN_FORMAT = '"¥"#,##0'
_PERCENT_FORMAT = "0%"
_HISTORY_DAYS = 547  # 18 months of 登録日 before today

_MAN = 10_000
_OKU = 100_000_000

#: register columns in sheet order (field names; ``_memo`` is the column sheetsync ignores)
_COLUMNS: tuple[str, ...] = (
    "deal_id", "created_on", "owner", "client", "deal_name", "stage", "rank", "probability",
    "amount", "expected_close", "closed_on", "lead_source", "last_activity", "next_action",
    "next_action_date", "loss_reason", "notes", "_memo",
)
_WIDTHS: dict[str, int] = {
    "deal_id": 13, "created_on": 12, "owner": 12, "client": 28, "deal_name": 30, "stage": 12,
    "rank": 7, "probability": 10, "amount": 15, "expected_close": 13, "closed_on": 12,
    "lead_source": 15, "last_activity": 13, "next_action": 30, "next_action_date": 15,
    "loss_reason": 20, "notes": 24, "_memo": 24,
}
#: headers written as an alias instead of the label (must be aliases in the schema)
_HEADER_ALIASES: dict[str, dict[str, str]] = {
    "amount": {"ja": "金額", "en": "Deal size"},
    "notes": {"ja": "対応状況", "en": "Comments"},
}
_EXTRA_HEADER = {"ja": "社内メモ", "en": "Internal memo"}
_TAB_NAMES = {
    "targets": {"ja": "目標", "en": "Targets"},
    "memo": {"ja": "メモ", "en": "Memo"},
}

# How many deals of each stage (sums to DEAL_COUNT): a plausible funnel.
_STAGE_COUNTS: dict[str, int] = {
    "lead": 54, "meeting": 36, "proposal": 34, "quote": 24, "negotiation": 18, "on_hold": 8,
    "won": 52, "lost": 74,
}

# ------------------------------------------------------------------------- text pools
# Every pool has the same length in both languages: the generator draws an index, so the
# ja and en demos contain the same deals.

_CLIENTS: tuple[str, ...] = (
    "北斗ロジスティクス", "みなと精密", "青葉システムズ", "さくら食品", "大和テクノサービス",
    "富士見建設", "ひかり製薬", "東雲エンジニアリング", "KSKデータ", "ミライ電子", "山城運輸",
    "湘南ケミカル", "北陸メディカル", "朝凪印刷", "つばさ商事", "ABCテクノロジー",
    "中央フードサービス", "銀河ソフトウェア", "NEXTソリューションズ", "若葉不動産",
    "東海プラント", "瀬戸内マリン", "信州精工", "ことぶき保険サービス", "オリオン物産",
    "第一ファシリティーズ", "イースト交通", "SKYネットワークス", "千代田リース",
    "はなまる教育", "丸栄繊維", "ユニバースホテルズ", "関西ガス設備", "グリーンエナジー開発",
    "三つ葉会計サービス", "明星電機", "ベイサイド開発", "石狩乳業", "桜島観光", "やまびこ通信",
    "TMHホールディングス", "緑川製紙", "白鷺化粧品", "なごみ介護サービス", "新星アパレル",
    "昴メディア", "西日本フーズ", "アルファ工機", "城北ヘルスケア", "エムズ・ファーマ",
    "鳴門水産", "こだま出版", "ライトハウス・キャピタル", "日高酒造", "琥珀システム開発",
    "Q-BITラボ", "富岳重工", "そよかぜ住宅", "タカミ電装", "J-Linkコンサルティング",
)

_DEAL_NAMES: dict[str, tuple[str, ...]] = {
    "ja": (
        "基幹システム更改", "勤怠管理クラウド導入", "社内ネットワーク更新", "セキュリティ診断",
        "データ分析基盤構築", "コールセンターCRM刷新", "ECサイトリニューアル",
        "生産管理システム保守", "RPA導入支援", "社内ポータル刷新", "在庫管理SaaS導入",
        "会計システム移行", "BIダッシュボード構築", "PC入替 (500台)", "Web会議システム導入",
        "管理職研修プログラム", "年間保守契約更新", "クラウド移行 (AWS)", "電子契約導入",
        "人事評価システム導入",
    ),
    "en": (
        "ERP replacement", "Cloud time-tracking rollout", "Office network refresh",
        "Security assessment", "Data analytics platform", "Call-centre CRM renewal",
        "E-commerce site relaunch", "Production system maintenance", "RPA rollout support",
        "Intranet portal renewal", "Inventory SaaS rollout", "Accounting system migration",
        "BI dashboards", "PC refresh (500 units)", "Video conferencing rollout",
        "Manager training programme", "Annual maintenance renewal", "Cloud migration (AWS)",
        "E-signature rollout", "HR appraisal system",
    ),
}
_PHASE_SUFFIX = {"ja": " 第2期", "en": " (phase 2)"}

_NEXT_ACTIONS: dict[str, tuple[str, ...]] = {
    "ja": (
        "見積書を送付", "デモ日程を調整", "決裁者と面談", "提案書をブラッシュアップ",
        "契約書ドラフト送付", "価格交渉の回答待ち", "PoC結果を報告", "稟議状況を確認",
        "ヒアリング訪問", "競合比較資料を作成",
    ),
    "en": (
        "Send the quote", "Schedule a demo", "Meet the decision maker", "Polish the proposal",
        "Send the draft contract", "Await reply on pricing", "Report PoC results",
        "Check approval status", "Discovery visit", "Prepare competitor comparison",
    ),
}
_WON_ACTIONS = {"ja": "導入キックオフ", "en": "Kick-off meeting"}
#: what a parked (保留) deal's next action says: its 次回アクション日 is the review date
_HOLD_ACTIONS: dict[str, tuple[str, ...]] = {
    "ja": ("再開時期を確認", "予算確定後に再提案", "体制変更後に再訪問"),
    "en": ("Check when to resume", "Re-propose once the budget is set",
           "Revisit after the reorganisation"),
}
# Text a spreadsheet would happily treat as a formula: it must stay text.
_FORMULA_LIKE: dict[str, tuple[str, ...]] = {
    "ja": ("=確認する", "+αの追加提案を準備", "-", "@山田部長に稟議状況を確認"),
    "en": ("=check pricing", "+α options proposal", "-", "@Yamada: budget approval?"),
}
_LOSS_REASONS: dict[str, tuple[str, ...]] = {
    "ja": ("価格", "競合に決定 (他社)", "予算凍結", "時期尚早", "機能不足", "決裁者の反対",
           "連絡途絶"),
    "en": ("Price", "Went with a competitor", "Budget frozen", "Too early", "Missing features",
           "Decision maker said no", "Went silent"),
}
_NOTES: dict[str, tuple[str, ...]] = {
    "ja": ("先方検討中", "担当者変更あり", "来期予算で再検討", "要件確認中", "上長同行予定",
           "情報システム部も同席", "他部署展開の可能性あり", "支払条件の確認が必要"),
    "en": ("Client evaluating", "Contact changed", "Revisit with next year's budget",
           "Clarifying requirements", "Manager to join next visit", "IT department involved",
           "May expand to other departments", "Payment terms to confirm"),
}
_MEMOS: dict[str, tuple[str, ...]] = {
    "ja": ("紹介元: みずほ台銀行", "請求先は本社経理部", "展示会で名刺交換", "前任: 山本",
           "反社チェック済", "NDA締結済"),
    "en": ("Referred by Mizuhodai Bank", "Invoice to head-office accounting",
           "Met at the trade show", "Previous owner: Yamamoto", "Compliance check done",
           "NDA signed"),
}
_TITLES = {"ja": "{fy}年度 案件管理表 (営業部)", "en": "FY{fy} deal register (Sales)"}
_MEMO_LINES: dict[str, tuple[str, ...]] = {
    "ja": (
        "営業部メモ（このシートは sheetsync の管理対象外です。自由に使ってください）",
        "",
        "・毎週月曜 9:00 営業会議。案件一覧は前週金曜までに更新すること。",
        "・確度の基準: A=受注ほぼ確定 / B=五分五分 / C=可能性あり / D=情報収集段階",
        "・金額は税抜。1,200,000 でも 120万円 でも入力できます。",
        "・案件IDは一度付けたら変えない（行の並べ替えはOK）。",
    ),
    "en": (
        "Sales team notes (sheetsync does not own this tab — use it freely)",
        "",
        "- Sales meeting every Monday 9:00; update the Deals tab by Friday.",
        "- Confidence: A = all but signed / B = even odds / C = possible / D = early research",
        "- Amounts before tax; 1,200,000 and 120万円 are both fine.",
        "- Never change a Deal ID once given (sorting rows is fine).",
    ),
}
_INVALID_STAGE = {"ja": "様子見", "en": "Wait and see"}  # not a stage: 保留 is

_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _full_width(text: str) -> str:
    """ASCII letters, digits and signs as their full-width forms (``300`` → ``３００``)."""
    return text.translate(_FULL_WIDTH)


# ------------------------------------------------------------------------------- data


@dataclass
class DemoStats:
    """What :func:`write_demo_workbook` wrote.

    ``deals`` counts the data rows of the register tab; ``invalid_cells`` are the A1
    references of the cells validation must reject (nothing else is an error);
    ``stages`` counts the rows per stage value, over the rows whose stage cell is readable.
    """

    deals: int
    reps: list[str]
    invalid_cells: list[str]
    stages: Counter[str]
    path: Path
    #: A1 cells of the deliberate warnings, by issue code (informational)
    warning_cells: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Deal:
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
    next_action: int | None = None  # index into _NEXT_ACTIONS; -1: the won action
    hold_action: int | None = None  # index into _HOLD_ACTIONS (a parked deal's review)
    formula_like: int | None = None  # index into _FORMULA_LIKE (overrides next_action)
    next_action_date: dt.date | None = None
    loss_reason: int | None = None
    note: int | None = None
    memo: int | None = None
    invalid: str | None = None  # the kind of deliberate error in this row
    protected: bool = False  # part of a deliberate warning: never made invalid


class _Cell(NamedTuple):
    value: Any
    number_format: str | None = None
    force_text: bool = False


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


class _Generator:
    """Builds the deals (language-independent) and renders them (per language)."""

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
        owners = [i % len(REPS) for i in range(len(_CLIENTS))]
        rng.shuffle(owners)
        self.client_owner = owners
        self.client_weight = [1.0 / (1 + 0.12 * i) for i in range(len(_CLIENTS))]
        rng.shuffle(self.client_weight)
        # the legal form as it is registered: 株式会社A for two thirds, A株式会社 otherwise
        self.client_prefix = [rng.random() < 0.66 for _ in _CLIENTS]
        self.shared_clients: list[int] = []

    # -- deals ---------------------------------------------------------------------------

    def deals(self) -> list[_Deal]:
        rng = self.rng
        stages = [s for s, n in _STAGE_COUNTS.items() for _ in range(n)]
        rng.shuffle(stages)
        clients = rng.choices(range(len(_CLIENTS)), weights=self.client_weight, k=len(stages))
        deals = [self._deal(stage, client) for stage, client in zip(stages, clients, strict=True)]
        deals.sort(key=lambda d: d.created_on)
        per_year: Counter[int] = Counter()
        for deal in deals:
            per_year[deal.created_on.year] += 1
            deal.deal_id = f"D-{deal.created_on.year}-{per_year[deal.created_on.year]:03d}"
        self._share_clients(deals)
        self._contradictions(deals)
        self._formula_like(deals)
        self._invalid(deals)
        return deals

    def _deal(self, stage: str, client: int) -> _Deal:
        rng = self.rng
        today = self.today
        closed = stage in ("won", "lost")
        deal = _Deal(owner=self.client_owner[client], client=client, stage=stage,
                     created_on=today)
        deal.name = rng.randrange(len(_DEAL_NAMES["ja"]))
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
            deal.loss_reason = rng.randrange(len(_LOSS_REASONS["ja"]))
        if rng.random() < 0.3:
            deal.note = rng.randrange(len(_NOTES["ja"]))
        if rng.random() < 0.1:
            deal.memo = rng.randrange(len(_MEMOS["ja"]))
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

    def _amount(self, deal: _Deal) -> int | None:
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
        options = {
            "lead": (10, 10, 20), "meeting": (20, 20, 30), "proposal": (30, 40, 50),
            "quote": (50, 60, 70), "negotiation": (70, 80, 90), "on_hold": (20, 30, 50),
            "won": (100,), "lost": (0,),
        }[stage]
        return self.rng.choice(options)

    def _lead_source(self) -> str | None:
        choices = self.schema.field("lead_source").choices
        weights = (30, 18, 14, 12, 14, 8, 4)[: len(choices)]
        source = self.rng.choices(choices, weights=weights)[0].value
        return None if self.rng.random() < 0.15 else source

    def _activity(self, deal: _Deal) -> None:
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
            deal.hold_action = rng.randrange(len(_HOLD_ACTIONS["ja"]))
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
            deal.next_action = rng.randrange(len(_NEXT_ACTIONS["ja"]))
            if rng.random() < 0.85:
                if rng.random() < 0.8:
                    deal.next_action_date = today + dt.timedelta(days=rng.randint(1, 21))
                else:  # overdue follow-up
                    deal.next_action_date = max(
                        deal.created_on, today - dt.timedelta(days=rng.randint(1, 20)))

    # -- deliberate warnings and errors --------------------------------------------------

    def _share_clients(self, deals: list[_Deal]) -> None:
        """Two clients approached by a second rep while the first has an open deal."""
        open_by_client: dict[int, list[_Deal]] = defaultdict(list)
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

    def _contradictions(self, deals: list[_Deal]) -> None:
        """One won deal at 50 %, one lost deal ranked A: warnings, not errors."""
        won = self.rng.choice([d for d in deals if d.stage == "won" and not d.protected])
        won.probability = 50
        won.protected = True
        lost = self.rng.choice([d for d in deals if d.stage == "lost" and not d.protected])
        lost.rank = "A"
        lost.probability = None
        lost.protected = True

    def _formula_like(self, deals: list[_Deal]) -> None:
        """Next actions that start with = + - @ (they must stay text)."""
        open_deals = [d for d in deals if d.closed_on is None and not d.protected]
        for index, deal in enumerate(self.rng.sample(open_deals, len(_FORMULA_LIKE["ja"]))):
            deal.formula_like = index
            deal.protected = True

    def _invalid(self, deals: list[_Deal]) -> None:
        """One row per kind of invalid input."""
        rng = self.rng
        used: set[int] = set()

        def pick(kind: str, ok: Any) -> _Deal:
            pool = [i for i, d in enumerate(deals) if not d.protected and i not in used
                    and ok(d)]
            index = rng.choice(pool)
            used.add(index)
            deals[index].invalid = kind
            return deals[index]

        def open_amount(d: _Deal) -> bool:
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

    def landings(self, deals: Sequence[_Deal]) -> dict[tuple[str, int], dict[str, float]]:
        """Per (quarter key, rep): ``won``, ``commit``, ``best`` (open amounts at ≥ 80 % and
        ≥ 50 %) and ``weighted``, over the valid deals, placed as 売上予測 places them
        (DESIGN.md): won by 完了日, open by 受注予定日 but an overdue one in today's quarter,
        保留 nowhere."""
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

    def targets(self, deals: Sequence[_Deal]) -> list[tuple[Period, int | None, int]]:
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


# --------------------------------------------------------------------------- rendering


class _Renderer:
    """Turns typed deal values into cells, in the messy forms reps type."""

    def __init__(self, rng: random.Random, language: str) -> None:
        self.rng = rng
        self.language = language

    def date(self, day: dt.date | None) -> _Cell:
        """Mostly a date cell; sometimes typed text (2026/3/31, 令和8年3月31日 …) or a serial."""
        if day is None:
            return _Cell(None)
        roll = self.rng.random()
        if roll < 0.85:
            return _Cell(day, _DATE_FORMAT)
        if roll < 0.98:
            y, m, d = day.year, day.month, day.day
            forms = [f"{y}/{m}/{d}", f"{y}-{m:02d}-{d:02d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}日"]
            if day >= dt.date(2019, 5, 1):
                forms += [f"令和{y - 2018}年{m}月{d}日", f"R{y - 2018}.{m}.{d}"]
            return _Cell(self.rng.choice(forms))
        return _Cell(int(date_to_serial(day)), "General")  # a serial typed as a number

    def amount(self, amount: int | None) -> _Cell:
        """A yen cell, or text such as 1,200,000 / ¥… / ￥…円 / 120万円 / ３００万円 / 1.2億."""
        if amount is None:
            return _Cell(None)
        rng = self.rng
        if amount >= _OKU and amount % (_OKU // 10) == 0:
            if rng.random() < 0.7:
                return _Cell(f"{amount / _OKU:g}億")
            return _Cell(amount, _YEN_FORMAT)
        form = rng.choices(
            ("cell", "comma", "yen", "yen_fw", "man_en", "man", "full", "sen"),
            weights=(45, 10, 8, 7, 12, 8, 5, 5),
        )[0]
        man = amount // _MAN
        return {
            "cell": _Cell(amount, _YEN_FORMAT),
            "comma": _Cell(f"{amount:,}"),
            "yen": _Cell(f"¥{amount:,}"),
            "yen_fw": _Cell(f"￥{amount:,}円"),
            "man_en": _Cell(f"{man}万円"),
            "man": _Cell(f"{man}万"),
            "full": _Cell(f"{_full_width(str(man))}万円"),
            "sen": _Cell(f"{amount // 1000}千円"),
        }[form]

    def percent(self, percent: int | None) -> _Cell:
        """80, "80%", "８０％" or a 0% -formatted cell holding 0.8."""
        if percent is None:
            return _Cell(None)
        form = self.rng.choices(("number", "text", "full", "cell"), weights=(25, 30, 15, 30))[0]
        if form == "number":
            return _Cell(percent)
        if form == "text":
            return _Cell(f"{percent}%")
        if form == "full":
            return _Cell(_full_width(f"{percent}%"))
        return _Cell(percent / 100, _PERCENT_FORMAT)

    def choice(self, choice: Choice, *, spaces: bool = True) -> _Cell:
        """A choice by the team's label mostly; sometimes the other label, an alias, or the
        label with a trailing space."""
        other = "ja" if self.language == "en" else "en"
        roll = self.rng.random()
        if roll < 0.07:
            return _Cell(choice.label(other))
        if roll < 0.15 and choice.aliases:
            return _Cell(self.rng.choice(choice.aliases))
        label = choice.label(self.language)
        if spaces and roll > 0.95:
            return _Cell(label + self.rng.choice((" ", "  ", "\u3000")))
        return _Cell(label)

    def rank(self, rank: str | None) -> _Cell:
        """A, sometimes full-width Ａ or the alias Aヨミ."""
        if rank is None:
            return _Cell(None)
        roll = self.rng.random()
        if roll < 0.1:
            return _Cell(_full_width(rank))
        if roll < 0.15:
            return _Cell(f"{rank}ヨミ")
        return _Cell(rank)

    def client(self, name: str, prefix: bool) -> _Cell:
        """The registered name mostly; else 株式会社 moved, (株), ㈱ or full-width letters."""
        forms = ["株式会社" + name if prefix else name + "株式会社",
                 name + "株式会社" if prefix else "株式会社" + name,
                 "(株)" + name, "㈱" + name]
        if any(c.isascii() and c.isalnum() for c in name):
            forms.append("株式会社" + _full_width(name))
        if self.rng.random() < 0.65:
            return _Cell(forms[0])
        return _Cell(self.rng.choice(forms[1:]))

    def owner(self, rep: int) -> _Cell:
        """The rep as on the roster; one rep sometimes with a full-width space."""
        name = REPS[rep]
        if rep == _FULL_WIDTH_SPACE_REP and self.rng.random() < 0.35:
            name = name.replace(" ", "\u3000")
        return _Cell(name)


def _render_row(gen: _Generator, out: _Renderer, deal: _Deal, today: dt.date) -> dict[str, _Cell]:
    """All cells of one deal (deliberate errors applied) by column field name."""
    lang = out.language
    schema = gen.schema
    stage = schema.stage_field.choice(deal.stage)
    next_action: _Cell
    if deal.formula_like is not None:
        next_action = _Cell(_FORMULA_LIKE[lang][deal.formula_like], force_text=True)
    elif deal.hold_action is not None:
        next_action = _Cell(_HOLD_ACTIONS[lang][deal.hold_action])
    elif deal.next_action == -1:
        next_action = _Cell(_WON_ACTIONS[lang])
    elif deal.next_action is not None:
        next_action = _Cell(_NEXT_ACTIONS[lang][deal.next_action])
    else:
        next_action = _Cell(None)
    source = (out.choice(schema.field("lead_source").choice(deal.lead_source), spaces=False)
              if deal.lead_source else _Cell(None))
    name = _DEAL_NAMES[lang][deal.name] + (_PHASE_SUFFIX[lang] if deal.phase2 else "")
    cells = {
        "deal_id": _Cell(deal.deal_id),
        "created_on": out.date(deal.created_on),
        "owner": out.owner(deal.owner),
        "client": out.client(_CLIENTS[deal.client], gen.client_prefix[deal.client]),
        "deal_name": _Cell(name),
        "stage": out.choice(stage),
        "rank": out.rank(deal.rank),
        "probability": out.percent(deal.probability),
        "amount": out.amount(deal.amount),
        "expected_close": out.date(deal.expected_close),
        "closed_on": out.date(deal.closed_on),
        "lead_source": source,
        "last_activity": out.date(deal.last_activity),
        "next_action": next_action,
        "next_action_date": out.date(deal.next_action_date),
        "loss_reason": _Cell(_LOSS_REASONS[lang][deal.loss_reason]
                             if deal.loss_reason is not None else None),
        "notes": _Cell(_NOTES[lang][deal.note] if deal.note is not None else None),
        "_memo": _Cell(_MEMOS[lang][deal.memo] if deal.memo is not None else None),
    }
    kind = deal.invalid
    if kind == "amount_text":
        cells["amount"] = _Cell("abc")
    elif kind == "amount_negative":
        cells["amount"] = _Cell("-5")
    elif kind == "date_without_year" and deal.expected_close is not None:
        cells["expected_close"] = _Cell(f"{deal.expected_close.month}/{deal.expected_close.day}")
    elif kind == "impossible_date":
        year = today.year if today >= dt.date(today.year, 3, 1) else today.year - 1
        cells["last_activity"] = _Cell(f"{year}/2/30")
    elif kind == "unknown_stage":
        cells["stage"] = _Cell(_INVALID_STAGE[lang])
    elif kind == "missing_client":
        cells["client"] = _Cell(None)
    elif kind == "lost_without_reason":
        cells["loss_reason"] = _Cell(None)
    return cells


#: the column holding each kind's invalid cell
_INVALID_COLUMN = {
    "amount_text": "amount", "amount_negative": "amount", "date_without_year": "expected_close",
    "impossible_date": "last_activity", "unknown_stage": "stage", "missing_client": "client",
    "lost_without_reason": "loss_reason", "duplicate_id": "deal_id",
    "duplicate_id_original": "deal_id",
}


def _header(schema: Schema, name: str, language: str) -> str:
    if name == "_memo":
        return _EXTRA_HEADER[language]
    fld = schema.field(name)
    alias = _HEADER_ALIASES.get(name, {}).get(language)
    return alias if alias in fld.aliases else fld.label(language)


def _put(ws: Worksheet, row: int, column: int, cell: _Cell) -> None:
    if cell.value is None:
        return
    target = ws.cell(row=row, column=column, value=cell.value)
    if cell.force_text:
        target.data_type = "s"  # "=確認する" is text a rep typed, never a formula
    if cell.number_format:
        target.number_format = cell.number_format


def _style_header(ws: Worksheet, row: int, width: int) -> None:
    fill = PatternFill("solid", start_color="DDEBF7")
    for column in range(1, width + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _period_label(period: Period, rng: random.Random) -> str:
    fy = period.fiscal_year
    if period.kind == "half":
        half = period.key[-1]
        return rng.choice((period.key, f"{fy}年度{'上' if half == '1' else '下'}期"))
    quarter = period.key.rsplit("Q", 1)[1]
    return rng.choice((period.key, f"{fy}年度Q{quarter}", f"{fy}年度 第{quarter}四半期"))


def _money_cell(amount: int, rng: random.Random) -> _Cell:
    if amount % _MAN == 0 and amount < _OKU and rng.random() < 0.4:
        return _Cell(f"{amount // _MAN:,}万円")
    return _Cell(amount, _YEN_FORMAT)


def _write_targets(
    ws: Worksheet, targets: list[tuple[Period, int | None, int]], gen: _Generator, language: str
) -> None:
    rng = gen.rng
    headers = ("期間", "担当者", "目標金額") if language == "ja" else ("Period", "Owner", "Target")
    for column, text in enumerate(headers, start=1):
        ws.cell(row=1, column=column, value=text)
    _style_header(ws, 1, len(headers))
    ws.freeze_panes = "A2"
    for letter, width in zip("ABC", (22, 14, 16), strict=True):
        ws.column_dimensions[letter].width = width
    monthly_rep = rng.randrange(len(REPS))
    row = 2
    for period, rep, amount in targets:
        owner = REPS[rep] if rep is not None else None
        if rep == monthly_rep and period == gen.quarter:
            # this rep's manager sets monthly targets for the current quarter
            months = [period.start.month + i for i in range(3)]
            months = [(period.start.year + (m - 1) // 12, (m - 1) % 12 + 1) for m in months]
            share = [amount // 3 // 100_000 * 100_000] * 2
            share.append(amount - sum(share))
            labels = (f"{months[0][0]}-{months[0][1]:02d}", f"{months[1][0]}年{months[1][1]}月",
                      f"{months[2][0]}-{months[2][1]:02d}")
            for label, part in zip(labels, share, strict=True):
                _put(ws, row, 1, _Cell(label))
                _put(ws, row, 2, _Cell(owner))
                _put(ws, row, 3, _money_cell(part, rng))
                row += 1
            continue
        _put(ws, row, 1, _Cell(_period_label(period, rng)))
        _put(ws, row, 2, _Cell(owner))
        _put(ws, row, 3, _money_cell(amount, rng))
        row += 1


def write_demo_workbook(
    path: Path, *, today: dt.date, seed: int = 7, language: str = "ja"
) -> DemoStats:
    """Write the demo register workbook to ``path`` and describe what it holds.

    Tabs: the register (案件一覧 / Deals), the targets (目標 / Targets) and a notes tab that
    sheetsync does not own (メモ / Memo). Deterministic for a given ``seed`` and ``today``.
    """
    if language not in ("ja", "en"):
        raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
    schema = load_schema()
    gen = _Generator(today, seed, schema)
    deals = gen.deals()
    targets = gen.targets(deals)
    out = _Renderer(gen.rng, language)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = schema.title(language)
    title = _TITLES[language].format(fy=fiscal_year_of(today))
    ws.cell(row=_TITLE_ROW, column=1, value=title).font = Font(bold=True, size=14)
    for column, name in enumerate(_COLUMNS, start=1):
        ws.cell(row=_HEADER_ROW, column=column, value=_header(schema, name, language))
        ws.column_dimensions[get_column_letter(column)].width = _WIDTHS[name]
    _style_header(ws, _HEADER_ROW, len(_COLUMNS))
    ws.freeze_panes = ws.cell(row=_FIRST_DATA_ROW, column=1).coordinate

    invalid: list[tuple[int, int]] = []
    warnings: dict[str, list[str]] = defaultdict(list)
    stages: Counter[str] = Counter()
    position = {name: i + 1 for i, name in enumerate(_COLUMNS)}
    shared_seen: set[int] = set()
    for offset, deal in enumerate(deals):
        row = _FIRST_DATA_ROW + offset
        cells = _render_row(gen, out, deal, today)
        for name, cell in cells.items():
            _put(ws, row, position[name], cell)
        if deal.invalid:
            invalid.append((row, position[_INVALID_COLUMN[deal.invalid]]))
        if deal.invalid != "unknown_stage":
            stages[deal.stage] += 1
        if deal.stage == "won" and deal.probability == 50:
            warnings["closed_probability_mismatch"].append(
                ws.cell(row=row, column=position["probability"]).coordinate)
        if deal.stage == "lost" and deal.rank == "A":
            warnings["closed_rank_mismatch"].append(
                ws.cell(row=row, column=position["rank"]).coordinate)
        if (deal.client in gen.shared_clients and deal.closed_on is None and not deal.invalid
                and deal.client not in shared_seen):
            shared_seen.add(deal.client)  # reported at the client's first open deal
            warnings["multiple_owners"].append(
                ws.cell(row=row, column=position["client"]).coordinate)
    last = _FIRST_DATA_ROW + len(deals) - 1
    ws.auto_filter.ref = f"A{_HEADER_ROW}:{get_column_letter(len(_COLUMNS))}{last}"

    _write_targets(wb.create_sheet(_TAB_NAMES["targets"][language]), targets, gen, language)
    memo = wb.create_sheet(_TAB_NAMES["memo"][language])
    for row, line in enumerate(_MEMO_LINES[language], start=1):
        if line:
            memo.cell(row=row, column=1, value=line)
    memo["A1"].font = Font(bold=True)
    memo.column_dimensions["A"].width = 90

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    invalid.sort()
    return DemoStats(
        deals=len(deals),
        reps=list(REPS),
        invalid_cells=[ws.cell(row=r, column=c).coordinate for r, c in invalid],
        stages=stages,
        path=path,
        warning_cells=dict(warnings),
    )


# ----------------------------------------------------------------------------- config

#: first-line marker of a config written by `sheetsync demo` (so a rerun may overwrite it)
DEMO_MARKER = "(sheetsync demo)"

_CONFIG_TEMPLATE = {
    "ja": """\
# sheetsync の設定ファイル (sheetsync demo) 。全項目の説明は config.example.yaml を参照。
spreadsheet:
  backend: workbook            # workbook（ローカルの .xlsx）| google（Google スプレッドシート）
  path: {path}{path_pad}# このファイルからの相対パス
  # key: 1AbC…                 # google: スプレッドシートのキーまたは URL
  # credentials: sa.json       # google: サービスアカウントの鍵
# schema: schemas/deal_register.yaml   # 省略時は同梱の標準スキーマ
language: {language}                 # ja | en: タブ名とメッセージの言語
timezone: Asia/Tokyo         # 「今日」を決めるタイムゾーン
fiscal_year_start_month: 4   # 期首月（4 = 4月始まり: FY2026 = 2026/4/1〜2027/3/31）
owners:                      # 担当者の名簿: 担当者列はこのどれか（空なら誰でも可）
{owners}
forecast:
  period: quarter            # 売上予測の単位: quarter（四半期）| month（月）
stale:
  default_days: 14           # この日数より更新のない進行中案件を要フォローに
  by_stage:                  # フェーズごとの日数（フェーズの値: lead, meeting, proposal …）
    lead: 30
    negotiation: 7
win_rate:
  window_months: 12          # 受注率の集計期間（直近の月数）
""",
    "en": """\
# sheetsync configuration (sheetsync demo). config.example.yaml documents every key.
spreadsheet:
  backend: workbook            # workbook (a local .xlsx) | google (a Google Sheet)
  path: {path}{path_pad}# relative to this file
  # key: 1AbC…                 # google: spreadsheet key or full URL
  # credentials: sa.json       # google: service-account key
# schema: schemas/deal_register.yaml   # omit to use the packaged default schema
language: {language}                 # ja | en: tab names and messages
timezone: Asia/Tokyo         # the zone that decides what "today" is
fiscal_year_start_month: 4   # 4 = April: FY2026 = 2026-04-01 … 2027-03-31
owners:                      # the team roster: Owner must be one of these (empty = anyone)
{owners}
forecast:
  period: quarter            # forecast per quarter | month
stale:
  default_days: 14           # open deals not updated for longer need follow-up
  by_stage:                  # per-stage limits, by stage value (lead, meeting, proposal …)
    lead: 30
    negotiation: 7
win_rate:
  window_months: 12          # win rate over closed deals of the last N months
""",
}


def _yaml_scalar(text: str) -> str:
    dumped = yaml.safe_dump(text, allow_unicode=True, default_flow_style=True, width=1000)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def write_demo_config(
    path: Path, workbook_name: str = "deals.xlsx", language: str = "ja"
) -> None:
    """Write a commented ``config.yaml`` for the demo workbook (which sits next to it)."""
    if language not in ("ja", "en"):
        raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
    workbook = _yaml_scalar(workbook_name)
    text = _CONFIG_TEMPLATE[language].format(
        path=workbook,
        path_pad=" " * max(1, 23 - len(workbook)),
        language=language,
        owners="\n".join(f"  - {_yaml_scalar(rep)}" for rep in REPS),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
