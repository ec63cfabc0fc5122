"""Blocks: the steps that hold other steps (``if``, ``parallel``, ``for each``,
``exit when``), and the running of a body of steps one after another.

A mixin of :class:`engine.interpreter.CampaignWorkflow`. A body knows how it
was entered (``spot``) so that the campaign can continue as new at any
sequential place inside it and come back there (see
:mod:`engine._interpret_renew`). Runs inside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import ChainMap
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from engine._interpret_renew import At, Enter, Renewal

with workflow.unsafe.imports_passed_through():
    from engine import carry, ir
    from engine.campaign import ExternalEvent
    from engine.jumps import JumpTo
    from engine.values import display

Env = MutableMapping[str, Any]


ROUNDS_PER_PASS = "mops-rounds-per-pass"
"""Named patch: campaigns recorded before it counted rounds for the whole campaign."""


class Blocks(Renewal):
    """Runs bodies of steps and the blocks that hold them; state on the workflow."""

    _paused: bool
    _exited: bool
    _rounds: dict[str, int]
    _per_pass: bool | None = None
    _loop_facts: _Loops | None = None

    async def _body(
        self,
        body: tuple[ir.Step, ...],
        env: Env,
        spot: tuple[Enter, ...] | None,
        *,
        start_at: int = 0,
        resumed: bool = False,
    ) -> None:
        """Run ``body`` from ``start_at``; ``spot`` is how it was entered (None: not
        a sequential place, so the campaign does not continue as new in it).
        ``resumed``: the previous run got to ``start_at`` already."""
        index = start_at
        came_from: str | None = None  # the step that jumped here; None: in sequence
        while index < len(body):
            if not resumed:
                self._new_pass(body[index], came_from)
            resumed, came_from = False, None
            if self._paused:
                await workflow.wait_condition(lambda: not self._paused)
            at = None if spot is None else At(spot, index)
            if at is not None:
                await self._maybe_continue_as_new(at)
            step = body[index]
            try:
                if isinstance(step, ir.ExitStep):
                    # The rest of this block runs until the event arrives.
                    await self._until_exit(step, body[index + 1 :], env, at)
                    return
                if at is not None:
                    self._here = (at, step)
                await self._step(step, env, at)
            except JumpTo as jump:
                # A jump lands in the block that holds its target (or an outer one).
                target = next((i for i, s in enumerate(body) if s.id == jump.step), None)
                if target is None:
                    raise
                index, came_from = target, jump.origin
                continue
            index += 1

    async def _until_exit(
        self, step: ir.ExitStep, rest: tuple[ir.Step, ...], env: Env, at: At | None
    ) -> None:
        """Run ``rest``; if the exit event comes first, stop it there and leave the block."""
        key = None if step.key is None else display(self._eval(step.key, env, step.id))

        def arrived() -> ExternalEvent | None:
            return next(
                (e for e in self._events if e.name == step.event and key in (None, e.key)), None
            )

        place = self._resumed(step)
        spot = None if at is None else at.enter("rest", step.id)
        work = asyncio.ensure_future(
            self._body(
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
            event = arrived()
            assert event is not None
            self._events.remove(event)
            self._exited = True
            where = self._require_process().location(step.span)
            self._mark(step.id, f"Exit: {step.event} arrived", where)
            self._end(step.id, "done")
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return
        trigger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await trigger
        work.result()  # a jump out of the rest, or a failure, goes on from here

    async def _if(self, step: ir.IfStep, env: Env, at: At | None) -> None:
        place = self._resumed(step)
        if place is None:
            # The first branch whose condition holds; one past the last is the 'else'.
            chosen = next(
                (n for n, b in enumerate(step.branches) if self._condition(b.condition, env)),
                len(step.branches),
            )
        else:
            chosen = place.branch  # decided in an earlier run: not decided again
        body = step.branches[chosen].body if chosen < len(step.branches) else step.orelse
        spot = None if at is None else at.enter("branch", step.id, branch=chosen)
        await self._body(
            body,
            env,
            spot,
            start_at=0 if place is None else place.index,
            resumed=place is not None,
        )

    async def _parallel(self, step: ir.ParallelStep, env: Env) -> None:
        # Branches share the campaign's names: after 'all', each branch's results
        # are there for the steps that follow.
        paths: dict[asyncio.Future[None], tuple[str, ...]] = {}
        for branch in step.branches:
            path = self._branch(step.id)
            paths[
                asyncio.ensure_future(self._in_branch(path, self._body(branch.body, env, None)))
            ] = path
        wanted = {"all": len(paths), "first": 1}.get(step.join, step.count or len(paths))
        done = 0
        pending: list[asyncio.Future[None]] = list(paths)
        try:
            while done < wanted and pending:
                finished, pending = await workflow.wait(
                    pending, return_when=asyncio.FIRST_COMPLETED
                )
                for future in finished:
                    future.result()  # a failed branch fails the block
                done += len(finished)
        finally:
            for future in pending:
                future.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        # The winners are done: what the cancelled branches had done is undone.
        await self._undo_cancelled([paths[future] for future in pending])

    async def _for_each(self, step: ir.ForEachStep, env: Env, at: At | None) -> None:
        place = self._resumed(step)
        if place is None:
            items = self._eval(step.items, env, step.id)
            if not isinstance(items, list):
                where = self._require_process().location(step.items.span)
                raise ApplicationError(
                    f"{where}: 'for each' needs a list",
                    type="ExpressionFailed",
                    non_retryable=True,
                )
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
                    and self._history_is_long()
                    and self._may_renew_in(spot(pos))
                ):
                    # Start no more items: those under way finish, then the campaign
                    # continues as new with the items not yet started.
                    held_back.append(pos)
                    return
                inner = spot(pos) if sequential and at is not None else None
                # Each item sees its own variable; what it defines stays with it.
                await self._body(
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
            if workflow.patched("mops-for-each-stops-the-rest"):
                for run in runs:
                    run.cancel()
                await asyncio.gather(*runs, return_exceptions=True)
            raise
        if held_back:
            await workflow.wait_condition(workflow.all_handlers_finished)
            self._continue(At(spot(held_back[0]), 0))

    # ---- rounds per pass -------------------------------------------------------

    def _new_pass(self, step: ir.Step, came_from: str | None) -> None:
        """The campaign comes to ``step``: the loops that go back to it start counting
        again if this is a new pass of them.

        An approval's rounds, and a ``go back``'s times, are counted per pass of
        the cycles around them: the second month of a monthly report has its own
        review rounds. A new pass is coming to the step in sequence, or by a
        ``go back`` that ends after the loop (an outer cycle). Coming back by
        rework (this approval's or another's), or by a ``go back`` inside the
        loop, goes on counting.
        """
        facts = self._loops()
        loops = facts.closing.get(step.id)
        if not loops:
            return
        order, cycles = facts.order, facts.cycles
        for closer in loops:
            if not self._rounds.get(closer):
                continue
            if came_from is not None and (
                came_from not in cycles or order[came_from] <= order[closer]
            ):
                continue
            if not self._count_per_pass():
                return
            del self._rounds[closer]

    def _count_per_pass(self) -> bool:
        if self._per_pass is None:
            self._per_pass = workflow.patched(ROUNDS_PER_PASS)
        return self._per_pass

    def _loops(self) -> _Loops:
        """The process's loops, worked out once from its IR."""
        if self._loop_facts is None:
            steps = ir.iter_steps(self._require_process().body)
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
            self._loop_facts = _Loops(
                closing=closing,
                cycles={s.id for s in steps if isinstance(s, ir.GoBackStep)},
                order={s.id: n for n, s in enumerate(steps)},
            )
        return self._loop_facts


@dataclass(frozen=True)
class _Loops:
    closing: dict[str, list[str]]
    """For each step, the steps whose rounds count a loop back to it."""
    cycles: set[str]
    """The ``go back`` steps."""
    order: dict[str, int]
    """Each step's place in the file."""
