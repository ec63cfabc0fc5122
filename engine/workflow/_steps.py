"""The steps that hold no other steps and ask no person: waits, rules, events and
sub-processes.

Each timer's summary is a typed :class:`~engine.workflow.facts.TimerFact` naming
its step, so the audit reader attributes every wait to its step. Runs inside the
workflow sandbox.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from engine import ir
from engine.workflow import attributes as sa
from engine.workflow import business_time, patches
from engine.workflow._state import Env, RunState
from engine.workflow.campaign import CampaignResult, CampaignStart, ExternalEvent
from engine.workflow.evaluate import EvaluationError
from engine.workflow.facts import TimerFact, TimerPurpose
from engine.workflow.jumps import JumpTo
from engine.workflow.rules import NoDecision, decide
from engine.workflow.time_values import TimeProblem, wait_target
from engine.workflow.values import display, from_plain_json, to_json


async def wait(run: RunState, step: ir.WaitStep, env: Env) -> None:
    """``wait 2 days`` / ``wait until ...``: a durable timer in the campaign's calendar
    (or the wait's own)."""
    calendar = run.calendar_of(step, env)
    now = workflow.now()
    duration = run.duration(step.duration, step.duration_expr, env, step, "the wait")
    if duration is not None:
        until = business_time.add(now, duration, calendar)
        what = f"wait {display(duration)}"
    else:
        assert step.until is not None
        moment = run.eval(step.until, env, step.id)
        try:
            until = wait_target(moment, step, calendar)
        except TimeProblem as problem:
            raise run.failure(step.span, str(problem)) from None
        what = f"wait until {until.isoformat()}"
    if until > now:
        run.begin(step.id, what, None, run.location(step.span))
        await workflow.sleep(
            until - now, summary=TimerFact(purpose=TimerPurpose.WAIT, step=step.id).summary
        )
        run.end(step.id, "done")


def decide_step(run: RunState, step: ir.DecideStep, env: Env) -> None:
    """A rule table: the matching rows decide; the decision is written to the history."""
    process = run.require_process()
    try:
        decision = decide(step, env, process.calendar, now=workflow.now(), bounded=run.bounded())
    except EvaluationError as error:
        raise run.failure(error.span, f"step '{step.id}': {error.message}") from None
    except NoDecision as problem:
        raise run.failure(problem.span, problem.message, "NoDecision") from None
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


async def wait_for_event(run: RunState, step: ir.EventStep, env: Env) -> None:
    """``wait for event ... key ...``: an event that arrived (or arrives) with the key."""
    calendar = run.calendar_of(step, env)
    key = display(run.eval(step.key, env, f"step '{step.id}'"))
    run.begin(step.id, f"Waiting for {step.event} ({key})", None, run.location(step.span))

    def arrived() -> ExternalEvent | None:
        return next((e for e in run.events if e.name == step.event and e.key == key), None)

    timeout = None
    if step.deadline is not None:
        now = workflow.now()
        timeout = business_time.add(now, step.deadline, calendar) - now
    try:
        await workflow.wait_condition(
            lambda: arrived() is not None,
            timeout=timeout,
            timeout_summary=TimerFact(purpose=TimerPurpose.EVENT, step=step.id).summary,
        )
    except TimeoutError:
        run.end(step.id, "done")
        if step.on_timeout:
            raise JumpTo(
                step.on_timeout, f"no {step.event} for {key} by the deadline", step.id
            ) from None
        return  # the deadline passed with no event: the campaign goes on
    event = arrived()
    assert event is not None
    # An event is used once; later ones with the same key wait for later steps.
    run.events.remove(event)
    if step.bind:
        env[step.bind] = from_plain_json(event.data)
    run.end(step.id, "done")


async def call(run: RunState, step: ir.CallStep, env: Env) -> None:
    """A sub-process: a campaign of its own, started and waited for."""
    start = run.require_start()
    source = run.location(step.span)
    inputs = {
        name: to_json(run.eval(e, env, f"step '{step.id}'")) for name, e in step.arguments.items()
    }
    run.begin(step.id, f"Sub-process: {step.title}", None, source)
    runs = run.rounds[f"call:{step.id}"] = run.rounds.get(f"call:{step.id}", 0) + 1
    child = f"{workflow.info().workflow_id}.{step.id}.{runs}"
    run.name_child(step.id, child)
    try:
        result = await workflow.execute_child_workflow(
            step.process.name,
            CampaignStart(
                process=step.process,
                inputs=inputs,
                started_by=run.started_by,
                team=run.team,
                history_limit=start.history_limit,
                started=run.provenance,
            ),
            id=child,
            search_attributes=_child_attributes(run, step.process),
            result_type=CampaignResult,
        )
    except ChildWorkflowError as error:
        cause = getattr(error.cause, "message", str(error.cause))
        run.end(step.id, "failed", cause)
        raise ApplicationError(
            f'step "{step.title}" ({source}) failed: {cause}',
            type="SubProcessFailed",
            non_retryable=True,
        ) from None
    env[step.id] = from_plain_json(CampaignResult.model_validate(result).outputs)
    run.end(step.id, "done")


def _child_attributes(run: RunState, process: ir.ProcessIR) -> TypedSearchAttributes | None:
    """A sub-process campaign's search attributes, so that its people steps show in
    ``mops tasks`` and events reach it (only where the parent has them)."""
    if not run.has_attributes():
        return None
    if patches.CHILD_EXIT_EVENTS.applies():
        events = sa.events_of(process)  # 'exit when event' too: an unsubscribe must reach it
    else:
        events = sorted(
            {s.event for s in ir.iter_steps(process.body) if isinstance(s, ir.EventStep)}
        )
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.VERSION, process.version),
        SearchAttributePair(sa.EVENTS, events),
    ]
    owner = workflow.info().typed_search_attributes.get(sa.OWNER)
    if owner is not None:
        pairs.append(SearchAttributePair(sa.OWNER, owner))
    if run.changed():  # a watermarked parent's children are watermarked too (patched)
        pairs.append(SearchAttributePair(sa.CHANGED_AT, workflow.now()))
    return TypedSearchAttributes(pairs)
