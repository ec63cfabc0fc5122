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
    listed: int = 0
    """Closed workflows the server listed (0: it only counted them, nothing new)."""


async def refresh(
    client: Client, store: Store, clauses: Sequence[str], *, at_once: int = 16
) -> Refreshed:
    """Take in every campaign closed since the last refresh; read the running ones.

    ``clauses`` select the campaigns (the task queue, usually): every process is
    kept up to date, whatever a report then shows.

    Visibility is eventually consistent, so the campaigns that closed in the
    last minutes before the watermark are listed again, in case one showed up
    late. Listing costs the server about a millisecond a campaign; counting
    them costs next to nothing. So the store remembers how many the server
    counted in that window when every one of them was known, and when the count
    is the same the window is not listed again: a refresh with nothing new
    lists only the running campaigns.
    """
    closed: list[tuple[str, dt.datetime]] = []
    listed: list[dt.datetime] = []
    running: list[str] = []
    known = store.known()
    since = store.watermark
    query = list(clauses)
    if since is not None:
        window = since - _OVERLAP
        if store.checked == (window, await _count(client, [*clauses, _closed_since(window)])):
            query.append("ExecutionStatus = 'Running'")
        else:
            query.append(f"({_closed_since(window)} OR ExecutionStatus = 'Running')")
    try:
        async for execution in client.list_workflows(" AND ".join(query) or None):
            if execution.status == WorkflowExecutionStatus.RUNNING:
                running.append(execution.id)
            elif execution.close_time is not None:
                listed.append(execution.close_time)
                if execution.id not in known:
                    closed.append((execution.id, execution.close_time))
    except RPCError as error:
        raise _listing_error(error) from None
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
    if listed and latest is not None and len(done) == len(taken):
        # Counted after the listing: a campaign that closed in between is counted but
        # not known, and the window is listed again next time. (Workflows that are not
        # campaigns are counted and listed, never stored: they need no second look.)
        window = latest - _OVERLAP
        seen = sum(at >= window for at in listed)
        if await _count(client, [*clauses, _closed_since(window)]) == seen:
            store.mark_checked(window, seen)
    fresh.extend(f for f in taken if f.state == "running")
    return Refreshed(len(done), fresh, skipped, len(listed))


def _closed_since(moment: dt.datetime) -> str:
    return f"CloseTime >= '{moment.isoformat()}'"


async def _count(client: Client, clauses: Sequence[str]) -> int:
    try:
        return (await client.count_workflows(" AND ".join(clauses))).count
    except RPCError as error:
        raise _listing_error(error) from None


def _listing_error(error: RPCError) -> UserError:
    if error.status == RPCStatusCode.INVALID_ARGUMENT:
        return UserError(f"cannot select campaigns: {error.message}")
    return ServerUnreachable(f"cannot list campaigns: {error.message}")
