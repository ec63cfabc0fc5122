"""A cohort of campaigns on one time-skipping server, driven by what they do.

The scenario driver (:mod:`mops.scenarios._drive`, used by ``mops test``)
looks at each campaign after each jump in time, on a server of its own. A
cohort of a thousand cannot afford either. Here the real interpreter runs
every campaign on one server, in one worker, and the driver never polls:

- each activation's commands are read as the worker produces them
  (:mod:`mops.scenarios._watch`): a work item or approval opening (the typed
  ``StepOpened`` fact), a wait for an event beginning (a ``TimerFact``), the
  campaign completing or failing;
- what the simulated world does in reply (a person's answer, an event) goes on
  an agenda with its moment;
- the driver lets the server's clock run to the agenda's next moment and no
  further — an "alarm": the test server's sleep, which unlocks time skipping
  and locks it again when the moment comes — then gives the answers due (the
  real ``act`` update) and sends the events due, while the clock stands;
- an opening whose answer falls due before the next alarm locks the clock at
  once, from the worker's thread while the campaign's workflow task is still
  open, so the server cannot run past it; the driver then sets an alarm for it.

A campaign that waits for an answer nobody will give (its ladder of
escalations climbed, nobody left to answer, no event to come) is ended at its
next reminder and reported as stuck, with the step it waits at; one still
running at the horizon is ended and reported the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import heapq
import itertools
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from temporalio.api.failure.v1 import Failure
from temporalio.api.testservice.v1 import (
    LockTimeSkippingRequest,
    SleepRequest,
    UnlockTimeSkippingRequest,
)
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner

from engine import ir
from engine.client import act, seal_start, signed_signal
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.campaign import (
    EVENT_SIGNAL,
    CampaignResult,
    CampaignStart,
    CampaignStatus,
    ExternalEvent,
)
from engine.workflow.facts import (
    OPENED_MEMO,
    Decided,
    NoticeKind,
    StepOpened,
    TimerFact,
    TimerPurpose,
)
from engine.workflow.provenance import trusting
from engine.workflow.team import TeamSnapshot
from engine.workflow.work_items import Act, Action, eligible_people
from mops.scenarios._drive import CampaignPlan, CampaignRun, HumanRound, Refusal, _scenario_keys
from mops.scenarios._model import rng_for
from mops.scenarios._query import status_of
from mops.scenarios._stand_ins import AnySecret, ScriptBook
from mops.scenarios._watch import WatchingRunner, commands
from workers import WORKFLOWS, Registry, workflow_runner

_CONVERTER = pydantic_data_converter.payload_converter
_AFTER_TIMERS = dt.timedelta(milliseconds=100)
"""People and events come just after the campaign's own timers of the same moment."""
_ACT_WAIT = 5.0  # real seconds an update may take before it is looked into
_ACT_TRIES = 4
_STALL = 3.0  # real seconds of a clock crawling, with nothing happening, before it is freed
_THREADS = 4  # the worker's threads for workflow tasks
_OFF_GRID = dt.timedelta(milliseconds=400)
_BLOCK = 30.0  # real seconds the worker's thread waits for the clock to be locked
_FOREVER = dt.timedelta(hours=6)  # an alarm's call waits this long (real time) at most
_AT_ONCE = 64  # RPCs in flight at once when starting or closing many campaigns
SIMULATION_OPERATOR = "simulation"
"""Who starts the campaigns of a simulation, and asserts its simulated people's decisions."""
_CLOSED = {
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


@dataclass(frozen=True)
class PlannedAnswer:
    """One person's answer to a round of a work item or approval."""

    action: Action
    """approve, reject, request_changes, complete."""
    after: ir.Duration
    """Business time after the step opened, in the process's calendar."""
    person: str | None = None
    """None: anyone who may act and has not yet, chosen when the answer is due."""
    comment: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DueAnswer:
    """One person's answer to one round of a work item or approval, and when it is due."""

    campaign: str
    step: str
    round: int
    pick: int
    """Which of the round's answers this is (to choose a different person for each)."""
    answer: PlannedAnswer


@dataclass(frozen=True)
class DueEvent:
    campaign: str
    event: ExternalEvent


class World(Protocol):
    """How the people and the outside world behave, asked as things happen."""

    def answers(self, campaign: str, opened: StepOpened, step: ir.HumanStep) -> list[PlannedAnswer]:
        """The answers a round of a human step gets (none: nobody answers it)."""
        ...

    def events_on_wait(
        self, campaign: str, step: ir.EventStep, at: dt.datetime
    ) -> list[tuple[dt.datetime, ExternalEvent]]:
        """The events that arrive for a ``wait for event`` step the campaign now waits at."""
        ...


@dataclass
class _Campaign:
    plan: CampaignPlan
    run: CampaignRun
    steps: dict[str, ir.AnyStep]
    ladders: dict[str, int]
    pending: dict[tuple[str, int], int] = field(default_factory=dict)
    """Answers on the agenda, per (step, round)."""
    open: dict[tuple[str, int], HumanRound] = field(default_factory=dict)
    waits_seen: set[str] = field(default_factory=set)
    events_until: dt.datetime | None = None
    """When the last event on its way to it arrives."""
    closing: bool = False
    done: bool = False
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)


