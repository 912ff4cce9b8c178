"""The field dictionary (項目定義, `schema show`) and the setup plan, for hold stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sheetsync import dictionary
from sheetsync.enforce import plan_setup, rule_for
from sheetsync.grid import Grid
from sheetsync.schema import Schema, load_schema, parse_schema
from sheetsync.validate import validate_register

SCHEMA = load_schema()
REPO_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "deal_register.yaml"


def frozen_schema() -> Schema:
    """A team whose parked stage is 凍結 / Paused (and that has no 保留)."""
    data = yaml.safe_load(REPO_SCHEMA.read_text(encoding="utf-8"))
    data["fields"][5]["choices"][5] = {
        "value": "frozen", "ja": "凍結", "en": "Paused", "hold": True,
        "description": {"ja": "先方都合で凍結中。", "en": "Frozen by the client."}}
    return parse_schema(yaml.safe_dump(data, allow_unicode=True), "frozen.yaml")


def entry(schema: Schema, name: str, language: str) -> dictionary.Entry:
    return next(e for e in dictionary.entries(schema, language) if e.name == name)


def test_the_stage_entry_shows_hold_with_its_meaning() -> None:
    ja = entry(SCHEMA, "stage", "ja")
    assert ja.choices == ("リード (10%)・初回商談 (20%)・提案 (40%)・見積提出 (60%)・交渉 (80%)・"
                          "保留 (予測・フォロー対象外)・受注 (100%)・失注 (0%)")
    assert ja.description.startswith("商談の進み具合。保留：一時的に止まっている案件。")
    assert "見直し日" in ja.description
    en = entry(SCHEMA, "stage", "en")
    assert "Negotiation (80%), On hold (out of forecasts and follow-ups), Won (100%)" in en.choices
    assert "On hold: A parked deal." in en.description


def test_the_review_date_entry() -> None:
    ja = entry(SCHEMA, "next_action_date", "ja")
    assert ja.required == "フェーズが保留の場合は必須"
    assert "見直し日" in ja.description
    en = entry(SCHEMA, "next_action_date", "en")
    assert en.required == "required when Stage is On hold"
    assert "review date" in en.description


def test_other_entries_are_unchanged() -> None:
    assert entry(SCHEMA, "rank", "ja").choices == "A (80%)・B (50%)・C (20%)・D (5%)"
    assert entry(SCHEMA, "loss_reason", "ja").required == "フェーズが失注の場合は必須"
    assert entry(SCHEMA, "deal_id", "ja").description == (
        "案件を一意に識別するID。行の並べ替えや削除があっても変えないこと。")


def test_a_team_hold_stage_comes_from_its_schema() -> None:
    schema = frozen_schema()
    stage = entry(schema, "stage", "ja")
    assert "凍結 (予測・フォロー対象外)" in stage.choices and "保留" not in stage.choices
    assert stage.description == "商談の進み具合。凍結：先方都合で凍結中。"
    assert entry(schema, "next_action_date", "en").required == "required when Stage is Paused"
    assert "Paused (out of forecasts and follow-ups)" in dictionary.markdown(schema, "en")


def plan(schema: Schema, language: str) -> dict[str, Any]:
    header = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "次回アクション日"]
    grid = Grid("案件一覧", [header, ["D-1", "a", "c", "佐藤", "提案", None]])
    mapped = validate_register(grid, schema, language=language).header
    assert mapped is not None
    setup = plan_setup(grid, mapped, schema, language=language)
    return {c.field: c for c in setup.columns}


def test_the_dropdown_lists_the_schemas_stages_in_order() -> None:
    for schema, hold in ((SCHEMA, "保留"), (frozen_schema(), "凍結")):
        stage = plan(schema, "ja")["stage"]
        assert stage.rule is not None and stage.rule.kind == "list"
        assert stage.rule.values == tuple(c.label.ja for c in schema.stage_field.choices)
        assert stage.rule.values[5] == hold
        assert f"{hold}：" in stage.rule.help and stage.note == stage.rule.help
    en = plan(frozen_schema(), "en")["stage"]
    assert en.rule is not None and en.rule.values == (
        "Lead", "First meeting", "Proposal", "Quote sent", "Negotiation", "Paused", "Won",
        "Lost")


def test_help_text_of_a_field_without_described_choices_is_its_description() -> None:
    rule = rule_for(SCHEMA.field("rank"), "ja", (), strict=False)
    assert rule is not None and rule.help == SCHEMA.field("rank").description.ja
