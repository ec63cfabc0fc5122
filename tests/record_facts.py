"""Record the histories of tests/histories/facts/ on a real dev server (search attributes on).

``python -m tests.record_facts`` runs two campaigns of a process that touches every
fact the audit reader reads - a step opening, reminders, escalations, a refused
attempt, a rejection with a comment, rework, a delegation, a quorum, a rule, two
``wait`` steps, an event deadline, a failing task undone (compensation) - and
writes their histories. They were first recorded by the engine that wrote these
facts as English sentences (timer summaries, notice titles, update replies), so
the compatibility reader must keep reading them exactly as before:
tests/test_timeline_golden.py pins their timelines.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from support import (
    SCRIPTS,
    compile_text,
    operator,
    recorded_notify,
    registry_replacing,
    signal,
    signed,
    team,
    worker_for,
)
from support import act as send
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from waiting import eventually, wait_open

HERE = Path(__file__).resolve().parent / "histories" / "facts"

PROCESS = """\
process facts "Every fact of the timeline"
  input budget: money = 2000 EUR
  input lead: text = "lead-1"
  input stop: bool = false

  task prepare "Prepare the brief" = log.info(message: "Brief for {budget}")
    undo with log.info(message: "Withdraw the brief")

  work draft "Write the draft"
    assign role writer
    deadline 2 seconds
    remind every 4 seconds
    escalate to role lead after 6 seconds
    returns doc_url: url

  approval review "Review the draft"
    by 2 of role editor
    not by draft.assignee
    deadline 30 seconds
    escalate to role lead
    on reject -> draft
    at most 3 rounds

  decide tier "Pick the tier"
    when budget >= 1000 EUR -> "paid"
    otherwise -> "organic"

  wait 1 second
  wait until now() + 1 second
  wait for event "lead.replied" key lead, deadline 1 second
  task publish "Publish" = log.info(message: "Publish {tier}")
  if stop
    fail "Stopped on purpose after {draft.doc_url}"
  output tier_chosen = tier
"""

TEAM = team(
    "v1-facts", cleo="writer", dora="writer", ana="editor", ben="editor", eve="editor", lena="lead"
)


async def notices_sent(handle: WorkflowHandle[Any, Any], count: int) -> None:
    """Passes once ``count`` notices have been handed to the workers."""
    history = await handle.fetch_history()
    sent = sum(
        1
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data).get(
            "purpose"
        )
        == "notice"
    )
    assert sent >= count, f"{sent} notices so far"


async def until_open(client: Client, campaign: str, step: str) -> None:
    await wait_open(client.get_workflow_handle(campaign), step)


async def act(client: Client, campaign: str, **fields: Any) -> None:
    from engine.workflow.work_items import Act

    print(await send(client, campaign, Act(**fields), by="olga"))


async def run(env: WorkflowEnvironment, *, fail: bool) -> str:
    from engine.client import report_refusal
    from engine.workflow import attributes as sa
    from engine.workflow.campaign import CampaignStart

    registry = registry_replacing(recorded_notify)
    process = compile_text(PROCESS, registry, name="facts.mops")
    queue = f"facts-{uuid.uuid4().hex[:6]}"
    campaign = "facts-failed" if fail else "facts-completed"
    client = env.client
    async with worker_for(client, registry, queue):
        start = CampaignStart(process=process, inputs={"stop": fail}, started_by="olga", team=TEAM)
        handle = await client.start_workflow(
            process.name,
            args=signed(start, campaign),
            id=campaign,
            task_queue=queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.VERSION, process.version),
                    SearchAttributePair(sa.OWNER, "olga"),
                    SearchAttributePair(sa.EVENTS, sa.events_of(process)),
                ]
            ),
        )
        await until_open(client, campaign, "draft")
        # The opening's notice, a reminder (4 s), the escalation to the lead (6 s), a
        # second reminder (8 s): two seconds apart, so a worker slowed by a loaded machine
        # still sees them one by one.
        await eventually(lambda: notices_sent(handle, 4))
        await act(
            client,
            campaign,
            step="draft",
            actor="cleo",
            action="complete",
            outputs={"doc_url": "https://x.example/1"},
        )
        await until_open(client, campaign, "review")
        from engine.workflow.campaign import ExternalEvent, OperatorAction, TeamPush
        from engine.workflow.work_items import Act

        await report_refusal(
            client,
            campaign,
            Act(step="review", actor="cleo", action="approve"),
            "cleo may not act on 'Review the draft': separation of duties",
            credentials=operator("olga").asserting("cleo"),
        )
        await signal(
            client, campaign, "pause", OperatorAction(by="olga", reason="budget freeze"), by="olga"
        )
        await signal(client, campaign, "resume", OperatorAction(by="olga"), by="olga")
        pushed = TeamPush(by="olga", team=TEAM.model_copy(update={"version": "v2-facts"}))
        await signal(client, campaign, "team", pushed, by="olga")
        await signal(
            client,
            campaign,
            "event",
            ExternalEvent(name="lead.replied", key="someone-else"),
            by="olga",
        )
        await handle.signal("bogus", {"x": 1})
        await act(
            client,
            campaign,
            step="review",
            actor="ana",
            action="reject",
            comment="Remove the 'best in class' claim",
        )
        await until_open(client, campaign, "draft")
        await act(
            client,
            campaign,
            step="draft",
            actor="dora",
            action="complete",
            outputs={"doc_url": "https://x.example/2"},
        )
        await until_open(client, campaign, "review")
        await act(client, campaign, step="review", actor="ana", action="delegate", to="eve")
        await act(client, campaign, step="review", actor="ben", action="approve")
        await act(
            client, campaign, step="review", actor="eve", action="approve", comment="Fine now"
        )
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
        history = await handle.fetch_history()
    return history.to_json()


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh dev server (in memory) with the search attributes of MOps Flow."""
    from engine.workflow.attributes import ALL

    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        dev_server_extra_args=[
            arg for name, kind in ALL.items() for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def main() -> None:
    async with dev_server() as env:
        HERE.mkdir(parents=True, exist_ok=True)
        for name, fail in (("completed_with_people", False), ("failed_and_undone", True)):
            (HERE / f"{name}.json").write_text(await run(env, fail=fail))
            print("recorded", HERE / f"{name}.json")


if __name__ == "__main__":
    asyncio.run(main())
