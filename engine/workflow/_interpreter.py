"""The one workflow that runs every process: a dynamic workflow interpreting the IR.

Each campaign is one execution whose workflow type is the process name. The
workflow class is thin: it holds one :class:`~engine.workflow._state.RunState`,
takes Temporal's calls (run, the status query, the ``act`` update and its
validator, every signal) and dispatches each step to the module of its kind.
This package runs inside Temporal's sandbox: it does no I/O, imports no Lark,
reads no clock but ``workflow.now()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from typing import Any, assert_never

from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from engine import ir
from engine.workflow import _blocks as blocks
from engine.workflow import _compensation as compensation
from engine.workflow import _people_steps as people
from engine.workflow import _scheduled as scheduled
from engine.workflow import _seals as seals
from engine.workflow import _signals as signals
from engine.workflow import _steps as steps
from engine.workflow import _tasks as tasks
from engine.workflow import carry, patches
from engine.workflow._position import At
from engine.workflow._state import DATA_ERRORS, Env, RunState
from engine.workflow.campaign import (
    ACT_UPDATE,
    STATUS_QUERY,
    CampaignResult,
    CampaignStart,
    CampaignStatus,
)
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.facts import Decided
from engine.workflow.jumps import JumpTo
from engine.workflow.limits import start_problem
from engine.workflow.values import ValueProblem, display, from_json, to_json
from engine.workflow.work_items import Act, explain

UNSIGNED = RawValue(Payload())
"""What a decision sent without its seal gets instead (the SDK hands over raw values, as
the seal's check needs them, only for parameters typed exactly ``RawValue``)."""


@workflow.defn(dynamic=True)
class CampaignWorkflow:
    """Interprets a :class:`~engine.ir.ProcessIR` step by step."""

    @workflow.init
    def __init__(self, args: Sequence[RawValue]) -> None:
        self.run_state = RunState(dispatch=self._step)
        self._asked_to_cancel = False
        self._start: CampaignStart | None = None
        """The start as read here, so that run() does not read it a second time (it
        carries the whole process: reading it is most of a campaign's first task)."""
        self._open_carried_step(args)

    def _open_carried_step(self, args: Sequence[RawValue]) -> None:
        """Before run(): take the campaign's team and open the step a continued run carried.

        A decision can reach a continued campaign in the very first workflow task of
        its new run, where the SDK runs update validators before run() has started;
        without this the step was refused as "not open". A start that cannot be read
        is left to run(), which fails the campaign with the reason.
        """
        try:
            start = _decode_start(args[0]) if len(args) in (1, 2) else None
        except ApplicationError:
            return
        if start is None:
            return
        self._start = start
        self.run_state.team = start.team
        # Only a run the campaign itself continued carries an open step (a start from
        # outside claiming one is refused by run()).
        continued = workflow.info().continued_run_id is not None
        if continued and start.resume is not None and start.resume.open_item is not None:
            self.run_state.items[start.resume.open_item.step] = start.resume.open_item

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> CampaignResult:
        if len(args) not in (1, 2):
            raise ApplicationError(
                "a campaign takes its start and its seal", type="InvalidStart", non_retryable=True
            )
        start = self._start or _decode_start(args[0])
        run = self.run_state
        # Before anything happens: who started it, proven (or nothing runs).
        run.provenance = seals.verify_start(start, args)
        if run.bounded() and (problem := start_problem(start)) is not None:
            raise ApplicationError(
                f"the campaign's start cannot be read: {problem}",
                type="InvalidStart",
                non_retryable=True,
            )
        process = run.process = start.process
        run.start = start
        # A team pushed in the very first activation is newer than the start's.
        run.team = run.team or start.team
        run.started_by = start.started_by
        run.started_at = workflow.now()
        resume = start.resume
        if resume is None:
            run.top_env = _bind_inputs(process, start.inputs)
        else:
            run.top_env = {name: carry.decode(value) for name, value in resume.env.items()}
            run.runs, run.rounds = dict(resume.runs), dict(resume.rounds)
            run.resume = list(resume.path)
            run.events, run.refused = list(resume.events), [*resume.refused, *run.refused]
            run.ignored = [*resume.ignored, *run.ignored]
            run.dropped = [*resume.dropped, *run.dropped]
            run.nonces = [*resume.nonces, *run.nonces]
            run.held = {step: list(people) for step, people in resume.held.items()}
            run.returned = dict(resume.returned)
            compensation.restore(run, resume.undo)
            run.carried_item, run.carried_reminder = resume.open_item, resume.next_reminder
            if resume.open_item is not None:
                # Open at once: decisions are taken even while the campaign is paused.
                # (Opened in __init__ already; it may hold a decision taken since.)
                run.items.setdefault(resume.open_item.step, resume.open_item)
                run.publish_items()
            run.paused = run.paused or resume.paused
            run.steps = list(resume.steps)
            run.started_at = resume.started_at
            run.generation = resume.generation
        run.state = "paused" if run.paused else "running"
        if start.schedule is not None and resume is None:
            await scheduled.wait_for_business_day(process)
        env = run.top_env
        try:
            try:
                await self._until_cancelled(
                    blocks.body(
                        run,
                        process.body,
                        env,
                        (),
                        start_at=resume.index if resume else 0,
                        resumed=resume is not None,
                    )
                )
            except JumpTo as jump:
                raise ApplicationError(
                    f"nowhere to go: no step '{jump.step}' around ({jump.why})",
                    type="BadJump",
                    non_retryable=True,
                ) from None
            outputs = {o.name: self._output(o, env) for o in process.outputs}
        except ApplicationError as error:
            await compensation.compensate(run)
            run.state, run.current_step, run.error = "failed", None, error.message
            raise
        except asyncio.CancelledError:
            # An operator's cancel undoes what was done, as a failure does.
            await compensation.compensate(run, cancelled=True)
            run.state, run.current_step = "cancelled", None
            raise
        run.state, run.current_step, run.outputs = "completed", None, outputs
        workflow.set_current_details(f"Completed: {process.title}")
        done = sum(1 for s in run.steps if s.state == "done")
        return CampaignResult(outputs=outputs, steps_done=done)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> CampaignStatus:
        """Where the campaign is: steps started and finished, current step, outputs."""
        return self.run_state.status()

    @workflow.update(name=ACT_UPDATE)
    def act(self, payload: RawValue, seal: RawValue = UNSIGNED) -> Decided:
        """A person approves, rejects, requests changes, completes or delegates a step."""
        raw_seal = None if seal is UNSIGNED else _decoded(seal)
        if isinstance(raw_seal, dict) and isinstance(raw_seal.get("nonce"), str):
            seals.remember_nonce(self.run_state, raw_seal["nonce"])
        return people.accept(self.run_state, Act.model_validate(_decoded(payload)))

    @act.validator
    def _validate_act(self, payload: RawValue, seal: RawValue = UNSIGNED) -> None:
        # Refusing here keeps a bad decision out of the history altogether; the
        # reason goes back to the person who tried. The payload is read here, not
        # by the SDK, so that a malformed one is refused with a reason a person
        # can act on; its seal covers its exact bytes.
        try:
            act = Act.model_validate(_decoded(payload))
        except ValidationError as error:
            raise ValueError(f"not a decision: {explain(error)}") from None
        except ValueError as error:
            raise ValueError(f"not a decision: {_first_line(error)}") from None
        run = self.run_state
        if not isinstance(payload, RawValue) or seal is UNSIGNED:
            # The SDK hands over raw values only when both arrive: this one is unsigned.
            raise ValueError("the decision is not signed: decide with mops or the people's app")
        raw_seal = _decoded(seal)
        reason = seals.decision_refusal(run, payload.payload.data, raw_seal, act) or people.judge(
            run, act
        )
        if reason is not None:
            raise ValueError(reason)

    @workflow.signal(dynamic=True)
    def signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every signal: refused, event, pause, resume, cancelling, team."""
        signals.take(self.run_state, name, args)

    async def _until_cancelled(self, body: Coroutine[Any, Any, None]) -> None:
        """Run the campaign's body. A cancellation request counts only when an operator
        signed for it (the ``cancelling`` signal): anyone who can reach the server can
        request one. An unsigned request is recorded as ignored and the campaign goes on;
        a signed one that comes after it (Temporal delivers one request per campaign)
        stops the campaign by itself."""
        run = self.run_state
        work = asyncio.ensure_future(body)
        late = asyncio.ensure_future(
            workflow.wait_condition(lambda: run.cancel_verified and self._asked_to_cancel)
        )
        while True:
            try:
                await workflow.wait([work, late], return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                self._asked_to_cancel = True
                if not self._cancel_counts():
                    run.ignore("cancel", "a cancellation request nobody signed for")
                    continue
                await _stop(work, late)
                raise
            if work.done():
                late.cancel()
                return work.result()
            await _stop(work, late)
            raise asyncio.CancelledError("cancelled by a signed request")

    def _cancel_counts(self) -> bool:
        """Whether a cancellation request is the operator's (or the caller's, for a
        sub-process; or any, in a history recorded before cancels were signed)."""
        if self.run_state.cancel_verified or workflow.info().parent is not None:
            return True
        return not patches.SIGNED_CANCEL.applies()

    # ---- steps -----------------------------------------------------------------------

    async def _step(self, step: ir.Step, env: Env, at: At | None) -> None:
        try:
            await self._run_step(step, env, at)
        except DATA_ERRORS as error:
            raise self.run_state.data_failure(step, error) from None

    async def _run_step(self, step: ir.Step, env: Env, at: At | None) -> None:
        run = self.run_state
        match step:
            case ir.TaskStep():
                try:
                    await tasks.task(run, step, env)
                except ApplicationError as error:
                    if not step.on_error or error.type != "TaskFailed":
                        raise
                    raise JumpTo(step.on_error, error.message, step.id) from None
                if step.undo is not None:
                    # What undoes this task, should a later step fail: newest first.
                    compensation.remember(run, step, env)
            case ir.HumanStep():
                await people.human(run, step, env)
            case ir.EventStep():
                await steps.wait_for_event(run, step, env)
            case ir.CallStep():
                await steps.call(run, step, env)
            case ir.GoBackStep():
                count = run.rounds[step.id] = run.rounds.get(step.id, 0) + 1
                if count <= step.times:
                    raise JumpTo(step.target, f"go back ({count} of {step.times})", step.id)
            case ir.IfStep():
                await blocks.if_step(run, step, env, at)
            case ir.SetStep():
                env[step.name] = run.eval(step.value, env, step.id)
            case ir.NotifyStep():
                await tasks.notify(run, step, env)
            case ir.FailStep():
                message = display(run.eval(step.message, env, step.id))
                raise run.failure(step.span, message, "Failed")
            case ir.WaitStep():
                await steps.wait(run, step, env)
            case ir.DecideStep():
                steps.decide_step(run, step, env)
            case ir.ParallelStep():
                await blocks.parallel(run, step, env)
            case ir.ForEachStep():
                await blocks.for_each(run, step, env, at)
            case ir.ExitStep():
                raise AssertionError("exit steps are run by the body that holds them")
            case _:
                assert_never(step)

    def _output(self, output: ir.OutputDecl, env: Env) -> Any:
        run = self.run_state
        if run.exited:
            # Ended early by 'exit when': outputs of steps that never ran are left empty.
            try:
                calendar = run.require_process().calendar
                return to_json(evaluate(output.value, env, calendar, now=workflow.now()))
            except EvaluationError:
                return None
        value = to_json(run.eval(output.value, env, f"output '{output.name}'"))
        if output.type is None:
            return value
        try:
            return to_json(from_json(value, output.type))
        except ValueProblem as problem:
            raise run.failure(output.span, f"output '{output.name}': {problem}") from None


async def _stop(work: asyncio.Future[None], late: asyncio.Future[None]) -> None:
    """Cancel the campaign's body and let it unwind (what it holds open is closed)."""
    late.cancel()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work


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
                env[decl.name] = evaluate(decl.default, {}, process.calendar, now=workflow.now())
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


def _decoded(value: RawValue | Any) -> Any:
    """A raw argument as JSON data (a problem with it raises ValueError); the SDK decodes
    a lone argument itself, and hands it over as it is."""
    if not isinstance(value, RawValue):
        return value
    try:
        return workflow.payload_converter().from_payload(value.payload)
    except Exception as error:  # any decoding problem is the sender's
        raise ValueError(str(error).splitlines()[0][:300] or type(error).__name__) from None


def _first_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return signals.explain_validation(error)
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
