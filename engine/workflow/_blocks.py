"""Blocks: the steps that hold other steps (``if``, ``parallel``, ``for each``,
``exit when``), and the running of a body of steps one after another.

A body knows how it was entered (``spot``) so that the campaign can continue as
new at any sequential place inside it and come back there (see
:mod:`engine.workflow._continue_as_new`). Steps inside a block run through the
run's dispatch (:attr:`RunState.dispatch`). Runs inside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import ChainMap

from temporalio import workflow

from engine import ir
from engine.workflow import _compensation as compensation
from engine.workflow import _continue_as_new as continuing
from engine.workflow import carry, patches
from engine.workflow._position import At, Enter
from engine.workflow._state import Env, Loops, RunState
from engine.workflow.campaign import ExternalEvent
from engine.workflow.jumps import JumpTo
from engine.workflow.values import display, from_plain_json


async def body(
    run: RunState,
    steps: tuple[ir.Step, ...],
    env: Env,
    spot: tuple[Enter, ...] | None,
    *,
    start_at: int = 0,
    resumed: bool = False,
) -> None:
    """Run ``steps`` from ``start_at``; ``spot`` is how the body was entered (None: not
    a sequential place, so the campaign does not continue as new in it).
    ``resumed``: the previous run got to ``start_at`` already."""
    index = start_at
    came_from: str | None = None  # the step that jumped here; None: in sequence
    while index < len(steps):
        if not resumed:
            _new_pass(run, steps[index], came_from)
        resumed, came_from = False, None
        if run.paused:
            await workflow.wait_condition(lambda: not run.paused)
        at = None if spot is None else At(spot, index)
        if at is not None:
            await continuing.between_steps(run, at)
        step = steps[index]
        try:
            if isinstance(step, ir.ExitStep):
                # The rest of this block runs until the event arrives.
                await _until_exit(run, step, steps[index + 1 :], env, at)
                return
            if at is not None:
                run.here = (at, step)
            await run.dispatch(step, env, at)
        except JumpTo as jump:
            # A jump lands in the block that holds its target (or an outer one).
            target = next((i for i, s in enumerate(steps) if s.id == jump.step), None)
            if target is None:
                raise
            index, came_from = target, jump.origin
            continue
        index += 1


async def _until_exit(
    run: RunState, step: ir.ExitStep, rest: tuple[ir.Step, ...], env: Env, at: At | None
) -> None:
    """Run ``rest``; if the exit event comes first, stop it there, run the steps under the
    exit (with the event's data as its ``as`` name) and leave the block."""
    key = None if step.key is None else display(run.eval(step.key, env, step.id))

    def arrived() -> ExternalEvent | None:
        return next((e for e in run.events if e.name == step.event and key in (None, e.key)), None)

    place = continuing.resumed(run, step)
    if place is None and arrived() is not None and patches.EXIT_CANCELS_CLEANLY.applies():
        # The event came before the exit was reached (it was kept): nothing after it runs.
        await _fire(run, step, arrived(), env, None)
        return
    spot = None if at is None else at.enter("rest", step.id)
    work = asyncio.ensure_future(
        body(
            run,
            rest,
            env,
            spot,
            start_at=0 if place is None else place.index,
            resumed=place is not None,
        )
    )
    trigger = asyncio.ensure_future(workflow.wait_condition(lambda: arrived() is not None))
    await workflow.wait([work, trigger], return_when=asyncio.FIRST_COMPLETED)
    if not work.done():
        await _fire(run, step, arrived(), env, work)
        return
    trigger.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await trigger
    work.result()  # a jump out of the rest, or a failure, goes on from here


async def _fire(
    run: RunState,
    step: ir.ExitStep,
    event: ExternalEvent | None,
    env: Env,
    work: asyncio.Future[None] | None,
) -> None:
    """The exit's event arrived: stop what runs after it, then run the steps under it."""
    assert event is not None
    run.events.remove(event)
    run.exited = True
    run.begin(step.id, f"Exit: {step.event} arrived", None, run.location(step.span))
    run.end(step.id, "done")
    if work is not None:
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
    if step.bind:
        # The event's data, for the steps under the exit (the checker lets only them read it).
        env[step.bind] = from_plain_json(event.data)
    if step.then:
        # What happens on exit: the steps under it, then the block is left. A jump out of
        # them lands in this block or one around it, like any other.
        await body(run, step.then, env, None)


async def if_step(run: RunState, step: ir.IfStep, env: Env, at: At | None) -> None:
    """The first branch whose condition holds (decided once, across continue-as-new)."""
    place = continuing.resumed(run, step)
    if place is None:
        # The first branch whose condition holds; one past the last is the 'else'.
        chosen = next(
            (n for n, b in enumerate(step.branches) if run.condition(b.condition, env)),
            len(step.branches),
        )
    else:
        chosen = place.branch  # decided in an earlier run: not decided again
    steps = step.branches[chosen].body if chosen < len(step.branches) else step.orelse
    spot = None if at is None else at.enter("branch", step.id, branch=chosen)
    await body(
        run,
        steps,
        env,
        spot,
        start_at=0 if place is None else place.index,
        resumed=place is not None,
    )


async def parallel(run: RunState, step: ir.ParallelStep, env: Env) -> None:
    """Branches side by side; the block ends with all, the first, or N of them."""
    # Branches share the campaign's names: after 'all', each branch's results
    # are there for the steps that follow.
    paths: dict[asyncio.Future[None], tuple[str, ...]] = {}
    for branch in step.branches:
        path = compensation.branch_path(run, step.id)
        running = compensation.in_branch(path, body(run, branch.body, env, None))
        paths[asyncio.ensure_future(running)] = path
    wanted = {"all": len(paths), "first": 1}.get(step.join, step.count or len(paths))
    done = 0
    pending: list[asyncio.Future[None]] = list(paths)
    try:
        while done < wanted and pending:
            finished, pending = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                future.result()  # a failed branch fails the block
            done += len(finished)
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    # The winners are done: what the cancelled branches had done is undone.
    await compensation.undo_cancelled(run, [paths[future] for future in pending])


async def for_each(run: RunState, step: ir.ForEachStep, env: Env, at: At | None) -> None:
    """The body once per item of a list, one at a time or N at a time."""
    place = continuing.resumed(run, step)
    if place is None:
        items = run.eval(step.items, env, step.id)
        if not isinstance(items, list):
            raise run.failure(step.items.span, "'for each' needs a list")
        first, todo = 0, [({step.variable: item}, 0) for item in items]
    else:
        # Continued as new inside the loop: the item it was at, then the rest.
        own = {name: carry.decode(value) for name, value in place.own.items()}
        later = [({step.variable: item}, 0) for item in carry.decode(place.later)]
        first, todo = place.item, [(own, place.index), *later]
    values = [own[step.variable] for own, _start in todo]
    sequential = (step.concurrency or 1) == 1
    limit = asyncio.Semaphore(step.concurrency or 1)
    held_back: list[int] = []

    def spot(pos: int) -> tuple[Enter, ...]:
        assert at is not None
        own = todo[pos][0]
        return at.enter("item", step.id, item=first + pos, own=own, items=values, pos=pos)

    async def one(pos: int) -> None:
        own, start = todo[pos]
        async with limit:
            if held_back:
                return
            if (
                not sequential
                and at is not None
                and pos > 0
                and continuing.history_is_long(run)
                and continuing.may_renew_in(run, spot(pos))
            ):
                # Start no more items: those under way finish, then the campaign
                # continues as new with the items not yet started.
                held_back.append(pos)
                return
            inner = spot(pos) if sequential and at is not None else None
            # Each item sees its own variable; what it defines stays with it.
            await body(
                run,
                step.body,
                ChainMap(own, env),
                inner,
                start_at=start,
                resumed=place is not None and pos == 0,
            )

    runs = [asyncio.ensure_future(one(pos)) for pos in range(len(todo))]
    try:
        await asyncio.gather(*runs)
    except Exception:
        # One item failed or jumped out of the loop: the others stop there too,
        # instead of running on behind the step the campaign went on to.
        if patches.FOR_EACH_STOPS_THE_REST.applies():
            for item_run in runs:
                item_run.cancel()
            await asyncio.gather(*runs, return_exceptions=True)
        raise
    if held_back:
        await workflow.wait_condition(workflow.all_handlers_finished)
        continuing.continue_as_new(run, At(spot(held_back[0]), 0))


# ---- rounds per pass -------------------------------------------------------------------


def _new_pass(run: RunState, step: ir.Step, came_from: str | None) -> None:
    """The campaign comes to ``step``: the loops that go back to it start counting
    again if this is a new pass of them.

    An approval's rounds, and a ``go back``'s times, are counted per pass of the
    cycles around them: the second month of a monthly report has its own review
    rounds. A new pass is coming to the step in sequence, or by a ``go back`` that
    ends after the loop (an outer cycle). Coming back by rework (this approval's or
    another's), or by a ``go back`` inside the loop, goes on counting.
    """
    facts = _loops(run)
    loops = facts.closing.get(step.id)
    if not loops:
        return
    order, cycles = facts.order, facts.cycles
    for closer in loops:
        if not run.rounds.get(closer):
            continue
        if came_from is not None and (came_from not in cycles or order[came_from] <= order[closer]):
            continue
        if not _count_per_pass(run):
            return
        del run.rounds[closer]


def _count_per_pass(run: RunState) -> bool:
    if run.per_pass is None:
        run.per_pass = patches.ROUNDS_PER_PASS.applies()
    return run.per_pass


def _loops(run: RunState) -> Loops:
    """The process's loops, worked out once from its IR."""
    if run.loops is None:
        steps = ir.iter_steps(run.require_process().body)
        closing: dict[str, list[str]] = {}
        for step in steps:
            if isinstance(step, ir.GoBackStep):
                targets = {step.target}
            elif isinstance(step, ir.HumanStep):
                targets = {t for t in (step.on_reject, step.on_changes) if t}
            else:
                continue
            for target in targets:
                closing.setdefault(target, []).append(step.id)
        run.loops = Loops(
            closing=closing,
            cycles={s.id for s in steps if isinstance(s, ir.GoBackStep)},
            order={s.id: n for n, s in enumerate(steps)},
        )
    return run.loops
