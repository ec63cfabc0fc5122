"""Drive campaigns through scripted time on the time-skipping Temporal server.

Time moves in jumps from one moment that matters to the next: a campaign's
start, a scripted answer falling due, an event arriving, a timer of a campaign
firing (read from its history), or a failed task's next attempt. Between jumps
the driver waits until every campaign is idle (no workflow task, no action
running), so what it observes is what the campaign did at that moment. People
answer through the real ``act`` update, so the validators judge them as in
production.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import RetryPolicy
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from engine import ir
from engine.client import Credentials, Signer, act, operator, seal_start, signed_signal
from engine.contracts import Trust
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.campaign import (
    EVENT_SIGNAL,
    CampaignStart,
    CampaignStatus,
    ExternalEvent,
)
from engine.workflow.facts import TimerFact, TimerPurpose
from engine.workflow.provenance import TrustedKey
from engine.workflow.team import TeamSnapshot
from engine.workflow.work_items import Act, Action, WorkItem
from mops.scenarios._query import status_of
from workers import WORKFLOWS, Registry, build_worker, workflow_runner

_CLOSED_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}
_BUSY_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    # Each of these asks for a workflow task, which may not be scheduled yet.
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    EventType.EVENT_TYPE_TIMER_FIRED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
}
_GRACE = 0.5  # real seconds a campaign gets before it is called stuck
_SETTLE_POLL = 0.005  # real seconds between looks while a campaign is busy
_SETTLE_LIMIT = 30.0  # real seconds a campaign may stay busy before the driver goes on
_NUDGE = dt.timedelta(milliseconds=1)
_AFTER_TIMERS = dt.timedelta(seconds=1)
_SERVER_PATIENCE = 120.0  # real seconds one jump in time may take
_ACT_TRIES = 4
_ACT_WAIT = 3.0  # real seconds an update may take on the test server before it is resent


@dataclass(frozen=True)
class Answer:
    """What the people of one round of a human step do, and when."""

    action: Action
    people: tuple[str, ...]
    after: ir.Duration | None = None
    """Counted from when the step opened, in the process's calendar."""
    comment: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


Responder = Callable[[str, WorkItem], Answer | None]
"""``(campaign id, open work item) -> answer`` (None: nobody answers this round)."""


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign to run: what it starts with and how the world around it behaves."""

    campaign_id: str
    process: ir.ProcessIR
    inputs: dict[str, Any]
    start_at: dt.datetime
    responder: Responder
    team: TeamSnapshot | None = None
    events: tuple[tuple[ir.Duration, ExternalEvent], ...] = ()
    """Events with how long after the start they arrive."""


@dataclass
class HumanRound:
    """One round of a work item or approval, as it happened."""

    step: str
    round: int
    parties: tuple[str, ...]
    opened_at: dt.datetime
    deadline: dt.datetime | None
    closed_at: dt.datetime | None = None
    escalated: int = 0
    answered_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """A scripted answer the campaign turned down, and why."""

    person: str
    step: str
    reason: str

    def __str__(self) -> str:
        return f"{self.person} on '{self.step}': {self.reason}"


@dataclass
class CampaignRun:
    """What one campaign actually did."""

    plan: CampaignPlan
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    state: str = "not started"
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    rounds: list[HumanRound] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    stuck: str | None = None
    """Why the campaign could not go on (it waits for something nobody will do)."""


SCENARIO_OPERATOR = "scenario"
"""Who starts the campaigns of a scenario run, and asserts its people's decisions."""


def _scenario_keys(user: str = SCENARIO_OPERATOR) -> tuple[Credentials, Trust]:
    """A key for one scenario run (or simulation), held by the operator ``user``, and
    the trust its worker gives that key alone. The time-skipping server's clock runs
    ahead of the wall clock (a simulation's, too), so freshness is not checked there."""
    signer = Signer(Ed25519PrivateKey.generate(), f"operator:{user}")
    key = TrustedKey(
        holder=signer.holder,
        public=signer.public_b64,
        may=("start", "assert", "operate", "team", "events"),
    )
    return operator(signer, user), Trust(keys={signer.key_id: key}, fresh_for=None)


