"""Work items and approvals on the time-skipping server: who may act, quorum, rework,
deadlines and escalations, refused attempts, events and sub-processes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import (
    NOTICES,
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    signal,
    start,
    worker_for,
)
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from waiting import status, wait_open

from engine.client import said
from engine.errors import UserError
from engine.ir import ProcessIR
from engine.workflow.campaign import TaskRequest
from engine.workflow.team import Away, Member, TeamSnapshot
from engine.workflow.work_items import Act, Action

TEAM = TeamSnapshot(
    version="v1-test",
    people={
        "cleo": Member(roles=("writer",)),
        "ana": Member(roles=("editor",)),
        "ben": Member(
            roles=("editor",),
            away=(Away(start=dt.date(2000, 1, 1), until=dt.date(2999, 1, 1), delegate="eve"),),
        ),
        "eve": Member(roles=()),
        "dan": Member(roles=("lead",)),
    },
)
REGISTRY = registry_replacing(recorded_notify)

REVIEW = """\
process article "Article"
  work draft "Write the draft"
    assign role writer
    deadline 2 days
    escalate to role lead
    returns doc_url: url
  approval review "Review the draft"
    by 2 of role editor
    not by draft.assignee
    deadline 3 hours
    escalate to role lead after 5 hours
    on reject -> draft
    at most 2 rounds, then fail "The draft {draft.doc_url} did not converge: {review.comment}"
  output url = draft.doc_url
  output rounds = review.rounds
  output approvers = review.approvers
"""


async def begin(client: Client, process: ProcessIR, queue: str) -> WorkflowHandle[Any, Any]:
    return await start(client, process, {}, queue, team=TEAM)


def doing(step: str, actor: str, action: Action, **more: Any) -> Act:
    return Act(step=step, actor=actor, action=action, **more)


async def test_quorum_separation_of_duties_and_delegates(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    process = compile_text(REVIEW, REGISTRY)
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await begin(client, process, queue)
        await wait_open(handle, "draft")
        with pytest.raises(UserError) as wrong_form:
            await act(client, handle.id, doing("draft", "cleo", "approve"))
        assert str(wrong_form.value) == (
            "refused: 'Write the draft' is a work item: complete it, there is nothing to approve"
        )
        url = "https://cms.example.com/a"
        answer = await act(
            client, handle.id, doing("draft", "cleo", "complete", outputs={"doc_url": url})
        )
        assert said(answer) == "'Write the draft' is completed"
        await wait_open(handle, "review")
        with pytest.raises(UserError) as barred:
            await act(client, handle.id, doing("review", "dan", "approve"))
        assert "dan is not among who may act on 'Review the draft' (role:editor)" in str(
            barred.value
        )
        assert said(await act(client, handle.id, doing("review", "ana", "approve"))) == (
            "recorded; 'Review the draft' waits for 1 more"
        )
        with pytest.raises(UserError) as twice:
            await act(client, handle.id, doing("review", "ana", "approve"))
        assert "ana has already acted" in str(twice.value)
        # Ben is away; Eve acts for him as his delegate.
        assert said(await act(client, handle.id, doing("review", "eve", "approve"))) == (
            "'Review the draft' is approved"
        )
        result = await handle.result()
        refused = (await status(handle)).refused
    assert result["outputs"] == {"url": url, "rounds": 1, "approvers": ["ana", "eve"]}
    # Every refused attempt is on record, though Temporal kept none of them.
    assert [(r.actor, r.step) for r in refused] == [
        ("cleo", "draft"),
        ("dan", "review"),
        ("ana", "review"),
    ]


async def test_rejection_loops_back_and_rounds_are_bounded(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    process = compile_text(REVIEW, REGISTRY)
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await begin(client, process, queue)
        for round_number in (1, 2):
            await wait_open(handle, "draft")
            await act(
                client,
                handle.id,
                doing("draft", "cleo", "complete", outputs={"doc_url": "https://x.example/d"}),
            )
            await wait_open(handle, "review")
            item = next(i for i in (await status(handle)).open_items if i.step == "review")
            assert item.round == round_number
            await act(client, handle.id, doing("review", "ana", "reject", comment="too long"))
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert isinstance(failed.value.cause, ApplicationError)
    # The reason is interpolated like every text, and may use the approval's own result.
    assert failed.value.cause.message == (
        "test.mops:7:3: The draft https://x.example/d did not converge: too long"
    )


async def test_deadlines_remind_and_escalate_durably(time_env: WorkflowEnvironment) -> None:
    NOTICES.clear()
    client = time_env.client
    process = compile_text(
        """\
