"""The one workflow that runs every process: a dynamic workflow interpreting the IR.

Each campaign is one execution whose workflow type is the process name. This
module runs inside Temporal's sandbox: it does no I/O, imports no Lark, reads
no clock but ``workflow.now()``. Our pure modules are passed through the
sandbox so they are imported once per worker, not once per campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import ChainMap
from collections.abc import MutableMapping, Sequence
from datetime import timedelta
from typing import Any, assert_never

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

from engine._interpret_people import PeopleSteps
from engine._interpret_renew import Renewal
from engine._interpret_saga import Saga, Undoable
from engine._interpret_signals import Signals

with workflow.unsafe.imports_passed_through():
    from engine import business_time, carry, human, ir
    from engine import search_attributes as sa
    from engine.campaign import (
        ACT_UPDATE,
        STATUS_QUERY,
        CampaignResult,
        CampaignStart,
        CampaignStatus,
        ExternalEvent,
        IgnoredSignal,
        RefusedAttempt,
        StepRecord,
        TaskRequest,
    )
    from engine.decisions import NoDecision, decide
    from engine.evaluate import EvaluationError, evaluate
    from engine.jumps import JumpTo
    from engine.people import TeamSnapshot
    from engine.time_values import TimeProblem, wait_target
    from engine.values import ValueProblem, display, from_json, from_plain_json, to_json

Env = MutableMapping[str, Any]


@workflow.defn(dynamic=True)
class CampaignWorkflow(Signals, PeopleSteps, Saga, Renewal):
    """Interprets a :class:`~engine.ir.ProcessIR` step by step."""

    @workflow.init
    def __init__(self, args: Sequence[RawValue]) -> None:
        self._process: ir.ProcessIR | None = None
        self._status: CampaignStatus | None = None
        self._runs: dict[str, int] = {}
        self._items: dict[str, human.WorkItem] = {}
        self._team: TeamSnapshot | None = None
        self._events: list[ExternalEvent] = []
        self._rounds: dict[str, int] = {}
        self._refused: list[RefusedAttempt] = []
        self._ignored: list[IgnoredSignal] = []
        self._started_by = ""
        self._paused = False
        self._exited = False
        self._undo: list[Undoable] = []
        self._branches_opened = 0
        self._at_top: tuple[int, ir.Step, Env] | None = None
        self._renew_declined = False
        self._carried_item: human.WorkItem | None = None
        self._carried_reminder: dt.datetime | None = None
        self._start: CampaignStart
        self._open_carried_step(args)

    def _open_carried_step(self, args: Sequence[RawValue]) -> None:
        """Before run(): take the campaign's team and open the step a continued run carried.

        A decision can reach a continued campaign in the very first workflow task of
        its new run, where the SDK runs update validators before run() has started;
        without this the step was refused as "not open". A start that cannot be read
        is left to run(), which fails the campaign with the reason.
        """
        try:
            start = _decode_start(args[0]) if len(args) == 1 else None
        except ApplicationError:
            return
        if start is None:
            return
        self._team = start.team
        if start.resume is not None and start.resume.open_item is not None:
            self._items[start.resume.open_item.step] = start.resume.open_item

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> CampaignResult:
        if len(args) != 1:
            raise ApplicationError(
                "a campaign takes one input", type="InvalidStart", non_retryable=True
            )
        start = _decode_start(args[0])
        process = self._process = start.process
        # A team pushed in the very first activation is newer than the start's.
        self._team = self._team or start.team
        self._started_by = start.started_by
        self._status = CampaignStatus(
            process=process.name,
            title=process.title,
            version=process.version,
            state="running",
            started_at=workflow.now(),
            current_step=None,
            steps=(),
            inputs=start.inputs,
            outputs={},
            team_version=None if self._team is None else self._team.version,
        )
        self._update(state="paused" if self._paused else "running", refused=tuple(self._refused))
        self._start = start
        resume = start.resume
        if resume is None:
            env: Env = _bind_inputs(process, start.inputs)
        else:
            env = {name: carry.decode(value) for name, value in resume.env.items()}
            self._runs, self._rounds = dict(resume.runs), dict(resume.rounds)
            self._events, self._refused = list(resume.events), list(resume.refused)
            self._ignored = [*resume.ignored, *self._ignored]
            self._restore_undo(resume.undo, env)
            self._carried_item, self._carried_reminder = resume.open_item, resume.next_reminder
            if resume.open_item is not None:
                # Open at once: decisions are taken even while the campaign is paused.
                # (Opened in __init__ already; it may hold a decision taken since.)
                self._items.setdefault(resume.open_item.step, resume.open_item)
                self._publish_items()
            self._paused = self._paused or resume.paused
            self._update(
                state="paused" if self._paused else "running",
                steps=resume.steps,
                started_at=resume.started_at,
                refused=resume.refused,
                ignored_signals=tuple(self._ignored),
                generation=resume.generation,
            )
        try:
            try:
                await self._body(
                    process.body, env, top=True, start_at=resume.index if resume else 0
                )
            except JumpTo as jump:
                raise ApplicationError(
                    f"nowhere to go: no step '{jump.step}' around ({jump.why})",
                    type="BadJump",
                    non_retryable=True,
                ) from None
            outputs = {o.name: self._output(o, env) for o in process.outputs}
        except ApplicationError as error:
            await self._compensate()
            self._update(state="failed", current_step=None, error=error.message)
            raise
        except asyncio.CancelledError:
            # An operator's cancel undoes what was done, as a failure does.
            await self._compensate(cancelled=True)
            self._update(state="cancelled", current_step=None)
            raise
        self._update(state="completed", current_step=None, outputs=outputs)
        workflow.set_current_details(f"Completed: {process.title}")
        done = sum(1 for s in self._require_status().steps if s.state == "done")
        return CampaignResult(outputs=outputs, steps_done=done)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> CampaignStatus:
        """Where the campaign is: steps started and finished, current step, outputs."""
        return self._require_status()

    @workflow.update(name=ACT_UPDATE)
    def act(self, payload: Any) -> str:
        """A person approves, rejects, requests changes, completes or delegates a step."""
        return self.accept(human.Act.model_validate(payload))

    @act.validator
    def _validate_act(self, payload: Any) -> None:
        # Refusing here keeps a bad decision out of the history altogether; the
        # reason goes back to the person who tried. The payload is read here, not
        # by the SDK, so that a malformed one is refused with a reason a person
        # can act on.
        try:
            act = human.Act.model_validate(payload)
        except ValidationError as error:
            raise ValueError(f"not a decision: {human.explain(error)}") from None
        reason = self.judge(act)
        if reason is not None:
            raise ValueError(reason)

    def _publish_items(self) -> None:
        self._update(open_items=tuple(self._items.values()))
        # Only where the campaign was started with our search attributes: a
        # namespace without them would refuse the upsert and stall the campaign.
        # Either way opening or closing a step issues a command: a worker that
        # replays the campaign from scratch then rebuilds the open steps before it
        # judges a decision that arrives with the replay.
        if workflow.info().typed_search_attributes.get(sa.VERSION) is None:
            workflow.upsert_memo({"open_steps": sorted(self._items)})
            return
        waiting = human.waiting_on(self._items.values())
        workflow.upsert_search_attributes([sa.WAITING_ON.value_set(waiting)])

    # ---- steps -----------------------------------------------------------------

    async def _body(
        self, body: tuple[ir.Step, ...], env: Env, *, top: bool = False, start_at: int = 0
    ) -> None:
        index = start_at
        while index < len(body):
            if self._paused:
                await workflow.wait_condition(lambda: not self._paused)
            if top:
                await self._maybe_continue_as_new(index, env)
            step = body[index]
            try:
                if isinstance(step, ir.ExitStep):
                    # The rest of this block runs until the event arrives.
                    await self._until_exit(step, body[index + 1 :], env)
                    return
                if top:
                    self._at_top = (index, step, env)
                await self._step(step, env)
            except JumpTo as jump:
                # A jump lands in the block that holds its target (or an outer one).
                target = next((i for i, s in enumerate(body) if s.id == jump.step), None)
                if target is None:
                    raise
                index = target
                continue
            index += 1

    async def _until_exit(self, step: ir.ExitStep, rest: tuple[ir.Step, ...], env: Env) -> None:
        """Run ``rest``; if the exit event comes first, stop it there and leave the block."""
        key = None if step.key is None else display(self._eval(step.key, env, step.id))

        def arrived() -> ExternalEvent | None:
            return next(
                (e for e in self._events if e.name == step.event and key in (None, e.key)), None
            )

        work = asyncio.ensure_future(self._body(rest, env))
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

    async def _step(self, step: ir.Step, env: Env) -> None:
        match step:
            case ir.TaskStep() if step.on_error:
                try:
                    await self._task(step, env)
                except ApplicationError as error:
                    if error.type != "TaskFailed":
                        raise
                    raise JumpTo(step.on_error, error.message) from None
            case ir.TaskStep():
                await self._task(step, env)
            case ir.HumanStep():
                await self._human(step, env)
            case ir.EventStep():
                await self._wait_event(step, env)
            case ir.CallStep():
                await self._call(step, env, self._started_by)
            case ir.GoBackStep():
                count = self._rounds[step.id] = self._rounds.get(step.id, 0) + 1
                if count <= step.times:
                    raise JumpTo(step.target, f"go back ({count} of {step.times})")
            case ir.IfStep():
                await self._if(step, env)
            case ir.SetStep():
                env[step.name] = self._eval(step.value, env, step.id)
            case ir.NotifyStep():
                await self._notify(step, env)
            case ir.FailStep():
                message = display(self._eval(step.message, env, step.id))
                where = self._require_process().location(step.span)
                raise ApplicationError(f"{where}: {message}", type="Failed", non_retryable=True)
            case ir.WaitStep():
                await self._wait(step, env)
            case ir.DecideStep():
                self._decide(step, env)
            case ir.ParallelStep():
                await self._parallel(step, env)
            case ir.ForEachStep():
                await self._for_each(step, env)
            case ir.ExitStep():
                raise AssertionError("exit steps are run by _body")
            case _:
                assert_never(step)

    async def _if(self, step: ir.IfStep, env: Env) -> None:
        for branch in step.branches:
            if self._condition(branch.condition, env):
                await self._body(branch.body, env)
                return
        await self._body(step.orelse, env)

    async def _parallel(self, step: ir.ParallelStep, env: Env) -> None:
        # Branches share the campaign's names: after 'all', each branch's results
        # are there for the steps that follow.
        paths: dict[asyncio.Future[None], tuple[str, ...]] = {}
        for branch in step.branches:
            path = self._branch(step.id)
            paths[asyncio.ensure_future(self._in_branch(path, self._body(branch.body, env)))] = path
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

    async def _for_each(self, step: ir.ForEachStep, env: Env) -> None:
        items = self._eval(step.items, env, step.id)
        if not isinstance(items, list):
            where = self._require_process().location(step.items.span)
            raise ApplicationError(
                f"{where}: 'for each' needs a list", type="ExpressionFailed", non_retryable=True
            )
        limit = asyncio.Semaphore(step.concurrency or 1)

        async def one(item: Any) -> None:
            async with limit:
                # Each item sees its own variable; what it defines stays with it.
                await self._body(step.body, ChainMap({step.variable: item}, env))

        runs = [asyncio.ensure_future(one(item)) for item in items]
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

    async def _wait(self, step: ir.WaitStep, env: Env) -> None:
        process = self._require_process()
        now = workflow.now()
        if step.duration is not None:
            until = business_time.add(now, step.duration, process.calendar)
            what = f"wait {display(step.duration)}"
        else:
            assert step.until is not None
            moment = self._eval(step.until, env, step.id)
            try:
                until = wait_target(moment, step, process.calendar)
            except TimeProblem as problem:
                raise ApplicationError(
                    f"{process.location(step.span)}: {problem}",
                    type="ExpressionFailed",
                    non_retryable=True,
                ) from None
            what = f"wait until {until.isoformat()}"
        if until > now:
            self._mark(step.id, what, process.location(step.span))
            await workflow.sleep(until - now, summary=what)
            self._end(step.id, "done")

    def _decide(self, step: ir.DecideStep, env: Env) -> None:
        process = self._require_process()
        try:
            decision = decide(step, env, process.calendar)
        except EvaluationError as error:
            raise ApplicationError(
                f"{process.location(error.span)}: step '{step.id}': {error.message}",
                type="ExpressionFailed",
                non_retryable=True,
            ) from None
        except NoDecision as problem:
            raise ApplicationError(
                f"{process.location(problem.span)}: {problem.message}",
                type="NoDecision",
                non_retryable=True,
            ) from None
        env[step.id] = decision.value
        # One history event per decision: auditors see the rows and the values
        # they were decided on, whatever the engine's code is later.
        workflow.upsert_memo(
            {
                f"decision.{step.id}": {
                    "rows": list(decision.rows),
                    "inputs": decision.inputs,
                    "result": to_json(decision.value),
                }
            }
        )

    async def _notify(self, step: ir.NotifyStep, env: Env) -> None:
        message = display(self._eval(step.message, env, step.id))
        to = [f"{p.kind}:{p.name}" for p in step.parties]
        title = "Notify " + ", ".join(f"{p.kind} {p.name}" for p in step.parties)
        await self._activity(
            step_id=step.id,
            title=title,
            action="notify.send",
            arguments={"to": to, "message": message},
            span=step.span,
            start_to_close=timedelta(minutes=5),
            retry=ir.RetryPolicy(),
            heartbeat=timedelta(seconds=30),
        )

    async def _task(self, step: ir.TaskStep, env: Env) -> None:
        arguments = {
            name: to_json(self._eval(expr, env, step.id)) for name, expr in step.arguments.items()
        }
        result = await self._activity(
            step_id=step.id,
            title=step.title,
            action=step.action,
            arguments=arguments,
            span=step.span,
            start_to_close=timedelta(seconds=step.timeout_seconds),
            retry=step.retry,
            heartbeat=None
            if step.heartbeat_seconds is None
            else timedelta(seconds=step.heartbeat_seconds),
        )
        env[step.id] = from_plain_json(result)
        if step.undo is not None:
            # What undoes this task, should a later step fail: newest first.
            self._remember_undo(step, env)

    async def _activity(
        self,
        *,
        step_id: str,
        title: str,
        action: str,
        arguments: dict[str, Any],
        span: ir.Span,
        start_to_close: timedelta,
        retry: ir.RetryPolicy,
        heartbeat: timedelta | None,
    ) -> Any:
        source = self._require_process().location(span)
        runs = self._runs[step_id] = self._runs.get(step_id, 0) + 1
        self._begin(step_id, title, action, source)
        try:
            result = await workflow.execute_activity(
                action,
                TaskRequest(step=step_id, title=title, source=source, arguments=arguments),
                # Stable across retries and replays: the workers derive the
                # idempotency key of every side effect from it.
                activity_id=f"{step_id}.{runs}",
                summary=title,
                start_to_close_timeout=start_to_close,
                heartbeat_timeout=heartbeat,
                retry_policy=RetryPolicy(
                    maximum_attempts=retry.maximum_attempts,
                    initial_interval=timedelta(seconds=retry.initial_interval_seconds),
                    backoff_coefficient=retry.backoff,
                    maximum_interval=timedelta(seconds=retry.maximum_interval_seconds),
                ),
                result_type=dict,
            )
        except ActivityError as error:
            # Workers already name the step in their messages; say it once.
            reason = _failure_reason(error).removeprefix(f'step "{title}" ({source}): ')
            self._end(step_id, "failed", reason)
            raise ApplicationError(
                f'step "{title}" ({source}) failed: {reason}',
                type="TaskFailed",
                non_retryable=True,
            ) from error
        self._end(step_id, "done")
        return result

    # ---- values ----------------------------------------------------------------

    def _eval(self, expr: ir.Expr, env: Env, what: str) -> Any:
        try:
            return evaluate(expr, env, self._require_process().calendar)
        except EvaluationError as error:
            where = self._require_process().location(error.span)
            raise ApplicationError(
                f"{where}: {what}: {error.message}", type="ExpressionFailed", non_retryable=True
            ) from None

    def _condition(self, expr: ir.Expr, env: Env) -> bool:
        value = self._eval(expr, env, "a condition")
        if not isinstance(value, bool):
            raise ApplicationError(
                f"{self._require_process().location(expr.span)}: the condition is not true or "
                "false",
                type="ExpressionFailed",
                non_retryable=True,
            )
        return value

    def _output(self, output: ir.OutputDecl, env: Env) -> Any:
        if self._exited:
            # Ended early by 'exit when': outputs of steps that never ran are left empty.
            try:
                return to_json(evaluate(output.value, env, self._require_process().calendar))
            except EvaluationError:
                return None
        value = to_json(self._eval(output.value, env, f"output '{output.name}'"))
        if output.type is None:
            return value
        try:
            return to_json(from_json(value, output.type))
        except ValueProblem as problem:
            where = self._require_process().location(output.span)
            raise ApplicationError(
                f"{where}: output '{output.name}': {problem}",
                type="ExpressionFailed",
                non_retryable=True,
            ) from None

    # ---- status ----------------------------------------------------------------

    def _begin(self, step_id: str, title: str, action: str | None, source: str) -> None:
        record = StepRecord(
            id=step_id,
            title=title,
            action=action,
            source=source,
            state="running",
            started_at=workflow.now(),
        )
        status = self._require_status()
        self._update(current_step=step_id, steps=(*status.steps, record))
        doing = f" ({action})" if action else ""
        workflow.set_current_details(f"Step: **{title}**{doing} at {source}")

    def _mark(self, step_id: str, title: str, source: str) -> None:
        self._begin(step_id, title, None, source)

    def _end(self, step_id: str, state: str, error: str | None = None) -> None:
        status = self._require_status()
        steps = list(status.steps)
        for i in range(len(steps) - 1, -1, -1):
            if steps[i].id == step_id and steps[i].state == "running":
                steps[i] = steps[i].model_copy(
                    update={"state": state, "ended_at": workflow.now(), "error": error}
                )
                break
        self._update(steps=tuple(steps))

    def _update(self, **changes: Any) -> None:
        # Signals can arrive in the very first activation, before run() has
        # built the status; run() then picks up what they recorded.
        if self._status is not None:
            self._status = self._status.model_copy(update=changes)

    def _require_status(self) -> CampaignStatus:
        assert self._status is not None, "status before the campaign started"
        return self._status

    def _require_process(self) -> ir.ProcessIR:
        assert self._process is not None, "process before the campaign started"
        return self._process


def _bind_inputs(process: ir.ProcessIR, given: dict[str, Any]) -> dict[str, Any]:
    """Inputs as run-time values, defaults filled in. The client validated them already;
    a campaign started by other means gets the same checks here."""
    unknown = sorted(set(given) - {i.name for i in process.inputs})
    if unknown:
        raise ApplicationError(
            f"unknown input{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            type="InvalidInput",
            non_retryable=True,
        )
    env: dict[str, Any] = {}
    for decl in process.inputs:
        try:
            if decl.name in given:
                env[decl.name] = from_json(given[decl.name], decl.type)
            elif decl.default is not None:
                env[decl.name] = evaluate(decl.default, {})
            else:
                raise ValueProblem("is required and has no default")
        except (ValueProblem, EvaluationError) as problem:
            raise ApplicationError(
                f"input '{decl.name}': {problem}", type="InvalidInput", non_retryable=True
            ) from None
    return env


def _decode_start(arg: RawValue) -> CampaignStart:
    """The campaign's start, read here rather than by the SDK: a start that cannot be
    decoded (a script sending a number of 5,000 digits, a field of the wrong kind)
    fails the campaign with the reason, instead of failing every workflow task."""
    try:
        start: CampaignStart = workflow.payload_converter().from_payload(arg.payload, CampaignStart)
    except Exception as error:  # any decoding problem ends the same way
        raise ApplicationError(
            f"the campaign's start cannot be read: {_first_line(error)}",
            type="InvalidStart",
            non_retryable=True,
        ) from None
    return start


def _first_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        problems = error.errors(include_url=False, include_input=False)[:3]
        return "; ".join(
            ": ".join([".".join(str(part) for part in p["loc"]), p["msg"]]).lstrip(": ")
            for p in problems
        )
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _failure_reason(error: ActivityError) -> str:
    cause: BaseException | None = error.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    return cause.message if cause is not None else error.message