class _Live:
    def __init__(self, plan: CampaignPlan, client: Client, credentials: Credentials) -> None:
        self.plan = plan
        self.run = CampaignRun(plan)
        self.client = client
        self.credentials = credentials
        self.handle: WorkflowHandle[Any, Any] | None = None
        self.due: list[tuple[dt.datetime, str, Answer]] = []
        # Like answers, events arrive just after the campaign's own timers of the
        # same moment: a reminder sent at that instant would otherwise be cancelled
        # while scheduled, which the test server cannot do (docs/scenarios.md).
        self.events = [
            (business_time.add(plan.start_at, after, plan.process.calendar) + _AFTER_TIMERS, event)
            for after, event in plan.events
        ]
        self.open: dict[tuple[str, int], HumanRound] = {}
        self.ladders = {
            s.id: len(s.escalations)
            for s in ir.iter_steps(plan.process.body)
            if isinstance(s, ir.HumanStep)
        }
        self.done = False
        self.wake: dt.datetime | None = None
        """When something next happens to it (None: look now)."""

    def awake(self, now: dt.datetime) -> bool:
        return self.wake is None or self.wake <= now


class Driver:
    """Runs campaigns concurrently in one time-skipping environment."""

    def __init__(self, env: WorkflowEnvironment, registry: Registry, *, secrets: Any = None):
        self.env = env
        self.registry = registry
        self.secrets = secrets

    async def run(self, plans: Sequence[CampaignPlan], *, task_queue: str) -> list[CampaignRun]:
        client = self.env.client
        credentials, trust = _scenario_keys()
        worker = build_worker(
            client,
            task_queue=task_queue,
            registry=self.registry,
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(),
            secrets=self.secrets,
            graceful_shutdown_timeout=dt.timedelta(seconds=1),
            patient=True,
            trust=trust,
        )
        lives = [_Live(plan, client, credentials) for plan in plans]
        async with worker:
            await self._loop(lives, task_queue)
        return [live.run for live in lives]

    async def _loop(self, lives: list[_Live], task_queue: str) -> None:
        while True:
            now = await self.env.get_current_time()
            # Campaigns are independent: only those whose moment has come can change.
            awake = [live for live in lives if live.handle and not live.done and live.awake(now)]
            await _settle(awake)
            now = await self.env.get_current_time()
            moved = False
            for live in lives:
                if live.done:
                    continue
                if live.handle is None:
                    if live.plan.start_at <= now:
                        await _start(live, task_queue, now)
                        moved = True
                    continue
                if not live.awake(now):
                    continue
                if await _step(live, now):
                    live.wake = None
                    moved = True
                elif not live.done:
                    own = await _next_moments(live)
                    if not own:
                        # On a busy machine the campaign may still be taking in what
                        # was just sent to it: look once more before calling it stuck.
                        await asyncio.sleep(_GRACE)
                        await _settle([live])
                        if await _step(live, now) or live.done:
                            continue
                        own = await _next_moments(live)
                    if not own:  # nothing will ever happen to it again
                        await _give_up(live, now)
                    else:
                        live.wake = min(own)
            if moved:
                continue
            moments = [live.wake for live in lives if live.wake and not live.done]
            moments += [live.plan.start_at for live in lives if live.handle is None]
            if not moments:
                return
            # A moment already passed is a timer the server is about to fire.
            step = max(min(moments) - now, _NUDGE)
            try:
                await asyncio.wait_for(self.env.sleep(step), _SERVER_PATIENCE)
            except TimeoutError:
                raise UserError(
                    "the time-skipping test server stopped moving time on; "
                    "run 'mops test' again, and report it if it happens twice"
                ) from None


