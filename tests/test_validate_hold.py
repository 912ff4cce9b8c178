"""Validation of parked deals (保留): the review date, aliases, and the multi-owner warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from sheetsync.grid import Grid
from sheetsync.issues import Severity
from sheetsync.model import build_row_model
from sheetsync.schema import Schema, load_schema, parse_schema
from sheetsync.validate import HOLD_REVIEW_CODE, ValidationResult, field_parser, validate_register

SCHEMA = load_schema()
REPO_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "deal_register.yaml"
HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率", "見込金額",
          "受注予定日", "完了日", "流入経路", "登録日", "最終接触日", "次回アクション",
          "次回アクション日", "失注理由", "備考", "先方担当者"]
_EN = {f.label.ja: f.label.en for f in SCHEMA.fields}
EN_HEADER = [_EN[label] for label in HEADER]
HOLD_JA = "フェーズが保留の案件は次回アクション日（見直し日）を入力してください。"
HOLD_EN = "Enter Next action date (the review date) for deals whose Stage is On hold."


def row(schema: Schema = SCHEMA, **cells: Any) -> list[Any]:
    """A register row in HEADER order from field-name keywords (an open 提案 deal)."""
    base = {"deal_id": "D-1", "deal_name": "更改", "client": "(株)サンプル", "owner": "佐藤",
            "stage": "提案", "amount": "120万円", "expected_close": "2026/3/31"}
    base.update(cells)
    by_label = {f.label.ja: f.name for f in schema.fields}
    return [base.get(by_label.get(label)) for label in HEADER]


def held(**cells: Any) -> list[Any]:
    return row(**{"stage": "保留", "next_action_date": "2026/6/1", **cells})


def check(rows: list[list[Any]], header: list[str] = HEADER, schema: Schema = SCHEMA,
          **kwargs: Any) -> ValidationResult:
    return validate_register(Grid("案件一覧", [header, *rows]), schema, **kwargs)


def errors(result: ValidationResult) -> list[tuple[str, str | None, str]]:
    return [(i.code, i.cell, i.message) for i in result.report.errors]


# ------------------------------------------------------------------ the review date


def test_a_hold_deal_with_its_review_date_is_valid() -> None:
    result = check([held()])
    assert result.report.valid, result.report.issues
    assert result.deals.loc[0, "stage"] == "on_hold"


@pytest.mark.parametrize(("language", "header", "message"), [
    ("ja", HEADER, HOLD_JA), ("en", EN_HEADER, HOLD_EN),
    # the columns are named as the sheet writes them, whatever the language
    ("en", HEADER, "Enter 次回アクション日 (the review date) for deals whose フェーズ is On hold."),
])
def test_a_hold_deal_without_its_review_date_is_one_error_saying_what_to_do(
        language: str, header: list[str], message: str) -> None:
    result = check([held(next_action_date=None), row(deal_id="D-2")], header=header,
                   language=language)
    assert errors(result) == [(HOLD_REVIEW_CODE, "O2", message)]
    issue = result.report.errors[0]
    assert (issue.row, issue.field, issue.severity) == (2, "next_action_date", Severity.ERROR)
    assert result.report.excluded_rows == 1 and list(result.deals.deal_id) == ["D-2"]


def test_the_message_names_the_headers_as_written_in_the_sheet() -> None:
    header = [{"フェーズ": "Status", "次回アクション日": "次回予定日"}.get(h, h) for h in HEADER]
    result = check([held(next_action_date=" ")], header=header)
    assert errors(result) == [
        (HOLD_REVIEW_CODE, "O2", "Statusが保留の案件は次回予定日（見直し日）を入力してください。")]


def test_other_required_when_messages_are_unchanged() -> None:
    lost = row(stage="失注", expected_close=None, closed_on="2026/1/5")
    assert errors(check([lost])) == [
        ("required_when", "P2", "失注理由が空欄です。フェーズが失注の案件では必須です。")]
    assert errors(check([lost], header=EN_HEADER, language="en")) == [
        ("required_when", "P2", "Loss reason is empty; it is required when Stage is Lost.")]


def test_a_hold_deal_still_needs_its_expected_close() -> None:
    """`open` includes hold stages (docs/definitions.md: 受注予定日 is required for open deals)."""
    result = check([held(expected_close=None)])
    ((code, cell, message),) = errors(result)
    assert (code, cell) == ("required_when", "I2")
    assert message == ("受注予定日が空欄です。"
                       "フェーズがリード・初回商談・提案・見積提出・交渉・保留の案件では必須です。")


def test_the_pydantic_model_gives_the_same_verdict_and_message() -> None:
    by_label = {f.label.ja: f.name for f in SCHEMA.fields}
    names = [by_label[label] for label in HEADER]
    for language, message in (("ja", HOLD_JA), ("en", HOLD_EN)):
        model = build_row_model(SCHEMA, language=language)
        with pytest.raises(ValidationError) as info:
            model.model_validate(dict(zip(names, held(next_action_date=None))))
        (error,) = info.value.errors()
        assert (error["type"], error["msg"]) == (HOLD_REVIEW_CODE, message)
        assert model.model_validate(dict(zip(names, held()))).stage == "on_hold"


def test_a_missing_review_date_column_matters_only_when_a_deal_is_on_hold() -> None:
    header = [h for h in HEADER if h != "次回アクション日"]
    def without(cells: list[Any]) -> list[Any]:
        return cells[:14] + cells[15:]
    open_only = check([without(row())], header=header)
    assert open_only.report.valid
    assert [i.code for i in open_only.report.warnings] == ["missing_column"]
    with_hold = check([without(row()), without(held(deal_id="D-2"))], header=header)
    assert [i.code for i in with_hold.report.errors] == ["missing_column"]
    assert list(with_hold.deals.deal_id) == ["D-1"]


def custom_schema(edit: Any) -> Schema:
    data = yaml.safe_load(REPO_SCHEMA.read_text(encoding="utf-8"))
    edit(data)
    return parse_schema(yaml.safe_dump(data, allow_unicode=True), "custom.yaml")


def test_a_team_hold_stage_gets_the_same_message_with_its_own_label() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["fields"][5]["choices"][5] = {"value": "frozen", "ja": "凍結", "en": "Paused",
                                           "hold": True}
        # a second rule on the same field: still one issue per cell
        data["fields"][15]["required_when"] = {"stage": "hold", "rank": ["A"]}
    schema = custom_schema(edit)
    rows = [row(schema, stage="凍結", rank="A"), row(schema, deal_id="D-2", rank="A")]
    result = check(rows, schema=schema)
    assert [(c, cell) for c, cell, _ in errors(result)] == [
        (HOLD_REVIEW_CODE, "O2"), ("required_when", "O3")]
    assert errors(result)[0][2] == (
        "フェーズが凍結の案件は次回アクション日（見直し日）を入力してください。")
    assert errors(check(rows, EN_HEADER, schema, language="en"))[0][2] == (
        "Enter Next action date (the review date) for deals whose Stage is Paused.")
    assert errors(result)[1][2].startswith("次回アクション日が空欄です。")


# ------------------------------------------------------------------------ aliases


@pytest.mark.parametrize("typed", [
    "保留", "保留 ", "保留中", "停止", "一時停止", "中断", "ペンディング", "ﾍﾟﾝﾃﾞｨﾝｸﾞ", "On hold",
    "ON HOLD", "on_hold", "Paused", "ＰＡＵＳＥＤ", "parked", "Hold",
])
def test_hold_spellings(typed: str) -> None:
    assert field_parser(SCHEMA.stage_field, "ja")(typed) == "on_hold"


def test_a_hold_alias_in_the_register() -> None:
    result = check([held(stage="ＰＡＵＳＥＤ"), held(deal_id="D-2", stage="停止")])
    assert result.report.valid and set(result.deals.stage) == {"on_hold"}


# --------------------------------------------------------------- multi-owner warning


def multi_owner(result: ValidationResult) -> list[str]:
    return [i.message for i in result.report.warnings if i.code == "multiple_owners"]


def test_a_parked_deal_is_not_an_active_approach() -> None:
    rows = [row(client="株式会社サンプル"),
            held(deal_id="D-2", client="サンプル㈱", owner="鈴木"),
            held(deal_id="D-3", client="ｻﾝﾌﾟﾙ (株)", owner="田中")]
    result = check(rows)
    assert result.report.valid and multi_owner(result) == []


def test_only_active_owners_are_named() -> None:
    rows = [row(client="株式会社サンプル"), row(deal_id="D-2", client="サンプル㈱", owner="鈴木"),
            held(deal_id="D-3", client="(株)サンプル", owner="田中")]
    (message,) = multi_owner(check(rows))
    assert "佐藤" in message and "鈴木" in message and "田中" not in message
