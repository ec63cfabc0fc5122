"""Waiting in tests: for a campaign's status, an open step, a new run, or any condition.

Every wait here has one generous deadline (:data:`DEADLINE`, longer under
``CI``) and backs off between looks, so a test waits as long as a loaded
machine needs and no longer than it must; no test sleeps a fixed time.

Around continue-as-new:

On the time-skipping test server a query that arrives while the workflow task
that continues as new is under way makes the server start the new run but drop
the old run's end (its history stops at "workflow task started"), and it never
unlocks time skipping again: ``handle.result()`` then waits forever and every
later sleep of the shared server times out. So a test waits for a new run by
its run id (a describe reaches no workflow task), and queries only once the
campaign is no longer about to continue as new. The real server is not affected
(``mops status`` queries freely).

Each test has a time-skipping server of its own (``tests/conftest.py``), so a
campaign a test leaves running goes with that server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from engine.workflow.campaign import EVENT_SIGNAL, STATUS_QUERY, CampaignStatus, ExternalEvent
from engine.workflow.work_items import WorkItem

T = TypeVar("T")

DEADLINE = 180.0 if os.environ.get("CI") else 120.0
"""Seconds any wait may take before the test fails: generous, for a loaded machine."""


def pauses() -> Iterator[float]:
    """Pauses between looks: short at first, then up to half a second."""
    pause = 0.01
    while True:
        yield pause
        pause = min(pause * 1.5, 0.5)


def wait_until(check: Callable[[], object], *, within: float = DEADLINE, what: str = "") -> None:
    """Look until ``check()`` holds (is true) (for tests that drive ``mops`` as a process).

    A look that runs ``mops`` costs a process start (a second of CPU on a loaded
    machine): the pause after a look is at least as long as the look took, so that
    waiting never takes more than half a core from the campaigns it waits for.
    """
    deadline = time.monotonic() + within
    for pause in pauses():
        looked = time.monotonic()
        if check():
            return
        now = time.monotonic()
        if now > deadline:
            raise AssertionError(f"timed out waiting{f' for {what}' if what else ''}")
        time.sleep(max(pause, min(now - looked, 2.0)))


async def eventually(
    call: Callable[[], Awaitable[T]],
    *,
    within: float = DEADLINE,
    exceptions: tuple[type[Exception], ...] = (RPCError, AssertionError),
) -> T:
    """``call()``'s result once it stops raising ``exceptions``."""
    deadline = time.monotonic() + within
    for pause in pauses():
        try:
            return await call()
        except exceptions:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def status(handle: WorkflowHandle[Any, Any]) -> CampaignStatus:
    """The campaign's status now (asked again when a loaded machine is slow to answer)."""

    async def ask() -> CampaignStatus:
        found: CampaignStatus = await handle.query(
            STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=timedelta(seconds=10)
        )
        return found

    return await eventually(ask, exceptions=(RPCError,))


async def wait_open(handle: WorkflowHandle[Any, Any], step: str) -> WorkItem:
    """Wait until ``step`` is open; the work item or approval as it is then."""
    found = await wait_for(handle, lambda s: any(i.step == step for i in s.open_items))
    return next(i for i in found.open_items if i.step == step)


async def wait_for(
    handle: WorkflowHandle[Any, Any], ready: Callable[[CampaignStatus], bool]
) -> CampaignStatus:
    """Query the campaign's status until ``ready``; never while it may continue as new
    (wait with :func:`wait_for_new_run` first)."""
    deadline = time.monotonic() + DEADLINE
    for pause in pauses():
        found: CampaignStatus | None = None
        # On a loaded machine a query (a replay from the start, with no cache) can
        # take longer than its timeout: ask again.
        with contextlib.suppress(RPCError):
            found = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=timedelta(seconds=10)
            )
        if found is not None and ready(found):
            return found
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(pause)
    raise AssertionError("the campaign never got there")


async def wait_for_new_run(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until the campaign has continued as new, watching its run id."""
    first = handle.first_execution_run_id
    deadline = time.monotonic() + DEADLINE
    for pause in pauses():
        if (await handle.describe()).run_id != first:
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(pause)
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
        if found.run_id != first:
            break
        await handle.signal(EVENT_SIGNAL, ExternalEvent(name="noise", key=str(n)))
        if length >= limit:
            # The campaign looks at its length as a workflow task starts: the task that
            # took the last event may have started just short of the bound, so one more
            # event makes sure a task starts past it.
            break
    await wait_for_new_run(handle)
