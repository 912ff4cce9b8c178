"""Issue 11: a long value typed in a cell gives a short message.

Before: a message quoted the typed value in full, so a 400-digit 受注予定日 was a
400-character message and a 1,000-character フェーズ a 1,000-character one, folded over a
screenful of the table. Now a message quotes the value's first 40 characters, "…" and its
length; the issue's JSON ``value`` still holds the cell in full.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from sheetsync.cli import cli
from sheetsync.grid import Grid
from sheetsync.messages import render
from sheetsync.metrics.periods import PeriodError, parse_period, period_error_message
from sheetsync.testing.xlsx import write_grids

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注確率", "受注予定日",
          "完了日", "失注理由", "次回アクション日"]
DIGITS = "1234567890" * 40  # 400 digits (as text: openpyxl cannot store such a number cell)
TEXT = "あ" * 1000
WIDTH = 200
LENGTHS = {"ja": ("（400文字）", "（1,000文字）"),
           "en": (" (400 characters)", " (1,000 characters)")}


def _validate(tmp_path: Path, language: str, *args: str) -> str:
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", [
        HEADER,
        ["D-1", "桁", "A社", "佐藤", "提案", 1_000_000, None, DIGITS, None, None, None],
        ["D-2", "長文", "B社", "佐藤", TEXT, 1_000_000, None, "2026/12/20", None, None, None],
        ["D-3", "普通", "C社", "鈴木", "提案", 2_000_000, None, "2026/12/20", None, None, None],
    ])])
    (tmp_path / "config.yaml").write_text(f"language: {language}\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["validate", "-c", str(tmp_path / "config.yaml"), "--as-of", "2026-12-04", *args],
        env={"COLUMNS": str(WIDTH)}, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # errors found
    return result.stdout


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_long_typed_value_is_quoted_short_in_the_table(tmp_path: Path, language: str) -> None:
    lines = _validate(tmp_path, language).splitlines()
    digits_length, text_length = LENGTHS[language]
    h2 = next(i for i, line in enumerate(lines) if "案件一覧!H2" in line)
    e3 = next(i for i, line in enumerate(lines) if "案件一覧!E3" in line)
    # each issue is one row of at most two lines, its message's end included
    assert f"{DIGITS[:40]}…{digits_length}" in lines[h2]
    assert f"{TEXT[:40]}…{text_length}" in lines[e3]
    assert e3 - h2 <= 2 and len(lines) <= 12, "\n".join(lines)
    assert max(map(cell_len, lines)) <= WIDTH


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_json_value_is_the_cell_in_full(tmp_path: Path, language: str) -> None:
    errors = {e["cell"]: e for e in json.loads(
        _validate(tmp_path, language, "-f", "json"))["errors"]}
    assert set(errors) == {"H2", "E3"}
    assert (errors["H2"]["code"], errors["E3"]["code"]) == ("invalid_date", "invalid_choice")
    assert (errors["H2"]["value"], errors["E3"]["value"]) == (DIGITS, TEXT)
    for error, length in zip((errors["H2"], errors["E3"]), LENGTHS[language], strict=True):
        assert length in error["message"] and len(error["message"]) < 250, error["message"]


def test_github_annotations_are_short_lines_naming_the_cell(tmp_path: Path) -> None:
    lines = _validate(tmp_path, "ja", "-f", "github").splitlines()
    for cell in ("案件一覧!H2", "案件一覧!E3"):
        line = next(line for line in lines if "title=" in line and f"::{cell}: " in line)
        message = line.split("::")[-1]  # what follows file=<the workbook's path>,line=…
        assert message.startswith(f"{cell}: ") and len(message) < 160, line


def test_a_short_value_is_quoted_whole_and_a_long_period_is_shortened() -> None:
    fifty = "1" * 50
    assert render("invalid_number", "ja", value=fifty) == f"「{fifty}」は数値として読めません。"
    with pytest.raises(PeriodError) as caught:
        parse_period("Q" * 300, 4)
    message = period_error_message(caught.value.code, caught.value.params, "ja")
    assert "…（300文字）" in message and len(message) < 160
