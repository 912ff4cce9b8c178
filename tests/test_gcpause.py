"""paused_gc: the collector off inside the block, and what the block kept set aside after it
so the next collection does not walk it; a long-lived process gives it back with release()."""

from __future__ import annotations

import gc
import weakref

from sheetsync.gcpause import paused_gc, release


class Node:
    """An object that can point at itself (a reference cycle: only the collector frees it)."""

    def __init__(self) -> None:
        self.me: Node | None = self


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the outer block decides
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_the_block_kept_is_set_aside_then_released() -> None:
    with paused_gc():
        kept = [Node() for _ in range(1000)]
        garbage = Node()
        ref = weakref.ref(garbage)
        del garbage
    assert gc.get_freeze_count() >= len(kept)  # not walked by the collections that follow
    gc.collect()
    assert ref() is not None  # set aside with the rest: a cycle made in the block waits
    release()
    assert gc.get_freeze_count() == 0
    gc.collect()  # the next full collection
    assert ref() is None
    assert all(node.me is node for node in kept)  # what is still referenced stays


def test_the_next_block_gives_the_set_aside_objects_back() -> None:
    with paused_gc():
        garbage = Node()
        ref = weakref.ref(garbage)
        del garbage
    with paused_gc():
        assert gc.get_freeze_count() == 0
        gc.collect()  # an explicit full collection inside a block still sees them
        assert ref() is None
    release()
