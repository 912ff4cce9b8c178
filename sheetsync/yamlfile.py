"""YAML files people write (config, jobs, schemas), read with bounds.

A config file is small and hand written. Anything else — a 300 MB file, ``/dev/zero``, an
alias bomb, 5,000 nested brackets — is refused with one short line (a
:class:`~sheetsync.errors.ConfigError`, exit 2) before it can eat memory or time:

- at most :data:`MAX_BYTES` are read (also from a device or a pipe);
- at most :data:`MAX_ALIASES` aliases (``*name``), and at most :data:`MAX_NODES` values once
  every alias is expanded (nine aliases of nine aliases … is a "billion laughs" bomb that
  anything walking the data would expand);
- nesting at most :data:`MAX_DEPTH` levels;
- the error text quotes at most :data:`MAX_QUOTE` characters of anything it shows.

>>> load_yaml("a: &x [1, 2]\\nb: *x\\n", "c.yaml")
{'a': [1, 2], 'b': [1, 2]}
>>> load_yaml("[" * 100 + "]" * 100, "c.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sheetsync.errors.ConfigError: c.yaml: nested more than 50 levels deep (line 1)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent

from .errors import ConfigError

MAX_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 50
MAX_QUOTE = 80


def cut(text: str, limit: int = MAX_QUOTE) -> str:
    """``text`` cut to ``limit`` characters (…), on one line, for messages.

    >>> cut("x" * 200, 10)
    'xxxxxxxxx…'
    """
    text = " ".join(text.split("\n"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(value: Any, limit: int = MAX_QUOTE) -> str:
    """``repr(value)`` cut to ``limit`` characters (…), for one-line messages.

    >>> quote("x" * 200, 10)
    "'xxxxxxxx…"
    """
    return cut(repr(value), limit)


def read_bounded(path: Path, kind: str, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a ``kind`` file (config, job, schema …), at most ``limit`` bytes,
    or a one-line :class:`ConfigError`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind} file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a {kind} file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: larger than {limit // 1000:,} kB — not a {kind} file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text — not a {kind} file") from None


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing the document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name)", self.peek_event())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", self.peek_event())
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1


def _expanded_size(node: Any) -> int:
    """How many nodes ``node`` stands for with every alias expanded (memoised: aliases share
    node objects, so this is linear in the document, whatever it expands to)."""
    sizes: dict[int, int] = {}

    def size(n: Any) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a recursive alias counts once (SafeLoader refuses it later anyway)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(child) for child in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        sizes[key] = total
        return total

    return size(node)


class _Refused(Exception):
    def __init__(self, problem: str, event: Any) -> None:
        mark = getattr(event, "start_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        super().__init__(problem + where)


def load_yaml(text: str, source: str | Path) -> Any:
    """Parse YAML ``text`` (from ``source``) within the bounds above; one-line errors."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_BYTES // 1000:,} kB")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise _Refused(f"expands to more than {MAX_NODES:,} values (aliases)", None)
        return loader.construct_document(node)
    except _Refused as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
        raise ConfigError(f"{source}:{where} not valid YAML ({problem[:MAX_QUOTE]})") from None
    except RecursionError:  # a deep flow collection the parser itself recurses into
        raise ConfigError(f"{source}: nested too deeply") from None
    finally:
        loader.dispose()
