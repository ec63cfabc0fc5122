"""Compensation (``undo with``): what undoes the tasks a campaign has completed.

A mixin of :class:`engine.interpreter.CampaignWorkflow`. Every completed task
with an ``undo with`` is remembered, with the branch of ``parallel`` it ran in.
Compensation runs newest first (a saga) in three cases:

- the campaign fails: every task done so far is undone;
- an operator cancels the campaign: the same (cancel = compensate, like a failure);
- a ``parallel first`` / ``N of`` has its winners: the branches still running are
  cancelled, and what they had already done is undone.

A failing undo is recorded on the campaign's steps and does not stop the others.
A task that was still running when its branch was cancelled is not undone: its
activity is cancelled, and whether its side effect happened is not known.
Runs inside the workflow sandbox.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import ChainMap
from collections.abc import Coroutine, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from engine._interpret_core import Core

with workflow.unsafe.imports_passed_through():
    from engine import carry, ir
    from engine.campaign import CarriedUndo
    from engine.values import to_json

Env = MutableMapping[str, Any]

_BRANCH: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("mops_branch", default=())
"""The ``parallel`` branches the current coroutine runs in, outermost first."""

UNDO_CANCELLED_BRANCHES = "mops-undo-cancelled-branches"
UNDO_ON_CANCEL = "mops-undo-on-cancel"
"""Named patches: campaigns recorded before these ran no compensation in those cases."""


@dataclass(frozen=True)
class Undoable:
    """A completed task that says how to undo it."""

    step: ir.TaskStep
    env: Env
    branch: tuple[str, ...]


class Saga(Core):
    """Remembers what undoes completed tasks and runs it; state on the workflow instance."""

    _undo: list[Undoable]
    _branches_opened: int

    def _remember_undo(self, step: ir.TaskStep, env: Env) -> None:
        self._undo.append(Undoable(step, env, _BRANCH.get()))

    def _branch(self, step_id: str) -> tuple[str, ...]:
        """A new branch path for one branch of a ``parallel`` step."""
        self._branches_opened += 1
        return (*_BRANCH.get(), f"{step_id}#{self._branches_opened}")

    @staticmethod
    async def _in_branch(path: tuple[str, ...], body: Coroutine[Any, Any, None]) -> None:
        # Runs as its own asyncio task, in its own copy of the context.
        _BRANCH.set(path)
        await body

    async def _undo_cancelled(self, paths: list[tuple[str, ...]]) -> None:
        """Undo, newest first, what the cancelled branches ``paths`` had completed."""
        inside = [u for u in self._undo if any(u.branch[: len(p)] == p for p in paths)]
        if not inside or not workflow.patched(UNDO_CANCELLED_BRANCHES):
            return
        self._undo = [u for u in self._undo if u not in inside]
        await self._run_undo(inside)

    async def _compensate(self, *, cancelled: bool = False) -> None:
        """Undo every completed task, newest first (a failure, or an operator's cancel)."""
        if not self._undo or (cancelled and not workflow.patched(UNDO_ON_CANCEL)):
            return
        entries, self._undo = self._undo, []
        await self._run_undo(entries)

    async def _run_undo(self, entries: list[Undoable]) -> None:
        for entry in reversed(entries):
            step = entry.step
            assert step.undo is not None
            with contextlib.suppress(ApplicationError):
                arguments = {
                    name: to_json(self._eval(expr, entry.env, f"undo of '{step.id}'"))
                    for name, expr in step.undo.arguments.items()
                }
                await self._activity(
                    step_id=f"{step.id}.undo",
                    title=f"Undo: {step.title}",
                    action=step.undo.action,
                    arguments=arguments,
                    span=step.undo.span,
                    start_to_close=timedelta(seconds=step.timeout_seconds),
                    retry=step.retry,
                    heartbeat=None,
                )

    # ---- across continue-as-new ------------------------------------------------------

    def _carry_undo(self, top: Env) -> tuple[CarriedUndo, ...]:
        """What undoes the tasks done so far, for the campaign's next run."""
        carried = []
        for entry in self._undo:
            # A 'for each' item sees its own names over the campaign's.
            layers: list[Any] = []
            env = entry.env
            while isinstance(env, ChainMap) and env is not top:
                layers.extend(env.maps[:-1])
                env = env.maps[-1]
            own: dict[str, Any] = {}
            for layer in reversed(layers):
                own.update(layer)
            carried.append(
                CarriedUndo(
                    step=entry.step.id,
                    own={name: carry.encode(value) for name, value in own.items()},
                )
            )
        return tuple(carried)

    def _restore_undo(self, carried: tuple[CarriedUndo, ...], top: Env) -> None:
        tasks = {
            s.id: s
            for s in ir.iter_steps(self._require_process().body)
            if isinstance(s, ir.TaskStep)
        }
        for entry in carried:
            own = {name: carry.decode(value) for name, value in entry.own.items()}
            env: Env = ChainMap(own, top) if own else top
            self._undo.append(Undoable(tasks[entry.step], env, ()))
