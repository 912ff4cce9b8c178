"""The examples in the metrics docstrings run (they are the entry points' documentation)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "settings",
    "periods",
    "frames",
    "targets",
    "forecast",
    "winrate",
    "stale",
    "json",
    "tabs",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"sheetsync.metrics.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
