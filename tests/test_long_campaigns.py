"""Long campaigns continue as new before their history grows large, and lose nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support import (
    NOTICES,
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    sealed_update,
    signal,
    signed,
    start,
    team,
    worker_for,
)
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment
from waiting import outgrow_the_bound as outgrow
from waiting import wait_for

from engine.client import said
from engine.errors import UserError
from engine.ir import ProcessIR
from engine.workflow.campaign import (
    ACT_UPDATE,
    EVENT_SIGNAL,
    STATUS_QUERY,
    CampaignStart,
    CampaignStatus,
    ExternalEvent,
)
from engine.workflow.work_items import Act
from workers import builtin_registry

DRIP = """\
process drip "A year of weekly touches"
  input lead: email
  input started: date = 2026-01-05
  set touches = 0
  set replied = false
  task touch "Weekly touch" = log.info(message: "touch {touches} for {lead}")
  set touches = touches + 1
  set last = started + 7 days
  wait 7 days
  go back to touch, at most 51 times
  wait for event "lead.replied" key lead as reply, deadline 1 day -> done
  set replied = true
  task done "Wrap up" = log.info(message: "done after {touches}")
  output touches = touches
  output last = last
  output replied = replied
  output reply = reply.text
"""


async def test_a_year_long_drip_keeps_its_history_bounded(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(DRIP.replace("  output reply = reply.text\n", ""), registry)
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue, cached=100):
        campaign = f"drip-{uuid.uuid4().hex[:6]}"
        begin = CampaignStart(
            process=process,
            inputs={"lead": "jo@acme.example"},
            started_by="test",
            history_limit=120,
        )
        handle = await time_env.client.start_workflow(
            process.name,
            args=signed(begin, campaign),
            id=campaign,
            task_queue=queue,
        )
        # Sent early, in the first run: it must survive every continue-as-new.
        await signal(
            time_env.client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.replied", key="jo@acme.example", data={"t": 1}),
        )
        result = await handle.result()
        status = await handle.query(STATUS_QUERY, result_type=CampaignStatus)
        history = await handle.fetch_history()
    # The early event was carried through every continue-as-new and used at the end.
    assert result["outputs"] == {"touches": 52, "last": "2026-01-12", "replied": True}
    assert status.generation >= 3
    # Every run's history stays near the bound, however long the campaign runs.
    assert len(history.events) < 200
    assert [s.title for s in status.steps][-1] == "Wrap up"


SIGN_OFF = """\
process sign_off "Sign off the launch"
  task prepare "Prepare the launch" = log.info(message: "ready")
  approval review "Review the launch"
    by 2 of role editor
    deadline 3 days
    remind every 1 day
    escalate to role lead
  task launch "Launch" = log.info(message: "launched")
  output approvers = review.approvers
  output rounds = review.rounds
"""
EDITORS = team("v1-editors", ana="editor", ben="editor", dan="lead")


HISTORY_LIMIT = 40
"""The history bound of the sign-off campaigns below."""


async def start_sign_off(
    client: Client, process: ProcessIR, queue: str
) -> WorkflowHandle[Any, Any]:
    """A sign-off campaign with the editors' team and the small history bound."""
    return await start(client, process, {}, queue, team=EDITORS, history_limit=HISTORY_LIMIT)


async def outgrow_the_bound(handle: WorkflowHandle[Any, Any]) -> None:
    await outgrow(handle, HISTORY_LIMIT)


