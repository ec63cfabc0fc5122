"""Continue-as-new: a campaign starts a fresh run before its history grows too long.

Once the history has ``history_limit`` events, the campaign continues as new

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

from temporalio import workflow

from bounds import RENEW_HISTORY_BYTES
from engine import ir
from engine.workflow import _compensation as compensation
from engine.workflow import carry, patches, work_items
from engine.workflow._position import At, Enter, carried_position
from engine.workflow._state import RunState
from engine.workflow.campaign import Carried, Place
from engine.workflow.facts import STARTED_MEMO
from engine.workflow.work_items import WorkItem

KEEP_STEPS = 200
"""Step records the next run carries (the newest): the status stays bounded."""


def history_is_long(run: RunState) -> bool:
    """Past the campaign's event count, or (patched) past RENEW_HISTORY_BYTES: a flood of
    large signals must not carry the history to Temporal's 50 MB."""
    info = workflow.info()
    if info.get_current_history_length() >= run.require_start().history_limit:
        return True
    if info.get_current_history_size() < RENEW_HISTORY_BYTES:
        return False
    if run.renew_on_size is None:
        run.renew_on_size = patches.RENEW_ON_SIZE.applies()
    return run.renew_on_size


def may_renew_in(run: RunState, spot: tuple[Enter, ...]) -> bool:
    """Whether this campaign may continue as new at ``spot`` (patched inside blocks)."""
    if not spot:
        return True
    if not run.blocks_declined and not patches.RENEW_IN_BLOCKS.applies():
        run.blocks_declined = True
    return not run.blocks_declined


async def between_steps(run: RunState, at: At) -> None:
    """Between two steps: continue as new once the history is long."""
    if not history_is_long(run) or run.items or not may_renew_in(run, at.spot):
        return
    await workflow.wait_condition(workflow.all_handlers_finished)
    if not run.items:
        continue_as_new(run, at)


def resumed(run: RunState, step: ir.Step) -> Place | None:
    """Where the previous run stopped inside ``step``, the first time it runs again."""
    if run.resume and run.resume[0].step == step.id:
        return run.resume.pop(0)
    return None


def due_at_open_step(run: RunState, step: ir.HumanStep) -> bool:
    """Whether the campaign should continue as new while ``step`` waits for people."""
    return (
        not run.renew_declined
        and run.here is not None
        and run.here[1] is step
        and len(run.items) == 1
        and history_is_long(run)
    )


async def at_open_step(
    run: RunState, step: ir.HumanStep, next_reminder: dt.datetime | None
) -> None:
    """Continue as new with ``step`` open, unless it was decided meanwhile.

    Returns only when the campaign does not continue as new (the step was
    decided while handlers finished, or the history predates the patch).
    """
    assert run.here is not None
    at = run.here[0]
    if not patches.RENEW_IN_PEOPLE_STEP.applies() or not may_renew_in(run, at.spot):
        run.renew_declined = True
        return
    await workflow.wait_condition(workflow.all_handlers_finished)
    item = run.items[step.id]
    if work_items.outcome(item) is not None:
        return
    continue_as_new(run, at, open_item=item, next_reminder=next_reminder)


def take_carried_item(
    run: RunState, step: ir.HumanStep
) -> tuple[WorkItem, dt.datetime | None] | None:
    """The open step carried from the previous run, if it is ``step``."""
    item = run.carried_item
    if item is None or item.step != step.id:
        return None
    run.carried_item = None
    return item, run.carried_reminder


def continue_as_new(
    run: RunState,
    at: At,
    *,
    open_item: WorkItem | None = None,
    next_reminder: dt.datetime | None = None,
) -> None:
    """Continue as new now, to go on at ``at`` (raises: the run ends here)."""
    start = run.require_start()
    index, path = carried_position(at)
    carried = Carried(
        index=index,
        path=path,
        env={name: carry.encode(value) for name, value in run.top_env.items()},
        runs=run.runs,
        rounds=run.rounds,
        events=tuple(run.events),
        refused=tuple(run.refused),
        steps=tuple(run.steps[-KEEP_STEPS:]),
        started_at=run.started_at or workflow.now(),
        generation=run.generation + 1,
        undo=compensation.carried(run),
        open_item=open_item,
        next_reminder=next_reminder,
        paused=run.paused,
        ignored=tuple(run.ignored),
        dropped=tuple(run.dropped),
        nonces=tuple(run.nonces),
        held=run.held,
        returned=run.returned,
    )
    # Listed as one campaign, started when its first run started (mops list).
    memo = {STARTED_MEMO: carried.started_at.isoformat()} if run.publishes_inbox() else None
    workflow.continue_as_new(
        start.model_copy(update={"resume": carried, "team": run.team, "started": run.provenance}),
        memo=memo,
    )
