"""Starting, watching and listing campaigns: the client side of the engine."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from engine.audit import campaign_histories, status_from_history
from engine.client._attributes import by_hand
from engine.client._people import published_items
from engine.client._signing import Credentials, payload_bytes
from engine.errors import UserError
from engine.ir import ProcessIR
from engine.workflow import attributes as sa
from engine.workflow.campaign import (
    STATUS_QUERY,
    CampaignResult,
    CampaignStart,
    CampaignState,
    CampaignStatus,
)
from engine.workflow.facts import STARTED_MEMO
from engine.workflow.provenance import Seal
from engine.workflow.team import TeamSnapshot

_STATES: dict[WorkflowExecutionStatus, CampaignState] = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "running",
}
_VISIBILITY_STATUS = {
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Canceled",
    "terminated": "Terminated",
    "timed_out": "TimedOut",
}


class CampaignSummary(BaseModel):
    """One line of ``mops list``."""

    model_config = ConfigDict(frozen=True)

    id: str
    process: str
    state: CampaignState
    version: str | None
    owner: str | None
    started_at: dt.datetime | None
    closed_at: dt.datetime | None


def new_campaign_id(process: ProcessIR, now: dt.datetime | None = None) -> str:
    """A readable, unique campaign id: ``blog_post-20261122-0915-3fa2c1``."""
    moment = now or dt.datetime.now(dt.UTC)
    return f"{process.name}-{moment:%Y%m%d-%H%M}-{secrets.token_hex(3)}"


async def start_campaign(
    client: Client,
    process: ProcessIR,
    inputs: Mapping[str, Any],
    *,
    task_queue: str,
    credentials: Credentials,
    campaign_id: str | None = None,
    team: TeamSnapshot | None = None,
    reuse_id: bool = False,
) -> WorkflowHandle[Any, Any]:
    """Start one campaign of ``process``, signed for ``credentials`` (who starts it);
    the inputs must already be resolved.

    ``team`` is the team directory the campaign checks its human steps against.
    ``reuse_id``: start it even if a closed campaign had ``campaign_id`` (never while
    one with that id runs); otherwise any campaign that ever had the id refuses it.
    """
    campaign_id = campaign_id or new_campaign_id(process)
    try:
        return await _start(
            client, process, inputs, task_queue, credentials, campaign_id, team, reuse_id
        )
    except WorkflowAlreadyStartedError:
        raise _id_taken(campaign_id, reuse_id) from None
    except RPCError as error:
        if error.status == RPCStatusCode.ALREADY_EXISTS:
            raise _id_taken(campaign_id, reuse_id) from None
        if error.status == RPCStatusCode.INVALID_ARGUMENT and sa.CHANGED_AT.name in error.message:
            # A namespace registered before MopsChangedAt: the campaign runs without it
            # (the people's app then finds it by the slower query).
            try:
                return await _start(
                    client,
                    process,
                    inputs,
                    task_queue,
                    credentials,
                    campaign_id,
                    team,
                    reuse_id,
                    watermark=False,
                )
            except WorkflowAlreadyStartedError:
                raise _id_taken(campaign_id, reuse_id) from None
        if error.status == RPCStatusCode.INVALID_ARGUMENT and "search attribute" in error.message:
            raise UserError(
                f"the namespace {client.namespace} lacks the search attributes of MOps Flow",
                hint=by_hand(client.namespace, sa.ALL),
            ) from None
        raise


def _id_taken(campaign_id: str, reuse_id: bool) -> UserError:
    if reuse_id:
        return UserError(f"a campaign with the id '{campaign_id}' is running")
    return UserError(
        f"a campaign with the id '{campaign_id}' already exists",
        hint="give another --id, or --reuse-id to start a new campaign under the id of "
        "a closed one ('mops list' then shows both, and 'mops status' the newest)",
    )


async def _start(
    client: Client,
    process: ProcessIR,
    inputs: Mapping[str, Any],
    task_queue: str,
    credentials: Credentials,
    campaign_id: str,
    team: TeamSnapshot | None,
    reuse_id: bool = False,
    *,
    watermark: bool = True,
) -> WorkflowHandle[Any, Any]:
    started_by = credentials.principal
    start = CampaignStart(process=process, inputs=dict(inputs), started_by=started_by, team=team)
    return await client.start_workflow(
        process.name,
        args=[start, seal_start(start, campaign_id, credentials)],
        id=campaign_id,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE
        if reuse_id
        else WorkflowIDReusePolicy.REJECT_DUPLICATE,
        task_queue=task_queue,
        result_type=CampaignResult,
        static_summary=f"{process.title} (version {process.version})",
        memo={"source_file": process.source_file, "source_hash": process.source_hash},
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, process.version),
                SearchAttributePair(sa.OWNER, started_by),
                SearchAttributePair(sa.EVENTS, sa.events_of(process)),
                *watermarked(watermark),
            ]
        ),
    )


def watermarked(watermark: bool = True) -> list[SearchAttributePair[Any]]:
    """``MopsChangedAt`` as a campaign starts with it: the campaign keeps it up to date
    for the people's app's inbox index (engine.workflow.attributes.CHANGED_AT)."""
    return [SearchAttributePair(sa.CHANGED_AT, dt.datetime.now(dt.UTC))] if watermark else []


def seal_start(start: CampaignStart, campaign_id: str, credentials: Credentials) -> Seal:
    """The seal of a campaign's start: it covers the whole start and the IR's content hash."""
    return credentials.signer.sign(
        "start", campaign_id, payload_bytes(start), credentials, start=True
    )


async def campaign_status(
    client: Client, campaign_id: str, *, query_timeout: float = 5.0, ask_campaign: bool = True
) -> CampaignStatus:
    """The status of a campaign, running or finished, whether or not a worker runs.

    A running campaign with a worker answers the status query; otherwise the
    status is rebuilt from the campaign's history, which needs no worker.
    ``ask_campaign``: False to skip the query (it was just asked and did not answer).

    Raises:
        UserError: no campaign has that id.
    """
    handle = client.get_workflow_handle(campaign_id)
    try:
        description = await handle.describe()
    except RPCError as error:
        raise UserError(
            f"no campaign '{campaign_id}'", hint="'mops list' shows the campaigns"
        ) from error
    state = _STATES.get(description.status or WorkflowExecutionStatus.RUNNING, "running")
    if state == "running" and ask_campaign:
        try:
            status: CampaignStatus = await handle.query(
                STATUS_QUERY,
                result_type=CampaignStatus,
                rpc_timeout=dt.timedelta(seconds=query_timeout),
            )
            return status
        except (RPCError, WorkflowQueryFailedError):
            pass  # no worker right now: fall back to the history
    # Every run of the campaign, oldest first: one that continued as new keeps
    # its earlier steps and decisions in the histories of its earlier runs.
    histories = await campaign_histories(client, campaign_id)
    try:
        status = status_from_history(histories, state=state)
    except Exception as error:  # any history at all may sit on the task queue
        reason = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
        raise UserError(
            f"'{campaign_id}' cannot be read as a campaign ({state}): {reason}",
            hint="'mops list' shows it; Temporal's own UI or CLI show its history",
        ) from None
    if state == "running" and (published := await published_items(description)) is not None:
        # What the campaign published is its own word on its open steps (escalations,
        # delegations and why a round was sent back included); the decisions taken so
        # far are the history's.
        rebuilt = {(i.step, i.round): i.decisions for i in status.open_items}
        items = tuple(
            i.model_copy(update={"decisions": rebuilt.get((i.step, i.round), ())})
            for i in published
        )
        status = status.model_copy(update={"open_items": items})
    return status


async def wait_for_result(handle: WorkflowHandle[Any, Any]) -> CampaignResult:
    """Wait for a campaign to end.

    Raises:
        UserError: the campaign failed; the message is the failure (it names the
            step and its line).
    """
    try:
        result = await handle.result()
        return CampaignResult.model_validate(result)
    except WorkflowFailureError as error:
        cause = error.cause
        message = getattr(cause, "message", None) or str(cause)
        raise UserError(f"campaign {handle.id} failed: {message}") from None


async def list_campaigns(
    client: Client,
    *,
    task_queue: str,
    process: str | None = None,
    state: str | None = None,
    waiting_on: str | None = None,
    limit: int = 50,
    where: Sequence[str] = (),
) -> list[CampaignSummary]:
    """Campaigns newest first, through a visibility query (no worker needed).

    ``waiting_on`` (``role:editor`` or ``person:ana``) keeps the campaigns with an
    open work item or approval for that role or person, as the process names them
    or as escalation and delegation added them.

    ``where`` adds clauses of the query (the auditors' filters, :mod:`engine.audit`).

    Raises:
        UserError: an unknown state, or ``waiting_on`` not ``role:NAME``/``person:NAME``.
    """
    # One row per campaign: the runs a campaign continued from (continue-as-new) are
    # not campaigns of their own, and its newest run says how it stands.
    clauses = [
        f"TaskQueue = '{_quote(task_queue)}'",
        "ExecutionStatus != 'ContinuedAsNew'",
        *where,
    ]
    if process:
        clauses.append(f"WorkflowType = '{_quote(process)}'")
    if waiting_on is not None:
        kind, _, name = waiting_on.partition(":")
        if kind not in ("role", "person") or not name.strip():
            raise UserError(
                f"--waiting-on '{waiting_on}': say whom, as role:NAME or person:NAME",
                hint="e.g. --waiting-on role:editor or --waiting-on person:ana",
            )
        clauses.append(f"{sa.WAITING_ON.name} = '{_quote(f'{kind}:{name.strip()}')}'")
    if state == "paused":
        clauses += ["ExecutionStatus = 'Running'", f"{sa.STATE.name} = 'paused'"]
    elif state:
        if state not in _VISIBILITY_STATUS:
            known = ", ".join([*_VISIBILITY_STATUS, "paused"])
            raise UserError(f"unknown state '{state}'", hint="states: " + known)
        clauses.append(f"ExecutionStatus = '{_VISIBILITY_STATUS[state]}'")
    query = " AND ".join(clauses)
    found: list[CampaignSummary] = []
    async for execution in client.list_workflows(query, limit=limit):
        attrs = execution.typed_search_attributes
        found.append(
            CampaignSummary(
                id=execution.id,
                process=execution.workflow_type,
                state=_state_of(execution.status, attrs.get(sa.STATE)),
                version=attrs.get(sa.VERSION),
                owner=attrs.get(sa.OWNER),
                started_at=await _first_start(execution),
                closed_at=execution.close_time,
            )
        )
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda c: c.started_at or epoch, reverse=True)
    return found


async def has_worker(client: Client, task_queue: str) -> bool:
    """Whether any worker polled the task queue in the last 90 seconds.

    A live worker polls again at least every minute (a long poll); the server lists a
    worker that stopped for minutes more, so an older poll does not count.
    """
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90)
    return any(
        not poller.HasField("last_access_time")
        or poller.last_access_time.ToDatetime(tzinfo=dt.UTC) >= recent
        for poller in response.pollers
    )


async def _first_start(execution: WorkflowExecution) -> dt.datetime:
    """When the campaign started: a continued run keeps its first run's start."""
    kept = (await execution.memo()).get(STARTED_MEMO)
    if isinstance(kept, str):
        try:
            return dt.datetime.fromisoformat(kept)
        except ValueError:
            pass
    return execution.start_time


def _state_of(status: WorkflowExecutionStatus | None, mops_state: str | None) -> CampaignState:
    state = _STATES.get(status or WorkflowExecutionStatus.RUNNING, "running")
    return "paused" if state == "running" and mops_state == "paused" else state


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


__all__ = [
    "CampaignSummary",
    "campaign_status",
    "has_worker",
    "list_campaigns",
    "new_campaign_id",
    "start_campaign",
    "wait_for_result",
]
