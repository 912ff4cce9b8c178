"""The demo register as an ``.xlsx``: the deals of :mod:`.generate` rendered in the messy
forms reps type, and the tabs around them.

The register tab has a title row above the header, an alias or two in the header and a
column sheetsync does not know; its cells use every messy-but-valid form of "What reps type"
(¥/￥/円/万/億/千円 amounts, full-width digits, 令和 dates, serial numbers, stage aliases with
trailing spaces, percent cells, text that starts with ``=``), and the rows the generator
marked get one invalid cell each, which :class:`DemoStats` names. A 目標 (targets) tab and
a notes tab sheetsync does not own complete the workbook. The ``en`` variant has the same
rows and the same problems, with English headers and tab names.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..grid import date_to_serial
from ..metrics.periods import Period, fiscal_year_of
from ..schema import Choice, Schema, load_schema
from . import pools
from .generate import REPS, Deal, Generator

_FULL_WIDTH_SPACE_REP = 0  # 佐藤 is sometimes typed as 佐藤　健 (full-width space)

# Row layout of the register tab: title, blank, header, data.
_TITLE_ROW = 1
_HEADER_ROW = 3
_FIRST_DATA_ROW = _HEADER_ROW + 1
_DATE_FORMAT = "yyyy/mm/dd"
_YEN_FORMAT = '"¥"#,##0'
_PERCENT_FORMAT = "0%"

_MAN = 10_000
_OKU = 100_000_000

#: register columns in sheet order (field names; ``_memo`` is the column sheetsync ignores)
_COLUMNS: tuple[str, ...] = (
    "deal_id", "created_on", "owner", "client", "client_contact", "deal_name", "stage", "rank",
    "probability", "amount", "expected_close", "closed_on", "lead_source", "last_activity",
    "next_action", "next_action_date", "loss_reason", "notes", "_memo",
)
_WIDTHS: dict[str, int] = {
    "deal_id": 13, "created_on": 12, "owner": 12, "client": 28, "client_contact": 16,
    "deal_name": 30, "stage": 12, "rank": 7, "probability": 10, "amount": 15,
    "expected_close": 13, "closed_on": 12, "lead_source": 15, "last_activity": 13,
    "next_action": 30, "next_action_date": 15, "loss_reason": 20, "notes": 24, "_memo": 24,
}
#: the :class:`~.generate.Deal` attributes each column's cell is rendered from
_DEAL_ATTRS: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal_id",), "created_on": ("created_on",), "owner": ("owner",),
    "client": ("client", "invalid"), "client_contact": ("contact", "deal_id"),
    "deal_name": ("name", "phase2"), "stage": ("stage", "invalid"), "rank": ("rank",),
    "probability": ("probability",), "amount": ("amount", "invalid"),
    "expected_close": ("expected_close", "invalid"), "closed_on": ("closed_on",),
    "lead_source": ("lead_source",), "last_activity": ("last_activity", "invalid"),
    "next_action": ("formula_like", "hold_action", "next_action"),
    "next_action_date": ("next_action_date",), "loss_reason": ("loss_reason", "invalid"),
    "notes": ("note",), "_memo": ("memo",),
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


@dataclass
class DemoStats:
    """What the demo's register holds today: what :func:`write_demo_workbook` wrote, and
    what ``sheetsync demo`` leaves after its backdated runs (:func:`~.runs.build_demo`: the
    same register, cell for cell — its earlier states are the past, never described here).

    ``deals`` counts the data rows of the register tab; ``invalid_cells`` are the A1
    references of the cells validation must reject (nothing else is an error);
    ``stages`` counts the rows per stage value, over the rows whose stage cell is readable;
    ``path`` is the workbook written.
    """

    deals: int
    reps: list[str]
    invalid_cells: list[str]
    stages: Counter[str]
    path: Path
    #: A1 cells of the deliberate warnings, by issue code (informational)
    warning_cells: dict[str, list[str]] = field(default_factory=dict)


class _Cell(NamedTuple):
    value: Any
    number_format: str | None = None
    force_text: bool = False


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

    @staticmethod
    def contact(person: tuple[int, int] | None, language: str, rng: random.Random) -> _Cell:
        """The client's contact as reps write one: 山田 太郎, 山田太郎様, 山田 太郎 様 (and
        Taro Yamada, Mr. Taro Yamada) — one person, whichever way it is typed."""
        if person is None:
            return _Cell(None)
        family = pools.FAMILY_NAMES[language][person[0]]
        given = pools.GIVEN_NAMES[language][person[1]]
        if language == "en":
            name = f"{given} {family}"
            return _Cell(f"Mr. {name}" if rng.random() < 0.15 else name)
        sep = rng.choices((" ", "", "\u3000"), weights=(60, 25, 15))[0]
        suffix = rng.choices(("", "様", " 様", "さん"), weights=(60, 25, 10, 5))[0]
        return _Cell(family + sep + given + suffix)

    def owner(self, rep: int) -> _Cell:
        """The rep as on the roster; one rep sometimes with a full-width space."""
        name = REPS[rep]
        if rep == _FULL_WIDTH_SPACE_REP and self.rng.random() < 0.35:
            name = name.replace(" ", "\u3000")
        return _Cell(name)


def _render_row(
    gen: Generator, out: _Renderer, deal: Deal, today: dt.date, row: int
) -> dict[str, _Cell]:
    """All cells of one deal (deliberate errors applied) by column field name."""
    lang = out.language
    schema = gen.schema
    stage = schema.stage_field.choice(deal.stage)
    next_action: _Cell
    if deal.formula_like is not None:
        next_action = _Cell(pools.FORMULA_LIKE[lang][deal.formula_like], force_text=True)
    elif deal.hold_action is not None:
        next_action = _Cell(pools.HOLD_ACTIONS[lang][deal.hold_action])
    elif deal.next_action == -1:
        next_action = _Cell(pools.WON_ACTIONS[lang])
    elif deal.next_action is not None:
        next_action = _Cell(pools.NEXT_ACTIONS[lang][deal.next_action])
    else:
        next_action = _Cell(None)
    source = (out.choice(schema.field("lead_source").choice(deal.lead_source), spaces=False)
              if deal.lead_source else _Cell(None))
    name = pools.DEAL_NAMES[lang][deal.name] + (pools.PHASE_SUFFIX[lang] if deal.phase2 else "")
    cells = {
        "deal_id": _Cell(deal.deal_id),
        "created_on": out.date(deal.created_on),
        "owner": out.owner(deal.owner),
        "client": out.client(pools.CLIENTS[deal.client], gen.client_prefix[deal.client]),
        # its own random stream per row, so the contacts moved no other cell
        "client_contact": out.contact(deal.contact, lang, random.Random(f"{deal.deal_id}/{row}")),
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
        "loss_reason": _Cell(pools.LOSS_REASONS[lang][deal.loss_reason]
                             if deal.loss_reason is not None else None),
        "notes": _Cell(pools.NOTES[lang][deal.note] if deal.note is not None else None),
        "_memo": _Cell(pools.MEMOS[lang][deal.memo] if deal.memo is not None else None),
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


#: a cell of the 目標 tab below its header: (row, column, cell)
_TargetCell = tuple[int, int, _Cell]


def _target_cells(
    targets: list[tuple[Period, int | None, int]], gen: Generator
) -> list[_TargetCell]:
    """The 目標 tab's rows as a manager typed them (the labels and yen forms drawn from
    ``gen.rng``, so one seed decides them)."""
    rng = gen.rng
    cells: list[_TargetCell] = []
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
                cells += [(row, 1, _Cell(label)), (row, 2, _Cell(owner)),
                          (row, 3, _money_cell(part, rng))]
                row += 1
            continue
        cells += [(row, 1, _Cell(_period_label(period, rng))), (row, 2, _Cell(owner)),
                  (row, 3, _money_cell(amount, rng))]
        row += 1
    return cells


def _write_targets(ws: Worksheet, cells: list[_TargetCell], language: str) -> None:
    headers = ("期間", "担当者", "目標金額") if language == "ja" else ("Period", "Owner", "Target")
    for column, text in enumerate(headers, start=1):
        ws.cell(row=1, column=column, value=text)
    _style_header(ws, 1, len(headers))
    ws.freeze_panes = "A2"
    for letter, width in zip("ABC", (22, 14, 16), strict=True):
        ws.column_dimensions[letter].width = width
    for row, column, cell in cells:
        _put(ws, row, column, cell)


#: one register row: its cells by column field name
RegisterRow = dict[str, _Cell]


class DemoBook:
    """The demo rendered once: the deals of :class:`~.generate.Generator`, the register's
    cells as reps typed them and the 目標 tab's — everything :func:`write_demo_workbook`
    writes, drawn from the one ``seed`` in the same order.

    :meth:`write` saves the workbook with today's register (the demo) or with any other rows
    (the register as it stood on an earlier day: :mod:`.history`), the other tabs alike.
    """

    def __init__(self, *, today: dt.date, seed: int = 7, language: str = "ja") -> None:
        if language not in ("ja", "en"):
            raise ValueError(f"language must be 'ja' or 'en', got {language!r}")
        self.today = today
        self.seed = seed
        self.language = language
        self.schema = load_schema()
        self.gen = Generator(today, seed, self.schema)
        self.deals = self.gen.deals()
        targets = self.gen.targets(self.deals)
        out = _Renderer(self.gen.rng, language)
        self.rows: list[RegisterRow] = [
            _render_row(self.gen, out, deal, today, _FIRST_DATA_ROW + offset)
            for offset, deal in enumerate(self.deals)]
        self.target_cells = _target_cells(targets, self.gen)

    def renderer(self, rng: random.Random) -> _Renderer:
        """A renderer in the demo's language drawing its forms from ``rng``."""
        return _Renderer(rng, self.language)

    def render(self, out: _Renderer, deal: Deal) -> RegisterRow:
        """``deal``'s cells in forms drawn by ``out`` (the contact as today's row has it)."""
        return _render_row(self.gen, out, deal, self.today, _FIRST_DATA_ROW)

    def row_as(self, index: int, deal: Deal, out: _Renderer,
               drawn: dict[tuple[int, str, tuple[Any, ...]], _Cell]) -> RegisterRow:
        """Today's row ``index`` holding ``deal``'s values instead (the row as it stood on an
        earlier day): a cell whose value is today's is today's cell, in the same form; any
        other value is drawn by ``out`` once per row, column and value (kept in ``drawn``),
        so a value that stays put never changes its form from one day to the next."""
        final, today_row = self.deals[index], self.rows[index]
        if deal is final:
            return today_row
        row: RegisterRow = {}
        rendered: RegisterRow | None = None
        for name in _COLUMNS:
            attrs = _DEAL_ATTRS[name]
            value = tuple(getattr(deal, a) for a in attrs)
            if value == tuple(getattr(final, a) for a in attrs):
                row[name] = today_row[name]
                continue
            key = (index, name, value)
            if key not in drawn:
                rendered = rendered or self.render(out, deal)
                drawn[key] = rendered[name]
            row[name] = drawn[key]
        return row

    def write(self, path: Path, rows: list[RegisterRow] | None = None) -> DemoStats:
        """Write the workbook to ``path``: the register holds ``rows`` (default: today's).
        The stats describe today's register (what the demo is)."""
        rows = self.rows if rows is None else rows
        schema, language = self.schema, self.language
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = schema.title(language)
        title = _TITLES[language].format(fy=fiscal_year_of(self.today))
        ws.cell(row=_TITLE_ROW, column=1, value=title).font = Font(bold=True, size=14)
        for column, name in enumerate(_COLUMNS, start=1):
            ws.cell(row=_HEADER_ROW, column=column, value=_header(schema, name, language))
            ws.column_dimensions[get_column_letter(column)].width = _WIDTHS[name]
        _style_header(ws, _HEADER_ROW, len(_COLUMNS))
        ws.freeze_panes = ws.cell(row=_FIRST_DATA_ROW, column=1).coordinate
        position = {name: i + 1 for i, name in enumerate(_COLUMNS)}
        for offset, cells in enumerate(rows):
            for name, cell in cells.items():
                _put(ws, _FIRST_DATA_ROW + offset, position[name], cell)
        last = _FIRST_DATA_ROW + len(rows) - 1
        ws.auto_filter.ref = f"A{_HEADER_ROW}:{get_column_letter(len(_COLUMNS))}{last}"

        _write_targets(wb.create_sheet(_TAB_NAMES["targets"][language]), self.target_cells,
                       language)
        memo = wb.create_sheet(_TAB_NAMES["memo"][language])
        for row, line in enumerate(_MEMO_LINES[language], start=1):
            if line:
                memo.cell(row=row, column=1, value=line)
        memo["A1"].font = Font(bold=True)
        memo.column_dimensions["A"].width = 90

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return self.stats(path)

    def stats(self, path: Path) -> DemoStats:
        """What today's register holds (:class:`DemoStats`), the workbook being ``path``."""
        invalid: list[tuple[int, int]] = []
        warnings: dict[str, list[str]] = defaultdict(list)
        stages: Counter[str] = Counter()
        position = {name: i + 1 for i, name in enumerate(_COLUMNS)}
        shared_seen: set[int] = set()
        contact_owners: dict[tuple[int, tuple[int, int]], set[int]] = defaultdict(set)
        contact_first: dict[tuple[int, tuple[int, int]], str] = {}
        gen = self.gen

        def ref(row: int, name: str) -> str:
            return f"{get_column_letter(position[name])}{row}"

        for offset, deal in enumerate(self.deals):
            row = _FIRST_DATA_ROW + offset
            if deal.invalid:
                invalid.append((row, position[_INVALID_COLUMN[deal.invalid]]))
            if deal.invalid != "unknown_stage":
                stages[deal.stage] += 1
            if deal.stage == "won" and deal.probability == 50:
                warnings["closed_probability_mismatch"].append(ref(row, "probability"))
            if deal.stage == "lost" and deal.rank == "A":
                warnings["closed_rank_mismatch"].append(ref(row, "rank"))
            if (deal.client in gen.shared_clients and deal.closed_on is None
                    and not deal.invalid and deal.client not in shared_seen):
                shared_seen.add(deal.client)  # reported at the client's first open deal
                warnings["multiple_owners"].append(ref(row, "client"))
            if (deal.contact is not None and not deal.invalid
                    and deal.stage not in ("won", "lost", "on_hold")):
                key = (deal.client, deal.contact)
                contact_owners[key].add(deal.owner)
                contact_first.setdefault(key, ref(row, "client_contact"))
        for key, owners in contact_owners.items():
            if len(owners) > 1:  # one person at one client, approached by several reps
                warnings["multiple_owners_contact"].append(contact_first[key])
        invalid.sort()
        return DemoStats(
            deals=len(self.deals),
            reps=list(REPS),
            invalid_cells=[f"{get_column_letter(c)}{r}" for r, c in invalid],
            stages=stages,
            path=Path(path),
            warning_cells=dict(warnings),
        )


def write_demo_workbook(
    path: Path, *, today: dt.date, seed: int = 7, language: str = "ja"
) -> DemoStats:
    """Write the demo register workbook to ``path`` and describe what it holds.

    Tabs: the register (案件一覧 / Deals), the targets (目標 / Targets) and a notes tab that
    sheetsync does not own (メモ / Memo). Deterministic for a given ``seed`` and ``today``.
    """
    return DemoBook(today=today, seed=seed, language=language).write(path)
