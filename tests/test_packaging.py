"""What `pip install .` ships: every package of the source tree, so a non-editable install
imports what an editable one does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_the_wheel() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, re.S | re.M)  # tomllib is 3.11+
    assert block is not None
    listed = set(re.findall(r'"([^"]+)"', block.group(1)))
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "sheetsync").rglob("__init__.py")}
    missing = sorted(found - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
