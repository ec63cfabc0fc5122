"""The interpreter's human steps, external events and sub-processes.

A mixin of :class:`engine.interpreter.CampaignWorkflow`: it keeps the open
work items, waits for people with reminders and an escalation ladder as
durable timers in business time, and matches events by name and key. It runs
inside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from engine._interpret_renew import Renewal

with workflow.unsafe.imports_passed_through():
    from engine import business_time, human, ir
    from engine import search_attributes as sa
    from engine.campaign import CampaignResult, CampaignStart, ExternalEvent
    from engine.jumps import JumpTo
    from engine.people import TeamSnapshot
    from engine.time_values import TimeProblem, as_duration
    from engine.values import display, from_plain_json, to_json

Env = MutableMapping[str, Any]


class PeopleSteps(Renewal):
    """Human steps, events and sub-processes; state lives on the workflow instance."""

    _items: dict[str, human.WorkItem]
    _team: TeamSnapshot | None
    _events: list[ExternalEvent]
    _rounds: dict[str, int]
    _start: CampaignStart

    # ---- work items and approvals ---------------------------------------------------

    async def _human(self, step: ir.HumanStep, env: Env) -> None:
        process = self._require_process()
        source = process.location(step.span)
        carried = self._take_carried_item(step)
        if carried is None:
            round_number = self._rounds[step.id] = self._rounds.get(step.id, 0) + 1
            item = self._open(step, env, source, round_number)
            self._items[step.id] = item
            self._publish_items()
            self._mark(
                step.id,
                f"{'Approval' if step.form == 'approval' else 'Work'}: {step.title}",
                source,
            )
            next_reminder = None
        else:
            # Continued as new while open: the step goes on where it was.
            item, next_reminder = carried
            round_number = item.round
        try:
            decided = await self._wait_for_people(step, env, next_reminder)
        except asyncio.CancelledError:
            # Cancelled (an exit, a finished 'parallel first'): nobody waits any more.
            self._items.pop(step.id, None)
            self._publish_items()
            raise
        item = self._items.pop(step.id)
        self._publish_items()
        now = workflow.now()
        env[step.id] = from_plain_json(human.result(item, decided, now))
        self._end(step.id, "done")
        target = {"rejected": step.on_reject, "changes_requested": step.on_changes}.get(decided)
        if target is None:
            return
        if step.rounds is not None and round_number >= step.rounds.count:
            # That was the last round: the designed outcome, not another loop.
            self._rounds_exhausted(step, env, source)
            return
        raise JumpTo(target, f"'{step.title}': {decided.replace('_', ' ')}", step.id)

    def _open(self, step: ir.HumanStep, env: Env, source: str, round_number: int) -> human.WorkItem:
        team = self._team or TeamSnapshot(version="none", people={})
        barred: list[str] = []
        for expr in step.not_by:
            value = self._eval(expr, env, f"step '{step.id}'")
            barred.extend(value if isinstance(value, list) else [value])
        item = human.WorkItem(
            step=step.id,
            title=step.title,
            form=step.form,
            source=source,
            round=round_number,
            parties=tuple(f"{p.kind}:{p.name}" for p in step.parties),
            barred=tuple(str(b) for b in barred if b),
            quorum=step.quorum,
            delegation=step.delegation,
            returns=tuple((f.name, f.type) for f in step.returns),
            opened_at=workflow.now(),
        )
        people = human.eligible_people(item, team) - set(item.barred)
        needed = {"any": 1, "all": max(1, len(people)), "count": step.quorum_count or 1}
        deadline = None
        due = self._duration(step.deadline, step.deadline_expr, env, step, "the deadline")
        if due is not None:
            deadline = business_time.add(workflow.now(), due, self._require_process().calendar)
        return item.model_copy(update={"needed": needed[step.quorum], "deadline": deadline})

    def _duration(
        self,
        literal: ir.Duration | None,
        computed: ir.Expr | None,
        env: Env,
        step: ir.HumanStep | ir.WaitStep,
        what: str,
    ) -> ir.Duration | None:
        """A step's duration as written, or worked out from its expression now."""
        if computed is None:
            return literal
        value = self._eval(computed, env, f"step '{step.id}': {what}")
        try:
            return as_duration(value)
        except TimeProblem as problem:
            where = self._require_process().location(computed.span)
            raise ApplicationError(
                f"{where}: step '{step.id}': {what}: {problem}",
                type="ExpressionFailed",
                non_retryable=True,
            ) from None

    async def _wait_for_people(
        self, step: ir.HumanStep, env: Env, next_reminder: dt.datetime | None
    ) -> human.Outcome:
        calendar = self._require_process().calendar
        opened = self._items[step.id].opened_at
        ladder = []
        for rung in step.escalations:
            after = self._duration(rung.after, rung.after_expr, env, step, "the escalation")
            at = self._items[step.id].deadline or opened
            ladder.append(
                (at if after is None else business_time.add(opened, after, calendar), rung)
            )
        ladder.sort(key=lambda pair: pair[0])
        every = self._duration(step.remind_every, step.remind_every_expr, env, step, "the reminder")
        if next_reminder is None and every:
            next_reminder = business_time.add(opened, every, calendar)
        while True:
            decided = human.outcome(self._items[step.id])
            if decided is not None:
                return decided
            if self._renew_due(step):
                await self._renew_at_open_step(step, next_reminder)  # returns if it may not
                continue
            item = self._items[step.id]
            upcoming = [t for t, _ in ladder[item.escalated :]] + (
                [next_reminder] if next_reminder else []
            )
            timeout = min(upcoming) - workflow.now() if upcoming else None
            with contextlib.suppress(TimeoutError):  # a timer is due: see below
                await workflow.wait_condition(
                    lambda: (
                        human.outcome(self._items[step.id]) is not None or self._renew_due(step)
                    ),
                    timeout=None if timeout is None else max(timeout, timedelta(0)),
                    timeout_summary=f"deadline of {step.title}",
                )
            now = workflow.now()
            item = self._items[step.id]
            while item.escalated < len(ladder) and ladder[item.escalated][0] <= now:
                await self._escalate(step, item, ladder[item.escalated][1])
                item = self._items[step.id]
            if next_reminder is not None and next_reminder <= now and human.outcome(item) is None:
                await self._remind(step, item)
                assert every is not None
                next_reminder = business_time.add(now, every, calendar)

    async def _escalate(
        self, step: ir.HumanStep, item: human.WorkItem, rung: ir.Escalation
    ) -> None:
        targets = tuple(f"{p.kind}:{p.name}" for p in rung.to)
        team = self._team or TeamSnapshot(version="none", people={})
        widened: set[str] = set(item.added)
        for target in targets:
            kind, _, name = target.partition(":")
            widened.update(team.with_role(name) if kind == "role" else [name])
        # The step stays open and waits on; whoever it was escalated to may now act.
        self._items[step.id] = item.model_copy(
            update={"escalated": item.escalated + 1, "added": tuple(sorted(widened))}
        )
        self._publish_items()
        await self._tell(
            step, list(targets), f"Escalated: '{step.title}' is past its deadline", item
        )

    async def _remind(self, step: ir.HumanStep, item: human.WorkItem) -> None:
        waiting = list(item.parties) + [f"person:{p}" for p in item.added]
        await self._tell(step, waiting, f"Reminder: '{step.title}' waits for you", item)

    async def _tell(
        self, step: ir.HumanStep, to: list[str], message: str, item: human.WorkItem
    ) -> None:
        """Send a reminder or escalation notice; one that cannot be delivered is recorded
        on the campaign's steps, and the step keeps waiting for its people."""
        with contextlib.suppress(ApplicationError):
            await self._send_notice(step, to, message, item)

    async def _send_notice(
        self, step: ir.HumanStep, to: list[str], message: str, item: human.WorkItem
    ) -> None:
        arguments: dict[str, Any] = {"to": to, "message": message, "step": step.title}
        if item.deadline is not None:
            arguments["deadline"] = item.deadline.isoformat()
        await self._activity(
            step_id=f"{step.id}.notice",
            title=message,
            action="notify.send",
            arguments=arguments,
            span=step.span,
            start_to_close=timedelta(minutes=5),
            retry=ir.RetryPolicy(),
            heartbeat=timedelta(seconds=30),
        )

    def _rounds_exhausted(self, step: ir.HumanStep, env: Env, source: str) -> None:
        limit = step.rounds
        assert limit is not None
        if limit.outcome == "jump" and limit.target:
            raise JumpTo(limit.target, f"'{step.title}' used its {limit.count} rounds", step.id)
        if limit.outcome == "continue":
            return
        message = limit.message
        if message is not None and not isinstance(message, str):
            message = display(self._eval(message, env, step.id))
        message = message or f"'{step.title}' did not converge in {limit.count} rounds"
        raise ApplicationError(f"{source}: {message}", type="RoundsExhausted", non_retryable=True)

    def accept(self, act: human.Act) -> str:
        """Apply an act the validator accepted; returns what happened, for the caller."""
        team = self._team or TeamSnapshot(version="none", people={})
        before = human.waiting_on(self._items.values())
        item = human.record(self._items[act.step], act, team, workflow.now())
        self._items[act.step] = item
        if workflow.patched("mops-one-upsert-per-decision"):
            self._update(open_items=tuple(self._items.values()))
            self._publish_decision(act, changed=human.waiting_on(self._items.values()) != before)
        else:
            self._publish_items()
            if act.action == "approve" and workflow.patched("mops-approvers-attribute"):
                sa.add_approver(act.actor)
        decided = human.outcome(item)
        if decided is None:
            waiting = item.needed - sum(1 for d in item.decisions if d.action == "approve")
            return f"recorded; '{item.title}' waits for {max(waiting, 0)} more"
        return f"'{item.title}' is {decided.replace('_', ' ')}"

    def _publish_decision(self, act: human.Act, *, changed: bool) -> None:
        """At most one search-attribute event per decision: whom the campaign waits
        for (when a delegation changed it) and who approved. Without our search
        attributes the memo lists only the open steps, which a decision leaves open."""
        if workflow.info().typed_search_attributes.get(sa.VERSION) is None:
            return
        changes: list[SearchAttributeUpdate[Any]] = []
        if changed:
            changes.append(sa.WAITING_ON.value_set(human.waiting_on(self._items.values())))
        if act.action == "approve" and (approver := sa.approver_update(act.actor)):
            changes.append(approver)
        if changes:
            workflow.upsert_search_attributes(changes)

    def judge(self, act: human.Act) -> str | None:
        team = self._team or TeamSnapshot(version="none", people={})
        return human.refusal(self._items.get(act.step), act, team, workflow.now())

    # ---- external events ---------------------------------------------------------------

    async def _wait_event(self, step: ir.EventStep, env: Env) -> None:
        process = self._require_process()
        key = display(self._eval(step.key, env, f"step '{step.id}'"))
        source = process.location(step.span)
        self._mark(step.id, f"Waiting for {step.event} ({key})", source)

        def arrived() -> ExternalEvent | None:
            return next((e for e in self._events if e.name == step.event and e.key == key), None)

        timeout = None
        if step.deadline is not None:
            timeout = (
                business_time.add(workflow.now(), step.deadline, process.calendar) - workflow.now()
            )
        try:
            await workflow.wait_condition(
                lambda: arrived() is not None,
                timeout=timeout,
                timeout_summary=f"{step.event} deadline",
            )
        except TimeoutError:
            self._end(step.id, "done")
            if step.on_timeout:
                raise JumpTo(
                    step.on_timeout, f"no {step.event} for {key} by the deadline", step.id
                ) from None
            return  # the deadline passed with no event: the campaign goes on
        event = arrived()
        assert event is not None
        # An event is used once; later ones with the same key wait for later steps.
        self._events.remove(event)
        if step.bind:
            env[step.bind] = from_plain_json(event.data)
        self._end(step.id, "done")

    # ---- sub-processes -----------------------------------------------------------------

    async def _call(self, step: ir.CallStep, env: Env, started_by: str) -> None:
        process = self._require_process()
        source = process.location(step.span)
        inputs = {
            name: to_json(self._eval(e, env, f"step '{step.id}'"))
            for name, e in step.arguments.items()
        }
        self._mark(step.id, f"Sub-process: {step.title}", source)
        runs = self._rounds[f"call:{step.id}"] = self._rounds.get(f"call:{step.id}", 0) + 1
        child = f"{workflow.info().workflow_id}.{step.id}.{runs}"
        self._name_child(step.id, child)
        try:
            result = await workflow.execute_child_workflow(
                step.process.name,
                CampaignStart(
                    process=step.process,
                    inputs=inputs,
                    started_by=started_by,
                    team=self._team,
                    history_limit=self._start.history_limit,
                ),
                id=child,
                search_attributes=_child_attributes(step.process),
                result_type=CampaignResult,
            )
        except ChildWorkflowError as error:
            cause = getattr(error.cause, "message", str(error.cause))
            self._end(step.id, "failed", cause)
            raise ApplicationError(
                f'step "{step.title}" ({source}) failed: {cause}',
                type="SubProcessFailed",
                non_retryable=True,
            ) from None
        env[step.id] = from_plain_json(CampaignResult.model_validate(result).outputs)
        self._end(step.id, "done")

    def _name_child(self, step_id: str, child: str) -> None:
        """Show the child campaign's id on the running ``call`` step (``mops status``)."""
        status = self._require_status()
        steps = list(status.steps)
        for i in range(len(steps) - 1, -1, -1):
            if steps[i].id == step_id and steps[i].state == "running":
                steps[i] = steps[i].model_copy(update={"campaign": child})
                break
        self._update(steps=tuple(steps))

    @staticmethod
    def _today() -> dt.date:
        return workflow.now().date()


def _child_attributes(process: ir.ProcessIR) -> TypedSearchAttributes | None:
    """A sub-process campaign's search attributes, so that its people steps show in
    ``mops tasks`` and events reach it (only where the parent has them)."""
    parent = workflow.info().typed_search_attributes
    if parent.get(sa.VERSION) is None:
        return None
    if workflow.patched("mops-child-exit-events"):
        events = sa.events_of(process)  # 'exit when event' too: an unsubscribe must reach it
    else:
        events = sorted(
            {s.event for s in ir.iter_steps(process.body) if isinstance(s, ir.EventStep)}
        )
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.VERSION, process.version),
        SearchAttributePair(sa.EVENTS, events),
    ]
    owner = parent.get(sa.OWNER)
    if owner is not None:
        pairs.append(SearchAttributePair(sa.OWNER, owner))
    return TypedSearchAttributes(pairs)
