"""Header mapping and row validation of the register, on hand-made grids."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sheetsync.grid import Grid, PercentValue
from sheetsync.issues import Severity
from sheetsync.model import build_register_model, build_row_model
from sheetsync.schema import load_schema
from sheetsync.validate import validate_register

SCHEMA = load_schema()
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率", "見込金額",
          "受注予定日", "完了日", "流入経路", "登録日", "最終接触日", "次回アクション",
          "次回アクション日", "失注理由", "備考", "先方担当者"]


def row(**cells) -> list:
    """A register row in HEADER order from field-name keywords."""
    by_label = {f.label.ja: f.name for f in SCHEMA.fields}
    names = [by_label[label] for label in HEADER]
    base = {"deal_id": "D-1", "deal_name": "更改", "client": "(株)サンプル", "owner": "佐藤",
            "stage": "提案", "amount": "120万円", "expected_close": "2026/3/31"}
    base.update(cells)
    return [base.get(n) for n in names]


def check(rows, header=HEADER, above=(), **kwargs):
    grid = Grid("案件一覧", [*above, header, *rows])
    return validate_register(grid, SCHEMA, **kwargs)


def codes(result, severity=Severity.ERROR):
    return [(i.code, i.cell) for i in result.report.issues if i.severity is severity]


# ------------------------------------------------------------------------ header mapping


def test_header_found_below_title_and_blank_rows():
    result = check([row()], above=[["2026年度 案件管理表"], [], [None, "営業部"]])
    assert result.header.row == 4
    assert result.report.valid and result.deals.loc[0, "_row"] == 5


def test_english_headers_aliases_and_any_column_order():
    header = ["Stage", "Deal ID", "Customer", "Owner", "Deal name", "Amount", "Close date",
              "備考メモ"]
    grid_rows = [["Proposal", "D-9", "ACME", "Kim", "ERP", "¥1,000,000", "2026-04-01", "x"]]
    result = check(grid_rows, header=header)
    assert result.report.valid, result.report.issues
    deal = result.deals.iloc[0]
    assert (deal.deal_id, deal.stage, deal.amount) == ("D-9", "proposal", 1_000_000)
    assert deal.expected_close == dt.datetime(2026, 4, 1)


def test_headers_match_after_nfkc_case_and_spaces():
    header = ["案件 ＩＤ", "案件名", "顧客名", "担当者", "ﾌｪｰｽﾞ", "deal  NAME"]
    result = check([["D-1", "x", "c", "o", "リード", "y"]], header=header)
    assert "duplicate_column" in [c for c, _ in codes(result)]  # 案件名 and deal name


def test_missing_required_column_is_one_error_naming_the_closest_header():
    header = [h for h in HEADER if h != "顧客名"] + ["顧客"]
    header[header.index("顧客")] = "顧客メイ"
    result = check([row(), row(deal_id="D-2")], header=header)
    missing = [i for i in result.report.errors if i.code == "missing_column"]
    assert len(missing) == 1
    assert missing[0].column == "顧客名" and missing[0].value == "顧客メイ"
    assert "顧客メイ" in missing[0].message and missing[0].cell == "R1"
    assert result.report.excluded_rows == 2 and result.deals.empty


def test_missing_column_without_a_close_header_says_what_to_add():
    header = [h for h in HEADER if h != "担当者"]
    result = check([row()], header=header)
    (issue,) = [i for i in result.report.errors if i.code == "missing_column"]
    assert issue.cell is None and "担当者" in issue.message and "Owner" in issue.message


def test_missing_conditional_column_only_errors_when_a_row_needs_it():
    header = [h for h in HEADER if h != "失注理由"]
    open_only = check([row()], header=header)
    assert open_only.report.valid
    assert [i.code for i in open_only.report.warnings] == ["missing_column"]
    lost = row(deal_id="D-2", stage="失注", closed_on="2026/1/1", expected_close=None)
    with_lost = check([row(), lost[:15] + lost[16:]], header=header)
    assert [c for c, _ in codes(with_lost)] == ["missing_column"]
    assert with_lost.report.excluded_rows == 1


def test_duplicate_headers_are_reported_and_unused():
    header = [*HEADER, "金額"]
    result = check([[*row(), "999"]], header=header)
    (issue,) = result.report.errors[:1]
    assert issue.code == "duplicate_column" and issue.cell == "S1"
    assert "H1" in issue.message and "S1" in issue.message
    assert result.deals.empty  # amount is required at 提案 and ambiguous here


def test_blank_header_with_data_warns_and_extra_columns_are_ignored():
    header = [*HEADER, None, "社内メモ"]
    result = check([[*row(), "stray", "memo"]], header=header)
    assert result.report.valid
    assert [(i.code, i.cell) for i in result.report.warnings] == [("blank_header", "S1")]


def test_no_header_row():
    result = check([["a", "b"]], header=["foo", "bar"])
    assert [i.code for i in result.report.errors] == ["no_header_row"]


# --------------------------------------------------------------------------- row rules


def test_every_error_is_reported_with_cell_column_and_value():
    rows = [
        row(amount="abc", expected_close="3/31", rank="Z"),
        row(deal_id="D-2", stage="受注", amount=None, expected_close=None, closed_on=None),
        row(deal_id="D-3", stage="失注", expected_close=None, closed_on="2026/2/30"),
        row(deal_id="D-4", client=" ", probability="120%"),
    ]
    result = check(rows)
    assert codes(result) == [
        ("invalid_choice", "F2"), ("invalid_money", "H2"), ("date_without_year", "I2"),
        ("required_when", "H3"), ("required_when", "J3"),
        ("impossible_date", "J4"), ("required_when", "P4"),
        ("required", "C5"), ("percent_out_of_range", "G5"),
    ]
    first = result.report.errors[0]
    assert (first.tab, first.row, first.column, first.value) == ("案件一覧", 2, "確度", "Z")
    assert "A" in first.message and "D" in first.message  # the allowed values
    assert result.report.rows == 4 and result.report.excluded_rows == 4


def test_duplicate_ids_flag_every_occurrence():
    result = check([row(), row(deal_id="D-2"), row(deal_id=" D-1")])
    assert codes(result) == [("duplicate_id", "A2"), ("duplicate_id", "A4")]
    assert "2, 4" in result.report.errors[0].message
    assert list(result.deals.deal_id) == ["D-2"]


def test_blank_rows_are_skipped_not_counted():
    result = check([row(), [None] * 17, ["  "] * 17, row(deal_id="D-2")])
    assert result.report.rows == 2 and list(result.deals._row) == [2, 5]


def test_roster():
    result = check([row(owner="佐藤"), row(deal_id="D-2", owner="山田")], owners=["佐藤"])
    assert codes(result) == [("not_in_roster", "D3")]


def test_typed_frame_matches_contract():
    result = check([row(probability=PercentValue(0.6), rank="ｂ", lead_source="展示会",
                        created_on=45000, next_action="=確認")])
    deal = result.deals.iloc[0]
    assert deal.probability == 60.0 and deal["rank"] == "B" and deal.lead_source == "trade_show"
    assert deal.created_on == dt.datetime(2023, 3, 15)
    assert deal.next_action == "=確認"
    assert str(result.deals.amount.dtype) == "Int64"
    assert str(result.deals.expected_close.dtype) == "datetime64[ns]"


def test_messages_follow_language():
    result = check([row(amount="abc")], language="en")
    assert result.report.errors[0].message.startswith("“abc” is not an amount in yen")


# ------------------------------------------------------------------------------ warnings


def test_several_owners_on_one_client_warns_once():
    rows = [row(client="株式会社サンプル"), row(deal_id="D-2", client="サンプル㈱", owner="鈴木"),
            row(deal_id="D-3", client="ｻﾝﾌﾟﾙ (株)", owner="鈴木"),
            row(deal_id="D-4", client="(株)サンプル", owner="田中", stage="失注",
                expected_close=None, closed_on="2026/1/5", loss_reason="価格")]
    result = check(rows)
    warnings = [i for i in result.report.warnings if i.code == "multiple_owners"]
    assert len(warnings) == 1 and warnings[0].cell == "C2"
    assert "佐藤" in warnings[0].message and "鈴木" in warnings[0].message
    assert "田中" not in warnings[0].message  # a closed deal is not an approach
    assert result.report.excluded_rows == 0


def test_closed_stage_contradictions_warn():
    rows = [row(stage="受注", closed_on="2026/1/5", rank="D", probability="60%"),
            row(deal_id="D-2", stage="失注", closed_on="2026/1/5", loss_reason="x", rank="A"),
            row(deal_id="D-3", stage="受注", closed_on="2026/1/5", rank="A", probability=100)]
    result = check(rows)
    assert codes(result, Severity.WARNING) == [
        ("closed_rank_mismatch", "F2"), ("closed_probability_mismatch", "G2"),
        ("closed_rank_mismatch", "F3")]
    assert result.report.valid and len(result.deals) == 3


def test_dates_after_as_of_warn():
    result = check([row(stage="受注", closed_on="2026/12/1")], as_of=dt.date(2026, 11, 26))
    assert codes(result, Severity.WARNING) == [("future_date", "J2")]


# ----------------------------------------------------------- pydantic model agrees


CELL = st.one_of(
    st.none(), st.sampled_from(["", "受注", "失注", "提案", "リード", "保留", "停止",
                                 "Ｐａｕｓｅｄ", "A", "Ｚ", "120万円", "abc", "-5", "2026/3/31",
                                 "3/31", "R8.3.31", "80%", "0.8", "佐藤", "=SUM(A1)"]),
    st.integers(-5, 50_000), st.dates(dt.date(1940, 1, 1), dt.date(2210, 1, 1)),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=17, max_size=17), min_size=1, max_size=6))
def test_bulk_validator_and_pydantic_model_agree(cells):
    rows = [[f"D-{i}", *r[1:]] if r[0] is None else r for i, r in enumerate(cells)]
    result = check(rows)
    row_model = build_row_model(SCHEMA)
    names = [f.name for f in SCHEMA.fields]
    blank_rows = {i for i, r in enumerate(rows) if all(
        v is None or (isinstance(v, str) and not v.strip()) for v in r)}
    verdicts = {}
    for i, r in enumerate(rows):
        if i in blank_rows:
            continue
        try:
            verdicts[i + 2] = row_model.model_validate(dict(zip(names, r)))
        except ValidationError:
            verdicts[i + 2] = None
    error_rows = {i.row for i in result.report.errors if i.code != "duplicate_id"}
    duplicates = {i.row for i in result.report.errors if i.code == "duplicate_id"}
    for sheet_row, model in verdicts.items():
        assert (model is None) == (sheet_row in error_rows), (sheet_row, rows[sheet_row - 2])
    valid_models = [m for m in verdicts.values() if m is not None]
    register = build_register_model(SCHEMA)
    if duplicates - error_rows:
        with pytest.raises(ValidationError):
            register.model_validate([m.model_dump() for m in valid_models])
    for deal in result.deals.itertuples(index=False):
        model = verdicts[deal._0]
        assert model.stage == deal.stage and model.deal_id == deal.deal_id
        amount = None if deal.amount is None or deal.amount != deal.amount else int(deal.amount)
        assert model.amount == amount
