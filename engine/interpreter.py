"""The one workflow that runs every process: a dynamic workflow interpreting the IR.

Each campaign is one execution whose workflow type is the process name. This
module runs inside Temporal's sandbox: it does no I/O, imports no Lark, reads
no clock but ``workflow.now()``. Our pure modules are passed through the
sandbox so they are imported once per worker, not once per campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, assert_never

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine import ir
    from engine.campaign import (
        STATUS_QUERY,
        CampaignResult,
        CampaignStart,
        CampaignStatus,
        StepRecord,
        TaskRequest,
    )
    from engine.evaluate import EvaluationError, evaluate
    from engine.values import ValueProblem, from_json, from_plain_json, to_json


@workflow.defn(dynamic=True)
class CampaignWorkflow:
    """Interprets a :class:`~engine.ir.ProcessIR` step by step."""

    def __init__(self) -> None:
        self._process: ir.ProcessIR | None = None
        self._status: CampaignStatus | None = None
        self._env: dict[str, Any] = {}
        self._runs: dict[str, int] = {}

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> CampaignResult:
        if len(args) != 1:
            raise ApplicationError(
                "a campaign takes one input", type="InvalidStart", non_retryable=True
            )
        start = workflow.payload_converter().from_payload(args[0].payload, CampaignStart)
        process = self._process = start.process
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
        )
        self._env = _bind_inputs(process, start.inputs)
        try:
            await self._body(process.body)
            outputs = {o.name: self._output(o) for o in process.outputs}
        except ApplicationError as error:
            self._update(state="failed", current_step=None, error=error.message)
            raise
        self._update(state="completed", current_step=None, outputs=outputs)
        workflow.set_current_details(f"Completed: {process.title}")
        done = sum(1 for s in self._require_status().steps if s.state == "done")
        return CampaignResult(outputs=outputs, steps_done=done)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> CampaignStatus:
        """Where the campaign is: steps started and finished, current step, outputs."""
        return self._require_status()

    # ---- steps -----------------------------------------------------------------

    async def _body(self, body: tuple[ir.Step, ...]) -> None:
        for step in body:
            match step:
                case ir.TaskStep():
                    await self._task(step)
                case ir.IfStep():
                    await self._if(step)
                case _:
                    assert_never(step)

    async def _if(self, step: ir.IfStep) -> None:
        for branch in step.branches:
            if self._condition(branch.condition):
                await self._body(branch.body)
                return
        await self._body(step.orelse)

    async def _task(self, step: ir.TaskStep) -> None:
        process = self._require_process()
        source = process.location(step.span)
        arguments = {name: to_json(self._eval(expr, step)) for name, expr in step.arguments.items()}
        runs = self._runs[step.id] = self._runs.get(step.id, 0) + 1
        self._begin(step, source)
        try:
            result = await workflow.execute_activity(
                step.action,
                TaskRequest(step=step.id, title=step.title, source=source, arguments=arguments),
                # Stable across retries and replays: the workers derive the
                # idempotency key of every side effect from it.
                activity_id=f"{step.id}.{runs}",
                summary=step.title,
                start_to_close_timeout=timedelta(seconds=step.timeout_seconds),
                heartbeat_timeout=(
                    None
                    if step.heartbeat_seconds is None
                    else timedelta(seconds=step.heartbeat_seconds)
                ),
                retry_policy=RetryPolicy(
                    maximum_attempts=step.retry.maximum_attempts,
                    initial_interval=timedelta(seconds=step.retry.initial_interval_seconds),
                    backoff_coefficient=step.retry.backoff,
                    maximum_interval=timedelta(seconds=step.retry.maximum_interval_seconds),
                ),
                result_type=dict,
            )
        except ActivityError as error:
            # Workers already name the step in their messages; say it once.
            reason = _failure_reason(error).removeprefix(f'step "{step.title}" ({source}): ')
            self._end(step.id, "failed", reason)
            raise ApplicationError(
                f'step "{step.title}" ({source}) failed: {reason}',
                type="TaskFailed",
                non_retryable=True,
            ) from error
        self._env[step.id] = from_plain_json(result)
        self._end(step.id, "done")

    # ---- values ----------------------------------------------------------------

    def _eval(self, expr: ir.Expr, step: ir.TaskStep | ir.IfStep | ir.OutputDecl) -> Any:
        try:
            return evaluate(expr, self._env)
        except EvaluationError as error:
            process = self._require_process()
            where = process.location(error.span)
            what = (
                f"output '{step.name}'" if isinstance(step, ir.OutputDecl) else f"step '{step.id}'"
            )
            raise ApplicationError(
                f"{where}: {what}: {error.message}", type="ExpressionFailed", non_retryable=True
            ) from None

    def _condition(self, expr: ir.Expr) -> bool:
        process = self._require_process()
        value = self._eval(expr, ir.IfStep(id="if", branches=(), orelse=(), span=expr.span))
        if not isinstance(value, bool):
            raise ApplicationError(
                f"{process.location(expr.span)}: the condition is not true or false",
                type="ExpressionFailed",
                non_retryable=True,
            )
        return value

    def _output(self, output: ir.OutputDecl) -> Any:
        value = to_json(self._eval(output.value, output))
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

    def _begin(self, step: ir.TaskStep, source: str) -> None:
        record = StepRecord(
            id=step.id,
            title=step.title,
            action=step.action,
            source=source,
            state="running",
            started_at=workflow.now(),
        )
        status = self._require_status()
        self._update(current_step=step.id, steps=(*status.steps, record))
        workflow.set_current_details(f"Step: **{step.title}** ({step.action}) at {source}")

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
        self._status = self._require_status().model_copy(update=changes)

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


def _failure_reason(error: ActivityError) -> str:
    cause: BaseException | None = error.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    return cause.message if cause is not None else error.message
