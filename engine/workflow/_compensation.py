"""Compensation (``undo with``): what undoes the tasks a campaign has completed.

Every completed task with an ``undo with`` is remembered, with the branch of
``parallel`` it ran in. Compensation runs newest first (a saga) in three cases:

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
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio.exceptions import ApplicationError

from engine import ir
from engine.workflow import carry, patches
from engine.workflow._state import Env, RunState, Undoable
from engine.workflow._tasks import run_activity
from engine.workflow.campaign import CarriedUndo
from engine.workflow.facts import TaskPurpose
from engine.workflow.values import to_json

_BRANCH: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("mops_branch", default=())
"""The ``parallel`` branches the current coroutine runs in, outermost first."""


def remember(run: RunState, step: ir.TaskStep, env: Env) -> None:
    """``step`` completed and says how to undo it: remember that, newest last."""
    run.undo.append(Undoable(step, env, _BRANCH.get()))


def branch_path(run: RunState, step_id: str) -> tuple[str, ...]:
    """A new branch path for one branch of a ``parallel`` step."""
    run.branches_opened += 1
    return (*_BRANCH.get(), f"{step_id}#{run.branches_opened}")


async def in_branch(path: tuple[str, ...], body: Coroutine[Any, Any, None]) -> None:
    """Run ``body`` as a branch at ``path`` (as its own asyncio task, in its own context)."""
    _BRANCH.set(path)
    await body


async def undo_cancelled(run: RunState, paths: list[tuple[str, ...]]) -> None:
    """Undo, newest first, what the cancelled branches ``paths`` had completed."""
    inside = [u for u in run.undo if any(u.branch[: len(p)] == p for p in paths)]
    if not inside or not patches.UNDO_CANCELLED_BRANCHES.applies():
        return
    run.undo = [u for u in run.undo if u not in inside]
    await _run_undo(run, inside)


async def compensate(run: RunState, *, cancelled: bool = False) -> None:
    """Undo every completed task, newest first (a failure, or an operator's cancel)."""
    if not run.undo or (cancelled and not patches.UNDO_ON_CANCEL.applies()):
        return
    entries, run.undo = run.undo, []
    await _run_undo(run, entries)


async def _run_undo(run: RunState, entries: list[Undoable]) -> None:
    for entry in reversed(entries):
        step = entry.step
        assert step.undo is not None
        with contextlib.suppress(ApplicationError):
            arguments = {
                name: to_json(run.eval(expr, entry.env, f"undo of '{step.id}'"))
                for name, expr in step.undo.arguments.items()
            }
            await run_activity(
                run,
                step=step.id,
                title=f"Undo: {step.title}",
                action=step.undo.action,
                arguments=arguments,
                span=step.undo.span,
                start_to_close=timedelta(seconds=step.timeout_seconds),
                retry=step.retry,
                heartbeat=None,
                purpose=TaskPurpose.UNDO,
            )


# ---- across continue-as-new ------------------------------------------------------------


def carried(run: RunState) -> tuple[CarriedUndo, ...]:
    """What undoes the tasks done so far, for the campaign's next run."""
    found = []
    for entry in run.undo:
        # A 'for each' item sees its own names over the campaign's.
        layers: list[Any] = []
        env = entry.env
        while isinstance(env, ChainMap) and env is not run.top_env:
            layers.extend(env.maps[:-1])
            env = env.maps[-1]
        own: dict[str, Any] = {}
        for layer in reversed(layers):
            own.update(layer)
        found.append(
            CarriedUndo(
                step=entry.step.id,
                own={name: carry.encode(value) for name, value in own.items()},
            )
        )
    return tuple(found)


def restore(run: RunState, entries: tuple[CarriedUndo, ...]) -> None:
    """Take back what the previous run carried (see :func:`carried`)."""
    tasks = {
        s.id: s for s in ir.iter_steps(run.require_process().body) if isinstance(s, ir.TaskStep)
    }
    for entry in entries:
        own = {name: carry.decode(value) for name, value in entry.own.items()}
        env: Env = ChainMap(own, run.top_env) if own else run.top_env
        run.undo.append(Undoable(tasks[entry.step], env, ()))
