"""Schema files: the packaged default, a team's edits, and clear errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sheetsync.errors import SchemaError
from sheetsync.schema import default_schema_text, load_schema, parse_schema

REPO_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "deal_register.yaml"


def test_default_schema_matches_design():
    schema = load_schema()
    assert schema.title.ja == "案件一覧" and schema.title.en == "Deals"
    assert [f.name for f in schema.fields] == [
        "deal_id", "deal_name", "client", "owner", "client_contact", "stage", "rank",
        "probability", "amount", "expected_close", "closed_on", "lead_source", "created_on",
        "last_activity", "next_action", "next_action_date", "loss_reason", "notes",
    ]
    contact = schema.field("client_contact")
    assert (contact.label.ja, contact.label.en, contact.type, contact.required) == (
        "先方担当者", "Client contact", "string", False)
    assert set(contact.aliases) == {"先方担当", "顧客担当者", "Contact"}
    stages = [(c.value, c.label.ja, c.label.en, c.probability, c.closed, c.hold)
              for c in schema.stage_field.choices]
    assert stages == [
        ("lead", "リード", "Lead", 10, False, False),
        ("meeting", "初回商談", "First meeting", 20, False, False),
        ("proposal", "提案", "Proposal", 40, False, False),
        ("quote", "見積提出", "Quote sent", 60, False, False),
        ("negotiation", "交渉", "Negotiation", 80, False, False),
        ("on_hold", "保留", "On hold", None, False, True),
        ("won", "受注", "Won", 100, True, False), ("lost", "失注", "Lost", 0, True, False),
    ]
    assert schema.hold_stages() == {"on_hold"}
    assert "on_hold" in schema.open_stages() and "on_hold" not in schema.closed_stages()
    assert schema.field("next_action_date").required_when[0].values == {"on_hold"}
    assert "見直し日" in schema.field("next_action_date").description.ja
    assert {c.value: c.probability for c in schema.field("rank").choices} == {
        "A": 80, "B": 50, "C": 20, "D": 5}
    assert [c.value for c in schema.field("lead_source").choices] == [
        "web_inquiry", "trade_show", "referral", "outbound_call", "existing_customer",
        "partner", "other"]
    assert schema.field("deal_id").unique and schema.field("deal_id").required
    assert schema.field("amount").required_when[0].values == {
        "proposal", "quote", "negotiation", "won"}
    assert schema.field("expected_close").required_when[0].values == schema.open_stages()
    assert schema.field("closed_on").required_when[0].values == {"won", "lost"}
    assert schema.field("loss_reason").required_when[0].values == {"lost"}
    assert {"取引先", "会社名"} <= set(schema.field("client").aliases)
    assert {"ステージ", "進捗"} <= set(schema.field("stage").aliases)
    assert {"金額", "受注見込額"} <= set(schema.field("amount").aliases)
    assert {"受注日", "失注日"} <= set(schema.field("closed_on").aliases)
    assert "対応状況" in schema.field("notes").aliases


def test_packaged_copy_is_the_repository_file():
    assert default_schema_text() == REPO_SCHEMA.read_text(encoding="utf-8")


def _edited(edit) -> str:
    data = yaml.safe_load(REPO_SCHEMA.read_text(encoding="utf-8"))
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True)


def test_team_adds_field_renames_label_and_changes_stages(tmp_path):
    def edit(data):
        data["fields"].append({"name": "region", "label": {"ja": "地域", "en": "Region"},
                               "type": "enum", "choices": ["east", "west"]})
        data["fields"][2]["label"] = {"ja": "お客様", "en": "Customer name"}
        stage = data["fields"][5]
        stage["choices"].insert(4, {"value": "poc", "ja": "PoC", "en": "PoC",
                                    "probability": 70})
    path = tmp_path / "custom.yaml"
    path.write_text(_edited(edit), encoding="utf-8")
    schema = load_schema(path)
    assert schema.field("region").choice("WEST").value == "west"
    assert schema.field("client").label.ja == "お客様"
    assert "poc" in schema.open_stages()
    assert schema.field("expected_close").required_when[0].values >= {"poc"}


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (lambda d: d["fields"][5].update(type="enumm"), "fields[5].type", "not one of"),
        (lambda d: d["fields"][5]["choices"][2].update(probability=140),
         "fields[5].choices[2].probability", "0–100"),
        (lambda d: d["fields"][0].update(requird=True), "fields[0].requird", "unknown key"),
        (lambda d: d["fields"][8].update(required_when={"stage": ["signed"]}),
         "fields[8].required_when.stage", "'signed' is not a choice"),
        (lambda d: d["fields"].pop(5), "fields", "core field 'stage'"),
        (lambda d: d["fields"][13].update(type="text"), "fields[13].type",
         "'last_activity' must be date"),
        (lambda d: d["fields"][1].update(aliases=["金額"]), "fields[8]", "would match both"),
        (lambda d: d["fields"][5]["choices"][1].update(aliases=["リード"]),
         "fields[5].choices[1]", "'リード' would select both 'lead' and 'meeting'"),
        (lambda d: d["fields"][5]["choices"].pop(6), "fields[5].choices", "outcome won"),
        (lambda d: d.pop("title"), "title", "missing"),
        (lambda d: d["fields"][3].update(name="owner name"), "fields[3].name", "snake_case"),
    ],
)
def test_broken_schema_names_file_and_key(tmp_path, edit, key, fragment):
    path = tmp_path / "broken.yaml"
    path.write_text(_edited(edit), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert info.value.path == str(path)
    assert info.value.key == key
    assert fragment in info.value.problem
    assert str(path) in str(info.value) and key in str(info.value)


def test_yaml_syntax_error_and_missing_file(tmp_path):
    with pytest.raises(SchemaError, match=r"bad\.yaml: line 2: not valid YAML"):
        parse_schema("name: x\n  - : [", "bad.yaml")
    with pytest.raises(SchemaError, match="file not found"):
        load_schema(tmp_path / "nope.yaml")
