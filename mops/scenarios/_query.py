"""The campaign's status, asked of a worker that may be slow to answer.

A query runs the campaign's code on the worker; when that takes more than the SDK's
two seconds (a worker rebuilding the campaign from its history on a loaded machine),
the SDK calls it a potential deadlock (``TMPRL1101``): the query fails, or is never
answered at all (the SDK drops the query's answer; a scenario once waited ten minutes
on it). Nothing is wrong with the campaign, and the next query is answered. So a
scenario or simulation asks with a deadline, and asks again, a few times, before the
failure counts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from engine.workflow.campaign import STATUS_QUERY, CampaignStatus

_SLOW = "TMPRL1101"
"""The SDK's code for an activation that took longer than it allows."""
_TRIES = 5
_PATIENCE = dt.timedelta(seconds=20)
"""How long one query may go unanswered: a worker that answers at all does in seconds."""


async def status_of(handle: WorkflowHandle[Any, Any]) -> CampaignStatus:
    """The campaign's status query, asked again when the worker was only slow."""
    for attempt in range(1, _TRIES + 1):
        try:
            status: CampaignStatus = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=_PATIENCE
            )
            return status
        except (WorkflowQueryFailedError, RPCError) as failed:
            if not _only_slow(failed) or attempt == _TRIES:
                raise
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _only_slow(failed: Exception) -> bool:
    """Whether the query failed only because the worker was slow to answer it."""
    if isinstance(failed, RPCError):
        return failed.status == RPCStatusCode.DEADLINE_EXCEEDED
    return _SLOW in str(failed)