async def _start(live: _Live, task_queue: str, now: dt.datetime) -> None:
    plan = live.plan
    start = CampaignStart(
        process=plan.process, inputs=plan.inputs, started_by=SCENARIO_OPERATOR, team=plan.team
    )
    live.handle = await live.client.start_workflow(
        plan.process.name,
        args=[start, seal_start(start, plan.campaign_id, live.credentials)],
        id=plan.campaign_id,
        task_queue=task_queue,
    )
    live.run.started_at = now
    live.run.state = "running"


async def _step(live: _Live, now: dt.datetime) -> bool:
    """Observe a campaign and do what is due; True if anything was done."""
    assert live.handle is not None
    handle = live.client.get_workflow_handle(live.plan.campaign_id)
    described = await handle.describe()
    status: CampaignStatus = await status_of(handle)
    _observe(live, status, now)
    if described.status != WorkflowExecutionStatus.RUNNING:
        _finish(live, status, described.status, described.close_time or now)
        return False
    moved = False
    for at, event in list(live.events):
        if at <= now:
            live.events.remove((at, event))
            await signed_signal(
                live.client, handle.id, EVENT_SIGNAL, event, credentials=live.credentials
            )
            moved = True
    for entry in sorted(live.due, key=lambda e: e[0]):
        at, step, answer = entry
        if at > now:
            continue
        live.due.remove(entry)
        await _answer(live, step, answer, now)
        moved = True
    return moved


def _observe(live: _Live, status: CampaignStatus, now: dt.datetime) -> None:
    live.run.path = [s.id for s in status.steps]
    seen: set[tuple[str, int]] = set()
    for item in status.open_items:
        key = (item.step, item.round)
        seen.add(key)
        known = live.open.get(key)
        if known is None:
            known = HumanRound(item.step, item.round, _parties(item), item.opened_at, item.deadline)
            live.open[key] = known
            live.run.rounds.append(known)
            answer = live.plan.responder(live.plan.campaign_id, item)
            if answer is not None:
                at = item.opened_at
                if answer.after is not None:
                    # Counted in the step's own calendar, where it has one.
                    calendar = (live.plan.process.calendars or {}).get(item.calendar or "")
                    calendar = calendar or live.plan.process.calendar
                    at = business_time.add(at, answer.after, calendar)
                    # The step's own timers (deadline, reminders) fall on the same
                    # moments; a person answering at that very instant is late in the
                    # engine's eyes too, and the test server can lose an update that
                    # meets a firing timer. So people answer just after it.
                    at += _AFTER_TIMERS
                live.due.append((at, item.step, answer))
        known.escalated = item.escalated
        known.parties = _parties(item)
    for key, known in list(live.open.items()):
        if key not in seen:
            known.closed_at = _closed_at(status, known) or now
            del live.open[key]
            live.due = [d for d in live.due if d[1] != known.step]


def _parties(item: WorkItem) -> tuple[str, ...]:
    return (*item.parties, *(f"person:{p}" for p in item.added))


def _closed_at(status: CampaignStatus, known: HumanRound) -> dt.datetime | None:
    ends = [s.ended_at for s in status.steps if s.id == known.step and s.ended_at is not None]
    ends = [e for e in ends if e >= known.opened_at]
    return min(ends) if ends else None


async def _answer(live: _Live, step: str, answer: Answer, now: dt.datetime) -> None:
    for person in answer.people:
        decision = Act(
            step=step,
            actor=person,
            action=answer.action,
            comment=answer.comment,
            outputs=answer.outputs,
        )
        try:
            await _act_once(live, decision)
        except UserError as refused:
            reason = str(refused).removeprefix("refused: ")
            live.run.refusals.append(Refusal(person, step, reason))
            continue
        for known in live.run.rounds:
            if known.step == step and known.closed_at is None:
                known.answered_by.append(person)


