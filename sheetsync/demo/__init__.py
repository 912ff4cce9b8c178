"""A realistic demo register: the workbook and config that ``sheetsync demo`` writes.

:func:`write_demo_workbook` writes an ``.xlsx`` the way a real sales team's register looks
after 18 months of hand editing: a title row above the header, an alias or two in the
header, a column sheetsync does not know, about 300 deals by 6 reps over every stage, and
every messy-but-valid form of "What reps may type" in docs/definitions.md (¥/￥/円/万/億/千円
amounts, full-width digits, 令和 dates, serial numbers, stage aliases with trailing spaces,
percent cells, text that starts with ``=``). A handful of cells are plainly invalid — one of each
kind — and :class:`DemoStats` names them, so a test can check that validation finds exactly
those. A 目標 (targets) tab and a tab sheetsync does not own complete the workbook.

Everything is deterministic for a given ``seed`` and ``today``; the ``en`` variant has the
same rows and the same problems as the ``ja`` one, with English headers and tab names.

``sheetsync demo`` does not write that register once: :func:`build_demo` builds the workbook
through backdated runs — weekly for the last three weeks, and the days last quarter's
forecast accuracy looks at — with the reps' edits between them (stage moves, 受注予定日
slips, wins, losses, new deals, amounts revised), so 変更履歴, 前週比, パイプライン増減 and
ファネル have something to show on first open. Today's register is the same, cell for cell.

Split along its seams: :mod:`.generate` (the deals and targets as typed values, no
language), :mod:`.workbook` (those values as the cells reps type, and the tabs; the text
comes from :mod:`.pools`), :mod:`.past` (how the deals stood on earlier days), :mod:`.runs`
(the backdated runs) and :mod:`.config` (the commented ``config.yaml``).

>>> import datetime as dt, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     stats = write_demo_workbook(Path(tmp) / "deals.xlsx", today=dt.date(2026, 11, 26))
>>> stats.deals, len(stats.reps), len(stats.invalid_cells)
(300, 6, 9)
"""

from __future__ import annotations

from .config import DEMO_MARKER, write_demo_config
from .generate import DEAL_COUNT, REPS
from .runs import build_demo
from .workbook import DemoStats, write_demo_workbook

__all__ = ["DEAL_COUNT", "DEMO_MARKER", "REPS", "DemoStats", "build_demo", "write_demo_config",
           "write_demo_workbook"]
