"""Steps that run an action: ``task`` and ``notify``, and every activity a campaign runs.

Every task, notice and undo is one activity: its type is the action name, its
summary the step's title, its id the step and how many times it has run (the
workers derive each side effect's idempotency key from it), and its input a
:class:`~engine.workflow.campaign.TaskRequest` that says what it is for.
Runs inside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from bounds import size_problem
from engine import ir
from engine.workflow import patches
from engine.workflow._chosen import chosen_parties
from engine.workflow._state import Env, RunState
from engine.workflow.campaign import TaskRequest
from engine.workflow.facts import NoticeFact, TaskPurpose
from engine.workflow.values import display, from_plain_json, to_json

NOTIFY_TIMEOUT = timedelta(minutes=5)
NOTIFY_HEARTBEAT = timedelta(seconds=30)


async def run_activity(
    run: RunState,
    *,
    step: str,
    title: str,
    action: str,
    arguments: dict[str, Any],
    span: ir.Span,
    start_to_close: timedelta,
    retry: ir.RetryPolicy,
    heartbeat: timedelta | None,
    purpose: TaskPurpose = TaskPurpose.TASK,
    notice: NoticeFact | None = None,
) -> Any:
    """Run one activity for ``step`` as a record of the campaign's status; a failure
    fails the step.

    A notice and an undo are recorded as ``<step>.notice`` and ``<step>.undo``, and
    their activity ids are made from those, as they always were: the activity ids
    of running campaigns must not change.
    """
    if run.bounded() and (problem := size_problem(arguments)) is not None:
        # Temporal refuses a task input of 2 MB, and would refuse it on every retry.
        raise run.failure(span, f"step '{step}': its arguments hold {problem}", "InvalidValue")
    source = run.location(span)
    step_id = step if purpose is TaskPurpose.TASK else f"{step}.{purpose.value}"
    runs = run.runs[step_id] = run.runs.get(step_id, 0) + 1
    run.begin(step_id, title, action, source)
    request = TaskRequest(
        step=step,
        title=title,
        source=source,
        arguments=arguments,
        purpose=purpose,
        notice=notice,
    )
    try:
        result = await workflow.execute_activity(
            action,
            request,
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
        if isinstance(error.cause, CancelledError) and patches.EXIT_CANCELS_CLEANLY.applies():
            # The block it ran in was left (an exit fired): cancelled, not failed.
            run.end(step_id, "failed", "cancelled: the block it ran in was left")
            raise asyncio.CancelledError from None
        # Workers already name the step in their messages; say it once.
        reason = failure_reason(error).removeprefix(f'step "{title}" ({source}): ')
        run.end(step_id, "failed", reason)
        raise ApplicationError(
            f'step "{title}" ({source}) failed: {reason}',
            type="TaskFailed",
            non_retryable=True,
        ) from error
    run.end(step_id, "done")
    return result


async def task(run: RunState, step: ir.TaskStep, env: Env) -> None:
    """A ``task`` step: call its action with its arguments; its result takes its name."""
    arguments = {
        name: to_json(run.eval(expr, env, step.id)) for name, expr in step.arguments.items()
    }
    result = await run_activity(
        run,
        step=step.id,
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
    if run.bounded() and (problem := size_problem(result)) is not None:
        message = f"step '{step.id}': its result holds {problem}"
        raise run.failure(step.span, message, "InvalidValue")
    env[step.id] = from_plain_json(result)


async def notify(run: RunState, step: ir.NotifyStep, env: Env) -> None:
    """A ``notify`` step: a message to roles and people."""
    message = display(run.eval(step.message, env, step.id))
    to = [f"{p.kind}:{p.name}" for p in step.parties]
    to += chosen_parties(run, step, step.parties_from, env)
    title = "Notify " + ", ".join(t.replace(":", " ", 1) for t in to)
    arguments: dict[str, Any] = {"to": to, "message": message}
    if step.subject is not None:
        arguments["subject"] = display(run.eval(step.subject, env, step.id))
    await run_activity(
        run,
        step=step.id,
        title=title,
        action="notify.send",
        arguments=arguments,
        span=step.span,
        start_to_close=NOTIFY_TIMEOUT,
        retry=ir.RetryPolicy(),
        heartbeat=NOTIFY_HEARTBEAT,
    )


def failure_reason(error: ActivityError) -> str:
    """The innermost application failure's message (the one that names the step)."""
    cause: BaseException | None = error.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    return cause.message if cause is not None else error.message
