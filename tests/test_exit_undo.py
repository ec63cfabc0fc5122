"""Exit criteria end a block early; undo actions compensate completed tasks on failure."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import compile_text, new_task_queue, registry_with, signal, signed, worker_for
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for

from engine.workflow.campaign import (
    EVENT_SIGNAL,
    STATUS_QUERY,
    CampaignStart,
    CampaignStatus,
    ExternalEvent,
)
from workers import ActionContext, action

BOOKED: list[str] = []


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Booking(BaseModel):
    booking: str


@action("ads.book", description="Stand-in: book an ad slot")
async def book(params: Slot, ctx: ActionContext) -> Booking:
    BOOKED.append(f"book {params.name}")
    return Booking(booking=f"b-{params.name}")


@action("ads.cancel", description="Stand-in: cancel an ad booking")
async def cancel(params: Slot, ctx: ActionContext) -> Booking:
    BOOKED.append(f"cancel {params.name}")
    return Booking(booking=params.name)


REGISTRY = registry_with(book, cancel)


async def start(env: WorkflowEnvironment, text: str, inputs: dict[str, Any]) -> Any:
    process = compile_text(text, REGISTRY)
    return process, CampaignStart(process=process, inputs=inputs, started_by="t")


async def test_undo_runs_newest_first_when_a_later_step_fails(
    time_env: WorkflowEnvironment,
) -> None:
    BOOKED.clear()
    process, begin = await start(
        time_env,
        """\
process ads "Book the ads"
  task linkedin "Book LinkedIn" = ads.book(name: "linkedin")
    undo with ads.cancel(name: linkedin.booking)
  task search "Book search ads" = ads.book(name: "search")
    undo with ads.cancel(name: search.booking)
  fail "The budget was withdrawn"
""",
        {},
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        campaign = f"ads-{uuid.uuid4().hex[:6]}"
        handle = await time_env.client.start_workflow(
            process.name, args=signed(begin, campaign), id=campaign, task_queue=queue
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        steps = (await handle.query(STATUS_QUERY, result_type=CampaignStatus)).steps
    assert BOOKED == ["book linkedin", "book search", "cancel b-search", "cancel b-linkedin"]
    assert [s.title for s in steps][-2:] == ["Undo: Book search ads", "Undo: Book LinkedIn"]


async def test_exit_when_ends_the_campaign_early(time_env: WorkflowEnvironment) -> None:
    BOOKED.clear()
    process, begin = await start(
        time_env,
        """\
process nurture "Nurture a lead"
  input lead: email
  exit when event "lead.unsubscribed" key lead
  task first "First touch" = ads.book(name: "first")
  wait 7 days
  task second "Second touch" = ads.book(name: "second")
  output second = second.booking
""",
        {"lead": "jo@acme.example"},
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        campaign = f"nurture-{uuid.uuid4().hex[:6]}"
        handle = await time_env.client.start_workflow(
            process.name, args=signed(begin, campaign), id=campaign, task_queue=queue
        )
        await wait_for(
            handle, lambda found: any(s.id == "first" and s.state == "done" for s in found.steps)
        )
        await signal(
            time_env.client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.unsubscribed", key="someone@else.example"),
        )
        await signal(
            time_env.client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.unsubscribed", key="jo@acme.example"),
        )
        result = await handle.result()
    assert BOOKED == ["book first"]
    assert result["outputs"] == {"second": None}