process signoff
  approval finance "Finance sign-off"
    by role editor
    deadline 4 hours
    remind every 1 hour
    escalate to role lead
  output by = finance.approvers
""",
        REGISTRY,
    )
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await begin(client, process, queue)
        await wait_open(handle, "finance")
        with pytest.raises(UserError):
            await act(client, handle.id, doing("finance", "dan", "approve"))
        await time_env.sleep(dt.timedelta(hours=4, minutes=30))
        # Escalated to the lead, who may now approve; the step kept waiting.
        assert said(await act(client, handle.id, doing("finance", "dan", "approve"))) == (
            "'Finance sign-off' is approved"
        )
        result = await handle.result()
    assert result["outputs"] == {"by": ["dan"]}
    reminders = [n for n in NOTICES if n["kind"] == "reminder"]
    escalations = [n for n in NOTICES if n["kind"] == "escalation"]
    assert len(reminders) >= 3
    assert [e["to"] for e in escalations] == [["role:lead"]]
    assert escalations[0]["deadline"] is not None


async def test_events_early_or_late_and_deadline_jumps(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    process = compile_text(
        """\
process follow_up
  input lead: email
  wait 1 hour
  wait for event "lead.replied" key lead as reply, deadline 2 days -> chase
  task thank "Thank the lead" = log.info(message: "thanks for: {reply.text}")
  task chase "Chase the lead" = log.info(message: "chase {lead}")
  output chased = chase.logged
""",
        REGISTRY,
    )
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {"lead": "jo@acme.example"}, queue, started_by="t")
        # Sent before the campaign waits for it: kept, not lost.
        from engine.workflow.campaign import EVENT_SIGNAL, ExternalEvent

        await signal(
            client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.replied", key="someone@else", data={"text": "no"}),
        )
        await signal(
            client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.replied", key="jo@acme.example", data={"text": "yes"}),
        )
        await handle.result()
        steps = [s.title for s in (await status(handle)).steps]
        history = await handle.fetch_history()
    assert "Thank the lead" in steps
    converter = pydantic_data_converter.payload_converter
    messages = [
        converter.from_payloads(
            e.activity_task_scheduled_event_attributes.input.payloads, [TaskRequest]
        )[0].arguments["message"]
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert messages == ["thanks for: yes", "chase jo@acme.example"]


async def test_an_event_that_never_comes_takes_the_deadline_path(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    process = compile_text(
        """\
process follow_up
  input lead: email
  wait for event "lead.replied" key lead as reply, deadline 2 days -> chase
  task thank "Thank the lead" = log.info(message: "thanks for: {reply.text}")
  task chase "Chase the lead" = log.info(message: "chase {lead}")
""",
        REGISTRY,
    )
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {"lead": "jo@acme.example"}, queue, started_by="t")
        await handle.result()
        steps = [s.title for s in (await status(handle)).steps]
    assert "Thank the lead" not in steps
    assert "Chase the lead" in steps


async def test_sub_processes_run_as_child_campaigns(
    time_env: WorkflowEnvironment, tmp_path: Any
) -> None:
    (tmp_path / "nurture.mops").write_text(
        'process nurture\n  input email: email\n  task hello = log.info(message: "hi {email}")\n'
        "  output greeted = email\n"
    )
    (tmp_path / "main.mops").write_text(
        'use "nurture.mops"\nprocess main\n  call n "Nurture" = nurture(email: "a@b.example")\n'
        "  output child = n.greeted\n"
    )
    from dsl import Catalogue
    from engine.compiler import compile_file

    process, _ = compile_file(tmp_path / "main.mops", Catalogue(REGISTRY.signatures()))
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await begin(time_env.client, process, queue)
        result = await handle.result()
    assert result["outputs"] == {"child": "a@b.example"}
