"""People acting on campaigns from outside: decisions, their inboxes, external events.

Identity here is what the caller says (``--as ana``): the CLI is a local,
trusted tool. Every decision goes to the campaign as a Temporal update whose
validator checks the person against the campaign's team directory; a refused
decision leaves no event in the history, so this client reports it back with
a signal, which does (the auditor sees every attempt).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
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
from engine.workflow.facts import Decided
from engine.workflow.limits import decision_problem, event_problem
from engine.workflow.provenance import SignedKind
from engine.workflow.team import TeamSnapshot
from engine.workflow.values import ValueProblem, parse_text
from engine.workflow.work_items import Act, WorkItem, how_eligible


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
    instructions: str | None = None
    """What the process's designer wrote for the person doing the step."""


async def act(client: Client, campaign: str, act: Act, *, credentials: Credentials) -> Decided:
    """Send one decision, signed for ``credentials``; returns what the campaign made of it
    (:func:`said` words it).

    Raises:
        UserError: the campaign refused it (the reason says why) or does not exist.
    """
    if (too_large := decision_problem(act)) is not None:
        raise UserError(f"not sent: {too_large}")
    handle = client.get_workflow_handle(campaign)
    update_id = secrets.token_hex(16)
    seal = credentials.signer.sign(
        "act", campaign, payload_bytes(act), credentials, nonce=update_id
    )
    try:
        answer: Decided = await handle.execute_update(
            ACT_UPDATE,
            args=[act, seal],
            id=update_id,
            result_type=Decided,
            rpc_timeout=dt.timedelta(seconds=30),
        )
        return answer
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise UserError(
            f"no answer from {campaign} within 30 s: is a worker running ('mops worker')?"
        ) from None
    except WorkflowUpdateFailedError as refused:
        reason = getattr(refused.cause, "message", None) or str(refused.cause)
        await report_refusal(client, campaign, act, reason, credentials=credentials)
        raise UserError(
            f"refused: {reason}", hint=await _where_open(client, campaign, act)
        ) from None
    except RPCError as error:
        raise UserError(f"campaign '{campaign}': {error.message}") from None


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
    seal = credentials.signer.sign(name, campaign, payload_bytes(payload), credentials)
    await client.get_workflow_handle(campaign).signal(name, args=[payload, seal])


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
    try:
        status: CampaignStatus = await client.get_workflow_handle(campaign).query(
            STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=10)
        )
    except RPCError as error:
        raise UserError(f"campaign '{campaign}': {error.message}") from None
    item = next((i for i in status.open_items if i.step == step), None)
    if item is None:
        open_steps = ", ".join(i.step for i in status.open_items) or "none"
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
    """Every open step ``person`` may act on, across campaigns, soonest deadline first."""
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
        handle = client.get_workflow_handle(execution.id)
        try:
            status: CampaignStatus = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=10)
            )
        except RPCError:
            continue  # no worker to answer right now
        for item in status.open_items:
            via = how_eligible(item, team, person, dt.date.today())
            if via is None or person in item.barred:
                continue
            tasks.append(
                Task(
                    campaign=execution.id,
                    process=status.process,
                    step=item.step,
                    title=item.title,
                    form=item.form,
                    deadline=item.deadline,
                    via=via,
                    part_of=execution.parent_id,
                    instructions=item.instructions,
                )
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    tasks.sort(key=lambda t: t.deadline or far)
    return tasks


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