async def _act_once(live: _Live, decision: Act) -> None:
    """Send a decision through the real update, once.

    The test server now and then drops an update that meets a timer firing at
    the same moment; then the decision is sent again, unless the campaign shows
    it was taken after all.
    """
    as_person = live.credentials.asserting(decision.actor)
    for _ in range(_ACT_TRIES - 1):
        try:
            sent = act(live.client, live.plan.campaign_id, decision, credentials=as_person)
            await asyncio.wait_for(sent, _ACT_WAIT)
            return
        except TimeoutError:
            await _settle([live])
            handle = live.client.get_workflow_handle(live.plan.campaign_id)
            status: CampaignStatus = await status_of(handle)
            item = next((i for i in status.open_items if i.step == decision.step), None)
            if item is None or any(d.actor == decision.actor for d in item.decisions):
                return
    await act(live.client, live.plan.campaign_id, decision, credentials=as_person)


def _finish(
    live: _Live, status: CampaignStatus, state: WorkflowExecutionStatus | None, closed: dt.datetime
) -> None:
    live.done = True
    live.run.ended_at = closed
    live.run.outputs = dict(status.outputs)
    live.run.error = status.error
    names = {
        WorkflowExecutionStatus.COMPLETED: "completed",
        WorkflowExecutionStatus.FAILED: "failed",
        WorkflowExecutionStatus.CANCELED: "cancelled",
        WorkflowExecutionStatus.TERMINATED: "terminated",
        WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    }
    live.run.state = names.get(state, "completed") if state is not None else "completed"
    if live.run.state == "completed" and status.state == "cancelled":
        live.run.state = "cancelled"
    for known in live.open.values():
        known.closed_at = known.closed_at or closed


async def _next_moments(live: _Live) -> list[dt.datetime]:
    """When something will next happen to a campaign without anyone acting."""
    if live.handle is None:
        return [live.plan.start_at]
    moments = [at for at, _, _ in live.due] + [at for at, _ in live.events]
    # Once every open step has climbed its whole escalation ladder and nobody is
    # scripted to answer, its timers only remind: they change nothing.
    only_reminders = not live.due and all(
        known.escalated >= live.ladders.get(known.step, 0) for known in live.open.values()
    )
    handle = live.client.get_workflow_handle(live.plan.campaign_id)
    started: dict[int, dt.datetime] = {}
    retries: dict[str, RetryPolicy] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs = event.timer_started_event_attributes
            fire = event.event_time.ToDatetime(tzinfo=dt.UTC)
            fire += attrs.start_to_fire_timeout.ToTimedelta()
            if not (only_reminders and _for_people(event)):
                started[event.event_id] = fire
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            started.pop(event.timer_fired_event_attributes.started_event_id, None)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            started.pop(event.timer_canceled_event_attributes.started_event_id, None)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            retries[scheduled.activity_id] = scheduled.retry_policy
    moments.extend(started.values())
    described = await handle.describe()
    for pending in described.raw_description.pending_activities:
        if pending.HasField("next_attempt_schedule_time"):
            moments.append(pending.next_attempt_schedule_time.ToDatetime(tzinfo=dt.UTC))
        elif _between_attempts(pending) and pending.activity_id in retries:
            moments.append(_next_attempt(pending, retries[pending.activity_id]))
    return moments


def _for_people(event: HistoryEvent) -> bool:
    """Whether a timer is a work item's or approval's (deadline, reminder, escalation)."""
    fact = TimerFact.from_summary(_summary(event))
    return fact is not None and fact.purpose is TimerPurpose.PEOPLE


def _summary(event: HistoryEvent) -> str:
    if not event.user_metadata.HasField("summary"):
        return ""
    text: str = pydantic_data_converter.payload_converter.from_payload(
        event.user_metadata.summary, str
    )
    return text


