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
    """Disable the cyclic GC inside the block (reference counting still frees memory).

    What the block made and kept is set aside on the way out (:func:`gc.freeze`): with the
    collector off, every allocation still counts towards the next collection, so the first
    allocation after :func:`gc.enable` would start one that walks everything the block kept —
    a 100,000-deal register's grid, frames and tabs, about 0.2 s per run, finding no garbage.
    The next pause gives the set-aside objects back to the oldest generation
    (:func:`gc.unfreeze`); a long-lived process (the scheduler) calls :func:`release` after
    each run, so a cycle made during it is not kept for the life of the process."""
    enabled = gc.isenabled()
    gc.disable()
    if enabled:
        gc.unfreeze()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def release() -> None:
    """Give what :func:`paused_gc` set aside back to the collector's oldest generation, where
    its next full collection frees any cycle among it: after a run, in a process that goes
    on to the next one (the scheduler). Cheap — nothing is walked here."""
    gc.unfreeze()
