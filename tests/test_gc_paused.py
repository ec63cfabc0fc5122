"""The collector is paused while a file is checked, and what was made is not left young."""

from __future__ import annotations

import gc

from dsl._source import gc_paused


def test_what_is_made_while_paused_goes_to_the_oldest_generation() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        made = [[n] for n in range(10_000)]

    assert gc.isenabled()
    # A young collection would otherwise walk all of it at the next allocation.
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(item) in young for item in made)
    assert any(item is made[0] for item in gc.get_objects(generation=2))


def test_objects_someone_else_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            made = [[n] for n in range(100)]
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled() and made
    finally:
        gc.unfreeze()


def test_a_pause_inside_a_pause_leaves_the_collector_off_until_the_outer_one_ends() -> None:
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
