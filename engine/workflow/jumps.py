"""Jumps between steps: rework loops, ``go back to``, ``on error ->``, event deadlines.

The interpreter runs blocks of steps; a jump unwinds to the block that holds
its target and carries on from there. The graph checks guarantee the target
is a step of that block or of a block around it, never inside a branch, and
never outside the ``parallel`` branch the jump is in (G007). A jump says which
step made it: landing on a loop's start by an outer ``go back`` starts the
loop's rounds again (engine.workflow._blocks).
"""

from __future__ import annotations


class JumpTo(Exception):
    """Continue the campaign at ``step`` (raised inside, caught by the right block)."""

    def __init__(self, step: str, why: str, origin: str) -> None:
        super().__init__(f"go to {step}: {why}")
        self.step = step
        self.why = why
        self.origin = origin
        """The step that jumps (a ``go back``, a human step's rework path, ...)."""
