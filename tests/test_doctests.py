"""Every example in a docstring runs: they are the documentation of the entry points."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sheetsync

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(sheetsync.__path__, "sheetsync.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_entry_points_have_examples() -> None:
    for name in ("coerce", "validate", "schema", "config", "model", "textnorm", "grid"):
        module = importlib.import_module(f"sheetsync.{name}")
        assert doctest.testmod(module).attempted > 0, name