class Cohort:
    """Runs campaigns side by side on one time-skipping server (see the module)."""

    def __init__(
        self,
        stand_ins: Registry,
        book: ScriptBook,
        world: World,
        *,
        seed: int = 1,
        sandboxed: bool = False,
        resolution: dt.timedelta = dt.timedelta(0),
    ) -> None:
        self.stand_ins = stand_ins
        self.book = book
        self.world = world
        self.seed = seed
        self.sandboxed = sandboxed
        self.resolution = resolution
        """People answer and events arrive on this grid of moments (0: to the second)."""
        self.origin: dt.datetime | None = None
        self.campaigns: dict[str, _Campaign] = {}
        self.client: Client | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.all_done = asyncio.Event()
        self.changed = asyncio.Event()
        self.tasks: set[asyncio.Task[Any]] = set()
        # The agenda and the clock's locks are shared with the worker's workflow thread.
        self.guard = threading.Lock()
        self.agenda: list[tuple[dt.datetime, int, DueAnswer | DueEvent]] = []
        self.numbering = itertools.count()
        self.next_alarm: dt.datetime | None = None
        self.locks = 1
        """Locks on the server's clock that the driver must release for time to run:
        the one it is created with, each alarm that rang, each opening that locked it."""
        self.activations = 0
        """Workflow tasks of the campaigns seen so far (to tell a stalled clock)."""
        self.unstalled = 0
        """Locks released that the test server kept for decisions it lost."""
        self.credentials, self.trust = _scenario_keys(SIMULATION_OPERATOR)
        """A key of this simulation's own: it signs the starts, asserts the decisions and
        sends the events, and the campaigns trust it alone (as ``mops test`` does)."""
        book.on_notice = self._notice

    async def run(
        self, env: WorkflowEnvironment, plans: Sequence[CampaignPlan], *, horizon: dt.timedelta
    ) -> list[CampaignRun]:
        """Run every plan (they all start at the first plan's moment) until all end."""
        self.client, self.loop = env.client, asyncio.get_running_loop()
        for plan in plans:
            steps = {s.id: s for s in ir.iter_steps(plan.process.body)}
            ladders = {
                i: len(s.escalations) for i, s in steps.items() if isinstance(s, ir.HumanStep)
            }
            self.campaigns[plan.campaign_id] = _Campaign(plan, CampaignRun(plan), steps, ladders)
        queue = f"cohort-{uuid.uuid4()}"
        inner: WorkflowRunner = workflow_runner() if self.sandboxed else UnsandboxedWorkflowRunner()
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=_THREADS)
        worker = Worker(
            self.client,
            task_queue=queue,
            activities=self.stand_ins.activities(secrets=AnySecret(env={})),
            workflows=WORKFLOWS,
            workflow_runner=WatchingRunner(inner, self._observe),
            max_cached_workflows=len(plans) + 16,
            max_concurrent_activities=200,
            graceful_shutdown_timeout=dt.timedelta(seconds=1),
            # Named, so the worker does not hash every loaded module to make one up.
            build_id="mops-simulation",
            # Activations are short: a few threads keep the GIL from being fought over.
            workflow_task_executor=executor,
        )
        with trusting(queue, self.trust):
            await self._run_worker(env, worker, plans, queue, horizon)
        executor.shutdown(wait=False)
        return [c.run for c in self.campaigns.values()]

    async def _run_worker(
        self,
        env: WorkflowEnvironment,
        worker: Worker,
        plans: Sequence[CampaignPlan],
        queue: str,
        horizon: dt.timedelta,
    ) -> None:
        async with worker:
            start = min((p.start_at for p in plans), default=dt.datetime.now(dt.UTC))
            now = await env.get_current_time()
            if start > now:
                await env.sleep(start - now)
            start = await env.get_current_time()
            self.origin = start + _AFTER_TIMERS
            await _gather(self._start(c, queue, start) for c in self.campaigns.values())
            self._check_all_done()
            await self._drive(env, start + horizon)
            if not self.all_done.is_set():
                at = await env.get_current_time()
                await _gather(
                    self._at_horizon(c, at, horizon) for c in self.campaigns.values() if not c.done
                )
            for task in list(self.tasks):
                task.cancel()

    # ---- the clock -------------------------------------------------------------------

    async def _drive(self, env: WorkflowEnvironment, end: dt.datetime) -> None:
        """Let time run from one moment on the agenda to the next, until all end or ``end``."""
        alarms: dict[dt.datetime, asyncio.Task[Any]] = {}
        done = asyncio.ensure_future(self.all_done.wait())
        try:
            while not self.all_done.is_set():
                now = await env.get_current_time()
                await self._deliver(now)
                with self.guard:
                    target = min(self.agenda[0][0] if self.agenda else end, end)
                    if target <= now and target < end:
                        continue  # given meanwhile: deliver it too
                    self.next_alarm = target
                    release = self.locks
                    self.locks = 0
                    self.changed.clear()
                if now >= end:
                    return
                if target not in alarms:
                    alarms[target] = asyncio.ensure_future(self._alarm(env, target - now))
                    release -= 1  # the alarm unlocks once
                for _ in range(release):
                    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
                changed = asyncio.ensure_future(self.changed.wait())
                waiting = {done, changed, *alarms.values()}
                while True:
                    seen, looked = self.activations, time.monotonic()
                    clock = await env.get_current_time()
                    finished, _ = await asyncio.wait(
                        waiting, timeout=_STALL, return_when=asyncio.FIRST_COMPLETED
                    )
                    if finished:
                        break
                    await self._unstall(env, seen, looked, clock)
                changed.cancel()
                for moment, alarm in list(alarms.items()):
                    if alarm in finished:
                        del alarms[moment]
                        alarm.result()  # an alarm that failed leaves the clock unknown: stop
                        with self.guard:
                            self.locks += 1  # the alarm rang: the clock stands again
        finally:
            done.cancel()
            for alarm in alarms.values():
                alarm.cancel()

    async def _unstall(
        self, env: WorkflowEnvironment, seen: int, looked: float, clock: dt.datetime
    ) -> None:
        """The clock crawls at the pace of real time and no campaign did anything: the
        test server keeps a lock for a decision it lost (see ``_act_once``). Release it."""
        with self.guard:
            ours = self.locks
        moved = (await env.get_current_time() - clock).total_seconds()
        if ours == 0 and self.activations == seen and moved < 2 * (time.monotonic() - looked):
            with contextlib.suppress(RPCError):
                await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
                self.unstalled += 1

    async def _alarm(self, env: WorkflowEnvironment, length: dt.timedelta) -> None:
        """Unlock the clock, and come back when it has run ``length`` (then it stands)."""
        request = SleepRequest()
        request.duration.FromTimedelta(max(length, dt.timedelta(milliseconds=1)))
        await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=_FOREVER)

    def _plan(self, at: dt.datetime, due: DueAnswer | DueEvent) -> None:
        """Put something on the agenda (any thread); stop the clock if it would run past it.

        Moments are rounded up to the cohort's resolution, so that a thousand
        campaigns share a few hundred moments rather than thousands: each moment
        costs a stop of the server's clock.
        """
        if self.resolution and self.origin is not None:
            slot = -(-(at - self.origin) // self.resolution)
            # Each slot a few milliseconds off the grid, differently: the steps that
            # open at one slot set their deadlines and reminders on the grid of that
            # slot, and the test server can lose a decision that meets a timer firing
            # at the same instant (docs/scenarios.md).
            off = min(self.resolution / 4, _OFF_GRID) * ((slot * 7919 % 997) / 997)
            at = self.origin + slot * self.resolution + off
        with self.guard:
            heapq.heappush(self.agenda, (at, next(self.numbering), due))
            early = self.next_alarm is not None and at < self.next_alarm and self.locks == 0
            if early:
                self.next_alarm = at
        if early and self._on_loop():
            self._track(self._lock_clock())
        elif early:
            # On the worker's thread, the campaign's workflow task still open: the
            # clock cannot run past ``at`` before this lock is on it. The driver
            # counts the lock only once the server has it, so it never unlocks first.
            assert self.loop is not None
            asyncio.run_coroutine_threadsafe(self._lock_clock(), self.loop).result(_BLOCK)

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    async def _lock_clock(self) -> None:
        assert self.client is not None
        await self.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
        with self.guard:
            self.locks += 1
        self.changed.set()

    async def _deliver(self, now: dt.datetime) -> None:
        """Give every answer and send every event that is due, while the clock stands."""
        due: list[DueAnswer | DueEvent] = []
        with self.guard:
            while self.agenda and self.agenda[0][0] <= now:
                due.append(heapq.heappop(self.agenda)[2])
        answers = [d for d in due if isinstance(d, DueAnswer)]
        events = [d for d in due if isinstance(d, DueEvent)]
        await _gather(self._send(d) for d in events)
        await _gather(self._give(d, now) for d in answers)

    # ---- starting and ending ---------------------------------------------------------

    async def _start(self, campaign: _Campaign, queue: str, at: dt.datetime) -> None:
        assert self.client is not None
        plan = campaign.plan
        start = self._campaign_start(plan)
        await self.client.start_workflow(
            plan.process.name,
            args=[start, seal_start(start, plan.campaign_id, self.credentials)],
            id=plan.campaign_id,
            task_queue=queue,
        )
        campaign.run.started_at = at
        campaign.run.state = "running"
        for after, event in plan.events:
            moment = business_time.add(at, after, plan.process.calendar) + _AFTER_TIMERS
            self._expect_event(campaign, moment, event)

    def _campaign_start(self, plan: CampaignPlan) -> CampaignStart:
        """What a campaign starts with, in the name of the simulation's operator."""
        who = self.credentials.principal
        return CampaignStart(
            process=plan.process, inputs=plan.inputs, started_by=who, team=plan.team
        )

    def _expect_event(self, campaign: _Campaign, at: dt.datetime, event: ExternalEvent) -> None:
        campaign.events_until = max(at, campaign.events_until or at)
        self._plan(at, DueEvent(campaign.plan.campaign_id, event))

    async def _send(self, due: DueEvent) -> None:
        assert self.client is not None
        if self.campaigns[due.campaign].done:
            return
        with contextlib.suppress(RPCError):
            await signed_signal(
                self.client, due.campaign, EVENT_SIGNAL, due.event, credentials=self.credentials
            )

    def _finish(self, campaign: _Campaign, state: str, at: dt.datetime) -> None:
        if campaign.done:
            return
        campaign.done = True
        run = campaign.run
        run.state, run.ended_at = state, at
        run.error = campaign.error if state != "completed" else None
        run.outputs = campaign.outputs
        for known in campaign.open.values():
            known.closed_at = known.closed_at or at
        self._check_all_done()

    def _check_all_done(self) -> None:
        if all(c.done for c in self.campaigns.values()):
            self.all_done.set()

    async def _confirm_closed(self, campaign: _Campaign) -> None:
        """The campaign sent its last command: wait until the server agrees it ended."""
        assert self.client is not None
        handle = self.client.get_workflow_handle(campaign.plan.campaign_id)
        pause = 0.005
        for _ in range(60):
            described = await handle.describe()
            if described.status in _CLOSED:
                self._finish(campaign, _CLOSED[described.status], described.close_time or _now())
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)
        campaign.closing = False  # the server did not take the completion: it goes on

    async def _give_up(self, campaign: _Campaign, at: dt.datetime, why: str) -> None:
        """Nothing more will happen to this campaign: say what it waits for, and end it."""
        if campaign.done:
            return
        campaign.run.stuck = why
        self._finish(campaign, "waiting", at)
        await self._terminate(campaign.plan.campaign_id, why)

    async def _terminate(self, campaign: str, why: str) -> None:
        assert self.client is not None
        with contextlib.suppress(RPCError):
            await self.client.get_workflow_handle(campaign).terminate(reason=f"simulation: {why}")

    async def _status(self, campaign: str) -> CampaignStatus:
        assert self.client is not None
        handle = self.client.get_workflow_handle(campaign)
        status: CampaignStatus = await status_of(handle)
        return status

    async def _at_horizon(
        self, campaign: _Campaign, at: dt.datetime, horizon: dt.timedelta
    ) -> None:
        days = horizon.days
        try:
            status = await self._status(campaign.plan.campaign_id)
        except Exception:
            await self._give_up(campaign, at, f"still running after {days} days")
            return
        if status.open_items:
            steps = ", ".join(f"'{i.step}'" for i in status.open_items)
            why = f"still waits at {steps} after {days} days"
        else:
            why = f"still running at '{status.current_step}' after {days} days"
        await self._give_up(campaign, at, why)

    # ---- what the campaigns do (on the worker's workflow thread) --------------------

    def _observe(
        self, workflow_id: str, at: dt.datetime, done: WorkflowActivationCompletion
    ) -> None:
        self.activations += 1
        campaign = self.campaigns.get(workflow_id)
        if campaign is None or campaign.done:
            return
        if done.HasField("failed"):
            why = f"the campaign's workflow task failed: {done.failed.failure.message}"
            self._call(self._give_up(campaign, at, why))
            return
        for command in commands(done):
            if command.HasField("modify_workflow_properties"):
                fields = command.modify_workflow_properties.upserted_memo.fields
                if OPENED_MEMO in fields:
                    fact = StepOpened.model_validate(_CONVERTER.from_payload(fields[OPENED_MEMO]))
                    self._opened(campaign, fact, at)
            elif command.HasField("start_timer") and command.user_metadata.HasField("summary"):
                summary = _CONVERTER.from_payload(command.user_metadata.summary, str)
                timer = TimerFact.from_summary(summary)
                if timer is not None and timer.purpose is TimerPurpose.EVENT:
                    self._waiting_for_event(campaign, timer.step, at)
            elif command.HasField("complete_workflow_execution"):
                payload = command.complete_workflow_execution.result
                with contextlib.suppress(Exception):
                    campaign.outputs = _CONVERTER.from_payload(payload, CampaignResult).outputs
                self._closing(campaign)
            elif command.HasField("fail_workflow_execution"):
                campaign.error = _failure_message(command.fail_workflow_execution.failure)
                self._closing(campaign)
            elif command.HasField("cancel_workflow_execution"):
                self._closing(campaign)

    def _closing(self, campaign: _Campaign) -> None:
        if not campaign.closing:
            campaign.closing = True
            self._call(self._confirm_closed(campaign))

    def _call(self, work: Any) -> None:
        """Run ``work`` on the event loop (from any thread)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self._track, work)

    def _track(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _opened(self, campaign: _Campaign, fact: StepOpened, at: dt.datetime) -> None:
        key = (fact.step, fact.round)
        with self.guard:
            if any(r.step == fact.step and r.round == fact.round for r in campaign.run.rounds):
                return  # seen already (a workflow task that ran again)
            known = HumanRound(fact.step, fact.round, fact.parties, at, fact.deadline)
            campaign.open[key] = known
            campaign.run.rounds.append(known)
        step = campaign.steps.get(fact.step)
        if not isinstance(step, ir.HumanStep):
            return
        plan = campaign.plan
        answers = self.world.answers(plan.campaign_id, fact, step)
        campaign.pending[key] = len(answers)
        for pick, answer in enumerate(answers):
            due = business_time.add(at, answer.after, plan.process.calendar) + _AFTER_TIMERS
            self._plan(due, DueAnswer(plan.campaign_id, fact.step, fact.round, pick, answer))

    def _waiting_for_event(self, campaign: _Campaign, step_id: str, at: dt.datetime) -> None:
        if step_id in campaign.waits_seen:
            return
        campaign.waits_seen.add(step_id)
        step = campaign.steps.get(step_id)
        if not isinstance(step, ir.EventStep):
            return
        for moment, event in self.world.events_on_wait(campaign.plan.campaign_id, step, at):
            self._expect_event(campaign, moment + _AFTER_TIMERS, event)

    # ---- the world's part (on the event loop, the clock standing) -------------------

    async def _give(self, due: DueAnswer, now: dt.datetime) -> None:
        """A person's answer falls due."""
        campaign = self.campaigns[due.campaign]
        key = (due.step, due.round)
        try:
            if not campaign.done:
                await self._answer(campaign, due, now)
        finally:
            campaign.pending[key] = campaign.pending.get(key, 1) - 1

    async def _answer(self, campaign: _Campaign, due: DueAnswer, now: dt.datetime) -> None:
        planned = due.answer
        person = planned.person
        if person is None:
            status = await self._status(due.campaign)
            item = next(
                (i for i in status.open_items if i.step == due.step and i.round == due.round), None
            )
            if item is None:
                return  # decided or gone meanwhile
            team = campaign.plan.team or TeamSnapshot(version="none", people={})
            taken = {d.actor for d in item.decisions}
            free = sorted(eligible_people(item, team) - set(item.barred) - taken)
            if not free:
                campaign.run.refusals.append(
                    Refusal("nobody", due.step, f"no one left who may answer round {due.round}")
                )
                return
            person = rng_for(self.seed, due.campaign, due.step, due.round, due.pick).choice(free)
        decision = Act(
            step=due.step,
            actor=person,
            action=planned.action,
            comment=planned.comment,
            outputs=planned.outputs,
        )
        try:
            decided = await self._act_once(due.campaign, decision)
        except UserError as refused:
            reason = str(refused).removeprefix("refused: ")
            campaign.run.refusals.append(Refusal(person, due.step, reason))
            return
        known = campaign.open.get((due.step, due.round))
        if known is not None:
            known.answered_by.append(person)
            if decided is not None and decided.outcome is not None:
                known.closed_at = now
                del campaign.open[(due.step, due.round)]

    async def _act_once(self, campaign: str, decision: Act) -> Decided | None:
        """Send a decision through the real update, once (resent if the server lost it)."""
        assert self.client is not None
        # The simulation's operator asserts what each simulated person decides.
        as_person = self.credentials.asserting(decision.actor)
        for _ in range(_ACT_TRIES - 1):
            try:
                sent = act(self.client, campaign, decision, credentials=as_person)
                return await asyncio.wait_for(sent, _ACT_WAIT)
            except TimeoutError:
                status = await self._status(campaign)
                item = next((i for i in status.open_items if i.step == decision.step), None)
                if item is None or any(d.actor == decision.actor for d in item.decisions):
                    return None
        return await act(self.client, campaign, decision, credentials=as_person)

    def _notice(
        self, campaign_id: str, step: str, kind: NoticeKind | None, at: dt.datetime
    ) -> None:
        """A notice about a human step (from the ``notify.send`` stand-in)."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is None or campaign.done or kind is None:
            return
        rounds = [r for r in campaign.open.values() if r.step == step]
        if kind is NoticeKind.ESCALATION:
            for known in rounds:
                known.escalated += 1
            return
        if kind is not NoticeKind.REMINDER:
            return
        if campaign.events_until is not None and at < campaign.events_until:
            return
        for known in rounds:
            if campaign.pending.get((known.step, known.round), 0) > 0:
                continue
            if known.escalated < campaign.ladders.get(step, 0):
                continue
            why = f"waits for an answer at '{step}' that no simulated person gives"
            self._track(self._give_up(campaign, at, why))
            return


async def _gather(works: Any) -> None:
    limit = asyncio.Semaphore(_AT_ONCE)

    async def one(work: Any) -> None:
        async with limit:
            await work

    await asyncio.gather(*(one(w) for w in works))


def _failure_message(failure: Failure) -> str:
    """The innermost application failure's message (the one that names the step)."""
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    return failure.message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
