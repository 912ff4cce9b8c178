"""Hold stages (保留) in schema files: `hold: true`, its rules, and the `hold` shorthand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sheetsync.errors import SchemaError
from sheetsync.schema import STAGE_SHORTHANDS, Schema, load_schema, parse_schema

REPO_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "deal_register.yaml"
# field positions in the default schema
_NAMES = [f["name"] for f in yaml.safe_load(REPO_SCHEMA.read_text(encoding="utf-8"))["fields"]]
STAGE, RANK, AMOUNT, LEAD_SOURCE, NEXT_ACTION_DATE = (
    _NAMES.index(n) for n in ("stage", "rank", "amount", "lead_source", "next_action_date"))
ON_HOLD = 5  # the default stage list: lead … negotiation, on_hold, won, lost

Edit = Callable[[dict[str, Any]], None]


def edited(edit: Edit) -> str:
    data = yaml.safe_load(REPO_SCHEMA.read_text(encoding="utf-8"))
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True)


def load(edit: Edit) -> Schema:
    return parse_schema(edited(edit), "custom.yaml")


def stages(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["fields"][STAGE]["choices"]


def test_the_default_hold_stage() -> None:
    schema = load_schema()
    hold = schema.stage_field.choice("保留")
    assert (hold.value, hold.label.en, hold.hold, hold.closed, hold.outcome) == (
        "on_hold", "On hold", True, False, None)
    assert hold.probability is None  # out of every forecast: no default probability
    assert schema.hold_stages() == frozenset({"on_hold"})
    assert schema.open_stages() == {"lead", "meeting", "proposal", "quote", "negotiation",
                                    "on_hold"}
    assert not any(c.hold for f in schema.fields for c in f.choices if f.name != "stage")
    assert hold.description is not None and "見直し日" in hold.description.ja


def test_the_default_hold_aliases_select_nothing_else() -> None:
    stage = load_schema().stage_field
    others = {k for c in stage.choices if not c.hold for k in c.keys()}
    hold = stage.choice("on_hold")
    assert {"停止", "一時停止", "中断", "ペンディング", "Paused", "Parked"} <= set(hold.aliases)
    assert not set(hold.keys()) & others


def test_hold_false_is_an_ordinary_stage() -> None:
    schema = load(lambda d: stages(d)[0].update(hold=False))
    assert schema.hold_stages() == {"on_hold"} and not schema.stage_field.choices[0].hold


def test_a_hold_stage_probability_is_checked_but_ignored() -> None:
    schema = load(lambda d: stages(d)[ON_HOLD].update(probability=30))
    assert schema.stage_field.choice("on_hold").probability is None
    with pytest.raises(SchemaError) as info:
        load(lambda d: stages(d)[ON_HOLD].update(probability=140))
    assert info.value.key == f"fields[{STAGE}].choices[{ON_HOLD}].probability"


def test_every_other_stage_still_needs_a_probability() -> None:
    with pytest.raises(SchemaError) as info:
        load(lambda d: stages(d)[2].pop("probability"))
    assert info.value.key == f"fields[{STAGE}].choices[2].probability"
    assert "every stage needs a default probability" in info.value.problem


def test_a_team_with_its_own_hold_stages() -> None:
    """凍結 (Paused) replaces 保留, and a second parked stage 様子見 is added."""
    def edit(data: dict[str, Any]) -> None:
        stages(data)[ON_HOLD] = {"value": "frozen", "ja": "凍結", "en": "Paused", "hold": True,
                                 "aliases": ["フリーズ"]}
        stages(data).insert(0, {"value": "watch", "ja": "様子見", "en": "Watching",
                                "hold": True})
        data["fields"].append({"name": "hold_reason", "type": "text",
                               "label": {"ja": "保留理由", "en": "Hold reason"},
                               "required_when": {"stage": "hold"}})
    schema = load(edit)
    assert schema.hold_stages() == {"frozen", "watch"}
    assert {"frozen", "watch"} <= schema.open_stages()
    assert schema.stage_field.choice("ＰＡＵＳＥＤ").value == "frozen"
    assert schema.stage_field.choice("フリーズ").value == "frozen"
    assert schema.field("next_action_date").required_when[0].values == {"frozen", "watch"}
    assert schema.field("hold_reason").required_when[0].values == {"frozen", "watch"}
    # `open` keeps meaning "not closed": hold stages are open
    assert schema.field("expected_close").required_when[0].values == schema.open_stages()


def test_no_hold_stage_at_all_is_fine_without_the_shorthand() -> None:
    def edit(data: dict[str, Any]) -> None:
        stages(data).pop(ON_HOLD)
        data["fields"][NEXT_ACTION_DATE].pop("required_when")
    schema = load(edit)
    assert schema.hold_stages() == frozenset()
    assert not schema.field("next_action_date").required_when


def test_hold_shorthand_falls_back_to_a_stage_spelled_hold() -> None:
    """A schema from before `hold:` may name a stage "hold"; without hold stages it still works."""
    def edit(data: dict[str, Any]) -> None:
        stages(data)[ON_HOLD] = {"value": "hold", "ja": "ホールド", "probability": 5}
    schema = load(edit)
    assert schema.hold_stages() == frozenset()
    assert schema.field("next_action_date").required_when[0].values == {"hold"}


def test_the_shorthands_are_named_in_the_not_a_choice_error() -> None:
    with pytest.raises(SchemaError) as info:
        load(lambda d: d["fields"][NEXT_ACTION_DATE].update(required_when={"stage": "frozen"}))
    assert info.value.key == f"fields[{NEXT_ACTION_DATE}].required_when.stage"
    assert "'frozen' is not a choice of 'stage'" in info.value.problem
    assert "or open, closed, won, lost, hold)" in info.value.problem
    assert STAGE_SHORTHANDS == ("open", "closed", "won", "lost", "hold")


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (lambda d: stages(d)[ON_HOLD].update(hold="yes"),
         f"fields[{STAGE}].choices[{ON_HOLD}].hold", "must be true or false, got 'yes'"),
        (lambda d: stages(d)[ON_HOLD].update(hold=1),
         f"fields[{STAGE}].choices[{ON_HOLD}].hold", "must be true or false, got 1"),
        (lambda d: stages(d)[ON_HOLD].update(closed=True),
         f"fields[{STAGE}].choices[{ON_HOLD}].hold", "a hold stage is open"),
        (lambda d: stages(d)[6].update(hold=True),  # 受注: closed
         f"fields[{STAGE}].choices[6].hold", "a hold stage is open"),
        (lambda d: stages(d)[ON_HOLD].update(outcome="lost"),
         f"fields[{STAGE}].choices[{ON_HOLD}].outcome", "a hold stage has no outcome"),
        (lambda d: d["fields"][RANK]["choices"][3].update(hold=True),
         f"fields[{RANK}].choices[3].hold",
         "only the stage field's choices can be hold stages (this field is 'rank')"),
        (lambda d: d["fields"][LEAD_SOURCE]["choices"][0].update(hold=True),
         f"fields[{LEAD_SOURCE}].choices[0].hold", "only the stage field's choices"),
        (lambda d: stages(d).pop(ON_HOLD),
         f"fields[{NEXT_ACTION_DATE}].required_when.stage", "no stage has hold: true"),
        (lambda d: stages(d)[7]["aliases"].append("停止"),  # 失注 would take 保留's alias
         f"fields[{STAGE}].choices[7]", "'停止' would select both 'on_hold' and 'lost'"),
        (lambda d: stages(d)[ON_HOLD]["aliases"].append("見送り"),  # 失注's alias
         f"fields[{STAGE}].choices[7]", "'見送り' would select both 'on_hold' and 'lost'"),
    ],
)
def test_broken_hold_stages_name_the_key(edit: Edit, key: str, fragment: str) -> None:
    with pytest.raises(SchemaError) as info:
        load(edit)
    assert info.value.path == "custom.yaml"
    assert info.value.key == key
    assert fragment in info.value.problem


def test_the_readme_example_of_a_team_hold_stage_loads() -> None:
    """schemas/README.md's 凍結 example, spliced into the default schema, means what it says."""
    readme = (REPO_SCHEMA.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Hold stages"):]
    block = section[section.index("```yaml") + len("```yaml"):]
    block = block[:block.index("```")].replace("    ...\n", "")
    stage, next_action_date = yaml.safe_load(block)

    def edit(data: dict[str, Any]) -> None:
        data["fields"][STAGE]["choices"] = stage["choices"]
        data["fields"][AMOUNT]["required_when"] = {"stage": ["proposal", "won"]}  # no quote
        data["fields"][NEXT_ACTION_DATE]["required_when"] = next_action_date["required_when"]
    schema = load(edit)
    assert schema.hold_stages() == {"frozen", "watching"}
    assert schema.stage_field.choice("Frozen").value == "frozen"
    assert schema.field("next_action_date").required_when[0].values == {"frozen", "watching"}
