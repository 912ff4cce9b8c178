"""README.md's sample outputs are what the program prints (issue 10 #9).

The same generation as ``python .ci/readme.py outputs``: the demo as of 2026-12-04, its
``validate``, ``fix`` and ``notify --dry-run`` output, the range line, at a fixed terminal
width. When this fails,
run that command and review the diff it makes to README.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_tool():
    spec = importlib.util.spec_from_file_location("ci_readme", ROOT / ".ci" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_sample_outputs_are_what_the_program_prints() -> None:
    tool = _readme_tool()
    current, expected = tool.generate(ROOT / "README.md")
    assert tool.marked(current) == ["demo", "validate", "fix", "landing", "notify"]
    if current != expected:
        pytest.fail(f"README.md's sample outputs differ from what the program prints; run "
                    f"`{tool.REGENERATE}` and review the change:\n"
                    f"{tool.readme_diff(current, expected)}", pytrace=False)


def test_the_path_in_the_demo_output_is_normalised() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "開いてください: /home/you/sheetsync/sheetsync-demo/deals.xlsx" in text
