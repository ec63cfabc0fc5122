"""People acting on campaigns from outside: decisions, their inboxes, external events.

Identity here is what the caller says (``--as ana``): the CLI is a local,
trusted tool. Every decision goes to the campaign as a Temporal update whose
validator checks the person against the campaign's team directory; a refused
decision leaves no event in the history, so this client reports it back with
a signal, which does (the auditor sees every attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.service import RPCError, RPCStatusCode

from engine.client._signing import Credentials, payload_bytes
from engine.errors import UserError
from engine.workflow import attributes as sa
from engine.workflow.campaign import (
    ACT_UPDATE,
    EVENT_SIGNAL,
    REFUSED_SIGNAL,
    STATUS_QUERY,
    TEAM_SIGNAL,
    CampaignStatus,
    ExternalEvent,
    RefusedAttempt,
    TeamPush,
)
from engine.workflow.facts import INBOX_MEMO, Decided, Returned
from engine.workflow.limits import decision_problem, event_problem
from engine.workflow.provenance import Seal, SignedKind
from engine.workflow.team import TeamSnapshot
from engine.workflow.values import ValueProblem, parse_text
from engine.workflow.work_items import Act, WorkItem, has_acted, how_eligible


class Task(BaseModel):
    """One line of someone's inbox: an open step they may act on."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    process: str
    step: str
    title: str
    form: str
    deadline: dt.datetime | None
    via: str
    part_of: str | None = None
    """For a step of a sub-process: the id of the campaign that called it. Act on
    the step with ``campaign`` (the sub-process campaign's own id)."""
    round: int = 1
    returned: Returned | None = None
    """For a round that opened because an approval sent the campaign back: which
    approval, how it decided, and what its people said (the rework conversation)."""
    instructions: str | None = None
    """What the process's designer wrote for the person doing the step."""


