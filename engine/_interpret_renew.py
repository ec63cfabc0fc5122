"""Continue-as-new: a campaign starts a fresh run before its history grows too long.

A mixin of :class:`engine.interpreter.CampaignWorkflow`. Once the history has
``history_limit`` events, the campaign continues as new

- between two top-level steps, or
- while it waits at a top-level work item or approval: the open step goes along
  with its decisions so far, the people added to it, its round, its deadline,
  how far up the escalation ladder it is and when its next reminder is due.

It does not continue as new inside a block (``if``, ``parallel``, ``for each``,
the rest of an ``exit when``): a long loop inside a block is bounded only by the
steps it runs; write long-lived loops at the top level (a ``go back`` there is
fine). Everything the campaign knows goes along: its names (typed), counters,
events not yet used, refused attempts, ignored signals, the team directory it
decides against, what undoes its completed tasks, whether it is paused, and its
steps so far. Signal and update handlers finish first, so nothing is lost.
Runs inside the workflow sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine import carry, human, ir
    from engine.campaign import (
        CampaignStart,
        CampaignStatus,
        Carried,
        CarriedUndo,
        ExternalEvent,
        IgnoredSignal,
        RefusedAttempt,
    )
    from engine.people import TeamSnapshot

Env = MutableMapping[str, Any]

RENEW_IN_PEOPLE_STEP = "mops-renew-in-people-step"
"""Named patch: campaigns recorded before it never continued as new at an open step."""


class Renewal:
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
    _at_top: tuple[int, ir.Step, Env] | None
    """The top-level step under way: its index, the step, the campaign's names."""
    _renew_declined: bool
    _carried_item: human.WorkItem | None
    _carried_reminder: dt.datetime | None

    if TYPE_CHECKING:  # provided by the interpreter and the other mixins

        def _require_status(self) -> CampaignStatus:
            raise NotImplementedError

        def _carry_undo(self, top: Env) -> tuple[CarriedUndo, ...]:
            raise NotImplementedError

    def _history_is_long(self) -> bool:
        return workflow.info().get_current_history_length() >= self._start.history_limit

    async def _maybe_continue_as_new(self, index: int, env: Env) -> None:
        """Between two top-level steps: continue as new once the history is long."""
        if not self._history_is_long() or self._items:
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._continue(index, env)

    def _may_renew_at(self, step: ir.HumanStep) -> bool:
        """Whether the campaign may continue as new while ``step`` waits for people."""
        return (
            not self._renew_declined
            and self._at_top is not None
            and self._at_top[1] is step
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
        if not workflow.patched(RENEW_IN_PEOPLE_STEP):
            self._renew_declined = True
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        item = self._items[step.id]
        if human.outcome(item) is not None:
            return
        assert self._at_top is not None
        index, _step, env = self._at_top
        self._continue(index, env, open_item=item, next_reminder=next_reminder)

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
        index: int,
        env: Env,
        *,
        open_item: human.WorkItem | None = None,
        next_reminder: dt.datetime | None = None,
    ) -> None:
        status = self._require_status()
        carried = Carried(
            index=index,
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
