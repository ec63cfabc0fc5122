"""Waiting for a campaign on the time-skipping server, around continue-as-new.

On the time-skipping test server a query that arrives while the workflow task
that continues as new is under way makes the server start the new run but drop
the old run's end (its history stops at "workflow task started"), and it never
unlocks time skipping again: ``handle.result()`` then waits forever and every
later sleep of the shared server times out. So a test waits for a new run by
its run id (a describe reaches no workflow task), and queries only once the
campaign is no longer about to continue as new. The real server is not affected
(``mops status`` queries freely).

Every campaign waited on is remembered in ``STARTED``; the ``end_unfinished``
fixture of a test module terminates those still running when a test ends, so
that a failed test's campaign cannot fire reminders on the shared server with
no worker to take them, holding back its clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from engine.workflow.campaign import EVENT_SIGNAL, STATUS_QUERY, CampaignStatus, ExternalEvent

STARTED: list[WorkflowHandle[Any, Any]] = []


async def end_unfinished() -> AsyncIterator[None]:
    """Use as an autouse fixture: terminate the campaigns a test left running."""
    yield
    while STARTED:
        handle = STARTED.pop()
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test over")


async def wait_for(
    handle: WorkflowHandle[Any, Any], ready: Callable[[CampaignStatus], bool]
) -> CampaignStatus:
    """Query the campaign's status until ``ready``; never while it may continue as new
    (wait with :func:`wait_for_new_run` first)."""
    STARTED.append(handle)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            found: CampaignStatus = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=timedelta(seconds=5)
            )
        except RPCError:
            # On a loaded machine a query (a replay from the start, with no cache) can
            # take longer than its timeout: ask again.
            continue
        if ready(found):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("the campaign never got there")


async def wait_for_new_run(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until the campaign has continued as new, watching its run id."""
    STARTED.append(handle)
    first = handle.first_execution_run_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (await handle.describe()).run_id != first:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the campaign never continued as new")


async def outgrow_the_bound(handle: WorkflowHandle[Any, Any], limit: int) -> None:
    """Send events nobody waits for until the history is past ``limit`` events, then
    wait for the campaign to continue as new.

    Counted, not a fixed number of events: how many workflow tasks they take (and so
    how long the history grows) depends on how fast the worker picks them up.
    """
    first = handle.first_execution_run_id
    for n in range(limit):
        found = await handle.describe()
        length = found.raw_description.workflow_execution_info.history_length
        if found.run_id != first or length >= limit:
            break
        await handle.signal(EVENT_SIGNAL, ExternalEvent(name="noise", key=str(n)))
    await wait_for_new_run(handle)
