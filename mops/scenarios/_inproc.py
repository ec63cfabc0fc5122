"""The server's part, played in one process, for a fast cohort of simulated campaigns.

A cohort on the time-skipping test server spends nearly all its time between
processes: each of a webinar campaign's thirty-odd workflow tasks and dozen
activities is a round trip to the server, and the clock has to be stopped and
started for every moment at which a simulated person answers. Here the server
is replaced, never the campaign: each campaign is the Temporal SDK's own
workflow instance (the deterministic event loop that runs workflow code in a
worker) running the real interpreter, fed activations as a worker is fed them.
What the server would do with the commands it returns — fire a timer, run an
activity and retry it by its policy, deliver a signal, an update or a query,
close the campaign — is done here, on a clock that jumps from one moment to the
next. Activities are the registry's real activity functions (the scenario
stand-ins), run with the SDK's activity context and its payload conversion.

What is not played: child workflows (sub-processes), local activities, Nexus
and signals to other workflows. A process that uses them is simulated on the
test server instead (:func:`plays`). Workflow tasks never time out or retry:
one that fails ends the campaign, as a cohort treats it anyway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import heapq
import itertools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import temporalio.activity
import temporalio.workflow
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import RetryState
from temporalio.api.failure.v1 import Failure
from temporalio.bridge.proto.activity_result import (
    ActivityResolution,
    Cancellation,
    Success,
)
from temporalio.bridge.proto.activity_result import Failure as ActivityFailed
from temporalio.bridge.proto.workflow_activation import (
    DoUpdate,
    FireTimer,
    InitializeWorkflow,
    QueryWorkflow,
    ResolveActivity,
    SignalWorkflow,
    WorkflowActivation,
    WorkflowActivationJob,
)
from temporalio.bridge.proto.workflow_commands import ScheduleActivity
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import (
    UnsandboxedWorkflowRunner,
    WorkflowInstance,
    WorkflowInstanceDetails,
)

from engine import ir

Observer = Callable[[str, dt.datetime, WorkflowActivationCompletion], None]
"""``(campaign, the activation's time, its completion)``, as the test server's cohort sees it."""

_UNPLAYED = (
    "start_child_workflow_execution",
    "cancel_child_workflow_execution",
    "request_cancel_external_workflow_execution",
    "signal_external_workflow_execution",
    "schedule_local_activity",
    "schedule_nexus_operation",
)
_CLOSING = {
    "complete_workflow_execution": "completed",
    "fail_workflow_execution": "failed",
    "cancel_workflow_execution": "cancelled",
}
_EVENTS_PER_TASK = 3  # scheduled, started, completed: what the history length counts


def plays(process: ir.ProcessIR) -> bool:
    """Whether a process runs here (a sub-process needs the test server)."""
    return not any(isinstance(s, ir.CallStep) for s in ir.iter_steps(process.body))


class Unplayed(Exception):
    """A campaign asked for something only a real server does (see the module)."""


class Refused(Exception):
    """An update's validator refused it; the message is the campaign's reason."""


@dataclass
class _Activity:
    seq: int
    command: ScheduleActivity
    attempt: int = 1
    scheduled_at: dt.datetime | None = None
    cancelled: bool = False


@dataclass
class Run:
    """One campaign: its workflow instance and what the server keeps for it."""

    workflow_id: str
    workflow_type: str
    run_id: str
    instance: WorkflowInstance | None
    """None once the campaign is forgotten (closed, and nothing more to ask it)."""
    events: int = 0
    timers: set[int] = field(default_factory=set)
    activities: dict[int, _Activity] = field(default_factory=dict)
    state: str = "running"
    """running, completed, failed, cancelled, terminated."""
    closed_at: dt.datetime | None = None
    result: Payload | None = None
    failure: Failure | None = None

    def live(self) -> WorkflowInstance:
        if self.instance is None:
            raise Unplayed(f"campaign {self.workflow_id} is {self.state} and forgotten")
        return self.instance


class InProcessServer:
    """Plays the server for campaigns whose workflow instances run here (see the module)."""

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        activities: Sequence[Callable[..., Awaitable[Any]]],
        converter: DataConverter,
        observe: Observer,
        start: dt.datetime,
        task_queue: str,
    ) -> None:
        defns = [temporalio.workflow._Definition.must_from_class(w) for w in workflows]
        self.named = {d.name: d for d in defns if d.name is not None}
        self.dynamic = next((d for d in defns if d.name is None), None)
        self.runner = UnsandboxedWorkflowRunner()
        for defn in defns:
            self.runner.prepare_workflow(defn)
        self.activities = {
            temporalio.activity._Definition.must_from_callable(a).name: a for a in activities
        }
        self.arg_types = {
            name: temporalio.activity._Definition.must_from_callable(a).arg_types
            for name, a in self.activities.items()
        }
        self.converter = converter
        self.payloads = converter.payload_converter
        self.observe = observe
        self.now = start
        self.task_queue = task_queue
        """The campaigns' task queue, as a worker would poll it: they trust the keys
        registered for it (:func:`engine.contracts.register_trust`)."""
        self.runs: dict[str, Run] = {}
        self._agenda: list[tuple[dt.datetime, int, Callable[[], Awaitable[None]]]] = []
        self._order = itertools.count()
        self._env = ActivityEnvironment()
        self._env.payload_converter = self.payloads
        self.activations = 0
        self._runs_of: dict[str, list[str]] = {}

    # ---- the clock ---------------------------------------------------------------

    def next_moment(self) -> dt.datetime | None:
        return self._agenda[0][0] if self._agenda else None

    async def run_due(self) -> bool:
        """Do the next thing on the agenda, moving the clock to its moment (False: none)."""
        if not self._agenda:
            return False
        at, _, work = heapq.heappop(self._agenda)
        self.now = max(self.now, at)
        await work()
        return True

    def move_to(self, moment: dt.datetime) -> None:
        self.now = max(self.now, moment)

    def _later(self, at: dt.datetime, work: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self._agenda, (at, next(self._order), work))

    # ---- what clients do ---------------------------------------------------------

    def start(self, workflow_type: str, workflow_id: str, arguments: Sequence[Any]) -> None:
        """Start a campaign now with ``arguments`` as a client sends them (a campaign's
        start and its seal); its first workflow task runs on the agenda, at once."""
        self._start(workflow_type, workflow_id, self.payloads.to_payloads(arguments), None)

    def signal(self, workflow_id: str, name: str, arguments: Sequence[Any]) -> None:
        """Deliver a signal now, with its arguments (a payload and its seal); nothing
        happens to a closed campaign."""
        run = self.runs[workflow_id]
        if run.state != "running":
            return
        job = WorkflowActivationJob(
            signal_workflow=SignalWorkflow(
                signal_name=name, input=self.payloads.to_payloads(arguments)
            )
        )
        self._activate(run, [job])

    def update(
        self,
        workflow_id: str,
        name: str,
        arguments: Sequence[Any],
        result_type: type,
        *,
        update_id: str,
    ) -> Any:
        """Send an update now, with its arguments (a decision and its seal) and its id (the
        one its seal names); returns its result.

        Raises:
            Refused: the validator refused it (the message says why).
            Unplayed: the campaign is closed, or the update did not finish at once.
        """
        run = self.runs[workflow_id]
        if run.state != "running":
            raise Unplayed(f"campaign {workflow_id} is {run.state}")
        protocol = str(uuid.uuid4())
        job = WorkflowActivationJob(
            do_update=DoUpdate(
                id=update_id,
                protocol_instance_id=protocol,
                name=name,
                input=self.payloads.to_payloads(arguments),
                run_validator=True,
            )
        )
        completion = self._activate(run, [job])
        for command in _commands(completion):
            if not command.HasField("update_response"):
                continue
            response = command.update_response
            if response.protocol_instance_id != protocol:
                continue
            if response.HasField("rejected"):
                raise Refused(_innermost(response.rejected).message)
            if response.HasField("completed"):
                return self.payloads.from_payload(response.completed, result_type)
        raise Unplayed(f"update '{name}' of {workflow_id} did not finish in its workflow task")

    def query(self, workflow_id: str, name: str, result_type: type) -> Any:
        """Ask a query now (of a running or closed campaign's last state)."""
        run = self.runs[workflow_id]
        query_id = str(uuid.uuid4())
        job = WorkflowActivationJob(
            query_workflow=QueryWorkflow(query_id=query_id, query_type=name)
        )
        completion = _activate(run.live(), self._activation(run, [job]))
        for command in _commands(completion):
            if (
                command.HasField("respond_to_query")
                and command.respond_to_query.query_id == query_id
            ):
                answer = command.respond_to_query
                if answer.HasField("failed"):
                    raise Unplayed(f"query '{name}' failed: {answer.failed.message}")
                return self.payloads.from_payload(answer.succeeded.response, result_type)
        raise Unplayed(f"query '{name}' of {workflow_id} got no answer")

    def forget(self, workflow_id: str) -> None:
        """Drop a closed campaign's workflow instance, as a worker evicts it: a cohort of
        thousands would otherwise keep every one, and the garbage collector would walk
        them all, again and again."""
        run = self.runs[workflow_id]
        if run.state != "running":
            run.instance = None

    def terminate(self, workflow_id: str) -> None:
        run = self.runs[workflow_id]
        if run.state == "running":
            self._close(run, "terminated")

    # ---- workflow tasks ----------------------------------------------------------

    def _start(
        self,
        workflow_type: str,
        workflow_id: str,
        arguments: Sequence[Payload],
        continued_from: str | None,
    ) -> None:
        # Run ids and random seeds from the campaign and its run's number: the same
        # cohort twice is the same, down to what workflow.random() would draw.
        number = len(self._runs_of.setdefault(workflow_id, [])) + 1
        run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mops-simulation:{workflow_id}:{number}"))
        self._runs_of[workflow_id].append(run_id)
        defn = self.named.get(workflow_type, self.dynamic)
        if defn is None:
            raise Unplayed(f"no workflow '{workflow_type}' is registered")
        first = self.runs[workflow_id].run_id if continued_from else run_id
        info = temporalio.workflow.Info(
            attempt=1,
            continued_run_id=continued_from,
            cron_schedule=None,
            execution_timeout=None,
            first_execution_run_id=first,
            headers={},
            namespace="simulation",
            original_execution_run_id=run_id,
            parent=None,
            root=None,
            raw_memo={},
            retry_policy=None,
            run_id=run_id,
            run_timeout=None,
            search_attributes={},
            start_time=self.now,
            workflow_start_time=self.now,
            task_queue=self.task_queue,
            task_timeout=dt.timedelta(seconds=10),
            typed_search_attributes=temporalio.common.TypedSearchAttributes.empty,
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            priority=temporalio.common.Priority.default,
        )
        seed = uuid.UUID(run_id).int & 0x7FFFFFFFFFFFFFFF
        instance = self.runner.create_instance(
            WorkflowInstanceDetails(
                payload_converter_factory=self.converter._new_payload_converter,
                failure_converter_class=self.converter.failure_converter_class,
                interceptor_classes=[],
                defn=defn,
                info=info,
                randomness_seed=seed,
                extern_functions={},
                disable_eager_activity_execution=True,
                worker_level_failure_exception_types=[],
                patch_activation_callback=None,
                last_completion_result=Payloads(),
                last_failure=None,
            )
        )
        run = Run(workflow_id, workflow_type, run_id, instance)
        self.runs[workflow_id] = run
        init = InitializeWorkflow(
            workflow_type=workflow_type,
            workflow_id=workflow_id,
            arguments=arguments,
            randomness_seed=seed,
            first_execution_run_id=first,
            continued_from_execution_run_id=continued_from or "",
            attempt=1,
        )
        init.start_time.FromDatetime(self.now)

        async def first_task() -> None:
            self._activate(run, [WorkflowActivationJob(initialize_workflow=init)])

        self._later(self.now, first_task)

    def _activation(self, run: Run, jobs: Sequence[WorkflowActivationJob]) -> WorkflowActivation:
        activation = WorkflowActivation(
            run_id=run.run_id, is_replaying=False, history_length=run.events + 1, jobs=jobs
        )
        activation.timestamp.FromDatetime(self.now)
        return activation

    def _activate(
        self, run: Run, jobs: Sequence[WorkflowActivationJob]
    ) -> WorkflowActivationCompletion:
        completion = _activate(run.live(), self._activation(run, jobs))
        self.activations += 1
        run.events += _EVENTS_PER_TASK + len(jobs)
        self.observe(run.workflow_id, self.now, completion)
        if completion.HasField("failed"):
            # The test server would retry the task for ever; the cohort ends the campaign.
            self._close(run, "terminated")
            return completion
        for command in completion.successful.commands:
            self._apply(run, command)
        return completion

    def _apply(self, run: Run, command: Any) -> None:
        kind = command.WhichOneof("variant")
        if kind in _UNPLAYED:
            raise Unplayed(f"campaign {run.workflow_id} asked for {kind.replace('_', ' ')}")
        run.events += 1
        if kind == "start_timer":
            seq = command.start_timer.seq
            run.timers.add(seq)
            self._later(
                self.now + command.start_timer.start_to_fire_timeout.ToTimedelta(),
                lambda: self._fire(run, seq),
            )
        elif kind == "cancel_timer":
            run.timers.discard(command.cancel_timer.seq)
        elif kind == "schedule_activity":
            task = _Activity(command.schedule_activity.seq, command.schedule_activity)
            run.activities[task.seq] = task
            self._later(self.now, lambda: self._run_activity(run, task))
        elif kind == "request_cancel_activity":
            gone = run.activities.pop(command.request_cancel_activity.seq, None)
            if gone is not None:
                gone.cancelled = True
                self._later(self.now, lambda: self._resolve(run, gone.seq, _cancelled(gone)))
        elif kind in _CLOSING:
            if kind == "complete_workflow_execution":
                run.result = command.complete_workflow_execution.result
            elif kind == "fail_workflow_execution":
                run.failure = command.fail_workflow_execution.failure
            self._close(run, _CLOSING[kind])
        elif kind == "continue_as_new_workflow_execution":
            carried = command.continue_as_new_workflow_execution
            self._close(run, "continued")
            workflow_type = carried.workflow_type or run.workflow_type
            self._start(workflow_type, run.workflow_id, list(carried.arguments), run.run_id)
        # Search attributes, memo, patch markers, query answers, update responses:
        # nothing for the server to do (the cohort reads them from the completion).

    def _close(self, run: Run, state: str) -> None:
        run.state, run.closed_at = state, self.now
        run.timers.clear()
        run.activities.clear()

    async def _fire(self, run: Run, seq: int) -> None:
        if run.state != "running" or seq not in run.timers:
            return
        run.timers.discard(seq)
        self._activate(run, [WorkflowActivationJob(fire_timer=FireTimer(seq=seq))])

    async def _resolve(self, run: Run, seq: int, result: ActivityResolution) -> None:
        if run.state != "running":
            return
        job = WorkflowActivationJob(resolve_activity=ResolveActivity(seq=seq, result=result))
        self._activate(run, [job])

    # ---- activities --------------------------------------------------------------

    async def _run_activity(self, run: Run, task: _Activity) -> None:
        if run.state != "running" or task.cancelled:
            return
        command = task.command
        function = self.activities.get(command.activity_type)
        if function is None:
            raise Unplayed(f"no activity '{command.activity_type}' is registered")
        task.scheduled_at = task.scheduled_at or self.now
        self._env.info = dataclasses.replace(
            self._env.info,
            activity_id=command.activity_id,
            activity_type=command.activity_type,
            attempt=task.attempt,
            current_attempt_scheduled_time=self.now,
            scheduled_time=task.scheduled_at,
            started_time=self.now,
            heartbeat_details=[],
            task_queue=self.task_queue,
            workflow_id=run.workflow_id,
            workflow_run_id=run.run_id,
            workflow_type=run.workflow_type,
            start_to_close_timeout=_or_none(command, "start_to_close_timeout"),
            schedule_to_close_timeout=_or_none(command, "schedule_to_close_timeout"),
            heartbeat_timeout=_or_none(command, "heartbeat_timeout"),
        )
        arguments = self.payloads.from_payloads(
            list(command.arguments), self.arg_types[command.activity_type]
        )
        try:
            result = await self._env.run(function, *arguments)
        except Exception as error:
            self._failed(run, task, error)
            return
        if run.state != "running" or task.cancelled:
            return
        run.activities.pop(task.seq, None)
        done = ActivityResolution(completed=Success(result=self.payloads.to_payloads([result])[0]))
        await self._resolve(run, task.seq, done)

    def _failed(self, run: Run, task: _Activity, error: Exception) -> None:
        """An attempt failed: retry it by its policy, or give the campaign the failure."""
        cause = Failure()
        self.converter.failure_converter.to_failure(error, self.payloads, cause)
        policy = task.command.retry_policy
        retryable = not (isinstance(error, ApplicationError) and error.non_retryable)
        kind = error.type if isinstance(error, ApplicationError) else type(error).__name__
        retryable = retryable and kind not in policy.non_retryable_error_types
        attempts = policy.maximum_attempts
        if retryable and (attempts == 0 or task.attempt < attempts):
            delay = _backoff(task, error)
            task.attempt += 1
            self._later(self.now + delay, lambda: self._run_activity(run, task))
            return
        run.activities.pop(task.seq, None)
        state = (
            RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
            if retryable
            else RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE
        )
        failure = Failure(message="Activity task failed", cause=cause)
        info = failure.activity_failure_info
        info.activity_type.name = task.command.activity_type
        info.activity_id = task.command.activity_id
        info.retry_state = state
        resolution = ActivityResolution(failed=ActivityFailed(failure=failure))
        self._later(self.now, lambda: self._resolve(run, task.seq, resolution))


def _activate(
    instance: WorkflowInstance, activation: WorkflowActivation
) -> WorkflowActivationCompletion:
    """One workflow task; the instance runs its own event loop, and unsets the running
    loop when it is done: ours is set again."""
    ours = asyncio._get_running_loop()
    try:
        return instance.activate(activation)
    finally:
        asyncio._set_running_loop(ours)


def _backoff(task: _Activity, error: Exception) -> dt.timedelta:
    """The wait before the next attempt, as the server computes it from the policy."""
    if isinstance(error, ApplicationError) and error.next_retry_delay is not None:
        return error.next_retry_delay
    policy = task.command.retry_policy
    first = (
        policy.initial_interval.ToTimedelta()
        if policy.HasField("initial_interval")
        else dt.timedelta(seconds=1)
    )
    coefficient = policy.backoff_coefficient or 2.0
    ceiling = (
        policy.maximum_interval.ToTimedelta()
        if policy.HasField("maximum_interval")
        else first * 100
    )
    return min(first * coefficient ** (task.attempt - 1), ceiling)


def _cancelled(task: _Activity) -> ActivityResolution:
    failure = Failure(message="Activity cancelled")
    failure.canceled_failure_info.SetInParent()
    wrapper = Failure(message="Activity cancelled", cause=failure)
    info = wrapper.activity_failure_info
    info.activity_type.name = task.command.activity_type
    info.activity_id = task.command.activity_id
    info.retry_state = RetryState.RETRY_STATE_CANCEL_REQUESTED
    return ActivityResolution(cancelled=Cancellation(failure=wrapper))


def _or_none(command: ScheduleActivity, name: Any) -> dt.timedelta | None:
    value: dt.timedelta | None = (
        getattr(command, name).ToTimedelta() if command.HasField(name) else None
    )
    return value


def _commands(completion: WorkflowActivationCompletion) -> Sequence[Any]:
    return completion.successful.commands if completion.HasField("successful") else ()


def _innermost(failure: Failure) -> Failure:
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    return failure
