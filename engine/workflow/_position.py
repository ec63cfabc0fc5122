"""Where a step sits inside the blocks of a process, for continuing as new there.

A body of steps knows how it was entered (a branch of an ``if``, an item of a
``for each``, the rest of an ``exit when``); a step in it has a position
(:class:`At`) only in a sequential place. The campaign continues as new at
such a place and the next run comes back to it (:func:`carried_position`).
Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.workflow import carry
from engine.workflow.campaign import Place

Env = MutableMapping[str, Any]
EnterKind = Literal["branch", "item", "rest"]


@dataclass(frozen=True)
class Enter:
    """How a body was entered from the body around it: one level of a position."""

    at: int
    """The index of the block step in the body around it."""
    kind: EnterKind
    step: str
    branch: int = 0
    item: int = 0
    own: Env = field(default_factory=dict)
    """``for each``: the item's own names (the live map, read when carried)."""
    items: Sequence[Any] = ()
    """``for each``: the items it runs in this run; this one is ``items[pos]``."""
    pos: int = 0


@dataclass(frozen=True)
class At:
    """Where a step sits: the blocks entered to reach its body, and its index there.

    Only sequential places have one: inside a ``parallel`` branch, or an item of
    a ``for each`` running several at once, there is none (``None``), and the
    campaign does not continue as new there.
    """

    spot: tuple[Enter, ...]
    index: int

    def enter(
        self,
        kind: EnterKind,
        step: str,
        *,
        branch: int = 0,
        item: int = 0,
        own: Env | None = None,
        items: Sequence[Any] = (),
        pos: int = 0,
    ) -> tuple[Enter, ...]:
        entered = Enter(
            self.index, kind, step, branch, item, {} if own is None else own, items, pos
        )
        return (*self.spot, entered)


def carried_position(at: At) -> tuple[int, tuple[Place, ...]]:
    """The top-level index and the path inside blocks, as the next run carries them."""
    indices = [enter.at for enter in at.spot] + [at.index]
    path = tuple(
        Place(
            kind=enter.kind,
            step=enter.step,
            index=indices[level + 1],
            branch=enter.branch,
            item=enter.item,
            own={name: carry.encode(value) for name, value in enter.own.items()},
            later=[carry.encode(value) for value in enter.items[enter.pos + 1 :]],
        )
        for level, enter in enumerate(at.spot)
    )
    return indices[0], path