class Pending(BaseModel):
    """A decision the server took but the campaign has not judged yet: no worker ran the
    campaign in time, or the wait for it was interrupted. The server hands it to the
    campaign when a worker runs; sent again with the same ``update_id``, it is the same
    decision, never a second one."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    step: str
    update_id: str
    interrupted: bool = False
    """The wait was interrupted (Ctrl-C) while it was being sent: it may not have
    reached the server."""
    accepted: bool = False
    """The campaign accepted it (it is recorded); only its outcome was not awaited."""


class DecisionPending(UserError):
    """:func:`act` could not confirm a decision in time: it is pending, not refused."""

    def __init__(self, pending: Pending) -> None:
        super().__init__(pending_text(pending), hint=pending_hint(pending))
        self.pending = pending


async def send_decision(
    client: Client,
    campaign: str,
    act: Act,
    *,
    credentials: Credentials,
    wait: dt.timedelta = dt.timedelta(seconds=30),
    update_id: str | None = None,
) -> Decided | Pending:
    """Send one decision, signed for ``credentials``: what the campaign made of it, or
    :class:`Pending` when the campaign did not take it within ``wait`` (no worker runs
    it) or the wait was interrupted. A pending decision is never reported as failed:
    the server holds it and the campaign judges it when a worker runs.

    ``update_id`` sends a pending decision again as the same decision.

    Raises:
        UserError: the campaign refused it (the reason says why) or does not exist.
    """
    if (too_large := decision_problem(act)) is not None:
        raise UserError(f"not sent: {too_large}")
    handle = client.get_workflow_handle(campaign)
    update_id = update_id or secrets.token_hex(16)
    seal = seal_decision(campaign, act, update_id, credentials)
    # The server holds an update until a worker runs the campaign, and the SDK asks
    # again for as long as it is not accepted: the wait is bounded here. Interrupted
    # (Ctrl-C) or timed out, the decision is pending, not failed.
    stopped = (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, asyncio.CancelledError)
    try:
        sent = await asyncio.wait_for(
            handle.start_update(
                ACT_UPDATE,
                args=[act, seal],
                id=update_id,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=Decided,
                rpc_timeout=wait,
            ),
            timeout=wait.total_seconds(),
        )
    except stopped:
        return _pending(campaign, act, update_id, accepted=False)
    except RPCError as error:
        raise UserError(f"campaign '{campaign}': {error.message}") from None
    try:
        answer: Decided = await asyncio.wait_for(sent.result(), timeout=30)
    except WorkflowUpdateFailedError as refused:
        reason = getattr(refused.cause, "message", None) or str(refused.cause)
        await report_refusal(client, campaign, act, reason, credentials=credentials)
        raise UserError(
            f"refused: {reason}", hint=await _where_open(client, campaign, act)
        ) from None
    except stopped:
        return _pending(campaign, act, update_id, accepted=True)
    return answer


def _pending(campaign: str, act: Act, update_id: str, *, accepted: bool) -> Pending:
    # The SDK turns a cancelled wait (Ctrl-C) into the same error as a timeout.
    task = asyncio.current_task()
    interrupted = task is not None and task.cancelling() > 0
    return Pending(
        campaign=campaign,
        step=act.step,
        update_id=update_id,
        interrupted=interrupted,
        accepted=accepted,
    )


def seal_decision(campaign: str, act: Act, update_id: str, credentials: Credentials) -> Seal:
    """The seal of a decision: it covers the decision's exact bytes and names the update
    it travels in (its single-use id), so it cannot be sent again in another."""
    return credentials.signer.sign(
        "act", campaign, payload_bytes(act), credentials, nonce=update_id
    )


async def act(client: Client, campaign: str, act: Act, *, credentials: Credentials) -> Decided:
    """Send one decision, signed for ``credentials``; returns what the campaign made of it
    (:func:`said` words it).

    Raises:
        DecisionPending: the campaign did not take it within 30 s (no worker runs it).
        UserError: the campaign refused it (the reason says why) or does not exist.
    """
    answer = await send_decision(client, campaign, act, credentials=credentials)
    if isinstance(answer, Pending):
        raise DecisionPending(answer)
    return answer


def pending_text(pending: Pending) -> str:
    """What a person is told of a decision that is not confirmed yet."""
    if pending.accepted:
        return (
            f"accepted: the campaign took the decision on '{pending.step}' (update "
            f"{pending.update_id}); its outcome was not awaited"
        )
    if pending.interrupted:
        return (
            f"interrupted: the decision on '{pending.step}' may have reached the server and "
            f"is then pending (update {pending.update_id}): the campaign takes it when a "
            "worker runs"
        )
    return (
        f"pending: the server holds the decision on '{pending.step}' (update "
        f"{pending.update_id}); the campaign takes it when a worker runs it — nothing "
        "failed, and it is not recorded yet"
    )


def pending_hint(pending: Pending) -> str:
    """How to follow a pending decision up without doubling it."""
    return (
        f"'mops status {pending.campaign}' shows when it is taken; to send it again, add "
        f"--update-id {pending.update_id}: it stays one decision"
    )


def said(decided: Decided) -> str:
    """What became of a decision, as the person who took it reads it."""
    if decided.outcome is None:
        return f"recorded; '{decided.title}' waits for {decided.waiting_for} more"
    return f"'{decided.title}' is {decided.outcome.replace('_', ' ')}"


async def report_refusal(
    client: Client, campaign: str, act: Act, reason: str, *, credentials: Credentials
) -> None:
    """Record a refused decision in the campaign's history (the refusal itself left none)."""
    attempt = RefusedAttempt(step=act.step, actor=act.actor, action=act.action, reason=reason)
    # If the campaign is gone, there is nothing to record it in.
    with contextlib.suppress(RPCError):
        await signed_signal(client, campaign, REFUSED_SIGNAL, attempt, credentials=credentials)


async def signed_signal(
    client: Client, campaign: str, name: SignedKind, payload: BaseModel, *, credentials: Credentials
) -> None:
    """Send a signal with its seal (its last argument)."""
    seal = seal_signal(campaign, name, payload, credentials)
    await client.get_workflow_handle(campaign).signal(name, args=[payload, seal])


