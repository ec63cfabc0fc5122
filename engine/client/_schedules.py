"""Campaigns that start by themselves: a process's ``every ...`` line as a Temporal
Schedule, created, listed, paused, resumed, triggered and removed by ``mops schedule``.

A schedule starts campaigns when nobody is there to sign them, so the start it
carries is signed once, when an operator creates the schedule: the seal's kind is
``schedule`` and it is bound to the schedule's id (not to one campaign) and to the
content hash of the IR. The campaign accepts it only when Temporal says this very
schedule started it (see engine/workflow/_seals.py and docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from engine.client._attributes import registered
from engine.client._campaigns import watermarked
from engine.client._signing import Credentials, payload_bytes
from engine.errors import UserError
from engine.ir import ProcessIR
from engine.workflow import attributes as sa
from engine.workflow.campaign import CampaignStart
from engine.workflow.provenance import Seal
from engine.workflow.team import TeamSnapshot

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")


class ScheduleSummary(BaseModel):
    """One schedule, as ``mops schedule list`` shows it."""

    model_config = ConfigDict(frozen=True)

    id: str
    process: str
    paused: bool
    note: str
    next_start: dt.datetime | None


def seal_schedule(start: CampaignStart, schedule_id: str, credentials: Credentials) -> Seal:
    """The seal of the start a schedule makes: kind ``schedule``, bound to the schedule."""
    return credentials.signer.sign(
        "schedule", schedule_id, payload_bytes(start), credentials, start=True
    )


def spec_of(process: ProcessIR) -> ScheduleSpec:
    """When the schedule fires, in Temporal's words (day of week: Sunday is 0)."""
    every = process.schedule
    if every is None:
        raise UserError(
            f"{process.source_file} has no 'every ...' line: nothing says when its campaigns start",
            hint='add one under the process line, e.g. every month on the 1st at 09:00 in "UTC"',
        )
    hour, minute = (int(part) for part in every.at.split(":"))
    days: dict[str, Any] = {}
    if every.every == "week":
        days["day_of_week"] = [ScheduleRange((1 + (every.weekday or 0)) % 7)]
    elif every.every == "month":
        days["day_of_month"] = [ScheduleRange(1 if every.first_business_day else every.day or 1)]
    calendar = ScheduleCalendarSpec(
        second=[ScheduleRange(0)],
        minute=[ScheduleRange(minute)],
        hour=[ScheduleRange(hour)],
        **days,
    )
    return ScheduleSpec(calendars=[calendar], time_zone_name=every.time_zone)


async def create_schedule(
    client: Client,
    process: ProcessIR,
    inputs: Mapping[str, Any],
    *,
    task_queue: str,
    credentials: Credentials,
    schedule_id: str | None = None,
    team: TeamSnapshot | None = None,
) -> str:
    """Create the schedule of ``process`` (its ``every`` line); returns its id.

    Raises:
        UserError: the process has no ``every`` line, the id is taken or not usable.
    """
    spec = spec_of(process)
    schedule_id = schedule_id or f"{process.name}-schedule"
    if not _ID.match(schedule_id):
        raise UserError(
            f"'{schedule_id}' cannot name a schedule",
            hint="use letters, digits, '_', '.' and '-' (at most 100)",
        )
    start = CampaignStart(
        process=process,
        inputs=dict(inputs),
        started_by=credentials.principal,
        team=team,
        schedule=schedule_id,
    )
    action = ScheduleActionStartWorkflow(
        process.name,
        args=[start, seal_schedule(start, schedule_id, credentials)],
        # Temporal adds the moment to it: <schedule>-<time> names each campaign.
        id=schedule_id,
        task_queue=task_queue,
        memo={"source_file": process.source_file, "source_hash": process.source_hash},
        typed_search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, process.version),
                SearchAttributePair(sa.OWNER, credentials.principal),
                SearchAttributePair(sa.EVENTS, sa.events_of(process)),
                # Its campaigns keep the people's app's inbox index up to date, as
                # campaigns started by hand do (only where the namespace has it: a
                # start that names an unknown attribute would fail at each run).
                *watermarked(await registered(client, sa.CHANGED_AT.name)),
            ]
        ),
    )
    note = f"{process.title} (version {process.version}), created by {credentials.principal}"
    try:
        await client.create_schedule(
            schedule_id,
            Schedule(
                action=action,
                spec=spec,
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
                state=ScheduleState(note=note),
            ),
        )
    except ScheduleAlreadyRunningError:
        raise UserError(
            f"a schedule with the id '{schedule_id}' already exists",
            hint=f"remove it first (mops schedule remove {schedule_id}) or give another --id",
        ) from None
    return schedule_id


async def list_schedules(client: Client, *, task_queue: str) -> list[ScheduleSummary]:
    """The schedules that start campaigns on ``task_queue``, by id."""
    found: list[ScheduleSummary] = []
    async for listed in await client.list_schedules():
        try:
            described = await client.get_schedule_handle(listed.id).describe()
        except RPCError:
            continue  # removed meanwhile
        action = described.schedule.action
        if not isinstance(action, ScheduleActionStartWorkflow) or action.task_queue != task_queue:
            continue
        upcoming = described.info.next_action_times
        found.append(
            ScheduleSummary(
                id=listed.id,
                process=action.workflow,
                paused=described.schedule.state.paused,
                note=described.schedule.state.note or "",
                next_start=upcoming[0] if upcoming else None,
            )
        )
    return sorted(found, key=lambda s: s.id)


async def change_schedule(client: Client, schedule_id: str, what: str, *, note: str = "") -> None:
    """``pause``, ``resume``, ``trigger`` (start one campaign now) or ``remove`` a schedule.

    Raises:
        UserError: no schedule has that id.
    """
    handle = client.get_schedule_handle(schedule_id)
    try:
        match what:
            case "pause":
                await handle.pause(note=note or "paused with mops schedule pause")
            case "resume":
                await handle.unpause(note=note or "resumed with mops schedule resume")
            case "trigger":
                await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
            case "remove":
                await handle.delete()
            case _:
                raise ValueError(what)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise UserError(
                f"no schedule has the id '{schedule_id}'", hint="mops schedule list shows them"
            ) from None
        raise
