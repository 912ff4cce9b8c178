"""Every change `sheetsync fix` plans names its kind (issue 10 #7): what the column's parser
did to read the cell — trimmed it, folded full width, took a unit, read text as a date …"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.fixes import KINDS, CellEdit, kind_text, plan_fixes
from sheetsync.grid import Grid, PercentValue
from sheetsync.schema import load_schema
from sheetsync.validate import validate_register

SCHEMA = load_schema()
AS_OF = dt.date(2026, 11, 1)
HEADER = {"ja": ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率",
                 "見込金額", "受注予定日", "流入経路", "備考"],
          "en": ["Deal ID", "Deal name", "Client", "Owner", "Stage", "Confidence",
                 "Win probability", "Amount", "Expected close", "Lead source", "Notes"]}
BASE = ["D-1", "案件", "A社", "佐藤", "提案", "A", PercentValue(0.4), 1200000,
        dt.date(2026, 12, 1), "紹介", "メモ"]
BASE_EN = ["D-1", "Deal", "A Inc.", "Sato", "Proposal", "A", PercentValue(0.4), 1200000,
           dt.date(2026, 12, 1), "Referral", "memo"]


def plan_one(column: str, raw, language: str = "ja", owners=()) -> list[CellEdit]:
    header = HEADER[language]
    row = list(BASE if language == "ja" else BASE_EN)
    row[header.index(column)] = raw
    grid = Grid("案件一覧" if language == "ja" else "Deals", [header, row])
    result = validate_register(grid, SCHEMA, language=language, owners=owners, as_of=AS_OF)
    return plan_fixes(result, grid, SCHEMA, language=language)


@pytest.mark.parametrize(("column", "raw", "kinds", "shown"), [
    # spaces, width, case, another spelling of a choice
    ("フェーズ", "受注 ", ["trim"], ("受注 ", "受注")),
    ("フェーズ", "受　注", ["full_width", "trim"], ("受　注", "受注")),
    ("フェーズ", "Won", ["label"], ("Won", "受注")),
    ("フェーズ", "見送り", ["label"], ("見送り", "失注")),
    ("確度", "Ａ", ["full_width"], ("Ａ", "A")),
    ("確度", "a", ["case"], ("a", "A")),
    ("確度", "Aヨミ", ["label"], ("Aヨミ", "A")),
    ("流入経路", "ﾊﾟｰﾄﾅｰ", ["half_width_kana"], ("ﾊﾟｰﾄﾅｰ", "パートナー")),
    ("流入経路", "ｼｮｳｶｲ", None, None),  # not a spelling of any choice: invalid, untouched
    ("備考", "  メモ ", ["trim"], ("  メモ ", "メモ")),
    # money: units, full width, text → number
    ("見込金額", "120万円", ["unit"], ("120万円", "¥1,200,000")),
    ("見込金額", "３００万円", ["full_width", "unit"], ("３００万円", "¥3,000,000")),
    ("見込金額", "1200千円", ["unit"], ("1200千円", "¥1,200,000")),
    ("見込金額", "1.2億", ["unit"], ("1.2億", "¥120,000,000")),
    ("見込金額", "1,200,000", ["text_to_number"], ("1,200,000", "¥1,200,000")),
    ("見込金額", "¥1,200,000", ["text_to_number"], ("¥1,200,000", "¥1,200,000")),
    ("見込金額", "￥1,200,000円", ["full_width", "text_to_number"],
     ("￥1,200,000円", "¥1,200,000")),
    ("見込金額", " 1200000", ["trim", "text_to_number"], (" 1200000", "¥1,200,000")),
    # dates
    ("受注予定日", "2026/10/20", ["text_to_date"], ("2026/10/20", "2026/10/20")),
    ("受注予定日", "令和8年10月20日", ["text_to_date"], ("令和8年10月20日", "2026/10/20")),
    ("受注予定日", "２０２６/１０/２０", ["full_width", "text_to_date"],
     ("２０２６/１０/２０", "2026/10/20")),
    ("受注予定日", 46315, ["number_to_date"], ("46315", "2026/10/20")),
    ("受注予定日", dt.datetime(2026, 10, 20, 9, 30), ["time_dropped"],
     ("2026/10/20 09:30", "2026/10/20")),
    # percent: the unit is shown once, on either side
    ("受注確率", "６０％", ["full_width", "text_to_percent"], ("６０％", "60%")),
    ("受注確率", "90%", ["text_to_percent"], ("90%", "90%")),
    ("受注確率", "80", ["text_to_percent"], ("80", "80%")),
    ("受注確率", 80, ["number_to_percent"], ("80", "80%")),
])
def test_each_kind_follows_from_what_the_fix_does(column, raw, kinds, shown) -> None:
    edits = plan_one(column, raw)
    if kinds is None:
        assert edits == []
        return
    (edit,) = edits
    assert [k.code for k in edit.kinds] == kinds
    assert edit.describe() == shown


def test_a_roster_name_is_respelt_as_the_roster_spells_it() -> None:
    (full_width,) = plan_one("担当者", "佐藤　健", owners=["佐藤 健"])
    assert [k.code for k in full_width.kinds] == ["full_width"]
    assert full_width.new == "佐藤 健"
    (joined,) = plan_one("担当者", "佐藤健", owners=["佐藤 健"])
    assert [k.code for k in joined.kinds] == ["label"]
    (trimmed,) = plan_one("担当者", "佐藤 ", owners=["佐藤"])
    assert [k.code for k in trimmed.kinds] == ["trim"]


def test_en_labels_and_choices() -> None:
    (edit,) = plan_one("Stage", "won ", language="en")
    assert edit.new == "Won" and [k.code for k in edit.kinds] == ["trim", "case"]
    assert edit.kind("en") == "spaces trimmed, letter case"
    assert edit.kind("ja") == "空白除去・大文字小文字"
    (date,) = plan_one("Expected close", "2026/10/20", language="en")
    assert date.kind("en") == "text → date"


def test_every_kind_has_a_label_in_both_languages() -> None:
    required = {"trim": ("空白除去", "spaces trimmed"),
                "text_to_date": ("文字列→日付", "text → date"),
                "full_width": ("全角→半角", "full-width → half-width"),
                "unit": ("単位換算", "unit conversion")}
    for code, (ja, en) in required.items():
        assert (KINDS[code].label.ja, KINDS[code].label.en) == (ja, en)
    for kind in KINDS.values():
        assert kind.label.ja and kind.label.en and kind_text([kind], "en") == kind.label.en
