"""Compensation beyond failures: cancelled ``parallel`` branches and an operator's cancel
undo what they had completed, newest first. Runs on the time-skipping server."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import compile_text, new_task_queue, registry_with, signal, start, worker_for
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from waiting import status, wait_for

from engine.workflow.campaign import (
    CANCEL_SIGNAL,
    OperatorAction,
)
from workers import ActionContext, action

CALLS: list[str] = []


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Booking(BaseModel):
    booking: str


@action("ads.book", description="Stand-in: book an ad slot")
async def book(params: Slot, ctx: ActionContext) -> Booking:
    CALLS.append(f"book {params.name}")
    return Booking(booking=params.name)


@action("ads.cancel", description="Stand-in: cancel an ad booking")
async def unbook(params: Slot, ctx: ActionContext) -> Booking:
    CALLS.append(f"cancel {params.name}")
    return Booking(booking=params.name)


REGISTRY = registry_with(book, unbook)


def booking(name: str, indent: str) -> str:
    return (
        f'{indent}task {name} "Book {name}" = ads.book(name: "{name}")\n'
        f"{indent}  undo with ads.cancel(name: {name}.booking)\n"
    )


async def completion_order(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The steps whose tasks completed, in the order the campaign's history took them."""
    scheduled: dict[int, str] = {}
    order: list[str] = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            activity_id = event.activity_task_scheduled_event_attributes.activity_id
            scheduled[event.event_id] = activity_id.rsplit(".", 1)[0]
        elif event.HasField("activity_task_completed_event_attributes"):
            attributes = event.activity_task_completed_event_attributes
            order.append(scheduled[attributes.scheduled_event_id])
    return order


async def begin(env: WorkflowEnvironment, text: str, queue: str) -> WorkflowHandle[Any, Any]:
    return await start(env.client, compile_text(text, REGISTRY), {}, queue, started_by="t")


async def test_the_losing_branches_of_parallel_first_are_undone_newest_first(
    time_env: WorkflowEnvironment,
) -> None:
    CALLS.clear()
    text = (
        'process race "Race for the slot"\n'
        "  parallel first\n"
        "    branch slow\n"
        + booking("slow_one", "      ")
        + booking("slow_two", "      ")
        + "      wait 3 days\n"
        + booking("slow_three", "      ")
        + "    branch fast\n"
        + "      wait 1 day\n"
        + booking("fast", "      ")
        + "    branch nested\n"
        + "      parallel all\n"
        + booking("inner_a", "        ")
        + "        branch later\n"
        + "          wait 2 days\n"
        + booking("inner_b", "          ")
        + booking("after", "  ")
        + "  output done = true\n"
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await begin(time_env, text, queue)
        result = await handle.result()
        steps = (await status(handle)).steps
    assert result["outputs"] == {"done": True}
    booked = [c for c in CALLS if c.startswith("book")]
    assert sorted(booked[:3]) == ["book inner_a", "book slow_one", "book slow_two"]
    assert booked[3:] == ["book fast", "book after"]
    # What the cancelled branches had done is undone, newest first; the winner stays.
    undone = [c for c in CALLS if c.startswith("cancel")]
    # Newest by the campaign's record: the order its history took the bookings in
    # (two bookings running at once may be taken in the other order than they ran).
    order = [n for n in await completion_order(handle) if n in ("inner_a", "slow_one", "slow_two")]
    assert undone == [f"cancel {name}" for name in reversed(order)]
    assert CALLS.index("book after") > CALLS.index(undone[-1])
    assert "book slow_three" not in CALLS and "book inner_b" not in CALLS
    assert [s.title for s in steps if s.title.startswith("Undo")] == [
        f"Undo: Book {name}" for name in reversed(order)
    ]


async def test_n_of_undoes_only_the_branches_it_cancels(time_env: WorkflowEnvironment) -> None:
    CALLS.clear()
    text = (
        'process two_of "Two of three"\n'
        "  parallel 2 of\n"
        "    branch a\n"
        + "      wait 1 day\n"
        + booking("a", "      ")
        + "    branch b\n"
        + "      wait 2 days\n"
        + booking("b", "      ")
        + "    branch c\n"
        + booking("c_first", "      ")
        + "      wait 5 days\n"
        + booking("c_second", "      ")
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await begin(time_env, text, queue)
        await handle.result()
    assert CALLS == ["book c_first", "book a", "book b", "cancel c_first"]


async def test_a_failure_after_parallel_first_undoes_the_winner_once(
    time_env: WorkflowEnvironment,
) -> None:
    CALLS.clear()
    text = (
        'process undo_once "Undo once"\n'
        "  parallel first\n"
        "    branch fast\n"
        + "      wait 1 hour\n"
        + booking("fast", "      ")
        + "    branch slow\n"
        + booking("slow", "      ")
        + "      wait 2 days\n"
        + '  fail "The budget was withdrawn"\n'
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await begin(time_env, text, queue)
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    # The fast branch wins after an hour; the slow one had booked and is undone when
    # cancelled; the failure then undoes the winner. Nothing is undone twice.
    # (The winners finish while no task of the others is under way: the time-skipping
    # server refuses to cancel an activity whose completion is in flight.)
    assert CALLS == ["book slow", "book fast", "cancel slow", "cancel fast"]


async def test_an_operator_cancel_undoes_completed_tasks_newest_first(
    time_env: WorkflowEnvironment,
) -> None:
    CALLS.clear()
    text = (
        'process ads "Book the ads"\n'
        + booking("linkedin", "  ")
        + booking("search", "  ")
        + "  wait 7 days\n"
        + booking("print", "  ")
    )
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await begin(time_env, text, queue)
        await wait_for(handle, lambda found: sum(s.state == "done" for s in found.steps) == 2)
        await signal(
            time_env.client,
            handle.id,
            CANCEL_SIGNAL,
            OperatorAction(by="olga", reason="budget cut"),
            by="olga",
        )
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        final = await status(handle)
        history = await handle.fetch_history()
    assert CALLS == ["book linkedin", "book search", "cancel search", "cancel linkedin"]
    assert final.state == "cancelled"
    assert final.error == "cancelled by olga: budget cut"
    assert [s.title for s in final.steps][-2:] == ["Undo: Book search", "Undo: Book linkedin"]
    # The compensation is in the campaign's history, after the cancel request.
    kinds = [e.WhichOneof("attributes") for e in history.events]
    requested = kinds.index("workflow_execution_cancel_requested_event_attributes")
    scheduled = [i for i, k in enumerate(kinds) if k == "activity_task_scheduled_event_attributes"]
    assert len([i for i in scheduled if i > requested]) == 2
    assert kinds[-1] == "workflow_execution_canceled_event_attributes"
