"""The field dictionary: the schema as the team reads it (項目定義 tab, `schema show`).

One row per field — label (ja/en), type, an example of what to type, when it is required,
the allowed values and the description — in the team's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import join
from .schema import Field, Label, Schema
from .tabspec import Column, TabSpec
from .validate import condition_text

DICTIONARY_TAB = Label("項目定義", "Field definitions")

_TYPES = {
    "string": Label("文字列", "text"),
    "text": Label("文章", "free text"),
    "enum": Label("選択肢", "choice"),
    "money": Label("金額（円）", "amount (JPY)"),
    "percent": Label("パーセント", "percent"),
    "date": Label("日付", "date"),
    "number": Label("数値", "number"),
    "integer": Label("整数", "whole number"),
}
_EXAMPLES = {
    "money": "1200000 / 120万円 / ¥1,200,000",
    "percent": "80%",
    "date": "2026/3/31",
    "number": "12.5",
    "integer": "12",
}
_HEADERS = {
    "label": Label("項目名", "Field"),
    "other_label": Label("英語名", "Japanese name"),
    "name": Label("キー", "Key"),
    "type": Label("種類", "Type"),
    "example": Label("入力例", "Example"),
    "required": Label("必須", "Required"),
    "choices": Label("選択肢", "Allowed values"),
    "description": Label("説明", "Description"),
}


@dataclass(frozen=True)
class Entry:
    """One field, worded for people."""

    name: str
    label: str
    other_label: str
    type: str
    example: str
    required: str
    choices: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def required_text(schema: Schema, fld: Field, language: str) -> str:
    if fld.required:
        return "必須" if language == "ja" else "required"
    if fld.required_when:
        cond = condition_text(schema, fld, language)
        return f"{cond}の場合は必須" if language == "ja" else f"required when {cond}"
    return "任意" if language == "ja" else "optional"


#: what a hold stage means, next to its name in the allowed values (its probability is
#: never used, so showing one would mislead)
HOLD_MEANING = Label("予測・フォロー対象外", "out of forecasts and follow-ups")


def choices_text(fld: Field, language: str, owners: list[str] | None = None) -> str:
    """The allowed values as the team reads them.

    Stages and ranks show their probability; a hold stage shows what it means instead:
    ``リード (10%)・…・保留 (予測・フォロー対象外)・受注 (100%)``.
    """
    if fld.type == "enum":
        parts = []
        for c in fld.choices:
            text = c.label(language)
            if c.hold:
                text += f" ({HOLD_MEANING(language)})"
            elif c.probability is not None and fld.name in ("stage", "rank"):
                text += f" ({c.probability:g}%)"
            parts.append(text)
        return join(parts, language)
    if fld.roster and owners:
        return join(list(owners), language)
    if fld.min is not None or fld.max is not None:
        low = "" if fld.min is None else f"{fld.min:g}"
        high = "" if fld.max is None else f"{fld.max:g}"
        return f"{low}〜{high}" if language == "ja" else f"{low}–{high}"
    return ""


def description_text(fld: Field, language: str) -> str:
    """The field's description, then each described choice's (``保留：…``), in one cell."""
    parts = [fld.description(language)] if fld.description else []
    colon, space = ("：", "") if language == "ja" else (": ", " ")
    parts += [f"{c.label(language)}{colon}{c.description(language)}"
              for c in fld.choices if c.description]
    if language == "ja" and len(parts) > 1:
        # Japanese runs sentences together with no space: end each one so they stay apart
        parts = [p if p.endswith(("。", "．", ".", "！", "？", "）")) else p + "。"
                 for p in parts]
    return space.join(parts)


def entries(schema: Schema, language: str, owners: list[str] | None = None) -> list[Entry]:
    """The dictionary rows, in schema order."""
    other = "en" if language == "ja" else "ja"
    rows = []
    for fld in schema.fields:
        example = fld.example or _EXAMPLES.get(fld.type, "")
        if fld.type == "enum" and not fld.example and fld.choices:
            example = fld.choices[0].label(language)
        rows.append(Entry(
            name=fld.name,
            label=fld.label(language),
            other_label=fld.label(other),
            type=_TYPES[fld.type](language),
            example=example,
            required=required_text(schema, fld, language),
            choices=choices_text(fld, language, owners),
            description=description_text(fld, language),
        ))
    return rows


def headers(language: str) -> dict[str, str]:
    """Column key → header, in display order."""
    return {k: v(language) for k, v in _HEADERS.items()}


def dictionary_tab(schema: Schema, language: str, note: str,
                   owners: list[str] | None = None) -> TabSpec:
    """The 項目定義 tab: the team's shared dictionary of register fields."""
    widths = {"label": 16, "other_label": 18, "name": 16, "type": 12, "example": 24,
              "required": 28, "choices": 40, "description": 60}
    columns = [Column(key, header, "text", widths[key]) for key, header in
               headers(language).items()]
    rows = [[getattr(e, c.key) for c in columns] for e in entries(schema, language, owners)]
    return TabSpec(name=DICTIONARY_TAB(language), columns=columns, rows=rows, note=note,
                   freeze_columns=1)


def markdown(schema: Schema, language: str, owners: list[str] | None = None) -> str:
    """The dictionary as a Markdown table (for a wiki or a README)."""
    head = headers(language)
    lines = ["| " + " | ".join(head.values()) + " |",
             "|" + "---|" * len(head)]
    for e in entries(schema, language, owners):
        cells = [str(getattr(e, k)).replace("|", "\\|").replace("\n", " ") for k in head]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
