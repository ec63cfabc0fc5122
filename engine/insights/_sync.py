"""Bringing the store up to date from Temporal, and reading running campaigns fresh."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from engine.audit import HistoryProblem, campaign_histories
from engine.errors import ServerUnreachable, UserError
from engine.insights._facts import CampaignFacts, facts_of
from engine.insights._store import Store

_OVERLAP = dt.timedelta(minutes=5)
"""Visibility is eventually consistent: look back this far behind the watermark."""


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did."""

    taken_in: int
    """Closed campaigns read from Temporal and stored."""
    running: list[CampaignFacts]
    """Running campaigns, read fresh."""
    skipped: int = 0
    """Workflows that are not campaigns (no campaign start event)."""


async def refresh(
    client: Client, store: Store, clauses: Sequence[str], *, at_once: int = 16
) -> Refreshed:
    """Take in every campaign closed since the last refresh; read the running ones.

    ``clauses`` select the campaigns (the task queue, usually): every process is
    kept up to date, whatever a report then shows.
    """
    closed: list[tuple[str, dt.datetime]] = []
    running: list[str] = []
    known = store.known()
    since = store.watermark
    query = list(clauses)
    if since is not None:
        query.append(
            f"(CloseTime >= '{(since - _OVERLAP).isoformat()}' OR ExecutionStatus = 'Running')"
        )
    try:
        async for execution in client.list_workflows(" AND ".join(query) or None):
            if execution.status == WorkflowExecutionStatus.RUNNING:
                running.append(execution.id)
            elif execution.id not in known and execution.close_time is not None:
                closed.append((execution.id, execution.close_time))
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise UserError(f"cannot select campaigns: {error.message}") from None
        raise ServerUnreachable(f"cannot list campaigns: {error.message}") from None
    limit = asyncio.Semaphore(at_once)
    skipped = 0

    async def read(campaign: str) -> CampaignFacts | None:
        nonlocal skipped
        async with limit:
            histories = await campaign_histories(client, campaign)
        try:
            return facts_of(histories)
        except HistoryProblem:
            skipped += 1
            return None

    taken = [f for f in await asyncio.gather(*(read(c) for c, _ in closed)) if f is not None]
    fresh = [f for f in await asyncio.gather(*(read(c) for c in running)) if f is not None]
    # A campaign that closed between the listing and the read is stored next time.
    done = [f for f in taken if f.state != "running"]
    latest = max((at for _, at in closed), default=since)
    store.save(done, latest)
    fresh.extend(f for f in taken if f.state == "running")
    return Refreshed(len(done), fresh, skipped)