def seal_signal(
    campaign: str, name: SignedKind, payload: BaseModel, credentials: Credentials
) -> Seal:
    """The seal of a signal: it covers the payload's exact bytes, with a single-use id."""
    return credentials.signer.sign(name, campaign, payload_bytes(payload), credentials)


async def push_team(
    client: Client, campaigns: list[str], team: TeamSnapshot, *, credentials: Credentials
) -> list[str]:
    """Send ``team`` to each running campaign; returns those it reached.

    The campaign checks decisions against it from then on, and each decision
    records the version it was checked against. A campaign that ended meanwhile
    is skipped.
    """
    push = TeamPush(by=credentials.principal, team=team)
    reached = []
    for campaign in campaigns:
        try:
            await signed_signal(client, campaign, TEAM_SIGNAL, push, credentials=credentials)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                continue  # it ended after it was listed
            raise UserError(f"campaign '{campaign}': {error.message}") from None
        reached.append(campaign)
    return reached


async def open_item(client: Client, campaign: str, step: str, *, actor: str = "PERSON") -> WorkItem:
    """The open step of a campaign (to read e.g. the types of its outputs).

    Raises:
        UserError: no such campaign, or the step is not open.
    """
    handle = client.get_workflow_handle(campaign)
    try:
        # What the campaign published needs no worker; older campaigns are asked.
        description = await handle.describe()
        items = await published_items(description)
        if description.status != WorkflowExecutionStatus.RUNNING:
            items = []  # it ended: nothing is open, whatever it published last
        elif items is None:
            status: CampaignStatus = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=10)
            )
            items = list(status.open_items)
    except RPCError as error:
        raise UserError(f"campaign '{campaign}': {error.message}") from None
    item = next((i for i in items if i.step == step), None)
    if item is None:
        open_steps = ", ".join(i.step for i in items) or "none"
        attempt = Act(step=step, actor=actor, action="complete")
        raise UserError(
            f"step '{step}' of {campaign} is not open (open: {open_steps})",
            hint=await _where_open(client, campaign, attempt),
        )
    return item


class SubProcessItem(BaseModel):
    """An open work item or approval of a sub-process campaign, at any depth."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    """The sub-process campaign's id: the RUN to act on the step with."""
    item: WorkItem


async def sub_process_items(client: Client, status: CampaignStatus) -> list[SubProcessItem]:
    """The open steps of the sub-processes a campaign is running, and of theirs.

    A ``call`` step's child campaign is a campaign of its own: people act on its
    steps with its id, which the running step names.
    """
    found: list[SubProcessItem] = []
    for step in status.steps:
        if step.campaign is None or step.state != "running":
            continue
        try:
            child: CampaignStatus = await client.get_workflow_handle(step.campaign).query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=10)
            )
        except (RPCError, WorkflowQueryFailedError):
            continue  # not started yet, just ended, or no worker to answer
        found += [SubProcessItem(campaign=step.campaign, item=i) for i in child.open_items]
        found += await sub_process_items(client, child)
    return found


async def _where_open(client: Client, campaign: str, act: Act) -> str | None:
    """Where the step a decision named is open, when it is a sub-process's step."""
    try:
        status: CampaignStatus = await client.get_workflow_handle(campaign).query(
            STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=10)
        )
    except (RPCError, WorkflowQueryFailedError):
        return None
    if any(i.step == act.step for i in status.open_items):
        return None  # open here: refused for another reason
    for found in await sub_process_items(client, status):
        if found.item.step == act.step:
            command = act.action.replace("_", "-")
            return (
                f"'{found.item.title}' is open in the sub-process campaign {found.campaign}: "
                f"mops {command} {found.campaign} {act.step} --as {act.actor}"
            )
    return None


