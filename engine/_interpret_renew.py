"""Continue-as-new: a campaign starts a fresh run before its history grows too long.

A mixin of :class:`engine.interpreter.CampaignWorkflow`. Once the history has
``history_limit`` events, the campaign continues as new

- between two steps, at the top level or inside a block: a branch of an
  ``if``, an item of a sequential ``for each``, the rest of an ``exit when``
  (blocks inside blocks too). The new run goes straight back there: the
  branch already taken is not decided again, the items still to do are those
  the loop had when it started, and each item keeps its own names;
- before it starts the next item of a ``for each`` that runs several items at
  once: it starts no more items, lets those under way finish, and continues
  as new with the items not yet started;
- while it waits at a work item or approval in such a place: the open step
  goes along with its decisions so far, the people added to it, its round,
  its deadline, how far up the escalation ladder it is and when its next
  reminder is due.

Inside a ``parallel`` branch or an item of a ``for each`` that runs several
items at once it waits: it continues as new after the block. Everything the
campaign knows goes along: its names (typed), counters, events not yet used,
refused attempts, ignored signals, the team directory it decides against,
what undoes its completed tasks, whether it is paused, and its steps so far.
Signal and update handlers finish first, so nothing is lost. Runs inside the
workflow sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from temporalio import workflow

from engine._interpret_saga import Saga

with workflow.unsafe.imports_passed_through():
    from engine import carry, human, ir
    from engine.campaign import (
        CampaignStart,
        Carried,
        ExternalEvent,
        IgnoredSignal,
        Place,
        RefusedAttempt,
    )
    from engine.people import TeamSnapshot

Env = MutableMapping[str, Any]

RENEW_IN_PEOPLE_STEP = "mops-renew-in-people-step"
"""Named patch: campaigns recorded before it never continued as new at an open step."""
RENEW_IN_BLOCKS = "mops-renew-in-blocks"
"""Named patch: campaigns recorded before it continued as new only at the top level."""


@dataclass(frozen=True)
class Enter:
    """How a body was entered from the body around it: one level of a position."""

    at: int
    """The index of the block step in the body around it."""
    kind: Literal["branch", "item", "rest"]
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
        self, kind: Literal["branch", "item", "rest"], step: str, **where: Any
    ) -> tuple[Enter, ...]:
        return (*self.spot, Enter(self.index, kind, step, **where))


class Renewal(Saga):
    """Decides when to continue as new and what goes along; state on the workflow."""

    _start: CampaignStart
    _items: dict[str, human.WorkItem]
    _team: TeamSnapshot | None
    _events: list[ExternalEvent]
    _refused: list[RefusedAttempt]
    _ignored: list[IgnoredSignal]
    _runs: dict[str, int]
    _rounds: dict[str, int]
    _paused: bool
    _top_env: Env
    _here: tuple[At, ir.Step] | None
    """The step under way in a sequential place, and where it sits."""
    _resume: list[Place]
    """Where the previous run stopped inside blocks, consumed as the campaign gets there."""
    _renew_declined: bool
    """Set when this history predates continuing as new at an open step."""
    _blocks_declined: bool
    """Set when this history predates continuing as new inside blocks."""
    _carried_item: human.WorkItem | None
    _carried_reminder: dt.datetime | None

    def _history_is_long(self) -> bool:
        return workflow.info().get_current_history_length() >= self._start.history_limit

    def _may_renew_in(self, spot: tuple[Enter, ...]) -> bool:
        """Whether this campaign may continue as new at ``spot`` (patched inside blocks)."""
        if not spot:
            return True
        if not self._blocks_declined and not workflow.patched(RENEW_IN_BLOCKS):
            self._blocks_declined = True
        return not self._blocks_declined

    async def _maybe_continue_as_new(self, at: At) -> None:
        """Between two steps: continue as new once the history is long."""
        if not self._history_is_long() or self._items or not self._may_renew_in(at.spot):
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._items:
            self._continue(at)

    def _resumed(self, step: ir.Step) -> Place | None:
        """Where the previous run stopped inside ``step``, the first time it runs again."""
        if self._resume and self._resume[0].step == step.id:
            return self._resume.pop(0)
        return None

    def _may_renew_at(self, step: ir.HumanStep) -> bool:
        """Whether the campaign may continue as new while ``step`` waits for people."""
        return (
            not self._renew_declined
            and self._here is not None
            and self._here[1] is step
            and len(self._items) == 1
        )

    def _renew_due(self, step: ir.HumanStep) -> bool:
        return self._may_renew_at(step) and self._history_is_long()

    async def _renew_at_open_step(
        self, step: ir.HumanStep, next_reminder: dt.datetime | None
    ) -> None:
        """Continue as new with ``step`` open, unless it was decided meanwhile.

        Returns only when the campaign does not continue as new (the step was
        decided while handlers finished, or the history predates the patch).
        """
        assert self._here is not None
        at = self._here[0]
        if not workflow.patched(RENEW_IN_PEOPLE_STEP) or not self._may_renew_in(at.spot):
            self._renew_declined = True
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        item = self._items[step.id]
        if human.outcome(item) is not None:
            return
        self._continue(at, open_item=item, next_reminder=next_reminder)

    def _take_carried_item(
        self, step: ir.HumanStep
    ) -> tuple[human.WorkItem, dt.datetime | None] | None:
        """The open step carried from the previous run, if it is ``step``."""
        item = self._carried_item
        if item is None or item.step != step.id:
            return None
        self._carried_item = None
        return item, self._carried_reminder

    def _continue(
        self,
        at: At,
        *,
        open_item: human.WorkItem | None = None,
        next_reminder: dt.datetime | None = None,
    ) -> None:
        status = self._require_status()
        env = self._top_env
        index, path = _position(at)
        carried = Carried(
            index=index,
            path=path,
            env={name: carry.encode(value) for name, value in env.items()},
            runs=self._runs,
            rounds=self._rounds,
            events=tuple(self._events),
            refused=tuple(self._refused),
            steps=status.steps[-200:],
            started_at=status.started_at,
            generation=status.generation + 1,
            undo=self._carry_undo(env),
            open_item=open_item,
            next_reminder=next_reminder,
            paused=self._paused,
            ignored=tuple(self._ignored),
        )
        workflow.continue_as_new(
            self._start.model_copy(update={"resume": carried, "team": self._team})
        )


def _position(at: At) -> tuple[int, tuple[Place, ...]]:
    """The top-level index and the path inside blocks, as carried."""
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
