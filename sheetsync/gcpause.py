"""Pause Python's cyclic garbage collector around allocation-heavy work.

Reading, validating and computing a 100,000-row register allocates millions of small
objects and no reference cycles; the collector's repeated full passes over them cost more
than the work itself (measured: about half of the time spent building tabs and JSON).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC inside the block (reference counting still frees memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