async def test_a_campaign_continues_as_new_while_an_approval_is_open(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    registry = registry_replacing(recorded_notify)
    process = compile_text(SIGN_OFF, registry)
    queue = new_task_queue()
    # cached=0: every workflow task replays the campaign (and the carried step) from scratch.
    async with worker_for(client, registry, queue, cached=0):
        handle = await start_sign_off(client, process, queue)
        first = await wait_for(handle, lambda s: any(i.step == "review" for i in s.open_items))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        # Events nobody waits for grow the history past its bound while the step is open.
        await outgrow_the_bound(handle)
        renewed = await wait_for(handle, lambda s: s.generation == 1)
        with pytest.raises(UserError) as twice:
            await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        answer = await act(client, handle.id, Act(step="review", actor="ben", action="approve"))
        result = await handle.result()
        history = await handle.fetch_history()
    opened = first.open_items[0]
    carried = renewed.open_items[0]
    # The step went on where it was: same round, deadline and decisions so far.
    assert renewed.generation == 1
    assert (carried.round, carried.deadline, carried.opened_at) == (
        opened.round,
        opened.deadline,
        opened.opened_at,
    )
    assert [(d.actor, d.action) for d in carried.decisions] == [("ana", "approve")]
    assert str(twice.value) == "refused: ana has already acted on 'Review the launch' in this round"
    assert said(answer) == "'Review the launch' is approved"
    assert result["outputs"] == {"approvers": ["ana", "ben"], "rounds": 1}
    # The new run did not open the step again (one record of it); the last run's
    # history holds the end of the campaign.
    titles = [s.title for s in renewed.steps]
    assert titles.count("Approval: Review the launch") == 1
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert kinds[-1] == "workflow_execution_completed_event_attributes"
    assert "activity_task_scheduled_event_attributes" in kinds  # the launch ran in this run


async def test_a_decision_that_reaches_the_new_run_as_it_starts_is_taken(
    time_env: WorkflowEnvironment,
) -> None:
    """The new run opens the carried step before any handler runs (workflow.init): a
    decision in its very first workflow task is judged against the open step."""
    client = time_env.client
    registry = registry_replacing(recorded_notify)
    process = compile_text(SIGN_OFF, registry)
    queue = new_task_queue()
    async with worker_for(client, registry, queue, cached=0):
        handle = await start_sign_off(client, process, queue)
        await wait_for(handle, lambda s: any(i.step == "review" for i in s.open_items))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        await outgrow_the_bound(handle)
        answer = await act(client, handle.id, Act(step="review", actor="ben", action="approve"))
        result = await handle.result()
    assert said(answer) == "'Review the launch' is approved"
    assert result["outputs"] == {"approvers": ["ana", "ben"], "rounds": 1}


async def test_a_start_from_outside_claiming_to_continue_a_campaign_is_refused(
    time_env: WorkflowEnvironment,
) -> None:
    """A continued run's start (its open step, its decisions so far) is the campaign's
    own: one sent from outside, even signed, runs nothing and opens nothing."""
    client = time_env.client
    registry = registry_replacing(recorded_notify)
    process = compile_text(SIGN_OFF, registry)
    queue = new_task_queue()
    async with worker_for(client, registry, queue, cached=0):
        handle = await start_sign_off(client, process, queue)
        await wait_for(handle, lambda s: any(i.step == "review" for i in s.open_items))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        await outgrow_the_bound(handle)
        renewed = await client.get_workflow_handle(handle.id).fetch_history()
        started = renewed.events[0].workflow_execution_started_event_attributes
        carried = client.data_converter.payload_converter.from_payload(
            started.input.payloads[0], CampaignStart
        )
        campaign = f"sign-off-{uuid.uuid4().hex[:6]}"
        again: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            process.name,
            args=signed(carried, campaign),
            id=campaign,
            task_queue=queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
        args, update_id = sealed_update(
            campaign, {"step": "review", "actor": "ben", "action": "approve"}
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await client.execute_update_with_start_workflow(
                ACT_UPDATE, args=args, id=update_id, start_workflow_operation=again
            )
        forged = await again.workflow_handle()
        with pytest.raises(WorkflowFailureError) as failed:
            await forged.result()
    assert "step 'review' is not open" in str(getattr(refused.value.cause, "message", ""))
    assert "a new campaign cannot claim to continue another" in str(failed.value.cause)


async def test_reminders_and_escalation_keep_their_times_across_continue_as_new(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    registry = registry_replacing(recorded_notify)
    process = compile_text(SIGN_OFF, registry)
    queue = new_task_queue()
    NOTICES.clear()
    async with worker_for(client, registry, queue, cached=0):
        handle = await start_sign_off(client, process, queue)
        first = await wait_for(handle, lambda s: any(i.step == "review" for i in s.open_items))
        opened = first.open_items[0].opened_at
        # A day and a half in (one reminder sent), the history outgrows its bound.
        await time_env.sleep(36 * 3600)
        await outgrow_the_bound(handle)
        # Three days and an hour after the step opened: the rest of the reminders
        # and the escalation to the lead, on the first run's schedule.
        await time_env.sleep(36 * 3600 + 3600)
        late = await wait_for(handle, lambda s: bool(s.open_items and s.open_items[0].escalated))
        await act(client, handle.id, Act(step="review", actor="dan", action="approve"))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        result = await handle.result()
    kinds = [n["kind"] for n in NOTICES]
    # The step opened (its people were told); days one and two remind; on day three the
    # deadline and the third reminder fall due together, counted from when the step
    # opened in the first run. Nobody is told again of the opening after the new run.
    assert kinds == ["opened", "reminder", "reminder", "escalation", "reminder"]
    assert late.open_items[0].opened_at == opened
    assert late.open_items[0].added == ("dan",)
    assert result["outputs"]["approvers"] == ["dan", "ana"]