def _between_attempts(pending: PendingActivityInfo) -> bool:
    """An attempt failed and the next has not started: the task waits out its backoff.

    The test server reports such a task as started, with the failed attempt's end
    after its start (and no next attempt time, which a full server gives).
    """
    if pending.HasField("next_attempt_schedule_time"):
        return True
    if not pending.HasField("last_attempt_complete_time"):
        return False
    ended = pending.last_attempt_complete_time.ToDatetime()
    return not pending.HasField("last_started_time") or ended >= (
        pending.last_started_time.ToDatetime()
    )


def _next_attempt(pending: PendingActivityInfo, policy: RetryPolicy) -> dt.datetime:
    """When the next attempt starts: the failed one's end plus the policy's backoff."""
    initial = policy.initial_interval.ToTimedelta() or dt.timedelta(seconds=1)
    coefficient = policy.backoff_coefficient or 2.0
    delay = initial * coefficient ** max(pending.attempt - 2, 0)
    if policy.HasField("maximum_interval") and policy.maximum_interval.ToTimedelta():
        delay = min(delay, policy.maximum_interval.ToTimedelta())
    return pending.last_attempt_complete_time.ToDatetime(tzinfo=dt.UTC) + delay


async def _give_up(live: _Live, now: dt.datetime) -> None:
    """Nothing will ever happen to this campaign again: say what it waits for, and end it."""
    waiting = [f"'{r.step}'" for r in live.open.values()]
    live.run.stuck = (
        f"waits for an answer at {', '.join(waiting)} that the scenario does not give"
        if waiting
        else "waits for something the scenario never provides (an event?)"
    )
    live.run.state = "waiting"
    live.run.ended_at = now
    live.done = True
    handle = live.client.get_workflow_handle(live.plan.campaign_id)
    with contextlib.suppress(RPCError):
        await handle.terminate(reason="scenario: nothing more will happen")


async def _settle(lives: Sequence[_Live]) -> None:
    """Wait (real time, briefly) until no campaign has work in flight.

    Bounded by the clock, not by a count of looks: on a loaded machine each look (a
    history read) takes long, and 4,000 of them once held a scenario for ten minutes.
    """
    until = time.monotonic() + _SETTLE_LIMIT
    while time.monotonic() < until:
        busy = False
        for live in lives:
            if await _busy(live):
                busy = True
                break
        if not busy:
            return
        await asyncio.sleep(_SETTLE_POLL)


async def _busy(live: _Live) -> bool:
    """Whether a campaign has a workflow task or an action attempt in flight.

    The history is read first: if it shows nothing in flight, nothing can start
    until a timer fires or someone acts. Tasks it shows as open are then looked
    up: one that has closed since, or is running, means busy.
    """
    handle = live.client.get_workflow_handle(live.plan.campaign_id)
    last = None
    open_tasks: set[int] = set()
    async for event in handle.fetch_history_events():
        last = event.event_type
        if last == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            open_tasks.add(event.event_id)
        elif event.HasField("activity_task_completed_event_attributes"):
            open_tasks.discard(event.activity_task_completed_event_attributes.scheduled_event_id)
        elif event.HasField("activity_task_failed_event_attributes"):
            open_tasks.discard(event.activity_task_failed_event_attributes.scheduled_event_id)
        elif event.HasField("activity_task_timed_out_event_attributes"):
            open_tasks.discard(event.activity_task_timed_out_event_attributes.scheduled_event_id)
        elif event.HasField("activity_task_canceled_event_attributes"):
            open_tasks.discard(event.activity_task_canceled_event_attributes.scheduled_event_id)
        elif last in _CLOSED_EVENTS:
            return False
    if last in _BUSY_EVENTS:
        return True
    if not open_tasks:
        return False
    described = await handle.describe()
    pending = described.raw_description.pending_activities
    if len(pending) < len(open_tasks):
        return True  # one closed since: the campaign moves on
    return any(not _between_attempts(p) for p in pending)
