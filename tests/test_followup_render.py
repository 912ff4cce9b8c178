"""The follow-up table `sheetsync run` prints (render.stale_table): ranked by 影響額, which it
shows in full, with reasons by their short labels, never broken, at 80 and 100 columns."""

from __future__ import annotations

import pytest
from rich.console import Console

from sheetsync.render import stale_table
from sheetsync.reports.followup import REASON_LABELS

ROWS = [
    {"deal_id": "D-2026-112", "owner": "佐藤 健", "stage": "negotiation", "amount": 19_000_000,
     "impact": 15_200_000, "days_since_update": 7,
     "reasons": ["no_update", "overdue_close", "next_action_overdue", "close_pushed"]},
    {"deal_id": "D-2026-031", "owner": "伊藤 大輔", "stage": "meeting", "amount": None,
     "impact": None, "days_since_update": None, "reasons": ["no_update", "no_next_action"]},
    {"deal_id": "D-2026-200", "owner": "Smith", "stage": "on_hold", "amount": 1_000_000,
     "impact": 0, "days_since_update": 120, "reasons": ["hold_review_due"]},
]
DETAILS = {"negotiation": {"label": "Negotiation"}, "meeting": {"label": "First meeting"}}


def render(language: str, width: int, limit: int = 10) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(stale_table(ROWS, language, limit, DETAILS))
    return console.export_text()


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_impact_in_full_and_every_label_whole(language: str, width: int) -> None:
    text = render(language, width)
    assert "…" not in text
    assert all(len(line.rstrip()) <= width for line in text.splitlines())
    assert "¥15,200,000" in text and "¥0" in text
    assert ("Impact" if language == "en" else "影響額") in text
    flat = text.replace("\n", " ")
    lines = text.splitlines()
    for reason in ("no_update", "overdue_close", "next_action_overdue", "close_pushed",
                   "no_next_action", "hold_review_due"):
        label = REASON_LABELS[reason](language)
        if language == "ja":  # no spaces inside: a label is on one line, whole
            assert any(label in line for line in lines), label
        else:  # an English label may wrap at its own space, never inside a word
            assert all(word in flat for word in label.split()), label


def test_the_top_rows_only() -> None:
    text = render("ja", 100, limit=1)
    assert "D-2026-112" in text and "D-2026-031" not in text
    # the amount is in the tab; here the impact ranks the deals, its formula in the caption
    assert "¥19,000,000" not in text and "影響額 = 見込金額 × 受注確率" in text
