"""Reading campaigns' histories from the cluster: every run, oldest first."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from engine.audit._model import Timeline
from engine.audit._timeline import HistoryProblem, read_timeline
from engine.errors import ServerUnreachable, UserError
from engine.workflow import attributes as sa


async def campaign_histories(client: Client, campaign_id: str) -> list[WorkflowHistory]:
    """The histories of every run of a campaign, oldest first.

    A campaign that continued as new has several runs under one workflow id;
    each run's start event names the run before it, so the chain is followed
    back from the latest run.

    Raises:
        UserError: no campaign has that id.
    """
    try:
        latest = await client.get_workflow_handle(campaign_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise UserError(
                f"no campaign '{campaign_id}'", hint="'mops list' shows the campaigns"
            ) from None
        raise ServerUnreachable(f"cannot read campaign '{campaign_id}': {error.message}") from None
    histories: list[WorkflowHistory] = []
    run_id: str | None = latest.run_id
    seen: set[str] = set()
    while run_id and run_id not in seen:
        seen.add(run_id)
        history = await client.get_workflow_handle(campaign_id, run_id=run_id).fetch_history()
        histories.append(history)
        first = history.events[0].workflow_execution_started_event_attributes
        run_id = first.continued_execution_run_id or None
    histories.reverse()
    return histories


async def campaign_timeline(client: Client, campaign_id: str) -> Timeline:
    """The timeline of one campaign, running or finished.

    Raises:
        UserError: no such campaign, or it is not a campaign of MOps Flow.
    """
    histories = await campaign_histories(client, campaign_id)
    try:
        return read_timeline(histories)
    except HistoryProblem as problem:
        raise UserError(f"'{campaign_id}' is not a campaign: {problem}") from None


def selection_query(
    *,
    task_queue: str | None = None,
    process: str | None = None,
    version: str | None = None,
    owner: str | None = None,
    approved_by: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[str]:
    """Visibility-query clauses for the auditors' filters (start time for the dates)."""
    clauses: list[str] = []
    if task_queue:
        clauses.append(f"TaskQueue = '{_quote(task_queue)}'")
    if process:
        clauses.append(f"WorkflowType = '{_quote(process)}'")
    if version:
        clauses.append(f"{sa.VERSION.name} = '{_quote(version[:12])}'")
    if owner:
        clauses.append(f"{sa.OWNER.name} = '{_quote(owner)}'")
    if approved_by:
        clauses.append(f"{sa.APPROVERS.name} = '{_quote(approved_by)}'")
    if since:
        clauses.append(f"StartTime >= '{since.astimezone(dt.UTC).isoformat()}'")
    if until:
        clauses.append(f"StartTime < '{until.astimezone(dt.UTC).isoformat()}'")
    return clauses


async def selected_campaigns(client: Client, clauses: Sequence[str]) -> list[str]:
    """The ids of the campaigns a visibility query selects, oldest first."""
    found: list[tuple[dt.datetime, str]] = []
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    try:
        async for execution in client.list_workflows(" AND ".join(clauses) or None):
            found.append((execution.start_time or epoch, execution.id))
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise UserError(f"cannot select campaigns: {error.message}") from None
        raise ServerUnreachable(f"cannot list campaigns: {error.message}") from None
    return [campaign for _, campaign in sorted(set(found))]


async def timelines(
    client: Client,
    campaigns: Sequence[str],
    *,
    at_once: int = 16,
    skipped: dict[str, str] | None = None,
) -> list[Timeline]:
    """The timelines of many campaigns, read ``at_once`` at a time, in the given order.

    With ``skipped``, a campaign whose history cannot be read (a workflow a script
    started with something that is not a campaign's start) is left out and named
    there with the reason, and the others are read; without it, it raises.
    """
    limit = asyncio.Semaphore(at_once)

    async def one(campaign: str) -> Timeline | None:
        async with limit:
            if skipped is None:
                return await campaign_timeline(client, campaign)
            try:
                return await campaign_timeline(client, campaign)
            except ServerUnreachable:
                raise
            except Exception as error:  # any workflow at all may sit on the task queue
                skipped[campaign] = (str(error) or type(error).__name__).splitlines()[0][:300]
                return None

    found = await asyncio.gather(*(one(c) for c in campaigns))
    return [timeline for timeline in found if timeline is not None]


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
