"""先方担当者 (client contact): the header by label or alias, and the sharper warning — one
person at one client approached by two reps (issue 16)."""

from __future__ import annotations

import pytest

from sheetsync.grid import Grid
from sheetsync.issues import Severity
from sheetsync.schema import load_schema
from sheetsync.validate import validate_register

SCHEMA = load_schema()


def register(contact_header: str, rows: list[tuple[str, str, str, str]],
             ja: bool = True) -> Grid:
    header = (["案件ID", "案件名", "顧客名", "担当者", contact_header, "フェーズ", "受注予定日",
               "見込金額", "次回アクション日", "完了日", "失注理由"] if ja else
              ["Deal ID", "Deal name", "Client", "Owner", contact_header, "Stage",
               "Expected close", "Amount", "Next action date", "Closed on", "Loss reason"])
    body = [[f"D-{i}", "更改", client, owner, contact, stage, "2026/12/20", 1_000_000,
             "2026/12/31", "2026/11/30" if stage == "失注" else None,
             "価格" if stage == "失注" else None]
            for i, (client, owner, contact, stage) in enumerate(rows, start=1)]
    return Grid("案件一覧", [header, *body])


@pytest.mark.parametrize("ja", [True, False], ids=["ja", "en"])
@pytest.mark.parametrize("header", [
    "先方担当者", "先方担当", "顧客担当者", "Client contact", "Contact", "ｃｏｎｔａｃｔ",
    " client  CONTACT "])
def test_the_column_is_found_by_its_label_or_any_alias(header: str, ja: bool) -> None:
    """Either label or any alias, whatever the team's language and the other headers'."""
    result = validate_register(register(header, [("A社", "佐藤", "山田 太郎", "提案")], ja),
                               SCHEMA, language="ja" if ja else "en")
    assert result.report.valid
    assert result.deals.loc[0, "client_contact"] == "山田 太郎"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_one_person_at_one_client_approached_by_two_reps(language: str) -> None:
    grid = register("先方担当者", [
        ("株式会社サンプル", "佐藤", "山田 太郎", "提案"),
        ("(株)サンプル", "鈴木", "山田太郎様", "見積提出"),  # the same person, spelt otherwise
        ("(株)サンプル", "高橋", "田中 花子", "交渉"),  # another person there
        ("株式会社サンプル", "伊藤", "山田 太郎", "失注"),  # closed: not an approach
    ])
    result = validate_register(grid, SCHEMA, language=language)
    warnings = {w.code: w for w in result.report.warnings}
    contact = warnings["multiple_owners_contact"]
    assert (contact.cell, contact.severity, contact.value) == ("E2", Severity.WARNING,
                                                               "山田 太郎")
    assert "佐藤" in contact.message and "鈴木" in contact.message
    assert "高橋" not in contact.message and "伊藤" not in contact.message
    assert "山田 太郎" in contact.message and "サンプル" in contact.message
    # the client-level warning keeps working, unchanged: three reps on one company
    company = warnings["multiple_owners"]
    assert company.cell == "C2" and all(n in company.message for n in ("佐藤", "鈴木", "高橋"))


def test_different_people_at_one_client_or_a_parked_deal_are_not_the_sharper_signal() -> None:
    grid = register("先方担当者", [
        ("A社", "佐藤", "山田 太郎", "提案"),
        ("A社", "鈴木", "田中 花子", "提案"),
        ("B社", "佐藤", "木村 一郎", "提案"),
        ("B社", "鈴木", "木村 一郎", "保留"),  # parked: nobody is approaching them with it
        ("C社", "佐藤", "", "提案"),
        ("C社", "鈴木", None, "提案"),  # no contact written: nothing to compare
    ])
    result = validate_register(grid, SCHEMA, language="ja")
    assert result.report.valid  # the 保留 deal is valid: it is left out because it is parked
    codes = [w.code for w in result.report.warnings]
    assert "multiple_owners_contact" not in codes
    assert codes.count("multiple_owners") == 2  # A社 and C社, as before


def test_a_new_contact_is_in_the_change_history_and_next_to_the_client_on_the_follow_up_tab(
        tmp_path) -> None:
    """Through the real pipeline on a real workbook: the contact is carried in 変更履歴 like
    every field, and 要フォロー案件 shows it next to 顧客名."""
    import datetime as dt

    import openpyxl

    from sheetsync import pipeline
    from sheetsync.config import parse_config
    from sheetsync.testing.xlsx import write_grids

    header = ["案件ID", "案件名", "顧客名", "担当者", "先方担当者", "フェーズ", "見込金額",
              "受注予定日", "最終接触日", "次回アクション", "次回アクション日"]
    rows = [["D-1", "更改", "(株)A", "佐藤", "山田 太郎", "提案", "120万円",
             dt.date(2026, 12, 20), dt.date(2026, 10, 1), None, None]]  # no next action: listed
    write_grids(tmp_path / "deals.xlsx", [Grid("案件一覧", [header, *rows])])
    config = parse_config("language: ja\n", tmp_path / "config.yaml")
    pipeline.run(config, as_of=dt.date(2026, 11, 1))
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    wb["案件一覧"]["E2"] = "中村 恵 様"  # the deal changes hands on the client's side
    wb.save(tmp_path / "deals.xlsx")
    pipeline.run(config, as_of=dt.date(2026, 11, 20))

    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    changes = [r[1:5] for r in wb["変更履歴"].iter_rows(min_row=3, values_only=True)]
    assert changes == [("D-1", "先方担当者", "山田 太郎", "中村 恵 様")]
    followup = wb["要フォロー案件"]
    header_row = next(r for r in followup.iter_rows(values_only=True) if r[0] == "案件ID")
    at = header_row.index("先方担当者")
    assert header_row[at - 1] == "顧客名"
    deal_row = next(r for r in followup.iter_rows(values_only=True) if "更改" in r)
    assert deal_row[at] == "中村 恵 様"