def typed_outputs(item: WorkItem, texts: Mapping[str, str]) -> dict[str, Any]:
    """``--output doc_url=https://...`` values in the types the step returns.

    Raises:
        UserError: an unknown output or a value of the wrong type.
    """
    wanted = dict(item.returns)
    values: dict[str, Any] = {}
    for name, text in texts.items():
        if name not in wanted:
            raise UserError(f"'{item.title}' returns no '{name}' (it returns: {', '.join(wanted)})")
        try:
            values[name] = parse_text(text, wanted[name])
        except ValueProblem as problem:
            raise UserError(f"output '{name}': {problem}") from None
    return values


async def inbox(client: Client, team: TeamSnapshot, person: str, *, task_queue: str) -> list[Task]:
    """Every open step ``person`` may act on, across campaigns, soonest deadline first.

    Read from visibility (``MopsWaitingOn`` and the open steps each campaign publishes
    in its memo), so it needs no worker. Only campaigns started before open steps were
    published are asked by query, and left out when no worker answers.
    """
    member = team.people.get(person)
    if member is None:
        raise UserError(f"'{person}' is not in the team directory")
    keys = [f"person:{person}", *(f"role:{role}" for role in member.roles)]
    # Acting for someone away: their name and roles count as the delegate's.
    for absent in team.delegating_to(person, dt.date.today()):
        keys += [f"person:{absent}", *(f"role:{r}" for r in team.people[absent].roles)]
    keys = sorted(set(keys))
    listed = ", ".join(f"'{k}'" for k in keys)
    query = (
        f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running' "
        f"AND {sa.WAITING_ON.name} IN ({listed})"
    )
    tasks: list[Task] = []
    async for execution in client.list_workflows(query):
        items = await published_items(execution)
        if items is None:
            items = await _asked_items(client, execution.id)
        for item in items:
            via = how_eligible(item, team, person, dt.date.today())
            if via is None or person in item.barred or has_acted(item, person):
                continue
            tasks.append(
                Task(
                    campaign=execution.id,
                    process=execution.workflow_type,
                    step=item.step,
                    title=item.title,
                    form=item.form,
                    deadline=item.deadline,
                    via=via,
                    part_of=execution.parent_id,
                    round=item.round,
                    returned=item.returned,
                    instructions=item.instructions,
                )
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    tasks.sort(key=lambda t: t.deadline or far)
    return tasks


async def published_items(execution: WorkflowExecution) -> list[WorkItem] | None:
    """The open work items and approvals a campaign published in its memo (without
    their decisions), or None for a campaign started before it published them."""
    memo = await execution.memo()
    published = memo.get(INBOX_MEMO)
    if not isinstance(published, list):
        return None
    try:
        return [WorkItem.model_validate(item) for item in published]
    except ValidationError:
        return None


async def _asked_items(client: Client, campaign: str) -> list[WorkItem]:
    """The open steps of a campaign that does not publish them, by query (a worker
    answers), or none when no worker answers soon."""
    try:
        status: CampaignStatus = await client.get_workflow_handle(campaign).query(
            STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=5)
        )
    except (RPCError, WorkflowQueryFailedError):
        return []
    return list(status.open_items)


async def send_event(
    client: Client,
    *,
    name: str,
    key: str,
    data: Mapping[str, Any],
    task_queue: str,
    credentials: Credentials,
) -> list[str]:
    """Deliver an external event to every running campaign that may wait for it.

    Campaigns keep an event until a step asks for it, so one that arrives early
    is not lost; the step picks the event whose key matches.
    """
    query = (
        f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running' "
        f"AND {sa.EVENTS.name} = '{name.replace(chr(39), '')}'"
    )
    if (too_large := event_problem(data)) is not None:
        raise UserError(f"not sent: {too_large}")
    delivered: list[str] = []
    event = ExternalEvent(name=name, key=key, data=dict(data))
    async for execution in client.list_workflows(query):
        await signed_signal(client, execution.id, EVENT_SIGNAL, event, credentials=credentials)
        delivered.append(execution.id)
    return delivered
